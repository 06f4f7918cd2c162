"""One session of the virtual cohort: the trial schedule and every unit's spike train.

Idealised cohort: spikes come from an inhomogeneous Poisson process with a piecewise-constant rate
(baseline plus additive response segments; superposition keeps it Poisson) followed by a
refractory dead time.

Realistic cohort: the rate is the same kind of piecewise-constant sum, but the baseline drifts
slowly, every response is scaled by a gamma gain per trial, and imagery follows a noisy, weaker
copy of the viewing drive. Spikes come from a gamma renewal process by time rescaling (intervals of
unit mean in the integrated rate), some spikes start bursts of 2-4, and an absolute refractory
period removes spikes that follow another too closely.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ..nwb.write import SessionRecord
from .cohort import CohortPlan, realistic_drive, standardised_features, visual_drive
from .profiles import CLOSED_LOOP, IMAGERY, CohortProfile
from .realism import Realism, gamma_gain, smooth_drift

SAMPLING_RATE_HZ = 32_000.0  # Neuralynx ATLAS; spike times sit on this grid
REFRACTORY_S = 0.002
MAX_RATE_HZ = 200.0
ENCODING_ON_S, ENCODING_OFF_S = 1.0, 0.5
DISTRACTOR_S = 10.0
IMAGERY_S, CUES_PER_OBJECT_PER_TRIAL = 5.0, 4
IMAGERY_SEGMENT_S = 0.25  # imagery rate changes every 250 ms
TRANSIENT_S, SUSTAINED_FRACTION = 0.12, 0.4  # shape of a visual response
DRIFT_BIN_S = 5.0  # the drifting baseline is constant within bins of this length


@dataclass(frozen=True)
class SessionData:
    trials: pd.DataFrame  # start_time, stop_time, stim_id, stim_category, stim_phase, block, cue, pairing
    spike_times: list[np.ndarray]  # one strictly ascending array (s) per unit, in unit_index order
    units: pd.DataFrame  # the plan's rows for this session's units
    duration_s: float


def trial_schedule(rng: np.random.Generator, profile: CohortProfile, kind: str, imagined_pairs: list,
                   synthetic_ids: np.ndarray, categories: np.ndarray) -> pd.DataFrame:
    """Trials of one session in time order. Screening: 500 objects x repetitions in random order
    per block; closed loop: then the synthetic stimuli; imagery: then per recall trial the encoding
    of its pair, a distractor, and eight cues alternating ABABABAB."""
    rows: list[dict] = []
    t = 5.0

    def show(stim_ids: np.ndarray, phase: str, block: int, on: float, off: float) -> None:
        nonlocal t
        for sid in stim_ids:
            dur = on + rng.normal(0.0, 0.001)
            cat = categories[sid - 1] if sid <= len(categories) else "synthetic"
            rows.append(dict(start_time=t, stop_time=t + dur, stim_id=int(sid), stim_category=cat,
                             stim_phase=phase, block=block, cue=0, pairing=-1))
            t += dur + off + rng.uniform(0.0, 0.02)

    for block in range(profile.n_repetitions):
        show(rng.permutation(len(categories)) + 1, "screening", block, profile.stim_on_s, profile.stim_off_s)
    if kind == CLOSED_LOOP:
        for block in range(profile.n_repetitions):
            show(rng.permutation(synthetic_ids), "synthetic", block, profile.stim_on_s, profile.stim_off_s)
    if kind == IMAGERY:
        t += 60.0
        for k, (a, b) in enumerate(imagined_pairs):
            n_before = len(rows)
            show(np.array([a, b, a, b]), "encoding", k, ENCODING_ON_S, ENCODING_OFF_S)
            rows.append(dict(start_time=t, stop_time=t + DISTRACTOR_S, stim_id=0, stim_category="none",
                             stim_phase="distractor", block=k, cue=0, pairing=-1))
            t += DISTRACTOR_S + 2.0
            for c in range(2 * CUES_PER_OBJECT_PER_TRIAL):
                sid, tone = (a, 1) if c % 2 == 0 else (b, 2)
                rows.append(dict(start_time=t, stop_time=t + IMAGERY_S, stim_id=int(sid),
                                 stim_category=categories[sid - 1], stim_phase="imagery", block=k,
                                 cue=tone, pairing=-1))
                t += IMAGERY_S + 1.5 + rng.uniform(0.0, 0.5)
            for row in rows[n_before:]:
                row["pairing"] = k
            t += 5.0
    trials = pd.DataFrame(rows)
    return trials.astype({"stim_id": "int64", "block": "int64", "cue": "int64", "pairing": "int64"})


@threadpool_limits.wrap(limits=1)  # the same spikes whatever the BLAS threads (see plan_cohort)
def simulate_session(plan: CohortPlan, profile: CohortProfile, session_name: str, seed: int) -> SessionData:
    """Trials and spikes of one session; `seed` and the session's position fix the random stream."""
    order = list(plan.sessions.session_name).index(session_name)
    rng = np.random.default_rng([seed, 1, order])
    srow = plan.sessions.iloc[order]
    units = plan.units[plan.units.session_name == session_name].reset_index(drop=True)
    synth = plan.synthetic[plan.synthetic.session_name == session_name]
    trials = trial_schedule(rng, profile, srow.kind, list(srow.pairs), synth.stim_id.to_numpy(),
                            plan.objects.categories)

    if profile.realism.enabled:
        return _simulate_realistic(rng, plan, profile.realism, units, trials, synth)
    natural_x = standardised_features(plan.objects.features, plan.objects.features)
    stim_x = natural_x
    stim_categories = plan.objects.categories
    if len(synth):
        stim_x = np.vstack([natural_x, standardised_features(np.stack(synth.features), plan.objects.features)])
        stim_categories = np.r_[stim_categories, np.full(len(synth), "synthetic")]
    drive = visual_drive(units, stim_x, stim_categories, natural_x)  # (n_units, n_stimuli)
    column = {sid: i for i, sid in enumerate(np.r_[np.arange(1, 501), synth.stim_id.to_numpy()])}

    duration = float(trials.stop_time.max() + 5.0)
    segments = _response_segments(rng, trials, units, drive, column)
    spikes = _poisson_spikes(rng, units.baseline_hz.to_numpy(), duration, *segments)
    return SessionData(trials=trials, spike_times=spikes, units=units, duration_s=duration)


