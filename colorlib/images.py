"""Loading (validated, EXIF-rotated, mode-normalised), resizing and atomic saving of images.

Images inside the kit are float32 numpy arrays (H, W, 3), RGB in [0, 1]."""
from __future__ import annotations

import contextlib
import io
import os
import re
import threading
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from colorlib.atomic import atomic_write
from colorlib.errors import ColorkitError, first_line

MAX_PIXELS_ENV = "COLORKIT_MAX_PIXELS"
_LIMIT_LOCK = threading.Lock()


def _env_max_pixels() -> int | None:
    """The pixel limit set in COLORKIT_MAX_PIXELS (0 = no limit), or None when unset (Pillow's guard applies)."""
    value = os.environ.get(MAX_PIXELS_ENV, "").strip()
    if not value:
        return None
    try:
        limit = int(value)
    except ValueError:
        raise ColorkitError(f"{MAX_PIXELS_ENV}={value!r} is not a whole number of pixels") from None
    return max(limit, 0)


@contextlib.contextmanager
def _pixel_limit(limit: int | None):
    """Run Pillow's own decompression-bomb guard with `limit` (None: leave Pillow's setting alone)."""
    if limit is None:
        yield
        return
    with _LIMIT_LOCK:  # Pillow reads a module global; never leave it changed
        saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, (limit or None)
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def load(path, name: str | None = None) -> np.ndarray:
    """Read an image file as float32 RGB (H, W, 3) in [0, 1]; any problem is a ColorkitError naming the file."""
    path = os.fspath(path)
    name = name or path
    if os.path.isdir(path):
        raise ColorkitError(f"{name}: is a directory, not an image file")
    if not os.path.exists(path):
        raise ColorkitError(f"{name}: file not found")
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise ColorkitError(f"{name}: cannot read ({exc.strerror or exc})") from None
    return decode(data, name)


def decode(data: bytes, name: str = "image") -> np.ndarray:
    """Decode image bytes (see load). Pillow's decompression-bomb guard stays on; COLORKIT_MAX_PIXELS changes
    its limit for a file you trust."""
    if not data:
        raise ColorkitError(f"{name}: empty file")
    limit = _env_max_pixels()
    try:
        with _pixel_limit(limit), warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            img.load()
            img = ImageOps.exif_transpose(img)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = found.group(1) if found else "N"
        raise ColorkitError(
            f"{name}: image of {pixels} pixels exceeds the decompression-bomb guard "
            f"({limit or Image.MAX_IMAGE_PIXELS} pixels); if you trust the file, set {MAX_PIXELS_ENV}={pixels} "
            f"to load it deliberately") from None
    except UnidentifiedImageError:
        raise ColorkitError(f"{name}: not an image file (format not recognised)") from None
    except MemoryError:
        raise ColorkitError(f"{name}: not enough memory to decode this image") from None
    except Exception as exc:  # Pillow's plugins raise OSError, SyntaxError, ValueError, struct.error, ... on bad bytes
        raise ColorkitError(f"{name}: corrupt or truncated image ({first_line(exc)})") from None
    return from_pil(img, name)


def from_pil(img: Image.Image, name: str = "image") -> np.ndarray:
    """PIL image of any common mode -> float32 RGB (H, W, 3) in [0, 1]."""
    if img.width < 1 or img.height < 1:
        raise ColorkitError(f"{name}: image has no pixels")
    mode = img.mode
    try:
        if mode == "P":
            img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        elif mode in ("La", "RGBa"):  # premultiplied alpha: Pillow converts these only to their plain twins
            img = img.convert({"La": "LA", "RGBa": "RGBA"}[mode])
        mode = img.mode
        if mode in ("RGBA", "LA", "PA"):
            warnings.warn(f"{name}: alpha channel dropped", stacklevel=3)
            img = img.convert("L" if mode == "LA" else "RGB")
            mode = img.mode
        if mode.startswith("I") or mode == "F":  # 16/32-bit integer or float gray
            arr = np.asarray(img, dtype=np.float64)
            if mode == "F":
                top = 1.0
            else:
                top = 65535.0 if mode.startswith("I;16") or np.nanmax(arr) > 255 else 255.0
            gray = np.clip(np.nan_to_num(arr / top, nan=0.0, posinf=1.0, neginf=0.0), 0, 1).astype(np.float32)
            return np.repeat(gray[..., None], 3, axis=-1)
        if mode != "RGB":
            img = img.convert("RGB")  # L, 1, CMYK, YCbCr, LAB, HSV
        return np.asarray(img, dtype=np.float32) / 255.0
    except ColorkitError:
        raise
    except (ValueError, OSError, TypeError) as exc:
        raise ColorkitError(f"{name}: unsupported image mode {mode} ({first_line(exc)})") from None


def as_array(image, name: str = "image") -> np.ndarray:
    """Accept a path, a PIL image or an array (H, W[, 3|4]) in [0,1] or uint8; return float32 RGB (H, W, 3)."""
    if isinstance(image, (str, os.PathLike)):
        return load(image)
    if isinstance(image, Image.Image):
        return from_pil(image, name)
    arr = np.asarray(image)
    if arr.dtype == np.uint8:
        arr = arr.astype(np.float32) / 255.0
    arr = arr.astype(np.float32)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=-1)
    if arr.ndim != 3 or arr.shape[-1] not in (1, 3, 4) or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ColorkitError(f"{name}: expected an image array (H, W, 3), got shape {arr.shape}")
    if arr.shape[-1] == 1:
        arr = np.repeat(arr, 3, axis=-1)
    if not np.isfinite(arr).all():
        raise ColorkitError(f"{name}: image array contains NaN or Inf")
    return np.clip(arr[..., :3], 0.0, 1.0)


def resize(image: np.ndarray, longer_side: int) -> np.ndarray:
    """Resize so the longer side is `longer_side` px (bilinear, antialiased, as neural-style's image.scale)."""
    h, w = image.shape[:2]
    scale = longer_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if size == (w, h):
        return image
    return resize_to(image, size[1], size[0])


def resize_to(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize to exactly (height, width), channel by channel in float (no 8-bit rounding)."""
    chans = [np.asarray(Image.fromarray(image[..., c].astype(np.float32), mode="F")
                        .resize((width, height), Image.BILINEAR)) for c in range(image.shape[-1])]
    return np.clip(np.stack(chans, axis=-1), 0.0, 1.0).astype(np.float32)


def to_uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def writable_format(path) -> str:
    """Pillow's format name for `path`'s extension, if Pillow can write it; else a ColorkitError."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    fmt = Image.registered_extensions().get(ext)
    if fmt is None or fmt not in Image.SAVE:
        what = "unknown image extension" if fmt is None else f"{fmt} can be read but not written:"
        raise ColorkitError(f"{path}: {what} {ext or '(none)'}; use .png, .jpg or .tif")
    return fmt


def encode(image: np.ndarray, path) -> bytes:
    """The image encoded in the format `path`'s extension names."""
    buf = io.BytesIO()
    Image.fromarray(to_uint8(image)).save(buf, format=writable_format(path))
    return buf.getvalue()


def save(image: np.ndarray, path) -> str:
    """Write an image atomically (temp file + rename); the format follows the extension (png, jpg, ...)."""
    data = encode(image, path)
    with atomic_write(path, "wb") as fh:
        fh.write(data)
    return os.fspath(path)

