"""The claims scoreboard: each of the paper's claims beside this run's estimate, its interval, the
test that judges it and a verdict, from the run's own tables.

Verdicts are three-way, so that a run too small to decide says so:
- `reproduced`: a significant effect (0.05) in the claimed direction; for a fraction, the run's and
  the paper's fractions shown equivalent (the 90% interval of their difference within
  +-FRACTION_MARGIN); for "no effect along the orthogonal axis", its 90% interval within half the
  preferred effect (an equivalence test, not a non-significant one);
- `not reproduced`: a significant effect against the claim (a fraction's difference from the paper's
  whose 95% interval excludes 0, an orthogonal effect significantly above 0);
- `inconclusive`: neither (too few units, sessions or patients to decide);
- `not testable on this input`: the table the claim needs is an explicit empty result (a cohort
  without imagery, say), a test gives no p-value, or the paper gives no number.
The counts of the funnel that the input fixes (recorded VTC units) are checks of the input.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from . import paper
from .intervals import exact_interval
from .io import unavailable_reason
from .lazy import stats

LEVEL = 0.05  # the level at which a test's p-value is read
# A run's fraction and the paper's are called equivalent when their difference is shown within this.
FRACTION_MARGIN = 0.10
COLUMNS = ["claim", "paper", "estimate", "ci_low", "ci_high", "n", "test", "p_value", "verdict", "note"]
REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE = "reproduced", "not reproduced", "inconclusive"
NOT_TESTABLE = "not testable on this input"


def _verdict(ok: bool) -> str:
    return REPRODUCED if ok else NOT_REPRODUCED


def _directional(p: float, estimate: float) -> str:
    """A test of a positive effect: reproduced when significant and positive, not reproduced when
    significant and negative, inconclusive otherwise; not testable without a p-value."""
    if not np.isfinite(p) or not np.isfinite(estimate):
        return NOT_TESTABLE
    if p < LEVEL:
        return REPRODUCED if estimate > 0 else NOT_REPRODUCED
    return INCONCLUSIVE


def newcombe_difference(k1: int, n1: int, k2: int, n2: int, confidence: float) -> tuple[float, float]:
    """Newcombe's (1998, method 10) interval of p1 - p2 from two independent binomial samples, from
    the Wilson intervals of each."""
    z = stats.norm.ppf(0.5 + confidence / 2)

    def wilson(k: int, n: int) -> tuple[float, float, float]:
        p = k / n
        centre, half = (p + z**2 / (2 * n)) / (1 + z**2 / n), z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (
            1 + z**2 / n)
        return p, centre - half, centre + half

    p1, l1, u1 = wilson(k1, n1)
    p2, l2, u2 = wilson(k2, n2)
    d = p1 - p2
    return (float(d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)), float(d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)))


def _row(claim: str, paper_value, estimate=np.nan, low=np.nan, high=np.nan, n=np.nan, test="", p=np.nan,
         verdict=NOT_TESTABLE, note="") -> dict:
    return dict(claim=claim, paper=paper_value, estimate=estimate, ci_low=low, ci_high=high, n=n, test=test,
                p_value=p, verdict=verdict, note=note)


def design_effect(k: np.ndarray, n: np.ndarray) -> float:
    """Kish's design effect of a fraction sum(k) / sum(n) pooled over clusters (patients) with k of n
    units each: the cluster-robust variance of the ratio over the binomial one, at least 1. 1 with
    fewer than two clusters (no between-cluster variation to estimate) or a fraction of 0 or 1.

    The robust variance is estimated from the clusters alone, so it is scaled by (t_{G-1} / z)^2 at
    95%, the small-sample reference of a cluster-robust interval, with G the effective number of
    clusters (sum n)^2 / sum n^2 (the number of patients when they hold as many units; fewer when one
    holds most): coverage of the patients' mean fraction 0.95-0.96 on simulated cohorts, 0.81-0.92
    without it (docs/methods.md, "Claims scoreboard")."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    keep = n > 0
    k, n = k[keep], n[keep]
    total = n.sum()
    if len(n) < 2 or total == 0:
        return 1.0
    p = k.sum() / total
    binomial = p * (1 - p) / total
    if binomial == 0:
        return 1.0
    robust = len(n) / (len(n) - 1) * float(((k - p * n) ** 2).sum()) / total**2
    clusters = total**2 / float((n**2).sum())
    small_sample = (stats.t.ppf(0.975, max(clusters - 1, 1.0)) / stats.norm.ppf(0.975)) ** 2
    return max(1.0, robust * small_sample / binomial)


