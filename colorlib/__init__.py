"""colorkit's helper package: the paper's colorization (Nguyen, Mori, Thawonmas 2016) and what is built on it."""
from .colorize import Result, StepState, colorize
from .config import PRESETS, Config
from .errors import ColorkitError, DivergenceError, Interrupted
from .images import load as load_image

__all__ = ["colorize", "Config", "PRESETS", "Result", "StepState", "ColorkitError", "DivergenceError",
           "Interrupted", "load_image"]
