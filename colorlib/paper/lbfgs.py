"""L-BFGS in compact form: the step torch.optim.LBFGS takes as the paper's loop uses it (max_iter=1, one
evaluation, no line search, m stored pairs; colorlib.paper.optimize), with its two-loop recursion replaced by the
compact representation of the inverse Hessian (Byrd, Nocedal & Schnabel 1994, eq. 3.1):

    H = γI + [S γY] [[R⁻ᵀ(D + γYᵀY)R⁻¹, −R⁻ᵀ], [−R⁻¹, 0]] [Sᵀ; γYᵀ],   R = triu(SᵀY), D = diag(SᵀY),

equal in exact arithmetic. The two-loop recursion makes 2m dot products whose scalars reach torch as Python
numbers (`alpha=`), one host sync each: on a GPU with m = 100 that is most of an iteration once the history is
full (results/gpu/README.md). Here an iteration is three matrix-vector products over the stored pairs, two
m×m triangular solves and two syncs (the curvature test, the descent test), as in torch's code."""
from __future__ import annotations

import torch

from colorlib.errors import ColorkitError

FORMS = ("auto", "two-loop", "compact", "cuda-graph")


def resolve_form(form: str, device: torch.device) -> str:
    """auto = cuda-graph on CUDA (the compact step with the whole iteration replayed from a CUDA graph,
    colorlib/paper/graphed.py), two-loop (torch.optim.LBFGS) elsewhere."""
    if form == "auto":
        return "cuda-graph" if device.type == "cuda" else "two-loop"
    if form == "cuda-graph" and device.type != "cuda":
        raise ColorkitError(f"lbfgs_form 'cuda-graph' needs a CUDA device; this run is on {device.type}")
    return form


class CompactLBFGS(torch.optim.Optimizer):
    """One L-BFGS iteration per step(closure) on a single tensor, as torch.optim.LBFGS(max_iter=1, max_eval=1,
    line_search_fn=None, tolerance_grad<0): the first step is −g scaled by min(1, 1/|g|₁)·lr, later steps lr·d;
    pairs with sᵀy ≤ 1e-10 are skipped; no update where gᵀd > −tolerance_change."""

    def __init__(self, params, lr: float = 1.0, history_size: int = 100, tolerance_change: float = -1.0):
        super().__init__(params, dict(lr=lr, history_size=history_size, tolerance_change=tolerance_change))
        if len(self.param_groups) != 1 or len(self.param_groups[0]["params"]) != 1:
            raise ValueError("CompactLBFGS optimises exactly one tensor")
        self._x = self.param_groups[0]["params"][0]
        self._pairs: torch.Tensor | None = None  # (2m, n): rows 0..m-1 hold s, rows m..2m-1 hold y, slot by slot
        self._order: list[int] = []  # slots, oldest pair first
        self._sy: torch.Tensor | None = None  # (m, m) float64: s_i·y_j by slot
        self._yy: torch.Tensor | None = None  # (m, m) float64: y_i·y_j by slot
        self._gamma = 1.0  # H_diag: sᵀy / yᵀy of the newest accepted pair
        self._d: torch.Tensor | None = None
        self._t: float | None = None
        self._prev_g: torch.Tensor | None = None

    @torch.no_grad()
    def step(self, closure):
        group = self.param_groups[0]
        with torch.enable_grad():
            loss = closure()
        g = self._x.grad.reshape(-1).clone()  # torch's _gather_flat_grad copies too
        if self._prev_g is None:
            d = g.neg()
            t = min(1.0, 1.0 / float(g.abs().sum())) * group["lr"]
        else:
            self._remember(self._d.mul(self._t), g.sub(self._prev_g), group["history_size"])
            d = self._direction(g)
            t = group["lr"]
        self._prev_g, self._d, self._t = g, d, t
        if float(g.dot(d)) <= -group["tolerance_change"]:  # else not a descent direction: torch takes no step
            self._x.add_(d.view_as(self._x), alpha=t)
        return loss

    def _remember(self, s: torch.Tensor, y: torch.Tensor, m: int) -> None:
        """Store the pair (s, y) if it passes torch's curvature test, dropping the oldest beyond m."""
        ys = float(y.dot(s))
        if ys <= 1e-10:
            return
        if self._pairs is None:
            self._pairs = torch.zeros(2 * m, s.numel(), dtype=s.dtype, device=s.device)
            self._sy = torch.zeros(m, m, dtype=torch.float64, device=s.device)
            self._yy = torch.zeros(m, m, dtype=torch.float64, device=s.device)
        assert self._sy is not None and self._yy is not None  # allocated with _pairs
        slot = len(self._order) if len(self._order) < m else self._order.pop(0)
        self._pairs[slot], self._pairs[m + slot] = s, y
        self._order.append(slot)
        products = torch.mv(self._pairs, y).double()  # s_i·y and y_i·y for every slot
        self._sy[:, slot] = products[:m]  # column of the newest y; its row is never read (R is upper-triangular)
        self._yy[:, slot] = products[m:]
        self._yy[slot, :] = products[m:]
        self._gamma = ys / float(products[m + slot])

    def _direction(self, g: torch.Tensor) -> torch.Tensor:
        """−H g by the compact representation over the stored pairs in chronological order."""
        if not self._order:
            return g.neg().mul_(self._gamma)
        assert self._pairs is not None and self._sy is not None and self._yy is not None  # _remember stored a pair
        m = self._sy.shape[0]
        idx = torch.tensor(self._order, device=g.device)
        gamma = self._gamma
        proj = torch.mv(self._pairs, g).double()  # Sᵀg and Yᵀg by slot
        p_s, p_y = compact_coefficients(proj[idx], gamma * proj[m + idx], self._sy[idx][:, idx],
                                        self._yy[idx][:, idx], gamma)
        coeffs = torch.zeros(2 * m, dtype=torch.float64, device=g.device)
        coeffs[idx] = p_s
        coeffs[m + idx] = p_y
        hg = torch.mv(self._pairs.T, coeffs.to(g.dtype)).add_(g, alpha=gamma)
        return hg.neg_()


def compact_coefficients(a: torch.Tensor, b: torch.Tensor, sy: torch.Tensor, yy: torch.Tensor, gamma,
                         empty: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(p_s, p_y) with H g = γg + S p_s + Y p_y, from a = Sᵀg, b = γYᵀg, sy = SᵀY and yy = YᵀY over the pairs in
    chronological order (float64). `empty` marks slots holding no pair (all zeros): a 1 on R's diagonal keeps R
    invertible and they get 0 (colorlib/paper/lbfgs_static.py)."""
    R = torch.triu(sy) if empty is None else torch.triu(sy) + torch.diag(empty.double())
    u = torch.linalg.solve_triangular(R, a[:, None], upper=True)  # R⁻¹ Sᵀg
    w = (torch.diag(sy)[:, None] * u) + gamma * (yy @ u) - b[:, None]
    p_s = torch.linalg.solve_triangular(R.T, w, upper=False)[:, 0]  # R⁻ᵀ((D + γYᵀY)R⁻¹Sᵀg − γYᵀg)
    return p_s, -gamma * u[:, 0]
