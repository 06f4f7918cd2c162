"""The axis code (research/matlab_code.md §2.7-2.10; paper.md P5-P7): object-space scaling, the
STA preferred axis, the orthogonal control axis, leave-one-image-out explained variance of the
axis, category and exemplar models, split-half explainable variance, the shuffle test for axis
tuning, split-half axis consistency, and binned tuning curves.

Shapes: `features` (n_images, n_dims) object-space coordinates; `responses` (n_images,) mean rates
in Hz; axes are (n_dims,) vectors in the scaled space.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def scale_features(features: np.ndarray) -> np.ndarray:
    """Each dimension divided by its L2 norm over the images (the authors' param_normalize_per_dim)."""
    norms = np.sqrt((features**2).sum(axis=0))
    return features / np.where(norms == 0, 1.0, norms)


def preferred_axis(responses: np.ndarray, scaled: np.ndarray) -> np.ndarray:
    """Spike-triggered average: (r - mean r)^T X, the preferred axis (unnormalised), shape (n_dims,)."""
    return (responses - responses.mean()) @ scaled


def _matlab_sign(vectors: np.ndarray) -> np.ndarray:
    """Flip each row so that its largest-magnitude element is positive (MATLAB pca's rule)."""
    idx = np.abs(vectors).argmax(axis=-1)
    signs = np.sign(np.take_along_axis(vectors, idx[..., None], axis=-1))
    return vectors * np.where(signs == 0, 1.0, signs)


ORTHOGONAL_METHODS = ("random_uncorrelated", "unscaled_pc1")


def orthogonal_axis(axis: np.ndarray, features: np.ndarray, rng: np.random.Generator,
                    method: str = "random_uncorrelated") -> np.ndarray:
    """The orthogonal control axis of one unit, a direction in the scaled space (shape (n_dims,), unit norm).

    `axis` is the preferred axis (scaled space), `features` (n_images, n_dims) the unscaled features
    of the screening images the axis was fitted on, `rng` the unit's own stream (used by
    random_uncorrelated only), `method` one of ORTHOGONAL_METHODS.

    The authors take PC1 of the scaled features with the preferred-axis component removed. The
    features are PCA scores, so once every dimension is scaled to unit norm their covariance is a
    multiple of the identity: every direction orthogonal to the preferred axis has the same variance,
    PC1 is undefined and rounding noise picks it.
    FIX (orthogonal control), random_uncorrelated (the default): the tie is broken
    at random from the unit's own stream. The draw is the STA of a white-noise unit, S_c^T g with
    g ~ N(0, I) over the images, so that directions are drawn with the objects' own spread (isotropic
    for scaled PCA scores, like the authors' effectively arbitrary PC1); the component along
    c = S_c^T S_c a is then removed, which makes the projections over these images exactly
    uncorrelated with the preferred projections (cov(S w, S a) = w . c = 0) whether or not the
    features are whitened. Each unit gets its own direction.
    unscaled_pc1 (the previous construction): PC1 of the residual in the unscaled space, where the
    dimensions keep their natural variance. It is nearly the same direction for every unit (the
    features' own PC1) and its projections correlate with the preferred ones; kept for comparison.
    FIX (sign of the authors' PCA): in both, the sign follows MATLAB's rule (largest-magnitude
    loading positive), so it depends neither on the SVD routine nor on the draw's sign.
    """
    if method == "random_uncorrelated":
        centred = scale_features(features)
        centred = centred - centred.mean(axis=0)
        direction = centred.T @ rng.standard_normal(len(centred))
        c = centred.T @ (centred @ axis)  # covariance of each scaled dimension with the preferred projection
        direction = direction - (direction @ c) / (c @ c) * c
        direction = _matlab_sign(direction)
        return direction / np.linalg.norm(direction)
    if method == "unscaled_pc1":
        return _unscaled_pc1_orthogonal_axis(axis, features)
    raise ValueError(f"unknown orthogonal-axis method {method!r}; expected one of {ORTHOGONAL_METHODS}")


def _unscaled_pc1_orthogonal_axis(axis: np.ndarray, features: np.ndarray) -> np.ndarray:
    """PC1 of the unscaled features once the preferred axis is removed, back in the scaled space.

    The preferred axis is mapped to the unscaled space (projections X_scaled . a = X . (a / norms)),
    removed from the features, and the residuals' PC1 v is expressed back in the scaled space as
    norms * v, so that projecting scaled features on it gives X . v.
    """
    norms = np.sqrt((features**2).sum(axis=0))
    norms = np.where(norms == 0, 1.0, norms)
    u = axis / norms
    u = u / np.linalg.norm(u)
    residual = features - np.outer(features @ u, u)
    residual = residual - residual.mean(axis=0)
    _, _, vt = np.linalg.svd(residual, full_matrices=False)
    direction = _matlab_sign(vt[0]) * norms
    return direction / np.linalg.norm(direction)


def projection(scaled: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Projection of each image onto the unit vector along `axis`."""
    return scaled @ (axis / np.linalg.norm(axis))


def explained_variance(predicted: np.ndarray, observed: np.ndarray) -> float:
    """1 - SSE/SST; -1 where SST is 0 (the authors map -Inf to -1)."""
    sst = ((observed - observed.mean()) ** 2).sum()
    if sst == 0:
        return -1.0
    return float(1.0 - ((predicted - observed) ** 2).sum() / sst)


def loo_axis_predictions(responses: np.ndarray, scaled: np.ndarray) -> np.ndarray:
    """Leave-one-image-out predictions of the axis model, in closed form (all folds at once).

    Fold j: the STA from the other images, every image projected onto it, a line fitted from the
    training projections to the training responses, evaluated at image j.
    FIX (matlab_code.md §4 item 8): the authors fitted the STA on column-normalised features but
    projected raw features, weighting each dimension by an extra factor; here fit and projection
    use the same scaled features.
    """
    n = len(responses)
    r = responses.astype(np.float64)
    total_r = r.sum()
    g = scaled.T @ r  # (d,)
    s = scaled.sum(axis=0)  # (d,)
    mean_train = (total_r - r) / (n - 1)  # (n,) training mean response of each fold
    # STA of fold j: sum_{i != j} (r_i - m_j) x_i = g - r_j x_j - m_j (s - x_j); rows are folds.
    axes = g[None, :] - r[:, None] * scaled - mean_train[:, None] * (s[None, :] - scaled)
    proj = scaled @ axes.T  # (image i, fold j)
    diag = np.diag(proj)
    m = n - 1
    sx = proj.sum(axis=0) - diag
    sxx = (proj**2).sum(axis=0) - diag**2
    sxy = r @ proj - r * diag
    sy = total_r - r
    var = sxx - sx**2 / m
    slope = np.where(var > 0, (sxy - sx * sy / m) / np.where(var > 0, var, 1.0), 0.0)
    intercept = (sy - slope * sx) / m
    return intercept + slope * diag


def loo_category_predictions(responses: np.ndarray, categories: np.ndarray) -> np.ndarray:
    """Leave-one-image-out predictions of the category model: OLS on one-hot category labels, i.e.
    the mean response of the held-out image's category over the other images.

    FIX (matlab_code.md §4 item 9): the authors regressed on the category number 1-5 as a single
    numeric regressor; one-hot labels make it a category model.
    """
    df = pd.DataFrame(dict(r=responses, c=categories))
    total = df.groupby("c").r.transform("sum").to_numpy()
    count = df.groupby("c").r.transform("size").to_numpy()
    grand = (responses.sum() - responses) / (len(responses) - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        own = (total - responses) / (count - 1)
    return np.where(count > 1, own, grand)  # a category of one image falls back to the grand mean


def loo_exemplar_predictions(responses: np.ndarray, scaled: np.ndarray, degree: int) -> np.ndarray:
    """Leave-one-image-out predictions of the exemplar model: the response is a polynomial (cubic)
    of the distance from an exemplar, the exemplar being the stimulus whose polynomial fits the
    training images best.

    FIX (matlab_code.md §4 item 10): the authors' nonlinear fit reused one coefficient for two
    terms, bounded the signed exemplar coordinates at 0, predicted with the initial rather than the
    fitted coefficients, seeded the exemplar with uncentred responses and carried an unused norm.
    Here each candidate exemplar's polynomial is an ordinary least-squares fit, and the exemplar is
    chosen among the training images on the training images only; both are exact for every fold in
    closed form (deleting one observation from an OLS fit changes its SSE by e_j^2 / (1 - h_jj)).
    Exemplars are restricted to the stimuli themselves: a free exemplar refitted by nonlinear least
    squares in each of 500 folds costs minutes per unit.
    """
    n = len(responses)
    r = responses.astype(np.float64)
    dist = np.sqrt(((scaled[:, None, :] - scaled[None, :, :]) ** 2).sum(axis=-1))  # (exemplar e, image i)
    dist = dist / dist.max()
    design = np.stack([dist**p for p in range(degree + 1)], axis=-1)  # (e, i, degree+1)
    q, _ = np.linalg.qr(design)  # reduced QR per exemplar
    fitted = np.einsum("eik,ek->ei", q, np.einsum("eik,i->ek", q, r))
    resid = r[None, :] - fitted  # (e, i)
    lever = np.minimum((q**2).sum(axis=-1), 1 - 1e-12)  # (e, i)
    sse = (resid**2).sum(axis=1)  # (e,)
    train_sse = sse[:, None] - resid**2 / (1 - lever)  # SSE of exemplar e fitted without image j
    np.fill_diagonal(train_sse, np.inf)  # the exemplar is one of the training images, never the held-out one
    best = train_sse.argmin(axis=0)  # (j,)
    cols = np.arange(n)
    loo_resid = resid[best, cols] / (1 - lever[best, cols])
    return r - loo_resid


def split_half_explainable_variance(counts: np.ndarray, rng: np.random.Generator, n_splits: int,
                                    squared: bool) -> float:
    """Mean over random splits of the squared Spearman-Brown-corrected split-half reliability.

    `counts` (n_images, n_trials): window spike counts per trial. Each split halves every image's
    trials at random; r = Pearson correlation over images of the two half means; the split's value
    is (2r / (1 + r))^2, or 2r / (1 + r) with squared=False, with r clipped at 0. An odd number of trials gets the
    image's median as an extra trial, as the authors did.

    The authors square the reliability. The reliability itself is the ceiling of the variance of the
    trial-averaged responses that any model can explain; its square is lower, so a good model's
    leave-one-out EV can exceed it and normalised EVs pile up at the cap of 1 (config key
    axis.explainable_ceiling chooses).
    """
    c = counts.astype(np.float64)
    if c.shape[1] % 2:
        c = np.hstack([c, np.median(c, axis=1, keepdims=True)])
    half = c.shape[1] // 2
    order = rng.permuted(np.broadcast_to(np.arange(c.shape[1]), (n_splits, *c.shape)), axis=-1)
    shuffled = np.take_along_axis(np.broadcast_to(c, order.shape), order, axis=-1)
    a = shuffled[..., :half].mean(axis=-1)  # (splits, images)
    b = shuffled[..., half:].mean(axis=-1)
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    denom = np.sqrt((a**2).sum(axis=1) * (b**2).sum(axis=1))
    r = np.where(denom > 0, (a * b).sum(axis=1) / np.where(denom > 0, denom, 1.0), 0.0)
    # FIX (negative reliability): a split's negative r means no reliable variance; the authors' squared
    # Spearman-Brown of it exceeds 1 for r < -1/3 (r = -0.5 gives 4), so r is clipped at 0 first.
    r = np.maximum(r, 0.0)
    sb = 2 * r / (1 + r)
    return float(np.mean(sb**2 if squared else sb))


def noise_ceiling(counts: np.ndarray) -> float:
    """The authors' alternative reliability (Bao et al.): 1 - sum of squared SEMs of the per-image
    means over the variance of the means (sum of squares), from `counts` (n_images, n_trials) of
    window spike counts.

    FIX (matlab_code.md §4 item 1): the authors' window used the latency relative to onset as an
    absolute raster column, starting 170 ms too early; here the counts are the ones of every other
    statistic, in [latency, latency + duration) after onset (screening.window_counts).
    """
    c = counts.astype(np.float64)
    means = c.mean(axis=1)
    sem2 = c.var(axis=1, ddof=1) / c.shape[1]
    spread = ((means - means.mean()) ** 2).sum()
    # FIX (negative reliability): trial noise larger than the spread of the means gives a negative
    # ceiling, which is no reliable variance: clipped at 0.
    return max(0.0, float(1.0 - sem2.sum() / spread)) if spread > 0 else float("nan")


def normalised_ev(ev: float, explainable: float, min_explainable: float) -> float:
    """EV / explainable variance, capped at 1; NaN where explainable variance < min_explainable."""
    if not np.isfinite(explainable) or explainable < min_explainable:
        return float("nan")
    return float(min(ev / explainable, 1.0))


def shuffle_correlations(responses: np.ndarray, scaled: np.ndarray, permutations: np.ndarray) -> np.ndarray:
    """Correlation of the STA projection with the responses under each image-feature shuffle.

    `permutations` (n_shuffles, n_images): in shuffle k, the features of image i are paired with
    the response of image permutations[k, i] (equivalently, the rows of the feature matrix are
    permuted by the inverse permutation, as the authors did). In matrix form: with f = r - mean r
    and g = f[permutations[k]], the shuffled STA is
    h = X^T g and corr(X h, g) = |h|^2 / sqrt((h^T C h - (s.h)^2 / n) |f|^2), C = X^T X, s = X^T 1,
    so each shuffle costs one gather and a (n_images x n_dims) product, batched over all shuffles.
    """
    f = responses - responses.mean()
    h = f[permutations] @ scaled  # (k, d)
    return _sta_correlation(h, scaled, f)


def _sta_correlation(h: np.ndarray, scaled: np.ndarray, f: np.ndarray) -> np.ndarray:
    n = len(f)
    c = scaled.T @ scaled
    s = scaled.sum(axis=0)
    num = (h**2).sum(axis=-1)
    var_u = np.einsum("kd,de,ke->k", h, c, h) - (h @ s) ** 2 / n
    den = np.sqrt(np.maximum(var_u, 0) * (f**2).sum())
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def observed_correlation(responses: np.ndarray, scaled: np.ndarray) -> float:
    """corr(projection onto the STA axis, r - mean r) for the true image-feature pairing."""
    f = responses - responses.mean()
    return float(_sta_correlation((f @ scaled)[None, :], scaled, f)[0])


def axis_tuning_pvalues(responses: np.ndarray, scaled: np.ndarray, rng: np.random.Generator,
                        n_shuffles: int = 500, n_repeats: int = 100, chunk: int = 10) -> np.ndarray:
    """p of the shuffle test, repeated: for each repeat, the fraction of `n_shuffles` image-feature
    shuffles whose correlation exceeds the observed one (strictly). Shape (n_repeats,).

    Permutations are drawn repeat by repeat from `rng` (rng.permuted on rows of arange), so a plain
    loop drawing them the same way gives exactly these p-values.
    """
    observed = observed_correlation(responses, scaled)
    n = len(responses)
    pvals = np.empty(n_repeats)
    for start in range(0, n_repeats, chunk):
        stop = min(start + chunk, n_repeats)
        perms = draw_permutations(rng, (stop - start) * n_shuffles, n)
        cc = shuffle_correlations(responses, scaled, perms).reshape(stop - start, n_shuffles)
        pvals[start:stop] = (cc > observed).mean(axis=1)
    return pvals


def draw_permutations(rng: np.random.Generator, k: int, n: int) -> np.ndarray:
    """k independent permutations of range(n), shape (k, n)."""
    return rng.permuted(np.broadcast_to(np.arange(n), (k, n)), axis=1)


def is_axis_tuned(pvalues: np.ndarray, alpha: float, min_significant: int) -> bool:
    """Axis-tuned if p < alpha in at least `min_significant` repeats.

    FIX (matlab_code.md §4 item 7): the authors kept >= 99 of 100 for the screening set but >= 98
    for the recall set; one configurable threshold serves every set here.
    """
    return bool(np.count_nonzero(pvalues < alpha) >= min_significant)


def axis_consistency(responses: np.ndarray, scaled: np.ndarray, rng: np.random.Generator,
                     n_splits: int = 100) -> float:
    """Mean over random half splits of the images of the Pearson correlation between the two
    halves' STA axes."""
    n = len(responses)
    first = draw_permutations(rng, n_splits, n)[:, : n // 2]
    mask = np.zeros((n_splits, n), dtype=bool)
    np.put_along_axis(mask, first, True, axis=1)

    def half_axes(m: np.ndarray) -> np.ndarray:
        w = np.where(m, responses[None, :], 0.0)
        mean = w.sum(axis=1, keepdims=True) / m.sum(axis=1, keepdims=True)
        return np.where(m, responses[None, :] - mean, 0.0) @ scaled

    a, b = half_axes(mask), half_axes(~mask)
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    r = (a * b).sum(axis=1) / np.sqrt((a**2).sum(axis=1) * (b**2).sum(axis=1))
    return float(np.nanmean(r))


def binned_tuning(proj: np.ndarray, responses: np.ndarray, n_bins: int, min_images: int) -> pd.DataFrame:
    """Mean +- SEM of the mean-subtracted responses in equal-width bins of the projection; a bin with
    fewer than `min_images` images is merged into the next one (the last into the previous)."""
    edges = np.linspace(proj.min(), proj.max(), n_bins + 1)
    which = np.clip(np.digitize(proj, edges[1:-1]), 0, n_bins - 1)
    groups = [list(np.flatnonzero(which == b)) for b in range(n_bins)]
    merged: list[list[int]] = []
    carry: list[int] = []
    for g in groups:
        carry += g
        if len(carry) >= min_images:
            merged.append(carry)
            carry = []
    if carry:
        if merged:
            merged[-1] += carry
        else:
            merged.append(carry)
    centred = responses - responses.mean()
    rows = [dict(projection=float(proj[g].mean()), response=float(centred[g].mean()),
                 sem=float(stats.sem(centred[g])) if len(g) > 1 else float("nan"), n_images=len(g))
            for g in merged]
    return pd.DataFrame(rows)
