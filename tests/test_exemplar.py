"""The exemplar method (colorlib.exemplar): correspondence prior, guided filter, chroma matching, and its wiring
(ExemplarConfig, colorize_exemplar, the registry's exemplar methods, the CLI's --preset best)."""
import os
import subprocess
import sys

import numpy as np
import pytest

from colorlib import color, images
from colorlib.errors import ColorkitError
from colorlib.evaluation import metrics, registry
from colorlib.evaluation.registry import METHODS
from colorlib.exemplar.correspondence import chroma_prior
from colorlib.exemplar.guided import box, guided_filter
from colorlib.exemplar.method import ExemplarConfig, colorize_exemplar, match_chroma, prior_ab

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def coffee():
    from skimage import data as skdata

    return images.resize(skdata.coffee().astype(np.float32) / 255.0, 64)


def test_prior_reproduces_the_reference_when_content_is_the_grayscaled_reference(coffee):
    gray = color.to_gray(coffee)
    ab, conf = chroma_prior(gray, coffee, tau=0.003, grid=64)
    out = color.combine_lightness_chroma(color.lightness(gray), ab)
    de, de_gray = metrics.delta_e2000(out, coffee), metrics.delta_e2000(gray, coffee)
    assert de < 4.0 and de < 0.3 * de_gray, (de, de_gray)
    assert conf.shape == gray.shape[:2] and conf.max() <= 1.0 + 1e-5


def test_prior_from_an_unrelated_reference_is_worse(coffee, motorcycle):
    gray = color.to_gray(coffee)
    own = color.combine_lightness_chroma(color.lightness(gray), chroma_prior(gray, coffee, grid=64)[0])
    other = color.combine_lightness_chroma(color.lightness(gray), chroma_prior(gray, motorcycle["style"], grid=64)[0])
    assert metrics.delta_e2000(own, coffee) + 3 < metrics.delta_e2000(other, coffee)


def test_several_references_vote(coffee, motorcycle):
    """With the right reference among wrong ones, the softmax finds its colours."""
    gray = color.to_gray(coffee)
    alone = chroma_prior(gray, motorcycle["style"], grid=48)[0]
    voted = chroma_prior(gray, [motorcycle["style"], coffee], grid=48)[0]
    truth_ab = color.rgb_to_lab(coffee)[..., 1:]
    assert np.abs(voted - truth_ab).mean() < 0.5 * np.abs(alone - truth_ab).mean()


def test_box_filter_is_a_window_mean_cut_at_the_borders():
    x = np.random.default_rng(0).random((9, 11))
    b = box(x, 2)
    assert np.isclose(b[4, 5], x[2:7, 3:8].mean()) and np.isclose(b[0, 0], x[:3, :3].mean())


def test_guided_filter_keeps_a_constant_image():
    guide = np.random.default_rng(1).random((20, 30))
    src = np.full((20, 30, 2), 7.5)
    np.testing.assert_allclose(guided_filter(guide, src, radius=3), src, atol=1e-9)


def test_guided_filter_smooths_noise_but_keeps_the_edge():
    rng = np.random.default_rng(2)
    step = np.zeros((40, 40))
    step[:, 20:] = 1.0
    noisy = 20 * step + rng.normal(0, 2, step.shape)
    out = guided_filter(step, noisy, radius=4, eps=1e-3)
    left, right = out[:, :17], out[:, 23:]
    assert left.std() < 0.3 * noisy[:, :17].std() and right.std() < 0.3 * noisy[:, 23:].std()
    assert abs((out[:, 21] - out[:, 18]).mean() - 20) < 1.0  # the step survives within a pixel or two of it


def test_match_chroma_takes_the_reference_distribution_and_keeps_hue():
    rng = np.random.default_rng(3)
    ab = rng.normal(0, 5, (30, 30, 2))
    ref = rng.normal(0, 20, (50, 50, 2))
    out = match_chroma(ab, ref)
    q = [0.1, 0.5, 0.9]
    np.testing.assert_allclose(np.quantile(np.hypot(*out.transpose(2, 0, 1)), q),
                               np.quantile(np.hypot(*ref.transpose(2, 0, 1)), q), rtol=0.05)
    np.testing.assert_allclose(np.arctan2(out[..., 1], out[..., 0]), np.arctan2(ab[..., 1], ab[..., 0]), atol=1e-9)
    np.testing.assert_allclose(match_chroma(ab, ref, strength=0.0), ab)


