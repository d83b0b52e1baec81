"""The widget explorer: every knob of colorize() on screen, a live preview, Stop, a history of runs, Save.

Explorer builds the ipywidgets UI; all of its logic runs without a browser, so the tests drive it by setting
widget values and clicking the same buttons a user clicks. A run goes to a background thread, so the kernel
stays free to handle the Stop button; on_step() returns False once Stop is pressed, and updates the widgets
(which ipywidgets allows from a thread) only every `every` iterations.
"""
from __future__ import annotations

import datetime
import functools
import html
import io
import os
import threading

import ipywidgets as W
import numpy as np
from PIL import Image

from . import color, config as config_mod, data, images, metrics, results
from .colorize import colorize, prepare
from .config import Config
from .errors import ColorkitError, DivergenceError
from .vgg import LAYER_NAMES

OUTPUT_DIR = os.path.join(data.PROJECT_ROOT, "results", "explore")
SELECTABLE_LAYERS = tuple(n for n in LAYER_NAMES if n.startswith(("conv", "relu")))
OPTIMIZER_LABELS = (("L-BFGS", "lbfgs"), ("SGD", "sgd"), ("Adam", "adam"))
GRAY_CHROMA = 2.0  # mean CIELAB chroma below which an image counts as gray (JPEG noise stays under ~1)
# Fields a preset always sets on screen; size, iterations, seed and device only when the preset names them.
_OBJECTIVE_FIELDS = ("style_weight", "decay", "optimizer", "lr", "momentum", "init", "content_layers",
                     "style_layers", "keep_luminance")


def png_bytes(image: np.ndarray, max_side: int | None = None) -> bytes:
    """A float RGB image in [0, 1] as PNG bytes, optionally shrunk so its longer side is at most max_side."""
    pil = Image.fromarray(images.to_uint8(image))
    if max_side:
        pil.thumbnail((max_side, max_side))
    buf = io.BytesIO()
    pil.save(buf, format="PNG")
    return buf.getvalue()


