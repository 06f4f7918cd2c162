"""Decoding of imagined objects (docs/methods.md, "Imagery: decoding"): a linear SVM within
imagery and from viewing to imagery, each with a permutation test, and identification of imagined
objects from decoded features.

Cued trials come in recall trials ("pairings"): one pair of objects cued alternately, each object in
two pairings. Whatever a recall trial shares (a slow drift, the patient's state, the encoding just
seen) is shared by its two objects, so folds and nulls keep its cues together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import selection as sel
from .errors import InputDataError
from .params import StageParams
from .rng import SHUFFLED_LABELS_SEED_OFFSET

# One row per session of the imagery decoding table.
DECODING_COLUMNS = ["session", "n_units", "n_objects", "n_trials", "chance", "within_accuracy", "within_sd",
                    "shuffled_accuracy", "across_accuracy", "feature_identification", "n_pairings", "folds", "null",
                    "n_permutations", "within_p", "across_null_accuracy", "across_p"]

FOLDS = ("pairing", "stratified")  # leave one pairing out; the authors' stratified k-fold
NULLS = ("pairings", "labels")  # pairings permuted over recall trials; labels permuted over all trials


@dataclass(frozen=True)
class ImageryDecodingParams(StageParams):
    """The keys of the `imagery:` config section the decoding of imagined objects uses."""

    decoding_units: str  # axis_tuned or responsive VTC units (selection.decoding_units)
    decoding_folds: str  # pairing (leave one recall trial out) or stratified (the authors' k-fold)
    decoding_repeats: int  # repeats of the stratified k-fold decoding (pairing folds are not random)
    decoding_null: str  # pairings (permuted over recall trials) or labels (i.i.d. shuffle, the old control)
    decoding_permutations: int  # label permutations of the decoders' permutation tests
    seed: int
    svm_c: float  # regularisation C of the linear SVM
    svm_max_iter: int  # iteration limit of the linear SVM's solver
    identification_dims: int  # object features predicted by the identification's ridge regression
    identification_ridge: float  # ridge penalty of that regression (on unscaled rates)

    def __post_init__(self):
        if self.decoding_folds not in FOLDS:
            raise ValueError(f"unknown decoding_folds {self.decoding_folds!r}; expected one of {FOLDS}")
        if self.decoding_null not in NULLS:
            raise ValueError(f"unknown decoding_null {self.decoding_null!r}; expected one of {NULLS}")


# LinearSVC's defaults the decoders keep: squared hinge loss, L2 penalty, one vs rest, an intercept
# penalised as a feature of value 1, tolerance 1e-4.
_SVM_TOL = 1e-4
_SVM_INTERCEPT_SCALING = 1.0
# The seed of liblinear's dual coordinate descent (used when units outnumber trials). LinearSVC's
# default (random_state=None) draws it from numpy's global generator, which no seed controls, so the
# same session could decode differently in two runs; this is the seed random_state=0 gives.
_SVM_SEED = int(np.random.RandomState(0).randint(np.iinfo("i").max))


@dataclass(frozen=True)
class LinearSVM:
    """A fitted one-vs-rest linear SVM: `classes` (n_classes,), sorted; `coef` (1 or n_classes,
    n_units); `intercept` (1 or n_classes,) (one row when there are two classes)."""

    classes: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray

    def predict(self, rates: np.ndarray) -> np.ndarray:
        """The predicted class of each row of `rates` (n_trials, n_units)."""
        scores = rates @ self.coef.T + self.intercept
        if scores.shape[1] == 1:
            return self.classes[(scores[:, 0] > 0).astype(np.intp)]
        return self.classes[scores.argmax(axis=1)]


def fit_linear_svm(rates: np.ndarray, labels: np.ndarray, params: ImageryDecodingParams) -> LinearSVM:
    """The linear SVM every imagined-object decoder uses: scikit-learn's LinearSVC (squared hinge,
    L2, one vs rest; liblinear's primal solver, or its dual one when units outnumber trials), with
    objects weighted equally as the authors' uniform prior did: leaving out a recall trial leaves its
    two objects half the training cues of the others, which an unweighted SVM would hold against them.
    `rates` (n_trials, n_units), `labels` (n_trials,), at least two distinct.

    liblinear is called as LinearSVC.fit calls it, without its input checks: they were five sixths of
    each of the permutation tests' thousands of small fits. The coefficients are LinearSVC's with
    random_state=0 (tests/test_imagery_decoding.py); with its default random_state=None the dual
    solver's seed would come from numpy's unseeded global generator.
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import _liblinear

    classes, y_index = np.unique(labels, return_inverse=True)
    counts = np.bincount(y_index).astype(np.float64)
    class_weight = counts.sum() / (len(classes) * counts)  # class_weight="balanced"
    x = np.ascontiguousarray(rates, dtype=np.float64)
    _liblinear.set_verbosity_wrap(0)  # liblinear prints its iterations unless told not to
    dual = x.shape[0] < x.shape[1]  # LinearSVC's dual="auto"
    raw, n_iter = _liblinear.train_wrap(x, y_index.astype(np.float64), False, 1 if dual else 2, _SVM_TOL,
                                        _SVM_INTERCEPT_SCALING, params.svm_c, class_weight, params.svm_max_iter,
                                        _SVM_SEED, 0.1, np.ones(len(x)))
    if max(n_iter) >= params.svm_max_iter:
        warnings.warn("Liblinear failed to converge, increase the number of iterations.", ConvergenceWarning,
                      stacklevel=2)
    return LinearSVM(classes, raw[:, :-1], _SVM_INTERCEPT_SCALING * raw[:, -1])


