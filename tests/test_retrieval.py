"""Style-reference retrieval: ranking, colour-blindness, the descriptor cache, errors and the CLI's `auto` style."""
import os

import numpy as np
import pytest
from skimage import data as skdata

from colorlib import color, images
from colorlib.app import cli
from colorlib.errors import ColorkitError
from colorlib.evaluation import retrieval

SIZE = 64  # small descriptors keep the test fast; relu4_1 is then 8x8


@pytest.fixture(scope="module")
def folder(tmp_path_factory, motorcycle):
    """Four colour candidates: the motorcycle's left view (the query's own colours), its right view, and two
    unrelated scikit-image photographs."""
    d = tmp_path_factory.mktemp("candidates")
    for name, img in (("left.png", motorcycle["truth"]), ("right.png", motorcycle["style"]),
                      ("astronaut.png", skdata.astronaut()), ("coffee.png", skdata.coffee())):
        images.save(images.resize(images.as_array(img), 96), str(d / name))
    return d


def _paths(folder):
    return retrieval.list_candidates(folder)


def test_rank_orders_all_candidates_best_first(folder, motorcycle):
    ranking = retrieval.rank(motorcycle["content"], _paths(folder), size=SIZE)
    assert sorted(p for p, _ in ranking) == sorted(_paths(folder))
    scores = [s for _, s in ranking]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0 - 1e-9 <= s <= 1.0 + 1e-9 for s in scores)
    # the query's own colour original ranks first, nearly identical after grayscaling; its stereo twin next
    assert [os.path.basename(p) for p, _ in ranking[:2]] == ["left.png", "right.png"]
    assert ranking[0][1] > 0.99


def test_descriptor_ignores_colour(motorcycle):
    a = retrieval.describe(motorcycle["truth"], size=SIZE)
    b = retrieval.describe(color.to_gray(motorcycle["truth"]), size=SIZE)
    assert all(np.allclose(x, y, rtol=1e-5, atol=1e-6) for x, y in zip(a, b, strict=True))
    c = retrieval.describe(skdata.coffee(), size=SIZE)
    assert not all(np.allclose(x, y, rtol=1e-2) for x, y in zip(a, c, strict=True))


def test_candidate_descriptors_are_cached(folder, monkeypatch, tmp_path):
    path = str(tmp_path / "cand.png")
    images.save(images.resize(images.as_array(skdata.chelsea()), 64), path)
    calls = []
    real = retrieval.describe
    monkeypatch.setattr(retrieval, "describe", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = retrieval.candidate_descriptor(path, size=SIZE)
    second = retrieval.candidate_descriptor(path, size=SIZE)
    assert len(calls) == 1 and first is second
    retrieval.candidate_descriptor(path, size=SIZE + 8)  # other settings: computed anew
    assert len(calls) == 2
    images.save(images.resize(images.as_array(skdata.coffee()), 64), path)  # the file changed: computed anew
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 10**9))
    retrieval.candidate_descriptor(path, size=SIZE)
    assert len(calls) == 3


def test_errors_are_one_line(tmp_path, motorcycle):
    with pytest.raises(ColorkitError, match="no style candidates"):
        retrieval.rank(motorcycle["content"], [])
    with pytest.raises(ColorkitError, match="not found"):
        retrieval.rank(motorcycle["content"], [str(tmp_path / "missing.png")], size=SIZE)
    with pytest.raises(ColorkitError, match="no candidate images"):
        retrieval.list_candidates(tmp_path)
    with pytest.raises(ColorkitError, match="not found"):
        retrieval.list_candidates(tmp_path / "nope")


def test_cli_auto_prints_the_ranking_then_colorizes(folder, motorcycle_files, tmp_path, capsys):
    out = str(tmp_path / "out.png")
    code = cli.main(["colorize", motorcycle_files["content"], "auto", "--style-dir", str(folder), "-o", out,
                     "--size", "32", "--iterations", "1", "--optimizer", "adam", "--quiet"])
    captured = capsys.readouterr()
    printed = captured.out.splitlines()
    # left.png is the content's own colour original (at another size): skipped, and said so, never ranked
    assert "skipped 1 candidate(s) as the content's own colour original" in captured.err and "left.png" in captured.err
    others = [p for p in _paths(folder) if os.path.basename(p) != "left.png"]
    ranking = retrieval.rank(images.load(motorcycle_files["content"]), others)
    expected = [os.path.basename(p) for p, _ in ranking]
    assert code == 0
    shown = [line.split(None, 1) for line in printed[: len(expected)]]  # "score  name", best first
    assert [name for _, name in shown] == expected
    assert [float(score) for score, _ in shown] == pytest.approx([s for _, s in ranking], abs=1e-4)
    assert os.path.isfile(out)
    import json

    with open(out[:-4] + ".json", encoding="utf-8") as fh:
        record = json.load(fh)
    assert record["files"]["style"]["name"] == os.path.join(str(folder), expected[0])  # the best one was used
    assert [r["name"] for r in record["style_ranking"]] == expected


@pytest.mark.parametrize("argv, message", [
    (["auto"], "needs --style-dir"),
    (["STYLE", "--style-dir", "DIR"], "only used with style 'auto'"),
])
def test_cli_auto_misuse_is_one_line(argv, message, motorcycle_files, folder, tmp_path, capsys):
    argv = [a.replace("STYLE", motorcycle_files["style"]).replace("DIR", str(folder)) for a in argv]
    code = cli.main(["colorize", motorcycle_files["content"], *argv, "-o", str(tmp_path / "o.png"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0]
