"""Reliability: a generated corpus of bad inputs through the CLI, image modes that must work,
divergence, Ctrl-C, atomic writes, image + JSON written as one unit, inputs never overwritten, reproducibility and safe
weight loading. Every input is generated here; nothing is stored."""
import ast
import concurrent.futures
import contextlib
import hashlib
import io
import json
import os
import pathlib
import pickle
import signal
import stat
import struct
import subprocess
import sys
import threading
import time
import warnings
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

import colorlib
from colorlib import file_input, images, record as results
from colorlib.paper import vgg
from colorlib.atomic import atomic_write
from colorlib.errors import ColorkitError, DivergenceError

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


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Inputs, good and bad, written into a fresh folder."""
    d = tmp_path_factory.mktemp("corpus")
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
    CORPUS_STATE[str(d)] = _state(d)
    return d


CORPUS_STATE = {}  # corpus folder -> its files and their hashes as generated: no case may change them


def _state(folder):
    """{name: sha256 or kind} of the corpus's top level (not the OUT-* folders the cases write into)."""
    out = {}
    for entry in os.scandir(folder):
        if entry.name.startswith("OUT-"):
            continue
        mode = entry.stat(follow_symlinks=False).st_mode
        if stat.S_ISREG(mode):
            out[entry.name] = hashlib.sha256(pathlib.Path(entry.path).read_bytes()).hexdigest()
        else:
            out[entry.name] = os.readlink(entry.path) if stat.S_ISLNK(mode) else stat.S_IFMT(mode)
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


