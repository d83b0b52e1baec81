"""The bf16 style Gram's backward in bf16 (colorlib/paper/objective._Bf16Gram) against the fp32 Gram it replaced.

With bf16 features (precision bf16: autocast VGG, channels-last on a CPU) the style layers' Gram matrices used to be
computed from fp32 copies of the features, forward and backward. Now the forward stays fp32 and the backward
multiplies in bf16. Side by side in one run, alternating so the machine's load hits both alike, on one Figure 1
pair with the figures' preset:

- seconds of one objective evaluation with its backward (median of --repeats), and of a whole colorize() iteration
  (--iterations from noise, median of the history's steps);
- how far each variant's image gradient lies from the fp32 network's (relative L2), and from each other.

    .venv/bin/python benchmarks/bf16_gram.py --threads 2 [--sizes 256,512] [--out results/benchmarks]

Writes OUT/bf16_gram.json (machine, CPU flags, threads, versions, commit)."""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

from colorlib import Config, colorize  # noqa: E402
from colorlib.experiments import runs  # noqa: E402
from colorlib.hardware import cpu_flags, cpu_model  # noqa: E402
from colorlib.paper import losses, objective  # noqa: E402
from colorlib.paper.colorize import prepare  # noqa: E402
from colorlib.paper.vgg import LAYER_NAMES, extractor  # noqa: E402
from colorlib.record import command_line, git_commit, versions, write_json  # noqa: E402

BF16_BACKWARD = objective._gram


def fp32_gram(feature):
    """The Gram as it was: fp32 copies of the features, autograd's fp32 backward."""
    return losses.gram(objective._flat(feature))


VARIANTS = {"fp32 Gram": fp32_gram, "bf16 backward": BF16_BACKWARD}


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pair", type=int, default=0, help="row of pairs.csv (Figure 1's are 0, 1, 2)")
    p.add_argument("--sizes", default="256,512")
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--iterations", type=int, default=30, help="colorize() iterations per variant and size")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--out", default="results/benchmarks")
    return p.parse_args(argv)


def objectives(pair, size: int):
    """The bf16 objective (as colorize builds it on this CPU) and the fp32 one, on the same content and style, with
    the Config and the gray content they were built from."""
    cfg = Config.from_preset(runs.FIGURE_PRESET, size=size, precision="bf16")
    gray, _, style = prepare(pair["content"], pair["style"], cfg)
    layers = tuple(sorted(set(cfg.content_layers + cfg.style_layers), key=LAYER_NAMES.index))
    made = {}
    for name, autocast in (("bf16", True), ("fp32", False)):
        net = extractor(layers, cfg.weights, cfg.pooling, cfg.input_range, "cpu", channels_last=autocast)
        made[name] = objective.Objective(net, net.to_input(gray), net.to_input(style), cfg, autocast=autocast)
    return made, cfg, gray


def gradient(obj, x0, style_weight):
    x = x0.clone().requires_grad_(True)
    obj(x, style_weight)[0].backward()
    return x.grad


def evaluation_seconds(obj, x0, style_weight, repeats: int) -> dict:
    """Seconds of every variant's objective + backward, the variants alternating."""
    seconds: dict = {name: [] for name in VARIANTS}
    for _ in range(repeats + 2):
        for name, gram in VARIANTS.items():
            objective._gram = gram
            start = time.perf_counter()
            gradient(obj, x0, style_weight)
            seconds[name].append(time.perf_counter() - start)
    objective._gram = BF16_BACKWARD
    return {name: statistics.median(s[2:]) for name, s in seconds.items()}  # the first two warm up


def iteration_seconds(pair, cfg: Config, iterations: int) -> dict:
    """Median seconds per colorize() iteration of each variant (history's steps)."""
    out = {}
    for name, gram in VARIANTS.items():
        objective._gram = gram
        result = colorize(pair["content"], pair["style"], cfg.replace(iterations=iterations))
        seconds = [row["seconds"] for row in result.history]
        steps = [b - a for a, b in zip(seconds, seconds[1:], strict=False)]
        out[name] = statistics.median(steps[2:])
    objective._gram = BF16_BACKWARD
    return out


def main(argv=None) -> int:
    args = parse(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    pair = runs.pair_at(args.pair, max(int(s) for s in args.sizes.split(",")))
    report = dict(benchmark="bf16_gram", pair=pair["name"], preset=runs.FIGURE_PRESET, rows=[],
                  machine=dict(cpu=cpu_model(), cores=os.cpu_count(), torch_threads=torch.get_num_threads(),
                               cpu_flags={f: f in cpu_flags() for f in ("avx512_bf16", "amx_bf16")},
                               load_average_start=os.getloadavg()),
                  versions=versions(), commit=git_commit(), command=command_line())
    for size in (int(s) for s in args.sizes.split(",")):
        made, cfg, gray = objectives(pair, size)
        torch.manual_seed(0)
        x0 = made["bf16"].net.to_input(gray)
        x0 = x0 + 20 * torch.randn_like(x0)  # a content-like image, away from the optimum
        beta = 100.0
        grads = {}
        for name, gram in VARIANTS.items():
            objective._gram = gram
            grads[name] = gradient(made["bf16"], x0, beta)
        objective._gram = BF16_BACKWARD
        g32 = gradient(made["fp32"], x0, beta)

        def rel(a, b):
            return float((a - b).norm() / b.norm())

        evaluation = evaluation_seconds(made["bf16"], x0, beta, args.repeats)
        iteration = iteration_seconds(pair, cfg, args.iterations)
        row = dict(size=size, shape=list(x0.shape[-2:]), evaluation_seconds=evaluation, iteration_seconds=iteration,
                   iteration_ratio=iteration["bf16 backward"] / iteration["fp32 Gram"],
                   gradient_to_fp32_network={n: rel(g, g32) for n, g in grads.items()},
                   gradient_between_variants=rel(grads["bf16 backward"], grads["fp32 Gram"]))
        report["rows"].append(row)
        print(f"{size} px: iteration {iteration['fp32 Gram']:.3f} -> {iteration['bf16 backward']:.3f} s "
              f"({row['iteration_ratio']:.2f}x); evaluation {evaluation['fp32 Gram']:.3f} -> "
              f"{evaluation['bf16 backward']:.3f} s; gradient from the fp32 network's "
              + " / ".join(f"{v:.4f}" for v in row["gradient_to_fp32_network"].values())
              + f", between the two {row['gradient_between_variants']:.4f}", flush=True)
    report["load_average_end"] = os.getloadavg()
    print("wrote", write_json(report, os.path.join(args.out, "bf16_gram.json")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
