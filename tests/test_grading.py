"""normcourse.grading: wire format, comparators, spec validation, self-check, CLI, outputs."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from secret_scan import norm, secrets

from normcourse import penalties, solvers
from normcourse.__main__ import main
from normcourse.grading import compare, grader, intake, release, sandbox, selfcheck, spec, wire

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"


# ---------------------------------------------------------------------------- wire


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(
        dtype=st.sampled_from([np.float64, np.int64, np.bool_, np.float32, np.uint8]),
        shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
    )
)
def test_arrays_round_trip_exactly(arr: np.ndarray) -> None:
    tree, blobs = wire.encode(wire.to_plain(arr))
    back = wire.decode(json.loads(json.dumps(tree)), blobs)
    assert back.dtype == arr.dtype and back.shape == arr.shape
    np.testing.assert_array_equal(back, arr)


def test_plain_values_round_trip() -> None:
    value = (1.5, [True, None, "s", 2**80], {"k": np.arange(3)}, float("nan"), -0.0)
    frame = wire.pack({"op": "x", "v": wire.encode(value)[0]}, wire.encode(value)[1])
    r, w = os.pipe()
    os.write(w, frame)
    header, blobs = wire.FrameReader(r).read()
    os.close(r)
    os.close(w)
    back = wire.decode(header["v"], blobs)
    assert back[0] == 1.5 and back[1] == [True, None, "s", 2**80]
    np.testing.assert_array_equal(back[2]["k"], np.arange(3))
    assert np.isnan(back[3]) and str(back[4]) == "-0.0"


def test_to_plain_refuses_objects_and_converts_numpy_scalars() -> None:
    class Liar:
        def __eq__(self, other: object) -> bool:
            return True

    with pytest.raises(wire.Unsupported, match="Liar"):
        wire.to_plain(Liar())
    with pytest.raises(wire.Unsupported, match="dtype"):
        wire.to_plain(np.array([Liar()], dtype=object))
    with pytest.raises(wire.Unsupported, match="dtype"):
        wire.to_plain(np.array(["a"]))
    assert wire.to_plain(np.float32(0.5)) == 0.5 and type(wire.to_plain(np.int64(3))) is int
    assert wire.to_plain({1, 3, 2}) == [1, 2, 3]


def test_torch_tensors_become_arrays() -> None:
    import torch

    got = wire.to_plain(torch.tensor([1.0, 2.0]))
    assert isinstance(got, np.ndarray) and got.tolist() == [1.0, 2.0]


def test_no_pickle_across_the_boundary() -> None:
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(wire.WireError):
        wire.decode({"t": "nd", "i": 0}, [buf.getvalue()])
    with pytest.raises(wire.WireError):
        wire.decode({"t": "nd", "i": 0}, [b"\x80\x04\x95 pickle bytes"])
    src = (ROOT / "normcourse" / "grading").glob("*.py")
    for path in src:
        text = path.read_text()
        assert "import pickle" not in text and "allow_pickle=True" not in text, path


@pytest.mark.parametrize(
    "frame, error",
    [
        (b"XXXX" + b"\0" * 8, wire.WireError),  # bad magic
        (wire.MAGIC + (wire.MAX_HEADER + 1).to_bytes(4, "big"), wire.WireError),
        (wire.MAGIC + (5).to_bytes(4, "big") + b"nojso", wire.WireError),
        (wire.MAGIC + (10).to_bytes(4, "big") + b'{"blobs":', EOFError),  # truncated
        (wire.pack({"op": "x"})[:-1] + b"]", wire.WireError),
    ],
)
def test_malformed_frames_are_errors(frame: bytes, error: type) -> None:
    r, w = os.pipe()
    os.write(w, frame)
    os.close(w)
    with pytest.raises(error):
        wire.FrameReader(r).read(deadline=None)
    os.close(r)


def test_oversized_payload_is_refused() -> None:
    r, w = os.pipe()
    os.write(w, wire.pack({"op": "x", "blobs": []}, [b"x" * 100]))
    with pytest.raises(wire.WireError, match="payload"):
        wire.FrameReader(r, max_payload=10).read()
    os.close(r)
    os.close(w)


def test_reader_times_out() -> None:
    import time

    r, w = os.pipe()
    with pytest.raises(TimeoutError):
        wire.FrameReader(r).read(deadline=time.monotonic() + 0.05)
    os.close(r)
    os.close(w)


# ---------------------------------------------------------------------------- compare


def test_allclose_structure_shape_values_and_exact_zeros() -> None:
    ac = compare.get("allclose")
    exp = (np.array([1.0, 0.0]), 2.0)
    assert ac.judge((np.array([1.0, 0.0]), 2.0), exp, {}).ok
    assert ac.judge([np.array([1.0, 0.0]), 2.0], exp, {}).ok  # list for tuple is fine
    assert ac.judge(np.array([1.0, 0.0]), exp, {}).reason == "wrong type"
    assert ac.judge((np.array([1.0]), 2.0), exp, {}).reason == "value 0: wrong shape"
    assert ac.judge((np.array([1.1, 0.0]), 2.0), exp, {}).reason == "value 0: wrong values"
    assert ac.judge(None, 1.0, {}).reason == "returned None"
    assert ac.judge(np.array([np.nan]), np.array([1.0]), {}).reason == "contains NaN or inf"
    tiny = np.array([1.0, 1e-12])
    assert ac.judge(tiny, np.array([1.0, 0.0]), {}).ok
    v = ac.judge(tiny, np.array([1.0, 0.0]), {}, exact_zeros=True)
    assert not v.ok and v.reason == "zeros are not exact"


def test_support_and_indices() -> None:
    assert compare.get("support").judge([0.0, 2.0], np.array([0.0, 1.0]), {}).ok
    assert not compare.get("support").judge([1e-9, 2.0], np.array([0.0, 1.0]), {}).ok
    rows = np.array([[0.0, 0.0], [1.0, 0.0]])
    assert compare.get("support").judge([[0.0, 0.0], [0.0, 3.0]], rows, {}).ok
    assert compare.get("indices").judge([3, 1], np.array([1, 3]), {}).ok
    assert compare.get("indices").judge([], np.array([], dtype=int), {}).ok
    assert compare.get("indices").judge([1.5], np.array([1]), {}).reason == "not integer indices"


def test_ista_bound_uses_the_lasso_optimum() -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 8))
    y = X[:, :2] @ np.array([1.0, -1.0]) + 0.1 * rng.standard_normal(40)
    args = {"X": X, "y": y, "lam": 0.1, "n_iter": 20}
    cmp = compare.get("ista_bound")
    prep = cmp.prepare(None, args, penalty="l1")
    ista = solvers.prox_grad(X, y, penalties.L1(0.1), method="ista", tol=0.0, max_iter=20)
    assert cmp.judge(ista.theta, prep, args, penalty="l1").ok  # Beck–Teboulle bound holds
    assert cmp.judge(solvers.lasso(X, y, 0.1).theta, prep, args, penalty="l1").ok
    far = cmp.judge(np.ones(8), prep, args, penalty="l1")
    assert far.reason == "too far from the optimum" and "k = 20" in far.detail
    with pytest.raises(ValueError, match="penalty"):
        cmp.prepare(None, args, penalty="l7")


def test_kkt_conditions() -> None:
    kkt = compare.get("kkt")
    args = {"y": np.array([3.0, 4.0]), "C": 1.0}
    assert kkt.judge((np.array([0.6, 0.8]), 2.0), None, args).ok
    assert kkt.judge((np.array([3.0, 4.0]), 0.0), None, args).reason == "primal infeasible"
    assert kkt.judge((np.array([0.6, 0.8]), 1.0), None, args).reason == "stationarity fails"
    assert kkt.judge((np.array([0.6, 0.8]), -2.0), None, args).reason == "dual infeasible"
    assert kkt.judge(np.array([0.6, 0.8]), None, args).reason == "wrong type"


def test_unknown_comparator() -> None:
    with pytest.raises(ValueError, match="unknown comparator 'nope'; known: allclose"):
        compare.get("nope")


# ---------------------------------------------------------------------------- spec

GOOD = {
    "id": "ex-demo",
    "title": "Demo",
    "functions": {"f": {"params": ["a", "b"]}},
    "checks": [
        {"name": "one", "visibility": "public", "points": 1, "call": "f(1.0, b=2.0)"},
        {"name": "two", "visibility": "hidden", "points": 2, "call": "f(np.ones(3), 0.5)"},
    ],
}


def _with(**changes: object) -> dict:
    meta = json.loads(json.dumps(GOOD))
    check = changes.pop("check", None)
    if check is not None:
        meta["checks"][0].update(check)
    meta.update(changes)
    return meta


def test_spec_parses_calls_in_parameter_order() -> None:
    ex = spec.ExerciseSpec.from_metadata(GOOD)
    assert ex.checks[0].args == (("a", "1.0"), ("b", "2.0"))
    assert [c.name for c in ex.public] == ["one"] and ex.max_points == 3
    assert spec.evaluate_args(ex.checks[1])["a"].tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "meta, message",
    [
        (_with(id="demo"), "must look like 'ex-some-name'"),
        (_with(check={"call": "g(1, 2)"}), "'g' is not among the exercise's functions"),
        (_with(check={"call": "f(1)"}), r"missing arguments \['b'\]"),
        (_with(check={"call": "f(1, c=2)"}), "has no parameter 'c'"),
        (_with(check={"call": "f(1, *x)"}), r"\*args and \*\*kwargs are not allowed"),
        (_with(check={"visibility": "secret"}), "visibility must be one of"),
        (_with(check={"points": 0}), "points must be > 0"),
        (_with(check={"compare": {"allclose": {"tol": 1}}}), "has no parameter 'tol'"),
        (_with(check={"compare": "fuzzy"}), "unknown comparator 'fuzzy'"),
        (_with(check={"name": "Bad Name"}), "lower-case words"),
        (_with(check={"nmae": "typo"}), r"unknown keys \['nmae'\]"),
        (_with(check={"call": "f(1,"}), "not a Python expression"),
        (_with(check={"name": "two"}), "duplicate check name 'two'"),
        (_with(check={"visibility": "hidden"}), "at least one check must be public"),
        (_with(functions={}), "functions must map"),
    ],
)
def test_spec_errors_say_what_is_wrong(meta: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        spec.ExerciseSpec.from_metadata(meta, "demo.md")


def test_every_solution_spec_has_enough_checks() -> None:
    for path in sorted(SOLUTIONS.glob("*.md")):
        ex, _ = spec.load_solution(path)
        assert len(ex.public) >= 3 and len(ex.hidden) >= 3, path
        assert len({c.points for c in ex.checks}) >= 2  # partial credit with weights
        assert all(c.hint for c in ex.checks), path


# ---------------------------------------------------------------------------- release


def test_stub_replaces_solution_blocks() -> None:
    src = (
        "def f(x):\n    '''Doc.'''\n"
        "    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
    )
    out = release.stub_source(src)
    assert "return 2 * x" not in out and "SOLUTION" not in out
    assert out.endswith('    raise NotImplementedError("write your code here")')
    with pytest.raises(ValueError, match="unbalanced"):
        release.stub_source("### BEGIN SOLUTION\nx = 1\n")


def test_raising_cells_follow_names() -> None:
    cells = [
        "import numpy as np",
        "def f(x):\n    raise NotImplementedError",
        "def g(x):\n    return f(x) + 1",  # defining g does not raise
        "a = 1\nb = g(2)\nc = 3",  # raises at b; c never set
        "print(a)",  # fine: a was set before the raise
        "print(c)",  # NameError: c was never set
        "for k in range(3):\n    print(f(k))",
        "x = 1",
    ]
    assert release.raising_cells(cells, {"f"}) == {3, 5, 6}


def test_generated_files_hold_no_solution_and_no_hidden_check() -> None:
    layout = release.Layout(ROOT)
    files = release.render(layout)
    found = secrets()
    assert len(found) > 30
    for path, data in files.items():
        text = norm(data.decode())
        for s in found:
            assert s not in text, (path, s)


def test_installed_package_holds_no_hidden_check() -> None:
    pkg = ROOT / "normcourse"
    text = "\n".join(
        p.read_text(errors="replace")
        for p in pkg.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    text = norm(text)
    for s in secrets(solution_code=False):
        assert s not in text, s


# ---------------------------------------------------------------------------- self-check


def _solve_ns(ex_id: str) -> dict:
    """Namespace of a solution notebook's reference cells (as a student who solved it)."""
    _, nb = spec.load_solution(SOLUTIONS / f"{ex_id}.md")
    ns: dict = {"__name__": "__main__"}
    for cell in nb.cells:
        if cell.cell_type == "code" and ("setup" in cell.metadata.get("tags", []) or
                                         spec.has_solution(cell.source)):
            exec(cell.source, ns)
    return ns


