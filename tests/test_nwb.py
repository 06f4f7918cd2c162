"""NWB writing and reading: round trip, both lab layouts, nwbinspector, and every failure mode."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import h5py
import numpy as np
import pandas as pd
import pytest
from pynwb import NWBHDF5IO, NWBFile
from pynwb.file import Subject

from vtc_imagery.errors import InputDataError
from vtc_imagery.nwb.read import may_hold_imagery, read_session
from vtc_imagery.nwb.write import write_session_nwb
from vtc_imagery.simulate.session import session_record, simulate_session

SEED = 11


@pytest.fixture(scope="module")
def screening_record(ci_plan, ci_profile):
    row = ci_plan.sessions.iloc[0]
    return session_record(simulate_session(ci_plan, ci_profile, row.session_name, SEED), row, SEED)


def test_reader_returns_what_the_writer_wrote(tmp_path, screening_record):
    path = tmp_path / "sub-1" / "sub-1_ses-1_ecephys.nwb"
    write_session_nwb(screening_record, path)
    content = read_session(path)
    assert content.subject_id == "1"
    assert len(content.spike_times) == len(screening_record.spike_times)
    for got, want in zip(content.spike_times, screening_record.spike_times, strict=True):
        np.testing.assert_array_equal(got, want)
    want = screening_record.trials.reset_index(drop=True)
    pd.testing.assert_frame_equal(content.trials[want.columns], want, check_dtype=False)
    locations = screening_record.electrodes.location.to_numpy()[screening_record.units.electrode]
    assert content.units.location.tolist() == locations.tolist()
    assert content.units.cluster_id.tolist() == screening_record.units.clusterID_orig.tolist()


def test_reader_handles_the_matnwb_layout_the_same_way(tmp_path, screening_record):
    pynwb_path, matnwb_path = tmp_path / "a.nwb", tmp_path / "b.nwb"
    write_session_nwb(screening_record, pynwb_path)
    write_session_nwb(screening_record, matnwb_path, layout="matnwb")
    with h5py.File(matnwb_path) as f:  # the layout really differs on disk
        assert "electrodes_index" not in f["units"] and f["units/clusterID_orig"].dtype == np.float64
        assert "stim_id" not in f["intervals/trials"]
    # the matnwb layout has no stim_phase column: the phases come from the declared config key
    a, b = read_session(pynwb_path), read_session(matnwb_path, trial_phases="screening")
    pd.testing.assert_frame_equal(a.units, b.units)
    cols = ["start_time", "stop_time", "stim_id", "stim_category", "stim_phase"]
    pd.testing.assert_frame_equal(a.trials[cols], b.trials[cols])
    assert all(np.array_equal(x, y) for x, y in zip(a.spike_times, b.spike_times, strict=True))


def test_simulated_files_pass_nwbinspector_with_the_dandi_config(session_paths):
    from nwbinspector import Importance, inspect_all, load_config

    folder = next(iter(session_paths.values())).parents[1]
    messages = list(inspect_all(str(folder), config=load_config("dandi")))
    serious = [m for m in messages
               if m.importance in (Importance.CRITICAL, Importance.BEST_PRACTICE_VIOLATION, Importance.ERROR)]
    assert not serious, "\n".join(f"{m.file_path}: {m.check_function_name}: {m.message}" for m in serious)
    assert len(list(folder.rglob("*.nwb"))) == len(session_paths)


def test_simulated_files_carry_the_synthetic_label_and_dandi_metadata(session_paths):
    path = next(iter(session_paths.values()))
    with NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        assert "SYNTHETIC" in nwb.experiment_description and "SYNTHETIC" in nwb.identifier
        assert nwb.subject.species == "Homo sapiens" and nwb.subject.age.startswith("P")
        assert {"stim_id", "stim_category", "stim_phase", "cue", "pairing"} <= set(nwb.trials.colnames)
        assert {"clusterID_orig", "waveform_mean"} <= set(nwb.units.colnames)
        assert nwb.units["waveform_mean"].data.shape[1] == 256


def _minimal_nwb(path: Path, units: bool = True, trials: bool = True, stim_id: bool = True) -> Path:
    nwb = NWBFile(session_description="screening: test", identifier=path.stem,
                  session_start_time=datetime(2022, 1, 1, tzinfo=ZoneInfo("America/Los_Angeles")),
                  subject=Subject(subject_id="9", species="Homo sapiens", sex="F", age="P30Y"))
    device = nwb.create_device(name="d")
    group = nwb.create_electrode_group(name="g", description="g", location="LVTC", device=device)
    nwb.add_electrode(location="LVTC", group=group)
    if units:
        nwb.add_unit(spike_times=[0.1, 0.5, 0.9], electrodes=[0])
    if trials:
        if stim_id:
            nwb.add_trial_column(name="stim_id", description="object")
            nwb.add_trial(start_time=0.0, stop_time=0.3, stim_id=7)
        else:
            nwb.add_trial(start_time=0.0, stop_time=0.3)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path


def test_a_minimal_lab_style_file_reads_with_defaults_once_its_phases_are_declared(tmp_path):
    content = read_session(_minimal_nwb(tmp_path / "ok.nwb"), trial_phases="screening")
    assert content.trials.stim_category.tolist() == ["animals"]  # from the 500-object ID ranges
    assert content.trials.stim_phase.tolist() == ["screening"]  # as config nwb.trial_phases declares
    assert content.units.location.tolist() == ["LVTC"]


def test_a_file_without_stim_phase_is_refused_by_default_naming_the_config_key(tmp_path):
    path = _minimal_nwb(tmp_path / "ok.nwb")
    with pytest.raises(InputDataError) as err:
        read_session(path)
    assert str(path) in str(err.value) and "trials table" in str(err.value) and "nwb.trial_phases" in str(err.value)


@pytest.mark.parametrize("damage, expected", [
    ("truncate", "cannot be read as an NWB file"),
    ("garbage", "cannot be read as an NWB file"),
    ("missing", "file not found"),
])
def test_an_unreadable_file_is_named_in_one_message(tmp_path, session_paths, damage, expected):
    path = tmp_path / "broken.nwb"
    source = next(iter(session_paths.values()))
    if damage == "truncate":
        path.write_bytes(source.read_bytes()[: source.stat().st_size // 3])
    elif damage == "garbage":
        path.write_bytes(b"this is not HDF5" * 100)
    with pytest.raises(InputDataError) as err:
        read_session(path)
    assert str(path) in str(err.value) and expected in str(err.value)


@pytest.mark.parametrize("kwargs, expected", [
    (dict(units=False), "no units table"),
    (dict(trials=False), "no trials table"),
    (dict(stim_id=False), "lacks the required column 'stim_id'"),
])
def test_a_missing_table_or_column_is_named(tmp_path, kwargs, expected):
    path = _minimal_nwb(tmp_path / "incomplete.nwb", **kwargs)
    with pytest.raises(InputDataError) as err:
        read_session(path)
    assert str(path) in str(err.value) and expected in str(err.value)


def test_a_units_table_without_spike_times_is_named(tmp_path, session_paths):
    path = tmp_path / "no_spikes.nwb"
    shutil.copy(next(iter(session_paths.values())), path)
    with h5py.File(path, "r+") as f:
        del f["units/spike_times"], f["units/spike_times_index"]
        f["units"].attrs["colnames"] = [c for c in f["units"].attrs["colnames"] if c != "spike_times"]
    with pytest.raises(InputDataError) as err:
        read_session(path)
    assert str(path) in str(err.value) and "'spike_times'" in str(err.value)


def test_only_files_whose_trials_have_an_imagery_phase_get_the_imagery_stages(session_paths, tmp_path):
    kinds = {name: may_hold_imagery(path) for name, path in session_paths.items()}
    with_imagery = {name for name, path in session_paths.items() if (read_session(path).trials.stim_phase ==
                                                                       "imagery").any()}
    assert with_imagery and {name for name, held in kinds.items() if held} == with_imagery
    garbage = tmp_path / "garbage.nwb"
    garbage.write_bytes(b"this is not HDF5" * 100)
    assert may_hold_imagery(garbage)  # its own job says what is wrong with it
