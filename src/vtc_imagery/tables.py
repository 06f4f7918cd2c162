"""Tidy per-session tables from a read NWB session: units, trials and trial-aligned spikes.

The aligned spikes are the compact columnar form every later stage reads: one row per spike per
trial window (unit_index, trial_index, time relative to the trial's start_time). Windows are per
task phase, [start_time - pre, stop_time + post], so a spike may appear in two overlapping windows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .nwb.read import AreaPatterns, SessionContent


def unit_table(content: SessionContent, session: str, patterns: AreaPatterns, isi_threshold_s: float) -> pd.DataFrame:
    """One row per unit: cohort-unique unit_id, subject, session, area, hemisphere, spike count,
    mean rate (Hz, over the span of the trials table) and the fraction of ISIs below threshold."""
    first, last = content.trials.start_time.min(), content.trials.stop_time.max()
    span = max(last - first, np.finfo(float).eps)
    rows = []
    for u, t in zip(content.units.itertuples(), content.spike_times, strict=True):
        isi = np.diff(t)
        rows.append(dict(
            unit_id=f"{session}_unit-{u.unit_index:03d}",
            subject=content.subject_id,
            session=session,
            unit_index=u.unit_index,
            cluster_id=u.cluster_id,
            location=u.location,
            area=patterns.area(u.location),
            hemisphere=patterns.hemisphere(u.location),
            n_spikes=len(t),
            mean_rate_hz=np.count_nonzero((t >= first) & (t <= last)) / span,
            isi_violation_fraction=float(np.mean(isi < isi_threshold_s)) if len(isi) else 0.0,
        ))
    return pd.DataFrame(rows)


def trial_table(content: SessionContent, session: str) -> pd.DataFrame:
    """The trials with a 0-based trial_index (time order) and the session name."""
    trials = content.trials.copy()
    trials.insert(0, "trial_index", np.arange(len(trials), dtype=np.int64))
    trials.insert(0, "session", session)
    return trials


def align_spikes(spike_times: Sequence[np.ndarray], window_start: np.ndarray,
                 window_stop: np.ndarray, reference: np.ndarray) -> pd.DataFrame:
    """Spikes of every unit inside every trial window, as (unit_index, trial_index, time).

    `window_start`/`window_stop`/`reference` are per trial (s); `time` is spike time minus the
    trial's reference (s, float32). Vectorised with searchsorted per unit: no loop over trials.
    """
    parts = []
    for u, t in enumerate(spike_times):
        lo = np.searchsorted(t, window_start, side="left")
        hi = np.searchsorted(t, window_stop, side="right")
        counts = hi - lo
        total = int(counts.sum())
        trial = np.repeat(np.arange(len(lo), dtype=np.int32), counts)
        # Index of each spike: lo of its trial plus its rank within the trial.
        rank = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        spike = np.repeat(lo, counts) + rank
        parts.append(pd.DataFrame({
            "unit_index": np.full(total, u, dtype=np.int32),
            "trial_index": trial,
            "time": (t[spike] - reference[trial]).astype(np.float32),
        }))
    if not parts:
        return pd.DataFrame({"unit_index": np.array([], np.int32), "trial_index": np.array([], np.int32),
                             "time": np.array([], np.float32)})
    return pd.concat(parts, ignore_index=True)


def alignment_windows(alignment: Mapping[str, Mapping[str, float]]) -> dict[str, tuple[float, float]]:
    """The `alignment:` config section (phase -> {pre, post}, s) as phase -> (pre, post)."""
    return {phase: (w["pre"], w["post"]) for phase, w in alignment.items()}


def phase_windows(trials: pd.DataFrame, windows: Mapping[str, Sequence[float]]) -> tuple[np.ndarray, np.ndarray]:
    """Per-trial window [start_time - pre, stop_time + post] from the per-phase (pre, post) map (s)."""
    pre = trials.stim_phase.map(lambda p: windows[p][0]).to_numpy(np.float64)
    post = trials.stim_phase.map(lambda p: windows[p][1]).to_numpy(np.float64)
    return trials.start_time.to_numpy() - pre, trials.stop_time.to_numpy() + post


def session_tables(content: SessionContent, session: str, patterns: AreaPatterns, isi_threshold_s: float,
                   windows: Mapping[str, Sequence[float]]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(units, trials, aligned spikes) for one session."""
    trials = trial_table(content, session)
    start, stop = phase_windows(trials, windows)
    spikes = align_spikes(content.spike_times, start, stop, trials.start_time.to_numpy())
    return unit_table(content, session, patterns, isi_threshold_s), trials, spikes


def cohort_units(session_units: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The sessions' unit tables stacked into one cohort table, ordered by session and unit_index."""
    units = pd.concat(session_units, ignore_index=True)
    return units.sort_values(["session", "unit_index"], kind="stable").reset_index(drop=True)
