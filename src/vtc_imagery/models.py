"""Mixed-effects population models (statsmodels): units are nested in patients, which the paper's
per-neuron statistics ignore. M1: imagery ~ preferred + orthogonal projection; M2: imagery ~
viewing; M3: normalised EV ~ model; M4: reactivated ~ unit covariates (binomial).

Each fit returns a coefficient table with 95% intervals, a test of `test_term` against the model
without it, and a record of formula, optimizer, convergence and package versions.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import random_slopes as rs
from . import selection as sel
from .lazy import stats

IMAGERY_COLUMNS = {  # the documented summary-table schema: column -> description
    "unit": "neuron identifier (unique within its patient; a neuron is keyed by patient and unit)",
    "patient": "patient identifier",
    "object": "imagined object identifier",
    "viewing_rate": "firing rate (Hz) when viewing the object",
    "encoding_rate": "firing rate (Hz) when the object was shown for encoding (may be empty)",
    "imagery_rate": "mean firing rate (Hz) over the cued imagery trials of the object",
    "preferred_projection": "the object's projection onto the neuron's preferred axis (optional: M1 only)",
    "orthogonal_projection": "the object's projection onto the neuron's orthogonal (control) axis (optional: M1 only)",
}
PROJECTION_COLUMNS = ("preferred_projection", "orthogonal_projection")
# Summary-table column -> the within-unit z-score the imagery models use (imagery_model_data).
Z_SCORED = {"imagery_rate": "imagery_z", "preferred_projection": "preferred_z",
            "orthogonal_projection": "orthogonal_z", "viewing_rate": "viewing_z"}


@dataclass(frozen=True)
class ModelFit:
    coefficients: pd.DataFrame  # term, estimate, se, z, p, ci_low, ci_high
    record: dict  # formula, reduced formula, test, optimizer, convergence, sizes, versions


def versions() -> dict[str, str]:
    import numpy
    import pandas
    import scipy
    import statsmodels

    return {"statsmodels": statsmodels.__version__, "numpy": numpy.__version__, "scipy": scipy.__version__,
            "pandas": pandas.__version__}


def zscore_within(values: pd.Series, groups: pd.Series) -> pd.Series:
    """Values z-scored within each group (ddof 1); constant groups give NaN."""
    g = values.groupby(groups)
    return (values - g.transform("mean")) / g.transform("std").replace(0, np.nan)


def imagery_model_data(table: pd.DataFrame) -> pd.DataFrame:
    """Imagery rate, projections (where the table has them) and viewing rate z-scored within each unit
    (the summary-table schema in)."""
    out = table.copy()
    for src, dst in Z_SCORED.items():
        if src in out:
            out[dst] = zscore_within(out[src].astype(float), out.unit)
    return out


# A model spec's `data` (config models.<name>.data) -> the rule input it is built from.
MODEL_INPUTS = {
    "imagery_objects": "table",  # per unit and imagined object (the documented summary schema)
    "unit_models": "units",  # per unit: normalised EV of the axis, category and exemplar models
    "unit_covariates": "imagery",  # per unit in imagery sessions: reactivation and unit covariates
}


def imagery_objects_data(table: pd.DataFrame, population: str) -> pd.DataFrame:
    """The imagery population's rows of a per-object imagery table, z-scored within unit. A
    user's summary table without the unit calls (area, axis_tuned) is taken as already selected."""
    if {"area", "axis_tuned"} <= set(table.columns):
        table = table[sel.imagery_population(table, population)]
    return imagery_model_data(table)


def unit_models_data(units: pd.DataFrame) -> pd.DataFrame:
    """Long table (unit, patient, model, nev) of the normalised EV of each encoding model over the
    model-comparison units."""
    keep = units[sel.model_comparison_units(units)].rename(columns={"unit_id": "unit", "subject": "patient"})
    return keep.melt(id_vars=["unit", "patient"], value_vars=["nev_axis", "nev_category", "nev_exemplar"],
                     var_name="model", value_name="nev").assign(model=lambda d: d.model.str.removeprefix("nev_"))


def unit_covariates_data(imagery_units: pd.DataFrame) -> pd.DataFrame:
    """The axis-tuned VTC units in imagery sessions with their reactivation call (0/1) and z-scored
    covariates: EV of the axis model, explainable variance and log mean rate (Hz)."""
    tuned = imagery_units[sel.imagery_population(imagery_units, "axis_tuned")].rename(
        columns={"unit_id": "unit", "subject": "patient"})
    one = pd.Series("all", index=tuned.index)
    for src, dst in (("ev_axis", "ev_axis_z"), ("explainable_variance", "explainable_z")):
        tuned[dst] = zscore_within(tuned[src].astype(float), one)
    tuned["log_rate_z"] = zscore_within(np.log(tuned.mean_rate_hz.astype(float)), one)
    tuned["reactivated"] = tuned.reactivated.astype(int)
    return tuned


