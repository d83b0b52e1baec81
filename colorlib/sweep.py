"""Parameter sweeps on Dask: a spec (pairs × grid × seeds) becomes one pure, resumable task per run.

    from colorlib.sweep import sweep
    result = sweep("examples/sweep_example.yaml")             # an embedded LocalCluster sized to this machine
    result = sweep(spec, scheduler="tcp://10.0.0.5:8786")      # a running Dask cluster

Each run writes OUT/runs/<id>/image.png, then OUT/runs/<id>/run.json (written last, atomically: a run is done
exactly when its run.json exists). <id> hashes the inputs' sha256, the full resolved Config and the colorlib
version, so a re-run of the same spec starts only the runs that are missing. A run that fails writes
OUT/runs/<id>/error.json with its one-line error (and is tried again by the next invocation). The sweep ends by
writing OUT/table.csv (and OUT/table.parquet when pyarrow is installed): one row per run.
"""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import os
import sys
import time
from dataclasses import dataclass, field
from itertools import product

from .config import Config
from .errors import ColorkitError, DivergenceError

SPEC_KEYS = ("name", "pairs", "profile", "preset", "config", "grid", "seeds", "out", "resources")
CONFIG_FIELDS = {f.name: f for f in dataclasses.fields(Config)}
TASK_RETRIES = 2  # a task whose worker dies, or that raises an unexpected error, is tried again elsewhere
TEXT_COLUMNS = ("run_id", "pair", "status", "error", "device", "worker", "image", "content", "style")
METRIC_KEYS = ("delta_e2000", "delta_e2000_gray", "psnr", "ssim", "colourfulness", "colourfulness_truth",
               "colourfulness_ratio", "colourfulness_gap", "lightness_error")


# --------------------------------------------------------------------------------------------------------------
# spec -> tasks

def load_spec(spec) -> tuple[dict, str]:
    """A spec as a dict plus the folder its relative paths are resolved against (a dict: the current folder)."""
    if isinstance(spec, dict):
        return dict(spec), os.getcwd()
    path = os.fspath(spec)
    if not os.path.isfile(path):
        raise ColorkitError(f"{path}: spec file not found")
    ext = os.path.splitext(path)[1].lower()
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        if ext in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(raw.decode("utf-8"))
        elif ext == ".toml":
            import tomllib

            data = tomllib.loads(raw.decode("utf-8"))
        else:
            raise ColorkitError(f"{path}: spec must be .yaml, .yml or .toml, not {ext or '(no extension)'}")
    except ColorkitError:
        raise
    except Exception as exc:  # yaml.YAMLError, tomllib.TOMLDecodeError, UnicodeDecodeError
        raise ColorkitError(f"{path}: cannot parse spec ({_first_line(exc)})") from None
    if not isinstance(data, dict):
        raise ColorkitError(f"{path}: spec must be a mapping of keys ({', '.join(SPEC_KEYS)})")
    return data, os.path.dirname(os.path.abspath(path))


