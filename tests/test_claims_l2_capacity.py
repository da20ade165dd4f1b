"""Claims made by book/principles/l2-and-capacity.md, pinned on the library.

Each test reproduces one statement of the page on the page's own seeded example
(diabetes, polynomial features, holdout of 221 patients with seed 0, λ on a log grid),
checked where possible against an independent computation (scikit-learn, SciPy, a plain
numpy loop).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.stats import laplace, norm
from sklearn.linear_model import Ridge
from sklearn.preprocessing import PolynomialFeatures

from normcourse import datasets, diagnostics, early_stopping
from normcourse.constrained import effective_dof, ridge
from normcourse.penalties import L2
from normcourse.solvers import lasso

LAMS = np.logspace(-4, 3, 29)
LR, STEPS = 0.1, 3000


@cache
def _split(degree: int) -> diagnostics.Holdout:
    data = datasets.diabetes()
    Xd = PolynomialFeatures(degree, include_bias=False).fit_transform(data.X)
    return diagnostics.holdout(Xd, data.y, n_val=221, seed=0)


@cache
def _sweep(degree: int) -> diagnostics.Sweep:
    s = _split(degree)
    return diagnostics.lambda_sweep(diagnostics.ridge_fit, s.X_train, s.y_train,
                                    s.X_val, s.y_val, LAMS)


def test_page_ridge_matches_sklearn_and_is_stationary() -> None:
    s = _split(2)
    n = s.X_train.shape[0]
    assert s.X_train.shape == (221, 65) and s.X_val.shape == (221, 65)
    theta = ridge(s.X_train, s.y_train, 0.5)
    ref = Ridge(alpha=n * 0.5, fit_intercept=False, solver="svd").fit(s.X_train, s.y_train)
    np.testing.assert_allclose(theta, ref.coef_, rtol=0, atol=1e-8)
    grad = -s.X_train.T @ (s.y_train - s.X_train @ theta) / n + L2(0.5).grad(theta)
    assert np.linalg.norm(grad) < 1e-8
    # the mapping matters: alpha = λ (without n) gives a visibly different model
    wrong = Ridge(alpha=0.5, fit_intercept=False, solver="svd").fit(s.X_train, s.y_train)
    assert np.abs(wrong.coef_ - theta).max() > 1.0


def test_small_lambda_overfits_with_a_large_gap() -> None:
    sw = _sweep(2)
    b = int(np.argmin(sw.val_loss))
    assert sw.val_loss[0] > 1.9 * sw.train_loss[0]
    assert sw.gap[0] > 4 * sw.gap[b]


def test_large_lambda_underfits_both_losses_high() -> None:
    sw, s = _sweep(2), _split(2)
    b = int(np.argmin(sw.val_loss))
    assert min(sw.train_loss[-1], sw.val_loss[-1]) > 1.9 * sw.val_loss[b]
    assert sw.val_loss[-1] > 0.99 * np.mean(s.y_val**2)  # ≈ predicting the training mean
    assert abs(sw.gap[-1]) < 0.01 * sw.val_loss[-1]


def test_chosen_lambda_minimises_validation_loss_and_grid_is_fine_enough() -> None:
    sw, s = _sweep(2), _split(2)
    d = diagnostics.diagnose_fit(sw)
    assert d.best_index == int(np.argmin(sw.val_loss))
    assert d.best_lam == pytest.approx(10**-0.25)  # λ ≈ 0.562 on the page
    fine = np.logspace(np.log10(d.best_lam) - 0.5, np.log10(d.best_lam) + 0.5, 41)
    fsw = diagnostics.lambda_sweep(diagnostics.ridge_fit, s.X_train, s.y_train,
                                   s.X_val, s.y_val, fine)
    assert fsw.val_loss.min() > 0.99 * sw.val_loss[d.best_index]
    assert fsw.val_loss.min() <= sw.val_loss[d.best_index]


def test_labels_form_three_contiguous_bands() -> None:
    d = diagnostics.diagnose_fit(_sweep(2))
    labels = d.labels.tolist()
    k_good = labels.index("good")
    k_under = labels.index("underfit")
    assert labels == ["overfit"] * k_good + ["good"] * (k_under - k_good) + \
        ["underfit"] * (len(labels) - k_under)
    assert k_good > 0 and k_under < len(labels)
    assert d.lams_labelled("overfit").max() < 0.1 <= d.lams_labelled("good").min()
    assert d.lams_labelled("good").max() <= 1.0 < d.lams_labelled("underfit").min()


def test_more_capacity_needs_more_penalty() -> None:
    sweeps = {k: _sweep(k) for k in (1, 2, 3)}
    diags = {k: diagnostics.diagnose_fit(sw) for k, sw in sweeps.items()}
    best = [diags[k].best_lam for k in (1, 2, 3)]
    assert best[0] < best[1] < best[2]
    assert len(diags[1].lams_labelled("overfit")) == 0  # degree 1: no overfitting regime
    assert _split(3).X_train.shape[1] > _split(3).X_train.shape[0]  # p = 285 > n = 221
    assert sweeps[3].train_loss[0] < 0.05 * sweeps[3].val_loss.min()  # near interpolation
    assert sweeps[3].val_loss[0] > 30 * sweeps[3].val_loss.min()
    # the honest remark: the smallest model validates best on these data
    mins = [sweeps[k].val_loss.min() for k in (1, 2, 3)]
    assert mins[0] < mins[1] < mins[2]


def test_effective_dof_at_best_lambda() -> None:
    s = _split(2)
    d = diagnostics.diagnose_fit(_sweep(2))
    assert np.linalg.matrix_rank(s.X_train) == 64
    df = effective_dof(s.X_train, d.best_lam)
    assert 20 < df < 30
    assert effective_dof(s.X_train, 0.0) == pytest.approx(64)


# ----------------------------------------------------------- training and validation time


def _gd_loop(X, y, Xv, yv, lam, lr, steps):
    n = X.shape[0]
    theta = np.zeros(X.shape[1])
    train, val = np.empty(steps), np.empty(steps)
    for t in range(steps):
        theta = theta - lr * (X.T @ (X @ theta - y) / n + lam * theta)
        train[t] = np.mean((y - X @ theta) ** 2)
        val[t] = np.mean((yv - Xv @ theta) ** 2)
    return theta, train, val


@cache
def _best_lam() -> float:
    return diagnostics.diagnose_fit(_sweep(2)).best_lam


def test_training_time_curves_show_the_three_regimes() -> None:
    s, sw = _split(2), _sweep(2)
    b = int(np.argmin(sw.val_loss))
    d1 = np.linalg.svd(s.X_train, compute_uv=False)[0] ** 2 / s.X_train.shape[0]
    assert d1 == pytest.approx(8.7, abs=0.05) and LR < 2 / (d1 + 5.0)  # stable for all runs
    out = {}
    for lam in (0.0, _best_lam(), 5.0):
        theta, train, val = _gd_loop(s.X_train, s.y_train, s.X_val, s.y_val, lam, LR, STEPS)
        c = early_stopping.gd_curves(s.X_train, s.y_train, s.X_val, s.y_val, lam, LR, STEPS)
        np.testing.assert_allclose(c.train_loss, train, rtol=1e-10)  # loop = library
        np.testing.assert_allclose(c.val_loss, val, rtol=1e-10)
        np.testing.assert_allclose(c.theta, theta, atol=1e-8)
        out[lam] = (train, val)
    train0, val0 = out[0.0]
    k0 = int(np.argmin(val0))
    assert k0 + 1 < 30 and np.all(np.diff(train0) < 0)  # validation turns after a dozen steps
    assert np.all(np.diff(val0[k0 + 50:]) > 0)  # … and keeps rising
    assert 1.15 < val0[-1] / val0.min() < 1.25  # "almost 20 % above its minimum"
    _, valb = out[_best_lam()]
    assert abs(valb[-1] - sw.val_loss[b]) < 1e-3 * sw.val_loss[b]  # settles at the ridge value
    assert np.all(np.diff(valb[100:]) <= 1e-9)  # no turn
    train5, val5 = out[5.0]
    assert val5[-1] > 1.25 * sw.val_loss[b] and abs(val5[-1] - train5[-1]) < 0.02 * val5[-1]


# --------------------------------------------------------------------- bias and variance


@cache
def _truth() -> tuple[np.ndarray, float]:
    s = _split(2)
    theta = ridge(s.X_train, s.y_train, _best_lam())
    return theta, float(np.mean((s.y_train - s.X_train @ theta) ** 2))


def test_bias_variance_closed_form_matches_monte_carlo_with_sklearn() -> None:
    s = _split(2)
    X, n = s.X_train, s.X_train.shape[0]
    theta, sigma2 = _truth()
    bv = diagnostics.ridge_bias_variance(X, theta, sigma2, LAMS)
    rng = np.random.default_rng(0)
    Y = (X @ theta)[:, None] + np.sqrt(sigma2) * rng.standard_normal((n, 2000))
    for k in range(0, LAMS.size, 2):
        coef = Ridge(alpha=n * LAMS[k], fit_intercept=False, solver="svd").fit(X, Y).coef_
        F = X @ coef.T  # n × 2000 fitted values
        var = np.mean(F.var(axis=1))
        b2 = np.mean((F.mean(axis=1) - X @ theta) ** 2)
        if bv.variance[k] > 1:
            assert var == pytest.approx(bv.variance[k], rel=0.05)
        assert abs(b2 - bv.bias2[k]) < 0.01 * bv.risk[k]
    assert np.all(np.diff(bv.bias2) > 0) and np.all(np.diff(bv.variance) < 0)
    assert 0 < bv.best_index < LAMS.size - 1 and bv.risk.min() < 0.5 * bv.risk[0]
    assert bv.variance[0] == pytest.approx(sigma2 * 64 / n, rel=0.06)  # σ² rank / n


def test_hoerl_kennard_some_lambda_beats_least_squares() -> None:
    s = _split(2)
    theta, sigma2 = _truth()
    small = np.array([0.0, 1e-6, 1e-4, 1e-2])
    par = diagnostics.ridge_bias_variance(s.X_train, theta, sigma2, small, target="parameters")
    assert np.all(np.diff(par.risk) < 0)  # the risk falls as soon as λ > 0
    full = diagnostics.ridge_bias_variance(s.X_train, theta, sigma2, LAMS, target="parameters")
    assert full.risk[0] > 100 * full.risk.min()


# ------------------------------------------------------------------------ MAP estimation


def test_ridge_is_the_posterior_mode_and_mean() -> None:
    s = _split(2)
    X, y, n = s.X_train, s.y_train, s.X_train.shape[0]
    _, sigma2 = _truth()
    lam = _best_lam()
    tau2 = sigma2 / (n * lam)
    assert diagnostics.prior_scale(lam, sigma2, n) == pytest.approx(tau2)
    theta = ridge(X, y, lam)
    # posterior mean by Gaussian conditioning: τ²Xᵀ(τ²XXᵀ + σ²I)⁻¹y
    cond = tau2 * X.T @ np.linalg.solve(tau2 * X @ X.T + sigma2 * np.eye(n), y)
    np.testing.assert_allclose(cond, theta, atol=1e-8)
    mean, _ = diagnostics.ridge_posterior(X, y, lam, sigma2)
    np.testing.assert_allclose(mean, theta, atol=1e-8)

    # posterior mode by maximising SciPy's log posterior
    def neg_log_post(t):
        return -(norm.logpdf(y, X @ t, np.sqrt(sigma2)).sum()
                 + norm.logpdf(t, 0, np.sqrt(tau2)).sum())

    def grad(t):
        return -(X.T @ (y - X @ t) / sigma2 - t / tau2)

    mode = minimize(neg_log_post, np.zeros(X.shape[1]), jac=grad, method="L-BFGS-B",
                    options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 10000}).x
    np.testing.assert_allclose(mode, theta, atol=1e-4 * np.abs(theta).max())


def test_lasso_is_the_laplace_map_and_has_exact_zeros() -> None:
    s = _split(2)
    X, y, n = s.X_train, s.y_train, s.X_train.shape[0]
    p = X.shape[1]
    _, sigma2 = _truth()
    lam = _best_lam()
    b = sigma2 / (n * lam)

    def f(z):  # −log posterior with θ = u − w, u, w ≥ 0 (smooth on the box)
        t = z[:p] - z[p:]
        r = y - X @ t
        val = -(norm.logpdf(y, X @ t, np.sqrt(sigma2)).sum() + laplace.logpdf(t, 0, b).sum())
        g = -X.T @ r / sigma2
        return val, np.concatenate([g + 1 / b, -g + 1 / b])

    z = minimize(f, np.zeros(2 * p), jac=True, method="L-BFGS-B", bounds=[(0, None)] * (2 * p),
                 options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 20000}).x
    mode = z[:p] - z[p:]
    th = lasso(X, y, lam, tol=1e-10).theta
    np.testing.assert_allclose(mode, th, atol=1e-3 * np.abs(th).max())
    assert np.sum(th == 0) == 18 and np.sum(ridge(X, y, lam) == 0) == 0
    assert np.all(np.abs(mode[th == 0]) < 1e-3 * np.abs(th).max())


# ----------------------------------------------------------------------- early stopping


def test_early_stopping_filters_like_ridge_at_one_over_eta_t() -> None:
    s, sw = _split(2), _sweep(2)
    X, y, n = s.X_train, s.y_train, s.X_train.shape[0]
    U, sv, Vt = np.linalg.svd(X, full_matrices=False)
    U, sv, Vt = U[:, :64], sv[:64], Vt[:64]  # rank 64
    d = sv**2 / n
    for t in (10, 100, 1000):
        gd = 1 - (1 - LR * d) ** t
        rg = d / (d + 1 / (LR * t))
        assert np.abs(gd - rg).max() < 0.25
        np.testing.assert_allclose(early_stopping.gd_filter(X, LR, t), gd, rtol=1e-10, atol=1e-12)
    theta_100, _, _ = _gd_loop(X, y, s.X_val, s.y_val, 0.0, LR, 100)
    np.testing.assert_allclose(Vt.T @ ((1 - (1 - LR * d) ** 100) * (U.T @ y) / sv), theta_100,
                               atol=1e-8)
    _, _, val = _gd_loop(X, y, s.X_val, s.y_val, 0.0, LR, 60)
    t_stop = int(np.argmin(val)) + 1
    b = int(np.argmin(sw.val_loss))
    assert t_stop == 13
    assert val.min() < 1.02 * sw.val_loss[b]
    assert 0.5 < (1 / (LR * t_stop)) / _best_lam() < 2


def test_prior_penalty_plot_checks_markers_and_theta() -> None:
    # Regression: a markers[label] of the wrong length reached matplotlib ("x and y must
    # have same first dimension"), and an empty theta was blamed on densities/penalties.
    import matplotlib.pyplot as plt

    from normcourse.plotting.capacity import prior_penalty_plot

    grid = np.linspace(-2.0, 2.0, 5)
    dens, pen = {"g": np.exp(-grid**2 / 2)}, {"g": grid**2 / 2}
    axes = prior_penalty_plot(grid, dens, pen, markers={"g": grid**2 / 2})
    assert len(axes[1].lines) == 2
    for bad in (grid[:4], np.empty(0), np.ones(6)):
        with pytest.raises(ValueError, match=r"markers\['g'\]"):
            prior_penalty_plot(grid, dens, pen, markers={"g": bad})
    with pytest.raises(ValueError, match="markers"):
        prior_penalty_plot(grid, dens, pen, markers=[1.0, 2.0])
    with pytest.raises(ValueError, match="theta"):
        prior_penalty_plot(np.empty(0), {"g": np.empty(0)}, {"g": np.empty(0)})
    plt.close("all")
