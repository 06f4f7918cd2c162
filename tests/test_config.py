"""Config validation: defaults from the schema, and one message naming the bad key."""

from __future__ import annotations

import pytest
import yaml

from vtc_imagery.config import load_schema, validate_config
from vtc_imagery.errors import ConfigError


@pytest.fixture(scope="module")
def schema(repo):
    return load_schema(repo / "schemas/config.schema.yaml")


def test_the_shipped_config_is_valid_and_equals_the_schema_defaults(repo, schema):
    shipped = validate_config(yaml.safe_load((repo / "config.yaml").read_text()), schema)
    assert shipped == validate_config({}, schema)


def test_every_schema_property_has_a_type_description_and_default(schema):
    def walk(node, path):
        for key, sub in node.get("properties", {}).items():
            assert "description" in sub or "$ref" in sub, f"{path}{key} lacks a description"
            assert "default" in sub, f"{path}{key} lacks a default"
            assert "type" in sub or "$ref" in sub, f"{path}{key} lacks a type"
            walk(sub, f"{path}{key}.")
    walk(schema, "")


@pytest.mark.parametrize("config, key", [
    ({"sourc": "synthetic"}, "'sourc' is not a known key"),
    ({"simulation": {"sed": 3}}, "'simulation.sed' is not a known key"),
    ({"source": "web"}, "'source'"),
    ({"simulation": {"profile": "huge"}}, "'simulation.profile'"),
    ({"simulation": {"seed": -1}}, "'simulation.seed'"),
    ({"alignment": {"imagery": {"pre": -1.0, "post": 1.0}}}, "'alignment.imagery.pre'"),
    ({"qc": {"isi_threshold_ms": 0}}, "'qc.isi_threshold_ms'"),
    ({"areas": {"vtc_pattern": "VTC("}}, "'areas.vtc_pattern'"),
    ({"source": "dandi"}, "'dandi.dandiset_id'"),
    ({"source": "dandi", "dandi": {"dandiset_id": "000207"}}, "'dandi.version'"),
    ({"source": "local"}, "'local.folder'"),
    ({"source": "local", "local": {"folder": "/no/such/folder"}}, "'local.folder'"),
])
def test_a_wrong_key_or_value_is_named(schema, config, key):
    with pytest.raises(ConfigError) as err:
        validate_config(config, schema)
    assert key in str(err.value)


def test_a_draft_dandiset_version_is_refused(schema):
    with pytest.raises(ConfigError, match="draft"):
        validate_config({"source": "dandi", "dandi": {"dandiset_id": "000207", "version": "draft"}}, schema)


def test_values_given_as_strings_on_the_command_line_take_the_schemas_type(schema):
    config = validate_config({"simulation": {"seed": "5", "axis_tuned_fraction": "0", "reactivated_fraction": "null"},
                              "qc": {"isi_threshold_ms": "2.5"}}, schema)
    assert config["simulation"]["seed"] == 5 and config["simulation"]["axis_tuned_fraction"] == 0.0
    assert config["simulation"]["reactivated_fraction"] is None and config["qc"]["isi_threshold_ms"] == 2.5
    with pytest.raises(ConfigError, match=r"'simulation\.seed'"):
        validate_config({"simulation": {"seed": "five"}}, schema)
