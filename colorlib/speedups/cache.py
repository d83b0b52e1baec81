"""Nothing twice: finished colorize() runs cached by a content address, so a second `make results` with nothing
changed reads results instead of recomputing them, and a change to one notebook reruns only its own runs.

The address hashes everything that decides a run's numbers, each input by its content: the decoded pixels of the
content, the style and the init image (a path's file is read, never its name or modification time), the sha256
of a weights file's bytes, the resolved Config, colorlib's version and source code, torch's version, the torch
thread count, the device and the precision actually used, and `key_extra` (how the caller ran it).

An entry holds its checksum and is checked on every read: the record's shape (history, params, versions, run), the
array's shape, dtype (float32), finiteness, range and sha256. A bad entry is a miss: recomputed and replaced, with
one notice (a warning; the CLI prints it as `notice: …`).
Folder: $COLORKIT_CACHE, else ~/.cache/colorkit/runs ($XDG_CACHE_HOME respected); delete it to clear the cache.
COLORKIT_NO_CACHE=1 (true, yes, on; or `colorkit figures --no-cache`) switches it off; 0, false, no, off or unset
leave it on."""
from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import time
import warnings

import numpy as np
import torch

from colorlib import images
from colorlib.atomic import write_together
from colorlib.errors import ColorkitError
from colorlib.hardware import resolve_device, resolve_precision
from colorlib.hashes import sha256_array, sha256_file
from colorlib.paper.colorize import Result, colorize
from colorlib.paper.config import Config, as_config
from colorlib.record import json_text, versions

CACHE_ENV, OFF_ENV = "COLORKIT_CACHE", "COLORKIT_NO_CACHE"
OFF_WORDS, ON_WORDS = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")
RECORD_KEYS = {"history": list, "params": dict, "versions": dict, "run": dict, "image": dict}


def cache_dir() -> str:
    """$COLORKIT_CACHE, else ~/.cache/colorkit/runs; ColorkitError when $COLORKIT_CACHE is not a folder."""
    if os.environ.get(CACHE_ENV):
        value = os.environ[CACHE_ENV]
        if os.path.exists(value) and not os.path.isdir(value):
            raise ColorkitError(f"{CACHE_ENV}={value}: not a folder; point it at a folder for the run cache")
        return value
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "colorkit", "runs")


def enabled() -> bool:
    """Whether the cache is on: COLORKIT_NO_CACHE unset, 0, false, no or off (any case); 1, true, yes or on
    switch it off; anything else is a one-line ColorkitError."""
    value = os.environ.get(OFF_ENV, "").strip().lower()
    if value in ON_WORDS:
        return True
    if value in OFF_WORDS:
        return False
    raise ColorkitError(f"{OFF_ENV}={os.environ[OFF_ENV]!r}: use 1/true/yes/on to switch the run cache off, "
                        f"0/false/no/off (or leave it unset) to keep it on")


def run_key(content, style, config: Config, init_image=None, key_extra: dict | None = None) -> str:
    """The content address of colorize(content, style, config, init_image=init_image) run as `key_extra` says."""
    device = resolve_device(config.device)
    if init_image is None and config.init == "image" and config.init_image:
        init_image = config.init_image  # the file colorize() would read: keyed by its pixels, not its name
    h = hashlib.sha256()
    for name, image in (("content", content), ("style", style), ("init", init_image)):
        if image is not None:
            arr = np.ascontiguousarray(images.as_array(image, name), dtype=np.float32)
            h.update(f"{name}{arr.shape}".encode())
            h.update(arr.tobytes())
    fields = config.to_dict()
    fields["init_image"] = None  # its pixels are hashed above
    if config.weights != "caffe":
        try:
            fields["weights"] = "sha256:" + sha256_file(config.weights)
        except OSError:  # unreadable: colorize() says what is wrong with it, and a failed run is not cached
            fields["weights"] = "unreadable:" + config.weights
    numerics = dict(colorkit=versions().get("colorkit"), code=code_fingerprint(), torch=torch.__version__,
                    threads=torch.get_num_threads(),
                    device=str(device), precision=resolve_precision(config.precision, device)[0])
    h.update(json.dumps([fields, numerics, key_extra or {}], sort_keys=True, default=str).encode())
    return h.hexdigest()[:32]


PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# colorlib/app/ (the command line, `colorkit figures`, the explorer) is the top layer: nothing a cached run executes
# imports it (tests/test_architecture.py), so its text — --help's measured times, say — does not key the runs.
NOT_IN_RUNS = ("app",)


@functools.lru_cache(maxsize=4)
def code_fingerprint(skip: tuple = NOT_IN_RUNS, root: str = PACKAGE_ROOT) -> str:
    """sha256 of colorlib's own source files but those of the subpackages in `skip` (by default the ones no cached
    run executes): a change to the code invalidates the cache even where the version number stayed the same (a
    checkout between releases)."""
    h = hashlib.sha256()
    for folder, _, files in sorted(os.walk(root)):
        if os.path.relpath(folder, root).split(os.sep)[0] in skip:
            continue
        for name in sorted(files):
            if name.endswith(".py"):
                h.update(name.encode())
                with open(os.path.join(folder, name), "rb") as fh:
                    h.update(fh.read())
    return h.hexdigest()[:16]


def colorize_cached(content, style, config: Config, init_image=None, on_step=None,
                    key_extra: dict | None = None) -> Result:
    """colorize(), or its cached Result when this exact run finished before. Diverged runs are not cached.

    key_extra: what else decides the numbers besides the inputs and `config` (how the caller runs it, e.g. a
    stage of a schedule), part of the key. on_step goes to colorize() on a miss; one that changes the result
    (stops it early) must be described in key_extra."""
    config = as_config(config)
    if not enabled():
        return colorize(content, style, config, on_step=on_step, init_image=init_image)
    key = run_key(content, style, config, init_image, key_extra)
    stem = os.path.join(cache_dir(), key[:2], key)
    found = _read_entry(stem, key)
    if found is not None:
        return _cached_result(found[0], found[1], config)
    result = colorize(content, style, config, on_step=on_step, init_image=init_image)
    _write_run(stem, result)
    return result


def colorize_cached_with_snapshots(content, style, config: Config, at) -> tuple[Result, dict]:
    """colorize_cached(), and the image after each iteration in `at` (≥ 1): (Result, {iteration: image}).

    The snapshots are kept beside the run's own entry, the one colorize_cached() reads, so notebooks/00_method.ipynb
    and Figure 1's ablation share one run, and a second `make results` recomputes neither. A run found without its
    snapshots is run again (an entry written by another caller)."""
    config = as_config(config)
    at = sorted({int(i) for i in at if int(i) >= 1})
    shots: dict = {}

    def keep(state):
        if state.iteration in at:
            shots[state.iteration] = state.image()

    if not at:
        return colorize_cached(content, style, config), shots
    if not enabled():
        return colorize(content, style, config, on_step=keep), shots
    key = run_key(content, style, config)
    stem = os.path.join(cache_dir(), key[:2], key)
    shots_key = "out-" + hashlib.sha256(json.dumps([key, "snapshots", at]).encode()).hexdigest()[:32]
    shots_stem = os.path.join(cache_dir(), shots_key[4:6], shots_key)
    found = _read_entry(stem, key)
    stacked = _read_entry(shots_stem, shots_key) if found is not None else None
    if found is not None and stacked is not None and stacked[0].shape[0] % len(at) == 0:
        return _cached_result(found[0], found[1], config), dict(zip(at, np.split(stacked[0], len(at)), strict=True))
    result = colorize(content, style, config, on_step=keep)
    _write_run(stem, result)
    if list(shots) == at:  # every snapshot taken (a run stopped early has fewer: not kept)
        _write_entry(shots_stem, np.concatenate([shots[i] for i in at]), {})
    return result, shots


def _cached_result(image: np.ndarray, record: dict, config: Config) -> Result:
    """The Result of a validated entry, naming this run's weights and init image (not the first run's)."""
    params = {**record["params"], "weights": config.weights}
    if config.init == "image" and config.init_image:
        params["init_image"] = config.init_image
    return Result(image, record["history"], params, record["versions"], {**record["run"], "cache": "hit"})


def _write_run(stem: str, result: Result) -> None:
    record = dict(history=result.history, params=result.params, versions=result.versions, run=result.run)
    _write_entry(stem, result.image, record)
    result.run["cache"] = "miss"