def plan(spec) -> tuple[list[dict], dict]:
    """Resolve a spec (path or dict) into (tasks, info); validates everything and raises one-line ColorkitErrors.

    Each task is a dict: run_id, pair, content, style, params (what varies), config (full resolved Config dict).
    info: name, out, profile, resources, grid keys."""
    data, base = load_spec(spec)
    unknown = sorted(set(data) - set(SPEC_KEYS))
    if unknown:
        raise ColorkitError(f"spec: unknown field(s) {', '.join(unknown)}; known: {', '.join(SPEC_KEYS)}")
    from . import profiles

    fixed = {}
    if data.get("profile") is not None:
        fixed.update(profiles.profile(str(data["profile"])))
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise ColorkitError("spec: config must be a mapping of Config fields")
    fixed.update({k: _coerce(k, v, "config") for k, v in config.items()})
    preset = str(data.get("preset", fixed.pop("preset", "paper")))
    combos = _grid(data.get("grid", None))
    grid_keys = list(dict.fromkeys(k for combo in combos for k in combo))
    seeds = data.get("seeds")
    if seeds is None:
        seeds = [fixed.pop("seed", 0)]
    elif "seed" in fixed or "seed" in grid_keys:
        raise ColorkitError("spec: give seeds either as 'seeds' or in config/grid, not both")
    seeds = seeds if isinstance(seeds, list) else [seeds]
    if not seeds:
        raise ColorkitError("spec: seeds is empty")
    seeds = [_coerce("seed", s, "seeds") for s in seeds]
    pairs = resolve_pairs(data.get("pairs"), base)

    version = _version()
    tasks, seen = [], set()
    for pair, combo, seed in product(pairs, combos, seeds):
        try:
            cfg = Config.from_preset(preset, **{**fixed, **combo, "seed": seed})
        except ColorkitError as exc:
            raise ColorkitError(f"spec: {exc} (in {_show(combo) or 'config'})") from None
        cfg_dict = cfg.to_dict()
        key = json.dumps({"content": pair["content_sha256"], "style": pair["style_sha256"], "config": cfg_dict,
                          "colorlib": version}, sort_keys=True, default=str)
        run_id = hashlib.sha256(key.encode()).hexdigest()[:16]
        if run_id in seen:  # the same run listed twice (e.g. a pair repeated) is run once
            continue
        seen.add(run_id)
        tasks.append(dict(run_id=run_id, pair=pair["name"], content=pair["content"], style=pair["style"],
                          params={**combo, "seed": seed}, config=cfg_dict, retrieval_score=pair.get("score")))
    name = str(data.get("name") or (os.path.splitext(os.path.basename(os.fspath(spec)))[0]
                                    if not isinstance(spec, dict) else "sweep"))
    resources = data.get("resources")
    if resources is None and any(str(t["config"]["device"]).startswith("cuda") for t in tasks):
        resources = {"GPU": 1}  # one GPU runs one task at a time
    if resources is not None and not isinstance(resources, dict):
        raise ColorkitError("spec: resources must be a mapping such as {GPU: 1}")
    info = dict(name=name, out=data.get("out") or os.path.join("results", "sweeps", name),
                profile=data.get("profile"), resources=resources, grid_keys=grid_keys + ["seed"])
    return tasks, info


def _grid(grid) -> list[dict]:
    """Grid mapping -> list of combos. Lists are crossed; each `zip` group (mapping of equal-length lists, or a
    list of such mappings) varies together."""
    if grid is None:
        return [{}]
    if not isinstance(grid, dict) or not grid:
        raise ColorkitError("spec: grid is empty; give at least one Config field with a list of values, "
                            "or leave grid out for one run per pair")
    axes = []  # each axis: list of partial combos
    for key, values in grid.items():
        if key == "zip":
            groups = values if isinstance(values, list) else [values]
            for group in groups:
                if not isinstance(group, dict) or not group:
                    raise ColorkitError("spec: grid.zip must be a mapping of Config fields to equal-length lists")
                lists = {k: _values(k, v, "grid.zip") for k, v in group.items()}
                lengths = {len(v) for v in lists.values()}
                if len(lengths) != 1:
                    raise ColorkitError(f"spec: grid.zip lists differ in length "
                                        f"({', '.join(f'{k}: {len(v)}' for k, v in lists.items())})")
                axes.append([dict(zip(lists, row)) for row in zip(*lists.values())])
        else:
            axes.append([{key: v} for v in _values(key, values, "grid")])
    return [{k: v for part in parts for k, v in part.items()} for parts in product(*axes)]


def _values(key, values, where) -> list:
    if not isinstance(values, list):
        values = [values]
    if not values:
        raise ColorkitError(f"spec: {where}.{key} has no values (empty grid)")
    return [_coerce(key, v, where) for v in values]


def _coerce(key, value, where):
    """Check that `key` is a Config field and convert YAML's strings ('1e4') and lists to the field's type."""
    if key not in CONFIG_FIELDS:
        raise ColorkitError(f"spec: {where}: unknown Config field {key!r}")
    default = CONFIG_FIELDS[key].default
    kind = str(CONFIG_FIELDS[key].type)
    try:
        if isinstance(value, list):
            return tuple(value)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(default, bool):
            return value
        if isinstance(default, float) or kind.startswith("float"):
            return float(value)
        if isinstance(default, int):
            as_float = float(value)
            if as_float != int(as_float):
                raise ValueError("not a whole number")
            return int(as_float)
    except (TypeError, ValueError):
        raise ColorkitError(f"spec: {where}.{key}: {value!r} is not a number") from None
    return value


