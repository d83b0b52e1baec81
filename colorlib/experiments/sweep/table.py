"""A sweep's table: one row per run from its files, written as OUT/table.csv, read back, summarized."""
from __future__ import annotations

import os

import colorlib.experiments.sweep.runs as runs
from colorlib.tables import pivot, read_csv, write_csv

TEXT_COLUMNS = ("run_id", "pair", "status", "error", "device", "worker", "image", "content", "style")
LOSS_KEYS = ("content_loss", "style_loss", "total_loss")
METRIC_KEYS = ("delta_e2000", "delta_e2000_gray", "psnr", "ssim", "colourfulness", "colourfulness_truth",
               "colourfulness_ratio", "colourfulness_gap", "lightness_error")


def table_rows(tasks, out, grid_keys, failures=None) -> list[dict]:
    """One row per task from its run.json (or error.json): pair, parameters, final losses (of the image
    returned: the record's `final`, else its last history row), metrics, seconds, device, worker, status, error."""
    failures = failures or {}
    rows = []
    for task in tasks:
        record = runs.finished(out, task["run_id"])
        row = dict(run_id=task["run_id"], pair=task["pair"])
        row.update({k: _cell(task["params"].get(k, task["config"].get(k))) for k in grid_keys})
        row.update(size=task["config"]["size"], iterations=task["config"]["iterations"])
        if task.get("retrieval_score") is not None:
            row["retrieval_score"] = task["retrieval_score"]
        if record is not None:
            final = record.get("final") or (record["history"][-1] if record.get("history") else {})
            found = record.get("metrics") or {}
            row.update(status=record.get("status", "ok"), error=record.get("error") or "",
                       **{k: final.get(k) for k in LOSS_KEYS}, final_style_weight=final.get("style_weight"),
                       **{k: found.get(k) for k in METRIC_KEYS}, seconds=record.get("seconds"),
                       device=record.get("device"), worker=record.get("worker"),
                       image=os.path.join("runs", task["run_id"], "image.png"))
        else:
            err = runs.failed(out, task["run_id"]) or {}
            row.update(status="failed" if (err or task["run_id"] in failures) else "missing",
                       error=err.get("error") or failures.get(task["run_id"], ""),
                       **{k: None for k in LOSS_KEYS}, final_style_weight=None,
                       **{k: None for k in METRIC_KEYS}, seconds=None, device=None, worker=err.get("worker"),
                       image="")
        row["content"], row["style"] = task["content_name"], task["style_name"]  # never an absolute path
        rows.append(row)
    return rows


def write_table(rows, out) -> str:
    """Write OUT/table.csv (atomically) and OUT/table.parquet when pyarrow is importable; returns the csv path."""
    path = write_csv(rows, os.path.join(out, "table.csv"))
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return path
    from colorlib.atomic import atomic_write

    with atomic_write(os.path.join(out, "table.parquet"), "wb") as fh:
        pq.write_table(pa.Table.from_pylist(rows), fh)
    return path


def read_table(path) -> list[dict]:
    """table.csv -> list of rows with numbers as floats (empty cells as None)."""
    return read_csv(path, TEXT_COLUMNS)


def summarize(rows, x: str = "style_weight", y: str = "decay") -> str:
    """A few lines on a finished sweep: runs by status, the best (x, y) cell by mean ΔE2000 over its finished
    ('ok') runs, and how it compares with the gray input (the do-nothing baseline) and the truth's colourfulness.
    Diverged runs are left out of the means: their image is the last finite one, not a result."""
    counts = {s: sum(r.get("status") == s for r in rows) for s in ("ok", "diverged", "failed", "missing")}
    lines = [f"{len(rows)} runs: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)]
    if counts["diverged"] + counts["failed"]:
        bad = sorted({(r[x], r[y]) for r in rows if r.get("status") in ("diverged", "failed") and x in r and y in r},
                     key=str)
        lines[0] += (f" (left out of the means below; in cells {', '.join(f'{x}={_g(a)}/{y}={_g(b)}' for a, b in bad)})"
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
    best = min(cells, key=lambda c: c[0])
    worst = max(cells, key=lambda c: c[0])
    beat = sum(c[2] is not None and c[0] < c[2] for c in cells)
    for word, cell in (("best", best), ("worst", worst)):
        lines.append(f"{word} cell {x}={_g(cell[3])}, {y}={_g(cell[4])}: mean ΔE2000 {cell[0]:.2f} (gray input "
                     f"{_f(cell[2])}), colourfulness {_f(cell[1])}× the truth's, over {cell[5]} runs")
    lines.append(f"{beat} of {len(cells)} cells beat the gray input on mean ΔE2000"
                 + (" — none does: adding colour this way costs fidelity here" if beat == 0 else ""))
    return "\n".join(lines)


def _g(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def _f(value) -> str:
    return f"{value:.2f}" if isinstance(value, (int, float)) else "n/a"


def _cell(value):
    return ",".join(map(str, value)) if isinstance(value, (list, tuple)) else value
