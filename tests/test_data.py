"""colorlib.data and `colorkit data`: the manifest as package data, finding prints by sha256, pooch downloads
(mocked: no test touches the network), and the fixture prints the suite runs on."""
from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib import resources

import pytest
import requests

from colorlib import data
from colorlib.app import cli
from colorlib.errors import ColorkitError
from conftest import FIXTURE_MANIFEST, FIXTURE_PRINTS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME = "hiroshige_tokaido_18_ejiri.jpg"  # content of pair 0, one of the fixture prints
URL_TEMPLATE = "https://prints.example.invalid/{stem}.jpg"  # .invalid: never resolves, and requests.get is mocked
URL = URL_TEMPLATE.format(stem=data.print_stem(NAME))


def _fixture_bytes(name=NAME) -> bytes:
    with open(os.path.join(FIXTURE_PRINTS, name), "rb") as fh:
        return fh.read()


def _manifest_with_urls(path) -> str:
    """The fixture manifest with a download address on every row, written to `path`."""
    with open(FIXTURE_MANIFEST, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["source_url"] = URL_TEMPLATE.format(stem=data.print_stem(row["file"]))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


class _Response:
    """What pooch's HTTPDownloader reads from requests.get(…, stream=True)."""

    def __init__(self, payload: bytes):
        self.payload, self.headers = payload, {"content-length": str(len(payload))}

    def raise_for_status(self):
        pass

    def iter_content(self, chunk_size=1024):
        for i in range(0, len(self.payload), chunk_size):
            yield self.payload[i:i + chunk_size]


@pytest.fixture
def network(monkeypatch):
    """requests.get replaced: `network.serve = {url: bytes}`; any other URL fails as offline. Records the calls;
    pooch's waits between retries are skipped."""
    import pooch.core

    class Net:
        serve: dict = {}
        calls: list = []

    net = Net()
    net.serve, net.calls = {}, []

    def get(url, **kwargs):
        net.calls.append(url)
        if url in net.serve:
            return _Response(net.serve[url])
        raise requests.ConnectionError(f"HTTPSConnectionPool(host='{url.split('/')[2]}', port=443): Max retries "
                                       "exceeded\n(Caused by NameResolutionError: no such host)")

    monkeypatch.setattr(requests, "get", get)
    monkeypatch.setattr(pooch.core.time, "sleep", lambda seconds: None)
    return net


def _run_cli(capsys, *argv):
    rc = cli.main(["data", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


# --- the manifest and pairs as package data -----------------------------------------------------------------------

def test_manifest_and_pairs_are_package_data(monkeypatch):
    monkeypatch.delenv(data.MANIFEST_ENV, raising=False)
    package = resources.files("colorlib.resources")
    rows = list(csv.DictReader(io.StringIO(package.joinpath("manifest.csv").read_text(encoding="utf-8"))))
    assert len(rows) == 45 and data.manifest() == {row["file"]: row for row in rows}
    for row in rows:
        assert re.fullmatch(r"[0-9a-f]{64}", row["sha256"]), row["file"]
        assert re.match(r"https://raw\.githubusercontent\.com/[^/]+/[^/]+/[0-9a-f]{40}/", row["source_url"]), \
            f"{row['file']}: source_url not pinned to a commit"
    pair_rows = list(csv.DictReader(io.StringIO(package.joinpath("pairs.csv").read_text(encoding="utf-8"))))
    assert pair_rows == data.pairs() and len(pair_rows) >= 6
    assert {r[k] for r in pair_rows for k in ("content", "style")} <= set(data.manifest())
    assert data.registry()[NAME] == "sha256:" + data.manifest()[NAME]["sha256"]


def test_no_path_comes_from_the_source_tree():
    assert not hasattr(data, "PROJECT_ROOT") and not hasattr(data, "DATA_DIR")
    assert not os.path.exists(os.path.join(ROOT, "data", "manifest.csv")), "one manifest: colorlib/resources/"


def test_wheel_holds_every_subpackage_and_the_csvs(tmp_path):
    """What a non-editable `pip install .` gets: built here from the working tree without network or deps."""
    pytest.importorskip("setuptools")
    src = tmp_path / "src"  # a copy, so that setuptools' build/ and egg-info stay out of the checkout
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(os.path.join(ROOT, name), src / name)
    shutil.copytree(os.path.join(ROOT, "colorlib"), src / "colorlib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(tmp_path / "dist"), str(src)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("colorkit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"colorlib/resources/manifest.csv", "colorlib/resources/pairs.csv"} <= names
    packages = {os.path.relpath(d, ROOT).replace(os.sep, "/") for d, _, files in os.walk(os.path.join(ROOT, "colorlib"))
                if "__init__.py" in files}
    missing = sorted(p for p in packages if f"{p}/__init__.py" not in names)
    assert not missing, f"subpackages left out of the wheel: {missing}"
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    target = re.search(r"colorkit\s*=\s*(\S+)", text).group(1)
    module, func = target.split(":")
    assert callable(getattr(__import__(module, fromlist=[func]), func)), target


# --- finding prints by sha256 -------------------------------------------------------------------------------------

def test_found_by_sha256_in_the_documented_order(isolated_data, tmp_path, monkeypatch):
    good = _fixture_bytes()
    user, env = tmp_path / "user", tmp_path / "env"
    for folder in (user, env, isolated_data):
        folder.mkdir(parents=True)
    (isolated_data / NAME).write_bytes(good)
    assert data.find(NAME) == str(isolated_data / NAME)  # the download cache
    monkeypatch.setenv(data.DATA_ENV, str(env))
    (env / NAME).write_bytes(good)
    assert data.find(NAME) == str(env / NAME)  # COLORKIT_DATA before the cache
    (user / NAME).write_bytes(good)
    assert data.find(NAME, folder=str(user)) == str(user / NAME)  # the folder given before COLORKIT_DATA
    assert data.search_folders(str(user))[:3] == [str(user), str(env), str(isolated_data)]
    (env / NAME).unlink()
    assert data.find(NAME) == str(isolated_data / NAME)  # the OS cache is still looked in with COLORKIT_DATA set


def test_a_corrupted_file_is_rejected_and_a_good_copy_later_is_used(isolated_data, tmp_path):
    bad = bytearray(_fixture_bytes())
    bad[len(bad) // 2] ^= 0xFF  # one flipped byte: same name, same size
    user = tmp_path / "user"
    user.mkdir()
    (user / NAME).write_bytes(bytes(bad))
    with pytest.raises(ColorkitError) as info:
        data.find(NAME, folder=str(user))
    message = str(info.value)
    assert "\n" not in message and str(user) in message and str(isolated_data) in message  # the folder to fill
    isolated_data.mkdir(parents=True)
    (isolated_data / NAME).write_bytes(_fixture_bytes())
    assert data.find(NAME, folder=str(user)) == str(isolated_data / NAME)


def test_shared_folder_relative_to_the_working_directory(isolated_data, tmp_path):
    shared = tmp_path / "work" / "shared" / "data" / "ukiyoe"  # isolated_data works in tmp_path/work/here
    shared.mkdir(parents=True)
    (shared / NAME).write_bytes(_fixture_bytes())
    assert data.find(NAME) == str(shared / NAME)


def test_unknown_name_is_one_line():
    with pytest.raises(ColorkitError, match="not in the manifest"):
        data.find("hiroshige_tokaido_99_nowhere.jpg")


# --- downloads (pooch; network mocked) ----------------------------------------------------------------------------

def test_download_is_verified_and_lands_in_the_cache(isolated_data, tmp_path, monkeypatch, network):
    monkeypatch.setenv(data.MANIFEST_ENV, _manifest_with_urls(tmp_path / "manifest.csv"))
    network.serve[URL] = _fixture_bytes()
    path = data.find(NAME, download=True)
    assert path == str(isolated_data / NAME) and network.calls == [URL]
    assert hashlib.sha256(open(path, "rb").read()).hexdigest() == data.manifest()[NAME]["sha256"]
    assert data.find(NAME) == path  # found now without the network
    assert len(network.calls) == 1


def test_download_goes_to_colorkit_data_when_set(isolated_data, tmp_path, monkeypatch, network):
    monkeypatch.setenv(data.MANIFEST_ENV, _manifest_with_urls(tmp_path / "manifest.csv"))
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path / "mine"))
    network.serve[URL] = _fixture_bytes()
    assert data.find(NAME, download=True) == str(tmp_path / "mine" / NAME)
    assert not (isolated_data / NAME).exists()


def test_a_download_with_the_wrong_bytes_is_retried_then_refused(isolated_data, tmp_path, monkeypatch, network):
    monkeypatch.setenv(data.MANIFEST_ENV, _manifest_with_urls(tmp_path / "manifest.csv"))
    network.serve[URL] = _fixture_bytes("hiroshige_tokaido_01_shinagawa.jpg")  # another print's bytes
    with pytest.raises(ColorkitError) as info:
        data.find(NAME, download=True)
    assert "\n" not in str(info.value) and "hash" in str(info.value).lower()
    assert len(network.calls) == 1 + data.RETRIES
    assert not [f for f in os.listdir(isolated_data) if not f.startswith(".")], "nothing unverified is kept"


def test_offline_find_fails_with_one_line_naming_the_folder(isolated_data, tmp_path, monkeypatch, network):
    monkeypatch.setenv(data.MANIFEST_ENV, _manifest_with_urls(tmp_path / "manifest.csv"))
    with pytest.raises(ColorkitError) as info:
        data.find(NAME, download=True)
    message = str(info.value)
    assert "\n" not in message and str(isolated_data) in message and "offline" in message
    assert len(network.calls) == 1 + data.RETRIES  # retried before giving up


def test_cli_download_offline_is_one_line_and_nonzero(isolated_data, tmp_path, monkeypatch, network, capsys):
    monkeypatch.setenv(data.MANIFEST_ENV, _manifest_with_urls(tmp_path / "manifest.csv"))
    rc, out, err = _run_cli(capsys, "download")
    assert rc != 0 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(isolated_data) in lines[0], err
    assert len(network.calls) == 1 + data.RETRIES  # stopped at the first print, not 12 × offline


def test_cli_download_fetches_only_what_is_missing(isolated_data, tmp_path, monkeypatch, network, capsys):
    monkeypatch.setenv(data.MANIFEST_ENV, _manifest_with_urls(tmp_path / "manifest.csv"))
    names = list(data.manifest())
    isolated_data.mkdir(parents=True)
    for name in names[1:]:
        shutil.copy(os.path.join(FIXTURE_PRINTS, name), isolated_data / name)
        network.serve[data.manifest()[name]["source_url"]] = _fixture_bytes(name)
    network.serve[data.manifest()[names[0]]["source_url"]] = _fixture_bytes(names[0])
    rc, out, err = _run_cli(capsys, "download")
    assert rc == 0, err
    assert network.calls == [data.manifest()[names[0]]["source_url"]]
    assert f"all {len(names)} prints present" in out
    rc, out, err = _run_cli(capsys, "download")
    assert rc == 0 and len(network.calls) == 1  # nothing left to fetch


@pytest.fixture
def loopback_server():
    """An HTTP server on 127.0.0.1 serving tests/fixtures/ukiyoe (no outside network); yields its base URL."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=FIXTURE_PRINTS))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_cli_download_end_to_end_over_loopback_http(isolated_data, tmp_path, monkeypatch, loopback_server, capsys):
    """pooch and requests for real (against a local server): every print lands in the cache, verified."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    with open(FIXTURE_MANIFEST, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["source_url"] = loopback_server + row["file"]
    rows[-1]["source_url"] = loopback_server + rows[0]["file"]  # the wrong print's bytes: refused
    manifest = tmp_path / "manifest.csv"
    with open(manifest, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    monkeypatch.setenv(data.MANIFEST_ENV, str(manifest))
    monkeypatch.setattr(data, "RETRIES", 0)
    rc, out, err = _run_cli(capsys, "download")
    assert rc == 2 and f"[{len(rows) - 1}/{len(rows)}]" in out
    assert err.strip().splitlines()[-1].startswith(f"error: {rows[-1]['file']}: download from") and "hash" in err
    for row in rows[:-1]:
        path = isolated_data / row["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row["sha256"]
    assert not (isolated_data / rows[-1]["file"]).exists()


def test_require_checks_up_front_in_one_line(isolated_data, tmp_path, monkeypatch, network):
    names = [row["content"] for row in data.pairs()[:2]]
    with pytest.raises(ColorkitError) as info:
        data.require(names)
    message = str(info.value)
    assert "\n" not in message and message.startswith("2 of 2 prints missing") and str(isolated_data) in message
    assert not network.calls  # no download unless asked
    monkeypatch.setenv(data.MANIFEST_ENV, _manifest_with_urls(tmp_path / "manifest.csv"))
    for name in names:
        network.serve[data.manifest()[name]["source_url"]] = _fixture_bytes(name)
    paths = data.require(names, download=True)
    assert paths == {name: str(isolated_data / name) for name in names} and len(network.calls) == 2


# --- colorkit data list -------------------------------------------------------------------------------------------

def test_cli_list_shows_where_each_print_is(isolated_data, tmp_path, capsys):
    isolated_data.mkdir(parents=True)
    (isolated_data / NAME).write_bytes(_fixture_bytes())
    rc, out, err = _run_cli(capsys, "list")
    assert rc == 0 and not err
    lines = dict(line.split(None, 1) for line in out.splitlines() if line.startswith("hiroshige_"))
    assert set(lines) == set(data.manifest())
    assert lines[NAME].strip() == str(isolated_data / NAME)
    assert all(lines[n].strip() == "missing" for n in lines if n != NAME)
    total = len(data.manifest())
    assert f"1 of {total} present" in out and f"{total - 1} missing" in out and str(isolated_data) in out


def test_cli_list_with_a_folder(isolated_data, tmp_path, capsys):
    user = tmp_path / "user"
    shutil.copytree(FIXTURE_PRINTS, user)
    rc, out, _ = _run_cli(capsys, "list", "--folder", str(user))
    assert rc == 0 and "missing" not in out and f"{len(data.manifest())} of {len(data.manifest())} present" in out


def test_module_entry_point_lists_without_a_traceback(tmp_path):
    env = {**os.environ, data.MANIFEST_ENV: FIXTURE_MANIFEST, data.DATA_ENV: FIXTURE_PRINTS}
    proc = subprocess.run([sys.executable, "-m", "colorlib", "data", "list"], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"{len(data.manifest())} of {len(data.manifest())} present" in proc.stdout


# --- the fixture prints the suite runs on -------------------------------------------------------------------------

def test_the_suite_runs_on_small_fixture_prints():
    if os.environ.get("COLORKIT_TEST_PRINTS") == "real":
        pytest.skip("COLORKIT_TEST_PRINTS=real: the suite uses the real prints")
    assert os.environ[data.MANIFEST_ENV] == FIXTURE_MANIFEST
    for row in data.pairs():
        for key in ("content", "style"):
            assert os.path.dirname(data.find(row[key])) == FIXTURE_PRINTS
    files = [f for f in os.listdir(FIXTURE_PRINTS) if f.endswith(".jpg")]
    assert sum(os.path.getsize(os.path.join(FIXTURE_PRINTS, f)) for f in files) < 300 * 1024


def test_fixture_manifest_describes_downscaled_prints_of_the_real_manifest(monkeypatch):
    from PIL import Image

    with open(FIXTURE_MANIFEST, newline="", encoding="utf-8") as fh:
        fixture = {row["file"]: row for row in csv.DictReader(fh)}
    monkeypatch.delenv(data.MANIFEST_ENV, raising=False)
    real = data.manifest()
    for name, row in fixture.items():
        assert name in real and real[name]["sha256"] != row["sha256"]  # not a copy of the original
        keep = ("station_no", "station", "title", "artist", "date", "licence")
        assert {k: row[k] for k in keep} == {k: real[name][k] for k in keep}
        with Image.open(os.path.join(FIXTURE_PRINTS, name)) as img:
            assert img.size == (int(row["width"]), int(row["height"])) and max(img.size) <= 128


# --- environment.yml and the Makefile -----------------------------------------------------------------------------

def test_environment_yml_pins_the_makefiles_torch():
    makefile = open(os.path.join(ROOT, "Makefile"), encoding="utf-8").read()
    env = open(os.path.join(ROOT, "environment.yml"), encoding="utf-8").read()
    pins = re.search(r"else\s*\nTORCH_PINS \?= (.+)", makefile).group(1).split()
    assert pins and all(re.search(rf"^\s*-\s*{re.escape(pin)}\s*$", env, re.M) for pin in pins), pins
    assert re.search(r"^\s*-\s*voila", env, re.M)


def test_notebooks_extra_has_voila():
    tomllib = pytest.importorskip("tomllib")
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        project = tomllib.load(fh)["project"]
    assert any(dep.startswith("voila") for dep in project["optional-dependencies"]["notebooks"])
    assert any(dep.startswith("pooch") for dep in project["dependencies"])


def test_make_results_fetches_the_prints_first():
    if not shutil.which("make"):
        pytest.skip("no make")
    proc = subprocess.run(["make", "-n", "results"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if "-m colorlib" in line]
    assert lines and "-m colorlib data download" in lines[0], lines
