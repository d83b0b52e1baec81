"""The evaluation run (colorlib.evaluation.runner), its retrieval study's summary, its verdict and its figures, on
the cheap methods at a tiny size (the whole notebook runs in tests/test_evaluation_notebook.py)."""
import json

import numpy as np
import pytest

from colorlib import data, tables
from colorlib.errors import ColorkitError
from colorlib.evaluation import registry, runner
from colorlib.evaluation.retrieval_study import retrieval_summary
from colorlib.evaluation.verdict import verdict
from colorlib.plots import evaluation as evaluation_plots, figures


@pytest.fixture(scope="module")
def prints():
    try:
        for row in data.pairs():
            data.find(row["content"]), data.find(row["style"])
    except ColorkitError as exc:
        pytest.skip(f"bundled prints not available: {exc}")


def test_only_optimising_methods_get_iterations(monkeypatch, tmp_path, prints):
    calls = {}

    def fake(content, style, *, size, iterations, seed, device):
        calls[iterations] = calls.get(iterations, 0) + 1
        return registry.METHODS["gray"](content, style, size=size)

    monkeypatch.setitem(registry.METHODS, "fake-optimiser", fake)
    monkeypatch.setattr(registry, "OPTIMISING", ("fake-optimiser",))
    outputs = {}
    rows = runner.evaluate_all(24, 7, profile="tiny", methods=["gray", "welsh", "fake-optimiser"], device="cpu",
                               output_dir=tmp_path, verbose=False, outputs=outputs)
    pairs = len(data.pairs()) + 1
    assert calls == {7: pairs}
    assert {(r["method"], r["iterations"]) for r in rows} == {("gray", 0), ("welsh", 0), ("fake-optimiser", 7)}
    assert runner.evaluation_pairs_names(rows)[-1] == "motorcycle" and len(rows) == 3 * pairs
    assert set(outputs) == {(p, m) for p in runner.evaluation_pairs_names(rows)
                            for m in ("gray", "welsh", "fake-optimiser", "truth")}

    back = tables.read_csv(tmp_path / "evaluation.csv")
    assert [(r["pair"], r["method"]) for r in back] == [(r["pair"], r["method"]) for r in rows]
    assert back[0]["delta_e2000"] == pytest.approx(rows[0]["delta_e2000"])
    record = json.loads((tmp_path / "evaluation.json").read_text())
    assert record["methods"] == ["gray", "welsh", "fake-optimiser"] and record["iterations"] == 7
    assert "| welsh |" in (tmp_path / "evaluation_summary.md").read_text()
    assert len(list((tmp_path / "evaluation").glob("*.png"))) == len(rows)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]

    summary = runner.summarize(rows)
    assert {s["method"]: s["beats_gray"] for s in summary}["gray"] == f"0/{pairs}"
    wide = tables.wide(rows, "pair", "method", "delta_e2000")
    assert len(wide) == pairs and wide[0]["welsh"] == rows[1]["delta_e2000"]

    figures.save(evaluation_plots.summary(summary, rows), tmp_path / "evaluation.png")
    assert (tmp_path / "evaluation.png").read_bytes()[:4] == b"\x89PNG"
    figures.save(evaluation_plots.examples(outputs, runner.evaluation_pairs_names(rows), ["truth", "welsh"]),
                 tmp_path / "examples.png")
    assert (tmp_path / "examples.png").stat().st_size > 1000


def test_unknown_methods_are_one_line_errors(tmp_path):
    with pytest.raises(ColorkitError, match="unknown method.*nope.*registered: gray"):
        runner.evaluate_all(24, 1, methods=["gray", "nope"], output_dir=tmp_path, verbose=False)


def _rows(paper_its=4, **de):
    return [dict(pair=p, method=m, delta_e2000=de[m.replace("-", "_")] + k, colourfulness_ratio=0.5,
                 iterations=paper_its if m == "paper" else 0, size=48, status="ok", seconds=1.0)
            for k, p in enumerate(("a", "b")) for m in ("gray", "welsh", "paper")]


def test_verdict_follows_the_numbers():
    text = verdict(_rows(gray=10.0, welsh=9.0, paper=12.0))
    assert text.startswith("Ranking by mean ΔE2000 (lower is better): welsh 9.50, gray 10.50, paper 12.50.")
    assert "WORSE than leaving the image gray (12.50 vs 10.50; lower on 0/2 pairs)" in text
    assert "welsh (9.50), is better than paper by 3.00 ΔE" in text
    assert "This profile runs 4 iterations at 48 px" in text  # the paper's own iterations, not gray's 0
    text = verdict(_rows(paper_its=1000, gray=10.0, welsh=9.0, paper=8.0))
    assert "is better than leaving the image gray" in text and "worse than paper by 1.00" in text
    assert "This profile runs" not in text


def test_retrieval_summary_and_its_sentence():
    rows = [dict(top1_agree=True, as_good=True, designated_rank=1, delta_e_designated=5.0, delta_e_retrieved=5.0,
                 method="welsh"),
            dict(top1_agree=False, as_good=False, designated_rank=3, delta_e_designated=4.0, delta_e_retrieved=6.0,
                 method="welsh")]
    s = retrieval_summary(rows)
    assert (s["n"], s["top1_agreement"], s["as_good_rate"], s["mean_designated_rank"]) == (2, 0.5, 0.5, 2.0)
    assert np.isclose(s["mean_delta_e_retrieved"], 5.5)
    text = verdict(_rows(gray=10.0, welsh=9.0, paper=8.0), rows)
    assert "Retrieval picked the designated partner for 1/2 ukiyo-e contents (top-1 agreement 50%)" in text
