"""The ukiyo-e data set: its manifest, finding files by sha256, verified download, and example pairs."""
from __future__ import annotations

import csv
import functools
import hashlib
import os
import urllib.request

import numpy as np

from .atomic import atomic_write
from .errors import ColorkitError

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.path.join(PROJECT_ROOT, "data")
SHARED_DIR = os.path.join(os.path.dirname(PROJECT_ROOT), "shared", "data", "ukiyoe")
DATA_ENV = "COLORKIT_DATA"


@functools.lru_cache(maxsize=1)
def manifest() -> dict:
    """file name -> manifest row (dict)."""
    with open(os.path.join(DATA_DIR, "manifest.csv"), newline="", encoding="utf-8") as fh:
        return {row["file"]: row for row in csv.DictReader(fh)}


def pairs() -> list[dict]:
    """The content/style pairs (rows of data/pairs.csv)."""
    with open(os.path.join(DATA_DIR, "pairs.csv"), newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def search_folders(folder: str | None = None) -> list[str]:
    """Where files are looked for, in order."""
    folders = [folder, os.environ.get(DATA_ENV), DATA_DIR, SHARED_DIR]
    return [f for f in dict.fromkeys(folders) if f]


@functools.lru_cache(maxsize=256)
def _sha256(path: str, mtime: float, size: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_file(path: str) -> str:
    st = os.stat(path)
    return _sha256(os.path.abspath(path), st.st_mtime, st.st_size)


def find(name: str, folder: str | None = None, download: bool = False) -> str:
    """Path of manifest file `name` whose sha256 matches, searching search_folders(folder); optionally download."""
    entry = manifest().get(name)
    if entry is None:
        raise ColorkitError(f"{name}: not in data/manifest.csv")
    looked = search_folders(folder)
    for base in looked:
        path = os.path.join(base, name)
        if os.path.isfile(path) and sha256_file(path) == entry["sha256"]:
            return path
    if download:
        return fetch(name)
    raise ColorkitError(f"{name}: not found (with matching sha256) in {', '.join(looked)}; set {DATA_ENV}=FOLDER, "
                        f"or download it with `python -m colorlib data --download`")


def fetch(name: str, dest: str = DATA_DIR, timeout: float = 30.0) -> str:
    """Download manifest file `name` into `dest`, verify its sha256, write atomically; returns the path."""
    entry = manifest()[name]
    try:
        with urllib.request.urlopen(entry["source_url"], timeout=timeout) as resp:
            payload = resp.read()
    except OSError as exc:
        raise ColorkitError(f"{name}: download from {entry['source_url']} failed ({exc})") from None
    digest = hashlib.sha256(payload).hexdigest()
    if digest != entry["sha256"]:
        raise ColorkitError(f"{name}: downloaded bytes have sha256 {digest[:12]}…, expected {entry['sha256'][:12]}…")
    path = os.path.join(dest, name)
    with atomic_write(path, "wb") as fh:
        fh.write(payload)
    return path


def load_pair(index: int = 0, folder: str | None = None) -> dict:
    """Pair `index` of pairs.csv: {'name', 'content' (gray), 'truth' (colour original), 'style'} as arrays."""
    from . import color, images

    row = pairs()[index]
    truth = images.load(find(row["content"], folder))
    return {"name": _stem(row["content"]) + "<-" + _stem(row["style"]), "content": color.to_gray(truth),
            "truth": truth, "style": images.load(find(row["style"], folder))}


def motorcycle_pair() -> dict:
    """scikit-image's stereo photographs: left grayscaled as content (left is the truth), right as style."""
    from skimage import data as skdata

    from . import color

    left, right = skdata.stereo_motorcycle()[:2]
    truth = left.astype(np.float32) / 255.0
    return {"name": "motorcycle", "content": color.to_gray(truth), "truth": truth,
            "style": right.astype(np.float32) / 255.0}


def _stem(name: str) -> str:
    return name.replace("hiroshige_tokaido_", "").rsplit(".", 1)[0]
