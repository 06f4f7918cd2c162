"""The robustness sweep's figure: the specification curve of each claim (SIMULATED where the run is)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import paper
from .robustness import MODEL_CLAIMS


def paper_value(claim: str) -> float:
    """The paper's value of a claim where it is a fraction (NaN otherwise)."""
    return {"visually responsive VTC neurons": paper.N_RESPONSIVE / paper.N_VTC,
            "~80% of responsive neurons axis-tuned": paper.N_AXIS_TUNED / paper.N_RESPONSIVE,
            "~40% of them reactivated during imagery": paper.FUNNEL["reactivated"]
            / paper.FUNNEL["axis-tuned in imagery sessions"]}.get(claim, np.nan)


def specification_curve(table: pd.DataFrame, simulated: bool):
    """One panel per claim: its estimate under every specification, sorted, with 95% intervals; the
    default specification in red, the paper's fraction dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    claims = list(dict.fromkeys(table.claim))
    fig, axes = plt.subplots(len(claims), 1, figsize=(9, 1.9 * len(claims)), squeeze=False)
    for ax, claim in zip(axes[:, 0], claims, strict=True):
        part = table[(table.claim == claim) & np.isfinite(table.estimate.astype(float))].sort_values("estimate")
        x = np.arange(len(part))
        colour = np.where(part.default, "tab:red", "tab:blue")
        err = np.vstack([part.estimate - part.ci_low, part.ci_high - part.estimate]).astype(float)
        ax.errorbar(x, part.estimate, yerr=np.where(np.isfinite(err), err, 0), fmt="none", ecolor="0.7", lw=1)
        ax.scatter(x, part.estimate, c=colour, s=12, zorder=3)
        if np.isfinite(paper_value(claim)):
            ax.axhline(paper_value(claim), color="0.3", ls="--", lw=1)
        if claim in MODEL_CLAIMS or "beats" in claim:
            ax.axhline(0, color="0.6", lw=0.8)
        ax.set_title(claim, fontsize=9, loc="left")
        ax.set_xticks([])
    axes[-1, 0].set_xlabel("specifications, sorted by estimate (red: this config's)")
    fig.suptitle(("SIMULATED - " if simulated else "") + "robustness of each claim to the analysis choices")
    fig.tight_layout()
    return fig
