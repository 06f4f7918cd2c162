"""Robustness sweep: each headline statistic over the grid of defensible analysis choices.

The paper's exact selection rules are not all known, so every headline number is recomputed under
each combination of the choices it depends on: the responsiveness rule, the axis-tuning repeat
threshold, whether axis tuning must hold beyond category, the reactivation rule, the imagery
population and random effects of the mixed models, and the explainable-variance floor of the model
comparison. Almost every choice is a selection over calls the stages have already made (each rule's
call, each unit's count of significant repeats, its explainable variance). The one that is not is
the responsiveness rule: the axis stage fits the units responsive by the configured rule, so the
units that another rule calls responsive get their axis model from a robustness job per session
(other_rules_axis_model), which reruns nothing of the run's own stages. A unit's axis model does
not depend on which other units are fitted with it (its own random streams, permutations drawn per
session), so the two tables join into the one a run with that rule would have made. The mixed models
are swept under the configured responsiveness rule only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from . import selection as sel
from .axis import normalised_ev
from .intervals import exact_interval
from .lazy import stats
from .models import fit_model, imagery_model_data
from .objects import ObjectSpaceFile
from .perception import AxisParams, axis_model_session
from .reactivation import RULES as REACTIVATION_RULES
from .reactivation import ReactivationParams, burst_trials_per_object, window_rates
from .screening import RESPONSIVE_RULES, ScreeningParams, screen_session
from .spiketrains import SessionSpikes

CHOICES = ["responsive_rule", "min_significant", "beyond_category", "within_category_rule", "reactivation_rule",
           "population", "random_effects", "min_explainable"]
COLUMNS = ["claim", *CHOICES, "estimate", "ci_low", "ci_high", "n", "p_value", "default"]
MODEL_CLAIMS = {"M1 preferred": ("M1", "preferred_z"), "M2 viewing": ("M2", "viewing_z")}


@dataclass(frozen=True)
class Specification:
    """One analysis choice per dimension (the configured ones make the default specification)."""

    responsive_rule: str
    min_significant: int
    beyond_category: bool
    within_category_rule: str  # how the test within categories calls a unit (pooled p, or repeats)
    reactivation_rule: str
    population: str
    min_explainable: float  # (the models' random effects: each model's configured ones)


@dataclass(frozen=True)
class Grid:
    """The values swept per choice; each always includes the default's."""

    min_significant: tuple[int, ...]
    min_explainable: tuple[float, ...]
    responsive_rules: tuple[str, ...] = RESPONSIVE_RULES
    beyond_category: tuple[bool, ...] = (False, True)
    within_category_rules: tuple[str, ...] = ("pooled", "repeats")
    reactivation_rules: tuple[str, ...] = REACTIVATION_RULES
    populations: tuple[str, ...] = sel.POPULATIONS
    random_effects: tuple[str, ...] = ("auto", "nested", "patient", "unit")

    @classmethod
    def around(cls, default: Specification, significant_fractions: Sequence[float], n_repeats: int,
               min_explainable: Sequence[float]) -> Grid:
        """The grid with repeat thresholds at `significant_fractions` of `n_repeats` (at least 1) and the
        default's own values added."""
        thresholds = {max(1, round(f * n_repeats)) for f in significant_fractions}
        return cls(tuple(sorted({*thresholds, default.min_significant})),
                   tuple(sorted({*min_explainable, default.min_explainable})))


