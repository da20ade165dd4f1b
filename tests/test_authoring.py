"""Authoring without guesswork: new-exercise → release → grade, on a copy of the project,
with nothing edited by hand; the grade extra suffices for release and grading."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "normcourse"]


def _project_copy(tmp: Path) -> Path:
    """The parts of the project that release reads and writes."""
    proj = tmp / "course"
    (proj / "book").mkdir(parents=True)
    for part in ("principles", "applications", "practice"):
        shutil.copytree(ROOT / "book" / part, proj / "book" / part)
    shutil.copy(ROOT / "_toc.yml", proj / "_toc.yml")
    (proj / "solutions").mkdir()
    shutil.copy(ROOT / "solutions" / "ex-kkt-2d.md", proj / "solutions")
    shutil.copytree(ROOT / "normcourse" / "grading" / "public", proj / "public-unused")
    return proj


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=600, cwd=cwd)


def test_new_exercise_release_and_grade_without_editing_the_toc(tmp_path: Path) -> None:
    proj = _project_copy(tmp_path)
    made = _run(["new-exercise", "ex-ridge-normal", "--title", "Ridge by the normal equations",
                 "--page", "principles/l2-and-capacity"], proj)
    assert made.returncode == 0, made.stderr
    assert (proj / "solutions" / "ex-ridge-normal.md").is_file()
    again = _run(["new-exercise", "ex-ridge-normal"], proj)
    assert again.returncode == 2 and "exists already" in again.stderr

    # the author tests the solution before releasing it: check() reads solutions/
    probe = subprocess.run(
        [sys.executable, "-c", "import numpy as np\n"
         "from normcourse.grading import check\n"
         "def ridge(X, y, lam):\n"
         "    n, p = X.shape\n"
         "    return np.linalg.solve(X.T @ X / n + lam * np.eye(p), X.T @ y / n)\n"
         "print(check('ex-ridge-normal', show=False))"],
        capture_output=True, text=True, timeout=300, cwd=proj)
    assert "not released yet" in probe.stdout and "1/1 public points" in probe.stdout, probe

    # (release writes the public checks into <root>/normcourse/: run from outside the copy)
    rel = _run(["release", "--root", str(proj)], tmp_path)
    assert rel.returncode == 0, rel.stderr
    toc = (proj / "_toc.yml").read_text()
    assert "- file: book/practice/ex-ridge-normal\n" in toc
    # ... in the practice chapter, before the exercises of later pages
    assert toc.index("book/practice/ex-ridge-normal") < toc.index("book/practice/ex-kkt-2d")
    assert "(ex-ridge-normal.md)" in (proj / "book" / "practice" / "index.md").read_text()
    assert (proj / "exercises" / "ex-ridge-normal.md").is_file()
    assert "raise NotImplementedError" in (proj / "exercises" / "ex-ridge-normal.md").read_text()
    assert _run(["release", "--root", str(proj), "--check"], tmp_path).returncode == 0

    audit = _run(["audit", "ex-ridge-normal", "--solutions", str(proj / "solutions"),
                  "--no-progress"], tmp_path)
    assert audit.returncode == 0 and "0 rule violation(s)" in audit.stdout, audit.stdout

    # six students hand in the released notebook, Canvas-named
    subs = tmp_path / "subs"
    subs.mkdir()
    stub = (proj / "exercises" / "ex-ridge-normal.md").read_text()
    right = ("n, p = X.shape\n    return np.linalg.solve(X.T @ X / n + lam * np.eye(p), "
             "X.T @ y / n)")
    wrong = "return np.linalg.lstsq(X, y, rcond=None)[0]"
    for i, body in enumerate([right, right, right, wrong, wrong, None]):
        text = stub if body is None else stub.replace(
            'raise NotImplementedError("write your code here")', body)
        (subs / f"student{i}_{10001 + i}_{50001 + i}_ex-ridge-normal.md").write_text(text)
    out = tmp_path / "out"
    g = _run(["grade", str(subs), "--out", str(out), "--solutions", str(proj / "solutions"),
              "--exercise", "ex-ridge-normal", "--no-progress"], tmp_path)
    assert g.returncode == 0, g.stdout + g.stderr
    rows = list(csv.DictReader(open(out / "grades.csv")))
    assert [r["total"] for r in rows] == ["4", "4", "4", "1", "1", "0"]
    assert all(r["max"] == "4" for r in rows)


def test_release_keeps_the_private_solutions_path_out_of_the_output(tmp_path: Path) -> None:
    proj = _project_copy(tmp_path)
    private = tmp_path / "private-solutions"
    shutil.move(proj / "solutions", private)
    rel = _run(["release", "--root", str(proj), "--solutions", str(private)], tmp_path)
    assert rel.returncode == 0, rel.stderr
    text = (proj / "exercises" / "ex-kkt-2d.md").read_text()
    assert str(private) not in text and "private-solutions" not in text


def test_grade_extra_is_enough_for_release_and_grading(tmp_path: Path) -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    grade = " ".join(extras["grade"])
    assert "jupyter-book" not in grade and "pysindy" not in grade
    # release and grade with the book and test stacks unimportable
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in {'jupyter_book', 'myst_nb', 'sphinx', 'pysindy',\n"
        "                                  'nbclient', 'ipykernel', 'pytest', 'skglm'}:\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from normcourse.__main__ import main\n"
        "raise SystemExit(main(sys.argv[1:]))\n"
    )
    proj = _project_copy(tmp_path)
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    shutil.copy(proj / "solutions" / "ex-kkt-2d.md", subs / "alice")
    for args in (["release", "--root", str(proj)],
                 ["grade", str(subs), "--out", str(tmp_path / "out"), "--solutions",
                  str(proj / "solutions"), "--no-progress"]):
        proc = subprocess.run([sys.executable, "-c", blocker, *args], capture_output=True,
                              text=True, timeout=600, cwd=tmp_path)
        assert proc.returncode in (0, 1), proc.stderr[-2000:]
        assert "blocked" not in proc.stderr


@pytest.mark.parametrize("bad, message", [
    (["new-exercise", "ridge"], "must look like 'ex-some-name'"),
    (["new-exercise", "ex-x", "--page", "chapter/x"], "page must look like"),
    (["new-exercise", "ex-x", "--solutions", "nowhere"], "solutions folder not found"),
])
def test_new_exercise_errors(bad: list[str], message: str, tmp_path: Path) -> None:
    proc = _run(bad, tmp_path)
    assert proc.returncode == 2 and message in proc.stderr
