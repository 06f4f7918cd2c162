"""The per-session and cohort stages chained in memory, with the parameters the rules use.

The rules run each stage as its own job (scripts/*.py); the calibration suite runs many small
cohorts and chains the same stage functions here, so that a calibrated call is exactly the call
the workflow makes: the stage functions are the ones the rule scripts call, and `AnalysisParams`
is built from the same config sections the rules pass as params.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from . import axis as ax
from .imagery import ImageryParams, SessionTables, imagery_session, population_tables
from .imagery_decoding import ImageryDecodingParams
from .models import RANDOM_EFFECTS, fit_model, imagery_objects_data
from .nwb.read import AreaPatterns, read_session
from .objects import ObjectSpaceFile, StimulusIds
from .perception import AxisParams, axis_model_session, unit_table
from .reactivation import ReactivationParams
from .screening import ScreeningParams, screen_session
from .tables import alignment_windows, session_tables


@dataclass(frozen=True)
class AnalysisParams:
    """Every stage's parameters, from the validated config (the sections the rules pass)."""

    areas: AreaPatterns
    trial_phases: str  # nwb.trial_phases: where each trial's task phase is read from
    isi_threshold_s: float
    windows: dict[str, tuple[float, float]]
    screening: ScreeningParams
    axis: AxisParams
    reactivation: ReactivationParams
    imagery: ImageryParams
    imagery_decoding: ImageryDecodingParams
    population: str  # imagery.population: which units the imagery models are fitted to
    models: Mapping[str, Mapping[str, Any]]  # models.<name> specs (M1, M2, ...)
    optimizers: tuple[str, ...]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AnalysisParams:
        """From a config with the sections areas, nwb, qc, alignment, screening, axis, reactivation,
        imagery and models (each as validated against the schema)."""
        models = config["models"]
        return cls(areas=AreaPatterns.from_config(config["areas"]), trial_phases=config["nwb"]["trial_phases"],
                   isi_threshold_s=config["qc"]["isi_threshold_ms"] / 1000.0,
                   windows=alignment_windows(config["alignment"]),
                   screening=ScreeningParams.from_config(config["screening"]),
                   axis=AxisParams.from_config(config["axis"]),
                   reactivation=ReactivationParams.from_config(config["reactivation"]),
                   imagery=ImageryParams.from_config(config["imagery"]),
                   imagery_decoding=ImageryDecodingParams.from_config(config["imagery"]),
                   population=config["imagery"]["population"],
                   models={k: v for k, v in models.items() if isinstance(v, Mapping)},
                   optimizers=tuple(models["optimizers"]))


@dataclass(frozen=True)
class SessionResult:
    """One session through every per-session stage (the tables the rules write)."""

    units: pd.DataFrame  # recorded units with their screening and axis-model columns (perception.unit_table)
    imagery_units: pd.DataFrame  # imagery_units rule's units table (empty without imagery trials)
    imagery_objects: pd.DataFrame  # ... its per-object table


def analyse_session(nwb: str | Path, session: str, objects: ObjectSpaceFile, stimuli: StimulusIds,
                    params: AnalysisParams, axis_model: bool = True) -> SessionResult:
    """Read one session's NWB file (checked against the object space's `stimuli`) and run
    nwb_to_tables, screening_units, axis_model (unless `axis_model` is false: then no unit has an
    axis) and imagery_units on it, in memory, with one worker."""
    content = read_session(nwb, params.trial_phases, stimuli)
    units, trials, spikes = session_tables(content, session, params.areas, params.isi_threshold_s, params.windows)
    screening, responses, counts = screen_session(units, trials, spikes, params.screening)
    axis = (axis_model_session(responses, counts, objects, params.axis, session, workers=1) if axis_model
            else pd.DataFrame())
    table = unit_table(units, screening, axis)
    empty = pd.DataFrame()
    if not (trials.stim_phase == "imagery").any():
        return SessionResult(table, empty, empty)
    scaled = pd.DataFrame(ax.scale_features(objects.features), index=objects.stim_id)
    imagery = imagery_session(SessionTables(units, trials, spikes, screening, responses, axis), scaled,
                              params.reactivation, params.imagery)
    return SessionResult(table, imagery.units, imagery.objects)


def imagery_model_tests(results: list[SessionResult], params: AnalysisParams,
                        tests: Mapping[str, tuple[str, str]]) -> dict[str, float]:
    """The p-value of each named test (name -> (model, term)) of the imagery mixed models over a
    cohort's sessions, as the mixed_model rule fits them (imagery_population's per-object table,
    the configured population): the model's own test for its test term, and for another term
    the p of its row in the same fit's coefficient table (what a reader of the table uses). NaN
    where the model cannot be fitted (fewer than 3 units)."""
    units = pd.concat([r.units for r in results], ignore_index=True)
    imagery = [r for r in results if len(r.imagery_units)]
    out = dict.fromkeys(tests, float("nan"))
    if not imagery:
        return out
    _, objects = population_tables(units, pd.concat([r.imagery_units for r in imagery], ignore_index=True),
                                   pd.concat([r.imagery_objects for r in imagery], ignore_index=True))
    pvalues = model_test_pvalues(imagery_objects_data(objects, params.population), params, tests)
    return {name: p for (name, _), p in pvalues.items()}


def model_test_pvalues(data: pd.DataFrame, params: AnalysisParams, tests: Mapping[str, tuple[str, str]],
                       structures: tuple[str | None, ...] = (None,)) -> dict[tuple[str, str | None], float]:
    """The p-value of each named test (name -> (model, term)) on the models' input `data` (one row
    per unit and imagined object, z-scored within unit), keyed (name, structure): with structure
    None the fit's own (the model's test for its test term, the coefficient table's p for another
    term); with a key of models.RANDOM_EFFECTS, the test term's p under that random-effects
    structure as the fit's record compares it (NaN for another term). NaN with fewer than 3 units."""
    out = {(name, s): float("nan") for name in tests for s in structures}
    if data.unit.nunique() < 3:
        return out
    fits = {model: fit_model(data, params.models[model], params.optimizers)
            for model in dict.fromkeys(model for model, _ in tests.values())}
    for name, (model, term) in tests.items():
        fit, own = fits[model], term == params.models[model]["test_term"]
        for structure in structures:
            if structure is None:
                out[name, structure] = float(fit.record["p_value"] if own else
                                             fit.coefficients.set_index("term").loc[term, "p"])
            elif own:
                compared = {c["random_effects"]: c["p_value"] for c in fit.record.get("comparison", [])}
                out[name, structure] = float(compared.get(RANDOM_EFFECTS[structure], float("nan")))
    return out
