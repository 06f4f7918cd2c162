"""vtc_imagery: the analysis library behind the Wadia et al. (Science 2026) reproduction workflow.

Pure, typed functions; the Snakemake scripts and report notebooks are thin adapters around them.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vtc-imagery")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "unknown"
