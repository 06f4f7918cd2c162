"""Report rules: execute a notebook with papermill, keep it as .ipynb, export HTML without code.

The executed notebook goes to the rule's notebook log first, so a failing notebook is kept for
reading; the outputs are written only after it has run through.
"""

from vtc_imagery.report import execute_notebook
from vtc_imagery.runner import run_rule


def main(smk):
    parameters = dict(smk.params.notebook, simulated=smk.params.simulated)
    execute_notebook(smk.input.notebook, smk.log.notebook, smk.output.ipynb, smk.output.html, parameters)


run_rule(snakemake, main)
