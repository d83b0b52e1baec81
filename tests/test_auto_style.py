"""Style 'auto': candidates that cannot be used are skipped with a notice."""
import json

from reliability_corpus import CPU, TINY, _main


def test_style_dir_skips_candidates_too_small(corpus, tmp_path, capsys):
    cands = tmp_path / "cands"
    cands.mkdir()
    for name in ("tiny.png", "strip.png", "style.png"):
        (cands / name).write_bytes((corpus / name).read_bytes())
    out = tmp_path / "r.png"
    capsys.readouterr()
    code = _main(["colorize", str(corpus / "content.png"), "auto", "--style-dir", str(cands), "-o", str(out),
                  *TINY, *CPU])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Traceback" not in captured.err
    skipped = [line for line in captured.err.splitlines() if line.startswith("notice: skipping candidate")]
    assert len(skipped) == 2 and "tiny.png" in skipped[0] + skipped[1] and "strip.png" in skipped[0] + skipped[1]
    assert json.loads(out.with_suffix(".json").read_text())["paths"]["style"] == str(cands / "style.png")