def cached_array(parts: dict, compute) -> tuple[np.ndarray, bool, float]:
    """(compute(), False, its seconds), or (the array cached under `parts`, True, the seconds compute() took when it
    ran): for methods that are not colorize() runs (the evaluation's baselines and exemplar methods), whose tables
    report what a method costs, not what reading it back costs. `parts` must name everything besides the code that
    decides the output (arrays hashed by their bytes, files by their sha256); colorlib's source, torch's version and
    thread count are added. Entries are checked on read like colorize_cached's."""
    if not enabled():
        start = time.perf_counter()
        return compute(), False, time.perf_counter() - start
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
    stem = os.path.join(cache_dir(), key[4:6], key)
    found = _read_entry(stem, key)
    if found is not None and isinstance(found[1].get("seconds"), float):
        return found[0], True, found[1]["seconds"]
    start = time.perf_counter()
    out = np.asarray(compute(), dtype=np.float32)
    seconds = time.perf_counter() - start
    _write_entry(stem, out, {"seconds": seconds})
    return out, False, seconds


def _write_entry(stem: str, image: np.ndarray, record: dict) -> None:
    """The array (.npy) and its record (.json, with the array's shape, dtype and sha256) as one unit. A full or
    read-only cache must not fail the run: then nothing is cached."""
    image = np.ascontiguousarray(image, dtype=np.float32)
    buf = io.BytesIO()
    np.save(buf, image, allow_pickle=False)
    record = {**record, "image": {"shape": list(image.shape), "dtype": "float32", "sha256": sha256_array(image)}}
    try:  # the .npy first, the .json (what a lookup reads first) last
        write_together({stem + ".npy": buf.getvalue(), stem + ".json": json_text(record).encode("utf-8")})
    except (ColorkitError, OSError):
        pass


def _read_entry(stem: str, key: str):
    """(array, record) of a good entry; None for no entry, or for a bad one (with one notice: it is recomputed and
    replaced)."""
    if not os.path.exists(stem + ".json"):
        return None
    problem = None
    try:
        with open(stem + ".json", encoding="utf-8") as fh:
            record = json.load(fh)
        problem = _record_problem(record, run=not key.startswith("out-"))
        if problem is None:
            problem = _header_problem(stem + ".npy", record["image"])
        if problem is None:
            image = np.load(stem + ".npy", allow_pickle=False)
            problem = _array_problem(image, record["image"])
    except (OSError, ValueError, EOFError, MemoryError) as exc:  # unreadable, not JSON, not an .npy file
        problem = f"unreadable ({type(exc).__name__})"
    if problem is not None:
        warnings.warn(f"run cache: entry {key} is bad ({problem}); recomputed and replaced", stacklevel=3)
        return None
    return image, record


def _record_problem(record, run: bool) -> str | None:
    if not isinstance(record, dict):
        return f"record is a {type(record).__name__}, not a mapping"
    wanted = RECORD_KEYS if run else {"image": dict}
    for name, kind in wanted.items():
        if not isinstance(record.get(name), kind):
            return f"record's {name} is missing or not a {kind.__name__}"
    image = record["image"]
    if not (isinstance(image.get("shape"), list) and isinstance(image.get("sha256"), str)):
        return "record names no checksum"
    if run and not all(isinstance(row, dict) for row in record["history"]):
        return "record's history rows are not mappings"
    return None


def _header_problem(path: str, described: dict) -> str | None:
    """What is wrong with the .npy header, read before the data: a header claiming another shape or dtype (flipped
    bytes there could ask for terabytes)."""
    with open(path, "rb") as fh:
        version = np.lib.format.read_magic(fh)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read(fh)
    if list(shape) != described["shape"] or dtype != np.float32 or fortran:
        return f"array header says {tuple(shape)} {dtype}, not {tuple(described['shape'])} float32"
    return None


def _array_problem(image, described: dict) -> str | None:
    if not isinstance(image, np.ndarray) or image.dtype != np.float32:
        return f"array of dtype {getattr(image, 'dtype', type(image).__name__)}, not float32"
    if list(image.shape) != described["shape"] or image.ndim != 3 or image.shape[-1] != 3:
        return f"array of shape {image.shape}, not {tuple(described['shape'])}"
    if not np.isfinite(image).all():
        return "array holds NaN or Inf"
    if image.size and (image.min() < 0 or image.max() > 1):
        return f"values outside [0, 1] (up to {float(np.abs(image).max()):.3g})"
    if sha256_array(image) != described["sha256"]:
        return "checksum mismatch"
    return None
