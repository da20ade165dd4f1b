"""Grading for credit: private hidden inputs (a grading secret) and the preflight run.

Every test runs the real grader (bubblewrap when installed) on ex-kkt-2d submissions."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from normcourse.grading import spec

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
KKT = "ex-kkt-2d"

KKT_RIGHT = """\
import numpy as np
def solve_kkt(y, C):
    y = np.asarray(y, float)
    lam = max(0.0, (np.linalg.norm(y) / np.sqrt(C) - 1) / 2)
    return y / (1 + 2 * lam), lam
def shadow_price(y, C):
    return -solve_kkt(y, C)[1]"""


def _student(folder: Path, name: str, body: str, filename: str = f"{KKT}.md") -> None:
    (folder / name).mkdir(parents=True, exist_ok=True)
    (folder / name / filename).write_text(
        "---\nexercise: {id: ex-kkt-2d}\n---\n\n```{code-cell} ipython3\n" + body + "\n```\n"
    )


def _grade(subs: Path, out: Path, *extra: str, solutions: Path = SOLUTIONS,
           env: dict | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "normcourse", "grade", str(subs), "--out", str(out),
           "--solutions", str(solutions), "--exercise", KKT, "--no-progress", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)


def _rows(out: Path) -> dict[str, dict[str, str]]:
    return {r["student"]: r for r in csv.DictReader(open(out / "grades.csv"))}


# ------------------------------------------------------------------ the grading secret


def test_secret_changes_hidden_inputs_only_and_reproducibly() -> None:
    ex, _ = spec.load_solution(SOLUTIONS / f"{KKT}.md")
    random_hidden = [c for c in ex.hidden if "rng(" in c.call + str(c.let)]
    assert random_hidden
    for c in random_hidden:
        plain = spec.evaluate_args(c, None, KKT)
        a1, a2 = spec.evaluate_args(c, "fall-2026", KKT), spec.evaluate_args(c, "fall-2026", KKT)
        b = spec.evaluate_args(c, "spring-2027", KKT)
        for p in plain:
            assert np.array_equal(a1[p], a2[p])          # same secret, same inputs
        assert any(not np.array_equal(plain[p], a1[p]) for p in plain)   # secret matters
        assert any(not np.array_equal(a1[p], b[p]) for p in plain)       # and which one
    for c in ex.public:  # the student's self-check must see the published inputs
        assert repr(spec.evaluate_args(c, "fall-2026", KKT)) == repr(spec.evaluate_args(c))
    # without a secret, rng(k) is exactly np.random.default_rng(k)
    assert spec.derived_seed(None, KKT, "x", 5) == 5
    with pytest.raises(ValueError, match="integer k"):
        spec.derived_seed("s", KKT, "x", 1.5)  # type: ignore[arg-type]


def test_every_exercise_has_hidden_inputs_that_depend_on_the_secret() -> None:
    for path in sorted(SOLUTIONS.glob("ex-*.md")):
        ex, _ = spec.load_solution(path)
        changed = [c for c in ex.hidden
                   if repr(spec.evaluate_args(c, None, ex.id))
                   != repr(spec.evaluate_args(c, "s", ex.id))]
        # fixed edge cases (ties, zero data, a point on the boundary) stay fixed; at least a
        # third of the hidden points must come from secret-dependent inputs
        share = sum(c.points for c in changed) / sum(c.points for c in ex.hidden)
        assert share >= 1 / 3, (ex.id, [c.name for c in changed])


# A student who hard-codes the answers of the published hidden inputs (read from the public
# solutions folder): solve_kkt looks its input up in a table of the default-secret answers.
def _hard_coded() -> str:
    ex, nb = spec.load_solution(SOLUTIONS / f"{KKT}.md")
    refs = spec.reference_functions(ex, nb)
    table = {}
    for c in ex.checks:
        if c.function == "solve_kkt":
            args = spec.evaluate_args(c)
            theta, lam = refs["solve_kkt"](*args.values())
            key = (tuple(np.round(np.asarray(args["y"], float), 12)), float(args["C"]))
            table[key] = (np.asarray(theta).tolist(), float(lam))
    return (
        "import numpy as np\n"
        f"TABLE = {table!r}\n"
        "def solve_kkt(y, C):\n"
        "    t, lam = TABLE.get((tuple(np.round(np.asarray(y, float), 12)), float(C)),\n"
        "                       ([0.0, 0.0], 0.0))\n"
        "    return np.array(t), lam\n"
        "def shadow_price(y, C):\n"
        "    return -solve_kkt(y, C)[1]\n"
    )


def test_secret_keeps_correct_grades_and_defeats_hard_coded_answers(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    _student(subs, "alice", KKT_RIGHT)
    _student(subs, "mallory", _hard_coded())
    runs = {}
    for name, extra, env in [
        ("none", (), None),
        ("a", ("--secret", "fall-2026"), None),
        ("a-again", (), {**__import__("os").environ, spec.SECRET_ENV: "fall-2026"}),
        ("b", ("--secret", "spring-2027"), None),
    ]:
        out = tmp_path / f"out-{name}"
        proc = _grade(subs, out, *extra, env=env)
        assert proc.returncode == 0, proc.stderr
        runs[name] = _rows(out)
    for rows in runs.values():
        assert rows["alice"]["total"] == rows["alice"]["max"] == "19"
    # with the published inputs the table answers the hidden random checks of solve_kkt ...
    random_checks = ["ex-kkt-2d/kkt-random-active", "ex-kkt-2d/kkt-conditions-random"]
    assert all(runs["none"]["mallory"][k] != "0" for k in random_checks)
    # ... under a secret it does not
    assert all(runs[s]["mallory"][k] == "0" for k in random_checks for s in ("a", "b"))
    assert float(runs["a"]["mallory"]["total"]) < float(runs["none"]["mallory"]["total"])
    assert runs["a"] == runs["a-again"]  # the secret from the environment, same grades


# ------------------------------------------------------------------ preflight


def test_broken_reference_solution_stops_the_run_with_exit_2(tmp_path: Path) -> None:
    sol = tmp_path / "solutions"
    sol.mkdir()
    text = (SOLUTIONS / f"{KKT}.md").read_text()
    body_start = text.index("\n---", 4)
    head, body = text[:body_start], text[body_start:]
    broken = body.replace("y / (1.0 + 2.0 * lam)", "y / (1.0 + lam)", 1)
    assert broken != body
    (sol / f"{KKT}.md").write_text(head + broken)
    subs, out = tmp_path / "subs", tmp_path / "out"
    _student(subs, "alice", KKT_RIGHT)
    proc = _grade(subs, out, solutions=sol)
    assert proc.returncode == 2
    assert "preflight failed, no student was graded" in proc.stderr
    assert "ex-kkt-2d: the reference solution scores" in proc.stderr
    assert not (out / "grades.csv").exists()
    # the intact solution passes the preflight and grades alice
    shutil.copy(SOLUTIONS / f"{KKT}.md", sol / f"{KKT}.md")
    assert _grade(subs, out, solutions=sol).returncode == 0


def test_unidentified_notebook_reason_reaches_the_feedback(tmp_path: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    (subs / "carol").mkdir(parents=True)
    (subs / "carol" / "homework.md").write_text(
        "---\njupytext: {}\n---\n\n```{code-cell} ipython3\nx = 1\n```\n")
    proc = _grade(subs, out)
    assert proc.returncode == 1
    fb = (out / "carol" / "feedback.md").read_text()
    assert "## Notebooks that were not graded" in fb
    assert "could not tell which exercise this notebook is" in fb
