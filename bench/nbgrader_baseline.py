"""The baseline for ``bench/grading.py``: the same submissions graded by ``nbgrader autograde``.

The workload W (:func:`make_workload`) is 30 submissions of one exercise, written as student
folders of MyST ``.md`` notebooks — our grader's input: 22 right (the solution notebook, its
``solution-only`` cells dropped, as :func:`normcourse.grading.audit.submission_notebook` hands
it in), 5 wrong (5 distinct declared mistakes of the solution, applied the same way) and 3
crashing (the released exercise with every graded function calling ``os._exit(1)``, made as
``bench/grading.py`` makes its crashing submissions).

:func:`autograde` builds an nbgrader 0.9 course from ``solutions/<id>.md`` that grades
exactly what our grader grades:

* the source notebook is the solution notebook (``solution-only`` cells dropped), every cell
  holding ``### BEGIN SOLUTION`` made an *autograded answer* cell, followed by one
  *autograder test* cell (``grade: true``, locked, the check's points) per check of the
  exercise, public and hidden (the hidden ones inside ``### BEGIN HIDDEN TESTS``, so the
  released notebook does not show them). A test cell calls the student's function on the
  check's concrete inputs and compares with the expected answer — both as our grader
  computes them (:func:`normcourse.grading.grader.load_exercises`), embedded bit for bit
  (arrays as base64 ``.npy``, numbers by ``repr``) — with a port of the check's comparator
  (:mod:`normcourse.grading.compare`): ``allclose`` is ``np.allclose`` with the check's
  ``rtol``/``atol`` after the same structure, finiteness and shape tests, plus the exact
  zeros when the check asks for them; ``support`` and ``indices`` likewise;
* ``nbgrader generate_assignment`` releases it; each student's notebook is converted to
  ``.ipynb`` (jupytext), the released notebook's nbgrader metadata grafted onto its code
  cells (matched in order: students keep the released cell order) and the released test
  cells inserted where the release has them; then ``nbgrader autograde <id> --force`` runs
  with default settings (serial, one kernel per notebook, ``ExecutePreprocessor.timeout``
  30 s) in a subprocess whose Jupyter paths all point into the work folder, with a
  ``python3`` kernel spec that starts this interpreter (the project's ``.venv``); only that
  command is timed, and the scores are read from ``gradebook.db``.

Run alone:  .venv/bin/python bench/nbgrader_baseline.py   (prints nbgrader's time and scores)
"""

from __future__ import annotations

import ast
import base64
import copy
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from normcourse.grading import spec as sp

ROOT = Path(__file__).resolve().parents[1]
EXERCISE = "ex-soft-threshold"
N_RIGHT, N_WRONG, N_CRASHING = 22, 5, 3
CRASH = 'import os\n    os._exit(1)  # the sandboxed process dies on every call'
CELL_TIMEOUT = 30  # seconds, nbgrader's ExecutePreprocessor.timeout (its default too)
COURSE = "normcourse-bench"
_FAILED = re.compile(r"There was an error processing assignment '([^']*)' for student '([^']*)'")
# nbgrader's log format with a time stamp (to split the run per student; nothing else changes)
LOG_FORMAT = ("%(color)s[%(name)s | %(levelname)s | %(asctime)s.%(msecs)03d]%(end_color)s "
              "%(message)s")
_STAMP = re.compile(r"^\[AutogradeApp \| \w+ \| (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\] (.*)$",
                    re.M)
_STUDENT = re.compile(r"Creating/updating student with ID '([^']*)'")


# ====================================================================== the workload


def _mistakes(ex: sp.ExerciseSpec, n: int) -> list[sp.MistakeSpec]:
    """``n`` distinct declared mistakes, taken round-robin over the graded functions."""
    by_fn = [[m for m in ex.mistakes if m.function == f] for f in ex.functions]
    out: list[sp.MistakeSpec] = []
    while len(out) < n and any(by_fn):
        for ms in by_fn:
            if ms and len(out) < n:
                out.append(ms.pop(0))
    if len(out) < n:
        raise ValueError(f"{ex.id} declares {len(out)} mistakes, {n} are needed")
    return out


