# Config validation, the session list, and helpers shared by the rule files.
import functools
import os
from pathlib import Path

from vtc_imagery.claims import landing_page_rows
from vtc_imagery.config import load_schema, validate_config
from vtc_imagery.errors import ConfigError, InputDataError
from vtc_imagery.imagery import ImageryParams, VisualCodeParams
from vtc_imagery.imagery_decoding import ImageryDecodingParams
from vtc_imagery.models import MODEL_INPUTS
from vtc_imagery.params import stage_config  # each stage gets only the config keys its parameter object has
from vtc_imagery.perception import AxisParams, AxisTestParams, DecodingParams
from vtc_imagery.provenance import provenance
from vtc_imagery.report import funnel_landing_rows
from vtc_imagery.reactivation import ReactivationParams
from vtc_imagery.screening import ScreeningParams
from vtc_imagery.sessions import imagery_sessions, local_sources, natural_order, session_inputs, synthetic_sessions

# The workflow's own files are found from this file's location, never from the working directory
# or the including Snakefile's: the workflow also runs as a `module` of another workflow.
WORKFLOW_DIR = Path(workflow.current_basedir).parent
# relative to the working directory, so that no absolute path of the build machine reaches the report
NOTEBOOKS = Path(os.path.relpath(WORKFLOW_DIR / "notebooks"))

try:
    config.update(validate_config(config, load_schema(WORKFLOW_DIR / "schemas/config.schema.yaml")))
    # session name -> NWB path (relative to the working directory), known before any rule runs
    SESSIONS = session_inputs(config)
    LOCAL_SOURCES = local_sources(config) if config["source"] == "local" else {}
except (ConfigError, InputDataError) as exc:
    raise WorkflowError(str(exc)) from None
SESSION_ORDER = natural_order(SESSIONS)  # sub-2 before sub-10, in every table and list
# the sessions the imagery stages run for (the others have no imagery trials)
IMAGERY_SESSIONS = natural_order(imagery_sessions(config, SESSIONS, LOCAL_SOURCES))

# Shown on the report's landing page (report/workflow.rst); not a setting, so added after validation.
config["_provenance"] = provenance(WORKFLOW_DIR)
# Results are labelled SIMULATED when the data are: the virtual cohort, or files that say they are
# simulated (the virtual cohort's files run as source local, say), whatever the source.
SYNTHETIC_SESSIONS = [] if config["source"] == "synthetic" else synthetic_sessions(SESSIONS, LOCAL_SOURCES)
if SYNTHETIC_SESSIONS:
    logger.warning(
        f"{len(SYNTHETIC_SESSIONS)} NWB file(s) mark themselves as synthetic (e.g. {SYNTHETIC_SESSIONS[0]}): "
        "every result of this run is labelled SIMULATED."
    )
SYNTHETIC_SOURCE = config["source"] == "synthetic"  # the virtual cohort: simulated here, truth tables beside it
SIMULATED = SYNTHETIC_SOURCE or bool(SYNTHETIC_SESSIONS)
config["_simulated"] = SIMULATED  # for the report's captions, like _provenance
# The claims scoreboard on the report's landing page: read when the report is made after the run
# (empty while a run is planned, before the table exists).
config["_claims"] = landing_page_rows("results/tables/claims.tsv")
config["_funnel"] = funnel_landing_rows("results/tables/selection_funnel.tsv")
SYNTH_DIR = f"data/synthetic/{config['simulation']['profile']}"
_dandi = config["dandi"]
DANDI_DIR = f"data/dandi/{_dandi['dandiset_id']}/{_dandi['version']}" if _dandi["dandiset_id"] else "data/dandi/unset"
OBJECT_SPACE = f"{SYNTH_DIR}/object_space.h5" if SYNTHETIC_SOURCE else config["object_space"]
# The mixed-effects models are the mappings under `models:` (the other keys are fit settings).
MODELS = [name for name, spec in config["models"].items() if isinstance(spec, dict)]
# The models a per-neuron summary table (imagery_table) supports: those fitted to the per-object imagery data.
TABLE_MODELS = [m for m in MODELS if config["models"][m]["data"] == "imagery_objects"]


def mem_mb(base, per_input_mb=0.0):
    """Memory request (MB): base plus a multiple of the input size, doubled on each retry."""
    return lambda wildcards, input, attempt: int((base + per_input_mb * input.size_mb) * 2 ** (attempt - 1))


def runtime(base, per_input_mb=0.0):
    """Time request (minutes): base plus a multiple of the input size, doubled on each retry."""
    return lambda wildcards, input, attempt: int((base + per_input_mb * input.size_mb) * 2 ** (attempt - 1))


