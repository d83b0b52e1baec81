"""The paper's loop eager against replayed from a CUDA graph (lbfgs_form `compact` against `cuda-graph`,
colorlib/paper/graphed.py), side by side on Figure 1's pairs at a profile's size and schedule.

First the check that a replay takes eager's steps: the graph loop run once with every iteration eager
(graphed.CAPTURE off) and once captured, on the first pair, with deterministic cuDNN and TF32 off, compared loss by
loss over `--check-iterations` (identical, or the largest relative difference) and image by image. Then the runs:
per pair, the compact form eager and the graph loop in fp32 (TF32 and cuDNN autotuning on for both, as
speedups.backend sets them), the graph loop in bf16, and both again with the convolutions in NCHW instead of NHWC
(paper/vgg.channels_last_for); seconds of the loop and of the whole colorize() call,
structure, colourfulness and ΔE2000 to the truth, and ΔE2000 between the graph's image and eager's.

    python3 benchmarks/cuda_graph.py --device cuda --profile paper     # on a GPU (benchmarks/gpu_check.sh)
    .venv/bin/python benchmarks/cuda_graph.py --profile smoke --pairs 0 --device cpu   # plumbing (no capture)

Writes OUT/cuda_graph.json (after every run, with versions and machine)."""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # colorlib from this checkout

import numpy as np  # noqa: E402
import torch  # noqa: E402

from colorlib import hardware, record  # noqa: E402
from colorlib.evaluation import metrics  # noqa: E402
from colorlib.experiments import runs  # noqa: E402
from colorlib.paper import graphed, vgg  # noqa: E402
from colorlib.paper.colorize import colorize  # noqa: E402
from colorlib.speedups.backend import tune_backend  # noqa: E402

# (label, lbfgs_form, precision, channels last on CUDA); on a CPU the graph cannot be captured and the eager graph
# loop stands in
VARIANTS = (("eager", "compact", "fp32", True), ("graph", "cuda-graph", "fp32", True),
            ("graph-bf16", "cuda-graph", "bf16", True), ("graph-nchw", "cuda-graph", "fp32", False),
            ("graph-bf16-nchw", "cuda-graph", "bf16", False))


def form_for(form: str, device: torch.device) -> str:
    return form if device.type == "cuda" or form != "cuda-graph" else "compact"


def check_replay(pair: dict, args, device: torch.device) -> dict:
    """The graph loop uncaptured against captured, deterministic kernels: does the replay take the same steps?"""
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    cfg = runs.settings(args.profile, args.device, lbfgs_form=form_for("cuda-graph", device),
                        iterations=args.check_iterations)
    results = []
    for capture in (False, True):
        graphed.CAPTURE = capture
        results.append(colorize(pair["content"], pair["style"], cfg))
    graphed.CAPTURE = True
    torch.backends.cudnn.deterministic = False
    losses = [np.array([[r["total_loss"], r["content_loss"], r["style_loss"]] for r in res.history]) for res in results]
    relative = np.abs(losses[1] - losses[0]) / np.maximum(np.abs(losses[0]), 1e-30)
    return dict(pair=pair["name"], iterations=args.check_iterations, identical_losses=bool((relative == 0).all()),
                max_relative_loss_difference=float(relative.max()),
                first_differing_iteration=int(np.argmax(relative.max(1) > 0)) + 1 if relative.max() > 0 else None,
                images_identical=bool(np.array_equal(results[0].image, results[1].image)),
                delta_e2000_between=float(metrics.delta_e2000(results[1].image, results[0].image)),
                seconds_uncaptured=results[0].run["seconds"], seconds_captured=results[1].run["seconds"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="paper")
    parser.add_argument("--pairs", default="0,1,2", help="rows of pairs.csv (default: Figure 1's)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--check-iterations", type=int, default=200)
    parser.add_argument("--out", default="results/benchmarks")
    args = parser.parse_args(argv)
    device = hardware.resolve_device(args.device)
    rows: list = []
    out = dict(command=record.command_line(), args=record.portable_args(args), versions=record.versions(),
               machine=dict(device=str(device), torch_threads=torch.get_num_threads(), cpu=hardware.cpu_model(),
                            gpu=torch.cuda.get_device_name(device) if device.type == "cuda" else None),
               check=None, backend=None, rows=rows)
    path = os.path.join(args.out, "cuda_graph.json")
    indices = [int(i) for i in args.pairs.split(",")]
    size = runs.settings(args.profile).size
    first = runs.pair_at(indices[0], size)
    out["check"] = check_replay(first, args, device)
    print("replay check:", out["check"], flush=True)
    record.write_json(out, path)
    out["backend"] = tune_backend(device, "fp32")
    for _, form, precision, nhwc in VARIANTS:  # weights, kernels, cuDNN's autotuning: before any timed run
        vgg.CUDA_CHANNELS_LAST = nhwc
        cfg = runs.settings(args.profile, args.device, iterations=10, lbfgs_form=form_for(form, device),
                            precision=precision)
        colorize(first["content"], first["style"], cfg)
    for index in indices:
        pair = runs.pair_at(index, size)
        images = {}
        for label, form, precision, nhwc in VARIANTS:
            vgg.CUDA_CHANNELS_LAST = nhwc
            cfg = runs.settings(args.profile, args.device, lbfgs_form=form_for(form, device), precision=precision)
            start = time.perf_counter()
            result = colorize(pair["content"], pair["style"], cfg)
            if device.type == "cuda":
                torch.cuda.synchronize()
            wall = time.perf_counter() - start
            images[label] = result.image
            score = runs.score(result.image, pair["truth"])
            its = result.run["iterations_run"]
            rows.append(dict(pair=pair["name"], variant=label, lbfgs_form=result.run["lbfgs_form"],
                             precision=result.run["precision"], memory_format=result.run["memory_format"],
                             size=cfg.size, shape=list(result.image.shape[:2]), iterations=its,
                             seconds=result.run["seconds"], seconds_whole_call=round(wall, 3),
                             seconds_per_iteration=result.run["seconds"] / its,
                             final_total_loss=result.run["final"]["total_loss"],
                             delta_e2000_to_eager=float(metrics.delta_e2000(result.image, images["eager"])),
                             **score))
            print(f"{pair['name']:28s} {label:15s} {result.run['seconds']:7.2f} s (call {wall:.2f} s, "
                  f"{1000 * rows[-1]['seconds_per_iteration']:.2f} ms/it)  structure {score['structure_ssim']:.3f}"
                  f"  colourfulness ×{score['colourfulness_ratio']:.3f}  ΔE2000 {score['delta_e2000']:.2f}"
                  f"  ΔE2000 to eager {rows[-1]['delta_e2000_to_eager']:.2f}", flush=True)
            record.write_json(out, path)
        vgg.CUDA_CHANNELS_LAST = True
        eager, graph = rows[-len(VARIANTS)], rows[-len(VARIANTS) + 1]
        print(f"{'':28s} graph / eager time {graph['seconds'] / eager['seconds']:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
