"""The content/style pairs the figures and the evaluation use: the kit's pairs.csv (package data) and
scikit-image's motorcycle stereo pair."""
from __future__ import annotations

import csv
import functools
import io

import numpy as np

from colorlib.data.folders import find
from colorlib.data.labels import print_stem
from colorlib.data.manifest import resource_text


@functools.lru_cache(maxsize=1)
def _pairs() -> tuple:
    return tuple(csv.DictReader(io.StringIO(resource_text("pairs.csv"), newline="")))


def pairs() -> list[dict]:
    """The content/style pairs (rows of colorlib/resources/pairs.csv: content, style, note)."""
    return [dict(row) for row in _pairs()]


def pair_files() -> list[str]:
    """The prints that pairs.csv names (what the figures and the evaluation need)."""
    return list(dict.fromkeys(name for row in pairs() for name in (row["content"], row["style"])))


def load_pair(index: int = 0, folder: str | None = None) -> dict:
    """Pair `index` of pairs.csv: {'name', 'content' (gray), 'truth' (colour original), 'style'} as arrays."""
    from colorlib import color, images

    row = pairs()[index]
    truth = images.load(find(row["content"], folder))
    return {"name": print_stem(row["content"]) + "<-" + print_stem(row["style"]), "content": color.to_gray(truth),
            "truth": truth, "style": images.load(find(row["style"], folder))}


def motorcycle_pair() -> dict:
    """scikit-image's stereo photographs: left grayscaled as content (left is the truth), right as style."""
    from skimage import data as skdata

    from colorlib import color

    left, right = skdata.stereo_motorcycle()[:2]
    truth = left.astype(np.float32) / 255.0
    return {"name": "motorcycle", "content": color.to_gray(truth), "truth": truth,
            "style": right.astype(np.float32) / 255.0}
