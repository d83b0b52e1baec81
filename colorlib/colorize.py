"""colorize(): the paper's method in one call — grayscale content + colour style -> colorized image."""
from __future__ import annotations

import functools
import hashlib
import math
import os
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from . import color, images
from .config import Config
from .errors import ColorkitError, DivergenceError, Interrupted
from .hardware import resolve_device, resolve_precision
from .objective import Objective
from .optimize import initial_image, make_optimizer, style_weight_at
from .results import versions
from .speed import ChannelsLast, loss_stalled, tune_backend
from .vgg import LAYER_NAMES, FeatureExtractor, min_size


@dataclass
class Result:
    """A finished (or stopped) run: the image, its per-iteration history and everything needed to repeat it."""

    image: np.ndarray  # (H, W, 3) float32 RGB in [0, 1]
    history: list  # one dict per iteration: iteration, content_loss, style_loss, total_loss, style_weight, seconds
    params: dict  # the resolved Config
    versions: dict
    run: dict = field(default_factory=dict)  # device, precision, seconds, seed, inputs' sha256, stop reason

    @property
    def final(self) -> dict:
        return self.history[-1] if self.history else {}


@dataclass
class StepState:
    """What on_step sees after each iteration. image() renders the current estimate (costs a conversion)."""

    iteration: int  # 1-based
    iterations: int
    content_loss: float
    style_loss: float
    total_loss: float
    style_weight: float
    seconds: float
    _render: callable = None

    def image(self) -> np.ndarray:
        return self._render()


@functools.lru_cache(maxsize=4)
def _extractor(weights, layers, pooling, pixel_scale, device) -> FeatureExtractor:
    return FeatureExtractor(weights, layers, pooling, pixel_scale).to(device)


def sha256_of(image: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(image, dtype=np.float32).tobytes()).hexdigest()


