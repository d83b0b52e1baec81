"""Where a sweep's runs execute and the settings besides the Config that decide their numbers.

A run's id hashes this environment (torch version and thread count, deterministic-algorithms switch, the
device and precision its Config resolves to), so a result is only reused where it would come out the same.
The thread count is the one the driver sets on every worker; the rest are read on the workers themselves."""
from __future__ import annotations

import os

from colorlib.errors import ColorkitError, first_line

KEYS = ("torch_version", "torch_threads", "deterministic_algorithms")


def local_size(n_tasks: int, workers: int | None = None) -> tuple[int, int]:
    """(worker processes, torch threads per worker) for this machine: workers × threads = cores, and at most one
    worker per ~1.5 GB of memory (each holds a VGG-19) and per task."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if workers is None:
        workers = max(1, min(cores, n_tasks, int(_memory_gb() // 1.5) or 1))
        gpus = _cuda_devices()
        if gpus:  # device 'auto' picks the GPU: one worker per GPU, not one per core
            workers = max(1, min(gpus, n_tasks))
    if workers < 1:
        raise ColorkitError(f"workers must be >= 1, got {workers}")
    return workers, max(1, cores // workers)


def numerics(settings, threads: int | None = None) -> dict:
    """This process's numerics environment: torch version, `threads` (default: torch's current thread count),
    the deterministic-algorithms switch, and each (device, precision) Config setting resolved here, under
    'resolved' as {"device|precision": {"device": ..., "precision": ...} or {"error": one line}}."""
    from colorlib.hardware import resolve_device, resolve_precision, run_environment

    env = {k: run_environment()[k] for k in KEYS}
    if threads:
        env["torch_threads"] = int(threads)
    resolved = {}
    for device, precision in settings:
        try:
            where = resolve_device(device)
            resolved[f"{device}|{precision}"] = {"device": str(where),
                                                 "precision": resolve_precision(precision, where)[0]}
        except ColorkitError as exc:
            resolved[f"{device}|{precision}"] = {"error": first_line(exc)}
    return {**env, "resolved": resolved}


def settings(configs) -> list[tuple[str, str]]:
    """The distinct (device, precision) settings of some Config dicts."""
    return sorted({(str(c["device"]), str(c["precision"])) for c in configs})


def for_config(env: dict, config: dict) -> dict:
    """The environment one run hashes: env's torch settings + its Config's device and precision resolved."""
    found = env["resolved"][f"{config['device']}|{config['precision']}"]
    if "error" in found:
        raise ColorkitError(f"spec: {found['error']}")
    return {**{k: env[k] for k in KEYS}, "device": found["device"], "precision": found["precision"]}


def on_workers(client, configs, timeout: float = 300.0) -> dict:
    """The numerics environment of a running cluster's workers (every one must agree, bar the thread count:
    the smallest is set on all of them). Needs at least one worker connected within `timeout` seconds."""
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        raise ColorkitError(f"no Dask worker connected to {client.scheduler.address} within {timeout:g} s; a "
                            f"sweep reads the workers' torch version and devices before it starts") from None
    found = client.run(numerics, settings(configs), on_error="return")
    found = {addr: env for addr, env in found.items() if isinstance(env, dict)}  # a worker just lost: skipped
    if not found:
        raise ColorkitError("no Dask worker answered; cannot read the workers' torch version and devices")
    threads = min(env["torch_threads"] for env in found.values())
    envs = {addr: {**env, "torch_threads": threads} for addr, env in found.items()}
    first_addr, first = next(iter(envs.items()))
    for addr, env in envs.items():
        for key in first:
            if env[key] != first[key]:
                raise ColorkitError(f"Dask workers differ in {key} ({first_addr}: {first[key]}, {addr}: "
                                    f"{env[key]}); give every worker the same installation and devices")
    return first


def mismatch(task: dict) -> str | None:
    """Why this process cannot run `task` as its run id promises (None when it can): a worker that joined the
    cluster later with another torch or device would give results that do not match their id."""
    config, expected = task["config"], task["environment"]
    here = for_config(numerics(settings([config]), expected["torch_threads"]), config)
    diff = [f"{k} {here[k]} here, {expected.get(k)} in the run id" for k in here if here[k] != expected.get(k)]
    return "; ".join(diff) or None


def _cuda_devices() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def _memory_gb() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (ValueError, OSError, AttributeError):
        return 4.0
