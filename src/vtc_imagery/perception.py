"""Per-session and population steps of the perception analyses, built from the library's
statistics: the axis model of every responsive unit, the cohort table, the selection funnel,
model comparison, decoding, reconstruction and closed-loop ramps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from . import axis as ax
from . import paper
from . import selection as sel
from .decoding import (
    axis_tuned_in_training,
    identification_accuracy,
    loo_decode_features,
    loo_decode_with_selection_in_folds,
    prune_database,
    reconstruct,
)
from .objects import ObjectSpaceFile
from .params import StageParams
from .rng import STREAM_AXIS_CONSISTENCY, STREAM_AXIS_TUNING, STREAM_EXPLAINABLE, STREAM_ORTHOGONAL_AXIS, unit_rng


@dataclass(frozen=True)
class AxisParams(StageParams):
    """The keys of the `axis:` config section the axis model uses (the others shape figures)."""

    n_shuffles: int  # feature shuffles per repeat of the axis-tuning test
    n_repeats: int  # repeats of the test
    alpha: float  # per-repeat level
    min_significant: int  # repeats that must reach alpha
    explainable_splits: int
    min_explainable: float  # units below get no normalised EV
    consistency_splits: int
    exemplar_degree: int
    explainable_ceiling: str  # squared (the authors') or reliability
    orthogonal: str  # construction of the orthogonal control axis (axis.ORTHOGONAL_METHODS)
    seed: int


SELECTIONS = ("in_fold", "all_images")  # config decoding.selection


@dataclass(frozen=True)
class DecodingParams(StageParams):
    """The keys of the `decoding:` config section the population decoding uses."""

    max_distractors: int  # identification among 1..max_distractors distractors
    draws: int  # random distractor draws per image and number of distractors
    seed: int
    selection: str  # in_fold (axis-tuned units called without the decoded images) or all_images (the authors')
    selection_folds: int  # folds of the images for the in-fold selection
    selection_repeats: int  # repeats of the in-fold axis-tuning test (the axis model's shuffles per repeat)

    def __post_init__(self):
        if self.selection not in SELECTIONS:
            raise ValueError(f"unknown decoding selection {self.selection!r}; expected one of {SELECTIONS}")


@dataclass(frozen=True)
class AxisTestParams(StageParams):
    """The keys of the `axis:` config section that define the axis-tuning call (the shuffle test),
    for calling units axis-tuned again inside the decoding's folds."""

    n_shuffles: int
    n_repeats: int
    alpha: float
    min_significant: int


@dataclass(frozen=True)
class UnitAxisJob:
    """One unit's inputs to the axis model (sent to a worker process)."""

    unit_id: str
    responses: np.ndarray  # (n_images,) Hz
    counts: np.ndarray  # (n_images, n_trials) window spike counts
    features: np.ndarray  # (n_images, n_features) object features
    scaled: np.ndarray  # (n_images, n_features) features scaled as the axis model uses them
    categories: np.ndarray  # (n_images,) category labels
    params: AxisParams


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
                       params: AxisParams, workers: int = 1) -> pd.DataFrame:
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
    jobs = [UnitAxisJob(unit_id, matrix.loc[stim_ids, unit_id].to_numpy(np.float64),
                        count_matrix(counts, unit_id, stim_ids), features, scaled, categories, params)
            for unit_id in matrix.columns]
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


def _unit_axis_model(job: UnitAxisJob) -> dict | None:
    """One row of the axis-model table, or None for a unit without an axis."""
    unit_id, r, counts, scaled, params = job.unit_id, job.responses, job.counts, job.scaled, job.params
    sta = ax.preferred_axis(r, scaled)
    if not np.any(sta):
        return None  # a unit with identical responses to every image has no axis
    pvals = ax.axis_tuning_pvalues(r, scaled, unit_rng(params.seed, unit_id, STREAM_AXIS_TUNING), params.n_shuffles,
                                   params.n_repeats)
    ev_axis = ax.explained_variance(ax.loo_axis_predictions(r, scaled), r)
    ev_cat = ax.explained_variance(ax.loo_category_predictions(r, job.categories), r)
    ev_ex = ax.explained_variance(ax.loo_exemplar_predictions(r, scaled, params.exemplar_degree), r)
    explainable = ax.split_half_explainable_variance(counts, unit_rng(params.seed, unit_id, STREAM_EXPLAINABLE),
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
        axis_consistency=ax.axis_consistency(r, scaled, unit_rng(params.seed, unit_id, STREAM_AXIS_CONSISTENCY),
                                             params.consistency_splits),
        preferred_axis=list(sta / np.linalg.norm(sta)),
        orthogonal_axis=list(ax.orthogonal_axis(sta, job.features,
                                                unit_rng(params.seed, unit_id, STREAM_ORTHOGONAL_AXIS),
                                                params.orthogonal)),
    )


def unit_table(recorded: pd.DataFrame, screening: pd.DataFrame, axis: pd.DataFrame) -> pd.DataFrame:
    """One row per recorded unit with its screening and axis-model columns (left joins on unit_id,
    checked one-to-one). Units without an axis model (not responsive) are not axis-tuned."""
    if "unit_id" not in axis:  # a session without responsive units has an empty axis table
        axis = pd.DataFrame(columns=["unit_id", "axis_tuned"])
    units = recorded.merge(screening, on="unit_id", how="left", validate="one_to_one")
    units = units.merge(axis, on="unit_id", how="left", validate="one_to_one")
    units["axis_tuned"] = sel.called(units.axis_tuned)
    return units


