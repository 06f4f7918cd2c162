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
from vtc_imagery.robustness import Grid, Specification, axis_tuned_at, sweep, with_rule

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


def _other_axis() -> pd.DataFrame:
    """The axis model of u4, which only the threshold rule calls responsive."""
    return pd.DataFrame(dict(unit_id=["u4"], axis_tuned=[True], axis_tuned_beyond_category=[False],
                             tuning_significant_repeats=[100], within_category_significant_repeats=[5],
                             within_category_p=[0.3], explainable_variance=[0.4], ev_axis=[0.3]))


def test_under_another_responsiveness_rule_the_units_it_adds_count_with_their_own_axis_model():
    units = _units()
    units["axis_tuned"] = [True, True, False, False, np.nan, True]
    units["axis_tuned_beyond_category"] = [True, False, False, False, np.nan, True]
    threshold = with_rule(units, _other_axis(), "threshold")
    assert sel.responsive(threshold).tolist() == [True] * 5 + [False]  # every VTC unit
    assert sel.axis_tuned(threshold).tolist() == [True, True, False, False, True, False]
    assert axis_tuned_at(threshold, 99, False, "repeats", 0.01).tolist() == [True, True, False, False, True, False]
    narrow = with_rule(units, _other_axis(), "threshold_anova")  # calls u4 unresponsive: its axis does not count
    assert sel.axis_tuned(narrow).tolist() == [True, False, False, False, False, False]
    table = sweep(units, pd.DataFrame(dict(unit_id=["u0", "u4"], **{f"reactivated_{r}": [True, True] for r in
                                                                    ("cue_split", "poisson_burst", "threshold_anova",
                                                                     "ranksum")})),
                  pd.DataFrame(columns=["unit", "patient", "object", "area", "imagery_rate", "viewing_rate"]),
                  Grid.around(DEFAULT, [0.99], 100, [0.1]), DEFAULT, 0.01, {}, (), _other_axis())
    tuned = table[(table.claim == "~80% of responsive neurons axis-tuned") & ~table.beyond_category.astype(bool)
                  & (table.min_significant == 99)].set_index("responsive_rule")
    assert tuned.estimate["threshold"] == pytest.approx(3 / 5) and tuned.estimate["paired_windows"] == 2 / 4
    react = table[(table.claim == "~40% of them reactivated during imagery") & (table.min_significant == 99)
                  & ~table.beyond_category.astype(bool) & (table.reactivation_rule == "cue_split")]
    assert react.set_index("responsive_rule").n.to_dict() == {"paired_windows": 1, "threshold": 2,
                                                              "threshold_anova": 1}


def test_the_units_another_rule_calls_responsive_get_the_axis_model_a_run_with_that_rule_makes(ci_cohort,
                                                                                                 session_paths):
    """Fitted alone (other_rules_axis_model), the units only the threshold rules call responsive get
    exactly the rows that the axis stage gives them in a run configured with the threshold rule, where
    they are fitted together with every other responsive unit."""
    from dataclasses import replace

    from vtc_imagery.nwb.read import read_session
    from vtc_imagery.objects import read_object_space
    from vtc_imagery.perception import axis_model_session
    from vtc_imagery.robustness import other_rules_axis_model
    from vtc_imagery.screening import screen_session
    from vtc_imagery.tables import session_tables

    params = _params()
    objects = read_object_space(ci_cohort / "object_space.h5")
    found = 0
    for name in ("sub-1_ses-1", "sub-2_ses-1"):  # the screening sessions
        content = read_session(session_paths[name], params.trial_phases)
        units, trials, spikes = session_tables(content, name, params.areas, params.isi_threshold_s, params.windows)
        screening, _, _ = screen_session(units, trials, spikes, params.screening)
        other = other_rules_axis_model(units, trials, spikes, screening, objects, params.screening, params.axis, name)
        vtc = screening.unit_id.isin(units.unit_id[units.area == "VTC"])
        added = screening.unit_id[vtc & ~screening.responsive & (screening.responsive_threshold
                                                                  | screening.responsive_threshold_anova)]
        assert set(other.get("unit_id", [])) == set(added)
        if not len(added):
            continue
        found += len(added)
        _, responses, counts = screen_session(units, trials, spikes,
                                              replace(params.screening, responsive_rule="threshold"))
        whole = axis_model_session(responses, counts, objects, params.axis, name).set_index("unit_id")
        # equal to rounding: a product over more units may sum in another order (as across processes)
        alone, together = other.set_index("unit_id"), whole.loc[other.unit_id]
        pd.testing.assert_frame_equal(alone.select_dtypes(exclude="object"), together.select_dtypes(exclude="object"),
                                      check_exact=False, rtol=1e-12, atol=1e-14)
        for column in ("preferred_axis", "orthogonal_axis"):
            np.testing.assert_allclose(np.stack(alone[column]), np.stack(together[column]), rtol=1e-9, atol=1e-12)
        assert alone.axis_tuned.equals(together.axis_tuned)
    assert found > 0