def effective_counts(k, n, deff):
    """k of n units at design effect `deff` as k_eff of the effective sample n_eff = n / deff
    (rounded, at least 1), the same fraction. Scalars or arrays."""
    n_eff = np.maximum(1, np.round(np.asarray(n) / np.asarray(deff))).astype(int)
    return np.round(np.asarray(k) / np.asarray(n) * n_eff).astype(int), n_eff


def clustered_interval(k, n, deff):
    """Exact (Clopper-Pearson) 95% interval of the fraction k / n at its effective sample size
    (effective_counts). Scalars or arrays."""
    return exact_interval(*effective_counts(k, n, deff))


def _fraction(claim: str, k: int, n: int, paper_k: int, paper_n: int, deff: float = 1.0) -> dict:
    """k of n (estimate with its exact 95% interval) against the paper's paper_k of paper_n, both
    samples with their sampling error (Newcombe's interval of the difference): not reproduced when
    the difference's 95% interval excludes 0; reproduced when its 90% interval lies within
    +-FRACTION_MARGIN (equivalence: two one-sided tests at 0.05); inconclusive otherwise (the
    paper's own 43/107 pins its fraction only to about +-0.1, so small runs are). Units cluster in
    patients: the run's sample counts as its effective size n / deff (design_effect)."""
    share = paper_k / paper_n
    paper_value = f"{paper_k}/{paper_n} = {share:.3f}"
    if n == 0:
        return _row(claim, paper_value, n=0, note="no units at the stage before")
    k_eff, n_eff = effective_counts(k, n, deff)
    ci_low, ci_high = clustered_interval(k, n, deff)
    low, high = newcombe_difference(k_eff, n_eff, paper_k, paper_n, 0.95)
    low90, high90 = newcombe_difference(k_eff, n_eff, paper_k, paper_n, 0.90)
    verdict = (NOT_REPRODUCED if low > 0 or high < 0
               else REPRODUCED if max(abs(low90), abs(high90)) <= FRACTION_MARGIN else INCONCLUSIVE)
    clustering = (f"; units clustered in patients: design effect {deff:.2f}, effective n {n_eff}" if deff > 1
                  else "")
    return _row(claim, paper_value, k / n, ci_low, ci_high, n,
                f"run - paper {k / n - share:+.3f}, 95% interval [{low:+.3f}, {high:+.3f}] (Newcombe{clustering}); "
                f"equivalent when the 90% interval [{low90:+.3f}, {high90:+.3f}] is within +-{FRACTION_MARGIN:g}",
                np.nan, verdict)


