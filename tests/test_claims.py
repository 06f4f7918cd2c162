"""The claims scoreboard: the paper's claims judged from a run's tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from vtc_imagery.claims import (
    NOT_TESTABLE,
    claims_table,
    decoding_claims,
    funnel_claims,
    imagery_claims,
    landing_page_rows,
)
from vtc_imagery.io import not_available

REPO = Path(__file__).resolve().parents[1]


def _funnel(vtc=714, responsive=456, tuned=367, in_imagery=107, reactivated=43):
    return pd.DataFrame(dict(stage=["recorded", "VTC", "responsive", "axis-tuned", "axis-tuned in imagery sessions",
                                    "reactivated"],
                             this_run=[900, vtc, responsive, tuned, in_imagery, reactivated]))


def _by_claim(rows):
    return {r["claim"]: r for r in rows}


def test_the_papers_own_counts_are_equivalent_where_their_numbers_can_show_it():
    rows = funnel_claims(_funnel())
    # 43/107 against itself: the difference's 90% interval is about +-0.11, wider than the margin
    assert [r["verdict"] for r in rows] == ["reproduced"] * 4 + ["inconclusive"]
    assert rows[4]["estimate"] == pytest.approx(43 / 107)


def test_a_fraction_is_reproduced_only_when_the_papers_lies_in_the_exact_interval():
    rows = _by_claim(funnel_claims(_funnel(in_imagery=120, reactivated=30)))
    reactivated = rows["~40% of them reactivated during imagery"]
    assert reactivated["verdict"] == "not reproduced" and "[-0.269, -0.030]" in reactivated["test"]
    assert rows["~80% of responsive neurons axis-tuned"]["verdict"] == "reproduced"


def _decoding(within_p, across_p):
    n = len(within_p)
    return pd.DataFrame(dict(session=[f"s{i}" for i in range(n)], chance=0.125, within_accuracy=0.3,
                             across_accuracy=0.13, within_p=within_p, across_p=across_p))


def test_decodable_imagery_needs_more_significant_sessions_than_the_level_gives_by_chance():
    rows = _by_claim(imagery_claims(not_available("x"), not_available("x"),
                                    _decoding([0.01] * 4 + [0.5] * 6, [0.01] + [0.5] * 9)))
    within = rows["imagined objects decodable within imagery"]
    assert within["verdict"] == "reproduced" and within["p_value"] < 0.01
    assert rows["viewing-trained decoders transfer to imagery"]["verdict"] == "inconclusive"


def test_a_claim_whose_table_is_not_available_is_not_testable_with_the_reason():
    rows = _by_claim(imagery_claims(not_available("no imagery session"), not_available("no imagery session"),
                                    not_available("no imagery session")))
    assert {r["verdict"] for r in rows.values()} == {NOT_TESTABLE}
    assert all(r["note"] == "no imagery session" for r in rows.values())


def _m1(orthogonal_estimate, orthogonal_se, orthogonal_p):
    return pd.DataFrame(dict(term=["preferred_z", "orthogonal_z"], estimate=[0.2, orthogonal_estimate],
                             se=[0.05, orthogonal_se], df=[20, 20], p=[0.01, orthogonal_p], ci_low=np.nan,
                             ci_high=np.nan))


@pytest.mark.parametrize("estimate, se, p, verdict", [
    (0.01, 0.02, 0.6, "reproduced"),  # 90% interval [-0.024, 0.044] within +-0.1, half the preferred 0.2
    (0.01, 0.10, 0.9, "inconclusive"),  # not significant, but too wide to show equivalence
    (0.15, 0.05, 0.01, "not reproduced"),
])
def test_no_orthogonal_effect_is_shown_by_equivalence_not_by_a_non_significant_term(estimate, se, p, verdict):
    rows = _by_claim(imagery_claims(not_available("x"), _m1(estimate, se, p), not_available("x")))
    assert rows["imagery follows the preferred axis (M1)"]["verdict"] == "reproduced"
    assert rows["imagery does not follow the orthogonal axis (M1)"]["verdict"] == verdict


def test_a_test_without_a_p_value_is_not_testable_rather_than_not_reproduced():
    m1 = _m1(0.01, 0.02, 0.6).assign(p=np.nan)
    decoding = _decoding([np.nan] * 3, [np.nan] * 3)
    rows = _by_claim(imagery_claims(not_available("x"), m1, decoding))
    assert rows["imagery follows the preferred axis (M1)"]["verdict"] == NOT_TESTABLE
    assert rows["imagined objects decodable within imagery"]["verdict"] == NOT_TESTABLE


def test_identification_must_beat_chance_with_its_interval():
    identification = pd.DataFrame(dict(n_distractors=[1, 2], accuracy=[0.52, 0.4], sem=[0.02, 0.02],
                                       chance=[0.5, 1 / 3], n_units=[10, 10]))
    reconstruction = pd.DataFrame(dict(normalised_distance=np.linspace(1, 2, 11)))
    rows = decoding_claims(identification, reconstruction)
    assert rows[0]["verdict"] == "inconclusive"  # 0.52 +- 1.96 x 0.02 holds chance
    assert rows[1]["verdict"] == NOT_TESTABLE and rows[1]["estimate"] == pytest.approx(1.5)


def test_every_row_carries_the_simulated_mark():
    tables = dict(funnel=_funnel(), model_comparison=pd.DataFrame(columns=["comparison", "test"]),
                  identification=not_available("x"), reconstruction=not_available("x"), follows=not_available("x"),
                  m1=not_available("x"), imagery_decoding=not_available("x"))
    table = claims_table(tables, simulated=True)
    assert table.simulated.all() and len(table) == 14


def test_the_landing_page_rows_show_estimate_interval_and_the_simulated_mark(tmp_path):
    assert landing_page_rows(tmp_path / "none.tsv") == []
    table = claims_table(dict(funnel=_funnel(), model_comparison=pd.DataFrame(columns=["comparison", "test"]),
                              identification=not_available("x"), reconstruction=not_available("x"),
                              follows=not_available("x"), m1=not_available("x"), imagery_decoding=not_available("x")),
                         simulated=True)
    table.to_csv(tmp_path / "claims.tsv", sep="\t", index=False)
    rows = landing_page_rows(tmp_path / "claims.tsv")
    assert rows[1]["estimate"].startswith("0.639 [") and rows[1]["verdict"] == "reproduced (SIMULATED)"


def test_session_p_values_combine_within_patient_then_across_patients():
    from vtc_imagery.claims import combined_session_p

    one_patient = combined_session_p(pd.Series([0.01, 0.01, 0.01]), pd.Series(["sub-1_ses-1", "sub-1_ses-2",
                                                                               "sub-1_ses-3"]))
    z = 3 * 2.3263 / np.sqrt(3)  # Stouffer of three p = 0.01
    assert one_patient == pytest.approx(stats.norm.sf(z), rel=1e-3)
    assert combined_session_p(pd.Series([0.5, 0.5]), pd.Series(["sub-1_ses-1", "sub-2_ses-1"])) > 0.5


def _caption(figure: str, claims: list[dict]) -> str:
    import jinja2

    class Obj:
        def __init__(self, **kw):
            self.__dict__.update(kw)

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config.update(_claims=claims, _simulated=True)
    snakemake = Obj(wildcards=Obj(figure=figure), config=config)
    return " ".join(jinja2.Template((REPO / "report/figure.rst").read_text()).render(snakemake=snakemake).split())


def test_a_figure_caption_states_this_runs_numbers_of_its_claims_and_the_configured_rule():
    claims = [dict(claim="visually responsive VTC neurons", paper="456/714", estimate="0.615 [0.58, 0.65]",
                   verdict="reproduced (SIMULATED)"),
              dict(claim="~80% of responsive neurons axis-tuned", paper="367/456", estimate="0.938",
                   verdict="not reproduced (SIMULATED)")]
    latency = _caption("fig_latency", claims)
    assert "visually responsive VTC neurons: 0.615 [0.58, 0.65] (paper 456/714; reproduced (SIMULATED))" in latency
    assert "axis-tuned: 0.938" not in latency  # another figure's claim
    assert "the configured paired_windows" in latency
    assert "~80% of responsive neurons axis-tuned: 0.938" in _caption("fig_axis_code", claims)
    assert "This run's numbers" not in _caption("fig_axis_code", [])  # before the run: the template alone


def test_the_design_effect_is_one_for_a_fraction_that_does_not_vary_by_patient_and_grows_when_it_does():
    from vtc_imagery.claims import design_effect

    assert design_effect([10, 10, 10], [20, 20, 20]) == 1.0
    assert design_effect([20, 0, 10], [20, 20, 20]) > 5  # all, none, half: patients differ far beyond binomial
    assert design_effect([5], [10]) == 1.0  # one patient: nothing to estimate between patients


def test_a_fraction_that_varies_by_patient_widens_its_interval_and_can_turn_a_verdict_inconclusive():
    funnel = pd.DataFrame(dict(stage=["VTC", "responsive"], this_run=[714, 456]))
    alike = pd.DataFrame(dict(patient=[1, 1, 2, 2], stage=["VTC", "responsive"] * 2, this_run=[357, 228, 357, 228]))
    apart = pd.DataFrame(dict(patient=[1, 1, 2, 2], stage=["VTC", "responsive"] * 2, this_run=[357, 357, 357, 99]))
    rows = {name: funnel_claims(funnel, patients)[1] for name, patients in (("alike", alike), ("apart", apart))}
    assert rows["alike"]["verdict"] == "reproduced" and "design effect" not in rows["alike"]["test"]
    assert rows["apart"]["verdict"] == "inconclusive" and "design effect" in rows["apart"]["test"]
    assert rows["apart"]["ci_high"] - rows["apart"]["ci_low"] > rows["alike"]["ci_high"] - rows["alike"]["ci_low"]


def _clustered_coverage(n_patients: int, icc: float, clustered: bool, cohorts: int = 4000,
                        one_holds_half: bool = False) -> float:
    """How often a fraction's 95% interval covers the patients' mean fraction (0.6) over simulated cohorts
    whose patients (10-80 units each; or, `one_holds_half`, one of them as many as all the others of
    10-40) differ with intraclass correlation `icc` (beta-binomial)."""
    from vtc_imagery.claims import clustered_interval, design_effect

    rng = np.random.default_rng(7)
    mean, spread = 0.6, 1 / icc - 1
    n = rng.integers(10, 41 if one_holds_half else 81, (cohorts, n_patients))
    if one_holds_half:
        n[:, 0] = n[:, 1:].sum(axis=1)
    k = rng.binomial(n, rng.beta(mean * spread, (1 - mean) * spread, (cohorts, n_patients)))
    deff = np.array([design_effect(a, b) for a, b in zip(k, n, strict=True)]) if clustered else 1.0
    low, high = clustered_interval(k.sum(axis=1), n.sum(axis=1), deff)
    return float(np.mean((low <= mean) & (mean <= high)))


# 4000 cohorts: three Monte Carlo standard errors of a 95% coverage are 0.01.
@pytest.mark.parametrize("n_patients", [6, 16])
def test_the_clustered_interval_covers_the_patients_mean_fraction_at_its_level(n_patients):
    assert _clustered_coverage(n_patients, 0.1, clustered=True) >= 0.95 - 0.01


def test_the_clustered_interval_covers_it_when_one_patient_holds_half_the_units():
    assert _clustered_coverage(16, 0.1, clustered=True, one_holds_half=True) >= 0.95 - 0.01


def test_the_binomial_interval_would_not_cover_it_when_patients_differ():
    assert _clustered_coverage(16, 0.1, clustered=False) < 0.8
