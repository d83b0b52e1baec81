"""Checks on an output path before any work: a format Pillow can write, a folder that can be written, names the
filesystem allows, and no output (image, JSON or --save-every snapshot) that is one of the run's inputs."""
from __future__ import annotations

import os

from colorlib import atomic, file_input, images, record
from colorlib.errors import ColorkitError


def check_output(path: str, inputs, save_every: int = 0, iterations: int = 0) -> None:
    """Fail before the run, not after it: a format Pillow cannot write, a folder that cannot be written (or a
    dangling symlink where a folder should be), a name too long for the filesystem (the image's, its JSON's or a
    snapshot's), a JSON name that is a folder, a read-only file in the way, or an output — image, JSON or
    --save-every snapshot — that is one of the inputs (`inputs`: every file the run reads, voters and --style-dir
    candidates included; symlinks and hard links count: the comparison is by device and inode)."""
    images.writable_format(path)
    json_path = record.json_path(path)
    for target, what in ((path, "is a directory; give an image file name"),
                         (json_path, "is a directory, so the JSON beside the image cannot be written")):
        if os.path.isdir(target):
            raise ColorkitError(f"{target}: {what}")
    shots = snapshots(path, save_every, iterations)
    sources = [os.fspath(i) for i in inputs if not file_input.is_stdin(i)]
    for target in (path, json_path, *shots):
        what = "output" if target == path else f"output's {'JSON' if target == json_path else 'snapshot'}"
        for source in sources:
            if same_file(source, target):
                raise ColorkitError(f"{path}: the {what} {target} would overwrite the input {source}; choose "
                                    f"another name")
        why = atomic.refusal(target)
        if why:
            raise ColorkitError(f"{path}: the {what} {target} {why}")
    existing = atomic.nearest_folder(path)
    name_max = _name_max(existing)
    longest = max((path, json_path, *shots[-1:]), key=lambda p: len(os.fsencode(os.path.abspath(p))))
    for part in os.path.abspath(longest).split(os.sep):
        if len(os.fsencode(part)) > name_max:
            raise ColorkitError(f"{path}: the name {part!r} is longer than this filesystem allows ({name_max} "
                                f"bytes); choose a shorter output name")
    if len(os.fsencode(os.path.abspath(longest))) >= _path_max(existing):
        raise ColorkitError(f"{path}: the path {longest} is longer than this system allows "
                            f"({_path_max(existing)} bytes)")
    atomic.check_writable(existing, path)


def snapshots(path: str, save_every: int, iterations: int) -> list:
    """The --save-every snapshot names a run writes, in order (the longest last)."""
    if not save_every or save_every < 1:
        return []
    stem, ext = os.path.splitext(path)
    return [f"{stem}_{i}{ext}" for i in range(save_every, iterations, save_every)]


def _name_max(folder: str) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def _path_max(folder: str) -> int:
    try:
        return os.pathconf(folder, "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):
        return 4096


def same_file(a, b) -> bool:
    """Whether two paths name one file (symlinks and hard links followed: device and inode)."""
    try:
        return os.path.samefile(a, b)  # follows symlinks, compares device and inode
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)
