"""The per-session quality-control pages, rendered for the whole cohort in one process (rule `qc`):
units by area, trials by phase, firing-rate and refractory-violation histograms, example rasters with
PSTHs. Each page is one self-contained HTML file (figures as embedded PNG) for the report.

One process draws every session's figures: a notebook per session cost a kernel, its imports and an
HTML export each (about 4 s), for two figures.
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import pandas as pd

from . import qc
from . import selection as sel
from .report import html_page

RASTER_WINDOW_S = (-0.2, 0.55)
RASTER_TRIALS = 300  # rasters show the first trials; the PSTH averages all of them
PSTH_BIN_S = 0.02
QC_DPI = 80
SIMULATED_BANNER = "SIMULATED DATA (virtual cohort), not recordings from patients."


def session_summary(session: str, units: pd.DataFrame, trials: pd.DataFrame, n_spikes: int) -> dict:
    """One row of the cohort's QC overview: counts, the median over units of the mean rate (Hz) and of
    the % of inter-spike intervals below the QC threshold."""
    return dict(session=session, units=len(units), vtc_units=int(sel.vtc(units).sum()), trials=len(trials),
                screening_trials=int((trials.stim_phase == "screening").sum()),
                imagery_cues=int((trials.stim_phase == "imagery").sum()), trial_aligned_spikes=int(n_spikes),
                median_rate_hz=float(units.mean_rate_hz.median()) if len(units) else np.nan,
                median_short_isi_pct=float(100 * units.isi_violation_fraction.median()) if len(units) else np.nan)


def _png(fig) -> str:
    """The figure as an <img> with its PNG inline; the figure is closed."""
    import matplotlib.pyplot as plt
    from PIL import Image

    buffer, small = io.BytesIO(), io.BytesIO()
    fig.savefig(buffer, format="png", dpi=QC_DPI)
    plt.close(fig)
    # a 32-colour palette keeps these line and dot plots legible at a third of the bytes
    Image.open(buffer).convert("RGB").quantize(colors=32).save(small, format="PNG", optimize=True)
    data = base64.b64encode(small.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(fig.get_label() or "figure")}" src="data:image/png;base64,{data}">'


def rate_figure(units: pd.DataFrame):
    """Histograms of the units' mean rate (Hz, log scale, by area) and of their % of short ISIs."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    fig.set_label("mean rates and refractory violations")
    rates = units.mean_rate_hz.to_numpy(np.float64)
    positive = rates[rates > 0]
    edges = np.geomspace(positive.min(), positive.max() * 1.001, 21) if len(positive) else np.linspace(0, 1, 21)
    for area, group in units.groupby("area", sort=True):
        axes[0].hist(group.mean_rate_hz[group.mean_rate_hz > 0], bins=edges, alpha=0.6, label=str(area))
    axes[0].set_xscale("log")
    axes[0].xaxis.set_minor_formatter(NullFormatter())  # the minor labels of a short log axis overlap
    axes[0].set_xlabel("mean rate (Hz)")
    axes[0].set_ylabel("units")
    axes[0].legend(fontsize=7, frameon=False)
    axes[1].hist(100 * units.isi_violation_fraction.to_numpy(np.float64), bins=20, color="0.4")
    axes[1].set_xlabel("% ISI below threshold")
    for ax in axes:
        ax.spines[["top", "right"]].set_visible(False)
    # fixed margins: tight_layout measured every label with an extra draw, a quarter of a page's time
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.17, top=0.95, wspace=0.22)
    return fig


def raster_figure(units: pd.DataFrame, trials: pd.DataFrame, spikes: pd.DataFrame, examples: list[int]):
    """Rasters (first RASTER_TRIALS screening trials) and PSTHs (all of them) of the example units
    around stimulus onset, or None without an example."""
    import matplotlib.pyplot as plt

    if not examples:
        return None
    fig, axes = plt.subplots(2, len(examples), figsize=(3 * len(examples), 5), sharex=True, squeeze=False,
                             gridspec_kw={"height_ratios": [3, 1]})
    fig.set_label("example rasters")
    by_index = units.set_index("unit_index")
    for k, unit in enumerate(examples):
        rows, times = qc.raster(spikes, trials, unit, "screening", RASTER_WINDOW_S)
        shown = rows < RASTER_TRIALS
        axes[0, k].scatter(times[shown], rows[shown], s=1.5, c="k", marker=".", linewidths=0, rasterized=True)
        axes[0, k].set_title(f"{str(by_index.loc[unit, 'unit_id']).split('_')[-1]} ({by_index.loc[unit, 'area']})",
                             fontsize=9)
        centres, rate = qc.psth(spikes, trials, unit, "screening", RASTER_WINDOW_S, PSTH_BIN_S)
        axes[1, k].plot(centres, rate, color="k")
        axes[1, k].set_xlabel("time from onset (s)")
        for ax in axes[:, k]:
            ax.axvline(0, color="tab:red", lw=0.8)
            ax.spines[["top", "right"]].set_visible(False)
    axes[0, 0].set_ylabel("trial")
    axes[1, 0].set_ylabel("rate (Hz)")
    fig.subplots_adjust(left=0.24 / len(examples), right=0.99, bottom=0.1, top=0.94, wspace=0.3, hspace=0.12)
    return fig


def session_page(session: str, units: pd.DataFrame, trials: pd.DataFrame, spikes: pd.DataFrame,
                 n_examples: int, isi_threshold_ms: float, simulated: bool) -> str:
    """One session's QC page as a standalone HTML document. `units`, `trials`, `spikes`: the
    session's tables from nwb_to_tables (spike times in s from trial start)."""
    import matplotlib

    matplotlib.use("Agg")
    examples = qc.example_units(units, qc.evoked_rate_change(spikes, trials), n_examples)
    figures = [rate_figure(units), raster_figure(units, trials, spikes, examples)]
    phases = trials.stim_phase.value_counts().rename("trials").to_frame()
    banner = f'<p class="banner">{SIMULATED_BANNER}</p>' if simulated else ""
    parts = [
        f"<h2>Session quality control: {html.escape(session)}</h2>", banner,
        f"<p>{len(units)} units, {len(trials)} trials, {len(spikes):,} trial-aligned spikes.</p>",
        "<h3>Units by area and hemisphere</h3>", qc.units_by_area(units).to_html(),
        "<h3>Trials by phase</h3>", phases.to_html(),
        f"<h3>Firing rates and refractory violations (ISI below {isi_threshold_ms:g} ms)</h3>", _png(figures[0]),
        "<h3>Example rasters aligned to stimulus onset (screening trials)</h3>",
        (f"<p>The VTC units whose rate changes most after onset (0.05-0.35 s against -0.2-0 s); rasters show "
         f"the first {RASTER_TRIALS} screening trials, the PSTH ({1000 * PSTH_BIN_S:g}-ms bins) all of them.</p>"
         + _png(figures[1])) if figures[1] is not None else "<p>No unit to show.</p>",
    ]
    return html_page(f"QC {session}", "".join(parts))
