"""Read a session's NWB file into plain tables, tolerating both of the lab's published layouts.

NWB is read here once; everything downstream works on the tables this returns. Any missing or
malformed piece raises InputDataError with a message that names the file and what is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..categories import category_of
from ..errors import InputDataError
from ..objects import StimulusIds
from ..selection import VTC
from . import checks


@dataclass(frozen=True)
class AreaPatterns:
    """Regular expressions (case-sensitive; use (?i:...) for parts that are not) that map an
    electrode `location` label to area and hemisphere. The defaults cover the lab's label styles:
    ventral_temporal_cortex_left, LVTC, RFFA, Right fusiform gyrus, hippocampus_right, Left amygdala."""

    vtc: str = r"(?i:ventral_temporal|fusiform)|VTC|FFA"
    left: str = r"(?i:left)|^L(?=[A-Z])"
    right: str = r"(?i:right)|^R(?=[A-Z])"

    @classmethod
    def from_config(cls, areas: dict) -> AreaPatterns:
        """From the `areas:` config section."""
        return cls(vtc=areas["vtc_pattern"], left=areas["left_pattern"], right=areas["right_pattern"])

    def area(self, location: str) -> str:
        if re.search(self.vtc, location):
            return VTC
        stripped = re.sub(r"[_ ]?(left|right)[_ ]?", "", location, flags=re.IGNORECASE)
        return stripped or location

    def hemisphere(self, location: str) -> str:
        if re.search(self.left, location):
            return "L"
        if re.search(self.right, location):
            return "R"
        return ""


@dataclass(frozen=True)
class SessionContent:
    subject_id: str
    session_description: str
    units: pd.DataFrame  # unit_index, cluster_id, location (one row per unit, file order)
    spike_times: list[np.ndarray]  # per unit, ascending, s
    trials: pd.DataFrame  # start_time, stop_time, stim_id, stim_category, stim_phase, block, cue, pairing


def read_session(path: str | Path, trial_phases: str = "column", stimuli: StimulusIds | None = None) -> SessionContent:
    """Materialise units, spike times and trials of one NWB file (pynwb- or matnwb-written), checked
    (nwb/checks.py): spike times finite, ascending per unit and inside the recording; trial times
    ordered; phases from trials.stim_phase or as `trial_phases` (config nwb.trial_phases) says;
    with `stimuli`, every stim_id known to the object space.

    The file is read with h5py at the paths and names of the NWB schema (DynamicTable columns, their
    `<column>_index` datasets for ragged columns, `colnames`): pynwb's import alone took 1.5 of the
    2.3 s of every session's job, to build objects this reader only copies the arrays out of."""
    import h5py

    path = Path(path)
    # Messages name the user's own file, not only the workflow's link to it.
    label = f"{path} -> {path.resolve()}" if path.is_symlink() else str(path)
    if not path.exists():
        raise InputDataError(f"{label}: file not found")
    try:
        with h5py.File(path, "r") as f:
            return _materialise(label, f, trial_phases, stimuli)
    except InputDataError:
        raise
    except Exception as exc:  # h5py raises many types for truncated or corrupt files
        detail = " ".join(str(exc).split())  # one line, whatever h5py put in its message
        raise InputDataError(f"{label}: cannot be read as an NWB file ({type(exc).__name__}: {detail})") from exc


def _colnames(table) -> list[str]:
    """A DynamicTable's column names, in order (its `colnames` attribute)."""
    return [c.decode() if isinstance(c, bytes) else str(c) for c in np.atleast_1d(table.attrs.get("colnames", []))]


def _text(dataset) -> np.ndarray:
    """A string dataset (fixed or variable length) as an array of str."""
    return np.asarray(dataset.asstr()[()], dtype=object).astype(str)


def _scalar_text(f, name: str) -> str:
    """A scalar string dataset of the file (session_description, subject_id), or "" if it is absent."""
    return str(_text(f[name])) if name in f else ""


def _materialise(path: str, f, trial_phases: str, stimuli: StimulusIds | None) -> SessionContent:
    units = f.get("units")
    if units is None:
        raise InputDataError(f"{path}: no units table (/units) in the file")
    for col in ("spike_times", "electrodes"):
        if col not in _colnames(units) or col not in units:
            raise InputDataError(f"{path}: the units table lacks the required column '{col}'")
    electrodes = f.get("general/extracellular_ephys/electrodes")
    if electrodes is None or "location" not in electrodes:
        raise InputDataError(f"{path}: the electrodes table or its 'location' column is missing")
    if "intervals/trials" not in f:
        raise InputDataError(f"{path}: no trials table (/intervals/trials) in the file")

    locations = _text(electrodes["location"])
    rows = unit_electrode_rows(units)
    bad = [k for k, r in enumerate(rows) if len(r) and not 0 <= r[0] < len(locations)]
    if bad:
        raise InputDataError(f"{path}: units table, row {bad[0]}: electrodes refers to row {int(rows[bad[0]][0])} "
                             f"of an electrodes table of {len(locations)} rows")
    trials = _trials(path, f, trial_phases, stimuli)
    spikes = _spike_trains(path, units, checks.recording_bounds(trials.start_time.to_numpy(),
                                                                trials.stop_time.to_numpy()))
    cluster = (np.asarray(units["clusterID_orig"][:], dtype=np.float64).astype(np.int64)
               if "clusterID_orig" in _colnames(units) else np.full(len(rows), -1))
    table = pd.DataFrame({
        "unit_index": np.arange(len(rows), dtype=np.int64),
        "cluster_id": cluster,
        "location": [locations[r[0]] if len(r) else "unknown" for r in rows],
    })
    return SessionContent(_scalar_text(f, "general/subject/subject_id"), _scalar_text(f, "session_description"),
                          table, spikes, trials)


