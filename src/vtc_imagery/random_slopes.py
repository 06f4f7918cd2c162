"""Linear mixed models whose only random effects are slopes of one covariate z, by patient and by
unit nested in patient: the model of data centred within each unit (the within-unit z-scored
imagery data), where random intercepts are zero by construction.

    y = X b + z (u_patient + v_unit) + e,   u ~ N(0, s2 g_p),  v ~ N(0, s2 g_u),  e ~ N(0, s2 I)

The likelihood is in closed form from per-unit sums, by Woodbury's identity applied twice (the
unit blocks, then each patient's rank-one term): for columns a, b of [y X],

    s2 a'V^-1 b = a'b - g_u sum_u t_u(a) t_u(b) / d_u - g_p sum_p r_p(a) r_p(b) / c_p
    log|V / s2| = sum_u log d_u + sum_p log c_p

with s_u = sum z^2 and t_u(a) = sum z a over the unit's rows, d_u = 1 + g_u s_u,
r_p(a) = sum over the patient's units of t_u(a) / d_u and c_p = 1 + g_p sum s_u / d_u. It agrees
with statsmodels MixedLM (a test holds it) at a small fraction of the cost, which is what makes
calibrating the test over hundreds of simulated cohorts affordable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .lazy import stats

# structure -> (patient slope, unit slope) variance free
STRUCTURES = {"unit": (False, True), "patient": (True, False), "nested": (True, True)}

# Starting grid of the square-root variance ratios sqrt(g) (the slope SD in residual SDs): 0, the
# boundary where the variance is often estimated, and a log-spaced range around 1 (z-scored data).
_GRID = np.r_[0.0, np.logspace(-2, 1.5, 10)]
_ROUNDS = 9  # each shrinks the step 4-fold: 4^-9 ~ 4e-6 of the first


@dataclass(frozen=True)
class SlopeSums:
    """Sufficient statistics of a random-slope model. Columns: the outcome, then the fixed effects (k)."""

    cross: np.ndarray  # (k+1, k+1) [y X]'[y X]
    slope_ss: np.ndarray  # (U,) sum of z^2 over each unit's rows
    slope_cross: np.ndarray  # (U, k+1) sum of z * [y X] over each unit's rows
    membership: np.ndarray  # (U, P) 1 where the unit belongs to the patient
    n: int  # observations
    patient_cross: np.ndarray  # (P, k+1, k+1) [y X]'[y X] over each patient's rows
    patient_n: np.ndarray  # (P,) each patient's rows


def slope_sums(outcome: np.ndarray, fixed: np.ndarray, slope: np.ndarray, unit: np.ndarray,
               patient_of_unit: np.ndarray) -> SlopeSums:
    """Sums of a random-slope model: `outcome` (n,), `fixed` effects (n, k), random-slope covariate
    `slope` (n,), `unit` index of each row (n,) in 0..U-1 and `patient_of_unit` index (U,) in 0..P-1."""
    m = np.column_stack([outcome, fixed]).astype(float)
    n_units = len(patient_of_unit)
    slope_ss = np.bincount(unit, slope * slope, minlength=n_units)
    slope_cross = np.zeros((n_units, m.shape[1]))
    np.add.at(slope_cross, unit, slope[:, None] * m)
    n_patients = int(patient_of_unit.max()) + 1
    membership = np.zeros((n_units, n_patients))
    membership[np.arange(n_units), patient_of_unit] = 1.0
    patient = patient_of_unit[unit]
    patient_cross = np.zeros((n_patients, m.shape[1], m.shape[1]))
    np.add.at(patient_cross, patient, m[:, :, None] * m[:, None, :])
    return SlopeSums(m.T @ m, slope_ss, slope_cross, membership, len(m), patient_cross,
                     np.bincount(patient, minlength=n_patients))


def two_stage_test(sums: SlopeSums, column: int) -> tuple[float, float, int, float, float]:
    """The summary-statistics test of fixed effect `column`: each patient's own least-squares fit
    (no intercept, as the data are centred within unit), then a one-sample t over the patients'
    estimates on (patients - 1) df. A patient whose fit is not determined (fewer rows than effects,
    or a singular design) is left out. Returns (p, t, df, mean, standard error); p NaN with fewer
    than two patients."""
    xx, xy = sums.patient_cross[:, 1:, 1:], sums.patient_cross[:, 1:, 0]
    k = xx.shape[1]
    ok = (sums.patient_n > k) & (np.linalg.cond(xx) < 1e10)
    if ok.sum() < 2:
        return float("nan"), float("nan"), 0, float("nan"), float("nan")
    estimates = np.linalg.solve(xx[ok], xy[ok][..., None])[:, column, 0]
    df = int(ok.sum()) - 1
    mean, se = float(estimates.mean()), float(estimates.std(ddof=1) / np.sqrt(ok.sum()))
    t = mean / se if se > 0 else float("inf") * np.sign(mean) if mean else 0.0
    return float(2 * stats.t.sf(abs(t), df)), float(t), df, mean, se


def profile_likelihood(sums: SlopeSums, ratios: np.ndarray, keep: np.ndarray, reml: bool):
    """Log-likelihood (ML or REML) profiled over b and s2, at each row of `ratios` (G, 2): the
    patient and unit slope variances over the residual variance. `keep` (k,) bool: the fixed effects
    in the model. Returns log-likelihood (G,), b (G, k'), s2 (G,) and X'V^-1 X s2 (G, k', k')."""
    g_p, g_u = ratios[:, :1], ratios[:, 1:]
    d = 1.0 + g_u * sums.slope_ss  # (G, U)
    t = sums.slope_cross
    t_over_d = t[None] / d[:, :, None]  # (G, U, k+1)
    q = sums.cross - g_u[:, :, None] * (t_over_d.transpose(0, 2, 1) @ t)
    r = sums.membership.T @ t_over_d  # (G, P, k+1)
    c = 1.0 + g_p * ((sums.slope_ss / d) @ sums.membership)  # (G, P)
    q = q - (r * (g_p / c)[:, :, None]).transpose(0, 2, 1) @ r
    logdet = np.log(d).sum(1) + np.log(c).sum(1)
    cols = np.r_[0, 1 + np.flatnonzero(keep)]
    q = q[:, cols][:, :, cols]
    qxx, qxy = q[:, 1:, 1:], q[:, 1:, 0]
    k = qxx.shape[1]
    beta = np.linalg.solve(qxx, qxy[..., None])[..., 0] if k else np.zeros((len(q), 0))
    rss = q[:, 0, 0] - np.einsum("gi,gi->g", qxy, beta)
    dof = sums.n - k if reml else sums.n
    s2 = rss / dof
    ll = -0.5 * dof * (np.log(2 * np.pi * s2) + 1.0) - 0.5 * logdet
    if reml and k:
        ll = ll - 0.5 * np.linalg.slogdet(qxx)[1]
    return ll, beta, s2, qxx


@dataclass(frozen=True)
class SlopeFit:
    structure: str
    reml: bool
    log_likelihood: float
    beta: np.ndarray  # (k',) fixed effects kept
    cov: np.ndarray  # (k', k') their covariance, s2 (X'V^-1 X)^-1
    residual_variance: float
    ratios: np.ndarray  # (2,) patient and unit slope variance / residual variance
    converged: bool

    @property
    def n_variance_parameters(self) -> int:
        return 1 + sum(STRUCTURES[self.structure])

    @property
    def variances(self) -> dict[str, float]:
        free = STRUCTURES[self.structure]
        out = {name: float(r * self.residual_variance)
               for name, r, on in zip(("patient_slope", "unit_slope"), self.ratios, free, strict=True) if on}
        return {**out, "residual": float(self.residual_variance)}


def fit_slopes(sums: SlopeSums, structure: str, reml: bool, keep: np.ndarray | None = None) -> SlopeFit:
    """Maximum (restricted) likelihood fit of a random-slope `structure` (STRUCTURES) over the
    square-root variance ratios: the best point of a grid, then grids shrinking around the best
    point (bounded at 0), all evaluated at once. `converged`: the last step changed the
    log-likelihood by less than 1e-8."""
    k = sums.cross.shape[0] - 1
    keep = np.ones(k, bool) if keep is None else np.asarray(keep, bool)
    free = np.array(STRUCTURES[structure])
    n_free = int(free.sum())

    def loglik(theta: np.ndarray) -> np.ndarray:
        ratios = np.zeros((len(theta), 2))
        ratios[:, free] = theta**2
        return profile_likelihood(sums, ratios, keep, reml)[0]

    grid = np.stack(np.meshgrid(*[_GRID] * n_free, indexing="ij"), -1).reshape(-1, n_free)
    ll = loglik(grid)
    best, best_ll = grid[int(np.argmax(ll))], float(ll.max())
    # First step: the larger gap of the starting grid either side of the best point, per axis.
    at = np.searchsorted(_GRID, best)
    step = np.maximum(_GRID[np.minimum(at + 1, len(_GRID) - 1)] - best, best - _GRID[np.maximum(at - 1, 0)])
    change = np.inf
    for _ in range(_ROUNDS):
        # A 9-point-per-axis grid spanning one step either side of the best point; the best point is
        # on it, so the likelihood never decreases.
        axes = [np.unique(np.clip(b + s * np.linspace(-1, 1, 9), 0.0, None)) for b, s in zip(best, step, strict=True)]
        grid = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, n_free)
        ll = loglik(grid)
        change = float(ll.max()) - best_ll
        best, best_ll = grid[int(np.argmax(ll))], float(ll.max())
        step = step / 4
    ratios = np.zeros((1, 2))
    ratios[0, free] = best**2
    ll, beta, s2, qxx = profile_likelihood(sums, ratios, keep, reml)
    cov = s2[0] * np.linalg.inv(qxx[0]) if qxx.shape[1] else np.zeros((0, 0))
    return SlopeFit(structure, reml, float(ll[0]), beta[0], cov, float(s2[0]), ratios[0], change < 1e-8)
