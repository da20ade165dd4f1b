"""``normcourse grade``: grade a folder of submissions in sandboxed workers.

Flow, for a run over ``SUBMISSIONS/``:

1. In this (trusted) process, load every exercise spec from ``solutions/``, build the
   reference functions and turn every check — public and hidden — into a :class:`Task`
   with concrete inputs and a prepared expected answer.
2. Find the students: each folder of ``SUBMISSIONS/`` is one student (all ``.md`` and
   ``.ipynb`` notebooks inside), each file at the top level is one student. A notebook is
   matched to an exercise by its ``exercise.id`` metadata, else a ``check("ex-…")`` call
   in its code, else the exercise id in its file name.
3. For every notebook, run its code cells and then one call per check in a sandboxed
   worker (:func:`normcourse.grading.sandbox.run_notebook`): only the function name and
   the inputs go in; plain data comes back; the comparison happens here.
4. Write ``grades.csv`` (one row per student), ``<student>/feedback.md`` and
   ``<student>/results.json`` (Gradescope format), and the class report ``report.md`` /
   ``report.png``; every file is written atomically. With a roster, also the LMS import
   file ``grades-<format>.csv``. A run into an existing folder merges
   (:mod:`~normcourse.grading.store`).

Whatever a submission does — crash, hang, exhaust memory, fork, tamper, be unreadable —
it gets a row: the affected items score 0 with a reason, and nothing it does reaches
another student's result.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import csv
import io
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from normcourse.grading import codescan
from normcourse.grading import sandbox as sb
from normcourse.grading import spec as sp
from normcourse.grading.feedback import feedback_md, results_json
from normcourse.grading.intake import (  # noqa: F401  (part of this module's interface)
    MAX_NOTEBOOK_BYTES,
    NOTEBOOK_SUFFIXES,
    Notebook,
    Submission,
    discover,
    identify,
    read_cells,
    read_submission,
    static_scan,
)

# ====================================================================== exercises


@dataclass
class Exercise:
    """An exercise ready for grading: its spec and its concrete tasks (in check order)."""

    spec: sp.ExerciseSpec
    tasks: list[sp.Task]
    # per graded function: the library functions its graded calls must not use
    forbidden: dict[str, codescan.Forbidden] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.spec.id


def load_exercises(solutions: Path, secret: str | None = None,
                   only: Sequence[str] | None = None) -> dict[str, Exercise]:
    """Every exercise of ``solutions/`` (or those of ``only``) with its tasks; ``ValueError``
    if anything is off. The ids of every exercise are in :func:`known_exercise_ids`."""
    solutions = Path(solutions)
    if not solutions.is_dir():
        raise ValueError(f"solutions folder not found: {solutions} (pass --solutions DIR)")
    files = sorted(p for p in solutions.glob("*.md") if not p.name.startswith(("_", ".")))
    if not files:
        raise ValueError(f"no solution notebooks (*.md) in {solutions}")
    out: dict[str, Exercise] = {}
    for path in files:
        if only is not None and _front_matter_id(path) not in only:
            continue
        ex, nb = sp.load_solution(path)
        refs = sp.reference_functions(ex, nb)
        try:
            tasks = [sp.make_task(c, refs, secret, ex.id) for c in ex.checks]
        except Exception as exc:
            raise ValueError(
                f"{path}: could not build the checks: {type(exc).__name__}: {exc}"
            ) from exc
        out[ex.id] = Exercise(ex, tasks, codescan.exercise_forbidden(ex, nb))
    return dict(sorted(out.items()))


def known_exercise_ids(solutions: Path) -> list[str]:
    """The ids of the exercises of ``solutions/`` (read from their front matter alone)."""
    files = sorted(p for p in Path(solutions).glob("*.md") if not p.name.startswith(("_", ".")))
    return sorted(i for i in map(_front_matter_id, files) if i is not None)


def _front_matter_id(path: Path) -> str | None:
    """``exercise.id`` of a solution notebook's YAML front matter (no notebook parsing);
    ``None`` when it has none (:func:`load_exercises` then says what is wrong). Read once
    per version of the file (its size and modification time)."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _IDS:
        _IDS[key] = _read_front_matter_id(path)
    return _IDS[key]


