"""Hostile submissions against the sandboxed grader: every one gets its exact score.

One grading run (``--jobs 2``) over ``tests/redteam/*`` plus a few generated entries
(corrupt, empty, wrong type, symlink, ``.ipynb``), the reference solutions and the
unsolved exercises. Scores are for ``ex-soft-threshold`` (13 points: ``soft_threshold``
has 4 — 2 public, 2 hidden — and ``ista`` 9 — 4 public, 5 hidden); the other two
exercises have no notebook in these submissions and score 0.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import textwrap
import threading
from pathlib import Path

import pytest

from normcourse.grading import grader, spec
from normcourse.grading.sandbox import _UID_BASE, Limits, _pids_of

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
REDTEAM = Path(__file__).resolve().parent / "redteam"
EX = "ex-soft-threshold"
MAX_TOTAL = sum(spec.load_solution(p)[0].max_points for p in SOLUTIONS.glob("*.md"))
EX_MAX = spec.load_solution(SOLUTIONS / f"{EX}.md")[0].max_points

pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None,
    reason="bubblewrap (bwrap) is not installed: the red-team tests need the full sandbox "
    "(apt-get install -y bubblewrap; .ci/run installs it)",
)

CORRECT = textwrap.dedent(
    """\
    import numpy as np


    def soft_threshold(w, tau):
        w = np.asarray(w, dtype=float)
        return np.sign(w) * np.maximum(np.abs(w) - tau, 0.0)


    def ista(X, y, lam, n_iter):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        n, p = X.shape
        eta = n / np.linalg.norm(X, 2) ** 2
        theta = np.zeros(p)
        for _ in range(n_iter):
            z = theta + eta * X.T @ (y - X @ theta) / n
            theta = np.sign(z) * np.maximum(np.abs(z) - eta * lam, 0.0)
        return theta"""
)
WRONG = textwrap.dedent(
    """\
    import numpy as np


    def soft_threshold(w, tau):
        return np.ones(np.shape(w))


    def ista(X, y, lam, n_iter):
        return np.ones(np.shape(X)[1])"""
)

# student -> exact points on ex-soft-threshold (total = the same: nothing else submitted)
EXPECTED = {
    "exit-at-import": 13,  # the exiting cells are lost, the defining cell still runs
    "exit-before-defs": 0,  # os._exit before the definitions: nothing is defined
    "infinite-loop-import": 13,  # the hanging cell is skipped after its timeout
    "infinite-loop-call": 9,  # soft 4 + ista 1, 20 and 50 steps (2 + 2 + 1); 2 long runs hang
    "memory-bomb": 9,  # soft_threshold asks for 50 GB: MemoryError; ista intact
    "disk-bomb": 13,  # /tmp and /dev/shm are small private tmpfs, RLIMIT_FSIZE caps a file
    "fork-bomb": 13,  # forks are capped by RLIMIT_NPROC, children never answer
    "monkeypatch": 0,  # patched numpy/builtins live in the student process only
    "eq-always-true": 0,  # objects are refused before any comparison
    "fake-passed": 0,  # printed "passed" lines mean nothing
    "forge-frames": 0,  # forged protocol answers are judged as data: wrong values
    "read-solutions": 0,  # nothing of the instructor is visible: wrong branch taken
    "write-output": 13,  # writes fail (not mounted), the answers are right
    "interrupt": 5,  # KeyboardInterrupt/SystemExit in functions: ista 1, 20 and 50 steps
    "public-only": 6,  # exactly the public points
    "edit-checks": 4,  # a fake check() changes nothing: soft 4, ista wrong
    "syntax-error": 4,  # the broken cell is reported, soft_threshold still defined
    "network": 0,  # no network: wrong branch taken
    "leak-inputs": 0,
    "victim": 13,
    "notebook-ipynb": 13,  # the victim's notebook submitted as .ipynb
    "empty": 0,
    "corrupt": 0,
    "carol": 0,  # carol.docx: not a notebook
    "symlinked": 0,  # a symlink to the real solution is refused
}


def _indent(code: str) -> str:
    return code.replace("\n", "\n    ")


class _Listener:
    """A TCP server on the host's loopback that counts connections."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


