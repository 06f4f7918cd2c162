"""Latency, the responsiveness rule, the category ANOVA and per-image responses."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from nuisance_trains import POISSON, Nuisances, screening_order, screening_unit
from scipy import stats

from vtc_imagery.calibration import exact_interval
from vtc_imagery.config import load_schema, validate_config
from vtc_imagery.screening import (
    RASTER_WINDOW_MS,
    ScreeningParams,
    binary_raster,
    category_anova,
    half_rise_latency,
    image_responses,
    image_shift_p,
    max_image_z,
    moving_average,
    one_way_anova_p,
    paired_window_differences,
    paired_windows_test,
    passes_category_threshold,
    screen_unit,
    skew_corrected_t,
    t_sf,
    unit_latency,
    window_counts,
)

SCHEMA = Path(__file__).resolve().parents[1] / "schemas/config.schema.yaml"
DEFAULTS = validate_config({}, load_schema(SCHEMA))  # the schema's defaults of every config key
SCREENING = ScreeningParams.from_config(DEFAULTS["screening"])



def test_raster_columns_are_milliseconds_with_onset_at_the_boundary_of_column_170():
    # FIX departure 18: onset was column 171 but column 170 was used as onset.
    raster = binary_raster([np.array([-170.0, -0.5, 0.0, 0.9, 529.9, 530.0])])
    assert raster.shape == (1, 700)
    assert np.flatnonzero(raster[0]).tolist() == [0, 169, 170, 699]


def test_two_spikes_in_one_millisecond_count_once_in_the_raster():
    assert binary_raster([np.array([10.1, 10.7])]).sum() == 1


def test_moving_average_shrinks_at_the_edges():
    # FIX departure 20: one smoothing routine for every PSTH, edges neither zeroed nor biased.
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
    # FIX departure 19: categories are matched by name, not by position 1..K.
    times, labels = _responsive_trials(np.random.default_rng(1), categories=("text", "faces"))
    passes, floor_ok, top = passes_category_threshold(binary_raster(times), labels, 100.0, 266.6, SCREENING)
    assert passes and floor_ok and top == "faces"


def _authors_category_threshold(raster, categories, latency_ms, duration_ms, params):
    """The authors' order: smooth every trial's raster, then average each category's trials."""
    psth = moving_average(raster, params.smoothing_ms) * 1000.0
    onset = 170
    b0, b1 = onset + int(params.baseline_ms[0]), onset + int(params.baseline_ms[1])
    w0 = onset + int(np.floor(latency_ms))
    w1 = min(w0 + int(np.ceil(duration_ms)), raster.shape[1])
    peaks, troughs, base = {}, {}, {}
    for name in np.unique(categories):
        mean_psth = psth[categories == name].mean(axis=0)
        base[name] = (mean_psth[b0:b1].mean(), mean_psth[b0:b1].std(ddof=1))
        peaks[name], troughs[name] = mean_psth[w0:w1].max(), mean_psth[w0:w1].min()
    top, bottom = max(peaks, key=peaks.get), min(troughs, key=troughs.get)
    passes = (peaks[top] > base[top][0] + params.threshold_sd * base[top][1]
              or troughs[bottom] < base[bottom][0] - params.threshold_sd * base[bottom][1])
    return bool(passes), bool(psth[:, w0:w1].mean() >= params.rate_floor_hz), str(top)


@pytest.mark.parametrize("response_hz", [0.0, 8.0, 15.0, 30.0, 60.0])
def test_the_category_threshold_smooths_category_sums_as_the_authors_smoothed_each_trial(response_hz):
    # The smoothing is linear: one smoothing per category gives the authors' per-trial one's calls.
    assert RASTER_WINDOW_MS[0] == -170
    for seed in range(8):
        times, labels = _responsive_trials(np.random.default_rng(seed), n_per_cat=25, response_hz=response_hz,
                                           categories=("faces", "text", "animals"))
        raster = binary_raster(times)
        assert passes_category_threshold(raster, labels, 110.0, 266.6, SCREENING) == \
            _authors_category_threshold(raster, labels, 110.0, 266.6, SCREENING)


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


def test_the_anova_and_t_tails_are_scipy_stats_to_the_last_bit():
    # computed without importing scipy.stats (a second of every screening job), with its arithmetic
    rng = np.random.default_rng(3)
    for _ in range(300):
        sizes = rng.integers(1, 200, rng.integers(2, 12))
        groups = [rng.poisson(rng.uniform(0.1, 20), n).astype(rng.choice([np.int64, np.float64])) for n in sizes]
        if all(len(g) == 1 for g in groups) or all(np.all(g == g[0]) for g in groups):
            continue
        assert one_way_anova_p(groups) == stats.f_oneway(*groups).pvalue
    t, df = rng.normal(0, 3, 10_000), rng.integers(1, 5000, 10_000).astype(float)
    np.testing.assert_array_equal(t_sf(t, df), stats.t.sf(t, df))


