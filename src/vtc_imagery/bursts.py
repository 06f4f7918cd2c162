"""Poisson-surprise burst detection (Legendy & Salcman 1985; Hanes et al. 1995), as the authors'
`p_burst`, with its two known defects fixed (departure 6).

Times are in ms. A burst is a run of spikes whose count in its duration is improbable under a
Poisson process at the baseline rate `rate` (spikes/ms). The ends of a candidate run are found with
an `anchor` added to its duration, which makes the count matter more than the duration: with the
default 500 ms anchor a run tends to reach back to the first spike searched. (The p_burst.m in the
public Utilities repository has anchor 25 ms, 2 ISIs and significance 0.001; the defaults here are
those of the authors' analysis scripts, and all are config keys.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import StageParams
from .spiketrains import TrialSpikes

_TINY = 1e-300
# Trials are searched together in blocks of at most this many (trial, spike, run length) surprise entries.
_BLOCK_ENTRIES = 2_000_000
# Runs of up to this many ISIs are kept at first (see trial_bursts).
_FIRST_BAND = 32
# The two ends of a burst alternate until they agree, at most this often.
_MAX_ALTERNATIONS = 20


@dataclass(frozen=True)
class BurstParams(StageParams):
    anchor_ms: float  # added to a run's duration while searching for its ends
    min_isis: int  # a burst spans at least this many ISIs (>= 5 spikes)
    significance: float  # accepted if surprise > -ln(significance)
    max_extra_ms: float  # an end may move once to a later spike of higher surprise, at most
    max_extra_spikes: int  # this much later and with at most this many spikes in between


@dataclass(frozen=True)
class Burst:
    onset_ms: float  # time of the burst's first spike
    n_spikes: int
    surprise: float


def surprise(n_isis: np.ndarray, duration_ms: np.ndarray, rate: float) -> np.ndarray:
    """-ln P(N > n) for N ~ Poisson(rate * duration): the surprise of n ISIs in that duration."""
    from scipy.special import pdtrc  # here, not at the top: the Snakefile imports this module's callers

    return -np.log(np.maximum(pdtrc(n_isis, rate * duration_ms), _TINY))


def detect_bursts(spikes_ms: np.ndarray, rate: float, start_ms: float, stop_ms: float,
                  params: BurstParams) -> list[Burst]:
    """All bursts among the spikes (ascending, ms) in [start_ms, stop_ms), in time order.

    FIX (departure 6, first half): `p_burst` analysed spikes only up to the first
    spike at or after StopT, so a trial with no spike after StopT could never contain a burst.
    Here every spike inside [start_ms, stop_ms) is analysed whatever follows it.
    """
    found = trial_bursts(TrialSpikes.from_list([spikes_ms]), np.array([rate], np.float64), start_ms, stop_ms,
                         params)
    return [Burst(onset_ms=float(o), n_spikes=int(n), surprise=float(s))
            for o, n, s in zip(found.onset_ms, found.n_spikes, found.surprise, strict=True)]


def strongest_burst_onset(spikes_ms: np.ndarray, rate: float, start_ms: float, stop_ms: float,
                          params: BurstParams) -> float:
    """Onset (ms) of the most surprising burst in the window, or NaN if there is none."""
    return float(strongest_burst_onsets(TrialSpikes.from_list([spikes_ms]), np.array([rate], np.float64),
                                        start_ms, stop_ms, params)[0])


@dataclass(frozen=True)
class TrialBursts:
    """The bursts of many trials, ordered by trial and then time."""

    trial: np.ndarray  # (n_bursts,) position of the burst's trial
    onset_ms: np.ndarray  # (n_bursts,) time of the burst's first spike
    n_spikes: np.ndarray  # (n_bursts,)
    surprise: np.ndarray  # (n_bursts,)


def strongest_burst_onsets(trains: TrialSpikes, rates: np.ndarray, start_ms: float, stop_ms: float,
                           params: BurstParams) -> np.ndarray:
    """(n_trials,) onset (ms) of each trial's most surprising burst in the window (the earliest
    of equals), NaN for a trial without one. `rates`: (n_trials,) baseline rates, spikes/ms."""
    found = trial_bursts(trains, rates, start_ms, stop_ms, params)
    onsets = np.full(len(trains), np.nan)
    order = np.lexsort((-found.surprise, found.trial))  # stable: the earliest burst first among equals
    first = np.unique(found.trial[order], return_index=True)[1]
    onsets[found.trial[order][first]] = found.onset_ms[order][first]
    return onsets


def trial_bursts(trains: TrialSpikes, rates: np.ndarray, start_ms: float, stop_ms: float,
                 params: BurstParams) -> TrialBursts:
    """The bursts of every trial among its spikes in [start_ms, stop_ms), each trial against its
    own baseline rate (`rates`, (n_trials,) spikes/ms).

    The search within a trial is sequential (each burst starts after the previous one ends), so
    trials are searched in lock-step: one numpy step advances every trial still searching (the
    Python loop runs over search steps, about as many as a trial has spikes, not over trials). The
    search from a spike mostly looks only a few spikes ahead, so the surprise of spikes i..j is
    kept only for j - i up to a band; a trial whose search needs a longer run is searched again
    with a wider band (up to the whole trial), which gives the same bursts as the full matrix.
    """
    window = trains.within(start_ms, stop_ms)
    counts = window.counts
    rates = np.asarray(rates, np.float64)
    pending = np.flatnonzero(counts > params.min_isis)
    band = _FIRST_BAND
    parts = []
    while len(pending):
        pending = pending[np.argsort(counts[pending], kind="stable")]
        retry = []
        for block in _blocks(counts[pending], band):
            positions = pending[block]
            found, failed = _block_bursts(window.take(positions), positions, rates[positions], band, params)
            parts.append(found)
            retry.append(positions[failed])
        pending = np.concatenate(retry)
        band *= 4
    if not parts:
        return TrialBursts(np.empty(0, np.int64), np.empty(0), np.empty(0, np.int64), np.empty(0))
    trial, onset, n_spikes, s = (np.concatenate(x) for x in zip(*parts, strict=True))
    order = np.lexsort((onset, trial))
    return TrialBursts(trial[order], onset[order], n_spikes[order], s[order])


def _blocks(counts: np.ndarray, band: int) -> list[slice]:
    """Consecutive slices of trials (ascending spike counts) whose padded banded surprise matrices
    (trials x spikes x band) hold at most _BLOCK_ENTRIES entries (at least one trial each)."""
    per_trial = counts * (np.minimum(band, counts - 1) + 2)  # entries of a trial as wide as this one
    blocks, first = [], 0
    while first < len(counts):
        entries = np.arange(1, len(counts) - first + 1) * per_trial[first:]
        stop = first + max(1, int(np.searchsorted(entries, _BLOCK_ENTRIES, side="right")))
        blocks.append(slice(first, stop))
        first = stop
    return blocks


def _block_bursts(block: TrialSpikes, positions: np.ndarray, rates: np.ndarray, band: int,
                  params: BurstParams) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Bursts of a block of trials (each with more than min_isis spikes) as (trial position, onset,
    n_spikes, surprise) arrays, and a mask of the trials whose search left the band (their bursts
    are left out)."""
    n = block.counts
    n_trials, width = len(n), int(n.max())
    band = min(band, width - 1)
    t = np.zeros((n_trials, width))
    t[block.trial, np.arange(len(block.times_ms)) - np.repeat(block.offsets[:-1], n)] = block.times_ms
    # near[b, i, d]: surprise of spikes i..i+d of trial b with the anchor added to their duration,
    # for 1 <= d <= band and i + d < n[b]; -inf elsewhere, and always in the last column (d = band + 1).
    near = np.full((n_trials, width, band + 2), -np.inf)
    b, i, d = np.nonzero(np.arange(width)[None, :, None] + np.arange(band + 2)[None, None, :] < n[:, None, None])
    keep = (d >= 1) & (d <= band)
    b, i, d = b[keep], i[keep], d[keep]
    near[b, i, d] = surprise(d, t[b, i + d] - t[b, i] + params.anchor_ms, rates[b])
    threshold = -np.log(params.significance)
    found = []
    failed = np.zeros(n_trials, bool)
    start = np.zeros(n_trials, np.int64)  # the spike each trial's search continues from
    active = np.arange(n_trials)
    while len(active):
        first, n_active = start[active], n[active]
        bob, (eob, ok) = first, _end_of_burst(near, t, active, first, n_active, params)
        for _ in range(_MAX_ALTERNATIONS):
            new_bob, ok_begin = _begin_of_burst(near, active, first, eob)
            new_eob, ok_end = _end_of_burst(near, t, active, new_bob, n_active, params)
            ok &= ok_begin & ok_end
            if np.array_equal(new_bob, bob) and np.array_equal(new_eob, eob):
                break  # every trial's ends agree (an agreed pair is a fixed point of the alternation)
            bob, eob = new_bob, new_eob
        isis = eob - bob
        long = isis >= params.min_isis
        s = np.zeros(len(active))
        s[long] = surprise(isis[long], t[active, eob][long] - t[active, bob][long], rates[active][long])
        burst = ok & long & (s > threshold)
        found.append((positions[active[burst]], t[active, bob][burst], isis[burst] + 1, s[burst]))
        failed[active[~ok]] = True
        start[active] = np.where(burst, eob + 1, first + 1)
        active = active[ok & (start[active] < n_active - params.min_isis)]
    bursts = tuple(np.concatenate(x) for x in zip(*found, strict=True))
    kept = ~np.isin(bursts[0], positions[failed])
    return tuple(x[kept] for x in bursts), failed


