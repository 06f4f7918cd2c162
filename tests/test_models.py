"""Mixed-effects population models and the user's summary-table entry point."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from vtc_imagery.errors import InputDataError
from vtc_imagery.models import (
    IMAGERY_COLUMNS,
    fit_binomial_mixed,
    fit_slope_mixed,
    imagery_model_data,
    model_outputs,
    patient_estimates,
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


M1 = "imagery_z ~ preferred_z + orthogonal_z"


def test_m1_recovers_a_planted_preferred_effect_and_not_an_orthogonal_one():
    fit = fit_slope_mixed(imagery_model_data(_summary(np.random.default_rng(0))), M1, "preferred_z", "preferred_z")
    coef = fit.coefficients.set_index("term")
    assert coef.loc["preferred_z", "ci_low"] > 0.2 and abs(coef.loc["orthogonal_z", "estimate"]) < 0.2
    assert fit.record["p_value"] < 1e-3 and fit.record["df"] == 4 and fit.record["converged"]
    assert fit.record["n_patients"] == 5 and "patient slope" in fit.record["random_effects"]


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
    (lambda t: pd.concat([t, t.iloc[[0]]]), "row 38: unit"),
    (lambda t: pd.concat([t, t.iloc[[0]]]), "has object 0 a second time (first in row 2)"),
])
def test_a_bad_summary_table_is_named_with_its_problem(tmp_path, damage, message):
    path = tmp_path / "bad.csv"
    damage(_summary(np.random.default_rng(4), patients=2, units=3, objects=6)).to_csv(path, index=False)
    with pytest.raises(InputDataError) as err:
        read_imagery_table(str(path))
    assert str(path) in str(err.value) and message in str(err.value)


def test_an_id_repeated_in_two_patients_names_two_neurons(tmp_path):
    table = _summary(np.random.default_rng(5), patients=2, units=3, objects=6)
    table["unit"] = table.unit.str.replace(r"^p\d", "", regex=True)  # u0, u1, u2 in each patient
    table.to_csv(tmp_path / "released.csv", index=False)
    read = read_imagery_table(str(tmp_path / "released.csv"))
    assert read.unit.nunique() == 6 and set(read[read.patient == "p1"].unit) == {"p1/u0", "p1/u1", "p1/u2"}
    data = imagery_model_data(read)
    assert np.allclose(data.groupby("unit").imagery_z.mean(), 0)  # z-scored within each neuron, not pooled by id


def test_a_table_without_projections_fits_m2_and_says_m1_needs_them(tmp_path):
    table = _summary(np.random.default_rng(6), patients=4, units=5, objects=6)
    table.drop(columns=["preferred_projection", "orthogonal_projection"]).to_csv(tmp_path / "t.csv", index=False)
    data = imagery_model_data(read_imagery_table(str(tmp_path / "t.csv")))
    m2 = dict(formula="imagery_z ~ viewing_z", test_term="viewing_z", random_slope="viewing_z",
              random_effects="auto", data="imagery_objects", family="gaussian")
    _, _, record = model_outputs(data, m2, ("lbfgs",))
    assert "not_available" not in record and record["n_observations"] == len(table)
    m1 = {**m2, "formula": "imagery_z ~ preferred_z + orthogonal_z", "test_term": "preferred_z",
          "random_slope": "preferred_z"}
    _, _, record = model_outputs(data, m1, ("lbfgs",))
    assert "lacks the column(s) ['preferred_projection', 'orthogonal_projection']" in record["not_available"]


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


def test_m3_without_a_random_slope_is_the_random_intercept_model():
    from vtc_imagery.models import fit_model

    rng = np.random.default_rng(6)
    units = np.repeat(np.arange(40), 3)
    data = pd.DataFrame(dict(unit=units, patient=units % 4, model=np.tile(["axis", "category", "exemplar"], 40),
                             nev=rng.normal(size=120) + np.tile([0.5, 0.0, 0.2], 40)))
    spec = dict(formula="nev ~ C(model, Treatment('axis'))", test_term="C(model, Treatment('axis'))",
                family="gaussian", random_effects="auto")
    fit = fit_model(data, spec, ("nm",))
    assert fit.record["random_effects"] == "patient intercept; unit intercept (nested)" and fit.record["df"] == 2
    assert "Intercept" in fit.coefficients.term.tolist()


# Calibration data: P patients, 3-10 units each, 6-8 objects per unit; the raw imagery rate is
# slope * preferred projection + unit noise, the slope drawn per patient (sd_patient) and around it per
# unit (sd_unit), then z-scored within unit as for M1.
def _cohort(rng, patients=6, effect=0.0, sd_patient=0.5, sd_unit=0.0):
    n_units = rng.integers(3, 11, patients)
    unit_patient = np.repeat(np.arange(patients), n_units)
    unit = np.repeat(np.arange(len(unit_patient)), rng.integers(6, 9, len(unit_patient)))
    slope = (rng.normal(effect, sd_patient, patients)[unit_patient] + rng.normal(0, sd_unit, len(unit_patient)))[unit]
    pref, orth, noise = rng.normal(size=(3, len(unit)))
    return imagery_model_data(pd.DataFrame(dict(
        unit=unit, patient=unit_patient[unit], object=0, viewing_rate=pref, imagery_rate=slope * pref + noise,
        preferred_projection=pref, orthogonal_projection=orth)))


def test_the_random_slope_likelihood_is_statsmodels_mixedlm():
    import statsmodels.formula.api as smf

    from vtc_imagery import random_slopes as rs
    from vtc_imagery.models import slope_design

    data = _cohort(np.random.default_rng(7), sd_unit=0.3)
    design = slope_design(data, M1, "preferred_z", "preferred_z")
    for structure, reml, kwargs in (
            ("nested", True, dict(groups="patient", re_formula="0 + preferred_z",
                                  vc_formula={"unit": "0 + C(unit):preferred_z"})),
            ("patient", True, dict(groups="patient", re_formula="0 + preferred_z")),
            ("unit", False, dict(groups="unit", re_formula="0 + preferred_z"))):
        ours = rs.fit_slopes(design.sums, structure, reml)
        theirs = smf.mixedlm(f"{M1} - 1", data, **kwargs).fit(reml=reml, method="nm", maxiter=4000)
        assert ours.log_likelihood == pytest.approx(theirs.llf, abs=1e-5)
        np.testing.assert_allclose(ours.beta, theirs.fe_params, atol=1e-4)


def test_the_unit_option_is_the_previous_model_with_its_degenerate_intercepts_removed():
    """The previous M1 (patient and unit random intercepts, unit slope, fixed intercept) reaches the
    likelihood of the unit-slope-only model: on within-unit centred data the intercepts are 0."""
    import statsmodels.formula.api as smf

    data = _cohort(np.random.default_rng(8))
    fit = fit_slope_mixed(data, M1, "preferred_z", "preferred_z", "unit")
    previous = max((smf.mixedlm(M1, data, groups="patient", re_formula="1", vc_formula={
        "unit": "0 + C(unit)", "slope": "0 + C(unit):preferred_z"}).fit(reml=False, method=m, maxiter=4000)
        for m in ("nm", "powell")), key=lambda r: r.llf)
    assert fit.record["random_effects"] == "unit slope" and fit.record["test"].startswith("likelihood ratio")
    assert fit.record["log_likelihood"] == pytest.approx(previous.llf, abs=1e-3)
    assert fit.record["p_value"] == next(c["p_value"] for c in fit.record["comparison"]
                                         if c["random_effects"] == "unit slope")


def test_a_random_slope_model_has_no_intercept_as_its_data_are_centred_within_unit():
    fit = fit_slope_mixed(_cohort(np.random.default_rng(9)), M1, "preferred_z", "preferred_z")
    assert fit.coefficients.term.tolist() == ["preferred_z", "orthogonal_z"]
    assert "0 by construction" in fit.record["intercept"]


def test_a_random_slope_model_refuses_data_not_centred_within_unit():
    data = _cohort(np.random.default_rng(10))
    with pytest.raises(ValueError, match="centred within unit"):
        fit_slope_mixed(data.assign(imagery_z=data.imagery_z + 1.0), M1, "preferred_z", "preferred_z")


def test_an_unknown_random_effects_option_is_refused():
    with pytest.raises(ValueError, match="unknown random_effects"):
        fit_slope_mixed(_cohort(np.random.default_rng(10)), M1, "preferred_z", "preferred_z", "patients")


def _wilson(k: int, n: int) -> tuple[float, float]:
    from scipy import stats

    ci = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
    return ci.low, ci.high


def _m1_design(raw: np.ndarray, unit: np.ndarray, unit_patient: np.ndarray, slope: int = 0, test: int = 0):
    """The M1 design of raw (imagery, preferred, orthogonal) columns (n, 3), z-scored within unit as
    imagery_objects does, with numpy rather than pandas so that hundreds fit in seconds; `slope` and
    `test`: the fixed effect (0 preferred, 1 orthogonal) with the random slopes and the one tested."""
    from vtc_imagery import random_slopes as rs
    from vtc_imagery.models import SlopeDesign

    count = np.bincount(unit)[:, None]
    mean = np.stack([np.bincount(unit, c) for c in raw.T], 1) / count
    sd = np.sqrt(np.stack([np.bincount(unit, c) for c in ((raw - mean[unit]) ** 2).T], 1) / (count - 1))
    z = (raw - mean[unit]) / sd[unit]  # imagery_z, preferred_z, orthogonal_z
    return SlopeDesign(rs.slope_sums(z[:, 0], z[:, 1:], z[:, 1 + slope], unit, unit_patient),
                       ["preferred_z", "orthogonal_z"], test, len(unit_patient), int(unit_patient.max()) + 1)


def _null_designs(rng, n: int, patients: int = 6, sd_patient: float = 0.5):
    """`n` null M1 designs (no planted mean effect; slopes N(0, sd_patient) by patient)."""
    for _ in range(n):
        n_units = rng.integers(3, 11, patients)
        unit_patient = np.repeat(np.arange(patients), n_units)
        unit = np.repeat(np.arange(len(unit_patient)), rng.integers(6, 9, len(unit_patient)))
        pref, orth, noise = rng.normal(size=(3, len(unit)))
        raw = np.stack([rng.normal(0, sd_patient, patients)[unit_patient[unit]] * pref + noise, pref, orth], 1)
        yield _m1_design(raw, unit, unit_patient)


def test_with_the_effect_varying_by_patient_the_patient_level_test_holds_its_level_and_the_unit_one_does_not():
    """200 null cohorts of 6 patients whose slopes are N(0, 0.5): the default test's false-positive
    rate at 0.05 is not significantly above 0.05; the previous unit-slope model's is."""
    from vtc_imagery.models import slope_inference

    fits = [slope_inference(design, "auto") for design in _null_designs(np.random.default_rng(11), 200)]
    new = sum(f.p_value < 0.05 for f in fits)
    old = sum(f.results["unit"]["p_value"] < 0.05 for f in fits)
    assert _wilson(new, len(fits))[0] <= 0.05
    assert _wilson(old, len(fits))[0] > 0.05


