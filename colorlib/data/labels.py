"""A print's short names for labels and file names."""
from __future__ import annotations

import os


def print_stem(name) -> str:
    """'…/hiroshige_tokaido_18_ejiri.jpg' -> '18_ejiri': a print's short name for labels and file names."""
    return os.path.splitext(os.path.basename(os.fspath(name)))[0].replace("hiroshige_tokaido_", "")


def print_title(name) -> str:
    """'hiroshige_tokaido_18_ejiri.jpg' -> '18 Ejiri'."""
    return " ".join(part.capitalize() for part in print_stem(name).split("_"))
