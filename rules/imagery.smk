# Imagery: responses to cued imagery and reactivation (per session), decoding of imagined objects,
# and the cohort's imagery tables.


localrules:
    imagery_population,


rule imagery_units:
    """Imagery responses, reactivation (three rules; the configured one decides) and correlations
    with the visual code of every unit of one session with imagery trials (IMAGERY_SESSIONS)."""
    input:
        units=rules.nwb_to_tables.output.units,
        trials=rules.nwb_to_tables.output.trials,
        spikes=rules.nwb_to_tables.output.spikes,
        screening=rules.screening_units.output.units,
        responses=rules.screening_units.output.responses,
        axis=rules.axis_model.output[0],
        object_space=OBJECT_SPACE,
    output:
        units="results/imagery/{session}/units.parquet",
        objects="results/imagery/{session}/objects.parquet",
        cues="results/imagery/{session}/cues.parquet",
    log:
        "logs/imagery_units/{session}.log",
    benchmark:
        "benchmarks/imagery_units/{session}.tsv"
    conda:
        "../envs/stats.yaml"
    resources:
        mem_mb=mem_mb(1000, 8),
        runtime=runtime(15, 0.5),
    params:
        reactivation=stage_config(config["reactivation"], ReactivationParams),
        imagery=stage_config(config["imagery"], ImageryParams),
    script:
        "../scripts/imagery_units.py"


rule imagery_decoding:
    """Decode one session's imagined objects: linear SVM within imagery (leave one recall trial
    out, or the authors' stratified k-fold), trained on viewing and tested on imagery, each with a
    permutation test whose null permutes the pairs over recall trials; and identification from
    decoded object features (ridge, leave one object out)."""
    input:
        units=rules.nwb_to_tables.output.units,
        trials=rules.nwb_to_tables.output.trials,
        cues=rules.imagery_units.output.cues,
        screening=rules.screening_units.output.units,
        counts=rules.screening_units.output.counts,
        axis=rules.axis_model.output[0],
        object_space=OBJECT_SPACE,
    output:
        "results/imagery/{session}/decoding.tsv",
    log:
        "logs/imagery_decoding/{session}.log",
    conda:
        "../envs/stats.yaml"
    resources:
        mem_mb=mem_mb(1000),
        runtime=runtime(15),
    params:
        simulated=SIMULATED,
        imagery=stage_config(config["imagery"], ImageryDecodingParams),
    script:
        "../scripts/imagery_decoding.py"


rule imagery_population:
    """The cohort's imagery tables (per unit; per unit and object in the documented summary schema),
    decoding by session, and whether imagery follows the preferred rather than the orthogonal axis."""
    input:
        units=rules.population.output.units,
        imagery_units=expand(rules.imagery_units.output.units, session=IMAGERY_SESSIONS),
        imagery_objects=expand(rules.imagery_units.output.objects, session=IMAGERY_SESSIONS),
        decoding=expand(rules.imagery_decoding.output[0], session=IMAGERY_SESSIONS),
    output:
        units="results/tables/imagery_units.parquet",
        objects="results/tables/imagery_objects.parquet",
        decoding=report(
            "results/tables/imagery_decoding.tsv", caption="../report/imagery_decoding.rst", category="Imagery"
        ),
        follows=report(
            "results/tables/imagery_follows_axis.tsv", caption="../report/imagery_follows_axis.rst", category="Imagery"
        ),
    log:
        "logs/imagery_population.log",
    conda:
        "../envs/stats.yaml"
    params:
        simulated=SIMULATED,
        imagery=stage_config(config["imagery"], VisualCodeParams),
    script:
        "../scripts/imagery_population.py"
