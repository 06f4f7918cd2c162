"""One convention for the parameters of every stage.

Each stage has a frozen dataclass without defaults (the defaults live only in
schemas/config.schema.yaml), built by `from_config` from its validated config section. A rule
passes a stage only the keys its dataclass has (`stage_config`), so that a key the stage does not
use (a figure setting, say) never reruns it.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import Any


def stage_config(section: Mapping[str, Any], params_class: type) -> dict[str, Any]:
    """The entries of a config `section` that are fields of `params_class` (all of them must be there)."""
    return {f.name: section[f.name] for f in dataclasses.fields(params_class)}


@dataclasses.dataclass(frozen=True)
class StageParams:
    """Base of the stage parameter objects: `from_config` reads the fields from a config section,
    lists as tuples (windows in ms) and nested parameter objects from their sub-sections."""

    @classmethod
    def from_config(cls, section: Mapping[str, Any]):
        hints = typing.get_type_hints(cls)
        values = {}
        for name, value in stage_config(section, cls).items():
            kind = hints[name]
            if isinstance(kind, type) and issubclass(kind, StageParams):
                value = kind.from_config(value)
            elif isinstance(value, list):
                value = tuple(value)
            values[name] = value
        return cls(**values)
