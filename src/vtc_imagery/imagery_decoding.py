"""Decoding of imagined objects (research/matlab_code.md §2.18-2.19): a linear SVM within
imagery and from viewing to imagery, and identification of imagined objects from decoded features."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import selection as sel
from .params import StageParams
from .rng import SHUFFLED_LABELS_SEED_OFFSET

# One row per session of the imagery decoding table.
DECODING_COLUMNS = ["session", "n_units", "n_objects", "n_trials", "chance", "within_accuracy", "within_sd",
                    "shuffled_accuracy", "across_accuracy", "feature_identification"]


@dataclass(frozen=True)
class ImageryDecodingParams(StageParams):
    """The keys of the `imagery:` config section the decoding of imagined objects uses."""

    decoding_units: str  # axis_tuned or responsive VTC units (selection.decoding_units)
    decoding_repeats: int  # repeats of the k-fold decoding
    seed: int
    svm_c: float  # regularisation C of the linear SVM
    svm_max_iter: int  # iteration limit of the linear SVM's solver
    identification_dims: int  # object features predicted by the identification's ridge regression
    identification_ridge: float  # ridge penalty of that regression (on unscaled rates)


def linear_svm(params: ImageryDecodingParams):
    """The linear SVM every imagined-object decoder uses (scikit-learn LinearSVC)."""
    from sklearn.svm import LinearSVC

    return LinearSVC(C=params.svm_c, max_iter=params.svm_max_iter)


def decode_imagined_objects(rates: np.ndarray, labels: np.ndarray, seed: int, params: ImageryDecodingParams,
                            shuffle_labels: bool = False) -> np.ndarray:
    """Accuracy of each repeat of stratified k-fold decoding (k = number of objects) of the imagined
    object from the cued trials' rates (n_trials, n_units), with a linear SVM on units z-scored
    within the training folds.

    FIX (matlab_code.md §4 item 3): the authors trained on the unshuffled matrix with *sorted*
    labels, misaligning labels and trials; here each trial keeps its own label (or, with
    shuffle_labels, a random permutation of them, as a chance control).
    """
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    k = len(np.unique(labels))
    rng = np.random.default_rng(seed)
    out = np.empty(params.decoding_repeats)
    for r in range(params.decoding_repeats):
        y = rng.permutation(labels) if shuffle_labels else labels
        folds = StratifiedKFold(n_splits=min(k, np.bincount(pd.factorize(y)[0]).min()), shuffle=True,
                                random_state=int(rng.integers(2**31)))
        correct = 0
        for train, test in folds.split(rates, y):
            model = make_pipeline(StandardScaler(), linear_svm(params)).fit(rates[train], y[train])
            correct += int((model.predict(rates[test]) == y[test]).sum())
        out[r] = correct / len(y)
    return out


def decode_across_conditions(view_rates: np.ndarray, view_labels: np.ndarray, imagery_rates: np.ndarray,
                             imagery_labels: np.ndarray, params: ImageryDecodingParams) -> float:
    """Train on viewing trials, test on imagery trials: each condition's rates are z-scored per unit
    with that condition's own mean and SD (imagery rates are lower and slower than visual ones).

    FIX (matlab_code.md §4 item 2): viewing rates come from each unit's response window after its
    latency (screening trial counts), not from a window that starts 170 ms early.
    """
    def z(x: np.ndarray) -> np.ndarray:
        sd = x.std(axis=0, ddof=1)
        return (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)

    model = linear_svm(params).fit(z(view_rates), view_labels)
    return float(np.mean(model.predict(z(imagery_rates)) == imagery_labels))


def decoding_session(cues: pd.DataFrame, counts: pd.DataFrame, units: list[str], stim_duration_ms: float,
                     params: ImageryDecodingParams, features: pd.DataFrame | None = None) -> dict:
    """Within-imagery and viewing-to-imagery decoding of one session's imagined objects, with
    `units` as features, and (given the object `features`, indexed by stim_id) identification of
    each imagined object against one distractor from its decoded features. Chance is 1 / the number
    of objects of this session (0.5 for the identification).

    FIX (matlab_code.md §4 item 15): chance is computed from the session's own number of objects
    (the authors gave an 8-object session the chance of a 6-object one).
    """
    cue = cues[cues.unit_id.isin(units)].pivot(index=["trial_index", "stim_id"], columns="unit_id",
                                               values="imagery_rate_hz")
    labels = cue.index.get_level_values("stim_id").to_numpy()
    objects = np.unique(labels)
    view = counts[counts.unit_id.isin(units) & counts.stim_id.isin(objects)]
    view = view.pivot(index=["trial_index", "stim_id"], columns="unit_id", values="count")[cue.columns]
    view_rates = view.to_numpy(float) / (stim_duration_ms / 1000.0)
    within = decode_imagined_objects(cue.to_numpy(float), labels, params.seed, params)
    shuffled = decode_imagined_objects(cue.to_numpy(float), labels, params.seed + SHUFFLED_LABELS_SEED_OFFSET, params,
                                      shuffle_labels=True)
    across = decode_across_conditions(view_rates, view.index.get_level_values("stim_id").to_numpy(),
                                      cue.to_numpy(float), labels, params)
    identification = np.nan
    if features is not None:
        per_object = pd.DataFrame(cue.to_numpy(float), index=labels).groupby(level=0).mean().loc[objects]
        identification = imagined_feature_identification(per_object.to_numpy(), objects, features,
                                                         params.identification_dims, params.identification_ridge)
    return dict(n_units=len(cue.columns), n_objects=len(objects), n_trials=len(labels), chance=1 / len(objects),
                within_accuracy=float(within.mean()), within_sd=float(within.std(ddof=1)),
                shuffled_accuracy=float(shuffled.mean()), across_accuracy=across,
                feature_identification=identification)


def decoding_unit_ids(session_units: pd.DataFrame, cues: pd.DataFrame, which: str) -> list[str]:
    """The session's decoding units (selection.decoding_units) that have cued imagery trials, sorted."""
    chosen = session_units.unit_id[sel.decoding_units(session_units, which)]
    return sorted(set(chosen) & set(cues.unit_id))


