"""Grading throughput. First, against nbgrader: the same 30 submissions of
ex-soft-threshold graded by our grader (``jobs=1`` and ``jobs=2``) and by
``nbgrader autograde`` in the same run, with the ratio nbgrader / ours. Then 30 generated
submissions of the full exercise set, ``--jobs 2``, and every exercise's reference graded
alone on one worker (seconds per notebook).

Against nbgrader (``bench/nbgrader_baseline.py`` builds the nbgrader course): the workload
is 22 right, 5 wrong (5 declared mistakes) and 3 crashing (``os._exit(1)``) submissions.
Ours is timed twice: as a fresh ``normcourse grade --jobs 1`` process (its start-up, the
spec, the sandbox, the preflight and the report included: the headline ratio, since
nbgrader's is the wall time of the ``nbgrader autograde`` command, its own start-up
included), and as the ``grader.grade(...)`` call in this process (``jobs=1`` and ``2``). Both must
grade every submission alike (right: full marks, crashing: 0, wrong: less than full), and
they must agree on every student's score — otherwise the comparison is not honest.

The submissions cycle through three kinds — ``correct`` (the reference solutions),
``wrong`` (the unsolved exercise notebooks: every function raises NotImplementedError)
and ``crashing`` (every function calls ``os._exit(1)``, so each check kills the sandboxed
worker and the grader restarts it for the next one) — so the figure covers the normal
path and the restart path. Prints seconds per submission and per graded item (one item =
one check of one submission). The second part grades REPEATS copies of each exercise's
reference on one worker and prints seconds per notebook for each exercise, for the whole
notebook (its demonstration cells included: those that import torch or scikit-learn pay for
it in every sandboxed worker) and for its answer cells alone (the grader's own cost).

Run:  .venv/bin/python bench/grading.py [N_SUBMISSIONS] [--only-nbgrader | --no-nbgrader]
(plain script, not a test; N_SUBMISSIONS is for the full-set part; --only-nbgrader runs the
comparison with nbgrader alone, about two minutes on 2 cores)
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nbgrader_baseline import EXERCISE as NB_EXERCISE
from nbgrader_baseline import autograde, check_nbgrader, check_scores, make_workload

from normcourse.grading import grader
from normcourse.grading.sandbox import Limits

ROOT = Path(__file__).resolve().parents[1]
_FLAGS = {a for a in sys.argv[1:] if a.startswith("--")}
_POSITIONAL = [a for a in sys.argv[1:] if not a.startswith("--")]
N_SUBMISSIONS = int(_POSITIONAL[0]) if _POSITIONAL else 30
JOBS = 2
REPEATS = 3
CRASH = 'import os\n    os._exit(1)  # the sandboxed process dies on every call'


def make_submissions(folder: Path) -> dict[str, str]:
    """Write N_SUBMISSIONS student folders; return student -> kind."""
    kinds = {}
    for i in range(N_SUBMISSIONS):
        kind = ("correct", "wrong", "crashing")[i % 3]
        student = folder / f"student{i:02d}-{kind}"
        student.mkdir()
        source = ROOT / ("solutions" if kind == "correct" else "exercises")
        for nb in sorted(source.glob("*.md")):
            text = nb.read_text()
            if kind == "crashing":
                text = re.sub(r'raise NotImplementedError\("[^"]*"\)', CRASH, text)
            (student / nb.name).write_text(text)
        kinds[student.name] = kind
    return kinds


def answers_only(solution: Path) -> str:
    """The solution notebook reduced to its setup and answer cells (no demonstrations)."""
    import jupytext

    from normcourse.grading import spec

    nb = jupytext.read(solution)
    keep = [c for c in nb.cells if c.cell_type == "code" and (
        "setup" in c.metadata.get("tags", []) or spec.has_solution(c.source))]
    body = "\n\n".join(f"```{{code-cell}} ipython3\n{c.source}\n```" for c in keep)
    return f"---\nexercise: {{id: {solution.stem}}}\n---\n\n{body}\n"


def per_exercise(tmp: Path) -> int:
    """Each exercise's reference, REPEATS times, graded alone on one worker: the whole
    notebook (demonstrations included) and its answer cells only."""
    print(f"one worker, {REPEATS} notebooks per exercise (s per notebook):")
    print(f"  {'exercise':28s} {'full':>7s} {'answers':>8s}")
    for sol in sorted((ROOT / "solutions").glob("*.md")):
        times = []
        for kind in ("full", "answers"):
            folder = tmp / sol.stem / kind
            (folder / "solutions").mkdir(parents=True)
            shutil.copy(sol, folder / "solutions")
            subs = folder / "submissions"
            for k in range(REPEATS):
                (subs / f"s{k}").mkdir(parents=True)
                text = sol.read_text() if kind == "full" else answers_only(sol)
                (subs / f"s{k}" / sol.name).write_text(text)
            run = grader.grade(subs, folder / "out", folder / "solutions", jobs=1,
                               progress=False)
            if not all(r.total == run.exercises[sol.stem].spec.max_points
                       for r in run.results):
                print(f"  {sol.stem}: WRONG SCORE ({kind})", file=sys.stderr)
                return 1
            times.append(sum(r.seconds for r in run.results) / REPEATS)
        print(f"  {sol.stem:28s} {times[0]:7.3f} {times[1]:8.3f}")
    return 0


def _per_kind(seconds: dict[str, float], kinds: dict[str, str], count: dict[str, int]) -> str:
    """Mean seconds per submission of each kind, e.g. ``right 0.06; wrong 0.06; …``."""
    return "; ".join(f"{k} {sum(t for s, t in seconds.items() if kinds[s] == k) / c:.2f}"
                     for k, c in count.items())


def against_nbgrader(tmp: Path) -> int:
    """W (22 right, 5 wrong, 3 crashing submissions of NB_EXERCISE) graded by our grader,
    ``jobs=1`` and ``jobs=2``, and by ``nbgrader autograde``; prints the seconds and the
    ratios nbgrader / ours; 1 when the two do not grade alike."""
    subs = tmp / "submissions"
    kinds = make_workload(subs)
    n = len(kinds)
    count = {k: list(kinds.values()).count(k) for k in ("right", "wrong", "crashing")}
    solutions = ROOT / "solutions"
    print(f"against nbgrader: {n} submissions of {NB_EXERCISE} "
          f"({', '.join(f'{c} {k}' for k, c in count.items())})")
    # ours as an instructor runs it: a fresh `normcourse grade` process, start-up included
    t0 = time.perf_counter()
    proc = subprocess.run([str(Path(sys.executable).with_name("normcourse")), "grade",
                           str(subs), "--out", str(tmp / "out-cli"), "--exercise", NB_EXERCISE,
                           "--jobs", "1", "--no-progress"], capture_output=True, text=True)
    cli = time.perf_counter() - t0
    if proc.returncode not in (0, 1):  # 1: some submissions had problems (the crashing ones)
        print(proc.stdout + proc.stderr, file=sys.stderr)
        return 1
    print(f"  ours, a fresh `normcourse grade --jobs 1` process: {cli:6.1f} s wall "
          f"(interpreter, imports, spec, sandbox start, preflight, report included)")
    ours: dict[int, float] = {}
    scores: dict[int, dict[str, float]] = {}
    for jobs in (1, 2):
        t0 = time.perf_counter()
        run = grader.grade(subs, tmp / f"out-jobs{jobs}", solutions, jobs=jobs, progress=False,
                           exercise_ids=[NB_EXERCISE])
        ours[jobs] = time.perf_counter() - t0
        if run.reused:
            print(f"  jobs={jobs}: {run.reused} results reused, not graded", file=sys.stderr)
            return 1
        full = run.exercises[NB_EXERCISE].spec.max_points
        if jobs == 1:
            first = run
        scores[jobs] = {r.student: r.total for r in run.results}
        check_scores(scores[jobs], full, kinds, f"our grader (jobs={jobs})")
        per_kind = _per_kind({r.student: r.seconds for r in run.results}, kinds, count)
        print(f"  ours, jobs={jobs}:  {ours[jobs]:6.1f} s wall, {ours[jobs] / n:.3f} s per "
              f"submission (one worker's s per submission: {per_kind}); sandbox: "
              f"{run.sandbox.split(' (')[0]}")
    nb = autograde(subs, NB_EXERCISE, solutions, tmp / "nbgrader")
    check_nbgrader(nb, kinds)
    per_kind = _per_kind(nb.per_student, kinds, count)
    print(f"  nbgrader autograde: {nb.seconds:6.1f} s wall, {nb.seconds / n:.3f} s per "
          f"submission (s per submission: {per_kind}; start-up {nb.startup:.1f} s); serial, "
          f"one kernel per notebook; failed (kernel died): {len(nb.failed)}")
    print(f"  ratio nbgrader / ours, one worker, fresh processes both: {nb.seconds / cli:.1f}")
    # throughput of a large class: seconds per submission once both are running (nbgrader's
    # from its log, start-up excluded; ours one worker's seconds per submission)
    ours_each = sum(r.seconds for r in first.results) / n
    nb_each = sum(nb.per_student.values()) / len(nb.per_student)
    print(f"  ratio nbgrader / ours per submission, one worker, start-ups excluded: "
          f"{nb_each / ours_each:.1f} ({nb_each:.3f} s against {ours_each:.3f} s)")
    for jobs in (1, 2):
        print(f"  ratio nbgrader / ours, jobs={jobs}, our grade() call in this process: "
              f"{nb.seconds / ours[jobs]:.1f}")
    differ = {s: (scores[1][s], scores[2][s], nb.scores[s]) for s in kinds
              if not scores[1][s] == scores[2][s] == nb.scores[s]}
    wrong = ", ".join(f"{s.split('-', 2)[-1]} {nb.scores[s]:g}"
                      for s, k in kinds.items() if k == "wrong")
    print(f"  scores: right {nb.max_score:g}/{nb.max_score:g}, crashing 0, wrong ({wrong}): "
          + ("the same for every student in all three runs" if not differ
             else f"DIFFERENT (ours jobs=1, jobs=2, nbgrader): {differ}"))
    return 1 if differ else 0


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    try:
        if "--no-nbgrader" not in _FLAGS:
            status = against_nbgrader(tmp / "nbgrader")
            if status or "--only-nbgrader" in _FLAGS:
                return status
            print()
        subs, out = tmp / "submissions", tmp / "out"
        subs.mkdir()
        kinds = make_submissions(subs)
        t0 = time.perf_counter()
        run = grader.grade(subs, out, ROOT / "solutions", jobs=JOBS, progress=False,
                           limits=Limits(timeout=10.0, cell_timeout=30.0))
        wall = time.perf_counter() - t0
        n_items = sum(len(r.items) for r in run.results)
        print(f"sandbox: {run.sandbox}")
        n_ex = len(run.exercises)
        print(f"{len(run.results)} submissions x {n_ex} notebooks, {n_items} items, "
              f"--jobs {JOBS}: {wall:.1f} s wall, "
              f"{wall / (len(run.results) * n_ex):.3f} s per notebook")
        print(f"  {wall / len(run.results):.3f} s per submission, "
              f"{1000 * wall / n_items:.1f} ms per item (wall clock, {JOBS} workers)")
        for kind in ("correct", "wrong", "crashing"):
            rs = [r for r in run.results if kinds[r.student] == kind]
            per_sub = sum(r.seconds for r in rs) / len(rs)
            per_item = sum(r.seconds for r in rs) / sum(len(r.items) for r in rs)
            scores = sorted({r.total for r in rs})
            print(f"  {kind:9s} {per_sub:6.3f} s per submission, {1000 * per_item:6.1f} ms per "
                  f"item (one worker), scores {scores}")
        full = sum(e.spec.max_points for e in run.exercises.values())
        expected = {"correct": full, "wrong": 0.0, "crashing": 0.0}
        bad = [r.student for r in run.results if r.total != expected[kinds[r.student]]]
        if bad:
            print(f"unexpected scores for {bad}", file=sys.stderr)
            return 1
        return per_exercise(tmp / "alone")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
