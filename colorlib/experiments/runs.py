"""What the figure experiments share: the settings of a profile, one scored run, the record written beside a
figure. Runs go through the run cache (colorlib.speedups.cache), so an unchanged figure is not recomputed."""
from __future__ import annotations

import os

from colorlib import color, data, images
from colorlib.errors import DivergenceError
from colorlib.evaluation import metrics, runner
from colorlib.experiments import profiles
from colorlib.paper.config import Config
from colorlib.plots import figures as plots
from colorlib.record import write_json
from colorlib.speedups.cache import colorize_cached
from colorlib.speedups.multires import Schedule, colorize_multires

FIGURE_PRESET = profiles.FIGURE_PRESET  # neural-style: the tool the paper's figures were made with


def settings(profile: str, device: str = "auto", seed: int = 0, preset: str = FIGURE_PRESET, **overrides) -> Config:
    """`preset` at the profile's size, iterations and precision for the studies, with the paper's noise start."""
    return Config.from_preset(preset, **{**profiles.profile(profile), "device": device, "seed": seed, **overrides})


def figure_settings(profile: str, device: str = "auto", seed: int = 0, preset: str = FIGURE_PRESET,
                    **overrides) -> tuple[Config, Schedule | None]:
    """(Config, schedule) with which `profile` draws Figure 1 (and `colorkit colorize --profile` runs)."""
    fields, schedule = profiles.figure_profile(profile)
    return Config.from_preset(preset, **{**fields, "device": device, "seed": seed, **overrides}), schedule


def pair_at(index: int, size: int) -> dict:
    """Pair `index` of the kit's pairs.csv as the evaluation gives it to every method at `size` px."""
    return runner.sized(data.load_pair(index), size)


def describe(cfg: Config, schedule: Schedule | None = None) -> str:
    """The settings that shape a figure, on one line."""
    steps = (f"{schedule.iterations} iterations as {schedule.describe(cfg.size)} (β/α continued over "
             f"{schedule.span} iterations of the paper's schedule)" if schedule else f"{cfg.iterations} iterations")
    return (f"preset {cfg.preset}: {cfg.size} px, {steps}, {cfg.optimizer}, init {cfg.init}, "
            f"β/α {cfg.style_weight:g} at {cfg.reference_size} px "
            f"({'size-normalised' if cfg.size_normalise else 'as given'}), decaying {cfg.decay * 100:g} %/it, "
            f"loss form {cfg.loss_form}, content {', '.join(cfg.content_layers)}, style "
            f"{', '.join(cfg.style_layers)}, precision {cfg.precision}, seed {cfg.seed}, device {cfg.device}")


def score(image, truth_full) -> dict:
    """Metrics of a result against the colour original at the result's size, and the gray input's ΔE2000."""
    truth = images.resize_to(truth_full, *image.shape[:2])
    m = metrics.evaluate(image, truth)
    return dict(delta_e2000=m["delta_e2000"], delta_e2000_gray=metrics.delta_e2000(color.to_gray(truth), truth),
                colourfulness_ratio=m["colourfulness_ratio"], structure_ssim=m["structure_ssim"], psnr=m["psnr"],
                ssim=m["ssim"])


def run(content, style, cfg: Config, schedule: Schedule | None = None) -> tuple:
    """(result, None), or (the last finite result, a one-line reason) if the run diverged: shown, not hidden.
    With a schedule the run goes through it (colorlib/speedups/multires.py), each stage through the run cache."""
    try:
        if schedule is not None:
            return colorize_multires(content, style, cfg, schedule, run_stage=colorize_cached), None
        return colorize_cached(content, style, cfg), None
    except DivergenceError as exc:
        return exc.result, str(exc).split(";")[0]


def summary_row(result, diverged) -> dict:
    """Final losses (of the image shown), spikes and timing of a run, for a figure's record."""
    f = result.final
    return dict(content_loss=f.get("content_loss"), style_loss=f.get("style_loss"), total_loss=f.get("total_loss"),
                final_style_weight=f.get("style_weight"), style_weight_used=result.run.get("style_weight_used"),
                spike_count=result.run.get("spike_count"), diverged=diverged, seconds=result.run["seconds"],
                iterations_run=result.run["iterations_run"], device=result.run["device"],
                schedule=result.run.get("schedule"),
                precision=result.run["precision"], torch_threads=result.run.get("torch_threads"),
                cache=result.run.get("cache"))


def write(record: dict, output_dir: str, stem: str, pngs: dict) -> dict:
    """Save each Figure of `pngs` (file name -> Figure), then the record as `stem`.json, all atomically."""
    record["files"] = [*pngs, f"{stem}.json"]
    for name, fig in pngs.items():
        plots.save(fig, os.path.join(output_dir, name))
    write_json(record, os.path.join(output_dir, f"{stem}.json"))
    return record


def mean(values) -> float:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else float("nan")
