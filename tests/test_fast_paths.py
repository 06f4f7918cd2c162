"""The vectorised spike-train paths equal the straightforward per-trial implementations they replaced,
on random spike trains: splitting a session's spikes by unit and trial, window counts, rasters,
cumulative-sum smoothing and the Poisson-surprise burst search."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vtc_imagery import bursts
from vtc_imagery.bursts import BurstParams, strongest_burst_onsets, surprise, trial_bursts
from vtc_imagery.config import load_schema, validate_config
from vtc_imagery.screening import moving_average
from vtc_imagery.spiketrains import SessionSpikes, TrialSpikes

SCHEMA = Path(__file__).resolve().parents[1] / "schemas/config.schema.yaml"
DEFAULTS = validate_config({}, load_schema(SCHEMA))
SCREENING_BURSTS = BurstParams.from_config(DEFAULTS["screening"]["bursts"])
IMAGERY_BURSTS = BurstParams.from_config(DEFAULTS["reactivation"]["bursts"])


# --- reference implementations: one trial at a time ----------------------------------------------

def reference_times_by_trial(spikes: pd.DataFrame, unit_index: int, trial_indices: np.ndarray) -> list[np.ndarray]:
    s = spikes[spikes.unit_index == unit_index]
    grouped = dict(tuple(s.groupby("trial_index").time))
    return [np.sort(grouped[k].to_numpy(np.float64) * 1000.0) if k in grouped else np.empty(0)
            for k in trial_indices]


def reference_moving_average(x: np.ndarray, span: int) -> np.ndarray:
    kernel = np.ones(span)
    num = np.apply_along_axis(lambda v: np.convolve(v, kernel, mode="same"), -1, x)
    return num / np.convolve(np.ones(x.shape[-1]), kernel, mode="same")


def reference_bursts(t: np.ndarray, rate: float, start_ms: float, stop_ms: float,
                     params: BurstParams) -> list[tuple[float, int, float]]:
    """(onset, n_spikes, surprise) of each burst: the sequential search over the full matrix."""
    t = t[(t >= start_ms) & (t < stop_ms)]
    n = len(t)
    if n <= params.min_isis:
        return []
    k = np.arange(n)
    isis = k[None, :] - k[:, None]
    with np.errstate(invalid="ignore"):
        anchored = np.where(isis > 0, surprise(np.maximum(isis, 0), t[None, :] - t[:, None] + params.anchor_ms, rate),
                            -np.inf)

    def end(i):
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

    def begin(first, eob):
        return first if eob <= first else first + int(np.argmax(anchored[first:eob, eob]))

    found, i = [], 0
    while i < n - params.min_isis:
        bob, eob = i, end(i)
        for _ in range(20):
            new_bob = begin(i, eob)
            new_eob = end(new_bob)
            if (new_bob, new_eob) == (bob, eob):
                break
            bob, eob = new_bob, new_eob
        s = float(surprise(eob - bob, t[eob] - t[bob], rate)) if eob - bob >= params.min_isis else 0.0
        if eob - bob >= params.min_isis and s > -np.log(params.significance):
            found.append((float(t[bob]), eob - bob + 1, s))
            i = eob + 1
        else:
            i += 1
    return found


def _random_trains(rng, n_trials: int, stop_ms: float, max_rate: float) -> list[np.ndarray]:
    """Poisson trains from 100 ms before to 50 ms after [0, stop_ms), half with a dense run of 3-60
    spikes added (runs longer than the first band of the lock-step search included)."""
    trains = []
    for _ in range(n_trials):
        t = rng.uniform(-100, stop_ms + 50, rng.poisson(rng.uniform(0.001, max_rate) * (stop_ms + 150)))
        if rng.random() < 0.5:
            run = rng.uniform(0, stop_ms) + np.cumsum(rng.exponential(rng.uniform(0.5, 8), rng.integers(3, 60)))
            t = np.r_[t, run]
        trains.append(np.sort(t))
    return trains


# --- splitting and per-trial counts ----------------------------------------------------------------

def test_session_spikes_give_each_units_trials_like_a_groupby():
    rng = np.random.default_rng(0)
    n = 20000
    spikes = pd.DataFrame(dict(unit_index=rng.integers(0, 6, n).astype(np.int32),
                               trial_index=rng.integers(0, 300, n).astype(np.int32),
                               time=rng.uniform(-0.5, 1.0, n).astype(np.float32)))  # in no particular order
    session = SessionSpikes(spikes)
    # trials in any order, repeated, without spikes for the unit, or not in the table at all
    trials = np.r_[rng.permutation(300)[:250], 7, 7, 299, 300, 1000]
    for unit in range(7):
        fast = session.trains(unit, trials).to_list()
        slow = reference_times_by_trial(spikes, unit, trials)
        assert len(fast) == len(slow)
        assert all(np.array_equal(a, b) for a, b in zip(fast, slow, strict=True))


def test_window_counts_and_rasters_equal_a_loop_over_trials():
    rng = np.random.default_rng(1)
    trains = _random_trains(rng, 200, 500.0, 0.05)
    trains[3] = np.empty(0)
    fast = TrialSpikes.from_list(trains)
    np.testing.assert_array_equal(fast.count_in(50.0, 267.0),
                                  [np.count_nonzero((t >= 50.0) & (t < 267.0)) for t in trains])
    slow = np.zeros((len(trains), 700))
    for k, t in enumerate(trains):
        b = np.floor(t + 170).astype(np.int64)
        slow[k, b[(b >= 0) & (b < 700)]] = 1.0
    np.testing.assert_array_equal(fast.raster(-170, 700), slow)


# --- smoothing -----------------------------------------------------------------------------------

@pytest.mark.parametrize("span", [1, 2, 3, 24, 25, 500, 700])
def test_cumulative_sum_smoothing_equals_the_convolution_exactly_on_rasters(span):
    raster = (np.random.default_rng(span).random((30, 700)) < 0.1).astype(float)
    np.testing.assert_array_equal(moving_average(raster, span), reference_moving_average(raster, span))


@pytest.mark.parametrize("span", [1, 4, 25, 501])
def test_cumulative_sum_smoothing_equals_the_convolution_on_real_values(span):
    x = np.random.default_rng(span).random((5, 700))
    # Differences of cumulative sums round on the scale of the sums, not of each window's mean.
    np.testing.assert_allclose(moving_average(x, span), reference_moving_average(x, span), rtol=0, atol=1e-12)


# --- bursts ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("params", "stop_ms", "max_rate"), [
    (SCREENING_BURSTS, 267.0, 0.1),
    (replace(SCREENING_BURSTS, anchor_ms=25.0, min_isis=2), 267.0, 0.1),
    (IMAGERY_BURSTS, 5000.0, 0.03),
    (replace(SCREENING_BURSTS, anchor_ms=25.0, max_extra_spikes=0), 267.0, 0.1),
], ids=["screening", "short-anchor", "imagery", "no-extension"])
@pytest.mark.parametrize(("first_band", "block_entries"), [(32, 2_000_000), (1, 2_000_000), (2, 2_000_000), (4, 3_000)],
                         ids=["default-band", "band-1", "band-2", "band-4-small-blocks"])
def test_bursts_searched_in_lock_step_equal_the_sequential_search(monkeypatch, params, stop_ms, max_rate,
                                                                   first_band, block_entries):
    # Narrow bands make most trials leave the band and be searched again; small blocks split the trials.
    monkeypatch.setattr(bursts, "_FIRST_BAND", first_band)
    monkeypatch.setattr(bursts, "_BLOCK_ENTRIES", block_entries)
    rng = np.random.default_rng(2)
    trains = _random_trains(rng, 150 if stop_ms < 1000 else 40, stop_ms, max_rate)
    rates = rng.uniform(0.001, max_rate, len(trains))
    found = trial_bursts(TrialSpikes.from_list(trains), rates, 50.0, stop_ms, params)
    expected = [(k, *b) for k, (t, r) in enumerate(zip(trains, rates, strict=True))
                for b in reference_bursts(t, r, 50.0, stop_ms, params)]
    assert len(expected) > 20
    assert found.trial.tolist() == [e[0] for e in expected]
    assert found.onset_ms.tolist() == [e[1] for e in expected]
    assert found.n_spikes.tolist() == [e[2] for e in expected]
    np.testing.assert_allclose(found.surprise, [e[3] for e in expected], rtol=1e-12)


def test_each_trials_latency_is_its_first_most_surprising_burst():
    rng = np.random.default_rng(3)
    trains = _random_trains(rng, 300, 267.0, 0.1)
    rates = rng.uniform(0.001, 0.1, len(trains))
    params = replace(SCREENING_BURSTS, anchor_ms=25.0)  # several bursts per trial
    onsets = strongest_burst_onsets(TrialSpikes.from_list(trains), rates, 50.0, 267.0, params)
    expected = []
    for t, r in zip(trains, rates, strict=True):
        found = reference_bursts(t, r, 50.0, 267.0, params)
        expected.append(max(found, key=lambda b: b[2])[0] if found else np.nan)
    assert sum(len(reference_bursts(t, r, 50.0, 267.0, params)) > 1 for t, r in zip(trains, rates, strict=True)) > 5
    np.testing.assert_array_equal(onsets, expected)


def test_a_burst_whose_start_lies_beyond_the_band_is_searched_again(monkeypatch):
    # With a band of 6, the end of this run moves more than 6 spikes past the spike the search
    # started from, so the best start can no longer be read from the band.
    monkeypatch.setattr(bursts, "_FIRST_BAND", 6)
    params = BurstParams(anchor_ms=0.0, min_isis=2, significance=0.5, max_extra_ms=100.0, max_extra_spikes=2)
    spikes = np.array([2.0, 6.0, 19.0, 25.0, 38.0, 43.0, 47.0, 54.0, 66.0, 70.0, 98.0])
    found = trial_bursts(TrialSpikes.from_list([spikes]), np.array([0.05]), 0.0, 267.0, params)
    assert [(b[0], b[1]) for b in reference_bursts(spikes, 0.05, 0.0, 267.0, params)] == [(19.0, 4)]
    assert (found.onset_ms.tolist(), found.n_spikes.tolist()) == ([19.0], [4])