def make_workload(
    folder: Path, exercise_id: str = EXERCISE, solutions: Path = ROOT / "solutions"
) -> dict[str, str]:
    """Write W — 22 right, 5 wrong, 3 crashing submissions of ``exercise_id`` — as student
    folders of MyST notebooks under ``folder``; return student -> kind (right, wrong,
    crashing). The kinds are interleaved so that no worker gets all the crashes."""
    import jupytext

    from normcourse.grading import audit

    ex, nb = sp.load_solution(Path(solutions) / f"{exercise_id}.md")
    stub = (ROOT / "exercises" / f"{exercise_id}.md").read_text(encoding="utf-8")
    crashing = re.sub(r'raise NotImplementedError\("[^"]*"\)', CRASH, stub)
    if crashing == stub:
        raise ValueError(f"exercises/{exercise_id}.md has no raise NotImplementedError(...)")
    wrong = iter(_mistakes(ex, N_WRONG))
    n = N_RIGHT + N_WRONG + N_CRASHING
    kinds: dict[str, str] = {}
    for i in range(n):
        if i % 10 == 5:
            kind, name, text = "crashing", f"s{i:02d}-crashing", crashing
        elif i % 6 == 2:
            m = next(wrong)
            kind, name = "wrong", f"s{i:02d}-wrong-{m.name}"
            text = jupytext.writes(audit.submission_notebook(ex, nb, m), fmt="md:myst")
        else:
            kind, name = "right", f"s{i:02d}-right"
            text = jupytext.writes(audit.submission_notebook(ex, nb, None), fmt="md:myst")
        (folder / name).mkdir(parents=True)
        (folder / name / f"{exercise_id}.md").write_text(text, encoding="utf-8")
        kinds[name] = kind
    counts = {k: list(kinds.values()).count(k) for k in ("right", "wrong", "crashing")}
    if counts != {"right": N_RIGHT, "wrong": N_WRONG, "crashing": N_CRASHING}:
        raise AssertionError(f"workload has {counts}")
    return kinds


def check_scores(
    scores: dict[str, float], max_score: float, kinds: dict[str, str], who: str
) -> None:
    """Right submissions get full marks, crashing ones 0, wrong ones less than full;
    ``AssertionError`` listing every submission that does not."""
    bad = []
    for student, kind in kinds.items():
        s = scores.get(student)
        ok = s is not None and (
            s == max_score if kind == "right" else s == 0.0 if kind == "crashing"
            else s < max_score)
        if not ok:
            bad.append(f"{student} ({kind}): {s}/{max_score:g}")
    if bad:
        raise AssertionError(f"{who} does not grade as expected: " + "; ".join(bad))


def check_nbgrader(run: NbgraderRun, kinds: dict[str, str]) -> None:
    """:func:`check_scores` for nbgrader's run, and: nbgrader failed exactly the crashing
    submissions, and every cell of the right ones ran without an error (which also shows
    that the kernel is the project's interpreter: the notebooks import ``normcourse``)."""
    check_scores(run.scores, run.max_score, kinds, "nbgrader")
    crashing = sorted(s for s, k in kinds.items() if k == "crashing")
    if run.failed != crashing:
        raise AssertionError(f"nbgrader failed {run.failed}, expected {crashing}")
    noisy = {s: e for s, e in run.errors.items() if kinds[s] == "right" and e}
    if noisy:
        raise AssertionError(f"cells of right submissions raised under nbgrader: {noisy}")


# ====================================================================== test cells