def _shared_object_designs(rng, n: int, patients: int = 6, objects: int = 8):
    """`n` null M1 designs (no effect of either projection) in which a patient's units share their
    objects' orthogonal projections (up to a little unit noise) and an effect of each object on
    imagery (a state the session's units share): the orthogonal slope then varies by patient.
    Yields (design with the orthogonal slope random, design with the preferred slope random), both
    testing the orthogonal term."""
    for _ in range(n):
        unit_patient = np.repeat(np.arange(patients), rng.integers(3, 11, patients))
        unit = np.repeat(np.arange(len(unit_patient)), objects)
        item = unit_patient[unit] * objects + np.tile(np.arange(objects), len(unit_patient))
        orth = rng.normal(size=patients * objects)[item] + rng.normal(0, 0.3, len(unit))
        pref = rng.normal(size=len(unit))
        raw = np.stack([rng.normal(0, 0.7, patients * objects)[item] + rng.normal(size=len(unit)), pref, orth], 1)
        yield _m1_design(raw, unit, unit_patient, slope=1, test=1), _m1_design(raw, unit, unit_patient, test=1)


def test_a_term_shared_by_a_patients_units_holds_its_level_only_with_its_own_random_slope():
    """200 null cohorts whose orthogonal slope varies by patient through an object effect the
    patient's units share: tested with its own patient slope, the orthogonal term's false-positive
    rate at 0.05 is not significantly above 0.05; in the fit whose random slope is the preferred
    term's (the previous M1), it is."""
    from vtc_imagery.models import slope_inference

    def wald_p(design) -> float:  # the fit's own Wald t, without the patients' own slopes' t beside it
        inference = slope_inference(design, "auto")
        return inference.results[inference.chosen]["wald_p"]

    designs = list(_shared_object_designs(np.random.default_rng(19), 200))
    own = sum(wald_p(d) < 0.05 for d, _ in designs)
    borrowed = sum(wald_p(d) < 0.05 for _, d in designs)
    assert _wilson(own, len(designs))[0] <= 0.05
    assert _wilson(borrowed, len(designs))[0] > 0.05


