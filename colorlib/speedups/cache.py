"""Nothing twice: finished colorize() runs cached by a content address, so a second `make results` with nothing
changed reads results instead of recomputing them, and a change to one notebook reruns only its own runs.

The address hashes everything that decides a run's numbers: the decoded pixels of the inputs, the resolved
Config, colorlib's version and source code, torch's version, the torch thread count, the device and the
precision actually used.
Folder: $COLORKIT_CACHE, else ~/.cache/colorkit/runs ($XDG_CACHE_HOME respected); delete it to clear the cache.
COLORKIT_NO_CACHE=1 (or `colorkit figures --no-cache`) switches it off."""
from __future__ import annotations

import functools
import hashlib
import json
import os

import numpy as np
import torch

from colorlib import images
from colorlib.atomic import write_together
from colorlib.hardware import resolve_device, resolve_precision
from colorlib.paper.colorize import Result, colorize
from colorlib.paper.config import Config
from colorlib.record import json_text, versions

CACHE_ENV, OFF_ENV = "COLORKIT_CACHE", "COLORKIT_NO_CACHE"


def cache_dir() -> str:
    if os.environ.get(CACHE_ENV):
        return os.environ[CACHE_ENV]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "colorkit", "runs")


def enabled() -> bool:
    return os.environ.get(OFF_ENV, "") in ("", "0")


def run_key(content, style, config: Config, init_image=None) -> str:
    """The content address of colorize(content, style, config, init_image=init_image)."""
    device = resolve_device(config.device)
    h = hashlib.sha256()
    for name, image in (("content", content), ("style", style), ("init", init_image)):
        if image is not None:
            arr = np.ascontiguousarray(images.as_array(image, name), dtype=np.float32)
            h.update(f"{name}{arr.shape}".encode())
            h.update(arr.tobytes())
    numerics = dict(colorkit=versions().get("colorkit"), code=code_fingerprint(), torch=torch.__version__,
                    threads=torch.get_num_threads(),
                    device=str(device), precision=resolve_precision(config.precision, device)[0])
    h.update(json.dumps([config.to_dict(), numerics], sort_keys=True, default=str).encode())
    return h.hexdigest()[:32]


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """sha256 of colorlib's own source files: a change to the code invalidates the cache even where the
    version number stayed the same (a checkout between releases)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    h = hashlib.sha256()
    for folder, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                h.update(name.encode())
                with open(os.path.join(folder, name), "rb") as fh:
                    h.update(fh.read())
    return h.hexdigest()[:16]


def colorize_cached(content, style, config: Config, init_image=None) -> Result:
    """colorize(), or its cached Result when this exact run finished before. Diverged runs are not cached."""
    if not enabled():
        return colorize(content, style, config, init_image=init_image)
    key = run_key(content, style, config, init_image)
    folder = os.path.join(cache_dir(), key[:2])
    stem = os.path.join(folder, key)
    try:
        with open(stem + ".json", encoding="utf-8") as fh:
            record = json.load(fh)
        image = np.load(stem + ".npy")
        return Result(image, record["history"], record["params"], record["versions"],
                      {**record["run"], "cache": "hit"})
    except (OSError, ValueError, KeyError):
        pass
    result = colorize(content, style, config, init_image=init_image)
    buf = _npy_bytes(result.image)
    record = dict(history=result.history, params=result.params, versions=result.versions, run=result.run)
    try:  # the .npy first, the .json (what a lookup reads first) last
        write_together({stem + ".npy": buf, stem + ".json": json_text(record).encode("utf-8")})
    except Exception:  # a full or read-only cache must not fail the run
        pass
    result.run["cache"] = "miss"
    return result


def cached_array(parts: dict, compute) -> tuple[np.ndarray, bool]:
    """(compute(), False), or (the array cached under `parts`, True): for methods that are not colorize() runs
    (the evaluation's baselines and exemplar methods). `parts` must name everything besides the code that decides
    the output (arrays hashed by their bytes); colorlib's source, torch's version and thread count are added."""
    if not enabled():
        return compute(), False
    h = hashlib.sha256()
    for name, value in sorted(parts.items()):
        if isinstance(value, np.ndarray):
            arr = np.ascontiguousarray(value, dtype=np.float32)
            h.update(f"{name}{arr.shape}".encode())
            h.update(arr.tobytes())
        else:
            h.update(json.dumps([name, value], sort_keys=True, default=str).encode())
    h.update(json.dumps([code_fingerprint(), torch.__version__, torch.get_num_threads()]).encode())
    key = "out-" + h.hexdigest()[:32]
    path = os.path.join(cache_dir(), key[4:6], key + ".npy")
    try:
        return np.load(path), True
    except (OSError, ValueError):
        pass
    out = np.asarray(compute(), dtype=np.float32)
    try:
        write_together({path: _npy_bytes(out)})
    except Exception:  # a full or read-only cache must not fail the run
        pass
    return out, False


def _npy_bytes(image: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, np.asarray(image, dtype=np.float32))
    return buf.getvalue()
