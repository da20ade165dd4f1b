r"""``normcourse audit``: prove that an exercise's checks tell right from wrong.

Each solution declares, under ``exercise.mistakes``, plausible wrong implementations of
its graded functions (:class:`~normcourse.grading.spec.MistakeSpec`). The audit turns the
reference solution and every mistake into a student submission — the solution notebook
without its ``solution-only`` cells, with the mistake's edit applied — and grades them
all in **one** run of the real sandboxed grader (:func:`normcourse.grading.grader.grade`).
It then applies three rules:

1. the reference solution earns every point, and its notebook runs without a problem;
2. a mistake in function f earns at most half of P_f, the points of the checks that call f;
3. every check is failed by at least one mistake (a check no mistake fails tests nothing
   the others do not).

It also requires at least :data:`MIN_MISTAKES` mistakes per graded function, and that the
cell holding a mistake runs (a mistake that does not even define its function would be
caught for the wrong reason).
"""

from __future__ import annotations

import copy
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from normcourse.grading import sandbox as sb
from normcourse.grading import spec as sp

MIN_MISTAKES = 3
MAX_SHARE = 0.5
REFERENCE = "reference"


def _defining_cell(nb: Any, function: str) -> int:
    """Index (among all cells) of the solution cell that defines ``function``."""
    import ast

    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not sp.has_solution(cell.source):
            continue
        tree = ast.parse(cell.source)
        if any(isinstance(s, ast.FunctionDef) and s.name == function for s in tree.body):
            return i
    raise ValueError(f"no solution cell defines {function}")


def submission_notebook(ex: sp.ExerciseSpec, nb: Any, mistake: sp.MistakeSpec | None) -> Any:
    """The notebook a student with this mistake would hand in (``None``: the reference).

    ``ValueError`` when a ``replace`` text does not occur exactly once in the cell that
    defines the mistake's function.
    """
    import nbformat

    out = nbformat.v4.new_notebook()
    out.metadata = {"exercise": {"id": ex.id}}
    cells = copy.deepcopy(nb.cells)
    if mistake is not None:
        i = _defining_cell(nb, mistake.function)
        if mistake.code is not None:
            cells.insert(i + 1, nbformat.v4.new_code_cell(mistake.code))
        else:
            src = cells[i].source
            for old, new in mistake.replace:
                n = src.count(old)
                if n != 1:
                    raise ValueError(
                        f"{ex.id}: mistake {mistake.name}: {old!r} occurs {n} times in the "
                        f"cell that defines {mistake.function} (it must occur exactly once)")
                src = src.replace(old, new)
            cells[i].source = src
    for c in cells:
        if "solution-only" not in c.get("metadata", {}).get("tags", []):
            out.cells.append(c)
    return out


def _mistake_cell(nb: Any, mistake: sp.MistakeSpec) -> int:
    """Index, among the submission's code cells, of the cell holding the mistake."""
    i = _defining_cell(nb, mistake.function)
    before = sum(
        1 for c in nb.cells[:i]
        if c.cell_type == "code" and "solution-only" not in c.get("metadata", {}).get("tags", [])
    )
    return before + (1 if mistake.code is not None else 0)


@dataclass
class MistakeResult:
    """How one declared mistake fared."""

    exercise: str
    name: str
    function: str
    why: str
    score: float  # on the checks that call ``function``
    points: float  # P_f
    failed: list[str] = field(default_factory=list)  # checks it fails (any function)
    problem: str = ""  # the mistake itself is broken (e.g. its cell does not run)

    @property
    def share(self) -> float:
        return self.score / self.points if self.points else 0.0

    @property
    def caught(self) -> bool:
        return not self.problem and self.share <= MAX_SHARE + 1e-12


@dataclass
class ExerciseAudit:
    """The audit of one exercise: the reference's score, each mistake, the rule breaks."""

    id: str
    max_points: float
    reference_score: float
    mistakes: list[MistakeResult]
    uncaught_checks: list[str]
    violations: list[str]
    reference_notes: str = ""

    @property
    def share_caught(self) -> float:
        return sum(m.caught for m in self.mistakes) / len(self.mistakes) if self.mistakes else 0.0


@dataclass
class AuditRun:
    """All exercises' audits and the grading time."""

    exercises: list[ExerciseAudit]
    seconds: float
    notebooks: int
    sandbox: str

    @property
    def violations(self) -> list[str]:
        return [v for e in self.exercises for v in e.violations]


