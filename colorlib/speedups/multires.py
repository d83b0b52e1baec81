"""Multi-resolution optimisation around the paper's loop: most iterations at small sizes, few at the full size.

Gatys et al. 2017 (*Controlling Perceptual Factors in Neural Style Transfer*, §5, high resolution) optimise a small
image, upsample it and go on optimising at the full size; pystiche's image pyramid does the same. Here each stage is
one call of the paper's colorize() started from the previous stage's image, and the β/α schedule is *one* schedule
spread over the stages: a stage covers `span` iterations of the paper's schedule in `iterations` steps, so β enters
each stage where the previous one left it and leaves the last where the paper's 1000 iterations leave it
(β₀ · 0.9975¹⁰⁰⁰ = 8.2 % of β₀). Restarting β at every stage loses the print (shared/FINDINGS.md: structure 0.60
restarted against 0.73 continued). A stage may also be smaller than the one before: the `quick` profile starts at the
full size, where the first iterations place the colours, then drops to half (colorlib/experiments/profiles.py).
None of this is in the paper (docs/performance.md, "Time to quality")."""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np

from colorlib import images
from colorlib.errors import ColorkitError, DivergenceError, Interrupted
from colorlib.paper.colorize import Result, colorize, prepare
from colorlib.paper.config import Config


@dataclass(frozen=True)
class Stage:
    """One size of the pyramid.

    Parameters
    ----------
    scale : float
        Longer side as a fraction of ``Config.size`` (the last stage is 1.0).
    iterations : int
        Optimiser iterations run at this size.
    span : int
        Iterations of the paper's schedule this stage covers: β falls by (1 − decay)^span over the stage.
    """

    scale: float
    iterations: int
    span: int


@dataclass(frozen=True)
class Schedule:
    """Stages in the order they run (any sizes; the last at the full size), and when the last stage may stop early.

    Parameters
    ----------
    stages : tuple of Stage
        The last one has ``scale`` 1.0.
    stop_change : float
        Stop the last stage once the image changes by less than this over ``stop_window`` iterations (mean
        absolute change of the RGB image in [0, 1]); 0 runs every iteration.
    stop_window : int
        Iterations over which the change is measured.
    """

    stages: tuple
    stop_change: float = 0.0
    stop_window: int = 10

    def __post_init__(self):
        if not self.stages or self.stages[-1].scale != 1.0:
            raise ColorkitError("a schedule needs at least one stage, the last at scale 1.0 (the full size)")
        for s in self.stages:
            if not 0 < s.scale <= 1 or s.iterations < 1 or s.span < 0:
                raise ColorkitError(f"bad stage {s}: scale in (0, 1], iterations >= 1, span >= 0")
        if not (self.stop_change >= 0 and math.isfinite(self.stop_change)) or self.stop_window < 1:
            raise ColorkitError("stop_change must be >= 0 and stop_window >= 1")

    @property
    def span(self) -> int:
        """Iterations of the paper's schedule covered by all stages together."""
        return sum(s.span for s in self.stages)

    @property
    def iterations(self) -> int:
        return sum(s.iterations for s in self.stages)

    @classmethod
    def parse(cls, text: str, stop_change: float = 0.0) -> Schedule:
        """'0.5:300:800,1:200:200' (scale:iterations:span per stage) -> Schedule; a missing span = iterations."""
        stages = []
        for part in str(text).split(","):
            fields = part.strip().split(":")
            try:
                scale, iterations = float(fields[0]), int(fields[1])
                span = int(fields[2]) if len(fields) > 2 else iterations
            except (ValueError, IndexError):
                raise ColorkitError(f"bad stage {part.strip()!r} in schedule {text!r}: write scale:iterations[:span], "
                                    "e.g. 0.5:300:800,1:200:200") from None
            if len(fields) > 3:
                raise ColorkitError(f"bad stage {part.strip()!r} in schedule {text!r}: scale:iterations[:span]")
            stages.append(Stage(scale, iterations, span))
        return cls(tuple(stages), stop_change=stop_change)

    def to_text(self) -> str:
        return ",".join(f"{s.scale:g}:{s.iterations}:{s.span}" for s in self.stages)

    def to_dict(self) -> dict:
        return dict(stages=[dataclasses.asdict(s) for s in self.stages], stop_change=self.stop_change,
                    stop_window=self.stop_window)

    def describe(self, size: int) -> str:
        """e.g. '128 px × 400 → 256 px × 300 → 512 px × ≤150'."""
        parts = [f"{stage_size(size, s)} px × {s.iterations}" for s in self.stages]
        if self.stop_change:
            parts[-1] = parts[-1].replace("× ", "× ≤")
        return " → ".join(parts)


def stage_size(size: int, stage: Stage) -> int:
    return max(16, round(size * stage.scale))


def stage_config(config: Config, stage: Stage, offset: float) -> Config:
    """The Config of `stage` when `offset` iterations of the paper's schedule lie behind it: β enters at
    β₀(1 − d)^offset and falls by (1 − d)^span over the stage's iterations."""
    d = config.decay
    per_step = d if stage.span == stage.iterations else 1.0 - (1.0 - d) ** (stage.span / stage.iterations)
    return config.replace(size=stage_size(config.size, stage), iterations=stage.iterations, decay=per_step,
                          style_weight=config.style_weight * (1.0 - d) ** offset)


