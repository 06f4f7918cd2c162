# Report notebooks (papermill): per-session QC, the cohort summary and the paper's figures.
# Notebooks are light plotting jobs; on a cluster they run on the login node, as plotting should.


localrules:
    qc_session,
    summary,
    figure,


rule qc_session:
    """Per-session QC notebook: unit counts by area, rate and ISI distributions, example rasters."""
    input:
        notebook=NOTEBOOKS / "qc_session.ipynb",
        units="results/sessions/{session}/units.parquet",
        trials="results/sessions/{session}/trials.parquet",
        spikes="results/sessions/{session}/spikes.parquet",
    output:
        ipynb="results/qc/{session}.ipynb",
        html=report(
            "results/qc/{session}.html",
            caption="../report/qc_session.rst",
            category="Quality control",
            labels={"session": "{session}"},
        ),
    log:
        stdout="logs/qc_session/{session}.log",
        notebook="logs/qc_session/{session}.ipynb",
    conda:
        "../envs/report.yaml"
    resources:
        mem_mb=mem_mb(2000, 5),
        runtime=runtime(15),
    params:
        notebook=lambda wc, input: dict(
            session=wc.session,
            units=input.units,
            trials=input.trials,
            spikes=input.spikes,
            example_units=config["qc"]["example_units"],
        ),
        simulated=SIMULATED,
    script:
        "../scripts/run_notebook.py"


rule summary:
    """Cohort summary notebook: recorded units by session and area, and on simulated data the
    planted design beside the paper's numbers."""
    input:
        notebook=NOTEBOOKS / "summary.ipynb",
        units="results/tables/recorded_units.parquet",
        trials=expand("results/sessions/{session}/trials.parquet", session=sorted(SESSIONS)),
        truth=[f"{SYNTH_DIR}/truth/units.parquet"] if SIMULATED else [],
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
            units=input.units, trials=list(input.trials), truth=input.truth[0] if input.truth else ""
        ),
        simulated=SIMULATED,
    script:
        "../scripts/run_notebook.py"


FIGURE_INPUTS = {
    "fig_latency": dict(units="results/tables/units.parquet", funnel="results/tables/selection_funnel.tsv"),
    "fig_axis_code": dict(
        units="results/tables/units.parquet", responses="results/tables/responses.parquet", object_space=OBJECT_SPACE
    ),
    "fig_model_comparison": dict(
        units="results/tables/units.parquet", comparison="results/tables/model_comparison.tsv"
    ),
    "fig_decoding": dict(
        identification="results/tables/identification.tsv",
        reconstruction="results/tables/reconstruction.parquet",
        decoded="results/tables/decoded_features.parquet",
        object_space=OBJECT_SPACE,
    ),
    "fig_closed_loop": dict(closed_loop="results/tables/closed_loop.tsv"),
    "fig_imagery": dict(
        imagery_units="results/tables/imagery_units.parquet",
        imagery_objects="results/tables/imagery_objects.parquet",
        follows="results/tables/imagery_follows_axis.tsv",
        spikes=expand("results/sessions/{session}/spikes.parquet", session=sorted(SESSIONS)),
        trials=expand("results/sessions/{session}/trials.parquet", session=sorted(SESSIONS)),
    ),
    "fig_imagery_models": dict(
        decoding="results/tables/imagery_decoding.tsv",
        models=expand("results/models/{model}.tsv", model=MODELS),
        records=expand("results/models/{model}.json", model=MODELS),
    ),
}


FIGURE_PARAMS = {
    "fig_axis_code": dict(tuning_bins=config["axis"]["tuning_bins"], min_bin_images=config["axis"]["min_bin_images"]),
    "fig_imagery": dict(rule=config["reactivation"]["rule"]),
}


rule figure:
    """A paper figure as an executed notebook: latency and responsiveness, the axis code, model
    comparison, decoding and reconstruction, closed loop."""
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
        figure="|".join(FIGURE_INPUTS),
    conda:
        "../envs/report.yaml"
    resources:
        mem_mb=mem_mb(3000),
        runtime=runtime(20),
    params:
        notebook=lambda wc, input: {
            **{
                k: input[k] if isinstance(FIGURE_INPUTS[wc.figure][k], str) else list(input[k])
                for k in FIGURE_INPUTS[wc.figure]
            },
            **FIGURE_PARAMS.get(wc.figure, {}),
        },
        simulated=SIMULATED,
    script:
        "../scripts/run_notebook.py"
