"""Rosters: map an LMS's downloaded submissions to students and write the LMS's grade CSV.

Three kinds of roster, told apart by their header:

* **Canvas** — the gradebook export (``Student, ID, SIS User ID, SIS Login ID, Section,
  …``; a ``Points Possible`` row is skipped). Canvas names downloaded files
  ``<lastfirst>_<user id>_<submission id>_<file name>`` and inserts ``LATE_`` after the
  name for a late submission (``adamsalice_LATE_10001_50001_ex-kkt-2d.ipynb``); the user id
  is the roster's ``ID``. A student's files are graded together.
* **Moodle** — the assignment's grading worksheet (``Identifier, Full name, Email address,
  …`` with identifiers ``Participant 12345``). Moodle's "download all submissions" makes
  one folder per student, ``<Full name>_<participant id>_assignsubmission_file_``.
* **plain** — any CSV with an ``id`` column (and optionally ``name``, ``email``): a
  submission belongs to ``id`` when its folder or file name is ``id`` or starts with
  ``id_`` / ``id-``.

:func:`lms_csv` writes what the LMS imports, and nothing else: its identifier columns, one
score column for the assignment, and points possible. Roster students without a
submission get 0 and "no submission"; submissions that match no roster entry are
returned to the caller, to be listed, never dropped.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMATS = ("canvas", "moodle", "plain")
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
_CANVAS_NAME = re.compile(r"^(?P<name>[^_]+)_(?P<late>LATE_)?(?P<uid>\d+)_(?P<sid>\d+)_")
_MOODLE_NAME = re.compile(r"^(?P<name>.+?)_(?P<pid>\d+)_assign(?:submission|feedback)_")


@dataclass
class Entry:
    """One student of the roster: the key submissions are matched on, the roster row."""

    key: str
    name: str
    row: dict[str, str]


@dataclass
class Roster:
    """A roster of one kind (``canvas``, ``moodle`` or ``plain``)."""

    kind: str
    entries: dict[str, Entry]
    columns: list[str] = field(default_factory=list)

    def match(self, name: str) -> tuple[str, bool] | None:
        """``(key, late)`` for a submission's folder or file name, ``None`` if no entry."""
        if self.kind == "canvas":
            m = _CANVAS_NAME.match(name)
            key, late = (m.group("uid"), bool(m.group("late"))) if m else (None, False)
        elif self.kind == "moodle":
            m = _MOODLE_NAME.match(name)
            key, late = (m.group("pid"), False) if m else (None, False)
        else:
            key = next((k for k in sorted(self.entries, key=len, reverse=True)
                        if name == k or name.startswith((f"{k}_", f"{k}-", f"{k}."))), None)
            late = False
        return (key, late) if key in self.entries else None


def _sniff(header: list[str]) -> str:
    cols = {h.strip() for h in header}
    if {"Student", "ID"} <= cols:
        return "canvas"
    if "Identifier" in cols:
        return "moodle"
    if "id" in cols:
        return "plain"
    raise ValueError(
        "roster: cannot tell its kind from the header " + repr(header[:6]) + "; expected a "
        "Canvas gradebook export (Student, ID, …), a Moodle grading worksheet (Identifier, "
        "Full name, …) or a CSV with an 'id' column")