def resolve_pairs(pairs, base: str) -> list[dict]:
    """The spec's `pairs` -> list of dict(name, content, style, content_sha256, style_sha256[, score]).

    Forms: a list of {content, style} (paths, relative to the spec's folder, or data/manifest.csv names);
    'manifest' or {manifest: [row indices]} (data/pairs.csv); {retrieved: {contents, candidates}} (each content
    with the best style that colorlib.retrieval.rank finds among the candidates)."""
    from . import data

    if pairs is None:
        raise ColorkitError("spec: pairs is missing (a list of {content, style}, 'manifest' or {retrieved: ...})")
    if pairs == "manifest":
        pairs = {"manifest": "all"}
    if pairs == "retrieved":
        pairs = {"retrieved": {}}
    out = []
    if isinstance(pairs, list):
        if not pairs:
            raise ColorkitError("spec: pairs is empty")
        for i, row in enumerate(pairs):
            if not isinstance(row, dict) or set(row) - {"content", "style"} or not {"content", "style"} <= set(row):
                raise ColorkitError(f"spec: pairs[{i}] must be a mapping with exactly 'content' and 'style'")
            out.append((_path(row["content"], base, f"pairs[{i}].content"),
                        _path(row["style"], base, f"pairs[{i}].style"), None))
    elif isinstance(pairs, dict) and set(pairs) == {"manifest"}:
        rows = data.pairs()
        pick = pairs["manifest"]
        if pick == "all":
            pick = list(range(len(rows)))
        pick = pick if isinstance(pick, list) else [pick]
        if not pick:
            raise ColorkitError("spec: pairs.manifest is empty")
        for i in pick:
            if not isinstance(i, int) or not 0 <= i < len(rows):
                raise ColorkitError(f"spec: pairs.manifest: {i!r} is not a row of data/pairs.csv (0..{len(rows) - 1})")
            out.append((data.find(rows[i]["content"]), data.find(rows[i]["style"]), None))
    elif isinstance(pairs, dict) and set(pairs) == {"retrieved"}:
        out = _retrieved(pairs["retrieved"] or {}, base)
    else:
        raise ColorkitError("spec: pairs must be a list of {content, style}, 'manifest', {manifest: [rows]} or "
                            "{retrieved: {contents, candidates}}")
    return [dict(name=f"{_stem(c)}<-{_stem(s)}", content=c, style=s, content_sha256=data.sha256_file(c),
                 style_sha256=data.sha256_file(s), **({"score": score} if score is not None else {}))
            for c, s, score in out]


def _retrieved(opts, base) -> list:
    from . import color, data, images

    try:
        from . import retrieval
    except ImportError as exc:
        raise ColorkitError(f"spec: pairs 'retrieved' needs colorlib.retrieval, which this install lacks "
                            f"({_first_line(exc)})") from None
    if not isinstance(opts, dict) or set(opts) - {"contents", "candidates"}:
        raise ColorkitError("spec: pairs.retrieved takes 'contents' and 'candidates' (lists, or 'manifest')")
    contents = opts.get("contents", "manifest")
    if contents == "manifest":
        contents = [data.find(row["content"]) for row in data.pairs()]
    else:
        contents = [_path(c, base, "pairs.retrieved.contents") for c in _as_list(contents, "contents")]
    candidates = opts.get("candidates", "manifest")
    if candidates == "manifest":
        candidates = [data.find(name) for name in data.manifest()]
    else:
        candidates = [_path(c, base, "pairs.retrieved.candidates") for c in _as_list(candidates, "candidates")]
    out = []
    for content in contents:
        others = [c for c in candidates if os.path.realpath(c) != os.path.realpath(content)]
        if not others:
            raise ColorkitError(f"spec: pairs.retrieved: no candidate style for {content}")
        ranked = retrieval.rank(color.to_gray(images.load(content)), others)
        best, score = ranked[0]
        out.append((content, os.fspath(best), float(score)))
    return out


def _as_list(value, name):
    value = value if isinstance(value, list) else [value]
    if not value:
        raise ColorkitError(f"spec: pairs.retrieved.{name} is empty")
    return value


