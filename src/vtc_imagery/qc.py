"""Quality-control summaries of one session's tables (inputs to the QC and summary notebooks), and
the cohort's response statistics beside the study's real recordings."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import selection as sel
from .released_data import REAL_IMAGERY_POSITIVE, REAL_IMAGERY_RATIO, REAL_IMAGERY_SPEARMAN, REAL_MARGINALS


def units_by_area(units: pd.DataFrame) -> pd.DataFrame:
    """Unit counts per area and hemisphere (rows: area; columns: L, R, unknown side)."""
    side = units.hemisphere.replace("", "?")
    return pd.crosstab(units.area, side).sort_index()


def evoked_rate_change(spikes: pd.DataFrame, trials: pd.DataFrame, response: tuple[float, float] = (0.05, 0.35),
                       baseline: tuple[float, float] = (-0.2, 0.0)) -> pd.Series:
    """Per unit_index: mean rate (Hz) in the response window minus the baseline window, screening trials."""
    screening = trials.trial_index[trials.stim_phase == "screening"]
    s = spikes[spikes.trial_index.isin(screening)]
    n = max(len(screening), 1)

    def rate(window: tuple[float, float]) -> pd.Series:
        inside = s[(s.time >= window[0]) & (s.time < window[1])]
        return inside.groupby("unit_index").size() / n / (window[1] - window[0])

    return rate(response).sub(rate(baseline), fill_value=0.0)


def example_units(units: pd.DataFrame, change: pd.Series, n: int) -> list[int]:
    """unit_index of up to n example units: VTC units first, then by the size of their evoked rate
    change (ties by index)."""
    order = units.assign(vtc=sel.vtc(units), change=units.unit_index.map(change.abs()).fillna(0.0))
    order = order.sort_values(["vtc", "change", "unit_index"], ascending=[False, False, True], kind="stable")
    return order.unit_index.head(n).astype(int).tolist()


def raster(spikes: pd.DataFrame, trials: pd.DataFrame, unit_index: int, phase: str,
           window: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Spikes of one unit in the trials of one phase: (row, time s from trial start), rows 0.. in trial order."""
    sel = trials.trial_index[trials.stim_phase == phase].to_numpy()
    row_of = pd.Series(np.arange(len(sel)), index=sel)
    s = spikes[(spikes.unit_index == unit_index) & spikes.trial_index.isin(sel)
               & (spikes.time >= window[0]) & (spikes.time < window[1])]
    return row_of.loc[s.trial_index].to_numpy(), s.time.to_numpy(np.float64)


