"""`colorkit colorize --profile NAME` runs exactly what `colorkit figures --profile NAME` runs for a Figure 1 column."""
import json

import numpy as np
import pytest

from colorlib import images
from colorlib.app.cli import main
from colorlib.experiments import runs


def test_profile_gives_the_figures_settings_and_image(motorcycle_files, tmp_path, monkeypatch):
    monkeypatch.setenv("COLORKIT_NO_CACHE", "1")
    out = tmp_path / "col.png"
    assert main(["colorize", motorcycle_files["content"], motorcycle_files["style"], "-o", str(out), "--profile",
                 "smoke", "--device", "cpu", "--quiet"]) == 0
    record = json.loads(out.with_suffix(".json").read_text())
    cfg, schedule = runs.figure_settings("smoke", device="cpu")
    assert record["params"]["preset"] == cfg.preset == runs.FIGURE_PRESET
    assert record["params"]["schedule"] == schedule.to_dict()
    assert [s["size"] for s in record["schedule"]] == [round(cfg.size * s.scale) for s in schedule.stages]
    figure_run, _ = runs.run(images.load(motorcycle_files["content"]), images.load(motorcycle_files["style"]), cfg,
                             schedule)
    saved = images.load(out)  # the PNG holds the 8-bit image of the very same run
    assert saved.shape == figure_run.image.shape
    assert np.array_equal(np.round(saved * 255).astype(np.uint8), images.to_uint8(figure_run.image))


@pytest.mark.parametrize("extra, message", [
    (["--iterations", "5"], "--iterations"),
    (["--preset", "best"], "cannot run a profile's"),
])
def test_what_a_profile_cannot_take_is_one_line(motorcycle_files, tmp_path, capsys, extra, message):
    out = tmp_path / "x.png"
    code = main(["colorize", motorcycle_files["content"], motorcycle_files["style"], "-o", str(out), "--profile",
                 "smoke", "--device", "cpu", "--quiet", *extra])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1
    assert not out.exists()
