"""Running a sweep on Dask: an embedded LocalCluster or a running cluster, resumable, failures recorded.

    from colorlib.experiments.sweep import sweep
    result = sweep("examples/sweep_example.yaml")             # an embedded LocalCluster sized to this machine
    result = sweep(spec, scheduler="tcp://10.0.0.5:8786")      # a running Dask cluster

Each run writes OUT/runs/<id>/image.png, then OUT/runs/<id>/run.json (written last, atomically: a run is done
exactly when its run.json exists). <id> is planning.run_id: inputs, Config, version and numerics environment,
so a re-run of the same spec starts only the runs that are missing. A run that fails writes its one-line error
to OUT/runs/<id>/error.json (and is tried again by the next invocation). The sweep ends by writing
OUT/table.csv (and OUT/table.parquet when pyarrow is installed): one row per run.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field

import colorlib.experiments.sweep.runs as runs
from colorlib import atomic
from colorlib.errors import ColorkitError, first_line
from colorlib.experiments.sweep.environment import on_workers
from colorlib.experiments.sweep.planning import with_ids
from colorlib.experiments.sweep.spec import expand
from colorlib.experiments.sweep.table import table_rows, write_table
from colorlib.experiments.sweep.task import record_failure, run_task

TASK_RETRIES = 2  # a task whose worker dies, or that raises an unexpected error, is tried again elsewhere


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
    cores // workers threads. client: an existing distributed.Client to use instead. The run ids include the
    workers' torch threads, version, device and precision: another --workers gives other ids."""
    start = time.perf_counter()
    if (scheduler or client is not None) and workers:
        raise ColorkitError("--workers sizes the embedded LocalCluster; with --scheduler (or a client) the "
                            "cluster's own workers run the sweep")
    planned = expand(spec)  # a bad spec fails here, before connecting to anything
    out = os.path.abspath(os.fspath(out or planned[1]["out"]))
    check_out_folder(out)  # and a bad output folder
    with _Engine(scheduler, client) as engine:
        tasks, info = with_ids(*planned, engine.environment(planned[0]), workers)
        todo = [t for t in tasks if runs.finished(out, t["run_id"]) is None]
        started, failures = 0, {}
        if todo:
            try:
                started, failures = engine.run(todo, out, info, progress)
            except KeyboardInterrupt:
                write_table(table_rows(tasks, out, info["grid_keys"]), out)
                print(f"sweep {info['name']}: interrupted; finished runs are kept in {out}, run the same sweep "
                      f"again to resume", file=sys.stderr)
                raise
    rows = table_rows(tasks, out, info["grid_keys"], failures)
    table = write_table(rows, out)
    failed = sum(r["status"] == "failed" for r in rows)
    if progress:
        print(f"sweep {info['name']}: {len(rows)} runs ({len(tasks) - len(todo)} already done, {started} started), "
              f"{failed} failed; table {table}", file=sys.stderr)
    return SweepResult(out, rows, table, started, failed, round(time.perf_counter() - start, 2))


def check_out_folder(out: str) -> None:
    """Before any run: `out` is (or can become) a folder this process can write in; else one ColorkitError line."""
    if os.path.lexists(out) and not os.path.isdir(out):
        raise ColorkitError(f"--out {out}: is a file, not a folder" if os.path.exists(out) else
                            f"--out {out}: is a dangling symlink, not a folder")
    atomic.check_writable(atomic.nearest_folder(os.path.join(out, "table.csv"), f"--out {out}"), f"--out {out}")


class _Engine:
    """The Dask client a sweep runs on: given, connected to `scheduler`, or an embedded LocalCluster started on
    demand (only when there are runs to do) and closed at the end."""

    def __init__(self, scheduler, client):
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise ColorkitError("sweeps need Dask: pip install 'colorkit[sweep]'") from None
        self.client, self.own, self.cluster = client, False, None
        if client is None and scheduler:
            from distributed import Client

            try:
                self.client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise ColorkitError(f"cannot connect to the Dask scheduler at {scheduler} "
                                    f"({first_line(exc)})") from None
            self.own = True

    def environment(self, planned_runs) -> dict | None:
        """The workers' numerics environment for a running cluster; None for the embedded one (this machine's)."""
        if self.client is None:
            return None
        return on_workers(self.client, [r["config"] for r in planned_runs])

    def run(self, todo, out, info, progress) -> tuple[int, dict]:
        resources = info["resources"]
        if self.client is None:
            from distributed import Client, LocalCluster

            workers, threads = info["local_size"]
            workers = min(workers, len(todo))  # threads stay as sized for the whole sweep (they are in the ids)
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                        dashboard_address="127.0.0.1:0",  # loopback, any free port (not 8787)
                                        resources=resources, silence_logs=40)
            self.client, self.own = Client(self.cluster), True
            where = f"{workers} local workers × {threads} torch threads"
        else:
            where = f"scheduler {self.client.scheduler.address}"
        if progress:
            board = self.client.dashboard_link if (self.cluster is None or _has_bokeh()) \
                else "(install bokeh for Dask's dashboard)"
            print(f"sweep {info['name']}: {len(todo)} runs on {where}; dashboard {board}", file=sys.stderr)
        return _gather(self.client, todo, out, resources, progress)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.own and self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _gather(client, todo, out, resources, progress) -> tuple[int, dict]:
    """Submit every task, wait for all; returns (tasks started, {run_id: error} of those that failed)."""
    from distributed import as_completed

    futures = {client.submit(run_task, task, out, key=f"colorkit-run-{task['run_id']}", retries=TASK_RETRIES,
                             resources=resources, pure=False): task for task in todo}
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
            failures[task["run_id"]] = first_line(exc)
            record_failure(out, task, exc)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(failed=len(failures), refresh=False)
    if bar is not None:
        bar.close()
    return len(futures), failures


def _has_bokeh() -> bool:
    import importlib.util

    return importlib.util.find_spec("bokeh") is not None
