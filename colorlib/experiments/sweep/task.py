"""One run = one task: colorize, score against the ground truth when there is one, write its files."""
from __future__ import annotations

import os
from typing import Any

import colorlib.experiments.sweep.runs as runs
from colorlib.atomic import atomic_write
from colorlib.errors import ColorkitError, DivergenceError, first_line
from colorlib.experiments.sweep.environment import mismatch
from colorlib.hashes import sha256_bytes


def run_task(task: dict, out: str) -> dict:
    """Run one task (from plan()) on whichever process calls it (a Dask worker, or this one); write its files.

    Sets torch's thread count to the one in the task's run id first. Returns dict(status, record) where record
    is what run.json / error.json holds. Bad input (ColorkitError), or a worker whose torch or device differs
    from the run id's, is recorded in error.json; a diverged run is a finished run marked diverged; any other
    exception propagates so that Dask retries the task."""
    import numpy as np
    import torch

    from colorlib import color, images, record
    from colorlib.evaluation import metrics
    from colorlib.paper.config import Config
    from colorlib.speedups.cache import colorize_cached

    folder = runs.folder(out, task["run_id"])
    done = runs.finished(out, task["run_id"])
    if done is not None:  # a retried task whose first attempt finished after all
        return {"status": done.get("status", "ok"), "record": done}
    torch.set_num_threads(int(task["environment"]["torch_threads"]))
    worker = worker_name()
    extra: dict[str, Any] = dict(sweep={"run_id": task["run_id"], "pair": task["pair"], "params": task["params"],
                        "environment": task["environment"]}, files=input_files(task), worker=worker)
    status, error = "ok", None
    try:
        differs = mismatch(task)
        if differs:
            raise ColorkitError(f"worker {worker} cannot run this run as its id promises: {differs}")
        # through the run cache: a sweep written into a fresh folder (a notebook's staging folder) repeats nothing
        result = colorize_cached(task["content"], task["style"], Config().replace(**task["config"]))
    except DivergenceError as exc:
        if exc.result is None:
            return _failed(folder, task, exc, worker)
        result, status, error = exc.result, "diverged", first_line(exc)
    except ColorkitError as exc:
        return _failed(folder, task, exc, worker)
    content = images.load(task["content"])
    if not color.is_gray(content):  # colour content: the grayscaled input has a ground truth
        truth = images.resize_to(content, *result.image.shape[:2])
        gray = color.to_gray(truth)
        found: dict[str, Any] = dict(metrics.evaluate(result.image, truth, source=gray))
        found["delta_e2000_gray"] = metrics.delta_e2000(gray, truth)  # the do-nothing baseline, for honesty
        extra["metrics"] = {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in found.items()}
    else:
        extra["metrics"] = None
    encoded = images.encode(result.image, "image.png")
    data = record.result_record(result, status=status, error=error,
                                image={"name": "image.png", "sha256": sha256_bytes(encoded)}, **extra)
    with atomic_write(os.path.join(folder, "image.png"), "wb") as fh:
        fh.write(encoded)
    record.write_json(data, os.path.join(folder, "run.json"))  # last: its presence means "done" (an error.json of
    return {"status": status, "record": data}  # an earlier attempt stays: the run.json beside it wins)


def input_files(task: dict) -> dict:
    """{"content": {"name", "sha256"}, "style": {...}}: the inputs as results name them, never by absolute path."""
    return {key: {"name": task[f"{key}_name"], "sha256": task[f"{key}_sha256"]} for key in ("content", "style")}


def record_failure(out: str, task: dict, exc: BaseException, worker: str = "?") -> dict:
    """Write the task's error.json (its one-line error); returns dict(status='failed', record)."""
    return _failed(runs.folder(out, task["run_id"]), task, exc, worker)


def _failed(folder, task, exc, worker) -> dict:
    from colorlib import record

    data = dict(status="failed", error=first_line(exc), worker=worker, params=task["config"],
                sweep={"run_id": task["run_id"], "pair": task["pair"], "params": task["params"],
                       "environment": task["environment"]},
                files=input_files(task), versions=record.versions())
    record.write_json(data, os.path.join(folder, "error.json"))
    return {"status": "failed", "record": data}


def worker_name() -> str:
    """The Dask worker's name (its address when unnamed), or local-<pid> outside a worker."""
    try:
        from distributed import get_worker

        worker = get_worker()
        return str(worker.name if worker.name is not None else worker.address)
    except (ImportError, ValueError):
        return f"local-{os.getpid()}"
