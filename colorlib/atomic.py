"""Every file the kit writes goes through here, under one rule.

The rule: the kit writes, renames and deletes only paths it created in this run — temporaries with an
unguessable name (`.tmp-` + 24 random hex digits) recorded when they are made, and its own folder lock, made by
this run (colorlib/folder_lock.py) — and it replaces an existing file only when that file is neither read-only
nor an input of the run (run_inputs: the content, the style, every voter, the init image, the weights; compared
by device and inode, so symlinks and hard links count). A `.tmp-*` file or a `.colorkit-write.lock` it did not
make is left alone, however old: a run killed by SIGKILL may leave its temporaries behind; a person removes them.

atomic_write: one file. write_together: several files (an image and the JSON that describes it) as one unit,
under a lock so that concurrent writers of the same folder never interleave."""
from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import shutil
import stat
import threading

from colorlib.errors import ColorkitError
from colorlib.folder_lock import folder_lock

TMP_PREFIX = ".tmp-"
_CREATED: set = set()  # absolute paths of the temporaries this process made and has not yet removed or renamed
_INPUTS: dict = {}  # (device, inode) -> how many runs going on have that file as an input
_STATE = threading.Lock()


@contextlib.contextmanager
def run_inputs(paths):
    """Within the block no write of the kit replaces any of `paths` (regular files; others are skipped), under any
    name: the comparison is by device and inode after following symlinks."""
    keys = []
    for path in paths:
        with contextlib.suppress(OSError, ValueError, TypeError):
            st = os.stat(path)
            if stat.S_ISREG(st.st_mode):
                keys.append((st.st_dev, st.st_ino))
    with _STATE:
        for key in keys:
            _INPUTS[key] = _INPUTS.get(key, 0) + 1
    try:
        yield
    finally:
        with _STATE:
            for key in keys:
                _INPUTS[key] -= 1
                if not _INPUTS[key]:
                    del _INPUTS[key]


