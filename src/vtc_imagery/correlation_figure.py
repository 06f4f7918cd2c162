"""The per-neuron correlations of imagery with perception as a figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def imagery_correlation_figure(per_neuron: pd.DataFrame, summary: pd.DataFrame, simulated: bool) -> plt.Figure:
    """One panel per comparison (imagery vs viewing, imagery vs encoding): the histogram of the
    neurons' Spearman correlations, 0 and the pooled correlation marked, the count of positive
    neurons in the title. A comparison without any correlation says so in its panel."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for ax, row in zip(axes, summary.itertuples(), strict=True):
        name = row.comparison.removeprefix("imagery vs ")
        r = per_neuron.get(f"r_{name}", pd.Series(dtype=float)).dropna().to_numpy(float)
        if len(r):
            ax.hist(r, bins=np.linspace(-1, 1, 21), color="0.6", edgecolor="white")
            ax.axvline(0, color="black", lw=1)
            ax.axvline(row.pooled_r, color="tab:red", lw=2, label=f"pooled r = {row.pooled_r:.2f}")
            ax.legend(loc="upper left", fontsize=8)
            ax.set_title(f"imagery vs {name}: {row.n_positive} of {row.n_neurons} neurons positive", fontsize=10)
        else:
            ax.text(0.5, 0.5, f"no neuron has {name} and imagery rates\non 3 or more objects", ha="center",
                    va="center", transform=ax.transAxes)
            ax.set_title(f"imagery vs {name}: not available on this input", fontsize=10)
        ax.set_xlim(-1, 1)
        ax.set_xlabel("Spearman r over the neuron's imagined objects")
    axes[0].set_ylabel("neurons")
    fig.suptitle(("SIMULATED: " if simulated else "") + "does each neuron's imagery follow its perception?")
    fig.tight_layout()
    return fig
