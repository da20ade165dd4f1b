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
from secret_scan import norm, secrets

from normcourse.grading import release

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
HTML = ROOT / "_build" / "html"
IDS = sorted(p.stem for p in SOLUTIONS.glob("*.md"))


_norm = norm


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
    found = secrets()
    assert len(found) > 30
    for folder in (ROOT / "exercises", ROOT / "book" / "practice"):
        for p in folder.glob("*.md"):
            text = _norm(p.read_text(encoding="utf-8"))
            leaked = [s for s in found if s in text]
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
    found = secrets()
    files = [p for p in HTML.rglob("*") if p.is_file() and p.suffix in
             (".html", ".md", ".ipynb", ".txt", ".js", ".json", ".py", ".xml")]
    assert any(p.suffix == ".ipynb" for p in files) or any(p.name.endswith(".md") for p in files)
    for p in files:
        text = _text_of(p)
        leaked = [s for s in found if s in text]
        assert not leaked, (str(p.relative_to(HTML)), leaked[:3])
