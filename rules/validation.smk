# SIMULATED data only: the calls and estimates of the run against the virtual cohort's planted truth.


localrules:
    validate_perception,
    validate_imagery,


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
    script:
        "../scripts/validate_imagery.py"


rule validate_imagery_null:
    """SIMULATED cohorts without reactivation, one per seed, analysed in memory with the workflow's
    functions: the reactivation call rate and M1's type-I error, against their nominal levels."""
    output:
        report(
            "results/validation/imagery_null.tsv",
            caption="../report/validate_imagery_null.rst",
            category="Validation (simulated)",
        ),
    log:
        "logs/validate_imagery_null.log",
    benchmark:
        "benchmarks/validate_imagery_null.tsv"
    conda:
        "../envs/validation.yaml"
    resources:
        mem_mb=mem_mb(3000),
        runtime=runtime(60),
    params:
        profile=config["validation"]["null_profile"],
        simulation=config["simulation"],
        seeds=[config["simulation"]["seed"] + k for k in range(1, config["validation"]["null_seeds"] + 1)],
        screening=stage_config(config["screening"], ScreeningParams),
        axis=stage_config(config["axis"], AxisParams),
        reactivation=stage_config(config["reactivation"], ReactivationParams),
        alignment=config["alignment"],
        n_shuffles=config["imagery"]["n_shuffles"],
        m1=config["models"]["M1"],
        optimizers=config["models"]["optimizers"],
        m1_alpha=config["validation"]["m1_alpha"],
    script:
        "../scripts/validate_imagery_null.py"


rule validate:
    """SIMULATED data only: every validation table against the planted truth (perception, imagery,
    and null cohorts over seeds); `snakemake validate` builds just these."""
    input:
        rules.validate_perception.output[0],
        rules.validate_imagery.output[0],
        rules.validate_imagery_null.output[0],
