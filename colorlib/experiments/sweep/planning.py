"""A spec's runs with their ids: what a run id hashes, and so when a finished run is reused."""
from __future__ import annotations

import hashlib
import json

from colorlib.errors import ColorkitError
from colorlib.experiments.sweep.environment import KEYS, for_config, local_size, numerics, settings
from colorlib.experiments.sweep.spec import expand
from colorlib.hashes import sha256_file
from colorlib.record import versions


def plan(spec, environment: dict | None = None, workers: int | None = None) -> tuple[list[dict], dict]:
    """Resolve a spec (path or dict) into (tasks, info); validates everything and raises one-line ColorkitErrors.

    Each task: run_id, pair, content, style, their sha256, params (what varies), config (full resolved Config
    dict), environment (what else decides its numbers). environment: the workers' numerics (environment.numerics
    or environment.on_workers); default: this machine's, with the torch threads of an embedded LocalCluster of
    `workers` processes (info['local_size'] = (workers, threads)). info: name, out, profile, resources,
    grid_keys, environment."""
    return with_ids(*expand(spec), environment, workers)


def with_ids(runs: list[dict], info: dict, environment: dict | None = None, workers: int | None = None):
    """(tasks, info) for runs from spec.expand(): each run with its environment and run_id; see plan()."""
    info = dict(info)
    if environment is None:
        info["local_size"] = local_size(len(runs), workers)  # from all runs, not the missing ones: ids stay put
        environment = numerics(settings(r["config"] for r in runs), threads=info["local_size"][1])
    tasks = []
    for run in runs:
        env = for_config(environment, run["config"])
        tasks.append({"run_id": run_id(run, env), **run, "environment": env})
    info["environment"] = {k: environment[k] for k in KEYS}
    return tasks, info


def run_id(run: dict, environment: dict) -> str:
    """16 hex digits of the sha256 of the inputs' bytes (content, style, and an init image or weights file the
    Config names: by their bytes, not their names), the rest of the Config, the colorkit version and the numerics
    environment (torch version and threads, deterministic switch, resolved device and precision)."""
    config = dict(run["config"])
    for field, wanted in (("init_image", config.get("init") == "image"), ("weights", config.get("weights") != "caffe")):
        if wanted and config.get(field):
            config[field] = "sha256:" + _file_sha256(config[field], field)
    key = json.dumps({"content": run["content_sha256"], "style": run["style_sha256"], "config": config,
                      "colorlib": str(versions().get("colorkit")), "environment": environment},
                     sort_keys=True, default=str)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _file_sha256(path: str, field: str) -> str:
    try:
        return sha256_file(path)
    except OSError as exc:
        raise ColorkitError(f"spec: {field} {path}: cannot read ({exc.strerror or exc})") from None
