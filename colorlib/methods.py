"""Every colorization method under one call shape, so the evaluation, sweeps and explorer treat them alike:

    method(content, style, *, size, iterations, seed, device) -> np.ndarray (H, W, 3) RGB in [0, 1]

content is the grayscale input (H, W, 3), style a colour reference; both float arrays in [0, 1]. The output has
the size of `content` resized to `size` on its longer side. Modules register their methods with @register."""
from __future__ import annotations

from .config import Config

METHODS: dict = {}


_MODULE_ORDER = ("baselines", "methods", "best")  # tables list baselines, then the paper, then beyond it
_POSITION: dict = {}


def register(name: str):
    """Decorator: add a method to METHODS under `name`."""
    def wrap(fn):
        module = fn.__module__.rsplit(".", 1)[-1]
        rank = _MODULE_ORDER.index(module) if module in _MODULE_ORDER else len(_MODULE_ORDER)
        _POSITION[name] = (rank, sum(1 for r, _ in _POSITION.values() if r == rank))
        METHODS[name] = fn
        return fn
    return wrap


def names() -> list[str]:
    """Registered method names in a fixed order, whichever module happened to be imported first."""
    return sorted(METHODS, key=lambda n: _POSITION.get(n, (99, 0)))


@register("paper")
def paper(content, style, *, size=256, iterations=1000, seed=0, device="auto", **overrides):
    """The paper's method as written (preset 'paper'), output lightness as optimised."""
    from .colorize import colorize

    return colorize(content, style, Config.from_preset("paper", size=size, iterations=iterations, seed=seed,
                                                       device=device, **overrides)).image


# Methods defined in other modules register on import. At the end, after register() exists, so these modules'
# own `from .methods import register` finds it whichever of them is imported first.
from . import baselines as _baselines  # noqa: E402,F401  (gray, reinhard, welsh)
from . import best as _best  # noqa: E402,F401  (prior, prior+filter, ..., best)
