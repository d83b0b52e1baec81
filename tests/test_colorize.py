"""colorize(): the schedule, the optimizers, exactly-N L-BFGS evaluations, init, determinism, keep_luminance."""
import numpy as np
import pytest
import torch

from colorlib import Config, color, colorize
from colorlib.errors import ColorkitError
from colorlib.paper import objective
from colorlib.paper.optimize import style_weight_at

SMALL = dict(size=48, iterations=6)


def test_schedule_cuts_beta_by_the_rate_each_iteration():
    assert style_weight_at(1000.0, 0.0025, 0) == 1000.0
    assert style_weight_at(1000.0, 0.0025, 1) == pytest.approx(997.5)
    assert style_weight_at(1000.0, 0.0025, 400) == pytest.approx(1000.0 * 0.9975**400)
    assert style_weight_at(1000.0, 0.0, 999) == 1000.0


def test_history_records_the_schedule_per_iteration(motorcycle):
    res = colorize(motorcycle["content"], motorcycle["style"], style_weight=500.0, decay=0.1, size_normalise=False,
                   **SMALL)
    assert [h["style_weight"] for h in res.history] == pytest.approx([500.0 * 0.9**i for i in range(6)])
    assert [h["iteration"] for h in res.history] == list(range(1, 7))


@pytest.mark.parametrize("optimizer,lr", [("lbfgs", None), ("sgd", None), ("adam", None), ("sgd", 0.5)])
def test_each_optimizer_lowers_the_loss(motorcycle, optimizer, lr):
    res = colorize(motorcycle["content"], motorcycle["style"], optimizer=optimizer, lr=lr, momentum=0.9 if lr else 0,
                   init="content", decay=0.0, size=48, iterations=15, style_weight=1e3)
    first, last = res.history[0]["total_loss"], res.history[-1]["total_loss"]
    assert last < first


def test_lbfgs_runs_exactly_n_function_evaluations(motorcycle, monkeypatch):
    calls = []
    original = objective.Objective.__call__

    def counting(self, x, beta):
        calls.append(beta)
        return original(self, x, beta)

    monkeypatch.setattr(objective.Objective, "__call__", counting)
    res = colorize(motorcycle["content"], motorcycle["style"], size=48, iterations=9, decay=0.01)
    assert len(res.history) == 9
    assert len(calls) == 10  # 9 iterations + the one evaluation of the image returned (run["final"])
    # β is applied per evaluation: the i-th evaluation sees β₀(1-r)^i; the final one the last iteration's β
    beta0 = res.run["style_weight_used"]
    assert calls[:9] == pytest.approx([beta0 * 0.99**i for i in range(9)])
    assert calls[9] == pytest.approx(calls[8])


def test_same_seed_same_bytes_and_other_seed_differs(motorcycle):
    a = colorize(motorcycle["content"], motorcycle["style"], seed=3, **SMALL).image
    b = colorize(motorcycle["content"], motorcycle["style"], seed=3, **SMALL).image
    c = colorize(motorcycle["content"], motorcycle["style"], seed=4, **SMALL).image
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() != c.tobytes()


def test_init_content_starts_at_the_content_image(motorcycle):
    res = colorize(motorcycle["content"], motorcycle["style"], init="content", size=48, iterations=0)
    gray = color.to_gray(res.image)
    assert np.abs(res.image - gray).max() < 1e-5  # still gray: nothing optimised yet
    noise = colorize(motorcycle["content"], motorcycle["style"], init="noise", size=48, iterations=0).image
    assert noise.std(axis=(0, 1)).max() < 0.01  # randn x 0.001 around the mean pixel: almost flat


def test_init_image_is_used(motorcycle, tmp_path):
    from colorlib import images

    path = tmp_path / "init.png"
    images.save(np.full((30, 50, 3), 0.25, np.float32), path)
    res = colorize(motorcycle["content"], motorcycle["style"], init="image", init_image=str(path), size=48,
                   iterations=0)
    assert np.abs(res.image - 0.25).max() < 0.01


