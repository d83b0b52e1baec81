"""The figures of notebooks/00_method.ipynb, which walks the paper's §3: feature maps, Gram matrices, the β/α
schedule, the image during the optimisation and the two losses. Each takes plain arrays or history rows and
returns a matplotlib Figure; colorlib.plots.figures.save() writes it, show() displays it."""
from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from colorlib.plots.figures import DPI, image_row


def feature_maps(maps: np.ndarray, channels, title: str) -> Figure:
    """Some channels of one layer's activations, each as a grayscale image scaled to its own maximum.

    Parameters
    ----------
    maps : ndarray, shape (N, H, W)
        The layer's N feature maps for one image.
    channels : sequence of int
        Which of the N maps to draw, in order.
    title : str
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
        One row of panels titled by channel number.
    """
    channels = list(channels)
    h, w = maps.shape[1:]
    fig = Figure(figsize=(1.6 * len(channels), 1.6 * h / w + 0.5), dpi=DPI, layout="constrained")
    for ax, c in zip(fig.subplots(1, len(channels), squeeze=False)[0], channels, strict=True):
        ax.imshow(maps[c], cmap="gray", vmin=0, vmax=max(float(maps[c].max()), 1e-12), interpolation="nearest")
        ax.set_title(f"channel {c}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=10)
    return fig


def grams(matrices: dict) -> Figure:
    """Gram matrices side by side, each on a log scale of its own range (their entries span decades).

    Parameters
    ----------
    matrices : dict
        Panel title -> (N, N) array.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per matrix with its colour bar.
    """
    fig = Figure(figsize=(2.7 * len(matrices), 2.6), dpi=DPI, layout="constrained")
    for ax, (title, G) in zip(fig.subplots(1, len(matrices), squeeze=False)[0], matrices.items(), strict=True):
        G = np.asarray(G, dtype=np.float64)
        positive = G[G > 0]
        floor = float(positive.min()) if positive.size else 1e-12
        image = ax.imshow(np.log10(np.maximum(G, floor)), cmap="magma", interpolation="nearest")
        fig.colorbar(image, ax=ax, shrink=0.8, label="log₁₀ G_ij")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("j (feature map)")
        ax.set_ylabel("i (feature map)")
    return fig


def schedule(beta0: float, decay: float, iterations: int, normalised: dict | None = None) -> Figure:
    """β/α per iteration under the paper's decay and, optionally, β/α against the image size.

    Parameters
    ----------
    beta0 : float
        β/α at iteration 0.
    decay : float
        The fraction β/α loses after each iteration (the paper: 0.0025).
    iterations : int
        Length of the run.
    normalised : dict, optional
        Image size in px -> β/α used at that size (the size normalisation); a second panel when given.

    Returns
    -------
    matplotlib.figure.Figure
        The schedule, with β/α at the run's end marked, and the size panel.
    """
    its = np.arange(iterations + 1)
    betas = beta0 * (1.0 - decay) ** its
    fig = Figure(figsize=(9.0 if normalised else 4.6, 3.2), dpi=DPI, layout="constrained")
    axes = fig.subplots(1, 2 if normalised else 1, squeeze=False)[0]
    ax = axes[0]
    ax.plot(its, betas, color="tab:purple")
    ax.plot([iterations], [betas[-1]], "o", color="tab:purple")
    ax.annotate(f"{betas[-1]:.3g} = {betas[-1] / beta0:.1%} of β₀", (iterations, betas[-1]),
                textcoords="offset points", xytext=(-10, 10), ha="right", fontsize=8)
    ax.set_xlabel("iteration t")
    ax.set_ylabel("β/α")
    ax.set_title(f"β_t = β₀ (1 − {decay:g})^t", fontsize=10)
    ax.grid(True, alpha=0.3)
    if normalised:
        sizes = sorted(normalised)
        axes[1].plot(sizes, [normalised[s] for s in sizes], "o-", color="tab:green")
        axes[1].set_xscale("log", base=2)
        axes[1].set_yscale("log")
        axes[1].set_xticks(sizes, [str(s) for s in sizes])
        axes[1].set_xlabel("image size (px, longer side)")
        axes[1].set_ylabel("β₀/α used")
        axes[1].set_title("size normalisation", fontsize=10)
        axes[1].grid(True, which="both", alpha=0.3)
    return fig


def snapshots(images: dict) -> Figure:
    """The image x after some iterations, in one row.

    Parameters
    ----------
    images : dict
        Iteration -> (H, W, 3) RGB array in [0, 1].

    Returns
    -------
    matplotlib.figure.Figure
        One panel per iteration, titled with it.
    """
    return image_row({k: images[k] for k in sorted(images)}, {k: f"iteration {k}" for k in images})


def losses(history: list[dict], marks=()) -> Figure:
    """L_content and L_style (the paper's units, unweighted) per iteration, on log axes, side by side.

    Parameters
    ----------
    history : list of dict
        One row per iteration with 'iteration', 'content_loss', 'style_loss' (optimize()'s Trace.history).
    marks : sequence of int
        Iterations to mark with a dotted line (e.g. those whose images are shown).

    Returns
    -------
    matplotlib.figure.Figure
        Two panels.
    """
    its = [h["iteration"] for h in history]
    fig = Figure(figsize=(9.0, 3.2), dpi=DPI, layout="constrained")
    for ax, (key, label, colour) in zip(fig.subplots(1, 2), (("content_loss", "L_content", "tab:blue"),
                                                             ("style_loss", "L_style", "tab:red")), strict=True):
        values = [h[key] if h[key] is not None and math.isfinite(h[key]) else np.nan for h in history]
        ax.plot(its, values, color=colour, lw=1.4)
        for m in marks:
            if its and its[0] <= m <= its[-1]:
                ax.axvline(m, color="0.6", ls=":", lw=1)
        ax.set_yscale("log")
        ax.set_xlabel("iteration")
        ax.set_ylabel(label)
        ax.set_title(f"{label} of the iterate each update starts from", fontsize=9)
        ax.grid(True, which="major", alpha=0.3)
    return fig
