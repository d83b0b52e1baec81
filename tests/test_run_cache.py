"""The run cache (colorlib/speedups/cache.py) and the sweep's run ids key every input by its content, never by
path or modification time; a cache entry is validated on read (record shape, array shape, dtype, finiteness,
checksum) and a bad one is a miss that is recomputed and replaced, with one notice."""
import json
import os
import warnings

import numpy as np
import pytest

from colorlib import images
from colorlib.errors import ColorkitError
from colorlib.paper.config import Config
from colorlib.speedups import cache

CFG = dict(size=32, iterations=1, device="cpu")


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(cache.OFF_ENV, raising=False)
    return tmp_path / "cache"


def _entries(folder, suffix):
    return [os.path.join(d, f) for d, _, files in os.walk(folder) for f in files if f.endswith(suffix)]


def _save(path, seed):
    rng = np.random.default_rng(seed)
    images.save(rng.random((40, 48, 3)).astype(np.float32), path)


def test_an_init_image_replaced_at_the_same_path_is_a_miss(motorcycle, fresh_cache, tmp_path):
    start = tmp_path / "start.png"
    _save(start, 1)
    cfg = Config(init="image", init_image=str(start), **CFG)
    first = cache.colorize_cached(motorcycle["content"], motorcycle["style"], cfg)
    _save(start, 2)  # another picture, same name
    second = cache.colorize_cached(motorcycle["content"], motorcycle["style"], cfg)
    assert (first.run["cache"], second.run["cache"]) == ("miss", "miss")
    assert not np.array_equal(first.image, second.image)
    copy = tmp_path / "elsewhere.png"  # the same bytes under another name: the same run
    copy.write_bytes(start.read_bytes())
    third = cache.colorize_cached(motorcycle["content"], motorcycle["style"], cfg.replace(init_image=str(copy)))
    assert third.run["cache"] == "hit" and np.array_equal(third.image, second.image)
    assert third.params["init_image"] == str(copy)  # the record names this run's file, not the first one's


def test_weights_are_keyed_by_their_bytes(motorcycle, tmp_path):
    weights = tmp_path / "vgg.pth"
    weights.write_bytes(b"first weights")
    cfg = Config(weights=str(weights), **CFG)
    key = cache.run_key(motorcycle["content"], motorcycle["style"], cfg)
    weights.write_bytes(b"other weights")
    assert cache.run_key(motorcycle["content"], motorcycle["style"], cfg) != key
    copy = tmp_path / "copy.pth"
    copy.write_bytes(b"other weights")
    assert cache.run_key(motorcycle["content"], motorcycle["style"], cfg.replace(weights=str(copy))) == \
        cache.run_key(motorcycle["content"], motorcycle["style"], cfg)


def _flip_last_bytes(path):
    data = bytearray(open(path, "rb").read())
    data[-8:] = b"\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f"  # floats of about 3e38 / 6e26 where the image was
    with open(path, "wb") as fh:
        fh.write(bytes(data))


def _three_by_three(path):
    np.save(path, np.zeros((3, 3), np.float32))


def _half(path):
    np.save(path, np.load(path) * 0.5)  # plausible values, not the ones stored: only the checksum tells


def _nan(path):
    arr = np.load(path)
    arr[0, 0, 0] = np.nan
    np.save(path, arr)


CORRUPT_ARRAY = {"flipped bytes": _flip_last_bytes, "3x3 array": _three_by_three, "halved values": _half,
                 "a NaN": _nan, "not an npy file": lambda p: open(p, "wb").write(b"\x93NUMPY garbage")}
CORRUPT_RECORD = {"a list": [1, 2, 3], "history not a list": {"history": 5, "params": {}, "versions": {}, "run": {}},
                  "no run": {"history": [], "params": {}, "versions": {}}, "not JSON": None}


