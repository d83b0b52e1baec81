"""Out-of-memory failures recognised, and said in one line with the size that failed."""
from __future__ import annotations

import re


def out_of_memory(exc: BaseException) -> bool:
    """An allocation failure: MemoryError, torch.OutOfMemoryError (CUDA, MPS) or the CPU allocator's
    RuntimeError."""
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and any(
        s in text for s in ("out of memory", "not enough memory", "can't allocate memory", "cannot allocate memory"))


def needed(exc: BaseException) -> str:
    """', needing N more' from the allocator's message, when it says."""
    found = re.search(r"allocate\s+(?:memory:\s+)?(?:you tried to allocate\s+)?([\d.]+\s*(?:[KMGT]i?B|bytes))",
                      str(exc), re.IGNORECASE)
    if not found:
        return ""
    amount = found.group(1)
    if amount.endswith("bytes"):
        amount = human(int(float(amount.split()[0])))
    return f" (one allocation of {amount} failed)"


def human(n: float) -> str:
    """A byte count as '512 bytes', '1.5 KiB', ... '2.0 TiB'."""
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


# Peak resident memory of a CPU run, measured with ru_maxrss (fp32, one thread, presets paper and best at 128-768
# px on an 800x524 input): about 1.1 GB of process, torch and VGG-19, then per pixel of the result about 3 KB for
# the paper's loop (VGG-19 activations kept for the gradient), 48 bytes per L-BFGS history pair (s and y, 3 floats
# each, and work), 1.1 KB for the exemplar method. Rounded up: an estimate to refuse what cannot fit.
BASE_BYTES = 1.2 * 2**30
LOOP_BYTES_PER_PIXEL = 3.5 * 2**10
HISTORY_BYTES_PER_PIXEL = 48
EXEMPLAR_BYTES_PER_PIXEL = 1.5 * 2**10


def estimate_bytes(config, runner: str, pixels: int, style_pixels: float = 0) -> float:
    """The peak memory a run at `pixels` result pixels (and `style_pixels` style pixels) needs, roughly."""
    per_pixel = EXEMPLAR_BYTES_PER_PIXEL if runner == "exemplar" else 0.0
    if config.iterations:
        per_pixel += LOOP_BYTES_PER_PIXEL
        if config.optimizer == "lbfgs":
            per_pixel += HISTORY_BYTES_PER_PIXEL * min(config.iterations, config.lbfgs_history)
    return BASE_BYTES + per_pixel * pixels + LOOP_BYTES_PER_PIXEL / 4 * style_pixels


def available_bytes(device) -> float | None:
    """Memory free for a run on `device` (a torch.device): the CPU's MemAvailable (and a cgroup's limit), the
    CUDA device's free memory; None where it cannot be read."""
    if device.type == "cuda":
        import torch

        return float(torch.cuda.mem_get_info(device)[0])
    if device.type != "cpu":
        return None
    found = []
    try:
        with open("/proc/meminfo") as fh:
            found += [float(line.split()[1]) * 1024 for line in fh if line.startswith("MemAvailable:")]
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open("/sys/fs/cgroup/memory.max") as fh, open("/sys/fs/cgroup/memory.current") as cur:
            limit = fh.read().strip()
            if limit != "max":
                found.append(float(limit) - float(cur.read().strip()))
    except (OSError, ValueError):
        pass
    return min(found) if found else None
