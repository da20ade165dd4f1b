"""Parity with scikit-learn: same inputs, tight tolerances, coefficients within 1e-6.

Data handling (identical for both libraries): neither side fits an intercept
(``fit_intercept=False`` in sklearn, none in ours), so X's columns and y are centered
first — diabetes' y has mean ≈ 152 and is not centered as loaded. Centering is what a
fitted intercept would do, and it is applied once, to the arrays both libraries get.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet as SkElasticNet
from sklearn.linear_model import Lasso, MultiTaskLasso
from sklearn.linear_model import lasso_path as sk_lasso_path

from normcourse.penalties import ElasticNet
from normcourse.solvers import (
    elastic_net,
    group_lasso,
    lambda_max,
    lasso,
    lasso_path,
)

COEF_ATOL = 1e-6
SK = {"fit_intercept": False, "tol": 1e-12, "max_iter": 1_000_000}
OURS = {"tol": 1e-15, "max_iter": 200_000}


def _centered(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return X - X.mean(axis=0), y - y.mean(axis=0)


@pytest.fixture(scope="module")
def diabetes() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_diabetes(return_X_y=True)  # as loaded (columns scaled by sklearn)
    return _centered(X, y)


@pytest.fixture(scope="module")
def random_problem() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    n, p = 60, 90  # p > n: our solver iterates with X, not the Gram matrix
    X = rng.standard_normal((n, p))
    theta = np.zeros(p)
    theta[rng.choice(p, 6, replace=False)] = rng.standard_normal(6) * 2
    return _centered(X, X @ theta + 0.5 * rng.standard_normal(n))


@pytest.mark.parametrize("frac", [0.5, 0.05, 0.005])
@pytest.mark.parametrize("data", ["diabetes", "random_problem"])
def test_lasso_matches_sklearn(frac: float, data: str, request: pytest.FixtureRequest) -> None:
    X, y = request.getfixturevalue(data)
    lam = frac * lambda_max(X, y)
    sk = Lasso(alpha=lam, **SK).fit(X, y)
    ours = lasso(X, y, lam, **OURS)
    assert ours.converged
    np.testing.assert_allclose(ours.theta, sk.coef_, rtol=0, atol=COEF_ATOL)
    assert np.count_nonzero(ours.theta) == np.count_nonzero(sk.coef_)


@pytest.mark.parametrize(("alpha_frac", "l1_ratio"), [(0.3, 0.5), (0.02, 0.2), (0.01, 0.9)])
@pytest.mark.parametrize("data", ["diabetes", "random_problem"])
def test_elastic_net_matches_sklearn(
    alpha_frac: float, l1_ratio: float, data: str, request: pytest.FixtureRequest
) -> None:
    X, y = request.getfixturevalue(data)
    alpha = alpha_frac * lambda_max(X, y) / l1_ratio
    sk = SkElasticNet(alpha=alpha, l1_ratio=l1_ratio, **SK).fit(X, y)
    pen = ElasticNet.from_sklearn(alpha, l1_ratio)
    ours = elastic_net(X, y, pen.lam1, pen.lam2, **OURS)
    assert ours.converged
    np.testing.assert_allclose(ours.theta, sk.coef_, rtol=0, atol=COEF_ATOL)


@pytest.mark.parametrize("frac", [0.3, 0.03])
def test_multitask_lasso_matches_group_l21_rows(frac: float) -> None:
    rng = np.random.default_rng(7)
    n, p, m = 80, 25, 4
    X = rng.standard_normal((n, p))
    W = np.zeros((p, m))
    W[:5] = rng.standard_normal((5, m))
    X, Y = _centered(X, X @ W + 0.3 * rng.standard_normal((n, m)))
    lam = frac * lambda_max(X, Y, kind="group")
    sk = MultiTaskLasso(alpha=lam, **SK).fit(X, Y)
    ours = group_lasso(X, Y, lam, **OURS)  # groups=None: rows of θ (p × m)
    assert ours.converged
    # sklearn's coef_ is (n_tasks, n_features) = θᵀ
    np.testing.assert_allclose(ours.theta, sk.coef_.T, rtol=0, atol=COEF_ATOL)
    np.testing.assert_array_equal(
        np.linalg.norm(ours.theta, axis=1) == 0, np.linalg.norm(sk.coef_, axis=0) == 0
    )


def test_lasso_path_matches_sklearn_on_diabetes(diabetes: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = diabetes
    ours = lasso_path(X, y, n_lams=100, eps=1e-3, tol=1e-14)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # sklearn must converge too
        alphas, coefs, _ = sk_lasso_path(X, y, alphas=ours.lams, tol=1e-12, max_iter=1_000_000)
    np.testing.assert_allclose(alphas, ours.lams)
    assert ours.lams[0] == pytest.approx(np.max(np.abs(X.T @ y)) / len(y))
    np.testing.assert_allclose(ours.coefs, coefs.T, rtol=0, atol=COEF_ATOL)


def test_diabetes_order_of_entry(diabetes: tuple[np.ndarray, np.ndarray]) -> None:
    """Efron et al. (2004): on the diabetes data the lasso path first picks bmi (3),
    then s5 (9), bp (4), s3 (7), sex (2), s6 (10), s1 (5), s4 (8), s2 (6), age (1)."""
    X, y = diabetes
    path = lasso_path(X, y, n_lams=500, eps=1e-4, tol=1e-12)
    nonzero = path.coefs != 0
    assert nonzero[-1].all()  # the grid goes low enough for all ten to enter
    first = np.array([np.argmax(nonzero[:, j]) for j in range(X.shape[1])])
    assert len(set(first)) == X.shape[1]  # the grid is fine enough to separate them
    order = list(np.argsort(first) + 1)
    assert order == [3, 9, 4, 7, 2, 10, 5, 8, 6, 1]
