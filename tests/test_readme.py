"""The README stays a short entry point: at most 160 lines, every docs/ page one click away, no dead anchor."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#([^)\s]+))?\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    return {slug(m.group(1)) for m in re.finditer(r"^#+ (.+)$", text, re.MULTILINE)}


def test_the_readme_is_short():
    assert len(README.splitlines()) <= 160


def test_every_docs_page_is_linked_from_the_readme():
    linked = {target for target, _ in LINK.findall(README)}
    pages = {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md")}
    assert pages - linked == set()


def test_the_readme_keeps_the_two_commands():
    assert "make results   # regenerate every figure and table into results/" in README
    assert "make test      # lint + the test suite" in README


def test_every_anchor_the_readme_links_to_is_a_heading():
    missing = [f"{target}#{anchor}" for target, anchor in LINK.findall(README)
               if anchor and (ROOT / target).is_file() and anchor not in anchors(ROOT / target)]
    assert missing == []


def test_the_anchor_check_can_fail(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n## The run cache\n\n```\n# not a heading\n```\n", encoding="utf-8")
    assert anchors(page) == {"title", "the-run-cache"}
    assert slug("The exemplar method: `--preset best`") == "the-exemplar-method---preset-best"