wildcard_constraints:
    session="|".join(sorted(SESSIONS)),


@functools.cache  # called for the rule all and for the table views; its warnings once
def core_targets():
    """The analysis: per-session tables and QC, the perception tables and figures, the summary, and on
    simulated data the validation against the truth. For a dandiset without a frozen manifest, the
    manifest alone (commit it, then run again)."""
    if config["source"] == "dandi" and not SESSIONS:
        logger.warning(
            f"No DANDI manifest at {config['dandi']['manifest']}: this run only resolves it. "
            "Review and commit it, then run again to download and analyse the sessions."
        )
        return (config["dandi"]["manifest"],)
    targets = [
        *expand(
            "results/sessions/{session}/{table}.parquet", session=SESSION_ORDER, table=["units", "trials", "spikes"]
        ),
        rules.qc.output.html,
        *rules.qc.output.pages,
        rules.summary.output.html,
    ]
    if not OBJECT_SPACE:
        logger.warning("No object space (config key 'object_space'): only the NWB tables and QC are built.")
        return tuple(targets)
    targets += [
        *rules.selection_funnel.output,
        rules.model_comparison.output[0],
        rules.decoding.output.identification,
        rules.reconstruction.output[0],
        rules.closed_loop.output[0],
        rules.imagery_population.output.follows,
        rules.imagery_population.output.decoding,
        *expand(rules.mixed_model.output.table, model=MODELS),
        *rules.imagery_correlations.output,
        rules.claims.output[0],
        *expand(rules.figure.output.html, figure=FIGURE_INPUTS),
    ]
    if SYNTHETIC_SOURCE:
        targets += [
            rules.validate_perception.output[0],
            rules.validate_imagery.output[0],
            rules.validate_funnel.output[0],
        ]
    return tuple(targets)


def with_views(targets):
    """`targets` and the HTML view of each results table among them (rules table_views, optional_table_view)."""
    targets = list(targets)
    return targets + [f"results/views/{name}.html" for name in report_tables(targets)]


def optional_parts():
    """The parts that cost more than the rest of the run: (built by the default run?, their outputs
    with the views of their tables). The calibration suite is simulated whatever the source; the
    robustness sweep needs an object space. `snakemake calibrate` and `snakemake robustness` build them."""
    parts = [(config["calibration"]["enabled"], with_views(rules.calibration.output))]
    if OBJECT_SPACE:
        parts.append((config["robustness"]["enabled"], with_views(rules.robustness_sweep.output)))
    return parts


def final_targets():
    """The default run: the analysis (core_targets), the optional parts the config enables, and the
    HTML view of each results table."""
    if config["source"] == "dandi" and not SESSIONS:
        return list(core_targets())
    return with_views(core_targets()) + [p for enabled, outputs in optional_parts() if enabled for p in outputs]


def report_targets():
    """What the report shows (for rule report_contents). The default run, and each optional part that is
    already built."""
    built = [
        p for enabled, outputs in optional_parts() if not enabled and all(map(os.path.exists, outputs)) for p in outputs
    ]
    return final_targets() + built


def report_tables(targets):
    """The results tables among `targets`, as paths under results/ without .tsv (rule table_views)."""
    paths = [str(t) for t in targets]
    return [
        p.removeprefix("results/").removesuffix(".tsv")
        for p in paths
        if p.startswith("results/") and p.endswith(".tsv")
    ]


def imagery_objects_table():
    """The per-object imagery table: the user's summary table (imagery_table) when given, else the
    cohort's (call it from rules defined after rule imagery_population)."""
    return config["imagery_table"] or rules.imagery_population.output.objects


def model_input(wildcards):
    """The rule input (MODEL_INPUTS) that the mixed model's `data` kind is built from."""
    name = MODEL_INPUTS[config["models"][wildcards.model]["data"]]
    tables = {
        "table": imagery_objects_table,
        "units": lambda: rules.population.output.units,
        "imagery": lambda: rules.imagery_population.output.units,
    }
    return {name: tables[name]()}


def figure_parameters(name, input, prefix=""):
    """The parameters of figure `name`'s notebook: its inputs (FIGURE_INPUTS, named with `prefix` in
    the rule's input) and FIGURE_PARAMS (both in rules/report.smk)."""
    inputs = FIGURE_INPUTS[name]
    return {
        **{k: input[prefix + k] if isinstance(inputs[k], str) else list(input[prefix + k]) for k in inputs},
        **FIGURE_PARAMS.get(name, {}),
    }
