"""Population steps of the perception analyses: the selection funnel, model comparison, validation."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
