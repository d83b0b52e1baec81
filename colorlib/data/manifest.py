"""The manifest of the ukiyo-e prints: one row per print (file, sha256, source_url, title, ...), shipped as package
data (colorlib/resources/manifest.csv) or named by $COLORKIT_MANIFEST (the test suite's small prints)."""
from __future__ import annotations

import csv
import functools
import io
import os
from importlib import resources

from colorlib.errors import ColorkitError

MANIFEST_ENV = "COLORKIT_MANIFEST"  # another manifest CSV in place of the shipped one (tests use it)
MANIFEST_COLUMNS = ("file", "sha256", "source_url")  # the columns the code needs (the CSV has more)


def resource_text(name: str) -> str:
    """A CSV shipped in colorlib/resources/, as text."""
    return resources.files("colorlib.resources").joinpath(name).read_text(encoding="utf-8")


def manifest_source() -> str:
    """Where the manifest is read from: $COLORKIT_MANIFEST, or the package's colorlib/resources/manifest.csv."""
    return os.environ.get(MANIFEST_ENV) or "colorlib/resources/manifest.csv (package data)"


def manifest() -> dict:
    """file name -> manifest row (dict of str): file, station_no, station, title, artist, date, licence, sha256,
    width, height, source_url."""
    return _manifest(os.environ.get(MANIFEST_ENV) or "")


@functools.lru_cache(maxsize=8)
def _manifest(override: str) -> dict:
    if override:
        try:
            with open(override, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            raise ColorkitError(f"{MANIFEST_ENV}={override}: cannot read ({exc.strerror or exc})") from None
    else:
        text = resource_text("manifest.csv")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    lacking = [c for c in MANIFEST_COLUMNS if rows and c not in rows[0]]
    if lacking:
        raise ColorkitError(f"{override or 'manifest.csv'}: no column {', '.join(lacking)}")
    return {row["file"]: row for row in rows}


def registry() -> dict:
    """The manifest as a pooch registry: file name -> 'sha256:<hex>'."""
    return {name: f"sha256:{row['sha256'].lower()}" for name, row in manifest().items()}


def entry(name: str) -> dict:
    """The manifest row of file `name`; ColorkitError if the manifest has none."""
    row = manifest().get(name)
    if row is None:
        raise ColorkitError(f"{name}: not in the manifest ({manifest_source()})")
    return row