def marks_itself_synthetic(path: str | Path) -> bool:
    """Whether an NWB file says it holds simulated data: its `identifier` ends in `_SYNTHETIC` or its
    `/general/notes` begins with `SYNTHETIC`, as the virtual cohort's files do (nwb/write.py). Two
    small string reads with h5py, cheap enough for every file at parse time; an unreadable file is
    not marked (reading it later says what is wrong)."""
    import h5py

    def text(f, name: str) -> str:
        value = f[name][()] if name in f else b""
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)

    try:
        with h5py.File(path, "r") as f:
            return text(f, "identifier").strip().endswith("_SYNTHETIC") or \
                text(f, "general/notes").lstrip().startswith("SYNTHETIC")
    except (OSError, KeyError, ValueError):
        return False


def may_hold_imagery(path: str | Path) -> bool:
    """Whether an NWB file's trials table has imagery trials (its stim_phase column; without the
    column no trial can be an imagery trial: nwb.trial_phases never maps one to imagery). A file that
    cannot be read counts, so that its own job reports what is wrong."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            trials = f.get("intervals/trials")
            if trials is None or "stim_phase" not in trials:
                return False
            return bool(np.any(_text(trials["stim_phase"]) == "imagery"))
    except (OSError, KeyError, ValueError, TypeError):
        return True


def unit_electrode_rows(units) -> list[np.ndarray]:
    """Electrode-row indices per unit, for ragged (pynwb: `electrodes_index`) and flat (matnwb)
    `units/electrodes`; `units` is the HDF5 group of the units table."""
    target = np.asarray(units["electrodes"][()], dtype=np.int64)
    if "electrodes_index" in units:
        return np.split(target, np.asarray(units["electrodes_index"][()], dtype=np.int64)[:-1])
    return [np.atleast_1d(v) for v in target]


def _spike_trains(path: str, units, bounds: tuple[float, float]) -> list[np.ndarray]:
    """Each unit's spike times (s), checked before use (checks.check_spike_times)."""
    if "spike_times_index" not in units:
        raise InputDataError(f"{path}: the units table's spike_times column has no spike_times_index")
    ends = np.asarray(units["spike_times_index"][()], dtype=np.int64)
    flat = np.asarray(units["spike_times"][()], dtype=np.float64)
    checks.check_spike_times(path, flat, ends, bounds)
    return np.split(flat, ends[:-1]) if len(ends) else []


def _trials(path: str, f, trial_phases: str, stimuli: StimulusIds | None) -> pd.DataFrame:
    """The trials table in file order, checked (times, phases, stimuli), then sorted by start_time."""
    group = f["intervals/trials"]
    present = [c for c in _colnames(group) if c in group]
    for col in ("start_time", "stop_time"):
        if col not in present:
            raise InputDataError(f"{path}: the trials table lacks the required column '{col}'")
    presentation = "stimulus/presentation/StimulusPresentation"
    if "stim_id" not in present and presentation not in f:
        raise InputDataError(f"{path}: the trials table lacks the required column 'stim_id' and the file has "
                             "no /stimulus/presentation/StimulusPresentation to take it from")
    description = _scalar_text(f, "session_description")
    if "stim_phase" not in present:  # refused before the (slow) stimulus ids if there is no way to phases
        checks.check_phase_source(path, trial_phases, description)
    out = pd.DataFrame({"start_time": np.asarray(group["start_time"][()], dtype=np.float64),
                        "stop_time": np.asarray(group["stop_time"][()], dtype=np.float64)})
    checks.check_trial_times(path, out.start_time.to_numpy(), out.stop_time.to_numpy())
    if "stim_id" in present:
        out["stim_id"] = np.asarray(group["stim_id"][()]).astype(np.int64)
    else:
        # 000469 layout: 0-based indices into order_of_images; names carry the picture id (gaps allowed).
        series = f[presentation]
        order = series["indexed_images/order_of_images"][()]
        names = [f[ref].name.rsplit("/", 1)[-1] for ref in order]
        idx = np.asarray(series["data"][()], dtype=np.int64)
        if len(idx) != len(out):
            raise InputDataError(f"{path}: StimulusPresentation has {len(idx)} entries but the trials table "
                                 f"has {len(out)} rows")
        out["stim_id"] = [int(names[k].rsplit("_", 1)[-1]) for k in idx]
    out["stim_category"] = (_text(group["stim_category"]) if "stim_category" in present
                            else category_of(out.stim_id.to_numpy()))
    screening_ids = stimuli.screening if stimuli is not None else None
    synthetic_ids = stimuli.synthetic if stimuli is not None else None
    phase_column = pd.Series(_text(group["stim_phase"])) if "stim_phase" in present else None
    out["stim_phase"] = checks.trial_phases(path, out, phase_column, trial_phases, description, screening_ids,
                                            synthetic_ids)
    if stimuli is not None:
        checks.check_stimuli(path, out.stim_id.to_numpy(), out.stim_phase.to_numpy(), stimuli.screening,
                             stimuli.synthetic)
    for col, missing in (("block", -1), ("cue", 0), ("pairing", -1)):
        out[col] = np.asarray(group[col][()]).astype(np.int64) if col in present else missing
    return out.sort_values("start_time", kind="stable").reset_index(drop=True)