def _npy(a: np.ndarray) -> str:
    """An array as a base64 ``.npy`` string (exact: dtype, shape and every bit kept)."""
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(a), allow_pickle=False)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _literal(v: Any) -> str:
    """Python source rebuilding the plain value ``v`` exactly inside a test cell."""
    if isinstance(v, np.ndarray):
        return f'_nbg_npy("{_npy(v)}")'
    if v is None or isinstance(v, bool | int):
        return repr(v)
    if isinstance(v, float):
        return repr(v) if np.isfinite(v) else f"float({str(v)!r})"
    if isinstance(v, tuple | list):
        items = ", ".join(_literal(x) for x in v)
        return f"({items},)" if isinstance(v, tuple) else f"[{items}]"
    raise ValueError(f"no test-cell literal for a {type(v).__name__}")


_DECODE = '''\
import base64 as _nbg_b64
import io as _nbg_io

import numpy as np


def _nbg_npy(s):
    return np.load(_nbg_io.BytesIO(_nbg_b64.b64decode(s)), allow_pickle=False)


def _nbg_numeric(got):
    """As compare._numeric: a finite float array, else the test fails."""
    assert got is not None, "returned None"
    assert not isinstance(got, (str, dict)), "not a number or array"
    got = np.asarray(got, dtype=np.float64)
    assert np.all(np.isfinite(got)), "contains NaN or inf"
    return got
'''

# Ports of normcourse.grading.compare's judges, each defining _nbg_judge(got, exp, **params).
_JUDGES = {
    "allclose": '''

def _nbg_judge(got, exp, rtol, atol, exact_zeros):
    """As compare.AllClose: structure, shape, |got - exp| <= atol + rtol*|exp|, zeros."""
    if isinstance(exp, (tuple, list)):
        assert isinstance(got, (tuple, list)), "wrong type"
        assert len(got) == len(exp), "wrong length"
        for g, e in zip(got, exp):
            _nbg_judge(g, e, rtol, atol, exact_zeros)
        return
    got = _nbg_numeric(got)
    exp = np.asarray(exp, dtype=np.float64)
    assert got.shape == exp.shape, "wrong shape"
    assert np.allclose(got, exp, rtol=rtol, atol=atol), "wrong values"
    if exact_zeros:
        assert np.all(got[exp == 0] == 0), "zeros are not exact"
''',
    "support": '''

def _nbg_judge(got, exp):
    """As compare.Support: same shape, same exact zeros (rows of a matrix)."""
    got = _nbg_numeric(got)
    exp = np.asarray(exp, dtype=np.float64)
    assert got.shape == exp.shape, "wrong shape"
    if exp.ndim == 2:
        gs, es = np.any(got != 0, axis=1), np.any(exp != 0, axis=1)
    else:
        gs, es = got != 0, exp != 0
    assert np.array_equal(gs, es), "wrong set of nonzeros"
''',
    "indices": '''

def _nbg_judge(got, exp):
    """As compare.Indices: the same set of integer indices."""
    flat = _nbg_numeric(got).ravel()
    assert not flat.size or np.all(flat == np.round(flat)), "not integer indices"
    assert {int(x) for x in flat} == {int(x) for x in np.asarray(exp).ravel()}, "wrong indices"
''',
}
_ALLCLOSE_DEFAULTS = {"rtol": 1e-7, "atol": 1e-9, "exact_zeros": False}  # compare.AllClose


def test_source(task: sp.Task) -> str:
    """The source of the nbgrader test cell of one check: the student's function called on
    the check's inputs, judged against the expected answer as strictly as our grader."""
    c = task.check
    if c.compare not in _JUDGES:
        raise ValueError(f"check {c.name}: no nbgrader port of the {c.compare!r} comparator")
    params = {**_ALLCLOSE_DEFAULTS, **c.params} if c.compare == "allclose" else {}
    args = ", ".join(_literal(v) for v in task.args.values())
    body = (f"# check {c.name} ({c.visibility}, points: {c.points:g}): {c.call}, "
            f"compare: {c.compare} {params or ''}\n"
            + _DECODE + _JUDGES[c.compare] + f"\n\n_nbg_judge({c.function}({args}), "
            f"{_literal(task.expected)}{''.join(f', {k}={v!r}' for k, v in params.items())})\n")
    if c.hidden:
        body = f"### BEGIN HIDDEN TESTS\n{body}### END HIDDEN TESTS\n"
    return body


