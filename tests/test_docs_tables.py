"""The measured numbers in README.md and docs/*.md agree with the committed results JSON (colorlib/docs_tables.py),
and the check that says so fails when one number is edited, in the document or in the JSON."""
import json
import re
import shutil
from pathlib import Path

import pytest

from colorlib import docs_tables
from colorlib.errors import ColorkitError

ROOT = Path(__file__).resolve().parent.parent


def copy_of_the_repository(tmp_path: Path) -> Path:
    """README.md, docs/ and every JSON file under results/ (no images), as the check reads them."""
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    for path in (ROOT / "results").rglob("*.json"):
        target = tmp_path / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    return tmp_path


def edit_first_number(text: str, kind: str, name: str) -> str:
    """`text` with the first decimal number inside the `name` span raised by one in its last digit."""
    span = re.search(rf"<!-- {kind}: {re.escape(name)} -->(.*?)<!-- /{kind} -->", text, re.DOTALL)
    number = re.search(r"\d+\.\d+", span.group(1))
    digits = number.group(0)
    bumped = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    start = span.start(1) + number.start()
    return text[:start] + bumped + text[start + len(digits):]


def test_every_table_and_value_agrees_with_the_committed_json():
    drift = docs_tables.regenerate(ROOT, check=True)
    assert [str(d) for d in drift] == [], "run `python -m colorlib.docs_tables` (make results does)"


def test_the_time_to_quality_run_the_docs_call_quick_is_profile_quicks_schedule():
    """README's 'about N s per image' and the table's `quick` row come from the run named TTQ_QUICK: a new
    QUICK_SCHEDULE needs a new measurement (benchmarks/time_to_quality.py), not a relabelled one."""
    from colorlib import benchmarks_markdown as bench
    from colorlib.experiments.profiles import QUICK_SCHEDULE

    measured = json.loads((ROOT / bench.TIME_TO_QUALITY).read_text(encoding="utf-8"))
    assert measured["schedules"][bench.TTQ_QUICK]["text"] == QUICK_SCHEDULE.to_text()
    assert all(bench.TTQ_QUICK in pair["runs"] for pair in measured["pairs"])


def test_the_readme_and_docs_hold_the_main_tables():
    names = {(path.name, m.group(2)) for path in docs_tables.documents(ROOT)
             for m in docs_tables.MARKER.finditer(path.read_text(encoding="utf-8"))}
    assert {("README.md", "figure1"), ("README.md", "figure2")} <= names
    assert {n for _, n in names} >= set(docs_tables.TABLES) | set(docs_tables.VALUES), "a span no document shows"


@pytest.mark.parametrize("document, kind, name", [("README.md", "table", "figure1"),
                                                   ("README.md", "table", "figure2"),
                                                   ("docs/performance.md", "value", "precision.bf16-time")])
def test_an_edited_number_in_a_document_fails_the_check(tmp_path, capsys, document, kind, name):
    root = copy_of_the_repository(tmp_path)
    path = root / document
    original = path.read_text(encoding="utf-8")
    path.write_text(edit_first_number(original, kind, name), encoding="utf-8")

    assert docs_tables.main(["--check", "--root", str(root)]) == 1
    assert f"{document}: {kind} '{name}' disagrees" in capsys.readouterr().err

    assert docs_tables.main(["--root", str(root)]) == 0  # rewriting puts the JSON's number back
    assert path.read_text(encoding="utf-8") == original
    assert docs_tables.regenerate(root, check=True) == []


def test_an_edited_number_in_the_json_fails_the_check(tmp_path):
    root = copy_of_the_repository(tmp_path)
    source = root / "results" / "figure2.json"
    data = json.loads(source.read_text(encoding="utf-8"))
    data["variants"]["lbfgs_decay"]["structure_ssim"] += 0.05
    source.write_text(json.dumps(data), encoding="utf-8")

    drift = docs_tables.regenerate(root, check=True)
    assert ("README.md", "table", "figure2") in {(d.file, d.kind, d.name) for d in drift}
    assert all(d.file != "README.md" or d.name.startswith("figure2") for d in drift)


def test_check_writes_nothing(tmp_path):
    root = copy_of_the_repository(tmp_path)
    readme = root / "README.md"
    readme.write_text(edit_first_number(readme.read_text(encoding="utf-8"), "table", "figure1"), encoding="utf-8")
    before = readme.read_bytes()
    docs_tables.regenerate(root, check=True)
    assert readme.read_bytes() == before


@pytest.mark.parametrize("bad, message", [("<!-- table: no-such-table -->\n<!-- /table -->", "unknown table"),
                                          ("<!-- table: figure1 -->\n| unclosed |", "no matching closing")])
def test_a_bad_marker_is_one_line_and_no_document_changes(tmp_path, capsys, bad, message):
    root = copy_of_the_repository(tmp_path)
    readme, last = root / "README.md", docs_tables.documents(root)[-1]
    readme.write_text(edit_first_number(readme.read_text(encoding="utf-8"), "table", "figure1"), encoding="utf-8")
    last.write_text(last.read_text(encoding="utf-8") + "\n" + bad + "\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in docs_tables.documents(root)}

    assert docs_tables.main(["--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert {p: p.read_bytes() for p in docs_tables.documents(root)} == before


def test_a_missing_results_file_names_it(tmp_path):
    root = copy_of_the_repository(tmp_path)
    (root / "results" / "figure1.json").unlink()
    with pytest.raises(ColorkitError, match="results/figure1.json"):
        docs_tables.regenerate(root, check=True)


def test_figure1_renders_the_size_and_the_optional_stages_from_the_json(tmp_path):
    """Figure 1's table takes its size from params and shows the multi-resolution stages its columns ran."""
    root = copy_of_the_repository(tmp_path)
    source = root / "results" / "figure1.json"
    data = json.loads(source.read_text(encoding="utf-8"))
    data["params"]["size"] = 512
    for column in data["columns"]:
        column["schedule"] = [{"size": 128, "iterations_run": 400}, {"size": 512, "iterations_run": 150}]
    source.write_text(json.dumps(data), encoding="utf-8")

    text = docs_tables.TABLES["figure1"](docs_tables.Results(root))
    header = text.splitlines()[0]
    assert "512 px" in header and "192 px" not in header and "iterations" not in header
    assert "128 px × 400 → 512 px × 150" in text
