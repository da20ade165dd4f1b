"""Grading throughput: 30 generated submissions of the full exercise set, ``--jobs 2``,
then every exercise's reference graded alone on one worker (seconds per notebook).

The submissions cycle through three kinds — ``correct`` (the reference solutions),
``wrong`` (the unsolved exercise notebooks: every function raises NotImplementedError)
and ``crashing`` (every function calls ``os._exit(1)``, so each check kills the sandboxed
worker and the grader restarts it for the next one) — so the figure covers the normal
path and the restart path. Prints seconds per submission and per graded item (one item =
one check of one submission). The second part grades REPEATS copies of each exercise's
reference on one worker and prints seconds per notebook for each exercise, for the whole
notebook (its demonstration cells included: those that import torch or scikit-learn pay for
it in every sandboxed worker) and for its answer cells alone (the grader's own cost).

Run:  .venv/bin/python bench/grading.py [N_SUBMISSIONS]   (plain script, not a test)
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from normcourse.grading import grader
from normcourse.grading.sandbox import Limits

ROOT = Path(__file__).resolve().parents[1]
N_SUBMISSIONS = int(sys.argv[1]) if len(sys.argv) > 1 else 30
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


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    try:
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
