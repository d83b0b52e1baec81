"""The paper's L-BFGS loop with one whole iteration — forward, backward, the compact step — captured in a CUDA graph
and replayed (lbfgs_form "cuda-graph"). Eager, a 512-px iteration on an H200 waits on Python and kernel launches
(about 5 ms whatever the size, results/gpu/README.md); a replay launches the captured kernels with no Python and no
host sync between them.

The loop keeps optimize()'s contract: the same history rows (losses of the iterate each update started from, β,
seconds), spikes, keep_best and NonFinite, and the image returned is the one the history ends with. The losses
reach the host once per CHUNK iterations when nobody watches (a row's `seconds` is then when its chunk was read);
with an `on_step` hook, after every iteration, as in optimize(): a hook may ask for that iteration's image (the
CLI's --save-every, notebook 00's snapshots, the explorer's preview) or stop the run there."""
from __future__ import annotations

import contextlib
import math
import time

import torch

from colorlib.paper.config import Config
from colorlib.paper.lbfgs_static import StaticLBFGS
from colorlib.paper.optimize import NonFinite, Trace, finish, gradient_scale, is_spike, style_weight_at

CHUNK = 50  # iterations replayed between host reads of the losses, without an on_step hook (with one: 1)
WARMUP = 3  # eager iterations on a side stream before the capture (cuDNN autotuning, autograd's lazy state)
CAPTURE = True  # False: every iteration eager through the same code (benchmarks/cuda_graph.py checks replay = eager)


class GraphedLoop:
    """The loop's device state and one iteration (`body`) that reads and writes only that state."""

    def __init__(self, x: torch.Tensor, objective, config: Config, betas: list):
        dev = x.device
        self.x, self.objective, self.config = x, objective, config
        self.betas = torch.tensor(betas, dtype=torch.float64, device=dev)
        self.it = torch.zeros((), dtype=torch.long, device=dev)  # 0-based iteration the next body runs
        self.alive = torch.ones((), dtype=torch.bool, device=dev)  # no non-finite loss yet
        self.last_finite = x.detach().clone()
        self.lbfgs = StaticLBFGS(x.numel(), x.dtype, dev, config.learning_rate, config.lbfgs_history)
        self.history: torch.Tensor | None = None  # (iterations, 3): total, L_content, L_style
        self.scale = 1.0
        self.best_x = x.detach().clone() if config.keep_best else None
        self.best = torch.tensor([math.inf, math.inf], dtype=torch.float64, device=dev)  # L_content, L_style
        self.best_it = torch.full((), -1, dtype=torch.long, device=dev)

    def body(self, trace: Trace | None = None) -> None:
        """One iteration; `trace` given = the first (host arithmetic allowed: the gradient scale, the first step)."""
        index = self.it.view(1)
        beta = self.betas.index_select(0, index).reshape(())
        with torch.enable_grad():
            total, Lc, Ls = self.objective(self.x, beta)
            (g,) = torch.autograd.grad(total, self.x)
        if trace is not None:
            self.scale = gradient_scale(self.config, g, trace)
            self.history = torch.zeros(len(self.betas), 3, dtype=total.dtype, device=self.x.device)
        assert self.history is not None  # allocated by the first body
        finite = torch.isfinite(total) & self.alive
        self.history.index_copy_(0, index, torch.stack([total.detach(), Lc, Ls]).to(self.history.dtype)[None])
        x = self.x.detach()
        self.last_finite.copy_(torch.where(finite, x, self.last_finite))
        self.alive.copy_(finite)
        if self.best_x is not None:  # optimize()'s _better, weighed with this iteration's β
            alpha, losses = self.config.content_weight, torch.stack([Lc, Ls]).double()
            better = finite & (alpha * losses[0] + beta * losses[1] < alpha * self.best[0] + beta * self.best[1])
            self.best.copy_(torch.where(better, losses, self.best))
            self.best_x.copy_(torch.where(better, x, self.best_x))
            self.best_it.copy_(torch.where(better, self.it, self.best_it))
        self.it.add_(1)
        (self.lbfgs.first_step if trace is not None else self.lbfgs.step)(x, g * self.scale, finite)


def optimize_graphed(x: torch.Tensor, objective, config: Config, beta0: float, on_step=None,
                     trace: Trace | None = None, capture: bool | None = None) -> Trace:
    """optimize() for L-BFGS with every iteration after the WARMUP replayed from one CUDA graph.

    Parameters are optimize()'s; `capture` False runs every iteration eagerly through the same code (what the
    tests do on a CPU), default: capture on CUDA unless CAPTURE is off.
    """
    trace = trace or Trace()
    capture = x.is_cuda and CAPTURE if capture is None else capture
    betas = [style_weight_at(beta0, config.decay, it) for it in range(config.iterations)]
    loop = GraphedLoop(x, objective, config, betas)
    graph: torch.cuda.CUDAGraph | None = None
    side = torch.cuda.Stream() if capture else None
    chunk = CHUNK if on_step is None else 1
    launched = 0
    while launched < config.iterations:
        end = min(launched + chunk, config.iterations)
        try:
            while launched < end:
                if launched == 0:
                    loop.body(trace)
                elif not capture or launched <= WARMUP:
                    if side is not None:
                        side.wait_stream(torch.cuda.current_stream())
                    with torch.cuda.stream(side) if side is not None else contextlib.nullcontext():
                        loop.body()
                    if side is not None:
                        torch.cuda.current_stream().wait_stream(side)
                else:
                    if graph is None:
                        graph = _capture(loop)
                    graph.replay()
                launched += 1
        except KeyboardInterrupt:
            _read_rows(loop, trace, betas, None)
            raise
        if _read_rows(loop, trace, betas, on_step):
            trace.stopped_by_caller = True
            break
    best = None
    if config.keep_best and int(loop.best_it) >= 0:
        assert loop.best_x is not None
        lc, ls = loop.best.tolist()
        best = {"x": loop.best_x, "Lc": lc, "Ls": ls, "it": int(loop.best_it)}
    finish(x, objective, config, trace, best, loop.last_finite)
    return trace


def _capture(loop: GraphedLoop) -> torch.cuda.CUDAGraph:
    """One body captured (not run: the caller replays it)."""
    graph = torch.cuda.CUDAGraph()
    torch.cuda.synchronize()
    with torch.cuda.graph(graph):
        loop.body()
    return graph


def _read_rows(loop: GraphedLoop, trace: Trace, betas: list, on_step) -> bool:
    """Append the rows the device has done since the last read; True if on_step asked to stop.

    Raises NonFinite at the first non-finite loss, with x set back to the last image whose loss was finite."""
    if loop.history is None:  # stopped inside the first iteration: nothing done
        return False
    done = int(loop.it)  # syncs: every launched iteration has run
    rows = loop.history[len(trace.history):done].tolist()
    seconds = round(time.perf_counter() - trace.start, 4)
    stop = False
    for total, Lc, Ls in rows:
        it = len(trace.history)
        if not math.isfinite(total):
            loop.x.data.copy_(loop.last_finite)
            raise NonFinite(total, it + 1)
        if is_spike(trace.history[-1]["total_loss"] if trace.history else None, total):
            trace.spikes.append(it + 1)
        row = dict(content_loss=Lc, style_loss=Ls, total_loss=total, iteration=it + 1, style_weight=betas[it],
                   seconds=seconds)
        trace.history.append(row)
        if on_step is not None and not stop and on_step(row) is False:
            stop = True
    return stop
