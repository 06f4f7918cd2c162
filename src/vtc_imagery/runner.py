"""The thin adapter every rule script uses: log to the rule's log, end bad input with one message."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from .errors import ConfigError, InputDataError


def run_rule(snakemake: Any, main: Callable[[Any], None]) -> None:
    """Run `main(snakemake)` with stdout, stderr and logging sent to the rule's (first) log.

    InputDataError and ConfigError end the job with their message alone (no traceback): the
    message already names the file or key. Anything else is a bug and keeps its traceback.
    """
    # Not a context manager: the log stays open, as stdout and stderr, for the job's whole life.
    log = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
    # At the descriptor level, so that child processes (notebook kernels, pool workers) log there too.
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    sys.stdout = sys.stderr = log
    logging.basicConfig(stream=log, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s",
                        force=True)
    if "SLURM_JOB_ID" in os.environ:
        log.write(f"SLURM job {os.environ['SLURM_JOB_ID']} on {os.uname().nodename}\n")
    try:
        main(snakemake)
    except (InputDataError, ConfigError) as exc:
        log.write(f"ERROR: {exc}\n")
        raise SystemExit(1) from None
