# Imagery: responses to cued imagery, reactivation, the imagery-vision relation, decoding of
# imagined objects, and the mixed-effects population models.


localrules:
    imagery_population,
    validate_imagery,


rule imagery_units:
    """Imagery responses, reactivation (three rules; the configured one decides) and correlations
    with the visual code of every unit of one session (empty for sessions without imagery)."""
    input:
        units="results/sessions/{session}/units.parquet",
        trials="results/sessions/{session}/trials.parquet",
        spikes="results/sessions/{session}/spikes.parquet",
        screening="results/screening/{session}/units.parquet",
        responses="results/screening/{session}/responses.parquet",
        axis="results/axis/{session}/units.parquet",
        object_space=OBJECT_SPACE,
    output:
        units="results/imagery/{session}/units.parquet",
        objects="results/imagery/{session}/objects.parquet",
        cues="results/imagery/{session}/cues.parquet",
    params:
        reactivation=config["reactivation"],
        n_shuffles=config["imagery"]["n_shuffles"],
        seed=config["imagery"]["seed"],
    resources:
        mem_mb=mem_mb(1000, 8),
        runtime=runtime(15, 0.5),
    log:
        "logs/imagery_units/{session}.log",
    benchmark:
        "benchmarks/imagery_units/{session}.tsv"
    conda:
        "../envs/stats.yaml"
    script:
        "../scripts/imagery_units.py"


rule imagery_decoding:
    """Decode one session's imagined objects: linear SVM within imagery (k-fold, k = number of
    objects, repeated; shuffled-label control), trained on viewing and tested on imagery, and
    identification from decoded object features (ridge, leave one object out)."""
    input:
        units="results/sessions/{session}/units.parquet",
        cues="results/imagery/{session}/cues.parquet",
        screening="results/screening/{session}/units.parquet",
        counts="results/screening/{session}/trial_counts.parquet",
        axis="results/axis/{session}/units.parquet",
        object_space=OBJECT_SPACE,
    output:
        "results/imagery/{session}/decoding.tsv",
    params:
        units=config["imagery"]["decoding_units"],
        repeats=config["imagery"]["decoding_repeats"],
        seed=config["imagery"]["seed"],
    resources:
        mem_mb=mem_mb(1000),
        runtime=runtime(15),
    log:
        "logs/imagery_decoding/{session}.log",
    conda:
        "../envs/stats.yaml"
    script:
        "../scripts/imagery_decoding.py"


rule imagery_population:
    """The cohort's imagery tables (per unit; per unit and object in the documented summary schema),
    decoding by session, and whether imagery follows the preferred rather than the orthogonal axis."""
    input:
        units="results/tables/units.parquet",
        imagery_units=expand("results/imagery/{session}/units.parquet", session=sorted(SESSIONS)),
        imagery_objects=expand("results/imagery/{session}/objects.parquet", session=sorted(SESSIONS)),
        decoding=expand("results/imagery/{session}/decoding.tsv", session=sorted(SESSIONS)),
    output:
        units="results/tables/imagery_units.parquet",
        objects="results/tables/imagery_objects.parquet",
        decoding=report("results/tables/imagery_decoding.tsv", caption="../report/imagery_decoding.rst",
                        category="Imagery"),
        follows=report("results/tables/imagery_follows_axis.tsv", caption="../report/imagery_follows_axis.rst",
                       category="Imagery"),
    log:
        "logs/imagery_population.log",
    conda:
        "../envs/stats.yaml"
    script:
        "../scripts/imagery_population.py"


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
        model="M1|M2|M3|M4",
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


rule validate_imagery:
    """SIMULATED data only: reactivation calls of each rule against the planted reactivation, and
    M1's estimate of the planted preferred-axis effect."""
    input:
        imagery="results/tables/imagery_units.parquet",
        truth=f"{SYNTH_DIR}/truth/units.parquet",
        m1="results/models/M1.tsv",
        m1_record="results/models/M1.json",
    output:
        report("results/validation/imagery.tsv", caption="../report/validate_imagery.rst",
               category="Validation (simulated)"),
    log:
        "logs/validate_imagery.log",
    conda:
        "../envs/stats.yaml"
    script:
        "../scripts/validate_imagery.py"


rule validate_imagery_null:
    """SIMULATED cohorts without reactivation, one per seed, analysed in memory with the workflow's
    functions: the reactivation call rate and M1's type-I error, against their nominal levels."""
    output:
        report("results/validation/imagery_null.tsv", caption="../report/validate_imagery_null.rst",
               category="Validation (simulated)"),
    params:
        profile=config["validation"]["null_profile"],
        seeds=[config["simulation"]["seed"] + k for k in range(1, config["validation"]["null_seeds"] + 1)],
        screening=config["screening"],
        axis={k: config["axis"][k] for k in AXIS_MODEL_KEYS},
        reactivation=config["reactivation"],
        alignment=config["alignment"],
        n_shuffles=config["imagery"]["n_shuffles"],
        m1=config["models"]["M1"],
        optimizers=config["models"]["optimizers"],
    resources:
        mem_mb=mem_mb(3000),
        runtime=runtime(60),
    log:
        "logs/validate_imagery_null.log",
    benchmark:
        "benchmarks/validate_imagery_null.tsv"
    conda:
        "../envs/stats.yaml"
    script:
        "../scripts/validate_imagery_null.py"
