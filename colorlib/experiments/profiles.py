"""Run sizes shared by the notebooks, the evaluation and the sweeps: smoke (CI), quick (2-core CPU), paper (GPU).

Two settings per profile:

- ``PROFILES``: the studies that run many colorizations (Figure 2, Figure 1's ablation, the evaluation, the
  explorer's start). Every profile keeps the paper's schedule — noise start, L-BFGS, β/α decaying 0.25 % per
  iteration — and `quick` and `paper` run all 1000 iterations, so β ends at 8.2 % of its start as in the paper;
  `quick` shrinks the image to 128 px and uses bf16 where the CPU runs it natively: at 192 px the studies alone
  took `make results` past 30 minutes on a 2-core CPU (docs/performance.md, "The run cache").
- ``FIGURE``: Figure 1 and ``colorkit colorize --profile NAME``. `quick` draws it at the paper's 512 px on a CPU
  through the multi-resolution schedule (colorlib/speedups/multires.py), whose β/α schedule still ends where the
  paper's does; `paper` runs the paper's recipe itself, meant for a GPU
  (docs/reproducing_the_paper.md, "Profiles"; docs/performance.md, "Time to quality")."""
from __future__ import annotations

from typing import Any

from colorlib.errors import ColorkitError
from colorlib.speedups.multires import Schedule, Stage

# The preset that makes the figures: neural-style's own losses and defaults, the tool the paper's figures were made
# with. The paper's equations as written (preset 'paper') keep the print's layout too but leave colour noise that
# neural-style's TV term removes (docs/reproducing_the_paper.md, "Figure 1 ablation").
FIGURE_PRESET = "neural-style"

PROFILES: dict[str, dict[str, Any]] = {
    "smoke": dict(size=48, iterations=4),  # seconds on a CPU: checks the plumbing, not the pictures
    "quick": dict(size=128, iterations=1000, precision="auto"),  # the paper's schedule at 128 px, 2-core CPU
    "paper": dict(size=512, iterations=1000),  # the paper's recipe (neural-style's 512 px, 1000 iterations)
}

# Figure 1 on a 2-core CPU at 512 px, "fine first": the first 200 iterations at 512 px, where the colours are placed,
# then 400 at 256 px covering the next 500 of the paper's schedule and 200 at 512 px covering the last 300. Chosen by
# benchmarks/time_to_quality.py: as close to the full recipe as its other seed on ΔE2000 for all three pairs, where
# 100 first iterations reach two (docs/performance.md, "Time to quality").
QUICK_SCHEDULE = Schedule((Stage(1.0, 200, 200), Stage(0.5, 400, 500), Stage(1.0, 200, 300)))

FIGURE: dict[str, dict[str, Any]] = {
    "smoke": dict(size=48, iterations=4, schedule=Schedule((Stage(0.5, 2, 2), Stage(1.0, 2, 2)))),
    "quick": dict(size=512, iterations=1000, precision="auto", schedule=QUICK_SCHEDULE),
    "paper": dict(size=512, iterations=1000, schedule=None),
}


def _known(name: str) -> None:
    if name not in PROFILES:
        raise ColorkitError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")


def profile(name: str) -> dict:
    """Config overrides (size, iterations, precision) of the named profile's studies."""
    _known(name)
    return dict(PROFILES[name])


def figure_profile(name: str) -> tuple[dict, Schedule | None]:
    """(Config overrides, multi-resolution schedule or None) with which the named profile draws Figure 1 — and
    which ``colorkit colorize --profile NAME`` runs on any pair."""
    _known(name)
    settings = dict(FIGURE[name])
    return settings, settings.pop("schedule")
