"""Input the command line cannot use is refused before any work, in one line; input it can use is used as asked:
a per-layer weight kept for other --style-layers, a colour content grayscaled with a notice, a sweep whose --out
is a file refused before anything is computed."""
import json
import os

import pytest

from reliability_corpus import CPU, TINY, _cli, _fake_result, _main


def test_style_layers_with_a_preset_that_weighs_layers(corpus, tmp_path, capsys):
    """neural-style weighs each style layer 1.0; --style-layers relu1_1 always failed (five weights, one layer)."""
    out = tmp_path / "r.png"
    code = _main(["colorize", str(corpus / "content.png"), str(corpus / "style.png"), "-o", str(out), "--preset",
                  "neural-style", "--style-layers", "relu1_1,relu3_1", *TINY, *CPU])
    assert code == 0, capsys.readouterr().err
    params = json.loads(out.with_suffix(".json").read_text())["params"]
    assert params["style_layers"] == ["relu1_1", "relu3_1"] and params["style_layer_weights"] == [1.0, 1.0]


def test_a_colour_content_is_grayscaled_with_a_notice(corpus, tmp_path, monkeypatch, capsys):
    from colorlib.app import colorize_command

    monkeypatch.setattr(colorize_command, "run_preset", lambda *a, **k: _fake_result(1, shape=(27, 32)))
    for content, notices in (("style.png", 1), ("content.png", 0)):  # colour, then gray
        capsys.readouterr()
        assert _main(["colorize", str(corpus / content), str(corpus / "style.png"), "-o", str(tmp_path / "r.png"),
                      *TINY, *CPU]) == 0
        err = capsys.readouterr().err
        found = [line for line in err.splitlines() if "is in colour: it is grayscaled first" in line]
        assert len(found) == notices and (not found or found[0].startswith(f"notice: {corpus / content}")), err


def test_a_notice_about_a_file_with_a_newline_in_its_name_stays_one_line(corpus, tmp_path):
    odd = tmp_path / "rgba\nimage.png"
    odd.write_bytes((corpus / "rgba.png").read_bytes())
    code, err, _ = _cli([str(odd), "style.png", "-o", str(tmp_path / "r.png"), *TINY, *CPU], corpus)
    assert code == 0, err
    notices = [line for line in err.splitlines() if "alpha channel dropped" in line]
    assert len(notices) == 1 and "rgba\\nimage.png" in notices[0] and notices[0].startswith("notice: "), err


def test_a_sweep_whose_out_is_a_file_fails_before_computing_anything(corpus, tmp_path, monkeypatch, capsys):
    pytest.importorskip("distributed")
    from colorlib.experiments.sweep import driver

    def no_work(*a, **k):
        raise AssertionError("the sweep started computing")

    monkeypatch.setattr(driver._Engine, "run", no_work)
    spec = tmp_path / "s.yaml"
    spec.write_text(f"name: s\npairs: [{{content: {corpus / 'content.png'}, style: {corpus / 'style.png'}}}]\n"
                    f"config: {{size: 32, iterations: 1}}\n")
    out = tmp_path / "a_file"
    out.write_text("mine")
    capsys.readouterr()
    assert _main(["sweep", str(spec), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "a_file: is a file, not a folder" in err[0], err
    assert out.read_text() == "mine"
    link = tmp_path / "gone"
    os.symlink(tmp_path / "nowhere", link)
    assert _main(["sweep", str(spec), "--out", str(link), "--quiet"]) == 2
    assert "dangling symlink" in capsys.readouterr().err