def funnel_claims(funnel: pd.DataFrame, patients: pd.DataFrame | None = None) -> list[dict]:
    """The counts of the selection funnel (stage, this_run): recorded VTC units, and the responsive,
    axis-tuned, in-imagery and reactivated fractions of the stage each is taken from; with the
    funnel per patient (patient, stage, this_run), each fraction's interval allows for the
    clustering of units in patients (design_effect)."""
    count = dict(zip(funnel.stage, funnel.this_run, strict=True))
    per_patient = (None if patients is None or not len(patients)
                   else patients.pivot_table(index="patient", columns="stage", values="this_run", aggfunc="sum"))
    vtc = int(count[paper.VTC])
    rows = [_row(f"{paper.N_VTC} VTC neurons recorded", str(paper.N_VTC), vtc, n=vtc, test="count",
                 verdict=_verdict(vtc == paper.N_VTC), note="a check of the input: the recordings fix it")]
    for stage, parent, claim in (("responsive", paper.VTC, "visually responsive VTC neurons"),
                                 ("axis-tuned", "responsive", "~80% of responsive neurons axis-tuned"),
                                 ("axis-tuned in imagery sessions", "axis-tuned",
                                  "axis-tuned neurons recorded in imagery sessions"),
                                 ("reactivated", "axis-tuned in imagery sessions",
                                  "~40% of them reactivated during imagery")):
        k, n = count.get(stage), count.get(parent)
        if k is None or n is None or not (np.isfinite(k) and np.isfinite(n)):
            rows.append(_row(claim, f"{paper.FUNNEL[stage]}/{paper.FUNNEL[parent]}",
                             note=f"the funnel has no {stage!r} stage on this input"))
            continue
        # Which units were recorded in imagery sessions is the recordings' design, fixed patient by patient,
        # not a sampling outcome of the units: that fraction is not widened for clustering.
        clustered = per_patient is not None and {stage, parent} <= set(per_patient.columns) \
            and stage != "axis-tuned in imagery sessions"
        deff = design_effect(per_patient[stage].fillna(0), per_patient[parent].fillna(0)) if clustered else 1.0
        rows.append(_fraction(claim, int(k), int(n), paper.FUNNEL[stage], paper.FUNNEL[parent], deff))
    return rows


def model_comparison_claims(comparison: pd.DataFrame) -> list[dict]:
    """The axis model's normalised EV against the category and the exemplar model's (paired
    Wilcoxon signed-rank over units; estimate: mean difference, mean +- 1.96 SEM)."""
    rows = []
    for other in ("category", "exemplar"):
        claim = f"the axis model explains responses better than the {other} model"
        hit = comparison[(comparison.comparison == f"axis vs {other}")
                         & comparison.test.astype(str).str.startswith("Wilcoxon")]
        if hit.empty:
            rows.append(_row(claim, "yes", note="no model comparison on this input"))
            continue
        r = hit.iloc[0]
        rows.append(_row(claim, "yes", r["mean"], r["mean"] - 1.96 * r["sem"], r["mean"] + 1.96 * r["sem"], r.n_units,
                         "paired Wilcoxon signed-rank of normalised EV", r.p_value,
                         _directional(r.p_value, r["mean"])))
    return rows


def decoding_claims(identification: pd.DataFrame, reconstruction: pd.DataFrame) -> list[dict]:
    """Objects identified from the population's decoded features (target against one distractor:
    accuracy +- 1.96 SEM above chance) and reconstructed from the database (described: the paper
    gives no number and the table no chance level)."""
    claim = "objects identified from the population's decoded features"
    one = identification[identification.n_distractors == 1] if "n_distractors" in identification else identification[:0]
    if one.empty:
        rows = [_row(claim, "yes", note=unavailable_reason(identification) or "no identification on this input")]
    else:
        r = one.iloc[0]
        low, high = r.accuracy - 1.96 * r["sem"], r.accuracy + 1.96 * r["sem"]
        verdict = REPRODUCED if low > r.chance else NOT_REPRODUCED if high < r.chance else INCONCLUSIVE
        rows = [_row(claim, "yes", r.accuracy, low, high, r.n_units,
                     f"accuracy against 1 distractor, 95% interval (SEM over objects) against chance {r.chance:g}",
                     np.nan, verdict)]
    claim = "objects reconstructed from a large database"
    if "normalised_distance" not in reconstruction or reconstruction.empty:
        rows.append(_row(claim, "yes", note=unavailable_reason(reconstruction) or "no reconstruction on this input"))
    else:
        d = reconstruction.normalised_distance.astype(float)
        rows.append(_row(claim, "yes", float(d.median()), float(d.quantile(0.25)), float(d.quantile(0.75)), len(d),
                         "median normalised distance (1 = the best possible; interval: quartiles)",
                         verdict=NOT_TESTABLE,
                         note="described only: the paper gives no number and no chance level is computed"))
    return rows


