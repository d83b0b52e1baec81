"""notebooks/04_evaluation.ipynb on the smoke profile through papermill, checked against reference numbers.

The reference tests/reference/evaluation_smoke.json is regenerated on purpose, never silently:
    COLORKIT_UPDATE_REFERENCES=1 .venv/bin/python -m pytest -q tests/test_evaluation_notebook.py
Tolerances (why):
- gray, reinhard, welsh are numpy-only and seeded: the same numbers up to float rounding, ΔE2000 and the
  colourfulness ratio within 0.01.
- every other method goes through VGG-19 (and possibly L-BFGS), whose float results differ in the last bits
  between CPUs and torch builds, and a few optimisation steps amplify that: ΔE2000 within 10 % (at least 0.5).
- retrieval: the same top pick for every content, scores within 1e-3, the welsh ΔE within 0.01.
A method registered but missing from the reference (or the reverse) fails: regenerate after adding one."""
import json
import os

import nbformat
import numpy as np
import pytest

from colorlib import color, data, tables
from colorlib.evaluation import metrics, registry, runner as evaluation

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK = os.path.join(ROOT, "notebooks", "04_evaluation.ipynb")
REFERENCE = os.path.join(ROOT, "tests", "reference", "evaluation_smoke.json")
UPDATE = os.environ.get("COLORKIT_UPDATE_REFERENCES") == "1"
EXACT = ("gray", "reinhard", "welsh")
EXACT_TOL = 0.01
REL_TOL, MIN_TOL = 0.10, 0.5
SCORE_TOL = 1e-3


def test_notebook_is_committed_clean_with_papermill_parameters():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "strip the notebook's outputs"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    names = {line.split("=")[0].strip() for line in tagged[0].source.splitlines()
             if "=" in line and not line.lstrip().startswith("#")}
    assert names == {"profile", "device", "seed", "output_dir"}  # what colorlib.app.regenerate passes


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    import papermill

    out = tmp_path_factory.mktemp("evaluation_smoke")
    executed = out / "executed.ipynb"
    papermill.execute_notebook(NOTEBOOK, str(executed), kernel_name="python3", progress_bar=False,
                               parameters=dict(profile="smoke", device="cpu", seed=0, output_dir=str(out)),
                               cwd=os.path.dirname(NOTEBOOK))
    return out


def _rows(out):
    return tables.read_csv(out / "evaluation.csv", text_columns=("pair", "method", "status", "profile"))


