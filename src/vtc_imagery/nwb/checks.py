"""Checks of the tables read from an NWB file, before any of them is written.

A file can be readable HDF5 and still hold nonsense: random bytes that land in a dataset's data
are read back as numbers. Each check here ends with one InputDataError naming the file, the table
and the first offending row, so that no corrupt input produces a table.

Rows are numbered as stored in the file (0-based), as `units.id` / `trials.id` are.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import InputDataError

# Task phases of the trials table (trials.stim_phase).
PHASES = ("screening", "encoding", "distractor", "imagery", "synthetic")
# How a file without trials.stim_phase gets its phases (config key nwb.trial_phases).
TRIAL_PHASE_SOURCES = ("column", "screening", "object_space")
# Phases whose stimulus is an object of the object space's screening set; distractor trials show
# none, and synthetic (closed-loop) trials show the object space's synthetic stimuli.
OBJECT_PHASES = ("screening", "encoding", "imagery")
# A recording is taken to end no later than its last trial's stop plus the trials' own span (a
# recording more than twice as long as its task is not one of the lab's), and at least this long.
MIN_RECORDING_TAIL_S = 60.0


def recording_bounds(start_time: np.ndarray, stop_time: np.ndarray) -> tuple[float, float]:
    """(earliest, latest) time (s) a spike of the session can have: 0, the session start (NWB
    times count from it; negative spike times are a best-practice violation), and the last trial's
    stop plus the trials' span (at least MIN_RECORDING_TAIL_S)."""
    if len(start_time) == 0:
        return 0.0, np.inf
    first, last = float(np.min(start_time)), float(np.max(stop_time))
    return 0.0, last + max(last - first, MIN_RECORDING_TAIL_S)


def check_spike_times(path: str, flat: np.ndarray, ends: np.ndarray, bounds: tuple[float, float]) -> None:
    """Spike times (s; `flat`, all units concatenated; `ends`, each unit's end index into it) must
    be finite, inside `bounds` (recording_bounds) and ascending within each unit. Vectorised: one
    pass over the flat array, no loop over units."""
    if len(ends) and (np.any(np.diff(np.r_[0, ends]) < 0) or ends[-1] != len(flat)):
        raise InputDataError(f"{path}: units table: spike_times_index is not a valid index of the "
                             f"{len(flat)} spike times (it ends at {int(ends[-1])} and must ascend)")
    unit_of = np.searchsorted(ends, np.arange(len(flat)), side="right")

    def fail(k: int, what: str) -> None:
        u = int(unit_of[k])
        first = int(ends[u - 1]) if u else 0
        raise InputDataError(f"{path}: units table, row {u}: spike_times[{k - first}] = {float(flat[k])!r} {what}")

    bad = ~np.isfinite(flat)
    if bad.any():
        fail(int(np.flatnonzero(bad)[0]), "is not a finite number (corrupt spike data?)")
    lo, hi = bounds
    outside = (flat < lo) | (flat > hi)
    if outside.any():
        fail(int(np.flatnonzero(outside)[0]), f"lies outside the recording [{lo:g}, {hi:g}] s (the session "
             "start to the last trial's stop plus the trials' span; corrupt spike data?)")
    # Descending steps within a unit; a unit's first spike may be below the previous unit's last.
    step_down = np.flatnonzero(np.diff(flat) < 0) + 1
    step_down = step_down[unit_of[step_down] == unit_of[step_down - 1]]
    if len(step_down):
        fail(int(step_down[0]), f"is earlier than the spike before it ({float(flat[step_down[0] - 1])!r}): spike times "
             "must ascend within a unit (corrupt spike data?)")


def check_trial_times(path: str, start_time: np.ndarray, stop_time: np.ndarray) -> None:
    """Trial times (s, file order) must be finite, not negative, stop no earlier than start, and
    start in ascending order."""

    def fail(row: int, what: str) -> None:
        raise InputDataError(f"{path}: trials table, row {row}: start_time {float(start_time[row])!r}, stop_time "
                             f"{float(stop_time[row])!r}: {what}")

    bad = ~(np.isfinite(start_time) & np.isfinite(stop_time))
    if bad.any():
        fail(int(np.flatnonzero(bad)[0]), "not a finite time")
    negative = (start_time < 0) | (stop_time < 0)
    if negative.any():
        fail(int(np.flatnonzero(negative)[0]), "a negative time (times count from the session start)")
    reversed_ = stop_time < start_time
    if reversed_.any():
        fail(int(np.flatnonzero(reversed_)[0]), "stops before it starts")
    unordered = np.flatnonzero(np.diff(start_time) < 0)
    if len(unordered):
        previous = float(start_time[unordered[0]])
        fail(int(unordered[0]) + 1, f"starts before the trial before it ({previous!r}); trials must be stored in time "
             "order")


