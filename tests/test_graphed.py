"""The CUDA-graph loop (colorlib/paper/graphed.py, colorlib/paper/lbfgs_static.py) keeps optimize()'s contract.

On a CPU the loop runs every iteration eagerly through the code a GPU captures (capture=False), so these tests
check its steps, rows, stops and errors against optimize() with the compact L-BFGS, in float64 where the two
must agree to rounding. That a replayed graph takes the same steps as eager is checked on a GPU by
benchmarks/cuda_graph.py (results/gpu/cuda_graph.json)."""
import numpy as np
import pytest
import torch

from colorlib import ColorkitError, Config
from colorlib.paper import graphed
from colorlib.paper.graphed import optimize_graphed
from colorlib.paper.lbfgs import resolve_form
from colorlib.paper.lbfgs_static import StaticLBFGS
from colorlib.paper.optimize import NonFinite, optimize

N = 200


def make_objective(blow_up_at: float | None = None, interrupt_at: int | None = None):
    """A non-convex stand-in for the paper's objective over a float64 'image': L_content = ½|x − p|², L_style =
    Σ(1.5 + cos 3x)·w; with blow_up_at, the total becomes Inf once max|x| exceeds it."""
    gen = torch.Generator().manual_seed(1)
    p, w = torch.randn(N, generator=gen, dtype=torch.float64), torch.rand(N, generator=gen, dtype=torch.float64)
    calls = [0]

    def objective(x, beta):
        calls[0] += 1
        if interrupt_at is not None and calls[0] == interrupt_at:
            raise KeyboardInterrupt
        Lc = 0.5 * ((x.reshape(-1) - p) ** 2).sum()
        Ls = ((1.5 + torch.cos(3 * x.reshape(-1))) * w).sum()
        total = Lc + beta * Ls
        if blow_up_at is not None:
            total = total + torch.where(x.abs().max() > blow_up_at, torch.inf, 0.0)
        return total, Lc.detach(), Ls.detach()

    return objective


def run(loop, config, objective=None, on_step=None):
    x = torch.zeros(1, N, dtype=torch.float64, requires_grad=True)
    kwargs = dict(capture=False) if loop is optimize_graphed else {}
    trace = loop(x, objective or make_objective(), config, 4.0, on_step, **kwargs)
    return x.detach(), trace


def rows(trace):
    return np.array([[r[k] for k in ("total_loss", "content_loss", "style_loss", "style_weight", "iteration")]
                     for r in trace.history])


CONFIG = Config(iterations=130, lbfgs_history=5, lbfgs_form="compact", decay=0.0025)


@pytest.mark.parametrize("keep_best", [False, True])
def test_the_graph_loop_takes_optimize_s_steps_and_rows(keep_best):
    cfg = CONFIG.replace(keep_best=keep_best)
    (x_eager, eager), (x_graph, graph) = run(optimize, cfg), run(optimize_graphed, cfg)
    assert len(graph.history) == cfg.iterations > graphed.CHUNK * 2
    # float64; the forms sum in another order, and a non-convex path grows that (here to ~1e-9 relative)
    assert np.allclose(rows(graph), rows(eager), rtol=1e-6, atol=1e-9)
    assert torch.allclose(x_graph, x_eager, rtol=1e-6, atol=1e-8)
    assert (graph.spikes, graph.best_iteration, graph.gradient_scale) == \
        (eager.spikes, eager.best_iteration, eager.gradient_scale)
    assert rows(eager)[-1, 0] < 0.5 * rows(eager)[0, 0]  # it moved: the comparison means something


def test_a_non_finite_loss_stops_both_loops_at_the_same_iteration_with_the_same_image():
    errors, images = [], []
    for loop in (optimize, optimize_graphed):
        x = torch.zeros(1, N, dtype=torch.float64, requires_grad=True)
        with pytest.raises(NonFinite) as info:
            loop(x, make_objective(blow_up_at=1.2), CONFIG, 4.0, None,
                 **(dict(capture=False) if loop is optimize_graphed else {}))
        errors.append(info.value.iteration)
        images.append(x.detach())
    assert errors[0] == errors[1] > 1
    assert torch.allclose(images[0], images[1], rtol=1e-6, atol=1e-8) and bool(torch.isfinite(images[1]).all())


