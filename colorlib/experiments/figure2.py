"""Figure 2: SGD vs L-BFGS × fixed vs decaying β/α on one pair, SGD's rate chosen by a recorded sweep."""
from __future__ import annotations

import math
import time

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


def gradient_scale(pair: dict, cfg: Config) -> float:
    """Mean |∂L_total/∂x| at the run's initial image as the optimizer sees it (what SGD's rate is set against)."""
    return colorize(pair["content"], pair["style"], cfg.replace(iterations=1)).run["initial_gradient_mean"]


def lr_sweep(pair: dict, cfg: Config, steps=SGD_STEPS, iterations: int | None = None) -> dict:
    """Short SGD runs (fixed β/α, so final losses compare) at rates lr = step / gradient_scale(); the rate with
    the lowest final total loss is chosen, as the paper tuned SGD by hand.

    Returns {'gradient_scale', 'iterations', 'chosen_lr', 'runs': one row per rate (step, lr, final_total_loss
    or None if diverged, diverged, seconds, chosen)}."""
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
    return dict(gradient_scale=scale, steps=list(steps), iterations=iterations, chosen_lr=best["lr"],
                criterion="lowest total loss after the short runs, fixed β/α", runs=rows)


def figure2(profile: str = "quick", device: str = "auto", seed: int = 0, output_dir: str = "results",
            pair: int = FIGURE2_PAIR, steps=SGD_STEPS, sweep_iterations: int | None = None) -> dict:
    """SGD vs L-BFGS, fixed vs decaying β/α, on one pair; SGD's rate chosen by lr_sweep(). Saves figure2.png,
    figure2_losses.png and figure2.json in output_dir.

    Returns {'record': what figure2.json holds, 'figure', 'losses' (Figures), 'images', 'histories'}."""
    cfg = runs.settings(profile, device, seed)
    start = time.perf_counter()
    data_pair = runs.pair_at(pair, cfg.size)
    sweep = lr_sweep(data_pair, cfg, steps, sweep_iterations)
    chosen = sweep["chosen_lr"]
    print(f"SGD rate chosen: {chosen:.2g} (lowest total loss after {sweep['iterations']} its)", flush=True)
    variants, imgs, histories = {}, {}, {}
    for key, (optimizer, decays, label) in VARIANTS.items():
        run_cfg = cfg.replace(optimizer=optimizer, lr=chosen if optimizer == "sgd" else None,
                              decay=cfg.decay if decays else 0.0)
        result, diverged = runs.run(data_pair["content"], data_pair["style"], run_cfg)
        score = runs.score(result.image, data_pair["truth"])
        variants[key] = dict(label=label, optimizer=optimizer, lr=run_cfg.learning_rate, decay=run_cfg.decay,
                             **runs.summary_row(result, diverged), **score)
        imgs[key], histories[key] = result.image, result.history
        print(f"{label}: {result.run['iterations_run']} its in {result.run['seconds']:.1f} s, total loss "
              f"{variants[key]['total_loss']:.4g}, structure {score['structure_ssim']:.2f}, colourfulness "
              f"×{score['colourfulness_ratio']:.2f}, ΔE2000 {score['delta_e2000']:.2f}", flush=True)
    row = data.pairs()[pair]
    record = dict(figure="figure2", profile=profile, preset=cfg.preset, settings=runs.describe(cfg),
                  pair=dict(index=pair, name=data_pair["name"], content=row["content"], style=row["style"]),
                  params=cfg.to_dict(), versions=versions(), sgd_lr_sweep=sweep, variants=variants,
                  wall_seconds=round(time.perf_counter() - start, 2))
    record["verdict"] = figure2_verdict(record)
    labels = {k: v[2] for k, v in VARIANTS.items()}
    titles = {k: f"{labels[k]}\nstructure {v['structure_ssim']:.2f}, colour ×{v['colourfulness_ratio']:.2f}"
              for k, v in variants.items()}
    fig = plots.figure2(imgs, histories, labels, titles)
    losses_fig = plots.loss_curves(histories, labels, sweep["runs"])
    runs.write(record, output_dir, "figure2", {"figure2.png": fig, "figure2_losses.png": losses_fig})
    return {"record": record, "figure": fig, "losses": losses_fig, "images": imgs, "histories": histories}
