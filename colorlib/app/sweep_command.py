"""`colorkit sweep SPEC [--scheduler ADDRESS] [--workers N] [--out DIR]`: a parameter sweep from the command line."""
from __future__ import annotations


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
                                               "running torch on cores/workers threads; the thread count is "
                                               "part of each run id)")
    p.add_argument("--out", metavar="DIR", help="output folder (default: the spec's 'out', else "
                                                "results/sweeps/<name>)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def cmd_sweep(args) -> int:
    from colorlib.experiments.sweep import sweep

    result = sweep(args.spec, out=args.out, scheduler=args.scheduler, workers=args.workers,
                   progress=not args.quiet)
    if args.quiet:
        print(f"{len(result.rows)} runs ({result.started} started, {result.failed} failed): {result.table}")
    return 1 if result.failed else 0
