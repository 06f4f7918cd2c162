"""The fault matrix: each way an input, a config or the machine can go wrong, built on purpose, and
its exact outcome - one message naming the file, key or row and no partial output, or an explicit
"not available" result, and recovery where there is something to recover from.

In-process where the behaviour is the library's; through the Snakemake CLI (marked `workflow`)
only where it is Snakemake's: the default target on a screening-only cohort, retries, missing
files named at parse time, kill -9 and rerun.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, SEED

from vtc_imagery import dandi
from vtc_imagery.config import load_schema, validate_config
from vtc_imagery.errors import ConfigError, InputDataError
from vtc_imagery.imagery import imagery_availability, population_tables
from vtc_imagery.io import NOT_AVAILABLE, unavailable_reason
from vtc_imagery.models import fit_binomial_mixed, model_data, model_outputs
from vtc_imagery.nwb.read import marks_itself_synthetic, read_session
from vtc_imagery.nwb.write import write_session_nwb
from vtc_imagery.objects import StimulusIds, read_object_space, stimulus_ids
from vtc_imagery.perception import selection_funnel
from vtc_imagery.pipeline import AnalysisParams, analyse_session
from vtc_imagery.screening import screen_session
from vtc_imagery.simulate.session import session_record, simulate_session
from vtc_imagery.tables import session_tables

SCREENING, CLOSED_LOOP, IMAGERY = "sub-1_ses-1", "sub-1_ses-2", "sub-2_ses-2"
# Small enough that a cohort runs in seconds; calls change, which no fault case here depends on.
CHEAP = {"axis": {"n_shuffles": 20, "n_repeats": 5, "min_significant": 4, "explainable_splits": 50,
                  "consistency_splits": 10},
         "decoding": {"draws": 20, "selection_repeats": 2},
         "imagery": {"n_shuffles": 20, "decoding_repeats": 2, "decoding_permutations": 5}}


@pytest.fixture(scope="module")
def schema():
    return load_schema(REPO / "schemas/config.schema.yaml")


@pytest.fixture(scope="module")
def params(schema) -> AnalysisParams:
    return AnalysisParams.from_config(validate_config(CHEAP, schema))


@pytest.fixture(scope="module")
def stimuli(ci_cohort) -> StimulusIds:
    return stimulus_ids(ci_cohort / "object_space.h5")


def _copy(session_paths: dict, session: str, folder: Path) -> Path:
    """A copy of one session's file under `folder`, in the cohort's sub-<N>/ layout."""
    source = session_paths[session]
    target = folder / source.parent.name / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)
    return target


def _overwrite(path: Path, offset: int, n_bytes: int, seed: int = 0) -> None:
    """Write `n_bytes` random bytes at `offset` of the file, as a disk or transfer fault would."""
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(np.random.default_rng(seed).bytes(n_bytes))


def _data_extent(path: Path, dataset: str) -> tuple[int, int]:
    """(byte offset, byte size) of a dataset's raw data in the file (contiguous or one chunk)."""
    with h5py.File(path, "r") as f:
        ds = f[dataset]
        offset = ds.id.get_offset()
        if offset is None:
            info = ds.id.get_chunk_info(0)
            return int(info.byte_offset), int(info.size)
        return int(offset), int(ds.id.get_storage_size())


def _replace_dataset(path: Path, name: str, data: np.ndarray) -> None:
    """Replace a dataset's values (any length), keeping its attributes."""
    with h5py.File(path, "r+") as f:
        attrs = dict(f[name].attrs)
        del f[name]
        ds = f.create_dataset(name, data=data)
        for k, v in attrs.items():
            ds.attrs[k] = v


def _message(exc_info) -> str:
    message = str(exc_info.value)
    assert "\n" not in message  # one message, one line
    return message


# --- corrupt or incomplete NWB files -------------------------------------------------------------

