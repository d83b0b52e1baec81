"""The manifest of the ukiyo-e prints: one row per print (file, sha256, source_url, title, ...), shipped as package
data (colorlib/resources/manifest.csv) or named by $COLORKIT_MANIFEST (the test suite's small prints)."""
from __future__ import annotations

import csv
import functools
import io
import os
import re
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


def _manifest(override: str) -> dict:
    if not override:
        return _parse(resource_text("manifest.csv"), "manifest.csv")
    try:
        with open(override, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise ColorkitError(f"{MANIFEST_ENV}={override}: cannot read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ColorkitError(f"{MANIFEST_ENV}={override}: not a text CSV (not UTF-8)") from None
    return _parse(text, f"{MANIFEST_ENV}={override}")


@functools.lru_cache(maxsize=8)
def _parse(text: str, where: str) -> dict:
    """The rows of a manifest's text (cached by the text itself), each checked: a file name, 64 hex digits of
    sha256; ColorkitError naming `where` and the row otherwise."""
    if "\x00" in text:
        raise ColorkitError(f"{where}: not a text CSV (it holds NUL bytes)")
    try:
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ColorkitError(f"{where}: not a CSV ({exc})") from None
    if not rows:
        raise ColorkitError(f"{where}: no prints (a header without rows)")
    lacking = [c for c in MANIFEST_COLUMNS if c not in rows[0]]
    if lacking:
        raise ColorkitError(f"{where}: no column {', '.join(lacking)}")
    for number, row in enumerate(rows, start=2):  # the header is line 1
        name, digest = (row.get("file") or "").strip(), (row.get("sha256") or "").strip().lower()
        if not name:
            raise ColorkitError(f"{where}: row {number}: no file name")
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ColorkitError(f"{where}: row {number} ({name}): sha256 {row.get('sha256')!r} is not 64 hex digits")
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
