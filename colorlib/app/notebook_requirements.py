"""What the notebooks need before any of them runs: papermill, the Jupyter kernel, and every module they import,
so that a missing extra (Dask for the sweep, ipywidgets for the explorer, …) is reported in one line before the first
notebook starts instead of minutes into a run."""
from __future__ import annotations

import ast
import importlib
import os
import re
from importlib import metadata


def imported_modules(path: str) -> list[str]:
    """Every module the notebook's code cells import (`import a.b`, `from a.b import c`), in order of appearance."""
    import nbformat

    found = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.append(node.module)
    return list(dict.fromkeys(found))


def missing_requirements(notebooks: list[str], kernel: str) -> list[str]:
    """One line per thing the notebooks need that is absent: papermill, the Jupyter kernel, each module a
    notebook imports that fails to import here (named with the colorkit extra that installs it, where one does)."""
    try:
        import papermill  # noqa: F401
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    except ImportError as exc:
        return [f"papermill is not installed ({exc.name} missing): pip install 'colorkit[notebooks]'"]
    try:
        KernelSpecManager().get_kernel_spec(kernel)
    except NoSuchKernel:
        return [f"no Jupyter kernel named {kernel!r}: pip install ipykernel, or pass --kernel"]
    problems = []
    for path in notebooks:
        for module in imported_modules(path):
            try:
                importlib.import_module(module)
            except ImportError as exc:
                missing = exc.name or module
                problems.append(f"{os.path.basename(path)} needs {missing!r}, which is not installed"
                                f"{_extra_hint(missing)}")
                break
    return problems


def _extra_hint(module: str) -> str:
    """": pip install 'colorkit[EXTRA]'" when an extra of colorkit requires a distribution named like `module`."""
    try:
        requires = metadata.requires("colorkit") or []
    except metadata.PackageNotFoundError:
        return ""
    wanted = _normal(module.split(".")[0])
    for req in requires:
        extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)", req)
        name = re.match(r"[A-Za-z0-9._-]+", req)
        if extra and name and _normal(name.group(0)) == wanted:
            return f": pip install 'colorkit[{extra.group(1)}]'"
    return ""


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