def model_data(kind: str, path: str, population: str) -> pd.DataFrame:
    """The data of a model whose spec says `data: kind`, from the table at `path` (the rule input
    MODEL_INPUTS[kind]); `population` is config imagery.population."""
    if kind == "imagery_objects":
        return imagery_objects_data(read_imagery_table(path), population)
    if kind == "unit_models":
        return unit_models_data(pd.read_parquet(path))
    if kind == "unit_covariates":
        return unit_covariates_data(pd.read_parquet(path))
    raise ValueError(f"unknown model data {kind!r}; choose one of {list(MODEL_INPUTS)}")


# Fewer units than this leave a mixed model's random effects (and the z-scores over units of M4's
# covariates) without anything to estimate them from: the model is reported as not available.
MIN_MODEL_UNITS = 3
# What a model's data are, in the words of a "not available" reason.
_DATA_WORDS = {
    "imagery_objects": "units of the imagery population (imagery.population) with imagery responses",
    "unit_models": "responsive VTC units with a normalised EV (explainable variance above axis.min_explainable)",
    "unit_covariates": "axis-tuned VTC units recorded in imagery sessions",
}


# The model terms made from an optional summary-table column.
_SOURCE_OF = {z: src for src, z in Z_SCORED.items() if src in PROJECTION_COLUMNS}


def model_unavailable(data: pd.DataFrame, spec: dict) -> str | None:
    """Why the data of a model spec cannot be fitted (too few units; for a binomial model, one
    outcome only), or None when they can. A cohort without imagery sessions, or whose imagery
    sessions recorded no axis-tuned VTC unit, is the common case of released data."""
    what = _DATA_WORDS.get(spec["data"], "units")
    absent = [t for t in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", spec["formula"].split("~")[1])
              if t in _SOURCE_OF and t not in data.columns]
    if len(data) and absent:
        return (f"the input lacks the column(s) {[_SOURCE_OF[t] for t in absent]} that the model's term(s) "
                f"{absent} are made from")
    d = data.dropna(subset=[*_formula_columns(spec["formula"], data), "unit", "patient"]) if len(data) else data
    n_units = int(d.unit.nunique()) if len(d) else 0
    if n_units < MIN_MODEL_UNITS:
        return f"{n_units} {what}; the model needs at least {MIN_MODEL_UNITS}"
    if spec["family"] == "binomial":
        outcome = d[spec["formula"].split("~")[0].strip()].astype(float)
        if outcome.nunique() < 2:
            return f"all {len(outcome)} {what} have the same outcome ({outcome.iloc[0]:g}); a logistic model needs both"
    return None


def model_outputs(data: pd.DataFrame, spec: dict, optimizers: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                                        dict]:
    """(coefficients, per-patient estimates, record) of a model spec fitted to `data`; an explicit
    empty result (io.not_available, and `not_available` in the record) when the data cannot be
    fitted (model_unavailable) or no optimizer fits them."""
    from .io import NOT_AVAILABLE, not_available

    reason = model_unavailable(data, spec)
    if reason is None:
        try:
            fit = fit_model(data, spec, optimizers)
        except (RuntimeError, np.linalg.LinAlgError) as exc:
            reason = f"the model could not be fitted ({exc})"
    if reason is not None:
        record = dict(formula=spec["formula"], test_term=spec["test_term"], **{NOT_AVAILABLE: reason},
                      n_observations=len(data), versions=versions())
        return not_available(reason), not_available(reason), record
    return fit.coefficients, patient_estimates(data, spec), fit.record


def fit_model(data: pd.DataFrame, spec: dict, optimizers: tuple[str, ...]) -> ModelFit:
    """Fit a model spec (config models.<name>): with a `random_slope`, a random-slope model of data
    centred within unit (fit_slope_mixed); with `family: binomial` a binomial mixed GLM (variational
    Bayes); otherwise a linear mixed model with random intercepts (fit_mixed_lm)."""
    if spec["family"] == "binomial":
        return fit_binomial_mixed(data, spec["formula"], spec["test_term"])
    if spec.get("random_slope"):
        return fit_slope_mixed(data, spec["formula"], spec["test_term"], spec["random_slope"],
                               spec["random_effects"])
    return fit_mixed_lm(data, spec["formula"], spec["test_term"], optimizers)


