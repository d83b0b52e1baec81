"""What the explorer (colorlib.app.explore) does with a run, without any widget: the Config its controls describe,
the start image, the score of a finished run against the truth, its row in the history and the history as HTML.
Controls are passed as plain values (the widgets' .value), so all of this is tested without a browser."""
from __future__ import annotations

import html
import io
import os
from typing import Any

import numpy as np
from PIL import Image

from colorlib import color, data, images
from colorlib.errors import ColorkitError
from colorlib.evaluation import metrics
from colorlib.evaluation.runner import slug
from colorlib.exemplar.method import colorize_exemplar
from colorlib.hardware import resolve_device
from colorlib.paper import config as config_mod
from colorlib.paper.config import EXEMPLAR_START, Config
from colorlib.paper.vgg import LAYER_NAMES
from colorlib.plots import figures

OUTPUT_FOLDER = os.path.join("results", "explore")  # Save's default, under the current working directory
SELECTABLE_LAYERS = tuple(n for n in LAYER_NAMES if n.startswith(("conv", "relu")))
OPTIMIZER_LABELS = (("L-BFGS", "lbfgs"), ("SGD", "sgd"), ("Adam", "adam"))
INITS = ("noise", "content", "exemplar")  # "exemplar": colorlib.exemplar's result as the start image
# Controls a preset always sets; size, iterations, seed and device only when the preset names them.
_OBJECTIVE_FIELDS = ("style_weight", "decay", "optimizer", "lr", "momentum", "init", "content_layers",
                     "style_layers", "keep_luminance")


def default_output_dir() -> str:
    """results/explore under the current working directory (not the source tree, which may be read-only)."""
    return os.path.abspath(OUTPUT_FOLDER)


def devices() -> list[str]:
    """The device choices: auto, cpu and whichever accelerators this machine has."""
    out = ["auto", "cpu"]
    for name in ("cuda", "mps"):
        try:
            resolve_device(name)
        except ColorkitError:
            continue
        out.append(name)
    return out


def beta_over_alpha(cfg: Config) -> float:
    return cfg.style_weight / cfg.content_weight if cfg.content_weight else cfg.style_weight


def preset_controls(name: str) -> dict:
    """Control name -> value for the controls preset `name` sets (PRESETS is read at the time of the call)."""
    cfg = Config.from_preset(name)
    named = config_mod.PRESETS[name].fields if name in config_mod.PRESETS else {}
    out: dict[str, Any] = {}
    for field in _OBJECTIVE_FIELDS + tuple(f for f in ("size", "iterations", "seed", "device") if f in named):
        value = getattr(cfg, field)
        if field == "style_weight":
            out["ratio"] = beta_over_alpha(cfg)
        elif field == "lr":
            out["lr"] = cfg.learning_rate
        elif field == "init" and cfg.init_image == EXEMPLAR_START:
            out["init"] = "exemplar"
        elif field == "init" and value not in INITS:
            continue  # 'image' needs an image; the explorer offers noise, content and the exemplar result
        else:
            out[field] = tuple(value) if isinstance(value, (list, tuple)) else value
    return out


def build_config(preset: str, *, ratio: float, decay: float, iterations: int, size: int, optimizer: str, lr: float,
                 momentum: float, init: str, content_layers, style_layers, keep_luminance: bool, seed: int,
                 device: str) -> Config:
    """The Config the controls describe: the preset's values for everything not on screen."""
    base = Config.from_preset(preset)
    style_layers = tuple(style_layers)
    weights = base.style_layer_weights
    if weights is not None and style_layers != base.style_layers:
        weights = (float(np.mean(weights)),) * len(style_layers)  # the preset's per-layer weight, kept
    alpha = base.content_weight if base.content_weight > 0 else 1.0
    start = dict(init="image", init_image=EXEMPLAR_START) if init == "exemplar" else dict(init=init, init_image=None)
    return base.replace(
        style_weight=ratio * alpha, content_weight=alpha, decay=decay, iterations=iterations, size=size,
        optimizer=optimizer, lr=base.lr if optimizer == "lbfgs" else lr,
        momentum=momentum if optimizer == "sgd" else base.momentum, content_layers=tuple(content_layers),
        style_layers=style_layers, style_layer_weights=weights if style_layers else None,
        keep_luminance=keep_luminance, seed=seed, device=device, **start)


def start_image(cfg: Config, content, style) -> np.ndarray | None:
    """The array to pass as colorize(init_image=…): the exemplar result for an exemplar start, else None."""
    if cfg.init == "image" and cfg.init_image == EXEMPLAR_START:
        return colorize_exemplar(content, style, cfg.size)
    return None


def is_colour(image: np.ndarray) -> bool:
    """Whether an image has true colours to score against (judged on a 128 px copy: uploads may be large)."""
    return not color.is_gray(images.resize(image, 128))


