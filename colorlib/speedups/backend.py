"""The CUDA fast paths: TF32 tensor cores and cuDNN autotuning (global switches, recorded per run)."""
from __future__ import annotations

import torch


def tune_backend(device: torch.device, precision: str) -> dict:
    """Turn on the fast paths `device` has; returns what was set, for the run record. On the CPU there is
    nothing to set. TF32 changes fp32 numerics on CUDA, so it is a speed-up, never the paper's default."""
    if device.type != "cuda":
        return {}
    torch.backends.cudnn.benchmark = True  # one image size per run, so autotuning pays off after the first step
    if precision == "fp32":  # TF32 tensor cores for fp32 convolutions and matmuls (Gram matrices included)
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    return dict(cudnn_benchmark=True, tf32=precision == "fp32")
