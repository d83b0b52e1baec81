"""benchmarks/speed.py's throughput section: our iterations, timed inside colorize() itself, taking turns with
pastiche's iterations and the fp32/bf16 matmul roofline, round by round, so the machine's load hits all alike.

Nothing of colorize() is rebuilt here. Our iteration times come from an on_step clock (the end of one iteration to
the end of the next), FLOPs per iteration from torch.utils.flop_counter around two colorize() calls that differ
by one iteration, and `--compile` runs the same colorize() with its cached feature extractor swapped for a
torch.compile'd one (benchmark-only; see compiled_features)."""
from __future__ import annotations

import contextlib
import itertools
import math
import os
import statistics
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

import colorlib.paper.colorize as colorize_module
from colorlib import Config, images
from colorlib.paper.colorize import colorize


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


# ------------------------------------------------------------------------------------- torch.compile, opt-in
_COMPILED: dict = {}  # id(cached FeatureExtractor) -> its compiled wrapper, reused across colorize() calls


class CompiledFeatures:
    """A cached FeatureExtractor whose differentiable calls (the ones inside the loop) run torch.compile'd
    (inductor); calls without autograd (the targets, the final losses) run eagerly, so they add no graphs.
    Everything else (to_input, to_rgb, …) is the wrapped extractor's own."""

    def __init__(self, net):
        self.net = net
        self.compiled = torch.compile(net, backend="inductor", dynamic=False)  # wraps; `net` itself unchanged

    def __call__(self, x):
        return self.compiled(x) if torch.is_grad_enabled() and x.requires_grad else self.net(x)

    def __getattr__(self, name):
        return getattr(self.net, name)


@contextlib.contextmanager
def compiled_features():
    """colorize() as it is, except that the extractor it looks up is wrapped in CompiledFeatures. Raises if
    colorize() did not look it up (the swap would then silently measure the eager path)."""
    torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, 64)  # sizes × precisions
    original, calls = colorize_module.extractor, []

    def wrapped(*args, **kwargs):
        net = original(*args, **kwargs)
        calls.append(1)
        return _COMPILED.setdefault(id(net), CompiledFeatures(net))

    colorize_module.extractor = wrapped
    try:
        yield
    finally:
        colorize_module.extractor = original
    if not calls:
        raise RuntimeError("colorize() no longer calls colorlib.paper.colorize.extractor: --compile measured nothing")


# ------------------------------------------------------------------------------------- the runners
class Ours:
    """Our iterations: each block is one colorize() call of block + 1 iterations; an on_step clock stamps the end
    of every iteration, so a block gives `block` iteration times (the first iteration, which also fixes the
    gradient scale, is never timed; nor is colorize()'s set-up before it or its final evaluation after)."""

    def __init__(self, pair, config: Config, device, compiled: bool = False):
        self.pair, self.config, self.device, self.compiled = pair, config, device, compiled
        self.last = None  # the last block's Result

    def block(self, n: int) -> list:
        stamps = []

        def on_step(state):
            sync(self.device)
            stamps.append(time.perf_counter())

        with compiled_features() if self.compiled else contextlib.nullcontext():
            self.last = colorize(self.pair["content"], self.pair["style"], self.config.replace(iterations=n + 1),
                                 on_step=on_step)
        return [b - a for a, b in itertools.pairwise(stamps)]


def pastiche_layer(name: str) -> str:
    """Our layer name -> pastiche's: relu4_2 -> block4_relu2."""
    kind, rest = name[:4], name[4:]
    block, index = rest.split("_")
    return f"block{block}_{kind}{index}"


class Pastiche:
    """pastiche's own optimisation (PasticheArtist.draw() = one L-BFGS iteration) at our size and layers, from the
    same gray content and style images; one artist for the whole run (its L-BFGS memory carries on)."""

    def __init__(self, pair, config: Config, device, folder):
        from pastiche.pastiche import PasticheArtist

        paths = {k: images.save(pair[k], os.path.join(folder, f"{k}_{config.size}.png")) for k in ("content", "style")}
        self.artist = PasticheArtist(paths["content"], [paths["style"]], size=config.size, style_size=config.size,
                                     device=str(device),
                                     content_layers=[pastiche_layer(l) for l in config.content_layers],
                                     style_layers=[pastiche_layer(l) for l in config.style_layers])
        self.device = device

    def block(self, n: int) -> list:
        return [_timed(self.artist.draw, self.device) for _ in range(n)]


class Matmul:
    """The roofline: an n × n matmul in the given dtype (2 n³ FLOPs)."""

    def __init__(self, n, dtype, device):
        gen = torch.Generator().manual_seed(0)
        self.a = torch.randn(n, n, generator=gen).to(device, dtype)
        self.b = torch.randn(n, n, generator=gen).to(device, dtype)
        self.flops, self.device = 2 * n**3, device

    def block(self, n: int) -> list:
        return [_timed(lambda: torch.mm(self.a, self.b), self.device) for _ in range(n)]


def _timed(fn, device) -> float:
    sync(device)
    t = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - t