def psth(spikes: pd.DataFrame, trials: pd.DataFrame, unit_index: int, phase: str,
         window: tuple[float, float], bin_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Trial-averaged firing rate (Hz) of one unit around the start of the phase's trials: (bin centres s, rate)."""
    n_trials = int((trials.stim_phase == phase).sum())
    edges = np.arange(window[0], window[1] + bin_s / 2, bin_s)
    _, times = raster(spikes, trials, unit_index, phase, window)
    counts, _ = np.histogram(times, edges)
    return (edges[:-1] + edges[1:]) / 2, counts / max(n_trials, 1) / bin_s


MARGINAL_COLUMNS = ["statistic", "this_run", "this_run_q1", "this_run_q3", "real", "real_q1", "real_q3", "n_units"]


def _quartiles(values: pd.Series) -> tuple[float, float, float]:
    """(median, lower quartile, upper quartile) of the finite values; NaN for none."""
    v = values.to_numpy(np.float64)
    v = v[np.isfinite(v)]
    if not len(v):
        return (np.nan, np.nan, np.nan)
    q1, med, q3 = np.quantile(v, [0.25, 0.5, 0.75])
    return (float(med), float(q1), float(q3))


def _rank_correlation(x: pd.Series, y: pd.Series, groups: pd.Series) -> pd.Series:
    """Spearman correlation of x and y within each group (average ranks for ties), indexed by group;
    NaN for a group where either is constant."""
    rx, ry = x.groupby(groups).rank(), y.groupby(groups).rank()
    cx, cy = rx - rx.groupby(groups).transform("mean"), ry - ry.groupby(groups).transform("mean")
    sums = pd.DataFrame(dict(xy=cx * cy, xx=cx**2, yy=cy**2)).groupby(groups.to_numpy()).sum()
    denom = np.sqrt(sums.xx * sums.yy)
    return (sums.xy / denom.where(denom > 0)).astype(np.float64)


def vinje_gallant_sparseness(responses: pd.DataFrame) -> pd.Series:
    """Vinje-Gallant sparseness per unit_id of the rows' response_hz (one row per object): 0 for a
    constant response, 1 for a response to a single object; NaN with fewer than two objects. The
    simulator's `simulate.marginals.sparseness`, over a long table."""
    r = responses.response_hz.astype(np.float64)
    per_unit = pd.DataFrame(dict(r=r, r2=r**2)).groupby(responses.unit_id.to_numpy())
    mean, mean_sq, n = per_unit.r.mean(), per_unit.r2.mean(), per_unit.r.size()
    ratio = mean**2 / np.maximum(mean_sq, 1e-12)
    return ((1.0 - ratio) / (1.0 - 1.0 / n)).where(n > 1)


def response_marginals(units: pd.DataFrame, responses: pd.DataFrame,
                       imagery_objects: pd.DataFrame) -> pd.DataFrame:
    """Response statistics of the axis-tuned VTC units as analysed, beside the study's real recordings.

    `units`: the cohort unit table (unit_id, area, axis_tuned, latency_ms); `responses`: per-object
    responses (unit_id, stim_phase, stim_id, response_hz), of which the screening rows count;
    `imagery_objects`: the per-object imagery table (unit, object, viewing_rate, imagery_rate, area,
    axis_tuned, reactivated), of which the reactivated axis-tuned VTC units count.

    One row per statistic: latency (ms), mean and max response (Hz) over the screening objects and
    Vinje-Gallant sparseness as median and quartiles over units; the Spearman correlation of imagery
    with viewing rate pooled over units and objects, the share of units whose own correlation is
    positive (a constant unit is not), and the median over units of mean imagery / mean viewing rate.
    Columns `MARGINAL_COLUMNS`; a statistic of an empty population is NaN with n_units 0.
    """
    tuned = units[sel.axis_tuned(units)]
    shown = responses[(responses.stim_phase == "screening") & responses.unit_id.isin(tuned.unit_id)]
    per_unit = shown.groupby("unit_id").response_hz
    latency = tuned.latency_ms.astype(np.float64)
    viewing = {"latency_ms": latency[np.isfinite(latency)], "mean_rate_hz": per_unit.mean(),
               "max_rate_hz": per_unit.max(), "sparseness": vinje_gallant_sparseness(shown)}
    rows = [(name, *_quartiles(values), *REAL_MARGINALS[name], int(np.isfinite(values).sum()))
            for name, values in viewing.items()]

    pairs = imagery_objects[sel.imagery_population(imagery_objects, "reactivated")]
    pairs = pairs[pairs[["viewing_rate", "imagery_rate"]].notna().all(axis=1)]
    imagery, view, unit = pairs.imagery_rate.astype(np.float64), pairs.viewing_rate.astype(np.float64), pairs.unit
    n_units = int(unit.nunique())
    pooled = _rank_correlation(imagery, view, pd.Series(0, index=pairs.index))
    own = _rank_correlation(imagery, view, unit)
    means = pd.DataFrame(dict(imagery=imagery, view=view)).groupby(unit.to_numpy()).mean()
    # a unit silent on viewing its imagined objects has no ratio, rather than an infinite one
    ratio = means.imagery / means.view.where(means.view > 0)
    nan = float("nan")
    rows += [("imagery_spearman_pooled", float(pooled.iloc[0]) if len(pooled) else nan, nan, nan,
              REAL_IMAGERY_SPEARMAN, nan, nan, n_units),
             ("imagery_positive_share", float((own > 0).mean()) if n_units else nan, nan, nan,
              REAL_IMAGERY_POSITIVE, nan, nan, n_units),
             ("imagery_viewing_ratio", *_quartiles(ratio), REAL_IMAGERY_RATIO, nan, nan, int(ratio.notna().sum()))]
    return pd.DataFrame(rows, columns=MARGINAL_COLUMNS)


def imagery_correlations(objects: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How imagery follows perception, neuron by neuron, from a per-object imagery table (patient,
    unit, object, viewing_rate, encoding_rate, imagery_rate; rates in Hz; one row per neuron and
    imagined object, already restricted to the population studied).

    Returns (per_neuron, summary). per_neuron: one row per neuron (patient, unit) with its number of
    imagined objects and the Spearman correlation over them of imagery rate with viewing rate
    (`r_viewing`) and with encoding rate (`r_encoding`); NaN where a rate is constant or missing or
    the neuron has fewer than 3 objects. summary: one row per comparison (viewing, encoding) with the
    neurons that have a correlation, how many of them correlate positively, their median, and the
    Spearman correlation pooled over all their (neuron, object) pairs.
    """
    per_neuron = objects.groupby(["patient", "unit"], sort=True).size().rename("n_objects").reset_index()
    summary = []
    for name, column in (("viewing", "viewing_rate"), ("encoding", "encoding_rate")):
        pairs = objects[objects[[column, "imagery_rate"]].notna().all(axis=1)]
        key = pairs.patient.astype(str) + "\x1f" + pairs.unit.astype(str)
        enough = key.map(key.value_counts()) >= 3
        pairs, key = pairs[enough], key[enough]
        own = _rank_correlation(pairs.imagery_rate.astype(np.float64), pairs[column].astype(np.float64), key)
        per_neuron[f"r_{name}"] = (per_neuron.patient.astype(str) + "\x1f" + per_neuron.unit.astype(str)).map(own)
        has = own.dropna()
        pooled = _rank_correlation(pairs.imagery_rate.astype(np.float64), pairs[column].astype(np.float64),
                                   pd.Series(0, index=pairs.index)) if len(pairs) else pd.Series(dtype=float)
        summary.append(dict(comparison=f"imagery vs {name}", n_neurons=len(has), n_positive=int((has > 0).sum()),
                            median_r=float(has.median()) if len(has) else np.nan,
                            pooled_r=float(pooled.iloc[0]) if len(pooled) else np.nan,
                            n_pairs=int(pairs[key.isin(has.index)].shape[0])))
    return per_neuron, pd.DataFrame(summary)