@pytest.fixture(scope="module")
def redteam(tmp_path_factory: pytest.TempPathFactory) -> dict:
    import jupytext

    tmp = tmp_path_factory.mktemp("redteam")
    subs, out = tmp / "submissions", tmp / "out"
    subs.mkdir()
    marker = Path("/tmp") / f"ncg-escape-{os.getpid()}"
    listener = _Listener()
    values = {
        "{{CORRECT_INDENTED}}": _indent(CORRECT),
        "{{WRONG_INDENTED}}": _indent(WRONG),
        "{{CORRECT}}": CORRECT,
        "{{WRONG}}": WRONG,
        "{{SOLUTIONS}}": str(SOLUTIONS),
        "{{OUT}}": str(out),
        "{{VICTIM}}": str(subs / "victim"),
        "{{PORT}}": str(listener.port),
        "{{MARKER}}": str(marker),
    }
    for folder in sorted(REDTEAM.iterdir()):
        if not folder.is_dir() or folder.name.startswith("_"):
            continue
        (subs / folder.name).mkdir()
        for f in folder.iterdir():
            text = f.read_text()
            for k, v in values.items():
                text = text.replace(k, v)
            (subs / folder.name / f.name).write_text(text)
    victim_nb = subs / "victim" / f"{EX}.md"
    jupytext.write(jupytext.read(victim_nb), subs / "notebook-ipynb.ipynb")
    (subs / "empty").mkdir()
    (subs / "empty" / f"{EX}.md").write_text("")
    (subs / "corrupt").mkdir()
    (subs / "corrupt" / f"{EX}.ipynb").write_text('{"cells": [{"cell_type": "code", "source": "x')
    (subs / "carol.docx").write_bytes(b"PK\x03\x04 this is a word document")
    (subs / "symlinked").mkdir()
    (subs / "symlinked" / f"{EX}.md").symlink_to(SOLUTIONS / f"{EX}.md")
    # (every exercise's reference is graded, with the default limits, by the audit in
    # test_mistakes.py; here the exercise the red team attacks, under its tight limits)
    (subs / "reference").mkdir()
    shutil.copy(SOLUTIONS / f"{EX}.md", subs / "reference" / f"{EX}.md")
    (subs / "unsolved").mkdir()
    shutil.copy(EXERCISES / f"{EX}.md", subs / "unsolved" / f"{EX}.md")
    victim_bytes = victim_nb.read_bytes()

    limits = Limits(timeout=2.0, cell_timeout=3.0, budget=60.0)
    run = grader.grade(subs, out, SOLUTIONS, jobs=2, limits=limits, progress=False,
                       preflight=False)  # the tight limits are for the attacks
    listener.close()
    yield {
        "run": run,
        "out": out,
        "subs": subs,
        "victim_bytes": victim_bytes,
        "victim_nb": victim_nb,
        "marker": marker,
        "connections": listener.connections,
    }
    marker.unlink(missing_ok=True)


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_exact_score(redteam: dict, student: str) -> None:
    r = redteam["run"].by_student()[student]
    assert r.exercise_score(EX) == EXPECTED[student], r.problems
    assert r.total == EXPECTED[student]


def test_reference_solutions_get_full_marks(redteam: dict) -> None:
    r = redteam["run"].by_student()["reference"]
    assert r.total == EX_MAX
    assert r.problems == []  # solution-only cells are not run by the grader


def test_unsolved_exercises_get_zero(redteam: dict) -> None:
    r = redteam["run"].by_student()["unsolved"]
    assert r.total == 0
    reasons = {i.reason for i in r.items.values() if i.exercise == EX}
    assert reasons == {"not implemented yet"}