def pairing_folds(pairings: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Leave-one-pairing-out folds: (train, test) trial indices, one fold per recall trial
    (`pairings`, shape (n_trials,), the recall trial of each cue), in sorted pairing order."""
    return [(np.flatnonzero(pairings != p), np.flatnonzero(pairings == p)) for p in np.unique(pairings)]


def stratified_folds(labels: np.ndarray, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """The authors' folds: stratified k-fold with k = the number of objects (at most the fewest
    cues of one object), trials assigned at random, whatever recall trial they belong to."""
    from sklearn.model_selection import StratifiedKFold

    k = min(len(np.unique(labels)), np.bincount(pd.factorize(labels)[0]).min())
    folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=int(rng.integers(2**31)))
    return list(folds.split(np.zeros(len(labels)), labels))


def cross_validated_accuracy(rates: np.ndarray, labels: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]],
                             params: ImageryDecodingParams) -> float:
    """Fraction of the test trials of all `folds` whose object the linear SVM predicts, trained on
    the fold's training trials with units z-scored over them (SD with ddof 0; a constant unit is
    only centred). `rates` (n_trials, n_units), finite."""
    if not np.isfinite(rates).all():
        raise InputDataError("imagery decoding: the cued trials' rates are not all finite")
    correct = tested = 0
    for train, test in folds:
        seen = np.unique(labels[train])
        if len(seen) == 1:  # nothing to tell apart: every test trial is called the one trained object
            predicted = np.full(len(test), seen[0])
        else:
            mean, sd = rates[train].mean(axis=0), rates[train].std(axis=0)
            sd = np.where(sd > 0, sd, 1.0)
            model = fit_linear_svm((rates[train] - mean) / sd, labels[train], params)
            predicted = model.predict((rates[test] - mean) / sd)
        correct += int(np.count_nonzero(predicted == labels[test]))
        tested += len(test)
    return correct / tested


def decode_imagined_objects(rates: np.ndarray, labels: np.ndarray, pairings: np.ndarray, rng: np.random.Generator,
                            params: ImageryDecodingParams) -> np.ndarray:
    """Accuracy of decoding the imagined object from the cued trials' rates (n_trials, n_units)
    with a linear SVM on units z-scored within the training folds: one value with pairing folds,
    one per repeat (`decoding_repeats`, folds redrawn from `rng`) with stratified folds.

    DEPARTURE (decoding_folds: pairing, the default): the authors' stratified folds put cues of one
    recall trial in both the training and the test folds, so anything the recall trial shares (drift,
    state) identifies its pair of objects: a per-recall-trial offset without object signal decodes
    at 0.30 against a chance of 1/8 (docs/methods.md). Holding out whole recall trials removes that.
    FIX (departure 3): the authors trained on the unshuffled matrix with *sorted*
    labels, misaligning labels and trials; here each trial keeps its own label.
    """
    if params.decoding_folds == "pairing":
        return np.array([cross_validated_accuracy(rates, labels, pairing_folds(pairings), params)])
    return np.array([cross_validated_accuracy(rates, labels, stratified_folds(labels, rng), params)
                     for _ in range(params.decoding_repeats)])


def pairing_permutations(labels: np.ndarray, pairings: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` relabellings of the cued trials, shape (n, n_trials), each giving every recall trial the
    objects of a random recall trial (a permutation of the pairs over the recall trials), the
    first-cued object to the trials of the first-cued one and so on. Recall trials are permuted only
    among those with as many objects.

    Under the null of no object signal this is the design's own randomisation (the order of the
    pairs), and it keeps everything a recall trial shares with its own cues, and the cue order
    within it (tone 1 always cues the first object).
    """
    blocks, block_of = np.unique(pairings, return_inverse=True)
    role = np.empty(len(labels), dtype=np.int64)
    objects = []
    for b in range(len(blocks)):
        trials = np.flatnonzero(block_of == b)
        present, first, which = np.unique(labels[trials], return_index=True, return_inverse=True)
        order = np.argsort(first)
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        objects.append(present[order])
        role[trials] = rank[which]
    sizes = np.array([len(o) for o in objects])
    table = np.empty((len(blocks), sizes.max()), dtype=labels.dtype)
    for b, o in enumerate(objects):
        table[b, : len(o)] = o
    assignment = np.broadcast_to(np.arange(len(blocks)), (n, len(blocks))).copy()
    for size in np.unique(sizes):
        members = np.flatnonzero(sizes == size)
        assignment[:, members] = members[rng.permuted(np.broadcast_to(np.arange(len(members)),
                                                                      (n, len(members))), axis=1)]
    return table[assignment[:, block_of], role]


