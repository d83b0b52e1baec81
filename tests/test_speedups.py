"""Speed-ups around the paper's loop: bf16, coarse-to-fine, colour-only, early stop, 'fast', the run cache."""
import os
import time

import numpy as np
import pytest
import torch

from colorlib import ColorkitError, Config, colorize
from colorlib.evaluation import metrics
from colorlib.speedups import cache
from colorlib.speedups.backend import tune_backend
from colorlib.speedups.early_stop import loss_stalled
from colorlib.speedups.staged import FAST, Speedups, colorize_faster


def test_bf16_losses_close_to_fp32(motorcycle):
    kw = dict(init="content", size=48, iterations=2, decay=0.0, style_weight=1e3)
    a = colorize(motorcycle["content"], motorcycle["style"], precision="fp32", **kw)
    b = colorize(motorcycle["content"], motorcycle["style"], precision="bf16", **kw)
    assert b.run["precision"] == "bf16" and a.run["precision"] == "fp32"
    for ra, rb in zip(a.history, b.history, strict=True):
        assert rb["style_loss"] == pytest.approx(ra["style_loss"], rel=0.05)
        assert rb["total_loss"] == pytest.approx(ra["total_loss"], rel=0.05)
    assert rb["total_loss"] != ra["total_loss"]  # the bf16 path really ran


def test_coarse_to_fine_gives_full_size_and_starts_from_the_coarse_result(motorcycle):
    cfg = Config(init="content", size=64, decay=0.0, iterations=2)
    plain = colorize(motorcycle["content"], motorcycle["style"], cfg.replace(iterations=1))
    res = colorize_faster(motorcycle["content"], motorcycle["style"], cfg, Speedups(coarse_iterations=2))
    assert res.image.shape == plain.image.shape
    assert len(res.history) == 4 and res.run["coarse"]["size"] == 32
    # a content start has no content loss; the fine stage starts from the upsampled coarse image instead
    assert plain.history[0]["content_loss"] == 0 and res.history[2]["content_loss"] > 0


def test_chroma_only_keeps_full_size_lightness(motorcycle):
    cfg = Config(init="content", size=64, iterations=2, keep_luminance=True)
    res = colorize_faster(motorcycle["content"], motorcycle["style"], cfg, Speedups(chroma_size_ratio=0.5))
    full = colorize(motorcycle["content"], motorcycle["style"], cfg.replace(iterations=0))
    assert res.image.shape == full.image.shape and res.params["size"] == 64
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
    cfg = Config(init="content", size=48, style_weight=0.0, iterations=30)
    res = colorize_faster(motorcycle["content"], motorcycle["style"], cfg,
                          Speedups(early_stop=1e-3, early_stop_window=3))
    assert len(res.history) == 4 < 30 and res.run["stop_reason"] == "converged" and res.run["stopped_early"]
    paper = colorize(motorcycle["content"], motorcycle["style"], cfg.replace(iterations=6))
    assert len(paper.history) == 6 and paper.run["stop_reason"] is None


def test_paper_preset_has_no_speed_option():
    cfg = Config.from_preset("paper")
    assert cfg.precision == "fp32" and not hasattr(cfg, "early_stop") and not hasattr(cfg, "chroma_scale")


def test_fast_preset_runs(motorcycle):
    cfg = Config.from_preset("fast", size=64, iterations=3)
    res = colorize_faster(motorcycle["content"], motorcycle["style"], cfg, FAST)
    assert res.image.shape[:2] == (43, 64) and np.isfinite(res.image).all() and len(res.history) == 3
    assert res.params["speedups"]["chroma_size_ratio"] == 0.5


@pytest.mark.parametrize("field,value", [("chroma_size_ratio", 0.0), ("coarse_ratio", 1.5), ("coarse_iterations", -1),
                                         ("early_stop", -0.1), ("early_stop_window", 0)])
def test_bad_speed_options_are_rejected(field, value):
    with pytest.raises(ColorkitError):
        Speedups(**{field: value})


def test_nothing_switched_on_a_cpu():
    assert tune_backend(torch.device("cpu"), "fp32") == {}


