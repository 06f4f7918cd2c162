"""The realistic virtual cohort: spiking, variability, patient effects, tuning and imagery that are
not the analysis's model, marginals that match the real recordings, and the idealised cohort back
when realism is off."""

from __future__ import annotations

import ast
import hashlib
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from vtc_imagery.simulate import get_profile, plan_cohort
from vtc_imagery.simulate import marginals as m
from vtc_imagery.simulate.cohort import AXIS, CATEGORY, EXEMPLAR, MIXED, NONE, realistic_drive
from vtc_imagery.simulate.profiles import CLOSED_LOOP, IMAGERY
from vtc_imagery.simulate.realism import IDEALISED, Realism, realism_from_config, smooth_drift
from vtc_imagery.simulate.session import renewal_spikes, simulate_session

REPO = Path(__file__).resolve().parents[1]
SIMULATE = REPO / "src" / "vtc_imagery" / "simulate"
# What the simulator may import from the package: writing files and the category names.
ALLOWED = {"io", "nwb.write", "categories", "released_data"}
SEED = 11
PAPER_SEED = 20260409  # config simulation.seed
# spikes and trials of every session of the ci cohort, seed 11, before realism existed (commit 163dc63),
# when its imagery unit share was 0.35
IDEALISED_CI_SHARE = 0.35
IDEALISED_CI_FINGERPRINT = "5ec5e157bb8da713664a103c0ba8943972cfafd8bcbf4399513e2bcfc7a6d021"