def null_labels(labels: np.ndarray, pairings: np.ndarray, rng: np.random.Generator,
                params: ImageryDecodingParams) -> np.ndarray:
    """The permutation test's relabellings of the cued trials, shape (decoding_permutations, n_trials):
    pairs permuted over recall trials (decoding_null: pairings), or the authors' shuffled-label
    control, labels permuted over all trials (labels)."""
    n = params.decoding_permutations
    if params.decoding_null == "pairings":
        return pairing_permutations(labels, pairings, rng, n)
    return rng.permuted(np.broadcast_to(labels, (n, len(labels))), axis=1)


def permutation_p(observed: float, null: np.ndarray) -> float:
    """One-sided permutation p: (1 + number of null values >= observed) / (1 + number of null values)."""
    return float((1 + np.count_nonzero(null >= observed - 1e-12)) / (1 + len(null)))


def within_imagery_test(rates: np.ndarray, labels: np.ndarray, pairings: np.ndarray,
                        params: ImageryDecodingParams) -> dict:
    """Within-imagery decoding and its permutation test: accuracy (mean over repeats) and its SD,
    the null's mean accuracy and the p-value, the null being the same decoding of each of
    `decoding_permutations` relabellings (null_labels), folds redrawn for each as for the data.

    DEPARTURE (decoding_null: pairings, the default): the authors' control shuffled labels over all
    trials, which breaks the pairing of objects within recall trials that the decoder can exploit
    (see decode_imagined_objects) and so sits below what the data give without any object signal;
    permuting whole pairs over recall trials keeps it."""
    observed = decode_imagined_objects(rates, labels, pairings, np.random.default_rng(params.seed), params)
    rng = np.random.default_rng(params.seed + SHUFFLED_LABELS_SEED_OFFSET)
    relabelled = null_labels(labels, pairings, rng, params)
    null = np.array([decode_imagined_objects(rates, y, pairings, rng, params).mean() for y in relabelled])
    return dict(within_accuracy=float(observed.mean()),
                within_sd=float(observed.std(ddof=1)) if len(observed) > 1 else np.nan,
                shuffled_accuracy=float(null.mean()), within_p=permutation_p(observed.mean(), null))


def viewing_decoder_predictions(view_rates: np.ndarray, view_labels: np.ndarray, imagery_rates: np.ndarray,
                                params: ImageryDecodingParams) -> np.ndarray:
    """Objects predicted for the imagery trials (n_trials,) by a linear SVM trained on the viewing
    trials: each condition's rates (n_trials, n_units) are z-scored per unit with that condition's
    own mean and SD (imagery rates are lower and slower than visual ones).

    FIX (departure 2): viewing rates come from each unit's response window after its
    latency (screening trial counts), not from a window that starts 170 ms early.
    """
    def z(x: np.ndarray) -> np.ndarray:
        sd = x.std(axis=0, ddof=1)
        return (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)

    return fit_linear_svm(z(view_rates), view_labels, params).predict(z(imagery_rates))


