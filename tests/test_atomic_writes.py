"""Nothing lost: atomic writes, the image and its JSON written as one unit, concurrent writers never mix pairs."""
import concurrent.futures
import json
import os
import threading

import numpy as np
import pytest
from PIL import Image

from colorlib import images, record as results
from colorlib.atomic import atomic_write
from colorlib.errors import ColorkitError
from reliability_corpus import CPU, LONG_STEM, TINY, _fake_result, _leftovers, _main, _pair, _rng_rgb

# --- nothing lost ----------------------------------------------------------------------------------------------

def test_atomic_write_failure_keeps_previous_file(tmp_path):
    target = tmp_path / "result.json"
    results.write_json({"run": 1}, target)
    with pytest.raises(RuntimeError):
        with atomic_write(target, "w") as fh:
            fh.write('{"run": 2, "half')
            fh.flush()
            raise RuntimeError("crash mid-write")
    assert json.loads(target.read_text()) == {"run": 1}
    results.write_json({"run": 3, "loss": float("nan"), "best": [float("inf"), 1.5]}, target)
    assert json.loads(target.read_text()) == {"run": 3, "loss": None, "best": [None, 1.5]}  # strict JSON: no NaN
    assert sorted(os.listdir(tmp_path)) == ["result.json"]  # no temp files left behind


def test_image_save_failure_keeps_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "image.png"
    first = np.full((8, 8, 3), 0.25, np.float32)
    images.save(first, target)
    before = target.read_bytes()

    def disk_full(fd):  # the half-written temporary is on disk; its fsync finds the disk full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(ColorkitError, match="image.png: cannot write .*No space left"):
        images.save(np.ones((8, 8, 3), np.float32), target)
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["image.png"]
    monkeypatch.undo()

    def broken_encoder(self, fh, *a, **k):  # an encoder failing is one line too, and nothing is touched
        fh.write(b"\x89PNG half an image")
        raise OSError("encoder error -2")

    monkeypatch.setattr(Image.Image, "save", broken_encoder)
    with pytest.raises(ColorkitError, match="image.png: cannot encode a 8x8 image as PNG .*encoder error"):
        images.save(np.ones((8, 8, 3), np.float32), target)
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["image.png"]


def test_save_into_unwritable_place_is_a_colorkit_error(tmp_path):
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(ColorkitError, match="a_file/out.png: cannot write"):
        images.save(np.zeros((4, 4, 3), np.float32), tmp_path / "a_file" / "out.png")




def test_save_writes_image_and_json(tmp_path):
    out = tmp_path / "new" / "r.png"
    assert results.save(_fake_result(3), out) == (str(out), str(tmp_path / "new" / "r.json"))
    assert _pair(out) == (3, 3)
    assert _leftovers(out.parent) == []


def test_json_failure_restores_previous_pair(tmp_path, monkeypatch):
    """The JSON cannot be put in place after the image was: the previous image comes back, the message says so."""
    out = tmp_path / "r.png"
    results.save(_fake_result(1), out)
    before = out.read_bytes(), out.with_suffix(".json").read_bytes()
    real_replace = os.replace

    def full_disk_on_json(src, dst):
        if str(dst).endswith(".json"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", full_disk_on_json)
    with pytest.raises(ColorkitError) as info:
        results.save(_fake_result(2), out)
    message = str(info.value)
    assert message.startswith(f"{out.with_suffix('.json')}: cannot write (No space left on device)"), message
    assert f"{out} was put back" in message and "no file was changed" in message and "\n" not in message
    assert (out.read_bytes(), out.with_suffix(".json").read_bytes()) == before
    assert _leftovers(tmp_path) == []
    monkeypatch.undo()
    # no previous pair: the new image is taken away again, nothing is left
    fresh = tmp_path / "fresh.png"
    monkeypatch.setattr(os, "replace", full_disk_on_json)
    with pytest.raises(ColorkitError, match="fresh.png was put back; no file was changed"):
        results.save(_fake_result(2), fresh)
    assert not fresh.exists() and not fresh.with_suffix(".json").exists()
    assert _leftovers(tmp_path) == []


def test_image_failure_changes_nothing(tmp_path, monkeypatch):
    out = tmp_path / "r.png"
    results.save(_fake_result(1), out)
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda src, dst: (_ for _ in ()).throw(OSError(5, "Input/output error"))
                        if str(dst).endswith(".png") else real_replace(src, dst))
    with pytest.raises(ColorkitError, match=r"r.png: cannot write \(Input/output error\); no file was changed$"):
        results.save(_fake_result(2), out)
    assert _pair(out) == (1, 1) and _leftovers(tmp_path) == []


