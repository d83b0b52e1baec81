"""The exemplar result as the start of the paper's loop: does the paper's optimisation improve on it? Used by
`--preset best --iterations N` (colorlib/app/runners.py) and the evaluation's 'best+paper' row."""
from __future__ import annotations

from colorlib.exemplar.method import colorize_exemplar
from colorlib.paper.colorize import Result, colorize
from colorlib.paper.config import Config


def colorize_from_exemplar(content, style, config: Config, references=(), on_step=None, run=colorize) -> Result:
    """colorize_exemplar(content, style, config.size, references) as the initial image of `run` (colorize or
    colorlib.speedups.cache.colorize_cached) under `config`. With config.iterations == 0 the Result's image is
    the exemplar result itself, not its round trip through the network's input."""
    start = colorize_exemplar(content, style, config.size, references)
    result = run(content, style, config, init_image=start, **({"on_step": on_step} if on_step else {}))
    if not config.iterations:
        result.image = start
    return result
