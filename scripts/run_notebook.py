"""Report rules: execute a notebook with papermill, keep it as .ipynb, export HTML without code.

The executed notebook goes to the rule's notebook log first, so a failing notebook is kept for
reading; the outputs are written only after it has run through.
"""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../src")  # noqa: F821 (snakemake is injected)
from vtc_imagery.report import execute_notebook  # noqa: E402
from vtc_imagery.runner import run_rule  # noqa: E402


def main(smk):
    parameters = dict(smk.params.notebook, src_dir=smk.params.src_dir, simulated=smk.params.simulated)
    execute_notebook(smk.input.notebook, smk.log.notebook, smk.output.ipynb, smk.output.html, parameters)


run_rule(snakemake, main)  # noqa: F821
