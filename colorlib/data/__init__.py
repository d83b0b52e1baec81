"""The ukiyo-e data set, one job per module: the manifest (manifest.py, a pooch registry), finding prints by
sha256 (folders.py), verified downloads (download.py), the pairs (pairs.py) and short labels (labels.py).

The manifest and the pairs ship inside the package (colorlib/resources/, read with importlib.resources), so an
installed wheel needs no source tree. A print is looked for, in order, in: a folder you pass (`folder=`),
$COLORKIT_DATA, pooch's OS cache folder (~/.cache/colorkit on Linux), `../shared/data/ukiyoe` relative to the
current directory, and the same beside a source checkout if the package runs from one (never required). A file
counts only if its sha256 matches the manifest. Missing prints are downloaded with pooch (progress bar, retries,
sha256 verified before the file appears) from each row's pinned source_url into download_folder():
$COLORKIT_DATA if set, else the OS cache.

$COLORKIT_MANIFEST names another manifest CSV (same columns) in place of the shipped one: the test suite uses it
for its small downscaled prints (tests/fixtures/ukiyoe)."""
from colorlib.data.download import RETRIES, TIMEOUT, fetch
from colorlib.data.folders import (
    CACHE_NAME,
    DATA_ENV,
    SHARED_SUBDIR,
    download_folder,
    find,
    locate,
    require,
    search_folders,
    status,
)
from colorlib.data.labels import print_stem, print_title
from colorlib.data.manifest import MANIFEST_COLUMNS, MANIFEST_ENV, manifest, manifest_source, registry
from colorlib.data.pairs import load_pair, motorcycle_pair, pair_files, pairs
from colorlib.hashes import sha256_file

__all__ = ["CACHE_NAME", "DATA_ENV", "MANIFEST_COLUMNS", "MANIFEST_ENV", "RETRIES", "SHARED_SUBDIR", "TIMEOUT",
           "download_folder", "fetch", "find", "load_pair", "locate", "manifest", "manifest_source",
           "motorcycle_pair", "pair_files", "pairs", "print_stem", "print_title", "registry", "require",
           "search_folders", "sha256_file", "status"]
