"""Recovery of the planted truth on SIMULATED data: how well the calls and axes of the analysis
match what the virtual cohort planted. Only tests and validation rules read the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import paper
from . import selection as sel


def _rate(hits: pd.Series) -> tuple[float, int]:
    return (float(hits.mean()) if len(hits) else float("nan")), len(hits)


def perception_validation(units: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Sensitivity and specificity of the responsive and axis-tuned calls over VTC units, the
    cosine between recovered and planted axes, and the funnel fractions beside the planted ones."""
    t = truth[["unit_id", "unit_type", "axis"]].rename(columns={"axis": "planted_axis"})
    u = units[sel.vtc(units)].merge(t, on="unit_id", how="inner", validate="one_to_one")
    responsive = sel.responsive(u)
    tuned = sel.axis_tuned(u)
    planted_resp = u.unit_type != "none"
    planted_axis = u.unit_type == "axis"
    rows = []

    def add(metric: str, hits: pd.Series, note: str) -> None:
        value, n = _rate(hits)
        rows.append(dict(metric=metric, value=value, n_units=n, note=note))

    add("responsive sensitivity", responsive[planted_resp], "called responsive | planted responsive")
    add("responsive specificity", ~responsive[~planted_resp], "not called | planted non-responsive")
    add("axis-tuned sensitivity", tuned[planted_axis], "called axis-tuned | planted axis-tuned")
    add("axis-tuned specificity", ~tuned[~planted_axis], "not called | not planted axis-tuned")
    add("axis-tuned false-positive rate, responsive untuned", tuned[planted_resp & ~planted_axis & responsive],
        "called axis-tuned | called responsive, planted exemplar/category/random")
    if "axis_tuned_beyond_category" in u:
        add("beyond-category false-call rate, planted category-only",
            sel.axis_tuned_beyond_category(u)[u.unit_type == "category"],
            "called axis-tuned beyond category | planted category-only")
    both = u[tuned & planted_axis]
    cosines = [float(np.dot(a, w) / (np.linalg.norm(a) * np.linalg.norm(w)))
               for a, w in zip(both.preferred_axis, both.planted_axis, strict=True)]
    rows.append(dict(metric="median cosine(recovered, planted axis)",
                     value=float(np.median(cosines)) if cosines else float("nan"), n_units=len(cosines),
                     note="called and planted axis-tuned"))
    rows += latency_bias_rows(u[responsive & planted_resp], truth)
    n_vtc = len(u)
    fractions = (("responsive / VTC", responsive.sum() / n_vtc, planted_resp.sum() / n_vtc,
                  paper.N_RESPONSIVE / paper.N_VTC),
                 ("axis-tuned / responsive", tuned.sum() / max(responsive.sum(), 1),
                  planted_axis.sum() / max(planted_resp.sum(), 1), paper.N_AXIS_TUNED / paper.N_RESPONSIVE))
    for stage, called, planted, in_paper in fractions:
        rows.append(dict(metric=f"fraction {stage}", value=float(called), n_units=n_vtc,
                         note=f"planted {planted:.3f}; paper {in_paper:.3f}"))
    return pd.DataFrame(rows)


def imagery_validation(imagery_units: pd.DataFrame, truth: pd.DataFrame, m1: dict,
                       m1_table: pd.DataFrame) -> pd.DataFrame:
    """Reactivation calls of axis-tuned VTC units in imagery sessions against the planted truth,
    for each rule, and whether M1 recovers the planted preferred-axis effect."""
    from .reactivation import RULES

    u = imagery_units[sel.imagery_population(imagery_units, "axis_tuned")].merge(
        truth[["unit_id", "reactivated"]].rename(columns={"reactivated": "planted"}), on="unit_id",
        validate="one_to_one")
    planted = u.planted.astype(bool)
    rows = []
    for rule in RULES:
        called = u[f"reactivated_{rule}"].astype(bool)
        for metric, hits in ((f"reactivation sensitivity ({rule})", called[planted]),
                             (f"reactivation specificity ({rule})", ~called[~planted])):
            value, n = _rate(hits)
            rows.append(dict(metric=metric, value=value, n_units=n, note="axis-tuned VTC units in imagery sessions"))
    if "not_available" in m1:  # M1 had too few units on this cohort: say so instead of an estimate
        rows.append(dict(metric="M1 preferred-projection effect", value=np.nan, n_units=0,
                         note=f"not available on this input: {m1['not_available']}"))
        return pd.DataFrame(rows)
    pref = m1_table.set_index("term").loc[m1["test_term"]]
    rows.append(dict(metric="M1 preferred-projection effect", value=float(pref.estimate), n_units=m1["n_units"],
                     note=f"95% CI [{pref.ci_low:.3f}, {pref.ci_high:.3f}]; {m1['test']} p = {m1['p_value']:.3g}; "
                          "planted > 0"))
    return pd.DataFrame(rows)


