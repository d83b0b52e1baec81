"""Quality against ground truth: CIEDE2000, PSNR, SSIM (scikit-image), colourfulness, lightness fidelity."""
from __future__ import annotations

import numpy as np
from skimage.color import deltaE_ciede2000
from skimage.transform import resize
from skimage.filters import gaussian
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from colorlib.color import rgb_to_lab


def delta_e2000(pred: np.ndarray, truth: np.ndarray) -> float:
    """Mean CIEDE2000 ΔE between two sRGB images in [0, 1] (lower is better)."""
    return float(np.mean(deltaE_ciede2000(rgb_to_lab(truth), rgb_to_lab(pred))))


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Süsstrunk (2003) colourfulness M on 0-255 sRGB."""
    rgb = np.asarray(rgb, np.float64) * 255.0
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def lightness_error(pred: np.ndarray, source: np.ndarray) -> float:
    """Mean |L*(pred) − L*(source)|: how far the output's lightness moved from the input's."""
    return float(np.mean(np.abs(rgb_to_lab(pred)[..., 0] - rgb_to_lab(source)[..., 0])))


STRUCTURE_SIZE = 128  # px on the longer side: the print's layout, not the style's fine texture
STRUCTURE_SIGMA = 1.0  # px, Gaussian blur at STRUCTURE_SIZE


def structure_ssim(pred: np.ndarray, truth: np.ndarray) -> float:
    """Does the result keep the input's layout? SSIM of CIELAB L* of `pred` against `truth`, both resized to
    128 px on the longer side and blurred with a σ = 1 px Gaussian, so texture the style adds does not count
    and the print's structure does (the gray input itself scores about 0.98)."""
    def layout(rgb):
        L = rgb_to_lab(np.clip(rgb, 0, 1))[..., 0]
        h, w = L.shape
        s = STRUCTURE_SIZE / max(h, w)
        small = resize(L, (max(7, round(h * s)), max(7, round(w * s))), anti_aliasing=True)
        return gaussian(small, sigma=STRUCTURE_SIGMA)

    return float(structural_similarity(layout(truth), layout(pred), data_range=100.0))


def evaluate(pred: np.ndarray, truth: np.ndarray, source: np.ndarray | None = None) -> dict:
    """All metrics of `pred` against `truth` (and the grayscale `source` for lightness fidelity)."""
    c_pred, c_truth = colourfulness(pred), colourfulness(truth)
    with np.errstate(divide="ignore"):  # identical images: PSNR is +inf, not a warning
        psnr = float(peak_signal_noise_ratio(truth, np.clip(pred, 0, 1), data_range=1.0))
    out = {
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
