"""Reading input files safely: only regular files and standard input, read once, up to a bound that follows
Pillow's decompression-bomb guard (COLORKIT_MAX_PIXELS changes its limit for a file you trust). A folder, a
named pipe or a device (/dev/zero) is refused at once instead of blocking."""
from __future__ import annotations

import contextlib
import decimal
import os
import stat
import sys
import threading

from PIL import Image

from colorlib.errors import ColorkitError

MAX_PIXELS_ENV = "COLORKIT_MAX_PIXELS"
BYTES_PER_PIXEL = 16  # the most an uncompressed file within the pixel limit needs (RGBA float32) ...
HEADER_BYTES = 64 * 2**20  # ... plus room for metadata (ICC profiles, EXIF, thumbnails, layers)
STDIN_NAMES = ("-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0")
CHUNK = 1 << 20  # bytes read at a time
_LIMIT_LOCK = threading.Lock()
_STDIN: dict = {}  # "bytes": standard input, read once per process (content and style may both be '-')


def env_max_pixels() -> int | None:
    """The pixel limit set in COLORKIT_MAX_PIXELS (0 = no limit), or None when unset (Pillow's guard applies).
    Any size is taken ('1e12' too): nothing is allocated from it, input is read in chunks."""
    value = os.environ.get(MAX_PIXELS_ENV, "").strip()
    if not value:
        return None
    try:
        number = decimal.Decimal(value)
        if not number.is_finite() or number != number.to_integral_value():
            raise ValueError
        limit = int(number)
    except (ValueError, ArithmeticError):
        raise ColorkitError(f"{MAX_PIXELS_ENV}={value!r} is not a whole number of pixels") from None
    if limit < 0:
        raise ColorkitError(f"{MAX_PIXELS_ENV}={value!r} is negative; give a number of pixels, or 0 for no limit")
    return limit


def pixel_limit_in_effect() -> int | None:
    """The decompression-bomb limit decoding applies: COLORKIT_MAX_PIXELS, else Pillow's; None = no limit."""
    limit = env_max_pixels()
    if limit is None:
        return Image.MAX_IMAGE_PIXELS
    return limit or None


def max_input_bytes() -> int | None:
    """The most bytes read from one input: what an uncompressed image within the pixel limit can take."""
    limit = pixel_limit_in_effect()
    return None if limit is None else limit * BYTES_PER_PIXEL + HEADER_BYTES


@contextlib.contextmanager
def pixel_limit(limit: int | None):
    """Run Pillow's own decompression-bomb guard with `limit` (None: leave Pillow's setting alone)."""
    if limit is None:
        yield
        return
    with _LIMIT_LOCK:  # Pillow reads a module global; never leave it changed
        saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, (limit or None)
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def is_stdin(path) -> bool:
    """'-', or a name of this process's standard input that is not a regular file (a pipe, a terminal)."""
    path = os.fspath(path)
    if path == "-":
        return True
    if path not in STDIN_NAMES:
        try:
            st, fd0 = os.stat(path), os.fstat(0)
        except (OSError, ValueError):
            return False
        return not stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino) == (fd0.st_dev, fd0.st_ino)
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True  # /dev/stdin missing or unreadable here: read standard input itself


def read_bytes(path, name: str | None = None) -> bytes:
    """The bytes of an image file or of standard input, read once and bounded (max_input_bytes()).

    A folder, a named pipe (FIFO), a device or a socket is refused with a ColorkitError, without blocking."""
    path = os.fspath(path)
    name = name or ("stdin" if path == "-" else path)
    limit = max_input_bytes()
    if is_stdin(path):
        if "bytes" not in _STDIN:
            _STDIN["bytes"] = _read_stdin(name, limit)
        return _STDIN["bytes"]
    try:
        st = os.stat(path)  # stat, not open: opening a FIFO blocks until a writer comes
    except FileNotFoundError:
        raise ColorkitError(f"{name}: file not found") from None
    except OSError as exc:
        raise ColorkitError(f"{name}: cannot read ({exc.strerror or exc})") from None
    _require_regular(st, name)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ColorkitError(f"{name}: cannot read ({exc.strerror or exc})") from None
    try:
        _require_regular(os.fstat(fd), name)  # the name may have been swapped for a pipe since the stat
        with open(fd, "rb", closefd=False) as fh:
            return _read_bounded(fh, name, limit)
    except OSError as exc:
        raise ColorkitError(f"{name}: cannot read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def require_file(path, what: str) -> None:
    """ColorkitError unless `path` is a regular file (after symlinks): '<path>: <what> not found', or what it is
    instead ('is a directory', 'is a device', ...). For inputs that are not images (weights)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ColorkitError(f"{path}: {what} not found") from None
    except OSError as exc:
        raise ColorkitError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        raise ColorkitError(f"{path}: {_kind(st.st_mode)}, not a {what}")


def _kind(mode: int) -> str:
    return ("is a directory" if stat.S_ISDIR(mode) else "is a named pipe (FIFO)" if stat.S_ISFIFO(mode)
            else "is a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "is a socket" if stat.S_ISSOCK(mode)
            else "is not a regular file")


def _require_regular(st: os.stat_result, name: str) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise ColorkitError(f"{name}: {_kind(st.st_mode)}, not an image file (give a file, or '-' for standard "
                            f"input)")


def _read_stdin(name: str, limit: int | None) -> bytes:
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise ColorkitError(f"{name}: standard input is not available here")
    with contextlib.suppress(AttributeError, ValueError, OSError):
        if sys.stdin.isatty():
            raise ColorkitError(f"{name}: standard input is a terminal; pipe an image in (cat x.png | colorkit …)")
    try:
        return _read_bounded(stream, name, limit)
    except OSError as exc:
        raise ColorkitError(f"{name}: cannot read standard input ({exc.strerror or exc})") from None


def _read_bounded(stream, name: str, limit: int | None) -> bytes:
    """Read to the end in chunks, stopping past `limit` bytes: nothing is allocated from the limit itself."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if limit is not None and size > limit:
            raise ColorkitError(
                f"{name}: more than {limit} bytes, beyond any image within the decompression-bomb guard "
                f"({pixel_limit_in_effect()} pixels); if you trust the file, raise {MAX_PIXELS_ENV}")
