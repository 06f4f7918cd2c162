# Per-session perception statistics: screening (latency, responsiveness, category ANOVA,
# per-image responses) and the axis model of every responsive unit.


rule screening_units:
    """Latency (Poisson-surprise bursts), visual responsiveness, category ANOVA and per-image
    responses of every unit of one session."""
    input:
        units="results/sessions/{session}/units.parquet",
        trials="results/sessions/{session}/trials.parquet",
        spikes="results/sessions/{session}/spikes.parquet",
    output:
        units="results/screening/{session}/units.parquet",
        responses="results/screening/{session}/responses.parquet",
        counts="results/screening/{session}/trial_counts.parquet",
    params:
        screening=config["screening"],
    threads: 1
    resources:
        mem_mb=mem_mb(1000, 8),
        runtime=runtime(15, 0.5),
    retries: 1
    log:
        "logs/screening_units/{session}.log",
    benchmark:
        "benchmarks/screening_units/{session}.tsv"
    conda:
        "../envs/stats.yaml"
    script:
        "../scripts/screening_units.py"


rule axis_model:
    """The axis model of one session's responsive units: STA axis, shuffle test for axis tuning,
    leave-one-out EV of axis/category/exemplar models, explainable variance, axis consistency."""
    input:
        responses="results/screening/{session}/responses.parquet",
        counts="results/screening/{session}/trial_counts.parquet",
        object_space=OBJECT_SPACE,
    output:
        "results/axis/{session}/units.parquet",
    params:
        axis={k: config["axis"][k] for k in AXIS_MODEL_KEYS},
    threads: 2
    resources:
        mem_mb=mem_mb(2000),
        runtime=runtime(30),
    retries: 1
    log:
        "logs/axis_model/{session}.log",
    benchmark:
        "benchmarks/axis_model/{session}.tsv"
    conda:
        "../envs/stats.yaml"
    script:
        "../scripts/axis_model.py"
