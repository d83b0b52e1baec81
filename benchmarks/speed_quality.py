"""benchmarks/speed.py's time-to-quality section and its figures: the paper recipe (colorize) against preset
'fast' (colorlib.speedups.staged.colorize_faster), ΔE2000 against the truth along the way, in wall seconds and in
this process's CPU seconds (less sensitive to other jobs on a shared machine)."""
from __future__ import annotations

import os
import time

import numpy as np
from matplotlib.figure import Figure

from colorlib import Config, DivergenceError, color, images
from colorlib.evaluation import metrics
from colorlib.paper.colorize import colorize
from colorlib.plots.figures import save
from colorlib.speedups.early_stop import loss_stalled
from colorlib.speedups.staged import FAST, colorize_faster

EARLY_STOPS = ((1e-3, 20), (1e-4, 20))  # (tolerance, window): where Speedups(early_stop=…) would stop the paper run


def variants(args) -> dict:
    """name -> (Config, run(content, style, config, on_step) -> Result)."""
    base = dict(size=args.ttq_size, device=args.device)
    return {
        "paper": (Config.from_preset("paper", iterations=args.paper_iterations, **base),
                  lambda c, s, cfg, on_step: colorize(c, s, cfg, on_step=on_step)),
        "fast": (Config.from_preset("fast", **base),
                 lambda c, s, cfg, on_step: colorize_faster(c, s, cfg, FAST, on_step=on_step)),
    }


def trace(pair, config: Config, run, every: int, early_stops=()) -> dict:
    """One run with ΔE2000 against the truth every `every` iterations and the loss at every iteration, against
    wall and CPU seconds since the call (the evaluation's own time is taken off both clocks)."""
    truth = images.resize(pair["truth"], config.size)
    gray = color.to_gray(truth)
    rows, losses, stops, hist = [], [], {}, []
    spent = [0.0, 0.0]  # wall, cpu spent evaluating
    t0, c0 = time.perf_counter(), time.process_time()

    def clocks():
        return time.perf_counter() - t0 - spent[0], time.process_time() - c0 - spent[1]

    def delta_e(img):
        if img.shape[:2] != truth.shape[:2]:  # colour optimised at a smaller size: what it would give if stopped
            img = images.resize_to(img, *truth.shape[:2])
            img = color.keep_lightness(gray, img) if config.keep_luminance else img
        return metrics.delta_e2000(img, truth)

    def on_step(state):
        wall, cpu = clocks()
        losses.append(dict(iteration=state.iteration, total_loss=state.total_loss, wall=wall, cpu=cpu))
        w, c = time.perf_counter(), time.process_time()
        hist.append(dict(content_loss=state.content_loss, style_loss=state.style_loss))
        for tol, window in early_stops:  # where early_stop=tol would have stopped this (deterministic) run
            if (tol, window) not in stops and loss_stalled(hist, config.content_weight, state.style_weight, tol,
                                                           window):
                stops[(tol, window)] = dict(tolerance=tol, window=window, iteration=state.iteration, wall=wall,
                                            cpu=cpu, delta_e2000=delta_e(state.image()))
        if state.iteration % every == 0 or state.iteration == state.iterations:
            rows.append(dict(iteration=state.iteration, wall=wall, cpu=cpu, delta_e2000=delta_e(state.image())))
        spent[0] += time.perf_counter() - w
        spent[1] += time.process_time() - c

    diverged = None
    try:
        res = run(pair["content"], pair["style"], config, on_step)
    except DivergenceError as exc:
        res, diverged = exc.result, str(exc)
    wall, cpu = clocks()
    final = delta_e(res.image)
    rows.append(dict(iteration=len(res.history), wall=wall, cpu=cpu, delta_e2000=final))
    return dict(config=config.to_dict(), run={k: v for k, v in res.run.items() if k != "inputs"}, diverged=diverged,
                final_delta_e2000=final, wall=wall, cpu=cpu, checkpoints=rows, losses=losses,
                early_stop=list(stops.values()))


def reach(checkpoints, target) -> dict | None:
    """The first checkpoint whose ΔE2000 is at or below `target`."""
    return next((row for row in checkpoints if row["delta_e2000"] <= target + 1e-9), None)