def read_roster(path: str | Path) -> Roster:
    """Read a roster CSV (kind detected from its header); ``ValueError`` says what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"roster file not found: {path}")
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    header = next(csv.reader(io.StringIO(text)), [])
    if not header:
        raise ValueError(f"roster {path} is empty")
    kind = _sniff(header)
    entries: dict[str, Entry] = {}
    for i, raw in enumerate(rows, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        if kind == "canvas":
            if row.get("Student", "").startswith("Points Possible") or not row.get("ID"):
                continue
            key, name = row["ID"], row.get("Student", "")
        elif kind == "moodle":
            m = re.fullmatch(r"Participant\s+(\d+)", row.get("Identifier", ""))
            if not m:
                raise ValueError(f"roster {path}, line {i}: Identifier must look like "
                                 f"'Participant 12345', got {row.get('Identifier')!r}")
            key, name = m.group(1), row.get("Full name", "")
        else:
            key, name = row.get("id", ""), row.get("name", "") or row.get("id", "")
            if not key:
                raise ValueError(f"roster {path}, line {i}: empty id")
        if key in entries:
            raise ValueError(f"roster {path}, line {i}: duplicate student {key!r}")
        entries[key] = Entry(key, name, row)
    if not entries:
        raise ValueError(f"roster {path} lists no student")
    return Roster(kind, entries, [h.strip() for h in header])


@dataclass
class Matched:
    """Submissions regrouped by roster entry; ``keys`` maps a graded student's name to its
    roster key."""

    submissions: list[Any]
    keys: dict[str, str]
    unmatched: list[str]


def regroup(subs: list[Any], roster: Roster, workdir: Path) -> Matched:
    """One submission per roster student.

    Canvas puts every file of every student in one folder, so the files of one student are
    copied into a folder of their own under ``workdir`` (a submission's sandbox never sees
    another student's files). A late marker becomes a note. Submissions that match no entry
    keep their own name and are reported in ``unmatched``.
    """
    from normcourse.grading.grader import Submission

    by_key: dict[str, list[Any]] = {}
    late: set[str] = set()
    out, unmatched = [], []
    for s in subs:
        m = roster.match(s.root.name)
        if m is None:
            unmatched.append(s.root.name)
            out.append(s)
            continue
        by_key.setdefault(m[0], []).append(s)
        if m[1]:
            late.add(m[0])
    keys: dict[str, str] = {}
    for key, group in sorted(by_key.items()):
        folder = workdir / f"student-{key}"
        folder.mkdir(parents=True)
        notebooks, problems = [], []
        for s in group:
            problems += s.problems
            for nb in s.notebooks:
                dest = (folder / s.root.name / nb.relative_to(s.root) if s.root.is_dir()
                        else folder / nb.name)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(nb, dest)
                notebooks.append(dest)
        if key in late:
            problems.append("late: the LMS marked this submission late")
        name = roster.entries[key].name
        student = f"{name} [{key}]" if name else key
        keys[student] = key
        out.append(Submission(student, f"student-{key}", folder, sorted(notebooks), problems))
    return Matched(out, keys, unmatched)


def lms_csv(roster: Roster, fmt: str, assignment: str, points: float,
            scores: dict[str, tuple[float, str]]) -> str:
    """The LMS import file. ``scores`` maps roster keys to (score, notes); roster students
    missing from it get 0 and "no submission".

    * canvas: ``Student, ID, SIS User ID, SIS Login ID, Section, <assignment>``, then a
      ``Points Possible`` row, then one row per student;
    * moodle: ``Identifier, Full name, Email address, Grade, Maximum Grade, Feedback
      comments`` (the grading worksheet Moodle uploads);
    * plain: ``id, name, <assignment>, points_possible, notes``.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    g = "{:g}".format
    if fmt == "canvas":
        w.writerow([*CANVAS_COLUMNS, assignment])
        w.writerow(["Points Possible", "", "", "", "", g(points)])
    elif fmt == "moodle":
        w.writerow(["Identifier", "Full name", "Email address", "Grade", "Maximum Grade",
                    "Feedback comments"])
    else:
        w.writerow(["id", "name", assignment, "points_possible", "notes"])
    for key, e in roster.entries.items():
        score, notes = scores.get(key, (0.0, "no submission"))
        if fmt == "canvas":
            w.writerow([*(e.row.get(c, "") for c in CANVAS_COLUMNS), g(score)])
        elif fmt == "moodle":
            w.writerow([e.row.get("Identifier", f"Participant {key}"), e.name,
                        e.row.get("Email address", ""), g(score), g(points), notes[:500]])
        else:
            w.writerow([key, e.name, g(score), g(points), notes[:500]])
    return buf.getvalue()


def write_lms(out: Path, roster: Roster, fmt: str, assignment: str, points: float,
              results: list[Any]) -> Path:
    """Write ``grades-<fmt>.csv`` in ``out`` from the gradebook's results (a roster
    student's result has the slug ``student-<key>``, see :func:`regroup`)."""
    from normcourse.grading.grader import atomic_write

    by_slug = {f"student-{k}": k for k in roster.entries}
    scores = {by_slug[r.slug]: (r.total, "; ".join(dict.fromkeys(r.problems)))
              for r in results if r.slug in by_slug}
    path = out / f"grades-{fmt}.csv"
    atomic_write(path, lms_csv(roster, fmt, assignment, points, scores))
    return path
