# Mixed-effects population models (statsmodels), one job per model named in the config.


rule mixed_model:
    """A mixed-effects population model: M1 imagery ~ preferred + orthogonal projection, M2 imagery
    ~ viewing, M3 normalised EV ~ model, M4 reactivated ~ unit covariates (units nested in patients),
    and the test term estimated in each patient alone."""
    input:
        table=config["imagery_table"] or rules.imagery_population.output.objects,
        units=rules.population.output.units,
        imagery=rules.imagery_population.output.units,
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
