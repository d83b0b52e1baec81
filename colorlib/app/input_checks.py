"""Checks on the inputs before any work, once they can be read: every image decodes, the weights are a file, the
run fits in memory at --size (an estimate, refused with its numbers), the output format holds the result's size."""
from __future__ import annotations

import sys

import numpy as np

from colorlib import color, file_input, images
from colorlib.app.memory import available_bytes, estimate_bytes, human
from colorlib.errors import ColorkitError, one_line
from colorlib.paper.config import PRESETS, Config


def check_inputs(args, config: Config, inputs: dict) -> tuple[np.ndarray, bool]:
    """Read and check `inputs` ({"content", "style", "init_image", "weights"}: paths) before any work; return the
    content's gray at the run's size (what a finished image's size and lightness follow) and whether the content
    is in colour."""
    from colorlib.paper.colorize import prepare

    content = images.load(inputs["content"])
    height, width = images.resized_shape(content.shape, config.size)
    _check_memory(config, PRESETS[args.preset].runner, height * width, max(content.shape[:2]))  # before resizing
    # the network's size checks, with the messages colorize() gives (style 'auto' checks its candidates later)
    gray = prepare(inputs["content"], inputs.get("style", inputs["content"]), config)[0]
    if "init_image" in inputs:
        images.load(inputs["init_image"])
    if "weights" in inputs:
        file_input.require_file(inputs["weights"], "weights file")
    images.check_holds(args.output, height, width)
    if config.size > max(content.shape[:2]):
        print(f"notice: --size {config.size} is larger than the content's {max(content.shape[:2])} px: it is "
              f"upscaled, with no more detail than the input has", file=sys.stderr)
    return gray, not color.is_gray(content)


def _check_memory(config: Config, runner: str, pixels: int, input_side: int) -> None:
    from colorlib.hardware import resolve_device

    need = estimate_bytes(config, runner, pixels, pixels * config.style_size_ratio ** 2)
    free = available_bytes(resolve_device(config.device))
    if free is not None and need > free:
        raise ColorkitError(f"--size {config.size}: this run needs about {human(need)} of memory and "
                            f"{human(free)} is available (the content is {input_side} px on its longer side); "
                            f"try a smaller --size")


def colour_content_notice(content_path) -> None:
    """The notice for a content image in colour: it is grayscaled first and its colours are not used."""
    print(f"notice: {one_line(content_path)} is in colour: it is grayscaled first (only its lightness is used)",
          file=sys.stderr)
