"""Figure 1 (ukiyo-e prints colorized) and its ablation: which reading of the paper reproduces it.

A figure is built column by column (`column`, `ablation_variant`: one run and its scores each), then assembled
into the figure and its record (`assemble`, `assemble_ablation`); `figure1()` and `ablation()` do all of it in one
call for scripts."""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from colorlib import color, data, images
from colorlib.experiments import runs
from colorlib.experiments.verdicts import ablation_verdict, figure1_verdict
from colorlib.paper.config import Config
from colorlib.plots import figures as plots
from colorlib.record import versions
from colorlib.speedups.multires import Schedule

FIGURE1_PAIRS = (0, 1, 2)  # rows of the kit's pairs.csv shown as Figure 1's columns
# The ablation on Figure 1's first pair: the preset that makes the figures vs the paper's other readings
# (docs/reproducing_the_paper.md, "Layers"): key -> (preset, Config changes, label).
ABLATION = {
    "paper": ("paper", {}, "paper: relu layers, β/α size-normalised"),
    "paper-not-normalised": ("paper", {"size_normalise": False}, "paper: β/α not size-normalised"),
    "paper-preReLU": ("paper-preReLU", {}, "paper on pre-ReLU conv outputs"),
    "neural-style": ("neural-style", {}, "neural-style's losses and defaults"),
}


@dataclass
class Column:
    """One column of Figure 1: a pair colorized and scored.

    Attributes
    ----------
    index : int
        Row of the kit's pairs.csv.
    row : dict
        What figure1.json holds for the column: files, losses, timing, metrics, the inputs' sha256.
    images : dict
        What `colorlib.plots.figures.figure1` draws: content (gray), style, result, their names, a caption.
    seconds : float
        Wall time of the column (short when the run came from the run cache).
    """

    index: int
    row: dict
    images: dict
    seconds: float

    @property
    def result(self) -> np.ndarray:
        """The colorized image, (H, W, 3) RGB in [0, 1]."""
        return self.images["result"]


@dataclass
class FigureResult:
    """A finished figure: what its JSON holds and the matplotlib Figure(s) saved beside it.

    Attributes
    ----------
    record : dict
        The figure's JSON record (settings, versions, per-column or per-variant numbers, verdict, files).
    figure : matplotlib.figure.Figure
        The figure saved as `<stem>.png`.
    parts : list or dict
        Figure 1: its `Column`s; the ablation: its variants' `Column`s keyed by ABLATION key.
    """

    record: dict
    figure: Figure
    parts: list | dict


def column(index: int, cfg: Config, schedule: Schedule | None = None) -> Column:
    """Colorize pair `index` with `cfg` and score it against the print's true colours.

    Parameters
    ----------
    index : int
        Row of the kit's pairs.csv (FIGURE1_PAIRS holds Figure 1's).
    cfg : Config
        The run's settings, from `runs.figure_settings(profile, device, seed)`.
    schedule : Schedule, optional
        The multi-resolution schedule the run goes through (the profile's, from the same call), or None for
        one run of `cfg.iterations` at `cfg.size`.

    Returns
    -------
    Column
        The run's numbers (final losses, structure, colourfulness, ΔE2000 and the gray input's) and images.
    """
    start = time.perf_counter()
    pair, row = runs.pair_at(index, cfg.size), data.pairs()[index]
    result, diverged = runs.run(pair["content"], pair["style"], cfg, schedule)
    score = runs.score(result.image, pair["truth"])
    numbers = dict(pair=index, name=pair["name"], content=row["content"], style=row["style"],
                   **runs.summary_row(result, diverged), **score, inputs=result.run["inputs"])
    pictures = dict(content=color.to_gray(images.resize_to(pair["truth"], *result.image.shape[:2])),
                    style=images.resize(pair["style"], cfg.size), result=result.image,
                    content_name=data.print_title(row["content"]), style_name=data.print_title(row["style"]),
                    caption=f"structure {score['structure_ssim']:.2f}, colour ×{score['colourfulness_ratio']:.2f}")
    print(f"{pair['name']}: {result.run['iterations_run']} its in {result.run['seconds']:.1f} s "
          f"({result.run.get('cache')}), structure {score['structure_ssim']:.2f}, colourfulness "
          f"×{score['colourfulness_ratio']:.2f}, ΔE2000 {score['delta_e2000']:.2f} (gray "
          f"{score['delta_e2000_gray']:.2f})", flush=True)
    return Column(index, numbers, pictures, round(time.perf_counter() - start, 2))


def assemble(columns: list[Column], cfg: Config, profile: str, output_dir: str,
             schedule: Schedule | None = None) -> FigureResult:
    """Figure 1 from its columns: the figure, the summary and verdict; saves figure1.png and figure1.json.

    Parameters
    ----------
    columns : list of Column
        From `column()`, in the figure's order.
    cfg : Config
        The settings the columns ran with (recorded).
    profile : str
        The profile's name (recorded).
    output_dir : str
        Folder for figure1.png and figure1.json (written atomically).
    schedule : Schedule, optional
        The schedule the columns ran through (recorded in params.schedule).

    Returns
    -------
    FigureResult
        record (what figure1.json holds), figure, parts = `columns`.
    """
    rows = [c.row for c in columns]
    summary = dict(mean_structure_ssim=runs.mean(r["structure_ssim"] for r in rows),
                   mean_colourfulness_ratio=runs.mean(r["colourfulness_ratio"] for r in rows),
                   mean_delta_e2000=runs.mean(r["delta_e2000"] for r in rows),
                   mean_delta_e2000_gray=runs.mean(r["delta_e2000_gray"] for r in rows),
                   columns_beating_gray=sum(r["delta_e2000"] < r["delta_e2000_gray"] for r in rows),
                   wall_seconds=round(sum(c.seconds for c in columns), 2))
    record = dict(figure="figure1", profile=profile, preset=cfg.preset, settings=runs.describe(cfg, schedule),
                  params={**cfg.to_dict(), "schedule": schedule.to_dict() if schedule else None},
                  versions=versions(), columns=rows, summary=summary)
    record["verdict"] = figure1_verdict(record)
    fig = plots.figure1([c.images for c in columns])
    runs.write(record, output_dir, "figure1", {"figure1.png": fig})
    return FigureResult(record, fig, list(columns))