# id -> (arguments after "colorize", extra environment, text the one-line error must contain)
BAD = {
    "missing file": (["missing.png", "style.png"], {}, ["missing.png", "file not found"]),
    "empty file": (["empty.png", "style.png"], {}, ["empty.png", "empty file"]),
    "truncated PNG": (["truncated.png", "style.png"], {}, ["truncated.png", "truncated"]),
    "truncated JPEG": (["content.png", "truncated.jpg"], {}, ["truncated.jpg", "truncated"]),
    "text file named .png": (["notes.png", "style.png"], {}, ["notes.png", "not an image file"]),
    "directory": (["folder", "style.png"], {}, ["folder", "is a directory"]),
    "too small for the deepest layer": (["tiny.png", "style.png"], {}, ["tiny.png", "8x8", "at least 16 px", "5_1"]),
    "too thin at --size": (["strip.png", "style.png"], {}, ["strip.png", "at least 16 px", "raise --size"]),
    "decompression bomb": (["bomb.png", "style.png"], {},
                           ["bomb.png", "400000000 pixels", "decompression-bomb", "COLORKIT_MAX_PIXELS=400000000"]),
    "bomb guard lowered by env": (["content.png", "style.png"], {"COLORKIT_MAX_PIXELS": "1000"},
                                  ["content.png", "1920 pixels", "COLORKIT_MAX_PIXELS=1920"]),
    "output under a regular file": (["content.png", "style.png", "-o", "style.png/out.png"], {},
                                    ["style.png/out.png", "is a file, not a folder"]),
    "output in /proc": (["content.png", "style.png", "-o", "/proc/colorkit-out.png"], {},
                        ["/proc/colorkit-out.png", "cannot write"]),
    "output extension": (["content.png", "style.png", "-o", "OUT/result.txt"], {},
                         ["result.txt", "unknown image extension"]),
    "unknown optimizer": (["content.png", "style.png", "--optimizer", "nesterov"], {},
                          ["--optimizer", "invalid choice: 'nesterov'"]),
    "unknown device": (["content.png", "style.png", "--device", "tpu"], {}, ["unknown device 'tpu'"]),
    "negative lr": (["content.png", "style.png", "--lr", "-1"], {}, ["lr must be > 0"]),
    "init image missing": (["content.png", "style.png", "--init", "image", "--init-image", "gone.png"], {},
                           ["gone.png", "file not found"]),
    "weights missing": (["content.png", "style.png", "--weights", "nowhere.pth"], {},
                        ["nowhere.pth", "weights file not found"]),
    "weights empty": (["content.png", "style.png", "--weights", "empty.pth"], {}, ["empty.pth", "empty"]),
    "weights corrupt": (["content.png", "style.png", "--weights", "corrupt.pth"], {},
                        ["corrupt.pth", "not a loadable torch weights file"]),
    "weights truncated": (["content.png", "style.png", "--weights", "truncated.pth"], {},
                          ["truncated.pth", "not a loadable torch weights file"]),
    "weights not a dict": (["content.png", "style.png", "--weights", "list.pth"], {},
                           ["list.pth", "expected a state dict", "list"]),
    "weights other dict": (["content.png", "style.png", "--weights", "other_dict.pth"], {},
                           ["other_dict.pth", "not a torchvision vgg19 state dict"]),
    "weights wrong shapes": (["content.png", "style.png", "--weights", "wrong_shape.pth"], {},
                             ["wrong_shape.pth", "not VGG-19 weights", "conv1_1"]),
    "weights with code": (["content.png", "style.png", "--weights", "payload.pth"], {},
                          ["payload.pth", "refused to load"]),
    # --- more cases ---------------------------------------------------------------------------------------------
    "output is the content": (["content.png", "style.png", "-o", "content.png"], {},
                              ["content.png", "would overwrite the input content.png"]),
    "output is the style": (["content.png", "style.png", "-o", "style.png"], {},
                            ["would overwrite the input style.png"]),
    "output is the init image": (["content.png", "style.png", "--init", "image", "--init-image", "init.png",
                                  "-o", "init.png"], {}, ["would overwrite the input init.png"]),
    "output is a symlink to the style": (["content.png", "style.png", "-o", "link.png"], {},
                                         ["link.png", "would overwrite the input style.png"]),
    "output is a hard link of the style": (["content.png", "style.png", "-o", "hard.png"], {},
                                           ["hard.png", "would overwrite the input style.png"]),
    "output through a symlinked folder": (["content.png", "style.png", "-o", "alias/style.png"], {},
                                          ["alias/style.png", "would overwrite the input style.png"]),
    "output's JSON is the content": (["shot.json", "style.png", "-o", "shot.png"], {},
                                     ["JSON shot.json would overwrite the input shot.json"]),
    "output's snapshot is the style": (["content.png", "snap_1.png", "-o", "snap.png", "--save-every", "1"], {},
                                       ["snapshot snap_1.png would overwrite the input snap_1.png"]),
    "output's JSON is a folder": (["content.png", "style.png", "-o", "OUT/r.png"], {},
                                  ["r.json", "is a directory"]),
    "output's JSON name too long": (["content.png", "style.png", "-o", f"OUT/{LONG_STEM}.png"], {},
                                    [f"{LONG_STEM}.json", "longer than this filesystem allows"]),
    "output folder name too long": (["content.png", "style.png", "-o", f"OUT/{LONG_STEM * 2}/r.png"], {},
                                    [LONG_STEM * 2, "longer than this filesystem allows"]),
    "output path too long": (["content.png", "style.png", "-o", "OUT/" + "/".join(["d" * 200] * 21) + "/r.png"], {},
                             ["longer than this system allows"]),
    "momentum nan": (["content.png", "style.png", "--optimizer", "sgd", "--momentum", "nan"], {},
                     ["--momentum", "finite"]),
    "style weight inf": (["content.png", "style.png", "--style-weight", "inf"], {}, ["--style-weight", "finite"]),
    "content weight nan": (["content.png", "style.png", "--content-weight", "nan"], {},
                           ["--content-weight", "finite"]),
    "tv weight inf": (["content.png", "style.png", "--tv-weight", "inf"], {}, ["--tv-weight", "finite"]),
    "lr inf": (["content.png", "style.png", "--lr", "inf"], {}, ["--lr", "finite"]),
    "lr -inf": (["content.png", "style.png", "--lr=-inf"], {}, ["--lr", "finite"]),
    "decay nan": (["content.png", "style.png", "--decay", "nan"], {}, ["--decay", "finite"]),
    "seed beyond 64 bits": (["content.png", "style.png", "--seed", "99999999999999999999999"], {},
                            ["seed must fit in 64 bits"]),
    "device meta": (["content.png", "style.png", "--device", "meta"], {}, ["unknown device 'meta'"]),
    "device xpu": (["content.png", "style.png", "--device", "xpu"], {}, ["unknown device 'xpu'"]),
    "negative --save-every": (["content.png", "style.png", "--save-every", "-1"], {}, ["--save-every", ">= 0"]),
    "FIFO input": (["fifo", "style.png"], {}, ["fifo", "named pipe"]),
    "/dev/zero input": (["/dev/zero", "style.png"], {}, ["/dev/zero", "is a device"]),
    "FIFO as init image": (["content.png", "style.png", "--init", "image", "--init-image", "fifo"], {},
                           ["fifo", "named pipe"]),
    "float TIFF holding 0..255": (["float255.tif", "style.png"], {},
                                  ["float255.tif", "floats must be in [0, 1]", "divide by 255"]),
    "negative float TIFF": (["negfloat.tif", "style.png"], {}, ["negfloat.tif", "floats must be in [0, 1]"]),
    "int32 TIFF holding 0..255": (["int32small.tif", "style.png"], {}, ["int32small.tif", "would be black", "uint8"]),
    "COLORKIT_MAX_PIXELS negative": (["content.png", "style.png"], {"COLORKIT_MAX_PIXELS": "-1"},
                                     ["COLORKIT_MAX_PIXELS", "negative"]),
    "COLORKIT_MAX_PIXELS not a number": (["content.png", "style.png"], {"COLORKIT_MAX_PIXELS": "lots"},
                                         ["COLORKIT_MAX_PIXELS", "not a whole number"]),
    "style-dir candidates all too small": (["content.png", "auto", "--style-dir", "small_candidates"], {},
                                           ["small_candidates", "no usable candidate"]),
}
for _ext in UNWRITABLE:  # every format Pillow reads but cannot write, refused before any work
    BAD[f"output format {_ext}"] = (["content.png", "style.png", "-o", f"OUT/result{_ext}"], {},
                                    [f"result{_ext}", "can be read but not written"])
