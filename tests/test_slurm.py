"""The ci workflow through a real single-node SLURM cluster on localhost, with profiles/slurm."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import REPO, assert_same_tables, result_tables, snakemake

pytestmark = pytest.mark.slurm
SCRIPT = REPO / "tests/slurm/local_cluster.sh"
LOCAL_RULES = {"recorded_units", "population", "selection_funnel", "model_comparison", "closed_loop",
               "validate_perception", "imagery_population", "validate_imagery", "validate_funnel",
               "calibration", "qc", "summary",
               "figure"}


# Every kind of cluster job once or more, without the local notebooks and report (the local run tests those)
# and with one calibration cohort of the four.
SLURM_TARGETS = [*(f"results/models/M{k}.tsv" for k in range(1, 5)), "results/tables/identification.tsv",
                 "results/tables/reconstruction.parquet",
                 "results/calibration/cohorts/realistic/planted/seed-1000.parquet"]


SESSION_RULES = ("nwb_to_tables", "screening_units", "axis_model", "imagery_units", "imagery_decoding")
COHORT_RULES = ("mixed_model", "decoding", "reconstruction")


class _Background:
    """The cluster's start and the SLURM run, in a thread started as soon as the tests are collected
    (conftest.py), so that their minutes of waiting (apt, daemons, SLURM's submit and status polling)
    overlap the other tests' work; the fixture below joins it."""

    def __init__(self) -> None:
        self.state = Path(tempfile.mkdtemp(prefix="vtc-slurm-", dir="/tmp"))
        self.workdir = Path(tempfile.mkdtemp(prefix="vtc-slurm-run-"))
        self.pids: list[int] = []
        self.run = ThreadPoolExecutor(1).submit(self._start_and_run)

    def _start_and_run(self):
        # munged wants every directory above its socket world-executable, which pytest's tmp dirs are not
        start = subprocess.run(["bash", str(SCRIPT), "start", str(self.state)], capture_output=True, text=True,
                               timeout=900)
        if start.returncode == 3:
            return start.stderr.strip().splitlines()[-1]  # the reason the cluster cannot run here
        assert start.returncode == 0, start.stderr[-3000:]
        self.pids = [int(line.split(":")[1]) for line in (self.state / "pids").read_text().split()]
        env = {**os.environ, "SLURM_CONF": str(self.state / "slurm.conf"),
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        proc = snakemake(
            self.workdir, "--workflow-profile", str(REPO / "profiles/slurm"),
            # the local cluster's settings; each replaces the profile's whole key
            "--default-resources", "slurm_partition=debug", "mem_mb=500", "runtime=30",
            "--set-threads", "axis_model=1", "--slurm-status-command", "squeue",
            "--slurm-init-seconds-before-status-checks", "8", "--slurm-keep-successful-logs",
            "--jobs", "2", "--latency-wait", "5",
            # a few SLURM jobs instead of one per rule and session (each costs ~15 s to submit,
            # start and poll); a group job runs its jobs two at a time on its 2 cores
            "--groups", *(f"{r}=session" for r in SESSION_RULES), *(f"{r}=cohort" for r in COHORT_RULES),
            "--group-components", "session=4", "cohort=6", "--cores", "2",
            *SLURM_TARGETS,  # after a one-value option: --configfile would take them as files
            cores=None, env=env, timeout=1500)
        return env, proc

    def stop(self) -> None:
        """Stop exactly the cluster's daemons (which ends a run still going, in an interrupted session), wait
        for the thread, remove the files."""
        subprocess.run(["bash", str(SCRIPT), "stop", str(self.state)], capture_output=True, text=True, timeout=120)
        with contextlib.suppress(Exception):  # the fixture has reported it
            self.run.result()
        shutil.rmtree(self.state, ignore_errors=True)
        shutil.rmtree(self.workdir, ignore_errors=True)


_background: _Background | None = None


def launch() -> _Background:
    """Start the cluster and its run once per test session (conftest.py calls this after collection)."""
    global _background
    if _background is None:
        _background = _Background()
    return _background


def stop() -> None:
    global _background
    if _background is not None:
        _background.stop()
        _background = None


@pytest.fixture(scope="module")
def slurm_run():
    background = launch()
    outcome = background.run.result()
    if isinstance(outcome, str):
        pytest.skip(outcome)
    env, proc = outcome
    yield background.workdir, env, proc
    pids = background.pids
    stop()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # every daemon the script started is gone


def _slurm_jobs_by_rule(workdir: Path) -> dict[str, set[int]]:
    """The SLURM job each rule's jobs ran in, as their logs name it (a group's jobs share one)."""
    ids: dict[str, set[int]] = {}
    for log in (workdir / "logs").rglob("*.log"):
        found = re.search(r"SLURM job (\d+)", log.read_text())
        if found:
            rule = log.relative_to(workdir / "logs").parts[0].removesuffix(".log")
            ids.setdefault(rule, set()).add(int(found.group(1)))
    return ids


def test_every_job_but_the_local_rules_ran_inside_a_completed_slurm_job(slurm_run):
    workdir, env, _ = slurm_run
    ids = _slurm_jobs_by_rule(workdir)
    assert set(ids) == {"simulate_cohort", "calibration_cohort", *SESSION_RULES, *COHORT_RULES}
    for rule in ("nwb_to_tables", "screening_units", "axis_model", "mixed_model"):
        assert len(list((workdir / "logs" / rule).glob("*.log"))) == 4, rule
    submitted = {int(log.stem) for log in (workdir / ".snakemake/slurm_logs").rglob("*.log")}
    every = set().union(*ids.values())
    assert every == submitted
    # the groups: one SLURM job for every session's jobs, one for the cohort's
    assert len(set().union(*(ids[r] for r in SESSION_RULES))) == 1
    assert len(set().union(*(ids[r] for r in COHORT_RULES))) == 1
    states = subprocess.run(["squeue", "-h", "--states=all", "-o", "%i %T", "-j", ",".join(map(str, sorted(every)))],
                            capture_output=True, text=True, env=env, check=True).stdout.split("\n")
    states = dict(line.split() for line in states if line.strip())
    assert {int(k) for k in states} == every and set(states.values()) == {"COMPLETED"}


def test_the_local_rules_ran_outside_slurm(slurm_run):
    workdir, _, _ = slurm_run
    local_logs = [workdir / "logs" / f"{rule}.log" for rule in LOCAL_RULES]
    local_logs += [p for rule in LOCAL_RULES for p in (workdir / "logs" / rule).glob("*.log")]
    assert [p for p in local_logs if p.exists()]
    assert not any("SLURM job" in p.read_text() for p in local_logs if p.exists())


def test_the_slurm_run_gives_the_tables_of_a_local_run(slurm_run, run_dir):
    workdir, _, _ = slurm_run
    local, cluster = result_tables(run_dir), result_tables(workdir)
    assert set(cluster) <= set(local) and len(cluster) > 30
    assert_same_tables(local, cluster)
