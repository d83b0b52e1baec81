"""The ukiyo-e data set: its manifest (a pooch registry), finding files by sha256, verified download, and pairs.

The manifest and the pairs ship inside the package (colorlib/resources/, read with importlib.resources), so an
installed wheel needs no source tree. A print is looked for, in order, in: a folder you pass (`folder=`),
$COLORKIT_DATA, pooch's OS cache folder (~/.cache/colorkit on Linux), `../shared/data/ukiyoe` relative to the
current directory, and the same beside a source checkout if the package runs from one (never required). A file
counts only if its sha256 matches the manifest. Missing prints are downloaded with pooch (progress bar, retries,
sha256 verified before the file appears) from each row's pinned source_url into download_folder():
$COLORKIT_DATA if set, else the OS cache.

$COLORKIT_MANIFEST names another manifest CSV (same columns) in place of the shipped one: the test suite uses it
for its small downscaled prints (tests/fixtures/ukiyoe)."""
from __future__ import annotations

import csv
import functools
import hashlib
import io
import os
from importlib import resources

import numpy as np

from colorlib.errors import ColorkitError, first_line

DATA_ENV = "COLORKIT_DATA"  # a folder of prints: looked in first, and where downloads go
MANIFEST_ENV = "COLORKIT_MANIFEST"  # another manifest CSV in place of the shipped one (tests use it)
CACHE_NAME = "colorkit"  # pooch.os_cache(CACHE_NAME) is the default download folder
SHARED_SUBDIR = os.path.join("shared", "data", "ukiyoe")
RETRIES = 3  # download attempts after the first (pooch waits 1, 2, 3 s between them)
TIMEOUT = 60.0  # seconds without data before a download attempt fails
MANIFEST_COLUMNS = ("file", "sha256", "source_url")  # the columns the code needs (the CSV has more)


def _resource_text(name: str) -> str:
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
        text = _resource_text("manifest.csv")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    lacking = [c for c in MANIFEST_COLUMNS if rows and c not in rows[0]]
    if lacking:
        raise ColorkitError(f"{override or 'manifest.csv'}: no column {', '.join(lacking)}")
    return {row["file"]: row for row in rows}


@functools.lru_cache(maxsize=1)
def _pairs() -> tuple:
    return tuple(csv.DictReader(io.StringIO(_resource_text("pairs.csv"), newline="")))


def pairs() -> list[dict]:
    """The content/style pairs (rows of colorlib/resources/pairs.csv: content, style, note)."""
    return [dict(row) for row in _pairs()]


def registry() -> dict:
    """The manifest as a pooch registry: file name -> 'sha256:<hex>'."""
    return {name: f"sha256:{row['sha256'].lower()}" for name, row in manifest().items()}


def download_folder() -> str:
    """Where downloads go: $COLORKIT_DATA if set, else pooch's OS cache folder for colorkit."""
    import pooch

    return os.path.abspath(os.path.expanduser(os.environ.get(DATA_ENV) or str(pooch.os_cache(CACHE_NAME))))


def _checkout_shared() -> str | None:
    """`../shared/data/ukiyoe` beside a source checkout, when the package runs from one (an editable install)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if os.path.isfile(os.path.join(root, "pyproject.toml")):
        return os.path.join(os.path.dirname(root), SHARED_SUBDIR)
    return None


def search_folders(folder: str | None = None) -> list[str]:
    """Where files are looked for, in order (absolute paths; folders that do not exist are included)."""
    import pooch

    folders = [folder, os.environ.get(DATA_ENV), download_folder(), str(pooch.os_cache(CACHE_NAME)),
               os.path.join(os.pardir, SHARED_SUBDIR), _checkout_shared()]
    return list(dict.fromkeys(os.path.abspath(os.path.expanduser(os.fspath(f))) for f in folders if f))


@functools.lru_cache(maxsize=256)
def _sha256(path: str, mtime_ns: int, size: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_file(path: str) -> str:
    """The file's sha256 (hex), remembered while its size and modification time stay the same."""
    st = os.stat(path)
    return _sha256(os.path.abspath(path), st.st_mtime_ns, st.st_size)


def _entry(name: str) -> dict:
    entry = manifest().get(name)
    if entry is None:
        raise ColorkitError(f"{name}: not in the manifest ({manifest_source()})")
    return entry


def locate(name: str, folder: str | None = None) -> str | None:
    """Path of manifest file `name` with a matching sha256 in search_folders(folder), or None. Never downloads."""
    expected = _entry(name)["sha256"].lower()
    for base in search_folders(folder):
        path = os.path.join(base, name)
        try:
            if os.path.isfile(path) and sha256_file(path) == expected:
                return path
        except OSError:  # unreadable: as good as absent
            continue
    return None