PRE_MADE = {"output's JSON is a folder": ["r.json"]}  # folders made in the case's output folder first
NOTICES_OK = {"style-dir candidates all too small": 2}  # cases that also print this many "notice:" lines
EARLY = [c for c in BAD if c.startswith("output")]  # refused before any image is read or any work starts


# One case of each kind also runs as a real `python -m colorlib` process (each costs a torch import).
SUBPROCESS_CASES = ("missing file", "decompression bomb", "output under a regular file", "unknown optimizer",
                    "weights with code", "output is the content", "output format .psd", "momentum nan",
                    "FIFO input", "int32 TIFF holding 0..255")


def _out_folder(corpus, case, where):
    out = corpus / f"OUT-{where}-" / case.replace(" ", "_").replace("/", "_")
    out.mkdir(parents=True)
    for name in PRE_MADE.get(case, []):
        (out / name).mkdir()
    return out


def _case_args(case, out):
    args = BAD[case][0]
    if "-o" not in args:
        args = [*args, "-o", str(out / "result.png")]
    return [a.replace("OUT/", f"{out}/") for a in args] + TINY


def _check_bad(case, code, err, out, corpus):
    print(f"[{case}] exit {code}: {err.strip()}")  # the issue note lists these (pytest -s shows them)
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    notices = [line for line in lines if line.startswith("notice:")]
    assert len(notices) == NOTICES_OK.get(case, 0), err
    lines = [line for line in lines if not line.startswith("notice:")]
    assert len(lines) == 1, err
    assert "error:" in lines[0]
    for text in BAD[case][2]:
        assert text in lines[0], lines[0]
    written = sorted(set(os.listdir(out)) - set(PRE_MADE.get(case, [])))
    assert written == [], f"files written despite the error: {written}"
    assert _state(corpus) == CORPUS_STATE[str(corpus)], "an input was changed, or a file written beside them"
    assert not (corpus / "PWNED_cli").exists(), "the pickled payload ran"


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


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_one_line_error_no_output(case, corpus, monkeypatch, capsys):
    """The CLI's main() in this process (what `python -m colorlib` runs): exit 2, one line, nothing written."""
    if case == "output in /proc" and not os.path.isdir("/proc"):
        pytest.skip("no /proc here")
    if case == "/dev/zero input" and not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero here")
    from colorlib.app import colorize_command

    if case in EARLY:
        def no_work(*a, **k):
            raise AssertionError(f"{case}: work started before the output was checked")

        monkeypatch.setattr(colorize_command, "run_preset", no_work)
        monkeypatch.setattr(colorize_command, "auto_style", no_work)
        monkeypatch.setattr(images, "decode", no_work)
    monkeypatch.chdir(corpus)
    for key, value in BAD[case][1].items():
        monkeypatch.setenv(key, value)
    out = _out_folder(corpus, case, "main")
    capsys.readouterr()
    code = _main(["colorize", *_case_args(case, out)])
    err = capsys.readouterr().err
    _check_bad(case, code, err, out, corpus)


@pytest.fixture(scope="module")
def bad_runs(corpus):
    """SUBPROCESS_CASES through `python -m colorlib`, two at a time: case -> (exit code, stderr, out folder)."""
    def one(case):
        out = _out_folder(corpus, case, "process")
        try:
            code, err, _ = _cli(_case_args(case, out), corpus, BAD[case][1], timeout=180)
        except subprocess.TimeoutExpired:
            code, err = None, "the process hung (killed after 180 s)"
        return case, (code, err, out)

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, SUBPROCESS_CASES))


@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_bad_input_subprocess(case, bad_runs, corpus):
    code, err, out = bad_runs[case]
    _check_bad(case, code, err, out, corpus)


def test_payload_refused_and_would_have_run(tmp_path):
    """vgg.load_weights refuses a pickle with code in it, and the code does not run; the control proves the
    payload is live: an unsafe torch.load (weights_only=False) does run it."""
    marker = tmp_path / "PWNED"
    for name, write, message in (
            ("torch_save.pth", lambda p: torch.save({"features.0.weight": _Payload(marker)}, p), "refused to load"),
            ("protocol2.pkl", lambda p: p.write_bytes(pickle.dumps(_Payload(marker), protocol=2)), "refused to load"),
            ("protocol5.pkl", lambda p: p.write_bytes(pickle.dumps(_Payload(marker), protocol=5)), None)):
        path = tmp_path / name
        write(path)
        with pytest.raises(ColorkitError, match=message):
            vgg.load_weights(str(path))
        assert not marker.exists(), f"{name}: the payload ran while loading"
    torch.load(tmp_path / "torch_save.pth", weights_only=False)  # the unsafe way: runs `touch`
    assert marker.exists()


