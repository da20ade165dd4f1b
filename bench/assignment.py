"""One assignment for a class: N Canvas-named submissions of one exercise, with a roster,
a grading secret and the preflight, as an instructor runs it — then the same folder again
(every result reused) and one student re-graded (the rest merged).

Prints the wall time of each run, seconds per submission, and the ratios of the re-runs
to the first run, measured in the same process.

Run:  .venv/bin/python bench/assignment.py [N_SUBMISSIONS] [EXERCISE]   (default 300, ex-ridge-svd)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from normcourse.grading import grader

ROOT = Path(__file__).resolve().parents[1]
N = int(sys.argv[1]) if len(sys.argv) > 1 else 300
EXERCISE = sys.argv[2] if len(sys.argv) > 2 else "ex-ridge-svd"
JOBS = 2


def make_class(folder: Path) -> Path:
    """N submissions in Canvas's flat download layout (2/3 right, 1/3 the unsolved stub) and
    the Canvas roster; returns the roster's path."""
    import jupytext

    from normcourse.grading import audit
    from normcourse.grading import spec as sp

    ex, nb = sp.load_solution(ROOT / "solutions" / f"{EXERCISE}.md")
    right = jupytext.writes(audit.submission_notebook(ex, nb, None), fmt="md:myst")
    stub = (ROOT / "exercises" / f"{EXERCISE}.md").read_text()
    subs = folder / "subs"
    subs.mkdir()
    rows = ["Student,ID,SIS User ID,SIS Login ID,Section"]
    for i in range(N):
        uid = 10000 + i
        late = "LATE_" if i % 10 == 0 else ""
        name = f"student{i:03d}_{late}{uid}_{50000 + i}_{EXERCISE}.md"
        (subs / name).write_text(right if i % 3 else stub)
        rows.append(f'"Student, {i:03d}",{uid},S{uid},s{uid},Sec {i % 4}')
    roster = folder / "roster.csv"
    roster.write_text("\n".join(rows) + "\n")
    return roster


def timed(**kw: object) -> tuple[float, grader.GradeRun]:
    t0 = time.perf_counter()
    run = grader.grade(jobs=JOBS, progress=False, secret="bench-secret",
                       exercise_ids=[EXERCISE], solutions=ROOT / "solutions", **kw)
    return time.perf_counter() - t0, run


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_p = Path(tmp)
        roster = make_class(tmp_p)
        out = tmp_p / "out"
        first, run = timed(submissions=tmp_p / "subs", out=out, roster=roster)
        assert run.lms is not None and len(run.gradebook) == N
        again, run2 = timed(submissions=tmp_p / "subs", out=out, roster=roster)
        assert run2.reused == N, run2.reused
        one = tmp_p / "one"
        one.mkdir()
        src = next((tmp_p / "subs").glob(f"student001_*_{EXERCISE}.md"))
        (one / src.name).write_text(src.read_text() + "\n")  # changed: graded again
        single, run3 = timed(submissions=one, out=out, roster=roster)
        assert run3.reused == 0 and len(run3.gradebook) == N
    print(f"{EXERCISE}: {N} Canvas-named submissions, roster, secret, preflight, jobs={JOBS}")
    print(f"  first run        {first:7.1f} s   {first / N:.3f} s/submission")
    print(f"  same folder      {again:7.1f} s   ratio to first {again / first:.3f} "
          f"(all {N} reused)")
    print(f"  one re-graded    {single:7.1f} s   ratio to first {single / first:.3f} "
          f"({N - 1} rows merged)")


if __name__ == "__main__":
    main()