def _simulate_realistic(rng: np.random.Generator, plan: CohortPlan, realism: Realism, units: pd.DataFrame,
                        trials: pd.DataFrame, synth: pd.DataFrame) -> SessionData:
    """Spikes of one session of the realistic cohort (see the module docstring)."""
    natural = plan.objects.features
    features, categories = natural, plan.objects.categories
    if len(synth):
        features = np.vstack([natural, np.stack(synth.features)])
        categories = np.r_[categories, np.full(len(synth), "synthetic")]
    drive = realistic_drive(units, features, categories, natural, realism)  # (n_units, n_stimuli)
    column = {sid: i for i, sid in enumerate(np.r_[np.arange(1, len(natural) + 1), synth.stim_id.to_numpy()])}
    duration = float(trials.stop_time.max() + 5.0)
    drift = _Drift(int(rng.integers(2**32)), units.drift_amplitude.to_numpy(), duration)
    segments = [_drifting_baseline(units.baseline_hz.to_numpy(), drift),
                _visual_segments(rng, trials, units, drive, column, realism, drift),
                _imagery_segments(rng, trials, units, drive, column, len(natural), realism, drift)]
    starts, durs, owner, rate = (np.concatenate(parts) for parts in zip(*segments, strict=True))
    spikes = renewal_spikes(rng, len(units), duration, starts, durs, owner, rate, realism,
                            units.burst_probability.to_numpy())
    return SessionData(trials=trials, spike_times=spikes, units=units, duration_s=duration)