def test_every_torch_load_is_weights_only():
    calls = []
    for path in sorted((ROOT / "colorlib").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "load" \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "torch":
                safe = any(k.arg == "weights_only" and isinstance(k.value, ast.Constant) and k.value.value is True
                           for k in node.keywords)
                calls.append((path.name, node.lineno, safe))
    assert calls, "expected at least vgg.py's torch.load"
    assert all(safe for *_, safe in calls), [c for c in calls if not c[2]]


def test_no_direct_file_writes_in_package():
    """Files are written only through atomic_write (images.save, results.write_json, plots.save use it)."""
    offenders = []
    for path in sorted((ROOT / "colorlib").rglob("*.py")):
        if path.relative_to(ROOT / "colorlib").as_posix() == "atomic.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "open":
                modes = [a for a in node.args[1:2]] + [k.value for k in node.keywords if k.arg == "mode"]
                if any(isinstance(m, ast.Constant) and set(str(m.value)) & set("wax+") for m in modes):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


# --- modes that must work --------------------------------------------------------------------------------------

def _encode(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


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
        "I16": (Image.fromarray((_rng_rgb(36, 60)[..., 0].astype(np.uint16) * 257)), "PNG"),
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


# --- divergence ------------------------------------------------------------------------------------------------

def test_divergence_api_keeps_last_finite_image(corpus):
    with pytest.raises(DivergenceError) as info:
        colorlib.colorize(str(corpus / "content.png"), str(corpus / "style.png"), size=32, iterations=4,
                          optimizer="sgd", lr=1e30, device="cpu")
    err = info.value
    assert "diverged" in str(err) and "iteration 2" in str(err) and "\n" not in str(err)
    assert "--lr" in str(err) or "learning rate" in str(err)
    res = err.result
    assert res.run["diverged"] and len(res.history) == 1
    image = res.image
    assert np.isfinite(image).all() and image.max() > 0.05
    saturated = np.mean((image <= 0.0) | (image >= 1.0))
    assert saturated < 0.5, f"{saturated:.0%} of the kept image is clipped: garbage, not the last finite image"


def test_divergence_cli_exit_3_saves_image_and_json(corpus, tmp_path):
    out = tmp_path / "div.png"
    code, err, _ = _cli(["content.png", "style.png", "-o", str(out), "--optimizer", "sgd", "--lr", "1e30", *TINY, *CPU],
                        corpus)
    print(f"[diverged] exit {code}: {err.strip()}")
    assert code == 3, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "diverged" in err and "iteration 2" in err and ("--lr" in err or "learning rate" in err)
    assert str(out) in err
    record = json.loads((tmp_path / "div.json").read_text())
    assert record["diverged"] and record["interrupted"] is False
    assert np.asarray(Image.open(out)).mean() > 10  # the last finite image, not a black one


# --- nothing lost ----------------------------------------------------------------------------------------------

def test_atomic_write_failure_keeps_previous_file(tmp_path):
    target = tmp_path / "result.json"
    results.write_json({"run": 1}, target)
    with pytest.raises(RuntimeError):
        with atomic_write(target, "w") as fh:
            fh.write('{"run": 2, "half')
            fh.flush()
            raise RuntimeError("crash mid-write")
    assert json.loads(target.read_text()) == {"run": 1}
    results.write_json({"run": 3, "loss": float("nan"), "best": [float("inf"), 1.5]}, target)
    assert json.loads(target.read_text()) == {"run": 3, "loss": None, "best": [None, 1.5]}  # strict JSON: no NaN
    assert sorted(os.listdir(tmp_path)) == ["result.json"]  # no temp files left behind


def test_image_save_failure_keeps_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "image.png"
    first = np.full((8, 8, 3), 0.25, np.float32)
    images.save(first, target)
    before = target.read_bytes()

    def disk_full(fd):  # the half-written temporary is on disk; its fsync finds the disk full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(ColorkitError, match="image.png: cannot write .*No space left"):
        images.save(np.ones((8, 8, 3), np.float32), target)
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["image.png"]
    monkeypatch.undo()

    def broken_encoder(self, fh, *a, **k):  # an encoder failing is one line too, and nothing is touched
        fh.write(b"\x89PNG half an image")
        raise OSError("encoder error -2")

    monkeypatch.setattr(Image.Image, "save", broken_encoder)
    with pytest.raises(ColorkitError, match="image.png: cannot encode the image as PNG .*encoder error"):
        images.save(np.ones((8, 8, 3), np.float32), target)
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["image.png"]


def test_save_into_unwritable_place_is_a_colorkit_error(tmp_path):
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(ColorkitError, match="a_file/out.png: cannot write"):
        images.save(np.zeros((4, 4, 3), np.float32), tmp_path / "a_file" / "out.png")


def test_sigint_saves_image_so_far(corpus, tmp_path):
    out = tmp_path / "long.png"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "colorlib", "colorize", "content.png", "style.png", "-o", str(out),
                             "--size", "32", "--iterations", "100000", "--save-every", "1", "--device", "cpu",
                             "--quiet"], cwd=corpus, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while not (tmp_path / "long_2.png").exists():  # iterating for real: two snapshots written
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the run never started iterating"
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    print(f"[SIGINT] exit {proc.returncode}: {err.strip()}")
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    record = json.loads((tmp_path / "long.json").read_text())
    assert record["interrupted"] is True and record["iterations_run"] >= 2
    assert len(record["history"]) == record["iterations_run"]
    saved = np.asarray(Image.open(out))
    assert saved.shape[:2] == (27, 32) and saved.std() > 0
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".tmp-")]


