"""The compact L-BFGS (colorlib/paper/lbfgs.py) takes torch.optim.LBFGS's step, as the paper's loop uses it."""
import numpy as np
import pytest
import torch

from colorlib import ColorkitError, Config, colorize
from colorlib.evaluation import metrics
from colorlib.paper.lbfgs import CompactLBFGS, resolve_form


def _trajectory(make, steps=60, n=300):
    """Iterates of `make([x])` on a convex quadratic plus a quartic, float64, from 0."""
    gen = torch.Generator().manual_seed(0)
    A = torch.randn(n, n, generator=gen, dtype=torch.float64)
    A = A @ A.T / n + 0.1 * torch.eye(n, dtype=torch.float64)
    b = torch.randn(n, generator=gen, dtype=torch.float64)
    x = torch.zeros(n, dtype=torch.float64, requires_grad=True)
    opt, path = make(x), []
    for _ in range(steps):
        def closure():
            opt.zero_grad()
            loss = 0.5 * x @ A @ x - b @ x + 0.05 * (x**4).sum()
            loss.backward()
            return loss
        opt.step(closure)
        path.append(x.detach().clone())
    return torch.stack(path)


@pytest.mark.parametrize("history", [5, 100])  # 5: the oldest pairs are dropped (60 steps); 100: never
def test_compact_form_takes_the_same_steps_as_torch_lbfgs(history):
    torch_path = _trajectory(lambda x: torch.optim.LBFGS([x], lr=1, max_iter=1, max_eval=1, history_size=history,
                                                         tolerance_grad=-1, tolerance_change=-1))
    compact_path = _trajectory(lambda x: CompactLBFGS([x], lr=1, history_size=history))
    assert torch.allclose(compact_path, torch_path, rtol=1e-9, atol=1e-9)
    assert (torch_path[-1] - torch_path[10]).abs().max() > 1e-3  # it moved: the comparison means something


def test_compact_form_in_the_paper_loop_matches_the_two_loop_on_a_cpu(motorcycle):
    cfg = Config(size=48, iterations=20, seed=0)
    two_loop = colorize(motorcycle["content"], motorcycle["style"], cfg.replace(lbfgs_form="two-loop"))
    compact = colorize(motorcycle["content"], motorcycle["style"], cfg.replace(lbfgs_form="compact"))
    assert (two_loop.run["lbfgs_form"], compact.run["lbfgs_form"]) == ("two-loop", "compact")
    losses = np.array([[r["total_loss"] for r in run.history] for run in (two_loop, compact)])
    # fp32 rounding differs between the two forms and, as with a thread-count change, grows over the iterations
    # (docs/performance.md, "Precision"): the first ten agree closely, the twentieth within a few percent
    assert np.allclose(losses[1, :10], losses[0, :10], rtol=1e-4)
    assert np.allclose(losses[1, -1], losses[0, -1], rtol=0.05) and losses[0, -1] < 0.2 * losses[0, 0]
    assert metrics.delta_e2000(compact.image, two_loop.image) < 2.0


def test_auto_form_is_torch_s_on_a_cpu_and_bad_forms_are_refused():
    assert resolve_form("auto", torch.device("cpu")) == "two-loop"  # on CUDA: tests/test_graphed.py
    assert Config().lbfgs_form == "auto"
    with pytest.raises(ColorkitError, match="lbfgs_form"):
        Config(lbfgs_form="three-loop").validate()
