"""Shared by the reliability tests (test_bad_input, test_image_values, test_input_files, test_atomic_writes,
test_stopping, test_determinism, test_auto_style): a generated corpus of inputs, good and bad, and small helpers.
Every input is generated here; nothing is stored. The `corpus` fixture (tests/conftest.py) calls make_corpus."""
import hashlib
import io
import json
import os
import pathlib
import stat
import struct
import subprocess
import sys
import threading
import warnings
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

from colorlib.paper import vgg

ROOT = pathlib.Path(__file__).resolve().parents[1]
TINY = ["--size", "32", "--iterations", "2", "--quiet"]  # bad-input runs fail before the device matters
CPU = ["--device", "cpu"]


def _cli(args, cwd, env=None, timeout=300):
    """Run `python -m colorlib colorize ARGS` in a subprocess; (exit code, stderr, stdout)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "colorlib", "colorize", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stderr, proc.stdout


def _rng_rgb(h, w, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    base = np.stack([xx, yy, 1 - xx], axis=-1) * 200 + rng.integers(0, 55, (h, w, 3))
    return base.astype(np.uint8)


def _png_claiming(width, height):
    """A PNG whose header claims width x height pixels: a decompression bomb in 60 bytes."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


class _Payload:
    """Unpickling this runs a shell command that creates a marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))



def make_corpus(d):
    """Inputs, good and bad, written into the fresh folder `d`."""
    Image.fromarray(_rng_rgb(40, 48, 1)).convert("L").save(d / "content.png")
    Image.fromarray(_rng_rgb(56, 40, 2)).save(d / "style.png")
    rgba = np.dstack([_rng_rgb(40, 48, 3), np.full((40, 48), 128, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(d / "rgba.png")
    Image.fromarray(_rng_rgb(30, 60, 4)).convert("P", palette=Image.ADAPTIVE, colors=16).save(d / "palette.png")
    good_png = (d / "style.png").read_bytes()
    (d / "empty.png").write_bytes(b"")
    (d / "truncated.png").write_bytes(good_png[: len(good_png) // 2])
    buf = io.BytesIO()
    Image.fromarray(_rng_rgb(40, 48, 5)).save(buf, format="JPEG", quality=90)
    (d / "truncated.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    (d / "notes.png").write_text("these are my notes, not a picture\n")
    (d / "folder").mkdir()
    Image.fromarray(_rng_rgb(8, 8, 6)).save(d / "tiny.png")
    Image.fromarray(_rng_rgb(20, 160, 7)).save(d / "strip.png")  # 32 x 4 px at --size 32
    (d / "bomb.png").write_bytes(_png_claiming(20000, 20000))
    (d / "corrupt.pth").write_bytes(np.random.default_rng(8).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    (d / "empty.pth").write_bytes(b"")
    torch.save([1, 2, 3], d / "list.pth")
    torch.save({"model": torch.zeros(3)}, d / "other_dict.pth")
    torch.save({f"features.{i}.{p}": torch.zeros((8, 3, 1, 1) if p == "weight" else (8,))
                for i in vgg.CONV_INDICES for p in ("weight", "bias")}, d / "wrong_shape.pth")
    real = io.BytesIO()
    torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3)}, real)
    (d / "truncated.pth").write_bytes(real.getvalue()[: len(real.getvalue()) // 2])
    torch.save({"features.0.weight": _Payload(d / "PWNED_cli")}, d / "payload.pth")
    # inputs an output must never overwrite, inputs that are not files, values that are not 0..1
    Image.fromarray(_rng_rgb(40, 48, 9)).save(d / "init.png")
    Image.fromarray(_rng_rgb(40, 48, 10)).save(d / "snap_1.png")
    (d / "shot.json").write_bytes((d / "content.png").read_bytes())  # an image whose name is an output's JSON
    os.symlink("style.png", d / "link.png")
    os.link(d / "style.png", d / "hard.png")
    os.symlink(".", d / "alias")
    os.mkfifo(d / "fifo")
    ramp = np.linspace(0, 255, 40 * 48, dtype=np.float32).reshape(40, 48)
    Image.fromarray(ramp).save(d / "float255.tif")  # a float TIFF holding 0..255 (once: all white)
    Image.fromarray(ramp / 255 * 2 - 1).save(d / "negfloat.tif")  # floats in [-1, 1] (once: half black)
    Image.fromarray(ramp.astype(np.int32)).save(d / "int32small.tif")  # int32 holding 0..255
    (d / "small_candidates").mkdir()
    Image.fromarray(_rng_rgb(8, 8, 11)).save(d / "small_candidates" / "tiny.png")
    Image.fromarray(_rng_rgb(6, 200, 12)).save(d / "small_candidates" / "thin.png")
    (d / "voters").mkdir()  # style 'auto' candidates: with --preset best the ones ranked after the top one vote
    for k, name in enumerate(("a.png", "b.jpg", "c.png")):
        Image.fromarray(_rng_rgb(40, 48, 13 + k)).save(d / "voters" / name)
    os.symlink(os.path.join("voters", "b.jpg"), d / "voter_link.jpg")
    (d / "bad\nname.png").write_text("a newline in the name, and not a picture\n")
    CORPUS_STATE[str(d)] = _state(d)
    return d



CORPUS_STATE = {}  # corpus folder -> its files and their hashes as generated: no case may change them


def _state(folder, prefix=""):
    """{name: (sha256 or kind, mode)} of everything in the corpus, subfolders included (not the OUT-* folders the
    cases write into; symlinks not followed)."""
    out = {}
    for entry in os.scandir(folder):
        if entry.name.startswith("OUT-"):
            continue
        st = entry.stat(follow_symlinks=False)
        mode, name = st.st_mode, prefix + entry.name
        if stat.S_ISREG(mode):
            out[name] = (hashlib.sha256(pathlib.Path(entry.path).read_bytes()).hexdigest(), mode)
        elif stat.S_ISLNK(mode):
            out[name] = (os.readlink(entry.path), mode)
        else:
            out[name] = (stat.S_IFMT(mode), mode)
            if stat.S_ISDIR(mode):
                out.update(_state(entry.path, name + "/"))
    return out


def _unwritable_extensions(readable_only=True):
    """Extensions of formats Pillow opens (or any, with readable_only=False) but cannot write an RGB image in
    (found by trying, here)."""
    Image.init()
    probe = Image.fromarray(np.full((16, 16, 3), 100, np.uint8))
    out = []
    for ext, fmt in sorted(Image.registered_extensions().items()):
        if readable_only and fmt not in Image.OPEN:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                probe.save(io.BytesIO(), format=fmt)
        except Exception:  # no writer (KeyError), no handler installed (OSError), wrong mode (OSError/ValueError)
            out.append(ext)
    return out


UNWRITABLE = _unwritable_extensions()
LONG_STEM = "a" * 251  # the image's name (255 bytes) fits, its JSON's (256 bytes) does not


def _main(args, timeout=120):
    """colorlib.app.cli.main(args) in a thread that must finish within `timeout` s (a FIFO must not block)."""
    from colorlib.app import cli

    box = {}

    def target():
        try:
            box["code"] = cli.main(args)
        except SystemExit as exc:  # argparse's usage errors
            box["code"] = exc.code
        except BaseException as exc:  # noqa: B036 (reported in the test's thread)
            box["exc"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        pytest.fail(f"main({args}) still running after {timeout} s")
    if "exc" in box:
        raise box["exc"]
    return box["code"]


def _encode(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _fake_result(seed, shape=(8, 8)):
    """A Result whose image says which run made it: every pixel is seed * 10 (8-bit)."""
    from colorlib.paper.colorize import Result

    image = np.full((*shape, 3), seed * 10 / 255.0, np.float32)
    return Result(image, [], {"seed": seed}, {}, {"seed": seed, "seconds": 0.0})


def _pair(path):
    """(seed the image says, seed the JSON says) of a saved result."""
    pixels = np.asarray(Image.open(path))
    assert (pixels == pixels.flat[0]).all()
    return int(pixels.flat[0]) // 10, json.loads(pathlib.Path(path).with_suffix(".json").read_text())["seed"]


def _leftovers(folder):
    return sorted(n for n in os.listdir(folder) if n.startswith((".tmp-", ".colorkit")))
