"""The method notebook and the Figure 1 and 2 notebooks, run headless by `colorkit figures`
(colorlib.app.regenerate) on the smoke profile and checked against tests/reference/ (numbers and golden PNGs).
regenerate itself, with throwaway notebooks: tests/test_notebooks_regenerate.py.

COLORKIT_UPDATE_REFERENCES=1 rewrites tests/reference/ from this run on purpose (the test then skips).

Tolerances, from measured spread (commands in tests/reference/README.md): two runs on one CPU gave identical
numbers and PNGs; a run with 1 thread against one with 2 (another summation order in the CPU kernels) differed by
at most 1.3e-7 relative in the losses, 0 in ΔE2000 and 0.009 RMS in the PNGs. The tolerances below leave a wide
margin for other CPUs and library builds, yet a real change exceeds them: one more iteration at the smoke profile
moved the losses by up to 166 % relative, ΔE2000 by up to 0.53 and the PNGs by RMS 3.3 (figure1), 17.8 (figure2)
and 23.9 (figure2_losses).
"""
import json
import math
import os
import shutil

import nbformat
import pytest

from colorlib.app import regenerate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(ROOT, "tests", "reference")
UPDATE = os.environ.get("COLORKIT_UPDATE_REFERENCES") == "1"
FIGURE_NOTEBOOKS = ("00_method.ipynb", "01_figure1_ukiyoe.ipynb", "02_figure2_optimizers.ipynb")
PNGS = ("method_iterations.png", "figure1.png", "figure1_ablation.png", "figure2.png", "figure2_losses.png")
REL_TOL = 1e-3  # losses, learning rates, gradient scale: relative
ABS_TOL = 0.02  # ΔE2000 (0-100 scale) and colourfulness ratios: absolute
RMS_TOL = 1.0  # golden PNGs: RMS of the pixel difference on the 0-255 scale (matplotlib.testing.compare)


def numbers(record: dict) -> dict:
    """The values of a figure JSON that the regression check compares, flattened to 'path': value."""
    out = {}
    if record.get("notebook") == "00_method":
        for part in ("start", "final"):
            for key in ("content_loss", "style_loss", "total_loss"):
                out[f"{part}.{key}"] = record[part][key]
        for key in ("style_weight_used", "hand_vs_library", "delta_e2000", "delta_e2000_gray", "colourfulness_ratio",
                    "structure_ssim"):
            out[key] = record[key]
    elif record["figure"] == "figure1":
        for col in record["columns"]:
            for key in ("content_loss", "style_loss", "total_loss", "delta_e2000", "delta_e2000_gray",
                        "colourfulness_ratio", "structure_ssim"):
                out[f"columns[{col['name']}].{key}"] = col[key]
    elif record["figure"] == "figure1_ablation":
        for name, run in record["variants"].items():
            for key in ("total_loss", "delta_e2000", "colourfulness_ratio", "structure_ssim", "style_weight_used"):
                out[f"variants.{name}.{key}"] = run[key]
    else:
        for name, run in record["variants"].items():
            for key in ("lr", "content_loss", "style_loss", "total_loss", "delta_e2000", "colourfulness_ratio",
                        "structure_ssim"):
                out[f"variants.{name}.{key}"] = run[key]
        sweep = record["sgd_lr_sweep"]
        out["sgd_lr_sweep.gradient_scale"] = sweep["gradient_scale"]
        out["sgd_lr_sweep.chosen_lr"] = sweep["chosen_lr"]
        for run in sweep["runs"]:
            out[f"sgd_lr_sweep.step {run['step']:g}.final_total_loss"] = run["final_total_loss"]
    return out


def differences(expected: dict, actual: dict) -> list[str]:
    """Readable lines for every value outside its tolerance (relative for losses and rates, else absolute)."""
    lines = []
    for key in sorted(set(expected) | set(actual)):
        want, got = expected.get(key, "<missing>"), actual.get(key, "<missing>")
        if not (isinstance(want, (int, float)) and isinstance(got, (int, float))):
            if want != got:
                lines.append(f"{key}: expected {want}, got {got}")
            continue
        relative = any(word in key for word in ("loss", "lr", "gradient_scale", "style_weight"))
        diff = abs(got - want) / max(abs(want), 1e-12) if relative else abs(got - want)
        tol = REL_TOL if relative else ABS_TOL
        if not diff <= tol or math.isnan(got):
            lines.append(f"{key}: expected {want:.6g}, got {got:.6g} ({'relative ' if relative else ''}"
                         f"difference {diff:.3g} > {tol:g})")
    return lines


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("smoke")
    rc = regenerate.main(["--profile", "smoke", "--only", "0[012]_*", "--output-dir", str(out), "--quiet"])
    assert rc == 0, "regenerate failed on the smoke profile (its one-line error is printed above)"
    return out


