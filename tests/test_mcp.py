"""MCP, the penalty added in one file: its prox, and the solvers, paths, optimizer and grader
that use it through the Penalty interface alone (normcourse/mcp.py is not named anywhere else
in the library)."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest
import torch
from scipy.optimize import minimize_scalar

from normcourse import optim, solvers
from normcourse.grading.compare import IstaBound
from normcourse.mcp import MCP
from normcourse.penalties import L1


def _problem(seed: int = 0, n: int = 200, p: int = 20) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    theta = np.zeros(p)
    theta[:4] = [3.0, -2.0, 1.5, 1.0]
    return X, X @ theta + 0.5 * rng.standard_normal(n)


def _brute_prox(pen: MCP, w: float, step: float) -> float:
    """argmin_u ½(u − w)² + η·ρ(u) by a dense grid, then a bounded 1-D refinement."""
    def obj(u: float) -> float:
        return 0.5 * (u - w) ** 2 + step * pen.value(np.array([u]))

    grid = np.linspace(-abs(w) - 1, abs(w) + 1, 20_001)
    vals = [obj(u) for u in grid]
    k = int(np.argmin(vals))
    lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]
    best = minimize_scalar(obj, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12})
    return float(best.x) if best.fun < vals[k] else float(grid[k])


@pytest.mark.parametrize("step", [0.3, 1.0, 2.5, 3.0, 4.0])  # η < γ (firm), η = γ, η > γ
def test_prox_matches_brute_force_minimisation(step: float) -> None:
    pen = MCP(0.7, gamma=3.0)
    ws = np.array([-3.1, -2.2, -1.0, -0.5, -0.2, 0.0, 0.15, 0.69, 0.8, 1.6, 2.09, 2.2, 5.0])
    got = pen.prox(ws, step)
    for w, g in zip(ws, got, strict=True):
        u = _brute_prox(pen, float(w), step)
        f = lambda v, w=w: 0.5 * (v - w) ** 2 + step * pen.value(np.array([v]))  # noqa: E731
        assert f(g) <= f(u) + 1e-9, (w, g, u)  # never worse than the brute-force minimiser
        assert g == pytest.approx(u, abs=1e-5), (w, g, u)
    torch_got = pen.prox(torch.tensor(ws), step)
    np.testing.assert_allclose(torch_got.numpy(), got, rtol=0, atol=1e-15)


def test_value_shape_and_errors() -> None:
    pen = MCP(1.0, gamma=2.0)
    # ρ(0.5) = 0.5 − 0.0625; ρ(t) = γλ²/2 = 1 for |t| ≥ γλ = 2
    assert pen.value(np.array([0.5, -3.0, 0.0])) == pytest.approx(0.4375 + 1.0)
    t = torch.tensor([0.5, -3.0], dtype=torch.float64, requires_grad=True)
    v = pen.fast_value(t)
    v.backward()
    np.testing.assert_allclose(t.grad.numpy(), [1.0 - 0.5 / 2.0, 0.0])  # λ − t/γ, then flat
    with pytest.raises(ValueError, match="gamma"):
        MCP(1.0, gamma=1.0)
    with pytest.raises(ValueError, match="lam"):
        MCP(-1.0)
    assert MCP(0.5, 4.0).with_lam(0.1).gamma == 4.0


def test_prox_grad_matches_skglm_and_removes_the_lasso_bias() -> None:
    """skglm's MCPenalty with its Quadratic datafit is the same objective; on this design the
    objective is convex (λ_min(XᵀX/n) ≈ 0.47 > 1/γ), so both must find the same minimiser."""
    skglm = pytest.importorskip("skglm")
    from skglm.datafits import Quadratic
    from skglm.penalties import MCPenalty
    from skglm.solvers import AndersonCD

    X, y = _problem()
    gamma = 3.0
    for lam in (0.5, 0.2, 0.08):
        ours = solvers.prox_grad(X, y, MCP(lam, gamma), tol=1e-12, max_iter=100_000)
        assert ours.converged
        ref = skglm.GeneralizedLinearEstimator(
            datafit=Quadratic(), penalty=MCPenalty(lam, gamma),
            solver=AndersonCD(tol=1e-12, fit_intercept=False, max_iter=1000),
        ).fit(X, y)
        np.testing.assert_allclose(ours.theta, ref.coef_, rtol=0, atol=1e-9)
    # unbiased: every kept |θ_j| > γλ, so MCP's θ on its support is least squares there,
    ours = solvers.prox_grad(X, y, MCP(0.2, gamma), tol=1e-12, max_iter=100_000)
    S = ours.theta != 0
    assert S.sum() == 4
    ols = np.linalg.lstsq(X[:, S], y, rcond=None)[0]
    np.testing.assert_allclose(ours.theta[S], ols, rtol=0, atol=1e-9)
    # while the lasso with the same λ shrinks each kept coefficient by about λ
    lasso = solvers.lasso(X, y, 0.2, tol=1e-12).theta
    assert np.all(np.abs(lasso[:4]) < np.abs(ours.theta[:4]) - 0.15)


def test_path_of_mcp_through_the_generic_engine() -> None:
    X, y = _problem()
    P = solvers.path(X, y, MCP(1.0, 3.0), n_lams=20, eps=1e-2, tol=1e-10)
    assert P.converged.all() and np.all(np.isnan(P.gaps))  # no duality gap: KKT residuals
    assert np.all(P.kkt <= 1e-10)
    np.testing.assert_array_equal(P.coefs[0], 0.0)
    # λ_max is the lasso's: θ = 0 is stationary iff ‖Xᵀy‖_∞/n ≤ λ
    assert P.lams[0] == pytest.approx(solvers.lambda_max(X, y))
    assert (P.coefs[-1] != 0).sum() > (P.coefs[5] != 0).sum() > 0
    k = 12
    cold = solvers.prox_grad(X, y, MCP(P.lams[k], 3.0), tol=1e-12, max_iter=100_000)
    np.testing.assert_allclose(P.coefs[k], cold.theta, atol=1e-7)  # convex here: one answer
    ws = solvers.path(X, y, MCP(1.0, 3.0), P.lams, tol=1e-10, working_set=False)
    np.testing.assert_allclose(ws.coefs, P.coefs, atol=1e-7)


def test_proxsgd_full_batch_is_ista_with_mcp() -> None:
    X, y = _problem(n=100, p=10)
    n = X.shape[0]
    lr = n / np.linalg.norm(X, 2) ** 2
    pen = MCP(0.2, 3.0)
    w = torch.zeros(X.shape[1], dtype=torch.float64, requires_grad=True)
    opt = optim.ProxSGD([w], lr=lr, penalty=pen)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    for _ in range(300):
        opt.zero_grad()
        (0.5 * ((yt - Xt @ w) ** 2).mean()).backward()
        opt.step()
    ista = solvers.prox_grad(X, y, pen, method="ista", step=lr, max_iter=300, tol=0.0)
    np.testing.assert_allclose(w.detach().numpy(), ista.theta, rtol=0, atol=1e-10)


def test_grader_comparison_builds_mcp_from_its_name() -> None:
    X, y = _problem(n=60, p=8)
    args = {"X": X, "y": y, "lam": 0.2, "n_iter": 50}
    prepared = IstaBound().prepare(None, args, penalty="normcourse.mcp:MCP")
    assert isinstance(prepared["pen"], MCP) and prepared["pen"].lam == 0.2
    best = solvers.prox_grad(X, y, MCP(0.2), tol=1e-12, max_iter=100_000).theta
    assert IstaBound().judge(best, prepared, args, penalty="normcourse.mcp:MCP").ok
    assert not IstaBound().judge(np.zeros(8), prepared, args, penalty="normcourse.mcp:MCP").ok
    with pytest.raises(ValueError, match="Penalty"):
        IstaBound().prepare(None, args, penalty="normcourse.solvers:lasso")
    with pytest.raises(ValueError, match="normcourse"):
        IstaBound().prepare(None, args, penalty="os:system")


def test_mcp_is_named_nowhere_else_in_the_library() -> None:
    root = pathlib.Path(__file__).resolve().parents[1] / "normcourse"
    users = [p.relative_to(root).as_posix() for p in root.rglob("*.py")
             if p.name != "mcp.py" and "MCP" in p.read_text(encoding="utf-8")]
    assert users == [], users
    assert isinstance(MCP(1.0), type(L1(1.0)).__mro__[1])  # a plain Penalty subclass


def test_sparsity_page_claim_mcp_is_least_squares_on_its_support() -> None:
    """The sparsity page's example: same λ, same support, the lasso off by about λ on it,
    MCP equal to least squares refitted on the true support."""
    from normcourse import datasets

    prob = datasets.sparse_regression(n_samples=200, n_features=50, n_informative=5,
                                      noise=0.5, seed=3)
    lam, gamma = 0.25, 3.0
    S = np.flatnonzero(prob.theta)
    lasso = solvers.lasso(prob.X, prob.y, lam, tol=1e-12).theta
    mcp = solvers.prox_grad(prob.X, prob.y, MCP(lam, gamma), tol=1e-12, max_iter=100_000).theta
    np.testing.assert_array_equal(np.flatnonzero(lasso), S)
    np.testing.assert_array_equal(np.flatnonzero(mcp), S)
    oracle = np.linalg.lstsq(prob.X[:, S], prob.y, rcond=None)[0]
    np.testing.assert_allclose(mcp[S], oracle, rtol=0, atol=1e-9)
    assert np.all(np.abs(mcp[S]) > gamma * lam)  # where MCP's slope is zero
    err_lasso = np.abs(lasso[S] - prob.theta[S]).mean()
    err_mcp = np.abs(mcp[S] - prob.theta[S]).mean()
    assert f"{err_lasso:.3f}" == "0.243" and f"{err_mcp:.3f}" == "0.017"  # printed on the page
    assert 0.8 * lam < err_lasso < 1.2 * lam
