"""The claims scoreboard: each of the paper's claims beside this run's estimate, its interval, the
test that judges it and a verdict, from the run's own tables.

Verdicts: `reproduced` when the run's evidence agrees with the claim (a count equal to the paper's;
the paper's fraction inside the run's exact 95% interval; a significant effect, at 0.05, in the
claimed direction), `not reproduced` otherwise, `not testable on this input` when the table the claim
needs is an explicit empty result (a cohort without imagery, say). A claim the paper makes without a
number is judged by its test alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from . import paper
from .io import unavailable_reason

LEVEL = 0.05  # the level at which a test's p-value is read
COLUMNS = ["claim", "paper", "estimate", "ci_low", "ci_high", "n", "test", "p_value", "verdict", "note"]
NOT_TESTABLE = "not testable on this input"


def _verdict(ok: bool) -> str:
    return "reproduced" if ok else "not reproduced"


def _row(claim: str, paper_value, estimate=np.nan, low=np.nan, high=np.nan, n=np.nan, test="", p=np.nan,
         verdict=NOT_TESTABLE, note="") -> dict:
    return dict(claim=claim, paper=paper_value, estimate=estimate, ci_low=low, ci_high=high, n=n, test=test,
                p_value=p, verdict=verdict, note=note)


def _fraction(claim: str, k: int, n: int, paper_k: int, paper_n: int) -> dict:
    """k of n against the paper's paper_k of paper_n: reproduced when the paper's fraction lies in the
    run's exact (Clopper-Pearson) 95% interval."""
    share = paper_k / paper_n
    if n == 0:
        return _row(claim, f"{paper_k}/{paper_n} = {share:.3f}", n=0, note="no units at the stage before")
    ci = stats.binomtest(k, n).proportion_ci(0.95, method="exact")
    return _row(claim, f"{paper_k}/{paper_n} = {share:.3f}", k / n, ci.low, ci.high, n,
                f"exact 95% interval of {k}/{n} holds the paper's fraction", np.nan,
                _verdict(ci.low <= share <= ci.high))


def funnel_claims(funnel: pd.DataFrame) -> list[dict]:
    """The counts of the selection funnel (stage, this_run): recorded VTC units, and the responsive,
    axis-tuned, in-imagery and reactivated fractions of the stage each is taken from."""
    count = dict(zip(funnel.stage, funnel.this_run, strict=True))
    vtc = int(count[paper.VTC])
    rows = [_row(f"{paper.N_VTC} VTC neurons recorded", str(paper.N_VTC), vtc, n=vtc, test="count",
                 verdict=_verdict(vtc == paper.N_VTC))]
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
        rows.append(_fraction(claim, int(k), int(n), paper.FUNNEL[stage], paper.FUNNEL[parent]))
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
                         _verdict(r.p_value < LEVEL and r["mean"] > 0)))
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
        rows = [_row(claim, "yes", r.accuracy, low, high, r.n_units,
                     f"accuracy against 1 distractor, 95% interval above chance {r.chance:g}", np.nan,
                     _verdict(low > r.chance))]
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
    terms = m1.set_index("term") if m1_reason is None else None
    for term, claim, follows_it in (("preferred_z", "imagery follows the preferred axis (M1)", True),
                                    ("orthogonal_z", "imagery does not follow the orthogonal axis (M1)", False)):
        if terms is None or term not in terms.index:
            rows.append(_row(claim, "yes", note=m1_reason or f"M1 has no {term} term"))
            continue
        r = terms.loc[term]
        significant = r.p < LEVEL and r.estimate > 0
        rows.append(_row(claim, "yes", r.estimate, r.ci_low, r.ci_high, np.nan, f"mixed model M1, {term}", r.p,
                         _verdict(significant if follows_it else r.p >= LEVEL),
                         "" if follows_it else "reproduced means not significant: absence of evidence, not proof"))
    claim = "reactivated neurons follow the preferred more than the orthogonal axis"
    reason = unavailable_reason(follows)
    hit = follows[follows.units == "reactivated"] if reason is None and "units" in follows else follows[:0]
    if hit.empty:
        rows.append(_row(claim, "yes", note=reason or "no reactivated units"))
    else:
        r = hit.iloc[0]
        rows.append(_row(claim, "yes", r.median_r_difference, np.nan, np.nan, r.n_paired,
                         "paired Wilcoxon signed-rank of r_preferred - r_orthogonal", r.wilcoxon_p,
                         _verdict(r.wilcoxon_p < LEVEL and r.median_r_difference > 0)))
    reason = unavailable_reason(decoding)
    for column, accuracy, claim in (("within_p", "within_accuracy", "imagined objects decodable within imagery"),
                                    ("across_p", "across_accuracy",
                                     "viewing-trained decoders transfer to imagery")):
        if reason is not None or column not in decoding:
            rows.append(_row(claim, "yes", note=reason or "no imagery decoding on this input"))
            continue
        sessions = decoding[np.isfinite(decoding[column].astype(float))]
        gain = (sessions[accuracy] - sessions.chance).astype(float)
        k, n = int((sessions[column] < LEVEL).sum()), len(sessions)
        p = stats.binomtest(k, n, LEVEL, alternative="greater").pvalue if n else np.nan
        half = stats.t.ppf(0.975, n - 1) * gain.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
        rows.append(_row(claim, "yes", float(gain.mean()) if n else np.nan, gain.mean() - half, gain.mean() + half, n,
                         f"{k} of {n} sessions significant at {LEVEL:g} (permutation), binomial test against "
                         f"{LEVEL:g}; estimate: mean accuracy above chance", p, _verdict(n > 0 and p < LEVEL)))
    return rows


def claims_table(tables: Mapping[str, pd.DataFrame], simulated: bool) -> pd.DataFrame:
    """The scoreboard from the run's tables: `funnel` (selection_funnel.tsv), `model_comparison`,
    `identification`, `reconstruction`, `follows` (imagery_follows_axis.tsv), `m1` (M1.tsv) and
    `imagery_decoding`. COLUMNS and `simulated`, one row per claim."""
    rows = [*funnel_claims(tables["funnel"]), *model_comparison_claims(tables["model_comparison"]),
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
