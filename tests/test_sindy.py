"""normcourse.sindy and solvers.stlsq: library, derivatives, STLSQ behaviour, scoring,
the Lorenz generator."""

from __future__ import annotations

import numpy as np
import pytest

from normcourse import datasets, sindy
from normcourse.solvers import stlsq


def test_polynomial_library_columns_and_names() -> None:
    X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 4.0]])
    Theta, names = sindy.polynomial_library(X, degree=2, names=["u", "v"])
    assert names == ["1", "u", "v", "u^2", "u v", "v^2"]
    u, v = X.T
    np.testing.assert_array_equal(Theta, np.column_stack([np.ones(3), u, v, u**2, u * v, v**2]))
    _, names3 = sindy.polynomial_library(X, degree=3, include_bias=False)
    assert names3 == ["x0", "x1", "x0^2", "x0 x1", "x1^2", "x0^3", "x0^2 x1", "x0 x1^2", "x1^3"]
    with pytest.raises(ValueError, match="degree"):
        sindy.polynomial_library(X, degree=-1)
    with pytest.raises(ValueError, match="names"):
        sindy.polynomial_library(X, names=["a"])
    with pytest.raises(ValueError, match="empty"):
        sindy.polynomial_library(X, degree=0, include_bias=False)


def test_time_derivative_exact_on_low_degree_polynomials() -> None:
    t = np.arange(0.0, 2.0, 0.01)
    X = np.column_stack([3 * t**2 - t, t**3])
    # central differences are exact for quadratics (edges use 2nd-order one-sided formulas)
    np.testing.assert_allclose(sindy.time_derivative(X[:, :1], 0.01)[:, 0], 6 * t - 1,
                               atol=1e-9)
    # a cubic Savitzky–Golay fit is exact for cubics, edges included
    np.testing.assert_allclose(sindy.time_derivative(X, 0.01, window=11, polyorder=3),
                               np.column_stack([6 * t - 1, 3 * t**2]), atol=1e-8)
    with pytest.raises(ValueError, match="window"):
        sindy.time_derivative(X, 0.01, window=10)
    with pytest.raises(ValueError, match="polyorder"):
        sindy.time_derivative(X, 0.01, window=5, polyorder=5)
    with pytest.raises(ValueError, match="dt"):
        sindy.time_derivative(X, 0.0)


def test_smoothing_reduces_noise_amplification() -> None:
    rng = np.random.default_rng(0)
    noise = 0.01 * rng.standard_normal((4000, 1))
    fd = sindy.time_derivative(noise, 0.002)
    sg = sindy.time_derivative(noise, 0.002, window=31)
    assert np.std(fd) == pytest.approx(0.01 / (np.sqrt(2) * 0.002), rel=0.1)
    assert np.std(sg) < np.std(fd) / 10


def test_lorenz_generator() -> None:
    tr = datasets.lorenz(t_end=2.0, dt=0.01)
    assert tr.X.shape == (200, 3) and tr.t[1] == pytest.approx(0.01)
    np.testing.assert_array_equal(tr.X, tr.X_clean)
    np.testing.assert_allclose(tr.dXdt, datasets.lorenz_rhs(tr.X_clean))
    # the samples solve the ODE: compare with a finite difference of the trajectory
    fd = sindy.time_derivative(tr.X, 0.01, window=7, polyorder=5)
    assert np.max(np.abs(fd - tr.dXdt)[5:-5]) < 1e-3 * np.max(np.abs(tr.dXdt))
    a = datasets.lorenz(t_end=1.0, noise=0.5, seed=4)
    b = datasets.lorenz(t_end=1.0, noise=0.5, seed=4)
    np.testing.assert_array_equal(a.X, b.X)
    assert np.std(a.X - a.X_clean) == pytest.approx(0.5, rel=0.05)
    with pytest.raises(ValueError, match="x0"):
        datasets.lorenz(x0=(1.0, 2.0))
    with pytest.raises(ValueError, match="dt"):
        datasets.lorenz(t_end=1.0, dt=2.0)


def test_stlsq_recovers_lorenz_exactly() -> None:
    tr = datasets.lorenz()
    Theta, _ = sindy.polynomial_library(tr.X, 2, tr.names)
    res = stlsq(Theta, tr.dXdt, threshold=0.1)
    truth = sindy.lorenz_xi()
    assert res.converged and np.count_nonzero(res.Xi) == 7
    assert np.array_equal(res.Xi != 0, truth != 0)
    nz = truth != 0
    assert np.max(np.abs(res.Xi[nz] - truth[nz]) / np.abs(truth[nz])) < 0.01
    assert sindy.term_errors(res.Xi, truth)[:2] == (0, 0)
    # one target at a time gives the same column
    one = stlsq(Theta, tr.dXdt[:, 1], threshold=0.1)
    np.testing.assert_allclose(one.Xi, res.Xi[:, 1])


