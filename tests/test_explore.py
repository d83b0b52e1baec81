"""The widget explorer, driven headless: set widget values, click the same buttons a user clicks."""
import datetime
import io
import json
import os
import time

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("ipywidgets")

from colorlib import color, data, images  # noqa: E402
from colorlib.app import explore, explore_runs  # noqa: E402
from colorlib.errors import ColorkitError  # noqa: E402
from colorlib.evaluation import metrics  # noqa: E402
from colorlib.exemplar.method import colorize_exemplar  # noqa: E402
from colorlib.paper import config  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def png(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(images.to_uint8(image)).save(buf, format="PNG")
    return buf.getvalue()


def upload(picker, name: str, payload: bytes) -> None:
    """What the browser's FileUpload sends, set as its value."""
    picker.source.value = "upload"
    picker.upload.value = ({"name": name, "type": "image/png", "size": len(payload), "content": memoryview(payload),
                            "last_modified": datetime.datetime.now(datetime.timezone.utc)},)


def gradient(h=40, w=48, gray=False) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    rgb = np.stack([x / w, y / h, 0.5 + 0.4 * np.sin(x / 5)], axis=-1).astype(np.float32)
    return color.to_gray(rgb) if gray else rgb


def decoded(payload) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(bytes(payload))).convert("RGB"))


@pytest.fixture
def prints():
    pair = data.pairs()[0]
    try:
        data.find(pair["content"]), data.find(pair["style"])
    except ColorkitError as exc:
        pytest.skip(f"bundled prints not available: {exc}")
    return pair


def test_run_button_updates_preview_plot_history_and_save(tmp_path, prints):
    ex = explore.Explorer(size=32, iterations=3, every=2, output_dir=str(tmp_path / "explore"))
    assert ex.content.message.value.startswith(prints["content"])  # the bundled print is loaded and described
    assert bytes(ex.content.thumb.value)[:8] == b"\x89PNG\r\n\x1a\n"
    ex.init.value, ex.ratio.value, ex.seed.value = "content", 1e3, 3
    progress = []
    ex.progress.observe(lambda change: progress.append(change["new"]), "value")
    assert bytes(ex.preview.value) == b"" and bytes(ex.plot.value) == b"" and "no runs" in ex.table.value

    ex.run_button.click()
    assert ex.wait(timeout=300), "the run did not finish"
    row = ex.history[-1]
    assert row["status"] == "done", ex.last_message
    assert (row["iterations_run"], row["size"], row["seed"], row["init"]) == (3, 32, 3, "content")
    assert row["beta/alpha"] == pytest.approx(1e3) and ex.results[-1].params["style_weight"] == pytest.approx(1e3)
    assert 1 not in progress and 2 in progress and progress[-1] == 3  # refreshed every 2 iterations and at the end
    # the preview is the run's final image, the plot a PNG, the table has the run with its ΔE against the truth
    shown = decoded(ex.preview.value)
    np.testing.assert_array_equal(shown, images.to_uint8(ex.results[-1].image))
    assert max(shown.shape[:2]) == 32
    assert bytes(ex.plot.value)[:8] == b"\x89PNG\r\n\x1a\n"
    assert row["delta_e2000"] > 0 and f"{row['delta_e2000']:.2f}" in ex.table.value
    assert ex.run_button.disabled is False and ex.stop_button.disabled is True
    assert ex.last_message.endswith(f"on {ex.results[-1].run['device']}, ΔE2000 {row['delta_e2000']:.2f}")

    assert not (tmp_path / "explore").exists()  # nothing is written before Save
    ex.save_button.click()
    pngs = sorted((tmp_path / "explore").glob("*.png"))
    jsons = sorted((tmp_path / "explore").glob("*.json"))
    assert len(pngs) == 1 and len(jsons) == 1, ex.last_message
    np.testing.assert_array_equal(decoded(pngs[0].read_bytes()), shown)
    record = json.loads(jsons[0].read_text())
    assert record["params"]["size"] == 32 and record["params"]["seed"] == 3 and len(record["history"]) == 3
    assert record["explorer"]["delta_e2000"] == pytest.approx(row["delta_e2000"])
    assert record["versions"]["torch"]
    assert row["saved"] == pngs[0].name and pngs[0].name not in ex.table.value  # a column shown on demand
    ex.all_columns.value = True
    assert pngs[0].name in ex.table.value and "content layers" in ex.table.value


def test_stop_ends_a_run_early_while_the_caller_stays_free(tmp_path):
    ex = explore.Explorer(size=32, iterations=500, every=1, output_dir=str(tmp_path))
    content_file = tmp_path / "gray.png"
    images.save(gradient(gray=True), content_file)
    ex.content.source.value = "path"
    ex.content.path.value = str(content_file)  # a gray content: no ground truth, so no ΔE
    upload(ex.style, "style.png", png(gradient()))
    ex.init.value = "content"

    ex.run_button.click()
    assert ex.running and ex.run_button.disabled and not ex.stop_button.disabled  # click() returned mid-run
    deadline = time.monotonic() + 300
    while ex.progress.value < 2 and ex.running and time.monotonic() < deadline:
        time.sleep(0.02)
    ex.stop_button.click()
    assert ex.wait(timeout=300)
    row = ex.history[-1]
    assert row["status"] == "stopped", ex.last_message
    assert 2 <= row["iterations_run"] < 500
    assert row["delta_e2000"] is None and row["colourfulness"] >= 0
    assert (row["content"], row["style"]) == ("gray.png", "style.png")
    assert "stopped" in ex.last_message and not ex.running


