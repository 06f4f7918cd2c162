"""Recovery of the planted truth on SIMULATED data: how well the calls and axes of the analysis
match what the virtual cohort planted. Only tests and validation rules read the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _rate(hits: pd.Series) -> tuple[float, int]:
    return (float(hits.mean()) if len(hits) else float("nan")), int(len(hits))


def perception_validation(units: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Sensitivity and specificity of the responsive and axis-tuned calls over VTC units, the
    cosine between recovered and planted axes, and the funnel fractions beside the planted ones."""
    t = truth[["unit_id", "unit_type", "axis"]].rename(columns={"axis": "planted_axis"})
    u = units[units.area == "VTC"].merge(t, on="unit_id", how="inner", validate="one_to_one")
    responsive = u.responsive.astype("boolean").fillna(False).astype(bool)
    tuned = u.axis_tuned.astype(bool) & responsive
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
    both = u[tuned & planted_axis]
    cosines = [float(np.dot(a, w) / (np.linalg.norm(a) * np.linalg.norm(w)))
               for a, w in zip(both.preferred_axis, both.planted_axis)]
    rows.append(dict(metric="median cosine(recovered, planted axis)",
                     value=float(np.median(cosines)) if cosines else float("nan"), n_units=len(cosines),
                     note="called and planted axis-tuned"))
    n_vtc = len(u)
    for stage, called, planted, paper in (("responsive / VTC", responsive.sum() / n_vtc, planted_resp.sum() / n_vtc,
                                           456 / 714),
                                          ("axis-tuned / responsive", tuned.sum() / max(responsive.sum(), 1),
                                           planted_axis.sum() / max(planted_resp.sum(), 1), 367 / 456)):
        rows.append(dict(metric=f"fraction {stage}", value=float(called), n_units=n_vtc,
                         note=f"planted {planted:.3f}; paper {paper:.3f}"))
    return pd.DataFrame(rows)
