"""Run sizes shared by the notebooks, the evaluation and the sweeps: smoke (CI), quick (2-core CPU), paper (GPU)."""
from __future__ import annotations

from .errors import ColorkitError

PROFILES = {
    "smoke": dict(size=48, iterations=4),  # seconds on a CPU: checks the plumbing, not the pictures
    "quick": dict(size=192, iterations=200),  # the whole kit in about 20 minutes on 2 CPU cores
    "paper": dict(size=512, iterations=1000),  # the paper's recipe (neural-style's 512 px, 1000 iterations)
}


def profile(name: str) -> dict:
    """Config overrides (size, iterations) of the named profile."""
    if name not in PROFILES:
        raise ColorkitError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    return dict(PROFILES[name])
