"""The paper's objective bound to one content and one style image: targets P and A computed once."""
from __future__ import annotations

import contextlib

import torch

from colorlib.paper import losses
from colorlib.paper.config import Config
from colorlib.paper.vgg import FeatureExtractor


def _flat(feature: torch.Tensor) -> torch.Tensor:
    """(1, N, H, W) -> F ∈ R^{N × M}, in fp32 whatever precision the network ran in.

    A channels-last feature map becomes F as a transposed view of its (M × N) memory, not a copy: its gradient then
    has the layout of the convolution's, and autograd adds the two without a strided copy (paper/vgg.extractor)."""
    feature = feature.float()
    if feature.is_contiguous(memory_format=torch.channels_last) and not feature.is_contiguous():
        return feature.permute(0, 2, 3, 1).reshape(-1, feature.shape[1]).T
    return feature.flatten(2)[0]


class Objective:
    """Computes L_content, L_style (paper units, unweighted) and the weighted total for an image x."""

    def __init__(self, net: FeatureExtractor, content_x: torch.Tensor, style_x: torch.Tensor, config: Config,
                 autocast: bool = False):
        self.net, self.config, self.autocast = net, config, autocast
        self.w = config.layer_weights
        with torch.no_grad():
            feats_p = self.features(content_x)
            feats_a = self.features(style_x)
        self.P = {l: _flat(feats_p[l]) for l in config.content_layers}
        self.A = {}
        self.M_a = {}
        for l in config.style_layers:
            F_a = _flat(feats_a[l])
            self.A[l] = losses.gram(F_a)
            self.M_a[l] = F_a.shape[1]

    def features(self, x: torch.Tensor) -> dict:
        # no cast cache: nothing is cast twice in one forward, and a CUDA graph capture must not keep one
        ctx = (torch.autocast(x.device.type, dtype=torch.bfloat16, cache_enabled=False) if self.autocast
               else contextlib.nullcontext())
        with ctx:
            return self.net(x)

    def __call__(self, x: torch.Tensor, style_weight: float) -> tuple:
        """(total, L_content, L_style) for image x (network input space); total is what is minimised."""
        cfg = self.config
        feats = self.features(x)
        Lc_paper = x.new_zeros(())
        Lc_used = x.new_zeros(())
        for l in cfg.content_layers:
            F = _flat(feats[l])
            Lc_paper = Lc_paper + losses.content_loss(F, self.P[l])
            if cfg.loss_form == "neural-style":
                Lc_used = Lc_used + losses.ns_content_loss(F, self.P[l])
        E_paper, E_used = [], []
        for l in cfg.style_layers:
            F = _flat(feats[l])
            N, M = F.shape
            G = losses.gram(F)
            # A from a style image of another size is rescaled to M_l positions, so E_l compares like with like
            # (for equal sizes this is exactly the paper's A).
            A = self.A[l] * (M / self.M_a[l])
            E_paper.append(losses.style_layer_loss(G, A, N, M))
            if cfg.loss_form == "neural-style":
                E_used.append(losses.ns_style_layer_loss(G, A, N, M))
        Ls_paper = losses.style_loss(E_paper, self.w) if E_paper else x.new_zeros(())
        if cfg.loss_form == "paper":
            Lc_used, Ls_used = Lc_paper, Ls_paper
        else:
            Ls_used = losses.style_loss(E_used, self.w) if E_used else x.new_zeros(())
        total = losses.total_loss(cfg.content_weight, Lc_used, style_weight, Ls_used)
        if cfg.tv_weight > 0:
            total = total + cfg.tv_weight * losses.tv_loss(x)
        return total, Lc_paper.detach(), Ls_paper.detach()
