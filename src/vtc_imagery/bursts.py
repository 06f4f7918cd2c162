"""Poisson-surprise burst detection (Legendy & Salcman 1985; Hanes et al. 1995), as the authors'
`p_burst` (research/matlab_code.md §2.3), with its two known defects fixed.

Times are in ms. A burst is a run of spikes whose count in its duration is improbable under a
Poisson process at the baseline rate `rate` (spikes/ms). The ends of a candidate run are found with
an `anchor` added to its duration, which makes the count matter more than the duration: with the
default 500 ms anchor a run tends to reach back to the first spike searched. (The p_burst.m in the
public Utilities repository has anchor 25 ms, 2 ISIs and significance 0.001; the defaults here are
the ones research/matlab_code.md §2.3 reports, and all are config keys.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import pdtrc

from .params import StageParams

_TINY = 1e-300


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
    return -np.log(np.maximum(pdtrc(n_isis, rate * duration_ms), _TINY))


def detect_bursts(spikes_ms: np.ndarray, rate: float, start_ms: float, stop_ms: float,
                  params: BurstParams) -> list[Burst]:
    """All bursts among the spikes in [start_ms, stop_ms), in time order.

    FIX (matlab_code.md §4 item 6, first half): `p_burst` analysed spikes only up to the first
    spike at or after StopT, so a trial with no spike after StopT could never contain a burst.
    Here every spike inside [start_ms, stop_ms) is analysed whatever follows it.
    """
    t = np.asarray(spikes_ms, dtype=np.float64)
    t = t[(t >= start_ms) & (t < stop_ms)]
    n = len(t)
    if n <= params.min_isis:
        return []
    k = np.arange(n)
    isis = k[None, :] - k[:, None]  # ISIs between spike i (row) and spike j (column)
    span = t[None, :] - t[:, None]
    with np.errstate(invalid="ignore"):
        anchored = np.where(isis > 0, surprise(np.maximum(isis, 0), span + params.anchor_ms, rate), -np.inf)
    threshold = -np.log(params.significance)
    bursts, i = [], 0
    while i < n - params.min_isis:
        bob, eob = i, _end_of_burst(anchored, t, i, params)
        for _ in range(20):  # alternate the two ends until they agree
            new_bob = _begin_of_burst(anchored, i, eob)
            new_eob = _end_of_burst(anchored, t, new_bob, params)
            if (new_bob, new_eob) == (bob, eob):
                break
            bob, eob = new_bob, new_eob
        s = float(surprise(eob - bob, t[eob] - t[bob], rate)) if eob - bob >= params.min_isis else 0.0
        if eob - bob >= params.min_isis and s > threshold:
            bursts.append(Burst(onset_ms=float(t[bob]), n_spikes=int(eob - bob + 1), surprise=s))
            i = eob + 1
        else:
            i += 1
    return bursts


def _end_of_burst(anchored: np.ndarray, t: np.ndarray, i: int, params: BurstParams) -> int:
    """First local maximum of the surprise of spikes i..j over j > i; then, once, the first later
    spike of higher surprise if it adds at most max_extra_spikes spikes and max_extra_ms."""
    s = anchored[i, i + 1:]
    if len(s) == 0:
        return i
    falls = np.flatnonzero(s[1:] < s[:-1])
    k = int(falls[0]) if len(falls) else len(s) - 1
    higher = np.flatnonzero(s[k + 1:] > s[k])
    if len(higher):
        m = k + 1 + int(higher[0])
        if m - k - 1 <= params.max_extra_spikes and t[i + 1 + m] - t[i + 1 + k] <= params.max_extra_ms:
            k = m
    return i + 1 + k


def _begin_of_burst(anchored: np.ndarray, first: int, eob: int) -> int:
    """The spike j in [first, eob) that maximises the surprise of j..eob (the earliest of ties)."""
    if eob <= first:
        return first
    s = anchored[first:eob, eob]
    return first + int(np.argmax(s))


def strongest_burst_onset(spikes_ms: np.ndarray, rate: float, start_ms: float, stop_ms: float,
                          params: BurstParams) -> float:
    """Onset (ms) of the most surprising burst in the window, or NaN if there is none."""
    bursts = detect_bursts(spikes_ms, rate, start_ms, stop_ms, params)
    if not bursts:
        return float("nan")
    return max(bursts, key=lambda b: b.surprise).onset_ms
