"""normcourse.early_stopping: GD curves in closed form, the spectral filter, early stopping."""

from __future__ import annotations

import numpy as np
import pytest

from normcourse.constrained import shrinkage_factors, singular_values
from normcourse.early_stopping import TrainingCurve, gd_curves, gd_filter, gd_iterates


def _problem(n: int, p: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) @ np.diag(np.linspace(2.0, 0.05, p))
    theta = rng.standard_normal(p)
    y = X @ theta + 0.3 * rng.standard_normal(n)
    Xv = rng.standard_normal((30, p)) @ np.diag(np.linspace(2.0, 0.05, p))
    yv = Xv @ theta + 0.3 * rng.standard_normal(30)
    return X, y, Xv, yv


def _loop(X, y, Xv, yv, lam, lr, steps):
    n = X.shape[0]
    theta = np.zeros(X.shape[1])
    thetas, train, val = [], [], []
    for _ in range(steps):
        theta = theta - lr * (-X.T @ (y - X @ theta) / n + lam * theta)
        thetas.append(theta.copy())
        train.append(np.mean((y - X @ theta) ** 2))
        val.append(np.mean((yv - Xv @ theta) ** 2))
    return np.array(thetas), np.array(train), np.array(val)


def _lr(X: np.ndarray, lam: float, frac: float = 0.9) -> float:
    return frac * 2 / (singular_values(X)[0] ** 2 / X.shape[0] + lam)


@pytest.mark.parametrize(("n", "p"), [(40, 8), (15, 30)])
@pytest.mark.parametrize("lam", [0.0, 0.3])
@pytest.mark.parametrize("frac", [0.3, 0.9])  # 0.9·2/L: q < 0 for the steepest direction
def test_curves_and_iterates_reproduce_the_loop(n: int, p: int, lam: float, frac: float) -> None:
    X, y, Xv, yv = _problem(n, p, seed=n + p)
    lr = _lr(X, lam, frac)
    thetas, train, val = _loop(X, y, Xv, yv, lam, lr, 400)
    c = gd_curves(X, y, Xv, yv, lam, lr, 400)
    assert isinstance(c, TrainingCurve)
    np.testing.assert_array_equal(c.steps, np.arange(1, 401))
    # n < p interpolates: the training loss falls to ~1e-10, so compare on the loss scale
    np.testing.assert_allclose(c.train_loss, train, rtol=1e-10, atol=1e-12 * train[0])
    np.testing.assert_allclose(c.val_loss, val, rtol=1e-10)
    np.testing.assert_allclose(c.theta, thetas[-1], rtol=0, atol=1e-10)
    steps = np.array([0, 1, 7, 399, 400])
    it = gd_iterates(X, y, lr, steps, lam=lam)
    assert it.shape == (5, p)
    np.testing.assert_array_equal(it[0], 0.0)
    np.testing.assert_allclose(it[1:], thetas[steps[1:] - 1], rtol=0, atol=1e-10)
    np.testing.assert_allclose(gd_iterates(X, y, lr, 7, lam=lam), thetas[6], atol=1e-10)
    assert c.val_loss[c.best_step - 1] == c.val_loss.min()  # (ties on a plateau: any)
    assert val[c.best_step - 1] <= val.min() * (1 + 1e-9)


def test_long_runs_are_chunked_and_match_the_loop() -> None:
    X, y, Xv, yv = _problem(30, 5, seed=3)
    lr = _lr(X, 0.0, 0.5)
    _, train, val = _loop(X, y, Xv, yv, 0.0, lr, 5000)  # > one chunk of 2048
    c = gd_curves(X, y, Xv, yv, 0.0, lr, 5000)
    np.testing.assert_allclose(c.train_loss, train, rtol=1e-9)
    np.testing.assert_allclose(c.val_loss, val, rtol=1e-9)


def test_filter_formula_limits_and_shapes() -> None:
    X = _problem(40, 8, seed=1)[0]
    n = X.shape[0]
    d = singular_values(X) ** 2 / n
    lr = _lr(X, 0.0, 0.4)
    for t in (1, 10, 1000):
        np.testing.assert_allclose(gd_filter(X, lr, t), 1 - (1 - lr * d) ** t, rtol=1e-12)
    lam = 0.2
    lr2 = _lr(X, lam, 0.4)
    phi = gd_filter(X, lr2, [0, 5, 10**6], lam=lam)
    assert phi.shape == (3, d.size)
    np.testing.assert_array_equal(phi[0], 0.0)
    np.testing.assert_allclose(phi[1], d / (d + lam) * (1 - (1 - lr2 * (d + lam)) ** 5))
    np.testing.assert_allclose(phi[2], shrinkage_factors(X, lam), rtol=1e-12)  # → ridge
    assert np.all(np.diff(gd_filter(X, lr, np.arange(50)), axis=0) >= 0)  # rises in t


