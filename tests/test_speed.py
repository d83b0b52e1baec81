"""Speed options (issue 9): bf16, coarse-to-fine, chroma-only, early stop, the 'fast' preset, the CUDA layout."""
import numpy as np
import pytest
import torch

from colorlib import ColorkitError, Config, PRESETS, colorize, metrics
from colorlib.speed import ChannelsLast, loss_stalled, tune_backend
from colorlib.vgg import FeatureExtractor


def test_bf16_losses_close_to_fp32(motorcycle):
    kw = dict(init="content", size=48, iterations=2, decay=0.0, style_weight=1e3)
    a = colorize(motorcycle["content"], motorcycle["style"], precision="fp32", **kw)
    b = colorize(motorcycle["content"], motorcycle["style"], precision="bf16", **kw)
    assert b.run["precision"] == "bf16" and a.run["precision"] == "fp32"
    for ra, rb in zip(a.history, b.history):
        assert rb["style_loss"] == pytest.approx(ra["style_loss"], rel=0.05)
        assert rb["total_loss"] == pytest.approx(ra["total_loss"], rel=0.05)
    assert rb["total_loss"] != ra["total_loss"]  # the bf16 path really ran


def test_coarse_to_fine_gives_full_size_and_starts_from_the_coarse_result(motorcycle):
    kw = dict(init="content", size=64, decay=0.0, style_weight=1e3)
    plain = colorize(motorcycle["content"], motorcycle["style"], iterations=1, **kw)
    res = colorize(motorcycle["content"], motorcycle["style"], iterations=2, coarse_iterations=2, coarse_scale=0.5, **kw)
    assert res.image.shape == plain.image.shape
    assert [h["iteration"] for h in res.history] == [1, 2, 3, 4]
    assert res.run["coarse"]["size"] == 32 and res.run["iterations_run"] == 4
    # a content start has no content loss; the fine stage starts from the upsampled coarse image instead
    assert plain.history[0]["content_loss"] == 0 and res.history[2]["content_loss"] > 0
    assert res.history[2]["seconds"] >= res.history[1]["seconds"]


def test_chroma_only_keeps_full_size_lightness(motorcycle):
    res = colorize(motorcycle["content"], motorcycle["style"], init="content", size=64, iterations=2,
                   chroma_scale=0.5, keep_luminance=True)
    full = colorize(motorcycle["content"], motorcycle["style"], init="content", size=64, iterations=0)
    assert res.image.shape == full.image.shape and res.run["chroma_size"] == 32
    assert metrics.lightness_error(res.image, full.image) < 0.5  # L* of the full-size input, not a blurred one
    assert metrics.colourfulness(res.image) > 0.1 > metrics.colourfulness(full.image)  # chroma from the small run


def test_loss_stalled_ignores_the_style_weight_decay():
    moving = [dict(content_loss=1.0, style_loss=100.0 * 0.9**i) for i in range(10)]
    flat = [dict(content_loss=1.0, style_loss=100.0) for _ in range(10)]
    assert not loss_stalled(moving, 1.0, 1.0, 1e-3, 5)
    assert loss_stalled(flat, 1.0, 1.0, 1e-3, 5)
    assert not loss_stalled(flat, 1.0, 1.0, 1e-3, 10)  # needs window + 1 rows
    assert not loss_stalled(flat, 1.0, 1.0, 0.0, 5)  # 0 = off


def test_early_stop_stops_a_converged_run_and_never_by_default(motorcycle):
    # style weight 0 from the content image: the loss is 0 from the start, nothing left to optimise
    kw = dict(init="content", size=48, style_weight=0.0)
    res = colorize(motorcycle["content"], motorcycle["style"], iterations=30, early_stop=1e-3, early_stop_window=3,
                   **kw)
    assert len(res.history) == 4 < 30 and res.run["stop_reason"] == "converged" and res.run["stopped_early"]
    paper = colorize(motorcycle["content"], motorcycle["style"], Config.from_preset("paper", iterations=6, **kw))
    assert len(paper.history) == 6 and paper.run["stop_reason"] is None
    assert Config().early_stop == 0 and "early_stop" not in PRESETS["paper"]


def test_paper_preset_has_every_speed_option_off():
    cfg = Config.from_preset("paper")
    assert (cfg.coarse_iterations, cfg.chroma_scale, cfg.early_stop, cfg.precision) == (0, 1.0, 0.0, "fp32")


def test_fast_preset_runs(motorcycle):
    cfg = Config.from_preset("fast", size=64, iterations=3)
    assert cfg.preset == "fast" and cfg.init == "content"
    res = colorize(motorcycle["content"], motorcycle["style"], cfg)
    assert res.image.shape[:2] == (43, 64) and np.isfinite(res.image).all() and len(res.history) == 3


@pytest.mark.parametrize("field,value", [("chroma_scale", 0.0), ("coarse_scale", 1.5), ("coarse_iterations", -1),
                                         ("early_stop", -0.1), ("early_stop_window", 0)])
def test_bad_speed_options_are_rejected(field, value):
    with pytest.raises(ColorkitError):
        Config().replace(**{field: value})


def test_channels_last_wrapper_matches_and_keeps_the_gradient_flat():
    assert tune_backend(torch.device("cpu"), "fp32") == {}  # nothing switched on a CPU
    net = FeatureExtractor(layers=("conv1_1", "conv2_1"))
    x = torch.rand(1, 3, 24, 32) * 100
    ref = net(x)
    x = x.clone().requires_grad_(True)
    out = ChannelsLast(net)(x)
    for k in ref:
        torch.testing.assert_close(out[k], ref[k], rtol=1e-4, atol=1e-3)
    out["conv2_1"].sum().backward()
    assert x.grad.is_contiguous()  # L-BFGS views it flat
