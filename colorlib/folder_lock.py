"""The lock that makes concurrent writers of one folder take turns (flock on `.colorkit-write.lock`), under the
rule of colorlib/atomic.py: a lock file this run created is removed when done; one it found is never removed."""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os

from colorlib.errors import ColorkitError

LOCK_NAME = ".colorkit-write.lock"
_NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL}  # filesystems without flock


@contextlib.contextmanager
def folder_lock(folder: str, shown: str):
    """Hold an exclusive flock on `folder`'s lock file. A lock file this run created is removed (while held) when
    done; one it found (another writer's, or anyone's file of that name) is only locked, never removed.

    A waiter that gets the lock on a file that was removed meanwhile sees that the name now points elsewhere
    (or nowhere) and tries again, so removing the file never lets two writers in at once."""
    path = os.path.join(folder, LOCK_NAME)
    cloexec = getattr(os, "O_CLOEXEC", 0)
    while True:
        created = True
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | cloexec, 0o644)
        except FileExistsError:
            created = False
            try:  # someone's lock: only locked (read-only and non-blocking opens suffice for flock)
                fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | cloexec)
            except FileNotFoundError:
                if os.path.islink(path):  # a dangling symlink of that name: not ours to replace, go on unlocked
                    yield
                    return
                continue  # removed by its writer meanwhile: try again
            except OSError as exc:
                raise ColorkitError(f"{shown}: cannot lock {path} ({exc.strerror or exc}); nothing was "
                                    f"written") from None
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
        if _same_inode(fd, path):
            break
        os.close(fd)  # locked a file another writer had removed: take the current one
    try:
        yield
    finally:
        if created and _same_inode(fd, path):
            with contextlib.suppress(OSError):
                os.remove(path)
        os.close(fd)  # releases the lock


def _same_inode(fd: int, path: str) -> bool:
    held = os.fstat(fd)
    try:
        now = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    return (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)
