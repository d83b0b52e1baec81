"""The exemplar method (colorlib.exemplar): VGG + luminance correspondence, the local linear fit, chroma matching,
and its wiring (ExemplarConfig and its validation, colorize_exemplar, the registry's exemplar methods, the CLI's
--preset best)."""
import os
import subprocess
import sys

import numpy as np
import pytest

from colorlib import color, images
from colorlib.errors import ColorkitError
from colorlib.evaluation import metrics, registry
from colorlib.evaluation.registry import METHODS
from colorlib.exemplar.guided import box, guided_filter, weighted_local_linear
from colorlib.exemplar.method import ExemplarConfig, colorize_exemplar, colorize_references, match_chroma

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZE = 48


@pytest.fixture(scope="module")
def coffee():
    from skimage import data as skdata

    return images.resize(skdata.coffee().astype(np.float32) / 255.0, SIZE)


@pytest.fixture(scope="module")
def best(motorcycle):
    """'best' at SIZE px on the motorcycle pair (computed once)."""
    return colorize_exemplar(motorcycle["content"], motorcycle["style"], SIZE)


def mean_hue(rgb) -> float:
    """Hue angle (degrees) of the mean a*b*."""
    a, b = color.rgb_to_lab(rgb)[..., 1:].reshape(-1, 2).mean(0)
    return float(np.degrees(np.arctan2(b, a)))


def hue_gap(h1, h2) -> float:
    return abs((h1 - h2 + 180) % 360 - 180)


def test_output_keeps_the_input_lightness_exactly_and_adds_colour(motorcycle, best):
    gray = color.to_gray(images.resize(motorcycle["content"], SIZE))
    assert best.shape == gray.shape
    np.testing.assert_allclose(color.lightness(best), color.lightness(gray), atol=0.01)
    assert metrics.colourfulness(best) > 5


def test_colour_comes_from_the_reference(motorcycle, best):
    """The output's mean hue follows the reference's: the same input with a channel-swapped reference (hue
    rotated by about 120°) comes out with the other hue."""
    swapped = np.ascontiguousarray(motorcycle["style"][..., ::-1])
    other = colorize_exemplar(motorcycle["content"], swapped, SIZE)
    assert hue_gap(mean_hue(best), mean_hue(motorcycle["style"])) < 15
    assert hue_gap(mean_hue(other), mean_hue(swapped)) < 15
    assert hue_gap(mean_hue(best), mean_hue(other)) > 60


def test_the_grayscaled_reference_gets_its_own_colours_back(coffee):
    gray = color.to_gray(coffee)
    out = colorize_exemplar(gray, coffee, SIZE)
    de, de_gray = metrics.delta_e2000(out, coffee), metrics.delta_e2000(gray, coffee)
    assert de < 0.3 * de_gray, (de, de_gray)


def test_several_references_vote(coffee, motorcycle):
    """The right reference added to a wrong style brings the result towards the truth."""
    gray = color.to_gray(coffee)
    alone = colorize_exemplar(gray, motorcycle["style"], SIZE)
    voted = colorize_exemplar(gray, motorcycle["style"], SIZE, references=[coffee])
    assert metrics.delta_e2000(voted, coffee) + 3 < metrics.delta_e2000(alone, coffee)


def test_quality_vote_ignores_a_reference_that_matches_nothing(motorcycle):
    """A magenta noise card matches no position of the motorcycle well: with the per-position quality vote it
    leaves the matched colours as they were; in one shared softmax its positions take a share (chroma matching,
    which pools every reference's C*, off)."""
    c, s = motorcycle["content"], motorcycle["style"]
    card = (np.asarray((0.9, 0.1, 0.9), np.float32)
            * np.random.default_rng(0).random(s.shape[:2], dtype=np.float32)[..., None])
    p = ExemplarConfig(chroma_match=0.0)
    alone = colorize_exemplar(c, s, SIZE, params=p)
    quality = colorize_exemplar(c, s, SIZE, references=[card], params=p)
    shared = colorize_exemplar(c, s, SIZE, references=[card], params=p.replace(vote="shared"))
    d_quality, d_shared = metrics.delta_e2000(quality, alone), metrics.delta_e2000(shared, alone)
    assert d_quality < 0.01 and d_quality < 0.1 * d_shared, (d_quality, d_shared)


