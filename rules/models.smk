# Mixed-effects population models (statsmodels), one job per model named in the config.


rule mixed_model:
    """A mixed-effects population model: M1 imagery ~ preferred + orthogonal projection, M2 imagery
    ~ viewing, M3 normalised EV ~ model, M4 reactivated ~ unit covariates (units nested in patients)."""
    input:
        table=config["imagery_table"] or "results/tables/imagery_objects.parquet",
        units="results/tables/units.parquet",
        imagery="results/tables/imagery_units.parquet",
    output:
        table=report("results/models/{model}.tsv", caption="../report/mixed_model.rst", category="Mixed models",
                     labels={"model": "{model}"}),
        record="results/models/{model}.json",
    wildcard_constraints:
        model="|".join(MODELS),
    params:
        spec=lambda wc: config["models"][wc.model],
        optimizers=config["models"]["optimizers"],
        population=config["imagery"]["population"],
        simulated=SIMULATED and not config["imagery_table"],
    threads: 1
    resources:
        mem_mb=mem_mb(2000),
        runtime=runtime(20),
    log:
        "logs/mixed_model/{model}.log",
    benchmark:
        "benchmarks/mixed_model/{model}.tsv"
    conda:
        "../envs/stats.yaml"
    script:
        "../scripts/mixed_model.py"
