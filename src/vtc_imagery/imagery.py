"""Per-session imagery tables (docs/methods.md, "Imagery: reactivation"): each unit's
imagery rates, reactivation calls and relation to its visual responses and axes, and the cohort's
imagery tables and whether imagery follows the visual code.

Times in ms relative to the imagery cue (tone) unless a name says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import selection as sel
from .lazy import stats
from .params import StageParams
from .reactivation import ReactivationParams, reactivation_calls, shuffle_correlation_test
from .rng import STREAM_IMAGERY_SHUFFLES, unit_rng
from .spiketrains import SessionSpikes


@dataclass(frozen=True)
class ImageryParams(StageParams):
    """The keys of the `imagery:` config section the per-session imagery tables use."""

    n_shuffles: int  # shuffles of the imagery-vs-viewing (and -encoding) correlation tests
    seed: int


@dataclass(frozen=True)
class VisualCodeParams(StageParams):
    """The keys of the `imagery:` config section the cohort's imagery-vs-visual-code test uses."""

    follows_alpha: float  # level of each unit's shuffle test of imagery against viewing (encoding)


@dataclass(frozen=True)
class SessionTables:
    """One session's tables, as the workflow writes them."""

    units: pd.DataFrame  # recorded units (unit_id, unit_index, area, ...)
    trials: pd.DataFrame  # trials (trial_index, stim_phase, stim_id, start_time, stop_time, ...)
    spikes: pd.DataFrame  # trial-aligned spikes (unit_index, trial_index, time)
    screening: pd.DataFrame  # screening calls per unit (unit_id, latency_ms, responsive, ...)
    responses: pd.DataFrame  # per-image responses of responsive units (unit_id, stim_phase, stim_id, response_hz)
    axis: pd.DataFrame  # axis model per responsive unit (unit_id, preferred_axis, orthogonal_axis, ...)