# --- reproducibility -------------------------------------------------------------------------------------------

def test_cli_same_seed_same_bytes_and_full_record(corpus, tmp_path):
    """Two CLI runs (RGBA content, palette style of another size and shape) give identical PNG bytes; the JSON
    records params, seed, versions, device and hashes of the input files."""
    runs = []
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for k in range(2):
            out = tmp_path / f"run{k}" / "out.png"
            out.parent.mkdir()
            runs.append((out, pool.submit(_cli, ["rgba.png", "palette.png", "-o", str(out), "--seed", "3", *TINY, *CPU],
                                          corpus)))
    for out, future in runs:
        code, err, stdout = future.result()
        assert code == 0, err
        assert "Traceback" not in err
        assert "notice:" in err and "rgba.png: alpha channel dropped" in err
        assert "wrote" in stdout
    (a, _), (b, _) = runs
    assert a.read_bytes() == b.read_bytes()
    rec = json.loads(a.with_suffix(".json").read_text())
    rec_b = json.loads(b.with_suffix(".json").read_text())
    assert rec["history"][-1]["total_loss"] == rec_b["history"][-1]["total_loss"]
    assert rec["seed"] == 3 and rec["params"]["seed"] == 3 and rec["params"]["size"] == 32
    assert rec["device"] == "cpu" and torch.__version__.startswith(rec["versions"]["torch"])
    assert rec["versions"]["numpy"] and rec["versions"]["pillow"]
    assert rec["inputs"]["content_sha256"] and rec["inputs"]["style_sha256"]
    for key, name in (("content", "rgba.png"), ("style", "palette.png")):
        assert rec["paths"][key] == str(corpus / name)
        assert rec["paths"][f"{key}_sha256"] == hashlib.sha256((corpus / name).read_bytes()).hexdigest()


def test_api_same_seed_same_array_other_seed_differs(corpus):
    kw = dict(size=32, iterations=2, device="cpu")
    content, style = str(corpus / "content.png"), str(corpus / "style.png")
    a = colorlib.colorize(content, style, seed=5, **kw)
    b = colorlib.colorize(content, style, seed=5, **kw)
    c = colorlib.colorize(content, style, seed=6, **kw)
    assert np.array_equal(a.image, b.image) and a.history[-1]["total_loss"] == b.history[-1]["total_loss"]
    assert not np.array_equal(a.image, c.image)  # the seed matters, so equality above is not vacuous
    assert a.run["seed"] == 5 and a.run["inputs"] == b.run["inputs"]


# --- image and JSON as one unit ----------------------------------------------------------------------

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


def test_save_writes_image_and_json(tmp_path):
    out = tmp_path / "new" / "r.png"
    assert results.save(_fake_result(3), out) == (str(out), str(tmp_path / "new" / "r.json"))
    assert _pair(out) == (3, 3)
    assert _leftovers(out.parent) == []


def test_json_failure_restores_previous_pair(tmp_path, monkeypatch):
    """The JSON cannot be put in place after the image was: the previous image comes back, the message says so."""
    out = tmp_path / "r.png"
    results.save(_fake_result(1), out)
    before = out.read_bytes(), out.with_suffix(".json").read_bytes()
    real_replace = os.replace

    def full_disk_on_json(src, dst):
        if str(dst).endswith(".json"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", full_disk_on_json)
    with pytest.raises(ColorkitError) as info:
        results.save(_fake_result(2), out)
    message = str(info.value)
    assert message.startswith(f"{out.with_suffix('.json')}: cannot write (No space left on device)"), message
    assert f"{out} was put back" in message and "no file was changed" in message and "\n" not in message
    assert (out.read_bytes(), out.with_suffix(".json").read_bytes()) == before
    assert _leftovers(tmp_path) == []
    monkeypatch.undo()
    # no previous pair: the new image is taken away again, nothing is left
    fresh = tmp_path / "fresh.png"
    monkeypatch.setattr(os, "replace", full_disk_on_json)
    with pytest.raises(ColorkitError, match="fresh.png was put back; no file was changed"):
        results.save(_fake_result(2), fresh)
    assert not fresh.exists() and not fresh.with_suffix(".json").exists()
    assert _leftovers(tmp_path) == []


def test_image_failure_changes_nothing(tmp_path, monkeypatch):
    out = tmp_path / "r.png"
    results.save(_fake_result(1), out)
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda src, dst: (_ for _ in ()).throw(OSError(5, "Input/output error"))
                        if str(dst).endswith(".png") else real_replace(src, dst))
    with pytest.raises(ColorkitError, match=r"r.png: cannot write \(Input/output error\); no file was changed$"):
        results.save(_fake_result(2), out)
    assert _pair(out) == (1, 1) and _leftovers(tmp_path) == []


