"""What a run saves is what its JSON describes: the JSON names its image file (and its sha256), and the format
stores the very size the run made."""
import hashlib
import json

import numpy as np
from PIL import Image

from reliability_corpus import CPU, TINY, _fake_result, _main


def _run_to(out, corpus, monkeypatch, seed):
    from colorlib.app import colorize_command

    monkeypatch.setattr(colorize_command, "run_preset", lambda preset, content, style, config, on_step=None,
                        references=(): _fake_result(config.seed, shape=(27, 32)))
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