def imagery_claims(follows: pd.DataFrame, m1: pd.DataFrame, decoding: pd.DataFrame) -> list[dict]:
    """Imagery follows the preferred axis (M1's preferred term; the paired test of the reactivated
    units' preferred against orthogonal correlation) and not the orthogonal one (M1's orthogonal
    term); imagined objects decodable within imagery and by viewing-trained decoders (the number
    of sessions significant at 0.05 against a binomial null at 0.05)."""
    rows = []
    m1_reason = unavailable_reason(m1)
    terms = m1.set_index("term") if m1_reason is None and "term" in m1 else None
    claim = "imagery follows the preferred axis (M1)"
    if terms is None or "preferred_z" not in terms.index:
        rows.append(_row(claim, "yes", note=m1_reason or "M1 has no preferred_z term"))
        preferred = np.nan
    else:
        r = terms.loc["preferred_z"]
        preferred = float(r.estimate)
        rows.append(_row(claim, "yes", r.estimate, r.ci_low, r.ci_high, np.nan, "mixed model M1, preferred_z", r.p,
                         _directional(float(r.p), float(r.estimate))))
    claim = "imagery does not follow the orthogonal axis (M1)"
    if terms is None or "orthogonal_z" not in terms.index:
        rows.append(_row(claim, "yes", note=m1_reason or "M1 has no orthogonal_z term"))
    else:
        rows.append(_orthogonal(claim, terms.loc["orthogonal_z"], preferred))
    claim = "reactivated neurons follow the preferred more than the orthogonal axis"
    reason = unavailable_reason(follows)
    hit = follows[follows.units == "reactivated"] if reason is None and "units" in follows else follows[:0]
    if hit.empty:
        rows.append(_row(claim, "yes", note=reason or "no reactivated units"))
    else:
        r = hit.iloc[0]
        rows.append(_row(claim, "yes", r.median_r_difference, np.nan, np.nan, r.n_paired,
                         "paired Wilcoxon signed-rank of r_preferred - r_orthogonal over units", r.wilcoxon_p,
                         _directional(float(r.wilcoxon_p), float(r.median_r_difference)),
                         "units, not patients, are the replicates of this test"))
    reason = unavailable_reason(decoding)
    for column, accuracy, null, claim in (
            ("within_p", "within_accuracy", "shuffled_accuracy", "imagined objects decodable within imagery"),
            ("across_p", "across_accuracy", "across_null_accuracy", "viewing-trained decoders transfer to imagery")):
        if reason is not None or column not in decoding:
            rows.append(_row(claim, "yes", note=reason or "no imagery decoding on this input"))
            continue
        sessions = decoding[np.isfinite(decoding[column].astype(float))]
        if sessions.empty:
            rows.append(_row(claim, "yes", note="no session has a permutation p-value"))
            continue
        baseline = sessions.get(null, sessions.chance)
        gain = (sessions[accuracy] - baseline).astype(float)
        n, k = len(sessions), int((sessions[column] < LEVEL).sum())
        half = stats.t.ppf(0.975, n - 1) * gain.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
        p = combined_session_p(sessions[column].astype(float), sessions.session.astype(str))
        rows.append(_row(claim, "yes", float(gain.mean()), gain.mean() - half, gain.mean() + half, n,
                         "session permutation p-values combined within patient (Stouffer) and across patients "
                         f"(Fisher); {k} of {n} sessions significant at {LEVEL:g}; estimate: accuracy above the "
                         "permutation null's, t interval over sessions", p, _directional(p, float(gain.mean()))))
    return rows