@dataclass(frozen=True)
class _Drift:
    """Each unit's slow multiplicative rate drift over a session, evaluated at any times."""

    seed: int
    amplitude: np.ndarray  # (n_units,) largest fractional excursion
    duration: float  # s

    def at(self, times: np.ndarray) -> np.ndarray:
        """Drift factor (n_units, n_times) at `times` (s); the same phases at every call."""
        return smooth_drift(np.random.default_rng(self.seed), self.amplitude, np.asarray(times, float),
                            self.duration)


Segments = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # start s, duration s, unit, rate Hz


def _response_segments(rng: np.random.Generator, trials: pd.DataFrame, units: pd.DataFrame, drive: np.ndarray,
                       column: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Response segments of all units: (start s, duration s, unit position, rate above baseline Hz),
    each of shape (n_segments,)."""
    visual = trials[trials.stim_phase.isin(["screening", "synthetic", "encoding"])]
    cols = np.array([column[s] for s in visual.stim_id])
    lat = units.latency_s.to_numpy()[:, None] + rng.normal(0.0, 0.010, (len(units), len(visual)))
    onset = visual.start_time.to_numpy()[None, :] + lat
    duration = np.broadcast_to((visual.stop_time - visual.start_time).to_numpy()[None, :], onset.shape)
    # A transient response (full drive for TRANSIENT_S) that settles to a sustained fraction of it
    # until the stimulus's duration has passed, as VTC responses do; it leaves a cleaner pre-onset
    # baseline for the next stimulus than a flat response would.
    transient = np.minimum(duration, TRANSIENT_S)
    n_units = len(units)
    owner = np.repeat(np.arange(n_units), len(visual))
    seg_start = [onset.ravel(), (onset + transient).ravel()]
    seg_dur = [transient.ravel(), (duration - transient).ravel()]
    seg_owner = [owner, owner]
    seg_rate = [drive[:, cols].ravel(), SUSTAINED_FRACTION * drive[:, cols].ravel()]

    imagery = trials[trials.stim_phase == "imagery"]
    if len(imagery):
        gain = units.imagery_gain.to_numpy()
        tau = units.imagery_tau_s.to_numpy()
        offsets = np.arange(0.0, IMAGERY_S, IMAGERY_SEGMENT_S)
        icols = np.array([column[s] for s in imagery.stim_id])
        trial_factor = rng.gamma(4.0, 0.25, (n_units, len(imagery)))
        # (unit, trial, time segment): k(t) = gain * exp(-t/tau) * trial factor, times the visual drive.
        k = (gain[:, None, None] * np.exp(-offsets[None, None, :] / tau[:, None, None])
             * trial_factor[:, :, None])
        rate = k * drive[:, icols][:, :, None]
        start = imagery.start_time.to_numpy()[None, :, None] + offsets[None, None, :]
        seg_start.append(np.broadcast_to(start, rate.shape).ravel())
        seg_dur.append(np.full(rate.size, IMAGERY_SEGMENT_S))
        seg_owner.append(np.repeat(np.arange(n_units), len(imagery) * len(offsets)))
        seg_rate.append(rate.ravel())
    return (np.concatenate(seg_start), np.concatenate(seg_dur), np.concatenate(seg_owner),
            np.concatenate(seg_rate))


def _drifting_baseline(baseline: np.ndarray, drift: _Drift) -> Segments:
    """Baseline rate of every unit as DRIFT_BIN_S-long segments covering the session."""
    edges = np.arange(0.0, drift.duration, DRIFT_BIN_S)
    widths = np.diff(np.r_[edges, drift.duration])
    rate = baseline[:, None] * drift.at(edges + widths / 2)  # (n_units, n_bins)
    n_units = len(baseline)
    return (np.tile(edges, n_units), np.tile(widths, n_units), np.repeat(np.arange(n_units), len(edges)),
            rate.ravel())


def _visual_segments(rng: np.random.Generator, trials: pd.DataFrame, units: pd.DataFrame, drive: np.ndarray,
                     column: dict, realism: Realism, drift: _Drift) -> Segments:
    """Transient and sustained response segments of every unit to every shown stimulus.

    A per-trial gamma gain g scales the whole rate in the response window (the baseline too, so
    that unresponsive units vary from trial to trial as well), and the drift scales it further.
    """
    visual = trials[trials.stim_phase.isin(["screening", "synthetic", "encoding"])]
    cols = np.array([column[s] for s in visual.stim_id])
    n_units, n_trials = len(units), len(visual)
    lat = units.latency_s.to_numpy()[:, None] + rng.normal(0.0, 0.010, (n_units, n_trials))
    onset = visual.start_time.to_numpy()[None, :] + lat
    duration = np.broadcast_to((visual.stop_time - visual.start_time).to_numpy()[None, :], onset.shape)
    transient = np.minimum(duration, TRANSIENT_S)
    gain = gamma_gain(rng, realism.trial_gain_cv, (n_units, n_trials))
    scale = drift.at(visual.start_time.to_numpy())  # (n_units, n_trials)
    evoked = drive[:, cols] * gain * scale
    extra_baseline = (gain - 1.0) * units.baseline_hz.to_numpy()[:, None] * scale
    owner = np.repeat(np.arange(n_units), n_trials)
    return (np.r_[onset.ravel(), (onset + transient).ravel()],
            np.r_[transient.ravel(), (duration - transient).ravel()],
            np.r_[owner, owner],
            np.r_[(evoked + extra_baseline).ravel(), (SUSTAINED_FRACTION * evoked + extra_baseline).ravel()])


def _imagery_segments(rng: np.random.Generator, trials: pd.DataFrame, units: pd.DataFrame, drive: np.ndarray,
                      column: dict, n_natural: int, realism: Realism, drift: _Drift) -> Segments:
    """Imagery segments: a noisy, weaker copy of the viewing drive that decays over each 5-s cue,
    scaled per cue by the unit's trial gain, and by the recall trial's state (`recall_state_cv`,
    _recall_state).

    Per unit and imagined object the imagery drive is gain * (viewing drive + noise), the viewing
    drive taken about its mean over the screening objects with the patient's fidelity as weight, the noise
    independent per object with sd `imagery_noise` times the sd of the unit's drive over the
    screening objects (the first `n_natural` columns of `drive`, (n_units, n_stimuli) in Hz),
    floored so that the rate never falls below half the baseline.
    """
    imagery = trials[trials.stim_phase == "imagery"]
    if not len(imagery):
        return (np.zeros(0),) * 2 + (np.zeros(0, dtype=int), np.zeros(0))
    n_units = len(units)
    objects = np.unique(imagery.stim_id.to_numpy())
    object_cols = np.array([column[s] for s in objects])
    noise = (realism.imagery_noise * drive[:, :n_natural].std(axis=1, keepdims=True)
             * rng.standard_normal((n_units, len(objects))))
    gain = units.imagery_gain.to_numpy()[:, None]
    baseline = units.baseline_hz.to_numpy()[:, None]
    mean_drive = drive[:, :n_natural].mean(axis=1, keepdims=True)
    fidelity = units.patient_imagery_fidelity.to_numpy()[:, None]
    viewing = mean_drive + fidelity * (drive[:, object_cols] - mean_drive)
    pattern = np.where(gain > 0, np.maximum(gain * (viewing + noise), -0.5 * baseline), 0.0)
    per_trial = pattern[:, np.searchsorted(objects, imagery.stim_id.to_numpy())]  # (n_units, n_trials)
    per_trial = per_trial * gamma_gain(rng, realism.trial_gain_cv, per_trial.shape)
    per_trial = per_trial * drift.at(imagery.start_time.to_numpy())
    offsets = np.arange(0.0, IMAGERY_S, IMAGERY_SEGMENT_S)
    tau = units.imagery_tau_s.to_numpy()[:, None, None]
    owner = np.repeat(np.arange(n_units), len(imagery) * len(offsets))
    start = np.broadcast_to(imagery.start_time.to_numpy()[None, :, None] + offsets[None, None, :],
                            (n_units, len(imagery), len(offsets)))
    rate = per_trial[:, :, None] * np.exp(-offsets[None, None, :] / tau)  # (unit, trial, time segment)
    parts = (start.ravel(), np.full(rate.size, IMAGERY_SEGMENT_S), owner, rate.ravel())
    if realism.recall_state_cv > 0:
        parts = _recall_state(rng.spawn(1)[0], trials, baseline[:, 0], drift, realism.recall_state_cv, rate, parts)
    return parts


def _recall_state(rng: np.random.Generator, trials: pd.DataFrame, baseline: np.ndarray, drift: _Drift, cv: float,
                  imagery_rate: np.ndarray, segments: Segments) -> Segments:
    """A state every unit shares through each recall trial (encoding, distractor and cues): a gamma
    gain with CV `cv` per recall trial that scales the imagery drive of its cues, `imagery_rate`
    (n_units, n_cues, n_time_segments; the rates of `segments`), and each unit's baseline (`baseline`
    (n_units,) Hz, with its drift at the trial's middle) from the recall trial's first onset to its last
    offset. Being the recall trial's, not the cues', it leaves a cue's own pre-cue baseline as its cue."""
    recall = trials[trials.pairing >= 0]
    bounds = recall.groupby("pairing").agg(start=("start_time", "min"), stop=("stop_time", "max"))
    state = gamma_gain(rng, cv, (len(bounds),))  # (n_recall_trials,)
    cues = trials[trials.stim_phase == "imagery"]
    of_cue = np.searchsorted(bounds.index.to_numpy(), cues.pairing.to_numpy())
    scaled = imagery_rate * state[of_cue][None, :, None]
    middle = ((bounds.start + bounds.stop) / 2).to_numpy()
    change = baseline[:, None] * drift.at(middle) * (state[None, :] - 1.0)  # (n_units, n_recall_trials)
    n_units = len(baseline)
    return (np.r_[segments[0], np.tile(bounds.start.to_numpy(), n_units)],
            np.r_[segments[1], np.tile((bounds.stop - bounds.start).to_numpy(), n_units)],
            np.r_[segments[2], np.repeat(np.arange(n_units), len(bounds))],
            np.r_[scaled.ravel(), change.ravel()])


def renewal_spikes(rng: np.random.Generator, n_units: int, duration: float, starts: np.ndarray,
                   durs: np.ndarray, owner: np.ndarray, rate: np.ndarray, realism: Realism,
                   burst_probability: np.ndarray) -> list[np.ndarray]:
    """Spike trains (one ascending array of s per unit) of a gamma renewal process with bursts.

    The rate is the sum of the segments (start s, duration s, owning unit, Hz; shape (n_segments,)
    each), capped at MAX_RATE_HZ. All units share one rescaled-time axis: unit after unit, the
    integrated rate Lambda(t) grows by the unit's expected count, so gamma intervals of unit mean
    drawn on that axis and mapped back through Lambda give every unit its renewal process at once.
    Rates are divided by the expected burst size, so bursts keep the mean rate.
    """
    inflation = 1.0 + 2.0 * burst_probability
    # Each segment adds its rate at its start and removes it at its end; events sorted by unit, then time.
    times = np.r_[starts, starts + durs, np.zeros(n_units), np.full(n_units, duration)]
    units = np.r_[owner, owner, np.arange(n_units), np.arange(n_units)]
    deltas = np.r_[rate, -rate, np.zeros(2 * n_units)] / inflation[units]
    order = np.lexsort((times, units))
    times, units, deltas = times[order], units[order], deltas[order]
    level = np.clip(np.cumsum(deltas), 0.0, MAX_RATE_HZ)  # rate after each event; 0 again after a unit's last
    step = np.r_[np.diff(times), 0.0]
    step[np.r_[units[1:] != units[:-1], True]] = 0.0  # no rate between one unit's end and the next's start
    cum = np.r_[0.0, np.cumsum(level * step)[:-1]]  # Lambda at each event
    first = np.searchsorted(units, np.arange(n_units))
    last = np.searchsorted(units, np.arange(n_units), side="right") - 1
    lo, hi = cum[first], cum[last]
    points, point_unit = _gamma_points(rng, lo, hi, realism.gamma_shape)
    t = np.interp(points, cum, times)
    t, point_unit = _add_bursts(rng, t, point_unit, burst_probability, realism.burst_isi_ms / 1000.0, duration)
    t = np.round(t * SAMPLING_RATE_HZ) / SAMPLING_RATE_HZ
    order = np.lexsort((t, point_unit))
    t, point_unit = _refractory(t[order], point_unit[order], realism.refractory_ms / 1000.0)
    bounds = np.searchsorted(point_unit, np.arange(n_units + 1))
    return [t[bounds[u]:bounds[u + 1]] for u in range(n_units)]


def _gamma_points(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray,
                  shape: float) -> tuple[np.ndarray, np.ndarray]:
    """Points of a renewal process with unit-mean gamma(shape) intervals in each interval
    [lo_u, hi_u) of rescaled time, started near equilibrium; returns (points, unit of each point)."""
    expected = hi - lo
    n = np.ceil(expected + 6.0 * np.sqrt(expected / shape + 1.0) + 10.0).astype(np.int64)
    unit = np.repeat(np.arange(len(lo)), n)
    gaps = rng.gamma(shape, 1.0 / shape, n.sum())
    starts = np.r_[0, np.cumsum(n)[:-1]]
    # The first point falls a uniform fraction into its interval, so trains do not all start with a
    # spike at time 0 (close to, not exactly, the equilibrium start of a gamma renewal process).
    gaps[starts] *= rng.random(len(lo))
    within = np.cumsum(gaps)
    within -= np.repeat(np.r_[0.0, within[starts[1:] - 1]], n)
    keep = within < expected[unit]
    short = np.flatnonzero(within[starts + n - 1] < expected)
    if len(short):  # the margin of six sd ran out (practically never): draw again with more room
        more_lo = lo[short] + within[starts[short] + n[short] - 1]
        extra, extra_unit = _gamma_points(rng, more_lo, hi[short], shape)
        return (np.r_[lo[unit[keep]] + within[keep], extra], np.r_[unit[keep], short[extra_unit]])
    return lo[unit[keep]] + within[keep], unit[keep]


def _add_bursts(rng: np.random.Generator, t: np.ndarray, unit: np.ndarray, probability: np.ndarray,
                isi_s: float, duration: float) -> tuple[np.ndarray, np.ndarray]:
    """Let each spike start a burst with its unit's probability: 1-3 more spikes, `isi_s` apart
    on average (between 0.6 and 1.4 times), dropped if past the session's end."""
    starts = np.flatnonzero(rng.random(len(t)) < probability[unit])
    if not len(starts):
        return t, unit
    n_extra = rng.integers(1, 4, len(starts))
    gaps = isi_s * rng.uniform(0.6, 1.4, n_extra.sum())
    offsets = np.cumsum(gaps)
    offsets -= np.repeat(np.r_[0.0, offsets[np.cumsum(n_extra)[:-1] - 1]], n_extra)
    extra = np.repeat(t[starts], n_extra) + offsets
    extra_unit = np.repeat(unit[starts], n_extra)
    inside = extra < duration
    return np.r_[t, extra[inside]], np.r_[unit, extra_unit[inside]]


def _refractory(t: np.ndarray, unit: np.ndarray, refractory: float) -> tuple[np.ndarray, np.ndarray]:
    """Drop every spike that follows a kept spike of the same unit by less than `refractory`
    (t sorted within unit, units in blocks)."""
    while True:
        bad = np.flatnonzero((np.diff(t) < refractory - 1e-9) & (unit[1:] == unit[:-1]))
        if len(bad) == 0:
            return t, unit
        drop = bad[~np.isin(bad, bad + 1)] + 1
        t, unit = np.delete(t, drop), np.delete(unit, drop)


def _poisson_spikes(rng: np.random.Generator, baseline: np.ndarray, duration: float, starts: np.ndarray,
                    durs: np.ndarray, owner: np.ndarray, rate: np.ndarray) -> list[np.ndarray]:
    """Spike trains: baseline Poisson over the session plus Poisson spikes in each response segment,
    rates capped at MAX_RATE_HZ, then a refractory dead time and rounding to the sampling grid."""
    counts = rng.poisson(np.minimum(rate, MAX_RATE_HZ) * durs)
    seg_times = np.repeat(starts, counts) + rng.random(counts.sum()) * np.repeat(durs, counts)
    seg_owner = np.repeat(owner, counts)
    by_owner = np.argsort(seg_owner, kind="stable")
    bounds = np.searchsorted(seg_owner[by_owner], np.arange(len(baseline) + 1))
    trains = []
    for u, b in enumerate(baseline):
        base = rng.random(rng.poisson(b * duration)) * duration
        t = np.sort(np.concatenate([base, seg_times[by_owner[bounds[u]:bounds[u + 1]]]]))
        trains.append(np.round(_dead_time(t, REFRACTORY_S) * SAMPLING_RATE_HZ) / SAMPLING_RATE_HZ)
    return trains


def _dead_time(t: np.ndarray, refractory: float) -> np.ndarray:
    """Drop every spike that follows a kept spike by less than `refractory` (t sorted)."""
    while True:
        bad = np.flatnonzero(np.diff(t) < refractory)
        if len(bad) == 0:
            return t
        # Remove the second spike of each violating pair unless the first is itself being removed.
        drop = bad[~np.isin(bad, bad + 1)] + 1
        t = np.delete(t, drop)


_MNI_CENTRES = {"ventral_temporal_cortex": (38.0, -52.0, -16.0), "hippocampus": (26.0, -22.0, -14.0),
                "amygdala": (22.0, -4.0, -20.0)}


def session_record(data: SessionData, session_row: pd.Series, seed: int) -> SessionRecord:
    """The NWB content of a simulated session: electrodes, unit metadata and waveforms, trials."""
    rng = np.random.default_rng([seed, 2, int(session_row.subject), int(session_row.session)])
    electrodes = []
    locations = data.units.bundle_locations.iloc[0]
    for b, loc in enumerate(locations):
        area, side = loc.rsplit("_", 1)
        cx, cy, cz = _MNI_CENTRES[area]
        centre = np.array([cx if side == "right" else -cx, cy, cz]) + rng.normal(0, 3.0, 3)
        for w in range(8):
            x, y, z = centre + rng.normal(0, 0.5, 3)
            electrodes.append(dict(location=loc, x=x, y=y, z=z, group_name=f"NLX-microwires-{8 * b + 1}",
                                   filtering="300-3000Hz", origChannel=float(8 * b + w + 1)))
    n = len(data.units)
    samples = np.arange(256)
    amp = data.units.waveform_amplitude_uv.to_numpy()[:, None]
    waveform = (-amp * np.exp(-((samples - 80) ** 2) / (2 * 8.0**2))
                + 0.35 * amp * np.exp(-((samples - 110) ** 2) / (2 * 20.0**2)))
    isolation = rng.lognormal(np.log(20.0), 0.5, n)
    isolation[rng.random(n) < 0.15] = np.nan  # undefined for lone clusters, as in real data
    snr = rng.uniform(1.5, 6.0, n)
    units = pd.DataFrame(dict(
        electrode=data.units.electrode.to_numpy(),
        clusterID_orig=(np.arange(n) + 1000 + rng.integers(0, 50)).astype(np.int32),
        waveform_mean=list(waveform),
        waveforms_isolation_distance=isolation,
        waveforms_mean_snr=snr,
        waveforms_peak_snr=snr * rng.uniform(1.5, 2.5, n),
        waveforms_mean_proj_dist=rng.uniform(5.0, 30.0, n),
    ))
    return SessionRecord(subject_id=str(session_row.subject), session_id=str(session_row.session),
                         task=str(session_row.kind), age_years=int(session_row.age_years), sex=str(session_row.sex),
                         electrodes=pd.DataFrame(electrodes), units=units, spike_times=data.spike_times,
                         trials=data.trials)
