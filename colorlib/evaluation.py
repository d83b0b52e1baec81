"""The evaluation: every registered method on every ground-truth pair available offline, as a tidy table.

evaluate_all() runs colorlib.methods.METHODS over evaluation_pairs() with fixed seeds and the profile's size and
iterations, and writes (atomically) into output_dir:
  evaluation.csv            one row per pair x method: every metric of colorlib.metrics.evaluate + seconds
  evaluation_summary.csv/md the mean per method (and on how many pairs it beats the gray input)
  evaluation.png            mean ΔE2000 against colourfulness ratio per method, each pair a faint dot
  evaluation_examples.png   the outputs side by side;  evaluation.json  parameters, versions, summary
evaluate_retrieval() checks colorlib.retrieval on the ukiyo-e pairs (retrieval.csv, retrieval.json).
The notebook 04_evaluation only calls these."""
from __future__ import annotations

import csv
import importlib
import importlib.util
import io
import math
import os
import re
import time

import numpy as np

from . import color, data, images, metrics, profiles, retrieval
from .atomic import atomic_write
from .errors import ColorkitError, DivergenceError
from . import methods as methods_module
from .methods import METHODS
from .results import versions, write_json

METRICS = ("delta_e2000", "psnr", "ssim", "colourfulness", "colourfulness_truth", "colourfulness_ratio",
           "colourfulness_gap", "lightness_error")
CHEAP_METHOD = "welsh"  # used to judge retrieved style references by the ΔE they lead to
REGISTERING_MODULES = ("baselines", "best")  # colorlib modules whose import registers methods (if present)


def registered_methods() -> list[str]:
    """Names in colorlib.methods.METHODS after importing the modules that register methods."""
    for mod in REGISTERING_MODULES:
        if importlib.util.find_spec(f"{__package__}.{mod}") is not None:
            importlib.import_module(f".{mod}", __package__)
    return methods_module.names()


def evaluation_pairs(size: int) -> list[dict]:
    """The ukiyo-e pairs of data/pairs.csv and scikit-image's motorcycle stereo pair, resized to `size` px:
    dicts with name, truth (colour original), content (its grayscale), style, content_file, style_file."""
    out = []
    for i, row in enumerate(data.pairs()):
        p = data.load_pair(i)
        out.append(dict(name=p["name"], truth=p["truth"], style=p["style"], content_file=row["content"],
                        style_file=row["style"]))
    m = data.motorcycle_pair()
    out.append(dict(name=m["name"], truth=m["truth"], style=m["style"], content_file="skimage:motorcycle_left",
                    style_file="skimage:motorcycle_right"))
    for p in out:
        p["truth"] = images.resize(p["truth"], size)
        p["content"] = color.to_gray(p["truth"])
        p["style"] = images.resize(p["style"], size)
    return out


def run_method(name: str, pair: dict, *, size: int, iterations: int, seed: int, device) -> tuple:
    """(image, status 'ok'|'diverged', seconds) of METHODS[name] on one pair."""
    fn = METHODS[name]
    t0 = time.perf_counter()
    status = "ok"
    try:
        img = fn(pair["content"], pair["style"], size=size, iterations=iterations, seed=seed, device=device)
    except DivergenceError as exc:
        if exc.result is None:
            raise
        img, status = exc.result.image, "diverged"
    return np.asarray(img, np.float32), status, time.perf_counter() - t0


