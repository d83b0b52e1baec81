"""What makes the kit reproduce the paper as run: rectified layers, size-normalised β/α, and a run record that
describes the image it saves (final losses, spikes, keep_best)."""
import numpy as np
import pytest

from colorlib import Config, colorize, images
from colorlib.paper.colorize import positions, style_weight_for
from colorlib.paper.optimize import SPIKE_FACTOR, is_spike


def test_paper_preset_uses_rectified_layers_and_the_ablation_pre_relu():
    paper = Config.from_preset("paper")
    assert paper.content_layers == ("relu4_2",)
    assert paper.style_layers == ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    pre = Config.from_preset("paper-preReLU")
    assert pre.content_layers == ("conv4_2",) and all(l.startswith("conv") for l in pre.style_layers)


def test_positions_counts_the_feature_map_after_the_poolings():
    # relu4_2 follows three 2x2 poolings (floor division each time), relu1_1 none
    assert positions(173, 256, "relu4_2") == (173 // 2 // 2 // 2) * (256 // 8)
    assert positions(173, 256, "relu1_1") == 173 * 256


def test_style_weight_is_rescaled_by_the_content_layers_positions():
    cfg = Config(style_weight=1000.0, reference_size=512)
    h, w = 150, 200  # an image at size 200 whose 512-px version is 384 x 512
    expected = 1000.0 * ((h // 8) * (w // 8)) / ((384 // 8) * (512 // 8))
    assert style_weight_for(cfg, (h, w)) == pytest.approx(expected)
    assert style_weight_for(cfg, (384, 512)) == pytest.approx(1000.0)
    assert style_weight_for(cfg.replace(size_normalise=False), (h, w)) == 1000.0
    assert style_weight_for(Config.from_preset("neural-style"), (h, w)) == 100.0  # its losses do not grow with M


def test_run_records_both_style_weights(motorcycle):
    res = colorize(motorcycle["content"], motorcycle["style"], size=48, iterations=2, style_weight=1000.0)
    assert res.run["style_weight_at_reference"] == 1000.0
    assert res.run["style_weight_used"] == pytest.approx(style_weight_for(Config(), res.image.shape))
    assert res.history[0]["style_weight"] == pytest.approx(res.run["style_weight_used"])


def test_final_losses_describe_the_returned_image(motorcycle):
    res = colorize(motorcycle["content"], motorcycle["style"], size=48, iterations=5, init="content")
    again = colorize(motorcycle["content"], motorcycle["style"], size=48, iterations=0, init_image=res.image,
                     decay=0.0, style_weight=res.final["style_weight"], size_normalise=False)
    for key in ("content_loss", "style_loss"):
        assert res.run["final"][key] == pytest.approx(again.run["final"][key], rel=1e-4)
    # the last history row is the iterate the last update started from, not the returned image
    assert res.run["final"]["total_loss"] != pytest.approx(res.history[-1]["total_loss"], rel=1e-6)


def test_spikes_are_counted_from_the_history(motorcycle):
    assert is_spike(1.0, SPIKE_FACTOR * 1.01) and not is_spike(1.0, SPIKE_FACTOR) and not is_spike(None, 5.0)
    res = colorize(motorcycle["content"], motorcycle["style"], size=48, iterations=12, init="content")
    totals = [h["total_loss"] for h in res.history]
    expected = [i + 1 for i in range(1, len(totals)) if is_spike(totals[i - 1], totals[i])]
    assert res.run["spikes"] == expected and res.run["spike_count"] == len(expected)


def test_keep_best_returns_the_lowest_loss_iterate_at_the_final_beta(motorcycle):
    kw = dict(size=48, iterations=12, init="content", style_weight=1e6, size_normalise=False)
    last = colorize(motorcycle["content"], motorcycle["style"], **kw)
    best = colorize(motorcycle["content"], motorcycle["style"], keep_best=True, **kw)
    beta = best.final["style_weight"]
    weighed = [h["content_loss"] + beta * h["style_loss"] for h in best.history]
    # the returned image is no worse than any evaluated iterate (and than the last one), up to 8-bit-free clipping
    assert best.final["total_loss"] <= min(weighed) * 1.05
    assert best.final["total_loss"] <= last.final["total_loss"] * 1.0001
    assert 0 <= best.run["returned_iterate"] <= 12


def test_default_run_returns_the_last_iterate(motorcycle):
    res = colorize(motorcycle["content"], motorcycle["style"], size=48, iterations=3)
    assert res.run["returned_iterate"] == 3 and res.params["keep_best"] is False


@pytest.mark.parametrize("bad", [dict(style_weight=float("inf")), dict(content_weight=float("nan")),
                                 dict(momentum=float("nan")), dict(lr=float("inf")), dict(tv_weight=float("inf")),
                                 dict(seed=10**25), dict(size_normalise="yes"), dict(style_layers=["relu1_1", 3])])
def test_every_number_is_validated(bad):
    from colorlib.errors import ColorkitError

    with pytest.raises(ColorkitError) as info:
        Config().replace(**bad)
    assert "\n" not in str(info.value)


def test_saved_image_is_what_final_describes(motorcycle, tmp_path):
    from colorlib import record

    res = colorize(motorcycle["content"], motorcycle["style"], size=48, iterations=3, init="content")
    png, js = record.save(res, tmp_path / "r.png")
    saved = images.load(png)
    assert np.abs(saved - res.image).max() <= 0.5 / 255 + 1e-6  # 8-bit rounding only
