"""colorize(): the paper's method in one call — grayscale content + colour style -> colorized image."""
from __future__ import annotations

import hashlib
import math
import os
import time

import numpy as np
import torch

from colorlib import color, images
from colorlib.errors import ColorkitError, DivergenceError, Interrupted
from colorlib.hardware import resolve_device, resolve_precision, run_environment
from colorlib.paper.config import Config, as_config
from colorlib.paper.graphed import optimize_graphed
from colorlib.paper.lbfgs import resolve_form
from colorlib.paper.objective import Objective
from colorlib.paper.optimize import NonFinite, Trace, initial_image, optimize
from colorlib.paper.result import Result, StepState
from colorlib.paper.vgg import LAYER_NAMES, channels_last_for, extractor, last_layer, min_size
from colorlib.record import versions


def sha256_of(image: np.ndarray) -> str:
    """sha256 of an image's float32 pixels (the resized inputs a run saw, recorded as ``inputs``)."""
    return hashlib.sha256(np.ascontiguousarray(image, dtype=np.float32).tobytes()).hexdigest()


def prepare(content, style, config: Config) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The images a run works on, resized and checked against the network's smallest input.

    Parameters
    ----------
    content, style : str, path-like, PIL.Image or ndarray
        The content (grayscaled here if in colour) and the style; arrays are (H, W, 3) floats in [0, 1].
    config : Config
        Gives the size (`size`, `style_size_ratio`) and the deepest layer used.

    Returns
    -------
    gray : ndarray, shape (H, W, 3)
        The content, resized to `config.size` on its longer side and grayscaled (L* kept, a* = b* = 0).
    truth : ndarray, shape (H, W, 3)
        The content resized, before grayscaling (its colour original, or the gray if it had no colour).
    style : ndarray
        The style resized to `config.size` × `config.style_size_ratio`.

    Raises
    ------
    ColorkitError
        An input cannot be read, or is (before or after resizing) too small for the deepest layer.
    """
    label = {k: f"{k} image {v}" if isinstance(v, (str, os.PathLike)) else f"{k} image"
             for k, v in (("content", content), ("style", style))}
    content, style = images.as_array(content, "content"), images.as_array(style, "style")
    deepest = last_layer(config.content_layers + config.style_layers)
    need = min_size(deepest)
    for name, img in (("content", content), ("style", style)):
        if min(img.shape[:2]) < need:
            raise ColorkitError(f"{label[name]} is {img.shape[1]}x{img.shape[0]} px; the network needs at least "
                                f"{need} px on each side to reach {deepest}")
    truth = images.resize(content, config.size)
    style = images.resize(style, max(1, round(config.size * config.style_size_ratio)))
    for name, img in (("content", truth), ("style", style)):
        if min(img.shape[:2]) < need:
            raise ColorkitError(f"{label[name]} at size {config.size} is {img.shape[1]}x{img.shape[0]} px; "
                                f"{deepest} needs at least {need} px on each side: raise --size")
    return color.to_gray(truth), truth, style


def positions(height: int, width: int, layer: str) -> int:
    """M_l: the number of positions of `layer`'s feature map for an input of `height` × `width` px."""
    for name in LAYER_NAMES[: LAYER_NAMES.index(layer)]:
        if name.startswith("pool"):
            height, width = height // 2, width // 2
    return height * width


def style_weight_for(config: Config, shape: tuple) -> float:
    """β/α for an image of `shape`, size-normalised.

    `config.style_weight` is the balance at `config.reference_size`; L_content grows with the content layer's
    positions M and E_l does not, so β/α scales by M(size)/M(reference_size) (docs/reproducing_the_paper.md,
    "Size normalisation"). Unchanged when `config.size_normalise` is off or the loss form is neural-style's.

    Parameters
    ----------
    config : Config
        Gives `style_weight`, `reference_size`, `size_normalise`, `loss_form` and the content layer.
    shape : tuple of int
        (height, width, ...) of the content as the run sees it.

    Returns
    -------
    float
        β/α to start the schedule with.
    """
    if not (config.size_normalise and config.loss_form == "paper" and config.content_layers):
        return config.style_weight
    h, w = shape[:2]
    ref = config.reference_size / max(h, w)
    layer = config.content_layers[0]
    return config.style_weight * positions(h, w, layer) / positions(round(h * ref), round(w * ref), layer)


