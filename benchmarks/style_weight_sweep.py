"""The sweep that picks the paper preset's β/α (the paper does not state it), measured on structure and colour.

Setting: the paper's equations (½Σ(F−P)², Σ(G−A)²/(4N²M²), w_l = 1/5) on the Caffe-blob layers neural-style
uses (content relu4_2; style relu1_1..relu5_1: Caffe's ReLU is in-place, so the paper's "conv4_2" is the
rectified activation), noise start, L-BFGS, the full schedule with β/α cut by 0.25 % per iteration, bf16 autocast
where the CPU has it (precision "auto"), seed 0, α = 1. β/α is defined at 512 px and scaled by M_c(size)/M_c(512)
(positions of relu4_2, (h//8)·(w//8), for the same image resized to each size), since L_content grows with M
and E_l does not. Reference row: preset "neural-style" (its own scaling and weights + the paper's decay).

For each run: structure (SSIM of L* against the true print at 128 px, Gaussian σ = 1 px; see structure_ssim),
colourfulness ratio and ΔE2000 against the true print, final total loss, loss spikes (total loss up > 10× from
one iteration to the next), seconds; the result PNG. Rows are appended to <out>.csv as each run finishes and
<out>.json is rewritten (versions, threads, CPU); runs already in the CSV are skipped, so it resumes.

Command (from the project root, one CPU thread):

    nice -n 5 .venv/bin/python benchmarks/style_weight_sweep.py \\
        --size 192 --iterations 1000 --pairs 3 --out results/benchmarks/style_weight_sweep

Choice rule: the largest β/α@512 whose mean structure over the pairs is ≥ 0.6 with no pair below 0.5.
"""
import argparse
import csv
import math
import os
import time

import numpy as np
import torch

from colorlib import Config, DivergenceError, color, colorize, data, images, record as results
from colorlib.evaluation import metrics
from colorlib.evaluation.metrics import structure_ssim
from colorlib.paper.colorize import style_weight_for

FIELDS = ["pair", "setting", "ratio_512", "ratio_used", "content_weight", "style_weight", "size", "iterations",
          "structure", "colourfulness_ratio", "delta_e2000", "final_total_loss", "loss_spikes", "diverged",
          "iterations_run", "precision", "seconds", "png"]


