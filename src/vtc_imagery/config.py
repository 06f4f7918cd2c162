"""Config validation against schemas/config.schema.yaml, with one message that names the key."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .errors import ConfigError


def load_schema(path: str | Path) -> dict:
    """The config schema (YAML), parsed with libyaml where PyYAML has it: the pure-Python parser took
    a tenth of a second of every snakemake call, dry runs and no-op reruns included."""
    with open(path) as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def validate_config(config: dict, schema: dict) -> dict:
    """A copy of `config` with schema defaults filled in; raises ConfigError naming the bad key."""
    filled = copy.deepcopy(config)
    _fill_defaults(filled, schema, schema)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(filled), key=lambda e: (len(e.absolute_path), list(e.absolute_path)))
    if errors:
        raise ConfigError(_describe(errors[0]))
    _check_semantics(filled)
    return filled


def _fill_defaults(node: dict, schema: dict, root: dict) -> None:
    for key, sub in schema.get("properties", {}).items():
        sub = _resolve(sub, root)
        if key not in node and "default" in sub:
            node[key] = copy.deepcopy(sub["default"])
        if isinstance(node.get(key), str):
            node[key] = _coerce(node[key], sub.get("type", []))
        if isinstance(node.get(key), dict) and sub.get("type") == "object":
            _fill_defaults(node[key], sub, root)


def _coerce(value: str, types: str | list[str]) -> Any:
    """`--config a={b: 5}` hands nested values over as strings; read them as the schema's type."""
    types = [types] if isinstance(types, str) else types
    if "string" in types:
        return value
    if "null" in types and value.strip().lower() in ("null", "none", "~"):
        return None
    if "boolean" in types and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    for kind, cast in (("integer", int), ("number", float)):
        if kind in types:
            try:
                return cast(value)
            except ValueError:
                pass
    return value


def _resolve(sub: dict, root: dict) -> dict:
    if "$ref" in sub:
        target = root
        for part in sub["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return {**target, **{k: v for k, v in sub.items() if k != "$ref"}}
    return sub


def _describe(error: jsonschema.ValidationError) -> str:
    key = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        where = f"{key}." if key else ""
        known = ", ".join(sorted(error.schema.get("properties", {})))
        return f"config key '{where}{extra[0]}' is not a known key (known here: {known})"
    return f"config key '{key or '<root>'}': {error.message}"


def _check_semantics(config: dict[str, Any]) -> None:
    """What the schema cannot say: regexes that compile, and what each source needs."""
    for key, pattern in config["areas"].items():
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"config key 'areas.{key}': {pattern!r} is not a valid regular expression "
                              f"({exc})") from None
    source = config["source"]
    if source == "dandi":
        d = config["dandi"]
        if not d["dandiset_id"]:
            raise ConfigError("config key 'dandi.dandiset_id' must be set when source is dandi")
        if not d["version"]:
            raise ConfigError("config key 'dandi.version' must be a published version when source is dandi")
        if d["version"].strip().lower() == "draft":
            raise ConfigError("config key 'dandi.version': 'draft' is refused because a draft can change "
                              "under a pinned analysis; give a published version")
    if source == "local":
        folder = config["local"]["folder"]
        if not folder:
            raise ConfigError("config key 'local.folder' must be set when source is local")
        if not Path(folder).is_dir():
            raise ConfigError(f"config key 'local.folder': {folder!r} is not a folder")
    _check_files(config)
    _check_pairs(config)


def _check_files(config: dict[str, Any]) -> None:
    """Input files named in the config must exist: a missing one is named with its key here, before
    Snakemake would report it as a missing input without the key."""
    files = {"imagery_table": config["imagery_table"]}
    if config["source"] != "synthetic":  # the virtual cohort writes its own object space
        files["object_space"] = config["object_space"]
    for key, value in files.items():
        if value and not Path(value).is_file():
            raise ConfigError(f"config key '{key}': file {value!r} not found")


def object_space_shape(config: dict[str, Any]) -> tuple[int, int] | None:
    """(objects, feature dimensions) of the run's object space: the virtual cohort's 500 x 50, the
    configured file's (read with h5py: two dataset shapes), or None without one."""
    if config["source"] == "synthetic":
        from .categories import N_OBJECTS
        from .simulate.profiles import get_profile

        return N_OBJECTS, get_profile(config["simulation"]["profile"]).n_features
    if not config["object_space"]:
        return None
    import h5py

    try:
        with h5py.File(config["object_space"], "r") as f:
            return int(f["features"].shape[0]), int(f["features"].shape[1])
    except (OSError, KeyError, IndexError):
        return None  # read_object_space names what is wrong with the file when a rule reads it


def _check_pairs(config: dict[str, Any]) -> None:
    """Pairs of keys where one value makes the other meaningless; the message names both."""
    axis = config["axis"]
    if axis["min_significant"] > axis["n_repeats"]:
        raise ConfigError(f"config key 'axis.min_significant' ({axis['min_significant']}) exceeds "
                          f"'axis.n_repeats' ({axis['n_repeats']}): no unit could ever be axis-tuned")
    shape = object_space_shape(config)
    if shape is not None:
        n_objects, n_dims = shape
        if config["decoding"]["max_distractors"] >= n_objects:
            raise ConfigError(f"config key 'decoding.max_distractors' ({config['decoding']['max_distractors']}) "
                              f"must be below the number of objects ({n_objects}): each object is identified "
                              "among distractors drawn from the others")
        if config["imagery"]["identification_dims"] > n_dims:
            raise ConfigError(f"config key 'imagery.identification_dims' ({config['imagery']['identification_dims']}) "
                              f"exceeds the object space's {n_dims} feature dimensions")
    for key in ("screening.baseline_ms", "reactivation.baseline_ms", "reactivation.window_ms"):
        section, name = key.split(".")
        lo, hi = config[section][name]
        if not lo < hi:
            raise ConfigError(f"config key '{key}': {[lo, hi]} is not a window (start must be below end)")
    # A baseline that starts before the spikes kept around each trial would count missing spikes as silence.
    for key, phase in (("screening.baseline_ms", "screening"), ("reactivation.baseline_ms", "imagery")):
        section, name = key.split(".")
        kept_ms = 1000.0 * config["alignment"][phase]["pre"]
        if config[section][name][0] < -kept_ms - 1e-9:
            raise ConfigError(f"config key '{key}' starts at {config[section][name][0]:g} ms, before the "
                              f"{kept_ms:g} ms of spikes kept before each {phase} trial "
                              f"('alignment.{phase}.pre')")
    for name, spec in config["models"].items():
        if not isinstance(spec, dict):
            continue
        rhs = spec["formula"].split("~", 1)[-1]
        if spec["test_term"].strip() not in rhs:
            raise ConfigError(f"config key 'models.{name}.test_term': {spec['test_term']!r} is not a term of "
                              f"'models.{name}.formula' ({spec['formula']!r})")
        if spec.get("random_slope") and spec["random_slope"].strip() not in rhs:
            raise ConfigError(f"config key 'models.{name}.random_slope': {spec['random_slope']!r} is not in "
                              f"'models.{name}.formula' ({spec['formula']!r})")
