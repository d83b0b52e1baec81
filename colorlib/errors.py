"""The kit's own error types, every expected failure one readable line, and the exit status the CLI gives each."""

# Exit statuses of the command line: done, bad input (one line `error: …`), diverged (the last finite image is
# saved), interrupted by Ctrl-C or SIGTERM (the image so far is saved).
EXIT_OK, EXIT_ERROR, EXIT_DIVERGED, EXIT_INTERRUPTED = 0, 2, 3, 130


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


STOPPED_BY: dict = {"signal": None}  # 'SIGTERM' once a termination request has stopped the process (__main__)


def stop_message(saved: str = "") -> str:
    """'interrupted' (Ctrl-C) or 'stopped by SIGTERM', then what was saved."""
    name = STOPPED_BY["signal"]
    return ("interrupted" if name is None else f"stopped by {name}") + (f": {saved}" if saved else "")


def one_line(text) -> str:
    """`text` on one line: a newline or another control character (in a file name, say) is shown escaped."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(text))


def first_line(exc_or_text, limit: int = 300) -> str:
    """The first non-empty line of an exception's message (or a text), for one-line error reports."""
    text = str(exc_or_text).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return type(exc_or_text).__name__ if isinstance(exc_or_text, BaseException) else ""
    return lines[0][:limit]
