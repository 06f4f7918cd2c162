"""Per-session and population steps of the perception analyses, built from the library's
statistics: the axis model of every responsive unit, the cohort table, the selection funnel,
model comparison, decoding, reconstruction and closed-loop ramps."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from . import axis as ax
from .decoding import identification_accuracy, loo_decode_features, prune_database, reconstruct
from .objects import ObjectSpaceFile

PAPER_FUNNEL = {"recorded": None, "VTC": 714, "responsive": 456, "axis-tuned": 367,
                "axis-tuned in imagery sessions": 107, "reactivated": 43}


@dataclass(frozen=True)
class AxisParams:
    n_shuffles: int = 500
    n_repeats: int = 100
    alpha: float = 0.01
    min_significant: int = 99
    explainable_splits: int = 1000
    min_explainable: float = 0.1
    consistency_splits: int = 100
    exemplar_degree: int = 3
    explainable_ceiling: str = "squared"  # squared (the authors') or reliability
    seed: int = 1


def unit_rng(seed: int, unit_id: str, stream: int) -> np.random.Generator:
    """A generator fixed by the seed, the unit and the use: results do not depend on unit order or cores."""
    return np.random.default_rng([seed, zlib.crc32(unit_id.encode()), stream])


def response_matrix(responses: pd.DataFrame, stim_ids: np.ndarray) -> pd.DataFrame:
    """Screening responses as (stim_id rows in the given order) x (unit_id columns), Hz."""
    screening = responses[responses.stim_phase == "screening"]
    return screening.pivot(index="stim_id", columns="unit_id", values="response_hz").reindex(stim_ids)


def count_matrix(counts: pd.DataFrame, unit_id: str, stim_ids: np.ndarray) -> np.ndarray:
    """(n_images, n_trials) window spike counts of one unit, trials in time order; images with more
    trials than the fewest are cut to that number so that every split halves the same count."""
    c = counts[counts.unit_id == unit_id].sort_values("trial_index")
    groups = c.groupby("stim_id")["count"].apply(lambda s: s.to_numpy()).reindex(stim_ids)
    n = min(len(g) for g in groups)
    return np.stack([g[:n] for g in groups]).astype(np.float64)


def axis_model_session(responses: pd.DataFrame, counts: pd.DataFrame, objects: ObjectSpaceFile,
                       params: AxisParams = AxisParams(), workers: int = 1) -> pd.DataFrame:
    """The axis model of every responsive unit of a session: preferred and orthogonal axes, the
    shuffle test for axis tuning, leave-one-out EV of the axis, category and exemplar models,
    split-half explainable variance, normalised EVs and split-half axis consistency.

    Units are spread over `workers` processes (one BLAS thread each); every unit has its own random
    stream, so the table does not depend on the number of workers."""
    matrix = response_matrix(responses, objects.stim_id)
    shown = matrix.notna().all(axis=1).to_numpy()
    stim_ids = objects.stim_id[shown]
    scaled = ax.scale_features(objects.features[shown])
    categories = objects.categories[shown]
    features = objects.features[shown]
    jobs = [(unit_id, matrix.loc[stim_ids, unit_id].to_numpy(np.float64), count_matrix(counts, unit_id, stim_ids),
             features, scaled, categories, params) for unit_id in matrix.columns]
    if workers > 1 and len(jobs) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers, initializer=_one_blas_thread) as pool:
            rows = list(pool.map(_unit_axis_model, jobs))
    else:
        rows = [_unit_axis_model(job) for job in jobs]
    return pd.DataFrame([row for row in rows if row is not None])


def _one_blas_thread() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def _unit_axis_model(job: tuple) -> dict | None:
    unit_id, r, counts, features, scaled, categories, params = job
    sta = ax.preferred_axis(r, scaled)
    if not np.any(sta):
        return None  # a unit with identical responses to every image has no axis
    pvals = ax.axis_tuning_pvalues(r, scaled, unit_rng(params.seed, unit_id, 0), params.n_shuffles,
                                   params.n_repeats)
    ev_axis = ax.explained_variance(ax.loo_axis_predictions(r, scaled), r)
    ev_cat = ax.explained_variance(ax.loo_category_predictions(r, categories), r)
    ev_ex = ax.explained_variance(ax.loo_exemplar_predictions(r, scaled, params.exemplar_degree), r)
    explainable = ax.split_half_explainable_variance(counts, unit_rng(params.seed, unit_id, 1),
                                                     params.explainable_splits,
                                                     squared=params.explainable_ceiling == "squared")
    return dict(
        unit_id=unit_id,
        n_images=len(r),
        axis_correlation=ax.observed_correlation(r, scaled),
        tuning_p_median=float(np.median(pvals)),
        tuning_significant_repeats=int(np.count_nonzero(pvals < params.alpha)),
        axis_tuned=ax.is_axis_tuned(pvals, params.alpha, params.min_significant),
        ev_axis=ev_axis, ev_category=ev_cat, ev_exemplar=ev_ex,
        explainable_variance=explainable,
        noise_ceiling=ax.noise_ceiling(counts),
        nev_axis=ax.normalised_ev(ev_axis, explainable, params.min_explainable),
        nev_category=ax.normalised_ev(ev_cat, explainable, params.min_explainable),
        nev_exemplar=ax.normalised_ev(ev_ex, explainable, params.min_explainable),
        axis_consistency=ax.axis_consistency(r, scaled, unit_rng(params.seed, unit_id, 2), params.consistency_splits),
        preferred_axis=list(sta / np.linalg.norm(sta)),
        orthogonal_axis=list(ax.orthogonal_axis(sta, features)),
    )


def selection_funnel(units: pd.DataFrame, imagery_units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Units left after each criterion: recorded -> VTC -> responsive -> axis-tuned, and with the
    imagery tables -> axis-tuned in imagery sessions -> reactivated, beside the paper's numbers."""
    vtc = units.area == "VTC"
    responsive = vtc & units.responsive.fillna(False).astype(bool)
    tuned = responsive & units.axis_tuned.fillna(False).astype(bool)
    counts = [len(units), int(vtc.sum()), int(responsive.sum()), int(tuned.sum())]
    if imagery_units is not None:
        in_imagery = units.unit_id[tuned].isin(imagery_units.unit_id)
        reactivated = imagery_units.unit_id[imagery_units.reactivated.astype(bool)]
        counts += [int(in_imagery.sum()), int(units.unit_id[tuned].isin(reactivated).sum())]
    stages = list(PAPER_FUNNEL)[: len(counts)]
    table = pd.DataFrame(dict(stage=stages, this_run=counts,
                              paper=[np.nan if PAPER_FUNNEL[s] is None else PAPER_FUNNEL[s] for s in stages]))
    table["fraction_of_previous"] = table.this_run / table.this_run.shift()
    table["paper_fraction_of_previous"] = table.paper / table.paper.shift()
    return table