def test_every_other_term_of_a_random_slope_model_comes_from_the_fit_with_its_own_random_slope():
    data = _cohort(np.random.default_rng(20), sd_unit=0.3)
    fit = fit_slope_mixed(data, M1, "preferred_z", "preferred_z")
    own = fit_slope_mixed(data, M1, "orthogonal_z", "orthogonal_z")
    rows = fit.coefficients.set_index("term")
    pd.testing.assert_series_equal(rows.loc["orthogonal_z"], own.coefficients.set_index("term").loc["orthogonal_z"])
    assert rows.loc["preferred_z", "random_slope"] == "preferred_z"
    assert fit.record["other_terms"][0]["p_value"] == own.record["p_value"]


def _unequal_patient_designs(rng, n: int, units_per_patient=(2, 2, 2, 40), sd_patient: float = 0.3):
    """`n` null M1 designs of very unequal patients (slopes N(0, sd_patient) by patient, 8 objects per
    unit), where REML often puts the patient variance at 0."""
    sizes = np.array(units_per_patient)
    unit_patient = np.repeat(np.arange(len(sizes)), sizes)
    unit = np.repeat(np.arange(len(unit_patient)), 8)
    for _ in range(n):
        pref, orth, noise = rng.normal(size=(3, len(unit)))
        raw = np.stack([rng.normal(0, sd_patient, len(sizes))[unit_patient[unit]] * pref + noise, pref, orth], 1)
        yield _m1_design(raw, unit, unit_patient)