def selection_funnel(units: pd.DataFrame, imagery_units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Units left after each criterion: recorded -> VTC -> responsive -> axis-tuned, and with the
    imagery tables -> axis-tuned in imagery sessions -> reactivated, beside the paper's numbers."""
    tuned = sel.axis_tuned(units)
    counts = [len(units), int(sel.vtc(units).sum()), int(sel.responsive(units).sum()), int(tuned.sum())]
    if imagery_units is not None:
        in_imagery = tuned & sel.in_imagery_sessions(units, imagery_units)
        reactivated = imagery_units.unit_id[sel.called(imagery_units.reactivated)]
        counts += [int(in_imagery.sum()), int((in_imagery & units.unit_id.isin(reactivated)).sum())]
    stages = list(paper.FUNNEL)[: len(counts)]
    table = pd.DataFrame(dict(stage=stages, this_run=counts,
                              paper=[np.nan if paper.FUNNEL[s] is None else paper.FUNNEL[s] for s in stages]))
    table["fraction_of_previous"] = table.this_run / table.this_run.shift()
    table["paper_fraction_of_previous"] = table.paper / table.paper.shift()
    return table


def model_comparison(units: pd.DataFrame) -> pd.DataFrame:
    """Normalised EV of the axis, category and exemplar models over responsive VTC units with
    explainable variance above threshold: mean +- SEM, and the tests between models (two-sample KS
    and paired Wilcoxon signed-rank)."""
    keep = units[sel.model_comparison_units(units)]
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


def candidate_population(units: pd.DataFrame, responses: pd.DataFrame,
                         stim_ids: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Screening responses of the responsive VTC units (the units the axis model tests), (stim_id x
    unit_id), units with a response to every image, and which of them the axis model called
    axis-tuned from all images, (n_units,) bool. Responsiveness is called from the responses alone,
    never from the object features, so it cannot favour units that happen to match the features."""
    candidates = units[sel.responsive(units)]
    matrix = response_matrix(responses[responses.unit_id.isin(candidates.unit_id)], stim_ids)
    matrix = matrix.loc[:, matrix.notna().all(axis=0)]
    tuned = sel.axis_tuned(candidates.set_index("unit_id", drop=False).loc[matrix.columns]).to_numpy()
    return matrix, tuned


def decode_objects(population: pd.DataFrame, axis_tuned: np.ndarray, objects: ObjectSpaceFile,
                   params: DecodingParams, axis_test: AxisTestParams) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Leave-one-out decoding of the features from the pseudo-population of axis-tuned units, and
    identification among 1..max_distractors distractors. `population`: (stim_id x unit) responses of
    the candidate units (candidate_population), `axis_tuned` the axis model's calls for them.
    Returns (identification by k, per-image decoded features and the number of units decoding it).

    DEPARTURE (selection: in_fold, the default): the authors decoded from the units called axis-
    tuned with all images, so each held-out image had helped choose the units that decode it (by
    its response and its features: the call is a test of their relation). Here the images are split
    into `selection_folds` folds, and the images of each fold are decoded (leave one out, as before)
    by the units called axis-tuned from the other folds' images alone, with the axis model's test
    (its shuffles per repeat and level; `selection_repeats` repeats, of which the same fraction as
    the axis model's min_significant / n_repeats must reach the level).
    """
    responses = population.to_numpy(float)
    features = objects.features_of(population.index.to_numpy())
    rng = np.random.default_rng(params.seed)
    if params.selection == "in_fold":
        folds = rng.permutation(len(features)) % params.selection_folds
        needed = int(np.ceil(axis_test.min_significant / axis_test.n_repeats * params.selection_repeats - 1e-9))

        def select(train_responses: np.ndarray, train_features: np.ndarray) -> np.ndarray:
            return axis_tuned_in_training(train_responses, train_features, rng, axis_test.n_shuffles,
                                          params.selection_repeats, axis_test.alpha, needed)

        decoded, n_units = loo_decode_with_selection_in_folds(responses, features, folds, select)
    else:
        folds = np.zeros(len(features), dtype=np.int64)
        decoded = loo_decode_features(responses[:, np.asarray(axis_tuned, dtype=bool)], features)
        n_units = np.full(len(features), int(np.count_nonzero(axis_tuned)))
    ident = identification_accuracy(decoded, features, np.arange(1, params.max_distractors + 1), rng, params.draws)
    per_fold = pd.Series(n_units).groupby(folds).first()
    ident["n_units"] = round(per_fold.mean())
    ident["n_units_min"], ident["n_units_max"] = int(per_fold.min()), int(per_fold.max())
    ident["selection"] = params.selection
    correlation = [np.corrcoef(d, f)[0, 1] for d, f in zip(decoded, features, strict=True)]
    per_image = pd.DataFrame(dict(stim_id=population.index.to_numpy(), decoded=list(decoded),
                                  feature_correlation=correlation, n_units=n_units, fold=folds))
    return ident, per_image


def reconstruction_table(decoded: pd.DataFrame, objects: ObjectSpaceFile, min_distance: float) -> pd.DataFrame:
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
    FIX (signed axis match): the cosine is signed, as the authors' match is a signed r; with |cos|
    a unit whose axis points against the stimuli's counted as targeted, its ramp running backwards.
    """
    synth = objects.synthetic
    if synth.empty:
        return pd.DataFrame()
    norms = np.sqrt((objects.features**2).sum(axis=0))
    synth = synth.assign(session_name=synth.session)
    rows = []
    syn_resp = responses[responses.stim_phase == "synthetic"]
    for u in units[sel.axis_tuned_any_area(units) & units.unit_id.isin(syn_resp.unit_id)].itertuples():
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
                             axis_cosine=cosine, targeted=cosine >= min_axis_cosine))
    return pd.DataFrame(rows)