def test_filter_is_accurate_for_tiny_singular_values() -> None:
    rng = np.random.default_rng(4)
    U, _ = np.linalg.qr(rng.standard_normal((20, 3)))
    X = U @ np.diag([3.0, 1.0, 1e-7])
    lr, t = 0.1, 1000
    d = np.array([9.0, 1.0, 1e-14]) / 20
    exact = -np.expm1(t * np.log1p(-lr * d))
    np.testing.assert_allclose(gd_filter(X, lr, t), exact, rtol=1e-9)


def test_early_stopping_matches_ridge_at_one_over_eta_t() -> None:
    X = _problem(60, 12, seed=2)[0]
    lr = _lr(X, 0.0, 0.1)
    for t in (5, 50, 500, 5000):
        gap = np.abs(gd_filter(X, lr, t) - shrinkage_factors(X, 1 / (lr * t))).max()
        assert gap < 0.25
    x = np.logspace(-3, 3, 2001)  # the continuous limit: sup |1 − e^{−x} − x/(1+x)| ≈ 0.204
    assert np.abs(1 - np.exp(-x) - x / (1 + x)).max() == pytest.approx(0.2036, abs=1e-3)


def test_bad_inputs_raise_value_error() -> None:
    X, y, Xv, yv = _problem(20, 4, seed=5)
    L = singular_values(X)[0] ** 2 / 20
    with pytest.raises(ValueError, match="lr"):
        gd_filter(X, 2.0 / L, 10)
    with pytest.raises(ValueError, match="lr"):
        gd_curves(X, y, Xv, yv, 1.0, 2.0 / (L + 1.0) * 1.01, 10)
    with pytest.raises(ValueError, match="lr"):
        gd_iterates(X, y, 0.0, 10)
    with pytest.raises(ValueError, match="steps"):
        gd_filter(X, 0.1 / L, -1)
    with pytest.raises(ValueError, match="steps"):
        gd_filter(X, 0.1 / L, 2.5)
    with pytest.raises(ValueError, match="steps"):
        gd_curves(X, y, Xv, yv, 0.0, 0.1 / L, 0)
    with pytest.raises(ValueError, match="lam"):
        gd_filter(X, 0.1 / L, 10, lam=-1.0)
    with pytest.raises(ValueError, match="columns"):
        gd_curves(X, y, Xv[:, :3], yv, 0.0, 0.1 / L, 10)
    with pytest.raises(ValueError, match="NaN"):
        gd_curves(X, np.full(20, np.nan), Xv, yv, 0.0, 0.1 / L, 10)
    with pytest.raises(ValueError, match="samples"):
        gd_iterates(X, y[:5], 0.1 / L, 10)


def test_training_time_and_filter_plots() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from normcourse.diagnostics import lambda_sweep, ridge_fit
    from normcourse.plotting.capacity import (
        early_stopping_match_plot,
        spectral_filter_plot,
        training_time_plot,
    )

    X, y, Xv, yv = _problem(40, 8, seed=6)
    lr = _lr(X, 0.5, 0.5)
    curves = {"a": gd_curves(X, y, Xv, yv, 0.0, lr, 200),
              "b": gd_curves(X, y, Xv, yv, 0.5, lr, 200)}
    ax = training_time_plot(curves)
    assert len(ax.lines) == 6 and ax.get_xscale() == "log"
    dots = [ln for ln in ax.lines if ln.get_marker() == "o"]
    assert dots[0].get_xdata()[0] == curves["a"].best_step
    with pytest.raises(ValueError, match="TrainingCurve"):
        training_time_plot({"x": np.ones(3)})
    d = singular_values(X) ** 2 / 40
    ax2 = spectral_filter_plot(d, {"t = 10": (gd_filter(X, lr, 10),
                                              shrinkage_factors(X, 1 / (lr * 10)))})
    assert len(ax2.lines) == 3
    with pytest.raises(ValueError, match="one entry"):
        spectral_filter_plot(d, {"x": (np.ones(2), np.ones(2))})
    sw = lambda_sweep(ridge_fit, X, y, Xv, yv, np.logspace(-2, 1, 7))
    ax3 = early_stopping_match_plot(curves["a"], sw, lr)
    squares = [ln for ln in ax3.lines if ln.get_marker() == "s"]
    keep = (1 / (lr * sw.lams) >= 1) & (1 / (lr * sw.lams) <= 200)
    np.testing.assert_allclose(squares[0].get_ydata(), sw.val_loss[keep])
    with pytest.raises(ValueError, match="Sweep"):
        early_stopping_match_plot(curves["a"], None, lr)
    plt.close("all")
