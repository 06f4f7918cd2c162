"""The calibration table as a figure: false-positive rate and power of every call by scenario."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .calibration import SCENARIOS


def calibration_figure(table: pd.DataFrame) -> plt.Figure:
    """Two panels sharing one row per (call, rule): the false-positive rate with its 95% interval
    per scenario against the call's nominal level (short black bar), a red cross where the verdict
    is `exceeds`, and the power. Default rules are marked with an asterisk; the title says SIMULATED."""
    rows = table[["call", "rule", "default", "nominal"]].drop_duplicates(["call", "rule"]).reset_index(drop=True)
    labels = [f"{r.call} [{r.rule}]{' *' if r.default else ''}" for r in rows.itertuples()]
    y_of = {(r.call, r.rule): i for i, r in enumerate(rows.itertuples())}
    scenarios = [s for s in SCENARIOS if s in set(table.scenario)]
    colours = plt.get_cmap("tab10")(np.arange(len(scenarios)))
    offsets = np.linspace(-0.3, 0.3, len(scenarios)) if len(scenarios) > 1 else np.zeros(1)
    fig, (fpr_ax, power_ax) = plt.subplots(1, 2, figsize=(13, 0.45 * len(rows) + 2), sharey=True)
    for s, colour, dy in zip(scenarios, colours, offsets, strict=True):
        part = table[table.scenario == s]
        y = np.array([y_of[(c, r)] for c, r in zip(part.call, part.rule, strict=True)]) + dy
        for ax, value, low, high in ((fpr_ax, part.fpr, part.fpr_low, part.fpr_high),
                                     (power_ax, part.power, part.power_low, part.power_high)):
            v = value.to_numpy(float)
            err = np.vstack([v - low.to_numpy(float), high.to_numpy(float) - v])
            ax.errorbar(v, y, xerr=err, fmt="o", ms=4, color=colour, label=s, elinewidth=1)
        flagged = (part.verdict == "exceeds").to_numpy()
        fpr_ax.scatter(part.fpr.to_numpy(float)[flagged], y[flagged], marker="x", s=60, color="red", zorder=3)
    for r in rows.itertuples():
        i = y_of[(r.call, r.rule)]
        fpr_ax.plot([r.nominal, r.nominal], [i - 0.4, i + 0.4], color="black", lw=2)
    fpr_ax.set_xscale("symlog", linthresh=0.01)
    fpr_ax.set_xlim(0, 1)
    fpr_ax.set_xlabel("false-positive rate (null replicates), 95% interval;\n"
                      "black bar: nominal level; red cross: verdict exceeds")
    power_ax.set_xlim(0, 1)
    power_ax.set_xlabel("power (planted replicates), 95% interval")
    fpr_ax.set_yticks(range(len(rows)), labels)
    fpr_ax.invert_yaxis()
    power_ax.legend(title="scenario", loc="lower right", fontsize=8)
    fig.suptitle("SIMULATED calibration: every call under every nuisance scenario (* = this config's default)")
    fig.tight_layout()
    return fig