# The authors' rule at each funnel stage where the default is not theirs (the axis-tuning repeat rule is).
AUTHORS_RESPONSIVE, AUTHORS_REACTIVATION = "threshold", "poisson_burst"


def latency_bias_rows(units: pd.DataFrame, truth: pd.DataFrame) -> list[dict]:
    """Per latency source (bursts, psth, ...): the median of analysed minus planted latency (ms) over
    `units` (called and planted responsive), its IQR in the note; no rows when either side lacks latencies."""
    if not {"latency_ms", "latency_source"} <= set(units) or "latency_s" not in truth:
        return []
    u = units.merge(truth[["unit_id", "latency_s"]], on="unit_id", validate="one_to_one")
    u = u[np.isfinite(u.latency_ms.astype(float))]
    rows = []
    for source, part in u.groupby("latency_source", sort=True):
        bias = part.latency_ms.astype(float) - 1000 * part.latency_s
        low, high = np.percentile(bias, [25, 75])
        rows.append(dict(metric=f"latency bias ({source}), ms", value=float(bias.median()), n_units=len(bias),
                         note=f"median of analysed - planted latency; IQR [{low:.1f}, {high:.1f}] ms"))
    return rows


def funnel_against_truth(units: pd.DataFrame, imagery_units: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """The selection funnel planted vs recovered (SIMULATED): per stage the units the cohort planted,
    the units the run selected with its default rules, how many of those were planted (correct), and
    the count with the authors' rule where it differs from the default (responsive: `threshold`;
    reactivated: `poisson_burst`, over the default's axis-tuned units in imagery sessions).

    units: the population table (one row per unit); imagery_units: one row per unit of an imagery
    session; truth: the simulator's unit truth table (unit_type, area, reactivated)."""
    t = truth.set_index("unit_id").reindex(units.unit_id)
    in_vtc = (t.area == sel.VTC).to_numpy()
    planted = {"recorded": np.ones(len(units), bool), sel.VTC: in_vtc,
               "responsive": in_vtc & (t.unit_type != "none").to_numpy(),
               "axis-tuned": in_vtc & (t.unit_type == "axis").to_numpy()}
    planted["axis-tuned beyond category"] = planted["axis-tuned"]
    in_imagery = sel.in_imagery_sessions(units, imagery_units).to_numpy()
    planted["axis-tuned in imagery sessions"] = planted["axis-tuned"] & in_imagery
    planted["reactivated"] = planted["axis-tuned in imagery sessions"] & t.reactivated.fillna(False).to_numpy(bool)

    tuned = sel.axis_tuned(units).to_numpy()
    reactivated_by = {rule: units.unit_id.isin(imagery_units.unit_id[sel.called(imagery_units[column])]).to_numpy()
                      for rule, column in (("default", "reactivated"),
                                           ("authors", f"reactivated_{AUTHORS_REACTIVATION}"))}
    recovered = {"recorded": np.ones(len(units), bool), sel.VTC: sel.vtc(units).to_numpy(),
                 "responsive": sel.responsive(units).to_numpy(), "axis-tuned": tuned,
                 "axis-tuned beyond category": sel.axis_tuned_beyond_category(units).to_numpy(),
                 "axis-tuned in imagery sessions": tuned & in_imagery,
                 "reactivated": tuned & in_imagery & reactivated_by["default"]}
    authors = {"responsive": (sel.vtc(units) & sel.called(units[f"responsive_{AUTHORS_RESPONSIVE}"])).to_numpy(),
               "reactivated": tuned & in_imagery & reactivated_by["authors"]}
    rows = []
    for stage, want in planted.items():
        got = recovered[stage]
        rows.append(dict(stage=stage, planted=int(want.sum()), recovered=int(got.sum()),
                         recovered_and_planted=int((got & want).sum()),
                         authors_rule=int(authors[stage].sum()) if stage in authors else np.nan,
                         paper=np.nan if paper.FUNNEL.get(stage) is None else paper.FUNNEL[stage]))
    return pd.DataFrame(rows)
