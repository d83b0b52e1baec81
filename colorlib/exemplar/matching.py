"""Dense correspondence for the exemplar method: where in the reference(s) each input position takes its colour.

After Liao et al. 2017 ("Deep Image Analogy") and He et al. 2019 ("Progressive Color Transfer"), but a dense
softmax instead of PatchMatch. The grayscaled input and reference(s) are described by VGG-19 features on one
grid, each layer L2-normalised and scaled by 1/√n_layers, so a dot product is the mean of per-layer cosines. A
luminance penalty is subtracted: after Welsh et al. (2002)'s remapping of the reference's L* to the input's mean
and spread, equal L* suggests equal colour, and grayscale VGG features alone confuse e.g. light sky with dark
water. A softmax over all reference positions (references share it, so they vote) averages the reference a*b*."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from colorlib import color
from colorlib.paper.vgg import extractor


def grid_size(shape, grid: int) -> tuple:
    """(h, w) of the matching grid: `grid` positions on the longer side of `shape`, the aspect kept."""
    s = grid / max(shape[:2])
    return max(1, round(shape[0] * s)), max(1, round(shape[1] * s))


def pool(x: np.ndarray, size: tuple) -> torch.Tensor:
    """(h·w, C) area average of an (H, W) or (H, W, C) array on the grid `size`."""
    t = torch.from_numpy(np.ascontiguousarray(x, np.float32))
    t = t[None, None] if t.ndim == 2 else t.permute(2, 0, 1)[None]
    return F.interpolate(t, size=size, mode="area")[0].flatten(1).T


def features(gray: np.ndarray, layers: tuple, weights: str, size: tuple) -> torch.Tensor:
    """(h·w, C) per-layer unit VGG features of a grayscale (H, W, 3) image on the grid `size` (area down,
    bilinear up), each layer scaled by 1/√n_layers (dot = mean cosine). No layers: one zero column."""
    if not layers:
        return torch.zeros(size[0] * size[1], 1)
    net = extractor(tuple(layers), weights)
    with torch.no_grad():
        out = net(net.to_input(gray))
    parts = []
    for name in layers:
        f = out[name].cpu()
        f = F.interpolate(f, size=size, mode="area") if f.shape[-1] >= size[1] else \
            F.interpolate(f, size=size, mode="bilinear", align_corners=False)
        parts.append(F.normalize(f.flatten(2)[0].T, dim=1) / len(layers) ** 0.5)
    return torch.cat(parts, 1)


def matched_ab(gray: np.ndarray, references: list, params) -> tuple[np.ndarray, np.ndarray]:
    """(a*b* (H, W, 2), confidence (H, W)) for the grayscale `gray` (H, W, 3) from the colour `references`
    (any size; they vote), bilinearly upsampled from the matching grid. `params`: an ExemplarConfig (layers,
    grid, tau, lum_weight, mirror, vote, vote_tau, confidence, weights). The confidence is 1 everywhere for
    confidence "none", else the best match's cosine ("cosine") or the forward-backward softmax agreement
    ("bidirectional").

    vote "shared": one softmax over the positions of all references. vote "quality": a softmax per reference
    (with its mirror), then per input position the references weighted by softmax(best similarity / vote_tau),
    so a reference with nothing like this position does not colour it."""
    p = params
    layers = tuple(p.layers)
    L = color.lightness(gray)
    size = grid_size(L.shape, p.grid)
    cf, cL = features(gray, layers, p.weights, size), pool(L / 100.0, size)[:, 0]
    sims, rabs, groups, cos = [], [], [], []
    for g, ref in enumerate(references):
        for r in [ref] + ([np.ascontiguousarray(ref[:, ::-1])] if p.mirror else []):
            lab = color.rgb_to_lab(r)
            rs = grid_size(lab.shape, p.grid)
            Lr = lab[..., 0]
            Lr = (Lr - Lr.mean()) * (L.std() / max(Lr.std(), 1e-6)) + L.mean()  # Welsh 2002 luminance remapping
            rL = pool(Lr / 100.0, rs)[:, 0]
            c = cf @ features(color.to_gray(r), layers, p.weights, rs).T
            cos.append(c.max(1).values)
            sims.append(c - p.lum_weight * (cL[:, None] - rL[None, :]) ** 2)
            rabs.append(pool(lab[..., 1:], rs))
            groups.append(g)
    if p.vote == "shared" or len(references) == 1:
        logits = torch.cat(sims, 1) / p.tau
        P = torch.softmax(logits, dim=1)
        ab = P @ torch.cat(rabs)
    else:
        ab_g, best = [], []
        for g in range(len(references)):
            S = torch.cat([s for s, k in zip(sims, groups, strict=True) if k == g], 1)
            rab_g = torch.cat([a for a, k in zip(rabs, groups, strict=True) if k == g])
            ab_g.append(torch.softmax(S / p.tau, dim=1) @ rab_g)
            best.append(S.max(1).values)
        W = torch.softmax(torch.stack(best, 1) / p.vote_tau, dim=1)
        ab = (W[..., None] * torch.stack(ab_g, 1)).sum(1)
    if p.confidence == "bidirectional":
        logits = torch.cat(sims, 1) / p.tau
        conf = (torch.softmax(logits, dim=1) * torch.softmax(logits, dim=0)).sum(1)
        conf = conf / conf.max().clamp_min(1e-12)
    elif p.confidence == "cosine":
        conf = torch.stack(cos, 1).max(1).values.clamp_min(0)
    else:
        conf = torch.ones(ab.shape[0])
    grid = torch.cat([ab, conf[:, None]], 1).T.reshape(1, 3, *size)
    up = F.interpolate(grid, size=L.shape, mode="bilinear", align_corners=False)[0].permute(1, 2, 0).double().numpy()
    return up[..., :2], up[..., 2]