def test_with_a_hook_every_row_is_read_at_once_so_a_stop_ends_the_run_there():
    """A hook may ask for the image of the iteration it is shown, or stop there: the loop then reads every
    iteration's losses as it happens (without one, CHUNK at a time)."""
    asked, images = [], []

    def hook(row):
        asked.append(row["iteration"])
        images.append(x_seen[0].detach().clone())
        return len(asked) < 7

    x_seen = []
    x = torch.zeros(1, N, dtype=torch.float64, requires_grad=True)
    x_seen.append(x)
    stopped = optimize_graphed(x, make_objective(), CONFIG, 4.0, hook, capture=False)
    x_eager = torch.zeros(1, N, dtype=torch.float64, requires_grad=True)
    eager_images = []
    optimize(x_eager, make_objective(), CONFIG, 4.0, lambda row: eager_images.append(x_eager.detach().clone())
             or len(eager_images) < 7)
    assert stopped.stopped_by_caller and asked == list(range(1, 8)) and len(stopped.history) == 7
    assert all(torch.allclose(a, b, rtol=1e-9, atol=1e-12) for a, b in zip(images, eager_images, strict=True))
    assert torch.allclose(x.detach(), x_eager.detach(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("at", [1, 61])  # inside the first iteration, and in the second chunk
def test_ctrl_c_keeps_the_rows_of_the_iterations_done(at):
    for loop in (optimize, optimize_graphed):
        x = torch.zeros(1, N, dtype=torch.float64, requires_grad=True)
        trace = graphed.Trace()
        with pytest.raises(KeyboardInterrupt):
            loop(x, make_objective(interrupt_at=at), CONFIG, 4.0, None, trace,
                 **(dict(capture=False) if loop is optimize_graphed else {}))
        assert len(trace.history) == at - 1


@pytest.mark.parametrize("history", [5, 100])  # 5: the ring wraps; 100: it never fills
def test_the_static_step_is_torch_s_lbfgs_step_and_skips_the_pairs_torch_skips(history):
    """Non-convex: some (s, y) fail sᵀy > 1e-10 and are not stored, as in torch's L-BFGS."""
    objective = make_objective()
    paths = []
    for static in (False, True):
        x = torch.zeros(N, dtype=torch.float64, requires_grad=True)
        lbfgs = StaticLBFGS(N, torch.float64, torch.device("cpu"), history_size=history)
        reference = torch.optim.LBFGS([x], lr=1, max_iter=1, max_eval=1, history_size=history, tolerance_grad=-1,
                                      tolerance_change=-1)
        path = []
        for it in range(80):
            def closure(x=x, reference=reference):
                reference.zero_grad()
                loss = objective(x, 4.0)[0]
                loss.backward()
                return loss
            if static:
                closure()
                (lbfgs.first_step if it == 0 else lbfgs.step)(x, x.grad)
            else:
                reference.step(closure)
            path.append(x.detach().clone())
        paths.append(torch.stack(path))
    # float64 rounding, grown along a non-convex path to ~3e-5 (CompactLBFGS's own distance from torch's too)
    assert torch.allclose(paths[1], paths[0], rtol=0, atol=1e-3)
    assert (paths[0][-1] - paths[0][10]).abs().max() > 1
    stored = int(lbfgs.count) if history == 100 else None
    assert stored is None or 0 < stored < 79  # some pairs failed the curvature test: that branch ran


def test_auto_is_the_graph_on_cuda_only_and_the_graph_is_refused_elsewhere():
    assert resolve_form("auto", torch.device("cuda")) == "cuda-graph"
    with pytest.raises(ColorkitError, match="needs a CUDA device"):
        resolve_form("cuda-graph", torch.device("cpu"))
