"""Time to quality at the paper's size: the full recipe against multi-resolution schedules, on Figure 1's pairs.

For each pair, preset `neural-style` at 512 px (the `quick` profile's precision): the full recipe — 1000 L-BFGS
iterations from noise, β/α decaying 0.25 % per iteration — with seeds 0 and 1, and each schedule
(colorlib/speedups/multires.py) with seed 0. Per run: seconds, structure, colourfulness / truth, ΔE2000 against the
truth, and ΔE2000 against the full recipe's seed-0 image. The full recipe's own seed-to-seed difference (seed 1
against seed 0) is the yardstick: a schedule is "as close to the full recipe as another seed is" when its ΔE2000
to the full recipe and its structure difference are within that spread.

    .venv/bin/python benchmarks/time_to_quality.py [--pairs 0,1,2] [--schedule NAME=0.5:300:800,1:200:200 ...]

Runs go through the run cache (an interrupted benchmark resumes; a cached run keeps the seconds it was measured
with, and the JSON says which runs were cached). Take the timings on an idle machine: every run of one invocation
uses the same thread count. Writes OUT/time_to_quality.json and one PNG per pair
(its table is in docs/performance.md, made by `python -m colorlib.docs_tables`)."""
from __future__ import annotations

import argparse
import os
import sys
import textwrap
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

from colorlib import data, images  # noqa: E402
from colorlib.evaluation import metrics  # noqa: E402
from colorlib.experiments import profiles, runs  # noqa: E402
from colorlib.hardware import cpu_flags, cpu_model, resolve_device, resolve_precision  # noqa: E402
from colorlib.record import command_line, git_commit, versions, write_json  # noqa: E402
from colorlib.speedups.multires import Schedule  # noqa: E402

FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pairs", default="0,1,2", help="rows of pairs.csv (Figure 1's are 0,1,2)")
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--profile", default="quick", help="whose precision the runs use")
    p.add_argument("--schedule", action="append", default=[], metavar="NAME=TEXT",
                   help="a schedule to measure, scale:iterations:span per stage (default: the quick profile's)")
    p.add_argument("--seeds", default="0,1", help="seeds of the full recipe (the first is the reference)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default torch's own)")
    p.add_argument("--device", default="auto")
    p.add_argument("--out", default="results/benchmarks")
    return p.parse_args(argv)


def schedules(args) -> dict:
    named = {"quick": profiles.QUICK_SCHEDULE}
    for item in args.schedule:
        name, _, text = item.partition("=")
        named[name] = Schedule.parse(text) if text else named[name]
    if args.schedule:
        named = {k: v for k, v in named.items() if any(s.partition("=")[0] == k for s in args.schedule)}
    return named


def measured(result, truth, reference=None) -> dict:
    """The scores of one run, and its ΔE2000 to the reference image (the full recipe, seed 0)."""
    score = runs.score(result.image, truth)
    out = dict(seconds=result.run["seconds"], iterations_run=result.run["iterations_run"],
               cache=result.run.get("cache"), torch_threads=result.run.get("torch_threads"),
               structure=score["structure_ssim"], colourfulness_ratio=score["colourfulness_ratio"],
               delta_e2000=score["delta_e2000"], schedule=result.run.get("schedule"))
    if reference is not None:
        out["delta_e2000_to_full"] = metrics.delta_e2000(result.image, reference)
    return out


def verdict(pair: dict, name: str) -> dict:
    """Is schedule `name` as close to the full recipe as the full recipe's other seed is?"""
    full, other, sched = pair["runs"]["full-seed0"], pair["runs"]["full-seed1"], pair["runs"][name]
    spread_de = other["delta_e2000_to_full"]
    spread_structure = abs(other["structure"] - full["structure"])
    return dict(schedule=name, delta_e2000_to_full=sched["delta_e2000_to_full"], seed_spread_delta_e2000=spread_de,
                within_delta_e2000=sched["delta_e2000_to_full"] <= spread_de,
                structure_difference=sched["structure"] - full["structure"],
                seed_spread_structure=spread_structure,
                within_structure=abs(sched["structure"] - full["structure"]) <= spread_structure,
                time_fraction=sched["seconds"] / full["seconds"])


def main(argv=None) -> int:
    args = parse(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    named = schedules(args)
    seeds = [int(s) for s in args.seeds.split(",")]
    precision = profiles.profile(args.profile).get("precision", "fp32")
    device = resolve_device(args.device)
    report = dict(benchmark="time_to_quality", size=args.size, precision=precision,
                  precision_used=resolve_precision(precision, device)[0], device=str(device),
                  gpu=torch.cuda.get_device_name(device) if device.type == "cuda" else None, seeds=seeds,
                  schedules={k: dict(text=v.to_text(), **v.to_dict()) for k, v in named.items()},
                  machine=dict(cpu=cpu_model(), cores=os.cpu_count(), torch_threads=torch.get_num_threads(),
                               cpu_flags={f: f in cpu_flags() for f in FLAGS}, load_average_start=os.getloadavg()),
                  versions=versions(), commit=git_commit(), command=command_line(), pairs=[])
    start = time.perf_counter()
    for index in (int(i) for i in args.pairs.split(",")):
        pair, row = runs.pair_at(index, args.size), data.pairs()[index]
        cfg = runs.settings(args.profile, args.device, preset=runs.FIGURE_PRESET, size=args.size, iterations=1000,
                            precision=precision)
        truth = images.resize(pair["truth"], args.size)
        entry = dict(pair=index, name=pair["name"], content=row["content"], style=row["style"], runs={})
        images_shown = {}
        reference = None
        for seed in seeds:
            result, _ = runs.run(pair["content"], pair["style"], cfg.replace(seed=seed))
            reference = result.image if reference is None else reference
            entry["runs"][f"full-seed{seed}"] = measured(result, truth, reference)
            images_shown[f"full recipe, seed {seed}"] = result.image
            print(f"{pair['name']} full seed {seed}: {entry['runs'][f'full-seed{seed}']}", flush=True)
        for name, schedule in named.items():
            result, _ = runs.run(pair["content"], pair["style"], cfg.replace(seed=seeds[0]), schedule)
            entry["runs"][name] = measured(result, truth, reference)
            # the panels are narrow: the stages wrapped onto lines of their own
            images_shown[f"{name}:\n{textwrap.fill(schedule.describe(args.size), 30)}"] = result.image
            print(f"{pair['name']} {name}: {entry['runs'][name]}", flush=True)
        entry["verdicts"] = [verdict(entry, name) for name in named]
        report["pairs"].append(entry)
        _figure(truth, images_shown, entry, os.path.join(args.out, f"time_to_quality_{pair['name']}.png"))
    report["summary"] = summary(report, list(named))
    report["wall_seconds"] = round(time.perf_counter() - start, 1)
    path = write_json(report, os.path.join(args.out, "time_to_quality.json"))
    print(f"wrote {path}")
    for line in report["summary"]["lines"]:
        print(line)
    return 0


def summary(report: dict, names: list) -> dict:
    """Means over the pairs, per schedule, and one line each."""
    out, lines = {}, []
    pairs = report["pairs"]

    def mean(values):
        values = list(values)
        return sum(values) / len(values)

    full = dict(seconds=mean(p["runs"]["full-seed0"]["seconds"] for p in pairs),
                structure=mean(p["runs"]["full-seed0"]["structure"] for p in pairs),
                delta_e2000=mean(p["runs"]["full-seed0"]["delta_e2000"] for p in pairs))
    for name in names:
        v = [next(x for x in p["verdicts"] if x["schedule"] == name) for p in pairs]
        r = [p["runs"][name] for p in pairs]
        out[name] = dict(seconds=mean(x["seconds"] for x in r), structure=mean(x["structure"] for x in r),
                         delta_e2000=mean(x["delta_e2000"] for x in r),
                         time_fraction=mean(x["time_fraction"] for x in v),
                         pairs_within_delta_e2000=sum(x["within_delta_e2000"] for x in v),
                         pairs_within_structure=sum(x["within_structure"] for x in v), pairs=len(pairs))
        o = out[name]
        lines.append(f"{name}: {o['seconds']:.0f} s per image ({o['time_fraction']:.2f}× the full recipe's "
                     f"{full['seconds']:.0f} s), structure {o['structure']:.3f} (full {full['structure']:.3f}), "
                     f"ΔE2000 {o['delta_e2000']:.2f} (full {full['delta_e2000']:.2f}); within the seed spread on "
                     f"ΔE2000 to the full recipe for {o['pairs_within_delta_e2000']}/{o['pairs']} pairs, on "
                     f"structure for {o['pairs_within_structure']}/{o['pairs']}")
    return dict(full_recipe=full, schedules=out, lines=lines)


def _figure(truth, shown: dict, entry: dict, path: str) -> None:
    from colorlib.plots import figures as plots

    titles = {"truth": "truth"}
    for key, run in zip(shown, entry["runs"].values(), strict=True):  # one image per run
        titles[key] = (f"{key}\n{run['seconds']:.0f} s, structure {run['structure']:.2f}\n"
                       f"ΔE {run['delta_e2000']:.1f}, ΔE to full recipe {run['delta_e2000_to_full']:.1f}")
    fig = plots.image_row({"truth": truth, **shown}, titles)
    plots.save(fig, path)


if __name__ == "__main__":
    sys.exit(main())
