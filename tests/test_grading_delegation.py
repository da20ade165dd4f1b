"""Delegation to the library: a graded function that calls the library's own answer scores 0.

The library that every notebook imports holds the reference implementation of many
exercises. During graded calls, the sandboxed worker makes the forbidden library functions
raise (and records the use: a student who catches the error is still caught), and the
grader's static scan (:mod:`normcourse.grading.codescan`) reads what each graded function
reaches for imports and attribute uses of them. One grading run through the real sandbox
covers the ways in and the honest cases that must stay unflagged.
"""

from __future__ import annotations

import ast
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pytest

from normcourse import penalties
from normcourse.grading import codescan, grader, spec

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EX = "ex-soft-threshold"

HEADER = textwrap.dedent("""\
    ---
    jupytext:
      text_representation: {extension: .md, format_name: myst}
    kernelspec: {display_name: Python 3, language: python, name: python3}
    exercise: {id: ex-soft-threshold}
    ---
    """)

ISTA = textwrap.dedent("""\
    def ista(X, y, lam, n_iter):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        n, p = X.shape
        eta = n / np.linalg.norm(X, 2) ** 2
        theta = np.zeros(p)
        for _ in range(n_iter):
            z = theta + eta * X.T @ (y - X @ theta) / n
            theta = np.sign(z) * np.maximum(np.abs(z) - eta * lam, 0.0)
        return theta
    """)

OWN_SOFT = textwrap.dedent("""\
    def soft_threshold(w, tau):
        w = np.asarray(w, dtype=float)
        return np.sign(w) * np.maximum(np.abs(w) - tau, 0.0)
    """)

