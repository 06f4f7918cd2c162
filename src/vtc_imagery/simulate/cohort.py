"""The cohort plan: who is recorded where, what each unit is tuned to, and what each imagery
session asks patients to imagine. Everything random about the cohort (as opposed to the spikes
of one session) is drawn here, from one seed.

Truth table `units` (one row per unit; SIMULATED ground truth):
  unit_id, session_name, subject, session, session_kind, unit_index, area, hemisphere, location,
  bundle, electrode: where the unit was recorded.
  unit_type: axis | category | exemplar | mixed (category plus exemplar; realistic cohort only) |
    random (null_tuning) | none (not responsive); a category_only profile makes every responsive VTC
    unit category. Units outside VTC: exemplar or none.
  baseline_hz: spontaneous rate; latency_s: planted response latency (mean over trials).
  peak_hz: largest drive above baseline over the 500 objects (Hz, at the response's transient).
  axis: planted axis, unit norm, as a direction in the per-dimension-normalised feature space
    (each feature dimension divided by its L2 norm over the 500 objects; the paper's convention),
    so that projecting normalised features on it orders objects as the unit's axis drive does.
  reactivated: the unit fires during imagery with the pattern of viewing; imagery_gain: its gain
    (patient effect x unit gain in the realistic cohort, 0 when not reactivated); imagery_tau_s.
  prototype_id, exemplar_width, preferred_category, tuning_seed, offset: tuning parameters.
Realistic cohort only (simulation.realism true; the idealised cohort has none of these):
  axis_raw: the planted axis in the unscaled object features (where tuning is planted).
  axis_weight, category_weight, exemplar_weight: weights of the three drive components;
  threshold, slope: the nonlinearity's operating point; evoked_hz: mean drive over the 500 objects;
  patient_tuning_effect, patient_imagery_effect: per-patient factors on evoked_hz and imagery gain;
  patient_imagery_fidelity: per-patient weight of the viewing pattern in imagery (1: imagery follows
    viewing; 0: imagery at the unit's mean viewing drive whatever the object; negative: reversed);
  unit_imagery_gain: the unit's own share of imagery_gain; burst_probability, drift_amplitude.
Truth table `sessions` adds per-session design: imagined_ids, pairs, closed_loop_unit, and (realistic
cohort) the patient's two effects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ..categories import CATEGORIES
from .objects import ObjectSpace, scale_features, simulate_object_space
from .profiles import CLOSED_LOOP, IMAGERY, CohortProfile, SessionPlan
from .realism import Realism, nonlinearity

AXIS, EXEMPLAR, CATEGORY, MIXED, RANDOM, NONE = "axis", "exemplar", "category", "mixed", "random", "none"
VTC_LOCATIONS = {"L": "ventral_temporal_cortex_left", "R": "ventral_temporal_cortex_right"}
OTHER_AREAS = ("hippocampus", "amygdala")
N_SYNTHETIC_STEPS = 10  # per axis, as in the closed-loop 'PrefandOrtho' layout
SYNTHETIC_ID_BASE = 1000  # synthetic stimuli get stim_id 1001, 1002, ...


@dataclass(frozen=True)
class CohortPlan:
    objects: ObjectSpace
    units: pd.DataFrame  # one row per unit: area, type and tuning parameters (the truth)
    sessions: pd.DataFrame  # one row per session: kind, imagined objects, closed-loop target
    synthetic: pd.DataFrame  # one row per synthetic stimulus: session, stim_id, axis, step, features


# One BLAS thread: a product's last bit can depend on the thread count, and a spike time or a planted
# width computed from it would then differ between a 1-core and a 2-core run (seen on one spike).
@threadpool_limits.wrap(limits=1)
def plan_cohort(profile: CohortProfile, seed: int) -> CohortPlan:
    """Draw the object space, every unit's type and tuning, and the imagery/closed-loop designs."""
    rng = np.random.default_rng([seed, 0])
    objects = simulate_object_space(rng, profile.n_features, profile.n_database)
    plans = profile.sessions()
    units = _plan_units(rng, profile, plans)
    # The realistic cohort draws from its own stream, so the idealised cohort stays bit-identical.
    realistic = np.random.default_rng([seed, 3])
    if profile.realism.enabled:
        units = plan_realistic_units(realistic, units, objects, profile.realism, profile.category_only)
    x = standardised_features(objects.features, objects.features)
    subjects = {p.subject: (int(rng.integers(18, 66)), str(rng.choice(["M", "F"]))) for p in plans}
    sessions, synthetic = [], []
    for plan in plans:
        here = units[units.session_name == plan.name]
        age, sex = subjects[plan.subject]
        row = dict(session_name=plan.name, subject=plan.subject, session=plan.session, kind=plan.kind,
                   age_years=age, sex=sex,
                   n_vtc_units=plan.n_vtc_units, n_other_units=plan.n_other_units,
                   imagined_ids=[], pairs=[], closed_loop_unit="")
        if plan.kind == IMAGERY:
            row["imagined_ids"], row["pairs"] = _plan_imagery(rng, plan, here, x)
        if plan.kind == CLOSED_LOOP:
            row["closed_loop_unit"], stims = (_plan_closed_loop_realistic(realistic, here, objects)
                                              if profile.realism.enabled else _plan_closed_loop(here, objects, x))
            synthetic.append(stims.assign(session_name=plan.name))
        if profile.realism.enabled:
            first = here.iloc[0] if len(here) else units[units.subject == plan.subject].iloc[0]
            row["patient_tuning_effect"] = float(first.patient_tuning_effect)
            row["patient_imagery_effect"] = float(first.patient_imagery_effect)
        sessions.append(row)
    synth = (pd.concat(synthetic, ignore_index=True) if synthetic
             else pd.DataFrame(columns=["session_name", "stim_id", "axis", "step", "features"]))
    return CohortPlan(objects, units, pd.DataFrame(sessions), synth)


