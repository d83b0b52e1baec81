"""Loading (validated, EXIF-rotated, mode-normalised), resizing and atomic saving of images.

Images inside the kit are float32 numpy arrays (H, W, 3), RGB in [0, 1].

Reading: a file is read once, up to a bound that follows the decompression-bomb guard, and the bytes read are
the bytes decoded and hashed (input_sha256). Only regular files and standard input ('-', /dev/stdin) are
read; a folder, a named pipe or a device (/dev/zero) is refused at once instead of blocking.

How stored values become [0, 1] (files and arrays alike; never a silent clip to white or black):
- uint8 (and 1-bit, palette, L, RGB, CMYK, ... files) are divided by 255, uint16 (16-bit PNG/TIFF/PGM) by 65535.
- Other integer types (int8…int64, uint32, uint64; 32-bit integer TIFFs) are divided by their type's largest
  value (int32: 2147483647). Negative values are refused, and so is data that this would turn black although it
  is not (every value under 1/510 of the range, e.g. 0–255 held in int32 or int64): convert such data to uint8
  or uint16 first.
- Floats (float TIFFs, float arrays) must already be in [0, 1]: data outside it (0–255, negative, NaN or Inf) is
  refused with one line, not rescaled, since its white point cannot be known. Values within 1e-4 of the
  interval (rounding) are clipped.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import re
import warnings

import numpy as np
from PIL import Image, ImageOps, TiffImagePlugin, UnidentifiedImageError

from colorlib.atomic import atomic_write
from colorlib.errors import ColorkitError, first_line
from colorlib.file_input import MAX_PIXELS_ENV, env_max_pixels, pixel_limit, read_bytes

FLOAT_TOLERANCE = 1e-4  # float data this far outside [0, 1] is rounding and is clipped; further is refused
_SHA256: dict = {}  # path as given -> sha256 of the bytes load() last decoded from it


def load(path, name: str | None = None) -> np.ndarray:
    """Read an image file ('-' = standard input) as float32 RGB (H, W, 3) in [0, 1]; any problem is a
    ColorkitError naming the file. The file is read once; input_sha256(path) is the sha256 of the bytes
    decoded."""
    path = os.fspath(path)
    name = name or ("stdin" if path == "-" else path)
    data = read_bytes(path, name)
    image = decode(data, name)
    _SHA256[path] = hashlib.sha256(data).hexdigest()
    return image


def input_sha256(path) -> str | None:
    """sha256 of the bytes that load(path) last decoded in this process, or None if it did not load it."""
    return _SHA256.get(os.fspath(path))


def decode(data: bytes, name: str = "image") -> np.ndarray:
    """Decode image bytes (see load). Pillow's decompression-bomb guard stays on; COLORKIT_MAX_PIXELS changes
    its limit for a file you trust."""
    if not data:
        raise ColorkitError(f"{name}: empty file")
    limit = env_max_pixels()
    try:
        with pixel_limit(limit), warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img: Image.Image = Image.open(io.BytesIO(data))
            img.load()
            white = _white_point(img)  # from the file's own header: the rotated copy below has none
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
    return from_pil(img, name, white)


def _white_point(img: Image.Image) -> float | None:
    """The value of white for a 32-bit integer ('I') image: 16-bit sources that Pillow widens to 'I' (PGM/PPM
    with maxval > 255, which Pillow scales to 65535; 16-bit TIFF) are 65535; None = the int32 range."""
    if img.mode != "I":
        return None
    if img.format in ("PPM", "PNG"):
        return 65535.0
    if img.format == "TIFF" and isinstance(img, TiffImagePlugin.TiffImageFile):
        with contextlib.suppress(Exception):
            bits = img.tag_v2.get(258)
            bits = bits[0] if isinstance(bits, tuple) else bits
            if bits and int(bits) <= 16:
                return float(2 ** int(bits) - 1)
    return None


def from_pil(img: Image.Image, name: str = "image", white: float | None = None) -> np.ndarray:
    """PIL image of any common mode -> float32 RGB (H, W, 3) in [0, 1] (scaling as in the module docstring).
    `white`: the value of white of a 32-bit integer image, when its file said (default: read from `img`)."""
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
            arr = np.asarray(img)
            top: float | None
            if mode.startswith("I;16"):
                top = 65535.0
            elif mode == "I":
                top = white or _white_point(img)
            else:
                top = None
            gray = _to_unit(arr, name, top)
            return np.repeat(gray[..., None], 3, axis=-1)
        if mode != "RGB":
            img = img.convert("RGB")  # L, 1, CMYK, YCbCr, LAB, HSV
        return np.asarray(img, dtype=np.float32) / 255.0
    except ColorkitError:
        raise
    except (ValueError, OSError, TypeError) as exc:
        raise ColorkitError(f"{name}: unsupported image mode {mode} ({first_line(exc)})") from None


def _to_unit(arr: np.ndarray, name: str, top: float | None = None) -> np.ndarray:
    """Stored values -> float32 in [0, 1] by their type (module docstring); `top` overrides an integer type's
    white point. Refuses (ColorkitError) what it cannot map without clipping or blackening."""
    if arr.dtype == np.bool_:
        return arr.astype(np.float32)
    if np.issubdtype(arr.dtype, np.integer):
        if arr.size and arr.min() < 0:
            raise ColorkitError(f"{name}: {arr.dtype} image has negative values (down to {arr.min()}); "
                                f"expected 0 to {np.iinfo(arr.dtype).max}")
        standard = arr.dtype in (np.uint8, np.uint16)
        if top is None:
            top = float(np.iinfo(arr.dtype).max)
        high = float(arr.max()) if arr.size else 0.0
        if high > top:  # a 16-bit source holding more than 16 bits: not what its header says
            raise ColorkitError(f"{name}: values up to {high:.0f} in an image whose white is {top:.0f}")
        if not standard and top > 65535 and 0 < high * 255 / top < 0.5:
            raise ColorkitError(
                f"{name}: {arr.dtype} image with values 0–{high:.0f} would be black at the {arr.dtype} range "
                f"(white = {top:.0f}); convert it to uint8 (0–255) or uint16 (0–65535) first")
        return (arr.astype(np.float64) / top).astype(np.float32)
    if np.issubdtype(arr.dtype, np.floating):
        values = arr.astype(np.float64)
        if not np.isfinite(values).all():
            raise ColorkitError(f"{name}: float image contains NaN or Inf")
        if values.size:
            low, high = float(values.min()), float(values.max())
            if low < -FLOAT_TOLERANCE or high > 1 + FLOAT_TOLERANCE:
                hint = " (0–255 data: divide by 255)" if high <= 255 and low >= -FLOAT_TOLERANCE else ""
                raise ColorkitError(f"{name}: float image has values in [{low:.4g}, {high:.4g}]; floats must be "
                                    f"in [0, 1]{hint}")
        return np.clip(values, 0.0, 1.0).astype(np.float32)
    raise ColorkitError(f"{name}: unsupported array type {arr.dtype}; give uint8, uint16 or floats in [0, 1]")


def as_array(image, name: str = "image") -> np.ndarray:
    """Accept a path, a PIL image or an array (H, W[, 1|3|4]); return float32 RGB (H, W, 3) in [0, 1].

    Arrays are scaled by their type as the module docstring says: uint8 / 255, uint16 / 65535, floats already
    in [0, 1]; anything else that cannot be mapped faithfully is a ColorkitError."""
    if isinstance(image, (str, os.PathLike)):
        return load(image)
    if isinstance(image, Image.Image):
        return from_pil(image, name)
    if getattr(image, "requires_grad", False):  # a torch tensor in an autograd graph: numpy cannot view it
        raise ColorkitError(f"{name}: a tensor that requires grad; pass tensor.detach() or a numpy array")
    try:
        arr = np.asarray(image)
    except (ValueError, TypeError, RuntimeError) as exc:
        raise ColorkitError(f"{name}: not an image array ({first_line(exc)})") from None
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[-1] not in (1, 3, 4) or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ColorkitError(f"{name}: expected an image array (H, W, 3), got shape {arr.shape}")
    arr = arr[..., :3]
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        raise ColorkitError(f"{name}: image array contains NaN or Inf")
    arr = _to_unit(arr, name)
    if arr.shape[-1] == 1:
        arr = np.repeat(arr, 3, axis=-1)
    return np.ascontiguousarray(arr, dtype=np.float32)


def resized_shape(shape, longer_side: int) -> tuple[int, int]:
    """(height, width) of an image of `shape` resized so that its longer side is `longer_side` px."""
    h, w = shape[:2]
    scale = longer_side / max(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


def resize(image: np.ndarray, longer_side: int) -> np.ndarray:
    """Resize so the longer side is `longer_side` px (bilinear, antialiased, as neural-style's image.scale)."""
    height, width = resized_shape(image.shape, longer_side)
    if (height, width) == image.shape[:2]:
        return image
    return resize_to(image, height, width)


def resize_to(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize to exactly (height, width), channel by channel in float (no 8-bit rounding)."""
    chans = [np.asarray(Image.fromarray(image[..., c].astype(np.float32), mode="F")
                        .resize((width, height), Image.Resampling.BILINEAR)) for c in range(image.shape[-1])]
    return np.clip(np.stack(chans, axis=-1), 0.0, 1.0).astype(np.float32)


def to_uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def writable_format(path) -> str:
    """Pillow's format name for `path`'s extension if Pillow can write an RGB image in it (tried once per
    format on a small image); else a ColorkitError. Called before a run, so a bad name fails before any work."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    Image.init()
    fmt = Image.registered_extensions().get(ext)
    if fmt is None:
        raise ColorkitError(f"{path}: unknown image extension {ext or '(none)'}; use .png, .jpg or .tif")
    problem = _cannot_write(fmt)
    if problem:
        what = "can be read but not written" if fmt in Image.OPEN else "cannot be written"
        raise ColorkitError(f"{path}: {fmt} ({ext}) {what} here ({problem}); use .png, .jpg or .tif")
    return fmt


@functools.cache
def _cannot_write(fmt: str) -> str | None:
    """Why Pillow cannot write an RGB image as `fmt` (None if it can)."""
    if fmt not in Image.SAVE:
        return "Pillow has no writer for it"
    probe = Image.fromarray(np.full((16, 16, 3), 128, np.uint8))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecation notices of a format belong to writing it, not probing
            probe.save(io.BytesIO(), format=fmt)
    except Exception as exc:  # e.g. "cannot write mode RGB as XBM", "BUFR save handler not installed"
        return first_line(exc)
    return None


def encode(image: np.ndarray, path) -> bytes:
    """The image encoded in the format `path`'s extension names, holding exactly its pixels' size; ColorkitError
    if Pillow cannot, or if the format would store another size (.icns: fixed sizes; .ico: at most 256 px)."""
    fmt = writable_format(path)
    height, width = image.shape[:2]
    buf = io.BytesIO()
    try:
        options = {"sizes": [(width, height)]} if fmt == "ICO" else {}  # else only its standard sizes, smaller
        Image.fromarray(to_uint8(image)).save(buf, format=fmt, **options)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stored = Image.open(io.BytesIO(buf.getvalue())).size
    except MemoryError:
        raise ColorkitError(f"{os.fspath(path)}: not enough memory to encode the image") from None
    except Exception as exc:
        raise ColorkitError(f"{os.fspath(path)}: cannot encode a {width}x{height} image as {fmt} "
                            f"({first_line(exc)}); use .png, .jpg or .tif") from None
    if stored != (width, height):
        raise ColorkitError(f"{os.fspath(path)}: {fmt} would store {stored[0]}x{stored[1]} px, not the result's "
                            f"{width}x{height}; use .png, .jpg or .tif")
    return buf.getvalue()


def check_holds(path, height: int, width: int) -> None:
    """Before a run: ColorkitError if `path`'s format cannot store a height x width image as it is (encode)."""
    encode(np.zeros((height, width, 3), np.float32), path)


def save(image: np.ndarray, path) -> str:
    """Write an image atomically (temp file + rename); the format follows the extension (png, jpg, ...)."""
    data = encode(image, path)
    with atomic_write(path, "wb") as fh:
        fh.write(data)
    return os.fspath(path)
