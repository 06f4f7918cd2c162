"""Per-session and population steps of the perception analyses, built from the library's
statistics: the axis model of every responsive unit, the cohort table, the selection funnel,
model comparison, decoding, reconstruction and closed-loop ramps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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
from .lazy import stats
from .objects import ObjectSpaceFile
from .params import StageParams
from .rng import (
    STREAM_AXIS_CONSISTENCY,
    STREAM_AXIS_TUNING,
    STREAM_AXIS_WITHIN_CATEGORY,
    STREAM_EXPLAINABLE,
    STREAM_ORTHOGONAL_AXIS,
    session_rng,
    unit_rng,
)


@dataclass(frozen=True)
class AxisParams(StageParams):
    """The keys of the `axis:` config section the axis model uses (the others shape figures)."""

    n_shuffles: int  # feature shuffles per repeat of the axis-tuning test
    n_repeats: int  # repeats of the test
    alpha: float  # per-repeat level
    min_significant: int  # repeats that must reach alpha
    within_category_rule: str  # pooled (one p over all within-category shuffles) or repeats (the main test's rule)
    within_category_statistic: str  # residual (responses minus category means) or raw
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
    tests: dict  # the unit's columns from the session's batched shuffle tests
    ev_category: float  # leave-one-out EV of the category model (batched over the session)
    ev_exemplar: float  # leave-one-out EV of the exemplar model (batched over the session)
    params: AxisParams


def response_matrix(responses: pd.DataFrame, stim_ids: np.ndarray) -> pd.DataFrame:
    """Screening responses as (stim_id rows in the given order) x (unit_id columns), Hz."""
    screening = responses[responses.stim_phase == "screening"]
    return screening.pivot(index="stim_id", columns="unit_id", values="response_hz").reindex(stim_ids)


def count_matrices(counts: pd.DataFrame, unit_ids: list[str], stim_ids: np.ndarray) -> dict[str, np.ndarray]:
    """Per unit, its (n_images, n_trials) window spike counts, images in `stim_ids` order and each
    image's trials in time order; images with more trials than the unit's fewest are cut to that
    number so that every split halves the same count. One sort of the counts table for all units."""
    c = counts[counts.unit_id.isin(unit_ids) & counts.stim_id.isin(stim_ids)]
    c = c.sort_values(["unit_id", "stim_id", "trial_index"], kind="stable")
    units, stims, values = c.unit_id.to_numpy(), c.stim_id.to_numpy(), c["count"].to_numpy(np.float64)
    new_group = np.r_[True, (units[1:] != units[:-1]) | (stims[1:] != stims[:-1])]
    starts = np.flatnonzero(new_group)  # first row of each (unit, image)
    sizes = np.diff(np.r_[starts, len(c)])
    out = {}
    for unit_id in unit_ids:
        mine = units[starts] == unit_id
        first, size, shown = starts[mine], sizes[mine], stims[starts[mine]]
        where = np.searchsorted(shown, stim_ids)
        if len(shown) < len(stim_ids) or not np.array_equal(shown[np.minimum(where, len(shown) - 1)], stim_ids):
            raise ValueError(f"unit {unit_id} has no screening counts for some of the images")
        n = int(size.min())
        out[unit_id] = values[first[where][:, None] + np.arange(n)]
    return out


def axis_model_session(responses: pd.DataFrame, counts: pd.DataFrame, objects: ObjectSpaceFile,
                       params: AxisParams, session: str, workers: int = 1) -> pd.DataFrame:
    """The axis model of every responsive unit of a session: preferred and orthogonal axes, the
    shuffle test for axis tuning and the one within categories, leave-one-out EV of the axis,
    category and exemplar models, split-half explainable variance, normalised EVs and split-half
    axis consistency.

    What depends on the images only (feature scaling, the shuffle test's eigenbasis, the exemplar
    model's distances and QR, the categories) is computed once; the two shuffle tests and the
    category and exemplar models run on all units at once, with permutations drawn once per
    session from `params.seed` and `session` and shared by its units. The rest is per unit, spread
    over `workers` processes (one BLAS thread each), every unit with its own random streams, so the
    table does not depend on the number of workers."""
    matrix = response_matrix(responses, objects.stim_id)
    shown = matrix.notna().all(axis=1).to_numpy()
    stim_ids = objects.stim_id[shown]
    features = objects.features[shown]
    scaled = ax.scale_features(features)
    categories = objects.categories[shown]
    r = matrix.loc[stim_ids].to_numpy(np.float64)  # (n_images, n_units)
    has_axis = np.any((r - r.mean(axis=0)).T @ scaled != 0, axis=1)  # constant responses have no axis
    unit_ids, r = list(matrix.columns[has_axis]), r[:, has_axis]
    if not unit_ids:
        return pd.DataFrame()
    tests = shuffle_test_columns(r, scaled, categories, params, session, workers)
    ev_category = [ax.explained_variance(p, y) for p, y in
                   zip(ax.loo_category_predictions(r, categories).T, r.T, strict=True)]
    ev_exemplar = [ax.explained_variance(p, y) for p, y in
                   zip(ax.loo_exemplar_predictions(r, ax.exemplar_design(scaled, params.exemplar_degree)).T, r.T,
                       strict=True)]
    trial_counts = count_matrices(counts, unit_ids, stim_ids)
    jobs = [UnitAxisJob(unit_id, r[:, j], trial_counts[unit_id], features, scaled,
                        columns, ev_category[j], ev_exemplar[j], params)
            for j, (unit_id, columns) in enumerate(zip(unit_ids, tests.to_dict("records"), strict=True))]
    if workers > 1 and len(jobs) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers, initializer=_one_blas_thread) as pool:
            rows = list(pool.map(_unit_axis_model, jobs))
    else:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):  # as in the worker processes: the per-unit products are small
            rows = [_unit_axis_model(job) for job in jobs]
    return pd.DataFrame(rows)


def shuffle_test_columns(responses: np.ndarray, scaled: np.ndarray, categories: np.ndarray, params: AxisParams,
                         session: str, workers: int = 1) -> pd.DataFrame:
    """The two shuffle tests of a session's units, `responses` (n_images, n_units), one row per unit.

    The authors' test (image-feature pairing shuffled over all images; null: no dependence on the
    features) gives axis_correlation, tuning_p_median, tuning_significant_repeats and axis_tuned.
    The test within categories (features shuffled only among objects of the same category; null:
    the responses depend on the category alone) gives within_category_correlation (its observed
    statistic), within_category_p (the pooled (k+1)/(n+1) p over all its shuffles),
    within_category_significant_repeats (repeats with p < alpha, ties counted against the unit) and
    axis_tuned_beyond_category: axis-tuned, and significant within categories by
    `params.within_category_rule`. With `params.within_category_statistic` 'residual' its statistic
    is the STA correlation of the responses minus their category means, with 'raw' of the responses.
    A unit whose responses do not vary within categories cannot be tested there (p NaN, not called).
    Each test draws its n_repeats x n_shuffles permutations once, from its own session stream; with
    `workers` > 1 the two tests run in two threads (the counts do not depend on it).
    """
    # DEPARTURE (not a fix; docs/methods.md "Shuffle test and its permutations"): the authors drew
    # fresh shuffles for every unit; here a session's units share them. Each unit's p-values keep
    # their null distribution; only different units' p-values become dependent.
    n = len(responses)
    basis = ax.shuffle_basis(scaled)
    residuals = ax.category_residuals(responses, categories)
    spread = np.sqrt(((responses - responses.mean(axis=0)) ** 2).sum(axis=0))
    testable = np.sqrt((residuals**2).sum(axis=0)) > 1e-9 * spread  # rounding aside, some variation within

    def main_test() -> ax.ShuffleCounts:
        rng = session_rng(params.seed, session, STREAM_AXIS_TUNING)
        return ax.shuffle_test(responses, basis, ax.permutation_repeats(rng, np.zeros(n), params.n_repeats,
                                                                        params.n_shuffles))

    def within_test() -> ax.ShuffleCounts:
        rng = session_rng(params.seed, session, STREAM_AXIS_WITHIN_CATEGORY)
        return ax.shuffle_test(residuals if params.within_category_statistic == "residual" else responses, basis,
                               ax.permutation_repeats(rng, categories, params.n_repeats, params.n_shuffles))

    if workers > 1:
        from concurrent.futures import ThreadPoolExecutor

        from threadpoolctl import threadpool_limits

        with threadpool_limits(1), ThreadPoolExecutor(max_workers=2) as pool:
            main, within = [job.result() for job in (pool.submit(main_test), pool.submit(within_test))]
    else:
        main, within = main_test(), within_test()
    p = main.repeat_pvalues()
    tuned = np.array([ax.is_axis_tuned(p[:, j], params.alpha, params.min_significant) for j in range(p.shape[1])])
    # Ties count against the unit here: a shuffle within categories can leave responses unchanged.
    within_significant = np.where(testable, np.count_nonzero(within.reach / within.n_shuffles < params.alpha,
                                                             axis=0), 0)
    pooled = np.where(testable, within.pooled_pvalue(), np.nan)
    if params.within_category_rule == "repeats":
        beyond = within_significant >= params.min_significant
    else:
        beyond = pooled < params.alpha
    return pd.DataFrame(dict(
        axis_correlation=main.observed,
        tuning_p_median=np.median(p, axis=0),
        tuning_significant_repeats=np.count_nonzero(p < params.alpha, axis=0),
        axis_tuned=tuned,
        within_category_correlation=within.observed,
        within_category_p=pooled,
        within_category_significant_repeats=within_significant,
        axis_tuned_beyond_category=tuned & beyond & testable,
    ))


def _one_blas_thread() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def _unit_axis_model(job: UnitAxisJob) -> dict:
    """One row of the axis-model table."""
    unit_id, r, counts, scaled, params = job.unit_id, job.responses, job.counts, job.scaled, job.params
    sta = ax.preferred_axis(r, scaled)
    ev_axis = ax.explained_variance(ax.loo_axis_predictions(r, scaled), r)
    ev_cat, ev_ex = job.ev_category, job.ev_exemplar
    explainable = ax.split_half_explainable_variance(counts, unit_rng(params.seed, unit_id, STREAM_EXPLAINABLE),
                                                     params.explainable_splits,
                                                     squared=params.explainable_ceiling == "squared")
    return dict(
        unit_id=unit_id,
        n_images=len(r),
        **job.tests,
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
    checked one-to-one). Units without an axis model (not responsive) are not axis-tuned, beyond
    category or not."""
    if "unit_id" not in axis:  # a session without responsive units has an empty axis table
        axis = pd.DataFrame(columns=["unit_id", "axis_tuned", "axis_tuned_beyond_category"])
    units = recorded.merge(screening, on="unit_id", how="left", validate="one_to_one")
    units = units.merge(axis, on="unit_id", how="left", validate="one_to_one")
    units["axis_tuned"] = sel.called(units.axis_tuned)
    if "axis_tuned_beyond_category" in units:
        units["axis_tuned_beyond_category"] = sel.called(units.axis_tuned_beyond_category)
    return units


