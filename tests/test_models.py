"""Mixed-effects population models and the user's summary-table entry point."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vtc_imagery.errors import InputDataError
from vtc_imagery.models import (
    IMAGERY_COLUMNS,
    fit_binomial_mixed,
    fit_mixed_lm,
    imagery_model_data,
    read_imagery_table,
    reduced_formula,
)


def _summary(rng, slope=0.6, patients=5, units=12, objects=8):
    rows = []
    for p in range(patients):
        shift = rng.normal(0, 0.5)
        for u in range(units):
            pref, orth = rng.normal(size=objects), rng.normal(size=objects)
            imagery = 3 + shift + (slope + rng.normal(0, 0.2)) * pref + rng.normal(0, 1, objects)
            for o in range(objects):
                rows.append(dict(unit=f"p{p}u{u}", patient=f"p{p}", object=o, viewing_rate=5 + 2 * pref[o],
                                 encoding_rate=np.nan, imagery_rate=imagery[o], preferred_projection=pref[o],
                                 orthogonal_projection=orth[o]))
    return pd.DataFrame(rows)


def test_m1_recovers_a_planted_preferred_effect_and_not_an_orthogonal_one():
    fit = fit_mixed_lm(imagery_model_data(_summary(np.random.default_rng(0))), "imagery_z ~ preferred_z + orthogonal_z",
                       "preferred_z", "preferred_z")
    coef = fit.coefficients.set_index("term")
    assert coef.loc["preferred_z", "ci_low"] > 0.2 and abs(coef.loc["orthogonal_z", "estimate"]) < 0.2
    assert fit.record["p_value"] < 1e-6 and fit.record["df"] == 1 and fit.record["converged"]
    assert fit.record["n_patients"] == 5 and "nested" in fit.record["random_effects"]


def test_m1_keeps_its_level_when_nothing_is_planted():
    rng = np.random.default_rng(1)
    p = [fit_mixed_lm(imagery_model_data(_summary(rng, slope=0.0)), "imagery_z ~ preferred_z + orthogonal_z",
                      "preferred_z", "preferred_z").record["p_value"] for _ in range(20)]
    assert np.mean(np.array(p) < 0.05) <= 0.15  # nominal 0.05; 20 fits


def test_the_reduced_formula_drops_exactly_the_tested_term():
    assert reduced_formula("y ~ a + b", "a") == "y ~ b"
    assert reduced_formula("nev ~ C(model, Treatment('axis'))", "C(model, Treatment('axis'))") == "nev ~ 1"
    with pytest.raises(ValueError, match="not a term"):
        reduced_formula("y ~ a + b", "c")


def test_the_binomial_model_reports_a_posterior_wald_test():
    rng = np.random.default_rng(2)
    x = rng.normal(size=300)
    data = pd.DataFrame(dict(reactivated=(rng.random(300) < 1 / (1 + np.exp(-(1.5 * x - 0.5)))).astype(int), x=x,
                             patient=rng.integers(0, 6, 300)))
    fit = fit_binomial_mixed(data, "reactivated ~ x", "x")
    assert fit.coefficients.set_index("term").loc["x", "estimate"] > 0.8 and fit.record["p_value"] < 1e-4


def test_a_hand_made_summary_table_is_read_and_checked(tmp_path):
    table = _summary(np.random.default_rng(3), patients=2, units=3, objects=6)
    table.to_csv(tmp_path / "ok.csv", index=False)
    assert len(read_imagery_table(str(tmp_path / "ok.csv"))) == 36
    table.to_csv(tmp_path / "ok.tsv", sep="\t", index=False)
    assert list(read_imagery_table(str(tmp_path / "ok.tsv")).columns) == list(IMAGERY_COLUMNS)


@pytest.mark.parametrize("damage, message", [
    (lambda t: t.drop(columns="imagery_rate"), "lacks the column(s) ['imagery_rate']"),
    (lambda t: t.assign(viewing_rate=t.viewing_rate.astype(object).where(t.index != 4, "fast")),
     "column 'viewing_rate' has a non-numeric value in row 6"),
    (lambda t: t.assign(preferred_projection=t.preferred_projection.where(t.index != 2)),
     "column 'preferred_projection' is empty in row 4"),
    (lambda t: pd.concat([t, t.iloc[[0]]]), "has object 0 twice"),
    (lambda t: t.assign(patient=np.where(t.index == 0, "other", t.patient)), "belongs to two patients"),
])
def test_a_bad_summary_table_is_named_with_its_problem(tmp_path, damage, message):
    path = tmp_path / "bad.csv"
    damage(_summary(np.random.default_rng(4), patients=2, units=3, objects=6)).to_csv(path, index=False)
    with pytest.raises(InputDataError) as err:
        read_imagery_table(str(path))
    assert str(path) in str(err.value) and message in str(err.value)


def test_a_missing_summary_table_names_the_config_key(tmp_path):
    with pytest.raises(InputDataError, match="imagery_table"):
        read_imagery_table(str(tmp_path / "none.csv"))


def _imagery_units():
    return pd.DataFrame(dict(
        unit_id=["a", "b", "c", "d"], subject=["p1", "p1", "p2", "p2"], area=["VTC", "VTC", "VTC", "amygdala"],
        axis_tuned=[True, True, False, True], reactivated=[True, False, True, True],
        ev_axis=[0.1, 0.3, 0.2, 0.4], explainable_variance=[0.2, 0.4, 0.3, 0.5], mean_rate_hz=[1.0, np.e, 2.0, 3.0]))


def _objects_of(units):
    rows = [dict(unit=u.unit_id, patient=u.subject, object=o, viewing_rate=1.0 + o, encoding_rate=np.nan,
                 imagery_rate=2.0 * o, preferred_projection=float(o), orthogonal_projection=-float(o),
                 area=u.area, axis_tuned=u.axis_tuned, reactivated=u.reactivated)
            for u in units.itertuples() for o in range(3)]
    return pd.DataFrame(rows)


def test_imagery_model_data_keeps_the_configured_imagery_population():
    from vtc_imagery.models import imagery_objects_data

    objects = _objects_of(_imagery_units())
    assert sorted(imagery_objects_data(objects, "axis_tuned").unit.unique()) == ["a", "b"]
    assert sorted(imagery_objects_data(objects, "reactivated").unit.unique()) == ["a"]
    assert "imagery_z" in imagery_objects_data(objects, "axis_tuned")


def test_a_summary_table_without_unit_calls_is_taken_whole():
    from vtc_imagery.models import imagery_objects_data

    table = _summary(np.random.default_rng(5), patients=2, units=2, objects=3)
    assert len(imagery_objects_data(table, "reactivated")) == len(table)


def test_unit_model_data_is_the_normalised_ev_per_model_of_responsive_vtc_units():
    from vtc_imagery.models import unit_models_data

    units = pd.DataFrame(dict(unit_id=["a", "b", "c"], subject=["p1", "p1", "p2"], area=["VTC", "VTC", "VTC"],
                              responsive=[True, None, True], nev_axis=[0.8, 0.9, np.nan],
                              nev_category=[0.2, 0.1, np.nan], nev_exemplar=[0.4, 0.3, np.nan]))
    data = unit_models_data(units)
    assert data.unit.unique().tolist() == ["a"] and data.patient.unique().tolist() == ["p1"]
    assert data.set_index("model").nev.to_dict() == {"axis": 0.8, "category": 0.2, "exemplar": 0.4}


def test_unit_covariate_data_is_axis_tuned_vtc_units_with_z_scored_covariates():
    from vtc_imagery.models import unit_covariates_data

    data = unit_covariates_data(_imagery_units())
    assert data.unit.tolist() == ["a", "b"] and data.reactivated.tolist() == [1, 0]
    np.testing.assert_allclose(data.ev_axis_z, [-1 / np.sqrt(2), 1 / np.sqrt(2)])
    np.testing.assert_allclose(data.log_rate_z, [-1 / np.sqrt(2), 1 / np.sqrt(2)])


def test_model_data_reads_the_input_the_spec_names(tmp_path):
    from vtc_imagery.models import MODEL_INPUTS, model_data

    path = tmp_path / "imagery.parquet"
    _imagery_units().to_parquet(path)
    assert MODEL_INPUTS["unit_covariates"] == "imagery"
    assert model_data("unit_covariates", str(path), "axis_tuned").unit.tolist() == ["a", "b"]
    with pytest.raises(ValueError, match="unknown model data"):
        model_data("everything", str(path), "axis_tuned")


def test_the_spec_family_chooses_the_binomial_fit():
    from vtc_imagery.models import fit_model

    rng = np.random.default_rng(3)
    x = rng.normal(size=300)
    data = pd.DataFrame(dict(y=(rng.random(300) < 1 / (1 + np.exp(-2 * x))).astype(int), x=x,
                             patient=np.repeat([f"p{k}" for k in range(5)], 60), unit=np.arange(300)))
    fit = fit_model(data, dict(formula="y ~ x", test_term="x", family="binomial"), ("lbfgs",))
    assert fit.record["method"].startswith("BinomialBayesMixedGLM")