def test_ctrl_c_between_the_renames_rolls_back(tmp_path, monkeypatch):
    out = tmp_path / "r.png"
    results.save(_fake_result(1), out)
    real_replace = os.replace

    def interrupted_on_json(src, dst):
        if str(dst).endswith(".json"):
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", interrupted_on_json)
    with pytest.raises(KeyboardInterrupt):
        results.save(_fake_result(2), out)
    monkeypatch.undo()
    assert _pair(out) == (1, 1) and _leftovers(tmp_path) == []


def test_json_path_a_folder_at_save_time(tmp_path):
    """r.json became a folder during the run (check_output refuses it before a run): the pair is not split."""
    out = tmp_path / "r.png"
    results.save(_fake_result(1), out)
    before = out.read_bytes()
    (tmp_path / "r.json").unlink()
    (tmp_path / "r.json").mkdir()
    with pytest.raises(ColorkitError, match=r"r.json: cannot write \(is a directory\); no file was changed"):
        results.save(_fake_result(2), out)
    assert out.read_bytes() == before and _leftovers(tmp_path) == []


def test_json_name_too_long_at_save_time(tmp_path):
    """A 251-character stem: the image's name fits, the JSON's does not; the image is not left alone."""
    out = tmp_path / f"{LONG_STEM}.png"
    with pytest.raises(ColorkitError) as info:
        results.save(_fake_result(2), out)
    message = str(info.value)
    assert f"{LONG_STEM}.json: cannot write (File name too long)" in message, message
    assert f"{LONG_STEM}.png was put back; no file was changed" in message
    assert os.listdir(tmp_path) == []


def test_concurrent_writers_threads_never_mix_pairs(tmp_path):
    out = tmp_path / "r.png"
    for attempt in range(12):
        barrier = threading.Barrier(4)

        def write(seed, barrier=barrier):
            barrier.wait()
            results.save(_fake_result(seed), out)

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(write, range(1 + 4 * attempt % 20, 5 + 4 * attempt % 20)))
        seed_image, seed_json = _pair(out)
        assert seed_image == seed_json, f"try {attempt}: image of run {seed_image}, JSON of run {seed_json}"
    assert _leftovers(tmp_path) == []


def _writer_process(out, seed, barrier, rounds):
    for _ in range(rounds):
        barrier.wait()
        results.save(_fake_result(seed), out)
        barrier.wait()  # everyone done: the parent checks the pair
        barrier.wait()


def test_concurrent_writers_processes_never_mix_pairs(tmp_path):
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    out, rounds, writers = tmp_path / "r.png", 8, 3
    barrier = ctx.Barrier(writers + 1)
    procs = [ctx.Process(target=_writer_process, args=(out, seed, barrier, rounds)) for seed in (1, 2, 3)]
    for proc in procs:
        proc.start()
    try:
        for attempt in range(rounds):
            barrier.wait(timeout=60)
            barrier.wait(timeout=60)
            seed_image, seed_json = _pair(out)
            assert seed_image == seed_json, f"try {attempt}: image of run {seed_image}, JSON of run {seed_json}"
            barrier.wait(timeout=60)
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    assert all(proc.exitcode == 0 for proc in procs)
    assert _leftovers(tmp_path) == []


def test_concurrent_cli_runs_to_one_path(tmp_path, monkeypatch, capsys):
    """Two `colorize` commands (seeds 1 and 2) to one output, six times: the JSON always describes the image."""
    from colorlib.app import colorize_command

    for name, seed in (("c.png", 5), ("s.png", 6)):
        Image.fromarray(_rng_rgb(40, 48, seed)).save(tmp_path / name)
    monkeypatch.setattr(colorize_command, "run_preset",
                        lambda preset, content, style, config, on_step=None, references=(), schedule=None:
                        _fake_result(config.seed))
    out = tmp_path / "out" / "r.png"
    for attempt in range(6):
        barrier = threading.Barrier(2)

        def run(seed, barrier=barrier):
            barrier.wait()
            return _main(["colorize", str(tmp_path / "c.png"), str(tmp_path / "s.png"), "-o", str(out), "--seed",
                          str(seed), *TINY, *CPU])

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            assert list(pool.map(run, (1, 2))) == [0, 0], capsys.readouterr().err
        seed_image, _ = _pair(out)
        record = json.loads(out.with_suffix(".json").read_text())
        assert record["seed"] == record["params"]["seed"] == seed_image, f"try {attempt}"
    assert _leftovers(out.parent) == []


