"""Does bf16 change the result more than the seed does?

bf16 (autocast VGG features; the Gram matrices' forward and the losses stay fp32) against fp32 on the quick
profile's size and schedule (1000 iterations, noise start), the figures' preset (neural-style), on the motorcycle pair
and the 6 ukiyo-e pairs of colorlib/resources/pairs.csv. fp32's own seed-to-seed spread is measured beside it (fp32
with seeds 0 and 1), and bf16's differences (bf16 seed 0 against fp32 seed 0) are compared with it for ΔE2000
against the truth, structure_ssim (SSIM of L*) and the colourfulness ratio, and image to image (ΔE2000 between the
two results). Three runs per pair. The full run (about an hour on an idle 2-core CPU; --threads 1 on a shared machine):

    nice -n 10 .venv/bin/python benchmarks/precision.py

A check that it runs end to end (seconds):

    nice -n 10 .venv/bin/python benchmarks/precision.py --threads 1 --size 48 --iterations 4 --pairs 2 \
        --out /tmp/precision-check

Writes OUT/precision.json (rows per pair, the summary, versions, CPU flags, threads; rewritten after every pair)
and one PNG per pair: fp32 seed 0 | fp32 seed 1 | bf16 seed 0 | 10×|bf16 − fp32|.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # colorlib from this checkout

import numpy as np  # noqa: E402
import torch  # noqa: E402

from colorlib import Config, DivergenceError, data, hardware, images, record  # noqa: E402
from colorlib.evaluation import metrics, runner  # noqa: E402
from colorlib.experiments.profiles import profile  # noqa: E402
from colorlib.experiments.runs import FIGURE_PRESET  # noqa: E402
from colorlib.speedups.cache import colorize_cached  # noqa: E402

METRICS = ("delta_e2000", "structure_ssim", "colourfulness_ratio")
RUNS = (("fp32", 0), ("fp32", 1), ("bf16", 0))  # fp32 seed 0 is the reference of both comparisons


def parse(argv=None):
    quick = profile("quick")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=quick["size"])
    parser.add_argument("--iterations", type=int, default=quick["iterations"])
    parser.add_argument("--pairs", type=int, default=7, help="how many pairs: the motorcycle, then ukiyo-e 0, 1, …")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--preset", default=FIGURE_PRESET, help=f"(default {FIGURE_PRESET}, the figures' preset)")
    parser.add_argument("--first-pair", type=int, default=0, help="0 = the motorcycle, 1 = ukiyo-e pair 0, …")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch's default)")
    parser.add_argument("--out", default="results/benchmarks")
    return parser.parse_args(argv)


def run(pair, config: Config) -> dict:
    """One colorize() run and its metrics against the truth."""
    t, c = time.perf_counter(), time.process_time()
    try:
        res = colorize_cached(pair["content"], pair["style"], config)  # shared with make results' runs
    except DivergenceError as exc:  # recorded, not hidden: the last finite image is what is measured
        res = exc.result
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    truth = images.resize_to(pair["truth"], *res.image.shape[:2])
    scores = metrics.evaluate(res.image, truth)
    return dict(image=res.image, **{m: scores[m] for m in METRICS}, total_loss=res.final.get("total_loss"),
                precision=res.run["precision"], diverged=res.run["diverged"], seconds=wall, cpu_seconds=cpu,
                # the loop's own time (history's clock), without the set-up before it
                seconds_per_iteration=res.history[-1]["seconds"] / len(res.history) if res.history else None)


def compare(pair, runs: dict) -> dict:
    """bf16's difference from fp32 and fp32's seed-to-seed difference, per metric and image to image."""
    ref, seed, bf16 = runs["fp32 seed 0"], runs["fp32 seed 1"], runs["bf16 seed 0"]
    row = dict(pair=pair["name"], runs={k: {m: v for m, v in r.items() if m != "image"} for k, r in runs.items()})
    for m in METRICS + ("image",):
        if m == "image":  # ΔE2000 between the two results themselves
            b, s = metrics.delta_e2000(bf16["image"], ref["image"]), metrics.delta_e2000(seed["image"], ref["image"])
        else:
            b, s = abs(bf16[m] - ref[m]), abs(seed[m] - ref[m])
        row[m] = dict(bf16_difference=b, seed_spread=s, within=b <= s)
    return row


def summarize(rows: list) -> dict:
    """Per metric, over pairs: mean and max of bf16's difference and of the seed spread, and on how many pairs
    bf16's difference is within it. Within overall: bf16's mean difference ≤ the mean seed spread for every one."""
    out = {}
    for m in METRICS + ("image",):
        b, s = [r[m]["bf16_difference"] for r in rows], [r[m]["seed_spread"] for r in rows]
        out[m] = dict(mean_bf16_difference=statistics.mean(b), mean_seed_spread=statistics.mean(s),
                      max_bf16_difference=max(b), max_seed_spread=max(s),
                      pairs_within=sum(r[m]["within"] for r in rows), pairs=len(rows),
                      within=statistics.mean(b) <= statistics.mean(s))
    fp32_s, bf16_s = ([r["runs"][k]["seconds_per_iteration"] for r in rows] for k in ("fp32 seed 0", "bf16 seed 0"))
    out["bf16_within_fp32_seed_spread"] = all(out[m]["within"] for m in METRICS + ("image",))
    out["bf16_over_fp32_seconds_per_iteration"] = statistics.median(b / f for b, f in zip(bf16_s, fp32_s, strict=True))
    return out


def main(argv=None):
    args = parse(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = hardware.resolve_device(args.device)
    os.makedirs(args.out, exist_ok=True)
    count = min(args.pairs, 1 + len(data.pairs()))
    # device as given (not resolved) and the evaluation's sized pairs: the same Config and pixels as make results,
    # so its bf16 runs come from the run cache
    base = Config.from_preset(args.preset, size=args.size, iterations=args.iterations, init="noise",
                              device=args.device)
    report = dict(command=record.command_line(), args=record.portable_args(args),
                  config=base.to_dict(), machine=dict(
                      cpu=hardware.cpu_model(), cores=os.cpu_count(), torch_threads=torch.get_num_threads(),
                      cpu_flags=sorted({"avx2", "avx512f", "avx512_bf16", "amx_bf16"} & hardware.cpu_flags()),
                      device=str(device), load_average_start=os.getloadavg()),
                  versions=record.versions(), rows=[])
    print(f"{'pair':28s} {'metric':20s} {'fp32 s0':>8s} {'fp32 s1':>8s} {'bf16 s0':>8s} {'|bf16−fp32|':>11s} "
          f"{'seed spread':>11s}  within")
    # bf16 requested as 'auto' where 'auto' means bf16: the Config make results used, so its runs are cache hits
    as_requested = {"bf16": "auto"} if hardware.resolve_precision("auto", device)[0] == "bf16" else {}
    for i in range(args.first_pair, count):
        pair = runner.sized(data.motorcycle_pair() if i == 0 else data.load_pair(i - 1), args.size)
        runs = {f"{p} seed {s}": run(pair, base.replace(precision=as_requested.get(p, p), seed=s)) for p, s in RUNS}
        row = compare(pair, runs)
        report["rows"].append(row)
        for m in METRICS + ("image",):
            vals = [f"{runs[k][m]:8.3f}" if m != "image" else f"{'':8s}" for k in runs]
            label = "ΔE2000 to fp32 s0" if m == "image" else m
            print(f"{pair['name']:28s} {label:20s} " + " ".join(vals)
                  + f" {row[m]['bf16_difference']:11.3f} {row[m]['seed_spread']:11.3f}  {row[m]['within']}", flush=True)
        print(f"{'':28s} s/it fp32 {runs['fp32 seed 0']['seconds_per_iteration']:.3f}, bf16 "
              f"{runs['bf16 seed 0']['seconds_per_iteration']:.3f}", flush=True)
        a, s, b = (runs[k]["image"] for k in ("fp32 seed 0", "fp32 seed 1", "bf16 seed 0"))
        images.save(np.concatenate([a, s, b, np.clip(np.abs(b - a) * 10, 0, 1)], axis=1),
                    os.path.join(args.out, f"precision_{pair['name'].replace('<-', '_from_')}.png"))
        report["summary"] = summarize(report["rows"])
        report["machine"]["load_average_end"] = os.getloadavg()
        record.write_json(report, os.path.join(args.out, "precision.json"))
    summary = report["summary"]
    for m in METRICS + ("image",):
        v = summary[m]
        print(f"{m:20s} bf16 differs by {v['mean_bf16_difference']:.3f} on average "
              f"(max {v['max_bf16_difference']:.3f}); "
              f"fp32 seed to seed {v['mean_seed_spread']:.3f} (max {v['max_seed_spread']:.3f}); within on "
              f"{v['pairs_within']}/{v['pairs']} pairs")
    print(f"bf16's differences are {'within' if summary['bf16_within_fp32_seed_spread'] else 'NOT within'} fp32's "
          f"seed-to-seed spread (mean over {count} pairs, every metric); bf16/fp32 seconds per iteration "
          f"{summary['bf16_over_fp32_seconds_per_iteration']:.2f}")


if __name__ == "__main__":
    main()
