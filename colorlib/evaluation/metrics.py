"""Quality against ground truth: CIEDE2000, PSNR, SSIM (scikit-image), colourfulness, lightness fidelity."""
from __future__ import annotations

from typing import TypedDict

import numpy as np
from skimage.color import deltaE_ciede2000
from skimage.filters import gaussian
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
from skimage.transform import resize

from colorlib.color import rgb_to_lab


def delta_e2000(pred: np.ndarray, truth: np.ndarray) -> float:
    """Mean CIEDE2000 colour difference between two sRGB images (lower is better).

    Parameters
    ----------
    pred, truth : ndarray, shape (H, W, 3)
        sRGB in [0, 1], the same shape.

    Returns
    -------
    float
        Mean ΔE2000 over the pixels (scikit-image's `deltaE_ciede2000` on colorlib.color's CIELAB).
    """
    return float(np.mean(deltaE_ciede2000(rgb_to_lab(truth), rgb_to_lab(pred))))


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Süsstrunk's colourfulness M [1]_ of an sRGB image.

    Parameters
    ----------
    rgb : ndarray, shape (H, W, 3)
        sRGB in [0, 1] (scaled to 0-255 inside, the units of [1]_).

    Returns
    -------
    float
        M = σ_rgyb + 0.3 μ_rgyb; 0 for a gray image.

    References
    ----------
    .. [1] D. Hasler, S. Süsstrunk, "Measuring colourfulness in natural images", Proc. SPIE 5007, 2003.
    """
    rgb = np.asarray(rgb, np.float64) * 255.0
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def lightness_error(pred: np.ndarray, source: np.ndarray) -> float:
    """How far the output's lightness moved from the input's.

    Parameters
    ----------
    pred, source : ndarray, shape (H, W, 3)
        The result and the (grayscale) input, sRGB in [0, 1], the same shape.

    Returns
    -------
    float
        Mean |L*(pred) − L*(source)|, in CIELAB L* units (0-100).
    """
    return float(np.mean(np.abs(rgb_to_lab(pred)[..., 0] - rgb_to_lab(source)[..., 0])))


STRUCTURE_SIZE = 128  # px on the longer side: the print's layout, not the style's fine texture
STRUCTURE_SIGMA = 1.0  # px, Gaussian blur at STRUCTURE_SIZE


def structure_ssim(pred: np.ndarray, truth: np.ndarray) -> float:
    """Does the result keep the input's layout? SSIM of the lightness at low resolution.

    Both images' CIELAB L* are resized to 128 px on the longer side and blurred with a σ = 1 px Gaussian, so
    texture the style adds does not count and the print's structure does (docs/reproducing_the_paper.md,
    "Structure").

    Parameters
    ----------
    pred, truth : ndarray, shape (H, W, 3)
        sRGB in [0, 1]; `pred` is clipped to [0, 1].

    Returns
    -------
    float
        SSIM (data range 100) in [-1, 1]; the gray input scores 1.0 against its colour original, whose L* it
        keeps.
    """
    def layout(rgb):
        L = rgb_to_lab(np.clip(rgb, 0, 1))[..., 0]
        h, w = L.shape
        s = STRUCTURE_SIZE / max(h, w)
        small = resize(L, (max(7, round(h * s)), max(7, round(w * s))), anti_aliasing=True)
        return gaussian(small, sigma=STRUCTURE_SIGMA)

    return float(structural_similarity(layout(truth), layout(pred), data_range=100.0))


class Metrics(TypedDict, total=False):
    """What `evaluate` returns: every score of one result against its ground truth."""

    delta_e2000: float  # mean CIEDE2000 ΔE, lower is better
    psnr: float  # dB, +inf for identical images
    ssim: float  # scikit-image SSIM over the three RGB channels
    colourfulness: float  # Hasler–Süsstrunk M of the result
    colourfulness_truth: float  # ... and of the truth
    colourfulness_ratio: float  # result / truth (NaN for a gray truth)
    colourfulness_gap: float  # result − truth
    structure_ssim: float  # SSIM of the low-resolution lightness (the layout kept)
    lightness_error: float  # mean |ΔL*| against the input; only when a source is given


def evaluate(pred: np.ndarray, truth: np.ndarray, source: np.ndarray | None = None) -> Metrics:
    """Every metric of `pred` against `truth`.

    Parameters
    ----------
    pred : ndarray, shape (H, W, 3)
        The result, sRGB; clipped to [0, 1] for PSNR, SSIM and structure.
    truth : ndarray, shape (H, W, 3)
        The true colours, sRGB in [0, 1], the same shape.
    source : ndarray, shape (H, W, 3), optional
        The grayscale input; adds ``lightness_error``.

    Returns
    -------
    Metrics
        A dict: ``delta_e2000``, ``psnr``, ``ssim``, ``colourfulness``, ``colourfulness_truth``,
        ``colourfulness_ratio``, ``colourfulness_gap``, ``structure_ssim`` and, with `source`,
        ``lightness_error``.
    """
    c_pred, c_truth = colourfulness(pred), colourfulness(truth)
    with np.errstate(divide="ignore"):  # identical images: PSNR is +inf, not a warning
        psnr = float(peak_signal_noise_ratio(truth, np.clip(pred, 0, 1), data_range=1.0))
    out: Metrics = {
        "delta_e2000": delta_e2000(pred, truth),
        "psnr": psnr,
        "ssim": float(structural_similarity(truth, np.clip(pred, 0, 1), channel_axis=-1, data_range=1.0)),
        "colourfulness": c_pred,
        "colourfulness_truth": c_truth,
        "colourfulness_ratio": c_pred / c_truth if c_truth > 0 else float("nan"),
        "colourfulness_gap": c_pred - c_truth,
        "structure_ssim": structure_ssim(pred, truth),
    }
    if source is not None:
        out["lightness_error"] = lightness_error(pred, source)
    return out
