"""The object-space file: features of the 500 screening objects, the reconstruction database, and
closed-loop synthetic stimuli (HDF5; written by the simulator, or supplied for real data)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from .errors import InputDataError


@dataclass(frozen=True)
class StimulusIds:
    """The stimulus ids an object space knows: its screening objects and its synthetic stimuli."""

    screening: np.ndarray  # (n_objects,) int
    synthetic: np.ndarray  # (n_synthetic,) int; empty without closed-loop stimuli


@dataclass(frozen=True)
class ObjectSpaceFile:
    stim_id: np.ndarray  # (n_objects,) 1-based ids of the screening objects
    features: np.ndarray  # (n_objects, n_dims)
    categories: np.ndarray  # (n_objects,)
    database: np.ndarray  # (n_database, n_dims)
    synthetic: pd.DataFrame  # session, stim_id, axis, step, features (list)
    simulated: bool

    def features_of(self, stim_ids: np.ndarray) -> np.ndarray:
        """Feature rows of the given screening stim_ids, in that order."""
        index = pd.Series(np.arange(len(self.stim_id)), index=self.stim_id)
        missing = np.setdiff1d(stim_ids, self.stim_id)
        if len(missing):
            raise InputDataError(f"object space has no features for stim_id {missing[:5].tolist()}")
        return self.features[index.loc[stim_ids].to_numpy()]


def read_object_space(path: str | Path) -> ObjectSpaceFile:
    """Read the object-space file; a missing file or dataset gives an error naming it."""
    path = Path(path)
    if not path.exists():
        raise InputDataError(f"{path}: object-space file not found (config key 'object_space')")
    try:
        with h5py.File(path, "r") as f:
            for name in ("stim_id", "features", "category", "database/features"):
                if name not in f:
                    raise InputDataError(f"{path}: object-space file lacks the dataset '{name}'")
            synthetic = pd.DataFrame(columns=["session", "stim_id", "axis", "step", "features"])
            if "synthetic" in f and len(f["synthetic/stim_id"]):
                g = f["synthetic"]
                synthetic = pd.DataFrame(dict(session=g["session"][:].astype(str), stim_id=g["stim_id"][:],
                                              axis=g["axis"][:].astype(str), step=g["step"][:],
                                              features=list(g["features"][:])))
            return ObjectSpaceFile(stim_id=f["stim_id"][:].astype(np.int64), features=f["features"][:],
                                   categories=f["category"][:].astype(str), database=f["database/features"][:],
                                   synthetic=synthetic, simulated=bool(f.attrs.get("simulated", False)))
    except InputDataError:
        raise
    except Exception as exc:
        raise InputDataError(f"{path}: cannot be read as an object-space file ({type(exc).__name__}: {exc})") from exc


def stimulus_ids(path: str | Path) -> StimulusIds:
    """The screening-object and synthetic-stimulus ids of an object-space file, read alone: the NWB
    reader checks each trial's stim_id against them."""
    path = Path(path)
    if not path.exists():
        raise InputDataError(f"{path}: object-space file not found (config key 'object_space')")
    try:
        with h5py.File(path, "r") as f:
            if "stim_id" not in f:
                raise InputDataError(f"{path}: object-space file lacks the dataset 'stim_id'")
            synthetic = f["synthetic/stim_id"][:] if "synthetic/stim_id" in f else np.array([], np.int64)
            return StimulusIds(f["stim_id"][:].astype(np.int64), np.asarray(synthetic, dtype=np.int64))
    except InputDataError:
        raise
    except Exception as exc:
        raise InputDataError(f"{path}: cannot be read as an object-space file ({type(exc).__name__}: {exc})") from exc
