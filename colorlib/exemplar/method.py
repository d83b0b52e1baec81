"""The exemplar method (preset 'best', beyond the paper): training-free exemplar colorization in three steps, always
on the input's own lightness L* (colorlib.color.combine_lightness_chroma).

1. Correspondence (colorlib.exemplar.matching): VGG-19 relu2_1/relu3_1/relu4_1 cosine similarity of the
   grayscaled input and reference(s) minus a luminance penalty, softmax over all reference positions, the
   reference a*b* averaged with those weights; the mirrored reference votes too (a mirrored scene has the same
   colours). Several references vote per position, each weighted by how well it matches there (vote="quality").
2. Local linear colour model (He et al. 2019; Levin et al. 2004): in each window a*b* = a·L* + b by least squares
   with a ridge on the slope (the guided filter, He, Sun & Tang 2010), optionally weighted by a match
   confidence, so chroma edges follow the input's lightness edges (colorlib.exemplar.guided).
3. Chroma magnitude partly (chroma_match=0.75) quantile-matched to the references' (averaging matches dulls
   colour), hue kept.
benchmarks/exemplar_ablation.py switches each component off in turn (results/benchmarks/exemplar_ablation.md)."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from colorlib import color, images
from colorlib.errors import ColorkitError
from colorlib.exemplar.guided import weighted_local_linear
from colorlib.exemplar.matching import matched_ab
from colorlib.paper.vgg import LAYER_NAMES, min_size

CONFIDENCES = ("none", "cosine", "bidirectional")
VOTES = ("quality", "shared")


@dataclass(frozen=True)
class ExemplarConfig:
    """Parameters of colorize_exemplar, chosen on the kit's 7 pairs at 256 px (benchmarks/exemplar_ablation.py);
    each component can be switched off for the ablation (layers=(), lum_weight=0, mirror=False, ...)."""

    layers: tuple = ("relu2_1", "relu3_1", "relu4_1")  # detail + parts + semantics (Liao 2017); () = luminance only
    grid: int = 64  # matching grid, longer side: relu3_1's own resolution at 256 px (cost ∝ grid⁴)
    tau: float = 0.03  # softmax temperature on the mean cosine; swept 0.003-0.2, flat minimum at 0.03-0.05
    lum_weight: float = 20.0  # similarity penalty per (ΔL*/100)²: 20 means ΔL* = 4 costs one τ; swept 5-100, flat
    mirror: bool = True  # the horizontally mirrored reference votes too (small, consistent gain)
    vote: str = "quality"  # several references: "quality" = each weighted per position by its best match,
    # "shared" = one softmax over all their positions (a poor extra reference then drags; ablation)
    vote_tau: float = 0.01  # temperature of the per-position reference weights; swept 0.005-0.1, flat to 0.03
    confidence: str = "none"  # weights of the local fit: "none" (= guided filter), "cosine" (best match's) or
    # "bidirectional" (forward-backward softmax, Deep Image Analogy's consistency): neither helped (ablation)
    local_linear: bool = True  # the weighted local affine fit; False: bilinear upsampling of the matched a*b*
    radius: int = 8  # window half-size in px at 256 px
    eps: float = 1e-3  # ridge on the slope, in (L*/100)²; 1e-4-1e-2 flat
    chroma_match: float = 0.75  # 1 = C* quantiles fully matched to the references', 0 = off; ΔE2000 punishes a
    # confident wrong hue, colourfulness wants chroma: 0.75 keeps colourfulness ≥ 0.8x the truth's (ablation)
    weights: str = "caffe"  # the VGG-19 weights (colorlib.paper.vgg)

    def __post_init__(self):
        layers = (self.layers,) if isinstance(self.layers, str) else tuple(dict.fromkeys(self.layers))
        object.__setattr__(self, "layers", layers)
        unknown = [n for n in layers if n not in LAYER_NAMES]
        if unknown:
            raise ColorkitError(f"ExemplarConfig: unknown VGG-19 layer(s) {', '.join(map(str, unknown))}; "
                                f"use names like relu2_1, relu3_1, relu4_1")
        checks = (("tau", self.tau, lambda v: v > 0, "> 0"),
                  ("grid", self.grid, lambda v: _integer(v) and v >= 1, "an integer >= 1"),
                  ("radius", self.radius, lambda v: _integer(v) and v >= 0, "an integer >= 0"),
                  ("eps", self.eps, lambda v: v > 0, "> 0"),
                  ("vote_tau", self.vote_tau, lambda v: v > 0, "> 0"),
                  ("lum_weight", self.lum_weight, lambda v: v >= 0, ">= 0"),
                  ("chroma_match", self.chroma_match, lambda v: 0 <= v <= 1, "between 0 and 1"))
        for name, value, ok, want in checks:
            try:
                good = (not isinstance(value, bool) and math.isfinite(value) and ok(value))
            except TypeError:
                good = False
            if not good:
                raise ColorkitError(f"ExemplarConfig: {name} must be {want}, got {value!r}")
        if self.vote not in VOTES:
            raise ColorkitError(f"ExemplarConfig: vote must be one of {', '.join(VOTES)}, got {self.vote!r}")
        if self.confidence not in CONFIDENCES:
            raise ColorkitError(f"ExemplarConfig: confidence must be one of {', '.join(CONFIDENCES)}, "
                                f"got {self.confidence!r}")

    def replace(self, **changes) -> ExemplarConfig:
        return dataclasses.replace(self, **changes)


def _integer(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def match_chroma(ab: np.ndarray, ref_ab: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Quantile-map chroma C* = |a*b*| of `ab` (..., 2) onto the distribution of `ref_ab` (..., 2), hue unchanged:
    averaging many matches makes colour duller than the reference's; this undoes that globally. strength 0 =
    unchanged, 1 = fully matched."""
    ref_ab = np.asarray(ref_ab).reshape(-1, 2)
    c = np.hypot(ab[..., 0], ab[..., 1])
    ref_c = np.sort(np.hypot(ref_ab[:, 0], ref_ab[:, 1]))
    ranks = np.argsort(np.argsort(c.ravel(), kind="stable"), kind="stable") / max(c.size - 1, 1)
    target = np.interp(ranks, np.linspace(0, 1, ref_c.size), ref_c).reshape(c.shape)
    new_c = (1 - strength) * c + strength * target
    return ab * np.where(c > 1e-6, new_c / np.maximum(c, 1e-6), 0.0)[..., None]