def reduced_formula(formula: str, term: str) -> str:
    """The formula without `term` (an intercept-only model if nothing is left)."""
    lhs, rhs = (s.strip() for s in formula.split("~", 1))
    terms = [t.strip() for t in re.split(r"\s\+\s", rhs) if t.strip() != term.strip()]
    if len(terms) == len(re.split(r"\s\+\s", rhs)):
        raise ValueError(f"test term {term!r} is not a term of {formula!r}")
    return f"{lhs} ~ {' + '.join(terms) if terms else '1'}"


def _coefficients(params: pd.Series, se: pd.Series) -> pd.DataFrame:
    z = params / se
    return pd.DataFrame(dict(term=params.index, estimate=params.to_numpy(), se=se.to_numpy(), z=z.to_numpy(),
                             p=2 * stats.norm.sf(np.abs(z.to_numpy())), ci_low=(params - 1.96 * se).to_numpy(),
                             ci_high=(params + 1.96 * se).to_numpy()))


def fit_mixed_lm(data: pd.DataFrame, formula: str, test_term: str,
                 optimizers: tuple[str, ...] = ("lbfgs", "powell", "nm")) -> ModelFit:
    """Linear mixed model by maximum likelihood: random intercept by patient, and by unit (nested)
    a random intercept; with a single patient the unit is the grouping factor instead.
    Likelihood-ratio test of `test_term` (chi-square, df = the number of fixed effects it removes).
    Each model is fitted with every optimizer and the best likelihood kept; the record names it
    and whether it reported convergence."""
    import statsmodels.formula.api as smf

    d = data.dropna(subset=[*_formula_columns(formula, data), "unit", "patient"]).copy()
    d["unit"] = d["unit"].astype(str)
    n_patients = d.patient.nunique()
    if n_patients >= 2:
        kwargs = dict(groups="patient", re_formula="1", vc_formula={"unit": "0 + C(unit)"})
        structure = "patient intercept; unit intercept (nested)"
    else:
        kwargs = dict(groups="unit", re_formula="1")
        structure = "one patient: unit intercept"

    def fit(f: str):
        # Every optimizer, keeping the highest likelihood: lbfgs can report convergence far below
        # the optimum here, and a likelihood ratio between two optimizers' optima is meaningless.
        fits = []
        for method in optimizers:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    fits.append((smf.mixedlm(f, d, **kwargs).fit(reml=False, method=method), method))
                except (np.linalg.LinAlgError, ValueError):
                    continue
        fits = [(r, m) for r, m in fits if np.isfinite(r.llf)]
        if not fits:
            raise RuntimeError(f"mixed model {f!r} could not be fitted with any of {list(optimizers)}")
        # Fits whose fixed effects have finite standard errors come first (a singular Hessian gives
        # none); among them, the highest likelihood.
        return max(fits, key=lambda rm: (bool(np.all(np.isfinite(rm[0].bse_fe))), rm[0].llf))

    full, method = fit(formula)
    reduced_f = reduced_formula(formula, test_term)
    reduced, reduced_method = fit(reduced_f)
    lr = float(2 * (full.llf - reduced.llf))
    df = len(full.fe_params) - len(reduced.fe_params)
    fe = full.fe_params
    coefficients = _coefficients(fe, full.bse_fe)
    record = dict(formula=formula, reduced_formula=reduced_f, test_term=test_term, random_effects=structure,
                  method="MixedLM, maximum likelihood", optimizer=method, reduced_optimizer=reduced_method,
                  converged=bool(full.converged), reduced_converged=bool(reduced.converged),
                  test="likelihood ratio (chi-square)",
                  log_likelihood=float(full.llf), reduced_log_likelihood=float(reduced.llf),
                  likelihood_ratio=lr, df=df, p_value=float(stats.chi2.sf(max(lr, 0.0), df)),
                  n_observations=len(d), n_units=int(d.unit.nunique()), n_patients=int(n_patients),
                  variance_components={k: float(v) for k, v in zip(full.model.exog_vc.names, full.vcomp, strict=True)}
                  if n_patients >= 2 else {}, group_variance=float(np.asarray(full.cov_re)[0, 0]),
                  versions=versions())
    return ModelFit(coefficients, record)


# Random-effects structures of a random-slope model (config models.<name>.random_effects); `auto`
# chooses between the two with a patient level (fit_slope_mixed).
RANDOM_EFFECTS = {
    "nested": "patient slope; unit slope (nested in patient)",
    "patient": "patient slope",
    "unit": "unit slope",
}
# Level of the test that keeps the unit slope in `auto` (REML likelihood ratio, 50:50 mixture of
# chi-square 0 and 1 as the variance sits on its boundary under the null).
UNIT_SLOPE_ALPHA = 0.05
_CENTRED_TOLERANCE = 1e-8