def test_check_finds_functions_in_the_callers_globals(capsys: pytest.CaptureFixture) -> None:
    ns = _solve_ns("ex-kkt-2d")
    code = 'from normcourse.grading import check\nreport = check("ex-kkt-2d")\n'
    exec(code, ns)
    report = ns["report"]
    assert report.all_passed and report.score == report.max_score == 6
    out = capsys.readouterr().out
    assert "kkt-active" in out and "pass" in out and "kkt-zero-y" not in out  # no hidden name
    assert repr(report) == (
        "ex-kkt-2d: 6/6 public points (the grader also runs hidden checks worth 13 points)"
    )


def test_check_reports_failures_with_hints(capsys: pytest.CaptureFixture) -> None:
    def solve_kkt(y, C):
        return np.asarray(y, dtype=float), 0.0

    report = selfcheck.check("ex-kkt-2d", {"solve_kkt": solve_kkt})
    rows = {r.name: r for r in report.rows}
    assert rows["kkt-inactive"].passed and not rows["kkt-active"].passed
    assert rows["shadow-price-active"].why == "define `shadow_price` (run the cell that defines it)"
    assert report.score == 1
    assert "hint: Here ‖y‖² > C, so the budget binds." in capsys.readouterr().out


def test_check_rejects_unknown_ids_and_is_silent_in_the_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValueError, match="unknown exercise 'ex-nope'; known: ex-constrained-ls"):
        selfcheck.check("ex-nope", {})
    with pytest.raises(ValueError, match="exercise must be an id"):
        selfcheck.check("../../etc/passwd", {})
    monkeypatch.setenv("NORMCOURSE_GRADING_WORKER", "1")
    assert selfcheck.check("ex-kkt-2d", {}).skipped


