"""Shared fixtures: a simulated `ci` cohort (made once per test session) and repository paths."""

from __future__ import annotations

from pathlib import Path

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
