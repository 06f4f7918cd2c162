"""vtc_imagery: the analysis library behind the Wadia et al. (Science 2026) reproduction workflow.

Pure, typed functions; the Snakemake scripts and report notebooks are thin adapters around them.
"""

__version__ = "0.1.0"
