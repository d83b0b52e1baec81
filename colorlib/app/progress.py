"""The colorize command's progress bar."""
from __future__ import annotations

import sys


class Progress:
    """A tqdm bar on stderr, created at the first step so that errors before it stay one line."""

    def __init__(self, total: int, quiet: bool):
        self.total, self.quiet, self.bar = total, quiet, None

    def update(self, state) -> None:
        if self.bar is None and not self.quiet:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, unit="it", file=sys.stderr, dynamic_ncols=True)
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(Lc=f"{state.content_loss:.3g}", Ls=f"{state.style_loss:.3g}", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