@dataclass(frozen=True)
class ImageryTables:
    units: pd.DataFrame  # one row per unit: reactivation calls, correlations with the visual code
    objects: pd.DataFrame  # one row per unit and imagined object: rates and projections
    cues: pd.DataFrame  # one row per unit and cued trial: imagery and baseline rates


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson r over the finite pairs; NaN with fewer than 3 or a constant side."""
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or np.std(x[ok]) == 0 or np.std(y[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(x[ok], y[ok])[0, 1])


def _keyed(table: pd.DataFrame, keys: str | list[str]) -> pd.DataFrame:
    """`table` indexed by `keys`, refused (ValueError) when a key repeats: tables are joined on
    checked keys, never by position."""
    keyed = table.set_index(keys)
    if not keyed.index.is_unique:
        raise ValueError(f"duplicate {keys} in a table to be joined: {list(keyed.index[keyed.index.duplicated()][:3])}")
    return keyed


def imagery_session(session: SessionTables, features: pd.DataFrame, reactivation: ReactivationParams,
                    params: ImageryParams) -> ImageryTables:
    """Imagery responses, reactivation and the imagery-vision relation of every unit of a session.

    `features` maps stim_id (index) to the scaled object-space features of the imagined objects.
    Sessions without imagery trials give empty tables.
    FIX (departure 23): tables are joined on unit_id and stim_id with checked keys,
    never by row position.
    FIX (departure 22): encoding responses use one window, [latency, latency + the encoding
    stimulus's duration), as the screening responses do.
    """
    from .screening import window_counts

    trials = session.trials
    cues = trials[trials.stim_phase == "imagery"]
    if cues.empty:
        return ImageryTables(pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    spikes = SessionSpikes(session.spikes)
    encoding = trials[trials.stim_phase == "encoding"]
    enc_duration = float(np.median(encoding.stop_time - encoding.start_time) * 1000.0) if len(encoding) else np.nan
    screen = _keyed(session.screening, "unit_id")
    axes = _keyed(session.axis, "unit_id") if len(session.axis) else pd.DataFrame()
    responses = session.responses
    viewing = _keyed(responses[responses.stim_phase == "screening"], ["unit_id", "stim_id"])
    objects = np.sort(cues.stim_id.unique())
    feats = features.loc[objects].to_numpy()
    unit_rows, object_rows, cue_rows = [], [], []
    for u in session.units.itertuples():
        times = spikes.trains(u.unit_index, cues.trial_index.to_numpy())
        result = reactivation_calls(times, cues.stim_id.to_numpy(), reactivation)
        calls = {f"reactivated_{rule}": called for rule, called in result.calls.items()}
        imagery, baseline = result.imagery_rates_hz, result.baseline_rates_hz
        cue_rows.append(pd.DataFrame(dict(unit_id=u.unit_id, trial_index=cues.trial_index.to_numpy(),
                                          stim_id=cues.stim_id.to_numpy(), imagery_rate_hz=imagery,
                                          baseline_rate_hz=baseline)))
        per_object = pd.Series(imagery).groupby(cues.stim_id.to_numpy()).mean().reindex(objects).to_numpy()
        latency = screen.latency_ms.get(u.unit_id, np.nan)
        if np.isfinite(latency) and len(encoding):
            t_enc = spikes.trains(u.unit_index, encoding.trial_index.to_numpy())
            enc = pd.Series(window_counts(t_enc, latency, enc_duration) / (enc_duration / 1000.0))
            enc_rate = enc.groupby(encoding.stim_id.to_numpy()).mean().reindex(objects).to_numpy()
        else:
            enc_rate = np.full(len(objects), np.nan)
        keys = pd.MultiIndex.from_arrays([[u.unit_id] * len(objects), objects])
        view = viewing.response_hz.reindex(keys).to_numpy(float)
        has_axis = len(axes) and u.unit_id in axes.index
        pref = feats @ np.asarray(axes.loc[u.unit_id, "preferred_axis"]) if has_axis else np.full(len(objects), np.nan)
        orth = feats @ np.asarray(axes.loc[u.unit_id, "orthogonal_axis"]) if has_axis else np.full(len(objects), np.nan)
        rng = unit_rng(params.seed, u.unit_id, STREAM_IMAGERY_SHUFFLES)
        r_view, p_view = (shuffle_correlation_test(view, per_object, rng, params.n_shuffles)
                          if np.isfinite(view).all() else (np.nan, np.nan))
        r_enc, p_enc = (shuffle_correlation_test(enc_rate, per_object, rng, params.n_shuffles)
                        if np.isfinite(enc_rate).all() else (np.nan, np.nan))
        unit_rows.append(dict(unit_id=u.unit_id, n_objects=len(objects), n_cues=len(cues),
                              reactivated=calls[f"reactivated_{reactivation.rule}"], **calls,
                              imagery_rate_hz=float(imagery.mean()), baseline_rate_hz=float(baseline.mean()),
                              r_preferred=_corr(pref, per_object), r_orthogonal=_corr(orth, per_object),
                              r_viewing=r_view, p_viewing=p_view, r_encoding=r_enc, p_encoding=p_enc))
        object_rows.append(pd.DataFrame(dict(unit_id=u.unit_id, stim_id=objects, imagery_rate_hz=per_object,
                                             encoding_rate_hz=enc_rate, viewing_rate_hz=view,
                                             preferred_projection=pref, orthogonal_projection=orth)))
    return ImageryTables(pd.DataFrame(unit_rows), pd.concat(object_rows, ignore_index=True),
                         pd.concat(cue_rows, ignore_index=True))


def _imagery_unit_columns() -> list[str]:
    """Columns of imagery_session's unit table (for the empty table of a cohort without imagery)."""
    from .reactivation import RULES

    return ["unit_id", "n_objects", "n_cues", "reactivated", *(f"reactivated_{r}" for r in RULES), "imagery_rate_hz",
            "baseline_rate_hz", "r_preferred", "r_orthogonal", "r_viewing", "p_viewing", "r_encoding", "p_encoding"]


IMAGERY_OBJECT_COLUMNS = ["unit_id", "stim_id", "imagery_rate_hz", "encoding_rate_hz", "viewing_rate_hz",
                          "preferred_projection", "orthogonal_projection"]


def population_tables(units: pd.DataFrame, imagery_units: pd.DataFrame,
                      imagery_objects: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The imagery unit table joined with each unit's area, patient and visual calls, and the
    per-object table in the documented summary schema (unit, patient, object, viewing_rate,
    encoding_rate, imagery_rate, preferred_projection, orthogonal_projection) plus those calls,
    for the units that have a visual response and an axis (responsive units). A cohort without
    imagery trials (the sessions' tables are empty, without columns) gives both tables empty, with
    their columns."""
    if "unit_id" not in imagery_units.columns:
        imagery_units = pd.DataFrame({c: pd.Series(dtype=bool if c.startswith("reactivated") else object)
                                      for c in _imagery_unit_columns()})
    if "unit_id" not in imagery_objects.columns:
        imagery_objects = pd.DataFrame({c: pd.Series(dtype=object if c == "unit_id" else float)
                                        for c in IMAGERY_OBJECT_COLUMNS})
    info = units[["unit_id", "subject", "session", "area", "responsive", "axis_tuned", "mean_rate_hz",
                  "ev_axis", "explainable_variance"]].copy()
    info["responsive"] = sel.called(info.responsive)
    table = imagery_units.merge(info, on="unit_id", how="left", validate="one_to_one")
    objects = imagery_objects.merge(
        table[["unit_id", "subject", "session", "area", "axis_tuned", "reactivated"]], on="unit_id",
        how="left", validate="many_to_one")
    objects = objects.rename(columns={"unit_id": "unit", "subject": "patient", "stim_id": "object",
                                      "viewing_rate_hz": "viewing_rate", "encoding_rate_hz": "encoding_rate",
                                      "imagery_rate_hz": "imagery_rate"})
    needed = ["viewing_rate", "imagery_rate", "preferred_projection", "orthogonal_projection"]
    complete = objects[needed].notna().all(axis=1)
    return table, objects[complete].reset_index(drop=True)


def follows_visual_code(table: pd.DataFrame, params: VisualCodeParams) -> pd.DataFrame:
    """Do imagery responses follow the visual axis? Over axis-tuned VTC units (all, and the
    reactivated ones): mean r with the preferred and the orthogonal projection of the imagined
    objects, the Wilcoxon signed-rank test of the per-unit differences r_preferred - r_orthogonal
    (units with both), the authors' two-sample KS test between the two sets of r, and the fraction
    of units whose imagery responses correlate with their viewing (and encoding) responses beyond
    shuffles.

    FIX (paired test): each unit gives both r, so the two samples are paired; the two-sample KS
    test treats them as independent and ignores the pairing. The signed-rank test of the
    differences is the test of the question; the KS columns are kept beside it.
    """
    alpha = params.follows_alpha
    rows = []
    for name, population in (("axis-tuned", "axis_tuned"), ("reactivated", "reactivated")):
        part = table[sel.imagery_population(table, population)]
        pref, orth = part.r_preferred.dropna(), part.r_orthogonal.dropna()
        ks = stats.ks_2samp(pref, orth) if len(pref) > 1 and len(orth) > 1 else None
        difference = (part.r_preferred - part.r_orthogonal).dropna().to_numpy()
        signed_rank = stats.wilcoxon(difference) if np.any(difference != 0) else None
        rows.append(dict(units=name, n_units=len(part), mean_r_preferred=pref.mean(), mean_r_orthogonal=orth.mean(),
                         n_paired=len(difference), median_r_difference=np.median(difference) if len(difference)
                         else np.nan,
                         wilcoxon_statistic=signed_rank.statistic if signed_rank else np.nan,
                         wilcoxon_p=signed_rank.pvalue if signed_rank else np.nan,
                         ks_statistic=ks.statistic if ks else np.nan, ks_p=ks.pvalue if ks else np.nan,
                         mean_r_viewing=part.r_viewing.mean(),
                         fraction_viewing_significant=(part.p_viewing < alpha).mean() if len(part) else np.nan,
                         mean_r_encoding=part.r_encoding.mean(),
                         fraction_encoding_significant=(part.p_encoding < alpha).mean() if len(part) else np.nan))
    return pd.DataFrame(rows)


def imagery_availability(table: pd.DataFrame) -> str | None:
    """Why the cohort's imagery statistics have nothing to analyse (no imagery trials in any
    session; no axis-tuned VTC unit in the imagery sessions), or None. `table`: population_tables'
    unit table."""
    if table.empty:
        return "no session has imagery trials"
    if not sel.imagery_population(table, "axis_tuned").any():
        return (f"no axis-tuned VTC unit was recorded in the {table.session.nunique()} imagery session(s) "
                f"({len(table)} units there, {int(sel.vtc(table).sum())} of them in VTC)")
    return None
