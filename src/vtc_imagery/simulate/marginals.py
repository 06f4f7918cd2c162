"""Marginal statistics of simulated sessions, measured from the spikes with the planted latencies,
to set the realistic cohort against the study's released recordings. Independent of the analysis.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..released_data import REAL_IMAGERY_POSITIVE, REAL_IMAGERY_RATIO, REAL_IMAGERY_SPEARMAN, REAL_MARGINALS
from .session import IMAGERY_S, SessionData

__all__ = ["REAL_IMAGERY_POSITIVE", "REAL_IMAGERY_RATIO", "REAL_IMAGERY_SPEARMAN", "REAL_MARGINALS"]



def counts_in_windows(spike_times: list[np.ndarray], starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Spike counts (n_units, n_windows); `starts`, `stops` (s) are (n_units, n_windows) or (n_windows,)."""
    starts, stops = (np.broadcast_to(a, (len(spike_times), np.shape(a)[-1])) for a in (starts, stops))
    return np.array([np.searchsorted(t, b) - np.searchsorted(t, a)
                     for t, a, b in zip(spike_times, starts, stops, strict=True)])


def response_rates_by_object(data: SessionData, phase: str) -> pd.DataFrame:
    """Rate (Hz) of each unit (column) to each object shown in `phase` (row, by stim_id) in its planted
    response window (latency to latency + the stimulus's duration), averaged over the presentations."""
    shown = data.trials[data.trials.stim_phase == phase]
    start = shown.start_time.to_numpy()[None, :] + data.units.latency_s.to_numpy()[:, None]
    width = (shown.stop_time - shown.start_time).to_numpy()[None, :]
    rates = counts_in_windows(data.spike_times, start, start + width) / width
    return pd.DataFrame(rates.T).groupby(shown.stim_id.to_numpy()).mean()


def object_response_rates(data: SessionData) -> np.ndarray:
    """Rate (Hz) of each unit to each of the 500 objects, averaged over the screening repetitions
    (response_rates_by_object): (n_units, 500)."""
    return response_rates_by_object(data, "screening").to_numpy().T


def imagery_rates(data: SessionData) -> tuple[np.ndarray, np.ndarray]:
    """Mean rate (Hz) of each unit over each imagined object's 5-s cues: ((n_units, n_objects), stim_ids)."""
    cues = data.trials[data.trials.stim_phase == "imagery"]
    start = cues.start_time.to_numpy()
    rates = counts_in_windows(data.spike_times, start, start + IMAGERY_S) / IMAGERY_S
    table = pd.DataFrame(rates.T).groupby(cues.stim_id.to_numpy()).mean()
    return table.to_numpy().T, table.index.to_numpy()


def sparseness(rates: np.ndarray) -> np.ndarray:
    """Vinje-Gallant sparseness of each row of `rates` (n_units, n_objects): 0 dense, 1 sparse."""
    n = rates.shape[1]
    ratio = rates.mean(axis=1) ** 2 / np.maximum((rates**2).mean(axis=1), 1e-12)
    return (1.0 - ratio) / (1.0 - 1.0 / n)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman correlation of two 1-d arrays (average ranks for ties); NaN if either is constant."""
    ra, rb = pd.Series(a).rank().to_numpy(), pd.Series(b).rank().to_numpy()
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def viewing_marginals(sessions: list[SessionData], unit_type: str = "axis") -> pd.DataFrame:
    """Per planted `unit_type` VTC unit: latency_ms, mean_rate_hz and max_rate_hz over the 500
    objects, and sparseness."""
    rows = []
    for data in sessions:
        chosen = ((data.units.area == "VTC") & (data.units.unit_type == unit_type)).to_numpy()
        if not chosen.any():
            continue
        rates = object_response_rates(data)[chosen]
        rows.append(pd.DataFrame(dict(unit_id=data.units.unit_id[chosen].to_numpy(),
                                      latency_ms=1000 * data.units.latency_s[chosen].to_numpy(),
                                      mean_rate_hz=rates.mean(axis=1), max_rate_hz=rates.max(axis=1),
                                      sparseness=sparseness(rates))))
    return pd.concat(rows, ignore_index=True)


def imagery_marginals(sessions: list[SessionData]) -> pd.DataFrame:
    """Per planted reactivated unit and imagined object: imagery and viewing rate (Hz), the viewing
    rate measured as in `object_response_rates` in the same session's screening."""
    rows = []
    for data in sessions:
        chosen = data.units.reactivated.to_numpy()
        if not chosen.any() or not (data.trials.stim_phase == "imagery").any():
            continue
        imagined, ids = imagery_rates(data)
        viewed = object_response_rates(data)[:, ids - 1]
        for u in np.flatnonzero(chosen):
            rows.append(pd.DataFrame(dict(unit_id=data.units.unit_id[u], stim_id=ids,
                                          imagery_hz=imagined[u], viewing_hz=viewed[u])))
    return pd.concat(rows, ignore_index=True)


def imagery_summary(pairs: pd.DataFrame) -> dict[str, float]:
    """Pooled Spearman(imagery, viewing), the share of units whose own correlation is positive, and
    the median over units of mean imagery / mean viewing rate."""
    per_unit = pairs.groupby("unit_id")
    own = per_unit.apply(lambda g: spearman(g.imagery_hz.to_numpy(), g.viewing_hz.to_numpy()))
    ratio = per_unit.imagery_hz.mean() / per_unit.viewing_hz.mean()
    return dict(spearman_pooled=spearman(pairs.imagery_hz.to_numpy(), pairs.viewing_hz.to_numpy()),
                positive_share=float((own > 0).mean()), ratio_median=float(ratio.median()),
                n_units=float(len(own)))