def colorize_references(content: np.ndarray, references, params: ExemplarConfig = ExemplarConfig()) -> np.ndarray:
    """(H, W, 3) RGB in [0, 1] with the grayscale of `content` (H, W, 3; colour is grayscaled) and its exact L*,
    coloured from `references` (colour (h, w, 3) arrays in [0, 1], any size; several vote). References too
    small for the deepest matching layer are left out; a ColorkitError if none is left or the content is."""
    p = params
    gray = color.to_gray(content)
    deepest = max(p.layers, key=LAYER_NAMES.index) if p.layers else None
    need = min_size(deepest) if deepest else 1
    if min(gray.shape[:2]) < need:
        h, w = gray.shape[:2]
        raise ColorkitError(f"content image is {w}x{h} px; matching at {deepest} needs at least {need} px a side")
    refs = [r for r in references if min(r.shape[:2]) >= need]
    if not refs:
        raise ColorkitError(f"every reference is smaller than {need} px a side, the least the matching needs")
    L = color.lightness(gray)
    ab, conf = matched_ab(gray, refs, p)
    if p.local_linear:
        ab = weighted_local_linear(L / 100.0, ab, conf, p.radius, p.eps)
    if p.chroma_match > 0:
        ref_ab = np.concatenate([color.rgb_to_lab(r)[..., 1:].reshape(-1, 2) for r in refs])
        ab = match_chroma(ab, ref_ab, p.chroma_match)
    return color.combine_lightness_chroma(L, ab)


def colorize_exemplar(content, style, size: int = 256, references=(),
                      params: ExemplarConfig = ExemplarConfig()) -> np.ndarray:
    """The input (grayscaled, resized to `size` on its longer side) with a*b* from `style` and `references`
    (each resized to `size`; they vote). content, style, references: paths, PIL images or arrays."""
    gray = color.to_gray(images.resize(images.as_array(content, "content"), size))
    refs = [images.resize(images.as_array(r, "style" if i == 0 else "reference"), size)
            for i, r in enumerate((style, *references))]
    if size < params.grid:  # a grid finer than the image adds cost (∝ grid⁴), no information: smoke's 48 px
        params = params.replace(grid=size)
    return colorize_references(gray, refs, params)
