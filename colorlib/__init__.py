"""colorlib, the package of the colorkit distribution: the paper's colorization (Nguyen, Mori, Thawonmas 2016)
and what is built on it. The paper's loop is colorlib.paper.optimize.optimize; one call is colorize().

The names below load on first use (PEP 562), so that `import colorlib` and the command line start without
importing torch until they need it."""
import importlib

_EXPORTS = {
    "colorize": "colorlib.paper.colorize", "Result": "colorlib.paper.colorize",
    "StepState": "colorlib.paper.colorize", "Config": "colorlib.paper.config", "PRESETS": "colorlib.paper.config",
    "ColorkitError": "colorlib.errors", "DivergenceError": "colorlib.errors", "Interrupted": "colorlib.errors",
    "load_image": "colorlib.images",
}
__all__ = list(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'colorlib' has no attribute {name!r}")
    module = importlib.import_module(_EXPORTS[name])
    value = getattr(module, "load" if name == "load_image" else name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + __all__)