# ---------------------------------------------------------------------------- grader pieces


def test_discover_and_identify(tmp_path: Path) -> None:
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "work.md").write_text("---\nexercise: {id: ex-kkt-2d}\n---\n")
    (tmp_path / "ann" / "notes.txt").write_text("x")
    (tmp_path / "bo b.ipynb").write_text("{}")
    (tmp_path / "cy").mkdir()
    (tmp_path / "cy" / "a.pdf").write_text("x")
    (tmp_path / ".hidden").mkdir()
    subs = grader.discover(tmp_path)
    assert [(s.student, s.slug) for s in subs] == [("ann", "ann"), ("bo b", "bo_b"), ("cy", "cy")]
    assert subs[2].problems == ["no notebook (.md or .ipynb) in the submission (found: a.pdf)"]
    known = ["ex-kkt-2d", "ex-soft-threshold"]
    nb, cells = grader.read_cells(tmp_path / "ann" / "work.md")
    assert grader.identify(nb, cells, Path("work.md"), known) == "ex-kkt-2d"
    nb.metadata = {}
    cells = ['check("ex-soft-threshold")']
    assert grader.identify(nb, cells, Path("x.md"), known) == "ex-soft-threshold"
    assert grader.identify(nb, [], Path("my-ex-kkt-2d.ipynb"), known) == "ex-kkt-2d"
    assert grader.identify(nb, [], Path("x.md"), known) is None