def test_ctrl_c_between_the_renames_rolls_back(tmp_path, monkeypatch):
    out = tmp_path / "r.png"
    results.save(_fake_result(1), out)
    real_replace = os.replace

    def interrupted_on_json(src, dst):
        if str(dst).endswith(".json"):
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", interrupted_on_json)
    with pytest.raises(KeyboardInterrupt):
        results.save(_fake_result(2), out)
    monkeypatch.undo()
    assert _pair(out) == (1, 1) and _leftovers(tmp_path) == []


def test_json_path_a_folder_at_save_time(tmp_path):
    """r.json became a folder during the run (check_output refuses it before a run): the pair is not split."""
    out = tmp_path / "r.png"
    results.save(_fake_result(1), out)
    before = out.read_bytes()
    (tmp_path / "r.json").unlink()
    (tmp_path / "r.json").mkdir()
    with pytest.raises(ColorkitError, match=r"r.json: cannot write \(is a directory\); no file was changed"):
        results.save(_fake_result(2), out)
    assert out.read_bytes() == before and _leftovers(tmp_path) == []


def test_json_name_too_long_at_save_time(tmp_path):
    """A 251-character stem: the image's name fits, the JSON's does not; the image is not left alone."""
    out = tmp_path / f"{LONG_STEM}.png"
    with pytest.raises(ColorkitError) as info:
        results.save(_fake_result(2), out)
    message = str(info.value)
    assert f"{LONG_STEM}.json: cannot write (File name too long)" in message, message
    assert f"{LONG_STEM}.png was put back; no file was changed" in message
    assert os.listdir(tmp_path) == []


def test_stale_temporaries_removed_live_ones_kept(tmp_path):
    from colorlib import atomic

    dead = 2**22 + 12345  # above any pid this machine hands out by default: no such process
    with contextlib.suppress(ProcessLookupError):
        os.kill(dead, 0)
        pytest.skip("the made-up pid exists here")
    now = time.time()
    files = {f".tmp-{dead}-killed.png": now - 120,  # its writer is gone and it is 2 minutes old: stale
             f".tmp-{dead}-young.png": now - 5,  # writer gone, but maybe another host's live writer: kept for now
             f".tmp-{os.getpid()}-mine.json": now,  # a live writer's (this process): kept
             ".tmp-1-ancient.png": now - 2 * atomic.STALE_SECONDS,  # older than any write takes: stale
             ".tmp-legacy": now - 2 * atomic.STALE_SECONDS}  # an old-style name, old: stale
    for name, mtime in files.items():
        (tmp_path / name).write_bytes(b"half")
        os.utime(tmp_path / name, (mtime, mtime))
    results.save(_fake_result(4), tmp_path / "r.png")
    assert _pair(tmp_path / "r.png") == (4, 4)
    assert sorted(os.listdir(tmp_path)) == sorted([f".tmp-{dead}-young.png", f".tmp-{os.getpid()}-mine.json",
                                                    "r.json", "r.png"])


def test_concurrent_writers_threads_never_mix_pairs(tmp_path):
    out = tmp_path / "r.png"
    for attempt in range(12):
        barrier = threading.Barrier(4)

        def write(seed):
            barrier.wait()
            results.save(_fake_result(seed), out)

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(write, range(1 + 4 * attempt % 20, 5 + 4 * attempt % 20)))
        seed_image, seed_json = _pair(out)
        assert seed_image == seed_json, f"try {attempt}: image of run {seed_image}, JSON of run {seed_json}"
    assert _leftovers(tmp_path) == []


def _writer_process(out, seed, barrier, rounds):
    for _ in range(rounds):
        barrier.wait()
        results.save(_fake_result(seed), out)
        barrier.wait()  # everyone done: the parent checks the pair
        barrier.wait()


def test_concurrent_writers_processes_never_mix_pairs(tmp_path):
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    out, rounds, writers = tmp_path / "r.png", 8, 3
    barrier = ctx.Barrier(writers + 1)
    procs = [ctx.Process(target=_writer_process, args=(out, seed, barrier, rounds)) for seed in (1, 2, 3)]
    for proc in procs:
        proc.start()
    try:
        for attempt in range(rounds):
            barrier.wait(timeout=60)
            barrier.wait(timeout=60)
            seed_image, seed_json = _pair(out)
            assert seed_image == seed_json, f"try {attempt}: image of run {seed_image}, JSON of run {seed_json}"
            barrier.wait(timeout=60)
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    assert all(proc.exitcode == 0 for proc in procs)
    assert _leftovers(tmp_path) == []


