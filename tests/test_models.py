"""Mixed-effects population models and the user's summary-table entry point."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vtc_imagery.errors import InputDataError
from vtc_imagery.models import (
    IMAGERY_COLUMNS, fit_binomial_mixed, fit_mixed_lm, imagery_model_data, read_imagery_table, reduced_formula,
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