@pytest.mark.parametrize("damage", list(CORRUPT_ARRAY) + [f"record: {k}" for k in CORRUPT_RECORD])
def test_a_bad_entry_is_a_miss_recomputed_and_replaced_with_one_notice(damage, motorcycle, fresh_cache):
    cfg = Config(init="content", **CFG)
    first = cache.colorize_cached(motorcycle["content"], motorcycle["style"], cfg)
    (npy,), (record,) = _entries(fresh_cache, ".npy"), _entries(fresh_cache, ".json")
    if damage.startswith("record: "):
        value = CORRUPT_RECORD[damage[len("record: "):]]
        with open(record, "w") as fh:
            fh.write("{not json" if value is None else json.dumps(value))
    else:
        CORRUPT_ARRAY[damage](npy)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = cache.colorize_cached(motorcycle["content"], motorcycle["style"], cfg)
    notices = [str(w.message) for w in caught]
    assert again.run["cache"] == "miss" and np.array_equal(again.image, first.image)
    assert len(notices) == 1 and "run cache" in notices[0] and "recomputed" in notices[0] and "\n" not in notices[0]
    third = cache.colorize_cached(motorcycle["content"], motorcycle["style"], cfg)  # replaced: a good entry again
    assert third.run["cache"] == "hit" and np.array_equal(third.image, first.image)


@pytest.mark.parametrize("damage", ["flipped bytes", "3x3 array", "halved values", "a NaN"])
def test_a_bad_evaluation_entry_is_a_miss_too(damage, fresh_cache):
    calls = []

    def compute():
        calls.append(1)
        return np.full((8, 8, 3), 0.25, np.float32)

    parts = {"method": "m", "seed": 0}
    cache.cached_array(parts, compute)
    (npy,) = _entries(fresh_cache, ".npy")
    CORRUPT_ARRAY[damage](npy)
    with pytest.warns(UserWarning, match="run cache.*recomputed"):
        out, hit, _ = cache.cached_array(parts, compute)
    assert not hit and len(calls) == 2 and np.all(out == 0.25)
    assert cache.cached_array(parts, compute)[1]


@pytest.mark.parametrize("value, on", [("", True), ("0", True), ("false", True), ("False", True), ("no", True),
                                       ("off", True), ("1", False), ("true", False), ("yes", False), ("ON", False)])
def test_colorkit_no_cache_reads_like_a_switch(value, on, monkeypatch):
    monkeypatch.setenv(cache.OFF_ENV, value)
    assert cache.enabled() is on


def test_colorkit_no_cache_garbage_is_one_line(monkeypatch):
    monkeypatch.setenv(cache.OFF_ENV, "sometimes")
    with pytest.raises(ColorkitError, match="COLORKIT_NO_CACHE='sometimes'.*1/true/yes/on.*0/false/no/off"):
        cache.enabled()


def test_exemplar_candidates_are_keyed_by_content_not_by_size_and_mtime(motorcycle, fresh_cache, tmp_path,
                                                                         monkeypatch):
    """A voting candidate replaced by another picture of the same byte count, its modification time put back:
    the evaluation's cached output is computed anew."""
    from colorlib.evaluation import registry, runner

    paths = [tmp_path / f"cand{i}.png" for i in range(2)]
    for i, path in enumerate(paths):
        images.save(np.full((40, 48, 3), 0.2 + 0.3 * i, np.float32), path)
    calls = []

    def fake_best(content, style, *, candidates=(), **kw):
        calls.append([open(p, "rb").read() for p in candidates])
        return np.full((*content.shape[:2], 3), 0.5, np.float32)

    monkeypatch.setitem(registry.METHODS, "best", fake_best)
    monkeypatch.setattr(runner, "candidates_for", lambda pair: [str(p) for p in paths])
    pair = {**runner.sized({"truth": motorcycle["truth"], "style": motorcycle["style"]}, 32), "name": "moto"}
    runner.run_method("best", pair, size=32, iterations=0, seed=0, device="cpu")
    runner.run_method("best", pair, size=32, iterations=0, seed=0, device="cpu")
    assert len(calls) == 1  # a hit
    before = os.stat(paths[1])
    data = bytearray(paths[1].read_bytes())
    data[-20] ^= 0xFF  # other bytes, same count (a PNG's CRC is not checked by the cache key)
    paths[1].write_bytes(bytes(data))
    os.utime(paths[1], ns=(before.st_atime_ns, before.st_mtime_ns))
    runner.run_method("best", pair, size=32, iterations=0, seed=0, device="cpu")
    assert len(calls) == 2


