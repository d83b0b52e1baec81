"""Every figure the notebooks show. Each returns a matplotlib Figure (no pyplot state); save() writes it, show()
displays it in a notebook."""
from __future__ import annotations

import io
import os

from matplotlib.figure import Figure  # a bare Figure: no pyplot state, no GUI backend, works headless

from colorlib.atomic import atomic_write

DPI = 100
# One colour per Figure 2 variant, fixed so the curves match across profiles and runs.
VARIANT_COLOURS = {"sgd_fixed": "tab:orange", "sgd_decay": "tab:red", "lbfgs_fixed": "tab:blue",
                   "lbfgs_decay": "tab:purple"}


def _image_axis(ax, image, title=None, ylabel=None):
    ax.imshow(image.clip(0, 1), interpolation="lanczos")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=10)


def figure1(columns: list[dict]) -> Figure:
    """The paper's Figure 1: top row content (gray), middle row style, bottom row result; one column per pair.

    columns: dicts with 'content', 'style', 'result' (arrays), 'content_name', 'style_name' and optionally
    'caption' (the result's title)."""
    n = len(columns)
    fig = Figure(figsize=(2.6 * n + 0.4, 6.4), dpi=DPI, layout="constrained")
    axes = fig.subplots(3, n, squeeze=False)
    for j, col in enumerate(columns):
        titles = (col["content_name"], col["style_name"], col.get("caption"))
        labels = ("content (grayscale)", "style", "result")
        for i, key in enumerate(("content", "style", "result")):
            _image_axis(axes[i, j], col[key], title=titles[i], ylabel=labels[i] if j == 0 else None)
    return fig


def image_row(images: dict, titles: dict) -> Figure:
    """One row of images keyed by name, titled by `titles` (an ablation panel)."""
    n = len(images)
    fig = Figure(figsize=(2.7 * n, 3.2), dpi=DPI, layout="constrained")
    _fill_grid(fig.subplots(1, n, squeeze=False).ravel(), images, titles)
    return fig


def _fill_grid(axes, images, titles):
    for ax, (key, image) in zip(axes, images.items(), strict=False):  # a grid may have axes to spare
        _image_axis(ax, image, title=titles.get(key, key))


def _curve(ax, histories, labels, field, ylabel):
    for key, history in histories.items():
        its = [h["iteration"] for h in history]
        ax.plot(its, [h[field] for h in history], label=labels.get(key, key),
                color=VARIANT_COLOURS.get(key), lw=1.4)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)


def figure2(images: dict, histories: dict, labels: dict, titles: dict | None = None) -> Figure:
    """The paper's Figure 2: the four variants as a 2×2 image grid, their total-loss curves beside it."""
    fig = Figure(figsize=(11.5, 5.4), dpi=DPI, layout="constrained")
    left, right = fig.subfigures(1, 2, squeeze=False, width_ratios=(1.15, 1.0))[0]
    _fill_grid(left.subplots(2, 2).ravel(), images, titles or labels)
    ax = right.subplots()
    _curve(ax, histories, labels, "total_loss", "total loss  α·L_content + β·L_style")
    ax.legend(fontsize=8)
    ax.set_title("loss per iteration", fontsize=10)
    return fig


def loss_curves(histories: dict, labels: dict, sweep: list[dict] | None = None) -> Figure:
    """Total, content and style loss per iteration for each run; with `sweep`, a 4th panel of SGD's rate sweep."""
    panels = [("total_loss", "total loss"), ("content_loss", "L_content"), ("style_loss", "L_style")]
    n = len(panels) + (1 if sweep else 0)
    fig = Figure(figsize=(3.6 * n, 3.4), dpi=DPI, layout="constrained")
    axes = fig.subplots(1, n)
    for ax, (field, ylabel) in zip(axes, panels, strict=False):  # with `sweep`, the last axis is the sweep's
        _curve(ax, histories, labels, field, ylabel)
    axes[0].legend(fontsize=7)
    if sweep:
        lr_sweep(sweep, ax=axes[-1])
    return fig


def lr_sweep(sweep: list[dict], ax=None) -> Figure:
    """Final total loss against SGD learning rate (log-log); diverged rates marked with × at the top."""
    fig = None
    if ax is None:
        fig = Figure(figsize=(4.0, 3.2), dpi=DPI, layout="constrained")
        ax = fig.subplots()
    ok = [r for r in sweep if r.get("final_total_loss") is not None]
    bad = [r for r in sweep if r.get("final_total_loss") is None]
    ax.plot([r["lr"] for r in ok], [r["final_total_loss"] for r in ok], "o-", color="tab:orange")
    chosen = [r for r in ok if r.get("chosen")]
    if chosen:
        ax.plot([chosen[0]["lr"]], [chosen[0]["final_total_loss"]], "o", ms=11, mfc="none", color="k",
                label=f"chosen lr {chosen[0]['lr']:g}")
        ax.legend(fontsize=7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    if bad:
        top = max([r["final_total_loss"] for r in ok], default=1.0)
        ax.plot([r["lr"] for r in bad], [top] * len(bad), "x", color="tab:red", ms=8)
    its = sweep[0].get("iterations") if sweep else None
    ax.set_xlabel("SGD learning rate")
    ax.set_ylabel(f"total loss after {its} its" if its else "final total loss")
    ax.set_title("SGD rate sweep (× = diverged)" if bad else "SGD rate sweep", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    return fig if fig is not None else ax.figure


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes, without a timestamp or software tag, so equal figures give equal bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def save(fig: Figure, path) -> str:
    """Write `fig` as PNG atomically."""
    with atomic_write(path, "wb") as fh:
        fh.write(png_bytes(fig))
    return os.fspath(path)


def show(fig: Figure) -> None:
    """Display `fig` in a notebook as the same PNG that save() writes (works without a pyplot backend)."""
    from IPython.display import Image, display

    display(Image(data=png_bytes(fig)))
