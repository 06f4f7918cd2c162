"""Why a cohort stage has nothing to analyse on this input: the reasons its explicit empty result
(io.not_available) gives, instead of a traceback. Released data are often screening sessions only,
without imagery or closed-loop sessions, and a session may record no VTC unit at all.

Each function returns a reason (str) or None when the stage has what it needs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import selection as sel
from .errors import ConfigError

# Fewer units than this leave the pseudo-population decoder nothing to combine.
MIN_DECODING_UNITS = 2


def decoding_unavailable(population: pd.DataFrame, axis_tuned: np.ndarray, selection: str,
                         max_distractors: int) -> str | None:
    """For the decoding of viewed objects: too few candidate units (`population`, stim_id x unit_id:
    the responsive VTC units with a response to every object), or with selection all_images too few
    of them axis-tuned (`axis_tuned`, (n_units,) bool). Too few objects for config
    decoding.max_distractors is a config error, named."""
    if population.shape[1] < MIN_DECODING_UNITS:
        return (f"{population.shape[1]} responsive VTC unit(s) with a response to every object; decoding needs at "
                f"least {MIN_DECODING_UNITS}")
    n_tuned = int(np.count_nonzero(axis_tuned))
    if selection == "all_images" and n_tuned < MIN_DECODING_UNITS:
        return f"{n_tuned} axis-tuned VTC unit(s); decoding needs at least {MIN_DECODING_UNITS}"
    if max_distractors >= len(population):
        raise ConfigError(f"config key 'decoding.max_distractors' ({max_distractors}) must be below the "
                          f"{len(population)} objects the units responded to (each object is identified "
                          "among distractors drawn from the others)")
    return None


def closed_loop_unavailable(responses: pd.DataFrame, synthetic: pd.DataFrame, table: pd.DataFrame) -> str | None:
    """For the closed-loop ramps (`table`): no session with synthetic-stimulus trials (`responses`,
    the cohort's per-image responses, has no stim_phase 'synthetic' row), no synthetic stimuli in
    the object space, or no axis-tuned unit recorded in a closed-loop session."""
    if not (responses.stim_phase == "synthetic").any():
        return "no session has closed-loop (synthetic-stimulus) trials"
    if synthetic.empty:
        return "the object space has no synthetic stimuli (config key 'object_space')"
    if table.empty:
        return "no axis-tuned unit was recorded in a closed-loop session"
    return None


def model_comparison_unavailable(units: pd.DataFrame) -> str | None:
    """For the model comparison: no responsive VTC unit with a normalised EV."""
    n = int(sel.model_comparison_units(units).sum())
    if n == 0:
        n_vtc = int(sel.vtc(units).sum())
        return f"no responsive VTC unit with explainable variance above axis.min_explainable ({n_vtc} VTC units)"
    return None