@pytest.mark.slow
def test_smoke_run_writes_every_result(smoke_run):
    for name in ("method.json", "method_iterations.png", "figure1.png", "figure1.json", "figure1_ablation.png",
                 "figure1_ablation.json", "figure2.png", "figure2_losses.png", "figure2.json",
                 *(f"notebooks/{nb}" for nb in FIGURE_NOTEBOOKS)):
        assert (smoke_run / name).is_file(), f"{name} missing from {smoke_run}"
    assert not [p for p in os.listdir(smoke_run) if p.startswith(".regenerate")], "staging folder left behind"
    record = json.loads((smoke_run / "figure1.json").read_text())
    assert record["profile"] == "smoke" and record["params"]["size"] == 48
    assert len(record["columns"]) >= 3 and record["versions"]["torch"]
    executed = nbformat.read(smoke_run / "notebooks" / "02_figure2_optimizers.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "L-BFGS (no tuning, lr 1) vs SGD" in printed  # the computed verdict is shown
    assert all("structure_ssim" in c for c in record["columns"])


@pytest.mark.slow
def test_method_notebook_shows_the_method(smoke_run):
    """00_method: the hand-written L-BFGS loop equals optimize()'s, and the images are embedded in the notebook."""
    record = json.loads((smoke_run / "method.json").read_text())
    assert record["profile"] == "smoke" and record["final"]["iteration"] == record["params"]["iterations"]
    assert record["hand_vs_library"] < 1e-6  # the closure in the notebook is the library's loop
    executed = nbformat.read(smoke_run / "notebooks" / "00_method.ipynb", as_version=4)
    pngs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(pngs) >= 7  # images, feature maps, Gram matrices, schedule, iterations, losses, result
    equations = "".join(c.source for c in executed.cells if c.cell_type == "markdown")
    for latex in (r"\mathcal{L}_{content}(p, x, l)", "G^l = F^l(F^l)^T", r"E_l = \frac{1}{4N_l^2 M_l^2}",
                  r"\mathcal{L}_{style}(a,x) = \sum_{l=0}^{L} w_l E_l", r"\mathcal{L}_{total}(p, a, x)"):
        assert equations.count(latex) == 1, latex  # each of the paper's equations once, in its notation


@pytest.mark.slow
@pytest.mark.parametrize("stem", ["method", "figure1", "figure1_ablation", "figure2"])
def test_numbers_match_reference(smoke_run, stem):
    actual = numbers(json.loads((smoke_run / f"{stem}.json").read_text()))
    path = os.path.join(REFERENCE, f"{stem}.json")
    if UPDATE:
        from colorlib.record import versions, write_json

        write_json({"profile": "smoke", "command": "COLORKIT_UPDATE_REFERENCES=1 pytest tests/test_notebooks.py",
                    "versions": versions(), "values": actual}, path)
        pytest.skip(f"reference {path} rewritten")
    expected = json.load(open(path, encoding="utf-8"))["values"]
    diff = differences(expected, actual)
    assert not diff, (f"{stem}.json differs from {path} (set COLORKIT_UPDATE_REFERENCES=1 to accept on purpose):\n  "
                      + "\n  ".join(diff))


@pytest.mark.slow
@pytest.mark.parametrize("png", PNGS)
def test_figure_matches_golden_png(smoke_run, png):
    from matplotlib.testing.compare import compare_images

    golden = os.path.join(REFERENCE, png)
    if UPDATE:
        shutil.copyfile(smoke_run / png, golden)
        pytest.skip(f"golden {golden} rewritten")
    message = compare_images(golden, str(smoke_run / png), tol=RMS_TOL)
    assert message is None, f"{png} differs from the golden image (diff image beside the new one):\n{message}"


def test_differences_reports_values_outside_tolerance():
    expected = {"variants.a.total_loss": 100.0, "variants.a.delta_e2000": 10.0, "x.chosen": True}
    assert differences(expected, dict(expected)) == []
    assert differences(expected, {**expected, "variants.a.total_loss": 100.05}) == []
    lines = differences(expected, {**expected, "variants.a.total_loss": 101.0, "variants.a.delta_e2000": 10.5})
    assert len(lines) == 2 and "expected 100, got 101" in lines[1] and "10.5" in lines[0]
    assert differences(expected, {"variants.a.total_loss": 100.0}) != []  # a value gone missing is a difference


# --- the committed notebooks ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", FIGURE_NOTEBOOKS)
def test_notebook_is_committed_clean_with_papermill_parameters(name):
    path = os.path.join(ROOT, "notebooks", name)
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), f"{name} has outputs; strip them"
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{name} needs exactly one cell tagged 'parameters'"
    assert set(regenerate.parameters_for(path, dict.fromkeys(("profile", "device", "seed", "output_dir")))) == {
        "profile", "device", "seed", "output_dir"}
    assert not any("matplotlib" in c.source or "plt." in c.source for c in code), "plotting belongs in colorlib"


