"""Figure 2: SGD vs L-BFGS × fixed vs decaying β/α on one pair, SGD's rate chosen by a recorded sweep.

Built in steps a notebook shows: `lr_sweep()` picks SGD's rate, `variant()` runs one panel, `assemble()` makes
the figure and its record; `figure2()` does all of it in one call for scripts."""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

import numpy as np
from matplotlib.figure import Figure

from colorlib import data
from colorlib.errors import DivergenceError
from colorlib.experiments import runs
from colorlib.experiments.verdicts import figure2_verdict
from colorlib.paper.colorize import colorize
from colorlib.paper.config import Config
from colorlib.plots import figures as plots
from colorlib.record import versions

FIGURE2_PAIR = 0  # the pair of Figure 2
# SGD's rates are tried relative to the first gradient: lr = step / mean|∂L/∂x| at the initial image, so `step` is
# the mean pixel change of the first update (network input units, 0-255), whatever the loss scale.
SGD_STEPS = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)  # diverging rates stop within a few iterations
VARIANTS = {  # Figure 2's panels: optimizer, and whether β/α decays (the preset's rate) or stays fixed
    "sgd_fixed": ("sgd", False, "(a) SGD, fixed β/α"),
    "sgd_decay": ("sgd", True, "(b) SGD, decaying β/α"),
    "lbfgs_fixed": ("lbfgs", False, "(c) L-BFGS, fixed β/α"),
    "lbfgs_decay": ("lbfgs", True, "(d) L-BFGS, decaying β/α (the paper)"),
}


@dataclass
class LRSweep:
    """SGD's learning-rate sweep: short runs with fixed β/α, the rate with the lowest final total loss chosen.

    Attributes
    ----------
    gradient_scale : float
        Mean |∂L_total/∂x| at the initial image; each rate is step / gradient_scale.
    steps : list of float
        The first-update sizes tried (SGD_STEPS).
    iterations : int
        Length of each short run.
    chosen_lr : float
        The rate Figure 2's SGD panels use.
    criterion : str
        How it was chosen, in words.
    runs : list of dict
        One per rate: step, lr, iterations, final_total_loss (None if diverged), diverged, seconds, chosen.
    """

    gradient_scale: float
    steps: list
    iterations: int
    chosen_lr: float
    criterion: str
    runs: list = field(default_factory=list)

    def to_dict(self) -> dict:
        """The sweep as figure2.json's 'sgd_lr_sweep'."""
        return dataclasses.asdict(self)


@dataclass
class Variant:
    """One panel of Figure 2: its numbers, image and loss history.

    Attributes
    ----------
    row : dict
        What figure2.json holds for it: label, optimizer, lr, decay, losses, timing, metrics.
    image : ndarray
        The result, (H, W, 3) RGB in [0, 1].
    history : list of dict
        One row per iteration (content_loss, style_loss, total_loss, style_weight, seconds).
    seconds : float
        Wall time of the panel (short when the run came from the run cache).
    """

    row: dict
    image: np.ndarray
    history: list
    seconds: float


@dataclass
class Figure2Result:
    """Figure 2 finished.

    Attributes
    ----------
    record : dict
        What figure2.json holds.
    figure : matplotlib.figure.Figure
        The 2×2 panels and the total-loss curves (figure2.png).
    losses : matplotlib.figure.Figure
        Total, content and style losses and the rate sweep (figure2_losses.png).
    variants : dict
        VARIANTS key -> Variant.
    """

    record: dict
    figure: Figure
    losses: Figure
    variants: dict


def gradient_scale(pair: dict, cfg: Config) -> float:
    """Mean |∂L_total/∂x| at the run's initial image as the optimizer sees it (what SGD's rate is set against).

    Parameters
    ----------
    pair : dict
        With 'content' and 'style' arrays (`runs.pair_at`).
    cfg : Config
        The run's settings.

    Returns
    -------
    float
        The mean absolute gradient, after the objective's rescaling.
    """
    return colorize(pair["content"], pair["style"], cfg.replace(iterations=1)).run["initial_gradient_mean"]


