"""Results name their inputs by file name (relative to the data folder, or to the spec's folder) and sha256,
never by an absolute path: the sweep's run.json, error.json and table.csv, and the evaluation's files."""
import csv
import hashlib
import json
import os

import pytest

from colorlib import data
from colorlib.evaluation import runner
from colorlib.experiments.sweep import plan, table_rows, write_table
from colorlib.experiments.sweep.task import record_failure, run_task
from conftest import FIXTURE_PRINTS


def _strings(obj):
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _strings(value)
    elif isinstance(obj, str):
        yield obj


def _no_absolute_path(text_or_record, *folders):
    strings = list(_strings(text_or_record)) if isinstance(text_or_record, (dict, list)) else [text_or_record]
    for s in strings:
        assert not os.path.isabs(s) or not os.path.exists(s), s
        for folder in folders:
            assert str(folder) not in s, s


def test_a_sweep_names_manifest_prints_by_file_name_and_sha256(tmp_path):
    spec = {"name": "names", "pairs": {"manifest": [0]}, "config": {"size": 32, "iterations": 1, "device": "cpu"}}
    (task,), info = plan(spec)
    row = data.pairs()[0]
    assert (task["content_name"], task["style_name"]) == (row["content"], row["style"])
    out = tmp_path / "out"
    outcome = run_task(task, str(out))
    assert outcome["status"] == "ok"
    text = (out / "runs" / task["run_id"] / "run.json").read_text()
    record = json.loads(text)
    _no_absolute_path(record, FIXTURE_PRINTS, tmp_path)
    expected = hashlib.sha256(open(data.find(row["content"]), "rb").read()).hexdigest()
    assert record["files"]["content"] == {"name": row["content"], "sha256": expected}
    image = (out / "runs" / task["run_id"] / "image.png").read_bytes()
    assert record["image"] == {"name": "image.png", "sha256": hashlib.sha256(image).hexdigest()}
    table = write_table(table_rows([task], str(out), info["grid_keys"]), str(out))
    with open(table, newline="") as fh:
        (cells,) = list(csv.DictReader(fh))
    assert (cells["content"], cells["style"]) == (row["content"], row["style"])
    _no_absolute_path(open(table).read(), FIXTURE_PRINTS, tmp_path)


def test_a_sweep_names_other_files_relative_to_the_spec(tmp_path):
    import shutil

    folder = tmp_path / "project" / "prints"
    folder.mkdir(parents=True)
    row = data.pairs()[0]
    for key in ("content", "style"):  # copies under other names: not prints of the manifest
        shutil.copy(data.find(row[key]), folder / f"my_{key}.jpg")
    spec = tmp_path / "project" / "s.yaml"
    spec.write_text("name: s\npairs: [{content: prints/my_content.jpg, style: prints/my_style.jpg}]\n"
                    "config: {size: 32, iterations: 1, device: cpu}\n")
    (task,), _ = plan(str(spec))
    assert (task["content_name"], task["style_name"]) == ("prints/my_content.jpg", "prints/my_style.jpg")
    out = tmp_path / "out"
    record_failure(str(out), task, ValueError("a failure for the test"))
    record = json.loads((out / "runs" / task["run_id"] / "error.json").read_text())
    _no_absolute_path(record, tmp_path, FIXTURE_PRINTS)
    assert record["files"]["style"]["name"] == "prints/my_style.jpg"


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory):
    out = tmp_path_factory.mktemp("evaluation")
    runner.evaluate_all(24, 0, methods=["gray"], output_dir=out, verbose=False, save_images=False)
    return out


@pytest.mark.parametrize("name", ["evaluation.json", "evaluation.csv", "evaluation_summary.md"])
def test_the_evaluation_files_hold_no_absolute_path(name, evaluation):
    _no_absolute_path((evaluation / name).read_text(), FIXTURE_PRINTS, evaluation)