def test_random_bytes_in_the_middle_of_the_spike_data_are_refused_naming_file_table_and_row(session_paths,
                                                                                             tmp_path):
    path = _copy(session_paths, SCREENING, tmp_path)
    offset, size = _data_extent(path, "units/spike_times")
    _overwrite(path, offset + size // 2 - 2048, 4096)  # the repro: 4 KB in the middle of the file's spikes
    with pytest.raises(InputDataError) as err:
        read_session(path)
    message = _message(err)
    assert message.startswith(f"{path}: units table, row ") and "spike_times[" in message
    assert "corrupt spike data?" in message


def test_random_bytes_in_the_file_metadata_make_it_unreadable_named(session_paths, tmp_path):
    path = _copy(session_paths, SCREENING, tmp_path)
    with h5py.File(path, "r") as f:
        header = h5py.h5o.get_info(f["intervals/trials"].id).addr  # the trials group's object header
    _overwrite(path, header, 512)
    with pytest.raises(InputDataError) as err:
        read_session(path)
    assert _message(err).startswith(f"{path}: cannot be read as an NWB file")


def test_a_truncated_file_is_named(session_paths, tmp_path):
    source = session_paths[SCREENING]
    path = tmp_path / "truncated.nwb"
    path.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    with pytest.raises(InputDataError) as err:
        read_session(path)
    assert _message(err).startswith(f"{path}: cannot be read as an NWB file")


@pytest.mark.parametrize("fault, expected", [
    ("negative spike", "units table, row 2: spike_times[0] = -1.0 lies outside the recording"),
    ("spike after the recording", "units table, row 2: spike_times[0] = 100000.0 lies outside the recording"),
    ("spike not a number", "units table, row 2: spike_times[0] = nan is not a finite number"),
    ("spikes out of order", "units table, row 2: spike_times[1]"),
    ("trial stops before it starts", "trials table, row 4: start_time"),
    ("trials out of order", "trials table, row 5:"),
    ("unknown phase", "trials table, row 3: stim_phase 'recall' is not one of"),
    ("unknown object", "trials table, row 0: stim_id 9999 (screening trial) is not among the object space's"),
])
def test_values_that_cannot_be_recordings_are_refused_naming_table_and_row(session_paths, tmp_path, stimuli, fault,
                                                                           expected):
    path = _copy(session_paths, SCREENING, tmp_path)
    with h5py.File(path, "r+") as f:
        spikes, ends = f["units/spike_times"], f["units/spike_times_index"][:]
        first = int(ends[1])  # unit (row) 2's first spike
        trials = f["intervals/trials"]
        if fault == "negative spike":
            spikes[first] = -1.0
        elif fault == "spike after the recording":
            spikes[first] = 1e5
        elif fault == "spike not a number":
            spikes[first] = np.nan
        elif fault == "spikes out of order":
            spikes[first + 1] = spikes[first] - 0.001
        elif fault == "trial stops before it starts":
            trials["stop_time"][4] = trials["start_time"][4] - 1.0
        elif fault == "trials out of order":
            trials["start_time"][5] = trials["start_time"][4] - 1.0
        elif fault == "unknown object":
            trials["stim_id"][0] = 9999
    if fault == "unknown phase":
        phases = h5py.File(path, "r")["intervals/trials/stim_phase"][:].astype(str)
        phases[3] = "recall"
        _replace_dataset(path, "intervals/trials/stim_phase", phases.astype(h5py.string_dtype()))
    with pytest.raises(InputDataError) as err:
        read_session(path, stimuli=stimuli)
    message = _message(err)
    assert message.startswith(f"{path}: ") and expected in message, message


@pytest.mark.parametrize("missing, column, expected", [
    ("units", None, "no units table (/units) in the file"),
    ("intervals/trials", None, "no trials table (/intervals/trials) in the file"),
    ("intervals/trials", "stim_id", "the trials table lacks the required column 'stim_id'"),
    ("units", "spike_times", "the units table lacks the required column 'spike_times'"),
])
def test_a_missing_table_or_column_is_named(session_paths, tmp_path, missing, column, expected):
    path = _copy(session_paths, SCREENING, tmp_path)
    with h5py.File(path, "r+") as f:
        if column is None:
            del f[missing]
        else:
            del f[f"{missing}/{column}"]
            if f"{missing}/{column}_index" in f:
                del f[f"{missing}/{column}_index"]
            f[missing].attrs["colnames"] = [c for c in f[missing].attrs["colnames"] if c != column]
    with pytest.raises(InputDataError) as err:
        read_session(path)
    assert _message(err).startswith(f"{path}: {expected}")


def test_a_unit_without_spikes_is_kept_with_zero_spikes_and_is_not_responsive(session_paths, tmp_path, params):
    path = _copy(session_paths, SCREENING, tmp_path)
    with h5py.File(path, "r") as f:
        flat, ends = f["units/spike_times"][:], f["units/spike_times_index"][:]
    _replace_dataset(path, "units/spike_times", flat[ends[0]:])  # unit 0 loses all its spikes
    _replace_dataset(path, "units/spike_times_index", ends - ends[0])
    units, trials, spikes = session_tables(read_session(path), SCREENING, params.areas, params.isi_threshold_s,
                                           params.windows)
    assert units.n_spikes.iloc[0] == 0 and units.mean_rate_hz.iloc[0] == 0 and (units.n_spikes.iloc[1:] > 0).all()
    screening, _, _ = screen_session(units, trials, spikes, params.screening)
    assert len(screening) == len(units) and not screening.responsive.iloc[0]


# --- the matnwb layout: phases only from a column or a declared mapping ---------------------------

@pytest.fixture(scope="module")
def matnwb_files(ci_plan, ci_profile, tmp_path_factory) -> dict[str, tuple[Path, pd.DataFrame]]:
    """Each session kind of the ci cohort written in the matnwb layout (no stim_phase column), with
    the trials as simulated."""
    folder = tmp_path_factory.mktemp("matnwb")
    out = {}
    for session in (SCREENING, CLOSED_LOOP, IMAGERY):
        row = ci_plan.sessions.set_index("session_name", drop=False).loc[session]
        record = session_record(simulate_session(ci_plan, ci_profile, session, SEED), row, SEED)
        path = folder / f"{session}.nwb"
        write_session_nwb(record, path, layout="matnwb")
        out[session] = (path, record.trials.reset_index(drop=True))
    return out


@pytest.mark.parametrize("session", [SCREENING, CLOSED_LOOP, IMAGERY])
def test_a_matnwb_file_is_refused_by_default_naming_the_phase_key(matnwb_files, session):
    path, _ = matnwb_files[session]
    with pytest.raises(InputDataError) as err:
        read_session(path)
    message = _message(err)
    assert message.startswith(f"{path}: trials table: no 'stim_phase' column")
    assert ("imagery session" in message) if session == IMAGERY else ("'nwb.trial_phases'" in message)


def test_a_matnwb_screening_file_declared_screening_reads_as_written(matnwb_files, stimuli):
    path, truth = matnwb_files[SCREENING]
    trials = read_session(path, trial_phases="screening", stimuli=stimuli).trials
    pd.testing.assert_frame_equal(trials[["stim_id", "stim_phase"]], truth[["stim_id", "stim_phase"]],
                                  check_dtype=False)


def test_a_matnwb_closed_loop_file_declared_screening_is_refused_at_its_first_synthetic_trial(matnwb_files, stimuli):
    path, truth = matnwb_files[CLOSED_LOOP]
    first = int(np.flatnonzero(truth.stim_phase == "synthetic")[0])
    with pytest.raises(InputDataError) as err:
        read_session(path, trial_phases="screening", stimuli=stimuli)
    assert _message(err).startswith(f"{path}: trials table, row {first}: stim_id {truth.stim_id[first]} (screening "
                                    "trial) is not among the object space's screening objects")


def test_a_matnwb_closed_loop_file_takes_its_phases_from_the_object_space(matnwb_files, stimuli):
    path, truth = matnwb_files[CLOSED_LOOP]
    trials = read_session(path, trial_phases="object_space", stimuli=stimuli).trials
    assert trials.stim_phase.tolist() == truth.stim_phase.tolist()
    assert (trials.stim_phase == "synthetic").sum() == 80  # the ci cohort's closed-loop stimuli


@pytest.mark.parametrize("phases", ["screening", "object_space"])
def test_a_matnwb_imagery_file_is_refused_whatever_the_mapping(matnwb_files, stimuli, phases):
    path, _ = matnwb_files[IMAGERY]
    with pytest.raises(InputDataError) as err:
        read_session(path, trial_phases=phases, stimuli=stimuli)
    assert "session_description says it is an imagery session" in _message(err)


def test_files_that_mark_themselves_synthetic_are_recognised(session_paths, matnwb_files, tmp_path):
    assert all(marks_itself_synthetic(p) for p in session_paths.values())
    assert marks_itself_synthetic(matnwb_files[SCREENING][0])
    unmarked = _copy(session_paths, SCREENING, tmp_path)
    with h5py.File(unmarked, "r+") as f:
        f["identifier"][()] = "SCID_1_P42CS"
        del f["general/notes"]
    assert not marks_itself_synthetic(unmarked)


# --- cohorts and sessions that lack a part ---------------------------------------------------------

@pytest.fixture(scope="module")
def analysed(ci_cohort, session_paths, params, stimuli, tmp_path_factory) -> dict:
    """The screening sessions and the imagery session, and the imagery session with its VTC
    electrodes relabelled hippocampus (an imagery session without VTC units), analysed in process."""
    objects = read_object_space(ci_cohort / "object_space.h5")
    # no imagery decoding: the fault cases here are about the tables the models and the funnel read
    out = {s: analyse_session(session_paths[s], s, objects, stimuli, params)
           for s in (SCREENING, "sub-2_ses-1", IMAGERY)}
    no_vtc = _copy(session_paths, IMAGERY, tmp_path_factory.mktemp("no_vtc"))
    with h5py.File(no_vtc, "r+") as f:
        locations = f["general/extracellular_ephys/electrodes/location"][:].astype(str)
        relabelled = np.array([loc.replace("ventral_temporal_cortex", "hippocampus") for loc in locations])
        _replace_dataset(no_vtc, "general/extracellular_ephys/electrodes/location",
                         relabelled.astype(h5py.string_dtype()))
    out["no_vtc"] = analyse_session(no_vtc, IMAGERY, objects, stimuli, params)
    return out


def _cohort(results: list) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    units = pd.concat([r.units for r in results], ignore_index=True)
    return (units, *population_tables(units, pd.concat([r.imagery_units for r in results], ignore_index=True),
                                      pd.concat([r.imagery_objects for r in results], ignore_index=True)))


def _models(schema, units: pd.DataFrame, imagery: pd.DataFrame, objects: pd.DataFrame, tmp_path: Path) -> dict:
    config = validate_config({}, schema)
    paths = {"imagery_objects": tmp_path / "objects.parquet", "unit_models": tmp_path / "units.parquet",
             "unit_covariates": tmp_path / "imagery.parquet"}
    objects.to_parquet(paths["imagery_objects"])
    units.to_parquet(paths["unit_models"])
    imagery.to_parquet(paths["unit_covariates"])
    out = {}
    for name in ("M1", "M2", "M3", "M4"):
        spec = config["models"][name]
        data = model_data(spec["data"], str(paths[spec["data"]]), config["imagery"]["population"])
        out[name] = model_outputs(data, spec, tuple(config["models"]["optimizers"]))
    return out


def test_a_screening_only_cohort_gives_explicit_imagery_results_not_a_traceback(analysed, schema, tmp_path):
    units, imagery, objects = _cohort([analysed[SCREENING], analysed["sub-2_ses-1"]])
    assert imagery.empty and objects.empty and "unit_id" in imagery.columns and "unit" in objects.columns
    assert imagery_availability(imagery) == "no session has imagery trials"
    funnel = selection_funnel(units, imagery).set_index("stage").this_run
    assert funnel.iloc[-2:].tolist() == [0, 0]  # axis-tuned in imagery sessions, reactivated
    models = _models(schema, units, imagery, objects, tmp_path)
    for name in ("M1", "M2", "M4"):
        table, patients, record = models[name]
        assert unavailable_reason(table) == unavailable_reason(patients) == record[NOT_AVAILABLE]
        assert record[NOT_AVAILABLE].startswith("0 ")
    assert NOT_AVAILABLE not in models["M3"][2]  # the perception model needs no imagery


def test_an_imagery_session_without_vtc_units_gives_explicit_results(analysed, schema, tmp_path):
    units, imagery, objects = _cohort([analysed[SCREENING], analysed["no_vtc"]])
    assert len(imagery) > 0  # the session's units are in the imagery tables, none of them in VTC
    assert imagery_availability(imagery).startswith("no axis-tuned VTC unit was recorded in the 1 imagery session")
    models = _models(schema, units, imagery, objects, tmp_path)
    for name in ("M1", "M2", "M4"):
        assert models[name][2][NOT_AVAILABLE].startswith("0 ")


def test_too_few_units_for_a_model_is_not_available_rather_than_a_failed_fit(analysed, schema, tmp_path):
    units, imagery, objects = _cohort([analysed[SCREENING], analysed[IMAGERY]])
    two = objects.unit[objects.axis_tuned.astype(bool) & (objects.area == "VTC")].drop_duplicates().iloc[:2]
    models = _models(schema, units, imagery, objects[objects.unit.isin(two)], tmp_path)
    assert models["M1"][2][NOT_AVAILABLE].startswith("2 units of the imagery population")
    assert "at least 3" in models["M1"][2][NOT_AVAILABLE]


def test_the_binomial_model_gives_identical_results_on_every_fit():
    rng = np.random.default_rng(8)
    x = rng.normal(size=60)
    data = pd.DataFrame(dict(reactivated=(rng.random(60) < 1 / (1 + np.exp(-x))).astype(int), x=x,
                             patient=rng.integers(0, 4, 60)))
    first, second = (fit_binomial_mixed(data, "reactivated ~ x", "x") for _ in range(2))
    pd.testing.assert_frame_equal(first.coefficients, second.coefficients, check_exact=True)


# --- config -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("config, keys", [
    ({"axis": {"min_significant": 200, "n_repeats": 100}}, ["'axis.min_significant' (200)", "'axis.n_repeats' (100)"]),
    ({"robustness": {"significant_fractions": [0.5, 1.5]}}, ["'robustness.significant_fractions"]),
    ({"robustness": {"min_explainable": [0.0]}}, ["'robustness.min_explainable"]),
    ({"decoding": {"max_distractors": 1000}}, ["'decoding.max_distractors' (1000)", "number of objects (500)"]),
    ({"imagery": {"identification_dims": 60}}, ["'imagery.identification_dims' (60)", "50 feature dimensions"]),
    ({"screening": {"baseline_ms": [0.0, -50.0]}}, ["'screening.baseline_ms'", "not a window"]),
    ({"reactivation": {"window_ms": [5000.0, 0.0]}}, ["'reactivation.window_ms'", "not a window"]),
    ({"reactivation": {"baseline_ms": [-2000.0, 0.0]}}, ["'reactivation.baseline_ms'", "'alignment.imagery.pre'"]),
    ({"screening": {"baseline_ms": [-600.0, 0.0]}}, ["'screening.baseline_ms'", "'alignment.screening.pre'"]),
    ({"models": {"M2": {"formula": "imagery_z ~ viewing_z", "test_term": "encoding_z", "data": "imagery_objects"}}},
     ["'models.M2.test_term'", "'models.M2.formula'"]),
    ({"models": {"M2": {"formula": "imagery_z ~ viewing_z", "test_term": "viewing_z", "random_slope": "x_z",
                        "data": "imagery_objects"}}}, ["'models.M2.random_slope'", "'models.M2.formula'"]),
    ({"axis": {"n_repeat": 10}}, ["'axis.n_repeat' is not a known key"]),
    ({"axis": {"alpha": 2}}, ["'axis.alpha'"]),
])
def test_a_bad_or_conflicting_config_is_refused_naming_its_keys(schema, config, keys):
    with pytest.raises(ConfigError) as err:
        validate_config(config, schema)
    assert all(k in _message(err) for k in keys), str(err.value)


