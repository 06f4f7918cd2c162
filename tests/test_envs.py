"""Each conda env can run its rules: every module that a rule's script, the library modules it
imports (followed transitively) and, for notebook rules, the notebook's code import is provided by
the env the rule names. A rule that imports a package its env lacks fails under `--sdm conda`
(as `fig_axis_code` did when envs/report.yaml lacked h5py), whatever the pip venv has."""

from __future__ import annotations

import ast
import json
import re
import sys
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from conftest import REPO
from test_pins import _norm, conda_pins

PACKAGE = "vtc_imagery"
RULE = re.compile(r"^(?:rule|checkpoint) (\w+):\n((?:[ \t]+.*\n|\n)+)", re.M)


def rule_blocks() -> dict[str, str]:
    """Rule name -> the text of its body, over every rule file."""
    blocks = {}
    for path in sorted((REPO / "rules").glob("*.smk")):
        for match in RULE.finditer(path.read_text() + "\n"):
            blocks[match.group(1)] = match.group(2)
    return blocks


def directive(body: str, name: str) -> str | None:
    """The quoted path a rule gives to a one-value directive (`conda:`, `script:`), or None."""
    match = re.search(rf"^\s+{name}:\n\s+\"([^\"]+)\"", body, re.M)
    return match.group(1) if match else None


def notebooks_of(rule: str, body: str) -> list[Path]:
    """The notebooks a notebook rule executes (the figure rules, which name them by a variable: every
    fig_* notebook)."""
    names = re.findall(r'NOTEBOOKS / "(\w+)\.ipynb"', body)
    if 'NOTEBOOKS / f"{' in body:
        return sorted((REPO / "notebooks").glob("fig_*.ipynb"))
    return [REPO / "notebooks" / f"{n}.ipynb" for n in names]


def source_of(path: Path) -> str:
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
        lines = (line for cell in code for line in cell.splitlines())
        return "\n".join(line for line in lines if not line.lstrip().startswith(("%", "!")))  # no magics
    return path.read_text()


def imported_modules(path: Path, seen: set[Path] | None = None) -> set[str]:
    """Top-level names of every module imported anywhere in `path` (functions included), following
    imports of the workflow's own package into its source files."""
    seen = set() if seen is None else seen
    if path in seen:
        return set()
    seen.add(path)
    found: set[str] = set()
    package_dir = REPO / "src" / PACKAGE
    for node in ast.walk(ast.parse(source_of(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import inside the package
                base = path.parent
                for _ in range(node.level - 1):
                    base = base.parent
                rel = ".".join(p for p in [str(base.relative_to(REPO / "src")).replace("/", "."), node.module] if p)
                targets = [rel] + [f"{rel}.{a.name}" for a in node.names]
            else:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for target in targets:
            top = target.split(".")[0]
            if top != PACKAGE:
                found.add(top)
                continue
            parts = target.split(".")[1:]
            candidates = [package_dir.joinpath(*parts).with_suffix(".py"), package_dir.joinpath(*parts, "__init__.py")]
            for file in candidates:
                if file.exists():
                    found |= imported_modules(file, seen)
    return found


@cache
def _distributions() -> dict[str, list[str]]:
    return packages_distributions()


def third_party(modules: set[str]) -> set[str]:
    """Normalised distribution names of the modules that are neither stdlib nor the package."""
    dists = _distributions()
    names = set()
    for module in modules - set(sys.stdlib_module_names) - {PACKAGE, "__future__", "snakemake"}:
        assert module in dists, f"no installed distribution provides module {module!r}"
        names |= {_norm(d) for d in dists[module]}
    return names


def rules_with_envs() -> list[tuple[str, str, list[Path]]]:
    cases = []
    for rule, body in rule_blocks().items():
        env, script = directive(body, "conda"), directive(body, "script")
        if env and script:
            files = [(REPO / "rules" / script).resolve(), *notebooks_of(rule, body)]
            cases.append((rule, env, files))
    return cases


def test_every_rule_with_code_names_a_conda_env():
    for rule, body in rule_blocks().items():
        if directive(body, "script") or directive(body, "shell"):
            assert directive(body, "conda"), f"rule {rule} runs code but names no conda env"


@pytest.mark.parametrize(("rule", "env", "files"), rules_with_envs(), ids=lambda v: v if isinstance(v, str) else "")
def test_the_rules_env_provides_every_module_its_code_imports(rule, env, files):
    env_path = (REPO / "rules" / env).resolve()
    provided = set(conda_pins(env_path))
    needed = set().union(*(third_party(imported_modules(f)) for f in files))
    missing = sorted(needed - provided)
    assert not missing, f"rule {rule}: {env_path.name} lacks {missing} (imported by {[f.name for f in files]})"