def refusal(path) -> str | None:
    """Why the kit may not replace `path` (None when it may): it is a folder, an input of a run going on, or a
    read-only file. Symlinks are followed: a link to an input is that input."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    if stat.S_ISDIR(st.st_mode):
        return "is a directory"
    with _STATE:
        if (st.st_dev, st.st_ino) in _INPUTS:
            return "is an input of this run"
    if stat.S_ISREG(st.st_mode) and (not st.st_mode & 0o222 or not os.access(path, os.W_OK)):
        return "is read-only; the kit never replaces a read-only file (make it writable, or choose another name)"
    return None


def check_target(path, shown=None) -> None:
    """ColorkitError (naming `shown`, default the path) if the kit may not replace `path` (see refusal)."""
    why = refusal(path)
    if why:
        raise ColorkitError(f"{shown or os.fspath(path)}: cannot write ({why}); no file was changed")


def check_writable(folder, shown) -> None:
    """Fail now if no file can be created in `folder` (an existing folder): a real probe, since os.access says yes
    to root even where writing fails (read-only mounts, /proc). The probe is a temporary of ours, removed."""
    try:
        probe = _temp_beside(os.path.join(os.fspath(folder), "probe"), raise_os_error=True)
    except OSError as exc:
        raise ColorkitError(f"{shown}: cannot write in folder {folder} ({exc.strerror or exc})") from None
    _discard(probe)


def nearest_folder(path, shown=None) -> str:
    """The folder `path` goes into, or the nearest one above it that exists (missing folders are made when a file
    is written); ColorkitError where a file or a dangling symlink stands in the way."""
    shown = shown or os.fspath(path)
    existing = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(existing):
        if os.path.islink(existing):
            raise ColorkitError(f"{shown}: {existing} is a dangling symlink (to {os.readlink(existing)}), not a "
                                f"folder")
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise ColorkitError(f"{shown}: {existing} is a file, not a folder")
    return existing


@contextlib.contextmanager
def atomic_write(path, mode: str = "w", **kwargs):
    """Open a temp file beside `path`; on success it replaces `path`, on any error it is removed."""
    path = os.fspath(path)
    check_target(path)
    tmp = _temp_beside(path)
    try:
        with open(tmp, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        check_target(path)  # still replaceable after the write (an input or a read-only file meanwhile)
        _rename_into_place(tmp, path)
    except BaseException as exc:
        _discard(tmp)
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
    name = dict(zip(paths, shown, strict=True))
    for path in paths:
        check_target(path, name[path])
    folders = sorted({os.path.dirname(p) for p in paths})
    try:
        for folder in folders:
            os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise ColorkitError(f"{shown[0]}: cannot create its folder ({exc.strerror or exc}); nothing was "
                            f"written") from None
    with contextlib.ExitStack() as locks:
        for folder in folders:  # in sorted order: two writers never wait for each other's second lock
            locks.enter_context(folder_lock(folder, shown[0]))
        _replace_together(paths, payloads, name)


def _replace_together(paths: list, payloads: list, name: dict) -> None:
    for path in paths:  # made a folder, read-only or an input while we waited for the lock
        check_target(path, name[path])
    temps, backups, done = {}, {}, []
    current = paths[0]
    try:
        for path, payload in zip(paths, payloads, strict=True):
            current = path
            temps[path] = _temp_beside(path, raise_os_error=True)
            with open(temps[path], "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
        for path in paths:
            current = path
            if os.path.lexists(path):  # the previous file, kept until every replacement succeeded
                backups[path] = _backup(path)
            _rename_into_place(temps[path], path)
            del temps[path]  # only once it is in place: a temporary whose rename failed is removed below
            done.append(path)
        for folder in sorted({os.path.dirname(p) for p in paths}):
            _fsync_folder(folder)
    except BaseException as exc:
        not_restored = _roll_back(done, backups)
        if not isinstance(exc, OSError):
            raise  # Ctrl-C and the like, after the rollback
        if not_restored:
            state = (f"{', '.join(name[p] for p in not_restored)} could not be put back and holds the new file, "
                     f"which the other files do not match")
        elif done:
            state = f"{', '.join(name[p] for p in done)} was put back; no file was changed"
        else:
            state = "no file was changed"
        raise ColorkitError(f"{name[current]}: cannot write ({exc.strerror or exc}); {state}") from None
    finally:
        for tmp in [*temps.values(), *backups.values()]:
            _discard(tmp)


def _roll_back(done: list, backups: dict) -> list:
    """Put back what `done` replaced (the previous file, or no file); return the paths that could not be."""
    failed = []
    for path in reversed(done):
        try:
            if path in backups:
                _rename_into_place(backups.pop(path), path)
            else:
                os.remove(path)  # the new file this run put there
        except OSError:
            failed.append(path)
    return failed


def _backup(path: str) -> str:
    """A hard link (or, where links are impossible, a copy) of `path` under a temporary name of ours beside it."""
    backup = _temp_beside(path, raise_os_error=True)
    os.remove(backup)  # the name stays recorded as ours; the link takes its place
    try:
        os.link(path, backup, follow_symlinks=False)
    except OSError:
        shutil.copy2(path, backup, follow_symlinks=False)
    return backup


def _fsync_folder(folder: str) -> None:
    """Make the renames durable (best effort: not every filesystem can sync a folder)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _temp_beside(path: str, raise_os_error: bool = False) -> str:
    """A new empty temporary file of ours in `path`'s folder (created if missing): an unguessable name, made with
    O_EXCL, recorded in _CREATED."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        while True:
            tmp = os.path.join(folder, TMP_PREFIX + secrets.token_hex(12) + os.path.splitext(path)[1][:16])
            with _STATE:  # recorded before it exists: a Ctrl-C right after the open cannot leave it unrecorded
                _CREATED.add(tmp)
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o644)
                break
            except OSError as exc:  # not made (or not by us: 96 random bits taken already, draw again)
                with _STATE:
                    _CREATED.discard(tmp)
                if not isinstance(exc, FileExistsError):
                    raise
        os.close(fd)
    except OSError as exc:
        if raise_os_error:
            raise
        raise ColorkitError(f"{path}: cannot write here ({exc.strerror or exc})") from None
    return tmp


def _rename_into_place(tmp: str, path: str) -> None:
    """Rename a temporary of ours over `path`; from then on the name is the result's, no longer a temporary."""
    if tmp not in _CREATED:
        raise ColorkitError(f"{tmp}: not a temporary of this run; refusing to rename it")
    os.replace(tmp, path)
    with _STATE:
        _CREATED.discard(tmp)


@atexit.register
def _discard_leftovers() -> None:
    """At exit, remove the temporaries of ours still recorded: a stop (Ctrl-C, SIGTERM) that came between a
    temporary's creation and the `try` that would remove it leaves none behind."""
    with _STATE:
        left = list(_CREATED)
    for tmp in left:
        _discard(tmp)


def _discard(tmp: str) -> None:
    """Remove a temporary of ours (only if recorded as ours; a name it no longer holds is left alone)."""
    with _STATE:
        ours = tmp in _CREATED
        _CREATED.discard(tmp)
    if ours:
        with contextlib.suppress(OSError):
            os.remove(tmp)