def score(image: np.ndarray, truth: np.ndarray | None) -> dict:
    """delta_e2000 and colourfulness_truth against `truth` (None where there is none), colourfulness."""
    out = {"delta_e2000": None, "colourfulness": metrics.colourfulness(image), "colourfulness_truth": None}
    if truth is not None and truth.shape == image.shape:
        out.update(delta_e2000=metrics.delta_e2000(image, truth), colourfulness_truth=metrics.colourfulness(truth))
    return out


def history_row(run: int, result, cfg: Config, meta: dict, status: str, truth: np.ndarray | None) -> dict:
    """The history's row of a finished run; meta: content and style names. truth: None for a gray content."""
    final = result.final
    start = "exemplar" if cfg.init_image == EXEMPLAR_START else cfg.init
    return {"run": run, "content": meta["content"], "style": meta["style"], "preset": cfg.preset,
            "beta/alpha": beta_over_alpha(cfg), "decay": cfg.decay, "optimizer": cfg.optimizer,
            "lr": cfg.learning_rate if cfg.optimizer != "lbfgs" else None, "init": start, "size": cfg.size,
            "iterations": cfg.iterations, "iterations_run": result.run.get("iterations_run", len(result.history)),
            "content_layers": ",".join(cfg.content_layers), "style_layers": ",".join(cfg.style_layers),
            "keep_luminance": cfg.keep_luminance, "seed": cfg.seed, "device": result.run.get("device"),
            "content_loss": final.get("content_loss"), "style_loss": final.get("style_loss"),
            "total_loss": final.get("total_loss"), **score(result.image, truth),
            "seconds": result.run.get("seconds"), "status": status, "saved": ""}


def finished_line(row: dict) -> str:
    """The status line after a run: what happened, on which device (the one used, never 'auto'), ΔE2000."""
    de = f", ΔE2000 {row['delta_e2000']:.2f}" if row["delta_e2000"] is not None else ""
    return (f"run {row['run']} {row['status']} after {row['iterations_run']} iterations in {row['seconds']:.1f} s "
            f"on {row['device']}{de}")


def save_stem(row: dict, stamp: str) -> str:
    """File name (without extension) for Save: time stamp, run number, content and style."""
    parts = [slug(data.print_stem(row[k]))[:40] or "image" for k in ("content", "style")]
    return f"{stamp}-run{row['run']}-{parts[0]}-{parts[1]}"


# (row key, header, format); MAIN_COLUMNS are shown, ALL_COLUMNS on demand
ALL_COLUMNS = (("run", "#", "d"), ("content", "content", "s"), ("style", "style", "s"), ("preset", "preset", "s"),
               ("beta/alpha", "β/α", ".3g"), ("decay", "decay", ".4g"), ("optimizer", "opt", "s"),
               ("lr", "lr", ".3g"), ("init", "init", "s"), ("size", "px", "d"), ("iterations", "asked", "d"),
               ("iterations_run", "iterations", "d"), ("content_layers", "content layers", "s"),
               ("style_layers", "style layers", "s"), ("keep_luminance", "keep L*", "s"), ("seed", "seed", "d"),
               ("device", "device", "s"), ("content_loss", "content loss", ".3g"),
               ("style_loss", "style loss", ".3g"), ("total_loss", "total loss", ".3g"),
               ("delta_e2000", "ΔE2000", ".2f"), ("colourfulness", "colourful", ".1f"),
               ("colourfulness_truth", "(truth)", ".1f"), ("seconds", "s", ".1f"), ("status", "status", "s"),
               ("saved", "saved", "s"))
MAIN_COLUMNS = tuple(c for c in ALL_COLUMNS if c[0] in (
    "run", "content", "style", "preset", "beta/alpha", "decay", "iterations_run", "delta_e2000", "colourfulness",
    "seconds", "status"))


def history_html(rows: list[dict], all_columns: bool = False) -> str:
    """The finished runs as an HTML table: MAIN_COLUMNS, or ALL_COLUMNS (ΔE2000 only where there was a truth)."""
    if not rows:
        return "<i>no runs yet</i>"
    columns = ALL_COLUMNS if all_columns else MAIN_COLUMNS
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label, _ in columns)
    body = []
    for row in rows:
        cells = []
        for key, _, fmt in columns:
            value = row.get(key)
            text = "–" if value is None or value == "" else format(value, fmt) if fmt != "s" else str(value)
            if key in ("content", "style"):
                text = data.print_stem(text)
            cells.append(f"<td>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<div style='overflow-x:auto'><table style='font-size:11px;border-collapse:collapse' border='1' "
            f"cellpadding='2'><tr>{head}</tr>" + "".join(body) + "</table></div>")


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
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=figures.DPI, layout="tight")
    ax = fig.add_subplot()
    its = [r["iteration"] for r in rows]
    for key, label in (("total_loss", "total"), ("content_loss", "content Lc"), ("style_loss", "style Ls")):
        values = [r[key] for r in rows]
        if any(v is not None and v > 0 for v in values):
            ax.plot(its, values, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    if ax.lines:
        ax.legend(fontsize=8)
    return figures.png_bytes(fig)