# student -> (code cells, expected points out of 13: soft_threshold 4, ista 9)
STUDENTS: dict[str, tuple[list[str], int]] = {
    # the issue's submission: a method of the library's penalty (caught while running)
    "l1-prox": (["import numpy as np\nfrom normcourse import penalties",
                 "def soft_threshold(w, tau):\n"
                 "    return penalties.L1(1.0).prox(np.asarray(w, float), tau)", ISTA], 9),
    "direct-import": (["import numpy as np\nfrom normcourse.penalties import soft_threshold",
                       ISTA], 9),
    "package-attribute": (["import numpy as np\nimport normcourse.penalties",
                           "def soft_threshold(w, tau):\n"
                           "    return normcourse.penalties.soft_threshold(w, tau)", ISTA], 9),
    "top-level-alias": (["import numpy as np\nfrom normcourse import penalties as P",
                         "_st = P.soft_threshold\n\ndef soft_threshold(w, tau):\n"
                         "    return _st(w, tau)", ISTA], 9),
    "private-alias": (["import numpy as np\nfrom normcourse.penalties import _soft_np as _s",
                       "def soft_threshold(w, tau):\n"
                       "    return _s(np.asarray(w, float), np.asarray(tau, float))", ISTA], 9),
    "importlib": (["import numpy as np\nimport importlib",
                   "def soft_threshold(w, tau):\n"
                   "    m = importlib.import_module('normcourse.penalties')\n"
                   "    return m.soft_threshold(w, tau)", ISTA], 9),
    # names built at run time: invisible to the static scan, caught while running
    "dynamic-names": (["import numpy as np\nimport importlib",
                       "def soft_threshold(w, tau):\n"
                       "    m = importlib.import_module('normcourse.' + 'penal' + 'ties')\n"
                       "    return vars(m)['soft_' + 'threshold'](w, tau)", ISTA], 9),
    "caught-and-fell-back": (["import numpy as np\nimport importlib",
                              "def soft_threshold(w, tau):\n"
                              "    try:\n"
                              "        m = importlib.import_module('normcourse.' + 'penalties')\n"
                              "        return getattr(m, 'soft_' + 'threshold')(w, tau)\n"
                              "    except Exception:\n"
                              "        w = np.asarray(w, dtype=float)\n"
                              "        return np.sign(w) * np.maximum(np.abs(w) - tau, 0.0)",
                              ISTA], 9),
    # a copy of the function object made at cell time escapes the run-time guard: the
    # static scan still reads penalties.soft_threshold in the code it reaches
    "copied-function": (["import numpy as np\nimport types\nfrom normcourse import penalties",
                         "_f = penalties._soft_np\n"
                         "_copy = types.FunctionType(_f.__code__, _f.__globals__)\n\n"
                         "def soft_threshold(w, tau):\n"
                         "    return _copy(np.asarray(w, float), np.asarray(tau, float))",
                         ISTA], 9),
    # a library module first imported inside the graded call is armed on import
    "module-imported-in-the-call": (["import numpy as np\nimport importlib",
                                     "def soft_threshold(w, tau):\n"
                                     "    m = importlib.import_module('normcourse.' + 'gan')\n"
                                     "    try:\n"
                                     "        m.summarize([])\n"
                                     "    except Exception:\n"
                                     "        pass\n"
                                     "    w = np.asarray(w, dtype=float)\n"
                                     "    return np.sign(w) * np.maximum(np.abs(w) - tau, 0.0)",
                                     ISTA], 9),
    # the library called while the result is converted to plain data (an ndarray subclass
    # whose dtype property fills in the answer), not while the function runs: still caught
    "delegating-result": (["import numpy as np\nimport importlib",
                           "class Lazy(np.ndarray):\n"
                           "    @property\n"
                           "    def dtype(self):\n"
                           "        m = importlib.import_module('normcourse.' + 'penal' + 'ties')\n"
                           "        self[...] = vars(m)['soft_' + 'threshold'](self.w, self.tau)\n"
                           "        return np.ndarray.dtype.__get__(self)\n\n"
                           "def soft_threshold(w, tau):\n"
                           "    w = np.asarray(w, dtype=float)\n"
                           "    out = np.zeros_like(w).view(Lazy)\n"
                           "    out.w, out.tau = w, tau\n"
                           "    return out", ISTA], 9),
    "ista-via-solver": (["import numpy as np\nfrom normcourse import penalties, solvers",
                         OWN_SOFT,
                         "def ista(X, y, lam, n_iter):\n"
                         "    return solvers.prox_grad(X, y, penalties.L1(lam), method='ista',\n"
                         "                             tol=0.0, max_iter=n_iter).theta"], 4),
    # honest: the library in demonstration cells, and a helper that shares a library name
    "honest-with-demos": (["import numpy as np\nfrom normcourse import penalties, solvers",
                           OWN_SOFT, ISTA,
                           "w = np.linspace(-2, 2, 5)\n"
                           "print(np.allclose(soft_threshold(w, 1.0), "
                           "penalties.soft_threshold(w, 1.0)))",
                           "from normcourse import datasets\nd = datasets.diabetes()\n"
                           "ref = solvers.lasso(d.X, d.y, 0.1).theta"], 13),
    "honest-own-helper": (["import numpy as np\nfrom normcourse import penalties",
                           "def _soft_np(w, t):\n"
                           "    return np.sign(w) * np.maximum(np.abs(w) - t, 0.0)"
                           "\n\ndef soft_threshold(w, tau):\n"
                           "    return _soft_np(np.asarray(w, float), tau)", ISTA], 13),
}


def _notebook(cells: list[str]) -> str:
    return HEADER + "".join(f"\n```{{code-cell}} ipython3\n{c.rstrip()}\n```\n" for c in cells)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> grader.GradeRun:
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed (.ci/run installs it)")
    tmp = tmp_path_factory.mktemp("delegation")
    subs = tmp / "subs"
    for name, (cells, _) in STUDENTS.items():
        (subs / name).mkdir(parents=True)
        (subs / name / f"{EX}.md").write_text(_notebook(cells))
    return grader.grade(subs, tmp / "out", SOLUTIONS, jobs=2, exercise_ids=[EX],
                        progress=False, preflight=False)


@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_delegating_functions_score_zero_honest_ones_full(run: grader.GradeRun,
                                                          student: str) -> None:
    r = run.by_student()[student]
    assert r.total == STUDENTS[student][1], (r.total, r.problems)


def test_the_note_and_the_feedback_say_why(run: grader.GradeRun) -> None:
    r = run.by_student()["l1-prox"]
    delegated = [i for i in r.items.values() if i.check.function == "soft_threshold"]
    assert all("write yourself" in i.reason and "normcourse.penalties" in i.reason
               for i in delegated)
    assert any("soft_threshold uses normcourse.penalties" in p and "delegation" in p
               for p in r.problems)
    feedback = (run.out / "l1-prox" / "feedback.md").read_text()
    assert "asks you to write yourself" in feedback
    assert not run.by_student()["honest-with-demos"].problems


