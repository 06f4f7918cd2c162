"""Trial-aligned spike trains in a flat (CSR-style) form: every per-trial statistic is one numpy
operation over all spikes of a unit, with no loop over trials.

Times are in ms from the trial's reference (its start_time) unless a name says otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class TrialSpikes:
    """One unit's spike times on a sequence of trials: trial k's times (ascending, ms) are
    `times_ms[offsets[k]:offsets[k + 1]]`."""

    times_ms: np.ndarray  # (n_spikes,) float64
    offsets: np.ndarray  # (n_trials + 1,) int64, offsets[0] == 0

    @classmethod
    def from_list(cls, times_by_trial: Sequence[np.ndarray]) -> TrialSpikes:
        """From one array of spike times (ms) per trial, each in time order."""
        counts = np.fromiter((len(t) for t in times_by_trial), np.int64, len(times_by_trial))
        times = (np.concatenate([np.asarray(t, np.float64) for t in times_by_trial]) if len(times_by_trial)
                 else np.empty(0))
        return cls(times, np.r_[0, np.cumsum(counts)].astype(np.int64))

    @classmethod
    def of(cls, times_by_trial: TrialSpikes | Sequence[np.ndarray]) -> TrialSpikes:
        """`times_by_trial` itself if it is a TrialSpikes, else built from a list of per-trial arrays."""
        return times_by_trial if isinstance(times_by_trial, TrialSpikes) else cls.from_list(times_by_trial)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, k: int) -> np.ndarray:
        return self.times_ms[self.offsets[k]:self.offsets[k + 1]]

    def to_list(self) -> list[np.ndarray]:
        """One array of spike times per trial (views into `times_ms`)."""
        return np.split(self.times_ms, self.offsets[1:-1])

    @property
    def counts(self) -> np.ndarray:
        """(n_trials,) spikes per trial."""
        return np.diff(self.offsets)

    @property
    def trial(self) -> np.ndarray:
        """(n_spikes,) position of each spike's trial in the sequence."""
        return np.repeat(np.arange(len(self)), self.counts)

    def count_in(self, start_ms: float, stop_ms: float) -> np.ndarray:
        """(n_trials,) spikes of each trial in [start_ms, stop_ms)."""
        inside = (self.times_ms >= start_ms) & (self.times_ms < stop_ms)
        return np.bincount(self.trial[inside], minlength=len(self))

    def within(self, start_ms: float, stop_ms: float) -> TrialSpikes:
        """The same trials with only their spikes in [start_ms, stop_ms)."""
        inside = (self.times_ms >= start_ms) & (self.times_ms < stop_ms)
        counts = np.bincount(self.trial[inside], minlength=len(self))
        return TrialSpikes(self.times_ms[inside], np.r_[0, np.cumsum(counts)].astype(np.int64))

    def take(self, trials: np.ndarray) -> TrialSpikes:
        """The trials at positions `trials` (integer array), in that order."""
        starts, counts = self.offsets[:-1][trials], self.counts[trials]
        return TrialSpikes(self.times_ms[_ranges(starts, counts)], np.r_[0, np.cumsum(counts)].astype(np.int64))

    def raster(self, start_ms: float, n_bins: int) -> np.ndarray:
        """(n_trials, n_bins) 0/1 raster: column c is 1 if the trial has a spike in
        [start_ms + c, start_ms + c + 1) ms."""
        raster = np.zeros((len(self), n_bins), dtype=np.float64)
        b = np.floor(self.times_ms - start_ms).astype(np.int64)
        inside = (b >= 0) & (b < n_bins)
        raster[self.trial[inside], b[inside]] = 1.0
        return raster


# One unit's spike times (ms) on each of a sequence of trials, in either form.
TimesByTrial = TrialSpikes | Sequence[np.ndarray]


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of arange(s, s + c) over the pairs (s, c)."""
    ends = np.cumsum(counts)
    return np.repeat(starts - (ends - counts), counts) + np.arange(ends[-1] if len(ends) else 0)


class SessionSpikes:
    """A session's trial-aligned spikes (unit_index, trial_index, time in s), sorted once by unit,
    trial and time so that any unit's trains on any trials are found by binary search."""

    def __init__(self, spikes: pd.DataFrame):
        unit = spikes.unit_index.to_numpy(np.int64)
        trial = spikes.trial_index.to_numpy(np.int64)
        times_ms = spikes.time.to_numpy(np.float64) * 1000.0
        self._stride = int(trial.max()) + 1 if len(trial) else 1
        keys = unit * self._stride + trial
        step = np.diff(keys)
        if not (np.all(step >= 0) and np.all((step > 0) | (np.diff(times_ms) >= 0))):  # tables.align_spikes order
            order = np.lexsort((times_ms, keys))
            keys, times_ms = keys[order], times_ms[order]
        self._keys, self._times_ms = keys, times_ms

    def trains(self, unit_index: int, trial_indices: np.ndarray) -> TrialSpikes:
        """The unit's spike times (ms from trial start) on each trial of `trial_indices`, in that order
        (trials without spikes, or outside the table, have none)."""
        trial_indices = np.asarray(trial_indices, np.int64)
        keys = int(unit_index) * self._stride + trial_indices
        known = (trial_indices >= 0) & (trial_indices < self._stride)
        starts = np.searchsorted(self._keys, keys, side="left")
        counts = np.where(known, np.searchsorted(self._keys, keys, side="right") - starts, 0)
        return TrialSpikes(self._times_ms[_ranges(starts, counts)], np.r_[0, np.cumsum(counts)].astype(np.int64))
