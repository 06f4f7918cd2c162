"""Quality-control summaries of one session's tables (inputs to the QC and summary notebooks)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def units_by_area(units: pd.DataFrame) -> pd.DataFrame:
    """Unit counts per area and hemisphere (rows: area; columns: L, R, unknown side)."""
    side = units.hemisphere.replace("", "?")
    return pd.crosstab(units.area, side).sort_index()


def example_units(units: pd.DataFrame, n: int) -> list[int]:
    """unit_index of up to n example units: VTC units first, by descending mean rate (ties by index)."""
    order = units.assign(vtc=units.area == "VTC").sort_values(
        ["vtc", "mean_rate_hz", "unit_index"], ascending=[False, False, True], kind="stable")
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
