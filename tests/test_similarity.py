"""``normcourse grade --similarity``: the code-similarity report (no sandbox: static reading).

The class of ex-soft-threshold below has a renamed and reformatted copy, two honest answers
written independently (one vectorised, one with loops), a paste of the library's own
soft-thresholding kernel and ISTA loop, a copy of the reference solution and two unsolved
notebooks; :func:`normcourse.grading.similarity.write_report` must flag the first three
kinds of copying and nothing else.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import textwrap
from pathlib import Path

import pytest
from copydetect import CodeFingerprint, compare_files

from normcourse.grading import codescan, grader
from normcourse.grading import similarity as sim
from normcourse.grading import spec as sp

ROOT = Path(__file__).resolve().parents[1]
EX = "ex-soft-threshold"
FUNCTIONS = ["soft_threshold", "ista"]
HEADER = "---\nexercise: {id: ex-soft-threshold}\n---\n"
SETUP = "import math\n\nimport numpy as np"

# an answer of its own (not the reference's shape: a helper, a while loop)
ORIGINAL = '''
def _shrink(v, t):
    mag = np.abs(v) - t
    mag[mag < 0] = 0.0
    return np.copysign(mag, v) + 0.0


def soft_threshold(w, tau):
    w = np.array(w, dtype=float, copy=True)
    return _shrink(w, tau)


def ista(X, y, lam, n_iter):
    n_obs = X.shape[0]
    lipschitz = np.linalg.norm(X, ord=2) ** 2 / n_obs
    coef = np.zeros(X.shape[1])
    count = 0
    while count < n_iter:
        residual = X @ coef - y
        coef = soft_threshold(coef - X.T @ residual / (n_obs * lipschitz), lam / lipschitz)
        count += 1
    return coef
'''

# the same, renamed, re-spaced, re-wrapped and commented
RENAMED = '''
def _shrink(vals,thr):   # shrink towards 0
    # magnitude minus the threshold
    m = np.abs(vals)-thr
    m[m<0]=0.0
    return np.copysign(m,vals)+0.0

def soft_threshold(w, tau):
    """My soft-thresholding."""
    arr = np.array(w,
                   dtype=float,
                   copy=True)
    return _shrink(arr,tau)

def ista(X, y, lam, n_iter):
    N = X.shape[0]; L = np.linalg.norm(X, ord=2)**2/N   # Lipschitz constant
    beta = np.zeros(X.shape[1])
    it = 0
    while it<n_iter:
        # gradient step, then the prox
        r = X@beta - y
        beta = soft_threshold(beta - X.T@r/(N*L),
                              lam/L)
        it += 1
    return beta
'''

HONEST_VECTORISED = '''
def soft_threshold(w, tau):
    w = np.array(w, dtype=np.float64)
    magnitude = np.clip(np.abs(w) - tau, 0, None)
    out = np.where(w >= 0, magnitude, -magnitude)
    out[out == 0] = 0.0
    return out


def ista(X, y, lam, n_iter):
    n = len(y)
    lipschitz = (np.linalg.svd(X, compute_uv=False)[0] ** 2) / n
    coef = np.zeros(X.shape[1])
    XtX = X.T @ X / n
    Xty = X.T @ y / n
    for _ in range(n_iter):
        coef = soft_threshold(coef - (XtX @ coef - Xty) / lipschitz, lam / lipschitz)
    return coef
'''

HONEST_LOOPS = '''
def soft_threshold(w, tau):
    arr = np.asarray(w, dtype=float)
    flat = arr.ravel().copy()
    for i in range(flat.size):
        v = flat[i]
        if v > tau:
            flat[i] = v - tau
        elif v < -tau:
            flat[i] = v + tau
        else:
            flat[i] = 0.0
    return flat.reshape(arr.shape)


def ista(X, y, lam, n_iter):
    n_samples, n_features = X.shape
    big_l = np.linalg.norm(X, ord=2) ** 2 / n_samples
    t = 1 / big_l
    w = np.zeros(n_features)
    it = 0
    while it < n_iter:
        grad_f = X.T.dot(X.dot(w) - y) / n_samples
        w = soft_threshold(w - t * grad_f, t * lam)
        it += 1
    return w
'''

# normcourse.penalties._soft_np and the loop of normcourse.solvers.proxgrad.run_prox_grad,
# renamed, with the data term written out and the options switched off
LIBRARY_PASTE = '''
def soft_threshold(v, thr):
    return np.sign(v) * np.maximum(np.abs(v) - thr, 0.0) + 0.0


def ista(X, y, lam, n_iter):
    n, p = X.shape
    Lip = np.linalg.norm(X, 2) ** 2 / n
    backtrack = accel = rest = False

    def value(b, Ab):
        return 0.5 * np.sum((y - Ab) ** 2) / n

    def gradient(b, Ab):
        return -X.T @ (y - Ab) / n

    cur = np.array(np.zeros(p), dtype=np.float64, copy=True)
    lin = X.dot(cur)
    zz, Azz, tk = cur, lin, 1.0
    it = 0
    while it < n_iter:
        it += 1
        grd = gradient(zz, Azz)
        if backtrack:
            fz = value(zz, Azz)
            slack = 1e-12 * max(1.0, abs(fz))
            while True:
                step = 1.0 / Lip
                new = soft_threshold(zz - step * grd, step * lam)
                lin_new = X.dot(new)
                d = new - zz
                quad = fz + float(np.vdot(grd, d)) + 0.5 * Lip * float(np.vdot(d, d))
                if value(new, lin_new) <= quad + slack:
                    break
                Lip *= 2.0
        else:
            step = 1.0 / Lip
            new = soft_threshold(zz - step * grd, step * lam)
            lin_new = X.dot(new)
        if accel:
            if rest and float(np.vdot(zz - new, new - cur)) > 0:
                tk = 1.0
            tk_new = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * tk * tk))
            mom = (tk - 1.0) / tk_new
            zz = new + mom * (new - cur)
            Azz = lin_new + mom * (lin_new - lin)
            tk = tk_new
        else:
            zz, Azz = new, lin_new
        cur, lin = new, lin_new
    return cur
'''

# only the two lines the statement spells out: alike between students (and like the
# reference), but too little to mean anything
TWO_LINES = '''
def soft_threshold(w, tau):
    w = np.asarray(w, dtype=float)
    return np.sign(w) * np.maximum(np.abs(w) - tau, 0.0)


def ista(X, y, lam, n_iter):
    raise NotImplementedError("write your code here")
'''

SCRIPT_NAME = "<script>alert('x')</script>"


def _notebook(cells: list[str]) -> str:
    return HEADER + "".join(f"\n```{{code-cell}} ipython3\n{c.strip()}\n```\n" for c in cells)


def _reference_cells() -> list[str]:
    _, nb = sp.load_solution(ROOT / "solutions" / f"{EX}.md")
    return [c.source for c in nb.cells if c.cell_type == "code"
            and "solution-only" not in c.metadata.get("tags", [])]


def _stub_notebook() -> str:
    """The released student notebook: every function still raises NotImplementedError."""
    return (ROOT / "exercises" / f"{EX}.md").read_text(encoding="utf-8")


def _submit(root: Path, student: str, *notebooks: str) -> grader.Submission:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", student).strip("_")
    folder = root / slug
    folder.mkdir(parents=True)
    paths = []
    for i, text in enumerate(notebooks):
        p = folder / f"{i}-{EX}.md"
        p.write_text(text, encoding="utf-8")
        paths.append(p)
    return grader.Submission(student, slug, folder, paths)


@pytest.fixture(scope="module")
def exercises() -> dict[str, grader.Exercise]:
    return {EX: grader.load_exercises(ROOT / "solutions")[EX]}


CLASS = {
    "ana": [SETUP, ORIGINAL],
    "ben": [SETUP, RENAMED],
    "vera": [SETUP, HONEST_VECTORISED],
    "leo": [SETUP, HONEST_LOOPS],
    "paul": [SETUP, LIBRARY_PASTE],
    "rita": None,  # the reference solution's cells
    "una": [SETUP, TWO_LINES],
    "otto": [SETUP, TWO_LINES.replace("w", "vec").replace("tau", "t")],
}


@pytest.fixture(scope="module")
def run(exercises, tmp_path_factory) -> tuple[sim.SimilarityReport, Path]:
    root = tmp_path_factory.mktemp("subs")
    subs = [_submit(root, name, _notebook(cells if cells is not None else _reference_cells()))
            for name, cells in CLASS.items()]
    # a third copy of ana's, under a name that is HTML
    subs.append(_submit(root, SCRIPT_NAME, _notebook([SETUP, RENAMED.replace("beta", "b")])))
    # unsolved: the released notebook; one of them hands in a solved notebook second
    subs.append(_submit(root, "stan", _stub_notebook()))
    subs.append(_submit(root, "stef", _stub_notebook(), _notebook([SETUP, ORIGINAL])))
    out = tmp_path_factory.mktemp("out")
    return sim.write_report(subs, exercises, out), out


def _find(rep: sim.SimilarityReport, a: str, b: str) -> sim.SimilarPair | None:
    for p in rep.pairs:
        if {p.a, p.b} == {a, b} or (p.a == a and p.b.startswith(b)):
            return p
    return None


def _by_kind(rep: sim.SimilarityReport, student: str, kind: str) -> sim.SimilarPair | None:
    return next((p for p in rep.pairs if p.a == student and p.kind == kind), None)


# ====================================================================== what is flagged


def test_renamed_copy_is_flagged(run) -> None:
    rep, _ = run
    p = _find(rep, "ana", "ben")
    assert p is not None and p.kind == "students"
    assert p.flagged and p.similarity >= 0.9, p
    assert p.tokens_overlap >= sim.MIN_OVERLAP
    third = _find(rep, "ana", SCRIPT_NAME)
    assert third is not None and third.flagged


def test_renaming_does_not_change_copydetects_tokens() -> None:
    """What the detector relies on: copydetect's filtered code replaces identifiers."""
    a, b = (CodeFingerprint("x.py", sim.K, sim.WINDOW, language="python", fp=io.StringIO(
        codescan.graded_source([SETUP, c], FUNCTIONS))) for c in (ORIGINAL, RENAMED))
    assert a.filtered_code == b.filtered_code
    assert a.raw_code != b.raw_code


