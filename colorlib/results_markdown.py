"""Markdown tables and numbers of the committed results, read from their JSON (colorlib/docs_tables.py puts
them into README.md and docs/). TABLES and VALUES map a marker's name to a function of a Results reader; the
JSON key each one shows is named where it is read."""
from __future__ import annotations

import json
from pathlib import Path

from colorlib.errors import ColorkitError

FIGURE1, FIGURE2, ABLATION = "results/figure1.json", "results/figure2.json", "results/figure1_ablation.json"
FIGURE1_GPU = "results/gpu/figure1_paper/figure1.json"
EVALUATION = "results/evaluation.json"


class Results:
    """Reads the JSON files under a repository root, each once, and notes which ones were read."""

    def __init__(self, root):
        self.root, self._cache, self.read_files = Path(root), {}, []

    def __call__(self, rel: str) -> dict:
        self.read_files.append(rel)
        if rel not in self._cache:
            try:
                self._cache[rel] = json.loads((self.root / rel).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ColorkitError(f"{rel}: cannot read it ({getattr(exc, 'strerror', None) or exc}); "
                                    f"`make results` writes it") from None
        return self._cache[rel]


# --- formatting ------------------------------------------------------------------------------------

def table(header: list, rows: list) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def f(value, digits: int = 2) -> str:
    return "–" if value is None or value == "" else f"{float(value):.{digits}f}"


def sci(value) -> str:
    """3179051.0 -> '3.18e6'."""
    mantissa, exponent = f"{float(value):.2e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def power(value) -> str:
    """1000.0 -> '1e3' (a β/α of the sweep)."""
    mantissa, exponent = f"{float(value):.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def pair(name: str) -> str:
    """'18_ejiri<-01_shinagawa' -> '18 Ejiri ← 01 Shinagawa'."""
    return " ← ".join(part.replace("_", " ").title() for part in name.split("<-"))


def station(name: str) -> str:
    """'18_ejiri<-01_shinagawa' -> 'Ejiri'."""
    return name.split("<-")[0].split("_", 1)[-1].replace("_", " ").title()


def schedule(stages) -> str:
    """A multi-resolution schedule (a text, stages with size and iterations, or a dict holding them) as
    '128 px × 200 → …'."""
    if isinstance(stages, dict):
        return schedule(stages["stages"]) if "stages" in stages else ", ".join(f"{k} {v}" for k, v in stages.items())
    if isinstance(stages, (list, tuple)):
        return " → ".join(f"{s.get('size', '?')} px × {s.get('iterations', '?')}" if isinstance(s, dict) else str(s)
                          for s in stages)
    return str(stages)


# --- the paper's figures ---------------------------------------------------------------------------

def figure1(results: Results, source: str = FIGURE1) -> str:
    """columns[*]: structure_ssim, colourfulness_ratio, delta_e2000 (delta_e2000_gray), seconds; summary.mean_*;
    profile, params.size and params.iterations in the header — or, for a multi-resolution run, the stages its
    columns ran (columns[*].schedule: size, iterations_run)."""
    d = results(source)
    params, columns, s = d["params"], d["columns"], d["summary"]
    stages = columns[0].get("schedule") if columns else None
    about = [d.get("profile"), f"{params['size']} px" if params.get("size") else None]
    about += ([schedule([dict(size=st["size"], iterations=st["iterations_run"]) for st in stages])] if stages
              else [f"{params['iterations']} iterations"] if params.get("iterations") is not None else [])
    header = [f"print ← style ({', '.join(str(a) for a in about if a)})", "structure", "colourfulness / truth",
              "ΔE2000 (gray input)"]
    timed = all(isinstance(c.get("seconds"), (int, float)) for c in columns)
    header += ["seconds"] * timed
    rows = [[pair(c["name"]), f(c["structure_ssim"]), f(c["colourfulness_ratio"]),
             f"{f(c['delta_e2000'], 1)} ({f(c['delta_e2000_gray'], 1)})"] + [f(c.get("seconds"), 0)] * timed
            for c in columns]
    rows.append(["mean", f"**{f(s['mean_structure_ssim'])}**", f"**{f(s['mean_colourfulness_ratio'])}**",
                 f"{f(s['mean_delta_e2000'], 1)} ({f(s['mean_delta_e2000_gray'], 1)})"] + [""] * timed)
    return table(header, rows)


def figure1_ablation(results: Results) -> str:
    """variants[*]: label, structure_ssim, colourfulness_ratio, delta_e2000, style_weight_used."""
    d = results(ABLATION)
    rows = [[v["label"], f(v["structure_ssim"]), f(v["colourfulness_ratio"]), f(v["delta_e2000"], 1),
             f"{v['style_weight_used']:.4g}" + (" (its own units)" if v.get("preset") == "neural-style" else "")]
            for v in d["variants"].values()]
    return table([f"reading ({pair(d['pair']['name'])}, {d['profile']})", "structure", "colourfulness / truth",
                  "ΔE2000", "β/α used"], rows)


def figure2(results: Results) -> str:
    """variants[*]: label, total_loss, structure_ssim, colourfulness_ratio, delta_e2000, spike_count."""
    d = results(FIGURE2)
    rows = [[v["label"], sci(v["total_loss"]), f(v["structure_ssim"]), f(v["colourfulness_ratio"]),
             f(v["delta_e2000"], 1), v["spike_count"]] for v in d["variants"].values()]
    return table([f"panel ({pair(d['pair']['name'])}, {d['profile']}, {d['params']['size']} px)", "total loss",
                  "structure", "colourfulness / truth", "ΔE2000", "loss spikes"], rows)


def figure2_sgd(results: Results) -> str:
    """sgd_lr_sweep.runs[*]: step, lr, final_total_loss or diverged, chosen."""
    sweep = results(FIGURE2)["sgd_lr_sweep"]
    rows = [[r["step"], f"{r['lr']:.3g}", sci(r["final_total_loss"]) if r["final_total_loss"] is not None
             else str(r["diverged"]).replace("optimisation ", ""), "**chosen**" if r["chosen"] else ""]
            for r in sweep["runs"]]
    return table(["first mean pixel step", "lr", f"total loss after {sweep['iterations']} iterations", ""], rows)


def verdict(source: str, until: str | None = None):
    """The verdict a notebook computed and stored (`verdict`), up to `until` if given."""
    def value(results: Results) -> str:
        text = results(source)["verdict"]
        return text.split(until)[0] if until else text
    return value


# --- evaluation and the exemplar method ---------------------------------------------------------------

METHODS = {  # evaluation method -> how the tables name it; a method not here is shown by its name
    "best": "**`best`** (the kit's exemplar method, retrieved voters)",
    "best-chroma-match": "`best` without chroma matching",
    "best-local-linear": "`best` without the local linear fit",
    "best-luminance": "`best` without the luminance term",
    "best-1ref": "`best-1ref` (designated reference only)",
    "reinhard-pooled": "Reinhard pooled over the same references as `best`",
    "reinhard": "Reinhard et al. 2001",
    "best+paper": "`best-1ref`, then iterations of the paper's equations",
    "welsh": "Welsh et al. 2002",
    "gray": "gray input",
    "neural-style": "**the paper as run** (`neural-style`, noise start)",
    "paper": "the paper's equations (`paper`)",
    "paper-preReLU": "`paper-preReLU`",
}


def label(method: str) -> str:
    return METHODS.get(method, f"`{method}`")


def evaluation(results: Results) -> str:
    """summary[*] (sorted by ΔE2000 already): delta_e2000, psnr, ssim, structure_ssim, colourfulness_ratio,
    lightness_error, beats_gray; profile, size, iterations and the pairs in the header."""
    d = results(EVALUATION)
    rows = [[label(r["method"]), f(r["delta_e2000"]), f(r["psnr"]), f(r["ssim"]), f(r["structure_ssim"]),
             f(r["colourfulness_ratio"]), f(r["lightness_error"], 1), r["beats_gray"]] for r in d["summary"]]
    return table([f"method ({len(d['pairs'])} pairs, {d['profile']}: {d['size']} px, {d['iterations']} iterations)",
                  "ΔE2000 ↓", "PSNR", "SSIM", "structure", "colourfulness / truth", "L* error", "beats gray"], rows)
