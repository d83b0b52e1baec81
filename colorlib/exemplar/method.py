"""The exemplar colorization pipeline: correspondence prior -> guided filter -> chroma matching, always on the
input's own lightness L*. Beyond the paper; benchmarks/best_ablation.py switches each stage off in turn."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from colorlib import color, images
from colorlib.exemplar.correspondence import chroma_prior
from colorlib.exemplar.guided import guided_filter


@dataclass(frozen=True)
class ExemplarConfig:
    """Parameters of the exemplar method; defaults chosen by benchmarks/best_ablation.py."""

    layers: tuple = ("relu2_1",)  # VGG layers matched on grayscaled images; relu2_1 beat relu3_1 and relu4_1
    tau: float = 0.003  # softmax temperature over reference positions; 0.001-0.01 measured alike
    grid: int = 128  # longer side of the matching grid in positions (cost ∝ grid⁴)
    guided_radius: int = 4  # guided filter on L* (He et al. 2010) over the prior's a*b*, in px; 0 = off
    guided_eps: float = 1e-3  # guided filter regularisation, in (L*/100)²
    chroma_match: float = 1.0  # quantile-match the prior's chroma magnitude to the reference's; 0 = off
    chroma_gain: float = 1.0  # multiplies the reference chroma the prior is matched to
    weights: str = "caffe"

    def replace(self, **changes) -> "ExemplarConfig":
        return dataclasses.replace(self, **changes)


def match_chroma(ab: np.ndarray, reference_ab: np.ndarray, strength: float = 1.0, gain: float = 1.0) -> np.ndarray:
    """Rescale chroma magnitude C* = |a*b*| so its distribution matches the reference's (quantile mapping),
    hue unchanged. Averaging many matches makes the prior's colour duller than the reference's; this undoes
    that globally. strength 0 = unchanged, 1 = fully matched; gain multiplies the reference's chroma."""
    c = np.hypot(ab[..., 0], ab[..., 1])
    ref_c = np.sort(np.hypot(reference_ab[..., 0], reference_ab[..., 1]).ravel())
    ranks = np.argsort(np.argsort(c.ravel(), kind="stable"), kind="stable") / max(c.size - 1, 1)
    target = gain * np.interp(ranks, np.linspace(0, 1, ref_c.size), ref_c).reshape(c.shape)
    new_c = (1 - strength) * c + strength * target
    scale = np.where(c > 1e-6, new_c / np.maximum(c, 1e-6), 0.0)
    return ab * scale[..., None]


def prior_ab(gray: np.ndarray, references, params: ExemplarConfig = ExemplarConfig()) -> np.ndarray:
    """a*b* (H, W, 2) for the grayscale `gray` from colour `references` (one image or a list that votes, at the
    scale of gray)."""
    refs = [references] if isinstance(references, np.ndarray) and references.ndim == 3 else list(references)
    ab, _ = chroma_prior(gray, refs, layers=params.layers, tau=params.tau, grid=params.grid, weights=params.weights)
    if params.guided_radius > 0:
        ab = guided_filter(color.lightness(gray) / 100.0, ab, radius=params.guided_radius, eps=params.guided_eps)
    if params.chroma_match > 0:
        ref_ab = np.concatenate([color.rgb_to_lab(r)[..., 1:].reshape(-1, 2) for r in refs])
        ab = match_chroma(ab, ref_ab, params.chroma_match, params.chroma_gain)
    return ab


def colorize_exemplar(content, style, size: int = 256, references=(),
                      params: ExemplarConfig = ExemplarConfig()) -> np.ndarray:
    """The input (grayscaled, resized to `size`) with a*b* from `style` (and `references`, which vote)."""
    gray = color.to_gray(images.resize(images.as_array(content, "content"), size))
    refs = [images.resize(images.as_array(r, "style"), size) for r in (style, *references)]
    return color.combine_lightness_chroma(color.lightness(gray), prior_ab(gray, refs, params))
