"""Population decoding of viewed objects (docs/methods.md):
leave-one-out linear decoding of the object features from a pseudo-population, identification of
the target among k distractors, and reconstruction as the nearest object of a large database.

Shapes: `population` (n_images, n_units) mean rates in Hz; `features` (n_images, n_dims).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import axis as ax


def loo_decode_features(population: np.ndarray, features: np.ndarray) -> np.ndarray:
    """Leave-one-image-out OLS predictions of every feature from [population, 1], shape like features.

    Exact for every fold at once: the held-out residual of OLS is e_j / (1 - h_jj), with h the
    leverages of the design. A rank-deficient design is reduced to its column space first.
    """
    design = np.column_stack([population, np.ones(len(population))])
    u, sv, _ = np.linalg.svd(design, full_matrices=False)
    q = u[:, sv > sv.max() * max(design.shape) * np.finfo(float).eps]  # orthonormal basis of the column space
    fitted = q @ (q.T @ features)
    lever = (q**2).sum(axis=1)
    if np.any(lever >= 1 - 1e-10):
        raise ValueError("an image has leverage 1: leave-one-out decoding is undefined (too many units for images)")
    return features - (features - fitted) / (1 - lever)[:, None]


def pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances between the rows of a (n, d) and b (m, d), shape (n, m)."""
    sq = (a**2).sum(axis=1)[:, None] + (b**2).sum(axis=1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.maximum(sq, 0.0))


def identification_accuracy(decoded: np.ndarray, features: np.ndarray, n_distractors: np.ndarray,
                            rng: np.random.Generator, n_draws: int = 1000) -> pd.DataFrame:
    """Accuracy of picking the target among k random distractors by the nearest true feature vector.

    For each image and k, `n_draws` draws of k distinct distractors from the other images; a draw
    is correct when the decoded vector is strictly nearer the target's true features than every
    distractor's. Whether a draw is correct depends only on how many of the drawn distractors are
    nearer than the target, which is hypergeometric, so draws are sampled from that law directly.
    Returns per k: accuracy (mean over images), its SEM over images, and chance 1/(k+1).

    FIX (departure 13): the authors' loop compared distances to the distractors only,
    skipping the appended target, so its accuracy was always 0; the target is always a candidate here.
    """
    dist = pairwise_distances(decoded, features)
    target = np.diag(dist)
    n = len(features)
    # Other images that defeat the target as distractors: strictly nearer, or tied (a tie is a failure).
    bad = (dist <= target[:, None]).sum(axis=1) - 1
    rows = []
    for k in n_distractors:
        good = n - 1 - bad
        draws = rng.hypergeometric(np.repeat(bad, n_draws), np.repeat(good, n_draws), int(k)).reshape(n, n_draws)
        per_image = (draws == 0).mean(axis=1)
        rows.append(dict(n_distractors=int(k), accuracy=float(per_image.mean()),
                         sem=float(per_image.std(ddof=1) / np.sqrt(n)), chance=1.0 / (k + 1)))
    return pd.DataFrame(rows)


def prune_database(database: np.ndarray, stimuli: np.ndarray, min_distance: float) -> np.ndarray:
    """Indices of the database objects kept for reconstruction: exact duplicates within the database
    dropped (the first copy kept), and every object within `min_distance` of a screening stimulus
    dropped (the feature-space analogue of the authors' SSIM > 0.8 rule).

    FIX (departure 14): the authors' within-set comparison included each image with
    itself (similarity 1 > 0.8), which flags every image; an object is never compared with itself here.
    """
    _, first = np.unique(database, axis=0, return_index=True)
    keep = np.zeros(len(database), dtype=bool)
    keep[first] = True
    near = pairwise_distances(database, stimuli).min(axis=1) <= min_distance
    return np.flatnonzero(keep & ~near)


def reconstruct(decoded: np.ndarray, features: np.ndarray, database: np.ndarray) -> pd.DataFrame:
    """Reconstruction of each image as the database object nearest its decoded features.

    The best possible reconstruction is the database object nearest the image's true features;
    normalised distance = |reconstruction - truth| / |best possible - truth| (>= 1; 1 is as good
    as the database allows).
    """
    recon = pairwise_distances(decoded, database).argmin(axis=1)
    best = pairwise_distances(features, database).argmin(axis=1)
    d_recon = np.linalg.norm(database[recon] - features, axis=1)
    d_best = np.linalg.norm(database[best] - features, axis=1)
    return pd.DataFrame(dict(reconstruction=recon, best_possible=best, distance=d_recon, best_distance=d_best,
                             normalised_distance=d_recon / np.where(d_best > 0, d_best, np.nan)))


def axis_tuning_pvalues_batched(responses: np.ndarray, scaled: np.ndarray, rng: np.random.Generator,
                                n_shuffles: int, n_repeats: int) -> np.ndarray:
    """The axis model's shuffle test for many units at once: p of each repeat for each unit, shape
    (n_repeats, n_units), from `responses` (n_images, n_units) and the scaled features (n_images,
    n_dims). Every unit sees the same shuffles, drawn repeat by repeat as axis.axis_tuning_pvalues
    draws them, so a single unit gets exactly its p-values from the same generator (axis.shuffle_test:
    one gather and one product for all units and shuffles)."""
    return ax.axis_tuning_pvalues(np.asarray(responses, dtype=np.float64).reshape(len(responses), -1), scaled, rng,
                                  n_shuffles, n_repeats)


def axis_tuned_in_training(responses: np.ndarray, features: np.ndarray, rng: np.random.Generator, n_shuffles: int,
                           n_repeats: int, alpha: float, min_significant: int) -> np.ndarray:
    """Which units (columns of `responses`, (n_images, n_units)) the axis model would call
    axis-tuned from these images alone: features scaled over these images, the shuffle test
    (axis_tuning_pvalues_batched) and p < alpha in at least `min_significant` of `n_repeats`
    repeats. A unit with the same response to every image has no axis and is never called."""
    p = axis_tuning_pvalues_batched(responses, ax.scale_features(features), rng, n_shuffles, n_repeats)
    return ((p < alpha).sum(axis=0) >= min_significant) & (responses.std(axis=0) > 0)


def loo_decode_with_selection_in_folds(population: np.ndarray, features: np.ndarray, folds: np.ndarray,
                                       select) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-image-out decoding (loo_decode_features) of every image with units chosen without
    it: images are split into `folds` (fold label per image, (n_images,)); for the images of fold k
    the units are `select(population[train], features[train])` (a boolean mask over units) with train
    the other folds' images, and the decoder is the usual leave-one-out fit on every other image.
    Returns the decoded features (like `features`) and the number of units each image used."""
    decoded = np.empty_like(features, dtype=float)
    n_units = np.empty(len(features), dtype=np.int64)
    for k in np.unique(folds):
        held_out = folds == k
        chosen = np.asarray(select(population[~held_out], features[~held_out]), dtype=bool)
        decoded[held_out] = loo_decode_features(population[:, chosen], features)[held_out]
        n_units[held_out] = chosen.sum()
    return decoded, n_units