def test_concurrent_cli_runs_to_one_path(tmp_path, monkeypatch, capsys):
    """Two `colorize` commands (seeds 1 and 2) to one output, six times: the JSON always describes the image."""
    from colorlib.app import colorize_command

    for name, seed in (("c.png", 5), ("s.png", 6)):
        Image.fromarray(_rng_rgb(40, 48, seed)).save(tmp_path / name)
    monkeypatch.setattr(colorize_command, "run_preset",
                        lambda preset, content, style, config, on_step=None, references=(): _fake_result(config.seed))
    out = tmp_path / "out" / "r.png"
    for attempt in range(6):
        barrier = threading.Barrier(2)

        def run(seed):
            barrier.wait()
            return _main(["colorize", str(tmp_path / "c.png"), str(tmp_path / "s.png"), "-o", str(out), "--seed",
                          str(seed), *TINY, *CPU])

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            assert list(pool.map(run, (1, 2))) == [0, 0], capsys.readouterr().err
        seed_image, _ = _pair(out)
        record = json.loads(out.with_suffix(".json").read_text())
        assert record["seed"] == record["params"]["seed"] == seed_image, f"try {attempt}"
    assert _leftovers(out.parent) == []


# --- inputs read once, only files and standard input -------------------------------------------------

def test_load_refuses_pipes_devices_folders_sockets_without_blocking(tmp_path):
    import socket

    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "folder").mkdir()
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    cases = {"fifo": "named pipe (FIFO)", "folder": "is a directory", "sock": "is a socket"}
    if os.path.exists("/dev/zero"):
        cases["/dev/zero"] = "is a device"
    try:
        for name, text in cases.items():
            path = name if name.startswith("/") else str(tmp_path / name)
            box = {}
            thread = threading.Thread(target=lambda: box.update(r=pytest.raises(ColorkitError, images.load, path)),
                                      daemon=True)
            thread.start()
            thread.join(20)
            if thread.is_alive():
                with contextlib.suppress(OSError):  # let the blocked reader go before failing
                    os.close(os.open(tmp_path / "fifo", os.O_WRONLY | os.O_NONBLOCK))
                pytest.fail(f"{name}: load blocked")
            assert text in str(box["r"].value) and path in str(box["r"].value)
    finally:
        sock.close()


def test_load_reads_the_file_once_and_hashes_those_bytes(tmp_path, monkeypatch):
    path = tmp_path / "x.png"
    Image.fromarray(_rng_rgb(20, 24, 1)).save(path)
    opened = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda p, *a, **k: (opened.append(os.fspath(p)), real_open(p, *a, **k))[1])
    image = images.load(str(path))
    assert opened == [str(path)]
    assert images.input_sha256(str(path)) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert image.shape == (20, 24, 3)


def test_input_size_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(file_input, "HEADER_BYTES", 0)
    monkeypatch.setenv("COLORKIT_MAX_PIXELS", "10")  # at most 160 bytes
    path = tmp_path / "big.png"
    path.write_bytes(b"\x89PNG" + bytes(500))
    with pytest.raises(ColorkitError, match="big.png: more than 160 bytes"):
        images.load(path)

    class Endless(io.RawIOBase):  # standard input that never ends (as `< /dev/zero`)
        def readable(self):
            return True

        def readinto(self, buf):
            buf[:] = bytes(len(buf))
            return len(buf)

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(Endless())))
    monkeypatch.setattr(file_input, "_STDIN", {})
    with pytest.raises(ColorkitError, match="stdin: more than 160 bytes"):
        images.load("-")


def test_cli_records_the_hash_of_the_bytes_it_decoded(corpus, tmp_path, monkeypatch):
    """The content changes on disk during the run: the JSON names the bytes the run used, not the new ones."""
    from colorlib.app import colorize_command

    content = tmp_path / "c.png"
    content.write_bytes((corpus / "content.png").read_bytes())
    used = hashlib.sha256(content.read_bytes()).hexdigest()

    def run_preset(preset, content_path, style, config, on_step=None, references=()):
        images.load(content_path), images.load(style)  # what colorize() does first
        Image.fromarray(_rng_rgb(40, 48, 99)).save(content)  # someone rewrites the file meanwhile
        return _fake_result(1)

    monkeypatch.setattr(colorize_command, "run_preset", run_preset)
    out = tmp_path / "r.png"
    assert _main(["colorize", str(content), str(corpus / "style.png"), "-o", str(out), *TINY, *CPU]) == 0
    record = json.loads(out.with_suffix(".json").read_text())
    assert record["paths"]["content_sha256"] == used != hashlib.sha256(content.read_bytes()).hexdigest()


def test_stdin_dash_in_process(corpus, tmp_path, monkeypatch, capsys):
    png = (corpus / "content.png").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(png)))
    monkeypatch.setattr(file_input, "_STDIN", {})
    out = tmp_path / "r.png"
    code = _main(["colorize", "-", str(corpus / "style.png"), "-o", str(out), *TINY, *CPU])
    assert code == 0, capsys.readouterr().err
    record = json.loads(out.with_suffix(".json").read_text())
    assert record["paths"]["content"] == "-"
    assert record["paths"]["content_sha256"] == hashlib.sha256(png).hexdigest()
    assert np.asarray(Image.open(out)).shape[:2] == (27, 32)


