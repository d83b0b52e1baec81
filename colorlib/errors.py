"""The kit's own error type: every expected failure becomes one readable line."""


class ColorkitError(Exception):
    """A user-facing problem (bad input, bad option, bad weights file); str() is a one-line message."""


class DivergenceError(ColorkitError):
    """The optimisation produced NaN/Inf. `.result` holds the last finite image and its history."""

    def __init__(self, message, result=None):
        super().__init__(message)
        self.result = result


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during colorize(); `.result` holds the image reached so far, marked interrupted."""

    def __init__(self, result):
        super().__init__("interrupted")
        self.result = result
