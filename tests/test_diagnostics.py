"""normcourse.diagnostics: λ sweeps, the fit-diagnosis rule, holdout splits, shadow price."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from normcourse.constrained import effective_dof, norm_constrained_lstsq, ridge
from normcourse.diagnostics import (
    Diagnosis,
    Sweep,
    diagnose_fit,
    holdout,
    lambda_sweep,
    mse,
    ridge_fit,
    shadow_price_check,
)


def _data(seed: int = 0, n: int = 80, p: int = 30) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = X[:, :3] @ np.array([2.0, -1.0, 0.5]) + rng.standard_normal(n)
    return X[:40], y[:40], X[40:], y[40:]


# ------------------------------------------------------------------------------- sweep


def test_sweep_records_the_losses_it_claims() -> None:
    Xt, yt, Xv, yv = _data()
    lams = np.array([10.0, 0.01, 1.0])  # unsorted on purpose
    sw = lambda_sweep(ridge_fit, Xt, yt, Xv, yv, lams)
    assert isinstance(sw, Sweep)
    np.testing.assert_array_equal(sw.lams, [0.01, 1.0, 10.0])
    for k, lam in enumerate(sw.lams):
        theta = ridge(Xt, yt, lam)
        assert sw.train_loss[k] == pytest.approx(np.mean((yt - Xt @ theta) ** 2), rel=1e-12)
        assert sw.val_loss[k] == pytest.approx(np.mean((yv - Xv @ theta) ** 2), rel=1e-12)
    np.testing.assert_allclose(sw.gap, sw.val_loss - sw.train_loss)
    assert np.all(np.diff(sw.train_loss) > 0)  # ridge's data loss grows with λ


def test_sweep_accepts_sklearn_estimators_and_torch_outputs() -> None:
    torch = pytest.importorskip("torch")
    Xt, yt, Xv, yv = _data(seed=1)
    lams = np.logspace(-2, 1, 4)

    def sk_fit(X, y, lam):
        return Ridge(alpha=len(y) * lam, fit_intercept=False).fit(X, y)

    def torch_fit(X, y, lam):
        theta = torch.as_tensor(ridge(X, y, lam))
        return lambda Z: torch.as_tensor(Z) @ theta

    ref = lambda_sweep(ridge_fit, Xt, yt, Xv, yv, lams)
    for fit in (sk_fit, torch_fit):
        sw = lambda_sweep(fit, Xt, yt, Xv, yv, lams)
        np.testing.assert_allclose(sw.val_loss, ref.val_loss, rtol=1e-8)
        np.testing.assert_allclose(sw.train_loss, ref.train_loss, rtol=1e-8)


def test_sweep_custom_loss_and_progress(capsys: pytest.CaptureFixture[str]) -> None:
    Xt, yt, Xv, yv = _data(seed=2)
    mae = lambda y, yh: float(np.mean(np.abs(y - yh)))  # noqa: E731
    sw = lambda_sweep(ridge_fit, Xt, yt, Xv, yv, [0.1, 1.0], loss=mae, progress=True)
    theta = ridge(Xt, yt, 0.1)
    assert sw.val_loss[0] == pytest.approx(np.mean(np.abs(yv - Xv @ theta)))
    assert capsys.readouterr().out.count("λ =") == 2


def test_mse_is_mean_over_rows() -> None:
    y = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert mse(y, np.zeros_like(y)) == pytest.approx((1 + 4 + 9 + 16) / 2)


def test_sweep_bad_inputs() -> None:
    Xt, yt, Xv, yv = _data()
    with pytest.raises(ValueError, match="fit"):
        lambda_sweep("ridge", Xt, yt, Xv, yv, [1.0])
    with pytest.raises(ValueError, match="lams"):
        lambda_sweep(ridge_fit, Xt, yt, Xv, yv, [1.0, 0.0])
    with pytest.raises(ValueError, match="lams"):
        lambda_sweep(ridge_fit, Xt, yt, Xv, yv, [])
    with pytest.raises(ValueError, match="duplicates"):
        lambda_sweep(ridge_fit, Xt, yt, Xv, yv, [1.0, 1.0])
    with pytest.raises(ValueError, match="columns"):
        lambda_sweep(ridge_fit, Xt, yt, Xv[:, :-1], yv, [1.0])
    with pytest.raises(ValueError, match="samples"):
        lambda_sweep(ridge_fit, Xt, yt[:-1], Xv, yv, [1.0])
    bad = Xv.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="X_val"):
        lambda_sweep(ridge_fit, Xt, yt, bad, yv, [1.0])
    with pytest.raises(ValueError, match="predict"):
        lambda_sweep(lambda X, y, lam: 3.0, Xt, yt, Xv, yv, [1.0])
    with pytest.raises(ValueError, match="NaN"):
        lambda_sweep(lambda X, y, lam: (lambda Z: np.full(len(Z), np.nan)),
                     Xt, yt, Xv, yv, [1.0])
    with pytest.raises(ValueError, match="shape"):
        lambda_sweep(lambda X, y, lam: (lambda Z: np.zeros(3)), Xt, yt, Xv, yv, [1.0])


# ---------------------------------------------------------------------------- diagnose


def _sweep(train, val) -> Sweep:
    k = len(train)
    return Sweep(lams=np.logspace(-3, 3, k), train_loss=np.asarray(train, float),
                 val_loss=np.asarray(val, float))


def test_diagnose_applies_the_documented_rule() -> None:
    sw = _sweep(train=[1.0, 2.0, 3.0, 4.0, 6.0, 9.0],
                val=[8.0, 5.2, 5.0, 5.1, 7.0, 9.5])
    d = diagnose_fit(sw, tol=0.05)
    assert isinstance(d, Diagnosis)
    assert d.best_index == 2 and d.best_lam == sw.lams[2]
    assert d.labels.tolist() == ["overfit", "good", "good", "good", "underfit", "underfit"]
    np.testing.assert_array_equal(d.lams_labelled("good"), sw.lams[1:4])
    # overfit λ has a larger gap than the best λ, as the docstring says
    assert sw.gap[0] > sw.gap[d.best_index]


def test_diagnose_tolerance_controls_the_good_band() -> None:
    sw = _sweep(train=[1.0, 2.0, 3.0, 4.0, 6.0, 9.0],
                val=[8.0, 5.2, 5.0, 5.1, 7.0, 9.5])
    assert diagnose_fit(sw, tol=0.0).labels.tolist() == [
        "overfit", "overfit", "good", "underfit", "underfit", "underfit"]
    assert set(diagnose_fit(sw, tol=1.0).labels) == {"good"}


def test_diagnose_uses_losses_not_positions() -> None:
    # a noisy sweep whose training loss is not monotone: the λ right of the best one fits
    # the training set better, so it is overfit although it lies at larger λ
    sw = _sweep(train=[3.0, 2.0, 1.5], val=[6.0, 4.0, 5.0])
    assert diagnose_fit(sw).labels.tolist() == ["underfit", "good", "overfit"]


def test_diagnose_ties_pick_the_first_minimum_and_bad_input() -> None:
    sw = _sweep(train=[1.0, 2.0, 3.0], val=[4.0, 4.0, 6.0])
    assert diagnose_fit(sw).best_index == 0
    with pytest.raises(ValueError, match="sweep"):
        diagnose_fit({"lams": [1.0]})
    with pytest.raises(ValueError, match="tol"):
        diagnose_fit(sw, tol=-0.1)
    with pytest.raises(ValueError, match="label"):
        diagnose_fit(sw).lams_labelled("great")


# ----------------------------------------------------------------------------- holdout


def test_holdout_standardises_with_training_statistics_only() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(loc=5.0, scale=3.0, size=(50, 4))
    X[:, 3] = 1.0  # a constant column keeps scale 1
    y = rng.normal(loc=10.0, size=50)
    h = holdout(X, y, n_val=20, seed=3)
    assert h.X_train.shape == (30, 4) and h.X_val.shape == (20, 4)
    np.testing.assert_allclose(h.X_train[:, :3].mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(h.X_train[:, :3].std(0), 1, atol=1e-12)
    assert abs(h.y_train.mean()) < 1e-12 and abs(h.y_val.mean()) > 1e-6
    np.testing.assert_array_equal(h.X_train[:, 3], 0.0)
    # the same seed gives the same split, and validation rows are not in training
    h2 = holdout(X, y, n_val=20, seed=3)
    np.testing.assert_array_equal(h.X_val, h2.X_val)
    raw_val = h.X_val * h.scale + h.mean
    raw_tr = h.X_train * h.scale + h.mean
    assert not any(np.allclose(r, t) for r in raw_val for t in raw_tr)
    with pytest.raises(ValueError, match="n_val"):
        holdout(X, y, n_val=50)
    with pytest.raises(ValueError, match="n_val"):
        holdout(X, y, n_val=0)


# ------------------------------------------------------------------------ shadow price


def test_shadow_price_check_and_its_errors() -> None:
    rng = np.random.default_rng(4)
    X = rng.standard_normal((30, 5))
    y = rng.standard_normal(30)
    ls = norm_constrained_lstsq(X, y, 1e9).ls_norm2
    chk = shadow_price_check(X, y, 0.4 * ls)
    assert chk.rel_error < 1e-5 and chk.slope < 0
    with pytest.raises(ValueError, match="rel_step"):
        shadow_price_check(X, y, 1.0, rel_step=1.5)
    with pytest.raises(ValueError, match="C"):
        shadow_price_check(X, y, -1.0)


# ---------------------------------------------------------------------------- figures


def test_sweep_plot_shades_every_lambda_and_marks_the_best() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from normcourse.plotting import dof_plot, ridge_shrinkage_plot, sweep_plot

    sw = _sweep(train=[1.0, 2.0, 3.0, 4.0, 6.0, 9.0], val=[8.0, 5.2, 5.0, 5.1, 7.0, 9.5])
    d = diagnose_fit(sw)
    ax = sweep_plot(sw, d, logy=True)
    assert len(ax.patches) == len(sw.lams)  # one shaded interval per λ
    star = next(ln for ln in ax.lines if ln.get_marker() == "*")
    assert star.get_xdata()[0] == sw.lams[2] and star.get_ydata()[0] == 5.0
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = ax.get_legend_handles_labels()[1]
    assert {"overfit", "good", "underfit"} <= set(labels)
    with pytest.raises(ValueError, match="sweep"):
        sweep_plot({"lams": [1.0]})
    with pytest.raises(ValueError, match="same sweep"):
        sweep_plot(sw, diagnose_fit(_sweep([1.0, 2.0], [3.0, 2.0])))
    Xt, _, _, _ = _data()
    ax2 = ridge_shrinkage_plot(Xt, np.logspace(-3, 2, 20), max_curves=5)
    assert len(ax2.lines) == 5
    assert all(0 <= v <= 1 for ln in ax2.lines for v in ln.get_ydata())
    ax3 = dof_plot(Xt, np.logspace(-3, 2, 20), mark=0.1)
    dot = next(ln for ln in ax3.lines if ln.get_marker() == "o")
    assert dot.get_ydata()[0] == pytest.approx(effective_dof(Xt, 0.1))
    with pytest.raises(ValueError, match="lams"):
        dof_plot(Xt, [0.0, 1.0])
    plt.close("all")


def test_holdout_keeps_class_labels_when_not_centering_y() -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 3))
    y = np.where(rng.standard_normal(50) > 0, 1.0, -1.0)
    split = holdout(X, y, n_val=10, seed=0, center_y=False)
    assert set(np.unique(split.y_train)) | set(np.unique(split.y_val)) == {-1.0, 1.0}
    assert split.y_mean == 0.0
    centred = holdout(X, y, n_val=10, seed=0)
    np.testing.assert_allclose(centred.y_train + centred.y_mean, split.y_train)
    np.testing.assert_array_equal(centred.X_train, split.X_train)


# ------------------------------------------------------------------- bias and variance


@pytest.mark.parametrize(("n", "p"), [(60, 10), (20, 35)])
def test_ridge_bias_variance_matches_monte_carlo(n: int, p: int) -> None:
    from normcourse.diagnostics import ridge_bias_variance

    rng = np.random.default_rng(n + p)
    X = rng.standard_normal((n, p)) @ np.diag(np.linspace(1.5, 0.1, p))
    theta = rng.standard_normal(p)
    sigma2, R = 0.7, 4000
    lams = np.array([0.0, 0.01, 0.1, 1.0]) if n > p else np.array([0.01, 0.1, 1.0])
    Y = (X @ theta)[:, None] + np.sqrt(sigma2) * rng.standard_normal((n, R))
    for target in ("fitted", "parameters"):
        bv = ridge_bias_variance(X, theta, sigma2, lams, target=target)
        assert bv.target == target
        for k, lam in enumerate(lams):
            T = np.stack([ridge(X, Y[:, j], lam) for j in range(0, R, 8)], axis=1)  # p × R/8
            est = X @ T if target == "fitted" else T
            truth = X @ theta if target == "fitted" else theta
            scale = n if target == "fitted" else 1
            b2 = np.sum((est.mean(axis=1) - truth) ** 2) / scale
            var = np.sum(est.var(axis=1)) / scale
            assert var == pytest.approx(bv.variance[k], rel=0.1)
            assert abs(b2 - bv.bias2[k]) < 0.05 * bv.risk[k]
        np.testing.assert_allclose(bv.risk, bv.bias2 + bv.variance)
        assert np.all(np.diff(bv.bias2) > 0) and np.all(np.diff(bv.variance) < 0)


def test_ridge_bias_variance_limits() -> None:
    from normcourse.diagnostics import BiasVarianceCurve, ridge_bias_variance

    rng = np.random.default_rng(7)
    X = rng.standard_normal((15, 25))  # p > n: θ* has a part ridge never sees
    theta = rng.standard_normal(25)
    bv = ridge_bias_variance(X, theta, 2.0, [0.0, 1e6])
    assert isinstance(bv, BiasVarianceCurve)
    assert bv.bias2[0] == pytest.approx(0.0, abs=1e-20)  # fitted values unbiased at λ = 0
    assert bv.variance[0] == pytest.approx(2.0 * 15 / 15)  # σ² rank / n
    assert bv.bias2[1] == pytest.approx(np.sum((X @ theta) ** 2) / 15, rel=1e-4)
    par = ridge_bias_variance(X, theta, 2.0, [1e6], target="parameters")
    assert par.bias2[0] == pytest.approx(theta @ theta, rel=1e-4)  # everything shrunk away
    with pytest.raises(ValueError, match="theta_true"):
        ridge_bias_variance(X, theta[:3], 1.0, [1.0])
    with pytest.raises(ValueError, match="sigma2"):
        ridge_bias_variance(X, theta, -1.0, [1.0])
    with pytest.raises(ValueError, match="target"):
        ridge_bias_variance(X, theta, 1.0, [1.0], target="risk")
    with pytest.raises(ValueError, match="lams"):
        ridge_bias_variance(X, theta, 1.0, [1.0, 1.0])


# ------------------------------------------------------------------ the Bayesian reading


def test_ridge_posterior_matches_gaussian_conditioning() -> None:
    from normcourse.diagnostics import prior_scale, ridge_posterior

    rng = np.random.default_rng(8)
    for n, p in ((40, 6), (10, 20)):
        X = rng.standard_normal((n, p))
        y = X @ rng.standard_normal(p) + rng.standard_normal(n)
        lam, sigma2 = 0.3, 1.7
        tau2 = prior_scale(lam, sigma2, n)
        assert tau2 == pytest.approx(sigma2 / (n * lam))
        mean, cov = ridge_posterior(X, y, lam, sigma2)
        # joint Gaussian (θ, y): E[θ | y] = τ²Xᵀ(τ²XXᵀ + σ²I)⁻¹y, Cov = τ²I − τ⁴Xᵀ(…)⁻¹X
        K = tau2 * X @ X.T + sigma2 * np.eye(n)
        np.testing.assert_allclose(mean, tau2 * X.T @ np.linalg.solve(K, y), atol=1e-10)
        np.testing.assert_allclose(
            cov, tau2 * np.eye(p) - tau2**2 * X.T @ np.linalg.solve(K, X), atol=1e-10)
        np.testing.assert_allclose(mean, ridge(X, y, lam), atol=1e-10)
        np.testing.assert_allclose(cov, sigma2 * np.linalg.inv(X.T @ X + n * lam * np.eye(p)),
                                   atol=1e-10)
    with pytest.raises(ValueError, match="lam"):
        ridge_posterior(X, y, 0.0, 1.0)
    with pytest.raises(ValueError, match="sigma2"):
        ridge_posterior(X, y, 1.0, 0.0)


def test_log_prior_matches_scipy_and_induces_the_penalties() -> None:
    from scipy.stats import laplace, norm

    from normcourse.diagnostics import log_prior, prior_scale
    from normcourse.penalties import L1, L2

    theta = np.linspace(-3, 3, 13)
    lam, sigma2, n = 0.4, 2.0, 7
    s = prior_scale(lam, sigma2, n)
    np.testing.assert_allclose(log_prior(theta, lam, sigma2, n),
                               norm.logpdf(theta, scale=np.sqrt(s)), rtol=1e-12)
    np.testing.assert_allclose(log_prior(theta, lam, sigma2, n, penalty="l1"),
                               laplace.logpdf(theta, scale=s), rtol=1e-12)
    for pen, R in (("l2", L2(lam)), ("l1", L1(lam))):
        neg = -(sigma2 / n) * (log_prior(theta, lam, sigma2, n, pen).sum()
                               - log_prior(np.zeros(13), lam, sigma2, n, pen).sum())
        assert neg == pytest.approx(R.value(theta), rel=1e-12)
    assert log_prior(np.ones(3), lam, sigma2, n).shape == (3,)
    with pytest.raises(ValueError, match="theta"):
        log_prior(np.ones((2, 3)), lam, sigma2, n)
    with pytest.raises(ValueError, match="penalty"):
        log_prior(theta, lam, sigma2, n, penalty="l0")
    with pytest.raises(ValueError, match="n"):
        prior_scale(1.0, 1.0, 0)
    with pytest.raises(ValueError, match="lam"):
        prior_scale(0.0, 1.0, 5)


def test_bias_variance_and_prior_plots() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from normcourse.diagnostics import log_prior, ridge_bias_variance
    from normcourse.plotting.capacity import bias_variance_plot, prior_penalty_plot

    Xt, _, _, _ = _data()
    bv = ridge_bias_variance(Xt, np.ones(Xt.shape[1]), 1.0, np.logspace(-2, 2, 9))
    ax = bias_variance_plot(bv, monte_carlo=(bv.bias2, bv.variance))
    star = next(ln for ln in ax.lines if ln.get_marker() == "*")
    assert star.get_xdata()[0] == bv.best_lam and star.get_ydata()[0] == bv.risk.min()
    with pytest.raises(ValueError, match="log axis"):
        bias_variance_plot(ridge_bias_variance(Xt, np.ones(Xt.shape[1]), 1.0, [0.0, 1.0]))
    with pytest.raises(ValueError, match="one entry"):
        bias_variance_plot(bv, monte_carlo=(np.ones(2), np.ones(2)))
    grid = np.linspace(-2, 2, 41)
    lp = log_prior(grid, 1.0, 1.0, 1)
    axes = prior_penalty_plot(grid, {"g": np.exp(lp)}, {"g": lp[20] - lp},
                              markers={"g": grid**2 / 2})
    assert len(axes[0].lines) == 1 and len(axes[1].lines) == 2
    with pytest.raises(ValueError, match="grid point"):
        prior_penalty_plot(grid, {"g": np.ones(3)}, {"g": np.ones(3)})
    plt.close("all")
