"""Regenerate every result: run each notebooks/NN_*.ipynb headless with papermill, in order.

    colorkit figures --profile quick|smoke|paper [--only PATTERN] [--output-dir DIR] [--no-cache] [--force]

Only the profile that made the committed results (quick) writes into results/ by default; the others write into
the git-ignored results-local/PROFILE/, so a hand run never changes a committed file. Before the first notebook
starts, every module the selected notebooks import is imported here once: a missing extra (Dask, papermill,
ipywidgets, …) is one line, not a failure minutes in. Each notebook gets the parameters it declares among profile,
device, seed and output_dir. It writes into a fresh temporary folder inside the output folder; only when it
finishes are its files moved into place (the executed notebook to OUTPUT/notebooks/, with the temporary folder's
path written as the final one, relative to the notebook where it lies inside the repository), so a notebook that
fails leaves the previous results as they were. A notebook that is up to date — nothing it depends on changed since
its last run, its files as that run wrote them (colorlib/app/notebook_state.py) — is not executed again."""
from __future__ import annotations

import argparse
import fnmatch
import glob
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time

from colorlib import data
from colorlib.app import notebook_state
from colorlib.app.notebook_requirements import missing_requirements
from colorlib.atomic import atomic_write
from colorlib.errors import ColorkitError, first_line
from colorlib.experiments.profiles import PROFILES

NOTEBOOK_PATTERN = "[0-9][0-9]_*.ipynb"
NOTEBOOKS_DIR = "notebooks"  # relative to the working directory: the notebooks come with a clone, not the wheel
KERNEL = "python3"
COMMITTED_PROFILE = "quick"  # the profile that made the committed results/: the only one writing there by default
LOCAL_RESULTS = "results-local"  # git-ignored: every other profile's default output folder (one per profile)
# Whole runs of `colorkit figures` (every notebook), measured; shown by --help.
MEASURED = {
    "smoke": "2-2.5 min from a fresh clone on a shared 2-core CPU (04: 55 s): a plumbing check at 48-64 px",
    "quick": "22 min on a 2-core Intel Xeon from an empty run cache (00: 54 s, 01: 643 s, 02: 168 s, 03: 4 s, "
             "04: 368 s, 05: 98 s); again with nothing changed, 6-9 s (all up to date)",
    "paper": "not timed as a whole; Figure 1's three 512-px columns take 14 s on one H200, each iteration replayed "
             "from a CUDA graph (results/gpu/README.md)",
}


def find_notebooks(folder: str = NOTEBOOKS_DIR, only: str | None = None) -> list[str]:
    """The notebooks NN_*.ipynb in `folder`, sorted by name, filtered by the glob `only` (on the file name)."""
    paths = sorted(glob.glob(os.path.join(folder, NOTEBOOK_PATTERN)))
    if only:
        pattern = only if only.endswith(("*", ".ipynb")) else only + "*"  # '02' means '02*'
        paths = [p for p in paths if fnmatch.fnmatch(os.path.basename(p), pattern)]
    return paths


def parameters_for(path: str, values: dict) -> dict:
    """The subset of `values` that the notebook declares in its cell tagged 'parameters'."""
    import papermill

    declared = papermill.inspect_notebook(path)
    return {k: v for k, v in values.items() if k in declared}


def default_output_dir(profile: str) -> str:
    """results/ for the profile that made the committed results, results-local/PROFILE/ (git-ignored) otherwise."""
    return "results" if profile == COMMITTED_PROFILE else os.path.join(LOCAL_RESULTS, profile)


def _shown_path(output_dir: str, notebook: str) -> str:
    """How an executed notebook names its output folder: relative to the notebook's folder when both lie in one
    repository (results/ seen from notebooks/ is ../results), else absolute."""
    out, home = os.path.abspath(output_dir), os.path.dirname(os.path.abspath(notebook))
    root = os.path.dirname(home)
    return os.path.relpath(out, home) if os.path.commonpath([out, root]) == root else out