@pytest.mark.parametrize("key", ["object_space", "imagery_table"])
def test_a_missing_input_file_is_named_with_its_config_key(schema, tmp_path, key):
    config = {"source": "local", "local": {"folder": str(tmp_path)}, key: str(tmp_path / "absent.h5")}
    with pytest.raises(ConfigError) as err:
        validate_config(config, schema)
    assert _message(err) == f"config key '{key}': file '{tmp_path / 'absent.h5'}' not found"


def test_distractors_beyond_the_objects_the_units_saw_are_named_at_run_time():
    from vtc_imagery.availability import decoding_unavailable

    population = pd.DataFrame(np.ones((30, 4)), index=np.arange(1, 31))  # 30 objects seen by 4 responsive units
    tuned = np.array([True, True, False, False])
    with pytest.raises(ConfigError, match=r"'decoding.max_distractors' \(50\) must be below the 30 objects"):
        decoding_unavailable(population, tuned, "in_fold", 50)
    assert decoding_unavailable(population, tuned, "in_fold", 5) is None


@pytest.mark.parametrize("n_units, n_tuned, selection, reason", [
    (1, 1, "in_fold", "1 responsive VTC unit(s) with a response to every object"),
    (4, 1, "all_images", "1 axis-tuned VTC unit(s)"),
])
def test_decoding_from_too_few_units_is_not_available(n_units, n_tuned, selection, reason):
    from vtc_imagery.availability import decoding_unavailable

    population = pd.DataFrame(np.ones((30, n_units)), index=np.arange(1, 31))
    tuned = np.arange(n_units) < n_tuned
    assert decoding_unavailable(population, tuned, selection, 5).startswith(reason)


