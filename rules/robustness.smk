# Robustness sweep: every headline statistic under each combination of the analysis choices it
# depends on, from the run's unit tables (each choice is a selection over calls already made), and
# the axis model of the units that only another responsiveness rule calls responsive.


localrules:
    robustness_sweep,
    robustness,


# The poisson_burst parameters swept, each list with the configured value.
BURST_GRID = dict(
    min_isis=sorted({*config["robustness"]["burst_min_isis"], config["reactivation"]["bursts"]["min_isis"]}),
    significance=sorted(
        {*config["robustness"]["burst_significance"], config["reactivation"]["bursts"]["significance"]}
    ),
    min_burst_trials=sorted({*config["robustness"]["min_burst_trials"], config["reactivation"]["min_burst_trials"]}),
)


rule robustness_session:
    """One session's inputs to the sweep that the run's own stages do not make: the axis model of its
    VTC units that another responsiveness rule calls responsive and the configured one does not
    (screened as that rule would), and the poisson_burst call of every unit under each combination of
    the swept burst parameters."""
    input:
        units=rules.nwb_to_tables.output.units,
        trials=rules.nwb_to_tables.output.trials,
        spikes=rules.nwb_to_tables.output.spikes,
        screening=rules.screening_units.output.units,
        object_space=OBJECT_SPACE,
    output:
        axis="results/robustness/{session}/other_rules_axis.parquet",
        bursts="results/robustness/{session}/burst_calls.parquet",
    log:
        "logs/robustness_session/{session}.log",
    benchmark:
        "benchmarks/robustness_session/{session}.tsv"
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb(2000),
        runtime=runtime(30),
    params:
        screening=stage_config(config["screening"], ScreeningParams),
        axis=stage_config(config["axis"], AxisParams),
        reactivation=stage_config(config["reactivation"], ReactivationParams),
        bursts=BURST_GRID,
    script:
        "../scripts/robustness_session.py"


rule robustness_sweep:
    """The specification table (results/tables/robustness.tsv) and the specification curve: each
    claim's estimate under every combination of responsiveness rule, axis-tuning threshold, axis
    tuning beyond category (and its rule), reactivation rule (and poisson_burst's burst parameters),
    imagery population, the models' random effects and explainable-variance floor, the default marked."""
    input:
        units=rules.population.output.units,
        imagery_units=rules.imagery_population.output.units,
        imagery_objects=rules.imagery_population.output.objects,
        other_axis=expand(rules.robustness_session.output.axis, session=SESSION_ORDER),
        bursts=expand(rules.robustness_session.output.bursts, session=SESSION_ORDER),
    output:
        table=report("results/tables/robustness.tsv", caption="../report/robustness.rst", category="Robustness"),
        figure=report("results/figures/robustness.png", caption="../report/robustness.rst", category="Robustness"),
    log:
        "logs/robustness_sweep.log",
    conda:
        "../envs/report.yaml"
    params:
        grid=config["robustness"],
        default=dict(
            responsive_rule=config["screening"]["responsive_rule"],
            min_significant=config["axis"]["min_significant"],
            beyond_category=False,
            within_category_rule=config["axis"]["within_category_rule"],
            reactivation_rule=config["reactivation"]["rule"],
            population=config["imagery"]["population"],
            min_explainable=config["axis"]["min_explainable"],
        ),
        alpha=config["axis"]["alpha"],
        n_repeats=config["axis"]["n_repeats"],
        models={m: config["models"][m] for m in ("M1", "M2") if m in config["models"]},
        optimizers=config["models"]["optimizers"],
        configured_bursts=(
            config["reactivation"]["bursts"]["min_isis"],
            config["reactivation"]["bursts"]["significance"],
            config["reactivation"]["min_burst_trials"],
        ),
        simulated=SIMULATED,
    script:
        "../scripts/robustness.py"


rule robustness:
    """`snakemake robustness`: just the robustness sweep (and what it reads, and its table's view for the report)."""
    input:
        with_views(rules.robustness_sweep.output),