def test_the_configured_burst_parameters_give_the_imagery_stages_poisson_burst_call(ci_cohort, session_paths):
    from dataclasses import replace

    from vtc_imagery.axis import scale_features
    from vtc_imagery.imagery import SessionTables, imagery_session
    from vtc_imagery.nwb.read import read_session
    from vtc_imagery.objects import read_object_space
    from vtc_imagery.perception import axis_model_session
    from vtc_imagery.robustness import burst_variant_calls
    from vtc_imagery.screening import screen_session
    from vtc_imagery.tables import session_tables

    params = _params()
    name = "sub-2_ses-2"  # an imagery session
    content = read_session(session_paths[name], params.trial_phases)
    units, trials, spikes = session_tables(content, name, params.areas, params.isi_threshold_s, params.windows)
    screening, responses, counts = screen_session(units, trials, spikes, params.screening)
    objects = read_object_space(ci_cohort / "object_space.h5")
    axis = axis_model_session(responses, counts, objects, params.axis, name)
    features = pd.DataFrame(scale_features(objects.features), index=objects.stim_id)  # as analyse_session does
    stage = imagery_session(SessionTables(units, trials, spikes, screening, responses, axis), features,
                            params.reactivation, params.imagery).units.set_index("unit_id")
    r = params.reactivation
    calls = burst_variant_calls(units, trials, spikes, r, [r.bursts.min_isis, 5], [r.bursts.significance, 0.01],
                                [r.min_burst_trials, 2])
    assert len(calls) == len(units) * 8
    configured = calls[(calls.min_isis == r.bursts.min_isis) & (calls.significance == r.bursts.significance)
                       & (calls.min_burst_trials == r.min_burst_trials)].set_index("unit_id").reactivated
    assert configured.equals(stage.reactivated_poisson_burst.loc[configured.index].astype(bool))
    loose = calls[(calls.min_isis == r.bursts.min_isis) & (calls.significance == 0.01)
                  & (calls.min_burst_trials == 2)].set_index("unit_id").reactivated
    assert (loose >= configured).all() and loose.sum() > configured.sum()  # a looser rule calls more units
    assert burst_variant_calls(units, trials[trials.stim_phase != "imagery"], spikes, replace(r), [4], [0.01],
                               [3]).empty


def test_each_burst_parameter_set_is_a_further_reactivation_rule_of_the_reactivated_fraction():
    from vtc_imagery.robustness import burst_rule_name

    units = _units()
    imagery_units = pd.DataFrame(dict(unit_id=["u0", "u1"], **{f"reactivated_{r}": [False, False] for r in
                                                               ("cue_split", "poisson_burst", "threshold_anova",
                                                                "ranksum")}))
    bursts = pd.DataFrame(dict(unit_id=["u0", "u1", "u0", "u1"], min_isis=4, significance=[1e-4, 1e-4, 0.01, 0.01],
                               min_burst_trials=3, reactivated=[False, False, True, True]))
    table = sweep(units, imagery_units, pd.DataFrame(columns=["unit", "patient", "object", "area", "imagery_rate",
                                                              "viewing_rate"]),
                  Grid.around(DEFAULT, [0.99], 100, [0.1]), DEFAULT, 0.01, {}, (), pd.DataFrame(), bursts,
                  (4, 1e-4, 3))
    react = table[(table.claim == "~40% of them reactivated during imagery") & (table.min_significant == 99)
                  & ~table.beyond_category.astype(bool) & (table.responsive_rule == "paired_windows")]
    estimate = react.set_index("reactivation_rule").estimate
    assert burst_rule_name(4, 0.0001, 3) not in estimate  # the configured set is poisson_burst itself
    assert estimate[burst_rule_name(4, 0.01, 3)] == 1.0 and estimate["poisson_burst"] == 0.0


def _params():
    from vtc_imagery.calibration import analysis_config
    from vtc_imagery.config import load_schema, validate_config
    from vtc_imagery.pipeline import AnalysisParams

    config = validate_config(yaml.safe_load((REPO / "config.yaml").read_text()),
                             load_schema(REPO / "schemas/config.schema.yaml"))
    return AnalysisParams.from_config(analysis_config(config))


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
    table = sweep(units, imagery_units, objects, grid, DEFAULT, 0.01, {}, (), _other_axis())
    counts = table.groupby("claim").size()
    assert counts["visually responsive VTC neurons"] == 3
    axis_choices = 3 * (1 + 2)  # thresholds x (alone, or beyond category by either rule)
    assert counts["~80% of responsive neurons axis-tuned"] == axis_choices * 3  # x responsiveness rules
    assert counts["~40% of them reactivated during imagery"] == axis_choices * 4 * 3
    # populations (by rule) x random effects, under the configured responsiveness rule only
    assert counts["M1 preferred"] == axis_choices * (1 + 4) * 4
    assert (table.groupby("claim").default.sum() == 1).all()  # exactly one default specification per claim
    react = table[(table.claim == "~40% of them reactivated during imagery") & (table.min_significant == 50)
                  & ~table.beyond_category.astype(bool) & (table.responsive_rule == "paired_windows")
                  ].set_index("reactivation_rule").estimate
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