def model_comparison(units: pd.DataFrame) -> pd.DataFrame:
    """Normalised EV of the axis, category and exemplar models over responsive VTC units with
    explainable variance above threshold: mean +- SEM, and the tests between models (two-sample KS
    and paired Wilcoxon signed-rank)."""
    keep = units[(units.area == "VTC") & units.responsive.fillna(False).astype(bool) & units.nev_axis.notna()]
    rows = []
    for model in ("axis", "category", "exemplar"):
        v = keep[f"nev_{model}"].to_numpy()
        rows.append(dict(comparison=f"{model} model", n_units=len(v), mean=float(np.mean(v)) if len(v) else np.nan,
                         sem=float(stats.sem(v)) if len(v) > 1 else np.nan,
                         median=float(np.median(v)) if len(v) else np.nan, statistic=np.nan, p_value=np.nan,
                         test="normalised EV"))
    for other in ("category", "exemplar"):
        a, b = keep.nev_axis.to_numpy(), keep[f"nev_{other}"].to_numpy()
        if len(a) > 1:
            ks = stats.ks_2samp(a, b)
            rows.append(dict(comparison=f"axis vs {other}", n_units=len(a), mean=float(np.mean(a - b)),
                             sem=float(stats.sem(a - b)), median=float(np.median(a - b)),
                             statistic=float(ks.statistic), p_value=float(ks.pvalue), test="two-sample KS"))
            if np.any(a != b):
                w = stats.wilcoxon(a, b)
                rows.append(dict(comparison=f"axis vs {other}", n_units=len(a), mean=float(np.mean(a - b)),
                                 sem=float(stats.sem(a - b)), median=float(np.median(a - b)),
                                 statistic=float(w.statistic), p_value=float(w.pvalue),
                                 test="Wilcoxon signed-rank (paired)"))
    return pd.DataFrame(rows)


