"""Nuisances that make the virtual cohort look like real recordings rather than like the analysis's model.

`Realism(enabled=False)` gives back the idealised cohort (inhomogeneous Poisson spikes, tuning planted
in the analysis's own scaled space, imagery an exact gain of viewing) bit for bit. With `enabled=True`
each field below switches one nuisance; its 'off' value is given in its comment.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

NONLINEARITIES = ("softplus", "exponential", "linear")


@dataclass(frozen=True)
class Realism:
    """Settings of the realistic cohort; mirrors config `simulation.realism` and its siblings."""

    enabled: bool = True  # False: today's idealised cohort, every field below ignored
    isi_cv: float = 0.8  # CV of the gamma renewal process in rescaled time (off: 1, Poisson)
    burst_probability: float = 0.06  # mean over units of P(a spike starts a burst of 2-4) (off: 0)
    burst_isi_ms: float = 4.0  # mean interval between the spikes of a burst
    refractory_ms: float = 1.5  # absolute refractory period (dead time after every spike)
    trial_gain_cv: float = 0.4  # CV of the gamma-distributed gain per unit and trial (off: 0)
    recall_state_cv: float = 0.3  # CV of a gamma gain on the imagery drive shared by all units of a session
    # through each recall trial (a state the trial's cues share; off: 0)
    drift_amplitude: float = 0.4  # largest fractional drift of a unit's rate over a session; units draw
    # between half and all of it (off: 0)
    patient_tuning_sd: float = 0.3  # log-sd of the per-patient factor on response amplitude (off: 0)
    patient_imagery_sd: float = 0.4  # log-sd of the per-patient factor on imagery gain (off: 0)
    tuning_nonlinearity: str = "softplus"  # softplus | exponential | linear (rectified)
    category_weight: float = 0.6  # mean weight of the preferred-category term of axis units (off: 0)
    object_noise: float = 0.5  # sd of the per-object drive noise, in sd of the axis projection (off: 0)
    imagery_noise: float = 1.3  # sd of the per-object imagery noise, in sd of the viewing drive (off: 0)
    imagery_fidelity: float = 1.0  # mean over patients of the weight of the viewing pattern in imagery;
    # 0: reactivated units fire during imagery at their mean viewing drive, not object by object
    patient_fidelity_sd: float = 0.25  # sd over patients of that weight around imagery_fidelity (off: 0)

    def __post_init__(self) -> None:
        if self.tuning_nonlinearity not in NONLINEARITIES:
            raise ValueError(f"tuning_nonlinearity {self.tuning_nonlinearity!r} is not one of {NONLINEARITIES}")
        if self.isi_cv <= 0:
            raise ValueError("isi_cv must be positive (1 gives Poisson spiking)")

    @property
    def gamma_shape(self) -> float:
        """Shape k of the unit-mean gamma intervals whose CV is `isi_cv` (k = 1 / CV^2)."""
        return 1.0 / self.isi_cv**2


IDEALISED = Realism(enabled=False)


def realism_from_config(simulation: dict) -> Realism:
    """The Realism of config section `simulation`: key `realism` is `enabled`, the other fields
    have keys of their own name; missing keys keep their defaults."""
    names = {f.name for f in fields(Realism)} - {"enabled"}
    return Realism(enabled=bool(simulation.get("realism", True)),
                   **{k: simulation[k] for k in sorted(names) if k in simulation})


def nonlinearity(name: str, pre: np.ndarray) -> np.ndarray:
    """Firing-rate nonlinearity applied to a pre-activation (any shape; returns >= 0, same shape)."""
    if name == "softplus":
        return np.logaddexp(0.0, pre)
    if name == "exponential":
        return np.exp(np.minimum(pre, 30.0))
    if name == "linear":
        return np.maximum(pre, 0.0)
    raise ValueError(f"unknown tuning nonlinearity {name!r}; expected one of {NONLINEARITIES}")


def gamma_gain(rng: np.random.Generator, cv: float, shape: tuple[int, ...]) -> np.ndarray:
    """Unit-mean gamma gains with coefficient of variation `cv` (all ones when cv is 0)."""
    if cv <= 0:
        return np.ones(shape)
    return rng.gamma(1.0 / cv**2, cv**2, shape)


def smooth_drift(rng: np.random.Generator, amplitude: np.ndarray, times: np.ndarray,
                 duration: float) -> np.ndarray:
    """Multiplicative rate drift of each unit at `times` (s): shape (n_units, n_times), mean about 1.

    A sum of three slow sinusoids (periods of the session length / 1, 2, 3, random phases and
    weights) scaled so that its largest excursion is `amplitude` (n_units,) in log-rate, so a unit
    at amplitude 0.3 wanders between about -26% and +35% of its rate over the session.
    """
    n = len(amplitude)
    k = np.arange(1, 4)
    phase = rng.uniform(0, 2 * np.pi, (n, 3))
    weight = rng.uniform(0.2, 1.0, (n, 3)) / k
    wave = (weight[:, :, None] * np.sin(2 * np.pi * k[None, :, None] * times[None, None, :] / duration
                                        + phase[:, :, None])).sum(axis=1)
    peak = np.abs(wave).max(axis=1, keepdims=True)
    return np.exp(np.log1p(amplitude)[:, None] * wave / np.where(peak == 0, 1.0, peak))
