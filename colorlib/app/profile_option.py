"""`colorkit colorize --profile NAME`: exactly the settings with which `colorkit figures --profile NAME` draws
Figure 1 — preset neural-style at the profile's size and precision, through its multi-resolution schedule where it
has one (colorlib/experiments/profiles.py) — so a reader can reproduce one column of the figure from the shell."""
from __future__ import annotations

from colorlib.errors import ColorkitError
from colorlib.experiments.profiles import FIGURE_PRESET, figure_profile


def profile_text(name: str) -> str:
    fields, schedule = figure_profile(name)
    steps = schedule.describe(fields["size"]) if schedule else f"{fields['size']} px × {fields['iterations']}"
    return f"{steps}, precision {fields.get('precision', 'fp32')}"


def profile_of(args):
    """(Config fields, schedule) of --profile, or ({}, None); resolves args.preset (the figures' preset with a
    profile, else paper) and refuses what a profile's schedule cannot take."""
    profile = getattr(args, "profile", None)
    if getattr(args, "preset", None) is None:
        args.preset = FIGURE_PRESET if profile else "paper"
    if not profile:
        return {}, None
    fields, schedule = figure_profile(profile)
    if schedule is not None:
        if "iterations" in vars(args):
            raise ColorkitError(f"--iterations: profile {profile} runs the schedule "
                                f"{schedule.describe(fields['size'])}; give --iterations without --profile")
        fields["iterations"] = schedule.iterations
    return fields, schedule