def _rename_paths(executed: str, names: dict) -> None:
    """Replace each path of `names` (path -> how to show it) wherever the executed notebook names it."""
    with open(executed, encoding="utf-8") as fh:
        text = fh.read()
    for path, shown in names.items():
        text = text.replace(path, shown)
    with atomic_write(executed, "w", encoding="utf-8") as fh:
        fh.write(text)


def _move_tree(src: str, dest: str) -> list[str]:
    """Move every file under src to the same relative place under dest (os.replace: atomic per file)."""
    moved = []
    for root, _, files in os.walk(src):
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), src)
            target = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(os.path.join(root, name), target)
            moved.append(rel)
    return sorted(moved)


def run_notebook(path: str, output_dir: str, values: dict, kernel: str = KERNEL, progress: bool = True,
                 log_output: bool = True) -> list[str]:
    """Execute one notebook into a temporary folder in output_dir; move its files into place on success.

    Returns the files written (relative to output_dir). On failure raises ColorkitError with a one-line message;
    the executed notebook is kept as OUTPUT/notebooks/NAME.failed.ipynb for inspection, nothing else changes."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    name = os.path.basename(path)
    os.makedirs(output_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".regenerate-{os.path.splitext(name)[0]}-", dir=os.path.abspath(output_dir))
    executed = os.path.join(staging, "notebooks", name)
    os.makedirs(os.path.dirname(executed))
    failed_copy = os.path.join(output_dir, "notebooks", name.replace(".ipynb", ".failed.ipynb"))
    try:
        params = parameters_for(path, {**values, "output_dir": os.path.abspath(staging)})
        try:
            papermill.execute_notebook(path, executed, parameters=params, kernel_name=kernel,
                                       progress_bar=progress, log_output=log_output,
                                       cwd=os.path.dirname(os.path.abspath(path)))
        except PapermillExecutionError as exc:
            _keep_failed(executed, failed_copy)
            raise ColorkitError(f"{name} failed in cell {exc.cell_index}: {exc.ename}: {first_line(exc.evalue)} "
                                f"(executed notebook: {failed_copy})") from None
        except ColorkitError:
            raise
        except Exception as exc:  # kernel missing or died, unreadable notebook, ...
            _keep_failed(executed, failed_copy)
            raise ColorkitError(f"{name} could not run: {type(exc).__name__}: {first_line(str(exc))}") from None
        source = os.path.abspath(path)  # shown as notebooks/NAME, as `make results` runs it
        _rename_paths(executed, {os.path.abspath(staging): _shown_path(output_dir, path),
                                 source: os.path.join(os.path.basename(os.path.dirname(source)), name)})
        if os.path.exists(failed_copy):
            os.remove(failed_copy)
        return _move_tree(staging, output_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _keep_failed(executed: str, target: str) -> None:
    if os.path.isfile(executed):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.replace(executed, target)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _cell_output_only(record: logging.LogRecord) -> bool:
    """Keep what the notebook prints; drop papermill's own bookkeeping lines."""
    text = record.getMessage()
    return bool(text.strip()) and not text.startswith(("Executing Cell", "Ending Cell", "Input Notebook",
                                                        "Output Notebook", "Working directory",
                                                        "Executing notebook with kernel"))