def decode_across_conditions(view_rates: np.ndarray, view_labels: np.ndarray, imagery_rates: np.ndarray,
                             imagery_labels: np.ndarray, params: ImageryDecodingParams) -> float:
    """Accuracy on the imagery trials of the decoder trained on viewing (viewing_decoder_predictions)."""
    predicted = viewing_decoder_predictions(view_rates, view_labels, imagery_rates, params)
    return float(np.mean(predicted == imagery_labels))


def across_conditions_test(view_rates: np.ndarray, view_labels: np.ndarray, imagery_rates: np.ndarray,
                           imagery_labels: np.ndarray, pairings: np.ndarray, params: ImageryDecodingParams) -> dict:
    """Viewing-to-imagery decoding and its permutation test: the accuracy on the imagery trials, the
    mean accuracy of the same predictions scored against each relabelling of the imagery trials
    (null_labels; the decoder never sees imagery labels, so it need not be refitted) and the p-value.

    The decoder is trained on viewing alone, so no fold can leak; but cues of one recall trial share
    whatever moves their rates together and tend to get the same prediction, so the accuracy varies
    far more than a binomial over the trials would, and only a null that keeps the recall trials
    (decoding_null: pairings) gives a valid p. The authors reported no test of it."""
    predicted = viewing_decoder_predictions(view_rates, view_labels, imagery_rates, params)
    rng = np.random.default_rng(params.seed + SHUFFLED_LABELS_SEED_OFFSET)
    null = (null_labels(imagery_labels, pairings, rng, params) == predicted).mean(axis=1)
    observed = float(np.mean(predicted == imagery_labels))
    return dict(across_accuracy=observed, across_null_accuracy=float(null.mean()),
                across_p=permutation_p(observed, null))


def cue_pairings(trials: pd.DataFrame) -> pd.Series:
    """The recall trial ("pairing") of each cued imagery trial, indexed by trial_index: the trials
    table's `block` (the recall-trial index of imagery-session phases), else its `pairing`, else
    (neither recorded, -1) runs of cues that no other trial interrupts, in time order."""
    ordered = trials.sort_values("start_time", kind="stable")
    cued = (ordered.stim_phase == "imagery").to_numpy()
    for column in ("block", "pairing"):
        if column in ordered and (ordered[column].to_numpy()[cued] >= 0).all():
            return pd.Series(ordered[column].to_numpy()[cued], index=ordered.trial_index.to_numpy()[cued],
                             name="pairing")
    runs = np.cumsum(~cued)
    return pd.Series(runs[cued], index=ordered.trial_index.to_numpy()[cued], name="pairing")


def decoding_session(cues: pd.DataFrame, counts: pd.DataFrame, units: list[str], stim_duration_ms: float,
                     pairings: pd.Series, params: ImageryDecodingParams, features: pd.DataFrame | None = None) -> dict:
    """Within-imagery and viewing-to-imagery decoding of one session's imagined objects, with
    `units` as features and `pairings` (cue_pairings) the recall trial of each cue, each with its
    permutation test, and (given the object `features`, indexed by stim_id) identification of each
    imagined object against one distractor from its decoded features. Chance is 1 / the number of
    objects of this session (0.5 for the identification).

    FIX (departure 15): chance is computed from the session's own number of objects
    (the authors gave an 8-object session the chance of a 6-object one).
    """
    cue = cues[cues.unit_id.isin(units)].pivot(index=["trial_index", "stim_id"], columns="unit_id",
                                               values="imagery_rate_hz")
    labels = cue.index.get_level_values("stim_id").to_numpy()
    trial_pairing = pairings.reindex(cue.index.get_level_values("trial_index")).to_numpy()
    if pd.isna(trial_pairing).any():
        raise InputDataError("cued imagery trials without a recall trial (block) in the trials table")
    if len(np.unique(trial_pairing)) < 2 and (params.decoding_folds, params.decoding_null) != ("stratified", "labels"):
        raise InputDataError("the cued imagery trials form a single recall trial (no block or pairing in the trials "
                             "table, and no other trial between cues): folds and nulls that keep recall trials "
                             "together are impossible; set imagery.decoding_folds: stratified and "
                             "imagery.decoding_null: labels to decode without them")
    objects = np.unique(labels)
    view = counts[counts.unit_id.isin(units) & counts.stim_id.isin(objects)]
    view = view.pivot(index=["trial_index", "stim_id"], columns="unit_id", values="count")[cue.columns]
    view_rates = view.to_numpy(float) / (stim_duration_ms / 1000.0)
    rates = cue.to_numpy(float)
    within = within_imagery_test(rates, labels, trial_pairing, params)
    across = across_conditions_test(view_rates, view.index.get_level_values("stim_id").to_numpy(), rates, labels,
                                    trial_pairing, params)
    identification = np.nan
    if features is not None:
        per_object = pd.DataFrame(rates, index=labels).groupby(level=0).mean().loc[objects]
        identification = imagined_feature_identification(per_object.to_numpy(), objects, features,
                                                         params.identification_dims, params.identification_ridge)
    return dict(n_units=len(cue.columns), n_objects=len(objects), n_trials=len(labels), chance=1 / len(objects),
                within_accuracy=within["within_accuracy"], within_sd=within["within_sd"],
                shuffled_accuracy=within["shuffled_accuracy"], across_accuracy=across["across_accuracy"],
                feature_identification=identification, n_pairings=len(np.unique(trial_pairing)),
                folds=params.decoding_folds, null=params.decoding_null, n_permutations=params.decoding_permutations,
                within_p=within["within_p"], across_null_accuracy=across["across_null_accuracy"],
                across_p=across["across_p"])


