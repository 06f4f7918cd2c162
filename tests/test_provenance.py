"""Provenance: the version and commit stamped in the report and the model records."""

from __future__ import annotations

import subprocess
import tomllib

import vtc_imagery
from vtc_imagery.provenance import git_commit, provenance


def test_a_checkout_is_named_by_its_commit(repo):
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert git_commit(repo).removesuffix("-dirty") == head


def test_a_folder_outside_git_has_an_unknown_commit(tmp_path):
    assert git_commit(tmp_path) == "unknown"


def test_the_record_carries_the_installed_version(repo):
    record = provenance(repo)
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    assert record["workflow_version"] == vtc_imagery.__version__ == project["version"]
