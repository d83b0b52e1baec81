"""Which device and precision a run uses, and why (read from the system, not guessed)."""
from __future__ import annotations

import functools
import platform

import torch

from colorlib.errors import ColorkitError


def resolve_device(name: str = "auto") -> torch.device:
    """auto = CUDA, then MPS, then CPU; an explicit device that is absent is an error."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        device = None
    if device is None or device.type not in ("cpu", "cuda", "mps"):
        raise ColorkitError(f"unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda" and device.index is not None and torch.cuda.is_available() \
            and device.index >= torch.cuda.device_count():
        raise ColorkitError(f"device {name!r}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ColorkitError(f"device {name!r} requested but CUDA is not available here; use --device cpu")
    if device.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ColorkitError(f"device {name!r} requested but MPS is not available here; use --device cpu")
    return device


@functools.lru_cache(maxsize=1)
def cpu_flags() -> frozenset:
    """The CPU's feature flags from /proc/cpuinfo (empty where that file does not exist)."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


@functools.lru_cache(maxsize=1)
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def resolve_precision(precision: str, device: torch.device) -> tuple[str, str]:
    """(fp32|bf16, reason). auto = bf16 where the hardware runs it natively, else fp32."""
    if precision != "auto":
        return precision, "requested"
    if device.type == "cuda":
        if torch.cuda.is_bf16_supported():
            return "bf16", "CUDA device supports bf16"
        return "fp32", "CUDA device lacks bf16"
    if device.type == "cpu":
        fast = {"avx512_bf16", "amx_bf16"} & cpu_flags()
        if fast:
            return "bf16", f"CPU has {', '.join(sorted(fast))}"
        return "fp32", "CPU lacks avx512_bf16/amx_bf16"
    return "fp32", f"bf16 not enabled on {device.type}"


def run_environment() -> dict:
    """The settings besides the seed that decide a run's numbers: torch's thread count and version, and the
    deterministic-algorithms switch. Same seed + same values here (and same device, precision) = same PNG."""
    return {"torch_threads": torch.get_num_threads(), "torch_version": torch.__version__,
            "deterministic_algorithms": torch.are_deterministic_algorithms_enabled()}
