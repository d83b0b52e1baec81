"""The guided filter (He, Sun & Tang, "Guided Image Filtering", ECCV 2010, Algorithm 1) with a grayscale guide:
the output is locally an affine function of the guide, so the filtered chroma's edges follow the image's edges.
weighted_local_linear is the same local linear model fitted by weighted least squares (Levin et al. 2004's
colour model, He et al. 2019's local fit): with uniform weights it is the guided filter."""
from __future__ import annotations

import numpy as np


def box(x: np.ndarray, r: int) -> np.ndarray:
    """Mean over the (2r+1)² window around each pixel (axes 0, 1), windows cut at the borders; O(1) per pixel
    via cumulative sums."""
    x = np.asarray(x, np.float64)
    out = x
    for axis in (0, 1):
        n = out.shape[axis]
        c = np.cumsum(out, axis=axis)
        c = np.concatenate([np.zeros_like(np.take(c, [0], axis=axis)), c], axis=axis)
        idx = np.arange(n)
        hi, lo = np.minimum(idx + r + 1, n), np.maximum(idx - r, 0)
        out = np.take(c, hi, axis=axis) - np.take(c, lo, axis=axis)
    h, w = x.shape[:2]
    ih, iw = np.arange(h), np.arange(w)
    count = ((np.minimum(ih + r + 1, h) - np.maximum(ih - r, 0))[:, None]
             * (np.minimum(iw + r + 1, w) - np.maximum(iw - r, 0))[None, :])
    return out / (count[..., None] if out.ndim == 3 else count)


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int = 8, eps: float = 1e-3) -> np.ndarray:
    """Filter `src` (H, W) or (H, W, C) with the grayscale `guide` (H, W), scaled to about [0, 1].

    radius: window half-size in pixels; eps: regularisation (in guide units squared): smaller keeps finer edges."""
    I = np.asarray(guide, np.float64)
    p = np.asarray(src, np.float64)
    if p.shape[:2] != I.shape:
        raise ValueError(f"guide {I.shape} and source {p.shape[:2]} differ in size")
    Ic = I[..., None] if p.ndim == 3 else I
    mean_I, mean_p = box(Ic, radius), box(p, radius)
    cov_Ip = box(Ic * p, radius) - mean_I * mean_p
    var_I = box(Ic * Ic, radius) - mean_I**2
    a = cov_Ip / (var_I + eps)
    b = mean_p - a * mean_I
    return box(a, radius) * Ic + box(b, radius)


def weighted_local_linear(guide: np.ndarray, src: np.ndarray, weights: np.ndarray, radius: int = 8,
                          eps: float = 1e-3) -> np.ndarray:
    """Per (2r+1)² window, src (H, W, C) ≈ a·guide + b by least squares weighted with `weights` (H, W) (ridge eps
    on a, in guide units squared); the coefficients averaged over the windows that cover each pixel."""
    w = np.asarray(weights, np.float64)[..., None] + 1e-6
    I = np.asarray(guide, np.float64)[..., None]
    p = np.asarray(src, np.float64)
    mw = box(w, radius)
    mean_I, mean_p = box(w * I, radius) / mw, box(w * p, radius) / mw
    cov_Ip = box(w * I * p, radius) / mw - mean_I * mean_p
    var_I = box(w * I * I, radius) / mw - mean_I**2
    a = cov_Ip / (var_I + eps)
    b = mean_p - a * mean_I
    return box(a, radius) * I + box(b, radius)
