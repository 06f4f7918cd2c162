"""Latency, the responsiveness rule, the category ANOVA and per-image responses."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from vtc_imagery.config import load_schema, validate_config
from vtc_imagery.screening import (
    ScreeningParams,
    binary_raster,
    category_anova,
    image_responses,
    max_image_z,
    moving_average,
    passes_category_threshold,
    screen_unit,
    unit_latency,
    window_counts,
)

SCHEMA = Path(__file__).resolve().parents[1] / "schemas/config.schema.yaml"
DEFAULTS = validate_config({}, load_schema(SCHEMA))  # the schema's defaults of every config key
SCREENING = ScreeningParams.from_config(DEFAULTS["screening"])



def test_raster_columns_are_milliseconds_with_onset_at_the_boundary_of_column_170():
    # FIX matlab_code.md §4 item 18: onset was column 171 but column 170 was used as onset.
    raster = binary_raster([np.array([-170.0, -0.5, 0.0, 0.9, 529.9, 530.0])])
    assert raster.shape == (1, 700)
    assert np.flatnonzero(raster[0]).tolist() == [0, 169, 170, 699]


def test_two_spikes_in_one_millisecond_count_once_in_the_raster():
    assert binary_raster([np.array([10.1, 10.7])]).sum() == 1


def test_moving_average_shrinks_at_the_edges():
    # FIX matlab_code.md §4 item 20: one smoothing routine for every PSTH, edges neither zeroed nor biased.
    np.testing.assert_allclose(moving_average(np.array([3.0, 0.0, 0.0, 0.0, 3.0]), 3), [1.5, 1.0, 0.0, 1.0, 1.5])


def test_unit_latency_averages_trials_with_a_burst_after_onset():
    latency, sd, n = unit_latency(np.array([100.0, np.nan, 140.0, 120.0]))
    assert (latency, n) == (120.0, 3) and sd == pytest.approx(20.0)
    assert np.isnan(unit_latency(np.full(4, np.nan))[0])


def _responsive_trials(rng, n_per_cat=40, response_hz=60.0, baseline_hz=5.0, categories=("faces", "text")):
    """Trials of a unit that fires at response_hz 100-200 ms after onset to faces only."""
    times, labels = [], []
    for cat in categories:
        for _ in range(n_per_cat):
            t = rng.uniform(-170, 530, rng.poisson(baseline_hz * 0.7))
            if cat == "faces":
                t = np.r_[t, rng.uniform(100, 200, rng.poisson(response_hz * 0.1))]
            times.append(np.sort(t))
            labels.append(cat)
    return times, np.array(labels)


def test_a_category_response_passes_the_threshold_whatever_the_label_order():
    # FIX matlab_code.md §4 item 19: categories are matched by name, not by position 1..K.
    times, labels = _responsive_trials(np.random.default_rng(1), categories=("text", "faces"))
    passes, floor_ok, top = passes_category_threshold(binary_raster(times), labels, 100.0, 266.6, SCREENING)
    assert passes and floor_ok and top == "faces"


def test_a_silent_unit_is_below_the_rate_floor():
    times = [np.array([-100.0]) for _ in range(20)] + [np.array([-20.0, 450.0]) for _ in range(20)]
    labels = np.array(["faces"] * 20 + ["text"] * 20)
    _, floor_ok, _ = passes_category_threshold(binary_raster(times), labels, 100.0, 266.6, SCREENING)
    assert not floor_ok


def test_one_image_far_above_baseline_is_the_rescue_statistic():
    rng = np.random.default_rng(2)
    times = [np.sort(rng.uniform(-170, 530, 3)) for _ in range(200)]
    ids = np.repeat(np.arange(1, 51), 4)
    for k in np.flatnonzero(ids == 7):
        times[k] = np.sort(np.r_[times[k], np.linspace(110, 300, 40)])
    z = max_image_z(binary_raster(times), ids, 100.0, 266.6, SCREENING)
    assert z >= 10


def _silent_baseline_trials(burst_image):
    """200 trials of 50 images with no spike before 200 ms after onset, except a dense burst from
    110 ms in the trials of `burst_image` (None: no burst)."""
    rng = np.random.default_rng(2)
    ids = np.repeat(np.arange(1, 51), 4)
    times = [np.sort(rng.uniform(200, 530, 1)) for _ in range(200)]
    for k in np.flatnonzero(ids == burst_image):
        times[k] = np.sort(np.r_[times[k], np.linspace(110, 300, 40)])
    return times, ids


def test_a_silent_baseline_makes_an_image_above_it_infinitely_many_sds_and_rescues_the_unit():
    # As the authors' code: baseline SD 0 divides to +inf (this returned NaN, which never rescued).
    times, ids = _silent_baseline_trials(burst_image=7)
    assert max_image_z(binary_raster(times), ids, 100.0, 266.6, SCREENING) == np.inf
    unit = screen_unit(times, ids, np.where(ids <= 25, "faces", "text"), 266.6, SCREENING)
    assert unit.max_image_z == np.inf and unit.rescued


def test_a_silent_baseline_and_silent_windows_give_no_rescue_statistic():
    # 0 / 0 is NaN for every image, and the maximum of nothing but NaN is NaN.
    times, ids = _silent_baseline_trials(burst_image=None)
    times = [t[t < 0] for t in times]  # no spike at all
    assert np.isnan(max_image_z(binary_raster(times), ids, 100.0, 266.6, SCREENING))


def test_category_anova_is_scipys_one_way_anova():
    counts = np.array([1, 2, 3, 7, 8, 9, 4, 4, 5])
    cats = np.array(["a"] * 3 + ["b"] * 3 + ["c"] * 3)
    assert category_anova(counts, cats) == pytest.approx(stats.f_oneway([1, 2, 3], [7, 8, 9], [4, 4, 5]).pvalue)
    assert np.isnan(category_anova(np.zeros(6), np.array(["a"] * 3 + ["b"] * 3)))


def test_image_responses_are_window_rates_with_sd_over_root_n_errors():
    # FIX matlab_code.md §4 item 16: the SEM is SD / sqrt(n), not SD / n.
    times = [np.array([110.0, 150.0]), np.array([120.0]), np.array([90.0, 500.0]), np.array([101.0, 102.0, 103.0])]
    r = image_responses(times, np.array([1, 1, 2, 2]), latency_ms=100.0, duration_ms=200.0)
    rates1 = np.array([2, 1]) / 0.2
    assert r.set_index("stim_id").loc[1, "response_hz"] == pytest.approx(rates1.mean())
    assert r.set_index("stim_id").loc[1, "sem_hz"] == pytest.approx(rates1.std(ddof=1) / np.sqrt(2))
    assert window_counts(times, 100.0, 200.0).tolist() == [2, 1, 0, 3]


def test_a_responsive_unit_is_called_and_a_flat_one_is_not():
    rng = np.random.default_rng(3)
    times, labels = _responsive_trials(rng, n_per_cat=100)
    ids = np.arange(len(times)) // 4 + 1
    unit = screen_unit(times, ids, labels, 266.6, SCREENING)
    assert unit.responsive and 90 < unit.latency_ms < 160 and unit.category_selective
    flat = [np.sort(rng.uniform(-170, 530, rng.poisson(0.7))) for _ in range(len(times))]
    assert not screen_unit(flat, ids, labels, 266.6, SCREENING).responsive


def test_the_anova_rule_also_asks_for_category_selectivity():
    rng = np.random.default_rng(4)
    times, labels = _responsive_trials(rng, n_per_cat=100)
    ids = np.arange(len(times)) // 4 + 1
    shuffled = rng.permutation(labels)  # the response no longer follows the category labels
    loose = screen_unit(times, ids, shuffled, 266.6, replace(SCREENING, rescue_sd=1e9))
    anova_rule = replace(SCREENING, rescue_sd=1e9, responsive_rule="threshold_anova")
    strict = screen_unit(times, ids, shuffled, 266.6, anova_rule)
    assert loose.responsive and not loose.category_selective
    assert not strict.responsive


def test_params_come_from_the_config_section(repo):
    import yaml

    cfg = yaml.safe_load((repo / "config.yaml").read_text())["screening"]
    params = ScreeningParams.from_config(cfg)
    assert params.baseline_ms == (-50.0, 0.0) and params.bursts.min_isis == 4 and params.threshold_sd == 3.5


def test_the_noise_ceiling_uses_the_response_window_after_the_latency():
    # FIX matlab_code.md §4 item 1: the authors' window started 170 ms before the latency.
    from vtc_imagery.axis import noise_ceiling

    rng = np.random.default_rng(5)
    drive = rng.uniform(0, 40, 100)
    times = [np.sort(np.r_[rng.uniform(-170, 530, 2), rng.uniform(120, 386, rng.poisson(d * 0.266))])
             for d in np.repeat(drive, 4)]
    right = window_counts(times, 120.0, 266.0).reshape(100, 4)
    early = window_counts(times, 120.0 - 170.0, 266.0).reshape(100, 4)
    assert noise_ceiling(right) > 0.8
    assert noise_ceiling(early) < noise_ceiling(right)
    assert early.sum() < 0.6 * right.sum()  # the early window misses most of the response
