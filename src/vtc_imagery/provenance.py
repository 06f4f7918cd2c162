"""Which code made a result: the package version and the workflow checkout's git commit."""

from __future__ import annotations

import subprocess
from pathlib import Path

from . import __version__


def git_commit(workflow_dir: str | Path) -> str:
    """The commit the workflow folder is checked out at, with `-dirty` when tracked files differ
    from it; `unknown` outside a git checkout (a release archive) or without git."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(workflow_dir), *args], capture_output=True, text=True,
                              check=True, timeout=30).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}-dirty" if dirty else commit


def provenance(workflow_dir: str | Path) -> dict[str, str]:
    """Version and commit of the code that ran, for the report and every model record."""
    return {"workflow_version": __version__, "workflow_commit": git_commit(workflow_dir)}