def test_every_submission_has_a_row(redteam: dict) -> None:
    with open(redteam["out"] / "grades.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    names = [row["student"] for row in rows]
    expected = sorted([*EXPECTED, "reference", "unsolved"])
    assert names == expected
    by = {row["student"]: row for row in rows}
    assert by["write-output"]["total"] == "13"  # not the 9999 it tried to write
    assert by["reference"]["total"] == f"{EX_MAX:g}"
    assert all(row["max"] == f"{MAX_TOTAL:g}" for row in rows)
    for name in EXPECTED:
        assert (redteam["out"] / name / "results.json").is_file()
        assert (redteam["out"] / name / "feedback.md").is_file()


def test_nothing_outside_the_sandbox_was_touched(redteam: dict) -> None:
    assert redteam["victim_nb"].read_bytes() == redteam["victim_bytes"]
    assert not redteam["marker"].exists()
    feedback = (redteam["out"] / "victim" / "feedback.md").read_text()
    assert f"Total: 13 / {MAX_TOTAL:g}" in feedback
    assert redteam["connections"] == 0


def test_no_sandboxed_process_survives(redteam: dict) -> None:
    base = _UID_BASE + (os.getpid() % 100_000) * 64
    assert [pid for uid in range(base, base + 64) for pid in _pids_of(uid)] == []


def test_reasons_are_reported(redteam: dict) -> None:
    by = redteam["run"].by_student()
    notes = {k: " ".join(v.problems) for k, v in by.items()}
    assert "did not finish within 3 s" in notes["infinite-loop-import"]
    loop = by["infinite-loop-call"].items
    assert loop[f"{EX}/ista-wide"].reason == "did not return within 2 s"
    assert by["memory-bomb"].items[f"{EX}/soft-threshold-values"].reason == "raised MemoryError"
    assert "SystemExit" in notes["exit-at-import"]
    assert "symbolic links are not accepted" in notes["symlinked"]
    assert "not a notebook" in notes["carol"]
    assert "empty" in notes["empty"]
    assert "could not read the notebook" in notes["corrupt"]
    assert "SyntaxError" in notes["syntax-error"]
    assert "File too large" in notes["disk-bomb"]
    forged = by["forge-frames"].items
    assert {i.reason for k, i in forged.items() if k.startswith(EX)} == {"wrong shape"}
    eq = by["eq-always-true"].items[f"{EX}/soft-threshold-values"]
    assert eq.reason == "returned something that is not numbers/arrays"
    intr = by["interrupt"].items
    assert intr[f"{EX}/soft-threshold-values"].reason == "raised KeyboardInterrupt"
    assert intr[f"{EX}/ista-wide"].reason == "raised SystemExit"
    assert by["victim"].problems == []
    assert redteam["run"].exit_code == 1  # some submissions had problems


def test_hidden_feedback_leaks_no_inputs(redteam: dict) -> None:
    fb = (redteam["out"] / "leak-inputs" / "feedback.md").read_text()
    rows = [line for line in fb.splitlines() if line.startswith("| ") and " | hidden | " in line]
    assert len(rows) >= 3 and not any("LEAK" in line for line in rows)
    public = [line for line in fb.splitlines() if " | public | " in line]
    assert any("LEAK-ERROR" in line for line in public)  # the student's own public error
    res = json.loads((redteam["out"] / "leak-inputs" / "results.json").read_text())
    for t in res["tests"]:
        if t["visibility"] == "after_published":
            assert "LEAK" not in t["output"]
    assert "LEAK" not in res["output"]


def test_results_json_is_gradescope_shaped(redteam: dict) -> None:
    res = json.loads((redteam["out"] / "public-only" / "results.json").read_text())
    assert res["score"] == 6
    assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(res["tests"][0])
    assert sum(t["score"] for t in res["tests"]) == res["score"]
    assert sum(t["max_score"] for t in res["tests"]) == MAX_TOTAL
    hidden = [t for t in res["tests"] if t["visibility"] == "after_published"]
    assert hidden and all(t["status"] == "failed" for t in hidden if t["name"].startswith(EX))