def _orthogonal(claim: str, term: pd.Series, preferred: float) -> dict:
    """No effect along the orthogonal axis, as an equivalence test: reproduced when the term's 90%
    interval lies within +-half the preferred effect (two one-sided tests at 0.05: the orthogonal axis
    explains less than half of what the preferred one does); not reproduced when it is significantly
    above 0; inconclusive otherwise. A non-significant term alone is absence of evidence."""
    estimate, se, df, p = (float(term[c]) if c in term else np.nan for c in ("estimate", "se", "df", "p"))
    margin = 0.5 * abs(preferred)
    if not (np.isfinite(p) and np.isfinite(se) and np.isfinite(margin) and margin > 0):
        return _row(claim, "yes", estimate, term.get("ci_low", np.nan), term.get("ci_high", np.nan), np.nan,
                    "mixed model M1, orthogonal_z", p, NOT_TESTABLE,
                    "no equivalence margin: the preferred effect or the term's SE is missing")
    t90 = stats.t.ppf(0.95, df) if np.isfinite(df) else stats.norm.ppf(0.95)
    low90, high90 = estimate - t90 * se, estimate + t90 * se
    low95, high95 = (float(term.get(c, np.nan)) for c in ("ci_low", "ci_high"))
    if np.isfinite(low95) and np.isfinite(high95):  # the table's 95% interval may span the two-stage test's too
        shrink = t90 / (stats.t.ppf(0.975, df) if np.isfinite(df) else stats.norm.ppf(0.975))
        low90 = min(low90, estimate - shrink * (estimate - low95))
        high90 = max(high90, estimate + shrink * (high95 - estimate))
    verdict = (NOT_REPRODUCED if p < LEVEL and estimate > 0
               else REPRODUCED if -margin <= low90 and high90 <= margin else INCONCLUSIVE)
    return _row(claim, "yes", estimate, term.get("ci_low", np.nan), term.get("ci_high", np.nan), np.nan,
                f"mixed model M1, orthogonal_z: equivalence (90% interval [{low90:.3f}, {high90:.3f}]) within "
                f"+-{margin:.3f}, half the preferred effect", p, verdict)


def combined_session_p(p: pd.Series, sessions: pd.Series) -> float:
    """One p-value over sessions that generalises over patients: each patient's sessions' one-sided
    p-values combined by Stouffer's z, then the patients' by Fisher's method. Patients are read from
    session names sub-<patient>_ses-<k>."""
    patient = sessions.str.extract(r"^(sub-[^_]+)", expand=False).fillna(sessions)
    z = pd.Series(stats.norm.isf(np.clip(p.to_numpy(float), 1e-300, 1.0)), index=p.index)
    per_patient = z.groupby(patient.to_numpy()).agg(lambda v: v.sum() / np.sqrt(len(v)))
    return float(stats.combine_pvalues(stats.norm.sf(per_patient.to_numpy()), method="fisher").pvalue)


def claims_table(tables: Mapping[str, pd.DataFrame], simulated: bool) -> pd.DataFrame:
    """The scoreboard from the run's tables: `funnel` (selection_funnel.tsv), `funnel_patients`
    (selection_funnel_patients.tsv; optional), `model_comparison`,
    `identification`, `reconstruction`, `follows` (imagery_follows_axis.tsv), `m1` (M1.tsv) and
    `imagery_decoding`. COLUMNS and `simulated`, one row per claim."""
    rows = [*funnel_claims(tables["funnel"], tables.get("funnel_patients")),
            *model_comparison_claims(tables["model_comparison"]),
            *decoding_claims(tables["identification"], tables["reconstruction"]),
            *imagery_claims(tables["follows"], tables["m1"], tables["imagery_decoding"])]
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["simulated"] = bool(simulated)
    return table


def landing_page_rows(path: str | Path) -> list[dict[str, str]]:
    """The scoreboard at `path` as short strings for the report's landing page (claim, paper, this
    run's estimate with its interval, verdict); [] before the run has written it."""
    path = Path(path)
    if not path.exists():
        return []
    table = pd.read_csv(path, sep="\t")

    def number(v) -> str:
        return "" if pd.isna(v) else f"{v:.3g}"

    rows = []
    for r in table.itertuples():
        interval = f" [{number(r.ci_low)}, {number(r.ci_high)}]" if pd.notna(r.ci_low) else ""
        p = f"; p = {number(r.p_value)}" if pd.notna(r.p_value) else ""
        rows.append(dict(claim=str(r.claim), paper=str(r.paper), estimate=f"{number(r.estimate)}{interval}{p}",
                         verdict=str(r.verdict) + (" (SIMULATED)" if r.simulated else "")))
    return rows
