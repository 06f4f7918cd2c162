# Robustness sweep: every headline statistic under each combination of the analysis choices it
# depends on, from the run's unit tables (each choice is a selection over calls already made).


localrules:
    robustness_sweep,
    robustness,


rule robustness_sweep:
    """The specification table (results/tables/robustness.tsv) and the specification curve: each
    claim's estimate under every combination of responsiveness rule, axis-tuning threshold, axis
    tuning beyond category (and its rule), reactivation rule, imagery population, the models' random
    effects and explainable-variance floor, the default marked."""
    input:
        units=rules.population.output.units,
        imagery_units=rules.imagery_population.output.units,
        imagery_objects=rules.imagery_population.output.objects,
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
        simulated=SIMULATED,
    script:
        "../scripts/robustness.py"


rule robustness:
    """`snakemake robustness`: just the robustness sweep (and what it reads)."""
    input:
        rules.robustness_sweep.output,
