"""Presets are data in one place (colorlib.paper.config.PRESETS): the CLI, Config.from_preset and the explorer
offer the same set, each with its one-line description, and each preset's runner is one the app resolves."""
import argparse
import subprocess
import sys

import pytest

from colorlib.app import cli, runners
from colorlib.errors import ColorkitError
from colorlib.paper.config import PRESETS, RUNNERS, Config


def _cli_presets() -> list:
    colorize = next(a for a in cli.build_parser(["colorize"])._actions if isinstance(a, argparse._SubParsersAction))
    parser = colorize.choices["colorize"]
    return list(next(a for a in parser._actions if a.dest == "preset").choices)


def test_cli_api_and_explorer_offer_the_same_presets(tmp_path):
    pytest.importorskip("ipywidgets")
    from colorlib.app import explore

    listed = _cli_presets()
    assert {"paper", "neural-style", "paper-preReLU", "fast", "best"} <= set(listed)
    for name in listed:  # every preset the CLI lists is one Config.from_preset knows, and says which it is
        assert Config.from_preset(name).preset == name
    with pytest.raises(ColorkitError, match="unknown preset 'fastest'"):
        Config.from_preset("fastest")
    assert set(listed) == set(PRESETS) == set(explore.Explorer(output_dir=str(tmp_path)).preset.options)


def test_fast_and_best_are_presets_of_the_library():
    fast, best = Config.from_preset("fast"), Config.from_preset("best")
    assert (fast.init, fast.keep_luminance, fast.precision, fast.iterations) == ("content", True, "auto", 100)
    assert (best.size, best.iterations, best.init, best.keep_luminance) == (256, 0, "image", True)
    assert Config.from_preset("best", iterations=5).iterations == 5  # overrides still win


def test_every_preset_has_a_one_line_description_and_a_known_runner():
    for name, preset in PRESETS.items():
        assert preset.description and "\n" not in preset.description, name
        assert preset.runner in RUNNERS and runners.runner_of(name) == preset.runner
    assert [PRESETS[p].runner for p in ("paper", "fast", "best")] == ["colorize", "staged", "exemplar"]


def test_help_lists_every_preset_with_its_description():
    proc = subprocess.run([sys.executable, "-m", "colorlib", "colorize", "--help"], capture_output=True, text=True,
                          timeout=120)
    text = " ".join(proc.stdout.split())
    for name, preset in PRESETS.items():
        assert f"{name}: {' '.join(preset.description.split())}" in text, name


def test_no_second_list_of_presets_in_the_cli():
    assert not hasattr(cli, "RUNNERS") and not hasattr(cli, "ALL_PRESETS") and not hasattr(cli, "preset_defaults")
