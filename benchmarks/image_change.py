"""Would stopping when the image stops changing save time? The quick profile's schedule on one Figure 1 pair, with
the image's change every 10 iterations of its last (512-px) stage beside the structure and ΔE2000 it has reached.

The change is the mean |Δ| of the RGB image (values in [0, 1]) over the last 10 iterations — what
`Schedule.stop_change` compares with its threshold (colorlib/speedups/multires.py). Stopping early pays only if the
change falls to a small value while the quality has stopped rising.

    .venv/bin/python benchmarks/image_change.py [--pair 0] [--threads 1] [--out /tmp/image_change.json]

Prints one line per 10 iterations and writes the rows, with the machine, versions, commit and command, to --out
(default: a file in the system's temporary folder; the committed results/ are left to `make results`)."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from colorlib.experiments import runs  # noqa: E402
from colorlib.hardware import cpu_model  # noqa: E402
from colorlib.record import command_line, git_commit, versions, write_json  # noqa: E402
from colorlib.speedups.multires import Schedule, colorize_multires  # noqa: E402

EVERY = 10


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pair", type=int, default=0, help="row of pairs.csv (Figure 1's are 0, 1, 2)")
    p.add_argument("--profile", default="quick", help="whose Figure 1 settings and schedule to run")
    p.add_argument("--schedule", default=None, help="another schedule, scale:iterations:span per stage")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "image_change.json"))
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse(argv)
    torch.set_num_threads(args.threads)
    cfg, schedule = runs.figure_settings(args.profile, device=args.device)
    if args.schedule:
        schedule = Schedule.parse(args.schedule)
    if schedule is None:
        print(f"error: profile {args.profile!r} runs no schedule; give --schedule", file=sys.stderr)
        return 2
    pair = runs.pair_at(args.pair, cfg.size)
    last_stage_from = sum(stage.iterations for stage in schedule.stages[:-1])
    rows: list[dict] = []
    previous: dict = {}

    def on_step(state):
        if state.iteration % EVERY or state.iteration <= last_stage_from:
            return
        image = state.image()
        if "image" in previous:
            score = runs.score(image, pair["truth"])
            rows.append(dict(iteration=state.iteration, change=float(np.abs(image - previous["image"]).mean()),
                             structure=score["structure_ssim"], delta_e2000=score["delta_e2000"]))
            print(rows[-1], flush=True)
        previous["image"] = image

    result = colorize_multires(pair["content"], pair["style"], cfg, schedule, on_step=on_step)
    write_json(dict(benchmark="image_change", pair=args.pair, name=pair["name"], schedule=schedule.to_text(),
                    every=EVERY, rows=rows, seconds=result.run.get("wall_seconds"), torch_threads=args.threads,
                    cpu=cpu_model(), versions=versions(), commit=git_commit(), command=command_line()),
               args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