def other_rules_axis_model(units: pd.DataFrame, trials: pd.DataFrame, spikes: pd.DataFrame,
                           screening: pd.DataFrame, objects: ObjectSpaceFile, screening_params: ScreeningParams,
                           axis_params: AxisParams, session: str) -> pd.DataFrame:
    """The axis model (axis_model_session's columns) of the session's VTC units that some other
    responsiveness rule calls responsive and the configured one does not: each is screened as that
    rule (the first of RESPONSIVE_RULES that calls it) would, which places its response window, and
    fitted as the axis stage fits. `units`, `trials`, `spikes`: the session's tables; `screening`: its
    screening table (every rule's call). Empty without such units."""
    configured = screening_params.responsive_rule
    # only VTC units: every claim the sweep makes of these calls is about VTC
    left = ~sel.called(screening.responsive) & screening.unit_id.isin(units.unit_id[sel.vtc(units)])
    responses, counts = [], []
    for rule in RESPONSIVE_RULES:
        if rule == configured:
            continue
        ids = screening.unit_id[left & sel.called(screening[f"responsive_{rule}"])]
        left &= ~screening.unit_id.isin(ids)
        if len(ids):
            _, r, c = screen_session(units[units.unit_id.isin(ids)], trials, spikes,
                                     replace(screening_params, responsive_rule=rule))
            responses.append(r)
            counts.append(c)
    if not responses:
        return pd.DataFrame()
    return axis_model_session(pd.concat(responses, ignore_index=True), pd.concat(counts, ignore_index=True),
                              objects, axis_params, session)


def burst_variant_calls(units: pd.DataFrame, trials: pd.DataFrame, spikes: pd.DataFrame,
                        params: ReactivationParams, min_isis: Sequence[int], significance: Sequence[float],
                        min_burst_trials: Sequence[int]) -> pd.DataFrame:
    """The poisson_burst call of every unit of a session under each combination of its burst
    parameters (bursts.min_isis, bursts.significance, min_burst_trials), the rest of `params` as
    configured. Columns: unit_id, min_isis, significance, min_burst_trials, reactivated; empty
    without imagery trials."""
    columns = ["unit_id", "min_isis", "significance", "min_burst_trials", "reactivated"]
    cues = trials[trials.stim_phase == "imagery"]
    if cues.empty:
        return pd.DataFrame(columns=columns)
    session = SessionSpikes(spikes)
    objects = cues.stim_id.to_numpy()
    rows = []
    for u in units.itertuples():
        times = session.trains(u.unit_index, cues.trial_index.to_numpy())
        baseline = float(window_rates(times, params.baseline_ms).mean())
        for isis in min_isis:
            for p in significance:
                variant = replace(params, bursts=replace(params.bursts, min_isis=int(isis), significance=float(p)))
                most = int(burst_trials_per_object(times, objects, baseline, variant).to_numpy().max(initial=0))
                rows += [(u.unit_id, int(isis), float(p), int(m), most >= m) for m in min_burst_trials]
    return pd.DataFrame(rows, columns=columns)


def burst_rule_name(min_isis: int, significance: float, min_burst_trials: int) -> str:
    """The sweep's name of the poisson_burst rule with these burst parameters."""
    return f"poisson_burst (min_isis {min_isis}, p {significance:g}, {min_burst_trials} trials)"


def with_rule(units: pd.DataFrame, other_axis: pd.DataFrame, rule: str) -> pd.DataFrame:
    """The unit table a run with responsiveness rule `rule` would have made: `responsive` is that
    rule's call, and the units it adds have the axis columns of `other_axis` (other_rules_axis_model
    over the sessions); a unit it does not call responsive has no axis call."""
    out = units.copy()
    out["responsive"] = sel.called(out[f"responsive_{rule}"])
    if len(other_axis):
        extra = other_axis.set_index("unit_id")
        fill = out.unit_id.isin(extra.index).to_numpy()  # units the axis stage did not fit
        for column in extra.columns.intersection(out.columns):
            out.loc[fill, column] = out.loc[fill, "unit_id"].map(extra[column]).to_numpy()
    for column in ("axis_tuned", "axis_tuned_beyond_category"):
        if column in out:
            out[column] = sel.called(out[column]) & out.responsive
    return out


def _proportion(k: int, n: int) -> tuple[float, float, float]:
    """k / n with its exact (Clopper-Pearson) 95% interval; NaNs when n is 0."""
    if n == 0:
        return (np.nan,) * 3
    return k / n, *exact_interval(k, n)