@dataclass(frozen=True)
class SlopeDesign:
    """A random-slope model's data: the sums of random_slopes and what names them."""

    sums: rs.SlopeSums
    columns: list[str]  # fixed-effect columns (k); no intercept
    test_column: int  # index of the test term's column
    n_units: int
    n_patients: int


def centred_within_unit(values: pd.DataFrame, unit: pd.Series) -> bool:
    """Whether every column has mean 0 within every unit, to rounding."""
    means = values.groupby(unit.to_numpy()).transform("mean").to_numpy()
    scale = max(float(np.abs(values.to_numpy()).max(initial=0.0)), 1.0)
    return bool(np.all(np.abs(means) <= _CENTRED_TOLERANCE * scale))


def slope_design(data: pd.DataFrame, formula: str, test_term: str, random_slope: str) -> SlopeDesign:
    """The design of a random-slope model: `formula` without intercept, which must be 0 because the
    outcome and every fixed effect are centred within unit (checked; ValueError otherwise)."""
    return slope_designs(data, formula, test_term, random_slope)[0]


def slope_designs(data: pd.DataFrame, formula: str, test_term: str,
                  random_slope: str) -> tuple[SlopeDesign, dict[str, SlopeDesign]]:
    """slope_design's design, and that of every other fixed effect that is a data column, tested with
    its own random slope (term -> design), from one evaluation of the formula."""
    d = data.dropna(subset=[*_formula_columns(formula, data), random_slope, "unit", "patient"])
    y, x = _design(f"{formula} - 1", d)
    columns = list(x.columns)
    test = _term_columns(columns, test_term)
    if len(test) != 1:
        raise ValueError(f"test term {test_term!r} of a random-slope model must be one column of {formula!r}")
    values = x.assign(_outcome=y, _slope=d[random_slope].to_numpy(float))
    if not centred_within_unit(values, d.unit):
        raise ValueError(f"a random-slope model ({formula!r}) needs the outcome and fixed effects centred within "
                         "unit (as data: imagery_objects z-scores them), so that it has no intercept")
    units, unit = np.unique(d.unit.astype(str).to_numpy(), return_inverse=True)
    patient_names = d.patient.astype(str).to_numpy()
    patients, patient_of_unit = np.unique(pd.Series(patient_names).groupby(unit).first().to_numpy(),
                                          return_inverse=True)
    fixed = x.to_numpy(float)

    def design(term: str, slope: str) -> SlopeDesign:
        sums = rs.slope_sums(y, fixed, d[slope].to_numpy(float), unit, patient_of_unit)
        return SlopeDesign(sums, columns, columns.index(term), len(units), len(patients))

    others = [c for c in columns if c not in (test[0], random_slope) and c in d.columns]
    return design(test[0], random_slope), {c: design(c, c) for c in others}


