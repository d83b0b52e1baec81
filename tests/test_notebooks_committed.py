"""Every notebook as committed: no outputs, one papermill parameters cell, and every colorlib name it imports
exists (so a renamed module breaks this fast test, not a 20-minute regeneration)."""
import ast
import glob
import importlib
import os

import nbformat
import pytest

NOTEBOOKS = sorted(glob.glob(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                          "notebooks", "[0-9][0-9]_*.ipynb")))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 5


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_committed_clean_with_one_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "strip the outputs before committing"
    assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_every_colorlib_import_resolves(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("colorlib"):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    if not hasattr(module, alias.name):
                        importlib.import_module(f"{node.module}.{alias.name}")  # a submodule


def _parameters(nb) -> dict:
    """Name -> default value (a literal) of the notebook's `parameters` cell."""
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    return {t.id: ast.literal_eval(node.value) for node in ast.parse(cell.source).body
            if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_every_code_cell_follows_a_markdown_cell(path):
    """A reader steps through: each code cell, other than `parameters`, comes after prose saying what it does."""
    nb = nbformat.read(path, as_version=4)
    assert nb.cells and nb.cells[0].cell_type == "markdown", "open with what the notebook shows"
    bare = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "parameters" not in
            c.metadata.get("tags", []) and (i == 0 or nb.cells[i - 1].cell_type != "markdown")]
    assert not bare, f"code cells {bare} of {os.path.basename(path)} have no markdown cell before them"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_introduction_says_the_claim_and_the_time_of_each_profile(path):
    intro = nbformat.read(path, as_version=4).cells[0].source
    assert "claim" in intro.lower(), "say which claim of the paper the notebook tests (or that it tests none)"
    assert "**Time:**" in intro and all(f"`{p}`" in intro for p in ("smoke", "quick", "paper")), \
        "say how long each profile takes"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_a_hand_run_writes_nowhere_near_the_committed_results(path):
    """Run by hand (the defaults), a notebook writes into a folder of its own: output_dir defaults to None."""
    params = _parameters(nbformat.read(path, as_version=4))
    assert "output_dir" in params and params["output_dir"] is None, \
        f"output_dir defaults to {params.get('output_dir')!r}; a hand run must not write into results/"
