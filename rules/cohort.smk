# Cohort perception analyses: the unit tables, the selection funnel, model comparison, decoding,
# reconstruction and the closed loop.


localrules:
    recorded_units,
    population,
    selection_funnel,
    model_comparison,
    closed_loop,


rule recorded_units:
    """Stack every session's unit table into one cohort table of recorded units."""
    input:
        expand(rules.nwb_to_tables.output.units, session=SESSION_ORDER),
    output:
        "results/tables/recorded_units.parquet",
    log:
        "logs/recorded_units.log",
    conda:
        "../envs/nwb.yaml"
    script:
        "../scripts/recorded_units.py"


rule population:
    """One table of every unit (recording, screening and axis-model columns), and the responses of
    responsive units."""
    input:
        recorded=rules.recorded_units.output[0],
        screening=expand(rules.screening_units.output.units, session=SESSION_ORDER),
        responses=expand(rules.screening_units.output.responses, session=SESSION_ORDER),
        axis=expand(rules.axis_model.output[0], session=SESSION_ORDER),
    output:
        units="results/tables/units.parquet",
        responses="results/tables/responses.parquet",
    log:
        "logs/population.log",
    conda:
        "../envs/stats.yaml"
    script:
        "../scripts/population.py"


rule selection_funnel:
    """Units left at each step, recorded -> VTC -> responsive -> axis-tuned -> in imagery sessions
    -> reactivated, beside the paper's 714 / 456 / 367 / 107 / 43; and each patient's counts."""
    input:
        units=rules.population.output.units,
        imagery="results/tables/imagery_units.parquet",
    output:
        cohort=report(
            "results/tables/selection_funnel.tsv", caption="../report/selection_funnel.rst", category="Perception"
        ),
        patients="results/tables/selection_funnel_patients.tsv",
    log:
        "logs/selection_funnel.log",
    conda:
        "../envs/stats.yaml"
    params:
        simulated=SIMULATED,
    script:
        "../scripts/selection_funnel.py"


rule model_comparison:
    """Normalised EV of the axis, category and exemplar models, and the tests between them."""
    input:
        units=rules.population.output.units,
    output:
        report("results/tables/model_comparison.tsv", caption="../report/model_comparison.rst", category="Perception"),
    log:
        "logs/model_comparison.log",
    conda:
        "../envs/stats.yaml"
    params:
        simulated=SIMULATED,
    script:
        "../scripts/model_comparison.py"


rule decoding:
    """Leave-one-out decoding of the object features from the axis-tuned pseudo-population (units
    called axis-tuned without the decoded images, in folds), and identification of each object among
    1..k random distractors."""
    input:
        units=rules.population.output.units,
        responses=rules.population.output.responses,
        object_space=OBJECT_SPACE,
    output:
        decoded="results/tables/decoded_features.parquet",
        identification=report(
            "results/tables/identification.tsv", caption="../report/identification.rst", category="Perception"
        ),
    log:
        "logs/decoding.log",
    benchmark:
        "benchmarks/decoding.tsv"
    conda:
        "../envs/stats.yaml"
    threads: 2
    resources:
        mem_mb=mem_mb(2000),
        runtime=runtime(15),
    params:
        simulated=SIMULATED,
        decoding=stage_config(config["decoding"], DecodingParams),
        axis_test=stage_config(config["axis"], AxisTestParams),
    script:
        "../scripts/decoding.py"


rule reconstruction:
    """Reconstruction of each object as the database object nearest its decoded features, scored by
    normalised distance."""
    input:
        decoded=rules.decoding.output.decoded,
        object_space=OBJECT_SPACE,
    output:
        "results/tables/reconstruction.parquet",
    log:
        "logs/reconstruction.log",
    conda:
        "../envs/stats.yaml"
    resources:
        mem_mb=mem_mb(2000),
        runtime=runtime(10),
    params:
        min_distance=config["decoding"]["database_min_distance"],
    script:
        "../scripts/reconstruction.py"


rule closed_loop:
    """Responses of axis-tuned units to the synthetic stimuli stepped along the preferred and
    orthogonal axes in closed-loop sessions."""
    input:
        units=rules.population.output.units,
        responses=rules.population.output.responses,
        object_space=OBJECT_SPACE,
    output:
        report("results/tables/closed_loop.tsv", caption="../report/closed_loop.rst", category="Perception"),
    log:
        "logs/closed_loop.log",
    conda:
        "../envs/stats.yaml"
    params:
        simulated=SIMULATED,
        min_axis_cosine=config["closed_loop"]["min_axis_cosine"],
    script:
        "../scripts/closed_loop.py"