@pytest.mark.slow
def test_every_method_on_every_pair_and_files_written(smoke_run):
    rows = _rows(smoke_run)
    methods = [m for m in registry.names() if m not in ("paper", "paper-preReLU")]  # as the notebook
    pairs = len(data.pairs()) + 1  # + the motorcycle
    assert len(rows) == pairs * len(methods)
    assert {(r["pair"], r["method"]) for r in rows} == {(p, m) for p in evaluation.evaluation_pairs_names(rows)
                                                        for m in methods}
    for name in ("evaluation.png", "evaluation_examples.png"):
        with open(smoke_run / name, "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    summary = (smoke_run / "evaluation_summary.md").read_text(encoding="utf-8")
    assert all(f"| {m} |" in summary for m in methods)
    record = json.loads((smoke_run / "evaluation.json").read_text(encoding="utf-8"))
    assert record["profile"] == "smoke" and record["versions"]["torch"] and record["methods"] == methods
    assert not [f for f in os.listdir(smoke_run) if f.startswith(".tmp-")]  # no half-written files


@pytest.mark.slow
def test_numbers_are_sane(smoke_run):
    rows = _rows(smoke_run)
    by = {(r["pair"], r["method"]): r for r in rows}
    for r in rows:
        assert np.isfinite(r["delta_e2000"]) and r["seconds"] >= 0
        if r["method"] in EXACT:
            assert r["lightness_error"] < 0.05  # the baselines keep the input's L*
    assert all(by[p, "gray"]["colourfulness"] < 1e-3 for p, m in by if m == "gray")
    # the gray row recomputed here, independently of the notebook's pipeline
    truth = evaluation.evaluation_pairs(48)[-1]["truth"]
    assert by["motorcycle", "gray"]["delta_e2000"] == pytest.approx(metrics.delta_e2000(color.to_gray(truth), truth),
                                                                    abs=1e-6)


@pytest.mark.slow
def test_notebook_prints_table_retrieval_and_verdict(smoke_run):
    nb = nbformat.read(str(smoke_run / "executed.ipynb"), as_version=4)
    text = "\n".join(o.get("text", "") + json.dumps(o.get("data", {})) for c in nb.cells if c.cell_type == "code"
                     for o in c.outputs)
    assert "Ranking by mean ΔE2000" in text and "top-1 agreement" in text and "beats_gray" in text


def _current(out) -> dict:
    rows = _rows(out)
    retrieval = json.loads((out / "retrieval.json").read_text(encoding="utf-8"))
    return dict(
        profile="smoke", seed=0,
        delta_e2000={f"{r['pair']}|{r['method']}": r["delta_e2000"] for r in rows},
        colourfulness_ratio={f"{r['pair']}|{r['method']}": r["colourfulness_ratio"] for r in rows},
        retrieval={r["content"]: dict(retrieved=r["retrieved"], score=r["score_retrieved"],
                                      delta_e_designated=r["delta_e_designated"],
                                      delta_e_retrieved=r["delta_e_retrieved"]) for r in retrieval["rows"]},
        top1_agreement=retrieval["top1_agreement"],
        tolerances=dict(exact_methods=list(EXACT), exact_abs=EXACT_TOL, other_rel=REL_TOL, other_min_abs=MIN_TOL,
                        score_abs=SCORE_TOL),
        generated_by="COLORKIT_UPDATE_REFERENCES=1 .venv/bin/python -m pytest -q tests/test_evaluation_notebook.py",
        versions=retrieval["versions"])


@pytest.mark.slow
def test_matches_reference(smoke_run):
    now = _current(smoke_run)
    if UPDATE:
        from colorlib.record import write_json

        write_json(now, REFERENCE)
    if not os.path.isfile(REFERENCE):
        pytest.fail(f"{REFERENCE} missing: create it with COLORKIT_UPDATE_REFERENCES=1")
    ref = json.loads(open(REFERENCE, encoding="utf-8").read())
    added = sorted(set(now["delta_e2000"]) - set(ref["delta_e2000"]))
    gone = sorted(set(ref["delta_e2000"]) - set(now["delta_e2000"]))
    assert not added and not gone, (f"pairs|methods changed (new: {added[:4]}, missing: {gone[:4]}); if on "
                                    "purpose, regenerate with COLORKIT_UPDATE_REFERENCES=1")
    bad = []
    for key, want in ref["delta_e2000"].items():
        got, method = now["delta_e2000"][key], key.split("|", 1)[1]
        tol = EXACT_TOL if method in EXACT else max(MIN_TOL, REL_TOL * abs(want))
        if not abs(got - want) <= tol:
            bad.append(f"{key}: ΔE {got:.3f} vs reference {want:.3f} (tolerance {tol:.3f})")
        if method in EXACT and method != "gray":
            want_c, got_c = ref["colourfulness_ratio"][key], now["colourfulness_ratio"][key]
            if not abs(got_c - want_c) <= EXACT_TOL:
                bad.append(f"{key}: colourfulness ratio {got_c:.3f} vs reference {want_c:.3f}")
    for content, want in ref["retrieval"].items():
        got = now["retrieval"][content]
        if got["retrieved"] != want["retrieved"] or abs(got["score"] - want["score"]) > SCORE_TOL:
            bad.append(f"retrieval {content}: {got['retrieved']} ({got['score']:.4f}) vs reference "
                       f"{want['retrieved']} ({want['score']:.4f})")
        if abs(got["delta_e_designated"] - want["delta_e_designated"]) > EXACT_TOL:
            bad.append(f"retrieval {content}: welsh ΔE with the partner {got['delta_e_designated']:.3f} vs "
                       f"{want['delta_e_designated']:.3f}")
    assert not bad, "differs from tests/reference/evaluation_smoke.json:\n" + "\n".join(bad)
