"""colorlib.metrics against values worked out independently (formulas by hand, not the library again)."""
import math

import numpy as np
import pytest

from colorlib import color
from colorlib.evaluation import metrics


def _gray_with_lightness(L, shape=(8, 8)):
    """A neutral image of CIELAB lightness L (a* = b* = 0)."""
    lab = np.zeros(shape + (3,))
    lab[..., 0] = L
    return color.lab_to_rgb(lab).astype(np.float32)


def test_delta_e_of_identical_images_is_zero(motorcycle):
    assert metrics.delta_e2000(motorcycle["truth"], motorcycle["truth"]) == pytest.approx(0.0, abs=1e-9)


def test_delta_e_of_pure_lightness_step_around_50():
    # CIEDE2000 with a* = b* = 0 reduces to ΔL / S_L, and S_L = 1 + 0.015 (L̄−50)² / sqrt(20 + (L̄−50)²) = 1 at
    # L̄ = 50: two neutral images at L* 45 and 55 are exactly 10 apart.
    assert metrics.delta_e2000(_gray_with_lightness(45.0), _gray_with_lightness(55.0)) == pytest.approx(10.0, abs=0.02)
    # off-centre the weighting S_L makes the step count less: L* 20 vs 30 (L̄ = 25)
    s_l = 1 + 0.015 * 25**2 / math.sqrt(20 + 25**2)
    step = metrics.delta_e2000(_gray_with_lightness(20.0), _gray_with_lightness(30.0))
    assert step == pytest.approx(10 / s_l, abs=0.02)


def test_delta_e_is_symmetric_and_positive(motorcycle):
    a = metrics.delta_e2000(motorcycle["content"], motorcycle["truth"])
    b = metrics.delta_e2000(motorcycle["truth"], motorcycle["content"])
    assert a > 1.0
    assert a == pytest.approx(b, rel=1e-6)


def test_colourfulness_of_gray_is_zero(motorcycle):
    assert metrics.colourfulness(motorcycle["content"]) == pytest.approx(0.0, abs=1e-3)
    assert metrics.colourfulness(np.full((4, 4, 3), 0.3)) == pytest.approx(0.0, abs=1e-9)


def test_colourfulness_matches_hasler_suesstrunk_by_hand():
    # pixels red, green, blue, white in 0..255:
    # rg = R−G = (255, −255, 0, 0); yb = (R+G)/2 − B = (127.5, 127.5, −255, 0)
    img = np.array([[[1, 0, 0], [0, 1, 0]], [[0, 0, 1], [1, 1, 1]]], dtype=np.float64)
    var_rg = (255**2 + 255**2) / 4  # mean rg is 0
    var_yb = (127.5**2 + 127.5**2 + 255**2) / 4  # mean yb is 0
    assert metrics.colourfulness(img) == pytest.approx(math.sqrt(var_rg + var_yb), rel=1e-9)
    # a uniform colour has no spread: M = 0.3 · |mean|; pure red: rg = 255, yb = 127.5
    red = np.zeros((3, 3, 3))
    red[..., 0] = 1
    assert metrics.colourfulness(red) == pytest.approx(0.3 * math.hypot(255, 127.5), rel=1e-9)


def test_psnr_ssim_and_lightness_error_independent_values():
    truth = np.full((16, 16, 3), 0.5, np.float32)
    truth[4:12, 4:12] = 0.3
    shifted = truth + 0.1  # MSE = 0.01 -> PSNR = 10 log10(1 / 0.01) = 20 dB
    scores = metrics.evaluate(shifted, truth, source=truth)
    assert scores["psnr"] == pytest.approx(20.0, abs=1e-3)
    identical = metrics.evaluate(truth, truth)
    assert identical["ssim"] == pytest.approx(1.0, abs=1e-9)
    assert identical["psnr"] == math.inf and identical["delta_e2000"] == 0.0
    lighter = metrics.lightness_error(_gray_with_lightness(60.0), _gray_with_lightness(50.0))
    assert lighter == pytest.approx(10.0, abs=1e-3)
    assert metrics.lightness_error(truth, truth) == 0.0


def test_evaluate_keys_and_ratio(motorcycle):
    scores = metrics.evaluate(motorcycle["style"][:, : motorcycle["truth"].shape[1]], motorcycle["truth"],
                              source=motorcycle["content"])
    assert set(scores) == {"delta_e2000", "psnr", "ssim", "colourfulness", "colourfulness_truth",
                           "colourfulness_ratio", "colourfulness_gap", "structure_ssim", "lightness_error"}
    assert all(np.isfinite(v) for v in scores.values())
    assert scores["colourfulness_ratio"] == pytest.approx(scores["colourfulness"] / scores["colourfulness_truth"])
    assert scores["colourfulness_gap"] == pytest.approx(scores["colourfulness"] - scores["colourfulness_truth"])
    assert "lightness_error" not in metrics.evaluate(motorcycle["truth"], motorcycle["truth"])
    # a gray truth has no colourfulness to compare with: the ratio is undefined, not a division error
    assert math.isnan(metrics.evaluate(motorcycle["content"], motorcycle["content"])["colourfulness_ratio"])


def test_structure_ssim_sees_layout_not_colour(motorcycle):
    truth = motorcycle["truth"]
    assert metrics.structure_ssim(truth, truth) == pytest.approx(1.0, abs=1e-9)
    # the gray input has the truth's L* (up to the gray's own rounding): its layout is the truth's
    assert metrics.structure_ssim(motorcycle["content"], truth) > 0.95
    # the same colours, the picture flipped: the layout is gone
    assert metrics.structure_ssim(truth[:, ::-1], truth) < 0.7
