"""Tidy tables (lists of dicts): CSV in and out, pivots, markdown. One implementation for every result table."""
from __future__ import annotations

import csv
import io
import math
import os
import statistics
from collections.abc import Callable

from colorlib.atomic import atomic_write


def write_csv(rows: list[dict], path) -> str:
    """Rows to CSV atomically; columns in first-seen order, None as an empty cell."""
    columns = list(dict.fromkeys(k for row in rows for k in row))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in columns})
    with atomic_write(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(buf.getvalue())
    return os.fspath(path)


def read_csv(path, text_columns=()) -> list[dict]:
    """A CSV back as rows: numbers as floats, empty cells as None, `text_columns` left as strings."""
    with open(path, newline="", encoding="utf-8") as fh:
        return [{k: v if k in text_columns else _number(v) for k, v in row.items()} for row in csv.DictReader(fh)]


_AGGREGATES: dict[str, Callable[[list], float]] = {"mean": statistics.fmean, "median": statistics.median,
                                                  "count": len}


def pivot(rows, x: str, y: str, value: str, agg: str = "mean") -> tuple[list, list, list]:
    """(xs, ys, grid) with grid[i][j] the mean (or 'median', or 'count') of `value` over rows with y = ys[i],
    x = xs[j] (rows lacking a numeric value are skipped; a cell with none is None)."""
    xs = sorted({r[x] for r in rows}, key=_sort_key)
    ys = sorted({r[y] for r in rows}, key=_sort_key)
    fn = _AGGREGATES[agg]
    grid = []
    for yv in ys:
        line = []
        for xv in xs:
            vals = [r[value] for r in rows if r[x] == xv and r[y] == yv and _is_number(r.get(value))]
            line.append(fn(vals) if vals else (0 if agg == "count" else None))
        grid.append(line)
    return xs, ys, grid


def wide(rows, index: str, columns: str, value: str) -> list[dict]:
    """One row per `index` value, one column per `columns` value, holding `value` (first seen wins)."""
    out: dict = {}
    for r in rows:
        out.setdefault(r[index], {index: r[index]}).setdefault(r[columns], r.get(value))
    return list(out.values())


def markdown(rows: list[dict], columns, digits: int = 2) -> str:
    """A GitHub markdown table of `columns` of `rows` (floats rounded to `digits`, None as an empty cell)."""
    def fmt(v):
        if v is None:
            return ""
        return f"{v:.{digits}f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def _number(text):
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v)


def _sort_key(v):
    return (0, v, "") if _is_number(v) else (1, 0, str(v))


def text(rows, fields) -> str:
    """A plain-text table of `fields` for each row (rows: a list of dicts, or a dict name -> dict)."""
    items = list(rows.items()) if isinstance(rows, dict) else [(r.get("name", str(i)), r) for i, r in enumerate(rows)]
    width = max(len(str(k)) for k, _ in items)
    lines = [f"{'':{width}s} " + " ".join(f"{f:>14s}" for f in fields)]
    for key, row in items:
        lines.append(f"{key!s:{width}s} " + " ".join(_text_cell(row.get(f)) for f in fields))
    return "\n".join(lines)


def _text_cell(value) -> str:
    if isinstance(value, float):
        return f"{value:14.4g}"
    return f"{'' if value is None else value!s:>14s}"