def test_gradebook_cells_are_safe() -> None:
    assert intake._slug("grades.csv") == "student-grades.csv"
    assert intake._slug("../../etc") == "etc" and intake._slug("Ana María") == "Ana_Mar_a"
    ex = {"ex-x": grader.Exercise(spec.ExerciseSpec.from_metadata(_with(id="ex-x")), [])}
    r = grader.StudentResult("=HYPERLINK(1)", "x", problems=["@SUM(1)"])
    row = next(csv.DictReader(io.StringIO(grader.grades_csv([r], ex))))
    assert row["student"] == "'=HYPERLINK(1)" and row["notes"] == "'@SUM(1)"


def test_atomic_write_keeps_the_old_file_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "grades.csv"
    grader.atomic_write(target, "old\n")

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        grader.atomic_write(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]  # no temp file left


def test_limits_validate() -> None:
    with pytest.raises(ValueError, match="timeout must be > 0"):
        sandbox.Limits(timeout=0)
    with pytest.raises(ValueError, match="memory_mb must be ≥ 256"):
        sandbox.Limits(memory_mb=100)
    with pytest.raises(ValueError, match="sandbox must be"):
        sandbox.Sandbox.detect("docker")


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed")
def test_bwrap_is_used_when_installed() -> None:
    """A broken bwrap command line must not silently degrade to the rlimits fallback.

    This also covers a checkout that lives under /tmp: the sandbox's private /tmp must not
    hide the read-only interpreter and package binds (they are mounted after the tmpfs).
    """
    box = sandbox.Sandbox.detect("auto")
    assert box.kind == "bwrap", box.note


