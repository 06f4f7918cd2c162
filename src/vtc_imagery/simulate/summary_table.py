"""A released-style summary table of a simulated cohort: one row per axis-tuned VTC unit of an
imagery session and imagined object (SIMULATED), the shape of the study's released per-neuron data.

The calibration suite fits the imagery models to hundreds of these (a whole simulated cohort gives
one replicate of a cohort-level test). Rates are measured from spikes simulated with the cohort's
nuisances; only the planted axis-tuned VTC units of the imagery sessions are simulated, which
draws their spikes from another stream than the whole session's (an independent draw of the same
model). Projections are on the planted axes, not on fitted ones.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .cohort import AXIS, plan_cohort, principal_orthogonal_direction, standardised_features
from .marginals import imagery_rates, object_response_rates, response_rates_by_object
from .profiles import IMAGERY, CohortProfile
from .session import simulate_session

COLUMNS = ["patient", "unit", "object", "viewing_rate", "encoding_rate", "imagery_rate", "preferred_projection",
           "orthogonal_projection"]


def imagery_summary_table(profile: CohortProfile, seed: int) -> pd.DataFrame:
    """Per planted axis-tuned VTC unit of an imagery session and imagined object (COLUMNS): patient,
    unit, object (stim_id), viewing_rate (Hz, planted response window, mean over the screening
    repeats), encoding_rate (the same over the object's encoding presentations; NaN without one),
    imagery_rate (Hz, mean over the object's 5-s cues), preferred_projection (the object's
    normalised features on the planted axis) and orthogonal_projection (on the first principal
    direction of the features without that axis)."""
    plan = plan_cohort(profile, seed)
    chosen = ((plan.units.area == "VTC") & (plan.units.unit_type == AXIS)
              & (plan.units.session_kind == IMAGERY)).to_numpy()
    plan = replace(plan, units=plan.units[chosen])
    features = plan.objects.features
    x = standardised_features(features, features)  # (500, n_features)
    parts = []
    for session in profile.sessions():
        if session.kind != IMAGERY or not (plan.units.session_name == session.name).any():
            continue
        data = simulate_session(plan, profile, session.name, seed)
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

