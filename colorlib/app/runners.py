"""How each preset runs: the runner its colorlib.paper.config.PRESETS entry names, resolved here (paper/ may not
import speedups/ or exemplar/). The CLI and the explorer both run presets through run_preset()."""
from __future__ import annotations

import sys

from colorlib import images
from colorlib.errors import ColorkitError
from colorlib.paper.config import PRESETS, Config


def runner_of(preset: str) -> str:
    """The runner name of `preset` (ColorkitError for an unknown preset)."""
    if preset not in PRESETS:
        raise ColorkitError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[preset].runner


def run_preset(preset: str, content, style, config: Config, on_step=None, references=()):
    """The Result of `preset` under `config`: the paper's loop ('colorize'), with speed-ups ('staged'), or the
    exemplar method ('exemplar', with `references` voting beside `style`, optimised on top with --iterations N)."""
    runner = runner_of(preset)
    if runner == "staged":
        from colorlib.speedups.staged import FAST, colorize_faster

        return colorize_faster(content, style, config, FAST, on_step=on_step)
    if runner == "exemplar":
        from colorlib.exemplar.refine import colorize_from_exemplar

        if config.iterations:
            print(f"notice: preset {preset} with --iterations {config.iterations}: the exemplar result is "
                  f"optimised further with the paper's objective", file=sys.stderr)
        return colorize_from_exemplar(images.as_array(content, "content"), images.as_array(style, "style"), config,
                                      [images.load(r) for r in references], on_step=on_step)
    from colorlib.paper.colorize import colorize

    return colorize(content, style, config, on_step=on_step)
