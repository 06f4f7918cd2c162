"""Released-style data of a simulated cohort (SIMULATED): a summary table with one row per
axis-tuned VTC unit of an imagery session and imagined object, the shape of the study's released
per-neuron data, and each imagery session's per-trial rates of those units.

The calibration suite fits the imagery models to hundreds of tables and runs the imagery decoders
on hundreds of sessions (a whole simulated cohort gives one replicate of a cohort-level test).
Rates are measured from spikes simulated with the cohort's nuisances; only the planted axis-tuned
VTC units of the imagery sessions are simulated, which draws their spikes from another stream than
the whole session's (an independent draw of the same model). Projections are on the planted axes,
not on fitted ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .cohort import AXIS, CohortPlan, plan_cohort, principal_orthogonal_direction, standardised_features
from .marginals import counts_in_windows, imagery_rates, object_response_rates, response_rates_by_object
from .profiles import IMAGERY, CohortProfile
from .session import IMAGERY_S, SessionData, simulate_session

COLUMNS = ["patient", "unit", "object", "viewing_rate", "encoding_rate", "imagery_rate", "preferred_projection",
           "orthogonal_projection"]


def imagery_summary_table(profile: CohortProfile, seed: int) -> pd.DataFrame:
    """Per planted axis-tuned VTC unit of an imagery session and imagined object (COLUMNS): patient,
    unit, object (stim_id), viewing_rate (Hz, planted response window, mean over the screening
    repeats), encoding_rate (the same over the object's encoding presentations; NaN without one),
    imagery_rate (Hz, mean over the object's 5-s cues), preferred_projection (the object's
    normalised features on the planted axis) and orthogonal_projection (on the first principal
    direction of the features without that axis)."""
    plan = _axis_imagery_plan(profile, seed)
    features = plan.objects.features
    x = standardised_features(features, features)  # (500, n_features)
    parts = []
    for data in _axis_imagery_sessions(plan, profile, seed):
        imagined, ids = imagery_rates(data)  # (n_units, n_objects), stim ids
        viewed = object_response_rates(data)[:, ids - 1]
        encoded = response_rates_by_object(data, "encoding").reindex(ids).to_numpy().T  # NaN: never encoded
        for u, (patient, unit, axis) in enumerate(zip(data.units.subject, data.units.unit_id, data.units.axis,
                                                       strict=True)):
            axis = np.asarray(axis, float)
            orthogonal = principal_orthogonal_direction(axis, features)
            parts.append(pd.DataFrame(dict(
                patient=patient, unit=unit, object=ids, viewing_rate=viewed[u], encoding_rate=encoded[u],
                imagery_rate=imagined[u],
                preferred_projection=x[ids - 1] @ axis, orthogonal_projection=x[ids - 1] @ orthogonal)))
    return pd.concat(parts, ignore_index=True)[COLUMNS] if parts else pd.DataFrame(columns=COLUMNS)



@dataclass(frozen=True)
class ImageryTrialRates:
    """One simulated imagery session's per-trial rates of its planted axis-tuned VTC units."""

    session: str
    patient: str
    cue_rates: np.ndarray  # (n_cues, n_units), Hz over each 5-s cue
    cue_objects: np.ndarray  # (n_cues,), stim_id of the cued object
    cue_pairings: np.ndarray  # (n_cues,), the recall trial of each cue
    viewing_rates: np.ndarray  # (n_presentations, n_units), Hz in the planted response window
    viewing_objects: np.ndarray  # (n_presentations,), stim_id: the imagined objects' screening presentations


def imagery_trial_rates(profile: CohortProfile, seed: int) -> list[ImageryTrialRates]:
    """Per imagery session with planted axis-tuned VTC units: each cue's imagery rate and each
    screening presentation of the imagined objects' rate (planted latency to latency + the
    stimulus's duration), as a released per-trial table would give them."""
    out = []
    for data in _axis_imagery_sessions(_axis_imagery_plan(profile, seed), profile, seed):
        cues = data.trials[data.trials.stim_phase == "imagery"]
        start = cues.start_time.to_numpy()
        imagined = cues.stim_id.to_numpy()
        shown = data.trials[(data.trials.stim_phase == "screening") & data.trials.stim_id.isin(imagined)]
        onset = shown.start_time.to_numpy()[None, :] + data.units.latency_s.to_numpy()[:, None]
        width = (shown.stop_time - shown.start_time).to_numpy()[None, :]
        out.append(ImageryTrialRates(
            session=str(data.units.session_name.iloc[0]), patient=str(data.units.subject.iloc[0]),
            cue_rates=(counts_in_windows(data.spike_times, start, start + IMAGERY_S) / IMAGERY_S).T,
            cue_objects=imagined, cue_pairings=cues.pairing.to_numpy(),
            viewing_rates=(counts_in_windows(data.spike_times, onset, onset + width) / width).T,
            viewing_objects=shown.stim_id.to_numpy()))
    return out


def _axis_imagery_plan(profile: CohortProfile, seed: int) -> CohortPlan:
    """The cohort's plan with only its planted axis-tuned VTC units of imagery sessions."""
    plan = plan_cohort(profile, seed)
    chosen = ((plan.units.area == "VTC") & (plan.units.unit_type == AXIS)
              & (plan.units.session_kind == IMAGERY)).to_numpy()
    return replace(plan, units=plan.units[chosen])


def _axis_imagery_sessions(plan: CohortPlan, profile: CohortProfile, seed: int) -> Iterator[SessionData]:
    """The simulated imagery sessions that have units in `plan`, in the profile's order."""
    for session in profile.sessions():
        if session.kind == IMAGERY and (plan.units.session_name == session.name).any():
            yield simulate_session(plan, profile, session.name, seed)