def test_best_votes_with_the_retrieved_candidates(motorcycle, tmp_path, monkeypatch):
    """'best' adds the registry.VOTERS candidates retrieval ranks first; the runner never offers the content's own
    print or its designated reference."""
    from colorlib.evaluation import retrieval, runner

    c, s = motorcycle["content"], motorcycle["style"]
    paths = []
    for i, rgb in enumerate([(0.2, 0.4, 0.9), (0.9, 0.5, 0.1), (0.1, 0.8, 0.2), (0.5, 0.5, 0.5), (0.8, 0.1, 0.3)]):
        img = np.clip(s * 0.3 + np.asarray(rgb, np.float32) * 0.7, 0, 1)
        paths.append(str(tmp_path / f"cand{i}.png"))
        images.save(img, paths[-1])
    top = [p for p, _ in retrieval.rank(c, paths, device="cpu")[:registry.VOTERS]]
    expected = colorize_exemplar(c, s, SIZE, [images.load(p) for p in top])
    np.testing.assert_array_equal(METHODS["best"](c, s, size=SIZE, candidates=paths), expected)
    pair = {"content_file": "a.jpg", "style_file": "b.jpg"}
    found = (("a.jpg", "/x/a.jpg"), ("b.jpg", "/x/b.jpg"), ("c.jpg", "/x/c.jpg"))
    monkeypatch.setattr(runner, "_collection", lambda *a: found)
    assert runner.candidates_for(pair) == ["/x/c.jpg"]
    assert runner.candidates_for({"content_file": "skimage:x", "style_file": "skimage:y"}) == []


def test_luminance_term_matches_dark_to_dark_and_light_to_light():
    """Without VGG features (layers=()) only the luminance term matches: the input's dark half takes the
    reference's dark colour (red), its light half the light one (blue), whatever the layout; without the term
    every position averages the whole reference."""
    ref = np.zeros((32, 32, 3), np.float32)
    ref[:, :16] = (0.5, 0.05, 0.05)  # dark red on the left
    ref[:, 16:] = (0.55, 0.75, 1.0)  # light blue on the right
    gray = np.zeros((32, 32, 3), np.float32)
    L_ref = color.lightness(ref)
    gray[:16] = color.to_gray(ref[:1, :1])[0, 0]  # dark on top, light below: the same two lightnesses
    gray[16:] = color.to_gray(ref[:1, -1:])[0, 0]
    params = ExemplarConfig(layers=(), mirror=False, chroma_match=0.0, local_linear=False)
    ab = color.rgb_to_lab(colorize_references(gray, [ref], params))[..., 1:]
    assert L_ref[0, 0] < L_ref[0, -1]
    assert ab[:12, :, 0].mean() > 20 and ab[20:, :, 1].mean() < -20  # red a* > 0 on top, blue b* < 0 below
    flat = color.rgb_to_lab(colorize_references(gray, [ref], params.replace(lum_weight=0.0)))[..., 1:]
    assert np.abs(flat[:12].mean((0, 1)) - flat[20:].mean((0, 1))).max() < 3  # one colour everywhere


@pytest.mark.parametrize("change", [{"mirror": False}, {"lum_weight": 0.0}, {"chroma_match": 0.0},
                                    {"local_linear": False}, {"confidence": "bidirectional"}])
def test_each_switch_changes_the_result(motorcycle, best, change):
    out = colorize_exemplar(motorcycle["content"], motorcycle["style"], SIZE, params=ExemplarConfig(**change))
    assert np.abs(out - best).max() > 0.01


def test_best_is_colorize_exemplar_with_the_default_config(motorcycle, best):
    c, s = motorcycle["content"], motorcycle["style"]
    np.testing.assert_array_equal(METHODS["best"](c, s, size=SIZE), best)
    np.testing.assert_array_equal(colorize_exemplar(c, s, SIZE, (), ExemplarConfig()), best)


@pytest.mark.parametrize("name, change", [("best-no-luminance", {"lum_weight": 0.0}),
                                          ("best-no-chroma-match", {"chroma_match": 0.0}),
                                          ("best-no-local-linear", {"local_linear": False})])
def test_registered_ablations_switch_one_component_off(motorcycle, name, change):
    c, s = motorcycle["content"], motorcycle["style"]
    np.testing.assert_array_equal(METHODS[name](c, s, size=SIZE),
                                  colorize_exemplar(c, s, SIZE, params=ExemplarConfig(**change)))


def test_exemplar_methods_are_registered_in_order_and_only_best_paper_optimises():
    names = registry.names()
    exemplar = ["best", "best-1ref", "best-no-luminance", "best-no-chroma-match", "best-no-local-linear", "best+paper"]
    assert names[-len(exemplar):] == exemplar  # baselines, the paper, then beyond
    assert names.index("best") > names.index("paper") > names.index("reinhard")
    assert not {"prior", "prior+filter", "prior+chroma"} & set(names)
    assert "best+paper" in registry.OPTIMISING and not set(exemplar[:5]) & set(registry.OPTIMISING)
    # 'best' and its ablations vote with retrieved prints, and so does the like-with-like pooled Reinhard
    assert set(registry.RETRIEVING) == {"reinhard-pooled", "best", "best-no-luminance", "best-no-chroma-match",
                                        "best-no-local-linear"} and registry.VOTERS > 0


