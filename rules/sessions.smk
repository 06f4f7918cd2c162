# Per-session stages: NWB read once into tidy tables, then screening (latency, responsiveness,
# category ANOVA, per-image responses) and the axis model of every responsive unit.


rule nwb_to_tables:
    """Read one session's NWB file into units, trials and trial-aligned spikes (Parquet)."""
    input:
        nwb=lambda wc: SESSIONS[wc.session],
        # every trial's stim_id is checked against the object space, when there is one
        object_space=OBJECT_SPACE or [],
    output:
        units="results/sessions/{session}/units.parquet",
        trials="results/sessions/{session}/trials.parquet",
        spikes="results/sessions/{session}/spikes.parquet",
    log:
        "logs/nwb_to_tables/{session}.log",
    benchmark:
        "benchmarks/nwb_to_tables/{session}.tsv"
    conda:
        "../envs/nwb.yaml"
    resources:
        mem_mb=mem_mb(1000, 10),
        runtime=runtime(10, 0.2),
    params:
        areas=config["areas"],
        isi_threshold_ms=config["qc"]["isi_threshold_ms"],
        alignment=config["alignment"],
        trial_phases=config["nwb"]["trial_phases"],
    script:
        "../scripts/nwb_to_tables.py"


rule screening_units:
    """Latency (Poisson-surprise bursts), visual responsiveness, category ANOVA and per-image
    responses of every unit of one session."""
    input:
        units=rules.nwb_to_tables.output.units,
        trials=rules.nwb_to_tables.output.trials,
        spikes=rules.nwb_to_tables.output.spikes,
    output:
        units="results/screening/{session}/units.parquet",
        responses="results/screening/{session}/responses.parquet",
        counts="results/screening/{session}/trial_counts.parquet",
    log:
        "logs/screening_units/{session}.log",
    benchmark:
        "benchmarks/screening_units/{session}.tsv"
    retries: 1
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb(1000, 8),
        runtime=runtime(15, 0.5),
    params:
        screening=stage_config(config["screening"], ScreeningParams),
    script:
        "../scripts/screening_units.py"


rule axis_model:
    """The axis model of one session's responsive units: STA axis, shuffle test for axis tuning,
    leave-one-out EV of axis/category/exemplar models, explainable variance, axis consistency."""
    input:
        responses=rules.screening_units.output.responses,
        counts=rules.screening_units.output.counts,
        object_space=OBJECT_SPACE,
    output:
        "results/axis/{session}/units.parquet",
    log:
        "logs/axis_model/{session}.log",
    benchmark:
        "benchmarks/axis_model/{session}.tsv"
    retries: 1
    conda:
        "../envs/stats.yaml"
    # One core: with two, its second worker idled most of each job (7.5 s of CPU in 6.4 s at paper scale)
    # and a one-core job elsewhere left a core empty while it waited for two. The cluster profile sets more.
    threads: 1
    resources:
        mem_mb=mem_mb(2000),
        runtime=runtime(30),
    params:
        axis=stage_config(config["axis"], AxisParams),
    script:
        "../scripts/axis_model.py"
