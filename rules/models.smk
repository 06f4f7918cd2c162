# Mixed-effects population models (statsmodels), one job per model named in the config, and the
# per-neuron correlations of imagery with perception.


localrules:
    imagery_correlations,
    from_summary_table,


rule mixed_model:
    """A mixed-effects population model: M1 imagery ~ preferred + orthogonal projection, M2 imagery
    ~ viewing, M3 normalised EV ~ model, M4 reactivated ~ unit covariates (units nested in patients),
    and the test term estimated in each patient alone."""
    input:
        # only the table the model's data come from: with imagery_table set, M1 and M2 need nothing
        # of the simulated cohort
        unpack(model_input),
    output:
        table=report(
            "results/models/{model}.tsv",
            caption="../report/mixed_model.rst",
            category="Mixed models",
            labels={"model": "{model}"},
        ),
        record="results/models/{model}.json",
        patients="results/models/{model}_patients.tsv",
    log:
        "logs/mixed_model/{model}.log",
    benchmark:
        "benchmarks/mixed_model/{model}.tsv"
    wildcard_constraints:
        model="|".join(MODELS),
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb(2000),
        runtime=runtime(20),
    params:
        spec=lambda wc: config["models"][wc.model],
        optimizers=config["models"]["optimizers"],
        population=config["imagery"]["population"],
        simulated=SIMULATED and not config["imagery_table"],
    script:
        "../scripts/mixed_model.py"


rule imagery_correlations:
    """Does each neuron's imagery follow its perception: per neuron, the Spearman correlation over its
    imagined objects of imagery rate with viewing and with encoding rate; how many are positive and
    the pooled correlation; a figure. From imagery_table when given (nothing of the simulated cohort
    runs), else the cohort's imagery population (imagery.population)."""
    input:
        table=imagery_objects_table(),
    output:
        neurons=report(
            "results/tables/imagery_correlations.tsv",
            caption="../report/imagery_correlations.rst",
            category="Imagery",
        ),
        summary=report(
            "results/tables/imagery_correlations_summary.tsv",
            caption="../report/imagery_correlations.rst",
            category="Imagery",
        ),
        figure=report(
            "results/figures/imagery_correlations.png",
            caption="../report/imagery_correlations.rst",
            category="Imagery",
        ),
    log:
        "logs/imagery_correlations.log",
    conda:
        "../envs/report.yaml"
    params:
        population=config["imagery"]["population"],
        simulated=SIMULATED and not config["imagery_table"],
    script:
        "../scripts/imagery_correlations.py"


rule from_summary_table:
    """`snakemake from_summary_table --config imagery_table=<table>`: the imagery models that a per-neuron
    summary table supports (M1, which needs its projection columns, and M2), their figure and the
    imagery correlations, from the table alone."""
    input:
        expand(rules.mixed_model.output.table, model=TABLE_MODELS),
        rules.imagery_correlations.output,
        "results/figures/fig_imagery_models.html",
