"""Spike trains with the nuisances of real recordings, made here with numpy alone (not with the
package's simulator, and not with any detector's null model), for the calibration tests of the
responsiveness and reactivation rules.

A unit's rate is piecewise constant: a baseline, times a slow sinusoidal drift over the session,
times a gamma gain per trial (on the trial's whole stretch, baseline included), plus any planted
response. Spikes come from a gamma renewal process by time rescaling, and each spike starts a
burst of 1-3 more spikes a few ms apart with some probability.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CATEGORY_SIZES = {"animals": 92, "faces": 77, "objects": 234, "plants": 68, "text": 29}  # the 500 images
STIM_ON_S, STIM_OFF_S = 0.2666, 0.1335
IMAGERY_S, CUE_GAP_S = 5.0, 1.5


@dataclass(frozen=True)
class Nuisances:
    isi_cv: float = 0.8  # gamma renewal interval CV (1: Poisson)
    burst_probability: float = 0.1  # chance that a spike starts a burst
    burst_isi_s: float = 0.004
    trial_gain_cv: float = 0.5  # gamma gain per trial (0: none)
    drift_amplitude: float = 0.4  # largest fractional drift over the session (0: none)


POISSON = Nuisances(isi_cv=1.0, burst_probability=0.0, trial_gain_cv=0.0, drift_amplitude=0.0)


def renewal_spikes(rng: np.random.Generator, edges_s: np.ndarray, rate_hz: np.ndarray,
                   nuisances: Nuisances) -> np.ndarray:
    """Ascending spike times (s) for the rate `rate_hz[i]` on [edges_s[i], edges_s[i + 1])."""
    inflation = 1.0 + 2.0 * nuisances.burst_probability  # a burst adds two spikes on average
    cumulative = np.r_[0.0, np.cumsum(rate_hz * np.diff(edges_s))] / inflation
    shape = 1.0 / nuisances.isi_cv**2
    n = int(cumulative[-1] + 10.0 * np.sqrt(cumulative[-1] + 1.0) + 20)
    points = np.cumsum(rng.gamma(shape, 1.0 / shape, n)) - rng.random()
    points = points[(points >= 0) & (points < cumulative[-1])]
    t = np.interp(points, cumulative, edges_s)
    starts = t[rng.random(len(t)) < nuisances.burst_probability]
    if not len(starts):
        return t
    extra = rng.integers(1, 4, len(starts))
    gaps = np.cumsum(nuisances.burst_isi_s * rng.uniform(0.6, 1.4, extra.sum()))
    first = np.r_[0, np.cumsum(extra)[:-1]]
    within = gaps - np.repeat(np.r_[0.0, gaps[first[1:] - 1]], extra)
    return np.sort(np.r_[t, np.repeat(starts, extra) + within])


def _unit_rate(rng: np.random.Generator, edges_s: np.ndarray, trial_of_segment: np.ndarray, n_trials: int,
               nuisances: Nuisances) -> tuple[np.ndarray, np.ndarray]:
    """Baseline x drift x trial gain on each segment, and the trial gains."""
    baseline = np.clip(rng.lognormal(np.log(3.0), 0.8), 0.3, 20.0)
    phase = rng.uniform(0.0, 2 * np.pi)
    drift = 1.0 + nuisances.drift_amplitude * np.sin(2 * np.pi * edges_s[:-1] / edges_s[-1] + phase)
    cv = nuisances.trial_gain_cv
    gain = rng.gamma(1.0 / cv**2, cv**2, n_trials) if cv > 0 else np.ones(n_trials)
    return baseline * drift * gain[trial_of_segment], gain


def screening_order(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A session's screening design: the 500 images four times, each block in its own random
    order, and the onsets (s) ~400 ms apart."""
    order = np.concatenate([rng.permutation(sum(CATEGORY_SIZES.values())) for _ in range(4)])
    onsets = 1.0 + np.r_[0.0, np.cumsum(STIM_ON_S + STIM_OFF_S + rng.uniform(0, 0.02, len(order)))[:-1]]
    return order, onsets


def screening_unit(rng: np.random.Generator, nuisances: Nuisances, response_hz: float = 0.0,
                   response_ms: float = 200.0, design: tuple[np.ndarray, np.ndarray] | None = None,
                   ) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """One unit's 2000 screening trials (`design`, or a new screening_order): spike times (ms from
    onset, -500..600) per trial, stim ids and categories. A planted response adds `response_hz`
    (times the trial gain) for `response_ms` after a latency of 110-200 ms on the trials of one
    category."""
    names = np.repeat(list(CATEGORY_SIZES), list(CATEGORY_SIZES.values()))
    order, onsets = screening_order(rng) if design is None else design
    latency = rng.uniform(0.11, 0.2)
    # Three segments per trial: onset to response, response, response to the next onset.
    edges = np.r_[0.0, np.column_stack([onsets, onsets + latency, onsets + latency + response_ms / 1000]).ravel(),
                  onsets[-1] + 2.0]
    segment = np.arange(len(edges) - 1)
    trial = np.clip((segment - 1) // 3, 0, len(onsets) - 1)
    rate, gain = _unit_rate(rng, edges, trial, len(onsets), nuisances)
    preferred = rng.choice(list(CATEGORY_SIZES))
    in_response = (segment % 3 == 2) & (names[order][trial] == preferred)
    rate = rate + in_response * response_hz * gain[trial]
    t = renewal_spikes(rng, edges, rate, nuisances)
    lo, hi = np.searchsorted(t, onsets - 0.5), np.searchsorted(t, onsets + 0.6)
    times = [(t[a:b] - o) * 1000.0 for a, b, o in zip(lo, hi, onsets, strict=True)]
    return times, order + 1, names[order]


def imagery_unit(rng: np.random.Generator, nuisances: Nuisances, response_hz: float = 0.0,
                 response_ms: tuple[float, float] = (0.0, 5000.0),
                 n_objects: int = 8) -> tuple[list[np.ndarray], np.ndarray]:
    """One unit's imagery cues (each of `n_objects` objects cued 8 times, in random order, 5-s
    imagery windows ~7 s apart): spike times (ms from the cue, -1000..6500) per cue, and the cued
    object. A planted response adds `response_hz` in `response_ms` (after the cue) of object 1's cues."""
    objects = rng.permutation(np.repeat(np.arange(1, n_objects + 1), 8))
    onsets = 2.0 + np.r_[0.0, np.cumsum(IMAGERY_S + CUE_GAP_S + rng.uniform(0, 0.5, len(objects)))[:-1]]
    # Three segments per cue: from 1.2 s before the cue, the response, then to the next cue.
    start, stop = response_ms[0] / 1000.0, response_ms[1] / 1000.0
    edges = np.r_[0.0, np.column_stack([onsets - 1.2, onsets + start, onsets + stop]).ravel(), onsets[-1] + 8.0]
    segment = np.arange(len(edges) - 1)
    trial = np.clip((segment - 1) // 3, 0, len(onsets) - 1)
    rate, _ = _unit_rate(rng, edges, trial, len(onsets), nuisances)
    rate = rate + ((segment % 3 == 2) & (objects[trial] == 1)) * response_hz
    t = renewal_spikes(rng, edges, rate, nuisances)
    lo, hi = np.searchsorted(t, onsets - 1.0), np.searchsorted(t, onsets + 6.5)
    return [(t[a:b] - o) * 1000.0 for a, b, o in zip(lo, hi, onsets, strict=True)], objects
