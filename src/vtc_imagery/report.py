"""Executing report notebooks (papermill) and exporting them to HTML (nbconvert); results tables as
HTML pages for the report."""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .io import atomic_path

# The style of every HTML page the workflow writes for the report (tables, notebooks, QC pages).
PAGE_STYLE = ("body{font-family:sans-serif;font-size:13px;max-width:1100px} table{border-collapse:collapse;"
              "margin:4px 0 12px} th,td{border:1px solid #ccc;padding:2px 6px;text-align:right} th{background:#eee}"
              " img{max-width:100%} .banner{font-weight:bold;color:#a00}")


def html_page(title: str, body: str) -> str:
    """A standalone HTML page for the report in PAGE_STYLE: `title` is text, `body` is HTML."""
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{PAGE_STYLE}</style></head><body>{body}</body></html>")


@dataclass(frozen=True)
class NotebookRun:
    """A notebook to execute: its template, the executed copy (the rule's notebook log, kept on
    failure), the copy kept in results/, its code-free HTML export, and the parameters papermill
    injects."""

    template: str | Path
    executed: str | Path
    ipynb: str | Path
    html: str | Path
    parameters: dict[str, Any]


def execute_notebook(template: str | Path, executed: str | Path, ipynb: str | Path, html: str | Path,
                     parameters: dict[str, Any]) -> None:
    """Run one notebook (execute_notebooks)."""
    execute_notebooks([NotebookRun(template, executed, ipynb, html, parameters)])


def execute_notebooks(runs: Sequence[NotebookRun]) -> None:
    """Run the notebooks one after the other in one kernel, the generic `python3` kernel (the
    interpreter running this function), its user namespace and figures cleared between them; write
    each one's results copy and HTML export as soon as it has run. A kernel and a figure notebook's
    imports cost about 3 s, more than most figures' drawing.

    The kernel talks over Unix sockets in a directory of its own. Over TCP (or IPC at a shared path)
    a kernel's ports are picked free and bound only later, so notebooks started at the same moment
    (parallel jobs, the tests) could pick the same one, and one kernel died before it ran a cell."""
    import papermill
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    with tempfile.TemporaryDirectory(prefix="vtc-kernel-") as sockets:
        kernel = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(sockets, "kernel"))
        try:
            for k, run in enumerate(runs):
                if k:
                    _clear_kernel(kernel)
                papermill.execute_notebook(str(run.template), str(run.executed), parameters=run.parameters,
                                           kernel_name="python3", cwd=".", progress_bar=False, log_output=True,
                                           km=kernel)
                _export(run)
        finally:
            if run_sync(kernel.is_alive)():
                run_sync(kernel.shutdown_kernel)(now=True)


def _clear_kernel(kernel) -> None:
    """Close the shared kernel's figures and clear its user namespace, so that a notebook sees nothing
    of the one before (the modules stay imported: that is the saving)."""
    from jupyter_core.utils import run_sync

    client = kernel.client()
    client.start_channels()
    try:
        reply = run_sync(client.execute_interactive)(
            "import matplotlib.pyplot as _plt\n_plt.close('all')\nget_ipython().run_line_magic('reset', '-f')",
            silent=True, store_history=False)
    finally:
        client.stop_channels()
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"clearing the notebook kernel failed: {reply['content']}")


def _export(run: NotebookRun) -> None:
    """The executed notebook's copy in results/ and its HTML page without code."""
    import nbformat
    from nbconvert import HTMLExporter

    notebook = nbformat.read(str(run.executed), as_version=4)
    for cell in notebook.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"  # papermill gives it a random id, which changed the page every run
    with atomic_path(run.ipynb) as tmp:
        nbformat.write(notebook, str(tmp))
    # nbconvert's "basic" template with a few lines of style: its default (lab) template embeds about
    # 280 kB of CSS in every page, which was a fifth of the report at paper scale.
    body, _ = HTMLExporter(exclude_input=True, template_name="basic").from_notebook_node(notebook)
    with atomic_path(run.html) as tmp:
        tmp.write_text(html_page(Path(str(run.template)).stem, body), encoding="utf-8")


def table_html(table: pd.DataFrame, title: str) -> str:
    """A results table (as read from its TSV) as a standalone HTML page for the report: numbers to 3
    significant digits (integers whole), missing values blank, a SIMULATED banner when the table's
    `simulated` column says so, and an explicit empty result shown as its reason."""
    simulated = "simulated" in table and bool(table.simulated.astype(str).str.lower().eq("true").any())
    shown = table.drop(columns="simulated", errors="ignore")

    def cell(v) -> str:
        if isinstance(v, float | np.floating):
            return "" if not np.isfinite(v) else f"{int(v)}" if float(v).is_integer() else f"{v:.3g}"
        return html.escape(str(v))

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    rows = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>"
                   for r in shown.itertuples(index=False))
    banner = ("<p><b>SIMULATED</b>: computed on the virtual cohort, not on recordings from patients.</p>"
              if simulated else "")
    return html_page(title, f"<h3>{html.escape(title)}</h3>{banner}"
                            f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")


def funnel_landing_rows(path: str | Path) -> list[dict[str, str]]:
    """The selection funnel at `path` (stage, this_run, paper) as strings for the report's landing
    page; [] before the run has written it."""
    path = Path(path)
    if not path.exists():
        return []
    table = pd.read_csv(path, sep="\t")

    def count(v) -> str:
        return "" if pd.isna(v) else f"{int(v)}"

    return [dict(stage=str(r.stage), this_run=count(r.this_run), paper=count(r.paper)) for r in table.itertuples()]
