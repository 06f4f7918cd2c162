# Calibration suite (SIMULATED): small cohorts under named nuisance scenarios, analysed with the
# workflow's own stage functions and config, give every call's false-positive rate and power.
from vtc_imagery.calibration import KINDS, analysis_config, kind_applies
from vtc_imagery.simulate.realism import realism_from_config

CALIBRATION = config["calibration"]
CALIBRATION_REALISM = realism_from_config(config["simulation"])
CALIBRATION_COHORTS = [
    f"results/calibration/cohorts/{scenario}/{kind}/seed-{CALIBRATION['seed'] + k}.parquet"
    for scenario in CALIBRATION["scenarios"]
    for kind in KINDS
    if kind_applies(kind, scenario, CALIBRATION_REALISM)
    for k in range(CALIBRATION["seeds"])
]
CALIBRATION_MODEL_TABLES = [f"results/calibration/models/{scenario}.parquet" for scenario in CALIBRATION["scenarios"]]
CALIBRATION_DECODING = [f"results/calibration/decoding/{scenario}.parquet" for scenario in CALIBRATION["scenarios"]]


localrules:
    calibration,


wildcard_constraints:
    scenario="[a-z_]+",
    kind="|".join(KINDS),
    seed=r"\d+",


rule calibration_cohort:
    """One SIMULATED calibration cohort (scenario, kind, seed): simulated as NWB, analysed by the
    per-session stages with this run's config; every replicate's call against its planted truth."""
    output:
        "results/calibration/cohorts/{scenario}/{kind}/seed-{seed}.parquet",
    log:
        "logs/calibration_cohort/{scenario}/{kind}/seed-{seed}.log",
    benchmark:
        "benchmarks/calibration_cohort/{scenario}/{kind}/seed-{seed}.tsv"
    conda:
        "../envs/validation.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb(2000),
        runtime=runtime(30),
    params:
        profile=CALIBRATION["profile"],
        axis_null_scale=CALIBRATION["axis_null_scale"],
        category_null_scale=CALIBRATION["category_null_scale"],
        simulation=config["simulation"],
        analysis=analysis_config(config),
    script:
        "../scripts/calibration_cohort.py"


rule calibration_models:
    """The imagery models' tests on SIMULATED summary tables of one scenario: `model_replicates` null
    tables and a sixth as many planted ones of the power profile (a cohort gives one replicate of
    these tests)."""
    output:
        "results/calibration/models/{scenario}.parquet",
    log:
        "logs/calibration_models/{scenario}.log",
    benchmark:
        "benchmarks/calibration_models/{scenario}.tsv"
    conda:
        "../envs/validation.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb(1000),
        runtime=runtime(30),
    params:
        profile=CALIBRATION["profile"],
        replicates=CALIBRATION["model_replicates"],
        power_profile=CALIBRATION["model_power_profile"],
        seed=CALIBRATION["seed"],
        simulation=config["simulation"],
        analysis=analysis_config(config),
    script:
        "../scripts/calibration_models.py"


rule calibration_decoding:
    """Both imagery decoders' permutation tests on SIMULATED imagery sessions of one scenario:
    `decoding_replicates` null sessions and a sixth as many planted ones of the power profile (a
    cohort holds only a few sessions, each one replicate of these tests)."""
    output:
        "results/calibration/decoding/{scenario}.parquet",
    log:
        "logs/calibration_decoding/{scenario}.log",
    benchmark:
        "benchmarks/calibration_decoding/{scenario}.tsv"
    conda:
        "../envs/validation.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb(1000),
        runtime=runtime(30),
    params:
        profile=CALIBRATION["profile"],
        replicates=CALIBRATION["decoding_replicates"],
        permutations=CALIBRATION["decoding_permutations"],
        power_profile=CALIBRATION["model_power_profile"],
        seed=CALIBRATION["seed"],
        simulation=config["simulation"],
        analysis=analysis_config(config),
    script:
        "../scripts/calibration_decoding.py"


rule calibration:
    """SIMULATED: the calibration table (false-positive rate with its exact 95% interval, power,
    nominal level and verdict of every call under every scenario) and its figure."""
    input:
        CALIBRATION_COHORTS,
        CALIBRATION_MODEL_TABLES,
        CALIBRATION_DECODING,
    output:
        table=report(
            "results/calibration/calibration.tsv",
            caption="../report/calibration.rst",
            category="Calibration (simulated)",
        ),
        figure=report(
            "results/calibration/calibration.png",
            caption="../report/calibration.rst",
            category="Calibration (simulated)",
        ),
    log:
        "logs/calibration.log",
    conda:
        "../envs/validation.yaml"
    params:
        analysis=analysis_config(config),
    script:
        "../scripts/calibration_table.py"


rule calibrate:
    """`snakemake calibrate`: just the calibration suite (and its table's view for the report)."""
    input:
        with_views(rules.calibration.output),
