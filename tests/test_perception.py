"""Population steps of the perception analyses: the selection funnel, model comparison, validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vtc_imagery.perception import model_comparison, selection_funnel
from vtc_imagery.validation import perception_validation


def _units():
    return pd.DataFrame(dict(
        unit_id=[f"u{i}" for i in range(6)],
        area=["VTC", "VTC", "VTC", "VTC", "hippocampus", "VTC"],
        responsive=[True, True, True, False, True, np.nan],
        axis_tuned=[True, True, False, False, True, False],
        nev_axis=[0.9, 0.8, 0.5, np.nan, 0.7, np.nan],
        nev_category=[0.2, 0.3, 0.4, np.nan, 0.1, np.nan],
        nev_exemplar=[0.5, 0.4, 0.1, np.nan, 0.2, np.nan],
        preferred_axis=[np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([1.0, 1.0]), None, None, None],
    ))


def test_the_funnel_counts_vtc_then_responsive_then_axis_tuned_beside_the_paper():
    funnel = selection_funnel(_units()).set_index("stage")
    assert funnel.this_run.tolist() == [6, 5, 3, 2]
    assert funnel.paper.tolist()[1:] == [714, 456, 367]
    assert funnel.loc["axis-tuned", "fraction_of_previous"] == 2 / 3
    assert funnel.loc["axis-tuned", "paper_fraction_of_previous"] == 367 / 456


def test_model_comparison_uses_responsive_vtc_units_with_a_normalised_ev():
    table = model_comparison(_units())
    means = table[table.test == "normalised EV"].set_index("comparison")
    assert means.loc["axis model", "n_units"] == 3
    assert means.loc["axis model", "mean"] == np.mean([0.9, 0.8, 0.5])
    assert set(table.test) == {"normalised EV", "two-sample KS", "Wilcoxon signed-rank (paired)"}


def test_validation_scores_calls_and_axes_against_the_planted_truth():
    truth = pd.DataFrame(dict(unit_id=[f"u{i}" for i in range(6)],
                              unit_type=["axis", "axis", "category", "none", "axis", "none"],
                              axis=[np.array([1.0, 0.0]), np.array([1.0, 0.0]), np.zeros(2), np.zeros(2),
                                    np.array([1.0, 0.0]), np.zeros(2)]))
    table = perception_validation(_units(), truth).set_index("metric").value
    assert table["responsive sensitivity"] == 1.0  # u0, u1, u2 (VTC, planted responsive) all called
    assert table["responsive specificity"] == 1.0  # u3, u5 not called
    assert table["axis-tuned sensitivity"] == 1.0
    assert table["axis-tuned specificity"] == 1.0
    assert table["median cosine(recovered, planted axis)"] == np.median([1.0, 0.0])


def test_the_unit_table_joins_screening_and_axis_columns_and_untested_units_are_not_axis_tuned():
    from vtc_imagery.perception import unit_table

    recorded = pd.DataFrame(dict(unit_id=["a", "b", "c"], area=["VTC"] * 3))
    screening = pd.DataFrame(dict(unit_id=["c", "a", "b"], responsive=[False, True, True]))
    axis = pd.DataFrame(dict(unit_id=["a", "b"], axis_tuned=[True, False], ev_axis=[0.5, 0.1]))
    units = unit_table(recorded, screening, axis)
    assert units.unit_id.tolist() == ["a", "b", "c"] and units.responsive.tolist() == [True, True, False]
    assert units.axis_tuned.tolist() == [True, False, False] and units.axis_tuned.dtype == bool
    assert np.isnan(units.ev_axis.iloc[2])


def test_the_unit_table_of_a_session_without_an_axis_model_has_no_axis_tuned_unit():
    from vtc_imagery.perception import unit_table

    units = unit_table(pd.DataFrame(dict(unit_id=["a"], area=["VTC"])),
                       pd.DataFrame(dict(unit_id=["a"], responsive=[False])), pd.DataFrame())
    assert units.axis_tuned.tolist() == [False]


def test_a_unit_in_two_screening_rows_is_refused():
    import pytest

    from vtc_imagery.perception import unit_table

    with pytest.raises(Exception, match=r"one-to-one|one_to_one"):
        unit_table(pd.DataFrame(dict(unit_id=["a"])), pd.DataFrame(dict(unit_id=["a", "a"], responsive=[True] * 2)),
                   pd.DataFrame(dict(unit_id=["a"], axis_tuned=[True])))


def test_a_closed_loop_unit_whose_axis_points_against_the_stimuli_is_not_targeted():
    # FIX (signed axis match): cos -1 is the same line walked backwards, not a match.
    from vtc_imagery.objects import ObjectSpaceFile
    from vtc_imagery.perception import closed_loop_ramps

    rng = np.random.default_rng(0)
    features = rng.normal(size=(50, 3))
    norms = np.sqrt((features**2).sum(axis=0))
    w = np.array([1.0, 0.0, 0.0])
    steps = np.linspace(-1, 1, 5)
    synthetic = pd.DataFrame(dict(session="s1", stim_id=np.arange(1001, 1006), axis="preferred", step=steps,
                                  features=[list(s * w * norms) for s in steps]))
    objects = ObjectSpaceFile(stim_id=np.arange(1, 51), features=features, categories=np.array(["a"] * 50),
                              database=features, synthetic=synthetic, simulated=True)
    units = pd.DataFrame(dict(unit_id=["along", "against"], session="s1", axis_tuned=True,
                              preferred_axis=[w, -w]))
    responses = pd.DataFrame([dict(unit_id=u, stim_phase="synthetic", stim_id=i, response_hz=h, sem_hz=0.1)
                              for u, sign in (("along", 1), ("against", -1))
                              for i, h in zip(synthetic.stim_id, 5 + sign * steps, strict=True)])
    table = closed_loop_ramps(units, responses, objects, min_axis_cosine=0.7)
    targeted = table.groupby("unit_id").targeted.first()
    assert targeted["along"] and not targeted["against"]
    assert table.groupby("unit_id").axis_cosine.first().to_dict() == pytest.approx({"along": 1.0, "against": -1.0})
