"""Stopping: divergence keeps the last finite image, Ctrl-C saves the run so far, out of memory is one line."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from PIL import Image

import colorlib
from colorlib import color, images
from colorlib.errors import DivergenceError
from reliability_corpus import CPU, ROOT, TINY, _cli, _main

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


@pytest.mark.parametrize("stop, preset, size", [(signal.SIGINT, "paper", 32), (signal.SIGTERM, "paper", 32),
                                                (signal.SIGINT, "fast", 64), (signal.SIGTERM, "fast", 64)],
                         ids=["SIGINT", "SIGTERM", "SIGINT-fast", "SIGTERM-fast"])
def test_a_stop_saves_the_finished_image_so_far(stop, preset, size, corpus, tmp_path):
    """Ctrl-C or `kill` (SIGTERM) mid-run: exit 130 with a line saying so, and saved — the snapshots too — is the
    full-size image on the content's lightness that the JSON describes (also for 'fast', which optimises its
    colour at half size)."""
    out = tmp_path / "long.png"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "colorlib", "colorize", "content.png", "style.png", "-o", str(out),
                             "--preset", preset, "--size", str(size), "--iterations", "100000", "--save-every", "1",
                             "--device", "cpu", "--precision", "fp32", "--quiet"], cwd=corpus, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while not (tmp_path / "long_2.png").exists():  # iterating for real: two snapshots written
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the run never started iterating"
            time.sleep(0.1)
        proc.send_signal(stop)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    print(f"[{stop.name} {preset}] exit {proc.returncode}: {err.strip()}")
    assert proc.returncode == 130, err
    word = "interrupted" if stop == signal.SIGINT else "stopped by SIGTERM"
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith(f"{word}: the image so far is in")
    record = json.loads((tmp_path / "long.json").read_text())
    assert record["interrupted"] is True and record["iterations_run"] >= 2
    assert len(record["history"]) == record["iterations_run"] and record["params"]["size"] == size
    assert record["image"]["name"] == "long.png"
    height, width = round(40 * size / 48), size  # the content is 48x40 px
    gray = color.to_gray(images.resize(images.load(corpus / "content.png"), size))
    for path in (out, tmp_path / "long_1.png", tmp_path / "long_2.png"):
        saved = images.load(path)
        assert saved.shape[:2] == (height, width) and saved.std() > 0, path.name
        if preset == "fast":  # keep_luminance: the content's own lightness (8-bit rounding apart)
            assert np.abs(color.lightness(saved) - color.lightness(gray)).mean() < 0.5, path.name
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".tmp-")]


@pytest.mark.parametrize("stop, word", [(signal.SIGINT, "interrupted"), (signal.SIGTERM, "stopped by SIGTERM")],
                         ids=["SIGINT", "SIGTERM"])
def test_a_stop_while_starting_counts_even_when_started_with_sigint_ignored(stop, word, corpus, tmp_path):
    """`colorkit colorize … &` from a script starts with SIGINT ignored; a Ctrl-C (SIGINT) or `kill` a second in,
    while torch is still importing, stops it once the import is done: exit 130, one line saying so, nothing
    written. (Raised inside torch's import, the KeyboardInterrupt used to end it by SIGINT, abort it, or turn into
    a RuntimeError, in 1–3 runs of 30: colorlib/__main__.py.)"""
    out = tmp_path / "r.png"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "colorlib", "colorize", "content.png", "style.png", "-o", str(out),
                             "--size", "32", "--iterations", "100000", "--device", "cpu", "--quiet"], cwd=corpus,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        time.sleep(1.0)
        proc.send_signal(stop)
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("the SIGINT was lost: the run went on")
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and err.strip().splitlines()[-1] == word, err
    assert os.listdir(tmp_path) == []


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