def selection_funnel(units: pd.DataFrame, imagery_units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Units left after each criterion: recorded -> VTC -> responsive -> axis-tuned -> axis-tuned
    beyond category, and with the imagery tables axis-tuned -> axis-tuned in imagery sessions ->
    reactivated, beside the paper's numbers. fraction_of_previous is of the stage a stage selects
    from (paper.FUNNEL_PARENT; otherwise the one before it)."""
    tuned = sel.axis_tuned(units)
    counts = [len(units), int(sel.vtc(units).sum()), int(sel.responsive(units).sum()), int(tuned.sum()),
              int(sel.axis_tuned_beyond_category(units).sum())]
    if imagery_units is not None:
        in_imagery = tuned & sel.in_imagery_sessions(units, imagery_units)
        reactivated = imagery_units.unit_id[sel.called(imagery_units.reactivated)]
        counts += [int(in_imagery.sum()), int((in_imagery & units.unit_id.isin(reactivated)).sum())]
    stages = list(paper.FUNNEL)[: len(counts)]
    table = pd.DataFrame(dict(stage=stages, this_run=counts,
                              paper=[np.nan if paper.FUNNEL[s] is None else paper.FUNNEL[s] for s in stages]))
    position = {s: i for i, s in enumerate(stages)}
    parent = [position.get(paper.FUNNEL_PARENT.get(s), i - 1) for i, s in enumerate(stages)]
    for column, source in (("fraction_of_previous", "this_run"), ("paper_fraction_of_previous", "paper")):
        values = table[source].to_numpy(dtype=float)
        base = np.array([values[j] if j >= 0 else np.nan for j in parent])
        with np.errstate(divide="ignore", invalid="ignore"):
            table[column] = values / base
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


def selection_funnel_by_patient(units: pd.DataFrame, imagery_units: pd.DataFrame | None = None) -> pd.DataFrame:
    """The selection funnel of each patient's units alone (patient, stage, this_run): the counts the
    claims need to widen a fraction's interval for units clustered in patients."""
    parts = []
    for patient, own in units.groupby("subject", sort=True):
        imagery = None if imagery_units is None else imagery_units[imagery_units.unit_id.isin(own.unit_id)]
        funnel = selection_funnel(own, imagery)
        parts.append(funnel[["stage", "this_run"]].assign(patient=str(patient)))
    columns = ["patient", "stage", "this_run"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


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