def prepare(content, style, config: Config) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(content as gray, resized; its colour original resized, or the gray if none; style resized)."""
    label = {k: f"{k} image {v}" if isinstance(v, (str, os.PathLike)) else f"{k} image"
             for k, v in (("content", content), ("style", style))}
    content = images.as_array(content, "content")
    style = images.as_array(style, "style")
    last = max(config.content_layers + config.style_layers, key=LAYER_NAMES.index)
    need = min_size(last)
    for name, img in (("content", content), ("style", style)):
        if min(img.shape[:2]) < need:
            raise ColorkitError(f"{label[name]} is {img.shape[1]}x{img.shape[0]} px; the network needs at least "
                                f"{need} px on each side to reach {last}")
    truth = images.resize(content, config.size)
    style = images.resize(style, max(1, round(config.size * config.style_scale)))
    for name, img in (("content", truth), ("style", style)):
        if min(img.shape[:2]) < need:
            raise ColorkitError(f"{label[name]} at size {config.size} is {img.shape[1]}x{img.shape[0]} px; {last} "
                                f"needs at least {need} px on each side: raise --size")
    return color.to_gray(truth), truth, style


def colorize(content, style, config: Config | None = None, on_step=None, **overrides) -> Result:
    """Colorize `content` (grayscale, or colour that is grayscaled first) with the colours of `style`.

    content, style: paths, PIL images or float arrays (H, W, 3) in [0, 1]. config: a Config (default: the paper);
    overrides: Config fields to change. on_step(StepState) runs after every iteration; returning False stops the
    run cleanly. Raises ColorkitError on bad input, DivergenceError (with .result) on NaN/Inf, Interrupted (with
    .result) on Ctrl-C.
    """
    config = (config or Config()).replace(**overrides)
    device = resolve_device(config.device)
    precision, precision_reason = resolve_precision(config.precision, device)
    gray, truth, style_img = prepare(content, style, config)
    full_gray = gray
    if config.chroma_scale < 1:  # chroma-only: optimise a smaller image; render() puts its chroma on full_gray
        small = config.replace(size=max(1, round(config.size * config.chroma_scale)))
        gray, _, style_img = prepare(content, style, small)
    t0 = time.perf_counter()

    torch.manual_seed(config.seed)
    layers = tuple(sorted(set(config.content_layers + config.style_layers), key=LAYER_NAMES.index))
    net = _extractor(config.weights, layers, config.pooling, config.pixel_scale, device)
    pre = net.preprocess

    def to_tensor(img):
        # contiguous NCHW: L-BFGS views the image's gradient flat, which fails on the permuted (HWC) strides
        rgb = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None].contiguous()
        return pre.to_net(rgb.to(device))

    content_x, style_x = to_tensor(gray), to_tensor(style_img)
    init_x = None
    if config.init == "image":
        init_x = to_tensor(images.resize_to(images.as_array(config.init_image, "init image"), *gray.shape[:2]))
    elif config.init == "prior":  # the 'best' preset: the correspondence prior's chroma on the input's L*
        from .best import prior_from_config

        init_x = to_tensor(prior_from_config(gray, style_img, config))
    coarse = None
    if config.coarse_iterations and config.coarse_scale < 1:  # coarse-to-fine: a smaller run gives the start
        coarse = colorize(gray, style, config.replace(
            size=max(1, round(max(gray.shape[:2]) * config.coarse_scale)), iterations=config.coarse_iterations,
            coarse_iterations=0, chroma_scale=1.0, keep_luminance=False), on_step=on_step)
        init_x = to_tensor(images.resize_to(coarse.image, *gray.shape[:2]))
    backend = tune_backend(device, precision)
    objective = Objective(ChannelsLast(net) if backend.get("channels_last") else net, content_x, style_x, config,
                          autocast=precision == "bf16")
    x = (init_x.clone() if coarse else initial_image(config, content_x, init_x)).requires_grad_(True)
    optimizer = make_optimizer(config, x)

    def render(t: torch.Tensor) -> np.ndarray:
        rgb = pre.from_net(t.detach()).clamp(0, 1)[0].permute(1, 2, 0).float().cpu().numpy()
        if gray is not full_gray:
            return color.keep_lightness(full_gray, images.resize_to(rgb, *full_gray.shape[:2]))
        return color.keep_lightness(gray, rgb) if config.keep_luminance else rgb

    history: list = list(coarse.history) if coarse else []  # iterations count on across the stages
    offset = len(history)
    run = dict(device=str(device), precision=precision, precision_reason=precision_reason, seed=config.seed,
               inputs={"content_sha256": sha256_of(gray), "style_sha256": sha256_of(style_img)},
               interrupted=False, stopped_early=False, stop_reason=None, diverged=None, **backend)
    if gray is not full_gray:
        run["chroma_size"] = max(gray.shape[:2])
    if coarse:
        run["coarse"] = dict(size=coarse.params["size"], iterations_run=coarse.run["iterations_run"],
                             seconds=coarse.run["seconds"])
    last_finite = x.detach().clone()
    start = t0 if coarse or config.init == "prior" else time.perf_counter()  # the prior is part of the work

    def result() -> Result:
        run["seconds"] = round(time.perf_counter() - start, 4)
        run["iterations_run"] = len(history)
        finite = bool(torch.isfinite(x).all())
        return Result(render(x if finite else last_finite), history, config.to_dict(), versions(), run)

    grad_scale: dict = {}
    try:
        caller_stopped = coarse is not None and coarse.run["stop_reason"] == "caller"
        if caller_stopped:
            run.update(stopped_early=True, stop_reason="caller")
        for it in range(offset, offset + (0 if caller_stopped else config.iterations)):
            beta = style_weight_at(config, it)
            evaluated = {}

            def closure():
                optimizer.zero_grad(set_to_none=True)
                total, Lc, Ls = objective(x, beta)
                if not torch.isfinite(total):
                    raise _NonFinite(float(total.detach()))
                with torch.no_grad():  # the newest image with a finite loss: what a divergence falls back to
                    last_finite.copy_(x)
                total.backward()
                if "scale" not in grad_scale:  # fixed once, from the first gradient (see Config.scale_objective)
                    g_max = float(x.grad.abs().max())
                    grad_scale["scale"] = 1.0 / g_max if config.scale_objective and g_max > 0 else 1.0
                    # mean |∂L/∂x| of the first evaluation in the units the optimizer sees (SGD's rate scale)
                    run["initial_gradient_mean"] = float(x.grad.abs().mean()) * grad_scale["scale"]
                x.grad.mul_(grad_scale["scale"])
                evaluated.update(total=float(total.detach()), content=float(Lc), style=float(Ls))
                return total.detach() * grad_scale["scale"]

            optimizer.step(closure)
            entry = dict(iteration=it + 1, content_loss=evaluated["content"], style_loss=evaluated["style"],
                         total_loss=evaluated["total"], style_weight=beta,
                         seconds=round(time.perf_counter() - start, 4))
            history.append(entry)
            if on_step is not None:
                state = StepState(iterations=offset + config.iterations, _render=lambda: render(x), **entry)
                if on_step(state) is False:
                    run.update(stopped_early=True, stop_reason="caller")
                    break
            if loss_stalled(history[offset:], config.content_weight, beta, config.early_stop,
                            config.early_stop_window):
                run.update(stopped_early=True, stop_reason="converged")
                break
        if not torch.isfinite(x).all():
            raise _NonFinite(math.nan)
    except _NonFinite as exc:
        with torch.no_grad():
            x.copy_(last_finite)
        it_failed = len(history) + 1
        run["diverged"] = f"loss became {exc.value} at iteration {it_failed}"
        raise DivergenceError(
            f"optimisation diverged at iteration {it_failed} (loss {exc.value}); the last finite image is kept. "
            f"Try a smaller learning rate (lr is {config.learning_rate:g})", result()) from None
    except KeyboardInterrupt:
        run["interrupted"] = True
        raise Interrupted(result()) from None
    return result()


class _NonFinite(Exception):
    def __init__(self, value):
        super().__init__(value)
        self.value = value
