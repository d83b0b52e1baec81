"""`best` on prints it was never tuned on: every print of the collection that is not a content of the kit's pairs,
colorized as `colorkit colorize GRAY auto --style-dir PRINTS --preset best` would do it (the other prints
ranked by colorlib.evaluation.retrieval, the top one the reference, the next registry.VOTERS voting), against
Reinhard with that reference and Reinhard pooled over the same references.

    COLORKIT_DATA=... nice -n 5 .venv/bin/python benchmarks/exemplar_unseen.py [--size 256] [--threads 1]

The methods are the registry's own (colorlib.evaluation.registry), so this measures what `best` is. The truth is
used only for the metrics. Writes OUT/exemplar_unseen.json (rows, means, wins, versions, threads) and .md."""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

from colorlib import color, data, images  # noqa: E402
from colorlib.atomic import atomic_write  # noqa: E402
from colorlib.evaluation import metrics, registry, retrieval  # noqa: E402
from colorlib.record import command_line, portable_args, versions, write_json  # noqa: E402

METHODS = ("best", "best-1ref", "reinhard", "reinhard-pooled")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--limit", type=int, default=0, help="only the first N unseen prints (0 = all)")
    parser.add_argument("--out", default="results/benchmarks")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    tuned = {row["content"] for row in data.pairs()}
    files = sorted(f for f in data.manifest() if f not in tuned)
    paths = {f: data.find(f) for f in data.manifest()}
    unseen = files[: args.limit] if args.limit else files
    rows = []
    for n, name in enumerate(unseen, start=1):
        truth = images.resize(images.load(paths[name]), args.size)
        gray = color.to_gray(truth)
        others = [p for f, p in paths.items() if f != name]  # never the print itself
        ranked = [p for p, _ in retrieval.rank(gray, others, device="cpu")]
        reference, candidates = ranked[0], ranked[1:]
        style = images.load(reference)
        row = dict(print=name, reference=os.path.basename(reference))
        for method in METHODS:
            fn = registry.METHODS[method]
            extra = {"candidates": candidates} if method in registry.RETRIEVING else {}
            t0 = time.perf_counter()
            out = fn(gray, style, size=args.size, iterations=0, seed=0, device="cpu", **extra)
            m = metrics.evaluate(out, truth)
            row[method] = dict(delta_e2000=m["delta_e2000"], colourfulness_ratio=m["colourfulness_ratio"],
                               seconds=round(time.perf_counter() - t0, 2))
        rows.append(row)
        print(f"{n:2d}/{len(unseen)} {name:40s} " + "  ".join(f"{k} {row[k]['delta_e2000']:.2f}" for k in METHODS),
              flush=True)
    summary = {k: dict(delta_e2000=statistics.mean(r[k]["delta_e2000"] for r in rows),
                       colourfulness_ratio=statistics.mean(r[k]["colourfulness_ratio"] for r in rows),
                       below_reinhard=sum(r[k]["delta_e2000"] < r["reinhard"]["delta_e2000"] for r in rows),
                       below_pooled=sum(r[k]["delta_e2000"] < r["reinhard-pooled"]["delta_e2000"] for r in rows),
                       seconds=statistics.mean(r[k]["seconds"] for r in rows)) for k in METHODS}
    record = dict(command=command_line(), args=portable_args(args), prints=len(rows),
                  torch_threads=torch.get_num_threads(), voters=registry.VOTERS,
                  versions=versions(), summary=summary, rows=rows)
    os.makedirs(args.out, exist_ok=True)
    write_json(record, os.path.join(args.out, "exemplar_unseen.json"))
    lines = [f"{len(rows)} prints not tuned on, {args.size} px, {torch.get_num_threads()} torch thread(s); "
             f"reference = retrieval's top pick among the other prints, voters = the next {registry.VOTERS}.", "",
             "| method | mean ΔE2000 | colourfulness / truth | ΔE below Reinhard's | below pooled Reinhard's | s |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {k} | {s['delta_e2000']:.2f} | {s['colourfulness_ratio']:.2f} | {s['below_reinhard']}/{len(rows)} | "
              f"{s['below_pooled']}/{len(rows)} | {s['seconds']:.2f} |" for k, s in summary.items()]
    with atomic_write(os.path.join(args.out, "exemplar_unseen.md"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