def decoding_unit_ids(session_units: pd.DataFrame, cues: pd.DataFrame, which: str) -> list[str]:
    """The session's decoding units (selection.decoding_units) that have cued imagery trials, sorted."""
    chosen = session_units.unit_id[sel.decoding_units(session_units, which)]
    return sorted(set(chosen) & set(cues.unit_id))


def session_decoding_table(session: str, session_units: pd.DataFrame, cues: pd.DataFrame, counts: pd.DataFrame,
                           trials: pd.DataFrame, features: pd.DataFrame, params: ImageryDecodingParams) -> pd.DataFrame:
    """The session's row of the imagery decoding table (DECODING_COLUMNS), or no row for a session
    without cued imagery or with fewer than 2 decoding units. `session_units`: the session's units
    with their screening and axis-model columns (perception.unit_table); `trials`: the session's
    trials table (for the recall trial of each cue, cue_pairings)."""
    rows = []
    if len(cues):
        chosen = decoding_unit_ids(session_units, cues, params.decoding_units)
        if len(chosen) >= 2:
            duration = float(session_units.stim_duration_ms.dropna().iloc[0])
            try:
                result = decoding_session(cues, counts, chosen, duration, cue_pairings(trials), params, features)
            except InputDataError as exc:
                raise InputDataError(f"session {session}: {exc}") from None
            rows.append(dict(session=session, **result))
    return pd.DataFrame(rows, columns=DECODING_COLUMNS)


def imagined_feature_identification(rates: np.ndarray, stim_ids: np.ndarray, features: pd.DataFrame,
                                    n_dims: int, ridge: float, n_distractors: int = 1) -> float:
    """Identify each imagined object from its imagery responses: leave-one-object-out ridge
    regression from the units' mean imagery rates (n_objects, n_units) to the object's first
    `n_dims` features (z-scored over all objects), then the probability that the prediction is
    nearer the object's true features than `n_distractors` random other objects (exact: the mean
    over all draws). Chance is 1 / (n_distractors + 1).

    FIX (departure 11): the target's features are those of its own stim_id, and the
    distractors exclude that stim_id (the authors took params(im) with im the local index 1..N).
    FIX (departure 12): ridge regression onto a fixed, small number of dimensions; the authors'
    OLS onto ceil(0.75 x N cells) dimensions from 5-7 training objects was underdetermined.
    """
    from scipy.special import comb

    all_f = features.to_numpy()[:, :n_dims]
    all_f = (all_f - all_f.mean(axis=0)) / all_f.std(axis=0, ddof=1)
    z = pd.DataFrame(all_f, index=features.index)
    target = z.loc[stim_ids].to_numpy()
    accuracy = []
    for j in range(len(stim_ids)):
        train = np.arange(len(stim_ids)) != j
        r_mean, f_mean = rates[train].mean(axis=0), target[train].mean(axis=0)
        x, y = rates[train] - r_mean, target[train] - f_mean
        w = np.linalg.solve(x.T @ x + ridge * np.eye(x.shape[1]), x.T @ y)
        predicted = (rates[j] - r_mean) @ w + f_mean
        others = z.drop(index=stim_ids[j]).to_numpy()
        d_target = np.linalg.norm(predicted - target[j])
        bad = int(np.count_nonzero(np.linalg.norm(others - predicted, axis=1) <= d_target))
        accuracy.append(comb(len(others) - bad, n_distractors) / comb(len(others), n_distractors))
    return float(np.mean(accuracy))
