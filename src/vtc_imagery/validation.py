"""Recovery of the planted truth on SIMULATED data: how well the calls and axes of the analysis
match what the virtual cohort planted. Only tests and validation rules read the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import paper
from . import selection as sel
from .perception import AxisParams
from .reactivation import ReactivationParams
from .screening import ScreeningParams
from .simulate.realism import Realism


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
    both = u[tuned & planted_axis]
    cosines = [float(np.dot(a, w) / (np.linalg.norm(a) * np.linalg.norm(w)))
               for a, w in zip(both.preferred_axis, both.planted_axis, strict=True)]
    rows.append(dict(metric="median cosine(recovered, planted axis)",
                     value=float(np.median(cosines)) if cosines else float("nan"), n_units=len(cosines),
                     note="called and planted axis-tuned"))
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
    pref = m1_table.set_index("term").loc[m1["test_term"]]
    rows.append(dict(metric="M1 preferred-projection effect", value=float(pref.estimate), n_units=m1["n_units"],
                     note=f"95% CI [{pref.ci_low:.3f}, {pref.ci_high:.3f}]; {m1['test']} p = {m1['p_value']:.3g}; "
                          "planted > 0"))
    return pd.DataFrame(rows)


def imagery_null_check(profile_name: str, seeds: list[int], screening_params: ScreeningParams, axis_params: AxisParams,
                       reactivation_params: ReactivationParams, windows: dict, n_shuffles: int, m1_spec: dict,
                       optimizers: tuple[str, ...], m1_alpha: float, realism: Realism) -> pd.DataFrame:
    """Per seed of a cohort with no reactivation (everything else as planted, with the run's
    `realism` settings): the reactivation call rate among axis-tuned VTC units in imagery sessions,
    and M1's test of the preferred projection at level `m1_alpha`. Sessions are simulated and
    analysed in memory with the workflow's own functions; `n_shuffles` as config
    imagery.n_shuffles, the cohort's seed as the imagery seed."""
    from . import axis as ax
    from .imagery import ImageryParams, SessionTables, imagery_session
    from .models import fit_model, imagery_model_data
    from .nwb.read import AreaPatterns, SessionContent
    from .objects import ObjectSpaceFile
    from .perception import axis_model_session, unit_table
    from .screening import screen_session
    from .simulate import get_profile, plan_cohort
    from .simulate.session import simulate_session
    from .tables import session_tables

    rows = []
    profile = get_profile(profile_name, reactivated_fraction=0.0, realism=realism)
    for seed in seeds:
        plan = plan_cohort(profile, seed)
        objects = ObjectSpaceFile(np.arange(1, 501), plan.objects.features, plan.objects.categories,
                                  plan.objects.database, pd.DataFrame(), True)
        features = pd.DataFrame(ax.scale_features(objects.features), index=objects.stim_id)
        tables = []
        for name in plan.sessions.session_name[plan.sessions.kind == "imagery"]:
            data = simulate_session(plan, profile, name, seed)
            content = SessionContent(subject_id=name.split("_")[0][4:], session_description="imagery",
                                     units=pd.DataFrame(dict(unit_index=np.arange(len(data.units)), cluster_id=-1,
                                                             location=data.units.location)),
                                     spike_times=data.spike_times, trials=data.trials)
            units, trials, spikes = session_tables(content, name, AreaPatterns(), 0.003, windows)
            screening, responses, counts = screen_session(units, trials, spikes, screening_params)
            axis = axis_model_session(responses, counts, objects, axis_params)
            result = imagery_session(SessionTables(units, trials, spikes, screening, responses, axis), features,
                                     reactivation_params, ImageryParams(n_shuffles=n_shuffles, seed=seed))
            session = unit_table(units, screening, axis)
            tuned = session.unit_id[sel.axis_tuned(session)]
            calls = result.units[result.units.unit_id.isin(tuned)]
            objs = result.objects[result.objects.unit_id.isin(tuned)].rename(columns={
                "unit_id": "unit", "stim_id": "object", "imagery_rate_hz": "imagery_rate",
                "viewing_rate_hz": "viewing_rate"}).assign(patient=name.split("_")[0])
            tables.append((calls, objs))
        calls = pd.concat([c for c, _ in tables], ignore_index=True)
        objs = pd.concat([o for _, o in tables], ignore_index=True)
        p = np.nan
        if objs.unit.nunique() >= 3:
            p = fit_model(imagery_model_data(objs), m1_spec, optimizers).record["p_value"]
        rows.append(dict(seed=seed, n_axis_tuned=len(calls), n_reactivated=int(calls.reactivated.sum()),
                         call_rate=float(calls.reactivated.mean()) if len(calls) else np.nan,
                         m1_p=p, m1_significant=bool(p < m1_alpha)))
    return pd.DataFrame(rows)


def with_null_summary(table: pd.DataFrame) -> pd.DataFrame:
    """The per-seed null-check table (seed as text) with a last row 'all': the summed counts, the
    pooled call rate and the fraction of seeds where M1 was significant (its type-I error)."""
    summary = dict(seed="all", n_axis_tuned=table.n_axis_tuned.sum(), n_reactivated=table.n_reactivated.sum(),
                   call_rate=table.n_reactivated.sum() / max(table.n_axis_tuned.sum(), 1),
                   m1_p=float("nan"), m1_significant=table.m1_significant.mean())
    out = table.astype({"seed": str})
    out.loc[len(out)] = summary
    return out