# ====================================================================== the course


def _defined(source: str) -> list[str]:
    """Names of the functions a cell defines at top level ([] when it does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [s.name for s in tree.body if isinstance(s, ast.FunctionDef)]


def source_notebook(solution: Path, tasks: list[sp.Task]) -> Any:
    """The nbgrader source notebook: the solution without its ``solution-only`` cells, its
    solution cells marked as autograded answers, then one test cell per check."""
    import jupytext
    import nbformat

    nb = jupytext.read(solution)
    nb.cells = [c for c in nb.cells
                if "solution-only" not in c.get("metadata", {}).get("tags", [])]
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and sp.has_solution(cell.source):
            names = _defined(cell.source)
            cell.metadata["nbgrader"] = {
                "grade": False, "solution": True, "locked": False, "task": False,
                "grade_id": f"answer-{names[0] if names else i}", "schema_version": 3}
    for t in tasks:
        cell = nbformat.v4.new_code_cell(test_source(t))
        cell.metadata["nbgrader"] = {
            "grade": True, "solution": False, "locked": True, "task": False,
            "grade_id": f"test-{t.check.name}", "points": float(t.check.points),
            "schema_version": 3}
        nb.cells.append(cell)
    return nb


def _is_test(cell: Any) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def graft(student: Any, release: Any) -> Any:
    """The student's notebook as nbgrader expects it: the released notebook's nbgrader
    metadata on the student's code cells (matched in order) and the released test cells
    inserted where the release has them. ``ValueError`` when the cells do not line up."""
    import nbformat

    anchors: list[tuple[Any, list[Any]]] = []  # non-test code cell, test cells after it
    leading: list[Any] = []
    for cell in release.cells:
        if cell.cell_type != "code":
            continue
        if _is_test(cell):
            (anchors[-1][1] if anchors else leading).append(cell)
        else:
            anchors.append((cell, []))
    code = [c for c in student.cells if c.cell_type == "code"]
    if len(code) != len(anchors):
        raise ValueError(f"the student's notebook has {len(code)} code cells, the release "
                         f"{len(anchors)} (besides its test cells): cannot match them")
    out = nbformat.v4.new_notebook()
    out.metadata = copy.deepcopy(student.metadata)
    out.metadata["kernelspec"] = copy.deepcopy(release.metadata["kernelspec"])
    out.cells = [copy.deepcopy(c) for c in leading]
    k = 0
    for cell in student.cells:
        cell = copy.deepcopy(cell)
        out.cells.append(cell)
        if cell.cell_type != "code":
            continue
        anchor, tests = anchors[k]
        k += 1
        if "nbgrader" in anchor.metadata:
            want, got = _defined(anchor.source), _defined(cell.source)
            if want and got and want != got:
                raise ValueError(f"code cell {k} defines {got}, the released one {want}")
            cell.metadata["nbgrader"] = copy.deepcopy(anchor.metadata["nbgrader"])
        out.cells += [copy.deepcopy(t) for t in tests]
    for i, cell in enumerate(out.cells):  # unique cell ids (a deep copy keeps the release's)
        cell["id"] = f"cell-{i}"
    return out


def _student_notebook(folder: Path, exercise_id: str) -> Path:
    """The submitted notebook of ``exercise_id`` in a student's folder."""
    found = sorted(p for p in folder.iterdir()
                   if p.suffix in (".md", ".ipynb") and exercise_id in p.name)
    if len(found) != 1:
        raise ValueError(f"{folder}: expected one {exercise_id} notebook, found {found}")
    return found[0]


def _read(path: Path) -> Any:
    import jupytext

    fmt = "ipynb" if path.suffix == ".ipynb" else "md:myst"
    return jupytext.reads(path.read_text(encoding="utf-8"), fmt=fmt)


