"""The exemplar method (preset 'best', colorlib.exemplar.method) against the baselines, with its ablation.

    COLORKIT_DATA=... nice -n 5 .venv/bin/python benchmarks/exemplar_ablation.py [--size 256] [--out DIR]
                                                                                  [--vote K]

Rows: gray, reinhard, welsh, 'best' (registered: the designated reference plus the registry.VOTERS prints that
colorlib.evaluation.retrieval ranks closest to the gray input, from the collection without the content's own print
and its designated reference; the motorcycle has no collection and keeps its one reference), 'best-1ref' (the
designated reference alone) and 'best-1ref' with each component switched off in turn (the two match confidences
switched on; 'old best' = chroma match 1, the default before issue 19). With --vote K > 0 (default
registry.VOTERS) more rows use the same K retrieved voters: Reinhard pooled over all references (like with like)
and 'best' with one voting setting changed. Per pair and mean: ΔE2000, PSNR, SSIM, colourfulness ratio to the
truth; wins = pairs with ΔE2000 below Reinhard's (single reference); seconds per image (wall, one torch thread,
after a warm-up; the voting rows include the retrieval). Writes DIR/exemplar_ablation.json and .md.

No method sees the truth: the retrieval and the colorization see only the gray input and the candidates."""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from colorlib import images  # noqa: E402
from colorlib.atomic import atomic_write  # noqa: E402
from colorlib.evaluation import baselines, metrics, registry  # noqa: E402
from colorlib.evaluation.runner import candidates_for, evaluation_pairs, run_method  # noqa: E402
from colorlib.exemplar.method import ExemplarConfig, colorize_exemplar  # noqa: E402
from colorlib.record import versions, write_json  # noqa: E402
from colorlib.tables import markdown  # noqa: E402

BASELINES = ("gray", "reinhard", "welsh", "best", "best-1ref")  # registered (colorlib.evaluation.registry)
FULL = ExemplarConfig()
ABLATION = {  # name -> the one field changed from ExemplarConfig(), 'best-1ref' (one reference)
    "old best (1 ref, chroma match 1)": {"chroma_match": 1.0},
    "-vgg (luminance only)": {"layers": ()},
    "-relu3_1,4_1 (relu2_1 only)": {"layers": ("relu2_1",)},
    "-luminance term": {"lum_weight": 0.0},
    "-mirror": {"mirror": False},
    "+cosine confidence": {"confidence": "cosine"},
    "+bidirectional confidence": {"confidence": "bidirectional"},
    "-local linear": {"local_linear": False},
    "-chroma match": {"chroma_match": 0.0},
}
VOTING = {  # name -> change from ExemplarConfig(), with the retrieved voters (k = --vote)
    "shared vote, chroma match 1 (old voting)": {"vote": "shared", "chroma_match": 1.0},
    "shared vote": {"vote": "shared"},
    "chroma match 1": {"chroma_match": 1.0},
    "chroma match 0.5": {"chroma_match": 0.5},
    "-chroma match": {"chroma_match": 0.0},
    "vote_tau 0.03": {"vote_tau": 0.03},
}
METRICS = ("delta_e2000", "psnr", "ssim", "colourfulness_ratio")


def variant(change: dict):
    """'best' with `change` applied to its ExemplarConfig, in the registry's call shape."""
    params = FULL.replace(**change)

    def method(content, style, *, size=256, iterations=0, seed=0, device="auto"):
        return colorize_exemplar(content, style, size, (), params)

    return method


def voters(pair, k, size):
    """The designated reference plus the k prints retrieval ranks closest to the gray input, as 'best' gets them
    in the evaluation (runner.candidates_for, registry.retrieved)."""
    extra = registry.retrieved(pair["content"], candidates_for(pair), k)
    return [pair["style"]] + [images.resize(r, size) for r in extra]


