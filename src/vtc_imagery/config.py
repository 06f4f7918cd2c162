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
    with open(path) as fh:
        return yaml.safe_load(fh)


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
