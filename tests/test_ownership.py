"""The kit writes, renames and deletes only paths it created in this run (temporaries with an unguessable name it
recorded, its own lock), and never an input of the run nor a read-only file (colorlib/atomic.py, the one place)."""
import os
import time

import numpy as np
import pytest
from PIL import Image

from colorlib import atomic, folder_lock, images, record as results
from colorlib.errors import ColorkitError
from reliability_corpus import _fake_result, _leftovers, _pair


def _old(path, seconds=2 * 3600):
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.mark.parametrize("name", [".tmp-gray.png", ".tmp-1-ancient.png", f".tmp-{2**22 + 12345}-killed.png",
                                  ".tmp-", ".tmp-legacy"])
def test_temporaries_it_did_not_create_are_never_removed(tmp_path, name):
    """A user's `.tmp-gray.png` (or a killed run's leftover) is not ours: it stays, however old."""
    mine = tmp_path / name
    mine.write_bytes(b"a user's file")
    _old(mine)
    results.save(_fake_result(4), tmp_path / "r.png")
    images.save(np.zeros((8, 8, 3), np.float32), tmp_path / "s.png")
    assert mine.read_bytes() == b"a user's file"
    assert sorted(os.listdir(tmp_path)) == sorted([name, "r.json", "r.png", "s.png"])


def test_a_lock_it_did_not_create_is_never_removed(tmp_path):
    lock = tmp_path / folder_lock.LOCK_NAME
    lock.write_bytes(b"someone else's")
    results.save(_fake_result(2), tmp_path / "r.png")
    assert lock.read_bytes() == b"someone else's" and _pair(tmp_path / "r.png") == (2, 2)


@pytest.mark.parametrize("target", ["image", "json"])
def test_a_read_only_file_is_refused_not_replaced(tmp_path, target):
    out = tmp_path / "r.png"
    results.save(_fake_result(1), out)
    locked = out if target == "image" else out.with_suffix(".json")
    locked.chmod(0o444)
    before = out.read_bytes(), out.with_suffix(".json").read_bytes()
    with pytest.raises(ColorkitError, match=f"{locked.name}: .*read-only"):
        results.save(_fake_result(2), out)
    with pytest.raises(ColorkitError, match="read-only"):
        images.save(np.ones((8, 8, 3), np.float32), locked) if target == "image" else \
            results.write_json({"x": 1}, locked)
    assert (out.read_bytes(), out.with_suffix(".json").read_bytes()) == before
    assert _leftovers(tmp_path) == []


def test_an_input_of_the_run_is_never_written_whatever_its_name(tmp_path):
    """Inputs registered for a run (content, style, voters, init image, weights) cannot be replaced through any
    name: the same path, a symlink, a hard link (compared by device and inode)."""
    src = tmp_path / "style.png"
    Image.fromarray(np.full((8, 8, 3), 77, np.uint8)).save(src)
    os.symlink(src, tmp_path / "link.png")
    os.link(src, tmp_path / "hard.png")
    before = src.read_bytes()
    with atomic.run_inputs([src]):
        for name in ("style.png", "link.png", "hard.png"):
            with pytest.raises(ColorkitError, match="is an input of this run"):
                images.save(np.zeros((8, 8, 3), np.float32), tmp_path / name)
            with pytest.raises(ColorkitError, match="is an input of this run"):
                results.save(_fake_result(1), tmp_path / name)
    assert src.read_bytes() == before
    images.save(np.zeros((8, 8, 3), np.float32), tmp_path / "hard.png")  # the run is over: an ordinary file again


def test_temporaries_have_unguessable_names_and_only_recorded_ones_are_cleaned(tmp_path, monkeypatch):
    names = set()
    real = os.replace

    def spy(src, dst):
        names.add(os.path.basename(src))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    for _ in range(3):
        images.save(np.zeros((4, 4, 3), np.float32), tmp_path / "x.png")
    assert len(names) == 3 and all(n.startswith(atomic.TMP_PREFIX) and len(n) >= len(atomic.TMP_PREFIX) + 16
                                   for n in names)
    assert str(os.getpid()) not in "".join(names)  # nothing in the name another process could predict


def test_the_probe_of_a_folder_leaves_nothing_and_touches_nothing(tmp_path):
    (tmp_path / ".probe-keep").write_text("mine")
    atomic.check_writable(tmp_path, "x.png")
    assert os.listdir(tmp_path) == [".probe-keep"]