@pytest.mark.parametrize("case, expected", [
    ("bad upload", "not an image file"),
    ("too small", "needs at least 16 px"),
    ("size too small", "raise --size"),
    ("missing path", "file not found"),
])
def test_errors_are_a_message_not_a_traceback(tmp_path, case, expected):
    ex = explore.Explorer(size=32, iterations=2, output_dir=str(tmp_path))
    upload(ex.style, "style.png", png(gradient()))
    if case == "bad upload":
        upload(ex.content, "notes.png", b"this is not an image")
        assert expected in ex.content.message.value  # shown as soon as it is uploaded
    elif case == "too small":
        upload(ex.content, "tiny.png", png(gradient(10, 10)))
    elif case == "size too small":
        upload(ex.content, "wide.png", png(gradient(20, 200)))  # 200 px wide, 2 px high at size 20
        ex.size.value = 20
    else:
        ex.content.source.value = "path"
        ex.content.path.value = str(tmp_path / "nope.png")
    ex.run_button.click()
    assert not ex.running and ex.history == []
    assert ex.last_message.startswith("error:") and expected in ex.last_message
    assert "color:#b00020" in ex.message.value and "Traceback" not in ex.message.value
    ex.save_button.click()
    assert "nothing to save" in ex.last_message and os.listdir(tmp_path) == []


def test_presets_fill_the_controls_and_are_read_when_built(monkeypatch, tmp_path):
    monkeypatch.setitem(config.PRESETS, "fast-test", config.Preset("a test preset", dict(
        optimizer="adam", lr=0.5, iterations=7, size=64, style_layers=("relu1_1", "relu2_1"))))
    ex = explore.Explorer(size=32, iterations=3, output_dir=str(tmp_path))
    assert "fast-test" in ex.preset.options and "neural-style" in ex.preset.options
    assert ex.lr.layout.display == "none" and ex.momentum.layout.display == "none"  # L-BFGS: no learning rate

    ex.preset.value = "neural-style"
    assert ex.content_layers.value == ("relu4_2",) and ex.ratio.value == pytest.approx(100 / 5)
    cfg = ex.config()
    assert (cfg.loss_form, cfg.content_weight, cfg.style_weight, cfg.tv_weight) == ("neural-style", 5.0, 100.0, 1e-3)
    assert (cfg.size, cfg.iterations) == (32, 3)  # a preset that does not name them leaves them alone
    ex.style_layers.value = ("relu1_1", "relu3_1")
    assert ex.config().style_layer_weights == (1.0, 1.0)  # the preset's per-layer weight, one per chosen layer

    ex.preset.value = "fast-test"
    assert (ex.optimizer.value, ex.iterations.value, ex.size.value) == ("adam", 7, 64)
    assert ex.lr.layout.display is None and ex.lr.value == pytest.approx(0.5)
    assert ex.config().lr == pytest.approx(0.5) and ex.config().style_layers == ("relu1_1", "relu2_1")

    ex.optimizer.value = "sgd"
    assert ex.lr.layout.display is None and ex.momentum.layout.display is None
    ex.momentum.value = 0.9
    assert (ex.config().optimizer, ex.config().momentum) == ("sgd", 0.9)
    ex.optimizer.value = "lbfgs"
    assert ex.lr.layout.display == "none" and ex.config().momentum == 0.0

    ex.preset.value = "paper"
    cfg = ex.config()
    assert cfg.content_layers == ("relu4_2",) and cfg.style_layers == config.RELU_STYLE_LAYERS
    assert cfg.style_weight == 1e3 and cfg.decay == 0.0025 and cfg.optimizer == "lbfgs" and cfg.init == "noise"
    assert cfg == config.Config.from_preset("paper", size=64, iterations=7)  # nothing else changed on the way

    ex.preset.value = "paper-preReLU"
    assert ex.content_layers.value == ("conv4_2",) and ex.config().style_layers[0] == "conv1_1"


@pytest.mark.slow
def test_notebook_smoke_run_under_papermill(tmp_path):
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(os.path.join(ROOT, "notebooks", "03_explore.ipynb"), str(out), kernel_name="python3",
                               parameters=dict(profile="smoke", device="cpu", output_dir=str(tmp_path), smoke=True),
                               cwd=os.path.join(ROOT, "notebooks"), progress_bar=False)
    saved = sorted(p.suffix for p in (tmp_path / "explore").iterdir())
    assert saved == [".json", ".png"]
    record = json.loads(next((tmp_path / "explore").glob("*.json")).read_text())
    assert record["params"]["size"] == 48 and record["iterations_run"] == 4 and record["explorer"]["status"] == "done"
    text = out.read_text()
    assert "application/vnd.jupyter.widget-view+json" in text  # the UI was built and displayed


