"""A chroma prior from dense VGG-feature correspondence (exemplar colorization without optimisation).

Both the input and the reference are grayscaled, so a match depends on structure, not on colour the input does
not have. At each position of the input, the cosine similarity of its VGG features to every reference position
goes through a softmax with temperature τ, and the reference's CIELAB a*b* averaged with those weights is the
prior there. Several references vote by sharing one softmax: each input position takes colour from wherever its
best matches are, in any reference."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from colorlib import color
from colorlib.errors import ColorkitError
from colorlib.paper.vgg import LAYER_NAMES, FeatureExtractor, extractor, min_size


def _grid(shape: tuple, grid: int) -> tuple:
    """(h, w) of the working grid: the longer side `grid`, the aspect kept."""
    h, w = shape
    s = grid / max(h, w)
    return max(1, round(h * s)), max(1, round(w * s))


def features(net: FeatureExtractor, gray: np.ndarray, layers: tuple, grid: int) -> tuple[torch.Tensor, tuple]:
    """((h·w, C) unit-length features of the grayscale image, (h, w)). The working grid (h, w) has `grid`
    positions on the longer side, at most the finest layer's own resolution; each layer is resized to it
    (area down, bilinear up), normalised per layer and scaled by 1/√n_layers, so a dot product is the mean of
    per-layer cosines."""
    with torch.no_grad():
        out = net(net.to_input(gray))
        size = _grid(gray.shape[:2], min(grid, max(out[layers[0]].shape[-2:])))
        parts = []
        for layer in layers:
            f = out[layer]
            f = F.interpolate(f, size=size, mode="area") if f.shape[-1] >= size[1] else \
                F.interpolate(f, size=size, mode="bilinear", align_corners=False)
            f = F.normalize(f.flatten(2)[0].T, dim=1)
            parts.append(f / len(layers) ** 0.5)
    return torch.cat(parts, dim=1), size


def _ab(rgb: np.ndarray, size: tuple) -> torch.Tensor:
    """(h·w, 2) CIELAB a*b* of `rgb`, area-averaged to `size`."""
    ab = torch.from_numpy(color.rgb_to_lab(rgb)[..., 1:].astype(np.float32)).permute(2, 0, 1)[None]
    return F.interpolate(ab, size=size, mode="area").flatten(2)[0].T


def correspondence(content_feats: torch.Tensor, ref_feats: torch.Tensor, ref_ab: torch.Tensor, tau: float,
                   chunk: int = 2048) -> tuple[torch.Tensor, torch.Tensor]:
    """(ab (N, 2), confidence (N,)): softmax(cos/τ)-weighted reference a*b* for each of N content positions;
    confidence is the best cosine similarity. Chunked so memory stays at chunk × reference positions."""
    abs_, conf = [], []
    for i in range(0, content_feats.shape[0], chunk):
        sim = content_feats[i:i + chunk] @ ref_feats.T
        abs_.append(torch.softmax(sim / tau, dim=1) @ ref_ab)
        conf.append(sim.max(dim=1).values)
    return torch.cat(abs_), torch.cat(conf)


def chroma_prior(content: np.ndarray, references, layers=("relu2_1",), tau: float = 0.003, grid: int = 128,
                 ref_grid: int | None = None, weights: str = "caffe") -> tuple[np.ndarray, np.ndarray]:
    """(ab (H, W, 2), confidence (H, W)) at the content's size, bilinearly upsampled from the working grid.

    content: (H, W, 3) in [0, 1] (grayscaled here if colour). references: one colour image or a list (they vote).
    layers: VGG-19 layers whose cosine similarities are averaged. tau: softmax temperature (smaller = sharper).
    grid / ref_grid: longer side of the content / reference working grid in positions (cost ∝ their product)."""
    layers = tuple(sorted(dict.fromkeys(layers), key=LAYER_NAMES.index))
    if isinstance(references, np.ndarray) and references.ndim == 3:
        references = [references]
    net = extractor(layers, weights)
    need = min_size(layers[-1])
    gray = color.to_gray(content)
    H, W = gray.shape[:2]
    if min(H, W) < need:
        raise ColorkitError(f"content image is {W}x{H} px; the prior at {layers[-1]} needs at least {need} px a side")
    cf, size = features(net, gray, layers, grid)
    rf, rab = [], []
    for ref in references:
        if min(ref.shape[:2]) < need:
            continue  # too small to reach the layer; the others still vote
        f, rsize = features(net, color.to_gray(ref), layers, ref_grid or grid)
        rf.append(f)
        rab.append(_ab(ref, rsize))
    if not rf:
        raise ColorkitError(f"every reference is smaller than {need} px, the least {layers[-1]} needs")
    ab, conf = correspondence(cf, torch.cat(rf), torch.cat(rab), tau)
    ab = ab.T.reshape(1, 2, *size)
    conf = conf.reshape(1, 1, *size)
    up = F.interpolate(torch.cat([ab, conf], 1), size=(H, W), mode="bilinear", align_corners=False)[0]
    return up[:2].permute(1, 2, 0).numpy().astype(np.float64), up[2].numpy().astype(np.float64)