def test_run_cache_returns_the_same_result_and_keys_on_what_decides_the_numbers(motorcycle, tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    monkeypatch.delenv(cache.OFF_ENV, raising=False)
    cfg = Config(size=48, iterations=3, init="content")
    first = cache.colorize_cached(motorcycle["content"], motorcycle["style"], cfg)
    second = cache.colorize_cached(motorcycle["content"], motorcycle["style"], cfg)
    assert first.run["cache"] == "miss" and second.run["cache"] == "hit"
    assert second.image.tobytes() == first.image.tobytes() and second.history == first.history
    key = cache.run_key(motorcycle["content"], motorcycle["style"], cfg)
    assert key != cache.run_key(motorcycle["content"], motorcycle["style"], cfg.replace(seed=1))
    assert key != cache.run_key(motorcycle["style"], motorcycle["style"], cfg)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(threads + 1)
        assert key != cache.run_key(motorcycle["content"], motorcycle["style"], cfg)
    finally:
        torch.set_num_threads(threads)
    monkeypatch.setenv(cache.OFF_ENV, "1")
    assert "cache" not in cache.colorize_cached(motorcycle["content"], motorcycle["style"], cfg).run


KEY_SCRIPT = """
import sys, torch
torch.set_num_threads(int(sys.argv[1]))
from colorlib import Config, data
from colorlib.speedups import cache
pair = data.motorcycle_pair()
print(cache.run_key(pair["content"], pair["style"], Config(size=48, iterations=3, init="content")))
"""


def test_a_second_checkout_of_the_same_code_hits_the_cache_and_an_edited_one_does_not(tmp_path):
    """The run cache is shared across checkouts (docs/performance.md, "The run cache"): the key must depend on the
    source's content, not on where the checkout lies; an edit to any colorlib module must change it."""
    import os
    import shutil
    import subprocess
    import sys

    import colorlib
    from colorlib import data

    here = os.path.dirname(os.path.dirname(os.path.abspath(colorlib.__file__)))

    def key_in(checkout):
        env = dict(os.environ, PYTHONPATH=str(checkout))
        out = subprocess.run([sys.executable, "-c", KEY_SCRIPT, str(torch.get_num_threads())], cwd=checkout,
                             env=env, capture_output=True, text=True, check=True)
        return out.stdout.strip().splitlines()[-1]

    copy = tmp_path / "clone"
    shutil.copytree(os.path.join(here, "colorlib"), copy / "colorlib",
                    ignore=shutil.ignore_patterns("__pycache__"))
    pair = data.motorcycle_pair()
    expected = cache.run_key(pair["content"], pair["style"], Config(size=48, iterations=3, init="content"))
    assert key_in(copy) == expected
    with open(copy / "colorlib" / "color.py", "a") as fh:
        fh.write("\n# an edit\n")
    assert key_in(copy) != expected


def test_evaluation_outputs_are_cached_by_what_decides_them(motorcycle, tmp_path, monkeypatch):
    """Non-optimising methods (baselines, exemplar) are cached too, so a second `make results` recomputes
    nothing; a changed input or seed is a miss."""
    from colorlib.evaluation import runner

    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    monkeypatch.delenv(cache.OFF_ENV, raising=False)
    calls = []

    def compute():
        calls.append(1)
        return np.full((4, 4, 3), 0.5, np.float32)

    parts = dict(method="m", content=motorcycle["content"], seed=0)
    first, hit1, _ = cache.cached_array(parts, compute)
    second, hit2, _ = cache.cached_array(parts, compute)
    assert (hit1, hit2, len(calls)) == (False, True, 1) and np.array_equal(first, second)
    assert not cache.cached_array({**parts, "seed": 1}, compute)[1]
    assert not cache.cached_array({**parts, "content": motorcycle["style"]}, compute)[1]

    pair = {**runner.sized({"truth": motorcycle["truth"], "style": motorcycle["style"]}, 48), "name": "moto"}
    run = [runner.run_method("welsh", pair, size=48, iterations=0, seed=0, device="cpu")[0] for _ in range(2)]
    stored = [f for _, _, files in os.walk(tmp_path) for f in files if f.startswith("out-") and f.endswith(".npy")]
    assert np.array_equal(run[0], run[1]) and len(stored) == 1 + 3  # welsh once, beside the three above


def test_a_method_read_back_reports_what_it_cost_not_the_read(motorcycle, tmp_path, monkeypatch):
    """The evaluation's seconds column: a result read from a cache keeps the seconds it took when it was computed
    (a `make results` that re-executes the notebooks from the cache reported 0.00 s per image before)."""
    from colorlib.evaluation import registry, runner

    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    monkeypatch.delenv(cache.OFF_ENV, raising=False)

    def slow():
        time.sleep(0.2)
        return np.full((4, 4, 3), 0.5, np.float32)

    (_, hit1, computed), (_, hit2, read) = (cache.cached_array({"method": "slow"}, slow) for _ in range(2))
    assert (hit1, hit2) == (False, True) and read == computed >= 0.2

    pair = {**runner.sized({"truth": motorcycle["truth"], "style": motorcycle["style"]}, 32), "name": "moto"}
    args = dict(size=32, iterations=3, seed=0, device="cpu")
    runner.run_method("neural-style", pair, **args)
    again = runner.run_method("neural-style", pair, **args)[2]
    recorded = registry.RUNS["neural-style"](pair["content"], pair["style"], **args).run
    assert recorded["cache"] == "hit" and again >= recorded["seconds"] > 0