@pytest.mark.parametrize("suffix, sep, hint", [(".csv", ";", "semicolon-separated"), (".tsv", ",", "comma-separated")])
def test_a_summary_table_with_the_wrong_delimiter_gets_a_hint(tmp_path, suffix, sep, hint):
    from vtc_imagery.models import IMAGERY_COLUMNS, read_imagery_table

    path = tmp_path / f"summary{suffix}"
    pd.DataFrame([dict.fromkeys(IMAGERY_COLUMNS, 1)]).to_csv(path, sep=sep, index=False)
    with pytest.raises(InputDataError) as err:
        read_imagery_table(str(path))
    assert _message(err).startswith(f"{path}: the imagery summary table lacks the column(s)") and hint in str(err.value)


# --- an unreachable archive, on 127.0.0.1 only --------------------------------------------------

@pytest.fixture
def silent_listener():
    """A port that accepts connections (the kernel's backlog) and never answers."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield f"http://127.0.0.1:{server.getsockname()[1]}/api"
    server.close()


def _closed_port() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api"  # bound and released: nothing listens there now


@pytest.mark.parametrize("archive, reason", [("closed port", "the connection failed"),
                                             ("silent listener", "no answer within 1 s")])
def test_an_unreachable_archive_fails_fast_with_one_line_and_no_staging_folder(tmp_path, monkeypatch, archive,
                                                                               reason, request):
    monkeypatch.setattr(dandi, "REACHABILITY_TIMEOUT_S", 1.0)
    api = _closed_port() if archive == "closed port" else request.getfixturevalue("silent_listener")
    asset = pd.Series(dict(session="sub-1_ses-1", path="sub-1/sub-1_ses-1_ecephys.nwb", asset_id="", size="",
                           sha256="", dandi_etag=""))
    target = tmp_path / "data/dandi/000207/0.230530.1822/sub-1_ses-1.nwb"
    start = time.monotonic()
    with pytest.raises(InputDataError) as err:
        dandi.download_asset("000207", "0.230530.1822", asset, target, api, target.parent / ".staging/sub-1_ses-1")
    assert time.monotonic() - start < 5  # one short try, not the client's minutes of retries
    assert _message(err) == (f"the DANDI archive at {api} cannot be reached ({reason}); check the network "
                             "(downloads run on the login node) or use source: local")
    assert not target.exists() and not (target.parent / ".staging").exists()


# --- through Snakemake ------------------------------------------------------------------------------

def _run(workdir: Path, *args: str, config: dict, check: bool = True, timeout: int = 600,
         popen: bool = False):
    """The workflow CLI in `workdir` with `config` as a config file (on top of config.yaml)."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "faults.yaml").write_text(yaml.safe_dump(config))
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(REPO / "config.yaml"), str(workdir / "faults.yaml"), "--cores", "2", *args]
    if popen:
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return proc


