"""Early stopping as an on_step hook: stop when the loss, re-weighted with the current β, stops falling."""
from __future__ import annotations


def loss_stalled(history: list, content_weight: float, style_weight: float, tol: float, window: int) -> bool:
    """True when the loss fell by less than `tol` (relative) over the last `window` iterations.

    Both ends are re-weighted with the current β from the paper-unit losses, so the decaying style weight
    alone does not count as progress.
    """
    if tol <= 0 or len(history) <= window:
        return False

    def loss(row):
        return content_weight * row["content_loss"] + style_weight * row["style_loss"]

    old, new = loss(history[-1 - window]), loss(history[-1])
    return old - new <= tol * abs(old)


class EarlyStop:
    """on_step hook: returns False (stop) once loss_stalled() holds; `.fired` says whether it did."""

    def __init__(self, content_weight: float, tol: float, window: int = 20, then=None):
        self.content_weight, self.tol, self.window, self.then = content_weight, tol, window, then
        self.history: list = []
        self.fired = False

    def __call__(self, state) -> bool:
        self.history.append({"content_loss": state.content_loss, "style_loss": state.style_loss})
        if self.then is not None and self.then(state) is False:
            return False
        if loss_stalled(self.history, self.content_weight, state.style_weight, self.tol, self.window):
            self.fired = True
            return False
        return True
