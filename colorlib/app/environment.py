"""The environment variables the kit reads, checked when a command starts, before any work: a bad value is one
line naming the variable (the modules that read them say what is accepted)."""
from __future__ import annotations

import os


def check_environment() -> None:
    """ColorkitError for the first bad value of COLORKIT_MAX_PIXELS, COLORKIT_DATA, COLORKIT_MANIFEST (when set),
    COLORKIT_CACHE or COLORKIT_NO_CACHE."""
    from colorlib import data, file_input
    from colorlib.data.folders import data_env
    from colorlib.speedups import cache

    file_input.env_max_pixels()
    data_env()
    if os.environ.get(data.MANIFEST_ENV):
        data.manifest()
    cache.enabled()
    cache.cache_dir()
