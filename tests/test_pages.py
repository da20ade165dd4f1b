"""Every content page at textbook standard: objectives first, takeaways last, and no test
scaffolding in the reader's view (asserts run in cells removed from the HTML)."""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[1]
CONTENT = sorted(
    p for part in ("principles", "applications")
    for p in (ROOT / "book" / part).glob("*.md") if p.name != "index.md"
)
HIDDEN = {"remove-cell", "remove-input"}
SCAFFOLDING = re.compile(r"\b(assert|np\.testing|torch\.testing|set_num_threads)\b")
IDS = [f"{p.parent.name}/{p.stem}" for p in CONTENT]


def visible_code(path: Path) -> list[str]:
    """Sources of the code cells a reader sees (not tagged remove-cell / remove-input)."""
    nb = jupytext.read(path)
    return [c.source for c in nb.cells if c.cell_type == "code"
            and not HIDDEN & set(c.metadata.get("tags", []))]


def markdown(path: Path) -> str:
    return "\n".join(c.source for c in jupytext.read(path).cells if c.cell_type == "markdown")


def test_there_are_thirteen_content_pages() -> None:
    assert len(CONTENT) >= 13, IDS


@pytest.mark.parametrize("path", CONTENT, ids=IDS)
def test_page_opens_with_objectives_and_closes_with_takeaways(path: Path) -> None:
    md = markdown(path)
    objectives = re.search(r":::\{admonition\} Learning objectives\n(.*?)\n:::", md, re.S)
    takeaways = re.search(r":::\{admonition\} Key takeaways\n(.*?)\n:::", md, re.S)
    assert objectives, "no 'Learning objectives' box"
    assert takeaways, "no 'Key takeaways' box"
    assert 2 <= objectives.group(1).count("\n- ") <= 5, "objectives: 2-4 bullets"
    assert 3 <= takeaways.group(1).count("\n- ") + takeaways.group(1).startswith("- ") <= 8
    first_section = md.find("\n## ")
    assert objectives.start() < first_section, "objectives must come before the first section"
    practice = md.find("\n## Practice")
    assert practice == -1 or takeaways.start() < practice, "takeaways go before Practice"
    assert not re.search(r"^#+ What the tests pin down", md, re.M), (
        "'What the tests pin down' belongs in a collapsed dropdown, not a section")


@pytest.mark.parametrize("path", CONTENT, ids=IDS)
def test_no_test_scaffolding_in_visible_cells(path: Path) -> None:
    offenders = [src.splitlines()[0] for src in visible_code(path) if SCAFFOLDING.search(src)]
    assert not offenders, f"visible asserts, parity checks or thread settings: {offenders}"


def test_scaffolding_detector_catches_a_visible_assert(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text(
        "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
        "kernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n# P\n\n"
        "```{code-cell} ipython3\nx = 1\nassert x == 1\n```\n\n"
        "```{code-cell} ipython3\n:tags: [remove-cell]\n\nassert x == 1\n```\n"
    )
    visible = visible_code(page)
    assert len(visible) == 1 and SCAFFOLDING.search(visible[0])


HTML = ROOT / "_build" / "html" / "book"


@pytest.mark.parametrize("path", CONTENT, ids=IDS)
def test_rendered_page_shows_no_assert(path: Path) -> None:
    """Read the built HTML (``make test`` builds the book before pytest runs)."""
    html_file = HTML / path.parent.name / (path.stem + ".html")
    if not html_file.exists():
        pytest.skip("book not built; run `make book` first")
    html = html_file.read_text()
    code = " ".join(re.findall(r'<div class="highlight[^"]*"><pre>(.*?)</pre>', html, re.S))
    text = re.sub(r"<[^>]+>", "", code)
    assert code, "no code blocks found: has the theme's markup changed?"
    assert not re.search(r"\bassert\b", text), "an assert is visible in the rendered page"
