"""Proximal-gradient solvers and paths: convergence, stopping rules, paths, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from normcourse.penalties import L1, L2, ElasticNet, GroupL21
from normcourse.solvers import (
    PathResult,
    SolverResult,
    elastic_net,
    enet_path,
    group_lasso,
    group_lasso_path,
    lambda_max,
    lasso,
    lasso_path,
    prox_grad,
)


def _sparse_problem(n: int = 80, p: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    theta = np.zeros(p)
    theta[:4] = [2.0, -1.5, 1.0, 0.5]
    return X, X @ theta + 0.3 * rng.standard_normal(n)


def _ill_conditioned(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """n = 200, p = 50, singular values of X/√n from 1 down to 0.01 (κ(XᵀX) = 10⁴)."""
    rng = np.random.default_rng(seed)
    n, p = 200, 50
    U, _ = np.linalg.qr(rng.standard_normal((n, p)))
    V, _ = np.linalg.qr(rng.standard_normal((p, p)))
    X = np.sqrt(n) * (U * np.logspace(0, -2, p)) @ V.T
    theta = np.zeros(p)
    theta[:5] = 1.0
    return X, X @ theta + 0.01 * rng.standard_normal(n)


def _primal(X: np.ndarray, y: np.ndarray, theta: np.ndarray, pen: object) -> float:
    r = y - X @ theta
    return float(np.vdot(r, r)) / (2 * len(y)) + pen.value(theta)  # type: ignore[attr-defined]


# --------------------------------------------------------------------- ISTA vs FISTA


def test_ista_and_fista_reach_the_same_optimum() -> None:
    X, y = _sparse_problem()
    lam = 0.1 * lambda_max(X, y)
    a = lasso(X, y, lam, method="ista", tol=1e-12, max_iter=50_000)
    b = lasso(X, y, lam, method="fista", tol=1e-12)
    assert a.converged and b.converged
    np.testing.assert_allclose(a.theta, b.theta, atol=1e-6)
    assert isinstance(a, SolverResult) and a.criterion == "gap"


def test_fista_needs_fewer_iterations_on_ill_conditioned_problem() -> None:
    X, y = _ill_conditioned()
    lam = 0.01 * lambda_max(X, y)
    ista = lasso(X, y, lam, method="ista", tol=1e-10, max_iter=100_000)
    fista = lasso(X, y, lam, method="fista", tol=1e-10, max_iter=100_000)
    plain = lasso(X, y, lam, method="fista", restart=False, tol=1e-10, max_iter=100_000)
    assert ista.converged and fista.converged and plain.converged
    assert fista.n_iter * 4 < ista.n_iter  # measured: ≈ 290 vs ≈ 2500
    assert plain.n_iter < ista.n_iter
    np.testing.assert_allclose(fista.theta, ista.theta, atol=1e-5)


def test_ista_objective_is_non_increasing() -> None:
    X, y = _ill_conditioned()
    res = lasso(X, y, 0.05 * lambda_max(X, y), method="ista", tol=1e-9, max_iter=20_000)
    obj = res.objective
    assert len(obj) == res.n_iter + 1
    assert np.all(np.diff(obj) <= 1e-12 * np.abs(obj[:-1]))
    assert obj[-1] < obj[0]


def test_gap_bounds_suboptimality_and_decreases() -> None:
    X, y = _sparse_problem()
    pen = ElasticNet(0.05, 0.1)
    ref = prox_grad(X, y, pen, tol=1e-15, max_iter=50_000)
    p_star = _primal(X, y, ref.theta, pen)
    res = prox_grad(X, y, pen, method="ista", tol=1e-10, check_every=1)
    # gap[k] is at θ_k: a certified upper bound on P(θ_k) − P*
    assert len(res.gap) == len(res.objective)
    assert np.all(res.gap >= res.objective - p_star - 1e-12)
    assert res.gap[-1] <= 1e-10 * (y @ y) / (2 * len(y))
    assert res.gap[-1] < 1e-6 * res.gap[0]
    assert np.all(np.diff(np.minimum.accumulate(res.gap)) <= 0)
    assert res.gap[len(res.gap) // 2] < res.gap[0]


def test_backtracking_matches_fixed_step() -> None:
    X, y = _sparse_problem(n=60, p=100)  # p > n: X-form iterations
    lam = 0.05 * lambda_max(X, y)
    fixed = lasso(X, y, lam, tol=1e-12)
    bt = lasso(X, y, lam, tol=1e-12, step="backtracking")
    ista_bt = lasso(X, y, lam, method="ista", step="backtracking", tol=1e-8, max_iter=50_000)
    assert fixed.converged and bt.converged and ista_bt.converged
    np.testing.assert_allclose(bt.theta, fixed.theta, atol=1e-6)
    L = np.linalg.norm(X, 2) ** 2 / len(y)
    assert 1 / (2 * L) <= bt.step  # L is at most doubled past the true constant
    assert np.all(np.diff(ista_bt.objective) <= 1e-12 * np.abs(ista_bt.objective[:-1]))


def test_fixed_user_step_and_callback() -> None:
    X, y = _sparse_problem()
    L = np.linalg.norm(X, 2) ** 2 / len(y)
    res = lasso(X, y, 0.1, step=0.5 / L, tol=1e-10)
    assert res.converged and res.step == pytest.approx(0.5 / L)
    seen: list[int] = []
    early = lasso(X, y, 0.1, callback=lambda k, th: seen.append(k) or k == 7, tol=0.0)
    assert early.n_iter == 7 and seen == list(range(1, 8)) and not early.converged


def test_l2_uses_kkt_and_matches_ridge_closed_form() -> None:
    X, y = _sparse_problem()
    n, p = X.shape
    lam = 0.3
    res = prox_grad(X, y, L2(lam), tol=1e-10)
    assert res.criterion == "kkt" and res.converged and res.gap.size == 0
    # (λ/2)‖θ‖² + (1/2n)‖y − Xθ‖²  ⇒  (XᵀX/n + λI)θ = Xᵀy/n
    exact = np.linalg.solve(X.T @ X / n + lam * np.eye(p), X.T @ y / n)
    np.testing.assert_allclose(res.theta, exact, atol=1e-8)


# ------------------------------------------------------------------------ logistic


def test_logistic_l1_matches_sklearn_liblinear() -> None:
    rng = np.random.default_rng(4)
    n, p = 120, 10
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[:3] = [2.0, -1.0, 1.0]
    y = np.where(X @ w + 0.5 * rng.standard_normal(n) > 0, 1.0, -1.0)
    lam = 0.02
    ours = prox_grad(X, y, L1(lam), loss="logistic", tol=1e-9, max_iter=50_000)
    # sklearn: C·Σ log(1 + exp(−yxᵀθ)) + ‖θ‖₁  =  nC·[ours with λ = 1/(nC)]
    sk = LogisticRegression(
        l1_ratio=1.0,
        C=1.0 / (n * lam),
        solver="liblinear",
        fit_intercept=False,
        tol=1e-10,
        max_iter=100_000,
        random_state=0,
    ).fit(X, y)
    assert ours.converged and ours.criterion == "kkt"
    np.testing.assert_allclose(ours.theta, sk.coef_[0], atol=1e-5)
    assert np.array_equal(ours.theta == 0, np.abs(sk.coef_[0]) < 1e-8)


# ---------------------------------------------------------------------------- paths


def test_warm_started_path_equals_cold_solves() -> None:
    X, y = _sparse_problem(n=50, p=80)
    path = lasso_path(X, y, n_lams=12, eps=1e-2, tol=1e-14)
    plain = lasso_path(X, y, lams=path.lams, tol=1e-14, working_set=False)
    assert isinstance(path, PathResult) and path.coefs.shape == (12, 80)
    assert np.all(np.diff(path.lams) < 0)
    assert path.lams[0] == pytest.approx(lambda_max(X, y))
    np.testing.assert_array_equal(path.coefs[0], 0.0)
    for lam, coef in zip(path.lams[::3], path.coefs[::3], strict=True):
        cold = lasso(X, y, lam, tol=1e-14, max_iter=100_000)
        np.testing.assert_allclose(coef, cold.theta, atol=1e-6)
    np.testing.assert_allclose(path.coefs, plain.coefs, atol=1e-6)
    assert np.all(path.gaps <= 1e-14 * (y @ y) / (2 * len(y)))


def test_unsorted_lams_are_returned_in_given_order() -> None:
    X, y = _sparse_problem()
    lams = np.array([0.05, 0.5, 0.2])
    path = lasso_path(X, y, lams=lams, tol=1e-12)
    np.testing.assert_array_equal(path.lams, lams)
    for lam, coef in zip(lams, path.coefs, strict=True):
        np.testing.assert_allclose(coef, lasso(X, y, lam, tol=1e-13).theta, atol=1e-6)


def test_enet_path_parametrization() -> None:
    X, y = _sparse_problem()
    rho = 0.4
    path = enet_path(X, y, l1_ratio=rho, n_lams=8, eps=1e-2, tol=1e-13)
    assert path.alphas[0] == pytest.approx(lambda_max(X, y) / rho)  # α_max = λ_max/ρ
    np.testing.assert_array_equal(path.coefs[0], 0.0)
    assert np.any(path.coefs[1] != 0)
    alpha = path.alphas[5]
    direct = elastic_net(X, y, alpha * rho, alpha * (1 - rho) / 2, tol=1e-13)
    np.testing.assert_allclose(path.coefs[5], direct.theta, atol=1e-6)


def test_group_paths_multitask_and_index_groups() -> None:
    rng = np.random.default_rng(5)
    n, p, m = 60, 40, 3
    X = rng.standard_normal((n, p))
    W = np.zeros((p, m))
    W[:4] = rng.standard_normal((4, m))
    Y = X @ W + 0.1 * rng.standard_normal((n, m))
    path = group_lasso_path(X, Y, n_lams=10, eps=1e-2, tol=1e-12)
    assert path.coefs.shape == (10, p, m)
    np.testing.assert_array_equal(path.coefs[0], 0.0)
    k = 6
    direct = group_lasso(X, Y, path.lams[k], tol=1e-12)
    np.testing.assert_allclose(path.coefs[k], direct.theta, atol=1e-6)
    rows = np.linalg.norm(path.coefs[k], axis=1)
    assert np.all((rows == 0) | (rows > 1e-8))  # rows are either exactly zero or alive
    assert set(np.flatnonzero(rows)[:4]) >= {0, 1, 2, 3}

    y = Y[:, 0]
    groups = [np.arange(0, 4), np.arange(4, 20), np.arange(20, 40)]
    gpath = group_lasso_path(X, y, groups, n_lams=6, eps=5e-2, tol=1e-12)
    cold = group_lasso(X, y, gpath.lams[3], groups=groups, tol=1e-12)
    np.testing.assert_allclose(gpath.coefs[3], cold.theta, atol=1e-6)


def test_lambda_max_is_the_threshold_of_zero() -> None:
    X, y = _sparse_problem()
    lm = lambda_max(X, y)
    assert lm == pytest.approx(np.max(np.abs(X.T @ y)) / len(y))
    np.testing.assert_array_equal(lasso(X, y, lm * 1.0001).theta, 0.0)
    assert np.any(lasso(X, y, lm * 0.99).theta != 0)
    Y = np.column_stack([y, -y + X[:, 5]])
    lg = lambda_max(X, Y, kind="group")
    np.testing.assert_array_equal(group_lasso(X, Y, lg * 1.0001).theta, 0.0)
    assert np.any(group_lasso(X, Y, lg * 0.99).theta != 0)


def test_unpenalized_coordinates_are_fitted_freely() -> None:
    X, y = _sparse_problem()
    groups = [np.arange(2, 10), np.arange(10, 30)]  # 0 and 1 are in no group
    res = group_lasso(X, y, 100.0, groups=groups, tol=1e-10)
    assert res.criterion == "kkt" and res.converged
    np.testing.assert_array_equal(res.theta[2:], 0.0)
    ls = np.linalg.lstsq(X[:, :2], y, rcond=None)[0]
    np.testing.assert_allclose(res.theta[:2], ls, atol=1e-8)
    lm = lambda_max(X, y, kind="group", groups=groups)
    np.testing.assert_array_equal(group_lasso(X, y, lm * 1.0001, groups=groups).theta[2:], 0.0)
    assert np.any(group_lasso(X, y, lm * 0.99, groups=groups, tol=1e-10).theta[2:] != 0)


# ------------------------------------------------------------------ grouping effect


def test_grouping_effect_of_the_elastic_net() -> None:
    """Three almost identical features (correlation ≈ 0.9999): the lasso keeps one, the
    elastic net spreads the weight evenly over the three (Zou & Hastie 2005)."""
    rng = np.random.default_rng(0)
    n = 100
    z = rng.standard_normal(n)
    close = np.column_stack([z + 0.01 * rng.standard_normal(n) for _ in range(3)])
    other = rng.standard_normal((n, 5))
    X = np.column_stack([close, other])
    y = 3 * z + other[:, 0] + 0.5 * rng.standard_normal(n)
    assert np.min(np.corrcoef(close.T)) > 0.999
    lm = lambda_max(X, y)

    las = lasso(X, y, 0.1 * lm, tol=1e-12).theta[:3]
    assert np.count_nonzero(las) == 1
    assert np.max(np.abs(las)) > 2.0  # it carries (almost) the whole signal

    enet = elastic_net(X, y, 0.05 * lm, 0.5, tol=1e-12).theta[:3]
    assert np.all(enet > 0.5)
    assert np.ptp(enet) < 0.01 * np.mean(enet)  # nearly equal coefficients
    # the signal is shared, not lost (the ℓ2 part shrinks the total somewhat)
    assert 0.6 * las.sum() < enet.sum() < las.sum()


# ----------------------------------------------------------------------- bad input


def test_bad_inputs_raise_value_errors_naming_the_argument() -> None:
    X, y = _sparse_problem(n=20, p=5)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    yi = y.copy()
    yi[3] = np.inf
    cases = [
        (lambda: lasso(Xn, y, 0.1), "X"),
        (lambda: lasso(X, yi, 0.1), "y"),
        (lambda: lasso(X, y[:-1], 0.1), "same number of samples"),
        (lambda: lasso(X[:, 0], y, 0.1), "X must be 2-D"),
        (lambda: lasso(X, y, -0.1), "lam"),
        (lambda: elastic_net(X, y, 0.1, float("nan")), "lam2"),
        (lambda: prox_grad(X, y, L1(0.1), loss="logistic"), r"y must hold labels"),
        (lambda: prox_grad(X, (y > 0).astype(float), L1(0.1), loss="logistic"), "labels"),
        (lambda: prox_grad(X, y, L1(0.1), method="newton"), "method"),
        (lambda: prox_grad(X, y, L1(0.1), loss="hinge"), "loss"),
        (lambda: prox_grad(X, y, L1(0.1), step=0.0), "step"),
        (lambda: prox_grad(X, y, L1(0.1), step=-1.0), "step"),
        (lambda: prox_grad(X, y, L1(0.1), step="armijo"), "step"),
        (lambda: prox_grad(X, y, L1(0.1), tol=-1.0), "tol"),
        (lambda: prox_grad(X, y, L1(0.1), max_iter=0), "max_iter"),
        (lambda: prox_grad(X, y, L1(0.1), theta0=np.zeros(4)), "theta0"),
        (lambda: prox_grad(X, y, "l1"), "penalty"),  # type: ignore[arg-type]
        (lambda: prox_grad(X, y, GroupL21(0.1)), "penalty"),  # rows need a 2-D y
        (lambda: lasso_path(X, y, lams=[0.1, 0.0]), "lams"),
        (lambda: lasso_path(X, y, lams=[0.1, -1.0]), "lams"),
        (lambda: lasso_path(X, y, n_lams=0), "n_lams"),
        (lambda: lasso_path(X, y, eps=0.0), "eps"),
        (lambda: enet_path(X, y, l1_ratio=0.0), "l1_ratio"),
        (lambda: enet_path(X, y, l1_ratio=1.5), "l1_ratio"),
        (lambda: group_lasso_path(X, y), "groups"),
        (lambda: group_lasso_path(X, y, [[0, 1], [1, 2]]), "groups"),
        (lambda: group_lasso_path(X, y, [[0, 9]]), "groups"),
        (lambda: lambda_max(X, y, kind="linf"), "kind"),
    ]
    for call, pattern in cases:
        with pytest.raises(ValueError, match=pattern):
            call()
