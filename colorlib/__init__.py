"""colorlib, the package of the colorkit distribution: the paper's colorization (Nguyen, Mori, Thawonmas 2016)
and what is built on it. The paper's loop is colorlib.paper.optimize.optimize; one call is colorize()."""
from colorlib.errors import ColorkitError, DivergenceError, Interrupted
from colorlib.images import load as load_image
from colorlib.paper.colorize import Result, StepState, colorize
from colorlib.paper.config import PRESETS, Config

__all__ = ["colorize", "Config", "PRESETS", "Result", "StepState", "ColorkitError", "DivergenceError",
           "Interrupted", "load_image"]
