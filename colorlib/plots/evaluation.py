"""The evaluation's figures. Each returns a matplotlib Figure (no pyplot state); colorlib.plots.figures.save()
writes it, show() displays it."""
from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from colorlib.plots.figures import DPI

PANEL = (1.2, 0.88)  # inches per example image: 120 x 88 px at DPI 100, which keeps the grid's PNG under 2 MB


def summary(summary_rows: list[dict], rows: list[dict]) -> Figure:
    """Mean ΔE2000 (x, lower is better) against colourfulness ratio (y, 1 = as colourful as the truth) per
    method (summary_rows: colorlib.evaluation.runner.summarize(rows)), each pair of `rows` a faint dot."""
    fig = Figure(figsize=(6.4, 4.4), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    cmap = colormaps["tab10"]
    for k, row in enumerate(summary_rows):
        mine = [r for r in rows if r["method"] == row["method"]]
        c = cmap(k % 10)
        ax.scatter([r["delta_e2000"] for r in mine], [r["colourfulness_ratio"] for r in mine], color=c, alpha=0.3, s=14)
        ax.scatter([row["delta_e2000"]], [row["colourfulness_ratio"]], color=c, s=70, edgecolor="k",
                   label=f"{row['method']} ({row['delta_e2000']:.2f})")
    ax.axhline(1.0, color="0.6", lw=0.8, ls="--")
    ax.set_xlabel("CIEDE2000 ΔE to the true colours (lower is better)")
    ax.set_ylabel("colourfulness / truth's (1 = as colourful)")
    ax.set_title("Methods on the ground-truth pairs (big dot = mean)")
    ax.legend(fontsize=8, title="method (mean ΔE)", title_fontsize=8)
    return fig


def examples(outputs: dict, pairs: list, methods: list) -> Figure:
    """One row per pair, one column per entry of `methods` (outputs[pair, method] images)."""
    cols = len(methods)
    fig = Figure(figsize=(PANEL[0] * cols, PANEL[1] * len(pairs) + 0.3), dpi=DPI, layout="constrained")
    axes = fig.subplots(len(pairs), cols, squeeze=False)
    for i, p in enumerate(pairs):
        for j, m in enumerate(methods):
            ax = axes[i][j]
            ax.imshow(np.clip(outputs[p, m], 0, 1))
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(m.replace("+", "+\n"), fontsize=6)
            if j == 0:
                ax.set_ylabel(p.split("<-")[0], fontsize=6)
    return fig
