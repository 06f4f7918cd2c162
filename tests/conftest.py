"""Shared fixtures: a simulated `ci` cohort (made once per test session) and repository paths."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from vtc_imagery.simulate import get_profile, plan_cohort, simulate_cohort

REPO = Path(__file__).resolve().parents[1]
SEED = 11


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def ci_profile():
    return get_profile("ci")


@pytest.fixture(scope="session")
def ci_plan(ci_profile):
    return plan_cohort(ci_profile, SEED)


@pytest.fixture(scope="session")
def ci_cohort(tmp_path_factory, ci_profile) -> Path:
    """The ci cohort written to disk: NWB files, object space, truth tables."""
    out = tmp_path_factory.mktemp("ci_cohort")
    simulate_cohort(ci_profile, SEED, out, jobs=2)
    return out


@pytest.fixture(scope="session")
def session_paths(ci_cohort, ci_profile) -> dict[str, Path]:
    return {s.name: ci_cohort / s.path for s in ci_profile.sessions()}


CI_CONFIG = ["simulation={profile: ci, seed: 5}",
             "calibration={profile: ci, seeds: 1, model_replicates: 4, decoding_replicates: 4, axis_null_scale: 2,"
             " category_null_scale: 1,"
             " scenarios: [realistic]}"]


def snakemake(workdir: Path, *args: str, config: list[str] = CI_CONFIG, check: bool = True, cores: int | None = 2,
              env: dict | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run the workflow through the Snakemake CLI in `workdir`, as a user would."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(REPO / "config.yaml"), *(["--cores", str(cores)] if cores else []), *args]
    if config:
        cmd += ["--config", *config]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}")
    return proc


def result_tables(workdir: Path) -> dict[str, pd.DataFrame]:
    return {str(p.relative_to(workdir)): pd.read_parquet(p) for p in sorted((workdir / "results").rglob("*.parquet"))}


def assert_same_tables(first: dict[str, pd.DataFrame], second: dict[str, pd.DataFrame]) -> None:
    """Counts, calls and ids identical; floats equal to 1e-12, as BLAS kernels may sum in another
    order in another process (memory alignment), which no seed controls."""
    for name, table in second.items():
        pd.testing.assert_frame_equal(first[name], table, check_exact=False, rtol=1e-12, atol=1e-14)
        for column in table.columns:
            if not pd.api.types.is_float_dtype(table[column]) and table[column].dtype != object:
                assert first[name][column].equals(table[column]), f"{name}: {column}"


# The ci run builds the default target and both optional parts, which the tests also read.
RUN_TARGETS = ("all", "calibrate", "robustness")


class _BackgroundRun:
    """The ci workflow run once, locally, in a thread started as soon as the tests are collected, so
    that its minutes overlap the single-core tests; run_dir joins it."""

    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="vtc-run-"))
        self.run: Future = ThreadPoolExecutor(1).submit(snakemake, self.workdir, *RUN_TARGETS)

    def stop(self) -> None:
        self.run.cancel() or self.run.exception()  # a run still going ends with its snakemake
        shutil.rmtree(self.workdir, ignore_errors=True)


_ci_run: _BackgroundRun | None = None


@pytest.fixture(scope="session")
def run_dir() -> Path:
    """The ci workflow run once, locally, for every test that reads its outputs."""
    global _ci_run
    if _ci_run is None:  # a session that did not collect it at the start (e.g. -k)
        _ci_run = _BackgroundRun()
    _ci_run.run.result()
    return _ci_run.workdir


def _uses_run_dir(item) -> bool:
    return "run_dir" in getattr(item, "fixturenames", ())


@pytest.hookimpl(trylast=True)  # after -m and -k have deselected
def pytest_collection_modifyitems(config, items):
    """The calibration module's tests (their fixtures keep both cores busy) after the single-core tests,
    which then share the machine with the background ci and SLURM runs instead of waiting behind them;
    then the tests that read the background ci run, so that it has had the others' time to finish; the
    SLURM tests last: their run starts in the background at once and is joined only there."""
    items.sort(key=lambda item: (item.get_closest_marker("slurm") is not None, _uses_run_dir(item),
                                 item.module.__name__ == "test_calibration"))


def pytest_collection_finish(session):
    global _ci_run
    if session.config.option.collectonly:
        return
    if any(_uses_run_dir(item) for item in session.items):
        _ci_run = _BackgroundRun()
    slurm = [item for item in session.items if item.get_closest_marker("slurm")]
    if slurm:
        slurm[0].module.launch()


def pytest_sessionfinish(session):
    """Stop the background runs even when their tests never ran (an interrupted session)."""
    global _ci_run
    for item in session.items:
        if item.get_closest_marker("slurm"):
            item.module.stop()
            break
    if _ci_run is not None:
        _ci_run.stop()
        _ci_run = None