@dataclass
class NbgraderRun:
    """One ``nbgrader autograde`` run: its wall time, per-student scores, the maximum."""

    seconds: float  # wall time of the `nbgrader autograde` command only
    scores: dict[str, float]
    max_score: float
    failed: list[str] = field(default_factory=list)  # students nbgrader could not autograde
    returncode: int = 0
    log: Path | None = None
    per_student: dict[str, float] = field(default_factory=dict)  # seconds, from the log
    startup: float = 0.0  # seconds from the command's start to its first student
    errors: dict[str, list[str]] = field(default_factory=dict)  # non-test cells that raised


def _environment(workdir: Path) -> dict[str, str]:
    """Environment for the nbgrader commands: every Jupyter/IPython path inside
    ``workdir`` (the user's own configuration is neither read nor written) and a
    ``python3`` kernel spec that starts this interpreter."""
    data = workdir / "jupyter-data"
    spec_dir = data / "kernels" / "python3"
    spec_dir.mkdir(parents=True, exist_ok=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (normcourse .venv)", "language": "python"}, indent=1))
    env = dict(os.environ)
    # nbgrader.api.Gradebook runs the `alembic` command from PATH: this interpreter's.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(JUPYTER_PATH=str(data), JUPYTER_DATA_DIR=str(data),
               JUPYTER_CONFIG_DIR=str(workdir / "jupyter-config"),
               JUPYTER_RUNTIME_DIR=str(workdir / "jupyter-runtime"),
               IPYTHONDIR=str(workdir / "ipython"), JUPYTER_PLATFORM_DIRS="0")
    env.pop("JUPYTER_CONFIG_PATH", None)
    return env


def _nbgrader(args: list[str], course: Path, env: dict[str, str], log: Path) -> int:
    """Run ``nbgrader ARGS`` in the course folder, appending its output to ``log``."""
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"$ nbgrader {' '.join(args)}\n")
        fh.flush()
        return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                              stdout=fh, stderr=subprocess.STDOUT, check=False).returncode


def autograde(
    submissions: Path, exercise_id: str, solutions: Path, workdir: Path
) -> NbgraderRun:
    """Grade the student folders of ``submissions`` (our grader's input) with
    ``nbgrader autograde`` in a course built in ``workdir``; see the module docstring.

    ``RuntimeError`` when an nbgrader step fails for a reason other than a submission that
    crashes its kernel (nbgrader then reports the student as failed, its score stays 0).
    """
    import nbformat

    from normcourse.grading import grader

    secret = os.environ.get(sp.SECRET_ENV) or None  # the inputs grader.grade would use
    tasks = grader.load_exercises(Path(solutions), secret)[exercise_id].tasks
    course = Path(workdir) / "course"
    shutil.rmtree(course, ignore_errors=True)
    course.mkdir(parents=True)
    env = _environment(Path(workdir))
    log = Path(workdir) / "nbgrader.log"
    log.write_text("")
    assignment, name = exercise_id, f"{exercise_id}.ipynb"
    (course / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        f"c.CourseDirectory.course_id = {COURSE!r}\n"
        f"c.ExecutePreprocessor.timeout = {CELL_TIMEOUT}\n"
        f"c.Execute.timeout = {CELL_TIMEOUT}  # nbgrader's ExecutePreprocessor subclass\n"
        f"c.NbGrader.log_format = {LOG_FORMAT!r}\n")
    src = course / "source" / assignment
    src.mkdir(parents=True)
    nbformat.write(source_notebook(Path(solutions) / f"{exercise_id}.md", tasks), src / name)
    rc = _nbgrader(["generate_assignment", assignment, "--force"], course, env, log)
    release_path = course / "release" / assignment / name
    if rc != 0 or not release_path.exists():
        raise RuntimeError(f"nbgrader generate_assignment failed (see {log})")
    release = nbformat.read(release_path, as_version=4)
    students = sorted(p.name for p in Path(submissions).iterdir()
                      if p.is_dir() and not p.name.startswith("."))
    for student in students:
        nb = graft(_read(_student_notebook(Path(submissions) / student, exercise_id)), release)
        dest = course / "submitted" / student / assignment
        dest.mkdir(parents=True)
        nbformat.write(nb, dest / name)
    started, t0 = time.time(), time.perf_counter()
    rc = _nbgrader(["autograde", assignment, "--force"], course, env, log)
    seconds = time.perf_counter() - t0
    text = log.read_text(encoding="utf-8", errors="replace")
    failed = sorted({m.group(2) for m in _FAILED.finditer(text)})
    if rc != 0 and not failed:
        raise RuntimeError(f"nbgrader autograde failed (exit {rc}, see {log})")
    scores, max_score = read_gradebook(course / "gradebook.db", assignment, students, env)
    per_student, first = _split_log(text)
    errors = {s: error_cells(course, s, exercise_id) for s in students if s not in failed}
    return NbgraderRun(seconds, scores, max_score, failed, rc, log, per_student,
                       first - started if first else 0.0, errors)


