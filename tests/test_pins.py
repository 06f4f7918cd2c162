"""Pinned dependencies: the conda envs carry exactly the versions of requirements.lock."""

from __future__ import annotations

import re
import tomllib

import yaml


def _lock(repo) -> dict[str, str]:
    pins = {}
    for line in (repo / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[_norm(name)] = version
    return pins


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_lock_line_is_an_exact_pin(repo):
    lines = [x for x in (repo / "requirements.lock").read_text().splitlines() if x and not x.startswith("#")]
    assert lines and all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[\w.+!]+", x) for x in lines)


def test_conda_envs_pin_the_same_versions_as_the_lock(repo):
    lock = _lock(repo)
    envs = sorted((repo / "envs").glob("*.yaml"))
    assert envs
    for env in envs:
        deps = yaml.safe_load(env.read_text())["dependencies"]
        pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
        assert "python=3.11" in deps, f"{env.name}: python differs from the lock's interpreter"
        for spec in pip:
            name, version = spec.split("==")
            assert lock.get(_norm(name)) == version, f"{env.name}: {spec} differs from requirements.lock"


def test_every_declared_dependency_is_locked(repo):
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["test"]
    lock = _lock(repo)
    missing = [d for d in declared if _norm(re.split(r"[<>=!\[ ]", d)[0]) not in lock]
    assert not missing