def time_to_quality(args, pairs) -> list:
    out = []
    for pair in pairs:
        truth = images.resize(pair["truth"], args.ttq_size)
        entry = dict(pair=pair["name"], gray_delta_e2000=metrics.delta_e2000(color.to_gray(truth), truth), runs={})
        for name, (cfg, run) in variants(args).items():
            entry["runs"][name] = r = trace(pair, cfg, run, args.every, EARLY_STOPS if name == "paper" else ())
            print(f"{pair['name']:28s} {name:6s} ΔE2000 {r['final_delta_e2000']:6.2f} after "
                  f"{r['run']['iterations_run']:4d} it, {r['wall']:7.1f} s wall, {r['cpu']:7.1f} s CPU"
                  + (" DIVERGED" if r["diverged"] else ""), flush=True)
        paper = entry["runs"]["paper"]
        target = entry["paper_target_delta_e2000"] = paper["final_delta_e2000"]
        for run in entry["runs"].values():
            hit = reach(run["checkpoints"], target)
            run["reaches_paper_delta_e"] = hit is not None
            if hit:
                run["time_to_paper_delta_e"] = dict(iteration=hit["iteration"], wall=hit["wall"], cpu=hit["cpu"],
                                                    fraction_of_paper_wall=hit["wall"] / paper["wall"],
                                                    fraction_of_paper_cpu=hit["cpu"] / paper["cpu"])
        for stop in paper["early_stop"]:
            print(f"{'':28s} paper + early_stop {stop['tolerance']:g}/{stop['window']}: stops at it "
                  f"{stop['iteration']}, ΔE2000 {stop['delta_e2000']:.2f}, {stop['cpu'] / paper['cpu']:.2f} of the "
                  "CPU time")
        fast = entry["runs"]["fast"].get("time_to_paper_delta_e")
        print(f"{'':28s} gray input ΔE2000 {entry['gray_delta_e2000']:.2f}; paper recipe {target:.2f}; fast reaches "
              + (f"it at {fast['fraction_of_paper_wall']:.3f} of the paper's wall time "
                 f"({fast['fraction_of_paper_cpu']:.3f} of its CPU time)" if fast else "it: never"), flush=True)
        out.append(entry)
    return out


# ------------------------------------------------------------------------------------- figures
def plot_time_to_quality(ttq, path):
    fig = Figure(figsize=(6.5 * len(ttq), 9), layout="constrained")
    axes = fig.subplots(2, len(ttq), squeeze=False)
    for j, entry in enumerate(ttq):
        ax_e, ax_l = axes[0, j], axes[1, j]
        for name, run in entry["runs"].items():
            cp, ls = run["checkpoints"], run["losses"]
            line, = ax_e.plot([r["cpu"] for r in cp], [r["delta_e2000"] for r in cp], label=name, marker=".", ms=3)
            ax_l.plot([r["cpu"] for r in ls], [r["total_loss"] for r in ls], color=line.get_color(), label=name)
        ax_e.axhline(entry["paper_target_delta_e2000"], color="k", ls="--", lw=0.8, label="paper recipe, final")
        ax_e.axhline(entry["gray_delta_e2000"], color="gray", ls=":", lw=0.8, label="gray input")
        for stop in entry["runs"]["paper"]["early_stop"]:
            ax_e.plot(stop["cpu"], stop["delta_e2000"], "kx")
        ax_e.set(xscale="log", xlabel="CPU seconds of this process", ylabel="ΔE2000 vs truth (lower is better)",
                 title=f"{entry['pair']}: time to quality")
        ax_l.set(xscale="log", yscale="log", xlabel="CPU seconds of this process",
                 ylabel="total loss (at the size optimised)", title="total loss vs time")
        ax_e.legend(fontsize=7)
    return save(fig, path)


def plot_throughput(through, path):
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    xs = np.arange(len(through))
    keys = [k[len("gflops_"):] for k in through[0] if k.startswith("gflops_")]
    width = 0.8 / len(keys)
    for k, key in enumerate(keys):
        ax.bar(xs + (k - (len(keys) - 1) / 2) * width, [r[f"gflops_{key}"]["best"] for r in through], width,
               label=f"ours {key.replace('_', ' ')}")
    for p, ls, marker in (("fp32", "--", "o"), ("bf16", ":", "s")):
        ax.plot(xs, [r["roofline_gflops"][p] for r in through], "k" + ls, marker=marker, label=f"{p} matmul (roofline)")
    ax.set(xticks=xs, xticklabels=[str(r["size"]) for r in through], xlabel="image size (px)", ylabel="GFLOP/s",
           title="VGG-19 iteration throughput vs same-run matmul peak")
    ax.legend(fontsize=8)
    return save(fig, path)


def plot_all(report, folder):
    if report.get("time_to_quality"):
        plot_time_to_quality(report["time_to_quality"], os.path.join(folder, "time_to_quality.png"))
    if report.get("throughput"):
        plot_throughput(report["throughput"], os.path.join(folder, "throughput.png"))
