"""Safe regrades: a run into an existing output folder merges with the previous one.

Every graded student's result is kept in ``<out>/_store/<slug>.json`` with a key: the
SHA-256 of the student's notebooks (names and bytes), the assignment's solution files,
the library's source, the grading secret's hash and the limits. A later run into the same
folder

* reuses a stored result whose key is unchanged (the submission is not run again);
* grades new and changed submissions and replaces their rows;
* keeps the rows of students who are not in this run's submissions folder (re-grading one
  student, or adding late submissions, never drops anybody);
* keeps the previous ``grades.csv`` as ``grades-<UTC time>.csv`` before writing the new one.

A store written for another assignment (a different set of exercises) is not merged: the
run starts a fresh gradebook (the old one is still kept as a dated copy).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from normcourse.grading import sandbox as sb

VERSION = 1


def _library_hash() -> str:
    from normcourse.sphinxext import source_hash

    return source_hash(["normcourse"])


def run_context(exercises: dict, secret: str | None, limits: sb.Limits) -> str:
    """Hash of what, besides the submission, decides a grade."""
    h = hashlib.sha256(f"v{VERSION}\n".encode())
    for ex_id, ex in sorted(exercises.items()):
        h.update(f"{ex_id}\n".encode())
        h.update(Path(ex.spec.source).read_bytes())
    h.update(_library_hash().encode())
    h.update(hashlib.sha256((secret or "").encode()).hexdigest().encode())
    h.update(json.dumps(asdict(limits), sort_keys=True, default=str).encode())
    return h.hexdigest()


def submission_key(sub: Any, context: str) -> str:
    """Hash of one submission's notebooks (relative names and bytes) and the run context."""
    h = hashlib.sha256(context.encode())
    for p in sorted(sub.notebooks):
        rel = p.relative_to(sub.root) if sub.root.is_dir() else Path(p.name)
        h.update(f"\n{rel.as_posix()}\n".encode())
        try:
            h.update(p.read_bytes())
        except OSError as exc:
            h.update(f"unreadable: {exc}".encode())
    h.update("\n".join(sub.problems).encode())
    return h.hexdigest()


def _dump(r: Any) -> dict:
    return {
        "student": r.student, "slug": r.slug, "seconds": r.seconds,
        "problems": list(r.problems),
        "items": {k: {"exercise": it.exercise, "check": it.check.name, "score": it.score,
                      "passed": it.passed, "reason": it.reason, "detail": it.detail}
                  for k, it in r.items.items()},
        "notebooks": [{"path": n.path, "exercise": n.exercise, "score": n.score,
                       "problems": n.problems, "stderr": n.stderr,
                       "cells": [asdict(c) for c in n.cells]} for n in r.notebooks],
    }


def _load(d: dict, exercises: dict) -> Any:
    from normcourse.grading.grader import ItemResult, NotebookReport, StudentResult

    checks = {f"{e}/{t.check.name}": t.check for e, ex in exercises.items() for t in ex.tasks}
    if set(d["items"]) != set(checks):
        raise KeyError("stored items do not match the assignment")
    r = StudentResult(d["student"], d["slug"], problems=list(d["problems"]),
                      seconds=float(d["seconds"]))
    for k, it in d["items"].items():
        r.items[k] = ItemResult(it["exercise"], checks[k], float(it["score"]),
                                bool(it["passed"]), it["reason"], it["detail"])
    for n in d["notebooks"]:
        r.notebooks.append(NotebookReport(
            n["path"], n["exercise"], float(n["score"]),
            [sb.CellOutcome(**c) for c in n["cells"]], list(n["problems"]), n["stderr"]))
    return r


class Store:
    """The stored results of an output folder, for one assignment and run context."""

    def __init__(self, out: Path, exercises: dict, context: str) -> None:
        self.dir = out / "_store"
        self.exercises = exercises
        self.context = context
        self.assignment = sorted(exercises)
        self.results: dict[str, tuple[str, Any]] = {}  # slug -> (key, StudentResult)
        meta = self.dir / "assignment.json"
        if meta.is_file():
            try:
                same = json.loads(meta.read_text()).get("exercises") == self.assignment
            except (OSError, ValueError):
                same = False
            if not same:  # another assignment's results: start a fresh gradebook
                for f in self.dir.glob("*.json"):
                    f.unlink()
            else:
                for f in sorted(self.dir.glob("*.json")):
                    if f.name == "assignment.json":
                        continue
                    try:
                        d = json.loads(f.read_text())
                        self.results[d["result"]["slug"]] = (d["key"],
                                                             _load(d["result"], exercises))
                    except (OSError, ValueError, KeyError, TypeError):
                        continue  # a damaged entry is graded again

    def cached(self, slug: str, key: str) -> Any | None:
        """The stored result of ``slug`` if its key is ``key``."""
        hit = self.results.get(slug)
        return hit[1] if hit is not None and hit[0] == key else None

    def put(self, key: str, result: Any) -> None:
        """Store one result (written at once, atomically)."""
        from normcourse.grading.grader import atomic_write

        self.results[result.slug] = (key, result)
        atomic_write(self.dir / f"{result.slug}.json",
                     json.dumps({"key": key, "result": _dump(result)}, ensure_ascii=False))

    def finish(self) -> list[Any]:
        """Every stored result (this run's and the kept ones), sorted by student."""
        from normcourse.grading.grader import atomic_write

        atomic_write(self.dir / "assignment.json",
                     json.dumps({"exercises": self.assignment, "version": VERSION}))
        return sorted((r for _, r in self.results.values()), key=lambda r: r.student)


def keep_dated_copy(out: Path) -> Path | None:
    """Rename the previous ``grades.csv`` to ``grades-<UTC time>.csv``; return the copy."""
    old = out / "grades.csv"
    if not old.is_file():
        return None
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(old.stat().st_mtime))
    dest = out / f"grades-{stamp}.csv"
    k = 2
    while dest.exists():
        dest, k = out / f"grades-{stamp}-{k}.csv", k + 1
    old.replace(dest)
    return dest
