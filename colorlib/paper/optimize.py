"""The optimisation loop: L-BFGS / SGD / Adam behind one step(), the β/α schedule, the initial image."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import torch

from colorlib.paper.config import Config
from colorlib.paper.lbfgs import CompactLBFGS, resolve_form

SPIKE_FACTOR = 10.0  # a loss rising more than 10× in one iteration counts as an L-BFGS overshoot


def make_optimizer(config: Config, x: torch.Tensor) -> torch.optim.Optimizer:
    """An optimizer over the image x whose every step() makes exactly one closure call and one update.

    L-BFGS follows the paper's Torch code (optim.lbfgs as neural_style.lua calls it): history 100, step 1, no line
    search, tolX = tolFun = -1 so it never stops early. max_iter=1 per step() keeps torch's L-BFGS memory across
    calls, so N calls are N iterations with one function evaluation each, and β can change between them.
    config.lbfgs_form "compact" takes the same step by matrix products (colorlib/paper/lbfgs.py).

    Parameters
    ----------
    config : Config
        `optimizer`, `learning_rate`, `momentum`, `lbfgs_history` and `lbfgs_form`.
    x : Tensor
        The image being optimised (requires grad).

    Returns
    -------
    torch.optim.Optimizer
    """
    lr = config.learning_rate
    if config.optimizer == "lbfgs" and resolve_form(config.lbfgs_form, x.device) == "compact":
        return CompactLBFGS([x], lr=lr, history_size=config.lbfgs_history, tolerance_change=-1)
    if config.optimizer == "lbfgs":
        return torch.optim.LBFGS([x], lr=lr, max_iter=1, max_eval=1, history_size=config.lbfgs_history,
                                 tolerance_grad=-1, tolerance_change=-1, line_search_fn=None)
    if config.optimizer == "sgd":
        return torch.optim.SGD([x], lr=lr, momentum=config.momentum)
    return torch.optim.Adam([x], lr=lr)


def style_weight_at(beta0: float, decay: float, iteration: int) -> float:
    """β at a 0-based iteration: β₀ (1 − decay)^iteration.

    The paper's schedule: "we decrease the ratio β/α by 0.25% after each iteration" (decay 0.0025), so after
    1000 iterations β is 8.2 % of β₀.

    Parameters
    ----------
    beta0 : float
        β (with α = 1, β/α) at the first iteration.
    decay : float
        The fraction cut after each iteration, in [0, 1); 0 keeps β fixed.
    iteration : int
        0-based.

    Returns
    -------
    float
    """
    return beta0 * (1.0 - decay) ** iteration


def initial_image(config: Config, content_x: torch.Tensor, init_x: torch.Tensor | None = None) -> torch.Tensor:
    """The start in network input space: seeded noise, the content, or a given image.

    Parameters
    ----------
    config : Config
        `init` ('noise', 'content' or 'image'), `noise_std` and `seed`.
    content_x : Tensor, shape (1, 3, H, W)
        The content in network input space (gives the shape and device).
    init_x : Tensor, optional
        The given start for init 'image' (else the content is used).

    Returns
    -------
    Tensor
        A new tensor on content_x's device. The noise is drawn on the CPU, so every device starts alike.
    """
    if config.init == "noise":
        gen = torch.Generator().manual_seed(config.seed)
        noise = torch.randn(content_x.shape, generator=gen, dtype=torch.float32) * config.noise_std
        return noise.to(content_x.device)
    source = content_x if init_x is None else init_x
    return source.detach().clone(memory_format=torch.contiguous_format)


class NonFinite(Exception):
    """The loss or the image became NaN/Inf at `iteration` (1-based)."""

    def __init__(self, value: float, iteration: int):
        super().__init__(f"loss became {value} at iteration {iteration}")
        self.value, self.iteration = value, iteration


@dataclass
class Trace:
    """What optimize() leaves behind: one history row per iteration and the image to report."""

    history: list = field(default_factory=list)  # losses of the iterate each update started from
    spikes: list = field(default_factory=list)  # iterations whose total rose > SPIKE_FACTOR× over the previous one
    best_iteration: int | None = None  # with keep_best: the iteration whose iterate is returned (0 = the start)
    stopped_by_caller: bool = False
    gradient_scale: float = 1.0
    initial_gradient_mean: float | None = None  # mean |∂L/∂x| at the start, as the optimizer sees it
    start: float = field(default_factory=time.perf_counter)


def optimize(x: torch.Tensor, objective, config: Config, beta0: float, on_step=None, trace: Trace | None = None
             ) -> Trace:
    """Minimise objective(x, β) over the image x in place, `config.iterations` times, β following the schedule.

    The paper's loop: L-BFGS ([1]_ §3) with β/α cut by `config.decay` after every iteration (`style_weight_at`).
    The objective is scaled once by 1/max|∇L(x₀)| when `config.rescale_objective` is on.

    Parameters
    ----------
    x : Tensor, shape (1, 3, H, W)
        The image in network input space, requiring grad; updated in place.
    objective : callable
        ``objective(x, beta) -> (total, L_content, L_style)`` (colorlib.paper.objective.Objective).
    config : Config
        `optimizer`, `iterations`, `decay`, `content_weight`, `keep_best`, `rescale_objective` and the optimizer's
        settings.
    beta0 : float
        β at the first iteration (size-normalised by the caller).
    on_step : callable, optional
        ``on_step(row)`` after every iteration with that iteration's history row; returning False stops.
    trace : Trace, optional
        Where to record; a new one if not given.

    Returns
    -------
    Trace
        One history row per iteration (the losses of the iterate its update started from, β, seconds), the
        iterations whose loss spiked more than 10×, and with `keep_best` the iteration returned. x ends as the
        last update, as neural-style's does, or with `keep_best` as the iterate with the lowest
        α L_content + β L_style at the final β.

    Raises
    ------
    NonFinite
        The loss or the image became NaN or infinite; x then holds the newest image whose loss was finite.

    References
    ----------
    .. [1] T. Nguyen, K. Mori, R. Thawonmas, "Image Colorization Using a Deep Convolutional Neural Network",
           2016.
    """
    trace = trace or Trace()
    optimizer = make_optimizer(config, x)
    last_finite = x.detach().clone()
    best: dict[str, Any] = {"x": None, "Lc": math.inf, "Ls": math.inf}
    scale = None
    for it in range(config.iterations):
        beta = style_weight_at(beta0, config.decay, it)
        row: dict[str, float] = {}

        def closure(beta=beta, it=it, row=row):  # called by optimizer.step, within this iteration
            nonlocal scale
            optimizer.zero_grad(set_to_none=True)
            total, Lc, Ls = objective(x, beta)
            if not math.isfinite(float(total.detach())):
                x.data.copy_(last_finite)
                raise NonFinite(float(total.detach()), it + 1)
            last_finite.copy_(x.detach())
            total.backward()
            if scale is None:
                scale = gradient_scale(config, x.grad, trace)
            x.grad.mul_(scale)
            row.update(content_loss=float(Lc), style_loss=float(Ls), total_loss=float(total.detach()))
            return total.detach() * scale

        optimizer.step(closure)
        if config.keep_best and _better(config.content_weight, beta, row, best):
            best.update(x=last_finite.clone(), Lc=row["content_loss"], Ls=row["style_loss"], it=it)
        if is_spike(trace.history[-1]["total_loss"] if trace.history else None, row["total_loss"]):
            trace.spikes.append(it + 1)
        row.update(iteration=it + 1, style_weight=beta, seconds=round(time.perf_counter() - trace.start, 4))
        trace.history.append(row)
        if on_step is not None and on_step(row) is False:
            trace.stopped_by_caller = True
            break
    finish(x, objective, config, trace, best if best["x"] is not None else None, last_finite)
    return trace


def gradient_scale(config: Config, g: torch.Tensor, trace: Trace) -> float:
    """1/max|∇L(x₀)| (Config.rescale_objective) or 1, fixed once from the first gradient; recorded in `trace`."""
    g_max = float(g.abs().max())
    scale = 1.0 / g_max if config.rescale_objective and g_max > 0 else 1.0
    trace.gradient_scale = scale
    trace.initial_gradient_mean = float(g.abs().mean()) * scale
    return scale


def finish(x: torch.Tensor, objective, config: Config, trace: Trace, best: dict | None,
           last_finite: torch.Tensor) -> None:
    """After the last iteration: NonFinite if the last update left x non-finite; with keep_best, x becomes the best
    iterate `best` ({"x", "Lc", "Ls", "it"}) unless the last update is better still, weighed with the final β."""
    if not torch.isfinite(x).all():
        x.data.copy_(last_finite)
        raise NonFinite(math.nan, len(trace.history) + 1)
    if config.keep_best and best is not None:
        final_beta = trace.history[-1]["style_weight"]
        with torch.no_grad():
            _, Lc, Ls = objective(x, final_beta)
        if _better(config.content_weight, final_beta, {"content_loss": float(Lc), "style_loss": float(Ls)}, best):
            trace.best_iteration = len(trace.history)
        else:
            x.data.copy_(best["x"])
            trace.best_iteration = best["it"]  # the iterate evaluated at this 0-based iteration


def is_spike(previous: float | None, current: float) -> bool:
    """Did the total loss rise more than SPIKE_FACTOR× in one iteration (an L-BFGS overshoot)?"""
    return previous is not None and previous > 0 and current > SPIKE_FACTOR * previous


def _better(alpha: float, beta: float, row: dict, best: dict) -> bool:
    """Is row's iterate lower than the best so far, both weighed with the current β?"""
    return alpha * row["content_loss"] + beta * row["style_loss"] < alpha * best["Lc"] + beta * best["Ls"]
