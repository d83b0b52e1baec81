"""The sweep that chose the paper preset's initial β/α (the paper does not state it).

For the motorcycle pair and one ukiyo-e pair, and each β/α: the paper preset (noise init, L-BFGS, decay 0.25 %/it) at a small size; prints
ΔE2000 against the true colours and colourfulness ratio, for the raw output and with the input's lightness
kept (computed from the same run). Usage: python benchmarks/style_weight_sweep.py [--size 96 --iterations 200]
"""
import argparse
import json
import os
import sys
import time

from colorlib import Config, DivergenceError, colorize, color, data, images, record as results
from colorlib.evaluation import metrics

parser = argparse.ArgumentParser()
parser.add_argument("--size", type=int, default=96)
parser.add_argument("--iterations", type=int, default=200)
parser.add_argument("--ratios", default="1e2,1e3,1e4,1e5,1e6")
parser.add_argument("--out", default="results/sweeps/style_weight")
args = parser.parse_args()

pairs = [data.motorcycle_pair(), data.load_pair(0)]
rows = []
os.makedirs(args.out, exist_ok=True)
print(f"{'pair':28s} {'beta/alpha':>10s} {'dE raw':>7s} {'dE keepL':>8s} {'colour×':>7s} {'Lc':>10s} {'Ls':>10s} {'s':>6s}")
for pair in pairs:
    for ratio in [float(r) for r in args.ratios.split(",")]:
        cfg = Config.from_preset("paper", size=args.size, iterations=args.iterations, style_weight=ratio)
        t = time.perf_counter()
        try:
            res = colorize(pair["content"], pair["style"], cfg)
        except DivergenceError as exc:
            print(f"{pair['name']:28s} {ratio:10.0e} diverged: {exc}", flush=True)
            rows.append(dict(pair=pair["name"], style_weight=ratio, diverged=str(exc)))
            continue
        secs = time.perf_counter() - t
        truth = images.resize_to(pair["truth"], *res.image.shape[:2])
        gray = color.to_gray(truth)
        kept = color.keep_lightness(gray, res.image)
        m_raw, m_kept = metrics.evaluate(res.image, truth), metrics.evaluate(kept, truth)
        row = dict(pair=pair["name"], style_weight=ratio, delta_e_raw=m_raw["delta_e2000"],
                   delta_e_keep_luminance=m_kept["delta_e2000"], colourfulness_ratio=m_raw["colourfulness_ratio"],
                   colourfulness_ratio_keep_luminance=m_kept["colourfulness_ratio"],
                   delta_e_gray=metrics.delta_e2000(gray, truth),
                   content_loss=res.final["content_loss"], style_loss=res.final["style_loss"], seconds=secs)
        rows.append(row)
        images.save(res.image, f"{args.out}/{pair['name'].replace('<-', '_from_')}_{ratio:g}.png")
        print(f"{pair['name']:28s} {ratio:10.0e} {row['delta_e_raw']:7.2f} {row['delta_e_keep_luminance']:8.2f} "
              f"{row['colourfulness_ratio']:7.2f} {row['content_loss']:10.3g} {row['style_loss']:10.3g} {secs:6.1f}",
              flush=True)
results.write_json({"args": vars(args), "versions": results.versions(), "rows": rows}, f"{args.out}/sweep.json")
