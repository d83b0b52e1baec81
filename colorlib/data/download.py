"""Downloading a print with pooch: progress bar, retries, sha256 verified before the file appears, from the
manifest row's pinned source_url into download_folder() ($COLORKIT_DATA if set, else the OS cache)."""
from __future__ import annotations

import os

from colorlib.data.folders import DATA_ENV, download_folder
from colorlib.data.labels import print_stem
from colorlib.data.manifest import entry, manifest_source
from colorlib.errors import ColorkitError, first_line

RETRIES = 3  # download attempts after the first (pooch waits 1, 2, 3 s between them)
TIMEOUT = 60.0  # seconds without data before a download attempt fails


def fetch(name: str, dest: str | None = None, progress: bool = True) -> str:
    """Download manifest file `name` with pooch into `dest` (default download_folder()): progress bar, RETRIES
    retries, sha256 verified before the file appears (atomically). Returns the path; failure is a one-line
    ColorkitError naming the folder to fill."""
    import pooch

    row = entry(name)
    dest = os.path.abspath(os.path.expanduser(dest or download_folder()))
    url = (row.get("source_url") or "").strip()
    if not url:
        raise ColorkitError(f"{name}: the manifest ({manifest_source()}) gives no source_url to download it from; "
                            f"put it in {dest} (or set {DATA_ENV}=FOLDER)")
    store = pooch.create(path=dest, base_url="", registry={name: f"sha256:{row['sha256'].lower()}"},
                         urls={name: url}, retry_if_failed=RETRIES)
    bar = _progress_bar(name) if progress else None
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")  # pooch's own 'Downloading …' lines would make a failure more than one line
    try:
        path = store.fetch(name, downloader=pooch.HTTPDownloader(progressbar=bar or False, timeout=TIMEOUT))
    except Exception as exc:  # noqa: BLE001 - network, HTTP, hash mismatch or disk: all one line for the user
        raise ColorkitError(f"{name}: download from {url} failed ({_reason(exc)}); "
                            f"put the prints in {dest} (or set {DATA_ENV}=FOLDER)") from None
    finally:
        logger.setLevel(level)
        if bar is not None:
            bar.close()
    return path


def _reason(exc: BaseException) -> str:
    """A short, one-line account of a failed download."""
    import requests

    tried = f"tried {1 + RETRIES} times"
    if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        return f"no connection: {type(exc).__name__}, {tried}; offline?"
    if isinstance(exc, (requests.RequestException, ValueError)):  # HTTP errors and sha256 mismatches are retried
        return f"{type(exc).__name__}: {first_line(exc, 160)}; {tried}"
    return f"{type(exc).__name__}: {first_line(exc, 160)}"


class _ProgressBar:
    """A tqdm bar named after the print, drawn only once the server answers (pooch sets .total then)."""

    def __init__(self, desc: str):
        self.desc, self.bar = desc, None

    @property
    def total(self):
        return self.bar.total if self.bar is not None else 0

    @total.setter
    def total(self, value):
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(desc=self.desc, unit="B", unit_scale=True, leave=False, dynamic_ncols=True)
        self.bar.total = value
        self.bar.refresh()

    def update(self, n):
        if self.bar is not None:
            self.bar.update(n)

    def reset(self):
        if self.bar is not None:
            self.bar.reset(total=self.bar.total)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _progress_bar(name: str) -> _ProgressBar:
    return _ProgressBar(print_stem(name))

