"""The evaluation run: every method of colorlib.evaluation.registry.METHODS on every ground-truth pair available
offline, as a tidy table.

evaluate_all() runs the methods over evaluation_pairs() with a fixed seed at one size (the optimising methods,
registry.OPTIMISING, with the given iterations; the others with 0), and writes (atomically) into output_dir:
  evaluation.csv            one row per pair x method: every metric of colorlib.evaluation.metrics.evaluate + seconds
  evaluation_summary.csv/md the mean per method (and on how many pairs it beats the gray input)
  evaluation.json           parameters, versions, summary;   evaluation/*.png  the outputs (save_images)
The figures are colorlib.plots.evaluation's; the retrieval study is retrieval_study.py, the prose verdict.py."""
from __future__ import annotations

import functools
import math
import os
import re
import time
from typing import Any

import numpy as np

from colorlib import color, data, images, tables
from colorlib.atomic import atomic_write
from colorlib.errors import ColorkitError, DivergenceError
from colorlib.evaluation import metrics, registry
from colorlib.hashes import sha256_file
from colorlib.record import versions, write_json
from colorlib.speedups import cache

METRICS = ("delta_e2000", "psnr", "ssim", "structure_ssim", "colourfulness", "colourfulness_truth",
           "colourfulness_ratio", "colourfulness_gap", "lightness_error")
SUMMARY_COLUMNS = ("method", "delta_e2000", "psnr", "ssim", "structure_ssim", "colourfulness_ratio",
                   "lightness_error", "beats_gray", "seconds")


def iterations_for(name: str, iterations: int) -> int:
    """The iterations a method gets: `iterations` if it optimises (registry.OPTIMISING), else 0."""
    return iterations if name in registry.OPTIMISING else 0


def evaluation_pairs(size: int) -> list[dict]:
    """The ukiyo-e pairs of the kit's pairs.csv and scikit-image's motorcycle stereo pair, resized to `size` px:
    dicts with name, truth (colour original), content (its grayscale), style, content_file, style_file."""
    out = []
    for i, row in enumerate(data.pairs()):
        p = data.load_pair(i)
        out.append(dict(name=p["name"], truth=p["truth"], style=p["style"], content_file=row["content"],
                        style_file=row["style"]))
    m = data.motorcycle_pair()
    out.append(dict(name=m["name"], truth=m["truth"], style=m["style"], content_file="skimage:motorcycle_left",
                    style_file="skimage:motorcycle_right"))
    return [sized(p, size) for p in out]


def sized(pair: dict, size: int) -> dict:
    """The pair with its truth and style resized to `size` px and the content the grayscaled resized truth: the
    exact arrays every method (and the figures) get, so the run cache shares identical runs between them."""
    truth = images.resize(pair["truth"], size)
    return {**pair, "truth": truth, "content": color.to_gray(truth), "style": images.resize(pair["style"], size)}


def run_method(name: str, pair: dict, *, size: int, iterations: int, seed: int, device, method=None,
               precision: str | None = None) -> tuple:
    """(image, status 'ok'|'diverged', seconds) of METHODS[name] (or of `method`, a function of the registry's
    call shape) on one pair. `precision` goes to the optimising methods only."""
    fn = registry.METHODS[name] if method is None else method
    extra: dict[str, Any] = {"precision": precision} if precision and name in registry.OPTIMISING else {}
    if method is None and name in registry.RETRIEVING:
        extra["candidates"] = candidates_for(pair)
    args = dict(size=size, iterations=iterations, seed=seed, device=device, **extra)
    t0 = time.perf_counter()
    status = "ok"
    try:
        if method is not None:
            img = fn(pair["content"], pair["style"], **args)
            seconds = time.perf_counter() - t0
        elif name in registry.RUNS:  # through the run cache, whose record keeps what the run cost
            result = registry.RUNS[name](pair["content"], pair["style"], **args)
            img, seconds = result.image, _run_seconds(result, time.perf_counter() - t0)
        else:
            parts = dict(method=name, content=pair["content"], style=pair["style"], size=size, seed=seed,
                         iterations=iterations, device=str(device),
                         candidates=[candidate_key(p) for p in extra.get("candidates", ())])
            img, _, seconds = cache.cached_array(parts, lambda: fn(pair["content"], pair["style"], **args))
    except DivergenceError as exc:
        if exc.result is None:
            raise
        img, status, seconds = exc.result.image, "diverged", time.perf_counter() - t0
    return np.asarray(img, np.float32), status, seconds


def _run_seconds(result, wall: float) -> float:
    """What a run cost: this call's wall time when it ran; when it was read from the run cache, the seconds recorded
    when it ran plus this call's (the read, and for 'best+paper' the exemplar start, computed again)."""
    return result.run["seconds"] + wall if result.run.get("cache") == "hit" else wall


def candidate_key(path: str) -> tuple:
    """What identifies a candidate file for the cache: its name and the sha256 of its bytes (read each time:
    never its path, size or modification time)."""
    return os.path.basename(path), sha256_file(path)


def candidates_for(pair: dict) -> list[str]:
    """Voting candidates for a pair, honest leave-one-out: the collection's prints available offline, minus the
    content's own print and its designated reference (already a reference); none for a non-collection pair."""
    found = _collection(data.manifest_source(), os.environ.get("COLORKIT_DATA", ""))
    if pair.get("content_file") not in {f for f, _ in found}:
        return []
    return [path for f, path in found if f not in (pair["content_file"], pair["style_file"])]


