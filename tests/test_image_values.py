"""Image modes that must work and stored values scaled by their type, never silently white or black; formats
Pillow can write."""
import io
import warnings

import numpy as np
import pytest
from PIL import Image

import colorlib
from colorlib import images
from colorlib.errors import ColorkitError
from reliability_corpus import UNWRITABLE, _encode, _png_claiming, _rng_rgb, _unwritable_extensions


def test_mode_L_and_LA():
    gray = _rng_rgb(20, 30)[..., 0]
    out = images.decode(_encode(Image.fromarray(gray, "L"), "PNG"), "l.png")
    assert out.shape == (20, 30, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, np.repeat(gray[..., None] / 255.0, 3, -1), atol=1e-6)
    la = Image.merge("LA", [Image.fromarray(gray), Image.new("L", (30, 20), 7)])
    with pytest.warns(UserWarning, match="la.png: alpha channel dropped"):
        out = images.decode(_encode(la, "PNG"), "la.png")
    np.testing.assert_allclose(out[..., 1], gray / 255.0, atol=1e-6)


def test_mode_RGBA_drops_alpha_with_notice():
    rgb = _rng_rgb(24, 18)
    rgba = Image.fromarray(np.dstack([rgb, np.zeros((24, 18), np.uint8)]), "RGBA")  # fully transparent
    with pytest.warns(UserWarning, match="alpha channel dropped"):
        out = images.decode(_encode(rgba, "PNG"), "rgba.png")
    np.testing.assert_allclose(out, rgb / 255.0, atol=1e-6)  # colour kept, alpha ignored (not blackened)


def test_mode_P_palette():
    idx = np.random.default_rng(0).integers(0, 4, (16, 20)).astype(np.uint8)
    palette = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [250, 200, 10]], np.uint8)
    img = Image.fromarray(idx, "P")
    img.putpalette(palette.ravel().tolist())
    out = images.decode(_encode(img, "PNG"), "p.png")
    np.testing.assert_allclose(out, palette[idx] / 255.0, atol=1e-6)


def test_mode_CMYK_jpeg():
    blocks = {(255, 0, 0): (0, 255, 255, 0), (0, 255, 0): (255, 0, 255, 0), (0, 0, 255): (255, 255, 0, 0),
              (255, 255, 255): (0, 0, 0, 0)}
    cmyk = np.zeros((16, 64, 4), np.uint8)
    for k, value in enumerate(blocks.values()):
        cmyk[:, 16 * k:16 * (k + 1)] = value
    data = _encode(Image.fromarray(cmyk, "CMYK"), "JPEG", quality=95)
    assert Image.open(io.BytesIO(data)).mode == "CMYK"
    out = images.decode(data, "cmyk.jpg")
    assert out.shape == (16, 64, 3)
    for k, rgb in enumerate(blocks):
        np.testing.assert_allclose(out[8, 16 * k + 8], np.array(rgb) / 255.0, atol=0.08)


def test_mode_I16_png_keeps_16_bit_scale():
    ramp = np.linspace(0, 65535, 32 * 24).reshape(24, 32).astype(np.uint16)
    out = images.decode(_encode(Image.fromarray(ramp), "PNG"), "ramp16.png")
    np.testing.assert_allclose(out[..., 0], ramp / 65535.0, atol=1e-6)
    dark = np.full((20, 20), 200, np.uint16)  # a dark 16-bit image is dark, not brightened 257 times
    out = images.decode(_encode(Image.fromarray(dark), "PNG"), "dark16.png")
    np.testing.assert_allclose(out, 200 / 65535.0, atol=1e-6)


@pytest.mark.parametrize("orientation, turn", [(3, 2), (6, -1), (8, 1)])
def test_exif_rotated_jpeg(orientation, turn):
    """Orientation 6 = rotate 90° clockwise to display (np.rot90 k=-1), 8 = counter-clockwise, 3 = 180°."""
    stored = np.full((24, 40, 3), 30, np.uint8)
    stored[:8, :8] = (250, 20, 20)  # a red corner shows where "top-left" went
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = _encode(Image.fromarray(stored), "JPEG", quality=95, exif=exif.tobytes())
    out = images.decode(data, "rotated.jpg")
    expected = np.rot90(stored, k=turn) / 255.0
    assert out.shape == expected.shape
    assert np.abs(out - expected).mean() < 0.03


