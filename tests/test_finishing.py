"""What a run saves is what its JSON describes: the JSON names its image file (and its sha256), and the format
stores the very size the run made."""
import hashlib
import json
import os

import numpy as np
from PIL import Image

from reliability_corpus import CPU, ROOT, TINY, _fake_result, _main


def _run_to(out, corpus, monkeypatch, seed):
    from colorlib.app import colorize_command

    monkeypatch.setattr(colorize_command, "run_preset", lambda preset, content, style, config, on_step=None,
                        references=(), schedule=None: _fake_result(config.seed, shape=(27, 32)))
    return _main(["colorize", str(corpus / "content.png"), str(corpus / "style.png"), "-o", str(out), "--seed",
                  str(seed), *TINY, *CPU])


def test_the_json_names_its_image(corpus, tmp_path, monkeypatch):
    """`-o pair.png --seed 1` then `-o pair.jpg --seed 2`: pair.json now describes pair.jpg, and says so (name and
    sha256 of the bytes written), so pair.png beside it cannot be taken for its image."""
    assert _run_to(tmp_path / "pair.png", corpus, monkeypatch, 1) == 0
    assert _run_to(tmp_path / "pair.jpg", corpus, monkeypatch, 2) == 0
    record = json.loads((tmp_path / "pair.json").read_text())
    jpg = hashlib.sha256((tmp_path / "pair.jpg").read_bytes()).hexdigest()
    assert record["image"] == {"name": "pair.jpg", "sha256": jpg} and record["seed"] == 2
    assert hashlib.sha256((tmp_path / "pair.png").read_bytes()).hexdigest() != jpg


def test_an_ico_holds_the_size_the_json_says(corpus, tmp_path, monkeypatch):
    out = tmp_path / "r.ico"
    assert _run_to(out, corpus, monkeypatch, 3) == 0
    assert Image.open(out).size == (32, 27)
    assert np.asarray(Image.open(out).convert("RGB")).mean() == 30  # seed 3: every pixel 30


def test_docs_run_json_lists_every_key_a_run_writes(corpus, tmp_path, capsys):
    """docs/run_json.md names every key of the JSON beside an image (top level, and inside inputs, files, image,
    final and the history rows), so the page cannot fall behind the code."""
    doc = open(os.path.join(ROOT, "docs", "run_json.md"), encoding="utf-8").read()
    out = tmp_path / "r.png"
    assert _main(["colorize", str(corpus / "content.png"), "auto", "--style-dir", str(corpus / "voters"), "--preset",
                  "best", "--iterations", "1", "-o", str(out), "--size", "32", "--quiet", *CPU]) == 0, \
        capsys.readouterr().err
    record = json.loads(out.with_suffix(".json").read_text())
    keys = set(record) | {f"inputs.{k}" for k in record["inputs"]} | {f"files.{k}" for k in record["files"]}
    keys |= set(record["final"]) | set(record["history"][0])
    assert set(record["image"]) == {"name", "sha256"} and '`{"name": ' in doc and '"sha256"' in doc
    missing = sorted(k for k in keys if f"`{k}`" not in doc and not any(f"`{k}" in doc and k in line
                                                                           for line in doc.splitlines()))
    assert not missing, f"docs/run_json.md does not list {missing}"
