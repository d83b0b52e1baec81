"""The CLI end to end on scikit-image's motorcycle pair: files, JSON schema, kept lightness, added colour."""
import json
import subprocess
import sys

import numpy as np

from colorlib import color, images


def test_cli_colorizes_the_motorcycle_pair(motorcycle_files, tmp_path):
    out = tmp_path / "new" / "folder" / "moto.png"  # missing folders are created
    cmd = [sys.executable, "-m", "colorlib", "colorize", motorcycle_files["content"], motorcycle_files["style"],
           "-o", str(out), "--size", "64", "--iterations", "25", "--init", "content", "--keep-luminance",
           "--save-every", "5", "--quiet", "--device", "cpu"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    record = json.loads(out.with_suffix(".json").read_text())
    assert {"params", "versions", "history", "device", "seed", "seconds"} <= set(record)
    assert record["params"]["keep_luminance"] is True and record["params"]["iterations"] == 25
    assert record["versions"]["torch"] and record["versions"]["colorkit"]
    assert len(record["history"]) == 25
    for row in record["history"]:
        assert set(row) == {"iteration", "content_loss", "style_loss", "total_loss", "style_weight", "seconds"}
    assert [r["iteration"] for r in record["history"]] == list(range(1, 26))
    folder = tmp_path / "new" / "folder"
    assert (folder / "moto_5.png").exists() and (folder / "moto_10.png").exists()

    result = images.load(out)
    gray = color.to_gray(images.resize(images.load(motorcycle_files["content"]), 64))
    assert result.shape == gray.shape
    assert np.abs(color.lightness(result) - color.lightness(gray)).max() < 0.6  # 8-bit rounding only
    assert color.chroma(result).mean() > 1.0  # colour was added


def test_help_states_the_defaults():
    proc = subprocess.run([sys.executable, "-m", "colorlib", "colorize", "--help"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0
    for text in ("default 512", "default 1000", "default lbfgs", "default 0.0025", "default noise"):
        assert text in proc.stdout.replace("\n", " ").replace("  ", " ")