_IDS: dict[tuple[str, int, int], str | None] = {}


def _read_front_matter_id(path: Path) -> str | None:
    import yaml

    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return None
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 30× faster
        meta = yaml.load(text[3:].split("\n---", 1)[0], Loader=loader)
    except yaml.YAMLError:
        return None
    ex = meta.get("exercise") if isinstance(meta, dict) else None
    return str(ex["id"]) if isinstance(ex, dict) and "id" in ex else None


# ====================================================================== submissions


# ====================================================================== results


@dataclass
class ItemResult:
    """One check for one student."""

    exercise: str
    check: sp.CheckSpec
    score: float
    passed: bool
    reason: str = ""  # safe for hidden checks
    detail: str = ""  # public checks only

    @property
    def key(self) -> str:
        return f"{self.exercise}/{self.check.name}"


@dataclass
class NotebookReport:
    """One graded notebook: its exercise, score, cell outcomes and problems."""

    path: str
    exercise: str | None
    score: float = 0.0
    cells: list[sb.CellOutcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    stderr: str = ""
    run: sb.NotebookRun | None = field(default=None, repr=False, compare=False)

    def complete(self) -> None:
        """Fill in ``stderr`` once a worker ending in the background has ended."""
        if self.run is not None:
            self.stderr, self.run = self.run.wait(), None


@dataclass
class StudentResult:
    """Everything about one student: items, notebooks, problems."""

    student: str
    slug: str
    items: dict[str, ItemResult] = field(default_factory=dict)
    notebooks: list[NotebookReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def complete(self) -> None:
        """Wait for the workers still ending in the background (their stderr)."""
        for n in self.notebooks:
            n.complete()

    @property
    def total(self) -> float:
        """Points over every exercise."""
        return sum(i.score for i in self.items.values())

    def exercise_score(self, ex_id: str) -> float:
        """Points on one exercise."""
        return sum(i.score for i in self.items.values() if i.exercise == ex_id)


def _item(ex: Exercise, task: sp.Task, out: sb.CallOutcome) -> ItemResult:
    c = task.check
    if out.status == "ok":
        try:
            v = task.judge(out.value)
        except Exception as exc:  # plain data the comparator could not handle
            return ItemResult(ex.id, c, 0.0, False, "could not compare the result",
                              f"{type(exc).__name__}")
        if v.ok:
            return ItemResult(ex.id, c, c.points, True)
        return ItemResult(ex.id, c, 0.0, False, v.reason, v.detail)
    reason = out.message or out.status
    return ItemResult(ex.id, c, 0.0, False, reason, out.detail)


def _zero(ex: Exercise, reason: str) -> dict[str, ItemResult]:
    return {f"{ex.id}/{t.check.name}": ItemResult(ex.id, t.check, 0.0, False, reason)
            for t in ex.tasks}


def grade_notebook(
    path: Path, root: Path, ex: Exercise, cells: list[str], box: sb.Sandbox, limits: sb.Limits,
    background: bool = False, static: dict[str, list[str]] | None = None,
) -> tuple[dict[str, ItemResult], NotebookReport]:
    """Run one notebook against every task of its exercise (with ``background`` its worker
    ends after this returns: :meth:`NotebookReport.complete` waits for its stderr).
    ``static``: the static scan of the cells (:class:`~normcourse.grading.intake.Notebook`),
    made here when not given."""
    rep = NotebookReport(str(path.relative_to(root.parent)), ex.id)
    calls = [(t.check.function, list(t.args.values())) for t in ex.tasks]
    forbid = {f: v.wire() for f, v in ex.forbidden.items() if v}
    run = sb.run_notebook(box, root, cells, calls, limits, forbid, background)
    rep.cells = run.cells
    rep.stderr = run.stderr
    rep.run = run if background else None
    rep.problems += run.problems
    # The static scan: what the code of each graded function reaches names from the library.
    if static is None:
        static = static_scan(cells, ex.forbidden)
    outcomes = [sb.CallOutcome("delegated", value=static[t.check.function],
                               message=sb.delegation_message(static[t.check.function]))
                if static.get(t.check.function) else o
                for t, o in zip(ex.tasks, run.calls, strict=True)]
    for fname in ex.spec.functions:
        used = [n for t, o in zip(ex.tasks, outcomes, strict=True)
                if t.check.function == fname and o.status == "delegated" for n in o.value]
        if used:
            rep.problems.append(f"{fname} uses {', '.join(dict.fromkeys(used))} from the "
                                "library instead of its own code (delegation): its checks "
                                "score 0")
    items = {}
    for t, o in zip(ex.tasks, outcomes, strict=True):
        it = _item(ex, t, o)
        items[it.key] = it
        if o.status in ("timeout", "crashed", "protocol", "not-run"):
            rep.problems.append(f"check {t.check.name if not t.check.hidden else '(hidden)'}: "
                                f"{o.message}")
    for c in run.cells:
        if c.status != "ok":
            rep.problems.append(f"code cell {c.index + 1}: {c.status}: {c.error}")
    rep.score = sum(i.score for i in items.values())
    return items, rep


def grade_submission(
    sub: Submission,
    exercises: dict[str, Exercise],
    box: sb.Sandbox,
    limits: sb.Limits,
    others: Iterable[str] = (),
    background: bool = False,
    notebooks: list[Notebook] | None = None,
) -> StudentResult:
    """Grade one student; never raises (an internal error becomes a problem, score 0).

    ``exercises`` are the assignment; a notebook recognised as one of ``others`` (exercises
    outside the assignment) is reported and not graded. With ``background`` the last
    worker of each notebook ends after this returns (:meth:`StudentResult.complete`).
    ``notebooks``: the submission as :func:`~normcourse.grading.intake.read_submission`
    read it (read here when not given).
    """
    t0 = time.monotonic()
    res = StudentResult(sub.student, sub.slug, problems=list(sub.problems))
    best: dict[str, tuple[float, dict[str, ItemResult], NotebookReport]] = {}
    try:
        if notebooks is None:
            notebooks = read_submission(sub, exercises, others)
        for nb in notebooks:
            rel, path, ex_id = nb.rel, nb.path, nb.exercise
            if nb.problem:
                res.problems.append(f"{rel}: {nb.problem}")
                res.notebooks.append(NotebookReport(rel, None, problems=[nb.problem]))
                continue
            assert ex_id is not None
            items, rep = grade_notebook(path, sub.root, exercises[ex_id], nb.cells, box, limits,
                                        background, nb.static)
            res.notebooks.append(rep)
            res.problems += [f"{rel}: {p}" for p in rep.problems]
            if ex_id not in best or rep.score > best[ex_id][0]:
                if ex_id in best:
                    res.problems.append(
                        f"{ex_id}: several notebooks; kept the best one ({rel})")
                best[ex_id] = (rep.score, items, rep)
            else:
                res.problems.append(
                    f"{ex_id}: several notebooks; kept the best one ({best[ex_id][2].path})")
        for ex_id, ex in exercises.items():
            if ex_id in best:
                res.items.update(best[ex_id][1])
            else:
                res.items.update(_zero(ex, "no notebook for this exercise in the submission"))
    except Exception as exc:  # a grader bug must not lose the row
        res.problems.append(f"internal grader error: {type(exc).__name__}: {exc}")
        for ex in exercises.values():
            for k, v in _zero(ex, "not graded (internal grader error)").items():
                res.items.setdefault(k, v)
    res.seconds = time.monotonic() - t0
    return res


# ====================================================================== outputs


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``data`` to a temporary file next to ``path``, then ``os.replace`` it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _cell(text: str) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _g(x: float) -> str:
    return f"{x:g}"


def grades_csv(results: list[StudentResult], exercises: dict[str, Exercise]) -> str:
    """One row per student: every item, every exercise subtotal, total, max, notes."""
    keys = [f"{ex.id}/{t.check.name}" for ex in exercises.values() for t in ex.tasks]
    max_total = sum(ex.spec.max_points for ex in exercises.values())
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", *keys, *exercises, "total", "max", "notes"])
    for r in results:
        notes = "; ".join(dict.fromkeys(r.problems))
        w.writerow([
            _cell(r.student),
            *(_g(r.items[k].score) if k in r.items else "0" for k in keys),
            *(_g(r.exercise_score(e)) for e in exercises),
            _g(r.total),
            _g(max_total),
            _cell((notes[:500] + "…") if len(notes) > 500 else notes),
        ])
    return buf.getvalue()


# ====================================================================== the run


@dataclass
class GradeRun:
    """The outcome of :func:`grade`: per-student results and the exit code."""

    results: list[StudentResult]
    exercises: dict[str, Exercise]
    sandbox: str
    out: Path
    seconds: float = 0.0
    reused: int = 0  # submissions unchanged since an earlier run into ``out``: not re-run
    gradebook: list[StudentResult] = field(default_factory=list)  # every row of grades.csv
    lms: Path | None = None  # the LMS import file, with a roster
    unmatched: list[str] = field(default_factory=list)  # submissions on no roster entry
    similarity: Any = None  # the similarity report (grading.similarity), when asked for

    @property
    def exit_code(self) -> int:
        """0 when every submission was graded without problems, 1 otherwise."""
        return 1 if self.unmatched or any(r.problems for r in self.results) else 0

    def by_student(self) -> dict[str, StudentResult]:
        """Results keyed by student name."""
        return {r.student: r for r in self.results}


class _ReadAhead:
    """The next submissions read and scanned (:func:`read_submission`) in a thread of
    their own while the sandboxed workers run the current ones, ``depth`` ahead."""

    def __init__(self, subs: list[Submission], exercises: dict[str, Exercise],
                 others: Sequence[str], depth: int) -> None:
        self.subs, self.exercises, self.others, self.depth = subs, exercises, others, depth
        self.pool = cf.ThreadPoolExecutor(max_workers=1)
        self.futures: dict[int, cf.Future[list[Notebook]]] = {}
        self.lock = threading.Lock()

    def take(self, i: int) -> list[Notebook] | None:
        """Submission ``i`` read (``None``: :func:`grade_submission` reads it and says what
        went wrong); the ones after it are started."""
        with self.lock:
            for k in range(i, min(i + self.depth + 1, len(self.subs))):
                if k not in self.futures:
                    self.futures[k] = self.pool.submit(read_submission, self.subs[k],
                                                       self.exercises, self.others)
            fut = self.futures.pop(i)
        try:
            return fut.result()
        except Exception:
            return None

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _check_paths(submissions: Path, out: Path, solutions: Path) -> None:
    s, o, sol = submissions.resolve(), out.resolve(), solutions.resolve()
    if o == s or s in o.parents:
        raise ValueError(f"--out {out} must not be inside the submissions folder {submissions}")
    if o == sol or sol in o.parents or o in sol.parents:
        raise ValueError(f"--out {out} must not contain or be inside the solutions folder")
    if s == sol or sol in s.parents or s in sol.parents:
        raise ValueError("the submissions folder must not overlap the solutions folder")


def grade(
    submissions: str | Path,
    out: str | Path,
    solutions: str | Path = "solutions",
    *,
    jobs: int = 1,
    limits: sb.Limits | None = None,
    sandbox: str = "auto",
    progress: bool = True,
    exercise_ids: Sequence[str] | None = None,
    secret: str | None = None,
    preflight: bool = True,
    roster: str | Path | None = None,
    lms_format: str | None = None,
    assignment: str | None = None,
    similarity: bool = False,
) -> GradeRun:
    """Grade every submission; write ``grades.csv``, feedback and ``results.json`` to ``out``.

    ``exercise_ids`` makes the run one assignment: only those exercises are graded, and the
    gradebook, every feedback file and results.json mention no other exercise (a notebook
    of another exercise is reported as not graded). Default: every exercise in
    ``solutions``. ``ValueError`` for bad arguments (missing folders, overlapping paths,
    ``jobs`` < 1, an unknown exercise id, an invalid exercise spec); nothing a submission
    does raises.

    ``secret`` (a grading secret; default: the ``NORMCOURSE_GRADING_SECRET`` environment
    variable, else none, as for self-study) decides the hidden checks' inputs
    (:func:`~normcourse.grading.spec.derived_seed`). With ``preflight`` the reference
    solution of each exercise is graded first, in the same sandbox; if one does not earn
    full marks, :class:`~normcourse.grading.preflight.PreflightError` (a ``ValueError``)
    is raised before any student is graded.

    ``roster`` (a Canvas gradebook export, a Moodle grading worksheet or a CSV with an
    ``id`` column, see :mod:`~normcourse.grading.roster`) maps submissions to students and
    writes ``grades-<lms_format>.csv`` (default: the roster's kind) with one score column
    named ``assignment`` (default: the exercise title, or the ids joined by " + ").

    ``similarity`` also writes ``similarity.html`` and ``similarity.csv``: per exercise,
    the pairs of submissions whose graded code is most alike, and copies of the reference
    solution or of the library (:mod:`~normcourse.grading.similarity`).
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or not 1 <= jobs <= 64:
        raise ValueError(f"jobs must be an integer between 1 and 64, got {jobs!r}")
    submissions, out, solutions = Path(submissions), Path(out), Path(solutions)
    if not submissions.is_dir():
        raise ValueError(f"submissions folder not found: {submissions}")
    _check_paths(submissions, out, solutions)
    limits = limits or sb.Limits()
    # The sandbox's zygote starts (in its own process) while the checks are built.
    box = sb.Sandbox.detect(sandbox, probe=False)  # a zygote that starts is the probe
    box.launch_zygote(limits)
    starter = threading.Thread(target=box.confirm_zygote, args=(limits,), daemon=True)
    starter.start()
    try:
        t0 = time.monotonic()
        if secret is None:
            secret = os.environ.get(sp.SECRET_ENV) or None
        if secret is not None and (not isinstance(secret, str) or not secret.strip()):
            raise ValueError("secret must be a non-empty string (or None for self-study)")
        others: tuple[str, ...] = ()
        if exercise_ids is not None:
            if not Path(solutions).is_dir():
                raise ValueError(f"solutions folder not found: {solutions} (pass --solutions DIR)")
            known = known_exercise_ids(solutions)
            ids = list(dict.fromkeys(exercise_ids))
            unknown = [i for i in ids if i not in known]
            if not ids or unknown:
                raise ValueError(
                    f"unknown exercise id(s) {unknown or ids} for this assignment; the solutions "
                    f"folder has {known}"
                )
            others = tuple(i for i in known if i not in ids)
            loaded = load_exercises(solutions, secret, only=ids)  # only the assignment's checks
            exercises = {i: loaded[i] for i in ids}
        else:
            exercises = load_exercises(solutions, secret)
        subs = discover(submissions)
        matched = None
        if roster is not None:
            from normcourse.grading import roster as rs

            book = rs.read_roster(roster)
            lms_format = lms_format or book.kind
            if lms_format not in rs.FORMATS:
                raise ValueError(f"lms_format must be one of {rs.FORMATS}, got {lms_format!r}")
            workdir = Path(tempfile.mkdtemp(prefix="normcourse-roster-"))
            matched = rs.regroup(subs, book, workdir)
            subs = matched.submissions
        elif lms_format is not None:
            raise ValueError("lms_format needs a roster (--roster FILE)")
    except BaseException:
        starter.join()
        box.close()
        raise
    starter.join()  # one start for the run; each notebook still gets its own process
    try:
        box.settle()  # bubblewrap probed here when no zygote showed that it works
    except BaseException:
        box.close()
        raise
    note = box.describe()
    if box.zygote is not None:
        with contextlib.suppress(OSError, EOFError, ValueError):
            box.zygote.warm({f"{e}/{f}": v.wire() for e, ex in exercises.items()
                             for f, v in ex.forbidden.items() if v})
    drawer: Any = None  # the report's histogram, drawn by a process of its own
    ahead: _ReadAhead | None = None
    try:
        if preflight:
            from normcourse.grading.preflight import check_references

            check_references(exercises, box, limits, jobs)
        out.mkdir(parents=True, exist_ok=True)
        from normcourse.grading import store as st

        context = st.run_context(exercises, secret, limits)
        kept = st.Store(out, exercises, context)
        keys = {s.slug: st.submission_key(s, context) for s in subs}
        todo = [s for s in subs if kept.cached(s.slug, keys[s.slug]) is None]
        results: list[StudentResult] = [kept.cached(s.slug, keys[s.slug]) for s in subs
                                        if s not in todo]
        from normcourse.grading import report

        # matplotlib is imported in a process of its own while the workers run — unless
        # there is little to overlap with, or this process has imported it already
        drawer = (report.Histogram() if len(todo) >= 8 and "matplotlib.pyplot" not in
                  sys.modules else None)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(todo), unit="submission", desc="grading")
        ahead = _ReadAhead(todo, exercises, others, jobs)
        with cf.ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(lambda i: grade_submission(
                todo[i], exercises, box, limits, others, True, ahead.take(i)), i): todo[i]
                for i in range(len(todo))}
            for fut in cf.as_completed(futures):
                s = futures[fut]
                try:
                    r = fut.result()
                except Exception as exc:  # pragma: no cover - grade_submission never raises
                    r = StudentResult(s.student, s.slug, problems=[f"internal error: {exc}"])
                    for ex in exercises.values():
                        r.items.update(_zero(ex, "not graded (internal grader error)"))
                r.complete()  # its workers, ending in the background, have ended
                results.append(r)
                kept.put(keys[s.slug], r)
                atomic_write(out / r.slug / "feedback.md", feedback_md(r, exercises, note))
                atomic_write(out / r.slug / "results.json", results_json(r, exercises, note))
                log = [f"# {r.student}: {note}"] + [
                    f"## {n.path}\n{n.stderr}" for n in r.notebooks if n.stderr
                ]
                atomic_write(out / "_logs" / f"{r.slug}.txt", "\n".join(log) + "\n")
                if bar is not None:
                    bar.update(1)
    except BaseException:
        if drawer is not None:
            drawer.close()
        raise
    finally:
        if ahead is not None:
            ahead.close()
        box.close()
    if bar is not None:
        bar.close()
    results.sort(key=lambda r: r.student)
    everyone = kept.finish()  # this run's results and the kept rows of earlier runs
    st.keep_dated_copy(out)
    atomic_write(out / "grades.csv", grades_csv(everyone, exercises))
    report.write_report(out, everyone, exercises, drawer)
    run = GradeRun(results, exercises, note, out, time.monotonic() - t0,
                   reused=len(subs) - len(todo), gradebook=everyone)
    if similarity:
        from normcourse.grading import similarity as sim

        run.similarity = sim.write_report(subs, exercises, out, progress=progress)
    if matched is not None:
        name = assignment or (next(iter(exercises.values())).spec.title if len(exercises) == 1
                              else " + ".join(exercises))
        points = sum(ex.spec.max_points for ex in exercises.values())
        run.lms = rs.write_lms(out, book, lms_format, name, points, everyone)
        run.unmatched = matched.unmatched
        shutil.rmtree(workdir, ignore_errors=True)
    return run