def _package_imports(path: Path) -> set[str]:
    """Modules of the vtc_imagery package that a simulate/ file imports (relative or absolute)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level >= 2:  # from ..x import y: a sibling of simulate/
                found.add(module or "<package>")
            elif module.startswith("vtc_imagery") and not module.startswith("vtc_imagery.simulate"):
                found.add(module.removeprefix("vtc_imagery").lstrip(".") or "<package>")
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix("vtc_imagery.") for a in node.names
                      if a.name.startswith("vtc_imagery") and not a.name.startswith("vtc_imagery.simulate")}
    return found


def test_the_simulator_imports_nothing_from_the_analysis():
    files = sorted(SIMULATE.rglob("*.py"))
    assert len(files) >= 6
    for path in files:
        assert _package_imports(path) <= ALLOWED, path.name


@pytest.mark.parametrize("module", ["categories.py", "released_data.py"])
def test_the_data_modules_the_simulator_uses_import_nothing_of_the_analysis(module):
    tree = ast.parse((REPO / "src" / "vtc_imagery" / module).read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"numpy", "__future__"}


def _fingerprint(profile, seed: int) -> str:
    plan = plan_cohort(profile, seed)
    h = hashlib.sha256()
    for name in plan.sessions.session_name:
        data = simulate_session(plan, profile, name, seed)
        for t in data.spike_times:
            h.update(np.ascontiguousarray(t, dtype="<f8").tobytes())
        for c in data.trials.columns:
            col = data.trials[c]
            h.update(col.to_numpy("<f8").tobytes() if pd.api.types.is_numeric_dtype(col)
                     else "|".join(col.astype(str)).encode())
    return h.hexdigest()


def test_realism_off_gives_back_the_idealised_cohort_bit_for_bit():
    profile = get_profile("ci", realism=IDEALISED, imagery_unit_share=IDEALISED_CI_SHARE)
    assert _fingerprint(profile, SEED) == IDEALISED_CI_FINGERPRINT


def test_realism_on_changes_the_cohort():
    assert _fingerprint(get_profile("ci", imagery_unit_share=IDEALISED_CI_SHARE), SEED) != IDEALISED_CI_FINGERPRINT


def test_the_realism_defaults_are_the_config_schemas():
    schema = yaml.safe_load((REPO / "schemas" / "config.schema.yaml").read_text())
    keys = schema["properties"]["simulation"]["properties"]
    defaults = {k: v["default"] for k, v in keys.items()}
    assert realism_from_config(defaults) == replace(Realism(), enabled=keys["realism"]["default"])
    assert {f.name for f in fields(Realism)} - {"enabled"} <= set(keys)
    assert realism_from_config({**defaults, "realism": False}).enabled is False


# --- spiking ---------------------------------------------------------------------------------------

def _constant_rate_train(realism: Realism, rate_hz: float = 20.0, duration: float = 2000.0,
                         burst: float = 0.0) -> np.ndarray:
    spikes = renewal_spikes(np.random.default_rng(0), 1, duration, np.array([0.0]), np.array([duration]),
                            np.array([0]), np.array([rate_hz]), realism, np.array([burst]))
    return spikes[0]


@pytest.mark.parametrize("cv", [0.5, 0.8, 1.0])
def test_spiking_is_a_gamma_renewal_process_with_the_configured_cv(cv):
    t = _constant_rate_train(Realism(isi_cv=cv, burst_probability=0.0, refractory_ms=0.0))
    isi = np.diff(t)
    assert isi.std() / isi.mean() == pytest.approx(cv, abs=0.03)
    assert len(t) / 2000.0 == pytest.approx(20.0, rel=0.03)


def test_time_rescaling_follows_a_changing_rate():
    realism = Realism(isi_cv=0.6, burst_probability=0.0, refractory_ms=0.0)
    starts, durs = np.array([0.0, 100.0, 200.0]), np.array([100.0, 100.0, 100.0])
    t = renewal_spikes(np.random.default_rng(1), 1, 300.0, starts, durs, np.zeros(3, int),
                       np.array([2.0, 30.0, 0.0]), realism, np.zeros(1))[0]
    counts = np.histogram(t, bins=[0, 100, 200, 300])[0]
    assert counts[0] == pytest.approx(200, rel=0.15)
    assert counts[1] == pytest.approx(3000, rel=0.05)
    assert counts[2] == 0


def _short_interval_share(t: np.ndarray) -> float:
    """Share of inter-spike intervals under 8 ms."""
    return float(np.mean(np.diff(t) < 0.008))


def test_bursts_add_clusters_of_closely_spaced_spikes_without_raising_the_rate():
    plain = _constant_rate_train(Realism(burst_probability=0.0))
    bursty = _constant_rate_train(Realism(burst_probability=0.0), burst=0.2)
    assert _short_interval_share(bursty) > _short_interval_share(plain) + 0.1
    assert len(bursty) == pytest.approx(len(plain), rel=0.05)


def test_the_refractory_period_is_absolute_even_within_bursts():
    t = _constant_rate_train(Realism(refractory_ms=1.5, burst_isi_ms=2.0), rate_hz=60.0, burst=0.3)
    assert np.diff(t).min() >= 0.0015 - 1e-9


@pytest.fixture(scope="module")
def ci_realistic():
    profile = get_profile("ci")
    plan = plan_cohort(profile, SEED)
    return profile, plan, {n: simulate_session(plan, profile, n, SEED) for n in plan.sessions.session_name}


def _fano_of_screening_counts(profile, plan, sessions) -> float:
    """Mean over axis units and their 25 most driving objects (by the planted drive, so no selection
    bias) of var / mean of the response-window counts over the repetitions."""
    ratios = []
    features = plan.objects.features
    for data in sessions.values():
        shown = data.trials[data.trials.stim_phase == "screening"]
        start = shown.start_time.to_numpy()[None, :] + data.units.latency_s.to_numpy()[:, None]
        counts = m.counts_in_windows(data.spike_times, start, start + 0.2666)
        drive = realistic_drive(data.units, features, plan.objects.categories, features, profile.realism)
        for u in np.flatnonzero((data.units.unit_type == AXIS).to_numpy()):
            table = pd.Series(counts[u]).groupby(shown.stim_id.to_numpy())
            best = np.argsort(drive[u])[-25:] + 1
            mean, var = table.mean().loc[best], table.var().loc[best]
            ratios += list(var[mean > 0] / mean[mean > 0])
    return float(np.mean(ratios))


def test_trial_to_trial_gain_makes_response_counts_overdispersed(ci_realistic):
    profile, plan, sessions = ci_realistic
    names = list(sessions)[:2]
    quiet = replace(profile, realism=Realism(isi_cv=1.0, burst_probability=0.0, trial_gain_cv=0.0,
                                             drift_amplitude=0.0))
    quiet_plan = plan_cohort(quiet, SEED)
    quiet_sessions = {n: simulate_session(quiet_plan, quiet, n, SEED) for n in names}
    assert _fano_of_screening_counts(quiet, quiet_plan, quiet_sessions) < 1.15  # about Poisson
    assert _fano_of_screening_counts(profile, plan, {n: sessions[n] for n in names}) > 1.3


def _recall_trial_icc(realism: Realism) -> float:
    """Mean over units of the intraclass correlation of cue rates within recall trials, over the imagery
    sessions of a calibration cohort whose imagery carries no object signal."""
    from vtc_imagery.simulate.summary_table import imagery_trial_rates

    quiet = replace(realism, imagery_fidelity=0.0, patient_fidelity_sd=0.0, imagery_noise=0.0)
    iccs = []
    for session in imagery_trial_rates(get_profile("calibration", realism=quiet), SEED):
        trials = pd.DataFrame(session.cue_rates).groupby(session.cue_pairings)
        between, within = trials.mean().var(ddof=1), trials.var(ddof=1).mean()
        k = len(session.cue_rates) / trials.ngroups  # cues per recall trial
        iccs += list(((between - within / k) / (between - within / k + within)).dropna())
    return float(np.mean(iccs))


def test_a_recall_trial_state_shared_by_all_units_correlates_the_cues_of_a_recall_trial():
    on = Realism(isi_cv=1.0, burst_probability=0.0, trial_gain_cv=0.0, drift_amplitude=0.0, recall_state_cv=0.3)
    assert _recall_trial_icc(replace(on, recall_state_cv=0.0)) < 0.05  # Poisson spiking: about none
    assert _recall_trial_icc(on) > 0.15


def test_slow_drift_wanders_by_the_configured_amplitude_and_is_smooth():
    times = np.linspace(0.0, 3600.0, 721)
    drift = smooth_drift(np.random.default_rng(2), np.array([0.3, 0.0]), times, 3600.0)
    assert np.abs(np.log(drift[0])).max() == pytest.approx(np.log(1.3))
    assert np.abs(np.diff(np.log(drift[0]))).max() < 0.05  # no jumps between 5-s steps
    assert np.allclose(drift[1], 1.0)


# --- cohort plan: unit types, patient effects, tuning -------------------------------------------------

@pytest.fixture(scope="module")
def paper_plan():
    return plan_cohort(get_profile("paper"), PAPER_SEED)


def test_the_realistic_cohort_keeps_the_papers_funnel_and_adds_mixed_units(paper_plan):
    vtc = paper_plan.units[paper_plan.units.area == "VTC"]
    assert len(vtc) == 714 and (vtc.unit_type == AXIS).sum() == 367 and (vtc.unit_type != NONE).sum() == 456
    others = vtc.unit_type.value_counts()[[CATEGORY, EXEMPLAR, MIXED]]
    assert others.sum() == 89 and others.min() >= 29


def test_patient_effects_are_drawn_once_per_patient(paper_plan):
    units = paper_plan.units
    for column in ("patient_tuning_effect", "patient_imagery_effect"):
        per_patient = units.groupby("subject")[column].nunique()
        assert (per_patient == 1).all()
        assert units.groupby("subject")[column].first().nunique() == 16
    reactivated = units[units.reactivated]
    assert np.allclose(reactivated.imagery_gain, reactivated.unit_imagery_gain * reactivated.patient_imagery_effect)
    sessions = paper_plan.sessions.set_index("subject")
    assert np.allclose(sessions.patient_imagery_effect,
                       units.groupby("subject").patient_imagery_effect.first().loc[sessions.index])


def test_patient_effects_can_be_switched_off():
    units = plan_cohort(get_profile("ci", realism=Realism(patient_tuning_sd=0.0, patient_imagery_sd=0.0)), 4).units
    assert (units.patient_tuning_effect == 1.0).all() and (units.patient_imagery_effect == 1.0).all()


def _natural_drive(plan) -> np.ndarray:
    f = plan.objects.features
    return realistic_drive(plan.units, f, plan.objects.categories, f, get_profile("paper").realism)


def test_the_axis_model_describes_axis_units_well_but_not_exactly(paper_plan):
    drive = _natural_drive(paper_plan)
    scaled = paper_plan.objects.features / np.sqrt((paper_plan.objects.features**2).sum(axis=0))
    design = np.c_[np.ones(500), scaled]
    axis = (paper_plan.units.unit_type == AXIS).to_numpy()
    fitted = design @ np.linalg.lstsq(design, drive[axis].T, rcond=None)[0]
    r2 = 1 - ((drive[axis].T - fitted) ** 2).sum(axis=0) / ((drive[axis].T - drive[axis].mean(axis=1)) ** 2).sum(axis=0)
    assert 0.3 < np.median(r2) < 0.9


def test_exemplar_units_respond_to_a_few_nearby_objects(paper_plan):
    drive = _natural_drive(paper_plan)
    exemplar = (paper_plan.units.unit_type == EXEMPLAR).to_numpy()
    strong = (drive[exemplar] > 0.5 * drive[exemplar].max(axis=1, keepdims=True)).sum(axis=1)
    assert np.median(strong) <= 10
    prototypes = paper_plan.units.prototype_id[exemplar].to_numpy() - 1
    assert np.mean(drive[exemplar].argmax(axis=1) == prototypes) > 0.5


def test_category_units_prefer_their_category(paper_plan):
    drive = _natural_drive(paper_plan)
    units = paper_plan.units
    for u in np.flatnonzero((units.unit_type == CATEGORY).to_numpy()):
        preferred = paper_plan.objects.categories == units.preferred_category.iloc[u]
        assert drive[u, preferred].mean() > 3 * drive[u, ~preferred].mean()


def test_the_closed_loop_orthogonal_direction_is_the_simulators_own_and_orthogonal(paper_plan):
    units = paper_plan.units.set_index("unit_id")
    for name, target in paper_plan.sessions.set_index("session_name").closed_loop_unit.items():
        if paper_plan.sessions.set_index("session_name").kind[name] != CLOSED_LOOP:
            continue
        stims = paper_plan.synthetic[paper_plan.synthetic.session_name == name]
        w = np.asarray(units.loc[target].axis_raw)
        pref = np.stack(stims[stims.axis == "preferred"].features)
        ortho = np.stack(stims[stims.axis == "orthogonal"].features)
        assert np.allclose(ortho @ w, 0.0, atol=1e-9)
        assert (pref @ w).max() > (paper_plan.objects.features @ w).max()


def test_imagery_sessions_plant_reactivation_only_in_axis_units(paper_plan):
    units = paper_plan.units
    assert units.reactivated.sum() > 0
    assert (units[units.reactivated].unit_type == AXIS).all()
    assert (units[units.reactivated].session_kind == IMAGERY).all()
    assert (units[~units.reactivated].imagery_gain == 0).all()


# --- marginals against the real recordings ------------------------------------------------------------

@pytest.fixture(scope="module")
def paper_sessions(paper_plan):
    """Every imagery session and every other screening/closed-loop session of the paper profile."""
    profile = get_profile("paper")
    kinds = paper_plan.sessions.set_index("session_name").kind
    names = list(kinds.index[kinds == IMAGERY]) + list(kinds.index[kinds != IMAGERY][::2])
    return [simulate_session(paper_plan, profile, n, PAPER_SEED) for n in names]


@pytest.mark.parametrize("statistic", list(m.REAL_MARGINALS))
def test_axis_tuned_units_match_the_real_recordings(paper_sessions, statistic):
    values = m.viewing_marginals(paper_sessions)[statistic]
    assert len(values) >= 150
    median, lower, upper = m.REAL_MARGINALS[statistic]
    assert values.median() == pytest.approx(median, rel=0.15)
    q25, q75 = values.quantile([0.25, 0.75])
    assert q25 < upper and q75 > lower  # the interquartile ranges overlap
    assert (q75 - q25) == pytest.approx(upper - lower, rel=0.5)


def test_imagery_is_a_noisy_weaker_copy_of_viewing_as_in_the_real_recordings(paper_sessions):
    summary = m.imagery_summary(m.imagery_marginals(paper_sessions))
    assert summary["n_units"] >= 30
    assert summary["spearman_pooled"] == pytest.approx(m.REAL_IMAGERY_SPEARMAN, abs=0.1)
    assert summary["positive_share"] == pytest.approx(m.REAL_IMAGERY_POSITIVE, abs=0.15)
    assert summary["ratio_median"] == pytest.approx(m.REAL_IMAGERY_RATIO, rel=0.15)


def test_the_idealised_cohort_does_not_match_the_real_recordings():
    """The targets can fail: the idealised cohort's axis units are too dense and too active."""
    profile = get_profile("paper", realism=IDEALISED)
    plan = plan_cohort(profile, PAPER_SEED)
    names = list(plan.sessions.session_name[plan.sessions.kind != IMAGERY][:4])
    values = m.viewing_marginals([simulate_session(plan, profile, n, PAPER_SEED) for n in names])
    assert values.mean_rate_hz.median() > 1.5 * m.REAL_MARGINALS["mean_rate_hz"][0]
    assert values.sparseness.median() < 0.75 * m.REAL_MARGINALS["sparseness"][0]


