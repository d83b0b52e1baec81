"""Optimizers behind one step(closure) interface, the style-weight schedule, and the initial image."""
from __future__ import annotations

import torch

from .config import Config


def make_optimizer(config: Config, x: torch.Tensor) -> torch.optim.Optimizer:
    """An optimizer over the image x whose every step() makes exactly one closure call and one update.

    L-BFGS follows the paper's Torch code (optim.lbfgs as neural-style calls it): history 100, step 1, no line
    search, tolX = tolFun = -1 so it never stops early. max_iter=1 per step() keeps torch's L-BFGS memory across
    calls, so N calls are N iterations with one function evaluation each, and the caller can change β between them.
    """
    lr = config.learning_rate
    if config.optimizer == "lbfgs":
        return torch.optim.LBFGS([x], lr=lr, max_iter=1, max_eval=1, history_size=config.lbfgs_history,
                                 tolerance_grad=-1, tolerance_change=-1, line_search_fn=None)
    if config.optimizer == "sgd":
        return torch.optim.SGD([x], lr=lr, momentum=config.momentum)
    return torch.optim.Adam([x], lr=lr)


def style_weight_at(config: Config, iteration: int) -> float:
    """β at a 0-based iteration: β₀ (1 − decay)^iteration (the paper: β/α cut by 0.25 % after each iteration)."""
    return config.style_weight * (1.0 - config.decay) ** iteration


def initial_image(config: Config, content_x: torch.Tensor, init_x: torch.Tensor | None = None) -> torch.Tensor:
    """The starting point in network input space: noise (seeded, CPU-generated so every device starts alike),
    the content image, or a given image."""
    if config.init == "noise":
        gen = torch.Generator().manual_seed(config.seed)
        noise = torch.randn(content_x.shape, generator=gen, dtype=torch.float32) * config.noise_scale
        return noise.to(content_x.device)
    if config.init == "content":
        return content_x.detach().clone(memory_format=torch.contiguous_format)
    return init_x.detach().clone(memory_format=torch.contiguous_format)