# --- what the explorer shows and when --------------------------------------------------------
def _gray_content_and_style(ex, tmp_path):
    """A small gray content from a path and a colour style upload: no bundled prints needed."""
    content_file = tmp_path / "gray.png"
    images.save(gradient(gray=True), content_file)
    ex.content.source.value = "path"
    ex.content.path.value = str(content_file)
    upload(ex.style, "style.png", png(gradient()))
    ex.init.value = "content"


def test_a_run_click_as_the_button_reenables_is_not_lost(tmp_path):
    ex = explore.Explorer(size=32, iterations=2, every=1, output_dir=str(tmp_path))
    _gray_content_and_style(ex, tmp_path)
    seen = []

    def click_when_enabled(change):
        if change["new"] is False and not seen:  # the user clicks Run the instant it is enabled again
            seen.append(len(ex.history))
            ex.run_button.click()

    ex.run_button.observe(click_when_enabled, "disabled")
    ex.run_button.click()
    assert ex.wait(timeout=300) and not ex.running
    assert seen == [1], "the Run button was enabled before the run was recorded"
    assert [r["run"] for r in ex.history] == [1, 2], ex.last_message
    assert all(r["status"] == "done" for r in ex.history) and ex.run_button.disabled is False


def test_status_line_names_the_device_used_not_auto(tmp_path):
    ex = explore.Explorer(size=32, iterations=2, every=1, device="auto", output_dir=str(tmp_path))
    _gray_content_and_style(ex, tmp_path)
    lines = []
    ex.message.observe(lambda change: lines.append(change["new"]), "value")
    ex.run_button.click()
    assert ex.wait(timeout=300)
    used = ex.results[-1].run["device"]
    assert ex.history[-1]["device"] == used and used != "auto"
    assert lines[0].startswith("running 2 iterations at 32 px on ") and lines[0].endswith(f"on {used}…")
    assert ex.last_message == lines[-1] and ex.last_message.endswith(f"on {used}")
    assert not any("auto" in line for line in lines)


def test_history_shows_the_main_columns_and_all_on_demand():
    row = dict(run=1, content="/x/hiroshige_tokaido_18_ejiri.jpg", style="style.png", preset="paper",
               **{"beta/alpha": 1e3}, decay=0.0025, optimizer="lbfgs", lr=None, init="noise", size=48,
               iterations=10, iterations_run=7, content_layers="relu4_2", style_layers="relu1_1",
               keep_luminance=False, seed=0, device="cpu", content_loss=1.0, style_loss=2.0, total_loss=3.0,
               delta_e2000=4.567, colourfulness=12.3, colourfulness_truth=20.0, seconds=1.25, status="stopped",
               saved="a.png")
    main = explore_runs.history_html([row])
    headers = [h.split("</th>")[0] for h in main.split("<th>")[1:]]
    assert headers == ["#", "content", "style", "preset", "β/α", "decay", "iterations", "ΔE2000", "colourful",
                       "s", "status"]
    assert ">18_ejiri<" in main and ">7<" in main and ">4.57<" in main and "relu4_2" not in main
    everything = explore_runs.history_html([row], all_columns=True)
    assert all(f">{v}<" in everything for v in ("relu4_2", "relu1_1", "cpu", "a.png", "lbfgs", "10"))


def test_default_output_folder_is_under_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ex = explore.Explorer(size=32, iterations=1)
    assert ex.output_dir == str(tmp_path / "results" / "explore")
    assert explore.Explorer(size=32, output_dir="elsewhere").output_dir == str(tmp_path / "elsewhere")


def test_exemplar_start_is_the_exemplar_result(tmp_path, motorcycle):
    cfg = explore_runs.build_config("paper", ratio=1e3, decay=0.0, iterations=0, size=48, optimizer="lbfgs", lr=1.0,
                                    momentum=0.0, init="exemplar", content_layers=("relu4_2",),
                                    style_layers=("relu1_1",), keep_luminance=False, seed=0, device="cpu")
    assert (cfg.init, cfg.init_image) == ("image", "(exemplar result)")
    ex = explore.Explorer(size=48, iterations=0, device="cpu", output_dir=str(tmp_path))
    assert "exemplar" in ex.init.options and "prior" not in ex.init.options
    for picker, key in ((ex.content, "truth"), (ex.style, "style")):
        upload(picker, f"{key}.png", png(motorcycle[key]))
    ex.init.value = "exemplar"
    ex.run_button.click()
    assert ex.wait(timeout=300)
    row, result = ex.history[-1], ex.results[-1]
    assert row["status"] == "done" and row["init"] == "exemplar", ex.last_message
    assert (ex.config().init, ex.config().init_image) == ("image", "(exemplar result)")
    assert result.params["init"] == "image"
    direct = colorize_exemplar(images.decode(png(motorcycle["truth"]), "t.png"),
                               images.decode(png(motorcycle["style"]), "s.png"), 48)
    assert metrics.delta_e2000(result.image, direct) < 0.5  # 0 iterations: the start image, via the network's input
    assert row["delta_e2000"] is not None  # a colour content: scored against its own colours
