# SIMULATED data only: the calls and estimates of the run against the virtual cohort's planted truth.


localrules:
    validate_perception,
    validate_imagery,
    validate_funnel,


rule validate_perception:
    """SIMULATED data only: responsive and axis-tuned calls against the planted truth (sensitivity,
    specificity), recovered vs planted axes, and the funnel beside the planted one."""
    input:
        units=rules.population.output.units,
        truth=f"{SYNTH_DIR}/truth/units.parquet",
    output:
        report(
            "results/validation/perception.tsv",
            caption="../report/validate_perception.rst",
            category="Validation (simulated)",
        ),
    log:
        "logs/validate_perception.log",
    conda:
        "../envs/validation.yaml"
    params:
        simulated=SIMULATED,
    script:
        "../scripts/validate_perception.py"


rule validate_imagery:
    """SIMULATED data only: reactivation calls of each rule against the planted reactivation, and
    M1's estimate of the planted preferred-axis effect."""
    input:
        imagery=rules.imagery_population.output.units,
        truth=f"{SYNTH_DIR}/truth/units.parquet",
        m1="results/models/M1.tsv",
        m1_record="results/models/M1.json",
    output:
        report(
            "results/validation/imagery.tsv",
            caption="../report/validate_imagery.rst",
            category="Validation (simulated)",
        ),
    log:
        "logs/validate_imagery.log",
    conda:
        "../envs/validation.yaml"
    params:
        simulated=SIMULATED,
    script:
        "../scripts/validate_imagery.py"


rule validate_funnel:
    """SIMULATED data only: the selection funnel planted vs recovered, stage by stage, with the
    authors' rules' counts beside the defaults'."""
    input:
        units=rules.population.output.units,
        imagery=rules.imagery_population.output.units,
        truth=f"{SYNTH_DIR}/truth/units.parquet",
    output:
        report(
            "results/validation/funnel.tsv",
            caption="../report/validate_funnel.rst",
            category="Validation (simulated)",
        ),
    log:
        "logs/validate_funnel.log",
    conda:
        "../envs/validation.yaml"
    params:
        simulated=SIMULATED,
    script:
        "../scripts/validate_funnel.py"


rule validate:
    """SIMULATED data only: every validation table against the planted truth (perception, imagery)
    and the calibration suite; `snakemake validate` builds just these."""
    input:
        rules.validate_perception.output[0],
        rules.validate_imagery.output[0],
        rules.validate_funnel.output[0],
        rules.calibration.output,
