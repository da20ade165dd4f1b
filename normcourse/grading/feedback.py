"""What each student reads: ``feedback.md`` and Gradescope's ``results.json``.

Hidden checks never show their inputs or values: a failed one gives its reason (the kind
of mistake) and its hint, and no hint at all for an exercise the student did not hand in.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from normcourse.grading.grader import Exercise, StudentResult


def _g(x: float) -> str:
    return f"{x:g}"


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def feedback_md(r: StudentResult, exercises: dict[str, Exercise], sandbox_note: str) -> str:
    """The student's feedback: per exercise, what passed, what failed and why."""
    max_total = sum(ex.spec.max_points for ex in exercises.values())
    out = [f"# Feedback for {r.student}", "", f"**Total: {_g(r.total)} / {_g(max_total)}**", "",
           f"_Grading environment: {sandbox_note}._", ""]
    general = [p for p in r.problems if not any(p.startswith(n.path) for n in r.notebooks)]
    if general:
        out += ["## Problems with the submission", ""]
        out += [f"- {_md_escape(p)}" for p in general] + [""]
    ungraded = [n for n in r.notebooks if n.exercise is None]
    if ungraded:
        out += ["## Notebooks that were not graded", ""]
        out += [f"- `{n.path}`: {_md_escape('; '.join(n.problems))}" for n in ungraded] + [""]
    for ex in exercises.values():
        out += [f"## {ex.id} — {ex.spec.title}: {_g(r.exercise_score(ex.id))} / "
                f"{_g(ex.spec.max_points)}", ""]
        nbs = [n for n in r.notebooks if n.exercise == ex.id]
        if not nbs:
            out += ["No notebook for this exercise was found in the submission"
                    + (" (see the notebooks that were not graded above)." if ungraded else "."),
                    ""]
        for n in nbs:
            out.append(f"Notebook: `{n.path}`")
            bad = [c for c in n.cells if c.status != "ok"]
            if bad:
                out += ["", "Cells that did not run cleanly (the other cells still ran):", ""]
                out += [f"- code cell {c.index + 1} — {c.status}: {_md_escape(c.error)}"
                        for c in bad]
            out.append("")
        out += ["| check | visibility | points | result | why |", "|---|---|---|---|---|"]
        for t in ex.tasks:
            it = r.items[f"{ex.id}/{t.check.name}"]
            why = ""
            if not it.passed:
                parts = [it.reason]
                if not t.check.hidden and it.detail:
                    parts.append(it.detail)
                if t.check.hint and (nbs or not t.check.hidden):
                    parts.append(f"hint: {t.check.hint}")
                why = " — ".join(p for p in parts if p)
            out.append(
                f"| {t.check.name} | {t.check.visibility} | {_g(it.score)} / {_g(t.check.points)} "
                f"| {'passed' if it.passed else 'failed'} | {_md_escape(why)} |"
            )
        out.append("")
    out += ["Hidden checks use inputs you have not seen; their feedback names the kind of "
            "mistake and gives a hint, never the inputs (and no hint for an exercise you did "
            "not hand in).", ""]
    return "\n".join(out)


def results_json(r: StudentResult, exercises: dict[str, Exercise], sandbox_note: str) -> str:
    """Gradescope's ``results.json``: score, per-test score/max/status/output/visibility."""
    tests = []
    for ex in exercises.values():
        attempted = any(n.exercise == ex.id for n in r.notebooks)
        for t in ex.tasks:
            it = r.items[f"{ex.id}/{t.check.name}"]
            output = ""
            if not it.passed:
                parts = [it.reason] + ([it.detail] if not t.check.hidden and it.detail else [])
                if t.check.hint and (attempted or not t.check.hidden):
                    parts.append(f"hint: {t.check.hint}")
                output = " — ".join(p for p in parts if p)
            tests.append({
                "name": f"{ex.id}/{t.check.name}",
                "score": it.score,
                "max_score": t.check.points,
                "status": "passed" if it.passed else "failed",
                "output": output,
                "visibility": "after_published" if t.check.hidden else "visible",
            })
    summary = [f"Total {_g(r.total)} / {_g(sum(e.spec.max_points for e in exercises.values()))}.",
               f"Grading environment: {sandbox_note}."]
    if r.problems:
        summary.append("Problems: " + "; ".join(dict.fromkeys(r.problems)))
    data = {
        "score": r.total,
        "output": "\n".join(summary),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "execution_time": round(r.seconds, 3),
        "tests": tests,
    }
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"