def _split_log(text: str) -> tuple[dict[str, float], float | None]:
    """Seconds per student from the autograde log's time stamps (a student runs from its
    first line to the next student's; the last one to the last line) and the time stamp
    (epoch seconds) of the first student."""
    from datetime import datetime

    stamps = [(datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp(), m.group(2))
              for m in _STAMP.finditer(text)]
    starts = [(t, m.group(1)) for t, msg in stamps if (m := _STUDENT.search(msg))]
    if not starts:
        return {}, None
    ends = [t for t, _ in starts[1:]] + [stamps[-1][0]]
    return {s: e - t for (t, s), e in zip(starts, ends, strict=True)}, starts[0][0]


_READ_GRADEBOOK = """
import json, sys
from nbgrader.api import Gradebook
db, course, assignment, *students = sys.argv[1:]
with Gradebook("sqlite:///" + db, course) as gb:
    top = float(gb.find_assignment(assignment).max_score)
    scores = {s: float(gb.find_submission(assignment, s).score or 0.0) for s in students}
print(json.dumps({"max_score": top, "scores": scores}))
"""


def read_gradebook(
    db: Path, assignment: str, students: list[str], env: dict[str, str]
) -> tuple[dict[str, float], float]:
    """Per-student scores and the maximum score from nbgrader's ``gradebook.db``, through
    ``nbgrader.api.Gradebook`` (in a subprocess, which needs ``env``'s PATH for alembic)."""
    out = subprocess.run([sys.executable, "-c", _READ_GRADEBOOK, str(db), COURSE, assignment,
                          *students], env=env, capture_output=True, text=True, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return {k: float(v) for k, v in data["scores"].items()}, float(data["max_score"])


def error_cells(course: Path, student: str, exercise_id: str) -> list[str]:
    """The errors (``ename``) of the non-test cells of a student's autograded notebook."""
    import nbformat

    path = Path(course) / "autograded" / student / exercise_id
    nb = nbformat.read(path / f"{exercise_id}.ipynb", as_version=4)
    return [o.get("ename", "?") for c in nb.cells if c.cell_type == "code" and not _is_test(c)
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


def main() -> int:
    """Grade W with nbgrader alone and print its time and scores."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-nbgrader-"))
    try:
        kinds = make_workload(tmp / "submissions")
        run = autograde(tmp / "submissions", EXERCISE, ROOT / "solutions", tmp / "nbgrader")
        print(f"nbgrader autograde: {len(kinds)} submissions in {run.seconds:.1f} s "
              f"({run.seconds / len(kinds):.3f} s per submission, start-up "
              f"{run.startup:.1f} s); failed: {run.failed}")
        for student, score in run.scores.items():
            print(f"  {student:32s} {score:4g}/{run.max_score:g} "
                  f"{run.per_student.get(student, float('nan')):6.2f} s")
        check_nbgrader(run, kinds)
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
