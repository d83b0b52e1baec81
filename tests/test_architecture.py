"""The layout's rules, checked: imports flow one way through the layers, no module holds more than ~300 lines."""
import ast
import os

import pytest

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "colorlib")
# Bottom to top: a module may import only from its own layer or the ones before it (README, "Layout").
LAYERS = ("basics", "paper", "speedups", "exemplar", "evaluation", "plots", "experiments", "app")
MAX_LINES = 300


def modules():
    for folder, _, files in os.walk(ROOT):
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                yield path, "colorlib." + os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in LAYERS else "basics"


def imported(path: str) -> list[tuple[int, str]]:
    """(line, module) of every colorlib module `path` imports, at any depth of the file."""
    out = []
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("colorlib"):
            if node.module == "colorlib":
                out += [(node.lineno, f"colorlib.{a.name}") for a in node.names]
            else:
                out.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("colorlib")]
    return out


def upward_imports() -> list[str]:
    bad = []
    for path, module in modules():
        if module in ("colorlib.__init__", "colorlib.__main__"):  # the public API and the entry point
            continue
        for line, target in imported(path):
            if target in ("colorlib.__init__",) or target.split(".")[1:2] == [""]:
                continue
            if LAYERS.index(layer(target)) > LAYERS.index(layer(module)):
                bad.append(f"{os.path.relpath(path, ROOT)}:{line} ({layer(module)}) imports {target} "
                           f"({layer(target)})")
    return bad


def test_imports_flow_one_way_through_the_layers():
    assert upward_imports() == []


def test_what_the_run_cache_leaves_out_of_its_code_key_is_the_top_layer():
    """colorlib/speedups/cache.py keys cached runs without the source of NOT_IN_RUNS: sound only while nothing a run
    executes can import it, i.e. while it is the top layer (and imports flow one way, above)."""
    from colorlib.speedups.cache import NOT_IN_RUNS

    assert NOT_IN_RUNS and all(LAYERS.index(package) == len(LAYERS) - 1 for package in NOT_IN_RUNS)


def test_the_check_catches_an_upward_import(tmp_path, monkeypatch):
    fake = tmp_path / "colorlib" / "paper"
    fake.mkdir(parents=True)
    (fake / "bad.py").write_text("from colorlib.app.cli import main\n")
    monkeypatch.setattr(__import__(__name__), "ROOT", str(tmp_path / "colorlib"))
    assert len(upward_imports()) == 1


@pytest.mark.parametrize("path,module", list(modules()))
def test_module_is_short(path, module):
    with open(path, encoding="utf-8") as fh:
        n = sum(1 for _ in fh)
    assert n <= MAX_LINES, f"{module} has {n} lines; split it (one idea per module)"
