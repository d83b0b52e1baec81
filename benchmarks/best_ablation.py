"""The exemplar method's ablation on the evaluation set: each stage switched on in turn, against the baselines.

    nice -n 10 .venv/bin/python benchmarks/best_ablation.py [--size 256] [--paper-iterations 0] [--out DIR]

Prints one row per method (mean over the ukiyo-e pairs of data/pairs.csv and the motorcycle pair): ΔE2000
against the true colours, PSNR, SSIM, colourfulness as a ratio to the truth's, wall and CPU seconds per image
(CPU time summed over threads: on a shared machine the wall time mostly measures the other jobs); writes
DIR/best_ablation.json (+ .md). The paper's optimisation is slow on a CPU, so its row is opt-in
(--paper-iterations N > 0); the evaluation notebook has it."""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from colorlib.atomic import atomic_write  # noqa: E402
from colorlib.evaluation import metrics  # noqa: E402
from colorlib.evaluation.runner import evaluation_pairs, run_method, summarise  # noqa: E402
from colorlib.exemplar.method import ExemplarConfig, colorize_exemplar  # noqa: E402
from colorlib.record import versions, write_json  # noqa: E402
from colorlib.tables import markdown  # noqa: E402

BASELINES = ("gray", "reinhard", "welsh")
ABLATION = ("prior", "prior+filter", "prior+chroma", "best", "best-relu3_1", "best-relu2_1,3_1", "best+paper")
# the matching layer's ablation: the exemplar method with other layers (not in the registry: settled here)
LAYER_VARIANTS = {"best-relu3_1": ("relu3_1",), "best-relu2_1,3_1": ("relu2_1", "relu3_1")}
COLUMNS = ("method", "delta_e2000", "psnr", "ssim", "colourfulness_ratio", "beats_gray", "seconds", "cpu_seconds")


def layer_variant(layers: tuple):
    """The exemplar method matching on `layers`, in the registry's call shape."""
    params = ExemplarConfig(layers=layers)

    def method(content, style, *, size=256, iterations=0, seed=0, device="auto"):
        return colorize_exemplar(content, style, size, (), params)

    return method


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--size", type=int, default=256, help="longer side in px (default 256)")
    p.add_argument("--optim-iterations", type=int, default=30, help="iterations of the best+paper row (default 30)")
    p.add_argument("--paper-iterations", type=int, default=0, help="add the paper's row with N iterations (0 = no)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="results/benchmarks", help="folder for best_ablation.json/.md")
    args = p.parse_args(argv)

    methods = list(BASELINES) + list(ABLATION) + (["paper"] if args.paper_iterations > 0 else [])
    iterations = {"best+paper": args.optim_iterations, "paper": args.paper_iterations}
    local = {name: layer_variant(layers) for name, layers in LAYER_VARIANTS.items()}
    rows = []
    for pair in evaluation_pairs(args.size):
        for name in methods:
            cpu0 = time.process_time()
            img, status, seconds = run_method(name, pair, size=args.size, iterations=iterations.get(name, 0),
                                              seed=args.seed, device="cpu", method=local.get(name))
            cpu = time.process_time() - cpu0  # summed over threads; less sensitive than wall time to a busy host
            scores = metrics.evaluate(img, pair["truth"], pair["content"])
            rows.append(dict(pair=pair["name"], method=name, status=status, **scores, seconds=seconds,
                             cpu_seconds=cpu))
            print(f"{pair['name']:28s} {name:34s} ΔE {scores['delta_e2000']:6.2f}  colourfulness "
                  f"{scores['colourfulness_ratio']:5.2f}x  {seconds:6.1f} s  {cpu:6.1f} s CPU", file=sys.stderr,
                  flush=True)
    summary = summarise(rows)
    for row in summary:  # summarise() averages its own metric list; add the CPU time
        row["cpu_seconds"] = sum(r["cpu_seconds"] for r in rows if r["method"] == row["method"]) / row["pairs"]
    table = markdown(summary, COLUMNS)
    head = (f"Mean over {summary[0]['pairs']} pairs at {args.size} px, seed {args.seed}, CPU; "
            f"best+paper {args.optim_iterations} its" + (f", paper {args.paper_iterations} its" if args.paper_iterations
                                                     else "") + ".")
    print(head + "\n\n" + table)
    os.makedirs(args.out, exist_ok=True)
    write_json(dict(size=args.size, seed=args.seed, iterations=iterations, methods=methods, summary=summary,
                    rows=rows, versions=versions()), os.path.join(args.out, "best_ablation.json"))
    with atomic_write(os.path.join(args.out, "best_ablation.md"), "w", encoding="utf-8") as fh:
        fh.write(head + "\n\n" + table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