def test_the_truth_tables_record_unit_types_patient_effects_and_both_axes(ci_cohort):
    units = pd.read_parquet(ci_cohort / "truth" / "units.parquet")
    sessions = pd.read_parquet(ci_cohort / "truth" / "sessions.parquet")
    assert {"axis", "axis_raw", "patient_tuning_effect", "patient_imagery_effect", "unit_imagery_gain",
            "imagery_gain", "burst_probability", "drift_amplitude", "latency_s"} <= set(units.columns)
    assert set(units.unit_type) <= {AXIS, CATEGORY, EXEMPLAR, MIXED, NONE}
    assert {"patient_tuning_effect", "patient_imagery_effect"} <= set(sessions.columns)
    features = plan_cohort(get_profile("ci"), SEED).objects.features
    scaled = features / np.sqrt((features**2).sum(axis=0))
    for axis, raw in zip(units.axis, units.axis_raw, strict=True):
        # the normalised-space axis orders objects exactly as the raw axis does
        assert np.corrcoef(scaled @ np.asarray(axis), features @ np.asarray(raw))[0, 1] > 0.999999


def test_imagery_noise_is_what_loosens_imagery_from_viewing(paper_plan, paper_sessions):
    profile = get_profile("paper", realism=Realism(imagery_noise=0.0))
    kinds = paper_plan.sessions.set_index("session_name").kind
    exact = [simulate_session(paper_plan, profile, n, PAPER_SEED) for n in kinds.index[kinds == IMAGERY]]
    noisy = m.imagery_summary(m.imagery_marginals(paper_sessions))["spearman_pooled"]
    assert m.imagery_summary(m.imagery_marginals(exact))["spearman_pooled"] > noisy + 0.08