def _path(value, base, where) -> str:
    from . import data

    value = os.path.expanduser(str(value))
    path = value if os.path.isabs(value) else os.path.join(base, value)
    if os.path.isfile(path):
        return os.path.abspath(path)
    if os.path.basename(value) == value and value in data.manifest():
        return data.find(value)
    raise ColorkitError(f"spec: {where}: {value}: file not found (nor a data/manifest.csv name)")


# --------------------------------------------------------------------------------------------------------------
# one run = one task

def run_task(task: dict, out: str, threads: int | None = None) -> dict:
    """Run one task on whichever process calls it (a Dask worker, or this one) and write its files.

    Returns dict(status, record) where record is what run.json / error.json holds. Bad input (ColorkitError)
    is recorded in error.json; a diverged run is a finished run marked diverged; any other exception propagates
    so that Dask retries the task."""
    import numpy as np
    import torch

    from . import color, images, metrics, results
    from .colorize import colorize

    folder = os.path.join(out, "runs", task["run_id"])
    done = _read_json(os.path.join(folder, "run.json"))
    if done is not None:  # a retried task whose first attempt finished after all
        return {"status": done.get("status", "ok"), "record": done}
    if threads:
        torch.set_num_threads(int(threads))
    worker = _worker_name()
    extra = dict(sweep={"run_id": task["run_id"], "pair": task["pair"], "params": task["params"]},
                 paths={"content": task["content"], "style": task["style"]}, worker=worker)
    status, error = "ok", None
    try:
        config = Config().replace(**task["config"])
        result = colorize(task["content"], task["style"], config)
    except DivergenceError as exc:
        if exc.result is None:
            return _failed(folder, task, exc, worker)
        result, status, error = exc.result, "diverged", _first_line(exc)
    except ColorkitError as exc:
        return _failed(folder, task, exc, worker)
    content = images.load(task["content"])
    if _is_colour(content):  # colour content: the grayscaled input has a ground truth
        truth = images.resize_to(content, *result.image.shape[:2])
        gray = color.to_gray(truth)
        found = metrics.evaluate(result.image, truth, source=gray)
        found["delta_e2000_gray"] = metrics.delta_e2000(gray, truth)  # the do-nothing baseline, for honesty
        extra["metrics"] = {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in found.items()}
    else:
        extra["metrics"] = None
    record = results.result_record(result, status=status, error=error, **extra)
    images.save(result.image, os.path.join(folder, "image.png"))
    results.write_json(record, os.path.join(folder, "run.json"))  # last: its presence means "done"
    _remove(os.path.join(folder, "error.json"))
    return {"status": status, "record": record}


def _failed(folder, task, exc, worker) -> dict:
    from . import results

    record = dict(status="failed", error=_first_line(exc), worker=worker, params=task["config"],
                  sweep={"run_id": task["run_id"], "pair": task["pair"], "params": task["params"]},
                  paths={"content": task["content"], "style": task["style"]}, versions=results.versions())
    results.write_json(record, os.path.join(folder, "error.json"))
    return {"status": "failed", "record": record}


def _is_colour(rgb, tolerance=3 / 255) -> bool:
    import numpy as np

    spread = np.max(rgb, axis=-1) - np.min(rgb, axis=-1)
    return float(np.percentile(spread, 99)) > tolerance


def _worker_name() -> str:
    try:
        from distributed import get_worker

        worker = get_worker()
        return str(worker.name if worker.name is not None else worker.address)
    except (ImportError, ValueError):
        return f"local-{os.getpid()}"


# --------------------------------------------------------------------------------------------------------------
# the driver

@dataclass
class SweepResult:
    """What sweep() did: the output folder, the table rows, how many tasks it started and how many failed."""

    out: str
    rows: list = field(default_factory=list)
    table: str = ""
    started: int = 0
    failed: int = 0
    seconds: float = 0.0


