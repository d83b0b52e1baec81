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