class _Help(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    def _get_help_string(self, action):  # no "(default: None)" where the help says what None means
        return action.help if action.default is None else super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    times = "\n".join(f"  {k:6s} {MEASURED.get(k, 'not timed')}" for k in PROFILES)
    p = argparse.ArgumentParser(prog="colorkit figures", description=__doc__.split("\n\n")[0] + "\n\n"
                                "Profiles, with the measured time of a whole run:\n" + times, formatter_class=_Help)
    p.add_argument("--profile", default=COMMITTED_PROFILE, choices=list(PROFILES),
                   help="run size: smoke (CI plumbing check), quick (2-core CPU), paper (GPU); times above")
    p.add_argument("--only", metavar="PATTERN", help="run only notebooks whose file name matches this glob, "
                                                     "e.g. '0[12]_*' or 02")
    p.add_argument("--output-dir", help=f"where results go (executed notebooks in notebooks/); default: results/ "
                                        f"for --profile {COMMITTED_PROFILE} (the committed results), else "
                                        f"{LOCAL_RESULTS}/PROFILE/ (git-ignored)")
    p.add_argument("--notebooks-dir", default=NOTEBOOKS_DIR, help="where the NN_*.ipynb notebooks are")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, mps")
    p.add_argument("--seed", type=int, default=0, help="random seed passed to every notebook")
    p.add_argument("--kernel", default=KERNEL, help="Jupyter kernel to run the notebooks with")
    p.add_argument("--quiet", action="store_true", help="no progress bars and no cell output")
    p.add_argument("--no-cache", action="store_true", help="recompute every run instead of reusing finished ones "
                   "(the run cache: colorlib/speedups/cache.py)")
    p.add_argument("--force", action="store_true", help="execute every notebook, also those up to date (nothing "
                   "they depend on changed since their last run: colorlib/app/notebook_state.py)")
    return p


def main(argv=None, handle_sigterm: bool | None = None) -> int:
    """`colorkit figures`. handle_sigterm (default: when run as a command, argv None): `kill` cleans up like
    Ctrl-C — staging folder removed, results untouched, exit 130; in-process callers keep their own handler."""
    args = build_parser().parse_args(argv)
    if (handle_sigterm if handle_sigterm is not None else argv is None) and \
            threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    if not args.quiet:  # papermill logs each cell's output under the 'papermill' logger
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("    %(message)s"))
        handler.addFilter(_cell_output_only)
        log = logging.getLogger("papermill")
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    notebooks = find_notebooks(args.notebooks_dir, args.only)
    if not notebooks:
        print(f"error: no notebook matching {args.only or NOTEBOOK_PATTERN} in {args.notebooks_dir}",
              file=sys.stderr)
        return 2
    missing = missing_requirements(notebooks, args.kernel)
    if missing:
        print(f"error: {'; '.join(missing)}; no notebook was run", file=sys.stderr)
        return 2
    output_dir = args.output_dir or default_output_dir(args.profile)
    try:  # every print the notebooks use, before hours of work: one line naming the folder to fill if missing
        data.require(data.pair_files(), download=True)
    except ColorkitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.no_cache:  # the notebooks' kernels inherit the environment
        os.environ["COLORKIT_NO_CACHE"] = "1"
    values = dict(profile=args.profile, device=args.device, seed=args.seed)
    total, skipped = time.perf_counter(), 0
    for n, path in enumerate(notebooks, start=1):
        name = os.path.basename(path)
        if not args.force and notebook_state.up_to_date(path, values, output_dir):
            print(f"[{n}/{len(notebooks)}] {name}: up to date (nothing it depends on changed since its last run, "
                  f"its files are as that run wrote them; --force runs it again)", flush=True)
            skipped += 1
            continue
        print(f"[{n}/{len(notebooks)}] {name} (profile {args.profile})", flush=True)
        start = time.perf_counter()
        try:
            files = run_notebook(path, output_dir, values, args.kernel, progress=not args.quiet,
                                 log_output=not args.quiet)
            notebook_state.remember(path, values, output_dir, files)
        except ColorkitError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print(f"error: interrupted during {name}; earlier results are unchanged", file=sys.stderr)
            return 130
        print(f"[{n}/{len(notebooks)}] {name} done in {time.perf_counter() - start:.1f} s: "
              f"{', '.join(files)}", flush=True)
    print(f"all {len(notebooks)} notebook(s) done in {time.perf_counter() - total:.1f} s ({skipped} up to date); "
          f"results in {output_dir}/", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