def evaluate_all(profile: str = "quick", methods=None, device="auto", seed: int = 0, output_dir="results",
                 verbose: bool = True, save_images: bool = True) -> list[dict]:
    """Run `methods` (default: all of METHODS) on all evaluation pairs; returns the rows and writes the files."""
    prof = profiles.profile(profile)
    registered = registered_methods()
    names = registered if methods is None else list(methods)
    unknown = [m for m in names if m not in METHODS]
    if unknown:
        raise ColorkitError(f"unknown method(s) {', '.join(unknown)}; registered: {', '.join(METHODS)}")
    os.makedirs(output_dir, exist_ok=True)
    rows, outputs = [], {}
    for pair in evaluation_pairs(prof["size"]):
        for name in names:
            img, status, seconds = run_method(name, pair, size=prof["size"], iterations=prof["iterations"],
                                              seed=seed, device=device)
            if img.shape != pair["truth"].shape:
                raise ColorkitError(f"method {name} returned shape {img.shape} for {pair['name']}, "
                                    f"expected {pair['truth'].shape}")
            scores = metrics.evaluate(img, pair["truth"], pair["content"])
            rows.append(dict(pair=pair["name"], method=name, status=status, profile=profile, size=prof["size"],
                             iterations=prof["iterations"], seed=seed, **scores, seconds=seconds))
            outputs[pair["name"], name] = img
            outputs[pair["name"], "truth"] = pair["truth"]
            if verbose:
                print(f"{pair['name']:26s} {name:32s} ΔE2000 {scores['delta_e2000']:6.2f}  colourfulness "
                      f"{scores['colourfulness_ratio']:5.2f}x  {seconds:6.1f} s", flush=True)
        if save_images:
            for name in names:
                images.save(outputs[pair["name"], name],
                            os.path.join(output_dir, "evaluation", f"{_slug(pair['name'])}__{_slug(name)}.png"))
    summary = summarise(rows)
    write_csv(rows, os.path.join(output_dir, "evaluation.csv"))
    write_csv(summary, os.path.join(output_dir, "evaluation_summary.csv"))
    with atomic_write(os.path.join(output_dir, "evaluation_summary.md"), "w", encoding="utf-8") as fh:
        fh.write(f"Mean over {summary[0]['pairs'] if summary else 0} pairs, profile {profile} "
                 f"({prof['size']} px, {prof['iterations']} iterations), seed {seed}.\n\n")
        fh.write(markdown_table(summary, SUMMARY_COLUMNS) + "\n")
    pairs = evaluation_pairs_names(rows)
    save_figure(plot_summary(rows), os.path.join(output_dir, "evaluation.png"))
    save_figure(plot_examples(outputs, pairs, ["truth"] + names), os.path.join(output_dir, "evaluation_examples.png"))
    write_json(_finite(dict(profile=profile, **prof, seed=seed, device=str(device), methods=names, pairs=pairs,
                            summary=summary, versions=versions())), os.path.join(output_dir, "evaluation.json"))
    return rows


def evaluation_pairs_names(rows) -> list[str]:
    """The pair names of `rows`, in order of first appearance."""
    return list(dict.fromkeys(r["pair"] for r in rows))


SUMMARY_COLUMNS = ("method", "delta_e2000", "psnr", "ssim", "colourfulness_ratio", "lightness_error",
                   "beats_gray", "seconds")


def summarise(rows: list[dict]) -> list[dict]:
    """One row per method: the mean of every metric over the pairs, `beats_gray` ("k/n": pairs where its ΔE2000
    is below the gray input's), sorted by mean ΔE2000 (best first)."""
    gray = {r["pair"]: r["delta_e2000"] for r in rows if r["method"] == "gray"}
    out = []
    for name in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == name]
        row = {"method": name, "pairs": len(mine)}
        for key in METRICS + ("seconds",):
            vals = [r[key] for r in mine if key in r and r[key] is not None]
            row[key] = float(np.nanmean(vals)) if vals and not all(math.isnan(v) for v in vals) else float("nan")
        wins = [r["delta_e2000"] < gray[r["pair"]] for r in mine if r["pair"] in gray]
        row["beats_gray"] = f"{sum(wins)}/{len(wins)}" if gray else ""
        row["diverged"] = sum(r.get("status") == "diverged" for r in mine)
        out.append(row)
    return sorted(out, key=lambda r: (math.isnan(r["delta_e2000"]), r["delta_e2000"]))


