"""How the kit names content: the sha256 of a file's bytes, of bytes in memory, of an image array's pixels.

Always computed from the bytes themselves, never remembered by path, size or modification time: a file replaced
in the same second with the same size gets its new hash."""
from __future__ import annotations

import hashlib
import os

import numpy as np

CHUNK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    """The sha256 (hex) of `data`."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path) -> str:
    """The sha256 (hex) of the file's bytes as they are now (read in 1 MiB chunks; OSError if unreadable)."""
    h = hashlib.sha256()
    with open(os.fspath(path), "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_array(image: np.ndarray) -> str:
    """The sha256 (hex) of an array's float32 values in C order (the pixels a run used)."""
    return hashlib.sha256(np.ascontiguousarray(image, dtype=np.float32).tobytes()).hexdigest()
