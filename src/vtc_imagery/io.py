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


# An explicit empty result: a results table with this one column, on one row, gives the reason the
# stage had nothing to analyse on this input (errors.NotAvailable). Reports show it as
# "not available on this input: <reason>".
NOT_AVAILABLE = "not_available"


def not_available(reason: str) -> pd.DataFrame:
    """The one-row table of an explicit empty result."""
    return pd.DataFrame({NOT_AVAILABLE: [str(reason)]})


def unavailable_reason(table: pd.DataFrame) -> str | None:
    """The reason of an explicit empty result (not_available), or None for a table with results."""
    if NOT_AVAILABLE in table.columns and len(table):
        return str(table[NOT_AVAILABLE].iloc[0])
    return None


def availability_note(table_or_record) -> str | None:
    """'not available on this input: <reason>' for an explicit empty result (a table or a JSON
    record with a `not_available` entry), else None: what the report notebooks display."""
    reason = (table_or_record.get(NOT_AVAILABLE) if isinstance(table_or_record, dict)
              else unavailable_reason(table_or_record))
    return f"not available on this input: {reason}" if reason else None
