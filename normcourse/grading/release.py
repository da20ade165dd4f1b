"""``normcourse release``: generate the student-facing files from ``solutions/``.

For every solution notebook ``solutions/<id>.md`` it renders, in memory:

* ``exercises/<id>.md`` — the student notebook: every solution block (the lines between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION``) becomes a stub that raises
  ``NotImplementedError``; cells and markdown tagged ``solution-only`` are dropped; the
  front matter keeps only the exercise id and title (no checks); every cell that would
  raise because it uses an unwritten function is tagged ``raises-exception``;
* ``book/practice/<id>.md`` — the same notebook as a book page, with the cells that
  would raise and the self-check cell tagged ``skip-execution`` and a short "how to work
  on this exercise" note;
* ``normcourse/grading/public/<id>.json`` — the public checks (inputs as expressions,
  expected answers computed by the reference in this process) that ``check`` uses.

Hidden checks and solution code appear in none of them. :func:`render` returns all
files as bytes, so a test can compare them with what is on disk (:func:`out_of_sync`).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from normcourse.grading import compare as cmp
from normcourse.grading import spec as sp
from normcourse.grading.wire import from_json, to_json

STUB = 'raise NotImplementedError("write your code here")'
PUBLIC_ROUND_DIGITS = 9
_FRONT = re.compile(r"\A---\n.*?\n---\n", re.S)
_CHECK_CALL = re.compile(r"\bcheck\(\s*[\"']ex-")


@dataclass(frozen=True)
class Layout:
    """Where release reads and writes, relative to the project root."""

    root: Path
    solutions: str = "solutions"
    exercises: str = "exercises"
    book: str = "book/practice"
    public: str = "normcourse/grading/public"

    def solution_files(self) -> list[Path]:
        folder = self.root / self.solutions
        if not folder.is_dir():
            raise ValueError(f"no solutions folder at {folder}")
        files = sorted(p for p in folder.glob("*.md") if not p.name.startswith(("_", ".")))
        if not files:
            raise ValueError(f"no solution notebooks (*.md) in {folder}")
        return files


def stub_source(source: str) -> str:
    """Replace every solution block of a cell's source by a ``NotImplementedError`` stub."""

    def repl(m: re.Match[str]) -> str:
        ind = m.group("indent")
        return f"{ind}# YOUR CODE HERE\n{ind}{STUB}\n"

    out = sp.SOLUTION_BLOCK.sub(repl, source)
    if sp.BEGIN in out or sp.END in out:
        raise ValueError("unbalanced solution markers (BEGIN without END or the reverse)")
    return out.rstrip("\n")


