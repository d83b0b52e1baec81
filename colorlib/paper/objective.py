"""The paper's objective bound to one content and one style image: targets P and A computed once."""
from __future__ import annotations

import contextlib

import torch

from colorlib.paper import losses
from colorlib.paper.config import Config
from colorlib.paper.vgg import FeatureExtractor


def _view(feature: torch.Tensor) -> torch.Tensor:
    """(1, N, H, W) -> F ∈ R^{N × M} in the network's precision, a view whatever the layout.

    A channels-last feature map becomes F as a transposed view of its (M × N) memory, not a copy: its gradient then
    has the layout of the convolution's, and autograd adds the two without a strided copy (paper/vgg.extractor)."""
    if feature.is_contiguous(memory_format=torch.channels_last) and not feature.is_contiguous():
        return feature.permute(0, 2, 3, 1).reshape(-1, feature.shape[1]).T
    return feature.flatten(2)[0]


def _flat(feature: torch.Tensor) -> torch.Tensor:
    """(1, N, H, W) -> F ∈ R^{N × M}, in fp32 whatever precision the network ran in."""
    return _view(feature.float())


class _Bf16Gram(torch.autograd.Function):
    """G = F Fᵀ (losses.gram) of bf16 features: the forward in fp32, the backward in bf16.

    The forward stays fp32 because the loss needs G − A, which a bf16 G (8 bits of mantissa) would round away. The
    backward, ∂L/∂F = (∂L/∂G + ∂L/∂Gᵀ) F, goes on into the bf16 convolutions anyway, so multiplying in bf16 rounds
    only the residual that they round next: the image gradient moves by 0.24 % against bf16's own 8.9 % from fp32,
    and a 512-px iteration on a 2-core CPU takes 0.75× the time (docs/performance.md, "The Gram matrices in bf16")."""

    @staticmethod
    def forward(ctx, F):
        ctx.save_for_backward(F)
        F32 = F.float()
        return F32 @ F32.T

    @staticmethod
    def backward(ctx, dG):
        (F,) = ctx.saved_tensors
        S = (dG + dG.T).to(F.dtype)
        return S @ F if F.is_contiguous() else (F.T @ S).T  # the second keeps F's channels-last layout


def _gram(feature: torch.Tensor) -> torch.Tensor:
    """G of one layer's (1, N, H, W) feature map, fp32: losses.gram itself for fp32 features."""
    if feature.dtype == torch.bfloat16:
        return _Bf16Gram.apply(_view(feature))
    return losses.gram(_flat(feature))


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
            N, M = feats[l].shape[1], feats[l][0, 0].numel()
            G = _gram(feats[l])
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
