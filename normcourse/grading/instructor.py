"""For solution notebooks: run *every* check (public and hidden) in the notebook's kernel.

A cell tagged ``solution-only`` at the end of each ``solutions/<id>.md`` calls
:func:`assert_all_pass`, so that running the solution notebooks (``pytest`` with nbval)
proves that the reference solution earns full marks. It reads the hidden checks from the
solution file itself — they are not part of the package.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

from normcourse.grading import spec as sp
from normcourse.grading.wire import to_plain


def find_solution(exercise: str, start: Path | None = None) -> Path:
    """``solutions/<exercise>.md`` next to, or above, ``start`` (default: the cwd)."""
    start = (start or Path.cwd()).resolve()
    for d in (start, *start.parents):
        for cand in (d / f"{exercise}.md", d / "solutions" / f"{exercise}.md"):
            if cand.is_file() and cand.parent.name == "solutions":
                return cand
    raise ValueError(f"solutions/{exercise}.md not found from {start}")


def assert_all_pass(
    exercise: str,
    namespace: dict[str, Any] | None = None,
    path: str | Path | None = None,
    secret: str | None = None,
) -> float:
    """Run all checks of ``exercise`` on the caller's functions; ``AssertionError`` if any fails.

    ``secret`` draws the hidden inputs as a graded run with that grading secret would.
    Returns the score (the maximum, when it returns).
    """
    spec_path = Path(path) if path is not None else find_solution(exercise)
    ex, nb = sp.load_solution(spec_path)
    if ex.id != exercise:
        raise ValueError(f"{spec_path} holds exercise {ex.id!r}, not {exercise!r}")
    refs = sp.reference_functions(ex, nb)
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    failures = []
    score = 0.0
    for check in ex.checks:
        task = sp.make_task(check, refs, secret, ex.id)
        fn = namespace.get(check.function)
        if not callable(fn):
            failures.append(f"{check.name}: {check.function} is not defined")
            continue
        try:
            got = to_plain(fn(*copy.deepcopy(list(task.args.values()))))
        except Exception as exc:  # the reference must not fail: report it as a failure
            failures.append(f"{check.name}: {type(exc).__name__}: {exc}")
            continue
        v = task.judge(got)
        if v.ok:
            score += check.points
        else:
            failures.append(f"{check.name} ({check.visibility}): {v.reason} {v.detail}")
    if failures:
        raise AssertionError(f"{exercise}: {len(failures)} check(s) fail:\n" + "\n".join(failures))
    print(f"{exercise}: all {len(ex.checks)} checks pass ({len(ex.public)} public, "
          f"{len(ex.hidden)} hidden): {score:g}/{ex.max_points:g} points")
    return score
