"""How each preset runs: the runner its colorlib.paper.config.PRESETS entry names, resolved here (paper/ may not
import speedups/ or exemplar/). The CLI and the explorer both run presets through run_preset(), and every way a
run stops — it returns, Ctrl-C or SIGTERM (Interrupted), NaN (DivergenceError) — and every preview or snapshot
goes through one finishing step (finish_image): the image at the size the run's JSON describes (the content at
config.size) and, with keep_luminance, on the content's own lightness."""
from __future__ import annotations

import dataclasses
import sys

import numpy as np

from colorlib import color, images
from colorlib.errors import ColorkitError, DivergenceError, Interrupted
from colorlib.paper.config import PRESETS, Config

LIGHTNESS_TOLERANCE = 0.5  # mean |ΔL*| above which an image is not yet on the content's lightness


def runner_of(preset: str) -> str:
    """The runner name of `preset` (ColorkitError for an unknown preset)."""
    if preset not in PRESETS:
        raise ColorkitError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[preset].runner


def finish_target(content, config: Config) -> np.ndarray:
    """The content grayscaled at config.size: the size and lightness a finished image has."""
    return color.to_gray(images.resize(images.as_array(content, "content"), config.size))


def finish_image(image: np.ndarray, target: np.ndarray, keep_luminance: bool) -> np.ndarray:
    """`image` at `target`'s size and, with keep_luminance, on its lightness. A finished image comes back as it
    is (the same array): a stage's smaller or colour-only image, as a stopped 'fast' run leaves it, does not."""
    if image.shape[:2] != target.shape[:2]:
        image = images.resize_to(image, *target.shape[:2])
        return color.keep_lightness(target, image) if keep_luminance else image
    if keep_luminance and float(np.abs(color.lightness(image) - color.lightness(target)).mean()) > \
            LIGHTNESS_TOLERANCE:
        return color.keep_lightness(target, image)
    return image


def run_preset(preset: str, content, style, config: Config, on_step=None, references=(), schedule=None):
    """The Result of `preset` under `config`, finished (finish_image), also when it stops: Interrupted and
    DivergenceError carry a finished `.result`; on_step's state.image() renders finished images too. With a
    multi-resolution `schedule` (colorlib/speedups/multires.py; `colorkit colorize --profile`) the paper's loop
    runs as its stages; only presets that run the paper's loop take one."""
    if schedule is not None and runner_of(preset) != "colorize":
        raise ColorkitError(f"preset {preset} does not run the paper's loop, so it cannot run a profile's "
                            f"multi-resolution schedule")
    target = finish_target(content, config)

    def finished(state):
        return on_step(dataclasses.replace(
            state, _render=lambda: finish_image(state.image(), target, config.keep_luminance)))

    def finish(result):
        """The image finished, and the record describing the run as asked (a stopped stage's own Config, e.g.
        'fast' at half size without keep_luminance, is not what was saved)."""
        result.image = finish_image(result.image, target, config.keep_luminance)
        result.params = {**result.params, **config.to_dict()}
        return result

    try:
        result = _run(runner_of(preset), preset, content, style, config, finished if on_step else None,
                      references, schedule)
    except (Interrupted, DivergenceError) as exc:
        if exc.result is not None:
            finish(exc.result)
        raise
    return finish(result)


def _run(runner: str, preset: str, content, style, config: Config, on_step, references, schedule=None):
    if runner == "staged":
        from colorlib.speedups.staged import FAST, colorize_faster

        return colorize_faster(content, style, config, FAST, on_step=on_step)
    if runner == "exemplar":
        from colorlib.exemplar.refine import colorize_from_exemplar

        if config.iterations:
            print(f"notice: preset {preset} with --iterations {config.iterations}: the exemplar result is "
                  f"optimised further with the paper's objective", file=sys.stderr)
        return colorize_from_exemplar(images.as_array(content, "content"), images.as_array(style, "style"), config,
                                      [images.load(r) for r in references], on_step=on_step)
    if schedule is not None:
        from colorlib.speedups.multires import colorize_multires

        return colorize_multires(content, style, config, schedule, on_step=on_step)
    from colorlib.paper.colorize import colorize

    return colorize(content, style, config, on_step=on_step)