def _local(folder: Path, object_space: Path, **extra) -> dict:
    return {**CHEAP, "source": "local", "local": {"folder": str(folder)}, "object_space": str(object_space), **extra}


@pytest.mark.workflow
def test_a_corrupt_file_stops_its_job_once_with_one_message_and_no_table(ci_cohort, session_paths, tmp_path):
    _copy(session_paths, SCREENING, tmp_path / "data")
    path = tmp_path / "data/sub-1" / session_paths[SCREENING].name
    offset, size = _data_extent(path, "units/spike_times")
    _overwrite(path, offset + size // 2 - 2048, 4096)
    work = tmp_path / "run"
    proc = _run(work, f"results/sessions/{SCREENING}/units.parquet",
                config=_local(tmp_path / "data", ci_cohort / "object_space.h5"), check=False)
    assert proc.returncode != 0
    log = (work / f"logs/nwb_to_tables/{SCREENING}.log").read_text()
    errors = [line for line in log.splitlines() if line.startswith("ERROR: ")]
    assert len(errors) == 1 and f"{path.resolve()}: units table, row " in errors[0] and "Traceback" not in log
    assert "Trying to restart" not in proc.stdout + proc.stderr  # bad input is not retried
    assert not list((work / "results").rglob("*.parquet"))  # no table, not even one of the three


@pytest.mark.workflow
def test_a_missing_object_space_is_named_with_its_key_before_any_job(tmp_path, ci_cohort, session_paths):
    _copy(session_paths, SCREENING, tmp_path / "data")
    proc = _run(tmp_path / "run", "-n", config=_local(tmp_path / "data", tmp_path / "absent.h5"), check=False)
    assert proc.returncode != 0
    assert f"config key 'object_space': file '{tmp_path / 'absent.h5'}' not found" in proc.stdout + proc.stderr


@pytest.mark.workflow
def test_an_unreachable_archive_is_tried_once_in_the_workflow(tmp_path):
    manifest = tmp_path / "run/manifest.tsv"
    manifest.parent.mkdir(parents=True)
    pd.DataFrame([dict(session="sub-1_ses-1", path="sub-1/sub-1_ses-1_ecephys.nwb", asset_id="x", size="1",
                       sha256="", dandi_etag="")]).to_csv(manifest, sep="\t", index=False)
    config = {"source": "dandi", "dandi": {"dandiset_id": "000207", "version": "0.230530.1822",
                                           "manifest": "manifest.tsv", "api_url": _closed_port()}}
    proc = _run(tmp_path / "run", "data/dandi/000207/0.230530.1822/sub-1_ses-1.nwb", config=config, check=False)
    assert proc.returncode != 0 and "Trying to restart" not in proc.stdout + proc.stderr
    log = (tmp_path / "run/logs/download_dandi/sub-1_ses-1.log").read_text()
    assert log.count("cannot be reached") == 1 and "Traceback" not in log
    assert not (tmp_path / "run/data/dandi/000207/0.230530.1822/.staging").exists()


@pytest.fixture(scope="module")
def screening_only(ci_cohort, session_paths, tmp_path_factory) -> Path:
    """The default target built on a local folder of the ci cohort's two screening sessions (the
    common shape of released data: no imagery, no closed loop)."""
    root = tmp_path_factory.mktemp("screening_only")
    for s in (SCREENING, "sub-2_ses-1"):
        _copy(session_paths, s, root / "data")
    _run(root / "run", config=_local(root / "data", ci_cohort / "object_space.h5"))
    return root


@pytest.mark.workflow
def test_the_default_target_builds_on_a_screening_only_cohort_and_says_what_is_not_available(screening_only):
    run = screening_only / "run"
    for table, reason in (("tables/imagery_follows_axis.tsv", "no session has imagery trials"),
                          ("tables/imagery_decoding.tsv", "no session has imagery trials"),
                          ("tables/closed_loop.tsv", "no session has closed-loop (synthetic-stimulus) trials")):
        t = pd.read_csv(run / "results" / table, sep="\t")
        assert unavailable_reason(t).startswith(reason), table
    for model in ("M1", "M2", "M4"):
        record = json.loads((run / f"results/models/{model}.json").read_text())
        assert record[NOT_AVAILABLE].startswith("0 ")
    for figure in ("fig_imagery", "fig_imagery_models", "fig_closed_loop"):
        assert "not available on this input" in (run / f"results/figures/{figure}.html").read_text()


@pytest.mark.workflow
def test_results_of_files_marked_synthetic_are_labelled_simulated_under_source_local(screening_only):
    run = screening_only / "run"
    for tsv in (run / "results").rglob("*.tsv"):
        assert pd.read_csv(tsv, sep="\t").simulated.all(), tsv
    assert "SIMULATED DATA" in (run / "results/figures/summary.html").read_text()


@pytest.mark.workflow
def test_a_run_killed_mid_way_recovers_and_gives_byte_identical_tables(screening_only):
    """kill -9 of the whole Snakemake process group while the axis model runs, then --unlock and
    rerun: the rerun finishes, and every table equals the clean run's byte for byte (also the
    determinism check: two runs from the same inputs)."""
    clean, work = screening_only / "run", screening_only / "killed"
    config = yaml.safe_load((clean / "faults.yaml").read_text())
    targets = [f"results/axis/{SCREENING}/units.parquet"]  # one session's chain: enough to kill a job mid-way
    proc = _run(work, *targets, config=config, popen=True)
    deadline = time.monotonic() + 300
    while not any((work / "logs/axis_model").glob("*.log")):
        assert time.monotonic() < deadline and proc.poll() is None, "the run ended before the axis models started"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    _run(work, "--unlock", config=config)
    _run(work, *targets, config=config)
    built = sorted(p.relative_to(work) for p in (work / "results").rglob("*") if p.suffix in (".parquet", ".tsv"))
    assert len(built) == 7  # the session's 3 NWB, 3 screening and 1 axis tables
    for name in built:
        assert (work / name).read_bytes() == (clean / name).read_bytes(), name