def test_stdin_pipe_subprocess(corpus, tmp_path):
    """`cat content.png | colorkit colorize /dev/stdin style.png -o r.png` (a real pipe, not a file)."""
    out = tmp_path / "r.png"
    png = (corpus / "content.png").read_bytes()
    proc = subprocess.run([sys.executable, "-m", "colorlib", "colorize", "/dev/stdin", "style.png", "-o", str(out),
                           *TINY, *CPU], input=png, cwd=corpus, capture_output=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    record = json.loads(out.with_suffix(".json").read_text())
    assert record["paths"]["content_sha256"] == hashlib.sha256(png).hexdigest()


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

def test_writable_formats_accepted_and_round_trip(tmp_path):
    """Every extension not in UNWRITABLE passes the check and really writes (so the check is not too strict)."""
    Image.init()
    image = np.full((16, 16, 3), 0.5, np.float32)
    unwritable = _unwritable_extensions(readable_only=False)
    for ext in sorted(Image.registered_extensions()):
        path = tmp_path / f"r{ext}"
        if ext in unwritable:
            text = "can be read but not written" if ext in UNWRITABLE else "cannot be written"
            with pytest.raises(ColorkitError, match=text):
                images.writable_format(path)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            images.save(image, path)
        assert path.stat().st_size > 0
    assert ".psd" in UNWRITABLE and ".png" not in UNWRITABLE


@pytest.mark.parametrize("error", [
    RuntimeError("[enforce fail at alloc_cpu.cpp:118] data. DefaultCPUAllocator: not enough memory: you tried to "
                 "allocate 123456789012 bytes."),
    torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB. GPU 0 has a total capacity of 79 GiB"),
    MemoryError()], ids=["cpu-allocator", "cuda", "MemoryError"])
def test_out_of_memory_is_one_line_naming_the_size(error, corpus, tmp_path, monkeypatch, capsys):
    from colorlib.app import colorize_command

    def run_preset(*a, **k):
        raise error

    monkeypatch.setattr(colorize_command, "run_preset", run_preset)
    out = tmp_path / "r.png"
    capsys.readouterr()
    code = _main(["colorize", str(corpus / "content.png"), str(corpus / "style.png"), "-o", str(out), *TINY])
    err = capsys.readouterr().err
    print(f"[OOM {type(error).__name__}] exit {code}: {err.strip()}")
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "error: out of memory at --size 32" in err and "smaller --size" in err
    if not isinstance(error, MemoryError):
        assert ("115.0 GiB" if "DefaultCPU" in str(error) else "20.00 GiB") in err
    assert os.listdir(tmp_path) == []


def test_ctrl_c_while_parsing_or_importing(monkeypatch, capsys):
    from colorlib.app import cli

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert cli.main(["colorize", "a.png", "b.png", "-o", "c.png"]) == 130
    assert capsys.readouterr().err.strip() == "interrupted"
    monkeypatch.undo()
    monkeypatch.setitem(cli.COMMANDS, "colorize", interrupted)  # e.g. while the command imports torch
    assert cli.main(["colorize", "a.png", "b.png", "-o", "c.png"]) == 130
    assert capsys.readouterr().err.strip() == "interrupted"


def test_style_dir_skips_candidates_too_small(corpus, tmp_path, capsys):
    cands = tmp_path / "cands"
    cands.mkdir()
    for name in ("tiny.png", "strip.png", "style.png"):
        (cands / name).write_bytes((corpus / name).read_bytes())
    out = tmp_path / "r.png"
    capsys.readouterr()
    code = _main(["colorize", str(corpus / "content.png"), "auto", "--style-dir", str(cands), "-o", str(out),
                  *TINY, *CPU])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Traceback" not in captured.err
    skipped = [line for line in captured.err.splitlines() if line.startswith("notice: skipping candidate")]
    assert len(skipped) == 2 and "tiny.png" in skipped[0] + skipped[1] and "strip.png" in skipped[0] + skipped[1]
    assert json.loads(out.with_suffix(".json").read_text())["paths"]["style"] == str(cands / "style.png")


# --- determinism ------------------------------------------------------------------------------------

def test_same_seed_same_threads_byte_identical_png(corpus, tmp_path, capsys):
    """Two CPU runs with the same seed and the same torch thread count give the same PNG bytes; the JSON records
    the thread count and the other numerics settings (README, "Determinism")."""
    saved = torch.get_num_threads()
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            outs = []
            for k in range(2):
                out = tmp_path / f"t{threads}_{k}.png"
                assert _main(["colorize", str(corpus / "content.png"), str(corpus / "style.png"), "-o", str(out),
                              "--seed", "7", *TINY, *CPU]) == 0, capsys.readouterr().err
                outs.append(out)
            assert outs[0].read_bytes() == outs[1].read_bytes(), f"{threads} thread(s)"
            record = json.loads(outs[0].with_suffix(".json").read_text())
            assert record["torch_threads"] == threads
            assert record["torch_version"] == torch.__version__ and record["device"] == "cpu"
            assert record["precision"] == "fp32" and record["deterministic_algorithms"] is False
    finally:
        torch.set_num_threads(saved)