def trial_phases(path: str, trials: pd.DataFrame, column: pd.Series | None, source: str, session_description: str,
                 screening_ids: np.ndarray | None, synthetic_ids: np.ndarray | None) -> np.ndarray:
    """The task phase of each trial: the trials table's `stim_phase` column when the file has one,
    else as config nwb.trial_phases (`source`) says - never guessed.

    column: no fallback (the file is refused, naming the key). screening: every trial is a
    screening trial (the lab's screening releases written by matnwb). object_space: a trial whose
    stim_id is a screening object is a screening trial, a synthetic stimulus a synthetic one.
    A file whose session_description says it is an imagery session is always refused without the
    column: its encoding, distractor and imagery trials cannot be told apart.
    """
    if source not in TRIAL_PHASE_SOURCES:
        raise ValueError(f"unknown trial phase source {source!r}; choose one of {TRIAL_PHASE_SOURCES}")
    if column is not None:
        phases = column.astype(str).to_numpy()
        unknown = ~np.isin(phases, PHASES)
        if unknown.any():
            row = int(np.flatnonzero(unknown)[0])
            raise InputDataError(f"{path}: trials table, row {row}: stim_phase {phases[row]!r} is not one of "
                                 f"{list(PHASES)}")
        return phases
    check_phase_source(path, source, session_description)
    missing = f"{path}: trials table: no 'stim_phase' column"
    if source == "screening":
        return np.full(len(trials), "screening", dtype=object)
    if screening_ids is None:
        raise InputDataError(f"{missing}; config key 'nwb.trial_phases' is 'object_space' but no object-space file "
                             "is configured (config key 'object_space')")
    stim = trials.stim_id.to_numpy()
    phases = np.where(np.isin(stim, screening_ids), "screening", None)
    if synthetic_ids is not None:
        phases = np.where(np.isin(stim, synthetic_ids), "synthetic", phases)
    unknown = np.flatnonzero(pd.isna(phases))
    if len(unknown):
        row = int(unknown[0])
        raise InputDataError(f"{missing}, and under config key 'nwb.trial_phases: object_space' row {row}'s stim_id "
                             f"{int(stim[row])} is neither a screening object nor a synthetic stimulus of the "
                             "object space")
    return phases.astype(object)


def check_phase_source(path: str, source: str, session_description: str) -> None:
    """For a file without trials.stim_phase: refuse it unless `source` (config nwb.trial_phases)
    declares a mapping, and always when its session_description says it is an imagery session."""
    missing = f"{path}: trials table: no 'stim_phase' column"
    if session_description.split(":", 1)[0].strip().lower() == "imagery":
        raise InputDataError(f"{missing}, and the session_description says it is an imagery session, whose "
                             "encoding, distractor and imagery trials cannot be told apart without it; add the column")
    if source == "column":
        raise InputDataError(f"{missing}; set config key 'nwb.trial_phases' to 'screening' if the file holds "
                             "screening trials only, or to 'object_space' to take each trial's phase from its "
                             "stimulus (a screening object or a synthetic stimulus)")


def check_stimuli(path: str, stim_id: np.ndarray, phases: Sequence[str], screening_ids: np.ndarray,
                  synthetic_ids: np.ndarray | None) -> None:
    """Every object shown (screening, encoding) or imagined must be a screening object of the object
    space, every synthetic trial's stimulus one of its synthetic stimuli (file order rows)."""
    phases = np.asarray(phases)
    needs_object = np.isin(phases, OBJECT_PHASES)
    bad = needs_object & ~np.isin(stim_id, screening_ids)
    synthetic = phases == "synthetic"
    known_synthetic = np.isin(stim_id, synthetic_ids) if synthetic_ids is not None else np.zeros(len(stim_id), bool)
    bad |= synthetic & ~known_synthetic
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        kind = "synthetic stimuli" if phases[row] == "synthetic" else "screening objects"
        raise InputDataError(f"{path}: trials table, row {row}: stim_id {int(stim_id[row])} ({phases[row]} trial) is "
                             f"not among the object space's {kind} (config key 'object_space'); the file and the "
                             "object space do not belong together")
