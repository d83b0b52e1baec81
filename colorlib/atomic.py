"""Atomic file writes: temporary files in the target folder, renamed into place only when complete."""
from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time

from colorlib.errors import ColorkitError

TMP_PREFIX = ".tmp-"
STALE_SECONDS = 3600  # a temporary file this old was left by a killed run and is removed by the next writer


@contextlib.contextmanager
def atomic_write(path, mode: str = "w", **kwargs):
    """Open a temp file beside `path`; on success it replaces `path`, on any error it is removed."""
    path = os.fspath(path)
    tmp = _temp_beside(path)
    try:
        with open(tmp, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        if isinstance(exc, OSError):  # disk full, target is a folder, ...: one line naming the file
            raise ColorkitError(f"{path}: cannot write ({exc.strerror or exc}); any previous file is unchanged") \
                from None
        raise


def write_together(files: dict) -> None:
    """Write {path: bytes} so that either all paths hold the new bytes or all hold what they held before.

    Temporaries first, then renames in order; if a later rename fails, the earlier ones are rolled back. An
    exclusive lock on the first path's `.lock` file serialises concurrent writers of the same result."""
    paths = list(files)
    lock_path = os.path.join(os.path.dirname(os.path.abspath(paths[0])),
                             f".{os.path.basename(paths[0])}.lock")
    temps, backups, done = {}, {}, []
    try:
        _makedirs(paths[0])
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                for path in paths:
                    _check_target(path)
                    temps[path] = _temp_beside(path)
                    with open(temps[path], "wb") as fh:
                        fh.write(files[path])
                        fh.flush()
                        os.fsync(fh.fileno())
                for path in paths:
                    if os.path.isfile(path):  # kept until every rename succeeded, for the rollback
                        backups[path] = _backup(path)
                    os.replace(temps.pop(path), path)
                    done.append(path)
            except OSError as exc:
                for path in reversed(done):
                    with contextlib.suppress(OSError):
                        if os.path.exists(backups.get(path, "")):
                            os.replace(backups.pop(path), path)
                        else:
                            os.remove(path)
                failed = paths[min(len(done), len(paths) - 1)]
                raise ColorkitError(f"{failed}: cannot write ({exc.strerror or exc}); the previous files are "
                                    f"unchanged") from None
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    except OSError as exc:
        raise ColorkitError(f"{paths[0]}: cannot write here ({exc.strerror or exc})") from None
    finally:
        for tmp in [*temps.values(), *backups.values()]:
            with contextlib.suppress(OSError):
                os.remove(tmp)
        with contextlib.suppress(OSError):
            os.remove(lock_path)


def _backup(path: str) -> str:
    """A hard link (or, where links are impossible, a copy) of `path` under a temporary name beside it."""
    backup = _temp_beside(path)
    os.remove(backup)
    try:
        os.link(path, backup)
    except OSError:
        shutil.copy2(path, backup)
    return backup


def _check_target(path):
    if os.path.isdir(path):
        raise IsADirectoryError(21, "is a directory", path)


def _makedirs(path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)


def _temp_beside(path: str) -> str:
    """A new empty temporary file in `path`'s folder (created if missing); stale ones there are removed."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        remove_stale_temporaries(folder)
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=os.path.splitext(path)[1], dir=folder)
        os.close(fd)
        os.chmod(tmp, 0o644)
    except OSError as exc:
        raise ColorkitError(f"{path}: cannot write here ({exc.strerror or exc})") from None
    return tmp


def remove_stale_temporaries(folder: str, older_than: float = STALE_SECONDS) -> None:
    """Remove `.tmp-*` files older than `older_than` seconds that a killed run left in `folder`."""
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name.startswith(TMP_PREFIX) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    if now - entry.stat(follow_symlinks=False).st_mtime > older_than:
                        os.remove(entry.path)
