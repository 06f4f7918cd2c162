# Report notebooks (papermill): per-session QC, the cohort summary and the paper's figures.
# Notebooks are light plotting jobs; on a cluster they run on the login node, as plotting should.


localrules:
    qc,
    summary,
    figure,
    figures,
    cohort_figure,
    claims,
    table_views,
    optional_table_view,


rule claims:
    """The claims scoreboard: each of the paper's claims, the paper's value, this run's estimate with
    its interval, the test and a verdict (reproduced / not reproduced / not testable on this input)."""
    input:
        funnel=rules.selection_funnel.output.cohort,
        funnel_patients=rules.selection_funnel.output.patients,
        model_comparison=rules.model_comparison.output[0],
        identification=rules.decoding.output.identification,
        reconstruction=rules.reconstruction.output[0],
        follows=rules.imagery_population.output.follows,
        m1=expand(rules.mixed_model.output.table, model="M1") if "M1" in MODELS else [],
        imagery_decoding=rules.imagery_population.output.decoding,
    output:
        report("results/tables/claims.tsv", caption="../report/claims.rst", category="0 Claims of the paper"),
    log:
        "logs/claims.log",
    conda:
        "../envs/stats.yaml"
    params:
        simulated=SIMULATED,
    script:
        "../scripts/claims.py"


rule qc:
    """Quality control of the cohort in one job: every session's QC page (units by area, rate and ISI
    distributions, example rasters), drawn in one process, and the cohort's QC notebook."""
    input:
        notebook=NOTEBOOKS / "qc.ipynb",
        units=expand(rules.nwb_to_tables.output.units, session=SESSION_ORDER),
        trials=expand(rules.nwb_to_tables.output.trials, session=SESSION_ORDER),
        spikes=expand(rules.nwb_to_tables.output.spikes, session=SESSION_ORDER),
    output:
        ipynb="results/qc/cohort.ipynb",
        html=report("results/qc/cohort.html", caption="../report/qc.rst", category="Quality control"),
        pages=[
            report(
                f"results/qc/{session}.html",
                caption="../report/qc_session.rst",
                category="Quality control",
                labels={"session": session},
            )
            for session in SESSION_ORDER
        ],
    log:
        stdout="logs/qc.log",
        notebook="logs/qc.ipynb",
    conda:
        "../envs/report.yaml"
    resources:
        mem_mb=mem_mb(2000, 5),
        runtime=runtime(30),
    params:
        sessions=SESSION_ORDER,
        example_units=config["qc"]["example_units"],
        isi_threshold_ms=config["qc"]["isi_threshold_ms"],
        simulated=SIMULATED,
    script:
        "../scripts/qc.py"


rule summary:
    """Cohort summary notebook: recorded units by session and area, on simulated data the planted
    design beside the paper's numbers, and with an object space the response statistics of the
    axis-tuned units beside the real recordings'."""
    input:
        notebook=NOTEBOOKS / "summary.ipynb",
        units=rules.recorded_units.output[0],
        trials=expand(rules.nwb_to_tables.output.trials, session=SESSION_ORDER),
        truth=[f"{SYNTH_DIR}/truth/units.parquet"] if SYNTHETIC_SOURCE else [],
        # without an object space there is no axis model, so no population or imagery tables
        population=[rules.population.output.units] if OBJECT_SPACE else [],
        responses=[rules.population.output.responses] if OBJECT_SPACE else [],
        imagery_objects=[rules.imagery_population.output.objects] if OBJECT_SPACE else [],
    output:
        ipynb="results/figures/summary.ipynb",
        html=report("results/figures/summary.html", caption="../report/summary.rst", category="Summary"),
    log:
        stdout="logs/summary/summary.log",
        notebook="logs/summary/summary.ipynb",
    conda:
        "../envs/report.yaml"
    resources:
        mem_mb=mem_mb(2000),
        runtime=runtime(15),
    params:
        notebook=lambda wc, input: dict(
            units=input.units,
            trials=list(input.trials),
            **{k: input[k][0] if input[k] else "" for k in ("truth", "population", "responses", "imagery_objects")},
        ),
        simulated=SIMULATED,
    script:
        "../scripts/run_notebook.py"


FIGURE_INPUTS = {
    "fig_latency": dict(units=rules.population.output.units, funnel=rules.selection_funnel.output[0]),
    "fig_axis_code": dict(
        units=rules.population.output.units, responses=rules.population.output.responses, object_space=OBJECT_SPACE
    ),
    "fig_model_comparison": dict(units=rules.population.output.units, comparison=rules.model_comparison.output[0]),
    "fig_decoding": dict(
        identification=rules.decoding.output.identification,
        reconstruction=rules.reconstruction.output[0],
        decoded=rules.decoding.output.decoded,
        object_space=OBJECT_SPACE,
    ),
    "fig_closed_loop": dict(closed_loop=rules.closed_loop.output[0]),
    "fig_imagery": dict(
        imagery_units=rules.imagery_population.output.units,
        imagery_objects=rules.imagery_population.output.objects,
        follows=rules.imagery_population.output.follows,
        spikes=expand(rules.nwb_to_tables.output.spikes, session=SESSION_ORDER),
        trials=expand(rules.nwb_to_tables.output.trials, session=SESSION_ORDER),
    ),
    # From a summary table (imagery_table): its models alone, no decoding, nothing of the cohort.
    "fig_imagery_models": dict(
        decoding=[] if config["imagery_table"] else rules.imagery_population.output.decoding,
        models=expand(rules.mixed_model.output.table, model=TABLE_MODELS if config["imagery_table"] else MODELS),
        records=expand(rules.mixed_model.output.record, model=TABLE_MODELS if config["imagery_table"] else MODELS),
    ),
}


