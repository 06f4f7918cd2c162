"""Exact binomial intervals: one implementation for the calibration table, the claims and the robustness
sweep."""

from __future__ import annotations

import numpy as np

from .lazy import stats


def exact_interval(k, n, level: float = 0.95):
    """Clopper-Pearson interval of the proportion k / n at `level`: (low, high), floats for scalar k
    and n, arrays for arrays; NaNs where n is 0."""
    k, n = np.asarray(k), np.asarray(n)
    tail = (1.0 - level) / 2
    with np.errstate(invalid="ignore"):
        low = np.where(k > 0, stats.beta.ppf(tail, np.maximum(k, 1), np.maximum(n - k + 1, 1)), 0.0)
        high = np.where(k < n, stats.beta.ppf(1.0 - tail, k + 1, np.maximum(n - k, 1)), 1.0)
    low, high = np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)
    return (float(low), float(high)) if low.ndim == 0 else (low, high)
