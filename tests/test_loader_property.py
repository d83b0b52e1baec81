"""Property test of the image loader: whatever bytes or PIL image it gets, it returns a float32 (H, W, 3) array
in [0, 1] or raises ColorkitError, never any other exception."""
import io
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from colorlib import images
from colorlib.errors import ColorkitError

MODES = ("1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16", "I", "F", "La", "RGBa", "YCbCr")
FORMATS = {"PNG": ("1", "L", "LA", "P", "RGB", "RGBA", "I;16", "I"), "JPEG": ("L", "RGB", "CMYK"),
           "TIFF": ("1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16", "I", "F"), "GIF": ("L", "P"),
           "BMP": ("1", "L", "P", "RGB"), "WEBP": ("RGB", "RGBA")}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(decode):
    """Call decode(); assert the loader's contract; return the array or None when it raised ColorkitError."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "alpha channel dropped" notices are expected
        try:
            arr = decode()
        except ColorkitError as exc:
            assert str(exc) and "\n" not in str(exc)
            return None
    assert isinstance(arr, np.ndarray) and arr.dtype == np.float32
    assert arr.ndim == 3 and arr.shape[-1] == 3 and arr.shape[0] >= 1 and arr.shape[1] >= 1
    assert np.isfinite(arr).all() and arr.min() >= 0.0 and arr.max() <= 1.0
    return arr


@st.composite
def pil_images(draw):
    mode = draw(st.sampled_from(MODES))
    w, h = draw(st.integers(1, 24)), draw(st.integers(1, 24))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if mode == "F":
        values = rng.choice(np.array([np.nan, np.inf, -np.inf, -2.0, 0.0, 0.5, 1.0, 7.0], np.float32), (h, w))
        return Image.fromarray(values.astype(np.float32), mode="F")
    if mode in ("I;16", "I"):
        top = 65535 if mode == "I;16" else 2**31 - 1
        img = Image.fromarray(rng.integers(0, top, (h, w)).astype(np.uint16 if mode == "I;16" else np.int32))
        return img
    bands = len(Image.new(mode, (1, 1)).getbands())
    raw = rng.integers(0, 256, h * w * bands, dtype=np.uint8).tobytes()
    return Image.frombytes(mode, (w, h), raw)


@SETTINGS
@given(pil_images())
def test_from_pil_any_mode(img):
    arr = _check(lambda: images.from_pil(img, "generated"))
    assert arr is not None, f"mode {img.mode} should load"
    assert arr.shape[:2] == (img.height, img.width)


@st.composite
def encoded_images(draw):
    """(bytes of a PIL-generated image in some format, its size), possibly mutated or cut."""
    fmt = draw(st.sampled_from(sorted(FORMATS)))
    mode = draw(st.sampled_from(FORMATS[fmt]))
    w, h = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if mode in ("I;16", "I", "F"):
        dtype = {"I;16": np.uint16, "I": np.int32, "F": np.float32}[mode]
        img = Image.fromarray(rng.integers(0, 60000, (h, w)).astype(dtype))
    else:
        bands = len(Image.new(mode, (1, 1)).getbands())
        img = Image.frombytes(mode, (w, h), rng.integers(0, 256, h * w * bands, dtype=np.uint8).tobytes())
    buf = io.BytesIO()
    try:
        img.save(buf, format=fmt)
    except (OSError, KeyError, ValueError):  # this Pillow build cannot write that combination
        img = img.convert("RGB")
        buf = io.BytesIO()
        img.save(buf, format="PNG")
    data = bytearray(buf.getvalue())
    action = draw(st.sampled_from(("intact", "cut", "flip", "splice")))
    if action == "cut":
        data = data[: draw(st.integers(0, len(data)))]
    elif action == "flip":
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(data) - 1))
            data[i] = draw(st.integers(0, 255))
    elif action == "splice":
        at = draw(st.integers(0, len(data)))
        data[at:at] = draw(st.binary(max_size=64))
    return bytes(data), (w, h), action


@SETTINGS
@given(encoded_images())
def test_decode_encoded_or_mutated(case):
    data, (w, h), action = case
    arr = _check(lambda: images.decode(data, "fuzz.img"))
    if action == "intact":
        assert arr is not None and arr.shape[:2] == (h, w)


@SETTINGS
@given(st.binary(max_size=2048))
def test_decode_random_bytes(data):
    _check(lambda: images.decode(data, "random.bin"))


@SETTINGS
@given(st.sampled_from([b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*",
                        b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"P6\n", b"8BPS"]), st.binary(max_size=512))
def test_decode_known_magic_then_junk(magic, tail):
    _check(lambda: images.decode(magic + tail, "junk"))


def test_as_array_rejects_bad_arrays():
    for bad in (np.zeros((0, 4, 3)), np.zeros((4, 4, 2)), np.full((4, 4, 3), np.nan), np.zeros(5)):
        with pytest.raises(ColorkitError):
            images.as_array(bad, "array")
