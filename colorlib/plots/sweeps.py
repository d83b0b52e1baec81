"""Figures of a sweep's table: heatmaps of a metric over two parameters, and a small-multiples grid of images.
Each returns a matplotlib Figure; colorlib.plots.save / .show write or display it."""
from __future__ import annotations

import math
import os
from typing import Any

from matplotlib.figure import Figure

from colorlib.tables import pivot

LABELS = {"style_weight": "β/α (style_weight)", "decay": "decay per iteration", "delta_e2000": "ΔE2000 ↓",
          "colourfulness_gap": "colourfulness − truth's", "colourfulness_ratio": "colourfulness / truth's"}


def _fmt(value) -> str:
    if isinstance(value, (int, float)) and abs(value) >= 1e3 and float(f"{value:.0e}") == value:
        return f"{value:.0e}".replace("e+0", "e")  # 1e4, not 10000
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def heatmaps(rows, x: str = "style_weight", y: str = "decay",
             values=("delta_e2000", "colourfulness_gap")) -> Figure:
    """One heatmap per metric in `values`: its mean over the pairs (and seeds) of each (x, y) cell, annotated.
    A colourfulness gap is drawn on a diverging scale centred on 0 (= as colourful as the truth)."""
    ok = [r for r in rows if r.get("status") == "ok"]  # a diverged run's image is its last finite one: left out
    fig = Figure(figsize=(4.6 * len(values), 3.6), layout="constrained")
    axes = fig.subplots(1, len(values), squeeze=False)[0]
    for ax, value in zip(axes, values, strict=True):
        xs, ys, grid = pivot(ok, x, y, value)
        _, _, n = pivot(ok, x, y, value, agg="count")
        full = max(max(line) for line in n) if n else 0
        data = [[math.nan if v is None else v for v in line] for line in grid]
        finite = [v for line in data for v in line if not math.isnan(v)]
        kw: dict[str, Any] = {"cmap": "viridis_r"}
        if value == "colourfulness_gap" and finite:
            top = max(abs(v) for v in finite) or 1.0
            kw = {"cmap": "RdBu_r", "vmin": -top, "vmax": top}
        image = ax.imshow(data, aspect="auto", origin="lower", **kw)
        for i, line in enumerate(data):
            for j, v in enumerate(line):
                if not math.isnan(v):
                    short = "*" if n[i][j] < full else ""  # fewer runs in this cell: some diverged or failed
                    ax.text(j, i, f"{v:.1f}{short}", ha="center", va="center", fontsize=8, color="w",
                            path_effects=_outline())
        ax.set_xticks(range(len(xs)), [_fmt(v) for v in xs])
        ax.set_yticks(range(len(ys)), [_fmt(v) for v in ys])
        ax.set_xlabel(LABELS.get(x, x))
        ax.set_ylabel(LABELS.get(y, y))
        title = LABELS.get(value, value)
        if value == "delta_e2000":
            gray = [r["delta_e2000_gray"] for r in ok if isinstance(r.get("delta_e2000_gray"), (int, float))]
            if gray:
                title += f" (gray input: {sum(gray) / len(gray):.1f})"
        ax.set_title(f"mean {title}", fontsize=10)
        if any(c < full for line in n for c in line):
            ax.set_xlabel(LABELS.get(x, x) + "\n* mean of fewer runs (the others diverged or failed)", fontsize=9)
        fig.colorbar(image, ax=ax, shrink=0.85)
    return fig


def _outline():
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=2, foreground="k")]


def _input(name: str):
    """An input named as a sweep's table names it: a print of the manifest by its file name (colorlib.data finds
    it by sha256), any other file by its path."""
    from colorlib import data, images

    return images.load(name if os.path.exists(name) or name not in data.manifest() else data.find(name))


def image_grid(rows, out: str, pair: str | None = None, x: str = "style_weight", y: str = "decay") -> Figure:
    """Small multiples of one pair's results (default: the first pair): columns = x, rows = y, each titled with
    its ΔE2000 and colourfulness ratio; a first column shows the ground truth, the style and the gray input."""
    from colorlib import color, images

    pair = pair or rows[0]["pair"]
    mine = [r for r in rows if r["pair"] == pair]
    xs, ys = sorted({r[x] for r in mine}), sorted({r[y] for r in mine})
    n_rows = max(len(ys), 3)
    fig = Figure(figsize=(1.9 * (len(xs) + 1), 1.6 * n_rows + 0.6), layout="constrained")
    axes = fig.subplots(n_rows, len(xs) + 1, squeeze=False)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_frame_on(False)
    first = mine[0]
    truth = _input(first["content"])
    for i, (img, title) in enumerate(((truth, "truth"), (_input(first["style"]), "style"),
                                      (color.to_gray(truth), "input"))):
        axes[i, 0].imshow(img)
        axes[i, 0].set_title(title, fontsize=8)
    for i, yv in enumerate(ys):
        for j, xv in enumerate(xs):
            ax = axes[n_rows - 1 - i, j + 1]
            found = [r for r in mine if r[x] == xv and r[y] == yv]
            if i == 0:
                ax.set_xlabel(f"{x} {_fmt(xv)}", fontsize=8)
            if j == 0:
                ax.set_ylabel(f"{y} {_fmt(yv)}", fontsize=8)
            if not found or not found[0].get("image"):
                ax.set_title("failed" if found else "missing", fontsize=8)
                continue
            row = found[0]
            ax.imshow(images.load(os.path.join(out, row["image"])))
            if row.get("status") == "diverged":
                ax.set_title("diverged", fontsize=8, color="tab:red")
            elif isinstance(row.get("delta_e2000"), (int, float)):
                ax.set_title(f"ΔE {row['delta_e2000']:.1f}, C× {row['colourfulness_ratio']:.2f}", fontsize=8)
    fig.suptitle(pair, fontsize=10)
    return fig
