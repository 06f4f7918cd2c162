"""Which units count: the only place that decides VTC, visually responsive, axis-tuned (and
axis-tuned beyond category), the imagery population and the units that decode imagined objects.

Every function takes a unit table (one row per unit, with the columns it names) and returns a
boolean mask aligned with it. One NA convention throughout: a missing call (a unit without a
screening row, an axis model or an imagery table) is not selected.
"""

from __future__ import annotations

import pandas as pd

VTC = "VTC"  # the area label the table builder gives units whose location matches areas.vtc_pattern

POPULATIONS = ("axis_tuned", "reactivated")  # config imagery.population
DECODING_UNITS = ("axis_tuned", "responsive")  # config imagery.decoding_units


def called(calls: pd.Series) -> pd.Series:
    """A per-unit call (bool, possibly missing) as a plain bool mask: missing = False."""
    return calls.astype("boolean").fillna(False).astype(bool)


def vtc(units: pd.DataFrame) -> pd.Series:
    """Units recorded in VTC (column `area`)."""
    return units.area == VTC


def responsive(units: pd.DataFrame) -> pd.Series:
    """Visually responsive VTC units (column `responsive` from screening)."""
    return vtc(units) & called(units.responsive)


def axis_tuned(units: pd.DataFrame) -> pd.Series:
    """Axis-tuned VTC units (column `axis_tuned` from the axis model). The axis model is fitted to
    responsive units only, so these are responsive too; a table without `responsive` (the per-
    object imagery table) can be selected alike."""
    return vtc(units) & called(units.axis_tuned)


def axis_tuned_beyond_category(units: pd.DataFrame) -> pd.Series:
    """Axis-tuned VTC units whose responses follow the features beyond their category (column
    `axis_tuned_beyond_category` from the axis model: axis-tuned, and significant in the shuffle
    test within categories). A unit driven by its category alone is axis-tuned by the authors' test,
    whose null is no dependence on the features at all, but not beyond category."""
    return axis_tuned(units) & called(units.axis_tuned_beyond_category)


def axis_tuned_any_area(units: pd.DataFrame) -> pd.Series:
    """Axis-tuned units of every area: a closed-loop session's stimuli are made for the units
    recorded in it, wherever they are."""
    return called(units.axis_tuned)


def in_imagery_sessions(units: pd.DataFrame, imagery_units: pd.DataFrame) -> pd.Series:
    """Units that have a row in the imagery tables (recorded in a session with imagery trials)."""
    return units.unit_id.isin(imagery_units.unit_id)


def imagery_population(units: pd.DataFrame, population: str) -> pd.Series:
    """The units the imagery statistics are about, in a table of units in imagery sessions: the
    axis-tuned VTC units (the paper's 107) or, with population 'reactivated', those of them called
    reactivated (the paper's 43)."""
    if population not in POPULATIONS:
        raise ValueError(f"unknown imagery population {population!r}; choose one of {POPULATIONS}")
    chosen = axis_tuned(units)
    return chosen & called(units.reactivated) if population == "reactivated" else chosen


def decoding_units(units: pd.DataFrame, which: str) -> pd.Series:
    """The units whose imagery rates decode imagined objects: axis-tuned or all responsive VTC units."""
    if which not in DECODING_UNITS:
        raise ValueError(f"unknown decoding units {which!r}; choose one of {DECODING_UNITS}")
    return axis_tuned(units) if which == "axis_tuned" else responsive(units)


def model_comparison_units(units: pd.DataFrame) -> pd.Series:
    """Responsive VTC units with a normalised EV (explainable variance above threshold)."""
    return responsive(units) & units.nev_axis.notna()