class _ImageChange:
    """on_step hook for the last stage: stops once the image moved less than `tol` over `window` iterations."""

    def __init__(self, tol: float, window: int, then=None):
        self.tol, self.window, self.then = tol, window, then
        self.frames: list = []
        self.fired = False

    def __call__(self, state) -> bool:
        if self.then is not None and self.then(state) is False:
            return False
        if self.tol <= 0:
            return True
        self.frames = (self.frames + [state.image()])[-(self.window + 1):]
        if len(self.frames) > self.window and float(np.abs(self.frames[-1] - self.frames[0]).mean()) < self.tol:
            self.fired = True
            return False
        return True


def colorize_multires(content, style, config: Config, schedule: Schedule, on_step=None, run_stage=None) -> Result:
    """The paper's colorize() run as `schedule`: each stage starts from the previous stage's image, resized to its size.

    Parameters
    ----------
    content, style
        As for colorize(): paths, PIL images or float RGB arrays in [0, 1].
    config : Config
        The full-size run (``config.size``); its ``iterations`` are replaced by the stages'.
    schedule : Schedule
        The stages.
    on_step : callable, optional
        Called after every iteration with a StepState whose ``iteration`` counts across the stages; returning False
        stops the run (the image so far is upsampled to the full size).
    run_stage : callable, optional
        ``run_stage(content, style, config, init_image)`` -> Result for one stage; default colorize() (the figures
        pass the run cache's colorize_cached, so an unchanged stage is read, not recomputed).

    Returns
    -------
    Result
        The full-size image; ``history`` of every stage in order (rows carry ``stage`` and ``size``);
        ``run["schedule"]`` per stage: size, iterations run, span, β entering and leaving, seconds.

    Raises
    ------
    ColorkitError, DivergenceError, Interrupted
        As colorize(); the result they carry is full size.
    """
    full_shape = prepare(content, style, config)[0].shape[:2]
    start, offset, done = time.perf_counter(), 0.0, 0
    image, last, stopper = None, None, None
    history: list[dict] = []
    stages_run: list[dict] = []
    for k, stage in enumerate(schedule.stages):
        cfg = stage_config(config, stage, offset)
        final_stage = k == len(schedule.stages) - 1
        hook = stopper = _stage_hook(on_step, done, schedule.iterations)
        if final_stage and schedule.stop_change:
            hook = stopper = _ImageChange(schedule.stop_change, schedule.stop_window, hook)
        try:
            if hook is None and run_stage is not None:
                last = run_stage(content, style, cfg, image)
            else:
                last = colorize(content, style, cfg, on_step=hook, init_image=image)
        except (Interrupted, DivergenceError) as exc:
            if exc.result is not None:
                _record(stages_run, history, exc.result, k, stage, cfg)
                exc.result = _combined(config, schedule, exc.result, history, stages_run, full_shape, start)
            raise
        _record(stages_run, history, last, k, stage, cfg)
        image, offset, done = last.image, offset + stage.span, done + len(last.history)
        if last.run.get("stop_reason") == "caller" and not final_stage:
            break  # the caller's on_step said stop: the image so far is reported at the full size
    assert last is not None  # a Schedule has at least one stage
    result = _combined(config, schedule, last, history, stages_run, full_shape, start)
    if isinstance(stopper, _ImageChange) and stopper.fired:
        result.run.update(stopped_early=True, stop_reason="image stopped changing")
    return result


def _stage_hook(on_step, done: int, total: int):
    if on_step is None:
        return None

    def hook(state):
        return on_step(dataclasses.replace(state, iteration=done + state.iteration, iterations=total))

    return hook


def _record(stages_run: list, history: list, result: Result, k: int, stage: Stage, cfg: Config) -> None:
    rows = result.history
    history.extend({**row, "stage": k, "size": cfg.size} for row in rows)
    stages_run.append(dict(stage=k, size=cfg.size, shape=list(result.image.shape[:2]), iterations=stage.iterations,
                           iterations_run=len(rows), span=stage.span, decay=cfg.decay,
                           style_weight_in=cfg.style_weight,
                           style_weight_out=rows[-1]["style_weight"] if rows else cfg.style_weight,
                           seconds=result.run.get("seconds"), cache=result.run.get("cache")))


def _combined(config: Config, schedule: Schedule, last: Result, history: list, stages_run: list, full_shape,
              start: float) -> Result:
    """One Result for the whole schedule: the full-size image and every stage's record."""
    image = last.image
    if image.shape[:2] != tuple(full_shape):  # stopped in a smaller stage: report it at the size asked for
        image = images.resize_to(image, *full_shape)
    run = {**last.run, "schedule": stages_run, "iterations_run": len(history),
           "seconds": round(sum(s["seconds"] or 0.0 for s in stages_run), 4),
           "wall_seconds": round(time.perf_counter() - start, 4)}
    params = {**config.to_dict(), "iterations": schedule.iterations, "schedule": schedule.to_dict()}
    return Result(image, history, params, last.versions, run)