@pytest.mark.parametrize("name", ["softplus", "exponential", "linear"])
def test_every_nonlinearity_gives_a_nonnegative_drive_with_the_planted_mean(paper_plan, name):
    units = paper_plan.units[paper_plan.units.unit_type == AXIS].head(40)
    f = paper_plan.objects.features
    drive = realistic_drive(units, f, paper_plan.objects.categories, f, Realism(tuning_nonlinearity=name))
    assert (drive >= 0).all()
    uncapped = drive.max(axis=1) < 100.0 - 1e-9
    assert uncapped.sum() >= 10
    assert np.allclose(drive[uncapped].mean(axis=1), units.evoked_hz.to_numpy()[uncapped])


def test_an_unknown_nonlinearity_is_refused():
    with pytest.raises(ValueError, match="tuning_nonlinearity"):
        Realism(tuning_nonlinearity="sigmoid")


def test_the_simulated_summary_table_has_one_row_per_axis_unit_and_imagined_object_in_the_released_schema(
        tmp_path):
    from vtc_imagery.models import read_imagery_table
    from vtc_imagery.simulate.summary_table import imagery_summary_table

    profile = get_profile("calibration", realism=Realism())
    table = imagery_summary_table(profile, 7)
    truth = plan_cohort(profile, 7)
    axis_units = truth.units[(truth.units.area == "VTC") & (truth.units.unit_type == "axis")
                             & (truth.units.session_kind == "imagery")]
    imagined = truth.sessions.set_index("session_name").imagined_ids
    assert len(table) == sum(len(imagined[s]) for s in axis_units.session_name)
    assert set(table.unit) == set(axis_units.unit_id)
    table.to_csv(tmp_path / "table.csv", index=False)
    read = read_imagery_table(str(tmp_path / "table.csv"))  # what a user's released table goes through
    assert len(read) == len(table) and (read.viewing_rate >= 0).all() and (read.imagery_rate >= 0).all()
    # the projections are on the planted axis: viewing rises along it over the imagined objects
    pooled = table.groupby("unit")[["viewing_rate", "preferred_projection"]].corr(method="spearman")
    assert pooled.xs("viewing_rate", level=1).preferred_projection.median() > 0.3
