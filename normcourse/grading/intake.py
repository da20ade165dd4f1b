"""What the grader reads before anything runs: the students of a submissions folder
(:func:`discover`), each notebook's code cells (:func:`read_cells`), which exercise it is
(:func:`identify`), and the static scan of what its graded functions reach in the library
(:func:`read_submission`). All of it happens in the grader's (trusted) process; none of it
executes student code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from normcourse.grading import codescan

if TYPE_CHECKING:
    from normcourse.grading.grader import Exercise

NOTEBOOK_SUFFIXES = (".md", ".ipynb")
MAX_NOTEBOOK_BYTES = 5 << 20
_CHECK_ID = re.compile(r"check\(\s*[\"'](ex-[a-z0-9-]+)[\"']")


@dataclass
class Submission:
    """One student's entry: a folder or a single file."""

    student: str
    slug: str
    root: Path
    notebooks: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


_RESERVED = {"grades.csv", "logs"}


def _slug(name: str) -> str:
    """A file-system-safe folder name for a student (never one of the run's own files)."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._-")[:80] or "student"
    return f"student-{s}" if s.lower() in _RESERVED else s


def discover(submissions: Path) -> list[Submission]:
    """The students of a submissions folder (folders and top-level files), sorted by name."""
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise ValueError(f"submissions folder not found: {submissions}")
    subs: list[Submission] = []
    slugs: set[str] = set()
    for entry in sorted(submissions.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue
        student = entry.name if entry.is_dir() and not entry.is_symlink() else entry.stem
        slug = base = _slug(student)
        k = 2
        while slug in slugs:
            slug, k = f"{base}-{k}", k + 1
        slugs.add(slug)
        sub = Submission(student, slug, entry)
        if entry.is_symlink():
            sub.problems.append(f"{entry.name}: symbolic links are not accepted")
        elif entry.is_dir():
            found, others, links = [], [], []
            for p in sorted(entry.rglob("*")):
                rel = p.relative_to(entry)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                if p.is_symlink():
                    links.append(str(rel))
                    sub.problems.append(f"{rel}: symbolic links are not accepted")
                elif p.is_file() and p.suffix.lower() in NOTEBOOK_SUFFIXES:
                    found.append(p)
                elif p.is_file():
                    others.append(str(rel))
            sub.notebooks = found
            if not found:
                seen = others + links
                extra = f" (found: {', '.join(seen[:5])})" if seen else " (the folder is empty)"
                sub.problems.append(f"no notebook (.md or .ipynb) in the submission{extra}")
        elif entry.is_file():
            if entry.suffix.lower() in NOTEBOOK_SUFFIXES:
                sub.notebooks = [entry]
            else:
                sub.problems.append(
                    f"{entry.name}: not a notebook — submit a .ipynb or .md file"
                )
        subs.append(sub)
    return subs


def read_cells(path: Path) -> tuple[Any, list[str]]:
    """A submitted notebook and its code cells' sources; ``ValueError`` when unreadable."""
    import jupytext

    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise ValueError(
            f"the notebook is too large ({size >> 20} MB > {MAX_NOTEBOOK_BYTES >> 20} MB)"
        )
    if size == 0:
        raise ValueError("the notebook is empty")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError("the file is not UTF-8 text (is it really a notebook?)") from None
    try:
        fmt = "ipynb" if path.suffix.lower() == ".ipynb" else "md:myst"
        if fmt == "md:myst" and not text.lstrip().startswith("---"):
            fmt = "md"
        nb = jupytext.reads(text, fmt=fmt)
    except Exception as exc:
        msg = str(exc).splitlines()[0][:200] if str(exc) else ""
        raise ValueError(f"could not read the notebook ({type(exc).__name__}: {msg})") from None
    # Cells tagged solution-only are instructor material (they only exist in solutions/).
    cells = []
    for c in nb.cells:
        tags = c.get("metadata", {}).get("tags")
        if c.get("cell_type") != "code" or (isinstance(tags, list) and "solution-only" in tags):
            continue
        src = c.get("source", "")
        cells.append("".join(map(str, src)) if isinstance(src, list) else str(src))
    return nb, cells


def identify(nb: Any, cells: list[str], path: Path, known: Iterable[str]) -> str | None:
    """Which exercise a notebook is: metadata, then a ``check("ex-…")`` call, then its name."""
    known = list(known)
    meta = nb.metadata.get("exercise") if hasattr(nb, "metadata") else None
    if isinstance(meta, dict) and meta.get("id") in known:
        return str(meta["id"])
    for src in cells:
        for m in _CHECK_ID.finditer(src):
            if m.group(1) in known:
                return m.group(1)
    for ex_id in sorted(known, key=len, reverse=True):
        if ex_id in path.name:
            return ex_id
    return None


@dataclass
class Notebook:
    """One submitted notebook as read before anything runs: its code cells and exercise, or
    why it is not graded (``problem``); ``static`` is the static scan, per graded function,
    of the library names its code reaches that the exercise forbids."""

    path: Path
    rel: str
    cells: list[str] = field(default_factory=list)
    exercise: str | None = None
    problem: str = ""
    static: dict[str, list[str]] = field(default_factory=dict)


def read_submission(sub: Submission, exercises: Mapping[str, Exercise],
                    others: Iterable[str] = ()) -> list[Notebook]:
    """Every notebook of ``sub``, read, identified among the assignment's ``exercises``
    (a notebook of one of ``others`` is not graded) and scanned (``ValueError`` and
    ``OSError`` of an unreadable notebook become its ``problem``)."""
    out = []
    known = [*exercises, *others]
    for path in sub.notebooks:
        nb = Notebook(path, str(path.relative_to(sub.root.parent)))
        out.append(nb)
        try:
            doc, nb.cells = read_cells(path)
        except (ValueError, OSError) as exc:
            nb.problem = str(exc)
            continue
        nb.exercise = identify(doc, nb.cells, path, known)
        if nb.exercise is not None and nb.exercise not in exercises:
            nb.problem = (f"this notebook is {nb.exercise}, which is not in this assignment: "
                          "not graded")
        elif nb.exercise is None:
            nb.problem = ("could not tell which exercise this notebook is (no exercise id in "
                          "its metadata, no check(\"ex-…\") call, no exercise id in the file "
                          "name)")
        else:
            nb.static = static_scan(nb.cells, exercises[nb.exercise].forbidden)
    return out


def static_scan(cells: list[str], forbidden: Mapping[str, Any]) -> dict[str, list[str]]:
    """Per graded function, the forbidden library names (``module.qualname``) that its code
    reaches (:func:`normcourse.grading.codescan.notebook_library_uses`)."""
    return {f: [n.replace(":", ".") for n in used]
            for f, used in codescan.notebook_library_uses(cells, forbidden).items()}