def test_bomb_guard_env_override(monkeypatch):
    pillow_limit = Image.MAX_IMAGE_PIXELS
    data = _encode(Image.fromarray(_rng_rgb(40, 50)), "PNG")
    monkeypatch.setenv("COLORKIT_MAX_PIXELS", "1000")
    with pytest.raises(ColorkitError, match="exceeds the decompression-bomb guard.*COLORKIT_MAX_PIXELS=2000"):
        images.decode(data, "big.png")
    monkeypatch.setenv("COLORKIT_MAX_PIXELS", "2000")
    assert images.decode(data, "big.png").shape == (40, 50, 3)
    monkeypatch.setenv("COLORKIT_MAX_PIXELS", "lots")
    with pytest.raises(ColorkitError, match="not a whole number"):
        images.decode(data, "big.png")
    monkeypatch.delenv("COLORKIT_MAX_PIXELS")
    assert Image.MAX_IMAGE_PIXELS == pillow_limit  # Pillow's own setting is left as it was
    with pytest.raises(ColorkitError, match="COLORKIT_MAX_PIXELS=400000000"):
        images.decode(_png_claiming(20000, 20000), "bomb.png")


def test_modes_and_aspect_ratios_colorize(corpus, tmp_path):
    """colorize() accepts each awkward mode as content or style, with sizes and aspect ratios that differ."""
    files = {
        "I16": (Image.fromarray(_rng_rgb(36, 60)[..., 0].astype(np.uint16) * 257), "PNG"),
        "CMYK": (Image.fromarray(_rng_rgb(64, 36)).convert("CMYK"), "JPEG"),
        "LA": (Image.fromarray(_rng_rgb(20, 40)).convert("LA"), "PNG"),
    }
    for name, (img, fmt) in files.items():
        img.save(tmp_path / f"{name}.{fmt.lower()}", format=fmt)
    cases = [("I16.png", corpus / "palette.png"), (corpus / "rgba.png", "CMYK.jpeg"), ("LA.png", corpus / "style.png")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for content, style in cases:
            content = tmp_path / content if isinstance(content, str) else content
            style = tmp_path / style if isinstance(style, str) else style
            h, w = Image.open(content).size[::-1]
            result = colorlib.colorize(str(content), str(style), size=32, iterations=1, device="cpu")
            assert result.image.shape[:2] == ((32, round(32 * w / h)) if h >= w else (round(32 * h / w), 32))
            assert np.isfinite(result.image).all()


# --- values scaled by their type, never silently white or black ---------------------------------------

def _tiff(arr):
    return _encode(Image.fromarray(arr), "TIFF")


def test_float_and_integer_tiffs_scaled_by_type_or_refused():
    ramp = np.linspace(0, 1, 20 * 30, dtype=np.float32).reshape(20, 30)
    np.testing.assert_allclose(images.decode(_tiff(ramp), "f.tif")[..., 0], ramp, atol=1e-6)
    for bad, text in ((ramp * 255, r"\[0, 255\]; floats must be in \[0, 1\] \(0–255 data: divide by 255\)"),
                      (ramp - 0.5, r"\[-0.5, 0.5\]; floats must be in \[0, 1\]"),
                      (np.where(ramp > 0.5, np.nan, ramp).astype(np.float32), "NaN or Inf")):
        with pytest.raises(ColorkitError, match=f"f.tif: float image .*{text}"):
            images.decode(_tiff(bad.astype(np.float32)), "f.tif")
    full = (ramp.astype(np.float64) * (2**31 - 1)).astype(np.int32)  # an int32 TIFF using its range
    np.testing.assert_allclose(images.decode(_tiff(full), "i.tif")[..., 0], ramp, atol=1e-6)
    big = (ramp * 100000).astype(np.int32)  # once: clipped to white above 65535; its white point is unknown
    with pytest.raises(ColorkitError, match="i.tif: int32 image with values 0–100000 would be black"):
        images.decode(_tiff(big), "i.tif")
    with pytest.raises(ColorkitError, match="i.tif: int32 image with values 0–255 would be black"):
        images.decode(_tiff((ramp * 255).astype(np.int32)), "i.tif")
    with pytest.raises(ColorkitError, match="i.tif: int32 image has negative values"):
        images.decode(_tiff((ramp * 255 - 100).astype(np.int32)), "i.tif")
    u16 = (ramp * 65535).astype(np.uint16)
    np.testing.assert_allclose(images.decode(_tiff(u16), "u.tif")[..., 0], u16 / 65535, atol=1e-6)
    assert images.decode(_tiff(np.zeros((4, 4), np.int32)), "black.tif").max() == 0  # black is black


def test_arrays_scaled_by_dtype_or_refused():
    rng = np.random.default_rng(0)
    u8 = rng.integers(0, 256, (6, 7, 3)).astype(np.uint8)
    np.testing.assert_allclose(images.as_array(u8), u8 / 255, atol=1e-7)
    u16 = rng.integers(0, 65536, (6, 7, 3)).astype(np.uint16)
    np.testing.assert_allclose(images.as_array(u16), u16 / 65535, atol=1e-7)
    i32 = rng.integers(0, 2**31 - 1, (6, 7)).astype(np.int32)
    np.testing.assert_allclose(images.as_array(i32)[..., 1], i32 / (2**31 - 1), atol=1e-7)
    f = rng.random((6, 7, 3))
    f[0, 0, 0] = 1.0
    np.testing.assert_allclose(images.as_array(f), f, atol=1e-7)
    np.testing.assert_array_equal(images.as_array(np.eye(3, dtype=bool))[..., 0], np.eye(3))
    assert images.as_array(f * (1 + 5e-5)).max() == 1.0  # rounding just past 1 is clipped
    for bad, text in ((u8.astype(np.int64), "int64 image with values 0–255 would be black"),
                      (u8.astype(np.float32), r"floats must be in \[0, 1\] \(0–255 data: divide by 255\)"),
                      (u8.astype(int) - 128, "negative values"),
                      (f - 0.5, r"floats must be in \[0, 1\]"),
                      (np.full((4, 4, 3), np.inf), "NaN or Inf"),
                      (np.full((4, 4, 3), "x"), "unsupported array type")):
        with pytest.raises(ColorkitError, match=f"arr: .*{text}"):
            images.as_array(bad, "arr")


# --- formats, numbers, memory, Ctrl-C ---------------------------------------------------------------

@pytest.mark.parametrize("shape", [(16, 16), (27, 32), (40, 21)])
def test_writable_formats_store_exactly_the_result_or_refuse(tmp_path, shape):
    """Every extension not in UNWRITABLE either writes a file that decodes to the very size of the image (.ico
    included), or is refused in one line before anything is written (.icns keeps fixed sizes): never a file of
    another size than the JSON beside it describes."""
    Image.init()
    image = np.full((*shape, 3), 0.5, np.float32)
    unwritable = _unwritable_extensions(readable_only=False)
    written = []
    for ext in sorted(Image.registered_extensions()):
        path = tmp_path / f"r{ext}"
        if ext in unwritable:
            text = "can be read but not written" if ext in UNWRITABLE else "cannot be written"
            with pytest.raises(ColorkitError, match=text):
                images.writable_format(path)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                images.check_holds(path, *shape)
            except ColorkitError as exc:
                assert "\n" not in str(exc) and f"{shape[1]}x{shape[0]}" in str(exc), str(exc)
                with pytest.raises(ColorkitError):
                    images.save(image, path)
                assert not path.exists()
                continue
            images.save(image, path)
            assert Image.open(path).size == (shape[1], shape[0]), ext
        written.append(ext)
    assert ".psd" in UNWRITABLE and ".png" not in UNWRITABLE
    assert {".png", ".jpg", ".tif", ".bmp", ".ico"} <= set(written)


def test_16_bit_pgm_is_scaled_as_16_bit(tmp_path):
    """A PGM with maxval 65535 (or any maxval > 255: Pillow scales those to 65535) is 16-bit gray, not refused."""
    for maxval in (65535, 1000):
        values = np.array([[0, maxval // 2, maxval, 1]], dtype=">u2")
        path = tmp_path / f"g{maxval}.pgm"
        path.write_bytes(f"P5\n4 1\n{maxval}\n".encode() + values.tobytes())
        out = images.load(path)[..., 0]
        np.testing.assert_allclose(out, values.astype(float) / maxval, atol=1.5 / 65535)


def test_a_tensor_that_requires_grad_is_one_line():
    import torch

    x = torch.rand(20, 24, 3, requires_grad=True)
    with pytest.raises(ColorkitError, match="content: a tensor that requires grad; pass tensor.detach"):
        images.as_array(x, "content")
    assert images.as_array(x.detach(), "content").shape == (20, 24, 3)
