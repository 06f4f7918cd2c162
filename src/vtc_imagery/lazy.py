"""scipy.stats, imported on first use.

The Snakefile imports the analysis modules for their parameter classes, so every snakemake call (a
dry run, a no-op rerun, each workflow test) imported scipy.stats, 1-2 s of its start-up on a small
machine, before knowing whether any job would need it.
"""

from __future__ import annotations

from typing import Any


class _Stats:
    """Stands for the scipy.stats module: the first attribute looked up imports it."""

    def __getattr__(self, name: str) -> Any:
        from scipy import stats

        return getattr(stats, name)


stats = _Stats()
