"""The same L-BFGS step two ways: torch.optim.LBFGS's two-loop recursion against the compact form
(colorlib/paper/lbfgs.py), side by side on Figure 1's pairs at a profile's size and schedule: seconds per
iteration over the whole run, and the result's structure, colourfulness and ΔE2000 (which differ only by fp32
rounding growing over 1000 iterations).

    python3 benchmarks/lbfgs_form.py --device cuda --profile paper        # on a GPU (benchmarks/gpu_check.sh)
    nice -n 10 .venv/bin/python benchmarks/lbfgs_form.py --profile smoke --pairs 0 --threads 1   # plumbing

Writes OUT/lbfgs_form.json (after every run, with versions, machine and thread count)."""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # colorlib from this checkout

import torch  # noqa: E402

from colorlib import hardware, record  # noqa: E402
from colorlib.experiments import runs  # noqa: E402
from colorlib.paper.colorize import colorize  # noqa: E402

FORMS = ("compact", "two-loop")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="paper")
    parser.add_argument("--pairs", default="0,1,2", help="rows of pairs.csv (default: Figure 1's)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch's default)")
    parser.add_argument("--out", default="results/benchmarks")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = hardware.resolve_device(args.device)
    rows = []
    out = dict(command=record.command_line(), args=record.portable_args(args), versions=record.versions(),
               machine=dict(device=str(device), torch_threads=torch.get_num_threads(), cpu=hardware.cpu_model(),
                            gpu=torch.cuda.get_device_name(device) if device.type == "cuda" else None),
               rows=rows)
    indices = [int(i) for i in args.pairs.split(",")]
    warm = runs.pair_at(indices[0], runs.settings(args.profile).size)
    for form in FORMS:  # load the weights, initialise the device and its kernels before any timed run
        colorize(warm["content"], warm["style"], runs.settings(args.profile, args.device, lbfgs_form=form,
                                                               iterations=3))
    for index in indices:
        for form in FORMS:
            cfg = runs.settings(args.profile, args.device, lbfgs_form=form)
            pair = runs.pair_at(index, cfg.size)
            result = colorize(pair["content"], pair["style"], cfg)
            score = runs.score(result.image, pair["truth"])
            its = result.run["iterations_run"]
            rows.append(dict(pair=pair["name"], form=form, size=cfg.size, iterations=its,
                             seconds=result.run["seconds"], seconds_per_iteration=result.run["seconds"] / its,
                             final_total_loss=result.run["final"]["total_loss"], **score))
            ms = 1000 * rows[-1]["seconds_per_iteration"]
            print(f"{pair['name']:28s} {form:9s} {result.run['seconds']:7.1f} s ({ms:.1f} ms/it)"
                  f"  structure {score['structure_ssim']:.3f}  colourfulness ×{score['colourfulness_ratio']:.3f}"
                  f"  ΔE2000 {score['delta_e2000']:.2f}", flush=True)
            record.write_json(out, os.path.join(args.out, "lbfgs_form.json"))
        two, compact = rows[-1], rows[-2]
        print(f"{'':28s} compact / two-loop time {compact['seconds'] / two['seconds']:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
