"""A run's files on disk: OUT/runs/<id>/image.png, run.json (written last: the run is done) or error.json."""
from __future__ import annotations

import json
import os


def folder(out, run_id: str) -> str:
    return os.path.join(out, "runs", run_id)


def read_json(path):
    """A JSON file's content, or None when it is missing or half-written."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def finished(out, run_id: str):
    """The run's run.json record when the run is done, else None."""
    return read_json(os.path.join(folder(out, run_id), "run.json"))


def failed(out, run_id: str):
    """The run's error.json record when its last attempt failed, else None."""
    return read_json(os.path.join(folder(out, run_id), "error.json"))