def test_with_few_very_unequal_patients_the_test_holds_its_level_through_the_patients_own_slopes():
    """Four patients of 2, 2, 2 and 40 units, null slopes N(0, 0.3) by patient: the Wald t alone
    rejects more than 0.05 (REML puts the patient variance at 0 in many tables); the test, the larger
    of its p and the patients' own slopes' t p, does not."""
    from vtc_imagery.models import slope_inference

    fits = [slope_inference(d, "auto") for d in _unequal_patient_designs(np.random.default_rng(21), 400)]
    wald = sum(f.results[f.chosen]["wald_p"] < 0.05 for f in fits)
    test = sum(f.p_value < 0.05 for f in fits)
    assert _wilson(wald, len(fits))[0] > 0.05
    assert _wilson(test, len(fits))[0] <= 0.05


def test_the_two_stage_test_is_a_t_over_the_patients_own_least_squares_slopes():
    from vtc_imagery import random_slopes as rs

    design = next(_unequal_patient_designs(np.random.default_rng(22), 1, (3, 4, 5)))
    s = design.sums
    own = [np.linalg.solve(s.patient_cross[p, 1:, 1:], s.patient_cross[p, 1:, 0])[0] for p in range(3)]
    p, t, df, mean, se = rs.two_stage_test(s, 0)
    assert t == pytest.approx(mean / se)
    assert df == 2 and mean == pytest.approx(np.mean(own)) and se == pytest.approx(np.std(own, ddof=1) / np.sqrt(3))
    assert p == pytest.approx(stats.ttest_1samp(own, 0.0).pvalue)


def test_a_design_built_with_numpy_is_the_design_built_from_the_table():
    """The calibration's designs are the production path's (same likelihood as slope_design's)."""
    from vtc_imagery import random_slopes as rs
    from vtc_imagery.models import slope_design

    rng = np.random.default_rng(18)
    ours = next(_null_designs(rng, 1))
    rng = np.random.default_rng(18)
    n_units = rng.integers(3, 11, 6)
    unit_patient = np.repeat(np.arange(6), n_units)
    unit = np.repeat(np.arange(len(unit_patient)), rng.integers(6, 9, len(unit_patient)))
    pref, orth, noise = rng.normal(size=(3, len(unit)))
    imagery = rng.normal(0, 0.5, 6)[unit_patient[unit]] * pref + noise
    table = imagery_model_data(pd.DataFrame(dict(
        unit=unit, patient=unit_patient[unit], object=0, viewing_rate=pref, imagery_rate=imagery,
        preferred_projection=pref, orthogonal_projection=orth)))
    theirs = slope_design(table, M1, "preferred_z", "preferred_z")
    ratios, keep = np.array([[0.0, 0.0], [0.3, 0.1], [1.0, 2.0]]), np.ones(2, bool)
    for reml in (False, True):
        np.testing.assert_allclose(rs.profile_likelihood(ours.sums, ratios, keep, reml)[0],
                                   rs.profile_likelihood(theirs.sums, ratios, keep, reml)[0], rtol=1e-12)