def test_keep_luminance_output_has_the_input_lightness_and_colour(motorcycle):
    res = colorize(motorcycle["content"], motorcycle["style"], keep_luminance=True, init="content", size=64,
                   iterations=20, style_weight=1e4)
    from colorlib import images

    gray = motorcycle["content"]  # already gray and 64 px, so colorize uses it as is
    # lightness kept within 8-bit rounding of the saved image
    saved = images.to_uint8(res.image).astype(np.float32) / 255
    assert np.abs(color.lightness(saved) - color.lightness(gray)).max() < 0.5
    assert color.chroma(res.image).mean() > 1.0  # colour was added


def test_objective_matches_an_independent_computation(motorcycle):
    from colorlib.paper.vgg import FeatureExtractor

    cfg = Config(size=32, style_layers=("conv1_1", "relu2_1"), content_layers=("conv2_2",))
    net = FeatureExtractor("caffe", ("conv1_1", "relu2_1", "conv2_2"))
    c = net.preprocess.to_net(torch.rand(1, 3, 32, 32))
    s = net.preprocess.to_net(torch.rand(1, 3, 32, 32))
    x = net.preprocess.to_net(torch.rand(1, 3, 32, 32))
    total, Lc, Ls = objective.Objective(net, c, s, cfg)(x, 7.0)
    fx, fc, fs = (net(t) for t in (x, c, s))
    Lc_ref = 0.5 * ((fx["conv2_2"] - fc["conv2_2"]) ** 2).sum()
    Ls_ref = 0
    for layer in ("conv1_1", "relu2_1"):
        F, A = fx[layer][0].flatten(1), fs[layer][0].flatten(1)
        N, M = F.shape
        Ls_ref = Ls_ref + 0.5 * ((F @ F.T - A @ A.T) ** 2).sum() / (4 * N**2 * M**2)
    assert float(Lc) == pytest.approx(float(Lc_ref), rel=1e-4)
    assert float(Ls) == pytest.approx(float(Ls_ref), rel=1e-4)
    assert float(total) == pytest.approx(float(Lc_ref + 7.0 * Ls_ref), rel=1e-4)


def test_neural_style_preset_records_paper_units_but_minimises_its_own(motorcycle):
    cfg = Config.from_preset("neural-style", size=32, iterations=2)
    res = colorize(motorcycle["content"], motorcycle["style"], cfg)
    h = res.history[0]
    assert h["total_loss"] != pytest.approx(5.0 * h["content_loss"] + 100.0 * h["style_loss"])
    assert res.params["loss_form"] == "neural-style" and res.params["tv_weight"] == 1e-3


def test_on_step_can_stop_the_run(motorcycle):
    seen = []
    res = colorize(motorcycle["content"], motorcycle["style"], size=32, iterations=50,
                   on_step=lambda s: seen.append(s.iteration) or s.iteration < 3)
    assert seen == [1, 2, 3] and res.run["stopped_early"] and len(res.history) == 3
    assert res.image.shape[2] == 3 and np.isfinite(res.image).all()


def test_different_sizes_and_aspect_ratios(motorcycle):
    style = np.random.default_rng(0).random((90, 45, 3)).astype(np.float32)
    res = colorize(motorcycle["content"], style, size=40, iterations=2, init="content")  # style 20x40 at size 40
    assert max(res.image.shape[:2]) == 40


@pytest.mark.parametrize("bad", [dict(optimizer="newton"), dict(init="zeros"), dict(decay=1.5),
                                 dict(style_layers=("conv9_9",)), dict(iterations=-1), dict(nonsense=1)])
def test_bad_config_is_a_one_line_error(bad):
    with pytest.raises(ColorkitError) as info:
        Config().replace(**bad)
    assert "\n" not in str(info.value)


def test_bf16_and_fp32_losses_are_close(motorcycle):
    a = colorize(motorcycle["content"], motorcycle["style"], precision="fp32", init="content", size=48, iterations=1)
    b = colorize(motorcycle["content"], motorcycle["style"], precision="bf16", init="content", size=48, iterations=1)
    assert b.run["precision"] == "bf16"
    assert b.final["style_loss"] == pytest.approx(a.final["style_loss"], rel=0.1)