def test_image_responses_are_window_rates_with_sd_over_root_n_errors():
    # FIX departure 16: the SEM is SD / sqrt(n), not SD / n.
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
    loose = screen_unit(times, ids, shuffled, 266.6, replace(SCREENING, rescue_sd=1e9, responsive_rule="threshold"))
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
    # FIX departure 1: the authors' window started 170 ms before the latency.
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


# --- The calibrated default rule, paired_windows ----------------------------------------------------------------

NULL_UNITS = 300  # enough that a false-positive rate of 0.08 would lie significantly above 0.05
NUISANCES = Nuisances()  # bursty gamma renewal spiking, trial gain and drift


def _calls(rule: str, n_units: int, seed: int, nuisances: Nuisances, response_hz: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    calls = []
    for k in range(n_units):
        if k % 20 == 0:  # sessions of 20 units, each with its own stimulus order
            design = screening_order(rng)
        times, ids, categories = screening_unit(rng, nuisances, response_hz, design=design)
        unit = screen_unit(times, ids, categories, 266.6, SCREENING)
        calls.append(getattr(unit, f"responsive_{rule}"))
    return np.array(calls)


def test_paired_windows_holds_its_level_on_bursty_overdispersed_drifting_null_trains():
    calls = _calls("paired_windows", NULL_UNITS, seed=11, nuisances=NUISANCES)
    # The rate itself at most nominal (so not significantly above it either): over 300 nulls a true
    # rate of 0.08 passes with probability about 0.04, one of 0.03 fails with about 0.01.
    assert calls.mean() <= SCREENING.alpha, f"{calls.mean():.3f} of null units called responsive"


def test_the_authors_threshold_rule_exceeds_its_level_on_the_same_null_trains():
    # The null trains are hard enough to break the authors' rule, so the test above can fail.
    calls = _calls("threshold", 100, seed=11, nuisances=NUISANCES)
    low, _ = exact_interval(int(calls.sum()), len(calls))
    assert low > SCREENING.alpha


def test_paired_windows_finds_units_that_respond_to_one_category_by_5_hz():
    # 80%: the conventional power target, for a weak response (5 Hz for 200 ms, one category only).
    assert _calls("paired_windows", 60, seed=12, nuisances=NUISANCES, response_hz=5.0).mean() >= 0.8


def test_paired_windows_finds_as_many_planted_responses_as_the_threshold_rule_on_poisson_trains():
    # Where spiking is Poisson and the authors' rule calls few null units, the new rule loses no power.
    paired = _calls("paired_windows", 60, seed=13, nuisances=POISSON, response_hz=3.0)
    threshold = _calls("threshold", 60, seed=13, nuisances=POISSON, response_hz=3.0)
    assert paired.sum() >= threshold.sum()


def test_the_paired_differences_are_response_window_rate_minus_baseline_rate():
    times = [np.array([-40.0, 10.0, 100.0, 200.0, 346.0, 350.0]), np.array([90.0])]
    params = replace(SCREENING, paired_response_start_ms=80.0, paired_baseline_ms=(-50.0, 80.0))
    np.testing.assert_allclose(paired_window_differences(times, 266.6, params),
                               [3 / 0.2666 - 2 / 0.130, 1 / 0.2666])


def _paired(differences: np.ndarray, categories: np.ndarray, stim_ids: np.ndarray | None = None):
    stim_ids = np.arange(len(differences)) // 4 if stim_ids is None else stim_ids
    return paired_windows_test(differences, categories, stim_ids)


def test_paired_windows_is_one_sided():
    # A unit silenced in the response window is not responsive by this rule.
    differences = np.r_[np.full(1000, -5.0), np.full(1000, -4.0)]
    test = _paired(differences, np.repeat(["faces", "text"], 1000))
    assert test.p_overall == 1.0 and test.p_category == 1.0 and test.p >= SCREENING.alpha


def test_a_response_to_one_small_category_is_found_by_the_category_part():
    rng = np.random.default_rng(14)
    categories = np.repeat(list("abcde"), [400, 400, 400, 400, 116])
    differences = rng.normal(0.0, 10.0, len(categories)) + np.where(categories == "e", 4.0, 0.0)
    test = _paired(differences, categories)
    assert test.p_overall > SCREENING.alpha / 3 and test.p < SCREENING.alpha
    assert test.p == pytest.approx(3 * 5 * test.p_category)


def test_a_response_to_a_single_image_is_found_by_the_single_image_part():
    # The sparse, concept-cell-like units of the authors' single-image rescue.
    rng = np.random.default_rng(18)
    stim_ids = np.concatenate([rng.permutation(500) for _ in range(4)])  # four blocks in random order
    categories = np.array(list("abcde"))[stim_ids % 5]
    differences = rng.normal(0.0, 10.0, 2000) + np.where(stim_ids == 7, 40.0, 0.0)
    test = _paired(differences, categories, stim_ids)
    assert test.p_overall > SCREENING.alpha / 3 and 5 * test.p_category > SCREENING.alpha / 3
    assert test.p_image < SCREENING.alpha / 3 and test.p < SCREENING.alpha


def test_the_single_image_p_counts_the_observed_labelling_and_is_never_zero():
    rng = np.random.default_rng(20)
    stim_ids = np.concatenate([rng.permutation(50) for _ in range(4)])
    differences = np.where(stim_ids == 3, 100.0, 0.0)  # no shift of the labels reaches the observed sum
    assert image_shift_p(differences, stim_ids) == pytest.approx(1 / 200)


def test_the_single_image_p_is_the_share_of_label_shifts_at_least_as_extreme():
    # Reference: every cyclic shift of the labels computed directly.
    rng = np.random.default_rng(19)
    stim_ids = np.concatenate([rng.permutation(30) for _ in range(4)])
    differences = rng.normal(size=120)
    centred = differences - differences.mean()
    largest = [max(np.roll(centred, -k)[stim_ids == i].sum() / 2.0 for i in range(30)) for k in range(120)]
    assert image_shift_p(differences, stim_ids) == pytest.approx(np.mean(np.array(largest) >= largest[0] - 1e-12))


def test_a_stimulus_order_that_repeats_exactly_leaves_the_single_image_part_unable_to_call():
    # Shifting a periodic order only renames the images: every shift is the observed grouping, p = 1
    # (documented: the part is then conservative, never liberal).
    stim_ids = np.tile(np.arange(50), 4)
    assert image_shift_p(np.where(stim_ids == 3, 100.0, 0.0), stim_ids) == 1.0


def test_the_skew_correction_is_the_plain_t_without_skew_and_smaller_for_left_skewed_differences():
    plain = np.sqrt(100) * 0.3 / 2.0
    assert skew_corrected_t(0.3, 2.0, 0.0, 100) == pytest.approx(plain)
    assert skew_corrected_t(0.3, 2.0, -8.0, 100) < plain


def test_every_rule_is_reported_and_responsive_is_the_configured_rules_call():
    times, ids, categories = screening_unit(np.random.default_rng(15), NUISANCES, response_hz=4.0)
    for rule in ("threshold", "threshold_anova", "paired_windows"):
        unit = screen_unit(times, ids, categories, 266.6, replace(SCREENING, responsive_rule=rule))
        assert unit.responsive == getattr(unit, f"responsive_{rule}")


def test_an_unknown_responsiveness_rule_is_refused():
    with pytest.raises(ValueError, match="unknown responsiveness rule"):
        replace(SCREENING, responsive_rule="vibes")


def test_a_unit_with_bursts_but_no_response_gets_no_latency():
    # FIX (latency of unresponsive units): bursts of a non-responsive unit no longer place a response window.
    rng = np.random.default_rng(16)
    for _ in range(20):
        times, ids, categories = screening_unit(rng, NUISANCES)
        unit = screen_unit(times, ids, categories, 266.6, SCREENING)
        if unit.n_burst_trials > 0 and not unit.responsive:
            break
    assert unit.n_burst_trials > 0 and not unit.responsive
    assert np.isnan(unit.latency_ms) and unit.latency_source == ""


def test_a_responsive_unit_too_sparse_for_bursts_gets_the_half_rise_latency():
    # 0.5 Hz baseline and one spike in 150-350 ms on every trial of category a: a clear response,
    # but too few spikes in any one trial for a burst.
    rng = np.random.default_rng(17)
    categories = np.repeat(list("ab"), 1000)
    times = [np.sort(np.r_[rng.uniform(-500, 600, rng.poisson(0.55)), rng.uniform(150, 350, int(c == "a"))])
             for c in categories]
    unit = screen_unit(times, np.arange(2000) // 4 + 1, categories, 266.6, SCREENING)
    assert unit.responsive and unit.n_burst_trials == 0 and unit.latency_source == "psth"
    assert unit.latency_ms == pytest.approx(150, abs=10)


def test_the_half_rise_latency_of_a_step_response_is_the_step():
    raster = np.zeros((40, 700))
    raster[:, 170 + 140:170 + 340] = 1.0  # every trial fires every ms from 140 to 340 ms after onset
    assert half_rise_latency(raster, np.repeat(list("ab"), 20), 266.6, SCREENING) == pytest.approx(140, abs=1)