def test_every_reference_solution_passes_its_own_static_scan() -> None:
    # whatever a reference solution uses from the library stays allowed, by construction
    for path in sorted(SOLUTIONS.glob("*.md")):
        ex, nb = spec.load_solution(path)
        forbidden = codescan.exercise_forbidden(ex, nb)
        cells = [c.source for c in nb.cells if c.cell_type == "code"]
        for fname, names in forbidden.items():
            assert codescan.library_uses(cells, fname, names) == [], (ex.id, fname)


def test_a_library_reference_forbids_itself_and_its_kernels() -> None:
    ex, nb = spec.load_solution(SOLUTIONS / f"{EX}.md")
    meta = {"id": "ex-x", "functions": {
        "soft_threshold": {"params": ["w", "tau"], "reference": "penalties.soft_threshold"},
        "ista": {"params": ["X", "y", "lam", "n_iter"], "reference": ex.functions[
            "ista"].reference}},
        "checks": [{"name": "c", "visibility": "public", "points": 1,
                    "call": "soft_threshold(1.0, 0.5)"}]}
    only_refs = spec.ExerciseSpec.from_metadata(meta)  # no forbid: the issue's default
    forbidden = codescan.exercise_forbidden(only_refs, nb)
    assert {"normcourse.penalties:soft_threshold",
            "normcourse.penalties:_soft_np"} <= set(forbidden["soft_threshold"].names)
    assert "normcourse.solvers.proxgrad:prox_grad" in forbidden["ista"].names
    assert not forbidden["ista"].modules
    assert not any(n.startswith("normcourse._validate") for f in forbidden.values()
                   for n in f.names)


def test_forbidding_the_library_keeps_what_the_reference_uses() -> None:
    from normcourse import datasets, selection, solvers

    ex, nb = spec.load_solution(SOLUTIONS / "ex-stability-selection.md")
    f = codescan.exercise_forbidden(ex, nb)["selection_frequencies"]
    assert "normcourse.gan" in f.modules and "normcourse._validate" not in f.modules
    assert f.covers(selection.stability_selection) == (
        "normcourse.selection:stability_selection")
    assert f.covers(solvers.lasso_path) is None  # its lasso_coefs helper calls it
    assert f.covers(datasets.diabetes) is None and f.covers(np.sum) is None


def test_static_scan_reads_only_what_the_function_reaches() -> None:
    forbidden = codescan.Forbidden(codescan.closure([penalties.soft_threshold]))
    demo = ["from normcourse import penalties", OWN_SOFT,
            "print(penalties.soft_threshold([1.0], 0.5))"]
    assert codescan.library_uses(demo, "soft_threshold", forbidden) == []
    helper = ["from normcourse import penalties",
              "def helper(w, t):\n    return penalties.soft_threshold(w, t)",
              "def soft_threshold(w, tau):\n    return helper(w, tau)"]
    assert codescan.library_uses(helper, "soft_threshold", forbidden) == [
        "normcourse.penalties:soft_threshold"]
    assert "penalties.soft_threshold" in codescan.graded_source(helper, ["soft_threshold"])
    assert "print" not in codescan.graded_source(demo, ["soft_threshold"])


def test_graded_source_ignores_names_comments_docstrings_and_imports() -> None:
    a = codescan.graded_source(["import numpy as np", '''def f(x):
        """Doc."""
        # comment
        return np.abs(x)'''.replace("\n        ", "\n    ")], ["f"])
    assert a == "def f(x):\n    return np.abs(x)\n"
    ast.parse(a)


def test_forbid_entries_are_validated() -> None:
    meta = {"id": "ex-x", "functions": {"f": {"params": ["x"], "forbid": ["penalties.L1"]}},
            "checks": [{"name": "c", "visibility": "public", "points": 1, "call": "f(1)",
                        "expect": "1"}]}
    with pytest.raises(ValueError, match="must be a list of library names"):
        spec.ExerciseSpec.from_metadata(meta)
    with pytest.raises(ValueError, match="no 'NoSuch' there"):
        codescan.lookup("normcourse.penalties:NoSuch")
