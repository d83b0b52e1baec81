"""Colour spaces: sRGB <-> CIELAB (D65), grayscale, and keeping the input's lightness.

CIELAB, not YCbCr, for keep_luminance: L* is the lightness that CIEDE2000 measures, so keeping the input's
L* exactly makes the output's lightness error zero in the metric's own terms; chroma that falls outside the
sRGB gamut is pulled towards gray at constant L* and hue instead of clipped, which would change L*."""
from __future__ import annotations

import numpy as np

_M_RGB2XYZ = np.array([[0.412453, 0.357580, 0.180423],
                       [0.212671, 0.715160, 0.072169],
                       [0.019334, 0.119193, 0.950227]])  # the matrix scikit-image uses
_M_XYZ2RGB = np.linalg.inv(_M_RGB2XYZ)
_WHITE = np.array([0.95047, 1.0, 1.08883])  # D65 reference white, as scikit-image


def _linear(rgb):
    return np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)


def _gamma(lin):
    lin = np.maximum(lin, 0.0)
    return np.where(lin > 0.0031308, 1.055 * lin ** (1 / 2.4) - 0.055, 12.92 * lin)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB in [0,1] (..., 3) -> CIELAB (L* in [0,100])."""
    xyz = _linear(np.asarray(rgb, dtype=np.float64)) @ _M_RGB2XYZ.T / _WHITE
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16.0 / 116.0)
    L = 116.0 * f[..., 1] - 16.0
    return np.stack([L, 500.0 * (f[..., 0] - f[..., 1]), 200.0 * (f[..., 1] - f[..., 2])], axis=-1)


def lab_to_linear_rgb(lab: np.ndarray) -> np.ndarray:
    """CIELAB -> linear RGB, unclipped (values outside [0,1] are out of the sRGB gamut)."""
    fy = (lab[..., 0] + 16.0) / 116.0
    f = np.stack([fy + lab[..., 1] / 500.0, fy, fy - lab[..., 2] / 200.0], axis=-1)
    xyz = np.where(f > 0.2068966, f**3, (f - 16.0 / 116.0) / 7.787) * _WHITE
    return xyz @ _M_XYZ2RGB.T


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """CIELAB -> sRGB in [0,1], clipped."""
    return np.clip(_gamma(lab_to_linear_rgb(lab)), 0.0, 1.0)


def lightness(rgb: np.ndarray) -> np.ndarray:
    """CIELAB L* of an sRGB image."""
    return rgb_to_lab(rgb)[..., 0]


def to_gray(rgb: np.ndarray) -> np.ndarray:
    """The grayscale version (H, W, 3) with R = G = B and the same L* as the colour image."""
    gray = _gamma(_linear(np.asarray(rgb, np.float64)) @ _M_RGB2XYZ[1])  # relative luminance Y, re-encoded
    return np.repeat(np.clip(gray, 0, 1)[..., None], 3, axis=-1).astype(np.float32)


def combine_lightness_chroma(L: np.ndarray, ab: np.ndarray, steps: int = 12) -> np.ndarray:
    """sRGB image with lightness L* and chroma a*b*, the chroma scaled down per pixel (bisection) just enough
    to stay inside the sRGB gamut, so L* is kept exactly."""
    L = np.asarray(L, np.float64)
    ab = np.asarray(ab, np.float64)
    lo = np.zeros(L.shape)
    hi = np.ones(L.shape)
    ok = _in_gamut(np.concatenate([L[..., None], ab], axis=-1))
    lo[ok] = 1.0
    for _ in range(steps):
        mid = np.where(ok, 1.0, (lo + hi) / 2)
        inside = _in_gamut(np.concatenate([L[..., None], ab * mid[..., None]], axis=-1))
        lo = np.where(inside, mid, lo)
        hi = np.where(inside, hi, mid)
    lab = np.concatenate([L[..., None], ab * lo[..., None]], axis=-1)
    return lab_to_rgb(lab).astype(np.float32)


def _in_gamut(lab, tol=1e-6):
    lin = lab_to_linear_rgb(lab)
    return np.all((lin >= -tol) & (lin <= 1 + tol), axis=-1)


def keep_lightness(source_rgb: np.ndarray, result_rgb: np.ndarray) -> np.ndarray:
    """The result's chroma (a*, b*) on the source's lightness (L*)."""
    return combine_lightness_chroma(lightness(source_rgb), rgb_to_lab(result_rgb)[..., 1:])


def chroma(rgb: np.ndarray) -> np.ndarray:
    """Per-pixel CIELAB chroma C*ab = sqrt(a*² + b*²)."""
    lab = rgb_to_lab(rgb)
    return np.hypot(lab[..., 1], lab[..., 2])


GRAY_CHROMA = 2.0  # mean CIELAB C*ab below which an image counts as gray: JPEG noise on a gray print stays under ~1


def is_gray(rgb: np.ndarray) -> bool:
    """True when an image carries no colour to speak of (so it cannot be the truth a colorization is scored on)."""
    return float(chroma(rgb).mean()) < GRAY_CHROMA
