"""The robustness sweep: each claim under every specification, the default being the run's own numbers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from vtc_imagery import selection as sel
from vtc_imagery.io import TSV_FLOAT_FORMAT
from vtc_imagery.robustness import Grid, Specification, axis_tuned_at, sweep

REPO = Path(__file__).resolve().parents[1]
DEFAULT = Specification("paired_windows", 99, False, "pooled", "cue_split", "axis_tuned", 0.1)


def _units() -> pd.DataFrame:
    return pd.DataFrame(dict(
        unit_id=[f"u{i}" for i in range(6)], area=["VTC"] * 5 + ["hippocampus"],
        responsive=[True, True, True, True, False, True],
        responsive_paired_windows=[True, True, True, True, False, True],
        responsive_threshold=[True, True, True, True, True, True],
        responsive_threshold_anova=[True, False, False, False, False, True],
        tuning_significant_repeats=[100, 99, 60, 10, np.nan, 100],
        within_category_significant_repeats=[100, 20, 60, 0, np.nan, 100],
        within_category_p=[0.001, 0.5, 0.001, 0.9, np.nan, 0.001],
        explainable_variance=[0.5, 0.3, 0.15, 0.05, np.nan, 0.5],
        ev_axis=[0.4, 0.2, 0.1, 0.01, np.nan, 0.4], ev_category=[0.1, 0.1, 0.05, 0.0, np.nan, 0.1],
        ev_exemplar=[0.0, 0.0, 0.0, 0.0, np.nan, 0.0]))


def test_axis_tuning_at_another_threshold_counts_significant_repeats_among_responsive_vtc_units():
    units = _units()
    assert axis_tuned_at(units, 99, False, "repeats", 0.01).tolist() == [True, True, False, False, False, False]
    assert axis_tuned_at(units, 50, False, "repeats", 0.01).tolist() == [True, True, True, False, False, False]
    # beyond category: the test within categories as the axis stage reads it (repeats, or the pooled p)
    assert axis_tuned_at(units, 50, True, "repeats", 0.01).tolist() == [True, False, True, False, False, False]
    assert axis_tuned_at(units, 99, True, "pooled", 0.01).tolist() == [True, False, False, False, False, False]


def test_each_claim_is_computed_under_every_combination_of_the_choices_it_depends_on():
    units = _units()
    imagery_units = pd.DataFrame(dict(unit_id=["u0", "u1", "u2"], reactivated_cue_split=[True, False, True],
                                      reactivated_poisson_burst=[True, True, True],
                                      reactivated_threshold_anova=[False, False, False],
                                      reactivated_ranksum=[False, True, False]))
    objects = pd.DataFrame(columns=["unit", "patient", "object", "area", "imagery_rate", "viewing_rate"])
    grid = Grid.around(DEFAULT, [0.5, 0.9], 100, [0.1, 0.2])
    assert grid.min_significant == (50, 90, 99)  # fractions of the repeats, and the default's own
    table = sweep(units, imagery_units, objects, grid, DEFAULT, 0.01, {}, ())
    counts = table.groupby("claim").size()
    assert counts["visually responsive VTC neurons"] == 3
    axis_choices = 3 * (1 + 2)  # thresholds x (alone, or beyond category by either rule)
    assert counts["~80% of responsive neurons axis-tuned"] == axis_choices
    assert counts["~40% of them reactivated during imagery"] == axis_choices * 4
    assert counts["M1 preferred"] == axis_choices * (1 + 4) * 4  # populations (by rule) x random effects
    assert (table.groupby("claim").default.sum() == 1).all()  # exactly one default specification per claim
    react = table[(table.claim == "~40% of them reactivated during imagery") & (table.min_significant == 50)
                  & ~table.beyond_category.astype(bool)].set_index("reactivation_rule").estimate
    assert react["cue_split"] == pytest.approx(2 / 3) and react["poisson_burst"] == 1.0
    responsive = table[table.claim == "visually responsive VTC neurons"].set_index("responsive_rule").estimate
    assert responsive["threshold"] == 1.0 and responsive["paired_windows"] == 4 / 5  # of the 5 VTC units
    # fewer than 3 units: the models are reported as not estimable, not dropped
    assert table[table.claim == "M2 viewing"].estimate.isna().all()


@pytest.mark.workflow
def test_the_default_specification_gives_the_runs_own_numbers(run_dir):
    table = pd.read_csv(run_dir / "results/tables/robustness.tsv", sep="\t")
    default = table[table.default].set_index("claim")
    funnel = pd.read_csv(run_dir / "results/tables/selection_funnel.tsv", sep="\t").set_index("stage").this_run
    assert default.loc["visually responsive VTC neurons", "estimate"] == pytest.approx(
        funnel["responsive"] / funnel["VTC"])
    assert default.loc["~80% of responsive neurons axis-tuned", "estimate"] == pytest.approx(
        funnel["axis-tuned"] / funnel["responsive"])
    assert default.loc["~40% of them reactivated during imagery", "estimate"] == pytest.approx(
        funnel["reactivated"] / funnel["axis-tuned in imagery sessions"])
    m2 = json.loads((run_dir / "results/models/M2.json").read_text())
    assert default.loc["M2 viewing", "p_value"] == float(TSV_FLOAT_FORMAT % m2["p_value"])  # as the TSV rounds it
    units = pd.read_parquet(run_dir / "results/tables/units.parquet")
    axis = yaml.safe_load((REPO / "config.yaml").read_text())["axis"]
    assert axis_tuned_at(units, axis["min_significant"], False, axis["within_category_rule"],
                         axis["alpha"]).equals(sel.axis_tuned(units))
    assert table.simulated.all() and (run_dir / "results/figures/robustness.png").stat().st_size > 10_000
