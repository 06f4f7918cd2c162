"""One session of the virtual cohort: the trial schedule and every unit's spike train.

Spikes come from an inhomogeneous Poisson process with a piecewise-constant rate (baseline plus
additive response segments; superposition keeps it Poisson) followed by a refractory dead time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..nwb.write import SessionRecord
from .cohort import CohortPlan, standardised_features, visual_drive
from .profiles import CLOSED_LOOP, IMAGERY, CohortProfile

SAMPLING_RATE_HZ = 32_000.0  # Neuralynx ATLAS; spike times sit on this grid
REFRACTORY_S = 0.002
MAX_RATE_HZ = 200.0
ENCODING_ON_S, ENCODING_OFF_S = 1.0, 0.5
DISTRACTOR_S = 10.0
IMAGERY_S, CUES_PER_OBJECT_PER_TRIAL = 5.0, 4
IMAGERY_SEGMENT_S = 0.25  # imagery rate changes every 250 ms
TRANSIENT_S, SUSTAINED_FRACTION = 0.12, 0.4  # shape of a visual response


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


def simulate_session(plan: CohortPlan, profile: CohortProfile, session_name: str, seed: int) -> SessionData:
    """Trials and spikes of one session; `seed` and the session's position fix the random stream."""
    order = list(plan.sessions.session_name).index(session_name)
    rng = np.random.default_rng([seed, 1, order])
    srow = plan.sessions.iloc[order]
    units = plan.units[plan.units.session_name == session_name].reset_index(drop=True)
    synth = plan.synthetic[plan.synthetic.session_name == session_name]
    trials = trial_schedule(rng, profile, srow.kind, list(srow.pairs), synth.stim_id.to_numpy(),
                            plan.objects.categories)

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
