"""Imagery responses and reactivation (research/matlab_code.md §2.15-2.17; paper.md P10-P12).

Times in ms relative to the imagery cue (tone) unless a name says otherwise. A unit is
reactivated when its imagery activity rises above its own baseline for some imagined object, by
one of three rules: `poisson_burst` (the authors' latest), `threshold_anova` (their June-2023 rule)
or `ranksum` (one-sided, Bonferroni over objects).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

from .bursts import BurstParams, detect_bursts
from .screening import moving_average

RULES = ("poisson_burst", "threshold_anova", "ranksum")


@dataclass(frozen=True)
class ReactivationParams:
    rule: str = "poisson_burst"
    window_ms: tuple[float, float] = (0.0, 5000.0)  # imagery window after the cue
    baseline_ms: tuple[float, float] = (-1000.0, 0.0)  # each cue's own pre-cue baseline
    min_burst_trials: int = 3  # poisson_burst: trials of one object with a burst
    # The authors' v3 used significance 0.01, but against each trial's own imagery rate (bug 4).
    # Against the baseline rate, 0.01 finds a 'burst' in ~30% of 5-s trials of a 3 Hz Poisson
    # train; 1e-4 keeps it near 2%, so that >= 3 of 8 trials for some object stays under 1%.
    bursts: BurstParams = field(default_factory=lambda: BurstParams(anchor_ms=300.0, max_extra_ms=250.0,
                                                                    significance=1e-4))
    threshold_sd: float = 2.0  # threshold_anova: object PSTH above baseline mean + k SD ...
    smoothing_ms: int = 500
    anova_alpha: float = 0.05  # ... or a one-way ANOVA over objects
    ranksum_alpha: float = 0.05  # ranksum: family-wise, Bonferroni over objects

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"unknown reactivation rule {self.rule!r}; choose one of {RULES}")

    @classmethod
    def from_config(cls, cfg: dict) -> ReactivationParams:
        """From the `reactivation:` section of the config."""
        rest = {k: v for k, v in cfg.items() if k not in ("bursts", "window_ms", "baseline_ms")}
        return cls(window_ms=tuple(cfg["window_ms"]), baseline_ms=tuple(cfg["baseline_ms"]),
                   bursts=BurstParams(**cfg["bursts"]), **rest)


def window_rates(times_by_trial: list[np.ndarray], window_ms: tuple[float, float]) -> np.ndarray:
    """Rate (Hz) of each trial in the window."""
    width = (window_ms[1] - window_ms[0]) / 1000.0
    return np.array([np.count_nonzero((t >= window_ms[0]) & (t < window_ms[1])) for t in times_by_trial]) / width


def burst_trials_per_object(times_by_trial: list[np.ndarray], objects: np.ndarray, baseline_rate_hz: float,
                            params: ReactivationParams) -> pd.Series:
    """How many of each object's cued trials contain a Poisson-surprise burst in the imagery window.

    FIX (matlab_code.md §4 item 4): the authors searched only 1-5 s after the tone (spike indices
    relative to the window start compared with absolute columns) and took as the Poisson rate the
    trial's own imagery rate; here the whole window is searched against the unit's baseline rate.
    """
    rate = max(baseline_rate_hz, 1e-3) / 1000.0  # spikes/ms; a silent baseline gets a floor of 1 spike/1000 s
    has_burst = [bool(detect_bursts(t, rate, params.window_ms[0], params.window_ms[1], params.bursts))
                 for t in times_by_trial]
    return pd.Series(has_burst, index=objects).groupby(level=0).sum().astype(int)


def reactivated_poisson_burst(times_by_trial: list[np.ndarray], objects: np.ndarray, baseline_rate_hz: float,
                              params: ReactivationParams) -> tuple[bool, pd.Series]:
    """Reactivated if some object has a burst in at least `min_burst_trials` of its cued trials."""
    counts = burst_trials_per_object(times_by_trial, objects, baseline_rate_hz, params)
    return bool((counts >= params.min_burst_trials).any()), counts


def reactivated_threshold_anova(times_by_trial: list[np.ndarray], objects: np.ndarray,
                                params: ReactivationParams) -> tuple[bool, pd.Series]:
    """The June-2023 rule: some object's mean imagery PSTH exceeds the baseline mean + k SD (SD over
    time of the trial-averaged baseline PSTH), or a one-way ANOVA over objects of the trials' imagery
    rates is significant. Returns the call and each object's peak in baseline SDs.

    The SD over time of a PSTH smoothed over 500 ms is tiny, so the threshold branch fires for most
    units at baseline too: the rule is liberal (the authors counted 44 of 96 cells with it).

    FIX (matlab_code.md §4 item 5): the baseline is every cue's own pre-cue window (the authors
    indexed encoding trials by the imagery cue order), and the PSTH is smoothed without zeroed edges.
    """
    lo, hi = params.baseline_ms[0], params.window_ms[1]
    n_bins = int(hi - lo)
    raster = np.zeros((len(times_by_trial), n_bins))
    for k, t in enumerate(times_by_trial):
        b = np.floor(t - lo).astype(np.int64)
        raster[k, b[(b >= 0) & (b < n_bins)]] = 1.0
    psth = moving_average(raster, params.smoothing_ms) * 1000.0
    base = psth[:, : int(params.baseline_ms[1] - lo)].mean(axis=0)
    mu, sd = base.mean(), base.std(ddof=1)
    window = slice(int(params.window_ms[0] - lo), n_bins)
    peaks = pd.Series({o: psth[objects == o, window].mean(axis=0).max() for o in np.unique(objects)})
    z = (peaks - mu) / sd if sd > 0 else pd.Series(np.where(peaks > mu, np.inf, 0.0), index=peaks.index)
    rates = window_rates(times_by_trial, params.window_ms)
    groups = [rates[objects == o] for o in np.unique(objects)]
    varied = len(groups) > 1 and not all(np.all(g == g[0]) for g in groups)
    p = stats.f_oneway(*groups).pvalue if varied else 1.0
    return bool((z > params.threshold_sd).any() or p < params.anova_alpha), z


def reactivated_ranksum(imagery_rates: np.ndarray, baseline_rates: np.ndarray, objects: np.ndarray,
                        params: ReactivationParams) -> tuple[bool, pd.Series]:
    """Per object, a one-sided rank-sum test of its trials' imagery rates against all baseline rates
    (imagery > baseline); reactivated if some p < alpha / number of objects (Bonferroni)."""
    names = np.unique(objects)
    p = pd.Series({o: stats.mannwhitneyu(imagery_rates[objects == o], baseline_rates,
                                         alternative="greater").pvalue for o in names})
    return bool((p < params.ranksum_alpha / len(names)).any()), p


def reactivation(times_by_trial: list[np.ndarray], objects: np.ndarray, params: ReactivationParams) -> dict:
    """The configured rule's call for one unit, with the rates it rests on.

    `times_by_trial`: spike times (ms from the cue) of each cued imagery trial, with enough before
    the cue for the baseline window; `objects`: the imagined object (stim_id) of each trial."""
    imagery = window_rates(times_by_trial, params.window_ms)
    baseline = window_rates(times_by_trial, params.baseline_ms)
    if params.rule == "poisson_burst":
        called, detail = reactivated_poisson_burst(times_by_trial, objects, float(baseline.mean()), params)
    elif params.rule == "threshold_anova":
        called, detail = reactivated_threshold_anova(times_by_trial, objects, params)
    else:
        called, detail = reactivated_ranksum(imagery, baseline, objects, params)
    return dict(reactivated=called, imagery_rate_hz=float(imagery.mean()), baseline_rate_hz=float(baseline.mean()),
                evidence={int(k): float(v) for k, v in detail.items()})


def shuffle_correlation_test(x: np.ndarray, y: np.ndarray, rng: np.random.Generator,
                             n_shuffles: int = 100) -> tuple[float, float]:
    """Pearson r(x, y) and the fraction of `n_shuffles` shuffles of y whose r is at least as large
    (one-sided: do imagery responses follow the visual ones?). NaN when undefined.

    FIX (matlab_code.md §4 item 21): the authors' refactored computeReactivation /
    computeResponseCorr / computeAxisCorrelations are stubs; reactivation, this response
    correlation and the axis correlations (imagery_session) follow their working scripts instead.
    """
    if len(x) < 3 or np.std(x) == 0 or np.std(y) == 0:
        return float("nan"), float("nan")
    observed = float(np.corrcoef(x, y)[0, 1])
    perms = rng.permuted(np.broadcast_to(np.arange(len(y)), (n_shuffles, len(y))), axis=1)
    ys = y[perms]
    xc = x - x.mean()
    yc = ys - ys.mean(axis=1, keepdims=True)
    r = (yc @ xc) / (np.linalg.norm(xc) * np.linalg.norm(yc, axis=1))
    return observed, float(np.mean(r >= observed - 1e-12))


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or np.std(x[ok]) == 0 or np.std(y[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(x[ok], y[ok])[0, 1])


@dataclass(frozen=True)
class ImageryTables:
    units: pd.DataFrame  # one row per unit: reactivation calls, correlations with the visual code
    objects: pd.DataFrame  # one row per unit and imagined object: rates and projections
    cues: pd.DataFrame  # one row per unit and cued trial: imagery and baseline rates


def imagery_session(units: pd.DataFrame, trials: pd.DataFrame, spikes: pd.DataFrame, screening: pd.DataFrame,
                    responses: pd.DataFrame, axis_units: pd.DataFrame, features: pd.DataFrame,
                    params: ReactivationParams, n_shuffles: int, seed: int) -> ImageryTables:
    """Imagery responses, reactivation and the imagery-vision relation of every unit of a session.

    `screening`, `responses` and `axis_units` are the session's screening and axis-model tables;
    `features` maps stim_id (index) to the scaled object-space features of the imagined objects.
    Sessions without imagery trials give empty tables.
    FIX (matlab_code.md §4 item 23): tables are joined on unit_id and stim_id with checked keys,
    never by row position.
    FIX (§4 item 22): encoding responses use one window, [latency, latency + the encoding
    stimulus's duration), as the screening responses do.
    """
    from .perception import unit_rng
    from .screening import times_by_trial, window_counts

    cues = trials[trials.stim_phase == "imagery"]
    if cues.empty:
        return ImageryTables(pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    encoding = trials[trials.stim_phase == "encoding"]
    enc_duration = float(np.median(encoding.stop_time - encoding.start_time) * 1000.0) if len(encoding) else np.nan
    screen = screening.set_index("unit_id", verify_integrity=True)
    axes = axis_units.set_index("unit_id", verify_integrity=True) if len(axis_units) else pd.DataFrame()
    viewing = responses[responses.stim_phase == "screening"].set_index(["unit_id", "stim_id"], verify_integrity=True)
    objects = np.sort(cues.stim_id.unique())
    feats = features.loc[objects].to_numpy()
    unit_rows, object_rows, cue_rows = [], [], []
    for u in units.itertuples():
        times = times_by_trial(spikes, u.unit_index, cues.trial_index.to_numpy())
        calls = {f"reactivated_{rule}": reactivation(times, cues.stim_id.to_numpy(),
                                                     replace(params, rule=rule))["reactivated"] for rule in RULES}
        imagery = window_rates(times, params.window_ms)
        baseline = window_rates(times, params.baseline_ms)
        cue_rows.append(pd.DataFrame(dict(unit_id=u.unit_id, trial_index=cues.trial_index.to_numpy(),
                                          stim_id=cues.stim_id.to_numpy(), imagery_rate_hz=imagery,
                                          baseline_rate_hz=baseline)))
        per_object = pd.Series(imagery).groupby(cues.stim_id.to_numpy()).mean().reindex(objects).to_numpy()
        latency = screen.latency_ms.get(u.unit_id, np.nan)
        if np.isfinite(latency) and len(encoding):
            t_enc = times_by_trial(spikes, u.unit_index, encoding.trial_index.to_numpy())
            enc = pd.Series(window_counts(t_enc, latency, enc_duration) / (enc_duration / 1000.0))
            enc_rate = enc.groupby(encoding.stim_id.to_numpy()).mean().reindex(objects).to_numpy()
        else:
            enc_rate = np.full(len(objects), np.nan)
        view = np.array([viewing.response_hz.get((u.unit_id, o), np.nan) for o in objects])
        has_axis = len(axes) and u.unit_id in axes.index
        pref = feats @ np.asarray(axes.loc[u.unit_id, "preferred_axis"]) if has_axis else np.full(len(objects), np.nan)
        orth = feats @ np.asarray(axes.loc[u.unit_id, "orthogonal_axis"]) if has_axis else np.full(len(objects), np.nan)
        rng = unit_rng(seed, u.unit_id, 10)
        ok_view = np.isfinite(view)
        r_view, p_view = (shuffle_correlation_test(view, per_object, rng, n_shuffles) if ok_view.all()
                          else (np.nan, np.nan))
        r_enc, p_enc = (shuffle_correlation_test(enc_rate, per_object, rng, n_shuffles) if np.isfinite(enc_rate).all()
                        else (np.nan, np.nan))
        unit_rows.append(dict(unit_id=u.unit_id, n_objects=len(objects), n_cues=len(cues),
                              reactivated=calls[f"reactivated_{params.rule}"], **calls,
                              imagery_rate_hz=float(imagery.mean()), baseline_rate_hz=float(baseline.mean()),
                              r_preferred=_corr(pref, per_object), r_orthogonal=_corr(orth, per_object),
                              r_viewing=r_view, p_viewing=p_view, r_encoding=r_enc, p_encoding=p_enc))
        object_rows.append(pd.DataFrame(dict(unit_id=u.unit_id, stim_id=objects, imagery_rate_hz=per_object,
                                             encoding_rate_hz=enc_rate, viewing_rate_hz=view,
                                             preferred_projection=pref, orthogonal_projection=orth)))
    return ImageryTables(pd.DataFrame(unit_rows), pd.concat(object_rows, ignore_index=True),
                         pd.concat(cue_rows, ignore_index=True))


def _classifier():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    return make_pipeline(StandardScaler(), LinearSVC(C=1.0, max_iter=20000))


def decode_imagined_objects(rates: np.ndarray, labels: np.ndarray, seed: int, repeats: int = 100,
                            shuffle_labels: bool = False) -> np.ndarray:
    """Accuracy of each repeat of stratified k-fold decoding (k = number of objects) of the imagined
    object from the cued trials' rates (n_trials, n_units), with a linear SVM on units z-scored
    within the training folds.

    FIX (matlab_code.md §4 item 3): the authors trained on the unshuffled matrix with *sorted*
    labels, misaligning labels and trials; here each trial keeps its own label (or, with
    shuffle_labels, a random permutation of them, as a chance control).
    """
    from sklearn.model_selection import StratifiedKFold

    k = len(np.unique(labels))
    rng = np.random.default_rng(seed)
    out = np.empty(repeats)
    for r in range(repeats):
        y = rng.permutation(labels) if shuffle_labels else labels
        folds = StratifiedKFold(n_splits=min(k, np.bincount(pd.factorize(y)[0]).min()), shuffle=True,
                                random_state=int(rng.integers(2**31)))
        correct = 0
        for train, test in folds.split(rates, y):
            model = _classifier().fit(rates[train], y[train])
            correct += int((model.predict(rates[test]) == y[test]).sum())
        out[r] = correct / len(y)
    return out


def decode_across_conditions(view_rates: np.ndarray, view_labels: np.ndarray, imagery_rates: np.ndarray,
                             imagery_labels: np.ndarray) -> float:
    """Train on viewing trials, test on imagery trials: each condition's rates are z-scored per unit
    with that condition's own mean and SD (imagery rates are lower and slower than visual ones).

    FIX (matlab_code.md §4 item 2): viewing rates come from each unit's response window after its
    latency (screening trial counts), not from a window that starts 170 ms early.
    """
    def z(x: np.ndarray) -> np.ndarray:
        sd = x.std(axis=0, ddof=1)
        return (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)

    from sklearn.svm import LinearSVC

    model = LinearSVC(C=1.0, max_iter=20000).fit(z(view_rates), view_labels)
    return float(np.mean(model.predict(z(imagery_rates)) == imagery_labels))


def decoding_session(cues: pd.DataFrame, counts: pd.DataFrame, units: list[str], stim_duration_ms: float,
                     seed: int, repeats: int, features: pd.DataFrame | None = None) -> dict:
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
    within = decode_imagined_objects(cue.to_numpy(float), labels, seed, repeats)
    shuffled = decode_imagined_objects(cue.to_numpy(float), labels, seed + 1, repeats, shuffle_labels=True)
    across = decode_across_conditions(view_rates, view.index.get_level_values("stim_id").to_numpy(),
                                      cue.to_numpy(float), labels)
    identification = np.nan
    if features is not None:
        per_object = pd.DataFrame(cue.to_numpy(float), index=labels).groupby(level=0).mean().loc[objects]
        identification = imagined_feature_identification(per_object.to_numpy(), objects, features)
    return dict(n_units=len(cue.columns), n_objects=len(objects), n_trials=len(labels), chance=1 / len(objects),
                within_accuracy=float(within.mean()), within_sd=float(within.std(ddof=1)),
                shuffled_accuracy=float(shuffled.mean()), across_accuracy=across,
                feature_identification=identification)


def population_tables(units: pd.DataFrame, imagery_units: pd.DataFrame,
                      imagery_objects: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The imagery unit table joined with each unit's area, patient and visual calls, and the
    per-object table in the documented summary schema (unit, patient, object, viewing_rate,
    encoding_rate, imagery_rate, preferred_projection, orthogonal_projection) plus those calls,
    for the units that have a visual response and an axis (responsive units)."""
    info = units[["unit_id", "subject", "session", "area", "responsive", "axis_tuned", "mean_rate_hz",
                  "ev_axis", "explainable_variance"]].copy()
    info["responsive"] = info.responsive.astype("boolean").fillna(False).astype(bool)
    table = imagery_units.merge(info, on="unit_id", how="left", validate="one_to_one")
    objects = imagery_objects.merge(
        table[["unit_id", "subject", "session", "area", "axis_tuned", "reactivated"]], on="unit_id",
        how="left", validate="many_to_one")
    objects = objects.rename(columns={"unit_id": "unit", "subject": "patient", "stim_id": "object",
                                      "viewing_rate_hz": "viewing_rate", "encoding_rate_hz": "encoding_rate",
                                      "imagery_rate_hz": "imagery_rate"})
    complete = objects[["viewing_rate", "imagery_rate", "preferred_projection", "orthogonal_projection"]].notna().all(axis=1)
    return table, objects[complete].reset_index(drop=True)


def imagery_population(units: pd.DataFrame) -> pd.Series:
    """Boolean mask of the units the imagery statistics are about: axis-tuned VTC units recorded in
    an imagery session (the paper's 107)."""
    return (units.area == "VTC") & units.axis_tuned.astype(bool)


def follows_visual_code(table: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Do imagery responses follow the visual axis? Over axis-tuned VTC units (all, and the
    reactivated ones): mean r with the preferred and the orthogonal projection of the imagined
    objects, the two-sample KS test between them, and the fraction of units whose imagery
    responses correlate with their viewing (and encoding) responses beyond shuffles."""
    base = table[imagery_population(table)]
    rows = []
    for name, part in (("axis-tuned", base), ("reactivated", base[base.reactivated.astype(bool)])):
        pref, orth = part.r_preferred.dropna(), part.r_orthogonal.dropna()
        ks = stats.ks_2samp(pref, orth) if len(pref) > 1 and len(orth) > 1 else None
        rows.append(dict(units=name, n_units=len(part), mean_r_preferred=pref.mean(), mean_r_orthogonal=orth.mean(),
                         ks_statistic=ks.statistic if ks else np.nan, ks_p=ks.pvalue if ks else np.nan,
                         mean_r_viewing=part.r_viewing.mean(),
                         fraction_viewing_significant=(part.p_viewing < alpha).mean() if len(part) else np.nan,
                         mean_r_encoding=part.r_encoding.mean(),
                         fraction_encoding_significant=(part.p_encoding < alpha).mean() if len(part) else np.nan))
    return pd.DataFrame(rows)


def imagined_feature_identification(rates: np.ndarray, stim_ids: np.ndarray, features: pd.DataFrame,
                                    n_dims: int = 5, ridge: float = 1.0, n_distractors: int = 1) -> float:
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
