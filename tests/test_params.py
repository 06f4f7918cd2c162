"""One convention for stage parameters: frozen dataclasses without defaults, read from their
config section; a rule passes only the keys of its stage."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from vtc_imagery.bursts import BurstParams
from vtc_imagery.config import load_schema, validate_config
from vtc_imagery.imagery import ImageryParams, VisualCodeParams
from vtc_imagery.imagery_decoding import ImageryDecodingParams
from vtc_imagery.nwb.read import AreaPatterns
from vtc_imagery.params import stage_config
from vtc_imagery.perception import AxisParams, AxisTestParams, DecodingParams
from vtc_imagery.reactivation import ReactivationParams
from vtc_imagery.screening import ScreeningParams

SCHEMA = Path(__file__).resolve().parents[1] / "schemas/config.schema.yaml"
DEFAULTS = validate_config({}, load_schema(SCHEMA))

STAGES = [(ScreeningParams, "screening"), (AxisParams, "axis"), (DecodingParams, "decoding"),
          (ReactivationParams, "reactivation"), (ImageryParams, "imagery"), (ImageryDecodingParams, "imagery"),
          (VisualCodeParams, "imagery"), (AxisTestParams, "axis")]


@pytest.mark.parametrize("params_class, section", STAGES)
def test_stage_parameters_have_no_defaults_of_their_own(params_class, section):
    for f in dataclasses.fields(params_class):
        assert f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING, f.name


@pytest.mark.parametrize("params_class, section", STAGES)
def test_stage_parameters_are_read_from_their_config_section(params_class, section):
    params = params_class.from_config(DEFAULTS[section])
    for f in dataclasses.fields(params_class):
        value, configured = getattr(params, f.name), DEFAULTS[section][f.name]
        if isinstance(value, BurstParams):
            assert dataclasses.asdict(value) == configured
        else:
            assert value == (tuple(configured) if isinstance(configured, list) else configured)


def test_window_lists_become_tuples_and_burst_sections_burst_parameters():
    params = ReactivationParams.from_config(DEFAULTS["reactivation"])
    assert params.window_ms == (0.0, 5000.0) and params.baseline_ms == (-1000.0, 0.0)
    assert params.bursts == BurstParams(anchor_ms=300.0, min_isis=4, significance=1e-4, max_extra_ms=250.0,
                                        max_extra_spikes=10)


def test_a_stage_gets_only_its_own_keys_so_figure_keys_do_not_rerun_it():
    axis = stage_config(DEFAULTS["axis"], AxisParams)
    assert set(axis) == {f.name for f in dataclasses.fields(AxisParams)}
    assert "tuning_bins" not in axis and "min_bin_images" not in axis
    changed = stage_config({**DEFAULTS["axis"], "tuning_bins": 3}, AxisParams)
    assert changed == axis


def test_a_section_missing_a_stage_key_is_an_error():
    section = {k: v for k, v in DEFAULTS["axis"].items() if k != "seed"}
    with pytest.raises(KeyError, match="seed"):
        stage_config(section, AxisParams)


def test_the_area_patterns_defaults_are_the_schemas():
    # AreaPatterns keeps defaults (the simulated cohorts' tables use them); they must be the schema's.
    assert AreaPatterns() == AreaPatterns.from_config(DEFAULTS["areas"])


def test_every_model_spec_says_what_data_it_is_fitted_to():
    specs = {name: spec for name, spec in DEFAULTS["models"].items() if isinstance(spec, dict)}
    assert {spec["data"] for spec in specs.values()} <= {"imagery_objects", "unit_models", "unit_covariates"}
    assert all(spec["family"] in ("gaussian", "binomial") for spec in specs.values())