def tuned_population(units: pd.DataFrame, responses: pd.DataFrame, stim_ids: np.ndarray) -> pd.DataFrame:
    """Screening responses of the axis-tuned VTC units, (stim_id x unit_id), for pseudo-population decoding."""
    tuned = units.unit_id[(units.area == "VTC") & units.axis_tuned.fillna(False).astype(bool)]
    matrix = response_matrix(responses[responses.unit_id.isin(tuned)], stim_ids)
    return matrix.loc[:, matrix.notna().all(axis=0)]


def decode_objects(population: pd.DataFrame, objects: ObjectSpaceFile, max_distractors: int, n_draws: int,
                   seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Leave-one-out decoding of the features from the pseudo-population (stim_id x unit), and
    identification among 1..max_distractors distractors.
    Returns (identification by k, per-image decoded features)."""
    features = objects.features_of(population.index.to_numpy())
    decoded = loo_decode_features(population.to_numpy(), features)
    ident = identification_accuracy(decoded, features, np.arange(1, max_distractors + 1),
                                    np.random.default_rng(seed), n_draws)
    ident["n_units"] = population.shape[1]
    per_image = pd.DataFrame(dict(stim_id=population.index.to_numpy(), decoded=list(decoded),
                                  feature_correlation=[np.corrcoef(d, f)[0, 1] for d, f in zip(decoded, features)]))
    return ident, per_image


def reconstruction_table(decoded: pd.DataFrame, objects: ObjectSpaceFile, min_distance: float = 0.0) -> pd.DataFrame:
    """Each decoded object reconstructed as the nearest object of the pruned database, with its
    normalised distance; `reconstruction` and `best_possible` index the full database."""
    features = objects.features_of(decoded.stim_id.to_numpy())
    kept = prune_database(objects.database, objects.features, min_distance)
    table = reconstruct(np.stack(decoded.decoded), features, objects.database[kept])
    table["reconstruction"] = kept[table.reconstruction]
    table["best_possible"] = kept[table.best_possible]
    table.insert(0, "stim_id", decoded.stim_id.to_numpy())
    table["database_size"] = len(kept)
    return table


def closed_loop_ramps(units: pd.DataFrame, responses: pd.DataFrame, objects: ObjectSpaceFile,
                      min_axis_cosine: float) -> pd.DataFrame:
    """Responses of axis-tuned units to the synthetic stimuli of their closed-loop session, by step
    along the preferred and orthogonal axes the stimuli were made along.

    A unit is 'targeted' when its own preferred axis (from the natural images) is within
    `min_axis_cosine` of the axis the stimuli step along (the analogue of the authors' morning-
    afternoon axis match at r > 0.9). Responses are z-scored across the unit's synthetic stimuli.
    """
    synth = objects.synthetic
    if synth.empty:
        return pd.DataFrame()
    norms = np.sqrt((objects.features**2).sum(axis=0))
    synth = synth.assign(session_name=synth.session)
    rows = []
    syn_resp = responses[responses.stim_phase == "synthetic"]
    for u in units[units.axis_tuned.fillna(False).astype(bool) & units.unit_id.isin(syn_resp.unit_id)].itertuples():
        stims = synth[synth.session == u.session]
        if stims.empty:
            continue
        scaled = np.stack(stims.features) / norms
        pref = scaled[stims.axis.to_numpy() == "preferred"]
        direction = pref[-1] - pref[0]
        cosine = float(np.dot(direction, u.preferred_axis) / np.linalg.norm(direction))
        r = syn_resp[syn_resp.unit_id == u.unit_id].set_index("stim_id").reindex(stims.stim_id)
        z = (r.response_hz - r.response_hz.mean()) / r.response_hz.std(ddof=1)
        natural_max = float(np.abs(ax.scale_features(objects.features) @ np.asarray(u.preferred_axis)).max())
        for s, (_, stim) in enumerate(stims.iterrows()):
            rows.append(dict(unit_id=u.unit_id, session=u.session, axis=stim.axis, step=stim.step,
                             stim_id=int(stim.stim_id), projection=float(scaled[s] @ np.asarray(u.preferred_axis)),
                             natural_max_projection=natural_max, response_hz=float(r.response_hz.iloc[s]),
                             sem_hz=float(r.sem_hz.iloc[s]), response_z=float(z.iloc[s]),
                             axis_cosine=cosine, targeted=abs(cosine) >= min_axis_cosine))
    return pd.DataFrame(rows)
