"""Sweeps on Dask: spec validation, run ids, resumability, failures, and a real loopback cluster losing a worker."""
import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from colorlib import color, images
from colorlib.app.cli import main
from colorlib.errors import ColorkitError
from colorlib.experiments.sweep import local_size, pivot, plan, read_table, summarize, sweep

TINY = dict(size=32, iterations=2)
VALUES = [1e3, 1e5]


@pytest.fixture(scope="module")
def prints(tmp_path_factory):
    """Two small synthetic colour 'prints' (content with a ground truth) and two styles, plus a corrupt file."""
    folder = tmp_path_factory.mktemp("prints")
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:40, 0:48] / 48.0
    paths = {}
    for i in range(2):
        content = np.stack([xx, yy, 0.5 + 0.3 * np.sin(6 * xx + i)], -1) * 0.8 + 0.1
        style = np.clip(rng.random((40, 48, 3)) * 0.5 + [0.4 * i, 0.3, 0.5 - 0.3 * i], 0, 1)
        for name, img in ((f"content{i}", content), (f"style{i}", style)):
            paths[name] = str(folder / f"{name}.png")
            images.save(img.astype(np.float32), paths[name])
    paths["bad"] = str(folder / "bad.png")
    with open(paths["bad"], "wb") as fh:
        fh.write(b"this is not an image")
    return paths


def tiny_spec(prints, bad=False, **more):
    pairs = [{"content": prints["content0"], "style": prints["style0"]},
             {"content": prints["content1"], "style": prints["style1"]}]
    if bad:
        pairs.append({"content": prints["bad"], "style": prints["style0"]})
    return {"name": "tiny", "pairs": pairs, "config": dict(TINY), "grid": {"style_weight": VALUES}, **more}


def run_files(out):
    runs = os.path.join(out, "runs")
    return {d: sorted(os.listdir(os.path.join(runs, d))) for d in os.listdir(runs)} if os.path.isdir(runs) else {}


# --- spec validation: fast, no cluster ---------------------------------------------------------------------

@pytest.mark.parametrize("change, words", [
    (dict(colour="blue"), "unknown field(s) colour"),
    (dict(grid={"style_wieght": [1, 2]}), "unknown Config field 'style_wieght'"),
    (dict(grid={"style_weight": []}), "style_weight has no values"),
    (dict(grid={}), "grid is empty"),
    (dict(grid={"decay": [0.5, 2.0]}), "decay must be < 1"),
    (dict(grid={"style_weight": [float("nan"), 1e3]}), "grid.style_weight: nan is not a finite number"),
    (dict(grid={"style_weight": ["inf"]}), "grid.style_weight: inf is not a finite number"),
    (dict(grid={"iterations": [float("inf")]}), "grid.iterations: inf is not a finite number"),
    (dict(config={**TINY, "noise_std": float("nan")}), "config.noise_std: nan is not a finite number"),
    (dict(seeds=[0, float("nan")]), "seeds.seed: nan is not a finite number"),
    (dict(grid={"style_weight": [[1e3, 1e4], 1e5]}), "grid.style_weight: [1000.0, 10000.0] is a list"),
    (dict(grid={"style_weight": [{"a": 1}]}), "grid.style_weight: {'a': 1} is not a plain value"),
    (dict(grid={"content_layers": [["relu4_2", ["relu3_1"]]]}), "['relu3_1'] is not a plain value"),
    (dict(grid=5), "grid must be a mapping of Config fields to lists of values, got 5"),
    (dict(grid=[1e3, 1e4]), "grid must be a mapping"),
    (dict(grid={"zip": {"decay": [0, 0.1], "tv_weight": [0]}}), "zip lists differ"),
    (dict(grid={"iterations": ["many"]}), "grid.iterations: 'many' is not a number"),
    (dict(profile="huge"), "unknown profile 'huge'"),
    (dict(pairs=[{"content": "/nonexistent/a.png", "style": "/nonexistent/b.png"}]),
     "/nonexistent/a.png: file not found"),
    (dict(pairs=[]), "pairs is empty"),
])
def test_bad_spec_is_one_line_naming_the_problem(prints, change, words):
    spec = {**tiny_spec(prints), **change}
    with pytest.raises(ColorkitError) as info:
        plan(spec)
    message = str(info.value)
    assert words in message and "\n" not in message


