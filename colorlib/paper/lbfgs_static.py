"""The compact L-BFGS step (colorlib/paper/lbfgs.py) with every branch and index kept on the device: fixed-shape
state, no host sync, so one iteration can be captured in a CUDA graph and replayed (colorlib/paper/graphed.py).

What CompactLBFGS decides in Python becomes a mask: the curvature test (sᵀy > 1e-10) chooses whether the new
pair is written, the descent test (gᵀd ≤ −tolerance_change) whether the image moves, and the chronological order of
the stored pairs is a ring (`head` = the oldest slot once full) read through an index tensor. Slots not yet filled
hold zeros and get a 1 on R's diagonal, so they add nothing to H g: the same step as CompactLBFGS, whose
chronological list they replace (tests/test_graphed.py checks the steps against torch.optim.LBFGS)."""
from __future__ import annotations

import torch

from colorlib.paper.lbfgs import compact_coefficients


class StaticLBFGS:
    """L-BFGS over one flat tensor of `numel` values, state in preallocated tensors on `device`.

    `first_step` is the step with no history (host arithmetic allowed: it runs once, uncaptured); every later
    iteration is `step`, which only launches kernels and writes into the state in place."""

    def __init__(self, numel: int, dtype: torch.dtype, device: torch.device, lr: float = 1.0,
                 history_size: int = 100, tolerance_change: float = -1.0):
        m = history_size
        self.m, self.lr, self.tolerance_change = m, lr, tolerance_change
        self.pairs = torch.zeros(2 * m, numel, dtype=dtype, device=device)  # rows 0..m-1: s; m..2m-1: y, by slot
        self.sy = torch.zeros(m, m, dtype=torch.float64, device=device)  # s_i·y_j, written when y_j was stored
        self.yy = torch.zeros(m, m, dtype=torch.float64, device=device)  # y_i·y_j
        self.head = torch.zeros((), dtype=torch.long, device=device)  # the next slot written (oldest once full)
        self.count = torch.zeros((), dtype=torch.long, device=device)  # pairs stored, at most m
        self.gamma = torch.ones((), dtype=torch.float64, device=device)  # sᵀy / yᵀy of the newest pair
        self.d = torch.zeros(numel, dtype=dtype, device=device)  # the last direction
        self.t = torch.zeros((), dtype=dtype, device=device)  # the last step length
        self.prev_g = torch.zeros(numel, dtype=dtype, device=device)
        self._arange = torch.arange(m, device=device)

    @torch.no_grad()
    def first_step(self, x: torch.Tensor, g: torch.Tensor, enabled: torch.Tensor | None = None) -> None:
        """x ← x − t g with t = min(1, 1/|g|₁)·lr, as torch's first L-BFGS iteration."""
        g = g.reshape(-1)
        self.d.copy_(g.neg())
        self.t.fill_(min(1.0, 1.0 / float(g.abs().sum())) * self.lr)
        self.prev_g.copy_(g)
        self._move(x, g, enabled)

    @torch.no_grad()
    def step(self, x: torch.Tensor, g: torch.Tensor, enabled: torch.Tensor | None = None) -> None:
        """One iteration from gradient g at x: remember (s, y) if it passes the curvature test, x ← x + lr·d with
        d = −H g if d descends. `enabled` (a 0-dim bool) False freezes x; the history is kept as eager would."""
        g = g.reshape(-1)
        self._remember(self.d * self.t, g - self.prev_g)
        self.d.copy_(self._direction(g))
        self.t.fill_(self.lr)
        self.prev_g.copy_(g)
        self._move(x, g, enabled)

    def _move(self, x: torch.Tensor, g: torch.Tensor, enabled: torch.Tensor | None) -> None:
        descends = g.dot(self.d) <= -self.tolerance_change  # else torch takes no step
        if enabled is not None:
            descends = descends & enabled
        x.view(-1).add_(self.d * torch.where(descends, self.t, torch.zeros_like(self.t)))

    def _remember(self, s: torch.Tensor, y: torch.Tensor) -> None:
        m, slot = self.m, self.head.view(1)
        ys = y.dot(s)
        accept = ys > 1e-10
        rows = torch.cat([slot, slot + m])
        self.pairs.index_copy_(0, rows, torch.where(accept, torch.stack([s, y]), self.pairs.index_select(0, rows)))
        products = torch.mv(self.pairs, y).double()  # s_i·y and y_i·y for every slot (the new y if accepted)
        for table, column in ((self.sy, products[:m]), (self.yy, products[m:])):
            kept = table.index_select(1, slot)[:, 0]
            table.index_copy_(1, slot, torch.where(accept, column, kept)[:, None])
        self.yy.index_copy_(0, slot, torch.where(accept, products[m:], self.yy.index_select(0, slot)[0])[None])
        self.gamma.copy_(torch.where(accept, ys.double() / products[m:].index_select(0, slot)[0], self.gamma))
        self.head.copy_(torch.where(accept, (self.head + 1) % m, self.head))
        self.count.copy_(torch.where(accept, torch.clamp(self.count + 1, max=m), self.count))

    def _direction(self, g: torch.Tensor) -> torch.Tensor:
        """−H g by the compact representation (CompactLBFGS._direction), over all m slots in chronological order."""
        m, gamma = self.m, self.gamma
        order = (self._arange + self.head) % m  # oldest first; slots never filled come before every stored pair
        empty = self._arange < m - self.count
        proj = torch.mv(self.pairs, g).double()  # Sᵀg and Yᵀg by slot
        p_s, p_y = compact_coefficients(proj[:m].index_select(0, order), gamma * proj[m:].index_select(0, order),
                                        self.sy.index_select(0, order).index_select(1, order),
                                        self.yy.index_select(0, order).index_select(1, order), gamma, empty)
        coeffs = torch.zeros(2 * m, dtype=torch.float64, device=g.device)
        coeffs.index_copy_(0, order, p_s)
        coeffs.index_copy_(0, order + m, p_y)
        hg = torch.mv(self.pairs.T, coeffs.to(g.dtype)) + g * gamma.to(g.dtype)
        return hg.neg()
