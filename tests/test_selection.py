"""Which units count: VTC, responsive, axis-tuned, the imagery population and the decoding units,
with one NA convention (a missing call is not selected)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vtc_imagery import paper
from vtc_imagery import selection as sel
from vtc_imagery.nwb.read import AreaPatterns


def _units():
    return pd.DataFrame(dict(
        unit_id=["a", "b", "c", "d", "e", "f"],
        area=[sel.VTC, sel.VTC, sel.VTC, sel.VTC, "amygdala", sel.VTC],
        responsive=pd.array([True, True, True, False, True, None], dtype="boolean"),
        axis_tuned=pd.array([True, None, False, False, True, None], dtype="boolean"),
        axis_tuned_beyond_category=pd.array([True, None, True, False, True, None], dtype="boolean"),
        reactivated=[True, True, False, True, True, False],
        nev_axis=[0.5, 0.2, np.nan, 0.1, 0.3, 0.4],
    ))


def _ids(units, mask):
    return units.unit_id[mask].tolist()


def test_the_vtc_label_is_the_one_the_nwb_reader_assigns():
    assert AreaPatterns().area("ventral_temporal_cortex_left") == sel.VTC


def test_a_missing_call_is_not_selected():
    assert sel.called(pd.Series([True, None, False], dtype="object")).tolist() == [True, False, False]
    assert sel.called(pd.Series([1.0, np.nan, 0.0])).tolist() == [True, False, False]


def test_responsive_units_are_vtc_units_screening_called_responsive():
    u = _units()
    assert _ids(u, sel.responsive(u)) == ["a", "b", "c"]


def test_axis_tuned_units_are_vtc_units_the_axis_model_called_tuned():
    u = _units()
    assert _ids(u, sel.axis_tuned(u)) == ["a"]


def test_the_closed_loop_takes_axis_tuned_units_of_every_area():
    u = _units()
    assert _ids(u, sel.axis_tuned_any_area(u)) == ["a", "e"]


def test_the_imagery_population_is_axis_tuned_vtc_units_or_the_reactivated_ones_of_them():
    u = _units().assign(axis_tuned=[True, True, False, False, True, True])
    assert _ids(u, sel.imagery_population(u, "axis_tuned")) == ["a", "b", "f"]
    assert _ids(u, sel.imagery_population(u, "reactivated")) == ["a", "b"]


def test_an_unknown_imagery_population_is_refused():
    with pytest.raises(ValueError, match="unknown imagery population"):
        sel.imagery_population(_units(), "everyone")


def test_decoding_units_are_axis_tuned_or_responsive_vtc_units():
    u = _units()
    assert _ids(u, sel.decoding_units(u, "axis_tuned")) == ["a"]
    assert _ids(u, sel.decoding_units(u, "responsive")) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="unknown decoding units"):
        sel.decoding_units(u, "all")


def test_model_comparison_units_are_responsive_vtc_units_with_a_normalised_ev():
    u = _units()
    assert _ids(u, sel.model_comparison_units(u)) == ["a", "b"]


def test_units_in_imagery_sessions_are_those_with_an_imagery_row():
    u = _units()
    assert _ids(u, sel.in_imagery_sessions(u, pd.DataFrame(dict(unit_id=["b", "e", "z"])))) == ["b", "e"]


def test_axis_tuned_beyond_category_units_are_axis_tuned_vtc_units_significant_within_categories():
    u = _units()  # c: significant within categories but not axis-tuned; e: not in VTC
    assert _ids(u, sel.axis_tuned_beyond_category(u)) == ["a"]


def test_the_paper_funnel_names_each_count_once():
    assert list(paper.FUNNEL.values()) == [None, paper.N_VTC, paper.N_RESPONSIVE, paper.N_AXIS_TUNED, None,
                                           paper.N_AXIS_TUNED_IN_IMAGERY, paper.N_REACTIVATED]
    assert (paper.N_VTC, paper.N_RESPONSIVE, paper.N_AXIS_TUNED) == (714, 456, 367)
    assert (paper.N_AXIS_TUNED_IN_IMAGERY, paper.N_REACTIVATED) == (107, 43)