def test_bad_spec_file_via_cli_exits_2_with_one_line(tmp_path, capsys):
    spec = tmp_path / "bad.yaml"
    spec.write_text("pairs: manifest\ngrid:\n  style_weight: []\n")
    assert main(["sweep", str(spec), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "style_weight has no values" in err and "\n" not in err
    assert not (tmp_path / "out").exists()
    spec.write_text("pairs: [unclosed\n")
    assert main(["sweep", str(spec)]) == 2
    assert "cannot parse spec" in capsys.readouterr().err


def test_grid_crosses_lists_zips_groups_and_parses_yaml_numbers(prints, tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(f"""
pairs:
  - {{content: {prints['content0']}, style: {prints['style0']}}}
profile: smoke
grid:
  style_weight: [1e3, 1e4, 1e5]   # YAML reads 1e3 as a string: the spec turns it into a float
  zip: {{decay: [0, 0.01], tv_weight: [0, 1e-3]}}
seeds: [0, 1]
""")
    tasks, info = plan(str(spec))
    assert len(tasks) == 3 * 2 * 2 and len({t["run_id"] for t in tasks}) == 12
    combos = {(t["config"]["style_weight"], t["config"]["decay"], t["config"]["tv_weight"], t["config"]["seed"])
              for t in tasks}
    assert combos == {(b, d, tv, s) for b in (1e3, 1e4, 1e5) for d, tv in ((0.0, 0.0), (0.01, 1e-3)) for s in (0, 1)}
    assert all(t["config"]["size"] == 48 and t["config"]["iterations"] == 4 for t in tasks)  # the smoke profile
    assert info["name"] == "s" and info["grid_keys"] == ["style_weight", "decay", "tv_weight", "seed"]


def test_run_id_depends_on_input_bytes_and_config(prints, tmp_path):
    base = {t["params"]["style_weight"]: t["run_id"] for t in plan(tiny_spec(prints))[0]}
    again = {t["params"]["style_weight"]: t["run_id"] for t in plan(tiny_spec(prints))[0]}
    assert base == again
    other = {t["params"]["style_weight"]: t["run_id"]
             for t in plan({**tiny_spec(prints), "config": {**TINY, "tv_weight": 1e-3}})[0]}
    assert not set(base.values()) & set(other.values())
    copy = tmp_path / "style0.png"
    img = images.load(prints["style0"])
    img[0, 0] = 1 - img[0, 0]  # one pixel changed: another input, another id
    images.save(img, str(copy))
    spec = {**tiny_spec(prints), "pairs": [{"content": prints["content0"], "style": str(copy)}]}
    assert not {t["run_id"] for t in plan(spec)[0]} & set(base.values())


def test_bad_yaml_values_are_one_line_errors_at_plan_time(prints, tmp_path):
    pair = f"pairs: [{{content: {prints['content0']}, style: {prints['style0']}}}]\n"
    for body, words in (("grid: {style_weight: [.nan, 1e3]}", "grid.style_weight: nan is not a finite number"),
                        ("grid: {style_weight: [.inf]}", "grid.style_weight: inf is not a finite number"),
                        ("grid: {decay: [[0, 0.1]]}", "grid.decay: [0, 0.1] is a list"),
                        ("grid: 5", "grid must be a mapping"),
                        ("config: {seed: .nan}", "config.seed: nan is not a finite number")):
        spec = tmp_path / "s.yaml"
        spec.write_text(pair + body + "\n")
        with pytest.raises(ColorkitError) as info:
            plan(str(spec))
        assert words in str(info.value) and "\n" not in str(info.value), body


def test_list_fields_take_lists_in_a_grid(prints):
    spec = {**tiny_spec(prints), "grid": {"content_layers": [["relu4_2"], ["relu3_2", "relu4_2"]]}}
    tasks, _ = plan(spec)
    assert {tuple(t["config"]["content_layers"]) for t in tasks} == {("relu4_2",), ("relu3_2", "relu4_2")}


def test_run_id_includes_the_numerics_environment(prints):
    import torch

    from colorlib.experiments.sweep.environment import numerics
    from colorlib.hardware import resolve_device

    spec = tiny_spec(prints)
    tasks, info = plan(spec)
    env = tasks[0]["environment"]
    assert env == {"torch_version": torch.__version__, "torch_threads": info["local_size"][1],
                   "deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
                   "device": str(resolve_device("auto")), "precision": "fp32"}
    ids = lambda found: {t["run_id"] for t in found[0]}  # noqa: E731
    base = ids((tasks, info))
    here = numerics([("auto", "fp32")], threads=env["torch_threads"])
    assert ids(plan(spec, environment=here)) == base
    for change in ({"torch_threads": env["torch_threads"] + 1}, {"torch_version": "0.0.0"},
                   {"deterministic_algorithms": not env["deterministic_algorithms"]},
                   {"resolved": {"auto|fp32": {"device": "cuda", "precision": "fp32"}}},
                   {"resolved": {"auto|fp32": {"device": "cpu", "precision": "bf16"}}}):
        assert not ids(plan(spec, environment={**here, **change})) & base, change
    bf16, _ = plan({**spec, "config": {**TINY, "precision": "bf16"}})
    assert {t["environment"]["precision"] for t in bf16} == {"bf16"} and not {t["run_id"] for t in bf16} & base
    threads = {plan(spec, workers=n)[0][0]["environment"]["torch_threads"]: ids(plan(spec, workers=n))
               for n in (1, 2)}
    if len(threads) == 2:  # more than one core: one worker runs on more threads than each of two
        assert not threads[min(threads)] & threads[max(threads)]
    with pytest.raises(ColorkitError, match="CUDA is not available") if not torch.cuda.is_available() \
            else contextlib.nullcontext():
        plan({**spec, "config": {**TINY, "device": "cuda"}})


def test_a_worker_unlike_the_run_id_records_a_one_line_failure(prints, tmp_path):
    from colorlib.experiments.sweep import run_task

    task = plan(tiny_spec(prints))[0][0]
    task["environment"] = {**task["environment"], "torch_version": "0.0.0"}
    outcome = run_task(task, str(tmp_path))
    assert outcome["status"] == "failed" and "torch_version" in outcome["record"]["error"]
    assert run_files(str(tmp_path)) == {task["run_id"]: ["error.json"]}


def test_table_takes_final_losses_from_the_record(prints, tmp_path):
    from colorlib.experiments.sweep import table_rows
    from colorlib.record import write_json

    tasks, info = plan(tiny_spec(prints))
    last = dict(content_loss=9.0, style_loss=9.0, total_loss=18.0, style_weight=1e3)
    final = dict(content_loss=1.0, style_loss=2.0, total_loss=3.0, style_weight=1e3)
    write_json({"status": "ok", "history": [last], "final": final}, tmp_path / "runs" / tasks[0]["run_id"] / "run.json")
    write_json({"status": "ok", "history": [last]}, tmp_path / "runs" / tasks[1]["run_id"] / "run.json")
    rows = table_rows(tasks[:2], str(tmp_path), info["grid_keys"])
    assert (rows[0]["content_loss"], rows[0]["total_loss"]) == (1.0, 3.0)
    assert (rows[1]["content_loss"], rows[1]["total_loss"]) == (9.0, 18.0)


def test_retrieved_pairs_take_the_best_ranked_other_candidate(prints):
    retrieval = pytest.importorskip("colorlib.evaluation.retrieval")
    candidates = [prints["style0"], prints["style1"], prints["content0"]]
    spec = {**tiny_spec(prints), "pairs": {"retrieved": {"contents": [prints["content0"]], "candidates": candidates}}}
    tasks, _ = plan(spec)
    best, score = retrieval.rank(color.to_gray(images.load(prints["content0"])), candidates[:2])[0]
    assert {t["style"] for t in tasks} == {best} and tasks[0]["retrieval_score"] == pytest.approx(score)


def test_a_retrieved_candidate_too_thin_to_rank_is_one_line(prints, tmp_path):
    thin = tmp_path / "thin.png"
    images.save(np.full((400, 3, 3), 0.5, np.float32), thin)  # 3 px wide: nothing left at relu4_1
    candidates = [prints["style0"], str(thin)]
    spec = {**tiny_spec(prints), "pairs": {"retrieved": {"contents": [prints["content0"]], "candidates": candidates}}}
    with pytest.raises(ColorkitError) as info:
        plan(spec)
    assert "thin.png" in str(info.value) and "\n" not in str(info.value)


def test_local_size_never_oversubscribes():
    cores = len(os.sched_getaffinity(0))
    for tasks in (1, 3, 100):
        workers, threads = local_size(tasks)
        assert 1 <= workers <= min(tasks, cores) and workers * threads <= max(cores, workers)
    assert local_size(100, workers=1) == (1, cores)
    with pytest.raises(ColorkitError):
        local_size(4, workers=0)


def test_pivot_means_over_pairs():
    rows = [dict(b=1, d=0, v=2.0), dict(b=1, d=0, v=4.0), dict(b=2, d=0, v=1.0), dict(b=2, d=1, v=None)]
    xs, ys, grid = pivot(rows, "b", "d", "v")
    assert xs == [1, 2] and ys == [0, 1] and grid == [[3.0, 1.0], [None, None]]


def test_summary_names_the_best_cell_and_the_gray_baseline():
    rows = [dict(status="ok", style_weight=b, decay=0.0, delta_e2000=de, colourfulness_ratio=c, delta_e2000_gray=4.0)
            for b, de, c in ((1e3, 5.0, 0.5), (1e3, 7.0, 0.7), (1e4, 4.5, 0.9))] + [dict(status="failed")]
    text = summarize(rows)
    assert text.splitlines()[0] == "4 runs: 3 ok, 1 failed"
    assert "best cell style_weight=10000, decay=0: mean ΔE2000 4.50 (gray input 4.00)" in text
    assert "worst cell style_weight=1000, decay=0: mean ΔE2000 6.00 (gray input 4.00), colourfulness 0.60× the " \
           "truth's, over 2 runs" in text
    assert "0 of 2 cells beat the gray input" in text


# --- the embedded LocalCluster -----------------------------------------------------------------------------

@pytest.mark.slow
def test_tiny_sweep_on_local_cluster_resumes_and_records_failures(prints, tmp_path):
    out = str(tmp_path / "sweep")
    first = sweep(tiny_spec(prints), out=out, workers=2, progress=False)
    assert first.started == 4 and first.failed == 0
    rows = read_table(first.table)
    assert len(rows) == 4 and {r["status"] for r in rows} == {"ok"}
    assert sorted(r["style_weight"] for r in rows) == sorted(VALUES * 2)
    assert len({r["pair"] for r in rows}) == 2
    files = run_files(out)
    assert sorted(files) == sorted(r["run_id"] for r in rows)
    assert all(names == ["image.png", "run.json"] for names in files.values())
    for row in rows:
        record = json.load(open(os.path.join(out, "runs", row["run_id"], "run.json")))
        assert record["params"]["style_weight"] == row["style_weight"] and len(record["history"]) == 2
        assert record["metrics"]["delta_e2000"] == pytest.approx(row["delta_e2000"])
        assert max(images.load(os.path.join(out, row["image"])).shape[:2]) == 32
        assert row["device"] == "cpu" and row["worker"] is not None and row["seconds"] > 0

    # a second invocation starts no task and leaves every finished file as it was
    stamps = {p: os.stat(os.path.join(out, "runs", p, "run.json")).st_mtime_ns for p in files}
    second = sweep(tiny_spec(prints), out=out, workers=2, progress=False)
    assert second.started == 0 and len(second.rows) == 4
    assert stamps == {p: os.stat(os.path.join(out, "runs", p, "run.json")).st_mtime_ns for p in files}

    # a half-written run.json is not "done"; a bad image fails its runs alone, each with a one-line error
    broken = rows[0]["run_id"]
    with open(os.path.join(out, "runs", broken, "run.json"), "w") as fh:
        fh.write('{"params": {')
    third = sweep(tiny_spec(prints, bad=True), out=out, workers=2, progress=False)  # same threads: same ids
    assert third.started == 3 and third.failed == 2
    rows = read_table(third.table)
    failed = [r for r in rows if r["status"] == "failed"]
    assert len(rows) == 6 and len(failed) == 2 and all(r["content"] == os.path.relpath(prints["bad"]) for r in failed)
    for row in failed:
        assert "not an image" in row["error"] and "\n" not in row["error"]
        assert run_files(out)[row["run_id"]] == ["error.json"]
    assert json.load(open(os.path.join(out, "runs", broken, "run.json")))["status"] == "ok"


# --- a real cluster on loopback: dask scheduler + two dask workers -----------------------------------------

def _dask(*args):
    return [os.path.join(os.path.dirname(sys.executable), "dask"), *args]


@pytest.fixture
def loopback_cluster(tmp_path):
    """`dask scheduler` and two `dask worker` processes on 127.0.0.1; yields (address, {name: Popen})."""
    procs = []
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    info = tmp_path / "scheduler.json"
    log = open(tmp_path / "cluster.log", "wb")
    try:
        procs.append(subprocess.Popen(_dask("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                            "--scheduler-file", str(info)), stdout=log, stderr=log, env=env))
        deadline = time.time() + 60
        while not info.exists() and time.time() < deadline:
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        workers = {}
        for name in ("w1", "w2"):
            workers[name] = subprocess.Popen(
                _dask("worker", address, "--name", name, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                      "--host", "127.0.0.1", "--local-directory", str(tmp_path / name)),
                stdout=log, stderr=log, env=env)
            procs.append(workers[name])
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=90)
        yield address, workers
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def _workers(client) -> dict:
    """{address: (name, [keys it is running])} read from the scheduler in one call.

    Not client.processing() + client.scheduler_info()["workers"][address]: scheduler_info() returns the client's
    cached identity, which its periodic refresh (every 2 s, distributed.client.scheduler-info-interval) rewrites
    without any per-worker entries, so a refresh landing between the fetch and the read gave
    KeyError: 'tcp://127.0.0.1:…' now and then. The lambda is pickled by value: the scheduler
    process cannot import this test module."""
    return client.run_on_scheduler(lambda dask_scheduler: {
        addr: (ws.name, [ts.key for ts in ws.processing]) for addr, ws in dask_scheduler.workers.items()})


@pytest.mark.slow
def test_cli_sweep_on_a_loopback_cluster_survives_a_killed_worker(prints, tmp_path, loopback_cluster):
    from distributed import Client

    address, workers = loopback_cluster
    spec = tmp_path / "tiny.json.yaml"
    # Adam: three L-BFGS steps without line search may diverge on these synthetic images (a finished run, but
    # marked 'diverged'); this test is about the cluster, so every run should end 'ok'
    spec.write_text(json.dumps(tiny_spec(prints, config={**TINY, "iterations": 3, "optimizer": "adam"})))
    out = tmp_path / "out"
    sweeper = subprocess.Popen([sys.executable, "-m", "colorlib", "sweep", str(spec), "--scheduler", address,
                                "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        with Client(address, timeout="30s") as client:
            victim, deadline = None, time.time() + 120
            while victim is None and time.time() < deadline:  # a worker busy with a run
                for name, keys in _workers(client).values():
                    if keys:
                        victim = name
                        lost = {str(k).replace("colorkit-run-", "") for k in keys}
                        break
                time.sleep(0.05)
            assert victim is not None, "no task started"
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].wait(timeout=10)
            output, _ = sweeper.communicate(timeout=240)
            assert [name for name, _ in _workers(client).values()] == [({"w1", "w2"} - {victim}).pop()]
    finally:
        if sweeper.poll() is None:
            sweeper.kill()
            sweeper.wait()
    text = output.decode(errors="replace")
    assert sweeper.returncode == 0, text
    assert "dashboard" in text and "4 started" in text
    rows = read_table(out / "table.csv")
    assert len(rows) == 4 and {r["status"] for r in rows} == {"ok"}
    survivor = ({"w1", "w2"} - {victim}).pop()
    assert {r["worker"] for r in rows} <= {"w1", "w2"}
    assert any(r["worker"] == survivor for r in rows if r["run_id"] in lost)  # the killed run was redone
    assert all(sorted(os.listdir(out / "runs" / r["run_id"])) == ["image.png", "run.json"] for r in rows)


# --- notebook 05 on the smoke profile ----------------------------------------------------------------------

@pytest.mark.slow
def test_notebook_05_smoke_writes_table_heatmap_and_grid(tmp_path):
    from colorlib.app import regenerate

    assert regenerate.main(["--profile", "smoke", "--only", "05", "--output-dir", str(tmp_path), "--quiet"]) == 0
    rows = read_table(tmp_path / "sweep" / "table.csv")
    assert len(rows) == 4 and {r["status"] for r in rows} == {"ok"}
    assert {(r["style_weight"], r["decay"]) for r in rows} == {(1e3, 0.0), (1e3, 0.02), (1e5, 0.0), (1e5, 0.02)}
    from PIL import Image

    for name in ("sweep_heatmap.png", "sweep_grid.png"):
        with Image.open(tmp_path / name) as figure:
            assert figure.height > 200