FIGURE_PARAMS = {
    "fig_axis_code": dict(tuning_bins=config["axis"]["tuning_bins"], min_bin_images=config["axis"]["min_bin_images"]),
    "fig_imagery": dict(rule=config["reactivation"]["rule"]),
}


# The figures of the cohort are drawn together, in one kernel (rule figures), and each is put in its place
# in results/ and in the report by rule cohort_figure; the models figure keeps a job of its own (rule
# figure), as `snakemake from_summary_table` draws it from a summary table alone.
COHORT_FIGURES = [name for name in FIGURE_INPUTS if name != "fig_imagery_models"]


rule figures:
    """The paper's figures of the cohort as executed notebooks, one after the other in one kernel (a
    kernel and a notebook's imports cost about 3 s, more than most figures' drawing): latency and
    responsiveness, the axis code, model comparison, decoding and reconstruction, closed loop,
    imagery."""
    input:
        **{f"{name}__{k}": path for name in COHORT_FIGURES for k, path in FIGURE_INPUTS[name].items()},
        notebooks=[NOTEBOOKS / f"{name}.ipynb" for name in COHORT_FIGURES],
    output:
        ipynb=temp([f"results/figures/drawn/{name}.ipynb" for name in COHORT_FIGURES]),
        html=temp([f"results/figures/drawn/{name}.html" for name in COHORT_FIGURES]),
    log:
        stdout="logs/figures.log",
        notebooks=[f"logs/figure/{name}.ipynb" for name in COHORT_FIGURES],
    conda:
        "../envs/report.yaml"
    resources:
        mem_mb=mem_mb(3000),
        runtime=runtime(30),
    params:
        notebooks=lambda wc, input: [figure_parameters(name, input, f"{name}__") for name in COHORT_FIGURES],
        simulated=SIMULATED,
    script:
        "../scripts/figures.py"


rule cohort_figure:
    """A figure of the cohort (drawn by rule figures) in its place in results/ and in the report."""
    input:
        ipynb="results/figures/drawn/{figure}.ipynb",
        html="results/figures/drawn/{figure}.html",
    output:
        ipynb="results/figures/{figure}.ipynb",
        html=report(
            "results/figures/{figure}.html",
            caption="../report/figure.rst",
            category="Figures",
            labels={"figure": "{figure}"},
        ),
    log:
        "logs/cohort_figure/{figure}.log",
    wildcard_constraints:
        figure="|".join(COHORT_FIGURES),
    conda:
        "../envs/report.yaml"
    shell:
        "(cp {input.ipynb:q} {output.ipynb:q} && cp {input.html:q} {output.html:q}) 2> {log:q}"


rule figure:
    """The imagery models' figure as an executed notebook: decoding of imagined objects and the mixed
    models (from the cohort, or from a summary table alone)."""
    input:
        unpack(lambda wc: FIGURE_INPUTS[wc.figure]),
        notebook=lambda wc: NOTEBOOKS / f"{wc.figure}.ipynb",
    output:
        ipynb="results/figures/{figure}.ipynb",
        html=report(
            "results/figures/{figure}.html",
            caption="../report/figure.rst",
            category="Figures",
            labels={"figure": "{figure}"},
        ),
    log:
        stdout="logs/figure/{figure}.log",
        notebook="logs/figure/{figure}.ipynb",
    wildcard_constraints:
        figure="fig_imagery_models",
    conda:
        "../envs/report.yaml"
    resources:
        mem_mb=mem_mb(3000),
        runtime=runtime(20),
    params:
        notebook=lambda wc, input: figure_parameters(wc.figure, input),
        # the models figure of a summary table shows the user's data, not the simulated cohort's
        simulated=lambda wc: SIMULATED and not config["imagery_table"],
    script:
        "../scripts/run_notebook.py"


# Every results table of the analysis, viewable inside the report; the optional parts' tables get theirs
# from rule optional_table_view, so that building these views never builds those parts.
REPORT_TABLES = report_tables(core_targets())
OPTIONAL_TABLES = [
    name
    for name in report_tables([*rules.calibration.output, *rules.robustness_sweep.output])
    if name not in REPORT_TABLES
]


rule table_views:
    """Every results table of the run as an HTML page for the report (3 significant digits), so that
    each is viewable inside the report; the TSVs stay the results. One job for all: each is a small
    rendering."""
    input:
        [f"results/{name}.tsv" for name in REPORT_TABLES],
    output:
        [
            report(
                f"results/views/{name}.html",
                caption="../report/table_view.rst",
                category="Tables (viewable)",
                labels={"table": name},
            )
            for name in REPORT_TABLES
        ],
    log:
        "logs/table_views.log",
    conda:
        "../envs/report.yaml"
    params:
        names=REPORT_TABLES,
    script:
        "../scripts/table_views.py"


rule optional_table_view:
    """The HTML view of a results table of an optional part (the calibration suite, the robustness
    sweep), built with that part."""
    input:
        "results/{name}.tsv",
    output:
        report(
            "results/views/{name}.html",
            caption="../report/table_view.rst",
            category="Tables (viewable)",
            labels={"table": "{name}"},
        ),
    log:
        "logs/optional_table_view/{name}.log",
    wildcard_constraints:
        name="|".join(OPTIONAL_TABLES),
    conda:
        "../envs/report.yaml"
    params:
        names=lambda wildcards: [wildcards.name],
    script:
        "../scripts/table_views.py"


rule report_contents:
    """`snakemake --report results/report.html report_contents` (make run): the report of the default
    run and of the optional parts already built (`snakemake calibrate`, `snakemake robustness`)."""
    input:
        report_targets(),
