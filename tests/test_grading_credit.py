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

KKT_WRONG = "def solve_kkt(y, C):\n    return y, 0.0"
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
           env: dict | None = None, preflight: bool = False) -> subprocess.CompletedProcess[str]:
    """The CLI on one assignment (ex-kkt-2d); the preflight only where a test is about it."""
    cmd = [sys.executable, "-m", "normcourse", "grade", str(subs), "--out", str(out),
           "--solutions", str(solutions), "--exercise", KKT, "--no-progress", *extra,
           *([] if preflight else ["--no-preflight"])]
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
        proc = _grade(subs, out, *extra, env=env, preflight=True)
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
    proc = _grade(subs, out, solutions=sol, preflight=True)
    assert proc.returncode == 2
    assert "preflight failed, no student was graded" in proc.stderr
    assert "ex-kkt-2d: the reference solution scores" in proc.stderr
    assert not (out / "grades.csv").exists()
    # the intact solution passes the preflight and grades alice
    shutil.copy(SOLUTIONS / f"{KKT}.md", sol / f"{KKT}.md")
    assert _grade(subs, out, solutions=sol, preflight=True).returncode == 0


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


# ------------------------------------------------------------------ LMS rosters

CANVAS_ROSTER = """\
Student,ID,SIS User ID,SIS Login ID,Section
    Points Possible,,,,
"Adams, Alice",10001,S1,alice,Sec 1
"Builder, Bob",10002,S2,bob,Sec 1
"Carter, Carol",10003,S3,carol,Sec 2
"""


