"""Executing report notebooks (papermill) and exporting them to HTML (nbconvert)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from .io import atomic_path


def execute_notebook(template: str | Path, executed: str | Path, ipynb: str | Path, html: str | Path,
                     parameters: dict[str, Any]) -> None:
    """Run `template` with `parameters` into `executed` (kept on failure), then copy it to `ipynb`
    and write a code-free HTML export to `html`. Uses the generic `python3` kernel, which is the
    interpreter running this function."""
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    papermill.execute_notebook(str(template), str(executed), parameters=parameters, kernel_name="python3",
                               cwd=".", progress_bar=False, log_output=True)
    with atomic_path(ipynb) as tmp:
        shutil.copyfile(executed, tmp)
    body, _ = HTMLExporter(exclude_input=True).from_notebook_node(nbformat.read(str(executed), as_version=4))
    with atomic_path(html) as tmp:
        tmp.write_text(body, encoding="utf-8")
