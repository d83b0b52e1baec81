"""Less work for a result, as wrappers around the paper's colorize(): coarse-to-fine, colour-only at a smaller
size, early stopping, and the CUDA switches. None of these is in the paper; preset 'fast' combines them."""
from __future__ import annotations

from dataclasses import dataclass

from colorlib import color, images
from colorlib.hardware import resolve_device, resolve_precision
from colorlib.paper.colorize import Result, colorize, prepare
from colorlib.paper.config import Config
from colorlib.speedups.backend import tune_backend
from colorlib.speedups.early_stop import EarlyStop


@dataclass(frozen=True)
class Speedups:
    """How much less work to do; the defaults change nothing."""

    coarse_iterations: int = 0  # iterations at a smaller size whose result starts the full-size run (0 = off)
    coarse_ratio: float = 0.5  # the coarse stage's size as a fraction of config.size
    chroma_size_ratio: float = 1.0  # < 1: optimise at size × ratio, put its a*b* on the full-size input's L*
    early_stop: float = 0.0  # stop when the loss fell by less than this fraction over early_stop_window (0 = off)
    early_stop_window: int = 20
    cuda_fast_paths: bool = True  # TF32 and cuDNN autotuning on CUDA (speedups.backend)

    def __post_init__(self):
        from colorlib.errors import ColorkitError

        if self.coarse_iterations < 0 or not 0 < self.coarse_ratio <= 1 or not 0 < self.chroma_size_ratio <= 1:
            raise ColorkitError("coarse_iterations must be >= 0, coarse_ratio and chroma_size_ratio in (0, 1]")
        if not self.early_stop >= 0 or self.early_stop_window < 1:
            raise ColorkitError("early_stop must be >= 0 and early_stop_window >= 1")


# Preset 'fast' (colorlib/paper/config.py, PRESETS: its Config fields) runs with these speed-ups: the colour
# optimised at half size on the input's own lightness.
FAST = Speedups(chroma_size_ratio=0.5)


def colorize_faster(content, style, config: Config, speedups: Speedups = Speedups(), on_step=None) -> Result:
    """colorize() with the speed-ups in `speedups`; the run record says which were used."""
    backend = {}
    if speedups.cuda_fast_paths:
        device = resolve_device(config.device)
        backend = tune_backend(device, resolve_precision(config.precision, device)[0])
    work, full_gray = config, None
    if speedups.chroma_size_ratio < 1:  # the full-size lightness the small run's colours go onto
        full_gray = prepare(content, style, config)[0]
        work = config.replace(size=max(16, round(config.size * speedups.chroma_size_ratio)), keep_luminance=False)
    init_image, coarse = None, None
    if speedups.coarse_iterations:
        coarse = colorize(content, style, work.replace(size=max(16, round(work.size * speedups.coarse_ratio)),
                                                       iterations=speedups.coarse_iterations, keep_luminance=False))
        init_image = coarse.image
        work = work.replace(init="image", init_image="(coarse stage)")
    hook = on_step
    stopper = None
    if speedups.early_stop > 0:
        stopper = hook = EarlyStop(config.content_weight, speedups.early_stop, speedups.early_stop_window, on_step)
    result = colorize(content, style, work, on_step=hook, init_image=init_image)
    if full_gray is not None:  # chroma_size_ratio < 1
        result.image = color.keep_lightness(full_gray, images.resize_to(result.image, *full_gray.shape[:2]))
    if coarse is not None:
        result.history = coarse.history + result.history
        result.run["coarse"] = dict(size=coarse.params["size"], iterations_run=coarse.run["iterations_run"],
                                    seconds=coarse.run["seconds"])
        result.run["seconds"] += coarse.run["seconds"]
    if stopper is not None and stopper.fired:
        result.run.update(stopped_early=True, stop_reason="converged")
    result.params = {**config.to_dict(), "speedups": speedups.__dict__}
    result.run.update(backend)
    return result
