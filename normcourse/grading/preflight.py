"""Before grading students: the reference solutions must earn full marks in the sandbox.

A misconfigured grader fails *every* student the same way — the sandboxed worker cannot
import ``normcourse`` (an editable install pointing at a path the sandbox does not mount),
a solution that no longer matches its checks, a grading secret under which a hidden check
cannot be built. Grading the reference solution of each exercise of the assignment first,
through the same sandbox, limits and secret, turns that into one clear error (exit code 2
from ``normcourse grade``) instead of a gradebook of zeros.
"""

from __future__ import annotations

import concurrent.futures as cf
import tempfile
from pathlib import Path

from normcourse.grading import sandbox as sb
from normcourse.grading import spec as sp


class PreflightError(ValueError):
    """The reference run failed: grading students would give meaningless grades."""


def _advice(problems: list[str]) -> str:
    text = " ".join(problems)
    if "ModuleNotFoundError" in text or "ImportError" in text:
        return ("the sandboxed worker cannot import the library. Install normcourse into the "
                "Python the grader runs (`pip install .`, or an editable install of a folder "
                "the sandbox can read), or run with --sandbox rlimits to check whether the "
                "sandbox is the cause")
    if "timeout" in text or "budget" in text:
        return ("the reference solution ran out of time: raise --timeout / --cell-timeout / "
                "--budget, or lower --jobs on a loaded machine")
    if "memory" in text.lower() or "MemoryError" in text:
        return "the reference solution ran out of memory: raise --memory-mb"
    return ("the reference solution does not pass its own checks under this configuration: "
            "run `normcourse audit ID` (and the solution notebook itself) to see which check "
            "and why; with --secret, a hidden check may not be buildable for every secret")


def reference_failures(
    exercises: dict, box: sb.Sandbox, limits: sb.Limits, jobs: int = 1
) -> dict[str, str]:
    """Grade each exercise's reference solution; ``{exercise id: what went wrong}``.

    ``exercises`` maps ids to :class:`~normcourse.grading.grader.Exercise` (tasks already
    built, under the run's secret). An empty result means every reference earned full
    marks with no problem.
    """
    import jupytext

    from normcourse.grading import audit, grader

    def one(ex_id: str, ex: grader.Exercise, tmp: Path) -> tuple[str, str | None]:
        _, nb = sp.load_solution(ex.spec.source)
        folder = tmp / f"reference-{ex_id}"
        folder.mkdir()
        text = jupytext.writes(audit.submission_notebook(ex.spec, nb, None), fmt="md:myst")
        (folder / f"{ex_id}.md").write_text(text, encoding="utf-8")
        sub = grader.Submission(f"reference-{ex_id}", f"reference-{ex_id}", folder,
                                [folder / f"{ex_id}.md"])
        res = grader.grade_submission(sub, {ex_id: ex}, box, limits)
        score, top = res.exercise_score(ex_id), ex.spec.max_points
        if score >= top - 1e-9 and not res.problems:
            return ex_id, None
        failed = [f"{it.check.name}: {it.reason}" for it in res.items.values() if not it.passed]
        detail = "; ".join([*res.problems, *failed][:4])
        return ex_id, (f"the reference solution scores {score:g} / {top:g} in the sandbox "
                       f"({detail}) — {_advice([*res.problems, *failed])}")

    with tempfile.TemporaryDirectory(prefix="normcourse-preflight-") as tmp, \
            cf.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(one, i, ex, Path(tmp)) for i, ex in exercises.items()]
        results = [f.result() for f in futures]
    return {i: msg for i, msg in results if msg is not None}


def check_references(
    exercises: dict, box: sb.Sandbox, limits: sb.Limits, jobs: int = 1
) -> None:
    """:class:`PreflightError` naming every exercise whose reference run failed."""
    bad = reference_failures(exercises, box, limits, jobs)
    if bad:
        lines = "\n".join(f"  {i}: {msg}" for i, msg in sorted(bad.items()))
        raise PreflightError(
            f"preflight failed, no student was graded ({box.describe()}):\n{lines}")