def test_honest_answers_are_not_flagged(run) -> None:
    rep, _ = run
    p = _find(rep, "vera", "leo")
    assert p is None or (not p.flagged and p.similarity < 0.3), p
    for student in ("vera", "leo"):
        assert not [q for q in rep.flagged if student in (q.a, q.b)], student


def test_library_paste_is_flagged_naming_the_files(run) -> None:
    rep, _ = run
    p = _by_kind(rep, "paul", "library")
    assert p is not None and p.flagged and p.similarity >= 0.6, p
    assert p.sources[:2] == ("normcourse/solvers/proxgrad.py", "normcourse/penalties.py")
    assert p.b == "library: " + ", ".join(p.sources)
    assert not any(s.startswith(("normcourse/grading", "normcourse/plotting"))
                   for q in rep.pairs for s in q.sources)


def test_reference_copy_is_flagged_as_reference(run) -> None:
    rep, _ = run
    p = _by_kind(rep, "rita", "reference")
    assert p is not None and p.flagged and p.similarity > 0.95, p
    assert p.b == f"reference: {EX}.md"
    # the honest answers and the paste are not flagged against the reference
    for student in ("vera", "leo", "paul", "ana"):
        q = _by_kind(rep, student, "reference")
        assert q is None or not q.flagged, q