def write_csv(rows: list[dict], path) -> str:
    """Rows (dicts) to CSV atomically; columns in first-seen order."""
    cols = list(dict.fromkeys(k for r in rows for k in r))
    with atomic_write(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
    return os.fspath(path)


def read_csv(path) -> list[dict]:
    """evaluation.csv back as rows, numbers as floats."""
    def conv(v):
        try:
            return float(v)
        except ValueError:
            return v
    with open(path, newline="", encoding="utf-8") as fh:
        return [{k: conv(v) for k, v in r.items()} for r in csv.DictReader(fh)]


def pivot(rows: list[dict], metric: str = "delta_e2000") -> list[dict]:
    """One row per pair, one column per method, holding `metric` (for markdown_table)."""
    out = {}
    for r in rows:
        out.setdefault(r["pair"], {"pair": r["pair"]})[r["method"]] = r[metric]
    return list(out.values())


def markdown_table(rows: list[dict], columns, digits: int = 2) -> str:
    """A GitHub markdown table of `columns` of `rows` (floats rounded to `digits`)."""
    def fmt(v):
        return f"{v:.{digits}f}" if isinstance(v, float) else str(v)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def plot_summary(rows: list[dict]):
    """Figure: mean ΔE2000 (x, lower is better) against colourfulness ratio (y, 1 = as colourful as the truth)
    per method, each pair as a faint dot of the same colour."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    cmap = plt.get_cmap("tab10")
    for k, row in enumerate(summarise(rows)):
        mine = [r for r in rows if r["method"] == row["method"]]
        c = cmap(k % 10)
        ax.scatter([r["delta_e2000"] for r in mine], [r["colourfulness_ratio"] for r in mine], color=c, alpha=0.3, s=14)
        ax.scatter([row["delta_e2000"]], [row["colourfulness_ratio"]], color=c, s=70, edgecolor="k",
                   label=f"{row['method']} ({row['delta_e2000']:.2f})")
    ax.axhline(1.0, color="0.6", lw=0.8, ls="--")
    ax.set_xlabel("CIEDE2000 ΔE to the true colours (lower is better)")
    ax.set_ylabel("colourfulness / truth's (1 = as colourful)")
    ax.set_title("Methods on the ground-truth pairs (big dot = mean)")
    ax.legend(fontsize=8, title="method (mean ΔE)", title_fontsize=8)
    fig.tight_layout()
    return fig


def plot_examples(outputs: dict, pairs: list, methods: list):
    """Figure: one row per pair, one column per entry of `methods` (outputs[pair, method] images)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    cols = len(methods)
    fig, axes = plt.subplots(len(pairs), cols, figsize=(1.5 * cols, 1.1 * len(pairs) + 0.4), squeeze=False)
    for i, p in enumerate(pairs):
        for j, m in enumerate(methods):
            ax = axes[i][j]
            ax.imshow(np.clip(outputs[p, m], 0, 1))
            ax.set_xticks([]), ax.set_yticks([])
            if i == 0:
                ax.set_title(m.replace("+", "+\n"), fontsize=7)
            if j == 0:
                ax.set_ylabel(p.split("<-")[0], fontsize=7)
    fig.tight_layout()
    return fig


def save_figure(fig, path) -> str:
    """Save a matplotlib figure as PNG atomically, then close it."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    with atomic_write(path, "wb") as fh:
        fh.write(buf.getvalue())
    return os.fspath(path)


def evaluate_retrieval(profile: str = "quick", device="auto", seed: int = 0, output_dir="results",
                       method: str = CHEAP_METHOD, verbose: bool = True) -> list[dict]:
    """For each ukiyo-e pair: rank all other prints of the data set for its grayscaled content; does the top one
    equal the designated partner, and does `method` coloured with it give a ΔE2000 as low as with the partner?
    Writes retrieval.csv and retrieval.json (with the top-1 agreement and the as-good rate)."""
    prof = profiles.profile(profile)
    size, iterations = prof["size"], prof["iterations"]
    if method not in registered_methods():
        raise ColorkitError(f"unknown method {method!r}; registered: {', '.join(METHODS)}")
    files = [f for f in data.manifest()]
    paths = {f: data.find(f) for f in files}
    rows = []
    for i, row in enumerate(data.pairs()):
        p = data.load_pair(i)
        truth = images.resize(p["truth"], size)
        gray = color.to_gray(truth)
        cands = [paths[f] for f in files if f != row["content"]]
        ranking = retrieval.rank(color.to_gray(p["truth"]), cands, device=device)
        names = [os.path.basename(path) for path, _ in ranking]
        top = names[0]

        def delta_e(style_file):
            style = images.resize(images.load(paths[style_file]), size)
            pred = METHODS[method](gray, style, size=size, iterations=iterations, seed=seed, device=device)
            return metrics.delta_e2000(pred, truth)

        de_designated = delta_e(row["style"])
        de_retrieved = de_designated if top == row["style"] else delta_e(top)
        rows.append(dict(content=row["content"], designated=row["style"], retrieved=top,
                         top1_agree=top == row["style"], designated_rank=names.index(row["style"]) + 1,
                         candidates=len(names), score_retrieved=ranking[0][1],
                         score_designated=ranking[names.index(row["style"])][1], method=method,
                         delta_e_designated=de_designated, delta_e_retrieved=de_retrieved,
                         as_good=de_retrieved <= de_designated))
        if verbose:
            print(f"{row['content']:38s} retrieved {top:38s} (partner ranked {rows[-1]['designated_rank']:2d}) "
                  f"{method} ΔE {de_retrieved:5.2f} vs partner {de_designated:5.2f}", flush=True)
    write_csv(rows, os.path.join(output_dir, "retrieval.csv"))
    write_json(_finite(dict(profile=profile, size=size, seed=seed, method=method,
                            descriptor_layers=list(retrieval.LAYERS), descriptor_size=retrieval.SIZE,
                            **retrieval_summary(rows), rows=rows, versions=versions())),
               os.path.join(output_dir, "retrieval.json"))
    return rows


def retrieval_summary(rows: list[dict]) -> dict:
    """top1_agreement and as_good_rate (fractions), mean designated rank, mean ΔE with partner / retrieved."""
    n = len(rows)
    return dict(n=n, top1_agreement=sum(r["top1_agree"] for r in rows) / n,
                as_good_rate=sum(r["as_good"] for r in rows) / n,
                mean_designated_rank=float(np.mean([r["designated_rank"] for r in rows])),
                mean_delta_e_designated=float(np.mean([r["delta_e_designated"] for r in rows])),
                mean_delta_e_retrieved=float(np.mean([r["delta_e_retrieved"] for r in rows])))


def verdict(rows: list[dict], retrieval_rows: list[dict] | None = None, method: str = "paper") -> str:
    """A few sentences computed from the numbers: where `method` stands against the gray input and the baselines."""
    summary = {r["method"]: r for r in summarise(rows)}
    order = list(summary)
    lines = [f"Ranking by mean ΔE2000 (lower is better): " +
             ", ".join(f"{m} {summary[m]['delta_e2000']:.2f}" for m in order) + "."]
    if method in summary and "gray" in summary:
        me, gray = summary[method], summary["gray"]
        better = me["delta_e2000"] < gray["delta_e2000"]
        lines.append(f"The {method} method is {'better' if better else 'WORSE'} than leaving the image gray "
                     f"({me['delta_e2000']:.2f} vs {gray['delta_e2000']:.2f}; lower on {me['beats_gray']} pairs), "
                     f"with {me['colourfulness_ratio']:.2f}x the true colourfulness.")
        base = [m for m in ("reinhard", "welsh") if m in summary]
        if base:
            best = min(base, key=lambda m: summary[m]["delta_e2000"])
            gap = me["delta_e2000"] - summary[best]["delta_e2000"]
            lines.append(f"The best classical baseline, {best} ({summary[best]['delta_e2000']:.2f}), is "
                         + (f"better than {method} by {gap:.2f} ΔE." if gap > 0 else
                            f"worse than {method} by {-gap:.2f} ΔE."))
        its = rows[0].get("iterations")
        if its is not None and its < 1000:
            lines.append(f"This profile runs {int(its)} iterations at {int(rows[0]['size'])} px (the paper: 1000 at "
                         "512 px); the paper preset starts from noise, so these numbers may be of an unconverged "
                         "optimisation.")
    if retrieval_rows:
        s = retrieval_summary(retrieval_rows)
        lines.append(f"Retrieval picked the designated partner for {round(s['top1_agreement'] * s['n'])}/{s['n']} "
                     f"ukiyo-e contents (top-1 agreement {s['top1_agreement']:.0%}); its pick gave a ΔE as low or "
                     f"lower with {retrieval_rows[0]['method']} in {round(s['as_good_rate'] * s['n'])}/{s['n']} "
                     f"(mean {s['mean_delta_e_retrieved']:.2f} vs {s['mean_delta_e_designated']:.2f} with the "
                     f"partner).")
    return "\n".join(lines)


def _finite(obj):
    """JSON has no NaN/Inf: such floats become None (the CSV keeps them as nan/inf)."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def _slug(name: str) -> str:
    """A file-name-safe version of a pair or method name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name.replace("<-", "_from_"))
