"""Bad input for the solvers group (solvers, constrained, selection, diagnostics, sindy):
one regression test per case of the issue, plus property tests of the key numerics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normcourse import constrained, diagnostics, selection, sindy, solvers
from normcourse.groups import Groups
from normcourse.penalties import L1, L2
from normcourse.solvers import ConvergenceWarning


def _data(n: int = 20, p: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    return X, X @ np.array([1.5, -2.0, 0.0, 0.0, 1.0])[:p] + 0.3 * rng.standard_normal(n)


# ------------------------------------------------------------------ the cases


def test_mse_shapes_must_match_exactly() -> None:
    y = np.arange(20.0)
    # used to broadcast (20,) against (20, 1) to (20, 20) and return 20.0 for identical data
    with pytest.raises(ValueError, match="y_hat"):
        diagnostics.mse(y, y[:, None])
    assert diagnostics.mse(y, y) == 0.0
    with pytest.raises(ValueError, match="y_hat"):
        diagnostics.mse(y, np.full(20, np.nan))


def test_prox_grad_rejects_a_string_restart_flag() -> None:
    X, y = _data()
    with pytest.raises(ValueError, match="restart"):
        solvers.prox_grad(X, y, L1(0.1), restart="False")


@pytest.mark.parametrize("solve", [
    lambda X, y, **kw: solvers.lasso(X, y, 0.01, **kw),
    lambda X, y, **kw: solvers.elastic_net(X, y, 0.01, 0.01, **kw),
    lambda X, y, **kw: solvers.group_lasso(X, y, 0.01, [np.arange(5)], **kw),
    lambda X, y, **kw: solvers.prox_grad(X, y, L1(0.01), **kw),
])
def test_solver_stopped_at_max_iter_warns_with_the_gap(solve) -> None:
    X, y = _data()
    with pytest.warns(ConvergenceWarning, match=r"max_iter=3.*duality gap.*increase max_iter"):
        res = solve(X, y, max_iter=3)
    assert not res.converged


def test_kkt_criterion_stopped_at_max_iter_warns_with_the_residual() -> None:
    X, y = _data()
    with pytest.warns(ConvergenceWarning, match=r"KKT residual .*loosen tol"):
        solvers.prox_grad(X, np.sign(y), L2(0.1), loss="logistic", max_iter=2)


def test_no_cap_warning_for_a_fixed_budget_a_callback_stop_or_a_converged_solve() -> None:
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert solvers.lasso(X, y, 0.01, tol=0.0, max_iter=5).n_iter == 5
        assert solvers.lasso(X, y, 0.01, tol=0.0, callback=lambda k, th: k == 4).n_iter == 4
        assert solvers.lasso(X, y, 0.01).converged


def test_path_stopped_at_max_iter_warns() -> None:
    X, y = _data()
    with pytest.warns(ConvergenceWarning, match=r"max_iter=2.*duality gap"):
        solvers.lasso_path(X, y, n_lams=5, max_iter=2, working_set=False)


def test_a_divergent_fixed_step_is_an_error_not_nan() -> None:
    X, y = _data()
    with pytest.raises(ValueError, match="step"):
        solvers.lasso(X, y, 0.1, step=1e300)


def test_ridge_at_tiny_scale_gives_the_right_answer() -> None:
    # used to return inf with a RuntimeWarning (σ² underflowed to 0)
    for method in ("svd", "cholesky"):
        theta = constrained.ridge(np.array([[1e-170]]), [1.0], 0, method=method)
        np.testing.assert_allclose(theta, [1e170], rtol=1e-12)
    X, y = _data()
    for a in (1e-150, 1e-100, 1e100):  # λ scales as a² (1e-300: still a normal float)
        np.testing.assert_allclose(constrained.ridge(a * X, a * y, 0.3 * a * a),
                                   constrained.ridge(X, y, 0.3), rtol=1e-9)
    np.testing.assert_allclose(constrained.ridge(1e-170 * X, y, 0.0),
                               1e170 * constrained.ridge(X, y, 0.0), rtol=1e-9)


def test_norm_constrained_lstsq_at_tiny_scales() -> None:
    X, y = _data()
    base = constrained.norm_constrained_lstsq(X, y, 0.1)
    for a in (1e-150, 1e-100):
        res = constrained.norm_constrained_lstsq(a * X, a * y, 0.1)
        np.testing.assert_allclose(res.theta, base.theta, rtol=1e-7)
        np.testing.assert_allclose(res.lam / a**2, base.lam, rtol=1e-7)
    # a tiny budget: used to fail inside brentq ("f(a) and f(b) must have different signs")
    res = constrained.norm_constrained_lstsq(X, y, 1e-300)
    g = X.T @ y
    np.testing.assert_allclose(res.theta, 1e-150 * g / np.linalg.norm(g), rtol=1e-9)
    # a design so small that ‖X⁺y‖² overflows: a clear error, not inf
    with pytest.raises(ValueError, match="rescale"):
        constrained.norm_constrained_lstsq(np.array([[1e-170]]), [1.0], 1.0)


def test_stlsq_errors_name_theta() -> None:
    with pytest.raises(ValueError, match="Theta"):
        sindy.stlsq(np.full((4, 2), np.nan), np.ones(4))
    with pytest.raises(ValueError, match="Theta"):
        sindy.stlsq(np.ones((4, 2)), np.ones(3))


def test_group_norms_rejects_overlapping_groups() -> None:
    with pytest.raises(ValueError, match="overlap"):
        selection.group_norms(np.ones(4), [np.array([0, 1]), np.array([1, 2])])
    with pytest.raises(ValueError, match="groups"):
        selection.group_support(np.ones(4), [np.array([0.5])])
    with pytest.raises(ValueError, match="coefs"):
        selection.group_norms(np.ones(2), [np.array([0, 5])])
    grp = [np.array([0, 1]), np.array([3])]
    np.testing.assert_allclose(selection.group_norms(np.array([3.0, 4.0, 9.0, -2.0]), grp),
                               [5.0, 2.0])
    assert Groups(grp).n_groups == 2


def _grid_calls() -> list:
    X, y = _data()
    s = np.sign(y)
    return [
        ("lasso_path", lambda g: solvers.lasso_path(X, y, g)),
        ("enet_path", lambda g: solvers.enet_path(X, y, g)),
        ("group_lasso_path", lambda g: solvers.group_lasso_path(X, y, [np.arange(5)], lams=g)),
        ("path", lambda g: solvers.path(X, y, L1(1.0), g)),
        ("logistic_l1_path", lambda g: selection.logistic_l1_path(X, s, g)),
        ("cross_validate_path", lambda g: selection.cross_validate_path(X, y, g, n_folds=2)),
        ("stability_selection",
         lambda g: selection.stability_selection(X, y, g, n_resamples=2)),
        ("lambda_sweep", lambda g: diagnostics.lambda_sweep(diagnostics.ridge_fit, X[:14],
                                                            y[:14], X[14:], y[14:], g)),
    ]


@pytest.mark.parametrize("bad", [[0.5, -0.1], [0.5, 0.0], [0.5, np.nan], [0.5, 0.1, 0.5],
                                 [], [[0.5]]])
@pytest.mark.parametrize("name, call", _grid_calls())
def test_lambda_grids_one_rule_everywhere(name, call, bad) -> None:
    with pytest.raises(ValueError, match="lams"):
        call(np.array(bad, dtype=float))


def test_lambda_grids_in_any_order_follow_the_order_given() -> None:
    X, y = _data()
    grid = solvers.lambda_max(X, y) * np.array([0.1, 0.5, 0.02])
    P = solvers.lasso_path(X, y, grid, tol=1e-10)
    Q = solvers.lasso_path(X, y, np.sort(grid)[::-1], tol=1e-10)
    np.testing.assert_allclose(P.lams, grid)
    np.testing.assert_allclose(P.coefs[[1, 0, 2]], Q.coefs, atol=1e-8)


def test_ridge_grids_allow_zero_but_not_duplicates() -> None:
    X, y = _data()
    assert constrained.ridge_path(X, y, [0.0, 1.0]).shape == (2, 5)
    with pytest.raises(ValueError, match="lams"):
        constrained.ridge_path(X, y, [1.0, 1.0])
    with pytest.raises(ValueError, match="lams"):
        constrained.shrinkage_factors(X, [-1.0])


def test_ridge_shrinkage_has_no_0_over_0_at_tiny_scale() -> None:
    X, _ = _data()
    f = constrained.shrinkage_factors(1e-170 * X, [0.0, 1e-300])
    assert np.all(np.isfinite(f)) and np.allclose(f[0], 1.0)


def test_crashing_input_does_not_kill_the_interpreter() -> None:
    import subprocess
    import sys

    code = ("import numpy as np\nfrom normcourse import constrained, solvers\n"
            "try:\n    solvers.lasso(np.full((3, 2), 1e200), np.ones(3), 0.1)\n"
            "except ValueError as e:\n    print('ok', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and out.stdout.startswith("ok"), out.stderr


# ------------------------------------------------------------------ property tests

_scales = st.sampled_from([1e-150, 1e-60, 1e-8, 1.0, 1e8, 1e60, 1e100])
_seeds = st.integers(0, 10_000)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(seed=_seeds, a=_scales, lam=st.floats(1e-3, 1e2))
def test_ridge_is_scale_equivariant_and_optimal(seed: int, a: float, lam: float) -> None:
    X, y = _data(12, 4, seed)
    theta = constrained.ridge(X, y, lam)
    # normal equations (XᵀX/n + λI)θ = Xᵀy/n
    n = X.shape[0]
    np.testing.assert_allclose((X.T @ X / n + lam * np.eye(4)) @ theta, X.T @ y / n,
                               atol=1e-10 * (1 + np.abs(X.T @ y / n).max()))
    np.testing.assert_allclose(constrained.ridge(a * X, a * y, lam * a * a), theta,
                               rtol=1e-8, atol=1e-12)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(seed=_seeds, C=st.floats(1e-6, 1e3))
def test_norm_constrained_lstsq_satisfies_kkt(seed: int, C: float) -> None:
    X, y = _data(15, 4, seed)
    res = constrained.norm_constrained_lstsq(X, y, C)
    assert np.all(np.isfinite(res.theta)) and res.lam >= 0
    assert float(res.theta @ res.theta) <= C * (1 + 1e-10)
    assert res.kkt.max <= 1e-8 * (1 + np.abs(X.T @ y).max())


@settings(max_examples=50, deadline=None, derandomize=True)
@given(seed=_seeds, frac=st.floats(0.05, 0.95))
def test_lasso_satisfies_its_optimality_conditions(seed: int, frac: float) -> None:
    X, y = _data(20, 5, seed)
    lam = frac * solvers.lambda_max(X, y)
    theta = solvers.lasso(X, y, lam, tol=1e-12, max_iter=100_000).theta
    corr = X.T @ (y - X @ theta) / X.shape[0]
    assert np.all(np.abs(corr) <= lam * (1 + 1e-4))
    on = theta != 0
    np.testing.assert_allclose(corr[on], lam * np.sign(theta[on]), rtol=1e-4)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(seed=_seeds, shape=st.sampled_from([(7,), (5, 3)]))
def test_mse_agrees_with_a_direct_computation(seed: int, shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(seed)
    y, y_hat = rng.standard_normal(shape), rng.standard_normal(shape)
    direct = float(((y - y_hat) ** 2).sum()) / shape[0]
    assert diagnostics.mse(y, y_hat) == pytest.approx(direct, rel=1e-12)
    assert diagnostics.mse(y, y) == 0.0
