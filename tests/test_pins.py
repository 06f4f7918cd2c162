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


# conda-forge names of PyPI distributions where they differ
CONDA_NAMES = {"python-tzdata": "tzdata", "matplotlib-base": "matplotlib"}


def conda_pins(env) -> dict[str, str]:
    """PyPI name -> version of every conda package an env file pins (python and pip excluded)."""
    deps = yaml.safe_load(env.read_text())["dependencies"]
    pins = {}
    for dep in deps:
        if isinstance(dep, str) and "=" in dep and not dep.startswith("python="):
            name, version = dep.split("=")
            pins[_norm(CONDA_NAMES.get(name, name))] = version
    return pins


def test_conda_envs_pin_the_same_versions_as_the_lock(repo):
    lock = _lock(repo)
    envs = sorted((repo / "envs").glob("*.yaml"))
    assert envs
    for env in envs:
        deps = yaml.safe_load(env.read_text())["dependencies"]
        assert "python=3.11" in deps, f"{env.name}: python differs from the lock's interpreter"
        for name, version in conda_pins(env).items():
            assert lock.get(name) == version, f"{env.name}: {name}={version} differs from requirements.lock"


def test_conda_envs_install_the_package_and_nothing_else_from_pip(repo):
    core = tomllib.loads((repo / "pyproject.toml").read_text())["project"]["dependencies"]
    for env in sorted((repo / "envs").glob("*.yaml")):
        deps = yaml.safe_load(env.read_text())["dependencies"]
        pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
        assert pip == ["-e .."], f"{env.name}: pip installs {pip}, not only the workflow's package"
        # the package's own dependencies come from conda-forge, so pip resolves none of them
        missing = [d for d in core if _norm(d) not in conda_pins(env)]
        assert not missing, f"{env.name}: lacks the package's core dependencies {missing}"


def test_every_declared_dependency_is_locked(repo):
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra]
    lock = _lock(repo)
    missing = [d for d in declared if _norm(re.split(r"[<>=!\[ ]", d)[0]) not in lock]
    assert not missing
