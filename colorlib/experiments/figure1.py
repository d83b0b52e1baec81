"""Figure 1 (ukiyo-e prints colorized) and its ablation: which reading of the paper reproduces it."""
from __future__ import annotations

import time

from colorlib import color, data, images
from colorlib.experiments import runs
from colorlib.experiments.verdicts import ablation_verdict, figure1_verdict
from colorlib.plots import figures as plots
from colorlib.record import versions

FIGURE1_PAIRS = (0, 1, 2)  # rows of the kit's pairs.csv shown as Figure 1's columns
# The ablation on Figure 1's first pair: the paper as run vs its other readings (README, "Layers").
ABLATION = {
    "paper": ("paper", {}, "paper: relu layers, β/α size-normalised"),
    "paper-not-normalised": ("paper", {"size_normalise": False}, "paper: β/α not size-normalised"),
    "paper-preReLU": ("paper-preReLU", {}, "paper on pre-ReLU conv outputs"),
    "neural-style": ("neural-style", {}, "neural-style's losses and defaults"),
}


def figure1(profile: str = "quick", device: str = "auto", seed: int = 0, output_dir: str = "results",
            pairs=FIGURE1_PAIRS) -> dict:
    """Colorize each pair of `pairs` (Figure 1's columns); save figure1.png and figure1.json in output_dir.

    Returns {'record': what figure1.json holds, 'figure': the matplotlib Figure, 'columns': images per column}."""
    cfg, schedule = runs.figure_settings(profile, device, seed)
    start = time.perf_counter()
    columns, rows = [], []
    for n, index in enumerate(pairs, start=1):
        pair, row = runs.pair_at(index, cfg.size), data.pairs()[index]
        result, diverged = runs.run(pair["content"], pair["style"], cfg, schedule)
        score = runs.score(result.image, pair["truth"])
        rows.append(dict(pair=index, name=pair["name"], content=row["content"], style=row["style"],
                         **runs.summary_row(result, diverged), **score, inputs=result.run["inputs"]))
        columns.append(dict(content=color.to_gray(images.resize_to(pair["truth"], *result.image.shape[:2])),
                            style=images.resize(pair["style"], cfg.size), result=result.image,
                            content_name=data.print_title(row["content"]), style_name=data.print_title(row["style"]),
                            caption=f"structure {score['structure_ssim']:.2f}, colour "
                                    f"×{score['colourfulness_ratio']:.2f}"))
        print(f"column {n}/{len(pairs)} {pair['name']}: {result.run['iterations_run']} its in "
              f"{result.run['seconds']:.1f} s ({result.run.get('cache')}), structure {score['structure_ssim']:.2f}, "
              f"colourfulness ×{score['colourfulness_ratio']:.2f}, ΔE2000 {score['delta_e2000']:.2f} (gray "
              f"{score['delta_e2000_gray']:.2f})", flush=True)
    summary = dict(mean_structure_ssim=runs.mean(r["structure_ssim"] for r in rows),
                   mean_colourfulness_ratio=runs.mean(r["colourfulness_ratio"] for r in rows),
                   mean_delta_e2000=runs.mean(r["delta_e2000"] for r in rows),
                   mean_delta_e2000_gray=runs.mean(r["delta_e2000_gray"] for r in rows),
                   columns_beating_gray=sum(r["delta_e2000"] < r["delta_e2000_gray"] for r in rows),
                   wall_seconds=round(time.perf_counter() - start, 2))
    record = dict(figure="figure1", profile=profile, preset=cfg.preset, settings=runs.describe(cfg, schedule),
                  params={**cfg.to_dict(), "schedule": schedule.to_dict() if schedule else None},
                  versions=versions(), columns=rows, summary=summary)
    record["verdict"] = figure1_verdict(record)
    fig = plots.figure1(columns)
    runs.write(record, output_dir, "figure1", {"figure1.png": fig})
    return {"record": record, "figure": fig, "columns": columns}


def ablation(profile: str = "quick", device: str = "auto", seed: int = 0, output_dir: str = "results",
             pair: int = FIGURE1_PAIRS[0]) -> dict:
    """Figure 1's first pair under each reading of the paper in ABLATION; saves figure1_ablation.png/.json."""
    data_pair, row = runs.pair_at(pair, runs.settings(profile).size), data.pairs()[pair]
    results, imgs, titles = {}, {}, {}
    for key, (preset, changes, label) in ABLATION.items():
        cfg = runs.settings(profile, device, seed, preset=preset, **changes)
        result, diverged = runs.run(data_pair["content"], data_pair["style"], cfg)
        score = runs.score(result.image, data_pair["truth"])
        results[key] = dict(label=label, preset=preset, changes=changes, settings=runs.describe(cfg),
                            **runs.summary_row(result, diverged), **score)
        imgs[key] = result.image
        titles[key] = (f"{label}\nstructure {score['structure_ssim']:.2f}, colour ×"
                       f"{score['colourfulness_ratio']:.2f}, ΔE {score['delta_e2000']:.1f}")
        print(f"{label}: structure {score['structure_ssim']:.2f}, colourfulness ×{score['colourfulness_ratio']:.2f}, "
              f"ΔE2000 {score['delta_e2000']:.2f}, β/α used {results[key]['style_weight_used']:.4g}", flush=True)
    record = dict(figure="figure1_ablation", profile=profile, pair=dict(index=pair, name=data_pair["name"],
                  content=row["content"], style=row["style"]), versions=versions(), variants=results)
    record["verdict"] = ablation_verdict(record)
    fig = plots.image_row(imgs, titles)
    runs.write(record, output_dir, "figure1_ablation", {"figure1_ablation.png": fig})
    return {"record": record, "figure": fig}