# --- the computed verdicts (pure functions of a record) -----------------------------------------------------

def _figure2_record(lbfgs_loss, sgd_loss, de, structure=None):
    """A figure2 record with the given fixed-β total losses, ΔE2000 and structure per variant (name -> value)."""
    from colorlib.experiments.figure2 import VARIANTS

    structure = structure or dict.fromkeys(VARIANTS, 0.7)
    variants = {k: dict(label=VARIANTS[k][2], total_loss=lbfgs_loss if k.startswith("lbfgs") else sgd_loss,
                        delta_e2000=de[k], structure_ssim=structure[k], colourfulness_ratio=0.5, diverged=None)
                for k in VARIANTS}
    runs = [dict(final_total_loss=1.0), dict(final_total_loss=None)]
    return dict(variants=variants, sgd_lr_sweep=dict(chosen_lr=1e-9, runs=runs))


def test_figure2_verdict_follows_the_numbers():
    from colorlib.experiments.verdicts import figure2_verdict

    paper_like = dict(sgd_fixed=14.0, sgd_decay=13.0, lbfgs_fixed=12.0, lbfgs_decay=11.0)
    text = figure2_verdict(_figure2_record(1.0, 2.0, paper_like))
    assert "best of 2 rates tried, 1 diverged" in text
    assert "this run agrees with the paper's claim that L-BFGS" in text
    assert "this run agrees with the paper's claim that decaying" in text
    opposite = dict(sgd_fixed=11.0, sgd_decay=12.0, lbfgs_fixed=13.0, lbfgs_decay=14.0)
    worse = dict(sgd_fixed=0.7, sgd_decay=0.8, lbfgs_fixed=0.7, lbfgs_decay=0.3)
    text = figure2_verdict(_figure2_record(3.0, 2.0, opposite, worse))
    assert "does not agree with the paper's claim that L-BFGS" in text
    assert "does not agree with the paper's claim that decaying" in text
    assert "does not keep the print with colour" in text  # L-BFGS decaying: structure 0.3
    mixed = dict(sgd_fixed=14.0, sgd_decay=13.0, lbfgs_fixed=11.0, lbfgs_decay=12.0)
    text = figure2_verdict(_figure2_record(1.0, 2.0, mixed))
    assert "partly agrees with the paper's claim that decaying" in text


def test_figure1_verdict_counts_prints_kept_and_says_when_gray_wins():
    from colorlib.experiments.verdicts import figure1_verdict

    cols = [dict(delta_e2000=15.0, delta_e2000_gray=12.0, structure_ssim=0.7, colourfulness_ratio=0.5),
            dict(delta_e2000=10.0, delta_e2000_gray=12.0, structure_ssim=0.3, colourfulness_ratio=0.9)]
    summary = dict(mean_delta_e2000=12.5, mean_delta_e2000_gray=12.0, columns_beating_gray=1,
                   mean_colourfulness_ratio=0.7, mean_structure_ssim=0.5)
    text = figure1_verdict(dict(profile="quick", preset="neural-style", columns=cols, summary=summary))
    assert "1 of 2 results keep the print's structure" in text
    assert "does not beat the uncoloured gray input" in text and "1 of 2 prints" in text
    text = figure1_verdict(dict(profile="quick", preset="neural-style", columns=cols,
                                summary={**summary, "mean_delta_e2000": 11.0}))
    assert "method beats the uncoloured gray input" in text