@functools.lru_cache(maxsize=4)
def _collection(manifest: str, folder: str) -> tuple:
    """(file, path) of every print of `manifest` found offline (the arguments only key the cache)."""
    out = []
    for f in data.manifest():
        try:
            out.append((f, data.find(f)))
        except ColorkitError:  # not available offline: not a candidate
            continue
    return tuple(out)


def check_methods(names) -> list[str]:
    """`names` as a list (None = every registered method); ColorkitError naming any unknown one."""
    names = registry.names() if names is None else list(names)
    unknown = [m for m in names if m not in registry.METHODS]
    if unknown:
        raise ColorkitError(f"unknown method(s) {', '.join(unknown)}; registered: {', '.join(registry.names())}")
    return names


def evaluate_all(size: int, iterations: int, *, profile: str | None = None, methods=None, device="auto",
                 seed: int = 0, output_dir="results", verbose: bool = True, save_images: bool = True,
                 outputs: dict | None = None, precision: str | None = None) -> list[dict]:
    """Run `methods` (default: all of registry.METHODS, in order) on all evaluation pairs at `size` px; returns
    the rows and writes the files. `profile` is only recorded. `outputs`, when a dict, receives the images:
    outputs[pair, method] and outputs[pair, "truth"] (for colorlib.plots.evaluation.examples)."""
    names = check_methods(methods)
    os.makedirs(output_dir, exist_ok=True)
    rows = []
    for pair in evaluation_pairs(size):
        for name in names:
            its = iterations_for(name, iterations)
            img, status, seconds = run_method(name, pair, size=size, iterations=its, seed=seed, device=device,
                                              precision=precision)
            if img.shape != pair["truth"].shape:
                raise ColorkitError(f"method {name} returned shape {img.shape} for {pair['name']}, "
                                    f"expected {pair['truth'].shape}")
            scores = metrics.evaluate(img, pair["truth"], pair["content"])
            rows.append(dict(pair=pair["name"], method=name, status=status, profile=profile, size=size,
                             iterations=its, seed=seed, **scores, seconds=seconds))
            if outputs is not None:
                outputs[pair["name"], name] = img
                outputs[pair["name"], "truth"] = pair["truth"]
            if save_images:
                images.save(img, os.path.join(output_dir, "evaluation", f"{slug(pair['name'])}__{slug(name)}.png"))
            if verbose:
                print(f"{pair['name']:26s} {name:32s} ΔE2000 {scores['delta_e2000']:6.2f}  colourfulness "
                      f"{scores['colourfulness_ratio']:5.2f}x  {seconds:6.1f} s", flush=True)
    summary = summarize(rows)
    tables.write_csv(rows, os.path.join(output_dir, "evaluation.csv"))
    tables.write_csv(summary, os.path.join(output_dir, "evaluation_summary.csv"))
    write_summary_md(summary, os.path.join(output_dir, "evaluation_summary.md"), profile=profile, size=size,
                     iterations=iterations, seed=seed)
    write_json(dict(profile=profile, size=size, iterations=iterations, optimising=list(registry.OPTIMISING),
                    seed=seed, device=str(device), methods=names, pairs=evaluation_pairs_names(rows),
                    summary=summary, versions=versions()),
               os.path.join(output_dir, "evaluation.json"))
    return rows


def write_summary_md(summary: list[dict], path, *, profile, size: int, iterations: int, seed: int) -> str:
    """evaluation_summary.md: one line saying what ran, then the summary as a markdown table."""
    label = f"profile {profile} " if profile else ""
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write(f"Mean over {summary[0]['pairs'] if summary else 0} pairs, {label}({size} px, {iterations} "
                 f"iterations for the optimising methods, 0 for the others), seed {seed}.\n\n")
        fh.write(tables.markdown(summary, SUMMARY_COLUMNS) + "\n")
    return os.fspath(path)


def evaluation_pairs_names(rows) -> list[str]:
    """The pair names of `rows`, in order of first appearance."""
    return list(dict.fromkeys(r["pair"] for r in rows))


def summarize(rows: list[dict]) -> list[dict]:
    """One row per method: the mean of every metric over the pairs, `beats_gray` ("k/n": pairs where its ΔE2000
    is below the gray input's), sorted by mean ΔE2000 (best first)."""
    gray = {r["pair"]: r["delta_e2000"] for r in rows if r["method"] == "gray"}
    out = []
    for name in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == name]
        row = {"method": name, "pairs": len(mine)}
        for key in METRICS + ("seconds",):
            vals = [r[key] for r in mine if r.get(key) is not None]
            row[key] = float(np.nanmean(vals)) if vals and not all(math.isnan(v) for v in vals) else float("nan")
        wins = [r["delta_e2000"] < gray[r["pair"]] for r in mine if r["pair"] in gray]
        row["beats_gray"] = f"{sum(wins)}/{len(wins)}" if gray else ""
        row["diverged"] = sum(r.get("status") == "diverged" for r in mine)
        out.append(row)
    return sorted(out, key=lambda r: (math.isnan(r["delta_e2000"]), r["delta_e2000"]))




def slug(name: str) -> str:
    """A file-name-safe version of a pair or method name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name.replace("<-", "_from_"))