def interleaved(runners: dict, timed: int, block: int) -> dict:
    """Seconds per iteration for each runner: one untimed warm-up block each, then rounds in which every runner
    runs one block of `block` steps in turn, until each has `timed` timed steps."""
    out = {k: dict(warmup_seconds=0.0, all=[]) for k in runners}
    for name, runner in runners.items():
        t = time.perf_counter()
        runner.block(1)
        out[name]["warmup_seconds"] = round(time.perf_counter() - t, 3)
    for _ in range(math.ceil(timed / block)):
        for name, runner in runners.items():
            out[name]["all"] += runner.block(block)
    for v in out.values():
        v.update(median=statistics.median(v["all"]), best=min(v["all"]), all=[round(s, 5) for s in v["all"]])
    return out


def flops_per_iteration(pair, config: Config) -> int:
    """FLOPs of one iteration of colorize()'s loop: FlopCounterMode around colorize() with 2 iterations minus
    with 1 (set-up and final evaluation are the same in both). Conv input-gradients and the Gram mm's count;
    autocast does not change the count, so this holds for bf16 too."""
    counts = []
    for n in (1, 2):
        with FlopCounterMode(display=False) as counter:
            colorize(pair["content"], pair["style"], config.replace(iterations=n))
        counts.append(counter.get_total_flops())
    return counts[1] - counts[0]


# ------------------------------------------------------------------------------------- the section
def throughput(args, device, pair, folder) -> list:
    """Per size: GFLOP/s of our fp32 and bf16 iterations (and compiled, with --compile) against the same-run
    matmul roofline, pastiche's s/it at equal size, layers and steps, and ours/pastiche."""
    rows = []
    for size in args.sizes:
        config = Config.from_preset("paper", size=size, device=str(device))
        variants = [("fp32", False), ("bf16", False)] + ([("fp32", True), ("bf16", True)] if args.compile else [])
        runners = {_key(p, c): Ours(pair, config.replace(precision=p), device, c) for p, c in variants}
        runners["matmul_fp32"] = Matmul(args.matmul, torch.float32, device)
        runners["matmul_bf16"] = Matmul(args.matmul, torch.bfloat16, device)
        if size in args.pastiche_sizes:
            runners["pastiche"] = Pastiche(pair, config, device, folder)
        flops = flops_per_iteration(pair, config)
        t = interleaved(runners, args.timed, min(args.block, args.timed))
        peak = {p: runners[f"matmul_{p}"].flops / t[f"matmul_{p}"]["best"] / 1e9 for p in ("fp32", "bf16")}
        row = dict(size=size, image_hw=list(runners["ours_fp32"].last.image.shape[:2]),
                   gflop_per_iteration=flops / 1e9, seconds=t, roofline_gflops=peak)
        for key in (k for k in runners if k.startswith("ours_")):
            name, s = key[5:], t[key]
            row[f"gflops_{name}"] = dict(median=flops / s["median"] / 1e9, best=flops / s["best"] / 1e9)
            # best iteration against the best matmul: both are "this machine when we got it"
            row[f"fraction_of_roofline_{name}"] = row[f"gflops_{name}"]["best"] / peak[name.split("_")[0]]
        if "pastiche" in t:  # ratios of medians of interleaved steps: < 1 means ours is faster
            row["ratio_to_pastiche"] = {k[5:]: t[k]["median"] / t["pastiche"]["median"]
                                        for k in t if k.startswith("ours_")}
            row["ratio_to_pastiche"]["default"] = row["ratio_to_pastiche"][args.default_precision]
        if args.compile:
            row["compile"] = _compile_summary(runners, t)
        rows.append(row)
        _print_row(row, t, peak)
    return rows


def _key(precision: str, compiled: bool) -> str:
    return f"ours_{precision}" + ("_compiled" if compiled else "")


def _compile_summary(runners, t) -> dict:
    """Per precision: compiled s/it over eager s/it (< 1: compile helps), the compile cost (warm-up difference),
    and the largest relative difference of the loss between the two runs (same seed, same iterations)."""
    out = {}
    for p in ("fp32", "bf16"):
        eager, comp = runners[_key(p, False)].last.history, runners[_key(p, True)].last.history
        out[p] = dict(speedup_ratio=t[_key(p, True)]["median"] / t[_key(p, False)]["median"],
                      compile_seconds=t[_key(p, True)]["warmup_seconds"] - t[_key(p, False)]["warmup_seconds"],
                      max_rel_loss_difference=max(abs(a["total_loss"] - b["total_loss"]) / abs(a["total_loss"])
                                                  for a, b in zip(eager, comp, strict=True)))
    return out


def _print_row(row, t, peak):
    parts = [f"{row['size']:4d} px  {row['gflop_per_iteration']:6.2f} GFLOP/it"]
    for key in (k for k in t if k.startswith("ours_")):
        p = key.split("_")[1]
        parts.append(f"{key[5:]} {t[key]['median']:.4f} s/it ({row[f'gflops_{key[5:]}']['best']:.0f} GFLOP/s = "
                     f"{row[f'fraction_of_roofline_{key[5:]}']:.2f} of {p} matmul {peak[p]:.0f})")
    if "pastiche" in t:
        parts.append(f"pastiche {t['pastiche']['median']:.4f} s/it; ours/pastiche "
                     + " ".join(f"{k} {v:.2f}" for k, v in row["ratio_to_pastiche"].items()))
    for p, c in row.get("compile", {}).items():
        parts.append(f"torch.compile {p}: {c['speedup_ratio']:.2f}× eager s/it, compile {c['compile_seconds']:.0f} s, "
                     f"loss differs ≤ {c['max_rel_loss_difference']:.1e} rel")
    print("\n      ".join(parts), flush=True)
