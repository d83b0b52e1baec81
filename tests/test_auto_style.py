"""Style 'auto': candidates that cannot be used are skipped with a notice saying why; the content's own colour
original is found by structure, however the gray input was made."""
import io
import json
import os
import shutil

import numpy as np
import pytest
from PIL import Image

from colorlib import color, images
from colorlib.evaluation import registry
from conftest import FIXTURE_PRINTS
from reliability_corpus import CPU, TINY, _fake_result, _main


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
    assert json.loads(out.with_suffix(".json").read_text())["files"]["style"]["name"] == str(cands / "style.png")




# --- the content's own colour original, found by structure (issue 25, item 5) -------------------------------------

def _pillow_gray(rgb):
    return Image.fromarray(images.to_uint8(rgb)).convert("L")


def _jpeg(img, quality=75):
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue()))


GRAYS = {  # ways a new user makes a gray input from a colour print
    "Pillow convert('L')": lambda rgb: _pillow_gray(rgb),
    "Pillow gray, JPEG q75": lambda rgb: _jpeg(_pillow_gray(rgb)),
    "kit gray resized to 0.6": lambda rgb: Image.fromarray(images.to_uint8(
        images.resize(color.to_gray(rgb), round(max(rgb.shape[:2]) * 0.6)))),
    "mean of R, G, B, JPEG q60": lambda rgb: _jpeg(Image.fromarray(images.to_uint8(
        np.repeat(rgb.mean(-1, keepdims=True), 3, -1))), 60),
}


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    """A folder of the fixture prints (a user's collection holding the content's colour original)."""
    folder = tmp_path_factory.mktemp("collection")
    for name in sorted(os.listdir(FIXTURE_PRINTS)):
        if name.endswith(".jpg"):
            shutil.copy(os.path.join(FIXTURE_PRINTS, name), folder / name)
    return folder


@pytest.mark.parametrize("how", list(GRAYS))
@pytest.mark.parametrize("preset", ["paper", "best"])
def test_auto_never_uses_the_contents_own_original(how, preset, collection, tmp_path, monkeypatch, capsys):
    """A print grayscaled another way than the kit's (Pillow's formula differs by up to 30/255), JPEG-compressed
    or resized: its own colour original in --style-dir is skipped with a notice saying why, and is neither the
    style nor a voter."""
    from colorlib.app import colorize_command

    own = "hiroshige_tokaido_18_ejiri.jpg"
    content = tmp_path / "gray.png"
    GRAYS[how](images.load(collection / own)).save(content)
    used = {}

    def fake_run(preset, content, style, config, on_step=None, references=(), schedule=None):
        used.update(style=style, references=list(references))
        return _fake_result(1)

    monkeypatch.setattr(colorize_command, "run_preset", fake_run)
    out = tmp_path / "r.png"
    capsys.readouterr()
    code = _main(["colorize", str(content), "auto", "--style-dir", str(collection), "--preset", preset, "-o",
                  str(out), *TINY, *CPU])
    err = capsys.readouterr().err
    assert code == 0, err
    notice = [line for line in err.splitlines() if "own colour original" in line]
    assert len(notice) == 1 and own in notice[0], err
    record = json.loads(out.with_suffix(".json").read_text())
    names = [os.path.basename(p) for p in [used["style"], *used["references"]]]
    assert own not in names and own not in [r["name"] for r in record["style_ranking"]]
    if preset == "best":
        assert len(used["references"]) == registry.VOTERS


def test_the_evaluations_voters_leave_out_a_copy_of_the_contents_original(collection, tmp_path):
    """registry.retrieved, what 'best' votes with: a copy of the content's original under another name (the
    runner leaves out the content's own file by name only) is not a voter either."""
    own = images.load(collection / "hiroshige_tokaido_18_ejiri.jpg")
    copy = tmp_path / "renamed.png"
    images.save(own, copy)
    others = [str(collection / n) for n in sorted(os.listdir(collection)) if "18_ejiri" not in n]
    gray = images.from_pil(_pillow_gray(own))
    picked = registry.retrieved(gray, [str(copy), *others], k=registry.VOTERS)
    assert len(picked) == registry.VOTERS
    assert not any(p.shape == own.shape and np.abs(p - own).max() < 1e-6 for p in picked)


def test_different_prints_of_one_shape_are_not_taken_for_the_original(collection):
    """The check does not skip honest candidates: every other fixture print stays usable for every gray variant."""
    from colorlib.evaluation import retrieval

    names = sorted(n for n in os.listdir(collection) if n.endswith(".jpg"))
    for name in names:
        rgb = images.load(collection / name)
        for how, make in GRAYS.items():
            gray = images.from_pil(make(rgb))
            assert retrieval.is_own_original(gray, rgb), (name, how)
            assert not any(retrieval.is_own_original(gray, images.load(collection / other))
                           for other in names if other != name), (name, how)