def test_unsolved_stubs_and_two_line_answers_are_not_flagged(run) -> None:
    rep, _ = run
    assert rep.skipped[EX] == ["stan", "stef"]  # stef's first notebook is the stub
    assert "stan" not in rep.compared[EX]
    assert not [p for p in rep.pairs if {"stan", "stef"} & {p.a, p.b}]
    p = _find(rep, "una", "otto")
    assert p is not None and p.similarity == 1.0 and not p.flagged  # too few tokens
    assert p.tokens_overlap < sim.MIN_OVERLAP
    for source in ("reference", "library"):
        q = _by_kind(rep, "una", source)
        assert q is not None and not q.flagged, q


def test_only_copies_are_flagged(run) -> None:
    rep, _ = run
    flagged = {frozenset((p.a, p.b if p.kind == "students" else p.kind))
               for p in rep.flagged}
    assert flagged == {frozenset(x) for x in (
        ("ana", "ben"), ("ana", SCRIPT_NAME), ("ben", SCRIPT_NAME), ("paul", "library"),
        ("rita", "reference"))}
    sims = [p.similarity for p in rep.pairs]
    assert sims == sorted(sims, reverse=True)


def test_shares_are_copydetects(exercises, monkeypatch) -> None:
    """The vectorised shares equal compare_files' for every pair (both directions), also
    when the share matrix is gathered in small blocks."""
    mat = sim._material(exercises[EX])
    docs = [sim._Doc(name, sim._fingerprint(codescan.graded_source([SETUP, code], FUNCTIONS),
                                            name, mat.boilerplate))
            for name, code in (("a", ORIGINAL), ("b", RENAMED), ("c", HONEST_VECTORISED),
                               ("d", HONEST_LOOPS), ("e", LIBRARY_PASTE), ("f", TWO_LINES))]
    tokens = sim._share_matrix(docs)
    for (i, x), (j, y) in itertools.combinations(enumerate(docs), 2):
        overlap, (s1, s2), _ = compare_files(x.fp, y.fp)
        assert tokens[i, j] == overlap
        assert tokens[i, j] / x.fp.token_coverage == pytest.approx(s1, abs=1e-12)
        assert tokens[j, i] / y.fp.token_coverage == pytest.approx(s2, abs=1e-12)
        assert x.share_in(y)[0] == pytest.approx(s1, abs=1e-12)
    monkeypatch.setattr(sim, "_CHUNK", 7)
    assert (sim._share_matrix(docs) == tokens).all()