def read_done(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def append_row(path, row):
    new = not os.path.exists(path)
    with open(path, "a", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        if new:
            writer.writeheader()
        writer.writerow({k: row.get(k, "") for k in FIELDS})
        fh.flush()
        os.fsync(fh.fileno())


def summarize(rows, min_mean=0.6, min_pair=0.5) -> dict:
    """Per setting: structure per pair and the means; the rule's choice among the paper-relu settings."""
    by = {}
    for r in rows:
        by.setdefault(r["setting"], []).append(r)
    table = []
    for setting, rs in by.items():
        mean = {k: float(np.mean([float(r[k]) for r in rs])) for k in
                ("structure", "colourfulness_ratio", "delta_e2000", "seconds")}
        table.append(dict(setting=setting, ratio_512=rs[0]["ratio_512"], pairs=len(rs),
                          structure={r["pair"]: float(r["structure"]) for r in rs},
                          min_structure=min(float(r["structure"]) for r in rs),
                          loss_spikes=sum(int(r["loss_spikes"]) for r in rs),
                          **{f"mean_{k}": v for k, v in mean.items()}))
    table.sort(key=lambda t: float(t["ratio_512"]) if t["ratio_512"] else math.inf)  # reference rows last
    full = max(t["pairs"] for t in table)
    paper = [t for t in table if t["ratio_512"]]
    ok = [t for t in paper if t["pairs"] == full and t["mean_structure"] >= min_mean and t["min_structure"] >= min_pair]
    # a setting with pairs still to run is already out if one pair is below min_pair; otherwise it is open
    open_ = [t for t in paper if t["pairs"] < full and t["min_structure"] >= min_pair]
    choice = max(ok, key=lambda t: float(t["ratio_512"]))["ratio_512"] if ok else None
    if choice is not None and any(float(t["ratio_512"]) > float(choice) for t in open_):
        choice = None  # a larger, unfinished setting could still pass
    return dict(table=table, rule=f"largest β/α@512 with mean structure ≥ {min_mean} and no pair < {min_pair}",
                passing=[t["ratio_512"] for t in ok], open=[t["ratio_512"] for t in open_], choice=choice)


def print_summary(summary):
    print(f"{'setting':22s} {'β/α@512':>8s} {'structure per pair':>26s} {'mean':>6s} {'colour×':>7s} {'ΔE':>6s} "
          f"{'spikes':>6s} {'s/run':>6s}")
    for t in summary["table"]:
        per = " ".join(f"{v:.3f}" for v in t["structure"].values())
        print(f"{t['setting']:22s} {t['ratio_512']:>8s} {per:>26s} {t['mean_structure']:6.3f} "
              f"{t['mean_colourfulness_ratio']:7.3f} {t['mean_delta_e2000']:6.2f} {t['loss_spikes']:6d} "
              f"{t['mean_seconds']:6.0f}")
    print(f"rule: {summary['rule']} -> passing {summary['passing']}, not yet judged {summary['open']}; "
          f"choice β/α@512 = {summary['choice']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=192)
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=3, help="the first N pairs of the kit's pairs.csv")
    parser.add_argument("--ratios", default="1e2,3e2,1e3,3e3,1e4", help="β/α at 512 px, comma-separated")
    parser.add_argument("--no-reference", action="store_true", help="leave out the neural-style preset row")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--summary", action="store_true", help="only print the table and the rule's choice")
    parser.add_argument("--out", default="results/benchmarks/style_weight_sweep",
                        help="path stem: <out>.csv, <out>.json and the PNGs in <out>/")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    csv_path, json_path, png_dir = args.out + ".csv", args.out + ".json", args.out
    if args.summary:
        print_summary(summarize(read_done(csv_path)))
        return
    os.makedirs(png_dir, exist_ok=True)
    ratios = [float(r) for r in args.ratios.split(",") if r.strip()]
    settings = [("paper-relu", r) for r in ratios] + ([] if args.no_reference else [("neural-style", None)])

    pair_rows = data.pairs()[: args.pairs]
    pairs = []
    for row in pair_rows:
        content_path, style_path = data.find(row["content"]), data.find(row["style"])
        truth_full = images.load(content_path)
        name = data.print_stem(row["content"]) + "<-" + data.print_stem(row["style"])
        truth = images.resize(truth_full, args.size)
        factor = style_weight_for(Config(style_weight=1.0), truth.shape)  # M_c(size) / M_c(512)
        gray_structure = structure_ssim(color.to_gray(truth), truth)
        pairs.append(dict(name=name, content=content_path, style=style_path, factor=factor,
                          gray_structure=gray_structure))
        print(f"{name}: M_c({args.size})/M_c(512) = {factor:.4f}, gray-input structure={gray_structure:.4f}",
              flush=True)

    done = {(r["pair"], r["setting"]) for r in read_done(csv_path)}
    meta = dict(args=results.portable_args(args), command=results.command_line(), versions=results.versions(),
                torch_threads=torch.get_num_threads(), cpu=results.versions().get("cpu"),
                pairs=[{k: p[k] for k in ("name", "factor", "gray_structure")} for p in pairs],
                rule="largest β/α@512 with mean structure ≥ 0.6 and no pair below 0.5")

    def write_json():
        rows = read_done(csv_path)
        results.write_json({**meta, "summary": summarize(rows) if rows else None, "rows": rows}, json_path)

    write_json()
    for setting, ratio in settings:
        label = setting if ratio is None else f"{setting}@{ratio:g}"
        for p in pairs:
            if (p["name"], label) in done:
                print(f"skip {p['name']} {label} (in {csv_path})", flush=True)
                continue
            if ratio is None:
                cfg = Config.from_preset("neural-style", size=args.size, iterations=args.iterations, init="noise",
                                         precision="auto", seed=0)
                ratio_512, used = "", cfg.style_weight / cfg.content_weight
            else:
                used = ratio * p["factor"]  # what the preset's size normalisation does (recorded in the run)
                cfg = Config.from_preset("paper", size=args.size, iterations=args.iterations, init="noise",
                                         style_weight=ratio, precision="auto", seed=0)
                ratio_512 = ratio
            t = time.perf_counter()
            diverged = ""
            try:
                res = colorize(p["content"], p["style"], cfg)
            except DivergenceError as exc:
                res, diverged = exc.result, str(exc)
            secs = time.perf_counter() - t
            truth = images.resize_to(images.load(p["content"]), *res.image.shape[:2])
            m = metrics.evaluate(res.image, truth)
            png = os.path.join(png_dir, f"{p['name'].replace('<-', '_from_')}_{label.replace('@', '_')}.png")
            images.save(res.image, png)
            row = dict(pair=p["name"], setting=label, ratio_512=ratio_512, ratio_used=f"{used:.6g}",
                       content_weight=cfg.content_weight, style_weight=f"{cfg.style_weight:.6g}", size=args.size,
                       iterations=args.iterations, structure=f"{structure_ssim(res.image, truth):.4f}",
                       colourfulness_ratio=f"{m['colourfulness_ratio']:.4f}", delta_e2000=f"{m['delta_e2000']:.3f}",
                       final_total_loss=f"{res.final.get('total_loss', math.nan):.6g}",
                       loss_spikes=res.run["spike_count"], diverged=diverged,
                       iterations_run=res.run.get("iterations_run"), precision=res.run.get("precision"),
                       seconds=f"{secs:.1f}", png=png)
            append_row(csv_path, row)
            write_json()
            print(" ".join(f"{k}={row[k]}" for k in FIELDS if k not in ("png", "size", "iterations")), flush=True)
    print_summary(summarize(read_done(csv_path)))


if __name__ == "__main__":
    main()
