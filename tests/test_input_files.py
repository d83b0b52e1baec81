"""Inputs read once, only regular files and standard input, bounded; the JSON hashes the bytes decoded."""
import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from PIL import Image

from colorlib import file_input, images
from colorlib.errors import ColorkitError
from reliability_corpus import CPU, ROOT, TINY, _fake_result, _main, _rng_rgb

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

            def load(box=box, path=path):
                box["r"] = pytest.raises(ColorkitError, images.load, path)

            thread = threading.Thread(target=load, daemon=True)
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

    def run_preset(preset, content_path, style, config, on_step=None, references=(), schedule=None):
        images.load(content_path), images.load(style)  # what colorize() does first
        Image.fromarray(_rng_rgb(40, 48, 99)).save(content)  # someone rewrites the file meanwhile
        return _fake_result(1)

    monkeypatch.setattr(colorize_command, "run_preset", run_preset)
    out = tmp_path / "r.png"
    assert _main(["colorize", str(content), str(corpus / "style.png"), "-o", str(out), *TINY, *CPU]) == 0
    record = json.loads(out.with_suffix(".json").read_text())
    assert record["files"]["content"]["sha256"] == used != hashlib.sha256(content.read_bytes()).hexdigest()


def test_stdin_dash_in_process(corpus, tmp_path, monkeypatch, capsys):
    png = (corpus / "content.png").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(png)))
    monkeypatch.setattr(file_input, "_STDIN", {})
    out = tmp_path / "r.png"
    code = _main(["colorize", "-", str(corpus / "style.png"), "-o", str(out), *TINY, *CPU])
    assert code == 0, capsys.readouterr().err
    record = json.loads(out.with_suffix(".json").read_text())
    assert record["files"]["content"] == {"name": "-", "sha256": hashlib.sha256(png).hexdigest()}
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
    assert record["files"]["content"]["sha256"] == hashlib.sha256(png).hexdigest()