def loss_plot_png(rows: list, width: float = 4.2, height: float = 3.0) -> bytes:
    """Content, style and total loss against the iteration, log scale, as PNG bytes (no pyplot: thread-safe)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=80)
    ax = fig.add_subplot()
    its = [r["iteration"] for r in rows]
    for key, label in (("total_loss", "total"), ("content_loss", "content Lc"), ("style_loss", "style Ls")):
        values = [r[key] for r in rows]
        if any(v > 0 for v in values):
            ax.plot(its, values, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    if ax.lines:
        ax.legend(fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buf)
    return buf.getvalue()


def is_gray(image: np.ndarray) -> bool:
    """True when an image carries no colour to speak of (so it cannot serve as ground truth for ΔE)."""
    return float(color.chroma(images.resize(image, 128)).mean()) < GRAY_CHROMA


@functools.lru_cache(maxsize=64)
def _print(name: str) -> np.ndarray:
    return images.load(data.find(name))


def _print_label(row: dict) -> str:
    return f"{row['station_no']} {row['station']}"


class ImagePicker:
    """One image from a bundled print, an upload or a path. .image() returns (array, name) or raises."""

    def __init__(self, label: str, title: str, default: str | None = None):
        self.label = label  # short name for messages: "content", "style"
        prints = [(_print_label(row), name) for name, row in sorted(data.manifest().items())]
        self.source = W.ToggleButtons(options=[("print", "bundled"), ("upload", "upload"), ("path", "path")],
                                      tooltips=["a bundled Hiroshige print", "an image from your computer",
                                                "an image file on the kernel's machine"],
                                      style={"button_width": "80px"})
        self.print = W.Dropdown(options=prints, value=default or prints[0][1], description="print",
                                layout=W.Layout(width="260px"))
        self.upload = W.FileUpload(accept="image/*", multiple=False, description="upload image")
        self.path = W.Text(placeholder="/path/to/image.png (Enter)", continuous_update=False, description="path",
                           layout=W.Layout(width="260px"))
        self.thumb = W.Image(format="png", layout=W.Layout(max_width="220px", max_height="160px", display="none"))
        self.message = W.HTML()
        self._loaded: dict = {}  # source -> (array, name), or an error message
        self.source.observe(lambda _: self._show(), "value")
        self.print.observe(lambda _: self._load("bundled"), "value")
        self.upload.observe(lambda _: self._load("upload"), "value")
        self.path.observe(lambda _: self._load("path"), "value")
        self.widget = W.VBox([W.HTML(f"<b>{html.escape(title)}</b>"), self.source, self.print, self.upload,
                              self.path, self.thumb, self.message], layout=W.Layout(width="440px"))
        self._load("bundled")

    def _read(self, source: str) -> tuple[np.ndarray, str] | None:
        if source == "bundled":
            return _print(self.print.value), self.print.value
        if source == "upload":
            if not self.upload.value:
                return None
            item = self.upload.value[0]
            return images.decode(bytes(item["content"]), item["name"]), item["name"]
        if not self.path.value.strip():
            return None
        path = os.path.expanduser(self.path.value.strip())
        return images.load(path), os.path.basename(path)

    def _load(self, source: str) -> None:
        try:
            self._loaded[source] = self._read(source)
        except ColorkitError as exc:
            self._loaded[source] = str(exc)
        if source == self.source.value:
            self._show()

    def _show(self) -> None:
        source = self.source.value
        for name, box in (("bundled", self.print), ("upload", self.upload), ("path", self.path)):
            box.layout.display = None if name == source else "none"
        loaded = self._loaded.get(source)
        if isinstance(loaded, tuple):
            image, name = loaded
            _set_image(self.thumb, png_bytes(image, 220))
            kind = "gray" if is_gray(image) else "colour"
            self.message.value = f"{html.escape(name)}: {image.shape[1]}×{image.shape[0]} px, {kind}"
        else:
            self.thumb.value, self.thumb.layout.display = b"", "none"
            self.message.value = _error_html(loaded) if loaded else "<i>nothing chosen yet</i>"

    def image(self) -> tuple[np.ndarray, str]:
        """The chosen image and a short name; ColorkitError when nothing usable is chosen."""
        loaded = self._loaded.get(self.source.value)
        if isinstance(loaded, tuple):
            return loaded
        raise ColorkitError(f"{self.label}: {loaded or 'choose an image first'}")


class Explorer:
    """The explorer UI. Show it with display(explorer) (or as a cell's last expression).

    size, iterations, seed, device, preset: the starting values of those controls. output_dir: where Save
    writes (default results/explore/ in the project). every: preview and plot refresh interval in iterations.
    """

    def __init__(self, size: int = 192, iterations: int = 200, seed: int = 0, device: str = "auto",
                 output_dir: str = OUTPUT_DIR, every: int = 5, preset: str = "paper"):
        self.output_dir = os.path.abspath(output_dir)
        pair = data.pairs()[0]
        self.content = ImagePicker("content", "Content (colour is grayscaled; its colours become the ground truth)",
                                   pair["content"])
        self.style = ImagePicker("style", "Style (colour reference)", pair["style"])
        self._build_controls(size, iterations, seed, device, every)
        self.run_button = W.Button(description="Run", button_style="success", icon="play")
        self.stop_button = W.Button(description="Stop", button_style="danger", icon="stop", disabled=True)
        self.save_button = W.Button(description="Save", icon="save", disabled=True,
                                    tooltip=f"image + JSON into {self.output_dir}")
        self.save_choice = W.Dropdown(options=[], description="run #", layout=W.Layout(width="140px"))
        self.progress = W.IntProgress(value=0, min=0, max=1, description="progress")
        self.message = W.HTML()
        # hidden until the first run shows something (an empty Image renders as a broken-image icon)
        self.preview = W.Image(format="png", layout=W.Layout(width="320px", display="none"))
        self.plot = W.Image(format="png", layout=W.Layout(width="340px", display="none"))
        self.table = W.HTML(history_html([]))
        self.run_button.on_click(self._on_run)
        self.stop_button.on_click(self._on_stop)
        self.save_button.on_click(self._on_save)
        self.history: list[dict] = []  # one row per finished run (what the table shows)
        self.results: list = []  # the Result of each row
        self._live: list[dict] = []  # loss rows of the run in progress
        self.last_message = ""  # the message line as plain text
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.preset.value = preset if preset in self.preset.options else "paper"
        self._apply_preset(self.preset.value)
        self.widget = self._layout()

    # --- building --------------------------------------------------------------------------------
    def _build_controls(self, size, iterations, seed, device, every) -> None:
        wide = {"description_width": "110px"}
        self.preset = W.Dropdown(options=list(config_mod.PRESETS), description="preset", style=wide)
        self.preset.observe(lambda change: self._apply_preset(change["new"]), "value")
        self.ratio = W.FloatLogSlider(value=1e4, base=10, min=-1, max=8, step=0.1, description="β/α",
                                      readout_format=".3g", style=wide)
        self.decay = W.FloatSlider(value=0.0025, min=0.0, max=0.02, step=0.0005, readout_format=".4f",
                                   description="decay / iteration", style=wide)
        self.iterations = W.BoundedIntText(value=iterations, min=0, max=10000, description="iterations", style=wide)
        self.size = W.IntSlider(value=size, min=16, max=1024, step=16, description="size (px)", style=wide)
        self.optimizer = W.Dropdown(options=OPTIMIZER_LABELS, value="lbfgs", description="optimizer", style=wide)
        self.lr = W.FloatLogSlider(value=10.0, base=10, min=-3, max=3, step=0.1, description="learning rate",
                                   readout_format=".3g", style=wide)
        self.momentum = W.FloatSlider(value=0.0, min=0.0, max=0.99, step=0.01, description="momentum", style=wide)
        self.optimizer.observe(lambda change: self._optimizer_changed(change["new"]), "value")
        self.init = W.Dropdown(options=["noise", "content", "prior"], description="init", style=wide)
        layer_box = W.Layout(width="200px", height="150px")
        self.content_layers = W.SelectMultiple(options=SELECTABLE_LAYERS, value=("conv4_2",),
                                               description="content layers", layout=layer_box, style=wide)
        self.style_layers = W.SelectMultiple(options=SELECTABLE_LAYERS, description="style layers",
                                             layout=layer_box, style=wide)
        self.keep_luminance = W.Checkbox(value=False, description="keep luminance (output L* = input L*)",
                                         indent=False)
        self.seed = W.IntText(value=seed, description="seed", style=wide)
        devices = ["auto", "cpu"] + [d for d in ("cuda", "mps") if _available(d)]
        self.device = W.Dropdown(options=devices if device in devices else devices + [device], value=device,
                                 description="device", style=wide)
        self.every = W.BoundedIntText(value=every, min=1, max=1000, description="preview every", style=wide)

    def _layout(self) -> W.Widget:
        knobs = W.VBox([self.preset, self.ratio, self.decay, self.iterations, self.size, self.optimizer, self.lr,
                        self.momentum, self.init, self.keep_luminance, self.seed, self.device, self.every])
        layers = W.VBox([self.content_layers, self.style_layers,
                         W.HTML("<small>ctrl/shift-click to select several</small>")])
        buttons = W.HBox([self.run_button, self.stop_button, self.progress, self.save_button, self.save_choice])
        return W.VBox([W.HBox([self.content.widget, self.style.widget]), W.HBox([knobs, layers]), buttons,
                       self.message, W.HBox([self.preview, self.plot]), W.HTML("<b>Finished runs</b>"), self.table])

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # --- controls <-> Config ---------------------------------------------------------------------
    def _apply_preset(self, name: str) -> None:
        """Fill the controls from a preset (colorlib.config.PRESETS, read at the time of the choice)."""
        try:
            cfg = Config.from_preset(name)
        except ColorkitError as exc:
            self._error(str(exc))
            return
        named = config_mod.PRESETS.get(name, {})
        for field in _OBJECTIVE_FIELDS + tuple(f for f in ("size", "iterations", "seed", "device") if f in named):
            value = getattr(cfg, field)
            if field == "style_weight":
                self.ratio.value = cfg.style_weight / cfg.content_weight if cfg.content_weight else cfg.style_weight
            elif field == "lr":
                self.lr.value = cfg.learning_rate
            elif field == "device" and value not in self.device.options:
                self.device.options = tuple(self.device.options) + (value,)
                self.device.value = value
            elif field == "init" and value not in self.init.options:
                continue  # 'image' needs a file; the explorer offers noise and content
            else:
                getattr(self, field).value = tuple(value) if isinstance(value, (list, tuple)) else value
        self._optimizer_changed(self.optimizer.value, keep_lr=True)

    def _optimizer_changed(self, optimizer: str, keep_lr: bool = False) -> None:
        # neural-style exposes the learning rate for Adam only; our L-BFGS takes fixed unit steps like optim.lbfgs
        self.lr.layout.display = "none" if optimizer == "lbfgs" else None
        self.momentum.layout.display = None if optimizer == "sgd" else "none"
        if not keep_lr and optimizer != "lbfgs":
            self.lr.value = Config.from_preset(self.preset.value, optimizer=optimizer).learning_rate

    def config(self) -> Config:
        """The Config the controls describe (preset defaults for everything not on screen)."""
        base = Config.from_preset(self.preset.value)
        style_layers = tuple(self.style_layers.value)
        weights = base.style_layer_weights
        if weights is not None and style_layers != base.style_layers:
            weights = (float(np.mean(weights)),) * len(style_layers)  # the preset's per-layer weight, kept
        alpha = base.content_weight if base.content_weight > 0 else 1.0
        return base.replace(
            style_weight=self.ratio.value * alpha, content_weight=alpha, decay=self.decay.value,
            iterations=self.iterations.value, size=self.size.value, optimizer=self.optimizer.value,
            lr=base.lr if self.optimizer.value == "lbfgs" else self.lr.value,
            momentum=self.momentum.value if self.optimizer.value == "sgd" else base.momentum,
            init=self.init.value, content_layers=tuple(self.content_layers.value), style_layers=style_layers,
            style_layer_weights=weights if style_layers else None, keep_luminance=self.keep_luminance.value,
            seed=self.seed.value, device=self.device.value)

    # --- running ---------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the current run ends (papermill, tests); True if none is running afterwards."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def _on_run(self, _button=None) -> None:
        if self.running:
            self._error("a run is already going: press Stop first")
            return
        try:
            cfg = self.config()
            content, content_name = self.content.image()
            style, style_name = self.style.image()
            _gray, truth, _style = prepare(content, style, cfg)  # checks sizes now, as colorize() would
        except ColorkitError as exc:
            self._error(str(exc))
            return
        meta = {"content": content_name, "style": style_name, "content_is_colour": not is_gray(content)}
        self._stop.clear()
        self._live = []
        self.progress.max, self.progress.value = max(1, cfg.iterations), 0
        self.progress.bar_style = ""
        self.run_button.disabled, self.stop_button.disabled = True, False
        self._info(f"running {cfg.iterations} iterations at {cfg.size} px on {cfg.device}…")
        self._thread = threading.Thread(target=self._work, args=(cfg, content, style, truth, meta),
                                        name="colorkit-explorer", daemon=True)
        self._thread.start()

    def _on_stop(self, _button=None) -> None:
        self._stop.set()
        self._info("stopping after this iteration…")

    def _on_step(self, state) -> bool:
        self._live.append(dict(iteration=state.iteration, content_loss=state.content_loss,
                               style_loss=state.style_loss, total_loss=state.total_loss))
        stop = self._stop.is_set()
        if state.iteration % self.every.value == 0 or state.iteration == state.iterations or stop:
            self.progress.value = state.iteration
            _set_image(self.preview, png_bytes(state.image()))
            _set_image(self.plot, loss_plot_png(self._live))
        return not stop

    def _work(self, cfg: Config, content, style, truth, meta: dict) -> None:
        status = "done"
        try:
            result = colorize(content, style, cfg, on_step=self._on_step)
            if result.run.get("stopped_early"):
                status = "stopped"
        except DivergenceError as exc:
            result, status = exc.result, "diverged"
            self._error(str(exc))
        except ColorkitError as exc:
            result = None
            self._error(str(exc))
        except Exception as exc:  # a bug, not bad input: still a line in the UI, not a dead thread
            result = None
            self._error(f"unexpected {type(exc).__name__}: {exc}")
        finally:
            self.run_button.disabled, self.stop_button.disabled = False, True
        if result is None:
            self.progress.bar_style = "danger"
            return
        self._record(result, cfg, truth, meta, status)

    def _record(self, result, cfg: Config, truth, meta: dict, status: str) -> None:
        final = result.final
        row = {"run": len(self.history) + 1, "content": meta["content"], "style": meta["style"],
               "preset": cfg.preset, "beta/alpha": cfg.style_weight / cfg.content_weight if cfg.content_weight
               else cfg.style_weight, "decay": cfg.decay, "optimizer": cfg.optimizer,
               "lr": cfg.learning_rate if cfg.optimizer != "lbfgs" else None, "init": cfg.init, "size": cfg.size,
               "iterations": cfg.iterations, "iterations_run": result.run.get("iterations_run", len(result.history)),
               "content_layers": ",".join(cfg.content_layers), "style_layers": ",".join(cfg.style_layers),
               "keep_luminance": cfg.keep_luminance, "seed": cfg.seed, "device": result.run.get("device"),
               "content_loss": final.get("content_loss"), "style_loss": final.get("style_loss"),
               "total_loss": final.get("total_loss"), "delta_e2000": None, "colourfulness": None,
               "colourfulness_truth": None, "seconds": result.run.get("seconds"), "status": status, "saved": ""}
        row["colourfulness"] = metrics.colourfulness(result.image)
        if meta["content_is_colour"] and truth.shape == result.image.shape:
            row["delta_e2000"] = metrics.delta_e2000(result.image, truth)
            row["colourfulness_truth"] = metrics.colourfulness(truth)
        self.results.append(result)
        self.history.append(row)
        self.progress.value = row["iterations_run"]
        self.progress.bar_style = {"done": "success", "stopped": "warning"}.get(status, "danger")
        _set_image(self.preview, png_bytes(result.image))
        if result.history:
            _set_image(self.plot, loss_plot_png(result.history))
        self.table.value = history_html(self.history)
        self.save_choice.options = [r["run"] for r in self.history]
        self.save_choice.value = row["run"]
        self.save_button.disabled = False
        if status != "diverged":
            de = f", ΔE2000 {row['delta_e2000']:.2f}" if row["delta_e2000"] is not None else ""
            self._info(f"run {row['run']} {status} after {row['iterations_run']} iterations in "
                       f"{row['seconds']:.1f} s{de}")

    # --- saving ----------------------------------------------------------------------------------
    def _on_save(self, _button=None) -> tuple[str, str] | None:
        if not self.history:
            self._error("nothing to save yet: run first")
            return None
        index = (self.save_choice.value or len(self.history)) - 1
        row, result = self.history[index], self.results[index]
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        stem = f"{stamp}-run{row['run']}-{_stem(row['content'])}-{_stem(row['style'])}"
        extra = {k: row[k] for k in ("content", "style", "status", "delta_e2000", "colourfulness",
                                     "colourfulness_truth")}
        try:
            paths = results.save(result, os.path.join(self.output_dir, stem + ".png"), explorer=extra)
        except (ColorkitError, OSError) as exc:
            self._error(f"save failed: {exc}")
            return None
        row["saved"] = os.path.basename(paths[0])
        self.table.value = history_html(self.history)
        self._info(f"saved {paths[0]} and {os.path.basename(paths[1])}")
        return paths

    # --- messages --------------------------------------------------------------------------------
    def _error(self, text: str) -> None:
        self.last_message = "error: " + text
        self.message.value = _error_html(text)

    def _info(self, text: str) -> None:
        self.last_message = text
        self.message.value = html.escape(text)


_TABLE_COLUMNS = (("run", "#", "d"), ("content", "content", "s"), ("style", "style", "s"), ("preset", "preset", "s"),
                  ("beta/alpha", "β/α", ".3g"), ("decay", "decay", ".4g"), ("optimizer", "opt", "s"),
                  ("lr", "lr", ".3g"), ("init", "init", "s"), ("size", "px", "d"), ("iterations_run", "its", "d"),
                  ("content_layers", "content layers", "s"), ("style_layers", "style layers", "s"),
                  ("keep_luminance", "keep L*", "s"), ("seed", "seed", "d"), ("device", "device", "s"),
                  ("content_loss", "content loss", ".3g"), ("style_loss", "style loss", ".3g"),
                  ("total_loss", "total loss", ".3g"), ("delta_e2000", "ΔE2000", ".2f"),
                  ("colourfulness", "colourful", ".1f"), ("colourfulness_truth", "(truth)", ".1f"),
                  ("seconds", "s", ".1f"), ("status", "status", "s"), ("saved", "saved", "s"))


def history_html(rows: list[dict]) -> str:
    """The finished runs as an HTML table (ΔE2000 only where the content had true colours)."""
    if not rows:
        return "<i>no runs yet</i>"
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label, _ in _TABLE_COLUMNS)
    body = []
    for row in rows:
        cells = []
        for key, _, fmt in _TABLE_COLUMNS:
            value = row.get(key)
            text = "–" if value is None or value == "" else format(value, fmt) if fmt != "s" else str(value)
            if key in ("content", "style"):
                text = _stem(text)
            cells.append(f"<td>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<div style='overflow-x:auto'><table style='font-size:11px;border-collapse:collapse' border='1' "
            f"cellpadding='2'><tr>{head}</tr>" + "".join(body) + "</table></div>")


def _set_image(image_widget: W.Image, png: bytes) -> None:
    image_widget.value = png
    image_widget.layout.display = None


def _error_html(text: str) -> str:
    return f"<span style='color:#b00020'><b>error:</b> {html.escape(text)}</span>"


def _stem(name: str) -> str:
    base = os.path.splitext(os.path.basename(name))[0].replace("hiroshige_tokaido_", "")
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in base)[:40] or "image"


def _available(device: str) -> bool:
    import torch

    if device == "cuda":
        return torch.cuda.is_available()
    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
