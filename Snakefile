# Wadia et al. (Science 2026), "A shared code for perceiving and imagining objects in human
# ventral temporal cortex", reproduced as one rebuildable DAG. See README.md.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


include: "rules/common.smk"
include: "rules/inputs.smk"
include: "rules/sessions.smk"
include: "rules/cohort.smk"
include: "rules/imagery.smk"
include: "rules/models.smk"
include: "rules/calibration.smk"
include: "rules/robustness.smk"
include: "rules/validation.smk"
include: "rules/report.smk"


report: "report/workflow.rst"


rule all:
    """Everything the default run builds (see final_targets in rules/common.smk)."""
    default_target: True
    input:
        final_targets(),
