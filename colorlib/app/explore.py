"""The widget explorer: every knob of colorize() on screen, a live preview, Stop, a history of runs, Save.

Explorer builds the ipywidgets UI; what it computes lives in colorlib.app.explore_runs. All of it runs without a
browser, so the tests drive it by setting widget values and clicking the same buttons a user clicks. A run goes
to a background thread, so the kernel stays free to handle the Stop button; on_step() returns False once Stop is
pressed, and updates the widgets (which ipywidgets allows from a thread) only every `every` iterations. The Run
button is enabled again only once the run is recorded, and a click at that instant starts the next run.
"""
from __future__ import annotations

import datetime
import html
import os
import threading

import ipywidgets as W

from colorlib import data, record
from colorlib.app import explore_runs as runs
from colorlib.app.explore_picker import ImagePicker, error_html, set_image
from colorlib.app.runners import run_preset
from colorlib.errors import ColorkitError, DivergenceError, first_line
from colorlib.hardware import resolve_device
from colorlib.paper import config as config_mod
from colorlib.paper.colorize import colorize, prepare
from colorlib.paper.config import Config


class Explorer:
    """The explorer UI. Show it with display(explorer) (or as a cell's last expression).

    size, iterations, seed, device, preset: the starting values of those controls. output_dir: where Save
    writes (default: results/explore under the current working directory). every: preview and plot refresh
    interval in iterations.
    """

    def __init__(self, size: int = 192, iterations: int = 200, seed: int = 0, device: str = "auto",
                 output_dir: str | None = None, every: int = 5, preset: str = "paper"):
        self.output_dir = os.path.abspath(output_dir) if output_dir else runs.default_output_dir()
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
        self.table = W.HTML(runs.history_html([]))
        self.all_columns = W.Checkbox(value=False, description="all columns", indent=False)
        self.all_columns.observe(lambda _: self._show_history(), "value")
        self.run_button.on_click(self._on_run)
        self.stop_button.on_click(self._on_stop)
        self.save_button.on_click(self._on_save)
        self.history: list[dict] = []  # one row per finished run (what the table shows)
        self.results: list = []  # the Result of each row
        self._live: list[dict] = []  # loss rows of the run in progress
        self.last_message = ""  # the message line as plain text
        self._stop = threading.Event()
        self._busy = threading.Lock()  # held from Run until the run is recorded
        self._thread: threading.Thread | None = None
        self.preset.value = preset if preset in self.preset.options else "paper"
        self._apply_preset(self.preset.value)
        self.widget = self._layout()

    # --- building --------------------------------------------------------------------------------
    def _build_controls(self, size, iterations, seed, device, every) -> None:
        wide = {"description_width": "110px"}
        self.preset = W.Dropdown(options=list(config_mod.PRESETS), description="preset", style=wide)
        self.preset_note = W.HTML()  # the chosen preset's one-line description
        self.preset.observe(lambda change: self._apply_preset(change["new"]), "value")
        self.ratio = W.FloatLogSlider(value=1e3, base=10, min=-1, max=8, step=0.1, description="β/α",
                                      readout_format=".3g", style=wide)
        self.decay = W.FloatSlider(value=0.0025, min=0.0, max=0.02, step=0.0005, readout_format=".4f",
                                   description="decay / iteration", style=wide)
        self.iterations = W.BoundedIntText(value=iterations, min=0, max=10000, description="iterations", style=wide)
        self.size = W.IntSlider(value=size, min=16, max=1024, step=16, description="size (px)", style=wide)
        self.optimizer = W.Dropdown(options=runs.OPTIMIZER_LABELS, value="lbfgs", description="optimizer",
                                    style=wide)
        self.lr = W.FloatLogSlider(value=10.0, base=10, min=-3, max=3, step=0.1, description="learning rate",
                                   readout_format=".3g", style=wide)
        self.momentum = W.FloatSlider(value=0.0, min=0.0, max=0.99, step=0.01, description="momentum", style=wide)
        self.optimizer.observe(lambda change: self._optimizer_changed(change["new"]), "value")
        self.init = W.Dropdown(options=runs.INITS, description="init", style=wide,
                               tooltip="exemplar: start from colorlib.exemplar's result for this pair")
        layer_box = W.Layout(width="200px", height="150px")
        self.content_layers = W.SelectMultiple(options=runs.SELECTABLE_LAYERS, value=("relu4_2",),
                                               description="content layers", layout=layer_box, style=wide)
        self.style_layers = W.SelectMultiple(options=runs.SELECTABLE_LAYERS, description="style layers",
                                             layout=layer_box, style=wide)
        self.keep_luminance = W.Checkbox(value=False, description="keep luminance (output L* = input L*)",
                                         indent=False)
        self.seed = W.IntText(value=seed, description="seed", style=wide)
        devices = runs.devices()
        self.device = W.Dropdown(options=devices if device in devices else devices + [device], value=device,
                                 description="device", style=wide)
        self.every = W.BoundedIntText(value=every, min=1, max=1000, description="preview every", style=wide)

    def _layout(self) -> W.Widget:
        knobs = W.VBox([self.preset, self.preset_note, self.ratio, self.decay, self.iterations, self.size,
                        self.optimizer, self.lr, self.momentum, self.init, self.keep_luminance, self.seed,
                        self.device, self.every])
        layers = W.VBox([self.content_layers, self.style_layers,
                         W.HTML("<small>ctrl/shift-click to select several</small>")])
        buttons = W.HBox([self.run_button, self.stop_button, self.progress, self.save_button, self.save_choice])
        return W.VBox([W.HBox([self.content.widget, self.style.widget]), W.HBox([knobs, layers]), buttons,
                       self.message, W.HBox([self.preview, self.plot]),
                       W.HBox([W.HTML("<b>Finished runs</b>"), self.all_columns]), self.table])

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # --- controls <-> Config ---------------------------------------------------------------------
    def _apply_preset(self, name: str) -> None:
        """Fill the controls from a preset (colorlib.paper.config.PRESETS, read at the time of the choice)."""
        try:
            values = runs.preset_controls(name)
        except ColorkitError as exc:
            self._error(str(exc))
            return
        self.preset_note.value = f"<small>{html.escape(config_mod.PRESETS[name].description)}</small>"
        for control, value in values.items():
            widget = getattr(self, control)
            if control == "device" and value not in widget.options:
                widget.options = tuple(widget.options) + (value,)
            widget.value = value
        self._optimizer_changed(self.optimizer.value, keep_lr=True)

    def _optimizer_changed(self, optimizer: str, keep_lr: bool = False) -> None:
        # neural-style exposes the learning rate for Adam only; our L-BFGS takes fixed unit steps like optim.lbfgs
        self.lr.layout.display = "none" if optimizer == "lbfgs" else None
        self.momentum.layout.display = None if optimizer == "sgd" else "none"
        if not keep_lr and optimizer != "lbfgs":
            self.lr.value = Config.from_preset(self.preset.value, optimizer=optimizer).learning_rate

    def config(self) -> Config:
        """The Config the controls describe (preset defaults for everything not on screen)."""
        names = ("ratio", "decay", "iterations", "size", "optimizer", "lr", "momentum", "init", "content_layers",
                 "style_layers", "keep_luminance", "seed", "device")
        return runs.build_config(self.preset.value, **{n: getattr(self, n).value for n in names})

    # --- running ---------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True from a Run click until that run is recorded and the Run button enabled again."""
        return self._busy.locked()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no run is going (papermill, tests), also one started by a click as the last ended; True
        if none is running afterwards."""
        thread = None
        while self._thread is not None and self._thread is not thread:
            thread = self._thread
            thread.join(timeout)
            if thread.is_alive():
                break
        return not self.running

    def _on_run(self, _button=None) -> None:
        if not self._busy.acquire(blocking=False):
            self._error("a run is already going: press Stop first")
            return
        try:
            cfg = self.config()
            content, content_name = self.content.image()
            style, style_name = self.style.image()
            _gray, truth, _style = prepare(content, style, cfg)  # checks sizes now, as colorize() would
            device = resolve_device(cfg.device)
        except ColorkitError as exc:
            self._busy.release()
            self._error(str(exc))
            return
        except BaseException:
            self._busy.release()
            raise
        meta = {"content": content_name, "style": style_name}
        shown_truth = truth if runs.is_colour(content) else None
        self._stop.clear()
        self._live = []
        self.progress.max, self.progress.value = max(1, cfg.iterations), 0
        self.progress.bar_style = ""
        self.run_button.disabled, self.stop_button.disabled = True, False
        self._info(f"running {cfg.iterations} iterations at {cfg.size} px on {device}…")
        self._thread = threading.Thread(target=self._work, args=(cfg, content, style, shown_truth, meta),
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
            set_image(self.preview, runs.png_bytes(state.image()))
            set_image(self.plot, runs.loss_plot_png(self._live))
        return not stop

    def _work(self, cfg: Config, content, style, truth, meta: dict) -> None:
        try:
            result, status = self._colorize(cfg, content, style)
            if result is None:
                self.progress.bar_style = "danger"
            else:
                self._record(result, cfg, truth, meta, status)
        finally:  # only now can the next Run start: a click at this instant is not lost
            self.stop_button.disabled = True
            self._busy.release()
            self.run_button.disabled = False

    def _colorize(self, cfg: Config, content, style) -> tuple:
        """(Result or None, status 'done'|'stopped'|'diverged'); errors become the message line."""
        try:
            if config_mod.PRESETS[cfg.preset].runner == "colorize":
                start = runs.start_image(cfg, content, style)
                result = colorize(content, style, cfg, on_step=self._on_step, init_image=start)
            else:  # 'fast', 'best': run as the CLI runs them
                result = run_preset(cfg.preset, content, style, cfg, on_step=self._on_step)
            return result, "stopped" if result.run.get("stopped_early") else "done"
        except DivergenceError as exc:
            self._error(str(exc))
            return exc.result, "diverged"
        except ColorkitError as exc:
            self._error(str(exc))
        except Exception as exc:  # a bug, not bad input: still a line in the UI, not a dead thread
            self._error(f"unexpected {type(exc).__name__}: {first_line(exc)}")
        return None, "failed"

    def _record(self, result, cfg: Config, truth, meta: dict, status: str) -> None:
        row = runs.history_row(len(self.history) + 1, result, cfg, meta, status, truth)
        self.results.append(result)
        self.history.append(row)
        self.progress.value = row["iterations_run"]
        self.progress.bar_style = {"done": "success", "stopped": "warning"}.get(status, "danger")
        set_image(self.preview, runs.png_bytes(result.image))
        if result.history:
            set_image(self.plot, runs.loss_plot_png(result.history))
        self._show_history()
        self.save_choice.options = [r["run"] for r in self.history]
        self.save_choice.value = row["run"]
        self.save_button.disabled = False
        if status != "diverged":
            self._info(runs.finished_line(row))

    def _show_history(self) -> None:
        self.table.value = runs.history_html(self.history, all_columns=self.all_columns.value)

    # --- saving ----------------------------------------------------------------------------------
    def _on_save(self, _button=None) -> tuple[str, str] | None:
        if not self.history:
            self._error("nothing to save yet: run first")
            return None
        index = (self.save_choice.value or len(self.history)) - 1
        row, result = self.history[index], self.results[index]
        stem = runs.save_stem(row, datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
        extra = {k: row[k] for k in ("content", "style", "init", "status", "delta_e2000", "colourfulness",
                                     "colourfulness_truth")}
        try:
            paths = record.save(result, os.path.join(self.output_dir, stem + ".png"), explorer=extra)
        except (ColorkitError, OSError) as exc:
            self._error(f"save failed: {first_line(exc)}")
            return None
        row["saved"] = os.path.basename(paths[0])
        self._show_history()
        self._info(f"saved {paths[0]} and {os.path.basename(paths[1])}")
        return paths

    # --- messages --------------------------------------------------------------------------------
    def _error(self, text: str) -> None:
        self.last_message = "error: " + text
        self.message.value = error_html(text)

    def _info(self, text: str) -> None:
        self.last_message = text
        self.message.value = html.escape(text)