def colorize(content, style, config: Config | None = None, on_step=None, init_image=None, **overrides) -> Result:
    """Colorize `content` (grayscale, or colour that is grayscaled first) with the colours of `style`.

    Minimises α L_content + β L_style over the image, from noise (or another start), with β/α decaying by
    `config.decay` after each iteration ([1]_, after Gatys et al.; colorlib/paper/losses.py); with preset
    ``neural-style`` the losses and defaults are those of the tool the paper's figures were made with [2]_.

    Parameters
    ----------
    content : str, path-like, PIL.Image or ndarray
        The image giving the content; an array is (H, W, 3) float in [0, 1]. A colour content is grayscaled, and
        its colours are not used.
    style : str, path-like, PIL.Image or ndarray
        The colour image giving the style (the colours).
    config : Config, optional
        Every hyper-parameter; default ``Config()``, the paper (preset ``paper``).
    on_step : callable, optional
        ``on_step(state: StepState)`` runs after every iteration; returning False stops the run cleanly
        (``run["stopped_early"]``).
    init_image : str, path-like, PIL.Image or ndarray, optional
        The start instead of noise (the exemplar method passes its result here); recorded as the config's
        ``init_image`` unless the config names one.
    **overrides
        Config fields to change, e.g. ``size=256``.

    Returns
    -------
    Result
        The image of the last update (or, with ``keep_best``, the best iterate), its history, the resolved
        config, versions and how it ran.

    Raises
    ------
    ColorkitError
        Bad input: an unreadable or too small image, an unknown config field or value, an absent device.
    DivergenceError
        The loss became NaN or infinite; ``.result`` holds the last finite image.
    Interrupted
        Ctrl-C; ``.result`` holds the image so far, marked ``interrupted``.

    References
    ----------
    .. [1] T. Nguyen, K. Mori, R. Thawonmas, Image Colorization Using a Deep Convolutional Neural Network, 2016.
    .. [2] J. Johnson, neural-style, https://github.com/jcjohnson/neural-style, 2015 (the paper's "Torch
           implementation").

    Examples
    --------
    >>> from colorlib import Config, colorize
    >>> result = colorize("gray.png", "reference.jpg", Config.from_preset("neural-style", size=256))  # doctest: +SKIP
    >>> result.image.shape, result.final["total_loss"]  # doctest: +SKIP
    """
    config = as_config(config)
    if init_image is not None:  # a start given here is recorded as the config's init image (unless it names one)
        named = config.init == "image" and config.init_image
        label = os.fspath(init_image) if isinstance(init_image, (str, os.PathLike)) else "(array given to colorize)"
        overrides = {"init": "image", **({} if named else {"init_image": label}), **overrides}
    config = config.replace(**overrides)
    if on_step is not None and not callable(on_step):
        raise ColorkitError(f"on_step must be a function of the step's state, not {type(on_step).__name__}")
    device = resolve_device(config.device)
    precision, precision_reason = resolve_precision(config.precision, device)
    gray, _, style_img = prepare(content, style, config)
    torch.manual_seed(config.seed)
    layers = tuple(sorted(set(config.content_layers + config.style_layers), key=LAYER_NAMES.index))
    channels_last = channels_last_for(precision, device)
    net = extractor(layers, config.weights, config.pooling, config.input_range, str(device), channels_last)
    content_x, style_x = net.to_input(gray), net.to_input(style_img)
    if init_image is None and config.init == "image":
        init_image = config.init_image
    init_x = None if init_image is None else net.to_input(
        images.resize_to(images.as_array(init_image, "init image"), *gray.shape[:2]))
    objective = Objective(net, content_x, style_x, config, autocast=precision == "bf16")
    x = initial_image(config, content_x, init_x).requires_grad_(True)
    beta0 = style_weight_for(config, gray.shape)
    run = dict(device=str(device), precision=precision, precision_reason=precision_reason, seed=config.seed,
               memory_format="channels_last" if channels_last else "contiguous",
               lbfgs_form=resolve_form(config.lbfgs_form, device) if config.optimizer == "lbfgs" else None,
               **run_environment(), style_weight_at_reference=config.style_weight, style_weight_used=beta0,
               inputs={"content_pixels_sha256": sha256_of(gray), "style_pixels_sha256": sha256_of(style_img)},
               interrupted=False, stopped_early=False, stop_reason=None, diverged=None)
    trace = Trace()

    def render() -> np.ndarray:
        image = net.to_rgb(x)
        return color.keep_lightness(gray, image) if config.keep_luminance else image

    def step(row):
        return on_step(StepState(**row, iterations=config.iterations, _render=render))

    def result() -> Result:
        image = render()
        run.update(seconds=round(time.perf_counter() - trace.start, 4), iterations_run=len(trace.history),
                   spikes=trace.spikes, spike_count=len(trace.spikes), gradient_scale=trace.gradient_scale,
                   initial_gradient_mean=trace.initial_gradient_mean,
                   returned_iterate=trace.best_iteration if config.keep_best else len(trace.history))
        run["final"] = _final_losses(objective, net.to_input(image), trace, config)
        return Result(image, trace.history, config.to_dict(), versions(), run)

    try:
        loop = optimize_graphed if run["lbfgs_form"] == "cuda-graph" else optimize
        loop(x, objective, config, beta0, step if on_step else None, trace)
    except NonFinite as exc:
        run["diverged"] = str(exc)
        raise DivergenceError(f"optimisation diverged: {exc}; the last finite image is kept. "
                              f"{_divergence_hint(config)}", result()) from None
    except KeyboardInterrupt:
        run["interrupted"] = True
        raise Interrupted(result()) from None
    if trace.stopped_by_caller:
        run.update(stopped_early=True, stop_reason="caller")
    return result()


def _final_losses(objective, x, trace: Trace, config: Config) -> dict:
    """The losses of the image returned (clipped to [0, 1], lightness kept if asked), evaluated once more:
    without a line search the last L-BFGS update is never evaluated by the loop, and may be an overshoot
    (docs/reproducing_the_paper.md, "What a run reports")."""
    beta = trace.history[-1]["style_weight"] if trace.history else style_weight_for(config, x.shape[-2:])
    with torch.no_grad():
        total, Lc, Ls = objective(x, beta)
    values = dict(content_loss=float(Lc), style_loss=float(Ls), total_loss=float(total))
    return {**{k: v if math.isfinite(v) else None for k, v in values.items()}, "style_weight": beta}


def _divergence_hint(config: Config) -> str:
    if config.optimizer == "lbfgs":
        return (f"L-BFGS takes unit steps without a line search: try a smaller --style-weight (β/α is "
                f"{config.style_weight:g}) or --keep-best, or leave --rescale-objective on")
    return f"{config.optimizer} with learning rate {config.learning_rate:g}: try a smaller --lr"
