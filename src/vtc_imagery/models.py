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
from scipy import stats

from . import selection as sel

IMAGERY_COLUMNS = {  # the documented summary-table schema: column -> description
    "unit": "neuron identifier (unique across patients)",
    "patient": "patient identifier",
    "object": "imagined object identifier",
    "viewing_rate": "firing rate (Hz) when viewing the object",
    "encoding_rate": "firing rate (Hz) when the object was shown for encoding (may be empty)",
    "imagery_rate": "mean firing rate (Hz) over the cued imagery trials of the object",
    "preferred_projection": "the object's projection onto the neuron's preferred axis",
    "orthogonal_projection": "the object's projection onto the neuron's orthogonal (control) axis",
}


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
    """Imagery rate, projections and viewing rate z-scored within each unit (the summary-table schema in)."""
    out = table.copy()
    for src, dst in (("imagery_rate", "imagery_z"), ("preferred_projection", "preferred_z"),
                     ("orthogonal_projection", "orthogonal_z"), ("viewing_rate", "viewing_z")):
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


def fit_model(data: pd.DataFrame, spec: dict, optimizers: tuple[str, ...]) -> ModelFit:
    """Fit a model spec (config models.<name>): a linear mixed model, or with `family: binomial`
    a binomial mixed GLM (variational Bayes)."""
    if spec["family"] == "binomial":
        return fit_binomial_mixed(data, spec["formula"], spec["test_term"])
    return fit_mixed_lm(data, spec["formula"], spec["test_term"], spec.get("unit_slope"), optimizers)


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


def fit_mixed_lm(data: pd.DataFrame, formula: str, test_term: str, unit_slope: str | None = None,
                 optimizers: tuple[str, ...] = ("lbfgs", "powell", "nm")) -> ModelFit:
    """Linear mixed model by maximum likelihood: random intercept by patient, and by unit (nested)
    a random intercept and, if `unit_slope` is given, a random slope; with a single patient the
    unit is the grouping factor instead. Likelihood-ratio test of `test_term` (chi-square, df =
    the number of fixed effects it removes). Each model is fitted with every optimizer and the
    best likelihood kept; the record names it and whether it reported convergence."""
    import statsmodels.formula.api as smf

    d = data.dropna(subset=[*_formula_columns(formula, data), "unit", "patient"]).copy()
    d["unit"] = d["unit"].astype(str)
    n_patients = d.patient.nunique()
    if n_patients >= 2:
        vc = {"unit": "0 + C(unit)"}
        if unit_slope:
            vc["unit_slope"] = f"0 + C(unit):{unit_slope}"
        kwargs = dict(groups="patient", re_formula="1", vc_formula=vc)
        slope = f" and {unit_slope} slope" if unit_slope else ""
        structure = f"patient intercept; unit intercept{slope} (nested)"
    else:
        kwargs = dict(groups="unit", re_formula=f"~{unit_slope}" if unit_slope else "1")
        structure = "one patient: unit intercept" + (f" and {unit_slope} slope" if unit_slope else "")

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
    if unit_slope and not np.all(np.isfinite(full.bse_fe)):
        # The slope variance sits on its boundary (0) and the Hessian is singular, so the fixed
        # effects have no standard errors: simplify the random effects, as is usual, and say so.
        simpler = fit_mixed_lm(data, formula, test_term, None, optimizers)
        simpler.record["random_effects"] += f" ({unit_slope} slope variance at its boundary 0: dropped)"
        return simpler
    reduced_f = reduced_formula(formula, test_term)
    reduced, reduced_method = fit(reduced_f)
    lr = float(2 * (full.llf - reduced.llf))
    df = len(full.fe_params) - len(reduced.fe_params)
    fe = full.fe_params
    coefficients = _coefficients(fe, full.bse_fe)
    record = dict(formula=formula, reduced_formula=reduced_f, test_term=test_term, random_effects=structure,
                  method="MixedLM, maximum likelihood", optimizer=method, reduced_optimizer=reduced_method,
                  converged=bool(full.converged), reduced_converged=bool(reduced.converged),
                  log_likelihood=float(full.llf), reduced_log_likelihood=float(reduced.llf),
                  likelihood_ratio=lr, df=df, p_value=float(stats.chi2.sf(max(lr, 0.0), df)),
                  n_observations=len(d), n_units=int(d.unit.nunique()), n_patients=int(n_patients),
                  variance_components={k: float(v) for k, v in zip(full.model.exog_vc.names, full.vcomp, strict=True)}
                  if n_patients >= 2 else {}, group_variance=float(np.asarray(full.cov_re)[0, 0]),
                  versions=versions())
    return ModelFit(coefficients, record)


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
        result = model.fit_vb()
    names = model.exog_names
    coefficients = _coefficients(pd.Series(result.fe_mean, index=names), pd.Series(result.fe_sd, index=names))
    row = coefficients.set_index("term").loc[test_term]
    record = dict(formula=formula, test_term=test_term, random_effects="patient intercept",
                  method="BinomialBayesMixedGLM, variational Bayes (fit_vb)", optimizer="BFGS (variational)",
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
    a missing file or column, a non-numeric rate or projection, or a duplicated (unit, object)
    row ends with one message naming the file and the problem."""
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
    missing = [c for c in IMAGERY_COLUMNS if c not in table.columns]
    if missing:
        raise InputDataError(f"{p}: the imagery summary table lacks the column(s) {missing}; "
                             f"needed: {list(IMAGERY_COLUMNS)}")
    for col in ("viewing_rate", "encoding_rate", "imagery_rate", "preferred_projection", "orthogonal_projection"):
        converted = pd.to_numeric(table[col], errors="coerce")
        bad = converted.isna() & table[col].notna()
        if bad.any():
            row = int(np.flatnonzero(bad)[0]) + 2
            raise InputDataError(f"{p}: column '{col}' has a non-numeric value in row {row}")
        table[col] = converted
    for col in ("viewing_rate", "imagery_rate", "preferred_projection", "orthogonal_projection"):
        if table[col].isna().any():
            raise InputDataError(f"{p}: column '{col}' is empty in row {int(np.flatnonzero(table[col].isna())[0]) + 2}")
    dup = table.duplicated(["unit", "object"])
    if dup.any():
        raise InputDataError(f"{p}: unit {table.unit[dup].iloc[0]} has object {table.object[dup].iloc[0]} twice")
    units_per_patient = table.groupby("unit").patient.nunique()
    if (units_per_patient > 1).any():
        raise InputDataError(f"{p}: unit {units_per_patient.index[units_per_patient > 1][0]!r} belongs to two patients")
    return table
