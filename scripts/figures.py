"""Rule figures: the cohort's figure notebooks, one after the other in one kernel; each executed
notebook goes to its notebook log first, and its copy and HTML page are written once it has run."""

from vtc_imagery.report import NotebookRun, execute_notebooks
from vtc_imagery.runner import run_rule


def main(smk):
    runs = [NotebookRun(template, executed, ipynb, html, dict(parameters, simulated=smk.params.simulated))
            for template, executed, ipynb, html, parameters in zip(smk.input.notebooks, smk.log.notebooks,
                                                                     smk.output.ipynb, smk.output.html,
                                                                     smk.params.notebooks, strict=True)]
    execute_notebooks(runs)


run_rule(snakemake, main)