def audit(
    solutions: str | Path = "solutions",
    ids: list[str] | None = None,
    *,
    jobs: int = 2,
    limits: sb.Limits | None = None,
    sandbox: str = "auto",
    progress: bool = True,
) -> AuditRun:
    """Grade the reference and every declared mistake of the exercises in one grader run."""
    from normcourse.grading import grader

    solutions = Path(solutions)
    files = sorted(p for p in solutions.glob("*.md") if not p.name.startswith(("_", ".")))
    if ids:
        known = {p.stem for p in files}
        unknown = sorted(set(ids) - known)
        if unknown:
            raise ValueError(f"no solutions/<id>.md for {unknown} in {solutions}")
        files = [p for p in files if p.stem in set(ids)]
    if not files:
        raise ValueError(f"no solution notebooks (*.md) in {solutions}")
    import jupytext

    loaded = [(p, *sp.load_solution(p)) for p in files]
    with tempfile.TemporaryDirectory(prefix="normcourse-audit-") as tmp:
        tmp_p = Path(tmp)
        sol_dir, subs_dir, out_dir = tmp_p / "solutions", tmp_p / "submissions", tmp_p / "out"
        sol_dir.mkdir()
        subs_dir.mkdir()
        who: dict[str, tuple[str, sp.MistakeSpec | None]] = {}
        for path, ex, nb in loaded:
            shutil.copy(path, sol_dir / path.name)
            for m in (None, *ex.mistakes):
                student = f"{ex.id}.{m.name if m else REFERENCE}"
                folder = subs_dir / student
                folder.mkdir()
                text = jupytext.writes(submission_notebook(ex, nb, m), fmt="md:myst")
                (folder / f"{ex.id}.md").write_text(text, encoding="utf-8")
                who[student] = (ex.id, m)
        run = grader.grade(subs_dir, out_dir, sol_dir, jobs=jobs, limits=limits,
                           sandbox=sandbox, progress=progress, preflight=False)
    results = run.by_student()
    audits = []
    for _, ex, nb in loaded:
        audits.append(_judge(ex, nb, results, run.exercises[ex.id]))
    return AuditRun(audits, run.seconds, len(who), run.sandbox)


def _judge(ex: sp.ExerciseSpec, nb: Any, results: dict[str, Any], exercise: Any) -> ExerciseAudit:
    violations: list[str] = []
    ref = results[f"{ex.id}.{REFERENCE}"]
    ref_score = ref.exercise_score(ex.id)
    notes = "; ".join(dict.fromkeys(ref.problems))
    if notes:
        violations.append(f"{ex.id}: the reference notebook does not run cleanly: {notes}")
    if ref_score < ex.max_points:
        lost = [i.check.name for i in ref.items.values() if i.exercise == ex.id and not i.passed]
        violations.append(f"{ex.id}: the reference earns {ref_score:g}/{ex.max_points:g} "
                          f"(fails {', '.join(lost)}){' — ' + notes if notes else ''}")
    for f in ex.functions:
        n = sum(m.function == f for m in ex.mistakes)
        if n < MIN_MISTAKES:
            violations.append(f"{ex.id}: {f} has {n} declared mistake(s), at least "
                              f"{MIN_MISTAKES} are required")
    failed_by_any: set[str] = set()
    mres = []
    for m in ex.mistakes:
        r = results[f"{ex.id}.{m.name}"]
        items = [i for i in r.items.values() if i.exercise == ex.id]
        mine = [i for i in items if i.check.function == m.function]
        failed = [i.check.name for i in items if not i.passed]
        mr = MistakeResult(ex.id, m.name, m.function, m.why,
                           sum(i.score for i in mine), sum(i.check.points for i in mine), failed)
        k = _mistake_cell(nb, m)
        for nbrep in r.notebooks:
            bad = [c for c in nbrep.cells if c.index == k and c.status != "ok"]
            if bad:
                mr.problem = f"the cell holding the mistake does not run ({bad[0].error})"
        if mr.problem:
            violations.append(f"{ex.id}: mistake {m.name}: {mr.problem}")
        else:
            failed_by_any |= set(failed)
            if not mr.caught:
                violations.append(
                    f"{ex.id}: mistake {m.name} ({m.function}) earns {mr.score:g}/{mr.points:g} "
                    f"of {m.function}'s points (at most {MAX_SHARE:.0%} allowed)")
        mres.append(mr)
    uncaught = [c.name for c in ex.checks if c.name not in failed_by_any]
    for c in uncaught:
        violations.append(f"{ex.id}: check {c} is failed by no declared mistake")
    return ExerciseAudit(ex.id, ex.max_points, ref_score, mres, uncaught, violations, notes)


def report(run: AuditRun) -> str:
    """A plain-text report: per exercise, each mistake's score and the share caught."""
    lines = [f"audit: {run.notebooks} notebooks graded in {run.seconds:.1f} s "
             f"({run.seconds / max(run.notebooks, 1):.2f} s per notebook); sandbox: {run.sandbox}"]
    for e in run.exercises:
        lines.append("")
        lines.append(f"{e.id}: reference {e.reference_score:g}/{e.max_points:g}; "
                     f"{sum(m.caught for m in e.mistakes)}/{len(e.mistakes)} mistakes caught "
                     f"({e.share_caught:.0%})")
        for m in e.mistakes:
            verdict = "caught" if m.caught else ("BROKEN" if m.problem else "MISSED")
            lines.append(f"  {verdict:7s} {m.name:32s} {m.function:20s} "
                         f"{m.score:g}/{m.points:g} ({m.share:.0%})")
        if e.uncaught_checks:
            lines.append(f"  checks no mistake fails: {', '.join(e.uncaught_checks)}")
    v = run.violations
    lines.append("")
    lines.append(f"{len(v)} rule violation(s)" + (":" if v else "."))
    lines += [f"  - {x}" for x in v]
    return "\n".join(lines)
