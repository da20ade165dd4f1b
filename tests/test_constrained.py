"""normcourse.constrained: ridge in the SVD basis, norm-constrained least squares, KKT."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.linear_model import Ridge

from normcourse.constrained import (
    ConstrainedResult,
    KKTResiduals,
    effective_dof,
    kkt_residuals,
    norm_constrained_lstsq,
    ridge,
    ridge_path,
    shrinkage_factors,
    toy_2d,
    value_curve,
)
from normcourse.diagnostics import shadow_price_check

SHAPES = [(40, 10), (60, 25), (15, 40), (8, 30)]  # n > p and n < p


def _problem(n: int, p: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = X @ rng.standard_normal(p) + 0.5 * rng.standard_normal(n)
    return X, y


def _ls_norm2(X: np.ndarray, y: np.ndarray) -> float:
    t = np.linalg.pinv(X) @ y
    return float(t @ t)


# ----------------------------------------------------------------------------- ridge


@pytest.mark.parametrize(("n", "p"), SHAPES)
@pytest.mark.parametrize("lam", [1e-3, 0.1, 2.0])
def test_ridge_matches_sklearn_with_alpha_n_lam(n: int, p: int, lam: float) -> None:
    X, y = _problem(n, p, seed=n + p)
    ours = ridge(X, y, lam)
    ref = Ridge(alpha=n * lam, fit_intercept=False, solver="svd").fit(X, y).coef_
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-8)
    # and it is the normal-equation solution of (1/2n)‖y − Xθ‖² + (λ/2)‖θ‖²
    np.testing.assert_allclose((X.T @ X / n + lam * np.eye(p)) @ ours, X.T @ y / n,
                               rtol=0, atol=1e-10)


def test_ridge_at_zero_is_minimum_norm_least_squares() -> None:
    X, y = _problem(10, 30, seed=1)
    np.testing.assert_allclose(ridge(X, y, 0.0), np.linalg.pinv(X) @ y, atol=1e-10)


def test_ridge_path_equals_pointwise_ridge() -> None:
    X, y = _problem(30, 12, seed=2)
    lams = np.logspace(-3, 1, 7)
    path = ridge_path(X, y, lams)
    assert path.shape == (7, 12)
    for k, lam in enumerate(lams):
        np.testing.assert_allclose(path[k], ridge(X, y, lam), atol=1e-12)


def test_shrinkage_factors_and_dof_are_the_hat_matrix() -> None:
    X, _ = _problem(25, 8, seed=3)
    n = X.shape[0]
    lam = 0.3
    H = X @ np.linalg.solve(X.T @ X + n * lam * np.eye(8), X.T)
    assert effective_dof(X, lam) == pytest.approx(np.trace(H), rel=1e-12)
    s = np.linalg.svd(X, compute_uv=False)
    np.testing.assert_allclose(shrinkage_factors(X, lam), s**2 / (s**2 + n * lam))
    grid = np.array([0.0, 0.1, 1.0, 100.0])
    df = effective_dof(X, grid)
    assert df[0] == pytest.approx(8) and np.all(np.diff(df) < 0) and df[-1] < 0.5
    assert shrinkage_factors(X, grid).shape == (4, 8)


def test_rank_deficient_design_counts_only_nonzero_directions() -> None:
    X, _ = _problem(20, 5, seed=4)
    X = np.hstack([X, X[:, :1] * 2.0])  # a duplicated direction: rank 5 of 6 columns
    assert shrinkage_factors(X, 0.1).shape == (5,)
    assert effective_dof(X, 0.0) == pytest.approx(5)


# --------------------------------------------------------------------------- the toy


@pytest.mark.parametrize("seed", range(8))
def test_toy_2d_matches_closed_form(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.normal(scale=2.0, size=2)
    C = float(rng.uniform(0.1, 6.0))
    res = toy_2d(y, C)
    norm_y = np.linalg.norm(y)
    lam = max(0.0, 0.5 * (norm_y / math.sqrt(C) - 1))
    assert res.lam == pytest.approx(lam, rel=1e-14, abs=0)
    np.testing.assert_allclose(res.theta, y / (1 + 2 * lam), rtol=1e-14)
    assert res.loss == pytest.approx(0.5 * max(norm_y - math.sqrt(C), 0.0) ** 2,
                                     rel=1e-12, abs=1e-15)
    assert res.active == (norm_y**2 > C)
    assert res.kkt.max < 1e-12
    # the toy is the general problem with X = √2·I and target √2·y
    gen = norm_constrained_lstsq(math.sqrt(2) * np.eye(2), math.sqrt(2) * y, C)
    assert gen.lam == pytest.approx(res.lam, rel=1e-10, abs=1e-15)
    np.testing.assert_allclose(gen.theta, res.theta, rtol=1e-10, atol=1e-14)
    assert gen.loss == pytest.approx(res.loss, rel=1e-10, abs=1e-14)


def test_toy_2d_seed_numbers() -> None:
    res = toy_2d([2.0, 1.0], 1.0)
    assert res.lam == pytest.approx((math.sqrt(5) - 1) / 2, rel=1e-15)
    np.testing.assert_allclose(res.theta, np.array([2.0, 1.0]) / math.sqrt(5), rtol=1e-15)
    assert res.penalty_lam == pytest.approx(math.sqrt(5) - 1)


# --------------------------------------------------------------------- general solver


@pytest.mark.parametrize(("n", "p"), SHAPES)
@pytest.mark.parametrize("frac", [0.05, 0.3, 0.9])
def test_kkt_conditions_hold_on_random_problems(n: int, p: int, frac: float) -> None:
    X, y = _problem(n, p, seed=10 * n + p)
    C = frac * _ls_norm2(X, y)
    res = norm_constrained_lstsq(X, y, C)
    assert res.active and res.lam > 0
    assert res.kkt.stationarity < 1e-8
    assert res.kkt.primal < 1e-8 and res.kkt.dual == 0.0 and res.kkt.complementary < 1e-8
    assert float(res.theta @ res.theta) == pytest.approx(C, rel=1e-10)
    # θ* is the ridge solution at penalty 2λ* in the (λ/2)‖θ‖² convention
    np.testing.assert_allclose(ridge(X, y, res.penalty_lam), res.theta, rtol=1e-9, atol=1e-12)
    # recompute the residuals independently
    grad = -X.T @ (y - X @ res.theta) / n
    assert np.linalg.norm(grad + 2 * res.lam * res.theta) < 1e-8


@pytest.mark.parametrize(("n", "p"), SHAPES)
def test_lambda_is_exactly_zero_iff_constraint_inactive(n: int, p: int) -> None:
    X, y = _problem(n, p, seed=n * p)
    ls = _ls_norm2(X, y)
    for C in (ls * 1.000001, ls * 3.0):
        res = norm_constrained_lstsq(X, y, C)
        assert res.lam == 0.0 and not res.active
        np.testing.assert_allclose(res.theta, np.linalg.pinv(X) @ y, atol=1e-9)
        assert res.kkt.max < 1e-8
    res = norm_constrained_lstsq(X, y, ls * 0.999)
    assert res.lam > 0 and res.active
    assert res.ls_norm2 == pytest.approx(ls, rel=1e-10)


@pytest.mark.parametrize(("n", "p"), SHAPES)
@pytest.mark.parametrize("frac", [0.1, 0.5])
def test_shadow_price_equals_finite_difference_slope(n: int, p: int, frac: float) -> None:
    X, y = _problem(n, p, seed=n + 7 * p)
    C = frac * _ls_norm2(X, y)
    check = shadow_price_check(X, y, C)
    assert check.lam > 0
    assert check.rel_error < 1e-5
    # and the slope is not trivially right: a wrong λ by 1 % would fail
    assert abs(check.slope + 1.01 * check.lam) / check.lam > 5e-3


def test_shadow_price_is_zero_beyond_least_squares_norm() -> None:
    X, y = _problem(40, 10, seed=5)
    check = shadow_price_check(X, y, 2.0 * _ls_norm2(X, y))
    assert check.lam == 0.0 and abs(check.slope) < 1e-9


@pytest.mark.parametrize(("n", "p"), [(40, 10), (15, 40)])
def test_parity_with_scipy_slsqp(n: int, p: int) -> None:
    X, y = _problem(n, p, seed=3)
    C = 0.3 * _ls_norm2(X, y)
    res = norm_constrained_lstsq(X, y, C)
    sol = minimize(lambda t: np.sum((y - X @ t) ** 2) / (2 * n), np.zeros(p),
                   jac=lambda t: -X.T @ (y - X @ t) / n, method="SLSQP",
                   constraints=[{"type": "ineq", "fun": lambda t: C - t @ t,
                                 "jac": lambda t: -2 * t}],
                   options={"ftol": 1e-15, "maxiter": 2000})
    np.testing.assert_allclose(sol.x, res.theta, rtol=0, atol=1e-6)
    assert sol.fun == pytest.approx(res.loss, rel=1e-9)
    mult = getattr(sol, "multipliers", None)  # SciPy ≥ 1.16 reports the multipliers
    if mult is not None:
        assert float(np.ravel(mult)[0]) == pytest.approx(res.lam, rel=1e-5)


def test_value_curve_is_nonincreasing_convex_and_flat_beyond_ls() -> None:
    X, y = _problem(50, 8, seed=6)
    ls = _ls_norm2(X, y)
    curve = value_curve(X, y, np.linspace(0.01 * ls, 1.5 * ls, 120))
    assert np.all(np.diff(curve.loss) <= 1e-12)
    assert np.all(np.diff(curve.loss, 2) >= -1e-12)
    beyond = curve.Cs >= ls
    assert np.all(curve.lam[beyond] == 0) and np.all(curve.lam[~beyond] > 0)
    assert np.ptp(curve.loss[beyond]) < 1e-12
    assert np.all(np.diff(curve.lam[~beyond]) < 0)  # the price falls as the budget grows


def test_kkt_residuals_detect_violations() -> None:
    X, y = _problem(30, 6, seed=8)
    C = 0.2 * _ls_norm2(X, y)
    res = norm_constrained_lstsq(X, y, C)
    assert isinstance(res, ConstrainedResult) and isinstance(res.kkt, KKTResiduals)
    bad_lam = kkt_residuals(X, y, C, res.theta, 1.1 * res.lam)
    assert bad_lam.stationarity > 1e-3
    outside = kkt_residuals(X, y, C, 1.1 * res.theta, res.lam)
    assert outside.primal == pytest.approx(0.21 * C, rel=1e-9)
    neg = kkt_residuals(X, y, C, res.theta, -0.5)
    assert neg.dual == 0.5
    interior = kkt_residuals(X, y, C, 0.5 * res.theta, res.lam)
    assert interior.complementary == pytest.approx(res.lam * 0.75 * C, rel=1e-9)
    assert interior.max >= interior.complementary


# ------------------------------------------------------------------------ bad input


def test_bad_inputs_raise_value_errors_naming_the_argument() -> None:
    X, y = _problem(10, 3, seed=0)
    with pytest.raises(ValueError, match="C"):
        norm_constrained_lstsq(X, y, 0.0)
    with pytest.raises(ValueError, match="C"):
        norm_constrained_lstsq(X, y, -1.0)
    with pytest.raises(ValueError, match="C"):
        norm_constrained_lstsq(X, y, float("nan"))
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="X"):
        norm_constrained_lstsq(Xn, y, 1.0)
    with pytest.raises(ValueError, match="y"):
        norm_constrained_lstsq(X, np.r_[y[:-1], np.inf], 1.0)
    with pytest.raises(ValueError, match="same number of samples"):
        norm_constrained_lstsq(X, y[:-1], 1.0)
    with pytest.raises(ValueError, match="y"):
        norm_constrained_lstsq(X, y[:, None], 1.0)
    with pytest.raises(ValueError, match="theta"):
        kkt_residuals(X, y, 1.0, np.zeros(4), 0.0)
    with pytest.raises(ValueError, match="lam"):
        kkt_residuals(X, y, 1.0, np.zeros(3), float("nan"))
    with pytest.raises(ValueError, match="lam"):
        ridge(X, y, -0.1)
    with pytest.raises(ValueError, match="lams"):
        ridge_path(X, y, [0.1, -1.0])
    with pytest.raises(ValueError, match="y"):
        toy_2d([1.0, 2.0, 3.0], 1.0)
    with pytest.raises(ValueError, match="y"):
        toy_2d([1.0, np.nan], 1.0)
    with pytest.raises(ValueError, match="C"):
        toy_2d([1.0, 2.0], 0.0)
    with pytest.raises(ValueError, match="Cs"):
        value_curve(X, y, [1.0, 0.0])


# ---------------------------------------------------------------------------- figures


def test_constrained_2d_plot_draws_optimum_and_antiparallel_arrows() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from normcourse.plotting import constrained_2d_plot, shadow_price_plot

    y = np.array([2.0, 1.0])
    ax = constrained_2d_plot(math.sqrt(2) * np.eye(2), math.sqrt(2) * y, 1.0)
    opt = next(ln for ln in ax.lines if ln.get_marker() == "o")
    np.testing.assert_allclose([opt.get_xdata()[0], opt.get_ydata()[0]], y / math.sqrt(5))
    arrows = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
    assert len(arrows) == 2
    d = [np.subtract(a.xy, a.xyann) for a in arrows]
    cos = float(d[0] @ d[1]) / (np.linalg.norm(d[0]) * np.linalg.norm(d[1]))
    assert cos == pytest.approx(-1.0, abs=1e-12)
    with pytest.raises(ValueError, match="2 columns"):
        constrained_2d_plot(np.eye(3), np.ones(3), 1.0)
    curve = value_curve(math.sqrt(2) * np.eye(2), math.sqrt(2) * y, np.linspace(0.1, 7, 50))
    ax2 = shadow_price_plot(curve, toy_2d(y, 1.0))
    tangent = next(ln for ln in ax2.lines if ln.get_linestyle() == "--")
    slope = np.diff(tangent.get_ydata()) / np.diff(tangent.get_xdata())
    assert slope[0] == pytest.approx(-(math.sqrt(5) - 1) / 2)
    with pytest.raises(ValueError, match="at"):
        shadow_price_plot(curve, 0.5)
    plt.close("all")


def test_one_ridge_two_methods_multi_target_and_singular_fallback() -> None:
    rng = np.random.default_rng(11)
    X = rng.standard_normal((40, 6))
    Y = rng.standard_normal((40, 3))
    lam = 0.3
    ref = Ridge(alpha=40 * lam, fit_intercept=False).fit(X, Y).coef_.T
    for method in ("svd", "cholesky"):
        np.testing.assert_allclose(ridge(X, Y, lam, method=method), ref, rtol=1e-10)
        np.testing.assert_allclose(ridge(X, Y[:, 1], lam, method=method), ref[:, 1], rtol=1e-10)
    # a duplicated column makes XᵀX singular: at λ = 0 Cholesky falls back to least squares
    Xs = np.column_stack([X, X[:, 0]])
    theta = ridge(Xs, Y[:, 0], 0.0, method="cholesky")
    np.testing.assert_allclose(Xs @ theta, Xs @ ridge(Xs, Y[:, 0], 0.0), atol=1e-10)
    with pytest.raises(ValueError, match="method"):
        ridge(X, Y, lam, method="qr")


# ------------------------------------------------------------------------- the ℓ1 ball


def test_project_l1_ball_matches_a_bisection_on_the_threshold() -> None:
    from normcourse.constrained import project_l1_ball

    rng = np.random.default_rng(0)
    for _ in range(20):
        v = rng.standard_normal(rng.integers(1, 12)) * 3
        r = float(rng.uniform(0.1, 4.0))
        out = project_l1_ball(v, r)
        if np.abs(v).sum() <= r:
            np.testing.assert_array_equal(out, v)
            continue
        lo, hi = 0.0, float(np.abs(v).max())
        for _ in range(200):  # ‖S_τ(v)‖₁ is decreasing in τ
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if np.maximum(np.abs(v) - mid, 0).sum() > r else (lo, mid)
        ref = np.sign(v) * np.maximum(np.abs(v) - hi, 0)
        np.testing.assert_allclose(out, ref, atol=1e-12)
        assert np.abs(out).sum() == pytest.approx(r, rel=1e-12)
        assert np.all(out[np.abs(v) <= hi - 1e-9] == 0.0)  # exact zeros, no −0.0 either
        assert not np.any(np.signbit(out[out == 0]))
    with pytest.raises(ValueError, match="radius"):
        project_l1_ball(np.ones(3), 0.0)


@pytest.mark.parametrize(("n", "p"), [(40, 6), (12, 30)])
def test_l1_constrained_matches_lasso_and_slsqp(n: int, p: int) -> None:
    from sklearn.linear_model import Lasso

    from normcourse.constrained import L1ConstrainedResult, l1_constrained_lstsq

    X, y = _problem(n, p, seed=3 * n + p)
    for r in (0.5, 2.0):
        res = l1_constrained_lstsq(X, y, r)
        assert isinstance(res, L1ConstrainedResult)
        assert res.active and res.converged and res.kkt.max < 1e-9
        assert np.abs(res.theta).sum() == pytest.approx(r, rel=1e-10)
        assert res.penalty_lam == res.lam  # the lasso's λ, no factor 2
        sk = Lasso(alpha=res.lam, fit_intercept=False, tol=1e-14, max_iter=200_000)
        np.testing.assert_allclose(sk.fit(X, y).coef_, res.theta, atol=1e-6)
        # SLSQP on θ = u − w, u, w ≥ 0, Σ(u + w) ≤ r: a smooth problem
        f = lambda z: np.sum((y - X @ (z[:p] - z[p:])) ** 2) / (2 * n)  # noqa: E731
        sol = minimize(f, np.zeros(2 * p), method="SLSQP", bounds=[(0, None)] * (2 * p),
                       constraints=[{"type": "ineq", "fun": lambda z, r=r: r - z.sum()}],
                       options={"ftol": 1e-14, "maxiter": 2000})
        assert sol.fun == pytest.approx(res.loss, rel=1e-6)
        assert res.loss <= sol.fun * (1 + 1e-9)  # (SLSQP may sit a hair outside the ball)


def test_l1_constrained_inverts_the_lasso_and_handles_slack_budgets() -> None:
    from normcourse.constrained import l1_constrained_lstsq
    from normcourse.solvers import lasso

    X, y = _problem(50, 8, seed=11)
    lam = 0.2
    th = lasso(X, y, lam, tol=1e-12).theta
    back = l1_constrained_lstsq(X, y, float(np.abs(th).sum()))
    assert back.lam == pytest.approx(lam, rel=1e-6)
    np.testing.assert_allclose(back.theta, th, atol=1e-7)
    np.testing.assert_array_equal(back.theta == 0, np.abs(th) < 1e-12)
    ls = np.linalg.lstsq(X, y, rcond=None)[0]
    slack = l1_constrained_lstsq(X, y, 2 * np.abs(ls).sum())
    assert slack.lam == 0.0 and not slack.active and slack.n_iter == 0
    np.testing.assert_allclose(slack.theta, ls, atol=1e-10)
    with pytest.raises(ValueError, match="radius"):
        l1_constrained_lstsq(X, y, -1.0)
    with pytest.raises(ValueError, match="NaN"):
        l1_constrained_lstsq(X, np.full(50, np.nan), 1.0)


def test_constrained_geometry_and_plot_for_the_l1_ball() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from normcourse.constrained import constrained_geometry, l1_constrained_lstsq
    from normcourse.plotting.capacity import budget_path_plot, constrained_2d_plot

    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 2)) @ np.array([[1.0, 0.0], [0.5, 0.8]])
    y = X @ np.array([1.5, 0.4]) + 0.5 * rng.standard_normal(50)
    geo = constrained_geometry(X, y, 1.0, ball="l1")
    assert geo.ball == "l1" and geo.result.theta[1] == 0.0
    g = -geo.grad_loss / geo.result.lam  # −∇L(θ*) = λ*(1, g₂) with |g₂| ≤ 1 at the corner
    assert g[0] == pytest.approx(1.0) and abs(g[1]) <= 1
    ax = constrained_2d_plot(X, y, 1.0, ball="l1")
    labels = ax.get_legend_handles_labels()[1]
    assert "normal cone (corner)" in labels and "−∇L(θ*)" in labels
    dot = next(ln for ln in ax.lines if ln.get_marker() == "o")
    np.testing.assert_allclose([dot.get_xdata()[0], dot.get_ydata()[0]], geo.result.theta)
    edge = constrained_2d_plot(X, y, 1.8, ball="l1")  # on an edge: a ray, not a wedge
    assert "normal cone (edge)" in edge.get_legend_handles_labels()[1]
    with pytest.raises(ValueError, match="ball"):
        constrained_2d_plot(X, y, 1.0, ball="linf")
    radii = np.linspace(0.1, 2.0, 5)
    P = np.array([l1_constrained_lstsq(X, y, r).theta for r in radii])
    ax2 = budget_path_plot(radii, {"ℓ1": P})
    assert len(ax2.lines) == 3  # two coordinates and the zero line
    with pytest.raises(ValueError, match="one row per radius"):
        budget_path_plot(radii, {"ℓ1": P[:3]})
    plt.close("all")