def sweep(spec, out=None, scheduler: str | None = None, workers: int | None = None, progress: bool = True,
          client=None) -> SweepResult:
    """Run every missing run of `spec` (a YAML/TOML path or a dict) and write the table; see the module doc.

    scheduler: address of a running Dask scheduler (tcp://HOST:PORT); default: an embedded LocalCluster with
    `workers` processes (default: one per core, fewer if memory is short), each running torch on
    cores // workers threads. client: an existing distributed.Client to use instead."""
    start = time.perf_counter()
    tasks, info = plan(spec)
    out = os.path.abspath(os.fspath(out or info["out"]))
    todo = [t for t in tasks if not _done(out, t["run_id"])]
    started = 0
    failures = {}
    if todo:
        try:
            started, failures = _run(todo, out, info, scheduler, workers, progress, client)
        except KeyboardInterrupt:
            write_table(table_rows(tasks, out, info["grid_keys"]), out)
            print(f"sweep {info['name']}: interrupted; finished runs are kept in {out}, run the same sweep again "
                  f"to resume", file=sys.stderr)
            raise
    rows = table_rows(tasks, out, info["grid_keys"], failures)
    table = write_table(rows, out)
    failed = sum(r["status"] == "failed" for r in rows)
    if progress:
        print(f"sweep {info['name']}: {len(rows)} runs ({len(tasks) - len(todo)} already done, {started} started), "
              f"{failed} failed; table {table}", file=sys.stderr)
    return SweepResult(out, rows, table, started, failed, round(time.perf_counter() - start, 2))


def _done(out, run_id) -> bool:
    return _read_json(os.path.join(out, "runs", run_id, "run.json")) is not None


def _run(todo, out, info, scheduler, workers, progress, client) -> tuple[int, dict]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ColorkitError("sweeps need Dask: pip install 'colorkit[sweep]'") from None
    cluster = None
    threads = None
    resources = info["resources"]
    if client is None and scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise ColorkitError(f"cannot connect to the Dask scheduler at {scheduler} ({_first_line(exc)})") from None
        own_client = True
    elif client is None:
        workers, threads = local_size(len(todo), workers)
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address="127.0.0.1:0",  # loopback, any free port (not 8787)
                               resources=resources, silence_logs=40)
        client = Client(cluster)
        own_client = True
    else:
        own_client = False
    try:
        if progress:
            where = f"{workers} local workers × {threads} torch threads" if cluster else f"scheduler {client.scheduler.address}"
            board = client.dashboard_link if (cluster is None or _has_bokeh()) else "(install bokeh for Dask's dashboard)"
            print(f"sweep {info['name']}: {len(todo)} runs on {where}; dashboard {board}", file=sys.stderr)
        futures = {}
        for task in todo:
            future = client.submit(run_task, task, out, threads, key=f"colorkit-run-{task['run_id']}",
                                   retries=TASK_RETRIES, resources=resources, pure=False)
            futures[future] = task
        failures = {}
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(todo), unit="run", file=sys.stderr, dynamic_ncols=True)
        for future in as_completed(futures):
            task = futures[future]
            try:
                outcome = future.result()
                if outcome["status"] == "failed":
                    failures[task["run_id"]] = outcome["record"]["error"]
            except Exception as exc:  # retries exhausted, or the task killed its workers (KilledWorker)
                failures[task["run_id"]] = _first_line(exc) or type(exc).__name__
                _failed(os.path.join(out, "runs", task["run_id"]), task, exc, "?")
            if bar is not None:
                bar.update(1)
                bar.set_postfix(failed=len(failures), refresh=False)
        if bar is not None:
            bar.close()
        return len(futures), failures
    finally:
        if own_client:
            client.close()
        if cluster is not None:
            cluster.close()