def axis_tuned_at(units: pd.DataFrame, min_significant: int, beyond_category: bool, within_rule: str | None,
                  alpha: float) -> pd.Series:
    """Axis-tuned VTC units at another repeat threshold (and, with `beyond_category`, significant in
    the test within categories too, by `within_rule` as the axis stage reads it), from the axis
    stage's counts of significant repeats."""
    tuned = sel.responsive(units) & (units.tuning_significant_repeats.fillna(-1) >= min_significant)
    if beyond_category:
        within = (units.within_category_significant_repeats.fillna(-1) >= min_significant if within_rule == "repeats"
                  else units.within_category_p.fillna(1.0) < alpha)
        tuned &= within
    return tuned


def _row(claim: str, spec: dict[str, Any], estimate: float, low: float, high: float, n: float, p: float,
         default: bool) -> dict:
    return dict(claim=claim, **{c: spec.get(c) for c in CHOICES}, estimate=estimate, ci_low=low, ci_high=high, n=n,
                p_value=p, default=default)


def sweep(units: pd.DataFrame, imagery_units: pd.DataFrame, imagery_objects: pd.DataFrame, grid: Grid,
          default: Specification, alpha: float, models: Mapping[str, dict],
          optimizers: tuple[str, ...], other_axis: pd.DataFrame, burst_calls: pd.DataFrame | None = None,
          configured_bursts: tuple[int, float, int] | None = None) -> pd.DataFrame:
    """The headline statistics under every specification of `grid` (COLUMNS; a choice a claim does
    not depend on is left empty). units: the population table; imagery_units: one row per unit of an
    imagery session with every reactivation rule's call; imagery_objects: the per-unit, per-object
    imagery table (summary schema); models: config `models` (M1, M2 specs); other_axis: the axis
    model of the units only another responsiveness rule calls responsive (other_rules_axis_model over
    the sessions), which the axis-tuned and reactivated fractions under that rule read; burst_calls:
    the poisson_burst calls under other burst parameters (burst_variant_calls over the sessions),
    each combination but the configured one (`configured_bursts`: min_isis, significance,
    min_burst_trials) a further reactivation rule of the reactivated fraction (burst_rule_name)."""
    rows = []
    d = default
    n_vtc = int(sel.vtc(units).sum())
    for rule in grid.responsive_rules:
        k = int((sel.vtc(units) & sel.called(units[f"responsive_{rule}"])).sum())
        rows.append(_row("visually responsive VTC neurons", dict(responsive_rule=rule), *_proportion(k, n_vtc), n_vtc,
                         np.nan, rule == d.responsive_rule))
    responsive = sel.responsive(units)
    explainable = units.explainable_variance.to_numpy(float)
    for floor in grid.min_explainable:
        keep = (responsive & (explainable >= floor)).to_numpy()
        nev = {m: np.array([normalised_ev(e, x, floor) for e, x in zip(units[f"ev_{m}"].to_numpy(float)[keep],
                                                                         explainable[keep], strict=True)])
               for m in ("axis", "category", "exemplar")}
        for other in ("category", "exemplar"):
            diff = nev["axis"] - nev[other]
            diff = diff[np.isfinite(diff)]
            ok = len(diff) > 1
            mean, half = (float(diff.mean()), 1.96 * float(stats.sem(diff))) if ok else (np.nan, np.nan)
            p = float(stats.wilcoxon(diff).pvalue) if ok and np.any(diff != 0) else np.nan
            rows.append(_row(f"axis model beats the {other} model (normalised EV difference)",
                             dict(min_explainable=floor), mean, mean - half, mean + half, len(diff), p,
                             floor == d.min_explainable))
    in_imagery = units.unit_id.isin(imagery_units.unit_id)
    reactivated_by = {rule: set(imagery_units.unit_id[sel.called(imagery_units[f"reactivated_{rule}"])])
                      for rule in grid.reactivation_rules}
    if burst_calls is not None and len(burst_calls):
        for (isis, p, m), calls in burst_calls.groupby(["min_isis", "significance", "min_burst_trials"]):
            if (int(isis), float(p), int(m)) != configured_bursts:
                reactivated_by[burst_rule_name(int(isis), float(p), int(m))] = set(calls.unit_id[calls.reactivated])
    fits: dict[tuple[frozenset, str], dict[str, tuple]] = {}
    axis_choices = [(m, False, None) for m in grid.min_significant]
    axis_choices += [(m, True, rule) for m in grid.min_significant for rule in grid.within_category_rules]
    for responsive_rule in grid.responsive_rules:
        here = with_rule(units, other_axis, responsive_rule)
        n_responsive = int(sel.responsive(here).sum())
        for m, beyond, within_rule in axis_choices:
            tuned = axis_tuned_at(here, m, beyond, within_rule or d.within_category_rule, alpha)
            choice = dict(responsive_rule=responsive_rule, min_significant=m, beyond_category=beyond,
                          within_category_rule=within_rule)
            is_default = responsive_rule == d.responsive_rule and m == d.min_significant and (
                beyond == d.beyond_category) and (not beyond or within_rule == d.within_category_rule)
            rows.append(_row("~80% of responsive neurons axis-tuned", choice,
                             *_proportion(int(tuned.sum()), n_responsive), n_responsive, np.nan, is_default))
            tuned_ids = set(here.unit_id[tuned & in_imagery])
            for rule in reactivated_by:
                k = len(tuned_ids & reactivated_by[rule])
                rows.append(_row("~40% of them reactivated during imagery", {**choice, "reactivation_rule": rule},
                                 *_proportion(k, len(tuned_ids)), len(tuned_ids), np.nan,
                                 is_default and rule == d.reactivation_rule))
            if responsive_rule != d.responsive_rule:  # the models: under the configured rule only
                continue
            for population in grid.populations:
                for rule in grid.reactivation_rules if population == "reactivated" else (None,):
                    ids = tuned_ids if rule is None else tuned_ids & reactivated_by[rule]
                    for structure in grid.random_effects:
                        spec = {**choice, "population": population, "reactivation_rule": rule,
                                "random_effects": structure}
                        default_here = is_default and population == d.population and (
                            rule is None or rule == d.reactivation_rule)
                        key = (frozenset(ids), structure)  # many specifications select the same units
                        if key not in fits:
                            fits[key] = _model_estimates(imagery_objects, ids, structure, models, optimizers)
                        rows += _model_rows(fits[key], spec, models, default_here)
    return pd.DataFrame(rows, columns=COLUMNS)


