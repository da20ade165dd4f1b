"""``normcourse new-exercise ID``: a complete solution notebook to start an exercise from.

The scaffold is a working exercise — it releases, self-checks, grades and passes the
audit as written — so an author edits a correct example instead of assembling the format
from the documentation (``AUTHORING.md``). It practises ridge regression through
the normal equations; replace the statement, the function, the checks and the mistakes.
"""

from __future__ import annotations

import re
from pathlib import Path

_ID = re.compile(r"^ex-[a-z0-9]+(?:-[a-z0-9]+)*$")
_PAGE = re.compile(r"^(principles|applications)/[a-z0-9-]+$")

TEMPLATE = '''\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
exercise:
  id: {id}
  title: {title}
  page: {page}
  topic: ridge regression through the normal equations
  difficulty: 1
  minutes: 20
  functions:
    ridge:
      params: [X, y, lam]
      # the expected answers: "solution" (the code between the markers below) or any
      # expression over np and the normcourse modules
      reference: "lambda X, y, lam: constrained.ridge(X, y, lam)"
  checks:
  - name: ridge-small
    visibility: public
    points: 1
    let:
      X: "rng(0).standard_normal((20, 3))"
      y: "X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng(1).standard_normal(20)"
    call: ridge(X, y, 0.1)
    compare: {{allclose: {{rtol: 1.0e-6, atol: 1.0e-9}}}}
    hint: "Solve (XᵀX/n + λI) θ = Xᵀy/n: the data term is (1/2n)‖y − Xθ‖², the penalty (λ/2)‖θ‖²."
  - name: ridge-wide
    visibility: hidden
    points: 2
    let:
      X: "rng(2).standard_normal((10, 30))"
      y: "rng(3).standard_normal(10)"
    call: ridge(X, y, 0.5)
    compare: {{allclose: {{rtol: 1.0e-6, atol: 1.0e-9}}}}
    hint: With more features than samples XᵀX is singular, but XᵀX/n + λI is not.
  - name: ridge-zero-penalty
    visibility: hidden
    points: 1
    let:
      X: "rng(4).standard_normal((40, 4))"
      y: "rng(5).standard_normal(40)"
    call: ridge(X, y, 0.0)
    compare: {{allclose: {{rtol: 1.0e-6, atol: 1.0e-9}}}}
    hint: At λ = 0 ridge is least squares.
  mistakes:
  - name: no-one-over-n
    function: ridge
    why: drops the 1/n of the data term, so it solves the problem for nλ
    replace:
    - ["X.T @ X / n + lam * np.eye(p), X.T @ y / n", "X.T @ X + lam * np.eye(p), X.T @ y"]
  - name: half-penalty
    function: ridge
    why: differentiates (λ/2)‖θ‖² as λ/2·θ
    replace:
    - ["+ lam * np.eye(p)", "+ lam / 2 * np.eye(p)"]
  - name: no-penalty
    function: ridge
    why: least squares, the penalty forgotten
    code: |
      def ridge(X, y, lam):
          return np.linalg.lstsq(X, y, rcond=None)[0]
  - name: diagonal-only
    function: ridge
    why: treats XᵀX/n as diagonal (right only for orthogonal columns)
    code: |
      def ridge(X, y, lam):
          n = len(y)
          return X.T @ y / n / (np.sum(X ** 2, axis=0) / n + lam)
---

# Exercise: {title}

State the problem in your own words, with the formula the student implements:

$$
\\theta_\\lambda = \\arg\\min_\\theta \\frac{{1}}{{2n}}\\|y - X\\theta\\|_2^2
+ \\frac{{\\lambda}}{{2}}\\|\\theta\\|_2^2
= \\Bigl(\\tfrac1n X^\\top X + \\lambda I\\Bigr)^{{-1}} \\tfrac1n X^\\top y .
$$

**Your task.** Write `ridge(X, y, lam)` returning $\\theta_\\lambda$ as a 1-D array.
Then run the self-check at the end of the notebook.

```{{code-cell}} ipython3
:tags: [setup]

import numpy as np
```

```{{code-cell}} ipython3
def ridge(X, y, lam):
    """The ridge solution (X^T X / n + lam I)^{{-1}} X^T y / n."""
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, p = X.shape
    return np.linalg.solve(X.T @ X / n + lam * np.eye(p), X.T @ y / n)
    ### END SOLUTION
```

## Check your work

```{{code-cell}} ipython3
from normcourse.grading import check

check("{id}")
```

+++ {{"tags": ["solution-only"]}}

Instructor cell (removed from the student version): every check, public and hidden, on
the reference solution.

```{{code-cell}} ipython3
:tags: [solution-only]

from normcourse.grading.instructor import assert_all_pass

assert check("{id}", show=False).all_passed
assert_all_pass("{id}")
```
'''


def new_exercise(ex_id: str, solutions: str | Path = "solutions", title: str | None = None,
                 page: str = "principles/l2-and-capacity") -> Path:
    """Write ``<solutions>/<ex_id>.md`` from the template; ``ValueError`` if it exists or an
    argument is malformed. Returns the path."""
    if not isinstance(ex_id, str) or not _ID.match(ex_id):
        raise ValueError(f"exercise id must look like 'ex-some-name', got {ex_id!r}")
    if not isinstance(page, str) or not _PAGE.match(page):
        raise ValueError(f"page must look like 'principles/some-page', got {page!r}")
    title = title or ex_id.removeprefix("ex-").replace("-", " ").capitalize()
    if not isinstance(title, str) or "\n" in title or ":" in title:
        raise ValueError(f"title must be one line without ':', got {title!r}")
    folder = Path(solutions)
    if not folder.is_dir():
        raise ValueError(f"solutions folder not found: {folder}")
    path = folder / f"{ex_id}.md"
    if path.exists():
        raise ValueError(f"{path} exists already; edit it, or choose another id")
    path.write_text(TEMPLATE.format(id=ex_id, title=title, page=page), encoding="utf-8")
    return path