def test_private_tmp_is_mounted_before_the_read_only_binds(tmp_path: Path) -> None:
    box = sandbox.Sandbox("bwrap", "", "/usr/bin/bwrap")
    cmd, _, _ = box.command(tmp_path, None, ["-c", "pass"])
    tmpfs_at = cmd.index("/tmp", cmd.index("--tmpfs"))
    first_bind = cmd.index("--ro-bind")
    assert tmpfs_at < first_bind


def test_worker_transform_drops_magics() -> None:
    from normcourse.grading.worker import transform_cell

    assert transform_cell("%matplotlib inline\nx = 1\n  !ls") == "pass\nx = 1\n  pass"
    assert transform_cell("%%time\nx = 1") == "x = 1"
    assert transform_cell("%%bash\nls") is None


# ---------------------------------------------------------------------------- CLI


def _student(folder: Path, name: str, body: str) -> None:
    (folder / name).mkdir(parents=True)
    (folder / name / "ex-kkt-2d.md").write_text(
        "---\nexercise: {id: ex-kkt-2d}\n---\n\n```{code-cell} ipython3\n" + body + "\n```\n"
    )


KKT_RIGHT = textwrap.dedent(
    """\
    import numpy as np
    def solve_kkt(y, C):
        y = np.asarray(y, float)
        lam = max(0.0, (np.linalg.norm(y) / np.sqrt(C) - 1) / 2)
        return y / (1 + 2 * lam), lam
    def shadow_price(y, C):
        return -solve_kkt(y, C)[1]"""
)


