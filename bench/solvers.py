"""Benchmark: normcourse.solvers.lasso_path against sklearn.linear_model.lasso_path.

Run with ``python bench/solvers.py``. Not a test: it prints a table.

* Problems: diabetes (442 × 10, X and y centered, no intercept on either side) and a
  seeded 1000 × 2000 Gaussian design with 20 non-zero true coefficients and unit noise.
* Grid: the same 100 λ for both libraries, geometric from λ_max to eps·λ_max
  (eps = 1e-3 on diabetes; both eps = 1e-2 and eps = 1e-3 on the large problem).
* Equal accuracy: both stop on the same certified duality-gap threshold. sklearn stops at
  gap ≤ tol_sk·‖y‖²/n and we at gap ≤ tol·‖y‖²/(2n), so we pass tol = 2·tol_sk. The
  final gaps of both are then recomputed here from the returned coefficients with one
  formula (lasso gap with the rescaled residual as dual point) and printed relative to
  ‖y‖²/(2n) = P(0): the column "max gap" is the largest over the 100 λ.
* Timing: median of several repeats, BLAS limited to one thread for both (on a small
  shared machine multi-threaded BLAS makes the timings mostly noise).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
from sklearn.linear_model import lasso_path as sk_lasso_path
from threadpoolctl import threadpool_limits

from normcourse.solvers import lambda_max, lasso_path


def lasso_gaps(X: np.ndarray, y: np.ndarray, lams: np.ndarray, coefs: np.ndarray) -> np.ndarray:
    """Duality gap / P(0) of each θ(λ) for (1/2n)‖y − Xθ‖² + λ‖θ‖₁ (coefs: (n_lams, p))."""
    n = len(y)
    R = y[:, None] - X @ coefs.T  # residuals, one column per λ
    dual_norm = np.max(np.abs(X.T @ R), axis=0) / n
    c = np.minimum(1.0, lams / np.maximum(dual_norm, 1e-300))
    rr = np.sum(R * R, axis=0) / n
    gap = (1 + c**2) * rr / 2 + lams * np.abs(coefs).sum(axis=1) - c * (R.T @ y) / n
    return gap / (y @ y / (2 * n))


def median_time(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def problems() -> list[tuple[str, np.ndarray, np.ndarray, float, int]]:
    Xd, yd = load_diabetes(return_X_y=True)
    Xd, yd = Xd - Xd.mean(axis=0), yd - yd.mean()
    rng = np.random.default_rng(0)
    n, p, k = 1000, 2000, 20
    X = rng.standard_normal((n, p))
    theta = np.zeros(p)
    theta[rng.choice(p, k, replace=False)] = 3 * rng.standard_normal(k)
    y = X @ theta + rng.standard_normal(n)
    return [
        ("diabetes 442x10", Xd, yd, 1e-3, 7),
        ("gauss 1000x2000", X, y, 1e-2, 3),
        ("gauss 1000x2000", X, y, 1e-3, 3),
    ]


def main() -> None:
    rows = []
    with threadpool_limits(limits=1):
        for name, X, y, eps, repeats in problems():
            lams = np.geomspace(lambda_max(X, y), eps * lambda_max(X, y), 100)
            for tol_sk in (1e-4, 1e-8):
                t_ours, ours = median_time(
                    lambda X=X, y=y, lams=lams, tol_sk=tol_sk: lasso_path(
                        X, y, lams=lams, tol=2 * tol_sk, max_iter=100_000
                    ),
                    repeats,
                )

                def run_sk(X=X, y=y, lams=lams, tol_sk=tol_sk) -> np.ndarray:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", SkConvergenceWarning)
                        return sk_lasso_path(X, y, alphas=lams, tol=tol_sk, max_iter=100_000)[1]

                t_sk, sk_coefs = median_time(run_sk, repeats)
                gap_ours = lasso_gaps(X, y, lams, ours.coefs).max()  # type: ignore[attr-defined]
                gap_sk = lasso_gaps(X, y, lams, np.asarray(sk_coefs).T).max()
                rows.append((name, eps, tol_sk, t_ours, t_sk, gap_ours, gap_sk))

    head = (
        f"{'problem':<16} {'eps':>6} {'tol_sk':>7} {'ours [s]':>9} {'sklearn [s]':>11} "
        f"{'ours/sk':>8} {'max gap ours':>13} {'max gap sk':>11}"
    )
    print("lasso_path, 100 λ, same grid; gaps relative to P(0) = ‖y‖²/(2n); 1 BLAS thread")
    print(head)
    print("-" * len(head))
    for name, eps, tol_sk, t_o, t_s, g_o, g_s in rows:
        print(
            f"{name:<16} {eps:>6.0e} {tol_sk:>7.0e} {t_o:>9.3f} {t_s:>11.3f} "
            f"{t_o / t_s:>8.2f} {g_o:>13.1e} {g_s:>11.1e}"
        )


if __name__ == "__main__":
    main()
