"""Property test of the image loader: whatever bytes or PIL image it gets, it returns a float32 (H, W, 3) array
in [0, 1] or raises ColorkitError, never any other exception; 16/32-bit and float data are scaled by their type
(never clipped to white or black) or refused."""
import io
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
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


def _expected(img):
    """(what from_pil must return for a 16/32-bit or float gray image, or None for other modes; or the start of
    the refusal's message when the data cannot be mapped faithfully)."""
    values = np.asarray(img).astype(np.float64)
    if img.mode == "F":
        if not np.isfinite(values).all():
            return "float image contains NaN or Inf"
        if values.min() < -images.FLOAT_TOLERANCE or values.max() > 1 + images.FLOAT_TOLERANCE:
            return "float image has values in"
        return np.clip(values, 0, 1)
    if img.mode == "I;16":
        return values / 65535
    if img.mode == "I":
        top = 2**31 - 1
        if 0 < values.max() * 255 / top < 0.5:
            return "would be black"
        return values / top
    return None


@SETTINGS
@given(pil_images())
def test_from_pil_any_mode(img):
    expected = _expected(img)
    if isinstance(expected, str):
        with pytest.raises(ColorkitError, match=expected):
            images.from_pil(img, "generated")
        return
    arr = _check(lambda: images.from_pil(img, "generated"))
    assert arr is not None, f"mode {img.mode} should load"
    assert arr.shape[:2] == (img.height, img.width)
    if expected is not None:  # scaled by the type: no value clipped to white or black
        np.testing.assert_allclose(arr[..., 0], expected, rtol=1e-6, atol=1e-7)


@st.composite
def encoded_images(draw):
    """(bytes of a PIL-generated image in some format, its size), possibly mutated or cut."""
    fmt = draw(st.sampled_from(sorted(FORMATS)))
    mode = draw(st.sampled_from(FORMATS[fmt]))
    w, h = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if mode == "F":  # floats in [0, 1]; others are refused (test_from_pil_any_mode)
        img = Image.fromarray(rng.random((h, w)).astype(np.float32))
    elif mode in ("I;16", "I"):  # values across the type's range
        top = 65535 if mode == "I;16" else 2**31 - 1
        img = Image.fromarray(rng.integers(top // 64, top, (h, w)).astype(np.uint16 if mode == "I;16" else np.int32))
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
    for bad in (np.zeros((0, 4, 3)), np.zeros((4, 4, 2)), np.full((4, 4, 3), np.nan), np.zeros(5),
                np.full((4, 4, 3), 255.0), np.full((4, 4, 3), -0.5), np.full((4, 4, 3), 200, np.int64),
                np.full((4, 4, 3), -1, np.int16), np.full((4, 4, 3), 1 + 1j)):
        with pytest.raises(ColorkitError):
            images.as_array(bad, "array")


@SETTINGS
@given(st.sampled_from([np.uint8, np.uint16, np.int32, np.int64, np.uint32, np.float16, np.float32, np.float64,
                        np.bool_]),
       st.integers(1, 6), st.integers(1, 6), st.sampled_from([None, 1, 3, 4]), st.integers(0, 2**32 - 1))
def test_as_array_any_dtype(dtype, h, w, channels, seed):
    """Any dtype: the array scaled by its type (uint8 / 255, uint16 / 65535, ints / their max, floats as they
    are), never clipped; or a ColorkitError when the values do not fit that (floats outside [0, 1], ...)."""
    rng = np.random.default_rng(seed)
    shape = (h, w) if channels is None else (h, w, channels)
    if np.issubdtype(dtype, np.floating):
        values = rng.choice([0.0, 0.25, 1.0, 1.5, 255.0, -0.1], shape).astype(dtype)
        top = 1.0
    elif dtype is np.bool_:
        values, top = rng.integers(0, 2, shape).astype(bool), 1.0
    else:
        top = float(np.iinfo(dtype).max)
        values = rng.integers(0, int(min(top, 2**62)), shape, dtype=np.int64).astype(dtype)
    arr = _check(lambda: images.as_array(values, "array"))
    if arr is None:
        return
    rgb = values.astype(np.float64)[..., None] if channels is None else values.astype(np.float64)[..., :3]
    np.testing.assert_allclose(arr, np.broadcast_to(rgb / top, arr.shape), rtol=1e-3, atol=1e-6)
