"""The workflow imported as a Snakemake `module` into another workflow, in another folder."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from conftest import REPO

pytestmark = pytest.mark.workflow

HOST = f'''
configfile: "{REPO / "config.yaml"}"


module vtc_imagery:
    snakefile:
        "{REPO / "Snakefile"}"
    config:
        config


use rule * from vtc_imagery as vtc_*


rule host_all:
    default_target: True
    input:
        "results/tables/recorded_units.parquet",
'''


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    """A host workflow in its own folder that imports this one and asks for the recorded units."""
    workdir = tmp_path_factory.mktemp("host")
    (workdir / "Snakefile").write_text(HOST)
    cmd = [sys.executable, "-m", "snakemake", "-s", str(workdir / "Snakefile"), "--directory", str(workdir),
           "--cores", "2", "--config", "simulation={profile: ci, seed: 5}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=workdir)
    assert proc.returncode == 0, proc.stderr[-6000:]
    return workdir


def test_the_workflow_runs_as_a_module_of_another_workflow(host):
    units = pd.read_parquet(host / "results/tables/recorded_units.parquet")
    assert (units.area == "VTC").sum() == 48  # the ci profile plants 48 VTC units


def test_a_module_run_writes_its_results_and_logs_in_the_host_folder(host):
    assert (host / "results/tables/recorded_units.parquet").exists()
    assert (host / "logs/nwb_to_tables/sub-1_ses-1.log").exists()
