"""Parameter sweeps on Dask: a spec (pairs × grid × seeds) becomes one pure, resumable task per run.

spec (read and validate) -> planning (run ids) -> driver (Dask) -> task (one run) -> table (the results);
docs/sweeps.md describes the spec and the files a sweep writes."""
from colorlib.experiments.sweep.driver import SweepResult, sweep
from colorlib.experiments.sweep.environment import local_size
from colorlib.experiments.sweep.planning import plan, run_id
from colorlib.experiments.sweep.spec import load_spec
from colorlib.experiments.sweep.table import read_table, summarize, table_rows, write_table
from colorlib.experiments.sweep.task import run_task
from colorlib.tables import pivot

__all__ = ["SweepResult", "load_spec", "local_size", "pivot", "plan", "read_table", "run_id", "run_task",
           "summarize", "sweep", "table_rows", "write_table"]
