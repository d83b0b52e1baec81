"""Bad input through the CLI: a generated corpus of bad files, options and outputs; each gives one line, exit 2,
nothing written and no input changed. Weights files are loaded without running code; files are written only
through colorlib.atomic."""
import ast
import concurrent.futures
import os
import pickle
import subprocess

import pytest
import torch

from colorlib import images
from colorlib.errors import ColorkitError
from colorlib.paper import vgg
from reliability_corpus import CORPUS_STATE, LONG_STEM, ROOT, TINY, UNWRITABLE, _cli, _main, _Payload, _state

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
    # --- issue 25: never touch what is not ours; flags that cannot take effect; one line whatever the name ------
    "output is a voter of auto --preset best": (["content.png", "auto", "--style-dir", "voters", "--preset", "best",
                                                 "-o", "voters/c.png"], {}, ["voters/c.png", "would overwrite"]),
    "output is a candidate of auto": (["content.png", "auto", "--style-dir", "voters", "-o", "voters/a.png"], {},
                                      ["voters/a.png", "would overwrite"]),
    "output is a symlink to a candidate": (["content.png", "auto", "--style-dir", "voters", "--preset", "best",
                                            "-o", "voter_link.jpg"], {}, ["voter_link.jpg", "would overwrite"]),
    "output is read-only": (["content.png", "style.png", "-o", "OUT/result.png"], {}, ["result.png", "read-only"]),
    "output's JSON is read-only": (["content.png", "style.png", "-o", "OUT/result.png"], {},
                                   ["result.json", "read-only"]),
    "output folder is a dangling symlink": (["content.png", "style.png", "-o", "OUT/gone/r.png"], {},
                                            ["gone", "dangling symlink"]),
    "init image without --init image": (["content.png", "style.png", "--init-image", "init.png"], {},
                                        ["--init-image", "--init image"]),
    "momentum without sgd": (["content.png", "style.png", "--momentum", "0.9"], {}, ["--momentum", "sgd"]),
    "weights /dev/zero": (["content.png", "style.png", "--weights", "/dev/zero"], {}, ["/dev/zero", "is a device"]),
    "newline in a file name": (["bad\nname.png", "style.png"], {}, ["bad\\nname.png", "not an image file"]),
    "--size beyond the memory": (["content.png", "style.png", "--size", "400000"], {},
                                 ["--size 400000", "memory", "GiB"]),
    "a format that cannot hold the result's size": (["content.png", "style.png", "-o", "OUT/r.icns"], {},
                                                    ["r.icns", "would store 1024x1024", "32x27"]),
}
for _ext in UNWRITABLE:  # every format Pillow reads but cannot write, refused before any work
    BAD[f"output format {_ext}"] = (["content.png", "style.png", "-o", f"OUT/result{_ext}"], {},
                                    [f"result{_ext}", "can be read but not written"])
# made in the case's output folder first: a folder, a read-only file or a symlink to a missing folder
PRE_MADE = {"output's JSON is a folder": [("r.json", "dir")], "output is read-only": [("result.png", "read-only")],
            "output's JSON is read-only": [("result.json", "read-only")],
            "output folder is a dangling symlink": [("gone", "dangling")]}
NOTICES_OK = {"style-dir candidates all too small": 2}  # cases that also print this many "notice:" lines
EARLY = [c for c in BAD if c.startswith("output")] + [  # refused before any image is read or any work starts
    "init image without --init image", "momentum without sgd"]
# refused once the inputs are read, before the run
BEFORE_RUN = ["--size beyond the memory", "weights /dev/zero", "a format that cannot hold the result's size"]


# One case of each kind also runs as a real `python -m colorlib` process (each costs a torch import).
SUBPROCESS_CASES = ("missing file", "decompression bomb", "output under a regular file", "unknown optimizer",
                    "weights with code", "output is the content", "output format .psd", "momentum nan",
                    "FIFO input", "int32 TIFF holding 0..255", "newline in a file name", "output is read-only")


def _out_folder(corpus, case, where):
    out = corpus / f"OUT-{where}-" / case.replace(" ", "_").replace("/", "_")
    out.mkdir(parents=True)
    for name, kind in PRE_MADE.get(case, []):
        if kind == "dir":
            (out / name).mkdir()
        elif kind == "read-only":
            (out / name).write_bytes(b"someone's file")
            (out / name).chmod(0o444)
        else:
            os.symlink(out / "nowhere", out / name)
    return out


def _case_args(case, out):
    args = BAD[case][0]
    if "-o" not in args:
        args = [*args, "-o", str(out / "result.png")]
    tiny = TINY[2:] if "--size" in args else TINY  # the case's own --size wins
    return [a.replace("OUT/", f"{out}/") for a in args] + tiny


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
    made = {name: os.lstat(out / name) for name, _ in PRE_MADE.get(case, [])}
    written = sorted(set(os.listdir(out)) - set(made))
    assert written == [], f"files written despite the error: {written}"
    for name, before in made.items():
        after = os.lstat(out / name)
        assert (after.st_ino, after.st_mode, after.st_mtime_ns) == (before.st_ino, before.st_mode, before.st_mtime_ns)
    assert _state(corpus) == CORPUS_STATE[str(corpus)], "an input was changed, or a file written beside them"
    assert not (corpus / "PWNED_cli").exists(), "the pickled payload ran"


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_one_line_error_no_output(case, corpus, monkeypatch, capsys):
    """The CLI's main() in this process (what `python -m colorlib` runs): exit 2, one line, nothing written."""
    if case == "output in /proc" and not os.path.isdir("/proc"):
        pytest.skip("no /proc here")
    if case == "/dev/zero input" and not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero here")
    from colorlib.app import colorize_command

    def no_work(*a, **k):
        raise AssertionError(f"{case}: work started before the input was checked")

    if case in EARLY or case in BEFORE_RUN:
        monkeypatch.setattr(colorize_command, "run_preset", no_work)
        monkeypatch.setattr(colorize_command, "auto_style", no_work)
    if case in EARLY:
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

