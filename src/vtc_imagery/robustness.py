"""Robustness sweep: each headline statistic over the grid of defensible analysis choices.

The paper's exact selection rules are not all known, so every headline number is recomputed under
each combination of the choices it depends on: the responsiveness rule, the axis-tuning repeat
threshold, whether axis tuning must hold beyond category, the reactivation rule, the imagery
population and random effects of the mixed models, and the explainable-variance floor of the model
comparison. Every
choice is a selection over calls the stages have already made (each rule's call, each unit's count
of significant repeats, its explainable variance), so the sweep reruns nothing upstream. The axis
model is fitted to the units responsive by the configured rule only, so the axis-tuning choices are
swept within those units, and the responsiveness rule changes only the responsive fraction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from . import paper
from . import selection as sel
from .axis import normalised_ev
from .intervals import exact_interval
from .models import fit_model, imagery_model_data
from .reactivation import RULES as REACTIVATION_RULES
from .screening import RESPONSIVE_RULES

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
          optimizers: tuple[str, ...]) -> pd.DataFrame:
    """The headline statistics under every specification of `grid` (COLUMNS; a choice a claim does
    not depend on is left empty). units: the population table; imagery_units: one row per unit of an
    imagery session with every reactivation rule's call; imagery_objects: the per-unit, per-object
    imagery table (summary schema); models: config `models` (M1, M2 specs)."""
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
    axis_choices = [(m, False, None) for m in grid.min_significant]
    axis_choices += [(m, True, rule) for m in grid.min_significant for rule in grid.within_category_rules]
    for m, beyond, within_rule in axis_choices:
        tuned = axis_tuned_at(units, m, beyond, within_rule or d.within_category_rule, alpha)
        choice = dict(min_significant=m, beyond_category=beyond, within_category_rule=within_rule)
        is_default = m == d.min_significant and beyond == d.beyond_category and (
            not beyond or within_rule == d.within_category_rule)
        rows.append(_row("~80% of responsive neurons axis-tuned", choice,
                         *_proportion(int(tuned.sum()), int(responsive.sum())), int(responsive.sum()), np.nan,
                         is_default))
        tuned_ids = set(units.unit_id[tuned & in_imagery])
        for rule in grid.reactivation_rules:
            k = len(tuned_ids & reactivated_by[rule])
            rows.append(_row("~40% of them reactivated during imagery", {**choice, "reactivation_rule": rule},
                             *_proportion(k, len(tuned_ids)), len(tuned_ids), np.nan,
                             is_default and rule == d.reactivation_rule))
        for population in grid.populations:
            for rule in grid.reactivation_rules if population == "reactivated" else (None,):
                ids = tuned_ids if rule is None else tuned_ids & reactivated_by[rule]
                for structure in grid.random_effects:
                    spec = {**choice, "population": population, "reactivation_rule": rule,
                            "random_effects": structure}
                    default_here = is_default and population == d.population and (
                        rule is None or rule == d.reactivation_rule)
                    rows += _model_rows(imagery_objects, ids, spec, models, optimizers, default_here)
    return pd.DataFrame(rows, columns=COLUMNS)


def _model_rows(imagery_objects: pd.DataFrame, unit_ids: set, spec: dict, models: Mapping[str, dict],
                optimizers: tuple[str, ...], default: bool) -> list[dict]:
    """M1's preferred term and M2's viewing term fitted to the imagery rows of `unit_ids` with the
    specification's random effects; `default` marks the rows whose random effects are the model's own."""
    data = imagery_model_data(imagery_objects[imagery_objects.unit.isin(unit_ids) & sel.vtc(imagery_objects)])
    rows = []
    for claim, (model, term) in MODEL_CLAIMS.items():
        needs = {"preferred_projection"} if model == "M1" else set()
        configured = models.get(model, {}).get("random_effects", "auto")
        here = default and spec["random_effects"] == configured
        if data.unit.nunique() < 3 or not needs <= set(data.columns) or model not in models:
            rows.append(_row(claim, spec, *(np.nan,) * 3, data.unit.nunique(), np.nan, here))
            continue
        fit = fit_model(data, {**models[model], "random_effects": spec["random_effects"]}, optimizers)
        coef = fit.coefficients.set_index("term").loc[term]
        p = fit.record["p_value"] if term == models[model]["test_term"] else coef.p
        rows.append(_row(claim, spec, float(coef.estimate), float(coef.ci_low), float(coef.ci_high),
                         data.unit.nunique(), float(p), here))
    return rows


def paper_value(claim: str) -> float:
    """The paper's value of a claim where it is a fraction (NaN otherwise)."""
    return {"visually responsive VTC neurons": paper.N_RESPONSIVE / paper.N_VTC,
            "~80% of responsive neurons axis-tuned": paper.N_AXIS_TUNED / paper.N_RESPONSIVE,
            "~40% of them reactivated during imagery": paper.FUNNEL["reactivated"]
            / paper.FUNNEL["axis-tuned in imagery sessions"]}.get(claim, np.nan)


def specification_curve(table: pd.DataFrame, simulated: bool):
    """One panel per claim: its estimate under every specification, sorted, with 95% intervals; the
    default specification in red, the paper's fraction dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    claims = list(dict.fromkeys(table.claim))
    fig, axes = plt.subplots(len(claims), 1, figsize=(9, 1.9 * len(claims)), squeeze=False)
    for ax, claim in zip(axes[:, 0], claims, strict=True):
        part = table[(table.claim == claim) & np.isfinite(table.estimate.astype(float))].sort_values("estimate")
        x = np.arange(len(part))
        colour = np.where(part.default, "tab:red", "tab:blue")
        err = np.vstack([part.estimate - part.ci_low, part.ci_high - part.estimate]).astype(float)
        ax.errorbar(x, part.estimate, yerr=np.where(np.isfinite(err), err, 0), fmt="none", ecolor="0.7", lw=1)
        ax.scatter(x, part.estimate, c=colour, s=12, zorder=3)
        if np.isfinite(paper_value(claim)):
            ax.axhline(paper_value(claim), color="0.3", ls="--", lw=1)
        if claim in MODEL_CLAIMS or "beats" in claim:
            ax.axhline(0, color="0.6", lw=0.8)
        ax.set_title(claim, fontsize=9, loc="left")
        ax.set_xticks([])
    axes[-1, 0].set_xlabel("specifications, sorted by estimate (red: this config's)")
    fig.suptitle(("SIMULATED - " if simulated else "") + "robustness of each claim to the analysis choices")
    fig.tight_layout()
    return fig
