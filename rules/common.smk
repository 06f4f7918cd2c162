# Config validation, the session list, and helpers shared by the rule files.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from vtc_imagery.config import load_schema, validate_config
from vtc_imagery.errors import ConfigError, InputDataError
from vtc_imagery.sessions import local_sources, session_inputs

try:
    config.update(validate_config(config, load_schema(Path(workflow.basedir) / "schemas/config.schema.yaml")))
    # session name -> NWB path (relative to the working directory), known before any rule runs
    SESSIONS = session_inputs(config)
    LOCAL_SOURCES = local_sources(config) if config["source"] == "local" else {}
except (ConfigError, InputDataError) as exc:
    raise WorkflowError(str(exc)) from None

SIMULATED = config["source"] == "synthetic"
SYNTH_DIR = f"data/synthetic/{config['simulation']['profile']}"
_dandi = config["dandi"]
DANDI_DIR = f"data/dandi/{_dandi['dandiset_id']}/{_dandi['version']}" if _dandi["dandiset_id"] else "data/dandi/unset"
NOTEBOOKS = Path(workflow.basedir) / "notebooks"
SRC_DIR = str(Path(workflow.basedir) / "src")


wildcard_constraints:
    session="|".join(sorted(SESSIONS)),


def final_targets():
    """The default run's outputs: tables and QC per session, and the summary notebook. For a
    dandiset without a frozen manifest, the manifest alone (commit it, then run again)."""
    if config["source"] == "dandi" and not SESSIONS:
        logger.warning(f"No DANDI manifest at {config['dandi']['manifest']}: this run only resolves it. "
                       "Review and commit it, then run again to download and analyse the sessions.")
        return [config["dandi"]["manifest"]]
    return [
        *expand("results/sessions/{session}/{table}.parquet", session=sorted(SESSIONS),
                table=["units", "trials", "spikes"]),
        *expand("results/qc/{session}.html", session=sorted(SESSIONS)),
        "results/figures/summary.html",
    ]