def session_decoding_table(session: str, session_units: pd.DataFrame, cues: pd.DataFrame, counts: pd.DataFrame,
                           features: pd.DataFrame, params: ImageryDecodingParams) -> pd.DataFrame:
    """The session's row of the imagery decoding table (DECODING_COLUMNS), or no row for a session
    without cued imagery or with fewer than 2 decoding units. `session_units`: the session's units
    with their screening and axis-model columns (perception.unit_table)."""
    rows = []
    if len(cues):
        chosen = decoding_unit_ids(session_units, cues, params.decoding_units)
        if len(chosen) >= 2:
            duration = float(session_units.stim_duration_ms.dropna().iloc[0])
            rows.append(dict(session=session, **decoding_session(cues, counts, chosen, duration, params, features)))
    return pd.DataFrame(rows, columns=DECODING_COLUMNS)


def imagined_feature_identification(rates: np.ndarray, stim_ids: np.ndarray, features: pd.DataFrame,
                                    n_dims: int, ridge: float, n_distractors: int = 1) -> float:
    """Identify each imagined object from its imagery responses: leave-one-object-out ridge
    regression from the units' mean imagery rates (n_objects, n_units) to the object's first
    `n_dims` features (z-scored over all objects), then the probability that the prediction is
    nearer the object's true features than `n_distractors` random other objects (exact: the mean
    over all draws). Chance is 1 / (n_distractors + 1).

    FIX (matlab_code.md §4 item 11): the target's features are those of its own stim_id, and the
    distractors exclude that stim_id (the authors took params(im) with im the local index 1..N).
    FIX (§4 item 12): ridge regression onto a fixed, small number of dimensions; the authors'
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