# ====================================================================== the files


def test_csv_parses_with_the_columns(run) -> None:
    rep, out = run
    assert rep.csv == out / "similarity.csv"
    rows = list(csv.DictReader(rep.csv.read_text(encoding="utf-8").splitlines()))
    assert tuple(rows[0]) == sim.CSV_COLUMNS == (
        "exercise", "student_a", "student_b_or_source", "similarity", "tokens_overlap",
        "flagged")
    assert len(rows) == len(rep.pairs)
    first = rows[0]
    assert first["exercise"] == EX and first["flagged"] == "yes"
    assert 0 <= float(first["similarity"]) <= 1 and int(first["tokens_overlap"]) > 0
    assert {r["flagged"] for r in rows} == {"yes", "no"}
    assert any(r["student_b_or_source"].startswith("library: ") for r in rows)


def test_html_is_self_contained_and_escaped(run) -> None:
    rep, out = run
    assert rep.html == out / "similarity.html"
    page = rep.html.read_text(encoding="utf-8")
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    for external in ("http://", "https://", "<link", "@import", "url(", "src="):
        assert external not in page
    assert page.count('<tr class="head">') == len(rep.flagged)
    assert "<mark>" in page and "normcourse/solvers/proxgrad.py" in page


def test_top_limits_the_html(exercises, tmp_path) -> None:
    subs = []
    root = tmp_path / "subs"
    for name in ("a1", "a2", "a3"):
        subs.append(_submit(root, name, _notebook([SETUP, ORIGINAL])))
    small = sim.write_report(subs, exercises, tmp_path / "out", top=1, threshold=0.9)
    assert len(small.flagged) == 3  # every pair; the CSV has them all
    assert small.html.read_text(encoding="utf-8").count('<tr class="head">') == 1


def test_every_released_notebook_unsolved_is_skipped(tmp_path) -> None:
    """For every exercise, the stubs as released leave no fingerprint: the starter code is
    boilerplate however the graded functions' stubs follow each other."""
    exercises = {}
    for path in sorted((ROOT / "solutions").glob("ex-*.md")):
        spec, _ = sp.load_solution(path)
        exercises[spec.id] = grader.Exercise(spec, [])
    folder = tmp_path / "subs" / "stan"
    folder.mkdir(parents=True)
    for ex_id in exercises:
        (folder / f"{ex_id}.md").write_text(
            (ROOT / "exercises" / f"{ex_id}.md").read_text(encoding="utf-8"), encoding="utf-8")
    sub = grader.Submission("stan", "stan", folder, sorted(folder.glob("*.md")))
    rep = sim.write_report([sub], exercises, tmp_path / "out")
    assert rep.skipped == {ex_id: ["stan"] for ex_id in exercises}
    assert rep.pairs == []


