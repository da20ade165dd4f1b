"""Exercises are generated from solutions/, and no solution or hidden check reaches the book.

* ``exercises/``, ``book/practice/ex-*.md`` and ``normcourse/grading/public/*.json`` must be
  byte-identical to what ``normcourse release`` renders from ``solutions/`` now;
* the built site ``_build/html`` (pages, ``_sources``, downloadable ``.ipynb``, search
  index) must not contain a solution body, a solution-only cell, a hidden check's name or
  a hidden check's inputs. ``make test`` builds the book before running pytest; this test
  is skipped only when ``_build/html`` does not exist at all.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import yaml

from normcourse.grading import release, spec

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
HTML = ROOT / "_build" / "html"
IDS = sorted(p.stem for p in SOLUTIONS.glob("*.md"))


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_generated_files_are_in_sync_with_solutions() -> None:
    stale = release.out_of_sync(release.Layout(ROOT))
    assert not stale, (
        "generated files differ from solutions/ — run `make exercises`: "
        + ", ".join(str(p.relative_to(ROOT)) for p in stale)
    )


def test_exercise_pages_are_in_the_toc() -> None:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    part = next(p for p in toc["parts"] if p["caption"] == "Hands-on practice")
    files = [s["file"] for c in part["chapters"] for s in c.get("sections", [])]
    assert sorted(files) == [f"book/practice/{i}" for i in IDS]  # each exercise, once


def _public_book_text() -> str:
    """Every book source outside the practice part: code shown there is public anyway."""
    return _norm(" ".join(
        p.read_text(encoding="utf-8")
        for p in (ROOT / "book").rglob("*.md")
        if "practice" not in p.parts
    ))


def _has_number(expr: str) -> bool:
    """True when a spec expression holds a numeric literal (a seed, a size, a value)."""
    import ast

    return any(isinstance(n, ast.Constant) and isinstance(n.value, int | float)
               and not isinstance(n.value, bool) for n in ast.walk(ast.parse(expr.strip())))


def _secrets() -> list[str]:
    """Whole solution blocks, distinctive solution lines, solution-only cells, hidden checks."""
    public = _public_book_text()
    out: list[str] = []
    # lines of the student-visible cells of any exercise are public by design
    visible = _norm(" ".join(
        release.stub_source(c.source) if c.cell_type == "code" else c.source
        for path in sorted(SOLUTIONS.glob("*.md")) for c in spec.load_solution(path)[1].cells
        if "solution-only" not in c.metadata.get("tags", [])))
    for path in sorted(SOLUTIONS.glob("*.md")):
        ex, nb = spec.load_solution(path)
        for cell in nb.cells:
            blocks = spec.solution_blocks(cell.source) if cell.cell_type == "code" else []
            if "solution-only" in cell.metadata.get("tags", []):
                blocks.append(cell.source)
            for block in blocks:
                out.append(_norm(block))
                out += [_norm(ln) for ln in block.splitlines()
                        if len(ln.strip()) >= 25 and _norm(ln) not in public
                        and _norm(ln) not in visible]
        # an input expression a public check also uses is public (it ships in the JSON)
        shown = {_norm(e) for c in ex.public for _, e in c.let}
        for c in ex.hidden:
            # an expression without literals (``np.hstack([Z, Z])``) reveals nothing
            out += [c.name, *(_norm(e) for _, e in c.let
                              if _norm(e) not in shown and _has_number(e))]
            literal_args = any(_has_number(e) for _, e in c.args)
            out += [_norm(c.call)] if literal_args else []
    return sorted(set(out))


def _text_of(path: Path) -> str:
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        nb = json.loads(raw)
        parts = []
        for cell in nb.get("cells", []):
            src = cell.get("source", "")
            parts.append("".join(src) if isinstance(src, list) else src)
            for o in cell.get("outputs", []):
                parts.append(json.dumps(o))
        parts.append(json.dumps(nb.get("metadata", {})))
        return _norm("\n".join(parts))
    if path.suffix in (".html", ".htm", ".xml"):
        raw = re.sub(r"<[^>]+>", "", raw)
    return _norm(html.unescape(raw))


def test_exercise_sources_hold_no_secret() -> None:
    secrets = _secrets()
    assert len(secrets) > 30
    for folder in (ROOT / "exercises", ROOT / "book" / "practice"):
        for p in folder.glob("*.md"):
            text = _norm(p.read_text(encoding="utf-8"))
            leaked = [s for s in secrets if s in text]
            assert not leaked, (p, leaked)


def test_built_book_holds_no_solution_and_no_hidden_check() -> None:
    if not HTML.is_dir():
        pytest.skip("_build/html does not exist: build the book first (`make test` does, via "
                    "`jupyter-book build . -W -n --keep-going`)")
    pages = [HTML / "book" / "practice" / f"{i}.html" for i in IDS]
    missing = [p for p in pages if not p.is_file()]
    assert not missing, f"the built book is stale (no {missing[0].name}): rebuild it"
    for i in IDS:  # the page is the exercise, with its statement and stubs
        text = _text_of(HTML / "book" / "practice" / f"{i}.html")
        assert 'raise NotImplementedError("write your code here")' in text
    secrets = _secrets()
    files = [p for p in HTML.rglob("*") if p.is_file() and p.suffix in
             (".html", ".md", ".ipynb", ".txt", ".js", ".json", ".py", ".xml")]
    assert any(p.suffix == ".ipynb" for p in files) or any(p.name.endswith(".md") for p in files)
    for p in files:
        text = _text_of(p)
        leaked = [s for s in secrets if s in text]
        assert not leaked, (str(p.relative_to(HTML)), leaked[:3])