def lr_sweep(pair: dict, cfg: Config, steps=SGD_STEPS, iterations: int | None = None) -> LRSweep:
    """Short SGD runs (fixed β/α, so final losses compare) at rates lr = step / gradient_scale(); the rate with
    the lowest final total loss is chosen, as the paper tuned SGD by hand.

    Parameters
    ----------
    pair : dict
        With 'content' and 'style' arrays.
    cfg : Config
        The figure's settings; optimizer, rate, decay and iterations are replaced.
    steps : sequence of float
        First-update sizes to try.
    iterations : int, optional
        Length of each short run (default: a quarter of cfg.iterations, at least 2).

    Returns
    -------
    LRSweep
        Every rate's outcome and the chosen one.

    Raises
    ------
    DivergenceError
        If SGD diverged at every rate.
    """
    iterations = iterations or max(2, cfg.iterations // 4)
    scale = gradient_scale(pair, cfg)
    rows = []
    for step in steps:
        lr = float(f"{step / scale:.2g}")
        run_cfg = cfg.replace(optimizer="sgd", lr=lr, decay=0.0, iterations=iterations)
        t = time.perf_counter()
        result, diverged = runs.run(pair["content"], pair["style"], run_cfg)
        final = result.final.get("total_loss") if not diverged else None
        rows.append(dict(step=step, lr=lr, iterations=iterations, final_total_loss=final, diverged=diverged,
                         seconds=round(time.perf_counter() - t, 2), chosen=False))
        print(f"SGD lr {lr:.2g} (first step ≈ {step:g}): " + (f"total loss {final:.4g}" if diverged is None
                                                               else diverged), flush=True)
    finite = [r for r in rows if r["final_total_loss"] is not None and math.isfinite(r["final_total_loss"])]
    if not finite:
        tried = ", ".join(f"{r['lr']:.2g}" for r in rows)
        raise DivergenceError(f"SGD diverged at every rate tried ({tried}); no rate to compare L-BFGS with")
    best = min(finite, key=lambda r: r["final_total_loss"])
    best["chosen"] = True
    return LRSweep(gradient_scale=scale, steps=list(steps), iterations=iterations, chosen_lr=best["lr"],
                   criterion="lowest total loss after the short runs, fixed β/α", runs=rows)


def variant(key: str, pair: dict, cfg: Config, sgd_lr: float) -> Variant:
    """Run the panel VARIANTS[key] on `pair` and score it against the truth.

    Parameters
    ----------
    key : str
        A key of VARIANTS.
    pair : dict
        With 'content', 'style' and 'truth' arrays (`runs.pair_at`).
    cfg : Config
        The figure's settings; the panel sets the optimizer, its rate and whether β/α decays.
    sgd_lr : float
        SGD's rate (`LRSweep.chosen_lr`); L-BFGS keeps its own (1).

    Returns
    -------
    Variant
        Its row for figure2.json, image and history.
    """
    optimizer, decays, label = VARIANTS[key]
    start = time.perf_counter()
    run_cfg = cfg.replace(optimizer=optimizer, lr=sgd_lr if optimizer == "sgd" else None,
                          decay=cfg.decay if decays else 0.0)
    result, diverged = runs.run(pair["content"], pair["style"], run_cfg)
    score = runs.score(result.image, pair["truth"])
    row = dict(label=label, optimizer=optimizer, lr=run_cfg.learning_rate, decay=run_cfg.decay,
               **runs.summary_row(result, diverged), **score)
    print(f"{label}: {result.run['iterations_run']} its in {result.run['seconds']:.1f} s, total loss "
          f"{row['total_loss']:.4g}, structure {score['structure_ssim']:.2f}, colourfulness "
          f"×{score['colourfulness_ratio']:.2f}, ΔE2000 {score['delta_e2000']:.2f}", flush=True)
    return Variant(row, result.image, result.history, round(time.perf_counter() - start, 2))


def assemble(variants: dict, sweep: LRSweep, cfg: Config, profile: str, output_dir: str,
             pair: int = FIGURE2_PAIR) -> Figure2Result:
    """Figure 2's figures, record and verdict from its panels; saves figure2.png, figure2_losses.png, figure2.json.

    Parameters
    ----------
    variants : dict
        VARIANTS key -> Variant, from `variant()`.
    sweep : LRSweep
        The rate sweep that chose SGD's rate.
    cfg : Config
        The figure's settings (recorded).
    profile : str
        The profile's name (recorded).
    output_dir : str
        Folder for the files.
    pair : int
        Row of pairs.csv the panels ran on (recorded).

    Returns
    -------
    Figure2Result
        record, figure, losses, variants.
    """
    row = data.pairs()[pair]
    record = dict(figure="figure2", profile=profile, preset=cfg.preset, settings=runs.describe(cfg),
                  pair=dict(index=pair, name=f"{data.print_stem(row['content'])}<-{data.print_stem(row['style'])}",
                            content=row["content"], style=row["style"]),
                  params=cfg.to_dict(), versions=versions(), sgd_lr_sweep=sweep.to_dict(),
                  variants={k: v.row for k, v in variants.items()},
                  wall_seconds=round(sum(r["seconds"] for r in sweep.runs) + sum(v.seconds for v in variants.values()),
                                     2))
    record["verdict"] = figure2_verdict(record)
    labels = {k: v[2] for k, v in VARIANTS.items()}
    titles = {k: f"{labels[k]}\nstructure {v.row['structure_ssim']:.2f}, colour ×{v.row['colourfulness_ratio']:.2f}"
              for k, v in variants.items()}
    images = {k: v.image for k, v in variants.items()}
    histories = {k: v.history for k, v in variants.items()}
    fig = plots.figure2(images, histories, labels, titles)
    losses_fig = plots.loss_curves(histories, labels, sweep.runs)
    runs.write(record, output_dir, "figure2", {"figure2.png": fig, "figure2_losses.png": losses_fig})
    return Figure2Result(record, fig, losses_fig, dict(variants))


def figure2(profile: str = "quick", device: str = "auto", seed: int = 0, output_dir: str = "results",
            pair: int = FIGURE2_PAIR, steps=SGD_STEPS, sweep_iterations: int | None = None) -> Figure2Result:
    """Figure 2 in one call: `lr_sweep()`, `variant()` for each panel, `assemble()`.

    Parameters
    ----------
    profile, device, seed
        As for `colorlib.experiments.figure1.figure1`.
    output_dir : str
        Folder for figure2.png, figure2_losses.png and figure2.json.
    pair : int
        Row of pairs.csv.
    steps : sequence of float
        SGD first-update sizes to try.
    sweep_iterations : int, optional
        Length of the sweep's runs.

    Returns
    -------
    Figure2Result
        record (what figure2.json holds), figure, losses, variants.
    """
    cfg = runs.settings(profile, device, seed)
    data_pair = runs.pair_at(pair, cfg.size)
    sweep = lr_sweep(data_pair, cfg, steps, sweep_iterations)
    print(f"SGD rate chosen: {sweep.chosen_lr:.2g} (lowest total loss after {sweep.iterations} its)", flush=True)
    variants = {key: variant(key, data_pair, cfg, sweep.chosen_lr) for key in VARIANTS}
    return assemble(variants, sweep, cfg, profile, output_dir, pair)