def local_size(n_tasks: int, workers: int | None = None) -> tuple[int, int]:
    """(worker processes, torch threads per worker) for this machine: workers × threads = cores, and at most one
    worker per ~1.5 GB of memory (each holds a VGG-19) and per task."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if workers is None:
        workers = max(1, min(cores, n_tasks, int(_memory_gb() // 1.5) or 1))
        gpus = _cuda_devices()
        if gpus:  # device 'auto' picks the GPU: one worker per GPU, not one per core
            workers = min(gpus, n_tasks)
    if workers < 1:
        raise ColorkitError(f"workers must be >= 1, got {workers}")
    return workers, max(1, cores // workers)


def _cuda_devices() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def _memory_gb() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (ValueError, OSError, AttributeError):
        return 4.0


def _has_bokeh() -> bool:
    import importlib.util

    return importlib.util.find_spec("bokeh") is not None


# --------------------------------------------------------------------------------------------------------------
# the table

def table_rows(tasks, out, grid_keys, failures=None) -> list[dict]:
    """One row per task from its run.json (or error.json): pair, parameters, final losses, metrics, seconds,
    device, worker, status, error."""
    failures = failures or {}
    rows = []
    for task in tasks:
        folder = os.path.join(out, "runs", task["run_id"])
        record = _read_json(os.path.join(folder, "run.json"))
        row = dict(run_id=task["run_id"], pair=task["pair"])
        row.update({k: _cell(task["params"].get(k, task["config"].get(k))) for k in grid_keys})
        row.update(size=task["config"]["size"], iterations=task["config"]["iterations"])
        if task.get("retrieval_score") is not None:
            row["retrieval_score"] = task["retrieval_score"]
        if record is not None:
            final = record["history"][-1] if record.get("history") else {}
            found = record.get("metrics") or {}
            row.update(status=record.get("status", "ok"), error=record.get("error") or "",
                       content_loss=final.get("content_loss"), style_loss=final.get("style_loss"),
                       total_loss=final.get("total_loss"), final_style_weight=final.get("style_weight"),
                       **{k: found.get(k) for k in METRIC_KEYS}, seconds=record.get("seconds"),
                       device=record.get("device"), worker=record.get("worker"),
                       image=os.path.join("runs", task["run_id"], "image.png"))
        else:
            err = _read_json(os.path.join(folder, "error.json")) or {}
            row.update(status="failed" if (err or task["run_id"] in failures) else "missing",
                       error=err.get("error") or failures.get(task["run_id"], ""),
                       content_loss=None, style_loss=None, total_loss=None, final_style_weight=None,
                       **{k: None for k in METRIC_KEYS}, seconds=None, device=None, worker=err.get("worker"),
                       image="")
        row["content"], row["style"] = task["content"], task["style"]
        rows.append(row)
    return rows


def write_table(rows, out) -> str:
    """Write OUT/table.csv (atomically) and OUT/table.parquet when pyarrow is importable; returns the csv path."""
    from .atomic import atomic_write

    columns = list(dict.fromkeys(k for row in rows for k in row))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in columns})
    path = os.path.join(out, "table.csv")
    with atomic_write(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(buf.getvalue())
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return path
    with atomic_write(os.path.join(out, "table.parquet"), "wb") as fh:
        pq.write_table(pa.Table.from_pylist(rows), fh)
    return path


def read_table(path) -> list[dict]:
    """table.csv -> list of rows with numbers as floats (empty cells as None)."""
    with open(path, newline="", encoding="utf-8") as fh:
        return [{k: v if k in TEXT_COLUMNS else _number(v) for k, v in row.items()} for row in csv.DictReader(fh)]


def pivot(rows, x: str, y: str, value: str, agg: str = "mean") -> tuple[list, list, list]:
    """(xs, ys, grid) with grid[i][j] the mean (or 'median', or 'count') of `value` over rows with y = ys[i],
    x = xs[j] (runs that failed or lack the value are skipped; a cell with none is None)."""
    import statistics

    xs = sorted({r[x] for r in rows})
    ys = sorted({r[y] for r in rows})
    fn = {"mean": statistics.fmean, "median": statistics.median, "count": len}[agg]
    grid = []
    for yv in ys:
        line = []
        for xv in xs:
            vals = [r[value] for r in rows if r[x] == xv and r[y] == yv and isinstance(r.get(value), (int, float))]
            line.append(fn(vals) if vals else (0 if agg == "count" else None))
        grid.append(line)
    return xs, ys, grid


def summarize(rows, x: str = "style_weight", y: str = "decay") -> str:
    """A few lines on a finished sweep: runs by status, the best (x, y) cell by mean ΔE2000 over its finished
    ('ok') runs, and how it compares with the gray input (the do-nothing baseline) and the truth's colourfulness.
    Diverged runs are left out of the means: their image is the last finite one, not a result."""
    counts = {s: sum(r.get("status") == s for r in rows) for s in ("ok", "diverged", "failed", "missing")}
    lines = [f"{len(rows)} runs: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)]
    if counts["diverged"] + counts["failed"]:
        bad = sorted({(r[x], r[y]) for r in rows if r.get("status") in ("diverged", "failed") and x in r and y in r})
        lines[0] += (f" (left out of the means below; in cells {', '.join(f'{x}={a:g}/{y}={b:g}' for a, b in bad)})"
                     if bad else "")
    scored = [r for r in rows if r.get("status") == "ok" and isinstance(r.get("delta_e2000"), (int, float))]
    if not scored:
        return lines[0] + "; no ground truth to score against"
    xs, ys, de = pivot(scored, x, y, "delta_e2000")
    _, _, ratio = pivot(scored, x, y, "colourfulness_ratio")
    _, _, gray = pivot(scored, x, y, "delta_e2000_gray")
    _, _, n = pivot(scored, x, y, "delta_e2000", agg="count")
    cells = [(de[i][j], ratio[i][j], gray[i][j], xs[j], ys[i], n[i][j]) for i in range(len(ys))
             for j in range(len(xs)) if de[i][j] is not None]
    best = min(cells)
    worst = max(cells)
    beat = sum(c[0] < c[2] for c in cells)
    lines.append(f"best cell {x}={best[3]:g}, {y}={best[4]:g}: mean ΔE2000 {best[0]:.2f} (gray input {best[2]:.2f}), "
                 f"colourfulness {best[1]:.2f}× the truth's, over {best[5]} runs")
    lines.append(f"worst cell {x}={worst[3]:g}, {y}={worst[4]:g}: mean ΔE2000 {worst[0]:.2f} (gray input "
                 f"{worst[2]:.2f}), colourfulness {worst[1]:.2f}× the truth's, over {worst[5]} runs")
    lines.append(f"{beat} of {len(cells)} cells beat the gray input on mean ΔE2000"
                 + (" — none does: adding colour this way costs fidelity here" if beat == 0 else ""))
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------------------

def _read_json(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


def _cell(value):
    return ",".join(map(str, value)) if isinstance(value, (list, tuple)) else value


def _number(text):
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _show(combo) -> str:
    return ", ".join(f"{k}={v}" for k, v in combo.items())


def _stem(path) -> str:
    return os.path.splitext(os.path.basename(path))[0].replace("hiroshige_tokaido_", "")


def _version() -> str:
    from .results import versions

    return str(versions().get("colorkit"))


def _first_line(exc) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --------------------------------------------------------------------------------------------------------------
# command line: python -m colorlib sweep SPEC [--scheduler ADDRESS] [--workers N] [--out DIR]

def add_parser(sub) -> None:
    """Add the `sweep` subcommand to the CLI's subparsers."""
    p = sub.add_parser("sweep", help="run a parameter sweep (YAML/TOML spec) on Dask, resumable",
                       description="Run every missing run of SPEC on an embedded Dask LocalCluster (default) or a "
                                   "running Dask cluster (--scheduler). Finished runs are kept and never re-run. "
                                   "Exit 0 when every run succeeded, 1 when some failed (see the table), 2 on a "
                                   "bad spec.")
    p.add_argument("spec", help="sweep spec, .yaml/.yml or .toml (see docs/sweeps.md)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler to use, e.g. tcp://127.0.0.1:8786 "
                                                          "(default: an embedded LocalCluster)")
    p.add_argument("--workers", type=int, help="LocalCluster worker processes (default: one per core, each "
                                               "running torch on cores/workers threads)")
    p.add_argument("--out", metavar="DIR", help="output folder (default: the spec's 'out', else "
                                                "results/sweeps/<name>)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def cmd_sweep(args) -> int:
    if args.scheduler and args.workers:
        raise ColorkitError("--workers sizes the embedded LocalCluster; with --scheduler the cluster's own "
                            "workers run the sweep")
    result = sweep(args.spec, out=args.out, scheduler=args.scheduler, workers=args.workers,
                   progress=not args.quiet)
    if args.quiet:
        print(f"{len(result.rows)} runs ({result.started} started, {result.failed} failed): {result.table}")
    return 1 if result.failed else 0
