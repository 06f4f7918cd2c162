"""Quality-control summaries of one session's tables (inputs to the QC and summary notebooks)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import selection as sel


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