def _design(formula: str, data: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Outcome (n,) and design matrix (n, k; named columns) of a formula, by statsmodels' formula engine."""
    import statsmodels.formula.api as smf

    model = smf.ols(formula, data)
    return np.asarray(model.endog, float), pd.DataFrame(np.asarray(model.exog, float), columns=model.exog_names)


def _term_columns(columns: list[str], term: str) -> list[str]:
    """The design columns of a formula term: the term itself (numeric) or its levels (`term[...]`)."""
    return [c for c in columns if c == term or c.startswith(f"{term}[")]


def _slope_test(design: SlopeDesign, structure: str) -> dict:
    """The fit of one structure and its test of the test term. With a patient level: REML, Wald t
    on patients - 1 df. Unit slope only (the previous model): ML, likelihood ratio against the
    model without the term, chi-square 1 df, with Wald z intervals."""
    j = design.test_column
    if structure == "unit":
        full = rs.fit_slopes(design.sums, "unit", reml=False)
        keep = np.ones(len(design.columns), bool)
        keep[j] = False
        reduced = rs.fit_slopes(design.sums, "unit", reml=False, keep=keep)
        lr = 2 * (full.log_likelihood - reduced.log_likelihood)
        se = np.sqrt(np.diag(full.cov))
        return dict(fit=full, se=se, df=np.inf, p_value=float(stats.chi2.sf(max(lr, 0.0), 1)),
                    statistic=float(lr), test="likelihood ratio (ML, chi-square 1 df)",
                    converged=full.converged and reduced.converged)
    fit = rs.fit_slopes(design.sums, structure, reml=True)
    se = np.sqrt(np.diag(fit.cov))
    df = design.n_patients - 1
    t = float(fit.beta[j] / se[j])
    wald = float(2 * stats.t.sf(abs(t), df))
    # With few, very unequal patients REML often puts the patient variance at 0 and the Wald SE falls
    # to the residual one (P - 1 df does not make up for it: 0.11-0.14 at 0.05 with 4 patients of
    # 2, 2, 2 and 40 units); the test of the patients' own slopes holds its level there, and the
    # larger of the two p-values is valid whenever either test is.
    two_stage = rs.two_stage_test(design.sums, j)
    return dict(fit=fit, se=se, df=df, p_value=float(np.nanmax([wald, two_stage[0]])), statistic=t,
                wald_p=wald, two_stage=two_stage,
                test=f"Wald t (REML), {df} df (patients - 1), or the patients' own slopes' t if its p is larger",
                converged=fit.converged)


def _slope_coefficients(design: SlopeDesign, result: dict) -> pd.DataFrame:
    """The coefficient table of a fit; the test term's p is the test's (_slope_test), and its
    interval spans both the Wald interval and the patients' own slopes' t interval."""
    beta, se, df = result["fit"].beta, result["se"], result["df"]
    if np.isinf(df):
        return _coefficients(pd.Series(beta, index=design.columns), pd.Series(se, index=design.columns))
    t = beta / se
    half = stats.t.ppf(0.975, df) * se
    table = pd.DataFrame(dict(term=design.columns, estimate=beta, se=se, t=t, df=df,
                              p=2 * stats.t.sf(np.abs(t), df), ci_low=beta - half, ci_high=beta + half))
    j = design.test_column
    table.loc[j, "p"] = result["p_value"]
    _, _, df2, mean, se2 = result["two_stage"]
    if df2 > 0 and np.isfinite(se2):
        half2 = stats.t.ppf(0.975, df2) * se2
        table.loc[j, "ci_low"] = min(table.loc[j, "ci_low"], mean - half2)
        table.loc[j, "ci_high"] = max(table.loc[j, "ci_high"], mean + half2)
    return table


@dataclass(frozen=True)
class SlopeInference:
    """The random-slope structures fitted to one design, the one chosen and why."""

    chosen: str  # a key of RANDOM_EFFECTS
    note: str  # why it was chosen
    results: dict  # structure -> _slope_test result (fit, se, df, p_value, statistic, test, converged)
    reml: dict  # structure with a patient level -> its REML fit (compared by REML likelihood: same fixed effects)
    unit_slope_likelihood_ratio: float | None
    unit_slope_p_value: float | None

    @property
    def p_value(self) -> float:
        return self.results[self.chosen]["p_value"]


def slope_inference(design: SlopeDesign, random_effects: str) -> SlopeInference:
    """Fit every random-slope structure the data allow and choose one as `random_effects` says
    (RANDOM_EFFECTS or `auto`; see fit_slope_mixed)."""
    if random_effects not in (*RANDOM_EFFECTS, "auto"):
        raise ValueError(f"unknown random_effects {random_effects!r}; choose auto or one of {list(RANDOM_EFFECTS)}")
    structures = ["unit"] if design.n_patients < 2 else ["unit", "patient", "nested"]
    results = {s: _slope_test(design, s) for s in structures}
    reml = {s: results[s]["fit"] for s in structures if s != "unit"}
    lr = p = None
    if design.n_patients < 2:
        chosen = "unit"
        note = ("one patient: the patient level cannot be estimated, so the unit slope model is fitted and its "
                "test speaks for this patient's units only")
    elif random_effects == "auto":
        # Under the null the unit slope variance sits on its boundary (0): the ratio is a 50:50
        # mixture of chi-square 0 and 1.
        lr = 2 * (reml["nested"].log_likelihood - reml["patient"].log_likelihood)
        p = float(0.5 * stats.chi2.sf(max(lr, 0.0), 1))
        chosen = "nested" if p < UNIT_SLOPE_ALPHA else "patient"
        note = (f"auto: patient slope always; unit slope kept if its REML likelihood ratio test gives "
                f"p < {UNIT_SLOPE_ALPHA} (p = {p:.3g})")
    else:
        chosen, note = random_effects, f"as configured ({random_effects})"
    return SlopeInference(chosen, note, results, reml, lr, p)


def fit_slope_mixed(data: pd.DataFrame, formula: str, test_term: str, random_slope: str,
                    random_effects: str = "auto") -> ModelFit:
    """Linear mixed model of data centred within unit, without intercept (it is 0 by construction),
    whose random effects are slopes of `random_slope`: by patient, by unit nested in patient, or both
    (`random_effects`, RANDOM_EFFECTS or `auto`). `auto` keeps the patient slope and adds the unit
    slope when a REML likelihood-ratio test at UNIT_SLOPE_ALPHA supports it. With a patient level
    the test of `test_term` is a Wald t on patients - 1 df from the REML fit, which holds its level
    when the effect varies by patient; `unit` is the previous model (unit slope only, ML likelihood
    ratio), whose test does not. With one patient the patient level cannot be estimated and the
    unit slope model is fitted whatever the option, as the record says. Every structure's result
    is in the record (`comparison`), the previous model's beside the chosen one. Every other numeric
    term's row comes from the fit in which it carries the random slopes (_own_slope_rows; the
    table's `random_slope` column, the record's `other_terms`)."""
    if random_effects not in (*RANDOM_EFFECTS, "auto"):
        raise ValueError(f"unknown random_effects {random_effects!r}; choose auto or one of {list(RANDOM_EFFECTS)}")
    design, own_slopes = slope_designs(data, formula, test_term, random_slope)
    inference = slope_inference(design, random_effects)
    results = inference.results
    reml = {**inference.reml, "unit": rs.fit_slopes(design.sums, "unit", reml=True)}
    result = results[inference.chosen]
    fit = result["fit"]
    comparison = [dict(random_effects=RANDOM_EFFECTS[s], reml_log_likelihood=reml[s].log_likelihood,
                       aic_reml=-2 * reml[s].log_likelihood + 2 * reml[s].n_variance_parameters,
                       variances=reml[s].variances, estimate=float(results[s]["fit"].beta[design.test_column]),
                       se=float(results[s]["se"][design.test_column]), test=results[s]["test"],
                       p_value=results[s]["p_value"]) for s in results]
    record = dict(formula=formula, fitted_formula=f"{formula} - 1", test_term=test_term, random_slope=random_slope,
                  intercept="none: 0 by construction (outcome and fixed effects centred within unit)",
                  random_effects_option=random_effects, random_effects=RANDOM_EFFECTS[inference.chosen],
                  random_effects_choice=inference.note,
                  unit_slope_likelihood_ratio=inference.unit_slope_likelihood_ratio,
                  unit_slope_p_value=inference.unit_slope_p_value,
                  method=f"linear mixed model with random slopes only, {'REML' if fit.reml else 'ML'} "
                         "(closed-form likelihood)",
                  optimizer="grid search over the variance ratios, refined by shrinking grids",
                  converged=bool(result["converged"]), test=result["test"], statistic=result["statistic"],
                  df=result["df"] if np.isfinite(result["df"]) else None, p_value=result["p_value"],
                  log_likelihood=fit.log_likelihood, variance_components=fit.variances,
                  n_observations=int(design.sums.n), n_units=design.n_units, n_patients=design.n_patients,
                  comparison=comparison, versions=versions())
    coefficients = _slope_coefficients(design, result).assign(random_slope=random_slope)
    own = _own_slope_rows(own_slopes, random_effects)
    record["other_terms"] = [row for row, _ in own.values()]
    for term, (_, line) in own.items():
        coefficients.loc[coefficients.term == term, :] = line.to_numpy()
    return ModelFit(coefficients, record)


def _own_slope_rows(designs: dict[str, SlopeDesign],
                    random_effects: str) -> dict[str, tuple[dict, pd.DataFrame]]:
    """Each term of `designs` (term -> its design with its own random slope, slope_designs) tested in
    the fit where it carries the random slopes: term -> (its record entry, its coefficient row). An
    object effect that a session's units share (a state through each recall trial, say) moves a
    term's slope per patient when the term's values are alike across those units, as the orthogonal
    projections are; only a random slope of that term at the patient level lets its Wald t on
    patients - 1 df hold its level."""
    out = {}
    for term, design in designs.items():
        inference = slope_inference(design, random_effects)
        result = inference.results[inference.chosen]
        rows = _slope_coefficients(design, result).assign(random_slope=term)
        out[term] = (dict(term=term, random_slope=term, random_effects=RANDOM_EFFECTS[inference.chosen],
                          random_effects_choice=inference.note, test=result["test"], statistic=result["statistic"],
                          p_value=result["p_value"], converged=bool(result["converged"])),
                     rows[rows.term == term])
    return out


def patient_estimates(data: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """Per patient, the test term of a model spec fitted to that patient's rows alone: OLS (gaussian)
    or logistic regression (binomial) of the fixed-effects formula, with t intervals (normal for
    binomial). Within-unit centred data (random-slope models) are fitted without intercept and lose
    one df per unit to the centring; where a unit has several rows otherwise (M3), the unit enters as
    a fixed effect so the estimate is within unit, as in the mixed model. Columns: patient, term,
    estimate, se, df, ci_low, ci_high, n_units, n_observations, note (why an estimate is missing)."""
    formula, term = spec["formula"], spec["test_term"]
    binomial = spec["family"] == "binomial"
    slope = bool(spec.get("random_slope")) and not binomial
    d = data.dropna(subset=[*_formula_columns(formula, data), "unit", "patient"]).copy()
    d["unit"], d["patient"] = d.unit.astype(str), d.patient.astype(str)
    repeated = not slope and d.groupby("unit").size().max() > 1
    f = f"{formula} - 1" if slope else f"{formula} + C(unit)" if repeated else formula
    rows = []
    for patient, g in d.groupby("patient", sort=True):
        y, x = _design(f, g)
        cols = _term_columns(list(x.columns), term)
        n_units, n = g.unit.nunique(), len(g)
        df = n - np.linalg.matrix_rank(x.to_numpy()) - (n_units if slope else 0)
        est, se, note = _patient_fit(y, x, cols, binomial, df)
        for c in cols:
            half = (stats.norm.ppf(0.975) if binomial else stats.t.ppf(0.975, max(df, 1))) * se[c]
            rows.append(dict(patient=patient, term=c, estimate=est[c], se=se[c], df=np.nan if binomial else df,
                             ci_low=est[c] - half, ci_high=est[c] + half, n_units=n_units, n_observations=n,
                             note=note))
    return pd.DataFrame(rows)


def _patient_fit(y: np.ndarray, x: pd.DataFrame, cols: list[str], binomial: bool, df: int):
    """Estimates and standard errors (Series over `cols`, NaN where not estimable) and a note."""
    missing = pd.Series(np.nan, index=cols)
    xm = x.to_numpy(float)
    if np.linalg.matrix_rank(xm) < xm.shape[1]:
        return missing, missing, "not estimable: collinear design"
    if binomial:
        import statsmodels.api as sm
        from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", PerfectSeparationWarning)
            try:
                res = sm.GLM(y, xm, family=sm.families.Binomial()).fit()
            except (PerfectSeparationWarning, np.linalg.LinAlgError, ValueError):
                return missing, missing, "not estimable: perfect separation"
        if not res.converged or not np.all(np.isfinite(res.bse)):
            return missing, missing, "not estimable: logistic fit did not converge"
        est, se = pd.Series(res.params, index=x.columns), pd.Series(res.bse, index=x.columns)
        return est[cols], se[cols], ""
    if df < 1:
        return missing, missing, "not estimable: no residual degrees of freedom"
    beta, *_ = np.linalg.lstsq(xm, y, rcond=None)
    s2 = float(np.sum((y - xm @ beta) ** 2)) / df
    se = np.sqrt(s2 * np.diag(np.linalg.inv(xm.T @ xm)))
    return pd.Series(beta, index=x.columns)[cols], pd.Series(se, index=x.columns)[cols], ""


def fit_binomial_mixed(data: pd.DataFrame, formula: str, test_term: str) -> ModelFit:
    """Logistic mixed model with a patient random intercept (statsmodels BinomialBayesMixedGLM,
    variational Bayes). Its test of `test_term` is the equivalent of a Wald test on the posterior
    (mean / SD against a normal), as no likelihood is available for a ratio test."""
    from statsmodels.genmod.bayes_mixed_glm import BinomialBayesMixedGLM

    d = data.dropna(subset=[*_formula_columns(formula, data), "patient"]).copy()
    d["patient"] = d["patient"].astype(str)
    lhs = formula.split("~")[0].strip()
    d[lhs] = d[lhs].astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = BinomialBayesMixedGLM.from_formula(formula, {"patient": "0 + C(patient)"}, d)
        # statsmodels starts the posterior SDs at a random draw around exp(-0.5) (fresh entropy unless
        # seeded), and BFGS stops within its tolerance of wherever that leads: results then differ by
        # ~1e-6 from run to run. Starting every SD at exp(-0.5), the draw's centre, makes reruns identical.
        n_parameters = model.k_fep + model.k_vcp + model.k_vc
        result = model.fit_vb(sd=np.full(n_parameters, np.exp(-0.5)))
    names = model.exog_names
    coefficients = _coefficients(pd.Series(result.fe_mean, index=names), pd.Series(result.fe_sd, index=names))
    row = coefficients.set_index("term").loc[test_term]
    record = dict(formula=formula, test_term=test_term, random_effects="patient intercept",
                  method="BinomialBayesMixedGLM, variational Bayes (fit_vb)",
                  optimizer="BFGS (variational), posterior SDs started at exp(-0.5)",
                  converged=bool(np.all(np.isfinite(result.fe_mean))), test="posterior Wald z",
                  z=float(row.z), p_value=float(row.p), n_observations=len(d),
                  n_events=int(d[lhs].sum()), n_patients=int(d.patient.nunique()),
                  patient_sd_log=float(result.vcp_mean[0]), versions=versions())
    return ModelFit(coefficients, record)


def _formula_columns(formula: str, data: pd.DataFrame) -> list[str]:
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", formula))
    return [c for c in data.columns if c in names]


def read_imagery_table(path: str) -> pd.DataFrame:
    """A user's per-neuron summary table (CSV, TSV or Parquet) in the documented schema, checked:
    a missing file or column, a non-numeric rate or projection, or a duplicated (patient, unit,
    object) row ends with one message naming the file and the problem. Projections are optional."""
    from pathlib import Path

    from .errors import InputDataError

    p = Path(path)
    if not p.exists():
        raise InputDataError(f"{p}: imagery summary table not found (config key 'imagery_table')")
    try:
        if p.suffix == ".parquet":
            table = pd.read_parquet(p)
        else:
            table = pd.read_csv(p, sep="\t" if p.suffix in (".tsv", ".tab") else ",")
    except Exception as exc:
        raise InputDataError(f"{p}: cannot be read as a table ({type(exc).__name__}: {exc})") from exc
    missing = [c for c in IMAGERY_COLUMNS if c not in table.columns and c not in PROJECTION_COLUMNS]
    if missing:
        hint = ""
        if p.suffix != ".parquet" and len(table.columns) == 1:
            for sep, name in ((";", "semicolon"), ("\t", "tab"), (",", "comma"), ("|", "pipe")):
                if sep in str(table.columns[0]):
                    expected = "tab (.tsv/.tab)" if p.suffix in (".tsv", ".tab") else "comma (.csv)"
                    hint = (f" (its header looks {name}-separated, but a {p.suffix or 'file'} table is read as "
                            f"{expected}-separated; save it so, or rename it to match)")
                    break
        required = [c for c in IMAGERY_COLUMNS if c not in PROJECTION_COLUMNS]
        raise InputDataError(f"{p}: the imagery summary table lacks the column(s) {missing}{hint}; "
                             f"needed: {required} (optional, for M1: {list(PROJECTION_COLUMNS)})")
    projections = [c for c in PROJECTION_COLUMNS if c in table.columns]
    for col in ("viewing_rate", "encoding_rate", "imagery_rate", *projections):
        converted = pd.to_numeric(table[col], errors="coerce")
        bad = converted.isna() & table[col].notna()
        if bad.any():
            row = int(np.flatnonzero(bad)[0]) + 2
            raise InputDataError(f"{p}: column '{col}' has a non-numeric value in row {row}")
        table[col] = converted
    for col in ("viewing_rate", "imagery_rate", *projections):
        if table[col].isna().any():
            raise InputDataError(f"{p}: column '{col}' is empty in row {int(np.flatnonzero(table[col].isna())[0]) + 2}")
    # Rows are named as a spreadsheet shows them: the header is row 1 (Parquet has none: rows from 1).
    first_row = 1 if p.suffix == ".parquet" else 2
    dup = np.flatnonzero(table.duplicated(["patient", "unit", "object"]).to_numpy())
    if len(dup):
        k = int(dup[0])
        same = np.flatnonzero(((table.patient == table.patient.iloc[k]) & (table.unit == table.unit.iloc[k])
                               & (table.object == table.object.iloc[k])).to_numpy())
        raise InputDataError(f"{p}: row {k + first_row}: unit {str(table.unit.iloc[k])!r} of patient "
                             f"{str(table.patient.iloc[k])!r} has object {table.object.iloc[k]} a second time "
                             f"(first in row {int(same[0]) + first_row})")
    return neuron_keys(table)


def neuron_keys(table: pd.DataFrame) -> pd.DataFrame:
    """The table with `unit` naming one neuron across the whole table. Released tables number neurons
    within each patient, so an id that occurs in two patients names two neurons: the ids of such a
    table become '<patient>/<unit>' (a table whose ids are unique across patients keeps them)."""
    patients_per_id = table.groupby("unit").patient.nunique()
    if (patients_per_id > 1).any():
        table = table.assign(unit=table.patient.astype(str) + "/" + table.unit.astype(str))
    return table