def figure1(profile: str = "quick", device: str = "auto", seed: int = 0, output_dir: str = "results",
            pairs=FIGURE1_PAIRS) -> FigureResult:
    """Figure 1 in one call: `column()` for each of `pairs`, then `assemble()`.

    Parameters
    ----------
    profile : str
        smoke, quick or paper (`colorlib.experiments.profiles`).
    device : str
        auto, cpu, cuda, cuda:N or mps.
    seed : int
        Seed of every run.
    output_dir : str
        Folder for figure1.png and figure1.json.
    pairs : sequence of int
        Rows of pairs.csv, one column each.

    Returns
    -------
    FigureResult
        record (what figure1.json holds), figure, parts = the columns.
    """
    cfg, schedule = runs.figure_settings(profile, device, seed)
    return assemble([column(i, cfg, schedule) for i in pairs], cfg, profile, output_dir, schedule)


def ablation_variant(key: str, profile: str, device: str = "auto", seed: int = 0,
                     pair: int = FIGURE1_PAIRS[0]) -> Column:
    """Pair `pair` under the reading of the paper ABLATION[key], scored like a Figure 1 column.

    Parameters
    ----------
    key : str
        A key of ABLATION.
    profile, device, seed
        As for `figure1()`.
    pair : int
        Row of pairs.csv (Figure 1's first pair by default).

    Returns
    -------
    Column
        row: label, preset, changes, settings, losses, the β/α used and the metrics; images: the result and its
        title.
    """
    preset, changes, label = ABLATION[key]
    start = time.perf_counter()
    cfg = runs.settings(profile, device, seed, preset=preset, **changes)
    data_pair = runs.pair_at(pair, cfg.size)
    result, diverged = runs.run(data_pair["content"], data_pair["style"], cfg)
    score = runs.score(result.image, data_pair["truth"])
    row = dict(label=label, preset=preset, changes=changes, settings=runs.describe(cfg),
               **runs.summary_row(result, diverged), **score)
    title = (f"{label}\nstructure {score['structure_ssim']:.2f}, colour ×{score['colourfulness_ratio']:.2f}, "
             f"ΔE {score['delta_e2000']:.1f}")
    print(f"{label}: structure {score['structure_ssim']:.2f}, colourfulness ×{score['colourfulness_ratio']:.2f}, "
          f"ΔE2000 {score['delta_e2000']:.2f}, β/α used {row['style_weight_used']:.4g}", flush=True)
    return Column(pair, row, dict(result=result.image, caption=title), round(time.perf_counter() - start, 2))


def assemble_ablation(variants: dict, profile: str, output_dir: str,
                      pair: int = FIGURE1_PAIRS[0]) -> FigureResult:
    """The ablation's figure, record and verdict from its variants; saves figure1_ablation.png and .json.

    Parameters
    ----------
    variants : dict
        ABLATION key -> Column, from `ablation_variant()`.
    profile : str
        The profile's name (recorded).
    output_dir : str
        Folder for the files.
    pair : int
        The row of pairs.csv the variants ran on (recorded).

    Returns
    -------
    FigureResult
        record (what figure1_ablation.json holds), figure, parts = `variants`.
    """
    row = data.pairs()[pair]
    record = dict(figure="figure1_ablation", profile=profile,
                  pair=dict(index=pair, name=f"{data.print_stem(row['content'])}<-{data.print_stem(row['style'])}",
                            content=row["content"], style=row["style"]),
                  versions=versions(), variants={k: v.row for k, v in variants.items()})
    record["verdict"] = ablation_verdict(record)
    fig = plots.image_row({k: v.result for k, v in variants.items()},
                          {k: v.images["caption"] for k, v in variants.items()})
    runs.write(record, output_dir, "figure1_ablation", {"figure1_ablation.png": fig})
    return FigureResult(record, fig, dict(variants))


def ablation(profile: str = "quick", device: str = "auto", seed: int = 0, output_dir: str = "results",
             pair: int = FIGURE1_PAIRS[0]) -> FigureResult:
    """The ablation in one call: `ablation_variant()` for every key of ABLATION, then `assemble_ablation()`.

    Parameters
    ----------
    profile, device, seed, output_dir
        As for `figure1()`.
    pair : int
        Row of pairs.csv.

    Returns
    -------
    FigureResult
        record (what figure1_ablation.json holds), figure, parts = the variants by key.
    """
    variants = {key: ablation_variant(key, profile, device, seed, pair) for key in ABLATION}
    return assemble_ablation(variants, profile, output_dir, pair)