def _end_of_burst(near: np.ndarray, t: np.ndarray, trials: np.ndarray, i: np.ndarray, n: np.ndarray,
                  params: BurstParams) -> tuple[np.ndarray, np.ndarray]:
    """Per trial: the first local maximum j > i of the surprise of spikes i..j; then, once, the
    first later spike of higher surprise if it adds at most max_extra_spikes spikes and
    max_extra_ms (i itself if i is the trial's last spike). Also whether the band held every
    surprise the search needed."""
    rows = near[trials, i]  # (n_trials, band + 2): surprise of i..i+d, -inf outside 1 <= d, i + d < n
    band = rows.shape[1] - 2
    d = np.arange(band + 1)[None, :]
    k = np.argmax((rows[:, 1:] < rows[:, :-1]) & (d >= 1), axis=1)
    peak = rows[np.arange(len(trials)), k]
    higher = (rows[:, :-1] > peak[:, None]) & (d > k[:, None])
    m = np.argmax(higher, axis=1)
    extend = (higher.any(axis=1) & (m - k - 1 <= params.max_extra_spikes)
              & (t[trials, i + m] - t[trials, i + k] <= params.max_extra_ms))
    last = i >= n - 1
    ok = last | (np.minimum(k + 1 + params.max_extra_spikes, n - 1 - i) <= band)
    return np.where(last, i, i + np.where(extend, m, k)), ok


def _begin_of_burst(near: np.ndarray, trials: np.ndarray, first: np.ndarray,
                    eob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per trial: the spike j in [first, eob) that maximises the surprise of j..eob (the earliest
    of ties), or `first` if eob <= first. Also whether the band held every surprise needed."""
    band = near.shape[2] - 2
    d = np.arange(band, 0, -1)[None, :]  # descending run lengths: ascending j = eob - d
    j = eob[:, None] - d
    inside = j >= first[:, None]
    column = np.where(inside, near[trials[:, None], np.maximum(j, 0), d], -np.inf)
    best = eob - d[0, np.argmax(column, axis=1)]
    ok = eob - first <= band
    return np.where(eob <= first, first, best), ok
