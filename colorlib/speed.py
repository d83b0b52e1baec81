"""Speed switches: the CUDA fast paths (TF32, cuDNN autotuning, channels_last) and the early-stop test."""
from __future__ import annotations

import torch
from torch import nn


def tune_backend(device: torch.device, precision: str) -> dict:
    """Turn on the fast paths `device` has; returns what was set, for the run record. CPU: nothing to set
    (channels_last measured no faster there: issue 9). CUDA paths are written but untested on hardware here."""
    if device.type != "cuda":
        return {}
    torch.backends.cudnn.benchmark = True  # one image size per run, so autotuning pays off after the first step
    if precision == "fp32":  # TF32 tensor cores for fp32 convolutions and matmuls (Gram matrices included)
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    return dict(cudnn_benchmark=True, tf32=precision == "fp32", channels_last=True)


class ChannelsLast(nn.Module):
    """Runs a feature extractor in channels_last layout (faster convolutions on CUDA tensor cores).

    Only the network's input copy is reformatted: the optimised image stays contiguous NCHW, as L-BFGS needs
    to view its gradient flat (autograd gives .grad the parameter's layout).
    """

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> dict:
        return self.net(x.contiguous(memory_format=torch.channels_last))


def loss_stalled(history: list, content_weight: float, style_weight: float, tol: float, window: int) -> bool:
    """True when the loss fell by less than `tol` (relative) over the last `window` iterations.

    Both ends are re-weighted with the current β from the paper-unit losses, so the decaying style weight
    alone does not count as progress.
    """
    if tol <= 0 or len(history) <= window:
        return False

    def loss(row):
        return content_weight * row["content_loss"] + style_weight * row["style_loss"]

    old, new = loss(history[-1 - window]), loss(history[-1])
    return old - new <= tol * abs(old)