def test_best_keeps_the_input_lightness_and_adds_colour(motorcycle):
    out = METHODS["best"](motorcycle["content"], motorcycle["style"], size=48)
    gray = color.to_gray(images.resize(motorcycle["content"], 48))
    assert out.shape == gray.shape
    assert metrics.lightness_error(out, gray) < 0.05
    assert metrics.colourfulness(out) > 5


def test_best_is_colorize_exemplar_with_the_default_config(motorcycle):
    c, s = motorcycle["content"], motorcycle["style"]
    np.testing.assert_array_equal(METHODS["best"](c, s, size=48), colorize_exemplar(c, s, 48))
    np.testing.assert_array_equal(colorize_exemplar(c, s, 48), colorize_exemplar(c, s, 48, (), ExemplarConfig()))


def test_each_stage_changes_the_result(motorcycle):
    c, s = motorcycle["content"], motorcycle["style"]
    outs = [METHODS[m](c, s, size=48) for m in ("prior", "prior+filter", "best")]
    assert not np.allclose(outs[0], outs[1]) and not np.allclose(outs[1], outs[2])
    no_filter = colorize_exemplar(c, s, 48, params=ExemplarConfig(guided_radius=0))
    np.testing.assert_array_equal(METHODS["prior+chroma"](c, s, size=48), no_filter)


def test_references_vote_with_the_style(coffee, motorcycle):
    """A right reference added to a wrong style brings the result towards the truth."""
    gray = color.to_gray(coffee)
    alone = colorize_exemplar(gray, motorcycle["style"], 48)
    voted = colorize_exemplar(gray, motorcycle["style"], 48, references=[coffee])
    truth = images.resize(coffee, 48)
    assert metrics.delta_e2000(voted, truth) < metrics.delta_e2000(alone, truth)


def test_exemplar_methods_are_registered_in_order_and_only_best_paper_optimises():
    names = registry.names()
    exemplar = ["prior", "prior+filter", "prior+chroma", "best", "best+paper"]
    assert [n for n in names if n in exemplar] == exemplar
    assert names.index("best") > names.index("paper")  # baselines, the paper, then beyond
    assert "best+paper" in registry.OPTIMISING and not set(exemplar[:4]) & set(registry.OPTIMISING)


def test_optimised_variant_runs_and_keeps_lightness(motorcycle):
    out = METHODS["best+paper"](motorcycle["content"], motorcycle["style"], size=64, iterations=2)
    gray = color.to_gray(images.resize(motorcycle["content"], 64))
    assert out.shape == gray.shape and metrics.lightness_error(out, gray) < 0.05


def test_best_paper_without_iterations_is_the_exemplar_result(motorcycle):
    out = METHODS["best+paper"](motorcycle["content"], motorcycle["style"], size=48, iterations=0)
    direct = colorize_exemplar(motorcycle["content"], motorcycle["style"], 48)
    gray = color.to_gray(images.resize(motorcycle["content"], 48))
    assert metrics.lightness_error(out, gray) < 0.05
    assert metrics.delta_e2000(out, direct) < 0.5  # the same picture, via the network's input space


def test_too_small_references_are_one_line_errors(motorcycle):
    with pytest.raises(ColorkitError, match="smaller than"):
        prior_ab(motorcycle["content"], np.zeros((1, 1, 3), np.float32))


def test_cli_preset_best(motorcycle_files, tmp_path):
    out = tmp_path / "best.png"
    proc = subprocess.run([sys.executable, "-m", "colorlib", "colorize", motorcycle_files["content"],
                           motorcycle_files["style"], "-o", str(out), "--preset", "best", "--size", "48", "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    img = images.load(str(out))
    assert max(img.shape[:2]) == 48 and metrics.colourfulness(img) > 5
