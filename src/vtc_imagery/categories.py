"""The 500-object screening set: five categories with the paper's counts and 1-based ID ranges.

Source: vwadia/Utilities makeObjCatLabsScreening.m.
"""

from __future__ import annotations

import numpy as np

CATEGORIES: tuple[str, ...] = ("faces", "text", "plants", "animals", "objects")
N_OBJECTS = 500

# Inclusive 1-based ID ranges per category; the counts are 77, 29, 68, 92 and 234.
_RANGES: dict[str, tuple[tuple[int, int], ...]] = {
    "faces": ((134, 210),),
    "text": ((264, 282), (290, 290), (400, 408)),
    "plants": ((211, 235), (357, 399)),
    "animals": ((1, 84), (256, 263)),
    "objects": ((85, 133), (236, 255), (283, 289), (291, 356), (409, 500)),
}


def category_labels() -> np.ndarray:
    """Category name of each object, indexed by stim_id - 1 (shape (500,), str)."""
    labels = np.empty(N_OBJECTS, dtype=object)
    for name, ranges in _RANGES.items():
        for lo, hi in ranges:
            labels[lo - 1 : hi] = name
    return labels.astype(str)


def category_of(stim_ids: np.ndarray) -> np.ndarray:
    """Category name for each 1-based stim_id of the 500-object set; 'unknown' outside 1..500."""
    ids = np.asarray(stim_ids, dtype=np.int64)
    labels = category_labels()
    inside = (ids >= 1) & (ids <= N_OBJECTS)
    out = np.full(ids.shape, "unknown", dtype=object)
    out[inside] = labels[ids[inside] - 1]
    return out.astype(str)