@pytest.mark.parametrize("change, field", [
    ({"tau": 0.0}, "tau"), ({"tau": -1.0}, "tau"), ({"tau": float("nan")}, "tau"), ({"grid": 0}, "grid"),
    ({"grid": 2.5}, "grid"), ({"radius": -1}, "radius"), ({"eps": 0.0}, "eps"), ({"lum_weight": -1.0}, "lum_weight"),
    ({"chroma_match": 1.5}, "chroma_match"), ({"chroma_match": -0.1}, "chroma_match"),
    ({"confidence": "best"}, "confidence"), ({"layers": ("relu9_1",)}, "layer"),
    ({"vote": "majority"}, "vote"), ({"vote_tau": 0.0}, "vote_tau"),
    ({"layers": ("relu2_1", "conv3_9")}, "conv3_9")])
def test_invalid_config_is_a_one_line_error(change, field):
    with pytest.raises(ColorkitError, match=field) as info:
        ExemplarConfig(**change)
    assert "\n" not in str(info.value) and str(info.value).startswith("ExemplarConfig:")


def test_config_accepts_boundary_values_and_normalises_layers():
    cfg = ExemplarConfig(layers=["relu3_1", "relu3_1"], radius=0, lum_weight=0.0, chroma_match=0.0, grid=1)
    assert cfg.layers == ("relu3_1",) and hash(cfg)
    assert ExemplarConfig(layers="relu2_1").layers == ("relu2_1",) and ExemplarConfig(layers=()).layers == ()
    assert ExemplarConfig().replace(chroma_match=0.5) == ExemplarConfig(chroma_match=0.5) != ExemplarConfig()


def test_too_small_images_are_one_line_errors(motorcycle):
    with pytest.raises(ColorkitError, match="smaller than") as info:
        colorize_references(motorcycle["content"], [np.zeros((4, 4, 3), np.float32)])
    assert "\n" not in str(info.value)
    with pytest.raises(ColorkitError, match="needs at least"):
        colorize_references(np.zeros((4, 30, 3), np.float32), [motorcycle["style"]])


def test_box_filter_is_a_window_mean_cut_at_the_borders():
    x = np.random.default_rng(0).random((9, 11))
    b = box(x, 2)
    assert np.isclose(b[4, 5], x[2:7, 3:8].mean()) and np.isclose(b[0, 0], x[:3, :3].mean())


def test_guided_filter_smooths_noise_but_keeps_the_edge():
    rng = np.random.default_rng(2)
    step = np.zeros((40, 40))
    step[:, 20:] = 1.0
    noisy = 20 * step + rng.normal(0, 2, step.shape)
    out = guided_filter(step, noisy, radius=4, eps=1e-3)
    left, right = out[:, :17], out[:, 23:]
    assert left.std() < 0.3 * noisy[:, :17].std() and right.std() < 0.3 * noisy[:, 23:].std()
    assert abs((out[:, 21] - out[:, 18]).mean() - 20) < 1.0  # the step survives within a pixel or two of it


def test_weighted_local_linear_with_uniform_weights_is_the_guided_filter():
    rng = np.random.default_rng(1)
    guide, src = rng.random((20, 30)), rng.normal(0, 10, (20, 30, 2))
    np.testing.assert_allclose(weighted_local_linear(guide, src, np.full((20, 30), 0.7), 3, 1e-3),
                               guided_filter(guide, src, radius=3, eps=1e-3), atol=1e-6)


def test_weighted_local_linear_follows_the_trusted_pixels():
    """Pixels of near-zero weight do not pull the fit: a window's wrong values are ignored where trusted ones
    lie on one line."""
    guide = np.tile(np.linspace(0, 1, 20), (20, 1))
    src = (30 * guide + 5)[..., None].repeat(2, axis=2)
    wrong = src.copy()
    wrong[::3, ::3] = -50.0
    w = np.ones((20, 20))
    w[::3, ::3] = 0.0
    np.testing.assert_allclose(weighted_local_linear(guide, wrong, w, 2, 1e-6), src, atol=0.05)
    assert np.abs(weighted_local_linear(guide, wrong, np.ones((20, 20)), 2, 1e-6) - src).max() > 5


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


def test_optimised_variant_runs_and_keeps_lightness(motorcycle):
    out = METHODS["best+paper"](motorcycle["content"], motorcycle["style"], size=64, iterations=2)
    gray = color.to_gray(images.resize(motorcycle["content"], 64))
    assert out.shape == gray.shape and metrics.lightness_error(out, gray) < 0.05


def test_best_paper_without_iterations_is_the_exemplar_result(motorcycle, best):
    out = METHODS["best+paper"](motorcycle["content"], motorcycle["style"], size=SIZE, iterations=0)
    gray = color.to_gray(images.resize(motorcycle["content"], SIZE))
    assert metrics.lightness_error(out, gray) < 0.05
    assert metrics.delta_e2000(out, best) < 0.5  # the same picture, via the network's input space


def test_cli_preset_best(motorcycle_files, tmp_path):
    out = tmp_path / "best.png"
    proc = subprocess.run([sys.executable, "-m", "colorlib", "colorize", motorcycle_files["content"],
                           motorcycle_files["style"], "-o", str(out), "--preset", "best", "--size", "48", "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    img = images.load(str(out))
    assert max(img.shape[:2]) == 48 and metrics.colourfulness(img) > 5
