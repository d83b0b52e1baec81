"""No stale pointers: every command (`colorkit SUB`, `python -m MODULE`) and every pointer to documentation
("README, *Section*", `docs/x.md, "Heading"`, a bare docs/x.md) named in the README, docs/, the notebooks, the
package's source (docstrings and comments) and tests/reference/README.md exists.

One test case per pointer found, named by where it is, so a failure lists exactly which pointers are stale.
PENDING names pointers that wait for a page or section another branch of this round creates: they are expected to
fail here (xfail, strict — once they resolve, the case fails until its entry is removed)."""
from __future__ import annotations

import glob
import importlib.util
import os
import re

import nbformat
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Where pointers are looked for (relative to the repository root).
SOURCES = ("README.md", "docs/**/*.md", "notebooks/*.ipynb", "colorlib/**/*.py", "benchmarks/**/*.py", "tests/**/*.py",
           "tests/reference/README.md")
# Pointers stale on this branch in files other developers of this round own (LAYOUT.md): "file -> kind: target" (the
# test id without a notebook's cell number) -> owner and the page the pointer should name. They fail as expected
# until those files are mended; delete an entry once it is (strict: a pending pointer that resolves fails).
PENDING: dict[str, str] = {}

COMMAND = re.compile(r"(?:^|[`$(]|\s)(?:colorkit|(?:[\w./-]*python3?|\.venv/bin/python) -m colorlib) "
                     r"([a-z][a-z-]*)")
MODULE = re.compile(r"(?:[\w./-]*python3?|\.venv/bin/python) -m ([A-Za-z_][\w.]*)")
README = re.compile(r"README(?:\.md)?,\s*[*\"“]([^*\"”\n]+)[*\"”]")
DOCS = re.compile(r"(docs/[\w/.-]+\.md)(?:,\s*[*\"“]([^*\"”\n]+)[*\"”])?")
# Where a command can be named: a code span, a fenced block, or a line that starts with the command itself.
CODE_SPAN = re.compile(r"`([^`\n]+)`|^```\w*\n(.*?)^```|^[ \t>$]*((?:colorkit|[\w./-]*python3?) .*)$", re.M | re.S)


def texts():
    """(label, text) for every file in SOURCES; a notebook gives one text per cell."""
    for pattern in SOURCES:
        for path in sorted(glob.glob(os.path.join(ROOT, pattern), recursive=True)):
            rel = os.path.relpath(path, ROOT)
            if rel == os.path.join("tests", "test_references.py"):  # its own examples of stale pointers
                continue
            if path.endswith(".ipynb"):
                for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
                    yield f"{rel} cell {i}", cell.source
            else:
                yield rel, open(path, encoding="utf-8").read()


def commands_in(text: str) -> list[str]:
    """The parts of `text` where a command may be named (prose says "colorkit is …" without meaning one)."""
    return [next(g for g in m.groups() if g) for m in CODE_SPAN.finditer(text)]


def pointers() -> list[tuple[str, str, str]]:
    """(where, kind, target) of every pointer found: kind is command, module, readme or docs."""
    found = []
    for label, text in texts():
        for chunk in commands_in(text):
            found += [(label, "command", m.group(1)) for m in COMMAND.finditer(chunk)]
            found += [(label, "module", m.group(1)) for m in MODULE.finditer(chunk)
                      if not m.group(1).startswith("colorlib ")]
        found += [(label, "readme", m.group(1).strip()) for m in README.finditer(text)]
        found += [(label, "docs", f"{m.group(1)}, \"{m.group(2).strip()}\"" if m.group(2) else m.group(1))
                  for m in DOCS.finditer(text)]
    return sorted(set(found))


def subcommands() -> set[str]:
    from colorlib.app import cli

    parser = cli.build_parser([])
    return {name for action in parser._actions if hasattr(action, "choices") and isinstance(action.choices, dict)
            for name in action.choices}


def headings(path: str) -> list[str]:
    """The headings of a markdown file, without their #s and inline markup, lower-cased."""
    with open(path, encoding="utf-8") as fh:
        text = re.sub(r"^```.*?^```", "", fh.read(), flags=re.M | re.S)
    return [re.sub(r"[`*_]", "", m.group(1)).strip().lower() for m in re.finditer(r"^#+\s+(.+)$", text, re.M)]


def has_heading(path: str, wanted: str) -> bool:
    """A heading equal to `wanted` or starting with it (a pointer may name "Layers" for "Layers: the paper's …")."""
    wanted = re.sub(r"[`*_]", "", wanted).strip().lower()
    return any(h == wanted or h.startswith(wanted) for h in headings(path))


def runnable(module: str) -> bool:
    """Can `python -m module` run: a module, or a package with __main__?"""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return False
    if spec is None:
        return False
    if spec.submodule_search_locations:  # a package
        return importlib.util.find_spec(f"{module}.__main__") is not None
    return True


def problem(kind: str, target: str) -> str | None:
    """Why the pointer is stale, or None."""
    if kind == "command":
        return None if target in subcommands() else f"`colorkit {target}`: no such subcommand"
    if kind == "module":
        return None if runnable(target) else f"`python -m {target}`: no such runnable module"
    if kind == "readme":
        return None if has_heading(os.path.join(ROOT, "README.md"), target) else \
            f"README has no section {target!r}"
    path, _, heading = target.partition(", ")
    full = os.path.join(ROOT, path)
    if not os.path.isfile(full):
        return f"{path} does not exist"
    if heading and not has_heading(full, heading.strip('"')):
        return f"{path} has no heading {heading}"
    return None


FOUND = pointers()


def _case(where: str, kind: str, target: str):
    name = f"{where} -> {kind}: {target}"
    key = re.sub(r" cell \d+ ->", " ->", name)
    marks = (pytest.mark.xfail(strict=True, reason=PENDING[key]),) if key in PENDING else ()
    return pytest.param(kind, target, id=name, marks=marks)


@pytest.mark.parametrize("kind, target", [_case(*p) for p in FOUND])
def test_pointer_exists(kind, target):
    assert problem(kind, target) is None, problem(kind, target)


def test_pointers_are_found():
    """The scan sees the kinds of pointer it checks (a broken pattern would make every case vanish)."""
    kinds = {kind for _, kind, _ in FOUND}
    assert {"command", "module", "docs"} <= kinds, kinds


def test_the_checks_catch_stale_pointers(tmp_path):
    assert problem("module", "colorlib.regenerate") is not None
    assert problem("module", "colorlib") is None and problem("module", "pytest") is None
    assert problem("command", "regenerate") is not None and problem("command", "figures") is None
    assert problem("readme", "No Such Section Anywhere") is not None
    assert problem("docs", "docs/no_such_page.md") is not None
    assert problem("docs", 'docs/sweeps.md, "No such heading"') is not None
    text = 'see README, *Choosing β/α* and `docs/x.md, "Speed"`; run `colorkit figures --profile smoke` or ' \
           '`python -m colorlib.regenerate`'
    found = [(kind, target) for chunk in commands_in(text) for kind, target in
             [("command", m.group(1)) for m in COMMAND.finditer(chunk)] +
             [("module", m.group(1)) for m in MODULE.finditer(chunk)]]
    assert ("command", "figures") in found and ("module", "colorlib.regenerate") in found
    assert [m.group(1) for m in README.finditer(text)] == ["Choosing β/α"]
    assert [(m.group(1), m.group(2)) for m in DOCS.finditer(text)] == [("docs/x.md", "Speed")]