def test_cli_grade_end_to_end(tmp_path: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    _student(subs, "alice", KKT_RIGHT)
    _student(subs, "bob", "def solve_kkt(y, C):\n    return y, 0.0")
    cmd = [sys.executable, "-m", "normcourse", "grade", str(subs), "--out", str(out),
           "--solutions", str(SOLUTIONS), "--jobs", "2"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "graded 2 submission(s)" in proc.stdout
    assert "grading" in proc.stderr  # the tqdm progress bar
    rows = {r["student"]: r for r in csv.DictReader(open(out / "grades.csv"))}
    assert rows["alice"]["ex-kkt-2d"] == "19" and rows["alice"]["total"] == "19"
    # bob: right where the constraint is slack (kkt-inactive, kkt-large-c, kkt-zero-y: 1
    # point each, kkt-inactive-random and kkt-conditions-inactive: 2 each), wrong where it
    # binds, shadow_price missing
    assert rows["bob"]["ex-kkt-2d"] == "7"
    assert [k for k, v in rows["bob"].items() if k.startswith("ex-kkt-2d/") and v != "0"] == [
        "ex-kkt-2d/kkt-inactive", "ex-kkt-2d/kkt-large-c", "ex-kkt-2d/kkt-zero-y",
        "ex-kkt-2d/kkt-inactive-random", "ex-kkt-2d/kkt-conditions-inactive"]
    assert rows["bob"]["ex-soft-threshold/ista-wide"] == "0"
    fb = (out / "bob" / "feedback.md").read_text()
    assert "| kkt-active | public | 0 / 2 | failed | value 0: wrong values — " in fb
    assert "\\|error\\| = 3.2 at index (1,)" in fb
    assert "| shadow-price-random | hidden | 0 / 2 | failed | function not defined" in fb
    # no hidden-check hint of an exercise bob did not hand in (only his kkt notebook)
    assert "| ista-wide | hidden | 0 / 2 | failed | no notebook for this exercise" in fb
    assert "more features than samples" not in fb
    assert "more features than samples" not in (out / "bob" / "results.json").read_text()
    # a problem (a cell that raises) makes the exit code 1
    (subs / "bob" / "ex-kkt-2d.md").write_text(
        "---\nexercise: {id: ex-kkt-2d}\n---\n\n```{code-cell} ipython3\n1 / 0\n```\n")
    proc = subprocess.run([*cmd, "--no-progress"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and proc.stderr == ""
    assert "ZeroDivisionError" in (out / "grades.csv").read_text()


def test_cli_grade_one_assignment_scopes_gradebook_feedback_and_results(tmp_path: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    _student(subs, "alice", KKT_RIGHT)
    _student(subs, "bob", "def solve_kkt(y, C):\n    return y, 0.0")
    # bob also hands in a notebook of another exercise: reported, not graded
    (subs / "bob" / "ex-soft-threshold.md").write_text(
        "---\nexercise: {id: ex-soft-threshold}\n---\n\n```{code-cell} ipython3\nx = 1\n```\n")
    cmd = [sys.executable, "-m", "normcourse", "grade", str(subs), "--out", str(out),
           "--solutions", str(SOLUTIONS), "--exercise", "ex-kkt-2d", "--no-progress"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr  # bob's stray notebook is a problem to look at
    header = (out / "grades.csv").read_text().splitlines()[0].split(",")
    assert header[0] == "student" and header[-3:] == ["total", "max", "notes"]
    assert all(h.startswith("ex-kkt-2d") for h in header[1:-3])
    rows = {r["student"]: r for r in csv.DictReader(open(out / "grades.csv"))}
    assert rows["alice"]["total"] == rows["alice"]["max"] == "19"
    assert rows["bob"]["total"] == "7" and rows["bob"]["max"] == "19"
    assert "ex-soft-threshold, which is not in this assignment" in rows["bob"]["notes"]
    other_ids = [p.stem for p in SOLUTIONS.glob("ex-*.md") if p.stem != "ex-kkt-2d"]
    for student in ("alice", "bob"):
        text = (out / student / "feedback.md").read_text()
        text += (out / student / "results.json").read_text()
        stray = "ex-soft-threshold.md: this notebook is ex-soft-threshold, which is not in"
        listed = "ex-soft-threshold.md`: this notebook is ex-soft-threshold, which is not in"
        text = text.replace(stray, "").replace(listed, "")
        assert not [i for i in other_ids if i in text], student
    assert "Total 19 / 19." in (out / "alice" / "results.json").read_text()
    assert "Total 7 / 19." in (out / "bob" / "results.json").read_text()
    # an id that is not an exercise stops the run before grading anything
    bad = subprocess.run([*cmd[:-3], "--exercise", "ex-nope"], capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 2 and "unknown exercise id(s) ['ex-nope']" in bad.stderr


@pytest.mark.parametrize(
    "argv, message",
    [
        ([], "required"),
        (["grade", "nowhere", "--out", "o"], "submissions folder not found: nowhere"),
        (["grade", ".", "--out", "o", "--jobs", "0"], "jobs must be an integer between 1 and 64"),
        (["grade", "tests", "--out", "tests/o"], "must not be inside the submissions folder"),
        (["grade", "tests", "--out", "o", "--timeout", "-1"], "timeout must be > 0"),
        (["grade", "tests", "--out", "o", "--solutions", "nope"], "solutions folder not found"),
        (["grade", "tests", "--out", "o", "--sandbox", "docker"], "invalid choice"),
        (["release", "--root", "/nonexistent"], "no solutions folder"),
    ],
)
def test_cli_usage_errors_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_cli_release_check_is_clean(capsys: pytest.CaptureFixture) -> None:
    assert main(["release", "--root", str(ROOT), "--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_rlimits_fallback_is_reported(tmp_path: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    _student(subs, "alice", KKT_RIGHT)
    _student(subs, "loop", KKT_RIGHT + "\ndef shadow_price(y, C):\n    while True:\n        pass")
    run = grader.grade(subs, out, SOLUTIONS, jobs=2, sandbox="rlimits", progress=False,
                       limits=sandbox.Limits(timeout=1.0, cell_timeout=5.0), preflight=False)
    by = run.by_student()
    kkt, _ = spec.load_solution(SOLUTIONS / "ex-kkt-2d.md")
    shadow = sum(c.points for c in kkt.checks if c.function == "shadow_price")
    assert by["alice"].total == kkt.max_points == 19
    assert by["loop"].total == 19 - shadow  # every shadow-price check times out
    assert "rlimits only" in (out / "alice" / "feedback.md").read_text()
    assert "rlimits only" in json.loads((out / "loop" / "results.json").read_text())["output"]


@pytest.mark.skipif(os.geteuid() != 0, reason="as root the probe is left to the zygote")
def test_a_bwrap_that_does_not_work_falls_back_to_rlimits_with_a_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # grade() lets a zygote that starts stand for the bubblewrap probe; when no zygote
    # starts (here: a bwrap that fails every time), the probe runs and the run falls back
    broken = tmp_path / "bin" / "bwrap"
    broken.parent.mkdir()
    broken.write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\n"
                      "exit 1\n")
    broken.chmod(0o755)
    monkeypatch.setenv("PATH", f"{broken.parent}:{os.environ['PATH']}")
    subs, out = tmp_path / "subs", tmp_path / "out"
    _student(subs, "alice", KKT_RIGHT)
    run = grader.grade(subs, out, SOLUTIONS, progress=False, exercise_ids=["ex-kkt-2d"])
    assert run.by_student()["alice"].total == 19
    assert run.sandbox.startswith("WARNING: bwrap is installed but failed")
    assert "Permission denied" in run.sandbox
    with pytest.raises(ValueError, match="--sandbox bwrap: bwrap does not work here"):
        grader.grade(subs, tmp_path / "out2", SOLUTIONS, progress=False, sandbox="bwrap",
                     exercise_ids=["ex-kkt-2d"])
