"""Classical baselines: call shape, lightness kept, and what each one is supposed to do with colour."""
import numpy as np
import pytest

from colorlib import color, images
from colorlib.errors import ColorkitError
from colorlib.evaluation import baselines, metrics
from colorlib.evaluation.registry import METHODS

NAMES = ("gray", "reinhard", "welsh")


@pytest.mark.parametrize("name", NAMES)
def test_registered_with_the_common_call_shape(name, motorcycle):
    fn = METHODS[name]
    assert fn is getattr(baselines, name)
    out = fn(motorcycle["content"], motorcycle["style"], size=40, iterations=3, seed=0, device="cpu")
    h, w = images.resize(motorcycle["content"], 40).shape[:2]
    assert out.shape == (h, w, 3) and max(h, w) == 40
    assert out.dtype == np.float32 and out.min() >= 0.0 and out.max() <= 1.0


@pytest.mark.parametrize("name", NAMES)
def test_lightness_of_the_input_is_kept(name, motorcycle):
    out = METHODS[name](motorcycle["content"], motorcycle["style"], size=64, iterations=0, seed=0, device="cpu")
    gray = color.to_gray(images.resize(motorcycle["content"], 64))
    assert metrics.lightness_error(out, gray) < 0.05


def test_gray_adds_no_colour(motorcycle):
    out = baselines.gray(motorcycle["truth"], motorcycle["style"], size=64)  # colour content is grayscaled
    assert metrics.colourfulness(out) == pytest.approx(0.0, abs=1e-3)


def test_reinhard_is_one_tint_with_the_reference_mean_chroma(motorcycle):
    out = baselines.reinhard(motorcycle["content"], motorcycle["style"], size=64)
    ab = color.rgb_to_lab(out)[..., 1:].reshape(-1, 2)
    ref_ab = color.rgb_to_lab(images.resize(motorcycle["style"], 64))[..., 1:].reshape(-1, 2).mean(0)
    # where the tint fits the gamut it is exactly the reference's mean; elsewhere only scaled towards gray
    assert np.median(ab, axis=0) == pytest.approx(ref_ab, abs=0.3)
    hue = np.arctan2(ab[:, 1], ab[:, 0])
    big = np.hypot(ab[:, 0], ab[:, 1]) > 1.0
    assert np.allclose(hue[big], np.arctan2(ref_ab[1], ref_ab[0]), atol=0.05)


def _two_tone_reference(h=48, w=64, seed=1):
    """Dark, smooth, red left half; bright, textured, blue right half (as Lab -> sRGB)."""
    rng = np.random.default_rng(seed)
    lab = np.zeros((h, w, 3))
    lab[:, : w // 2] = (30.0, 40.0, 20.0)
    lab[:, w // 2 :] = (75.0, -5.0, -40.0)
    lab[:, w // 2 :, 0] += rng.normal(0, 6, (h, w - w // 2))
    return color.lab_to_rgb(lab).astype(np.float32)


def test_welsh_gives_dark_pixels_the_dark_samples_colour():
    ref = _two_tone_reference()
    target_lab = np.zeros((40, 40, 3))
    target_lab[:, :20, 0] = 25.0  # dark, flat: should match the red samples
    target_lab[:, 20:, 0] = 70.0 + np.random.default_rng(2).normal(0, 6, (40, 20))  # bright, textured: blue
    target = color.to_gray(color.lab_to_rgb(target_lab))
    out = baselines.welsh(target, ref, size=40, seed=0)
    ab = color.rgb_to_lab(out)[..., 1:]
    left, right = ab[:, 4:16].reshape(-1, 2).mean(0), ab[:, 24:36].reshape(-1, 2).mean(0)
    assert left[0] > 20 and left[1] > 5  # red-orange
    assert right[1] < -20  # blue


def test_welsh_colours_better_than_gray_when_the_reference_is_the_truth(motorcycle):
    truth = images.resize(motorcycle["truth"], 64)
    gray = color.to_gray(truth)
    out = baselines.welsh(gray, truth, size=64, seed=0)
    assert metrics.delta_e2000(out, truth) < 0.9 * metrics.delta_e2000(gray, truth)
    assert metrics.colourfulness(out) > 0.3 * metrics.colourfulness(truth)


def test_welsh_is_seeded(motorcycle):
    args = (motorcycle["content"], motorcycle["style"])
    a = baselines.welsh(*args, size=48, seed=0)
    assert np.array_equal(a, baselines.welsh(*args, size=48, seed=0))
    assert not np.array_equal(a, baselines.welsh(*args, size=48, seed=1))


def test_jittered_samples_one_per_cell():
    ys, xs = baselines.jittered_samples((100, 200), 200, np.random.default_rng(0))
    assert 180 <= len(ys) <= 220
    assert ys.min() >= 0 and ys.max() < 100 and xs.min() >= 0 and xs.max() < 200
    assert len(set(zip(ys.tolist(), xs.tolist(), strict=True))) == len(ys)  # distinct cells give distinct pixels
    # every row band of the grid holds samples: the spread covers the image
    assert np.histogram(ys, bins=5, range=(0, 100))[0].min() > 0


def test_local_std_of_flat_and_checkerboard():
    assert np.allclose(baselines.local_std(np.full((9, 9), 7.0)), 0.0)
    checker = (np.indices((9, 9)).sum(0) % 2) * 10.0
    centre = checker[2:7, 2:7]
    assert baselines.local_std(checker)[4, 4] == pytest.approx(centre.std(), rel=1e-6)


def test_bad_style_is_a_clear_error(motorcycle):
    with pytest.raises(ColorkitError, match="style"):
        baselines.welsh(motorcycle["content"], np.zeros((4, 4, 7)), size=32)


def test_reinhard_pools_its_references_pixel_for_pixel(motorcycle):
    content, style = motorcycle["content"], motorcycle["style"]
    blue = np.zeros_like(style)
    blue[..., 2] = 1.0

    def tint(img):
        return color.rgb_to_lab(img)[..., 1:].reshape(-1, 2).mean(0)

    alone = baselines.reinhard(content, style, size=64)
    assert np.allclose(baselines.reinhard(content, style, size=64, references=[style]), alone, atol=1e-6)
    pooled = tint(baselines.reinhard(content, style, size=64, references=[blue]))
    # a pure blue reference (b* about -108) weighs as much as the style: the pooled tint moves far towards blue
    assert pooled[1] < tint(alone)[1] - 10