def _names_loaded(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _names_stored(node: ast.AST) -> set[str]:
    out = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        out.add(node.name)
    return out


def _top_level_uses(stmt: ast.stmt) -> set[str]:
    """Names a statement uses when it runs (not inside the bodies of defs it creates)."""
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
        used: set[str] = set()
        for d in stmt.decorator_list:
            used |= _names_loaded(d)
        for d in stmt.args.defaults + [x for x in stmt.args.kw_defaults if x is not None]:
            used |= _names_loaded(d)
        return used
    if isinstance(stmt, ast.ClassDef):
        return set().union(*(_names_loaded(b) for b in stmt.bases)) if stmt.bases else set()
    return _names_loaded(stmt)


def raising_cells(sources: list[str], functions: set[str]) -> set[int]:
    """Indices of the code cells that raise when the exercise's functions are stubs.

    A statement raises when it calls a stubbed function, a function whose body uses one,
    or reads a name that an earlier raising statement never got to assign; a top-level
    stub raises by itself. Statements after a raising one in the same cell do not run.
    """
    raisers = set(functions)
    unset: set[str] = set()
    out: set[int] = set()
    for i, src in enumerate(sources):
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        raised = False
        for stmt in tree.body:
            if raised:
                unset |= _names_stored(stmt)
                continue
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                if _names_loaded(stmt) & (raisers | unset):
                    raisers.add(stmt.name)
            is_stub = isinstance(stmt, ast.Raise) and "NotImplementedError" in ast.unparse(stmt)
            if is_stub or _top_level_uses(stmt) & (raisers | unset):
                raised = True
                out.add(i)
                unset |= _names_stored(stmt)
            else:
                unset -= _names_stored(stmt)
    return out


def _header(ex: sp.ExerciseSpec, source: str) -> str:
    """The front matter: the exercise's title first (the first thing a student reads in the
    file), then Jupytext's keys, and last a comment for authors on where the file comes from."""
    meta = {"title": ex.title, "id": ex.id}
    return (
        "---\n"
        + yaml.safe_dump({"exercise": meta}, sort_keys=False, allow_unicode=True, width=1000)
        + "jupytext:\n"
        "  text_representation:\n"
        "    extension: .md\n"
        "    format_name: myst\n"
        "kernelspec:\n"
        "  display_name: Python 3\n"
        "  language: python\n"
        "  name: python3\n"
        f"# Course authors: `normcourse release` writes this file from {source}; edit that.\n"
        "---\n"
    )


def _write_md(nb: Any, header: str) -> str:
    import jupytext

    nb.metadata = {
        "jupytext": {
            "default_lexer": "ipython3",
            "text_representation": {"extension": ".md", "format_name": "myst"},
        },
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    }
    body = jupytext.writes(nb, fmt="md:myst")
    body = _FRONT.sub("", body, count=1).lstrip("\n")
    return header + "\n" + body.rstrip("\n") + "\n"


def _tags(cell: Any) -> list[str]:
    return list(cell.metadata.get("tags", []))


def _set_tags(cell: Any, tags: list[str]) -> None:
    seen = list(dict.fromkeys(tags))
    if seen:
        cell.metadata["tags"] = seen
    else:
        cell.metadata.pop("tags", None)


def exercise_notebook(ex: sp.ExerciseSpec, nb: Any, root: Path | None = None) -> Any:
    """The student notebook: stubs, no solution-only cells, raising cells tagged.

    With ``root``, a line after the statement's first cell says which book page the
    exercise practises, its difficulty, time and points.
    """
    import copy

    import nbformat

    out = nbformat.v4.new_notebook()
    for cell in nb.cells:
        if "solution-only" in _tags(cell):
            continue
        c = copy.deepcopy(cell)
        if c.cell_type == "code":
            c.source = stub_source(c.source)
        out.cells.append(c)
    if root is not None and ex.page is not None:
        first_md = next((i for i, c in enumerate(out.cells) if c.cell_type == "markdown"), -1)
        out.cells.insert(first_md + 1, nbformat.v4.new_markdown_cell(
            _practises(ex, root, link=f"book/{ex.page}.md")))
    code = [c for c in out.cells if c.cell_type == "code"]
    bad = raising_cells([c.source for c in code], set(ex.functions))
    for i, c in enumerate(code):
        tags = [t for t in _tags(c) if t != "raises-exception"]
        if i in bad:
            tags.append("raises-exception")
        _set_tags(c, tags)
    return out


BOOK_NOTE = """\
{practises}

```{{admonition}} How to work on this exercise
:class: tip
Download the exercise and work on it on your computer:

- {{exercise-download}}`Download {id}.ipynb <{id}.ipynb>`, the notebook: open it in
  JupyterLab, Jupyter Notebook or VS Code;
- or {{exercise-download}}`download {id}.md <{id}.md>`, the same notebook as MyST Markdown
  text: JupyterLab opens it as a notebook when Jupytext is installed (right-click it,
  *Open With → Jupytext Notebook*).

In a clone of the course repository it is `exercises/{id}.md`, and `make lab` opens it for
you. This page shows the notebook without running the cells that need your code. Replace
each `raise NotImplementedError(...)` with your code and run the last cell,
`check("{id}")`: it runs the public checks and shows points and hints (it needs the course
library, `normcourse`, installed from the repository). Your instructor grades the same
notebook with further, hidden checks.
```"""


DIFFICULTY = {1: "warm-up", 2: "intermediate", 3: "challenging"}


def page_title(root: Path, page: str) -> str:
    """The first ``# heading`` of ``book/<page>.md``; ``ValueError`` when the page is missing."""
    path = root / "book" / f"{page}.md"
    if not path.is_file():
        raise ValueError(f"exercise page {page!r}: no file {path}")
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    raise ValueError(f"{path} has no '# title' line")


def _practises(ex: sp.ExerciseSpec, root: Path, link: str | None = None) -> str:
    """'This exercise practises <page> · difficulty · time · points.' (``link``: plain path)."""
    if ex.page is None:
        return ""
    title = page_title(root, ex.page)
    where = f"*{title}* (`{link}` in the course repository)" if link else (
        f"[{title}](../{ex.page}.md)")
    bits = [f"This exercise practises {where}."]
    if ex.difficulty is not None:
        bits.append(f"Difficulty {ex.difficulty} of 3 ({DIFFICULTY[ex.difficulty]})")
    if ex.minutes is not None:
        bits.append(f"about {ex.minutes} minutes")
    bits.append(f"{ex.max_points:g} points ({sum(c.points for c in ex.public):g} of them "
                "in public checks)")
    return bits[0] + " " + " · ".join(bits[1:]) + "."


def book_notebook(ex: sp.ExerciseSpec, exercise_nb: Any, root: Path = Path(".")) -> Any:
    """The book page: the exercise notebook with raising and self-check cells not executed."""
    import copy

    import nbformat

    out = copy.deepcopy(exercise_nb)
    for c in out.cells:
        if c.cell_type != "code":
            continue
        tags = _tags(c)
        if "raises-exception" in tags or _CHECK_CALL.search(c.source):
            tags.append("skip-execution")
        _set_tags(c, tags)
    note = nbformat.v4.new_markdown_cell(
        BOOK_NOTE.format(id=ex.id, practises=_practises(ex, root)).strip())
    first_md = next((i for i, c in enumerate(out.cells) if c.cell_type == "markdown"), -1)
    if ex.page is not None:  # the exercise notebook's plain "practises" line: link it here
        out.cells[first_md + 1] = note
    else:
        out.cells.insert(first_md + 1, note)
    return out


def public_file(ex: sp.ExerciseSpec, nb: Any) -> str:
    """The public-check JSON: inputs as expressions, expected answers from the reference."""
    refs = sp.reference_functions(ex, nb)
    checks = []
    for c in ex.public:
        args = sp.evaluate_args(c)
        expected = sp.expected_value(c, args, refs)
        shipped = to_json(expected, round_digits=PUBLIC_ROUND_DIGITS)
        comparator = cmp.get(c.compare)
        verdict = comparator.judge(
            expected, comparator.prepare(from_json(shipped), args, **c.params), args, **c.params)
        if not verdict.ok:
            raise ValueError(
                f"{ex.id}: public check {c.name}: the reference's own answer fails against the "
                f"shipped expected value, rounded to {PUBLIC_ROUND_DIGITS} significant digits "
                f"({verdict.detail or verdict.reason}); loosen its tolerance (rtol ≥ 1e-8)")
        checks.append(
            {
                "name": c.name,
                "function": c.function,
                "points": c.points,
                "call": c.call,
                "let": [list(x) for x in c.let],
                "args": [list(x) for x in c.args],
                "compare": c.compare,
                "compare_params": dict(c.compare_params),
                "hint": c.hint,
                "expected": shipped,
            }
        )
    data = {
        "format": 1,
        "generated_by": "normcourse release — do not edit",
        "id": ex.id,
        "title": ex.title,
        "functions": {f.name: list(f.params) for f in ex.functions.values()},
        "hidden_points": sum(c.points for c in ex.hidden),
        "checks": checks,
    }
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


TABLE_BEGIN = "<!-- exercise table: generated by `normcourse release` from solutions/ -->"
TABLE_END = "<!-- end of the exercise table -->"


def _book_order(root: Path) -> dict[str, int]:
    """Position of every page in ``_toc.yml`` (``principles/sparsity`` → index)."""
    toc = root / "_toc.yml"
    if not toc.is_file():
        return {}
    found = re.findall(r"file:\s*book/(\S+)", toc.read_text(encoding="utf-8"))
    return {f.removesuffix(".md"): i for i, f in enumerate(found)}


def practice_order(root: Path, exercises: list[sp.ExerciseSpec]) -> list[sp.ExerciseSpec]:
    """Exercises in the book's order of the pages they practise, easier ones first."""
    order = _book_order(root)
    return sorted(exercises, key=lambda e: (order.get(e.page or "", len(order)),
                                            e.difficulty or 0, e.minutes or 0, e.id))


def index_table(root: Path, exercises: list[sp.ExerciseSpec]) -> str:
    """The practice index's table: exercise, page practised, topic, difficulty, time, points.

    Rows follow :func:`practice_order`.
    """
    rows = ["| Exercise | Practises | Topic | Difficulty | Time | Points |",
            "|---|---|---|---|---|---|"]
    for ex in practice_order(root, exercises):
        page = f"[{page_title(root, ex.page)}](../{ex.page}.md)" if ex.page else "—"
        diff = f"{ex.difficulty} ({DIFFICULTY[ex.difficulty]})" if ex.difficulty else "—"
        mins = f"{ex.minutes} min" if ex.minutes else "—"
        title = ex.title.replace("|", "\\|")
        rows.append(f"| [{title}]({ex.id}.md) | {page} | {ex.topic.replace('|', '/')} "
                    f"| {diff} | {mins} | {ex.max_points:g} |")
    return "\n".join(rows)


def _index_file(layout: Layout, exercises: list[sp.ExerciseSpec]) -> tuple[Path, bytes] | None:
    path = layout.root / layout.book / "index.md"
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    if TABLE_BEGIN not in text or TABLE_END not in text:
        return None
    head, rest = text.split(TABLE_BEGIN, 1)
    _, tail = rest.split(TABLE_END, 1)
    body = f"{TABLE_BEGIN}\n\n{index_table(layout.root, exercises)}\n\n{TABLE_END}"
    return path, (head + body + tail).encode()


_TOC_PRACTICE = re.compile(
    r"(?P<head>^(?P<indent>[ \t]*)- file: (?P<book>\S+)/index[ \t]*\n"
    r"(?P=indent)  sections:[ \t]*\n)"
    r"(?P<body>(?:(?P=indent)    - file: (?P=book)/ex-\S+[ \t]*\n)*)",
    re.M,
)


def _toc_file(layout: Layout, exercises: list[sp.ExerciseSpec]) -> tuple[Path, bytes] | None:
    """``_toc.yml`` with the practice chapter's sections listing every exercise page, in
    :func:`practice_order` (the order of the practice index)."""
    path = layout.root / "_toc.yml"
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    book = layout.book.strip("/")
    for m in _TOC_PRACTICE.finditer(text):
        if m.group("book") != book:
            continue
        ids = [e.id for e in practice_order(layout.root, exercises)]
        body = "".join(f"{m.group('indent')}    - file: {book}/{i}\n" for i in ids)
        return path, (text[:m.start("body")] + body + text[m.end("body"):]).encode()
    return None


def render(layout: Layout, only: set[str] | None = None) -> dict[Path, bytes]:
    """Every generated file (absolute path → bytes), from the solution notebooks.

    With ``only``, just the files of those exercises (not the practice index's table, not
    the table of contents). Without it, also the practice index's table and the practice
    chapter's entries in ``_toc.yml``.
    """
    files: dict[Path, bytes] = {}
    ids: dict[str, Path] = {}
    specs: list[sp.ExerciseSpec] = []
    paths = layout.solution_files()
    if only is not None:
        unknown = only - {p.stem for p in paths}
        if unknown:
            raise ValueError(f"no solutions/<id>.md for {sorted(unknown)}")
        paths = [p for p in paths if p.stem in only]
    for path in paths:
        ex, nb = sp.load_solution(path)
        specs.append(ex)
        if path.stem != ex.id:
            raise ValueError(f"{path}: file name must be the exercise id ({ex.id}.md)")
        if ex.id in ids:
            raise ValueError(f"exercise id {ex.id} used by {ids[ex.id]} and {path}")
        ids[ex.id] = path
        _check_solution_cells(ex, nb, path)
        rel = f"solutions/{path.name}"  # never a local path (a private folder) in the output
        header = _header(ex, rel)
        exnb = exercise_notebook(ex, nb, layout.root)
        files[layout.root / layout.exercises / f"{ex.id}.md"] = _write_md(exnb, header).encode()
        booknb = book_notebook(ex, exnb, layout.root)
        files[layout.root / layout.book / f"{ex.id}.md"] = _write_md(booknb, header).encode()
        files[layout.root / layout.public / f"{ex.id}.json"] = public_file(ex, nb).encode()
    if only is None:
        for extra in (_index_file(layout, specs), _toc_file(layout, specs)):
            if extra is not None:
                files[extra[0]] = extra[1]
    return files


def _check_solution_cells(ex: sp.ExerciseSpec, nb: Any, path: Path) -> None:
    defined: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type == "code" and sp.has_solution(cell.source):
            stub_source(cell.source)  # balanced markers
            try:
                tree = ast.parse(cell.source)
            except SyntaxError as exc:
                raise ValueError(f"{path}: solution cell does not parse: {exc}") from None
            defined |= {s.name for s in tree.body if isinstance(s, ast.FunctionDef)}
    missing = set(ex.functions) - defined
    if missing:
        raise ValueError(
            f"{path}: functions {sorted(missing)} are not defined in a cell with solution markers"
        )


def out_of_sync(layout: Layout, only: set[str] | None = None) -> list[Path]:
    """Generated files whose bytes on disk differ from a fresh render (or that are missing),
    plus stale generated files for exercises that no longer exist (with ``only``: just
    those exercises' files)."""
    files = render(layout, only)
    bad = [p for p, data in files.items() if not p.is_file() or p.read_bytes() != data]
    if only is not None:
        return sorted(bad)
    for folder, pattern in (
        (layout.exercises, "*.md"),
        (layout.book, "ex-*.md"),
        (layout.public, "*.json"),
    ):
        for p in (layout.root / folder).glob(pattern):
            if p not in files:
                bad.append(p)
    return sorted(bad)


def write(layout: Layout, only: set[str] | None = None) -> list[Path]:
    """Render and write every generated file whose content changed; remove stale ones.

    With ``only``, write just those exercises' files and remove nothing.
    Returns the paths written or removed.
    """
    files = render(layout, only)
    changed = []
    for p, data in files.items():
        if not p.is_file() or p.read_bytes() != data:
            p.parent.mkdir(parents=True, exist_ok=True)
            tmp = p.with_name(p.name + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(p)
            changed.append(p)
    if only is not None:
        return changed
    for folder, pattern in (
        (layout.exercises, "*.md"),
        (layout.book, "ex-*.md"),
        (layout.public, "*.json"),
    ):
        for p in (layout.root / folder).glob(pattern):
            if p not in files:
                p.unlink()
                changed.append(p)
    return changed
