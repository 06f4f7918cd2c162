"""The cohort plan: who is recorded where, what each unit is tuned to, and what each imagery
session asks patients to imagine. Everything random about the cohort (as opposed to the spikes
of one session) is drawn here, from one seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..axis import orthogonal_axis
from ..categories import CATEGORIES
from .objects import ObjectSpace, scale_features, simulate_object_space
from .profiles import CLOSED_LOOP, IMAGERY, CohortProfile, SessionPlan

AXIS, EXEMPLAR, CATEGORY, RANDOM, NONE = "axis", "exemplar", "category", "random", "none"
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


def plan_cohort(profile: CohortProfile, seed: int) -> CohortPlan:
    """Draw the object space, every unit's type and tuning, and the imagery/closed-loop designs."""
    rng = np.random.default_rng([seed, 0])
    objects = simulate_object_space(rng, profile.n_features, profile.n_database)
    plans = profile.sessions()
    units = _plan_units(rng, profile, plans)
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
            row["closed_loop_unit"], stims = _plan_closed_loop(here, objects, x)
            synthetic.append(stims.assign(session_name=plan.name))
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
    ortho = orthogonal_axis(w, objects.features)  # the scaled and standardised spaces share directions
    edge = 1.5 * np.abs(x @ w).max()
    steps = np.linspace(-edge, edge, N_SYNTHETIC_STEPS)
    norms = np.sqrt((objects.features**2).sum(axis=0)) / np.sqrt(len(objects.features))
    rows = []
    for a, (name, direction) in enumerate((("preferred", w), ("orthogonal", ortho))):
        for s, step in enumerate(steps):
            rows.append(dict(stim_id=SYNTHETIC_ID_BASE + a * N_SYNTHETIC_STEPS + s + 1, axis=name,
                             step=float(step), features=list(step * direction * norms)))
    return str(target.unit_id), pd.DataFrame(rows)
