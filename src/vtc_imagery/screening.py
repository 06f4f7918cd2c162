"""Screening statistics of single units (research/matlab_code.md §2.3-2.5; paper.md P2-P3):
trial and unit latency from Poisson-surprise bursts, the responsiveness rule, the category ANOVA,
and per-image responses in [latency, latency + stimulus duration].

Times inside this module are in ms relative to stimulus onset unless a name says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .bursts import BurstParams, strongest_burst_onsets
from .params import StageParams
from .spiketrains import SessionSpikes, TimesByTrial, TrialSpikes

RASTER_WINDOW_MS = (-170, 530)  # the authors' screening raster


@dataclass(frozen=True)
class ScreeningParams(StageParams):
    """The `screening:` config section."""

    baseline_ms: tuple[float, float]
    burst_start_ms: float  # bursts are searched from onset + burst_start_ms to onset + stimulus duration
    smoothing_ms: int  # moving-average span of the PSTH used by the threshold test
    threshold_sd: float
    rate_floor_hz: float
    rescue_sd: float
    anova_alpha: float
    # threshold: the authors' code (latency, then category threshold above the rate floor, or the
    # single-image rescue); threshold_anova: the threshold branch also needs a significant category
    # ANOVA (the paper calls the 456 'visually selective'; which rule it used is not known).
    responsive_rule: str
    bursts: BurstParams


@dataclass(frozen=True)
class UnitScreening:
    latency_ms: float  # NaN when no trial has a burst
    latency_sd_ms: float
    n_burst_trials: int
    passes_threshold: bool  # category PSTH beyond baseline +- threshold_sd SD
    above_rate_floor: bool
    max_image_z: float  # largest single-image response in baseline SDs (the rescue statistic)
    rescued: bool
    responsive: bool
    anova_p: float  # one-way ANOVA of window spike counts over categories (NaN if not computed)
    category_selective: bool
    preferred_category: str


def baseline_rates(times_by_trial: TimesByTrial, window: tuple[float, float]) -> np.ndarray:
    """Per-trial baseline rate (spikes/ms) in the window.

    FIX (matlab_code.md §4 item 6, second half): with no baseline spike the rate was 0, which makes
    any 5-spike cluster a 'burst' (infinite surprise). A trial without baseline spikes takes the
    unit's pooled baseline rate instead, and at least one spike over all baseline windows.
    """
    width = window[1] - window[0]
    counts = TrialSpikes.of(times_by_trial).count_in(*window).astype(float)
    pooled = max(counts.sum(), 1.0) / (width * max(len(counts), 1))
    rates = counts / width
    rates[counts == 0] = pooled
    return rates


def trial_latencies(times_by_trial: TimesByTrial, stim_duration_ms: float,
                    params: ScreeningParams) -> np.ndarray:
    """Per trial: onset (ms) of its most surprising burst in [burst_start, stim duration), or NaN."""
    trains = TrialSpikes.of(times_by_trial)
    rates = baseline_rates(trains, params.baseline_ms)
    return strongest_burst_onsets(trains, rates, params.burst_start_ms, stim_duration_ms, params.bursts)


def unit_latency(onsets_ms: np.ndarray) -> tuple[float, float, int]:
    """Mean and SD (ms) of the trial burst onsets after stimulus onset, and how many there were."""
    valid = onsets_ms[np.isfinite(onsets_ms) & (onsets_ms > 0)]
    if len(valid) == 0:
        return float("nan"), float("nan"), 0
    return float(valid.mean()), float(valid.std(ddof=1)) if len(valid) > 1 else 0.0, len(valid)


def binary_raster(times_by_trial: TimesByTrial,
                  window_ms: tuple[int, int] = RASTER_WINDOW_MS) -> np.ndarray:
    """(n_trials, n_ms) 0/1 raster: 1 where the trial has a spike in [b, b+1) ms.

    FIX (matlab_code.md §4 item 18): column c is the ms [window_ms[0] + c, window_ms[0] + c + 1),
    so onset is exactly the boundary at column -window_ms[0]; the authors' code used column 170 as
    onset while onset sat at column 171.
    """
    return TrialSpikes.of(times_by_trial).raster(window_ms[0], window_ms[1] - window_ms[0])


def moving_average(x: np.ndarray, span: int) -> np.ndarray:
    """Centred moving average along the last axis, averaging fewer points at the edges.

    FIX (matlab_code.md §4 item 20): the authors smoothed screening PSTHs with one routine
    (edge-shrinking, then edges zeroed) and recall PSTHs with another (boxcar, zero ends); every
    PSTH here uses this one, which neither zeroes nor biases its edges.

    The window of point i is [i - span // 2, i + (span - 1) // 2] (np.convolve's mode="same"
    centring), summed as a difference of cumulative sums: exact for integer-valued x (rasters,
    counts), otherwise equal to the convolution up to rounding.
    """
    n, before = x.shape[-1], span // 2  # `before` points left of i, span - 1 - before right of it
    # padded[..., p] = sum of x[..., :p - before], clipped to 0 and to the total, so that the window
    # sum of point i is padded[..., i + span] - padded[..., i].
    padded = np.empty((*x.shape[:-1], n + span))
    padded[..., :before + 1] = 0.0
    np.cumsum(x, axis=-1, out=padded[..., before + 1:before + 1 + n])
    padded[..., before + 1 + n:] = padded[..., before + n:before + n + 1]
    width = np.minimum(np.arange(n) + span - before, n) - np.maximum(np.arange(n) - before, 0)
    out = np.subtract(padded[..., span:], padded[..., :n])
    return np.divide(out, width, out=out)


def passes_category_threshold(raster: np.ndarray, categories: np.ndarray, latency_ms: float,
                              stim_duration_ms: float, params: ScreeningParams,
                              window_ms: tuple[int, int] = RASTER_WINDOW_MS) -> tuple[bool, bool, str]:
    """The authors' class-wise threshold test on the smoothed PSTH (§2.3 step 3) and rate floor (step 4).

    For each category: the trial-averaged smoothed PSTH (Hz); its baseline mean and SD over time.
    Responsive if the category with the highest peak in [latency, latency + duration] peaks above
    its baseline mean + threshold_sd SD, or the one with the lowest trough dips below mean - SD.
    FIX (§4 item 19): categories are matched by name, not by their position in a label list.
    Returns (passes threshold, above rate floor, category with the highest peak).
    """
    onset = -window_ms[0]
    psth = moving_average(raster, params.smoothing_ms) * 1000.0  # Hz, per trial
    b0, b1 = onset + int(params.baseline_ms[0]), onset + int(params.baseline_ms[1])
    w0 = onset + int(np.floor(latency_ms))
    w1 = min(w0 + int(np.ceil(stim_duration_ms)), raster.shape[1])
    peaks, troughs, base = {}, {}, {}
    for name in np.unique(categories):
        mean_psth = psth[categories == name].mean(axis=0)
        base[name] = (mean_psth[b0:b1].mean(), mean_psth[b0:b1].std(ddof=1))
        peaks[name], troughs[name] = mean_psth[w0:w1].max(), mean_psth[w0:w1].min()
    top = max(peaks, key=peaks.get)
    bottom = min(troughs, key=troughs.get)
    passes = (peaks[top] > base[top][0] + params.threshold_sd * base[top][1]
              or troughs[bottom] < base[bottom][0] - params.threshold_sd * base[bottom][1])
    floor_ok = psth[:, w0:w1].mean() >= params.rate_floor_hz
    return bool(passes), bool(floor_ok), str(top)


def max_image_z(raster: np.ndarray, stim_ids: np.ndarray, latency_ms: float, stim_duration_ms: float,
                params: ScreeningParams, window_ms: tuple[int, int] = RASTER_WINDOW_MS) -> float:
    """Largest per-image mean rate in the response window, in SDs (over time) of the trial-averaged
    baseline raster above its mean: the statistic of the single-image rescue (§2.3 step 5).

    A baseline with SD 0 (no baseline spike in any trial, say) divides as the authors' code does:
    an image above the baseline mean gives +inf, so the unit is rescued; one at it gives NaN, which
    the maximum ignores; NaN only when every image is at the baseline mean.
    """
    onset = -window_ms[0]
    mean_raster = raster.mean(axis=0) * 1000.0
    b0, b1 = onset + int(params.baseline_ms[0]), onset + int(params.baseline_ms[1])
    mu, sd = mean_raster[b0:b1].mean(), mean_raster[b0:b1].std(ddof=1)
    w0 = onset + int(np.floor(latency_ms))
    w1 = min(w0 + int(np.ceil(stim_duration_ms)), raster.shape[1])
    per_trial = raster[:, w0:w1].mean(axis=1) * 1000.0
    per_image = pd.Series(per_trial).groupby(stim_ids).mean().to_numpy()
    # Authors' rescue kept (was NaN here, which never rescued): IEEE division, then MATLAB max's omission of NaN.
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (per_image - mu) / sd
    return float("nan") if np.isnan(z).all() else float(np.nanmax(z))


def window_counts(times_by_trial: TimesByTrial, start_ms: float,
                  duration_ms: float) -> np.ndarray:
    """Spike count of each trial in [start_ms, start_ms + duration_ms)."""
    return TrialSpikes.of(times_by_trial).count_in(start_ms, start_ms + duration_ms)


def category_anova(counts: np.ndarray, categories: np.ndarray) -> float:
    """p of the one-way ANOVA of per-trial spike counts across categories (NaN if undefined)."""
    groups = [counts[categories == c] for c in np.unique(categories)]
    if len(groups) < 2 or all(np.all(g == g[0]) for g in groups if len(g)):
        return float("nan")
    return float(stats.f_oneway(*groups).pvalue)


def screen_unit(times_by_trial: TimesByTrial, stim_ids: np.ndarray, categories: np.ndarray,
                stim_duration_ms: float, params: ScreeningParams) -> UnitScreening:
    """Latency, responsiveness and category selectivity of one unit over its screening trials.

    `times_by_trial`: spike times (ms from onset) of each screening trial; `stim_ids` and
    `categories` label the trials. A unit is responsive if it has a latency and either passes the
    category threshold test above the rate floor, or one image drives it rescue_sd SDs above baseline.
    """
    trains = TrialSpikes.of(times_by_trial)
    latency, latency_sd, n_burst = unit_latency(trial_latencies(trains, stim_duration_ms, params))
    if not np.isfinite(latency):
        return UnitScreening(latency, latency_sd, n_burst, False, False, float("nan"), False, False,
                             float("nan"), False, "")
    raster = binary_raster(trains)
    passes, floor_ok, top = passes_category_threshold(raster, categories, latency, stim_duration_ms, params)
    z = max_image_z(raster, stim_ids, latency, stim_duration_ms, params)
    rescued = bool(z >= params.rescue_sd)  # NaN never rescues; +inf (baseline SD 0) does
    p = category_anova(window_counts(trains, latency, stim_duration_ms), categories)
    selective = bool(np.isfinite(p) and p < params.anova_alpha)
    threshold_branch = passes and floor_ok and (selective or params.responsive_rule == "threshold")
    return UnitScreening(latency, latency_sd, n_burst, passes, floor_ok, z, rescued,
                         bool(threshold_branch or rescued), p, selective, top)


def times_by_trial(spikes: pd.DataFrame, unit_index: int, trial_indices: np.ndarray) -> list[np.ndarray]:
    """Spike times (ms from trial start) of one unit, one array per trial in `trial_indices` order.
    (For many units of a session, SessionSpikes sorts the table once.)"""
    return SessionSpikes(spikes[spikes.unit_index == unit_index]).trains(unit_index, trial_indices).to_list()


def image_responses(times: TimesByTrial, stim_ids: np.ndarray, latency_ms: float,
                    duration_ms: float) -> pd.DataFrame:
    """Per stimulus: mean rate (Hz) over its trials in [latency, latency + duration), its SEM and
    the trial count.

    FIX (matlab_code.md §4 item 16): the SEM is SD / sqrt(n); the authors' synthetic-image plots
    divided by n.
    """
    counts = window_counts(times, latency_ms, duration_ms)
    rates = counts / (duration_ms / 1000.0)
    df = pd.DataFrame(dict(stim_id=stim_ids, rate=rates))
    out = df.groupby("stim_id").rate.agg(["mean", "std", "size"]).reset_index()
    out["sem"] = out["std"] / np.sqrt(out["size"])
    return out.rename(columns={"mean": "response_hz", "sem": "sem_hz", "size": "n_trials"}).drop(columns="std")


def screen_session(units: pd.DataFrame, trials: pd.DataFrame, spikes: pd.DataFrame,
                   params: ScreeningParams) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Screen every unit of a session.

    Returns (per-unit screening table, per-image responses of responsive units for the screening
    and synthetic stimuli, per-trial window spike counts of responsive units on screening trials).
    The response window is [latency, latency + median screening stimulus duration).
    """
    screening = trials[trials.stim_phase == "screening"]
    if screening.empty:
        raise ValueError("the session has no screening trials")
    duration = float(np.median(screening.stop_time - screening.start_time) * 1000.0)
    synthetic = trials[trials.stim_phase == "synthetic"]
    session = SessionSpikes(spikes)
    rows, responses, counts = [], [], []
    for u in units.itertuples():
        times = session.trains(u.unit_index, screening.trial_index.to_numpy())
        result = screen_unit(times, screening.stim_id.to_numpy(), screening.stim_category.to_numpy(),
                             duration, params)
        rows.append(dict(unit_id=u.unit_id, **result.__dict__, stim_duration_ms=duration))
        if not result.responsive:
            continue
        for phase, table, t in (("screening", screening, times),
                                ("synthetic", synthetic,
                                 session.trains(u.unit_index, synthetic.trial_index.to_numpy()))):
            if len(table):
                r = image_responses(t, table.stim_id.to_numpy(), result.latency_ms, duration)
                responses.append(r.assign(unit_id=u.unit_id, stim_phase=phase))
        counts.append(pd.DataFrame(dict(unit_id=u.unit_id, stim_id=screening.stim_id.to_numpy(),
                                        trial_index=screening.trial_index.to_numpy(),
                                        count=window_counts(times, result.latency_ms, duration))))
    response_cols = ["unit_id", "stim_phase", "stim_id", "response_hz", "sem_hz", "n_trials"]
    count_cols = ["unit_id", "stim_id", "trial_index", "count"]
    return (pd.DataFrame(rows),
            (pd.concat(responses, ignore_index=True)[response_cols] if responses
             else pd.DataFrame(columns=response_cols)),
            pd.concat(counts, ignore_index=True)[count_cols] if counts else pd.DataFrame(columns=count_cols))
