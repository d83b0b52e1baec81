"""Atomic file writes: temporary files in the target folder, renamed into place only when complete.

atomic_write: one file. write_together: several files (an image and the JSON that describes it) as one unit,
under a lock so that concurrent writers of the same folder never interleave. Temporaries are named
`.tmp-<pid>-…`; ones that a killed run left are removed by the next writer in that folder."""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import tempfile
import time

from colorlib.errors import ColorkitError

TMP_PREFIX = ".tmp-"
LOCK_NAME = ".colorkit-write.lock"
STALE_SECONDS = 3600  # a temporary file this old was left by a killed run, whoever wrote it
DEAD_WRITER_SECONDS = 60  # ... or this old when the process named in it is gone (younger: maybe another host's)
_NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL}  # filesystems without flock


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
    """Write {path: bytes} as one unit: afterwards either every path holds its new bytes, or every path holds
    what it held before (the ColorkitError says which path failed and why).

    All contents go to temporaries beside their targets first (fsynced); then the targets are replaced in the
    given order (put the file that describes the others last). If a replacement fails, or Ctrl-C comes in
    between, the paths already replaced get their previous files back (kept as hard links until the end).
    An exclusive lock per folder (`.colorkit-write.lock`, flock) makes concurrent writers take turns, so two
    runs writing the same result never leave one's image beside the other's JSON."""
    shown = [os.fspath(p) for p in files]
    paths = [os.path.abspath(p) for p in shown]
    payloads = list(files.values())
    name = dict(zip(paths, shown))
    for path in paths:
        _check_target(path, name[path])
    folders = sorted({os.path.dirname(p) for p in paths})
    try:
        for folder in folders:
            os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise ColorkitError(f"{shown[0]}: cannot create its folder ({exc.strerror or exc}); nothing was "
                            f"written") from None
    with contextlib.ExitStack() as locks:
        for folder in folders:  # in sorted order: two writers never wait for each other's second lock
            locks.enter_context(_folder_lock(folder, shown[0]))
        _replace_together(paths, payloads, name)


def _replace_together(paths: list, payloads: list, name: dict) -> None:
    temps, backups, done = {}, {}, []
    current = paths[0]
    try:
        for path, payload in zip(paths, payloads):
            current = path
            if os.path.isdir(path):  # made a folder while we waited for the lock
                raise IsADirectoryError(errno.EISDIR, "is a directory")
            temps[path] = _temp_beside(path, raise_os_error=True)
            with open(temps[path], "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
        for path in paths:
            current = path
            if os.path.lexists(path):  # the previous file, kept until every replacement succeeded
                backups[path] = _backup(path)
            os.replace(temps[path], path)
            del temps[path]  # only once it is in place: a temporary whose rename failed is removed below
            done.append(path)
        for folder in sorted({os.path.dirname(p) for p in paths}):
            _fsync_folder(folder)
    except BaseException as exc:
        not_restored = _roll_back(done, backups)
        if not isinstance(exc, (OSError, ColorkitError)):
            raise  # Ctrl-C and the like, after the rollback
        reason = (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)
        if not_restored:
            state = (f"{', '.join(name[p] for p in not_restored)} could not be put back and holds the new file, "
                     f"which the other files do not match")
        elif done:
            state = f"{', '.join(name[p] for p in done)} was put back; no file was changed"
        else:
            state = "no file was changed"
        raise ColorkitError(f"{name[current]}: cannot write ({reason}); {state}") from None
    finally:
        for tmp in [*temps.values(), *backups.values()]:
            with contextlib.suppress(OSError):
                os.remove(tmp)


def _roll_back(done: list, backups: dict) -> list:
    """Put back what `done` replaced (the previous file, or no file); return the paths that could not be."""
    failed = []
    for path in reversed(done):
        try:
            if path in backups:
                os.replace(backups.pop(path), path)
            else:
                os.remove(path)
        except OSError:
            failed.append(path)
    return failed


@contextlib.contextmanager
def _folder_lock(folder: str, shown: str):
    """Hold an exclusive flock on `folder`'s lock file; the file is removed (while held) when done.

    A waiter that gets the lock on a file that was removed meanwhile sees that the name now points elsewhere
    (or nowhere) and tries again, so removing the file never lets two writers in at once."""
    path = os.path.join(folder, LOCK_NAME)
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as exc:
            raise ColorkitError(f"{shown}: cannot write in folder {folder} ({exc.strerror or exc}); nothing was "
                                f"written") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:
            if exc.errno not in _NO_LOCKS:
                os.close(fd)
                raise ColorkitError(f"{shown}: cannot lock {path} ({exc.strerror or exc}); nothing was "
                                    f"written") from None
            break  # this filesystem has no locks: go on unlocked rather than refuse to save
        except BaseException:
            os.close(fd)
            raise
        held = os.fstat(fd)
        try:
            now = os.stat(path)
        except OSError:
            now = None
        if now is not None and (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino):
            break
        os.close(fd)  # locked a file another writer had removed: take the current one
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.remove(path)
        os.close(fd)  # releases the lock


def _backup(path: str) -> str:
    """A hard link (or, where links are impossible, a copy) of `path` under a temporary name beside it."""
    backup = _temp_beside(path, raise_os_error=True)
    os.remove(backup)
    try:
        os.link(path, backup, follow_symlinks=False)
    except OSError:
        shutil.copy2(path, backup, follow_symlinks=False)
    return backup


def _check_target(path: str, shown: str) -> None:
    if os.path.isdir(path):
        raise ColorkitError(f"{shown}: cannot write (is a directory); no file was changed")


def _fsync_folder(folder: str) -> None:
    """Make the renames durable (best effort: not every filesystem can sync a folder)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _temp_beside(path: str, raise_os_error: bool = False) -> str:
    """A new empty temporary file `.tmp-<pid>-…` in `path`'s folder (created if missing); stale ones there
    are removed first."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        remove_stale_temporaries(folder)
        fd, tmp = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{os.getpid()}-", suffix=os.path.splitext(path)[1][:16],
                                   dir=folder)
        os.close(fd)
        os.chmod(tmp, 0o644)
    except OSError as exc:
        if raise_os_error:
            raise
        raise ColorkitError(f"{path}: cannot write here ({exc.strerror or exc})") from None
    return tmp


_WRITER = re.compile(re.escape(TMP_PREFIX) + r"(\d+)-")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def remove_stale_temporaries(folder: str, older_than: float = STALE_SECONDS) -> list:
    """Remove `.tmp-*` files that a killed run left in `folder`: older than `older_than` seconds, or older than
    DEAD_WRITER_SECONDS when the process that made them is gone. Returns the paths removed."""
    now, removed = time.time(), []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if not (entry.name.startswith(TMP_PREFIX) and entry.is_file(follow_symlinks=False)):
                continue
            with contextlib.suppress(OSError):
                age = now - entry.stat(follow_symlinks=False).st_mtime
                writer = _WRITER.match(entry.name)
                dead = writer is not None and int(writer.group(1)) != os.getpid() \
                    and not _alive(int(writer.group(1)))
                if age > older_than or (dead and age > DEAD_WRITER_SECONDS):
                    os.remove(entry.path)
                    removed.append(entry.path)
    return removed
