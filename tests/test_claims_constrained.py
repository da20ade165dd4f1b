"""Claims made by book/principles/constrained-view.md, pinned on the library.

Each test reproduces one statement of the page on the page's own example: the 2-D toy
with y = (2, 1), C = 1; the anisotropic two-feature problem; the diabetes data with ten
standardised variables; the seeded two-feature problem of the ℓ1 section.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.linear_model import Lasso, Ridge

from normcourse import datasets
from normcourse.constrained import (
    l1_constrained_lstsq,
    norm_constrained_lstsq,
    ridge,
    toy_2d,
    value_curve,
)
from normcourse.diagnostics import shadow_price_check

Y_TOY = np.array([2.0, 1.0])


def _diabetes() -> tuple[np.ndarray, np.ndarray]:
    d = datasets.diabetes()
    return d.X / d.X.std(axis=0), d.y


def _tilted() -> tuple[np.ndarray, np.ndarray]:
    a = math.pi / 6
    R = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    X = math.sqrt(2) * np.diag([1.0, 0.3]) @ R.T
    return X, R


def test_toy_solution_is_golden_ratio_multiplier() -> None:
    toy = toy_2d(Y_TOY, 1.0)
    assert toy.lam == pytest.approx((math.sqrt(5) - 1) / 2, abs=1e-12)
    np.testing.assert_allclose(toy.theta, Y_TOY / math.sqrt(5), atol=1e-12)
    assert toy.loss == pytest.approx(0.5 * (math.sqrt(5) - 1) ** 2)
    assert toy.kkt.max < 1e-12
    assert toy_2d(Y_TOY, 6.0).lam == 0.0  # ‖y‖² = 5 ≤ 6


def test_anisotropic_solution_is_not_radial_and_shrinks_flat_direction_more() -> None:
    X, R = _tilted()
    theta_ls = np.array([1.6, 1.2])
    res = norm_constrained_lstsq(X, X @ theta_ls, 1.0)
    assert res.kkt.max < 1e-12 and res.active
    radial = theta_ls / np.linalg.norm(theta_ls)
    assert np.linalg.norm(res.theta - radial) > 0.05
    kept = (R.T @ res.theta) / (R.T @ theta_ls)
    curv = np.array([1.0, 0.09])
    np.testing.assert_allclose(np.linalg.eigvalsh(X.T @ X / 2), np.sort(curv))
    np.testing.assert_allclose(kept, curv / (curv + 2 * res.lam), rtol=1e-10)
    assert kept[0] > 0.5 and kept[1] < 0.1


def test_diabetes_solution_matches_slsqp_and_ridge() -> None:
    X, y = _diabetes()
    n = X.shape[0]
    ls_norm2 = norm_constrained_lstsq(X, y, 1e12).ls_norm2
    res = norm_constrained_lstsq(X, y, 0.25 * ls_norm2)
    assert res.active and res.kkt.max < 1e-8
    sol = minimize(lambda t: np.sum((y - X @ t) ** 2) / (2 * n), np.zeros(X.shape[1]),
                   jac=lambda t: -X.T @ (y - X @ t) / n, method="SLSQP",
                   constraints=[{"type": "ineq", "fun": lambda t: res.C - t @ t,
                                 "jac": lambda t: -2 * t}],
                   options={"ftol": 1e-15, "maxiter": 1000})
    assert np.linalg.norm(sol.x - res.theta) / np.linalg.norm(res.theta) < 1e-6
    np.testing.assert_allclose(ridge(X, y, res.penalty_lam), res.theta, rtol=1e-10, atol=0)


def test_budget_penalty_round_trip() -> None:
    X, y = _diabetes()
    theta_pen = ridge(X, y, 0.5)
    back = norm_constrained_lstsq(X, y, float(theta_pen @ theta_pen))
    assert back.lam == pytest.approx(0.25, rel=1e-10)
    np.testing.assert_allclose(back.theta, theta_pen, rtol=1e-8)


def test_value_curves_of_the_page() -> None:
    toy = value_curve(math.sqrt(2) * np.eye(2), math.sqrt(2) * Y_TOY, np.linspace(0.02, 7, 200))
    np.testing.assert_allclose(toy.loss,
                               0.5 * np.maximum(math.sqrt(5) - np.sqrt(toy.Cs), 0) ** 2,
                               rtol=1e-10, atol=1e-14)
    X, y = _diabetes()
    ls_norm2 = norm_constrained_lstsq(X, y, 1e12).ls_norm2
    dia = value_curve(X, y, np.linspace(5, 1.25 * ls_norm2, 200))
    assert np.all(np.diff(dia.loss) <= 1e-9) and np.all(np.diff(dia.loss, 2) >= -1e-9)
    assert np.all(dia.lam[dia.Cs >= ls_norm2] == 0) and np.all(dia.lam[dia.Cs < ls_norm2] > 0)


@pytest.mark.parametrize("which", ["toy", "diabetes"])
def test_shadow_price_on_page_examples(which: str) -> None:
    if which == "toy":
        X, y, C = math.sqrt(2) * np.eye(2), math.sqrt(2) * Y_TOY, 1.0
    else:
        X, y = _diabetes()
        C = 0.1 * norm_constrained_lstsq(X, y, 1e12).ls_norm2
    check = shadow_price_check(X, y, C)
    assert check.lam > 0 and check.rel_error < 1e-5


def test_factor_two_between_multiplier_and_penalty() -> None:
    X, y = _diabetes()
    n = X.shape[0]
    res = norm_constrained_lstsq(X, y, 0.25 * norm_constrained_lstsq(X, y, 1e12).ls_norm2)
    assert res.penalty_lam == 2 * res.lam
    # sklearn's Ridge(alpha) = 2n · J at alpha = nλ: the penalty strength is 2λ*, not λ*
    sk = Ridge(alpha=n * 2 * res.lam, fit_intercept=False, solver="svd").fit(X, y).coef_
    np.testing.assert_allclose(sk, res.theta, rtol=1e-9)
    wrong = Ridge(alpha=n * res.lam, fit_intercept=False, solver="svd").fit(X, y).coef_
    assert np.linalg.norm(wrong - res.theta) > 0.01 * np.linalg.norm(res.theta)
    assert toy_2d(Y_TOY, 1.0).penalty_lam == pytest.approx(math.sqrt(5) - 1)


# --------------------------------------------------------------------------- the ℓ1 ball


def _two_features() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 2)) @ np.array([[1.0, 0.0], [0.5, 0.8]])
    y = X @ np.array([1.5, 0.4]) + 0.5 * rng.standard_normal(50)
    return X, y


def _slsqp_l1(X: np.ndarray, y: np.ndarray, r: float) -> np.ndarray:
    n = X.shape[0]
    f = lambda z: np.sum((y - X @ (z[:2] - z[2:])) ** 2) / (2 * n)  # noqa: E731
    sol = minimize(f, np.zeros(4), method="SLSQP", bounds=[(0, None)] * 4,
                   constraints=[{"type": "ineq", "fun": lambda z: r - z.sum()}],
                   options={"ftol": 1e-15, "maxiter": 1000})
    return sol.x[:2] - sol.x[2:]


def test_l1_ball_gives_an_exact_zero_over_a_range_of_radii_and_l2_never_does() -> None:
    X, y = _two_features()
    n = X.shape[0]
    assert np.corrcoef(X.T)[0, 1] == pytest.approx(0.58, abs=0.01)
    radii = np.linspace(0.05, 2.0, 40)
    zero_count = 0
    for r in radii:
        res = l1_constrained_lstsq(X, y, r)
        l2 = norm_constrained_lstsq(X, y, r**2)
        assert np.all(l2.theta != 0) and abs(l2.theta[1]) > 0.1 * abs(l2.theta[0])
        if r <= 1.5:
            zero_count += 1
            assert res.theta[1] == 0.0 and res.theta[0] == pytest.approx(r)
            grad = -X.T @ (y - X @ res.theta) / n
            assert abs(grad[1]) < 0.95 * res.lam  # strictly inside the corner's cone
            sk = Lasso(alpha=res.lam, fit_intercept=False, tol=1e-14, max_iter=100_000)
            coef = sk.fit(X, y).coef_
            assert coef[1] == 0.0 and coef[0] == pytest.approx(r, rel=1e-8)
            np.testing.assert_allclose(_slsqp_l1(X, y, r), res.theta, atol=1e-6)
        elif r < 1.93:
            assert np.all(res.theta != 0)  # on an edge: the second coefficient has entered
    assert zero_count == 30


def test_l1_picture_at_radius_one() -> None:
    X, y = _two_features()
    res, l2 = l1_constrained_lstsq(X, y, 1.0), norm_constrained_lstsq(X, y, 1.0)
    np.testing.assert_array_equal(res.theta, [1.0, 0.0])
    assert res.kkt.max < 1e-10 and res.active and res.penalty_lam == res.lam
    assert np.all(np.abs(l2.theta) > 0.3)
    np.testing.assert_allclose(l2.theta, _slsqp_l2(X, y, 1.0), atol=1e-6)


def _slsqp_l2(X: np.ndarray, y: np.ndarray, C: float) -> np.ndarray:
    n = X.shape[0]
    sol = minimize(lambda t: np.sum((y - X @ t) ** 2) / (2 * n), np.zeros(2), method="SLSQP",
                   constraints=[{"type": "ineq", "fun": lambda t: C - t @ t}],
                   options={"ftol": 1e-15, "maxiter": 1000})
    return sol.x


def test_budget_path_plot_rejects_empty_radii() -> None:
    # Regression: empty radii were accepted and the error then blamed paths[...].
    import matplotlib.pyplot as plt

    from normcourse.plotting.capacity import budget_path_plot

    with pytest.raises(ValueError, match="radii"):
        budget_path_plot(np.empty(0), {"ℓ1 ball": np.empty((0, 2))})
    with pytest.raises(ValueError, match="radii"):
        budget_path_plot([], {"ℓ1 ball": np.ones((3, 2))})
    plt.close("all")
