"""Finding the prints: where they are looked for, in order, and which file counts (its sha256 matches the manifest).

A print is looked for in: a folder you pass (`folder=`), $COLORKIT_DATA, pooch's OS cache folder (~/.cache/colorkit
on Linux), `../shared/data/ukiyoe` relative to the current directory, and the same beside a source checkout if the
package runs from one (never required)."""
from __future__ import annotations

import os

from colorlib.data.manifest import entry, manifest
from colorlib.errors import ColorkitError
from colorlib.hashes import sha256_file

DATA_ENV = "COLORKIT_DATA"  # a folder of prints: looked in first, and where downloads go
CACHE_NAME = "colorkit"  # pooch.os_cache(CACHE_NAME) is the default download folder
SHARED_SUBDIR = os.path.join("shared", "data", "ukiyoe")


def data_env() -> str | None:
    """$COLORKIT_DATA (None when unset); ColorkitError when it names something that is not a folder."""
    value = os.environ.get(DATA_ENV)
    if value and os.path.exists(os.path.expanduser(value)) and not os.path.isdir(os.path.expanduser(value)):
        raise ColorkitError(f"{DATA_ENV}={value}: not a folder; point it at a folder of prints")
    return value or None


def download_folder() -> str:
    """Where downloads go: $COLORKIT_DATA if set, else pooch's OS cache folder for colorkit."""
    import pooch

    return os.path.abspath(os.path.expanduser(data_env() or str(pooch.os_cache(CACHE_NAME))))


def checkout_shared() -> str | None:
    """`../shared/data/ukiyoe` beside a source checkout, when the package runs from one (an editable install)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if os.path.isfile(os.path.join(root, "pyproject.toml")):
        return os.path.join(os.path.dirname(root), SHARED_SUBDIR)
    return None


def search_folders(folder: str | None = None) -> list[str]:
    """Where files are looked for, in order (absolute paths; folders that do not exist are included)."""
    import pooch

    folders = [folder, data_env(), download_folder(), str(pooch.os_cache(CACHE_NAME)),
               os.path.join(os.pardir, SHARED_SUBDIR), checkout_shared()]
    return list(dict.fromkeys(os.path.abspath(os.path.expanduser(os.fspath(f))) for f in folders if f))


def locate(name: str, folder: str | None = None) -> str | None:
    """Path of manifest file `name` with a matching sha256 in search_folders(folder), or None. Never downloads."""
    expected = entry(name)["sha256"].lower()
    for base in search_folders(folder):
        path = os.path.join(base, name)
        try:
            if os.path.isfile(path) and sha256_file(path) == expected:
                return path
        except OSError:  # unreadable: as good as absent
            continue
    return None


def fill_hint() -> str:
    """What to do when prints are missing (one clause of an error line)."""
    return (f"put the prints in {download_folder()} (or set {DATA_ENV}=FOLDER), or run `colorkit data download` "
            "where the network allows")


def find(name: str, folder: str | None = None, download: bool = False) -> str:
    """Path of manifest file `name` whose sha256 matches, searching search_folders(folder); with `download`, a
    missing file is fetched into download_folder(). Failure is a one-line ColorkitError naming the folder to fill."""
    path = locate(name, folder)
    if path is not None:
        return path
    if download:
        from colorlib.data.download import fetch

        return fetch(name)
    raise ColorkitError(f"{name}: not found (with its sha256); {fill_hint()}; looked in "
                        f"{', '.join(search_folders(folder))}")


def status(folder: str | None = None) -> dict:
    """file name -> path where it is (sha256 verified), or None when missing; for every manifest file."""
    return {name: locate(name, folder) for name in manifest()}


def require(names=None, folder: str | None = None, download: bool = False) -> dict:
    """Paths of manifest files `names` (default: all), each sha256 verified; with `download`, the missing ones
    are fetched (stopping at the first failure). Anything missing is one ColorkitError line naming the folder to
    fill: for commands to check up front, before hours of work (e.g. `colorkit figures`)."""
    from colorlib.data.download import fetch

    names = list(manifest() if names is None else names)
    found = {name: locate(name, folder) for name in names}
    missing = [name for name, path in found.items() if path is None]
    if missing and download:
        for name in missing:
            found[name] = fetch(name)
    elif missing:
        raise ColorkitError(f"{len(missing)} of {len(names)} prints missing ({missing[0]}"
                            f"{', …' if len(missing) > 1 else ''}); {fill_hint()}")
    return found
