"""Run sizes shared by the notebooks, the evaluation and the sweeps: smoke (CI), quick (2-core CPU), paper (GPU).

Every profile keeps the paper's schedule shape — a noise start, L-BFGS, β/α decaying 0.25 % per iteration —
and `quick` and `paper` run all 1000 iterations, so β ends at 8.2 % of its start as in the paper. `quick` only
shrinks the image and uses bf16 where the CPU runs it natively (README, "Profiles")."""
from __future__ import annotations

from colorlib.errors import ColorkitError

PROFILES = {
    "smoke": dict(size=48, iterations=4),  # seconds on a CPU: checks the plumbing, not the pictures
    "quick": dict(size=192, iterations=1000, precision="auto"),  # the paper's schedule at 192 px, 2-core CPU
    "paper": dict(size=512, iterations=1000),  # the paper's recipe (neural-style's 512 px, 1000 iterations)
}


def profile(name: str) -> dict:
    """Config overrides (size, iterations, precision) of the named profile."""
    if name not in PROFILES:
        raise ColorkitError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    return dict(PROFILES[name])
