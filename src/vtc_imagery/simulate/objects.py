"""A simulated object space: 50-d 'deep-network PCA' features for the 500 objects and a database.

Features mimic PCA scores of a deep layer: category structure, a decaying variance spectrum,
zero mean over the 500 screening objects, and components ordered by variance. The database
objects come from the same generator and are projected with the 500-object PCA, as the paper
projects its 17,856-image database into the screening PCA space.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..categories import CATEGORIES, category_labels


@dataclass(frozen=True)
class ObjectSpace:
    features: np.ndarray  # (500, n_features) PCA scores of the screening objects
    categories: np.ndarray  # (500,) category name per object (stim_id - 1)
    database: np.ndarray  # (n_database, n_features) database objects in the same PCA space
    database_categories: np.ndarray  # (n_database,)


def simulate_object_space(rng: np.random.Generator, n_features: int, n_database: int,
                          n_latent: int = 120) -> ObjectSpace:
    """Draw features for the 500 screening objects and a database of `n_database` objects."""
    labels = category_labels()
    spectrum = 1.0 / np.arange(1, n_latent + 1) ** 0.9  # variance per latent dimension
    centres = rng.normal(0.0, 1.2, size=(len(CATEGORIES), n_latent)) * np.sqrt(spectrum)

    def draw(cats: np.ndarray) -> np.ndarray:
        idx = np.array([CATEGORIES.index(c) for c in cats])
        return centres[idx] + rng.normal(size=(len(cats), n_latent)) * np.sqrt(spectrum)

    latent = draw(labels)
    db_cats = rng.choice(np.array(CATEGORIES), size=n_database,
                         p=np.array([np.mean(labels == c) for c in CATEGORIES]))
    db_latent = draw(db_cats)
    mean = latent.mean(axis=0)
    _, _, vt = np.linalg.svd(latent - mean, full_matrices=False)
    loadings = vt[:n_features].T  # (n_latent, n_features)
    # Deterministic sign: the largest-magnitude loading of each component is positive (as MATLAB pca).
    signs = np.sign(loadings[np.abs(loadings).argmax(axis=0), np.arange(n_features)])
    loadings = loadings * signs
    return ObjectSpace(
        features=(latent - mean) @ loadings,
        categories=labels,
        database=(db_latent - mean) @ loadings,
        database_categories=db_cats.astype(str),
    )


def scale_features(features: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """Scale each feature dimension to unit L2 norm over the reference objects (default: itself).

    This is the paper's 'param_normalize_per_dim'; the simulator plants tuning in this space so the
    analysis recovers axes in the space it works in.
    """
    ref = features if reference is None else reference
    return features / np.sqrt((ref**2).sum(axis=0))