def test_with_one_patient_the_record_says_the_patient_level_cannot_be_estimated():
    data = _cohort(np.random.default_rng(12), patients=1)
    fit = fit_slope_mixed(data, M1, "preferred_z", "preferred_z", "nested")
    assert fit.record["random_effects"] == "unit slope" and fit.record["n_patients"] == 1
    assert "patient level cannot be estimated" in fit.record["random_effects_choice"]


def test_auto_adds_the_unit_slope_only_where_units_vary_within_patient():
    rng = np.random.default_rng(13)
    varied = fit_slope_mixed(_cohort(rng, sd_patient=0.3, sd_unit=1.0), M1, "preferred_z", "preferred_z")
    shared = fit_slope_mixed(_cohort(rng, sd_patient=0.3, sd_unit=0.0, patients=8), M1, "preferred_z",
                             "preferred_z")
    assert varied.record["random_effects"] == "patient slope; unit slope (nested in patient)"
    assert shared.record["random_effects"] == "patient slope"


def test_the_same_data_give_identical_tables_and_records():
    data = _cohort(np.random.default_rng(14), sd_unit=0.3)
    first, second = (fit_slope_mixed(data, M1, "preferred_z", "preferred_z") for _ in range(2))
    pd.testing.assert_frame_equal(first.coefficients, second.coefficients, check_exact=True)
    assert first.record == second.record


SLOPE_SPEC = dict(formula=M1, test_term="preferred_z", random_slope="preferred_z", random_effects="auto",
                  family="gaussian")


def test_patient_estimates_are_each_patients_own_least_squares_slope():
    data = _cohort(np.random.default_rng(15))
    table = patient_estimates(data, SLOPE_SPEC)
    one = data[data.patient == 2]
    x = one[["preferred_z", "orthogonal_z"]].to_numpy()
    beta = np.linalg.lstsq(x, one.imagery_z.to_numpy(), rcond=None)[0]
    row = table.set_index("patient").loc["2"]
    assert table.patient.tolist() == [str(p) for p in range(6)] and table.term.unique().tolist() == ["preferred_z"]
    assert row.estimate == pytest.approx(beta[0])
    assert row.n_units == one.unit.nunique() and row.n_observations == len(one)
    assert row.df == len(one) - 2 - one.unit.nunique()  # the within-unit centring costs one df per unit
    assert row.ci_low < row.estimate < row.ci_high


def test_patient_estimates_of_a_model_comparison_are_within_unit_contrasts():
    """M3: with the unit as a fixed effect, a patient's category - axis estimate is the mean
    within-unit difference."""
    units = np.repeat(np.arange(6), 3)
    rng = np.random.default_rng(16)
    data = pd.DataFrame(dict(unit=units, patient=units // 3, model=np.tile(["axis", "category", "exemplar"], 6),
                             nev=rng.normal(size=18) + 5 * units))
    spec = dict(formula="nev ~ C(model, Treatment('axis'))", test_term="C(model, Treatment('axis'))",
                family="gaussian")
    table = patient_estimates(data, spec)
    wide = data.pivot(index="unit", columns="model", values="nev")
    row = table[(table.patient == "0") & table.term.str.endswith("[T.category]")].iloc[0]
    assert row.estimate == pytest.approx((wide.category - wide.axis)[:3].mean())
    assert len(table) == 4 and (table.n_units == 3).all()


def test_patient_estimates_of_a_binomial_model_name_perfect_separation():
    rng = np.random.default_rng(17)
    x = rng.normal(size=120)
    patient = np.repeat(["a", "b"], 60)
    y = np.where(patient == "a", rng.random(120) < 1 / (1 + np.exp(-x)), x > 0).astype(int)
    data = pd.DataFrame(dict(unit=np.arange(120), patient=patient, y=y, x=x))
    table = patient_estimates(data, dict(formula="y ~ x", test_term="x", family="binomial")).set_index("patient")
    assert np.isfinite(table.loc["a", "estimate"]) and table.loc["a", "note"] == ""
    assert np.isnan(table.loc["b", "estimate"]) and "separation" in table.loc["b", "note"]
