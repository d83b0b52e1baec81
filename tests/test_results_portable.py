"""No committed file under results/ names an absolute path: a reader's clone must not show the folders of the
machine that made the results, and two machines must write the same file (issue 26; colorlib/record.portable)."""
import os
import re
import subprocess

import pytest

from colorlib.record import command_line, portable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEXT = (".json", ".csv", ".md", ".ipynb", ".txt", ".yml", ".yaml")
# a path from the file-system root: "/" and at least two names, at the start or after a space, quote, "=", "(", "[",
# "," or ";" (so "0.5/1", "a/b" and URLs do not count)
ABSOLUTE = re.compile(r"""(?:^|[\s"'=(\[,;])(/[A-Za-z_.][\w.-]*(?:/[\w.-]+)+)""")


def committed_results() -> list:
    try:
        out = subprocess.run(["git", "ls-files", "results"], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git clone: the committed files are unknown")
    return [p for p in out.stdout.splitlines() if p.endswith(TEXT)]


PLACEHOLDER = "/path/to/"  # a documentation example (the explorer's text box), no machine's folder


def absolute_paths(text: str) -> list:
    return sorted({m.group(1) for m in ABSOLUTE.finditer(text) if not m.group(1).startswith(PLACEHOLDER)})


def test_no_committed_result_names_an_absolute_path():
    found = {}
    for rel in committed_results():
        with open(os.path.join(ROOT, rel), encoding="utf-8", errors="replace") as fh:
            paths = absolute_paths(fh.read())
        if paths:
            found[rel] = paths[:3]
    assert not found, f"absolute paths in {len(found)} results files, e.g. {dict(list(found.items())[:5])}"


def test_the_check_finds_an_absolute_path_and_passes_relative_ones():
    assert absolute_paths('{"content": "/home/ann/data/ukiyoe/ejiri.jpg"}') == ["/home/ann/data/ukiyoe/ejiri.jpg"]
    assert absolute_paths('--out /tmp/x/y and "ratio 0.5/1", "data/ukiyoe/a.jpg", https://example.org/a/b, '
                          '"/path/to/image.png"') == ["/tmp/x/y"]


def test_portable_keeps_paths_inside_the_repository_and_elides_the_rest():
    inside = os.path.join(ROOT, "results", "figure1.json")
    assert portable(inside) == os.path.join("results", "figure1.json")
    assert portable("/somewhere/else/out") == "…/out" and portable("--out=/a/b/c") == "--out=…/c"
    assert portable("relative/path") == "relative/path" and portable(3) == 3
    line = command_line(["benchmarks/speed.py", "--out", "/tmp/run/speed", inside])
    assert not absolute_paths(line) and line.endswith("…/speed results/figure1.json")