def _model_estimates(imagery_objects: pd.DataFrame, unit_ids: set, random_effects: str, models: Mapping[str, dict],
                     optimizers: tuple[str, ...]) -> dict[str, tuple]:
    """Per claim of MODEL_CLAIMS: M1's preferred term or M2's viewing term fitted to the imagery rows
    of `unit_ids` with these random effects, as (estimate, ci_low, ci_high, n units, p); NaNs where
    the model cannot be fitted (fewer than 3 units, no preferred projection, model not configured)."""
    data = imagery_model_data(imagery_objects[imagery_objects.unit.isin(unit_ids) & sel.vtc(imagery_objects)])
    out = {}
    for claim, (model, term) in MODEL_CLAIMS.items():
        needs = {"preferred_projection"} if model == "M1" else set()
        if data.unit.nunique() < 3 or not needs <= set(data.columns) or model not in models:
            out[claim] = (np.nan, np.nan, np.nan, data.unit.nunique(), np.nan)
            continue
        fit = fit_model(data, {**models[model], "random_effects": random_effects}, optimizers)
        coef = fit.coefficients.set_index("term").loc[term]
        p = fit.record["p_value"] if term == models[model]["test_term"] else coef.p
        out[claim] = (float(coef.estimate), float(coef.ci_low), float(coef.ci_high), data.unit.nunique(), float(p))
    return out


def _model_rows(estimates: dict[str, tuple], spec: dict, models: Mapping[str, dict], default: bool) -> list[dict]:
    """The rows of `estimates` (_model_estimates) under `spec`; `default` marks the rows whose random
    effects are the model's own."""
    rows = []
    for claim, (model, _) in MODEL_CLAIMS.items():
        configured = models.get(model, {}).get("random_effects", "auto")
        rows.append(_row(claim, spec, *estimates[claim], default and spec["random_effects"] == configured))
    return rows