def test_notebook_of_another_exercise_is_not_compared(exercises, tmp_path) -> None:
    """Matched to exercises as the grader does: its metadata wins over its file name."""
    other = _notebook([SETUP, ORIGINAL]).replace(EX, "ex-kkt-2d", 1)
    subs = [_submit(tmp_path / "s", "ana", _notebook([SETUP, ORIGINAL])),
            _submit(tmp_path / "s", "kim", other)]  # kim's file is named 0-ex-soft-threshold.md
    rep = sim.write_report(subs, exercises, tmp_path / "out")
    assert rep.compared == {EX: ["ana"]} and rep.skipped == {EX: []}


# ====================================================================== arguments


@pytest.mark.parametrize("kwargs", [
    {"top": 0}, {"top": 2.5}, {"top": True}, {"threshold": 0}, {"threshold": 1.5},
    {"threshold": float("nan")}, {"threshold": "0.5"}, {"progress": "yes"},
])
def test_bad_options_raise(exercises, tmp_path, kwargs) -> None:
    with pytest.raises(ValueError):
        sim.write_report([], exercises, tmp_path, **kwargs)


def test_bad_arguments_raise(exercises, tmp_path) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    sub = grader.Submission("s", "s", tmp_path, [])
    with pytest.raises(ValueError, match="folder"):
        sim.write_report([], exercises, a_file)
    with pytest.raises(ValueError, match="exercises"):
        sim.write_report([], {}, tmp_path)
    with pytest.raises(ValueError, match="Exercise"):
        sim.write_report([], {EX: "not an exercise"}, tmp_path)
    with pytest.raises(ValueError, match="subs"):
        sim.write_report("abc", exercises, tmp_path)
    with pytest.raises(ValueError, match="Submission"):
        sim.write_report(["abc"], exercises, tmp_path)
    with pytest.raises(ValueError, match="two submissions"):
        sim.write_report([sub, sub], exercises, tmp_path)
    assert not (tmp_path / "similarity.csv").exists()


def test_no_submissions_writes_an_empty_report(exercises, tmp_path) -> None:
    rep = sim.write_report([], exercises, tmp_path / "o")
    assert rep.pairs == [] and rep.compared == {EX: []}
    assert rep.csv.read_text(encoding="utf-8").strip() == ",".join(sim.CSV_COLUMNS)
    assert "No pair above the threshold" in rep.html.read_text(encoding="utf-8")


def test_module_docstring_states_the_parameters() -> None:
    doc = textwrap.dedent(sim.__doc__ or "")
    assert f"= {sim.K} filtered characters" in doc and f"= {sim.WINDOW}" in doc
    assert "larger" in doc and "student's" in doc


def test_normcourse_grade_similarity_writes_the_report(tmp_path: Path) -> None:
    # end to end through the command line: graded in the sandbox, then compared
    import shutil

    from normcourse.__main__ import main

    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed (.ci/run installs it)")
    subs = tmp_path / "subs"
    for name, cells in (("ana", [SETUP, ORIGINAL]), ("ben", [SETUP, RENAMED]),
                        ("paul", [SETUP, LIBRARY_PASTE]), ("vera", [SETUP, HONEST_VECTORISED])):
        (subs / name).mkdir(parents=True)
        (subs / name / f"{EX}.md").write_text(_notebook(cells), encoding="utf-8")
    out = tmp_path / "out"
    main(["grade", str(subs), "--out", str(out), "--exercise", EX, "--similarity",
          "--no-preflight", "--no-progress"])
    rows = list(csv.DictReader(io.StringIO((out / "similarity.csv").read_text())))
    flagged = {(r["student_a"], r["student_b_or_source"].split(":")[0]) for r in rows
               if r["flagged"] == "yes"}
    assert {("ana", "ben"), ("paul", "library")} <= flagged or {
        ("ben", "ana"), ("paul", "library")} <= flagged
    assert not any("vera" in pair for pair in flagged)
    assert (out / "similarity.html").read_text().count("<script") == 0
