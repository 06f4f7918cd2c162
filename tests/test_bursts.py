"""Poisson-surprise burst detection (Legendy-Salcman) on hand-made spike trains."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from vtc_imagery.bursts import BurstParams, detect_bursts, strongest_burst_onset, surprise
from vtc_imagery.config import load_schema, validate_config
from vtc_imagery.screening import baseline_rates

SCHEMA = Path(__file__).resolve().parents[1] / "schemas/config.schema.yaml"
DEFAULTS = validate_config({}, load_schema(SCHEMA))  # the schema's defaults of every config key
BURSTS = BurstParams.from_config(DEFAULTS["screening"]["bursts"])  # the screening latency's bursts


def test_surprise_is_minus_log_of_the_poisson_tail():
    # 6 ISIs in 20 ms at 0.01 spikes/ms: -ln P(N > 6 | mu = 0.2)
    assert surprise(np.array(6), np.array(20.0), 0.01) == pytest.approx(-np.log(stats.poisson.sf(6, 0.2)))


def test_a_dense_run_of_spikes_is_one_burst_starting_at_its_first_spike():
    burst = 120 + 3.0 * np.arange(8)
    spikes = np.r_[20.0, burst, 250.0]  # 20 ms is before the search window, 250 ms too far to join
    found = detect_bursts(spikes, rate=0.005, start_ms=50, stop_ms=267, params=BURSTS)
    assert len(found) == 1
    assert found[0].onset_ms == 120.0 and found[0].n_spikes >= 8  # the long anchor may take in 250 ms too
    assert found[0].surprise > -np.log(0.01)


def test_four_spikes_are_never_a_burst():
    spikes = 100 + np.arange(4) * 1.0  # 3 ISIs < min_isis = 4
    assert detect_bursts(spikes, rate=0.001, start_ms=50, stop_ms=267, params=BURSTS) == []


def test_spikes_at_the_baseline_rate_rarely_make_a_burst():
    rng = np.random.default_rng(0)
    rate = 0.01  # 10 Hz
    hits = sum(bool(detect_bursts(np.sort(rng.uniform(0, 267, rng.poisson(rate * 267))), rate, 50, 267, BURSTS))
               for _ in range(500))
    assert hits / 500 < 0.05


def test_a_burst_is_found_even_when_no_spike_follows_the_window():
    # FIX departure 6: p_burst needed a spike at or after StopT to analyse a trial.
    spikes = 200 + 2.0 * np.arange(8)  # the last spike is at 214 ms, nothing after 267 ms
    assert strongest_burst_onset(spikes, 0.005, 50, 267, BURSTS) == 200.0


def test_a_trial_without_baseline_spikes_uses_the_units_pooled_baseline_rate():
    # FIX departure 6: a zero baseline made any 5-spike cluster an infinite-surprise burst.
    trials = [np.array([-30.0, -10.0, 100.0]), np.array([150.0]), np.array([-40.0, 120.0])]
    rates = baseline_rates(trials, (-50.0, 0.0))
    np.testing.assert_allclose(rates, [2 / 50, 3 / 150, 1 / 50])
    loose = 100 + 15.0 * np.arange(5)  # 5 spikes spread over 60 ms
    assert detect_bursts(loose, rate=rates[1] * 2, start_ms=50, stop_ms=267, params=BURSTS) == []


def test_the_strongest_of_two_bursts_gives_the_onset():
    weak = 60 + 3.0 * np.arange(6)
    strong = 180 + 1.5 * np.arange(12)
    short_anchor = replace(BURSTS, anchor_ms=25.0)  # with 500 ms the first run would reach into the second
    found = detect_bursts(np.r_[weak, strong], 0.004, 50, 267, short_anchor)
    assert [b.onset_ms for b in found] == [60.0, 180.0]
    assert strongest_burst_onset(np.r_[weak, strong], 0.004, 50, 267, short_anchor) == 180.0


def test_the_long_anchor_lets_a_run_reach_back_to_the_first_spike_searched():
    spikes = np.r_[70.0, 120 + 3.0 * np.arange(8)]
    assert strongest_burst_onset(spikes, 0.005, 50, 267, BURSTS) == 70.0
    assert strongest_burst_onset(spikes, 0.005, 50, 267, replace(BURSTS, anchor_ms=25.0)) == 120.0


def test_parameters_change_what_counts_as_a_burst():
    spikes = 100 + 4.0 * np.arange(6)
    assert detect_bursts(spikes, 0.01, 50, 267, BURSTS)
    assert not detect_bursts(spikes, 0.01, 50, 267, replace(BURSTS, min_isis=6))
