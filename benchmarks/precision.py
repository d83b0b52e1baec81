"""Does bf16 change the result? fp32 vs bf16 (autocast VGG features, fp32 Gram/losses) on the same runs.

The evidence for Config.precision's default: `auto` (bf16 where the CPU/GPU has it) may become the default only
if bf16 stays within 0.2 ΔE2000 of fp32 on the motorcycle pair and at least two ukiyo-e pairs, and looks the same.
Writes results/benchmarks/precision.json and one side-by-side PNG per pair (fp32 | bf16 | 10×|difference|).
Usage: python benchmarks/precision.py [--size 128 --iterations 200 --pairs 0,1]
"""
import argparse
import os
import time

import numpy as np
import torch

from colorlib import Config, DivergenceError, colorize, data, hardware, images, record as results
from colorlib.evaluation import metrics

parser = argparse.ArgumentParser()
parser.add_argument("--size", type=int, default=128)
parser.add_argument("--iterations", type=int, default=200)
parser.add_argument("--pairs", default="0,1", help="ukiyo-e pair indices (data/pairs.csv) besides the motorcycle")
parser.add_argument("--out", default="results/benchmarks")
args = parser.parse_args()

os.makedirs(args.out, exist_ok=True)
pairs = [data.motorcycle_pair()] + [data.load_pair(int(i)) for i in args.pairs.split(",") if i]
rows = []
print(f"{'pair':28s} {'dE fp32':>8s} {'dE bf16':>8s} {'|Δ|':>6s} {'loss fp32':>10s} {'loss bf16':>10s} "
      f"{'s fp32':>7s} {'s bf16':>7s} {'max|px diff|':>12s}")
for pair in pairs:
    out = {}
    for precision in ("fp32", "bf16"):
        cfg = Config.from_preset("paper", size=args.size, iterations=args.iterations, init="content",
                                 precision=precision, device="cpu")
        t = time.perf_counter()
        try:
            res = colorize(pair["content"], pair["style"], cfg)
        except DivergenceError as exc:  # recorded, not hidden: the last finite image is what is measured
            res = exc.result
        secs = time.perf_counter() - t
        truth = images.resize_to(pair["truth"], *res.image.shape[:2])
        out[precision] = dict(image=res.image, delta_e2000=metrics.delta_e2000(res.image, truth),
                              total_loss=res.final.get("total_loss"), seconds=secs,
                              diverged=res.run["diverged"])
    a, b = out["fp32"], out["bf16"]
    diff = np.abs(a["image"] - b["image"])
    row = dict(pair=pair["name"], delta_e_fp32=a["delta_e2000"], delta_e_bf16=b["delta_e2000"],
               delta_e_gap=abs(a["delta_e2000"] - b["delta_e2000"]),
               delta_e_fp32_vs_bf16=metrics.delta_e2000(b["image"], a["image"]),
               total_loss_fp32=a["total_loss"], total_loss_bf16=b["total_loss"],
               seconds_fp32=a["seconds"], seconds_bf16=b["seconds"],
               diverged_fp32=a["diverged"], diverged_bf16=b["diverged"],
               max_abs_pixel_diff=float(diff.max()), mean_abs_pixel_diff=float(diff.mean()))
    rows.append(row)
    name = pair["name"].replace("<-", "_from_")
    images.save(np.concatenate([a["image"], b["image"], np.clip(diff * 10, 0, 1)], axis=1),
                f"{args.out}/precision_{name}.png")
    print(f"{row['pair']:28s} {row['delta_e_fp32']:8.2f} {row['delta_e_bf16']:8.2f} {row['delta_e_gap']:6.2f} "
          f"{row['total_loss_fp32']:10.4g} {row['total_loss_bf16']:10.4g} {row['seconds_fp32']:7.1f} "
          f"{row['seconds_bf16']:7.1f} {row['max_abs_pixel_diff']:12.3f}", flush=True)

verdict = all(r["delta_e_gap"] <= 0.2 for r in rows) and len(rows) >= 3
summary = dict(max_delta_e_gap=max(r["delta_e_gap"] for r in rows), within_0_2_on_all=verdict)
print(f"max |ΔE fp32 − ΔE bf16| = {summary['max_delta_e_gap']:.3f}; within 0.2 on all pairs: {verdict}")
results.write_json(dict(args=vars(args), machine=dict(cpu=hardware.cpu_model(), load_average=os.getloadavg(),
                                                      torch_threads=torch.get_num_threads(),
                                                      bf16_flags=sorted({"avx512_bf16", "amx_bf16"} & hardware.cpu_flags())),
                        versions=results.versions(), rows=rows, summary=summary),
                   f"{args.out}/precision.json")
