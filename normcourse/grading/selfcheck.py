"""Student self-check: ``check("ex-soft-threshold")`` runs the public checks in the notebook.

The public checks and their expected answers ship with the package in
``normcourse/grading/public/<id>.json`` (written by ``normcourse release``). Hidden checks
are not in the package at all — they live only in the instructor's ``solutions/`` — so
nothing here can run or reveal them.

The functions under test are looked up in the caller's globals (the notebook's
namespace); each call gets fresh inputs, its result is turned into plain data
(:func:`~normcourse.grading.wire.to_plain`) and judged by the same comparators the
grader uses.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from normcourse.grading import compare as cmp
from normcourse.grading.spec import CheckSpec, evaluate_args
from normcourse.grading.wire import Unsupported, from_json, to_plain

WORKER_ENV = "NORMCOURSE_GRADING_WORKER"
_ID = re.compile(r"^ex-[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class Row:
    """One public check's outcome."""

    name: str
    points: float
    max_points: float
    passed: bool
    why: str = ""
    hint: str = ""


@dataclass
class CheckReport:
    """The result of :func:`check`: rows, public score and its maximum."""

    exercise: str
    rows: list[Row] = field(default_factory=list)
    hidden_points: float = 0.0
    skipped: bool = False

    @property
    def score(self) -> float:
        return sum(r.points for r in self.rows)

    @property
    def max_score(self) -> float:
        return sum(r.max_points for r in self.rows)

    @property
    def all_passed(self) -> bool:
        return bool(self.rows) and all(r.passed for r in self.rows)

    def table(self) -> str:
        """The rows as an aligned text table."""
        head = ("check", "points", "result", "why / hint")
        lines = [
            (r.name, f"{_fmt(r.points)}/{_fmt(r.max_points)}", "pass" if r.passed else "FAIL",
             "" if r.passed else "; ".join(x for x in (r.why, r.hint and f"hint: {r.hint}") if x))
            for r in self.rows
        ]
        widths = [max(len(x[i]) for x in [head, *lines]) for i in range(3)]
        out = [f"{self.exercise} — public checks"]
        for row in [head, *lines]:
            out.append("  ".join(c.ljust(w) for c, w in zip(row[:3], widths, strict=True))
                       + "  " + row[3])
        return "\n".join(s.rstrip() for s in out)

    def __repr__(self) -> str:
        if self.skipped:
            return f"{self.exercise}: self-check skipped while grading"
        more = (
            f" (the grader also runs hidden checks worth {_fmt(self.hidden_points)} points)"
            if self.hidden_points
            else ""
        )
        return f"{self.exercise}: {_fmt(self.score)}/{_fmt(self.max_score)} public points{more}"


def _fmt(x: float) -> str:
    return f"{x:g}"


def known_exercises() -> list[str]:
    """Ids of the exercises whose public checks ship with the package."""
    folder = resources.files("normcourse.grading") / "public"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))


def load_public(exercise: str) -> dict[str, Any]:
    """The public-check file of ``exercise``; ``ValueError`` for an unknown id."""
    if not isinstance(exercise, str) or not _ID.match(exercise):
        raise ValueError(f"exercise must be an id such as 'ex-soft-threshold', got {exercise!r}")
    path = resources.files("normcourse.grading") / "public" / f"{exercise}.json"
    if not path.is_file():
        unreleased = _unreleased(exercise)
        if unreleased is not None:
            return unreleased
        raise ValueError(
            f"unknown exercise {exercise!r}; known: {', '.join(known_exercises()) or 'none'}. "
            f"A new exercise's checks arrive with the course: after `git pull`, the package "
            f"(installed by `make`, in editable mode) has them; a copy installed with "
            f"`pip install` (not -e) needs to be installed again."
        )
    return json.loads(path.read_text(encoding="utf-8"))


def _unreleased(exercise: str) -> dict[str, Any] | None:
    """The public checks of a solution notebook not released yet (an author testing it):
    ``solutions/<exercise>.md`` next to or above the working directory, rendered in memory."""
    from normcourse.grading import instructor, release
    from normcourse.grading import spec as sp

    try:
        path = instructor.find_solution(exercise)
    except ValueError:
        return None
    ex, nb = sp.load_solution(path)
    print(f"check({exercise!r}): not released yet; using the public checks of {path} "
          f"(run `make exercises` to release it)")
    return json.loads(release.public_file(ex, nb))


def public_checks(data: dict[str, Any]) -> list[tuple[CheckSpec, Any]]:
    """(check, expected answer) pairs from a public-check file."""
    out = []
    for c in data["checks"]:
        spec = CheckSpec(
            name=c["name"],
            function=c["function"],
            points=float(c["points"]),
            visibility="public",
            call=c["call"],
            args=tuple((p, e) for p, e in c["args"]),
            let=tuple((k, e) for k, e in c["let"]),
            compare=c["compare"],
            compare_params=tuple(sorted(c["compare_params"].items())),
            hint=c["hint"],
        )
        out.append((spec, from_json(c["expected"])))
    return out


def run_check(fn: Any, spec: CheckSpec, expected: Any) -> cmp.Verdict:
    """Call ``fn`` on the check's inputs in this process and judge the result."""
    args = evaluate_args(spec)
    comparator = cmp.get(spec.compare)
    prepared = comparator.prepare(expected, args, **spec.params)
    try:
        got = fn(*args.values())
    except NotImplementedError:
        return cmp.Verdict(
            False, "not implemented yet", "the function still raises NotImplementedError"
        )
    except (Exception, SystemExit) as exc:
        name = type(exc).__name__
        return cmp.Verdict(False, f"raised {name}", f"{name}: {exc}"[:300])
    try:
        plain = to_plain(got)
    except Unsupported as exc:
        return cmp.Verdict(False, "unsupported return type", str(exc))
    return comparator.judge(plain, prepared, args, **spec.params)


def check(
    exercise: str, namespace: dict[str, Any] | None = None, *, show: bool = True
) -> CheckReport:
    """Run the public checks of ``exercise`` on the functions defined in the notebook.

    Parameters
    ----------
    exercise : str
        The exercise id, e.g. ``"ex-soft-threshold"``.
    namespace : dict, optional
        Where to find the functions; by default the caller's globals (the notebook).
    show : bool
        Print the table of checks (check, points, pass/fail, why and hint).

    Returns
    -------
    CheckReport
        Its repr is the public score; ``report.all_passed`` is True when every public
        check passes. Hidden checks are never run here.
    """
    if os.environ.get(WORKER_ENV) == "1":
        print(f"check({exercise!r}): skipped while grading")
        return CheckReport(exercise, skipped=True)
    data = load_public(exercise)
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    report = CheckReport(exercise, hidden_points=float(data.get("hidden_points", 0.0)))
    for spec, expected in public_checks(data):
        fn = namespace.get(spec.function)
        if not callable(fn):
            verdict = cmp.Verdict(
                False, "not defined", f"define `{spec.function}` (run the cell that defines it)"
            )
        else:
            verdict = run_check(fn, spec, expected)
        why = verdict.detail or verdict.reason
        report.rows.append(
            Row(spec.name, spec.points if verdict.ok else 0.0, spec.points, verdict.ok, why,
                spec.hint)
        )
    if show:
        print(report.table())
    return report