@pytest.mark.parametrize("field", ["init_image", "weights"])
def test_sweep_run_ids_key_the_files_a_config_names_by_their_bytes(field, tmp_path):
    from colorlib.experiments.sweep import plan

    for name, seed in (("content.png", 1), ("style.png", 2)):
        _save(tmp_path / name, seed)
    named = tmp_path / ("start.png" if field == "init_image" else "vgg.pth")
    named.write_bytes(b"first")
    config = {"size": 32, "iterations": 1, field: str(named), **({"init": "image"} if field == "init_image" else {})}
    spec = {"name": "s", "pairs": [{"content": str(tmp_path / "content.png"), "style": str(tmp_path / "style.png")}],
            "config": config}
    first = plan(spec)[0][0]["run_id"]
    named.write_bytes(b"other")  # replaced at the same path: another run
    assert plan(spec)[0][0]["run_id"] != first
    copy = tmp_path / ("copy.png" if field == "init_image" else "copy.pth")
    copy.write_bytes(b"other")  # the same bytes under another name: the same run
    assert plan({**spec, "config": {**config, field: str(copy)}})[0][0]["run_id"] == plan(spec)[0][0]["run_id"]


def test_an_entry_whose_header_claims_a_huge_array_is_a_miss_without_allocating_it(motorcycle, fresh_cache):
    cfg = Config(init="content", **CFG)
    first = cache.colorize_cached(motorcycle["content"], motorcycle["style"], cfg)
    (npy,) = _entries(fresh_cache, ".npy")
    data = open(npy, "rb").read()
    header_end = data.index(b"\n") + 1
    header = data[:header_end].decode("latin1")
    start, end = header.index("'shape': (") + len("'shape': ("), header.index(")", header.index("'shape': ("))
    huge = header[:start] + "100000, 100000, 100000" + header[end:]
    huge = huge[:-1].ljust(len(header) - 1) + "\n" if len(huge) <= len(header) else huge
    with open(npy, "wb") as fh:
        fh.write(huge.encode("latin1") + data[header_end:])
    with pytest.warns(UserWarning, match="run cache.*header says"):
        again = cache.colorize_cached(motorcycle["content"], motorcycle["style"], cfg)
    assert again.run["cache"] == "miss" and np.array_equal(again.image, first.image)


def test_snapshots_are_kept_beside_the_run_they_came_from(motorcycle, fresh_cache):
    """notebooks/00_method.ipynb's run: computed once with its snapshots, read back whole, and the same entry
    that colorize_cached() (Figure 1's ablation) reads."""
    cfg = Config(**{**CFG, "iterations": 4})
    content, style = motorcycle["content"], motorcycle["style"]
    first, shots = cache.colorize_cached_with_snapshots(content, style, cfg, (0, 1, 3))
    assert first.run["cache"] == "miss" and sorted(shots) == [1, 3]  # 0 is the start: not an iteration
    assert not np.array_equal(shots[1], shots[3])
    again, shots_again = cache.colorize_cached_with_snapshots(content, style, cfg, (1, 3))
    assert again.run["cache"] == "hit" and np.array_equal(again.image, first.image)
    assert all(np.array_equal(shots[i], shots_again[i]) for i in (1, 3))
    assert cache.colorize_cached(content, style, cfg).run["cache"] == "hit"  # one run, shared
    other, other_shots = cache.colorize_cached_with_snapshots(content, style, cfg, (2,))  # snapshots not kept: rerun
    assert other.run["cache"] == "miss" and sorted(other_shots) == [2]
    assert np.array_equal(other.image, first.image)


def test_the_runs_code_key_ignores_the_command_line_layer_and_nothing_else(tmp_path):
    """Editing colorlib/app/ (--help's measured times, say) keeps every cached run; editing the library does not,
    and the notebooks' up-to-date check (skip=()) sees both. Safe because nothing below app/ imports it
    (tests/test_architecture.py)."""
    for rel in ("colorlib/__init__.py", "colorlib/paper/colorize.py", "colorlib/app/regenerate.py",
                "colorlib/plots/figures.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x = 1\n")
    root = str(tmp_path / "colorlib")

    def keys():
        cache.code_fingerprint.cache_clear()
        return cache.code_fingerprint(root=root), cache.code_fingerprint(skip=(), root=root)

    runs, notebooks = keys()
    (tmp_path / "colorlib/app/regenerate.py").write_text("x = 2\n")
    assert keys()[0] == runs and keys()[1] != notebooks
    for rel in ("colorlib/paper/colorize.py", "colorlib/plots/figures.py", "colorlib/__init__.py"):
        runs, notebooks = keys()
        (tmp_path / rel).write_text((tmp_path / rel).read_text() + "y = 3\n")
        assert keys()[0] != runs and keys()[1] != notebooks, rel
    cache.code_fingerprint.cache_clear()
