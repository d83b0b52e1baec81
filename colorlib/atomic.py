"""Atomic file writes: a temporary file in the target folder, renamed into place only when complete."""
from __future__ import annotations

import contextlib
import os
import tempfile

from .errors import ColorkitError


@contextlib.contextmanager
def atomic_write(path, mode: str = "w", **kwargs):
    """Open a temp file beside `path`; on success it replaces `path`, on any error it is removed."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.splitext(path)[1], dir=folder)
    except OSError as exc:
        raise ColorkitError(f"{path}: cannot write here ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        if isinstance(exc, OSError):  # disk full, target is a folder, ...: one line naming the file
            raise ColorkitError(f"{path}: cannot write ({exc.strerror or exc}); any previous file is unchanged") \
                from None
        raise
