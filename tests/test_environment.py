"""Every environment variable the kit reads is checked before any work: a bad value is one line naming it, a huge
one allocates nothing (COLORKIT_MAX_PIXELS, COLORKIT_MANIFEST, COLORKIT_DATA, COLORKIT_CACHE, COLORKIT_NO_CACHE)."""
import csv
import io
import os
import resource

import numpy as np
import pytest

from colorlib import data, file_input, images
from colorlib.errors import ColorkitError
from colorlib.speedups import cache
from conftest import FIXTURE_MANIFEST
from reliability_corpus import CPU, TINY, _main


@pytest.mark.parametrize("value", ["1000000000000", "1e12", str(10**30), "0"])
def test_a_huge_pixel_limit_allocates_nothing(value, tmp_path, monkeypatch):
    """COLORKIT_MAX_PIXELS=1e12 once reserved limit x 16 bytes up front (an 'out of memory at --size 64'); 10**30
    overflowed. Any whole number is a limit now, input is read in chunks."""
    monkeypatch.setenv(file_input.MAX_PIXELS_ENV, value)
    path = tmp_path / "x.png"
    images.save(np.full((20, 24, 3), 0.5, np.float32), path)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert images.load(path).shape == (20, 24, 3)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024  # kB: under 200 MB more


def test_a_huge_pixel_limit_through_the_cli(corpus, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(file_input.MAX_PIXELS_ENV, str(10**30))
    out = tmp_path / "r.png"
    code = _main(["colorize", str(corpus / "content.png"), str(corpus / "style.png"), "-o", str(out), *TINY, *CPU])
    assert code == 0, capsys.readouterr().err


@pytest.mark.parametrize("value", ["1.5", "nan", "inf", "-3", "12 pixels"])
def test_a_bad_pixel_limit_is_one_line(value, monkeypatch):
    monkeypatch.setenv(file_input.MAX_PIXELS_ENV, value)
    with pytest.raises(ColorkitError, match="COLORKIT_MAX_PIXELS") as info:
        file_input.env_max_pixels()
    assert "\n" not in str(info.value)


def _manifest_rows():
    with open(FIXTURE_MANIFEST, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _write_manifest(path, rows, columns=None):
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns or list(rows[0]), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue())


BAD_MANIFESTS = {
    "binary": (lambda p: p.write_bytes(bytes(range(256)) * 8), "not a text CSV"),
    "NUL bytes": (lambda p: p.write_bytes(b"file,sha256,source_url\na.jpg,\x00\x00,x\n"), "not a text CSV"),
    "no sha256 column": (lambda p: _write_manifest(p, _manifest_rows(), ["file", "source_url"]), "no column sha256"),
    "a row without sha256": (lambda p: _write_manifest(p, [{**r, "sha256": ""} if i == 3 else r
                                                           for i, r in enumerate(_manifest_rows())]),
                             "row 5 (hiroshige_tokaido_12_numazu.jpg): sha256 '' is not 64 hex digits"),
    "a row with a short sha256": (lambda p: _write_manifest(p, [{**r, "sha256": "abc"} if i == 0 else r
                                                                for i, r in enumerate(_manifest_rows())]),
                                  "sha256 'abc' is not 64 hex digits"),
    "a row without a file name": (lambda p: _write_manifest(p, [{**r, "file": ""} if i == 1 else r
                                                                for i, r in enumerate(_manifest_rows())]),
                                  "row 3: no file name"),
    "no rows": (lambda p: p.write_text("file,sha256,source_url\n"), "no prints"),
    "missing": (lambda p: None, "cannot read"),
}


@pytest.mark.parametrize("case", list(BAD_MANIFESTS))
def test_a_bad_manifest_is_one_line(case, tmp_path, monkeypatch, capsys):
    from colorlib.app import cli

    path = tmp_path / "manifest.csv"
    write, words = BAD_MANIFESTS[case]
    write(path)
    monkeypatch.setenv(data.MANIFEST_ENV, str(path))
    with pytest.raises(ColorkitError, match="COLORKIT_MANIFEST") as info:
        data.manifest()
    assert words in str(info.value) and "\n" not in str(info.value), str(info.value)
    capsys.readouterr()
    assert cli.main(["data", "list"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: COLORKIT_MANIFEST") and "Traceback" not in err[0]


@pytest.mark.parametrize("variable", ["COLORKIT_DATA", "COLORKIT_CACHE"])
def test_a_folder_variable_naming_a_file_is_one_line(variable, tmp_path, monkeypatch):
    path = tmp_path / "a_file"
    path.write_text("not a folder")
    monkeypatch.setenv(variable, str(path))
    with pytest.raises(ColorkitError, match=f"{variable}=.*a_file.*not a folder"):
        data.search_folders() if variable == "COLORKIT_DATA" else cache.cache_dir()


@pytest.mark.parametrize("argv", [["data", "list"], ["sweep", "SPEC"], ["figures", "--only", "99"],
                                  ["colorize", "CONTENT", "STYLE", "-o", "OUT"]], ids=lambda a: a[0])
def test_every_command_checks_the_environment_before_any_work(argv, corpus, tmp_path, monkeypatch, capsys):
    from colorlib.app import cli

    monkeypatch.setenv(cache.OFF_ENV, "sometimes")
    spec = tmp_path / "s.yaml"
    spec.write_text(f"pairs: [{{content: {corpus / 'content.png'}, style: {corpus / 'style.png'}}}]\n")
    argv = [str({"SPEC": spec, "CONTENT": corpus / "content.png", "STYLE": corpus / "style.png",
                 "OUT": tmp_path / "r.png"}.get(a, a)) for a in argv]
    capsys.readouterr()
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: COLORKIT_NO_CACHE='sometimes'"), err
    assert sorted(os.listdir(tmp_path)) == ["s.yaml"]
