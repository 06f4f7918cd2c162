"""Atomic writes: a file appears under its final name only when it is complete."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a hidden temporary path beside `path`; rename it into place if the block succeeds.

    The temporary name keeps the suffix (pynwb warns about files not ending in .nwb) and starts
    with a dot, so globs such as sub-*/*.nwb never pick up a half-written file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.part{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_parquet_atomic(table: pd.DataFrame, path: str | Path) -> None:
    """Write `table` to `path` (zstd Parquet, no index) atomically."""
    with atomic_path(path) as tmp:
        table.to_parquet(tmp, index=False, compression="zstd")


TSV_FLOAT_FORMAT = "%.6g"  # every TSV the workflow writes: six significant digits


def write_tsv_atomic(table: pd.DataFrame, path: str | Path, simulated: bool | None = None) -> None:
    """Write `table` to `path` as tab-separated text (no index, floats as TSV_FLOAT_FORMAT) atomically.

    With `simulated` given, the table carries it in a last column `simulated` on every row, so that
    a results table read on its own says whether it comes from the virtual cohort."""
    if simulated is not None:
        table = table.drop(columns="simulated", errors="ignore").assign(simulated=bool(simulated))
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format=TSV_FLOAT_FORMAT)