def test_stlsq_small_problem_by_hand() -> None:
    rng = np.random.default_rng(1)
    A = rng.standard_normal((50, 4))
    b = A @ np.array([2.0, 0.0, -1.0, 0.0]) + 0.01 * rng.standard_normal(50)
    res = stlsq(A, b, threshold=0.5)
    expected = np.zeros(4)
    expected[[0, 2]] = np.linalg.lstsq(A[:, [0, 2]], b, rcond=None)[0]
    np.testing.assert_allclose(res.Xi, expected, atol=1e-12)
    # threshold 0 keeps everything: plain least squares after one pass
    full = stlsq(A, b, threshold=0.0)
    assert full.n_iter == 1 and full.converged
    np.testing.assert_allclose(full.Xi, np.linalg.lstsq(A, b, rcond=None)[0], atol=1e-12)
    # ridge without unbiasing: the last ridge solve on the support, (AᵀA + αI)w = Aᵀb
    ridge = stlsq(A, b, threshold=0.5, alpha=10.0, unbias=False)
    S = [0, 2]
    w = np.linalg.solve(A[:, S].T @ A[:, S] + 10.0 * np.eye(2), A[:, S].T @ b)
    np.testing.assert_allclose(ridge.Xi[S], w, atol=1e-12)
    # pysindy's α is the course's ridge λ = α/n: (1/2n)‖b − Aw‖² + (λ/2)‖w‖²
    from normcourse.constrained import ridge as course_ridge

    np.testing.assert_allclose(course_ridge(A[:, S], b, 10.0 / 50), w, atol=1e-10)
    assert not ridge.Xi[[1, 3]].any()


def test_stlsq_warns_and_validates() -> None:
    A = np.eye(3)
    with pytest.warns(UserWarning, match="eliminated"):
        res = stlsq(A, np.array([0.1, 0.2, 0.3]), threshold=1.0)
    assert not res.Xi.any()
    with pytest.raises(ValueError, match="threshold"):
        stlsq(A, np.ones(3), threshold=-1.0)
    with pytest.raises(ValueError, match="alpha"):
        stlsq(A, np.ones(3), alpha=np.nan)
    with pytest.raises(ValueError, match="dXdt"):
        stlsq(A, np.ones(4))


def test_term_errors_equations_and_sweep() -> None:
    truth = sindy.lorenz_xi()
    est = truth.copy()
    est[0, 0] = 0.3   # spurious constant in x'
    est[6, 1] = 0.0   # missed xz in y'
    sp, mi, rel = sindy.term_errors(est, truth)
    assert (sp, mi) == (1, 1)
    assert rel == pytest.approx(np.sqrt(0.3**2 + 1.0) / np.linalg.norm(truth))
    terms = ["1", "x", "y", "z", "x^2", "x y", "x z", "y^2", "y z", "z^2"]
    assert sindy.equations(truth, terms, ["x", "y", "z"], precision=2) == [
        "x' = -10.00 x + 10.00 y", "y' = 28.00 x - 1.00 y - 1.00 x z",
        "z' = -2.67 z + 1.00 x y"]
    tr = datasets.lorenz(t_end=4.0)
    Theta, _ = sindy.polynomial_library(tr.X, 2, tr.names)
    sw = sindy.threshold_sweep(Theta, tr.dXdt, [0.1, 5.0, 100.0], truth)
    np.testing.assert_array_equal(sw.wrong, [0, 5, 7])
    assert sw.rel_error[0] < 1e-10 and sw.rel_error[2] == pytest.approx(1.0)


def test_lasso_paths_rescale_and_oracle() -> None:
    tr = datasets.lorenz(t_end=4.0)
    Theta, _ = sindy.polynomial_library(tr.X, 2, tr.names)
    paths, scale = sindy.lasso_paths(Theta, tr.dXdt, n_lams=30, eps=1e-4)
    np.testing.assert_allclose(scale, np.sqrt(np.mean(Theta**2, axis=0)))
    assert scale[0] == 1.0  # the constant column is already unit-RMS
    from normcourse.solvers import lasso

    lam = paths[2].lams[10]
    direct = lasso(Theta / scale, tr.dXdt[:, 2], lam, tol=1e-12).theta / scale
    np.testing.assert_allclose(paths[2].coefs[10], direct, atol=1e-6 * np.abs(direct).max())
    oracle = sindy.best_on_paths(paths, sindy.lorenz_xi())
    assert oracle.Xi.shape == (10, 3)
    assert np.all(oracle.min_wrong <= oracle.wrong_at_best)
    with pytest.raises(ValueError, match="paths"):
        sindy.best_on_paths(paths[:2], sindy.lorenz_xi())