def _fill_hint() -> str:
    return (f"put the prints in {download_folder()} (or set {DATA_ENV}=FOLDER), or run `colorkit data download` "
            "where the network allows")


def find(name: str, folder: str | None = None, download: bool = False) -> str:
    """Path of manifest file `name` whose sha256 matches, searching search_folders(folder); with `download`, a
    missing file is fetched into download_folder(). Failure is a one-line ColorkitError naming the folder to fill."""
    path = locate(name, folder)
    if path is not None:
        return path
    if download:
        return fetch(name)
    raise ColorkitError(f"{name}: not found (with its sha256); {_fill_hint()}; looked in "
                        f"{', '.join(search_folders(folder))}")


def fetch(name: str, dest: str | None = None, progress: bool = True) -> str:
    """Download manifest file `name` with pooch into `dest` (default download_folder()): progress bar, RETRIES
    retries, sha256 verified before the file appears (atomically). Returns the path; failure is a one-line
    ColorkitError naming the folder to fill."""
    import pooch

    entry = _entry(name)
    dest = os.path.abspath(os.path.expanduser(dest or download_folder()))
    url = (entry.get("source_url") or "").strip()
    if not url:
        raise ColorkitError(f"{name}: the manifest ({manifest_source()}) gives no source_url to download it from; "
                            f"put it in {dest} (or set {DATA_ENV}=FOLDER)")
    store = pooch.create(path=dest, base_url="", registry={name: f"sha256:{entry['sha256'].lower()}"},
                         urls={name: url}, retry_if_failed=RETRIES)
    bar = _progress_bar(name) if progress else False
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")  # pooch's own 'Downloading …' lines would make a failure more than one line
    try:
        path = store.fetch(name, downloader=pooch.HTTPDownloader(progressbar=bar, timeout=TIMEOUT))
    except Exception as exc:  # noqa: BLE001 - network, HTTP, hash mismatch or disk: all one line for the user
        raise ColorkitError(f"{name}: download from {url} failed ({_reason(exc)}); "
                            f"put the prints in {dest} (or set {DATA_ENV}=FOLDER)") from None
    finally:
        logger.setLevel(level)
        if bar:
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


def _progress_bar(name: str):
    return _ProgressBar(print_stem(name))


def status(folder: str | None = None) -> dict:
    """file name -> path where it is (sha256 verified), or None when missing; for every manifest file."""
    return {name: locate(name, folder) for name in manifest()}


def pair_files() -> list[str]:
    """The prints that pairs.csv names (what the figures and the evaluation need)."""
    return list(dict.fromkeys(name for row in pairs() for name in (row["content"], row["style"])))


def require(names=None, folder: str | None = None, download: bool = False) -> dict:
    """Paths of manifest files `names` (default: all), each sha256 verified; with `download`, the missing ones
    are fetched (stopping at the first failure). Anything missing is one ColorkitError line naming the folder to
    fill: for commands to check up front, before hours of work (e.g. `colorkit figures`)."""
    names = list(manifest() if names is None else names)
    found = {name: locate(name, folder) for name in names}
    missing = [name for name, path in found.items() if path is None]
    if missing and download:
        for name in missing:
            found[name] = fetch(name)
    elif missing:
        raise ColorkitError(f"{len(missing)} of {len(names)} prints missing ({missing[0]}"
                            f"{', …' if len(missing) > 1 else ''}); {_fill_hint()}")
    return found


def load_pair(index: int = 0, folder: str | None = None) -> dict:
    """Pair `index` of pairs.csv: {'name', 'content' (gray), 'truth' (colour original), 'style'} as arrays."""
    from colorlib import color, images

    row = pairs()[index]
    truth = images.load(find(row["content"], folder))
    return {"name": print_stem(row["content"]) + "<-" + print_stem(row["style"]), "content": color.to_gray(truth),
            "truth": truth, "style": images.load(find(row["style"], folder))}


def motorcycle_pair() -> dict:
    """scikit-image's stereo photographs: left grayscaled as content (left is the truth), right as style."""
    from skimage import data as skdata

    from colorlib import color

    left, right = skdata.stereo_motorcycle()[:2]
    truth = left.astype(np.float32) / 255.0
    return {"name": "motorcycle", "content": color.to_gray(truth), "truth": truth,
            "style": right.astype(np.float32) / 255.0}


def print_stem(name) -> str:
    """'…/hiroshige_tokaido_18_ejiri.jpg' -> '18_ejiri': a print's short name for labels and file names."""
    return os.path.splitext(os.path.basename(os.fspath(name)))[0].replace("hiroshige_tokaido_", "")


def print_title(name) -> str:
    """'hiroshige_tokaido_18_ejiri.jpg' -> '18 Ejiri'."""
    return " ".join(part.capitalize() for part in print_stem(name).split("_"))