def run_pair(pair, args) -> dict:
    """name -> (image, seconds) of every row on one pair."""
    runs = {}
    for name in BASELINES + tuple(ABLATION):
        method = variant(ABLATION[name]) if name in ABLATION else None
        img, _, sec = run_method(name, pair, size=args.size, iterations=0, seed=0, device="cpu", method=method)
        runs[name] = (img, sec)
    if args.vote > 0:
        t0 = time.perf_counter()
        refs = voters(pair, args.vote, args.size)
        t_ret = time.perf_counter() - t0
        t0 = time.perf_counter()
        pooled = baselines.reinhard(pair["content"], refs[0], size=args.size, references=refs[1:])
        runs[f"reinhard +{args.vote} voters"] = (pooled, t_ret + time.perf_counter() - t0)
        for name, change in VOTING.items():
            t0 = time.perf_counter()
            img = colorize_exemplar(pair["content"], refs[0], args.size, refs[1:], FULL.replace(**change))
            runs[f"+{args.vote} voters, {name}"] = (img, t_ret + time.perf_counter() - t0)
    return runs


def per_pair_table(rows, names, pair_names, key) -> str:
    short = [pn.split("<-")[0] for pn in pair_names]
    table = [{"method": n, **{pn.split("<-")[0]: r[key] for pn in pair_names for r in rows
                              if r["method"] == n and r["pair"] == pn}} for n in names]
    return markdown(table, ["method"] + short)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--size", type=int, default=256, help="longer side in px (default 256)")
    p.add_argument("--vote", type=int, default=registry.VOTERS,
                   help=f"retrieved extra references for the voting rows (0 = none; default {registry.VOTERS})")
    p.add_argument("--out", default="results/benchmarks", help="folder for exemplar_ablation.json/.md")
    args = p.parse_args(argv)
    torch.set_num_threads(1)

    pairs = evaluation_pairs(args.size)
    colorize_exemplar(pairs[0]["content"], pairs[0]["style"], args.size)  # warm-up: VGG weights load once
    rows = []
    for pair in pairs:
        for name, (img, sec) in run_pair(pair, args).items():
            s = metrics.evaluate(np.asarray(img, np.float32), pair["truth"], pair["content"])
            rows.append(dict(pair=pair["name"], method=name, seconds=sec, **{m: s[m] for m in METRICS}))
            print(f"{pair['name']:28s} {name:30s} ΔE {s['delta_e2000']:6.2f}  colourfulness "
                  f"{s['colourfulness_ratio']:5.2f}x  {sec:5.1f} s", file=sys.stderr, flush=True)
    rein = {r["pair"]: r["delta_e2000"] for r in rows if r["method"] == "reinhard"}
    names = list(dict.fromkeys(r["method"] for r in rows))
    pair_names = list(dict.fromkeys(r["pair"] for r in rows))
    summary = []
    for name in names:
        mine = [r for r in rows if r["method"] == name]
        row = {"method": name, **{m: float(np.mean([r[m] for r in mine])) for m in METRICS + ("seconds",)}}
        row["wins_vs_reinhard"] = f"{sum(r['delta_e2000'] < rein[r['pair']] for r in mine)}/{len(mine)}"
        summary.append(row)
    head = (f"{len(pair_names)} pairs at {args.size} px, CPU, 1 torch thread; ExemplarConfig defaults: "
            f"{dataclasses.asdict(FULL)}.")
    text = (head + "\n\nMean per method:\n\n"
            + markdown(summary, ("method", "delta_e2000", "psnr", "ssim", "colourfulness_ratio", "wins_vs_reinhard",
                                 "seconds"))
            + "\n\nΔE2000 per pair:\n\n" + per_pair_table(rows, names, pair_names, "delta_e2000")
            + "\n\nColourfulness ratio per pair:\n\n"
            + per_pair_table(rows, names, pair_names, "colourfulness_ratio"))
    print(text)
    os.makedirs(args.out, exist_ok=True)
    record = {"size": args.size, "vote": args.vote, "config": dataclasses.asdict(FULL), "summary": summary,
              "rows": rows, "versions": versions()}
    write_json(record, os.path.join(args.out, "exemplar_ablation.json"))
    with atomic_write(os.path.join(args.out, "exemplar_ablation.md"), "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
