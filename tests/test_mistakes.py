"""Every exercise's checks tell right from wrong — shown through the real sandboxed grader.

One grader run (``normcourse audit``) grades, for every solution in ``solutions/``, the
reference and each declared mistake. The rules: the reference earns 100 %; each mistake
earns at most half of the points of the checks that call the function it breaks; every
check is failed by at least one mistake; at least three mistakes per graded function.
The audit itself is tested on deliberately weak specs (a mistake that changes nothing, a
check no mistake fails, a reference that misses a point, a mistake whose edit does not
apply).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from normcourse.grading import audit, spec

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
SPECS = {p.stem: spec.load_solution(p)[0] for p in sorted(SOLUTIONS.glob("*.md"))}


@pytest.fixture(scope="module")
def full_audit() -> audit.AuditRun:
    return audit.audit(SOLUTIONS, jobs=2, progress=False)


def test_every_declared_mistake_is_caught_and_every_check_catches_one(
    full_audit: audit.AuditRun,
) -> None:
    print(audit.report(full_audit))
    assert {e.id for e in full_audit.exercises} == set(SPECS)
    assert not full_audit.violations, "\n".join(full_audit.violations)
    for e in full_audit.exercises:
        assert e.reference_score == e.max_points
        assert e.mistakes and all(m.caught for m in e.mistakes)


def test_a_torch_exercise_grades_in_the_sandbox(full_audit: audit.AuditRun) -> None:
    # ex-ewc-fisher's student code builds torch tensors: the reference and its mistakes were
    # graded in the same sandboxed workers (memory limit included) as every other exercise.
    source = (ROOT / "exercises" / "ex-ewc-fisher.md").read_text(encoding="utf-8")
    assert "import torch" in source
    (e,) = [e for e in full_audit.exercises if e.id == "ex-ewc-fisher"]
    assert e.reference_score == e.max_points and not e.reference_notes
    assert all(m.caught and not m.problem for m in e.mistakes)
    if shutil.which("bwrap"):
        assert full_audit.sandbox.startswith("bubblewrap")


def test_the_practice_part_is_a_course_worth() -> None:
    assert len(SPECS) >= 16
    assert sum(ex.difficulty == 3 for ex in SPECS.values()) >= 4
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    content = [s["file"].removeprefix("book/") for part in toc["parts"]
               if part["caption"] in ("Principles", "Applications")
               for c in part["chapters"] for s in c.get("sections", [])]
    assert len(content) == 14
    practised = {ex.page for ex in SPECS.values()}
    # a page no exercise names as its own (weight decay with Adam shares ex-decay-schemes
    # with the SGD page) must still link an exercise in its Practice section
    for page in set(content) - practised:
        tail = (ROOT / "book" / f"{page}.md").read_text(encoding="utf-8").split("## Practice")
        assert len(tail) == 2 and "(../practice/ex-" in tail[1], f"{page}: no exercise"
    assert len(practised & set(content)) >= 13
    for ex in SPECS.values():
        assert ex.page in content, (ex.id, ex.page)
        assert ex.difficulty in (1, 2, 3) and ex.minutes and ex.topic, ex.id
        for f in ex.functions:
            assert sum(m.function == f for m in ex.mistakes) >= audit.MIN_MISTAKES, (ex.id, f)


def test_every_content_page_points_to_its_exercises_and_back() -> None:
    for ex in SPECS.values():
        page = (ROOT / "book" / f"{ex.page}.md").read_text(encoding="utf-8")
        tail = page.split("## Practice", 1)
        assert len(tail) == 2, f"{ex.page}.md has no '## Practice' section"
        assert f"(../practice/{ex.id}.md)" in tail[1], f"{ex.page}.md does not link {ex.id}"
        book_page = (ROOT / "book" / "practice" / f"{ex.id}.md").read_text(encoding="utf-8")
        assert f"](../{ex.page}.md)" in book_page, f"{ex.id} does not link back to {ex.page}"
    index = (ROOT / "book" / "practice" / "index.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| \[.*?\]\((ex-[a-z0-9-]+)\.md\) \|.*\| (\d+(?:\.\d+)?) \|$",
                      index, re.M)
    assert sorted(r[0] for r in rows) == sorted(SPECS)
    for ex_id, points in rows:
        assert float(points) == SPECS[ex_id].max_points


# ------------------------------------------------------------ the audit catches weak specs


def _weakened(tmp_path: Path, edit: callable) -> Path:  # type: ignore[valid-type]
    folder = tmp_path / "solutions"
    folder.mkdir()
    src = (SOLUTIONS / "ex-soft-threshold.md").read_text(encoding="utf-8")
    (folder / "ex-soft-threshold.md").write_text(edit(src), encoding="utf-8")
    return folder


def test_audit_reports_a_mistake_that_changes_nothing(tmp_path: Path) -> None:
    folder = _weakened(tmp_path, lambda s: s.replace(
        '["range(n_iter)", "range(n_iter - 1)"]', '["range(n_iter)", "range(0 + n_iter)"]'))
    run = audit.audit(folder, progress=False)
    (e,) = run.exercises
    bad = {m.name for m in e.mistakes if not m.caught}
    assert bad == {"one-step-short"}
    assert any("one-step-short" in v and "9/9" in v for v in run.violations)


def test_audit_reports_a_check_no_mistake_fails(tmp_path: Path) -> None:
    # Without the three mistakes that break its large-λ case, no mistake fails that check.
    def edit(s: str) -> str:
        for name in ("threshold-missing-lam", "gradient-sign", "no-clamp"):
            s = re.sub(rf"  - name: {name}\n(    .*\n)+?(?=  - name|---)", "", s)
        return s
    run = audit.audit(_weakened(tmp_path, edit), progress=False)
    (e,) = run.exercises
    assert "ista-large-lambda" in e.uncaught_checks
    assert any("ista-large-lambda is failed by no declared mistake" in v for v in run.violations)


def test_audit_reports_a_reference_that_misses_points_and_too_few_mistakes(
    tmp_path: Path,
) -> None:
    def edit(s: str) -> str:
        s = s.replace("theta = np.zeros(p)\n", "theta = np.zeros(p) + 1e-3\n")
        s = s.replace("## Check your work", "```{code-cell} ipython3\n1 / 0\n```\n\n"
                      "## Check your work")
        return re.sub(r"  - name: hard-threshold\n(    .*\n)+?(?=  - name|---)", "", s)
    run = audit.audit(_weakened(tmp_path, edit), progress=False)
    text = "\n".join(run.violations)
    assert "the reference earns" in text
    assert "the reference notebook does not run cleanly" in text and "ZeroDivisionError" in text
    assert "soft_threshold has 2 declared mistake(s)" in text


def test_a_mistake_whose_edit_does_not_apply_is_an_error(tmp_path: Path) -> None:
    folder = _weakened(tmp_path, lambda s: s.replace(
        '["range(n_iter)", "range(n_iter - 1)"]', '["range(k_iter)", "range(n_iter - 1)"]'))
    with pytest.raises(ValueError, match=r"one-step-short.*occurs 0 times"):
        audit.audit(folder, progress=False)


def test_mistake_spec_errors_name_the_field() -> None:
    _, nb = spec.load_solution(SOLUTIONS / "ex-soft-threshold.md")
    meta = dict(nb.metadata["exercise"])
    for bad, match in (
        ([{"name": "x", "function": "nope", "why": "w", "code": "def nope(): pass"}],
         r"mistakes\[0\] \(x\)\.function"),
        ([{"name": "x", "function": "ista", "why": "w"}], "exactly one of 'replace' and 'code'"),
        ([{"name": "x", "function": "ista", "why": "w", "code": "def other(): pass"}],
         "must define ista"),
        ([{"name": "x", "function": "ista", "why": "", "replace": [["a", "b"]]}], "why"),
    ):
        with pytest.raises(ValueError, match=match):
            spec.ExerciseSpec.from_metadata({**meta, "mistakes": bad}, "t")
    with pytest.raises(ValueError, match="difficulty must be 1, 2 or 3"):
        spec.ExerciseSpec.from_metadata({**meta, "difficulty": 4}, "t")


def test_audit_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from normcourse.__main__ import main

    folder = tmp_path / "solutions"
    folder.mkdir()
    shutil.copy(SOLUTIONS / "ex-soft-threshold.md", folder)
    assert main(["audit", "--solutions", str(folder), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "ex-soft-threshold: reference 13/13; 8/8 mistakes caught (100%)" in out
    assert main(["audit", "ex-nope", "--solutions", str(folder), "--no-progress"]) == 2


def test_release_refuses_a_public_tolerance_tighter_than_the_shipped_digits() -> None:
    import jupytext

    from normcourse.grading import release

    text = (SOLUTIONS / "ex-soft-threshold.md").read_text(encoding="utf-8")
    ok_nb = jupytext.reads(text, fmt="md:myst")
    ok = spec.ExerciseSpec.from_metadata(ok_nb.metadata["exercise"], "t")
    release.public_file(ok, ok_nb)  # rtol 1e-6: fine
    tight = text.replace("call: ista(X, y, 0.1, 1)\n    compare: {allclose: {rtol: 1.0e-6, ",
                         "call: ista(X, y, 0.1, 1)\n    compare: {allclose: {rtol: 1.0e-13, ")
    assert tight != text
    nb = jupytext.reads(tight.replace("atol: 1.0e-9}}\n    hint: \"One step", "atol: 0.0}}\n"
                                      "    hint: \"One step", 1), fmt="md:myst")
    ex = spec.ExerciseSpec.from_metadata(nb.metadata["exercise"], "t")
    with pytest.raises(ValueError, match=r"public check ista-one-step.*loosen its tolerance"):
        release.public_file(ex, nb)