def standardised_features(features: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Features scaled per dimension to unit L2 norm over the 500 objects, times sqrt(500).

    A unit-norm axis then gives projections of roughly unit variance over the screening set.
    """
    return scale_features(features, reference) * np.sqrt(len(reference))


def _plan_units(rng: np.random.Generator, profile: CohortProfile, plans: list[SessionPlan]) -> pd.DataFrame:
    rows = []
    for plan in plans:
        hemis = rng.permutation(["L", "R"])[: rng.integers(1, 3)]
        others = [(a, h) for a in OTHER_AREAS for h in "LR"]
        other = [others[i] for i in rng.choice(len(others), size=rng.integers(1, 3), replace=False)]
        # Bundles of 8 microwires; electrode rows are numbered bundle by bundle.
        bundles = [("VTC", h, VTC_LOCATIONS[h]) for h in hemis] + [(a, h, f"{a}_{'left' if h == 'L' else 'right'}")
                                                                   for a, h in other]
        for k in range(plan.n_vtc_units + plan.n_other_units):
            is_vtc = k < plan.n_vtc_units
            choices = [b for b in range(len(bundles)) if (bundles[b][0] == "VTC") == is_vtc]
            b = int(rng.choice(choices))
            rows.append(dict(session_name=plan.name, subject=plan.subject, session=plan.session,
                             session_kind=plan.kind, unit_index=k, area=bundles[b][0],
                             hemisphere=bundles[b][1], location=bundles[b][2], bundle=b,
                             electrode=8 * b + int(rng.integers(0, 8)),
                             bundle_locations=[bb[2] for bb in bundles]))
    units = pd.DataFrame(rows)
    units.insert(0, "unit_id", units.session_name + "_unit-" + units.unit_index.map("{:03d}".format))
    n = len(units)
    vtc = (units.area == "VTC").to_numpy()
    n_vtc = int(vtc.sum())
    n_axis = round(profile.axis_tuned_fraction * n_vtc)
    n_other = round(profile.other_responsive_fraction * n_vtc)
    vtc_types = np.array([AXIS] * n_axis + [EXEMPLAR] * (n_other // 2) + [CATEGORY] * (n_other - n_other // 2)
                         + [NONE] * (n_vtc - n_axis - n_other))
    types = np.full(n, NONE, dtype=object)
    types[vtc] = rng.permutation(vtc_types)
    # Outside VTC a quarter of the units are sparse, concept-cell-like responders, so the area filter matters.
    outside = np.flatnonzero(~vtc)
    types[rng.choice(outside, size=len(outside) // 4, replace=False)] = EXEMPLAR
    if profile.null_tuning:
        # A cohort with no tuning at all: responsive units respond to each image at random,
        # independently of its features, so every call of axis tuning is a false positive.
        types[vtc & (types != NONE)] = RANDOM
    if profile.category_only:
        types[vtc & (types != NONE)] = CATEGORY
    units["unit_type"] = types.astype(str)
    units["baseline_hz"] = np.clip(rng.lognormal(np.log(3.0), 0.8, n), 0.3, 20.0)
    units["latency_s"] = np.clip(rng.normal(0.160, 0.025, n), 0.110, 0.230)
    units["peak_hz"] = np.where(units.unit_type == NONE, 0.0, np.clip(rng.lognormal(np.log(25.0), 0.5, n), 8, 90))
    axes = rng.normal(size=(n, profile.n_features)) / np.arange(1, profile.n_features + 1) ** 0.25
    units["axis"] = list(axes / np.linalg.norm(axes, axis=1, keepdims=True))
    units["offset"] = rng.uniform(0.0, 1.0, n)
    units["prototype_id"] = rng.integers(1, 501, n)
    units["exemplar_width"] = rng.uniform(3.0, 4.5, n)
    units["preferred_category"] = rng.choice(np.array(CATEGORIES), n)
    units["tuning_seed"] = rng.integers(0, 2**31, n)
    candidates = np.flatnonzero((units.unit_type == AXIS) & (units.session_kind == IMAGERY))
    reactivated = np.zeros(n, dtype=bool)
    reactivated[rng.choice(candidates, size=round(profile.reactivated_fraction * len(candidates)),
                           replace=False)] = True
    units["reactivated"] = reactivated
    units["imagery_gain"] = np.where(reactivated, rng.uniform(0.3, 0.7, n), 0.0)
    units["imagery_tau_s"] = rng.uniform(2.0, 6.0, n)
    units["waveform_amplitude_uv"] = rng.uniform(40, 150, n)
    return units


def visual_drive(units: pd.DataFrame, x: np.ndarray, categories: np.ndarray,
                 natural_x: np.ndarray) -> np.ndarray:
    """Rate above baseline (Hz) of each unit to each stimulus: shape (n_units, n_stimuli).

    `x` holds the stimuli's standardised features (n_stimuli, n_features) and `categories` their
    category names (synthetic stimuli have none); `natural_x` the 500 screening objects', where
    exemplar units have their prototype. Axis units: a rectified linear function of the projection
    onto their axis, scaled so that about the best natural object drives `peak_hz`.
    """
    drive = np.zeros((len(units), len(x)))
    for i, u in enumerate(units.itertuples()):
        if u.unit_type == AXIS:
            # Scale so that projection 3 (about the best of 500 natural objects) gives peak_hz.
            drive[i] = u.peak_hz * np.maximum(0.0, u.offset + x @ u.axis) / (u.offset + 3.0)
        elif u.unit_type == EXEMPLAR:
            d2 = ((x - natural_x[u.prototype_id - 1]) ** 2).sum(axis=1)
            drive[i] = u.peak_hz * np.exp(-d2 / (2 * u.exemplar_width**2))
        elif u.unit_type == CATEGORY:
            jitter = np.random.default_rng(u.tuning_seed).uniform(0.6, 1.0, len(x))
            drive[i] = u.peak_hz * (categories == u.preferred_category) * jitter
        elif u.unit_type == RANDOM:
            drive[i] = u.peak_hz * np.random.default_rng(u.tuning_seed).random(len(x)) ** 2
    return drive


def _plan_imagery(rng: np.random.Generator, plan: SessionPlan, units: pd.DataFrame,
                  x: np.ndarray) -> tuple[list[int], list[tuple[int, int]]]:
    """Imagined objects spread along one tuned unit's axis (as the experimenters chose them from a
    cell's preferred x orthogonal scatter), paired so that each object is cued in two trials."""
    tuned = units[units.unit_type == AXIS]
    axis = tuned.iloc[0].axis if len(tuned) else rng.normal(size=x.shape[1])
    order = np.argsort(x @ axis)
    quantiles = (np.arange(plan.n_imagined) + rng.uniform(0.2, 0.8, plan.n_imagined)) / plan.n_imagined
    picks = order[np.minimum((quantiles * len(order)).astype(int), len(order) - 1)]
    ids = sorted(int(i) + 1 for i in picks)
    cycle = [ids[i] for i in rng.permutation(len(ids))]
    pairs = [(cycle[i], cycle[(i + 1) % len(cycle)]) for i in range(len(cycle))]
    pairs = [pairs[i] for i in rng.permutation(len(pairs))]
    return ids, pairs


def _plan_closed_loop(units: pd.DataFrame, objects: ObjectSpace, x: np.ndarray) -> tuple[str, pd.DataFrame]:
    """Synthetic stimuli stepped along the strongest tuned unit's preferred axis and along the
    principal orthogonal axis, out to 1.5 times the natural range."""
    tuned = units[units.unit_type == AXIS]
    target = tuned.loc[tuned.peak_hz.idxmax()] if len(tuned) else units.iloc[0]
    w = np.asarray(target.axis)
    ortho = principal_orthogonal_direction(w, objects.features)
    edge = 1.5 * np.abs(x @ w).max()
    steps = np.linspace(-edge, edge, N_SYNTHETIC_STEPS)
    norms = np.sqrt((objects.features**2).sum(axis=0)) / np.sqrt(len(objects.features))
    rows = []
    for a, (name, direction) in enumerate((("preferred", w), ("orthogonal", ortho))):
        for s, step in enumerate(steps):
            rows.append(dict(stim_id=SYNTHETIC_ID_BASE + a * N_SYNTHETIC_STEPS + s + 1, axis=name,
                             step=float(step), features=list(step * direction * norms)))
    return str(target.unit_id), pd.DataFrame(rows)


def principal_orthogonal_direction(axis: np.ndarray, features: np.ndarray) -> np.ndarray:
    """First principal direction of the features once `axis` is removed (unit norm, (n_features,)).

    `axis` and the result are directions in the per-dimension-normalised space; the PCA is done in
    the unscaled space, where the dimensions keep their variance (normalised, every direction has
    the same variance). The idealised cohort's closed-loop design, written here rather than imported
    from the analysis (axis.orthogonal_axis) because the simulator must not share code with what it tests.
    """
    norms = np.sqrt((features**2).sum(axis=0))
    norms = np.where(norms == 0, 1.0, norms)
    u = axis / norms
    u = u / np.linalg.norm(u)
    residual = features - np.outer(features @ u, u)
    residual = residual - residual.mean(axis=0)
    _, _, vt = np.linalg.svd(residual, full_matrices=False)
    v = vt[0]
    v = v * np.sign(v[np.abs(v).argmax()] or 1.0)  # deterministic sign: largest loading positive
    direction = v * norms
    return direction / np.linalg.norm(direction)


# Marginals of the realistic cohort, set so that its axis-tuned VTC units match the study's
# released recordings (see tests/test_simulator_realism.py for the measured values).
LATENCY_FLOOR_S, LATENCY_EXCESS_S, LATENCY_LOG_SD = 0.110, 0.049, 0.44  # median 159 ms, IQR ~147-177
BASELINE_HZ, BASELINE_LOG_SD = 0.9, 1.0
EVOKED_HZ, EVOKED_LOG_SD = 1.6, 0.8  # mean drive over the 500 objects, before the patient effect
SLOPE_RANGE, THRESHOLD_RANGE = (1.5, 3.0), (0.4, 1.2)
UNIT_IMAGERY_GAIN_RANGE = (0.6, 1.15)
CATEGORY_ONLY_WEIGHT, EXEMPLAR_WEIGHT, NON_AXIS_THRESHOLD_SHIFT = 2.5, 3.0, 1.0
MAX_PEAK_HZ = 100.0  # the largest drive of any natural object
EXEMPLAR_NEIGHBOURS = (2, 9)  # exemplar units respond to their prototype and its 2-8 nearest objects


def normalised_direction(raw_axis: np.ndarray, features: np.ndarray) -> np.ndarray:
    """The direction in the per-dimension-normalised space whose projections equal (up to a positive
    factor) projections on `raw_axis` (n_units, n_features) in the unscaled space: norms * raw_axis."""
    d = raw_axis * np.sqrt((features**2).sum(axis=0))
    return d / np.linalg.norm(d, axis=-1, keepdims=True)


def plan_realistic_units(rng: np.random.Generator, units: pd.DataFrame, objects: ObjectSpace,
                         realism: Realism, category_only: bool = False) -> pd.DataFrame:
    """Redraw the idealised plan's tuning with the realistic cohort's marginals, unit types and
    per-patient effects (see the module docstring for the columns); with `category_only`, every
    responsive VTC unit without an axis keeps the category type."""
    units = units.copy()
    n = len(units)
    features = objects.features
    types = units.unit_type.to_numpy().astype(object)
    vtc = (units.area == "VTC").to_numpy()
    other = np.flatnonzero(vtc & np.isin(types, [EXEMPLAR, CATEGORY]))
    types[other] = rng.permutation(np.resize(np.array([EXEMPLAR, CATEGORY, MIXED]), len(other)))
    if category_only:  # after the draw, so that the rest of the plan's stream is as without it
        types[other] = CATEGORY
    units["unit_type"] = types.astype(str)
    subjects = np.array(sorted(units.subject.unique(), key=int))
    tuning_effect = np.exp(rng.normal(0.0, realism.patient_tuning_sd, len(subjects)))
    imagery_effect = np.exp(rng.normal(0.0, realism.patient_imagery_sd, len(subjects)))
    units["patient_tuning_effect"] = units.subject.map(dict(zip(subjects, tuning_effect, strict=True)))
    units["patient_imagery_effect"] = units.subject.map(dict(zip(subjects, imagery_effect, strict=True)))
    units["baseline_hz"] = np.clip(rng.lognormal(np.log(BASELINE_HZ), BASELINE_LOG_SD, n), 0.1, 20.0)
    units["latency_s"] = np.minimum(
        LATENCY_FLOOR_S + LATENCY_EXCESS_S * rng.lognormal(0.0, LATENCY_LOG_SD, n), 0.35)
    responsive = units.unit_type != NONE
    units["evoked_hz"] = np.where(responsive, rng.lognormal(np.log(EVOKED_HZ), EVOKED_LOG_SD, n)
                                  * units.patient_tuning_effect, 0.0)
    raw = rng.normal(size=(n, features.shape[1]))
    raw /= np.linalg.norm(raw, axis=1, keepdims=True)
    units["axis_raw"] = list(raw)
    units["axis"] = list(normalised_direction(raw, features))
    is_type = {t: (units.unit_type == t).to_numpy() for t in (AXIS, CATEGORY, EXEMPLAR, MIXED)}
    units["axis_weight"] = is_type[AXIS].astype(float)
    units["category_weight"] = np.select(
        [is_type[AXIS], is_type[CATEGORY] | is_type[MIXED]],
        [realism.category_weight * rng.uniform(0.0, 2.0, n), np.full(n, CATEGORY_ONLY_WEIGHT)], 0.0)
    units["exemplar_weight"] = np.where(is_type[EXEMPLAR] | is_type[MIXED], EXEMPLAR_WEIGHT, 0.0)
    units["slope"] = rng.uniform(*SLOPE_RANGE, n)
    # Units without an axis term sit further below threshold, so that only their category or
    # exemplar term (not the object noise) drives them.
    units["threshold"] = rng.uniform(*THRESHOLD_RANGE, n) + np.where(is_type[AXIS], 0.0, NON_AXIS_THRESHOLD_SHIFT)
    neighbours = rng.integers(*EXEMPLAR_NEIGHBOURS, n)
    prototypes = features[units.prototype_id.to_numpy() - 1]
    d2 = (prototypes**2).sum(axis=1)[:, None] + (features**2).sum(axis=1)[None, :] - 2 * prototypes @ features.T
    distances = np.sqrt(np.sort(np.maximum(d2, 0.0), axis=1))  # column 0: the prototype itself
    units["exemplar_width"] = distances[np.arange(n), neighbours]
    units["unit_imagery_gain"] = np.where(units.reactivated, rng.uniform(*UNIT_IMAGERY_GAIN_RANGE, n), 0.0)
    units["imagery_gain"] = units.unit_imagery_gain * units.patient_imagery_effect
    units["burst_probability"] = (np.minimum(rng.gamma(2.0, realism.burst_probability / 2.0, n), 0.3)
                                  if realism.burst_probability > 0 else 0.0)
    units["drift_amplitude"] = realism.drift_amplitude * rng.uniform(0.5, 1.0, n)
    drive = realistic_drive(units, features, objects.categories, features, realism)
    units["peak_hz"] = drive.max(axis=1)
    fidelity = realism.imagery_fidelity + realism.patient_fidelity_sd * rng.standard_normal(len(subjects))
    units["patient_imagery_fidelity"] = units.subject.map(dict(zip(subjects, fidelity, strict=True)))
    return units


def realistic_drive(units: pd.DataFrame, features: np.ndarray, categories: np.ndarray, natural: np.ndarray,
                    realism: Realism) -> np.ndarray:
    """Rate above baseline (Hz) of each unit to each stimulus at the response's transient:
    shape (n_units, n_stimuli).

    `features` (n_stimuli, n_features) are unscaled object features whose first rows are the
    500 screening objects `natural` (synthetic stimuli follow); `categories` their category names.
    Drive = evoked_hz * g(slope * pre) / mean over the natural objects of g(slope * pre) (scaled down
    if needed so that no natural object drives more than MAX_PEAK_HZ), with g the
    nonlinearity and pre = axis_weight * z + category_weight * [preferred category]
    + exemplar_weight * exp(-d^2 / 2 width^2) + object noise - threshold, where z is the projection
    on axis_raw standardised over the natural objects and d the distance to the prototype.
    So the linear axis model describes axis units well but not exactly.
    """
    n_natural = len(natural)
    drive = np.zeros((len(units), len(features)))
    for i, u in enumerate(units.itertuples()):
        if u.unit_type == NONE:
            continue
        noise_rng = np.random.default_rng(u.tuning_seed)
        # Natural objects' noise first, so it does not depend on how many synthetic stimuli follow.
        eps = np.r_[noise_rng.normal(size=n_natural), noise_rng.normal(size=len(features) - n_natural)]
        pre = (1.0 if u.unit_type == RANDOM else realism.object_noise) * eps - u.threshold
        if u.axis_weight:
            on_axis = natural @ u.axis_raw
            pre = pre + u.axis_weight * (features @ u.axis_raw - on_axis.mean()) / on_axis.std()
        if u.category_weight:
            pre = pre + u.category_weight * (categories == u.preferred_category)
        if u.exemplar_weight:
            d2 = ((features - natural[u.prototype_id - 1]) ** 2).sum(axis=1)
            pre = pre + u.exemplar_weight * np.exp(-d2 / (2 * u.exemplar_width**2))
        g = nonlinearity(realism.tuning_nonlinearity, u.slope * pre)
        # Sparse units (exemplar-like) would need absurd peaks to reach their mean: cap the peak.
        scale = min(u.evoked_hz / max(g[:n_natural].mean(), 1e-12), MAX_PEAK_HZ / max(g[:n_natural].max(), 1e-12))
        drive[i] = scale * g
    return drive


def _plan_closed_loop_realistic(rng: np.random.Generator, units: pd.DataFrame,
                                objects: ObjectSpace) -> tuple[str, pd.DataFrame]:
    """Synthetic stimuli stepped along the strongest tuned unit's axis and along a random direction
    orthogonal to it, out to 1.5 times each direction's natural range; `step` is the projection on
    the direction.

    Both directions are taken in the per-dimension-normalised space, as the real experiment made its
    stimuli along the axis estimated in that space (the paper's convention), then written back as
    unscaled features: stepping along the unit's `axis` raises its planted drive fastest per unit of
    normalised distance, and the orthogonal direction leaves the drive unchanged (its unscaled
    features are orthogonal to `axis_raw`)."""
    tuned = units[units.unit_type == AXIS]
    target = tuned.loc[tuned.peak_hz.idxmax()] if len(tuned) else units.iloc[0]
    norms = np.sqrt((objects.features**2).sum(axis=0))
    scaled = objects.features / norms
    w = np.asarray(target.axis)
    # Drawn with the normalised features' own spread, so the orthogonal direction lives where objects vary.
    v = rng.normal(size=len(w)) * scaled.std(axis=0)
    v -= (v @ w) * w
    v /= np.linalg.norm(v)
    rows = []
    for a, (name, direction) in enumerate((("preferred", w), ("orthogonal", v))):
        edge = 1.5 * np.abs(scaled @ direction).max()
        for s, step in enumerate(np.linspace(-edge, edge, N_SYNTHETIC_STEPS)):
            rows.append(dict(stim_id=SYNTHETIC_ID_BASE + a * N_SYNTHETIC_STEPS + s + 1, axis=name,
                             step=float(step), features=list(step * direction * norms)))
    return str(target.unit_id), pd.DataFrame(rows)
