"""Coordinate descent, the subgradient method and ``iterations_to`` (normcourse.solvers.cd).

Parity: scikit-learn's ``Lasso`` / ``ElasticNet`` (which are coordinate descent too) and
the library's ``prox_grad`` on the same inputs, coefficients within 1e-6. Neither side
fits an intercept; the data are centred once, for both.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.linear_model import ElasticNet as SkElasticNet
from sklearn.linear_model import Lasso as SkLasso

from normcourse import datasets
from normcourse.penalties import L1, L2, ElasticNet, GroupL21
from normcourse.solvers import ConvergenceWarning, elastic_net, lambda_max, lasso
from normcourse.solvers.cd import (
    cd_elastic_net,
    cd_lasso,
    coordinate_descent,
    iterations_to,
    subgradient_method,
)

ATOL = 1e-6
SK = {"fit_intercept": False, "tol": 1e-13, "max_iter": 1_000_000}


def _problems():
    d = datasets.diabetes()
    yield "diabetes", d.X, d.y
    tall = datasets.sparse_regression(n_samples=120, n_features=30, n_informative=5,
                                      rho=0.5, noise=0.5, seed=1)
    yield "tall", tall.X - tall.X.mean(0), tall.y - tall.y.mean()
    wide = datasets.sparse_regression(n_samples=40, n_features=100, n_informative=5,
                                      rho=0.3, noise=0.3, seed=2)
    yield "wide", wide.X - wide.X.mean(0), wide.y - wide.y.mean()


PROBLEMS = list(_problems())


@pytest.mark.parametrize("name,X,y", PROBLEMS, ids=[p[0] for p in PROBLEMS])
@pytest.mark.parametrize("frac", [0.5, 0.1, 0.02])
def test_cd_lasso_matches_sklearn_and_prox_grad(name, X, y, frac) -> None:
    lam = frac * lambda_max(X, y)
    ours = cd_lasso(X, y, lam, tol=1e-14, max_iter=100_000)
    assert ours.converged and ours.criterion == "gap"
    scale = max(1.0, float(np.max(np.abs(ours.theta))))
    sk = SkLasso(alpha=lam, **SK).fit(X, y).coef_
    np.testing.assert_allclose(ours.theta, sk, atol=ATOL * scale)
    pg = lasso(X, y, lam, tol=1e-14, max_iter=200_000).theta
    np.testing.assert_allclose(ours.theta, pg, atol=ATOL * scale)
    assert np.array_equal(ours.theta == 0, sk == 0)


@pytest.mark.parametrize("name,X,y", PROBLEMS, ids=[p[0] for p in PROBLEMS])
@pytest.mark.parametrize("l1_ratio", [0.9, 0.5, 0.1])
def test_cd_elastic_net_matches_sklearn_and_prox_grad(name, X, y, l1_ratio) -> None:
    alpha = 0.1 * lambda_max(X, y) / l1_ratio
    pen = ElasticNet.from_sklearn(alpha, l1_ratio)
    ours = cd_elastic_net(X, y, pen.lam1, pen.lam2, tol=1e-14, max_iter=100_000)
    scale = max(1.0, float(np.max(np.abs(ours.theta))))
    sk = SkElasticNet(alpha=alpha, l1_ratio=l1_ratio, **SK).fit(X, y).coef_
    np.testing.assert_allclose(ours.theta, sk, atol=ATOL * scale)
    pg = elastic_net(X, y, pen.lam1, pen.lam2, tol=1e-14, max_iter=200_000).theta
    np.testing.assert_allclose(ours.theta, pg, atol=ATOL * scale)
    same = coordinate_descent(X, y, pen, tol=1e-14, max_iter=100_000).theta
    np.testing.assert_array_equal(same, ours.theta)


def _numpy_cd(X, y, lam1, lam2, n_sweeps):
    """The textbook update, written independently: exact 1-D minimisation per coordinate."""
    n, p = X.shape
    theta = np.zeros(p)
    for _ in range(n_sweeps):
        for j in range(p):
            r_j = y - X @ theta + X[:, j] * theta[j]  # partial residual
            z = X[:, j] @ r_j / n
            c = X[:, j] @ X[:, j] / n
            theta[j] = np.sign(z) * max(abs(z) - lam1, 0.0) / (c + 2 * lam2)
    return theta


def test_cd_sweeps_are_the_textbook_update() -> None:
    prob = datasets.sparse_regression(n_samples=50, n_features=12, n_informative=3,
                                      rho=0.6, seed=4)
    for sweeps in (1, 3, 10):
        ours = cd_elastic_net(prob.X, prob.y, 0.05, 0.2, tol=0.0, max_iter=sweeps)
        assert ours.n_iter == sweeps and not ours.converged
        np.testing.assert_allclose(ours.theta, _numpy_cd(prob.X, prob.y, 0.05, 0.2, sweeps),
                                   rtol=1e-12, atol=1e-13)


def test_cd_is_a_descent_method_with_a_valid_certificate() -> None:
    prob = datasets.sparse_regression(n_samples=100, n_features=200, n_informative=10,
                                      rho=0.9, noise=0.5, seed=0)
    lam = 0.05 * lambda_max(prob.X, prob.y)
    res = cd_lasso(prob.X, prob.y, lam, tol=1e-10)
    obj = res.objective
    assert obj.size == res.n_iter + 1 == res.gap.size
    assert np.all(np.diff(obj) <= 1e-12 * np.abs(obj[:-1]))  # F never increases
    thr = 1e-10 * float(prob.y @ prob.y) / (2 * len(prob.y))
    assert res.converged and res.gap[-1] <= thr and np.all(res.gap[:-1] > thr)
    F_star = lasso(prob.X, prob.y, lam, tol=1e-14, max_iter=200_000).objective[-1]
    assert np.all(obj - F_star <= res.gap + 1e-12)  # the gap bounds the suboptimality
    assert np.isnan(res.step)
    r = prob.y - prob.X @ res.theta  # KKT: |x_jᵀr|/n ≤ λ, = λ·sign on the support
    corr = prob.X.T @ r / len(r)
    assert np.all(np.abs(corr) <= lam * (1 + 1e-4))
    on = res.theta != 0
    np.testing.assert_allclose(corr[on], lam * np.sign(res.theta[on]), rtol=1e-3)


def test_cd_warm_start() -> None:
    prob = datasets.sparse_regression(n_samples=100, n_features=50, n_informative=5,
                                      rho=0.5, seed=5)
    lam = 0.1 * lambda_max(prob.X, prob.y)
    sol = cd_lasso(prob.X, prob.y, lam, tol=1e-10)
    again = cd_lasso(prob.X, prob.y, lam, tol=1e-10, theta0=sol.theta)
    assert again.n_iter <= 1
    np.testing.assert_allclose(again.theta, sol.theta, atol=1e-12)
    cold = cd_lasso(prob.X, prob.y, 0.9 * lam, tol=1e-10)
    warm = cd_lasso(prob.X, prob.y, 0.9 * lam, tol=1e-10, theta0=sol.theta)
    assert warm.n_iter < cold.n_iter
    np.testing.assert_allclose(warm.theta, cold.theta, atol=1e-6)
    x0 = sol.theta.copy()
    cd_lasso(prob.X, prob.y, 0.5 * lam, theta0=x0)
    np.testing.assert_array_equal(x0, sol.theta)  # the warm start is not modified


def test_cd_far_warm_start_recomputes_the_residual() -> None:
    # Regression: r was only ever updated incrementally, so from θ₀ = 1e20 it lost every
    # digit and the gap stalled (10 000 sweeps, no convergence), and from θ₀ = 1e12 it
    # "converged" with a negative gap. Now r = y − Xθ is recomputed for each gap.
    _, X, y = list(_problems())[1]  # tall
    lam = 0.1 * lambda_max(X, y)
    sk = SkLasso(alpha=lam, **SK).fit(X, y).coef_
    thr = 1e-10 * float(y @ y) / (2 * len(y))
    for start in (1e12, 1e20, 1e149):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            res = cd_lasso(X, y, lam, tol=1e-10, theta0=np.full(X.shape[1], start))
        assert res.converged and res.n_iter < 1000, start
        assert -1e-12 <= res.gap[-1] <= thr, start  # an honest certificate, not < 0
        np.testing.assert_allclose(res.theta, sk, atol=ATOL)
    # A start so far out that ‖y − Xθ₀‖² overflows float64 is refused, naming theta0.
    with pytest.raises(ValueError, match="theta0"):
        cd_lasso(X, y, lam, theta0=np.full(X.shape[1], 1e200))


def test_cd_exact_zeros_and_zero_columns() -> None:
    d = datasets.diabetes()
    X = np.hstack([d.X, np.zeros((d.X.shape[0], 1))])
    res = cd_lasso(X, d.y, 0.95 * lambda_max(d.X, d.y), tol=1e-12)
    zeros = res.theta[res.theta == 0]
    assert zeros.size == 10 and not np.any(np.signbit(zeros))  # 0.0, never -0.0
    assert res.theta[2] > 0  # bmi only
    assert not cd_lasso(X, d.y, lambda_max(d.X, d.y), tol=1e-12).theta.any()


def test_cd_warns_at_max_iter_and_not_with_a_budget() -> None:
    prob = datasets.sparse_regression(n_samples=60, n_features=80, rho=0.9, seed=6)
    lam = 0.01 * lambda_max(prob.X, prob.y)
    with pytest.warns(ConvergenceWarning, match="coordinate_descent stopped at max_iter=2"):
        res = cd_lasso(prob.X, prob.y, lam, tol=1e-12, max_iter=2)
    assert not res.converged and res.n_iter == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cd_lasso(prob.X, prob.y, lam, tol=0.0, max_iter=2)


def test_cd_validates() -> None:
    X, y = np.random.default_rng(0).standard_normal((10, 3)), np.arange(10.0)
    with pytest.raises(ValueError, match="penalty"):
        coordinate_descent(X, y, "l1")
    with pytest.raises(ValueError, match="L1 or ElasticNet"):
        coordinate_descent(X, y, GroupL21(0.1, groups=[[0, 1], [2]]))
    with pytest.raises(ValueError, match="L1 or ElasticNet"):
        coordinate_descent(X, y, L2(0.1))
    with pytest.raises(ValueError, match="λ₁ > 0"):
        cd_elastic_net(X, y, 0.0, 1.0)
    with pytest.raises(ValueError, match="lam"):
        cd_lasso(X, y, -1.0)
    with pytest.raises(ValueError, match="theta0"):
        cd_lasso(X, y, 0.1, theta0=np.zeros(4))
    with pytest.raises(ValueError, match="y"):
        cd_lasso(X, np.ones((10, 2)), 0.1)
    with pytest.raises(ValueError, match="max_iter"):
        cd_lasso(X, y, 0.1, max_iter=0)
    with pytest.raises(ValueError, match="tol"):
        cd_lasso(X, y, 0.1, tol=-1.0)
    with pytest.raises(ValueError, match="X"):
        cd_lasso(np.full((10, 3), np.nan), y, 0.1)
    with pytest.raises(ValueError, match="samples"):
        cd_lasso(X, y[:5], 0.1)


# ------------------------------------------------------------------ subgradient method


def test_subgradient_method_is_its_formula() -> None:
    prob = datasets.sparse_regression(n_samples=40, n_features=10, n_informative=3, seed=7)
    X, y, n = prob.X, prob.y, 40
    lam1, lam2, eta0 = 0.05, 0.1, 0.05
    theta = np.zeros(10)
    for k in range(50):
        g = X.T @ (X @ theta - y) / n + lam1 * np.sign(theta) + 2 * lam2 * theta
        theta = theta - eta0 / np.sqrt(k + 1) * g
    res = subgradient_method(X, y, ElasticNet(lam1, lam2), step=eta0, max_iter=50)
    np.testing.assert_allclose(res.theta, theta, rtol=1e-12, atol=1e-14)
    assert res.n_iter == 50 and res.objective.size == res.gap.size == 51
    assert res.step == pytest.approx(eta0 / np.sqrt(50))
    F = lambda t: np.sum((y - X @ t) ** 2) / (2 * n) + lam1 * np.abs(t).sum() + lam2 * t @ t  # noqa: E731
    assert res.objective[-1] == pytest.approx(F(theta))
    # default step 1/L
    L = np.linalg.norm(X, 2) ** 2 / n
    a = subgradient_method(X, y, L1(lam1), max_iter=5)
    b = subgradient_method(X, y, L1(lam1), step=1 / L, max_iter=5)
    np.testing.assert_allclose(a.theta, b.theta, rtol=1e-10)


def test_subgradient_method_is_slow_gaps_bound_it_and_tol_stops_it() -> None:
    prob = datasets.sparse_regression(n_samples=100, n_features=30, n_informative=5, seed=8)
    lam = 0.1 * lambda_max(prob.X, prob.y)
    res = subgradient_method(prob.X, prob.y, L1(lam), max_iter=300)
    F_star = cd_lasso(prob.X, prob.y, lam, tol=1e-14).objective[-1]
    assert np.all(res.objective - F_star <= res.gap + 1e-12)
    assert not np.any(res.theta == 0)  # no exact zero
    assert res.objective[-1] - F_star > 1e-6
    early = subgradient_method(prob.X, prob.y, L1(lam), tol=1e-2, max_iter=10_000)
    assert early.converged and early.n_iter < 10_000
    with pytest.warns(ConvergenceWarning, match="subgradient_method"):
        subgradient_method(prob.X, prob.y, L1(lam), tol=1e-14, max_iter=3)
    with pytest.raises(ValueError, match="step"):
        subgradient_method(prob.X, prob.y, L1(lam), step=0.0)
    with pytest.raises(ValueError, match="L1 or ElasticNet"):
        subgradient_method(prob.X, prob.y, L2(1.0))


# ------------------------------------------------------------------------ iterations_to


def test_iterations_to() -> None:
    trace = np.array([1.0, 0.5, 0.1, 0.2, 0.01])
    assert iterations_to(trace, 0.1) == 2
    assert iterations_to(trace, 1.0) == 0
    assert iterations_to(trace, 1e-3) is None
    assert isinstance(iterations_to(trace, 0.5), int)
    with pytest.raises(ValueError, match="trace"):
        iterations_to(np.ones((2, 2)), 0.1)
    with pytest.raises(ValueError, match="level"):
        iterations_to(trace, float("nan"))
    # Regression: a string level raised float()'s message, which did not name level.
    for bad in ("abc", None, True):
        with pytest.raises(ValueError, match="level"):
            iterations_to(trace, bad)
