"""The measured numbers in README.md and docs/*.md, rewritten from the committed results JSON.

A table sits between ``<!-- table: NAME -->`` and ``<!-- /table -->`` on lines of their own; a number in prose
between ``<!-- value: NAME -->`` and ``<!-- /value -->``. NAME is a key of ``TABLES`` or ``VALUES`` below; the
function each names says which JSON file and keys it shows. ``make results`` runs the first command after the
figures; the test suite runs the second (tests/test_docs_tables.py)::

    python -m colorlib.docs_tables            # rewrite every marked span from results/
    python -m colorlib.docs_tables --check    # exit 1, naming each span that disagrees with its JSON
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from colorlib import benchmarks_markdown as bench, results_markdown as res
from colorlib.atomic import atomic_write
from colorlib.errors import ColorkitError
from colorlib.results_markdown import Results

# marker name -> markdown from the JSON (each function's docstring names the file and keys it shows)
TABLES = {
    "figure1": res.figure1,
    "figure1-gpu": lambda r: res.figure1(r, res.FIGURE1_GPU),
    "figure1-ablation": res.figure1_ablation,
    "figure2": res.figure2,
    "figure2-sgd": res.figure2_sgd,
    "evaluation": res.evaluation,
    "style-weight-sweep": bench.sweep_summary,
    "style-weight-sweep-table": bench.sweep_table,
    "style-weight-sweep-runs": bench.sweep_runs,
    "exemplar-ablation": bench.exemplar_ablation,
    "exemplar-pairs": bench.exemplar_pairs,
    "exemplar-unseen": bench.exemplar_unseen,
    "precision": bench.precision(bench.PRECISION),
    "precision-gpu": bench.precision(bench.PRECISION_GPU),
    "speed": bench.speed(bench.SPEED),
    "speed-1thread": bench.speed(bench.SPEED_1THREAD),
    "speed-gpu": bench.speed(bench.SPEED_GPU),
    "lbfgs-form-cpu": bench.lbfgs_form(bench.LBFGS_CPU),
    "lbfgs-form-gpu": bench.lbfgs_form(bench.LBFGS_GPU),
    "time-to-quality": bench.time_to_quality(bench.TIME_TO_QUALITY, quick=bench.TTQ_QUICK),
    "time-to-quality-gpu": bench.time_to_quality(bench.TIME_TO_QUALITY_GPU, "NVIDIA H200, precision auto = bf16"),
    "time-to-quality-sweep-gpu": bench.time_to_quality_sweep(bench.TIME_TO_QUALITY_SWEEP,
                                                             "NVIDIA H200, precision auto = bf16"),
    "cuda-graph": bench.cuda_graph,
    "time-to-quality-summary": bench.time_to_quality_summary,
}
VALUES = {
    "figure1.verdict": res.verdict(res.FIGURE1),
    "figure1-ablation.verdict": res.verdict(res.ABLATION),
    "figure2.claims": res.verdict(res.FIGURE2, until=" (a) "),
    "figure2.sgd-lr": lambda r: f"{r(res.FIGURE2)['sgd_lr_sweep']['chosen_lr']:g}",
    "speed.machine": bench.machine(bench.SPEED),
    "speed.512-fp32": bench.iteration_seconds(bench.SPEED, 512, "fp32"),
    "speed.512-fp32-minutes": bench.run_minutes(bench.SPEED, 512, "fp32"),
    "speed.512-bf16": bench.iteration_seconds(bench.SPEED, 512, "bf16"),
    "speed.256-fp32": bench.iteration_seconds(bench.SPEED, 256, "fp32"),
    "ttq.quick-seconds": bench.time_to_quality_seconds(bench.TTQ_QUICK),
    "ttq.full-seconds": bench.time_to_quality_seconds("full"),
    "precision.bf16-time": lambda r: res.f(r(bench.PRECISION[0])["summary"]["bf16_over_fp32_seconds_per_iteration"]),
}

MARKER = re.compile(r"<!-- (table|value): ([\w.-]+) -->(.*?)<!-- /\1 -->", re.DOTALL)
OPENING = re.compile(r"<!-- (table|value): ")


@dataclass(frozen=True)
class Drift:
    """A marked span whose text is not what its JSON gives."""

    file: str
    kind: str  # "table" or "value"
    name: str
    sources: tuple

    def __str__(self) -> str:
        return f"{self.file}: {self.kind} '{self.name}' disagrees with {', '.join(self.sources)}"

    def rewritten(self) -> str:
        return f"{self.file}: {self.kind} '{self.name}' rewritten from {', '.join(self.sources)}"


def documents(root: Path) -> list[Path]:
    """README.md and every docs/*.md under `root`, the files that may hold markers."""
    return [p for p in [root / "README.md", *sorted((root / "docs").glob("*.md"))] if p.is_file()]


def render(text: str, results: Results, file: str = "") -> tuple[str, list[Drift]]:
    """`text` with every marked span rewritten from `results`, and the spans that changed.

    Parameters
    ----------
    text : str
        A markdown document.
    results : Results
        Reads the JSON files under the repository root (and remembers which ones each span read).
    file : str, optional
        The document's name, for the drift messages.

    Returns
    -------
    new_text : str
        The document with every span regenerated.
    drift : list of Drift
        The spans whose old text differed from the new.

    Raises
    ------
    ColorkitError
        A marker names no table or value, is not closed, or its JSON file is missing or lacks a key.
    """
    if len(OPENING.findall(text)) != len(MARKER.findall(text)):
        raise ColorkitError(f"{file}: a '<!-- table: …' or '<!-- value: …' marker has no matching closing marker")
    drift: list[Drift] = []

    def replace(match: re.Match) -> str:
        kind, name, old = match.groups()
        registry = TABLES if kind == "table" else VALUES
        if name not in registry:
            raise ColorkitError(f"{file}: unknown {kind} '{name}' (known: {', '.join(sorted(registry))})")
        results.read_files.clear()
        body = registry[name](results)
        new = f"\n{body}\n" if kind == "table" else body
        if new != old:
            drift.append(Drift(file, kind, name, tuple(results.read_files)))
        return f"<!-- {kind}: {name} -->{new}<!-- /{kind} -->"

    return MARKER.sub(replace, text), drift


def regenerate(root, check: bool = False) -> list[Drift]:
    """Rewrite (or, with `check`, only compare) the marked spans of README.md and docs/*.md under `root`.

    Parameters
    ----------
    root : str or path-like
        The repository root: README.md, docs/ and results/ are found under it.
    check : bool, default False
        Compare only; write nothing.

    Returns
    -------
    list of Drift
        The spans that disagreed with their JSON (rewritten unless `check`).

    Raises
    ------
    ColorkitError
        No README.md under `root`, or a marker or its JSON is wrong (see `render`).
    """
    root = Path(root)
    if not (root / "README.md").is_file():
        raise ColorkitError(f"{root}: no README.md here; run from the repository root or pass --root")
    results, drift, updates = Results(root), [], {}
    for path in documents(root):
        text = path.read_text(encoding="utf-8")
        new, changed = render(text, results, path.relative_to(root).as_posix())
        drift += changed
        if new != text:
            updates[path] = new
    if not check:  # every document is rendered before any is written: an error leaves all of them as they were
        for path, new in updates.items():
            with atomic_write(path, "w", encoding="utf-8", newline="") as fh:
                fh.write(new)
    return drift


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m colorlib.docs_tables", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if a span disagrees")
    parser.add_argument("--root", default=".", help="the repository root (default: the current folder)")
    args = parser.parse_args(argv)
    try:
        drift = regenerate(args.root, check=args.check)
    except ColorkitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for item in drift:
        print(item if args.check else item.rewritten(), file=sys.stderr if args.check else sys.stdout)
    if args.check and drift:
        print("run `python -m colorlib.docs_tables` to rewrite them from the JSON", file=sys.stderr)
        return 1
    if not args.check:
        print(f"{len(drift)} span(s) rewritten" if drift else "every table and value already agrees with results/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
