"""Up to date: `colorkit figures` does not execute a notebook again when nothing it depends on has changed since
its last run and every file it wrote then is still as it wrote it — make's rule, for notebooks (`--force` reruns).

What it depends on: the notebook's bytes, the parameters it is given, the output folder, all of colorlib's source
(the run cache's code fingerprint, app/ included: notebooks use the explorer) and resources (the prints' manifest,
the pairs), torch's version and thread count, the device, and every COLORKIT_* setting but the cache folder. The
prints themselves are pinned by the manifest's sha256. Its files: those the notebook wrote, each with its sha256.
The records live beside the run cache (colorlib/speedups/cache.py), so a fresh clone, another machine or a cleared
cache executes everything; with the run cache off (`--no-cache`, COLORKIT_NO_CACHE) every notebook runs."""
from __future__ import annotations

import glob
import hashlib
import json
import os

import torch

from colorlib.atomic import atomic_write
from colorlib.errors import ColorkitError
from colorlib.hardware import resolve_device
from colorlib.hashes import sha256_file
from colorlib.speedups import cache

RESOURCES = os.path.join(cache.PACKAGE_ROOT, "resources")  # colorlib/resources/: manifest.csv, pairs.csv


def inputs_key(notebook: str, values: dict, output_dir: str) -> str:
    """The sha256 of everything a notebook's files depend on besides the prints (pinned by the manifest)."""
    resources = {os.path.basename(p): sha256_file(p) for p in sorted(glob.glob(os.path.join(RESOURCES, "*.csv")))}
    settings = {k: v for k, v in sorted(os.environ.items()) if k.startswith("COLORKIT_") and k != cache.CACHE_ENV}
    parts = dict(notebook=sha256_file(notebook), values=values, output_dir=os.path.abspath(output_dir),
                 code=cache.code_fingerprint(skip=()), resources=resources, torch=torch.__version__,
                 threads=torch.get_num_threads(), device=str(resolve_device(values.get("device", "auto"))),
                 settings=settings)
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _record_path(notebook: str, output_dir: str) -> str:
    where = json.dumps([os.path.abspath(output_dir), os.path.basename(notebook)])
    return os.path.join(cache.cache_dir(), "notebooks", hashlib.sha256(where.encode()).hexdigest()[:32] + ".json")


def up_to_date(notebook: str, values: dict, output_dir: str) -> bool:
    """True when the notebook's last run had these inputs and its files are unchanged; False when in doubt."""
    if not cache.enabled():
        return False
    try:
        with open(_record_path(notebook, output_dir), encoding="utf-8") as fh:
            record = json.load(fh)
        files = record["files"]
        if record["inputs"] != inputs_key(notebook, values, output_dir) or not files:
            return False
        return all(sha256_file(os.path.join(output_dir, rel)) == digest for rel, digest in files.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # no record, a damaged one, a file gone
        return False


def remember(notebook: str, values: dict, output_dir: str, files: list[str]) -> None:
    """Record a successful run: its inputs and the sha256 of each file it wrote (relative to output_dir)."""
    if not cache.enabled():
        return
    record = dict(notebook=os.path.basename(notebook), inputs=inputs_key(notebook, values, output_dir),
                  files={rel: sha256_file(os.path.join(output_dir, rel)) for rel in files})
    path = _record_path(notebook, output_dir)
    try:  # a full or read-only cache folder must not fail the run: then the notebook simply runs next time
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with atomic_write(path, "w", encoding="utf-8") as fh:
            json.dump(record, fh, indent=1, sort_keys=True)
    except (OSError, ColorkitError):
        pass
