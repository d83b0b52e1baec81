"""Shared fixtures. The suite's ukiyo-e prints are the small downscaled copies in tests/fixtures/ukiyoe (12 prints,
128 px, with their own manifest), so it needs neither ../shared nor the network.

Mechanism: before any test runs, COLORKIT_MANIFEST points colorlib.data at tests/fixtures/ukiyoe/manifest.csv and
COLORKIT_DATA at that folder; notebooks run by papermill inherit both. Every lookup is by sha256, so full-size prints
elsewhere (../shared, the download cache) never match the fixture manifest and cannot leak in.
COLORKIT_TEST_PRINTS=real leaves both variables alone: the suite then uses the real prints wherever colorlib.data
finds them (tests that compare numbers with tests/reference/ expect the fixtures)."""
import os
import tempfile

import numpy as np
import pytest

from colorlib import data

FIXTURE_PRINTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "ukiyoe")
FIXTURE_MANIFEST = os.path.join(FIXTURE_PRINTS, "manifest.csv")
PRINTS_ENV = "COLORKIT_TEST_PRINTS"  # 'fixtures' (default) or 'real'

if os.environ.get(PRINTS_ENV, "fixtures") != "real":
    os.environ[data.MANIFEST_ENV] = FIXTURE_MANIFEST
    os.environ[data.DATA_ENV] = FIXTURE_PRINTS

# The run cache (colorlib/speedups/cache.py) in a fresh folder per test session: a regression test must compute
# what it checks, never read it from an earlier session's cache. Notebooks run by papermill inherit it.
os.environ["COLORKIT_CACHE"] = tempfile.mkdtemp(prefix="colorkit-test-cache-")


@pytest.fixture
def isolated_data(tmp_path, monkeypatch):
    """colorlib.data with nothing to find: no COLORKIT_DATA, an empty download cache under tmp_path, a working
    directory with no ../shared, no checkout beside; the fixture manifest. Returns the cache folder."""
    monkeypatch.delenv(data.DATA_ENV, raising=False)
    monkeypatch.setenv(data.MANIFEST_ENV, FIXTURE_MANIFEST)
    import pooch

    monkeypatch.setattr(pooch, "os_cache", lambda project: tmp_path / "cache" / project)
    work = tmp_path / "work" / "here"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.setattr(data.folders, "checkout_shared", lambda: None)
    return tmp_path / "cache" / data.CACHE_NAME


@pytest.fixture(scope="session")
def motorcycle():
    """scikit-image's stereo pair, shrunk: content (gray), truth (left in colour), style (right)."""
    from colorlib import images

    pair = data.motorcycle_pair()
    return {k: images.resize(v, 64) if isinstance(v, np.ndarray) else v for k, v in pair.items()}


@pytest.fixture(scope="session")
def motorcycle_files(tmp_path_factory, motorcycle):
    """The motorcycle pair written to PNG files: gray content, colour style, colour truth."""
    from colorlib import images

    folder = tmp_path_factory.mktemp("moto")
    paths = {}
    for key in ("content", "style", "truth"):
        paths[key] = str(folder / f"{key}.png")
        images.save(data.motorcycle_pair()[key], paths[key])
    return paths


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """The reliability tests' generated inputs, good and bad (tests/reliability_corpus.py), in a fresh folder."""
    from reliability_corpus import make_corpus

    return make_corpus(tmp_path_factory.mktemp("corpus"))