def _file(folder: Path, name: str, body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(
        "---\nexercise: {id: ex-kkt-2d}\n---\n\n```{code-cell} ipython3\n" + body + "\n```\n")


def test_canvas_download_and_roster_give_a_csv_canvas_imports(tmp_path: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    # Canvas's bulk download: one flat folder, <lastfirst>[_LATE]_<user id>_<submission id>_<file>
    _file(subs, "adamsalice_10001_50001_ex-kkt-2d.md", KKT_RIGHT)
    _file(subs, "builderbob_LATE_10002_50002_ex-kkt-2d.md", KKT_WRONG)
    _file(subs, "zedzed_99999_50009_ex-kkt-2d.md", KKT_RIGHT)       # not on the roster
    roster = tmp_path / "roster.csv"
    roster.write_text(CANVAS_ROSTER)
    proc = _grade(subs, out, "--roster", str(roster), "--assignment", "KKT in 2-D (777)")
    assert proc.returncode == 1, proc.stderr   # a late and an unmatched submission to look at
    assert "zedzed_99999_50009_ex-kkt-2d.md" in proc.stdout and "match no roster" in proc.stdout
    rows = list(csv.reader(open(out / "grades-canvas.csv")))
    # Canvas: its identifier columns, one column per assignment, an optional Points Possible
    # row; every other column would become a new assignment
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                       "KKT in 2-D (777)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "19"]
    assert rows[2:] == [["Adams, Alice", "10001", "S1", "alice", "Sec 1", "19"],
                        ["Builder, Bob", "10002", "S2", "bob", "Sec 1", "7"],
                        ["Carter, Carol", "10003", "S3", "carol", "Sec 2", "0"]]
    detail = _rows(out)     # the per-check detail keeps its own file, unmatched included
    assert set(detail) == {"Adams, Alice [10001]", "Builder, Bob [10002]",
                           "zedzed_99999_50009_ex-kkt-2d"}
    assert "late" in detail["Builder, Bob [10002]"]["notes"]


def test_moodle_folders_and_plain_roster(tmp_path: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    _student(subs, "Alice Adams_301_assignsubmission_file_", KKT_RIGHT, "answer.md")
    _student(subs, "Bob Builder_302_assignsubmission_file_", KKT_WRONG)
    worksheet = tmp_path / "worksheet.csv"
    worksheet.write_text(
        "Identifier,Full name,Email address,Status,Grade,Maximum Grade\n"
        "Participant 301,Alice Adams,alice@example.org,Submitted,,19\n"
        "Participant 302,Bob Builder,bob@example.org,Submitted,,19\n"
        "Participant 303,Carol Carter,carol@example.org,No submission,,19\n")
    proc = _grade(subs, out, "--roster", str(worksheet))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = list(csv.DictReader(open(out / "grades-moodle.csv")))
    assert list(rows[0]) == ["Identifier", "Full name", "Email address", "Grade",
                             "Maximum Grade", "Feedback comments"]
    assert [(r["Identifier"], r["Grade"], r["Maximum Grade"]) for r in rows] == [
        ("Participant 301", "19", "19"), ("Participant 302", "7", "19"),
        ("Participant 303", "0", "19")]
    assert rows[2]["Feedback comments"] == "no submission"
    # a plain roster: folders named by id
    plain = tmp_path / "ids.csv"
    plain.write_text("id,name\nalice,Alice Adams\ncarol,Carol Carter\n")
    subs2, out2 = tmp_path / "subs2", tmp_path / "out2"
    _student(subs2, "alice", KKT_RIGHT)
    proc = _grade(subs2, out2, "--roster", str(plain), "--format", "plain")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(open(out2 / "grades-plain.csv")))
    assert rows[0][:2] == ["id", "name"] and rows[0][3:] == ["points_possible", "notes"]
    assert rows[1:] == [["alice", "Alice Adams", "19", "19", ""],
                        ["carol", "Carol Carter", "0", "19", "no submission"]]


def test_roster_errors_are_clear(tmp_path: Path) -> None:
    from normcourse.grading import roster

    bad = tmp_path / "r.csv"
    bad.write_text("name,score\nalice,1\n")
    with pytest.raises(ValueError, match="cannot tell its kind"):
        roster.read_roster(bad)
    bad.write_text("id,name\nalice,A\nalice,B\n")
    with pytest.raises(ValueError, match="duplicate student 'alice'"):
        roster.read_roster(bad)
    with pytest.raises(ValueError, match="roster file not found"):
        roster.read_roster(tmp_path / "nope.csv")


# ------------------------------------------------------------------ safe regrades


def test_regrade_merges_reuses_unchanged_and_keeps_a_dated_copy(tmp_path: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    _student(subs, "alice", KKT_RIGHT)
    _student(subs, "bob", KKT_WRONG)
    assert _grade(subs, out).returncode == 0
    assert {k: v["total"] for k, v in _rows(out).items()} == {"alice": "19", "bob": "7"}
    # the same folder again: nothing is run again
    proc = _grade(subs, out)
    assert proc.returncode == 0 and "2 of them unchanged" in proc.stdout, proc.stdout
    # bob fixes his notebook and is re-graded alone: alice's row stays
    one = tmp_path / "regrade"
    _student(one, "bob", KKT_RIGHT)
    proc = _grade(one, out)
    assert proc.returncode == 0, proc.stderr
    assert "unchanged" not in proc.stdout and "kept 1 row(s)" in proc.stdout
    assert {k: v["total"] for k, v in _rows(out).items()} == {"alice": "19", "bob": "19"}
    assert (out / "bob" / "feedback.md").read_text().count("Total: 19 / 19") == 1
    copies = sorted(out.glob("grades-2*.csv"))
    assert len(copies) == 2            # one per earlier gradebook
    assert "bob" in copies[-1].read_text() and ",7," in copies[-1].read_text()
    # a late submission is added: the others stay
    late = tmp_path / "late"
    _student(late, "carol", KKT_WRONG)
    assert _grade(late, out).returncode == 0
    assert {k: v["total"] for k, v in _rows(out).items()} == {
        "alice": "19", "bob": "19", "carol": "7"}


# ------------------------------------------------------------------ class report


def test_class_report_counts_passes_reasons_and_problems(tmp_path: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    _student(subs, "alice", KKT_RIGHT)
    _student(subs, "bob", KKT_WRONG)
    _student(subs, "dan", KKT_WRONG)
    _student(subs, "eve", "1 / 0")
    proc = _grade(subs, out)
    assert proc.returncode == 1
    report = (out / "report.md").read_text()
    assert "4 submission(s), 19 points possible: mean 8.2, median 7, lowest 0, highest 19; " \
           "1 with full marks." in report
    assert "![score histogram](report.png)" in report
    assert (out / "report.png").read_bytes()[:4] == b"\x89PNG"
    row = next(line for line in report.splitlines() if "| ex-kkt-2d/kkt-active |" in line)
    assert "| 1/4 (25 %) |" in row
    assert "wrong values (2); function not defined in the notebook (1)" in row  # bob, dan; eve
    inactive = next(line for line in report.splitlines() if "/kkt-inactive |" in line)
    assert "| 3/4 (75 %) |" in inactive
    assert "## Submissions with problems (1)" in report and "**eve** (0 / 19)" in report
    assert "ZeroDivisionError" in report
