"""Claims made by book/principles/sparsity.md and group-sparsity.md, pinned on the library.

Each test reproduces one statement of a page on the page's own seeded example, so a
change in the library that would make the text wrong fails here, not only in the book.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import ElasticNet as SkElasticNet
from sklearn.linear_model import Lasso as SkLasso
from sklearn.linear_model import lars_path

from normcourse import datasets, plotting, selection
from normcourse.penalties import L1, ElasticNet, GroupL21
from normcourse.selection import entry_order
from normcourse.solvers import (
    elastic_net,
    group_lasso,
    group_lasso_path,
    lambda_max,
    lasso,
    lasso_path,
    prox_grad,
)
from normcourse.solvers.cd import cd_lasso, iterations_to, subgradient_method


def test_lambda_max_is_where_the_first_feature_enters() -> None:
    d = datasets.diabetes()
    lam = lambda_max(d.X, d.y)
    assert lam == pytest.approx(np.max(np.abs(d.X.T @ d.y)) / len(d.y))
    assert not lasso(d.X, d.y, lam).theta.any()
    below = lasso(d.X, d.y, 0.95 * lam).theta
    assert [d.feature_names[j] for j in np.flatnonzero(below)] == ["bmi"]


def test_fista_beats_ista_and_restart_beats_plain_fista() -> None:
    prob = datasets.sparse_regression(100, 200, 10, rho=0.9, noise=0.5, seed=0)
    lam = 0.05 * lambda_max(prob.X, prob.y)
    f_star = lasso(prob.X, prob.y, lam, tol=1e-14, max_iter=200_000).objective[-1]
    its = {}
    for name, kw in {"ista": {"method": "ista"},
                     "fista": {"method": "fista", "restart": False},
                     "restart": {"method": "fista", "restart": True}}.items():
        r = prox_grad(prob.X, prob.y, L1(lam), tol=0.0, max_iter=2000, **kw)
        its[name] = iterations_to(np.asarray(r.objective) - f_star, 1e-6)
    assert its["ista"] is None
    assert its["restart"] < its["fista"] < 2000


def test_ista_objective_never_increases_on_page_example() -> None:
    prob = datasets.sparse_regression(100, 200, 10, rho=0.9, noise=0.5, seed=0)
    lam = 0.05 * lambda_max(prob.X, prob.y)
    obj = np.asarray(prox_grad(prob.X, prob.y, L1(lam), method="ista", tol=0.0,
                               max_iter=500).objective)
    assert np.all(np.diff(obj) <= 1e-12 * np.abs(obj[:-1]))


def test_grouping_effect_on_page_example() -> None:
    grp = datasets.correlated_groups(n_samples=100, corr=0.98, coef=(3.0, -2.0, 0.0), seed=1)
    t_lasso = lasso(grp.X, grp.y, 0.1, tol=1e-10).theta
    t_enet = elastic_net(grp.X, grp.y, 0.1, 1.0, tol=1e-10).theta
    for g in range(2):
        members = slice(3 * g, 3 * g + 3)
        assert np.ptp(t_enet[members]) < 0.1 * np.ptp(t_lasso[members])
        assert np.all(np.sign(t_enet[members]) == np.sign([3.0, -2.0][g]))
    assert not t_enet[6:9].any()  # the inactive group is dropped as a whole


def _ill_conditioned():
    prob = datasets.sparse_regression(100, 200, 10, rho=0.9, noise=0.5, seed=0)
    return prob, 0.05 * lambda_max(prob.X, prob.y)


def test_subgradient_method_runs_on_F_but_is_slow_and_never_exactly_sparse() -> None:
    prob, lam = _ill_conditioned()
    X, y = prob.X, prob.y
    n, p = X.shape
    F = lambda t: np.sum((y - X @ t) ** 2) / (2 * n) + lam * np.abs(t).sum()  # noqa: E731
    f_star = SkLasso(alpha=lam, fit_intercept=False, tol=1e-12, max_iter=100_000).fit(X, y)
    F_star = F(f_star.coef_)
    eta0 = n / np.linalg.norm(X, 2) ** 2
    theta, best = np.zeros(p), np.inf
    for k in range(500):
        theta = theta - eta0 / np.sqrt(k + 1) * (X.T @ (X @ theta - y) / n
                                                 + lam * np.sign(theta))
        best = min(best, F(theta))
    ista = prox_grad(X, y, L1(lam), method="ista", tol=0.0, max_iter=500).theta
    assert np.sum(theta == 0) == 0 and np.sum(ista == 0) > 150
    assert best - F_star > 5 * (F(ista) - F_star)
    lib = subgradient_method(X, y, L1(lam), max_iter=500)
    np.testing.assert_allclose(lib.theta, theta, rtol=1e-10, atol=1e-12)
    assert np.min(lib.objective) == pytest.approx(min(best, F(np.zeros(p))))


def test_coordinate_descent_needs_far_fewer_passes_than_fista_on_page_example() -> None:
    prob, lam = _ill_conditioned()
    sk = SkLasso(alpha=lam, fit_intercept=False, tol=1e-12, max_iter=100_000)
    sk.fit(prob.X, prob.y)
    cd = cd_lasso(prob.X, prob.y, lam, tol=1e-10)
    np.testing.assert_allclose(cd.theta, sk.coef_, atol=1e-6)
    f_star = lasso(prob.X, prob.y, lam, tol=1e-14, max_iter=200_000).objective[-1]
    cd_its = iterations_to(cd_lasso(prob.X, prob.y, lam, tol=0.0, max_iter=150).objective
                           - f_star, 1e-6)
    restart = prox_grad(prob.X, prob.y, L1(lam), tol=0.0, max_iter=2000).objective - f_star
    assert cd_its is not None and cd_its < iterations_to(restart, 1e-6) / 2
    # the curvatures behind it: L is many times every coordinate's c_j
    c = (prob.X**2).sum(axis=0) / 100
    assert np.linalg.norm(prob.X, 2) ** 2 / 100 > 15 * c.max()


def test_s3_leaves_the_diabetes_lasso_path_and_returns_with_the_other_sign() -> None:
    d = datasets.diabetes()
    s3 = d.feature_names.index("s3")
    # the exact piecewise-linear paths: LARS crosses zero, the lasso stops at zero
    alphas, _, knots = lars_path(d.X, d.y, method="lasso")
    _, _, lar = lars_path(d.X, d.y, method="lar")
    entered = np.flatnonzero(knots[s3] != 0)[0]
    out = alphas[entered:][knots[s3, entered:] == 0]
    assert out.size == 2  # leaves at one kink, re-enters at the next
    lar_s3 = lar[s3][np.flatnonzero(lar[s3] != 0)[0]:]
    assert np.all(lar_s3 != 0) and lar_s3[0] < 0 < lar_s3[-1]
    # our solver inside and on both sides of the interval
    lo, hi = out.min(), out.max()
    inside = lasso(d.X, d.y, np.sqrt(lo * hi), tol=1e-12).theta
    before = lasso(d.X, d.y, 1.5 * hi, tol=1e-12).theta
    after = lasso(d.X, d.y, lo / 1.5, tol=1e-12).theta
    assert inside[s3] == 0 and before[s3] < 0 < after[s3]
    # the page's grid path reports exactly this exit
    path = lasso_path(d.X, d.y, n_lams=200, eps=1e-4)
    (ex,) = selection.path_exits(path.coefs)
    assert ex.variable == s3 and ex.returns is not None
    assert path.lams[ex.leaves] <= hi < path.lams[ex.leaves - 1]
    assert path.lams[ex.returns] < lo <= path.lams[ex.returns - 1]


def _copies():
    return datasets.correlated_groups(n_samples=100, n_groups=1, group_size=2, n_noise=4,
                                      corr=0.9995, coef=(3.0,), seed=2)


def test_which_copy_the_lasso_keeps_changes_across_subsamples_enet_keeps_both() -> None:
    cp = _copies()
    rng = np.random.default_rng(0)  # the subsamples of subsample_supports(seed=0)
    sk = {"fit_intercept": False, "tol": 1e-10, "max_iter": 1_000_000}
    lasso_sel, enet_sel = [], []
    for _ in range(100):
        rows = np.sort(rng.choice(100, size=50, replace=False))
        Xb, yb = cp.X[rows], cp.y[rows]
        lasso_sel.append(SkLasso(alpha=0.3, **sk).fit(Xb, yb).coef_[:2] != 0)
        enet_sel.append(SkElasticNet(alpha=0.6, l1_ratio=0.5, **sk).fit(Xb, yb).coef_[:2] != 0)
    L, E = np.array(lasso_sel), np.array(enet_sel)
    only_a, only_b = np.sum(L[:, 0] & ~L[:, 1]), np.sum(~L[:, 0] & L[:, 1])
    assert only_a >= 15 and only_b >= 15  # either copy wins, depending on the sample
    assert only_a + only_b > np.sum(L.all(axis=1))  # usually the lasso keeps only one
    assert E.all()  # the elastic net keeps both, every time
    # the library's selected sets tell the same story
    ours = selection.subsample_supports(cp.X, cp.y, [0.3], n_resamples=100, seed=0)[:, 0, :2]
    assert np.sum(ours[:, 0] & ~ours[:, 1]) >= 15 and np.sum(~ours[:, 0] & ours[:, 1]) >= 15
    # neither copy would pass stability selection at π_thr = 0.8 with the lasso
    stab = selection.stability_selection(cp.X, cp.y, [0.3], n_resamples=100, seed=0)
    assert np.all(stab.max_freq[:2] < 0.8)


def test_naive_elastic_net_shrinks_twice_and_the_rescaling_undoes_it() -> None:
    ds = datasets.sparse_regression(n_samples=200, n_features=20, n_informative=5,
                                    rho=0.5, noise=1.0, seed=2)
    S = np.flatnonzero(ds.theta)
    pen = ElasticNet.from_sklearn(0.5, 0.5)
    lasso_fit = SkLasso(alpha=pen.lam1, fit_intercept=False, tol=1e-12).fit(ds.X, ds.y).coef_
    naive = SkElasticNet(alpha=0.5, l1_ratio=0.5, fit_intercept=False, tol=1e-12)
    naive = naive.fit(ds.X, ds.y).coef_
    rescaled = (1 + 2 * pen.lam2) * naive
    bias = {k: np.mean(np.sign(ds.theta[S]) * (v[S] - ds.theta[S]))
            for k, v in {"lasso": lasso_fit, "naive": naive, "rescaled": rescaled}.items()}
    assert bias["naive"] < 1.5 * bias["lasso"] < 0  # shrunk about twice as much
    assert abs(bias["rescaled"]) < 0.75 * abs(bias["naive"])
    np.testing.assert_allclose(naive, elastic_net(ds.X, ds.y, pen.lam1, pen.lam2,
                                                  tol=1e-12).theta, atol=1e-6)
    # orthonormal design (XᵀX/n = I): the rescaled elastic net is exactly the lasso
    Q = np.linalg.qr(np.random.default_rng(0).standard_normal((200, 20)))[0] * np.sqrt(200)
    y = Q @ ds.theta + np.random.default_rng(1).standard_normal(200)
    t_lasso = SkLasso(alpha=0.25, fit_intercept=False, tol=1e-14).fit(Q, y).coef_
    t_enet = elastic_net(Q, y, 0.25, 0.125, tol=1e-14).theta
    np.testing.assert_allclose((1 + 2 * 0.125) * t_enet, t_lasso, atol=1e-8)


def test_path_exits_finds_leaving_variables() -> None:
    C = np.array([[0, 0, 0], [1, 0, 2], [0, 1, 2], [0, 2, 0], [-1, 3, 0]], dtype=float)
    ex = selection.path_exits(C)
    assert [(e.variable, e.leaves, e.returns) for e in ex] == [(0, 2, 4), (2, 3, None)]
    assert selection.path_exits(C, tol=1.5) == [selection.PathExit(2, 3, None)]
    assert selection.path_exits(np.ones((1, 3))) == []
    with pytest.raises(ValueError, match="coefs"):
        selection.path_exits(np.zeros(3))
    with pytest.raises(ValueError, match="tol"):
        selection.path_exits(C, tol=-1.0)


def test_subsample_supports_is_the_building_block_of_stability_selection() -> None:
    cp = _copies()
    grid = [0.6, 0.3, 0.1]
    S = selection.subsample_supports(cp.X, cp.y, grid, n_resamples=7, seed=3)
    assert S.shape == (7, 3, 6) and S.dtype == bool
    stab = selection.stability_selection(cp.X, cp.y, grid, n_resamples=7, seed=3)
    np.testing.assert_allclose(stab.freqs, S.mean(axis=0))
    assert stab.q == pytest.approx(S.any(axis=1).sum(axis=1).mean())
    rows = np.sort(np.random.default_rng(3).choice(100, size=50, replace=False))
    first = lasso_path(cp.X[rows], cp.y[rows], grid, tol=1e-6).coefs != 0
    np.testing.assert_array_equal(S[0], first)
    with pytest.raises(ValueError, match="fraction"):
        selection.subsample_supports(cp.X, cp.y, grid, fraction=1.0)
    with pytest.raises(ValueError, match="method"):
        selection.subsample_supports(cp.X, cp.y, grid, method="group")


def test_new_sparsity_figures_draw_and_validate() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from normcourse.plotting.paths import (
        coefficient_bars_plot,
        convergence_plot,
        estimates_plot,
        leaving_variable_plot,
        prox_maps_plot,
    )

    ax = coefficient_bars_plot({"a": [1.0, 0.0, -1.0], "b": [0.5, 0.5, 0.0]},
                               labels=["x", "y", "z"])
    assert len(ax.patches) == 6
    with pytest.raises(ValueError, match="same length"):
        coefficient_bars_plot({"a": [1.0], "b": [1.0, 2.0]})
    ax = estimates_plot([1.0, -2.0], {"m": [0.5, -1.5]}, labels=["p", "q"])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["p", "q"]
    with pytest.raises(ValueError, match="estimates"):
        estimates_plot([1.0, 2.0], {"m": [1.0]})
    w = np.linspace(-2, 2, 5)
    ax = prox_maps_plot(w, {"soft": L1(1.0).prox(w, 1.0)})
    assert len(ax.lines) == 2  # the map and the identity
    with pytest.raises(ValueError, match="maps"):
        prox_maps_plot(w, {"bad": np.zeros(3)})
    lams = np.geomspace(1, 1e-3, 30)
    C = np.zeros((30, 2))
    C[5:12, 0], C[20:, 0], C[3:, 1] = -1.0, 1.0, 2.0
    fig = leaving_variable_plot(lams, C, 0, (lams[12], lams[19]), labels=["u", "v"])
    assert len(fig.axes) == 2 and "u" in fig.axes[1].get_title()
    with pytest.raises(ValueError, match="variable"):
        leaving_variable_plot(lams, C, 2, (lams[12], lams[19]))
    ax = convergence_plot({"sub": 1 / np.sqrt(np.arange(1, 50))}, reference_rates=(0.5,))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sub", "O(1/√k)"]
    ax = convergence_plot({"x": [1.0, 0.5]}, reference_rates=False, xlabel="sweeps")
    assert ax.get_xlabel() == "sweeps" and len(ax.lines) == 1
    with pytest.raises(ValueError, match="reference_rates"):
        convergence_plot({"x": [1.0, 0.5]}, reference_rates=3)
    plt.close("all")


def test_leaving_variable_plot_rejects_an_undrawable_out() -> None:
    # Regression: out=(1e300, 0.07) passed positive() and made matplotlib's log axis warn
    # "overflow encountered in exp"; out is now checked with drawable() (≤ 1e100).
    import matplotlib.pyplot as plt

    from normcourse.plotting.paths import leaving_variable_plot

    lams = np.geomspace(1, 1e-3, 30)
    C = np.zeros((30, 2))
    C[5:12, 0], C[20:, 0], C[3:, 1] = -1.0, 1.0, 2.0
    for out, name in (((1e300, lams[19]), r"out\[0\]"), ((lams[12], 1e300), r"out\[1\]"),
                      ((lams[12], 0.0), r"out\[1\]"), (("a", lams[19]), r"out\[0\]")):
        with pytest.raises(ValueError, match=name):
            leaving_variable_plot(lams, C, 0, out)
    with pytest.raises(ValueError, match="out must be a pair"):
        leaving_variable_plot(lams, C, 0, 0.1)
    plt.close("all")


def _row_sparse():
    return datasets.row_sparse_regression(n_samples=60, n_features=30, n_outputs=5,
                                          n_informative=5, noise=0.5, seed=0)


def test_group_lasso_keeps_whole_informative_rows_l1_scatters() -> None:
    prob = _row_sparse()
    W_l1 = prox_grad(prob.X, prob.y, L1(0.05 * lambda_max(prob.X, prob.y, kind="l1")),
                     tol=1e-10).theta
    W_grp = group_lasso(prob.X, prob.y, 0.05 * lambda_max(prob.X, prob.y, kind="group"),
                        tol=1e-10).theta
    used_grp = np.flatnonzero(np.linalg.norm(W_grp, axis=1))
    used_l1 = np.flatnonzero(np.linalg.norm(W_l1, axis=1))
    assert used_grp.tolist() == [0, 1, 2, 3, 4]
    assert np.all(W_grp[used_grp] != 0)  # every weight of a kept row is nonzero
    assert len(used_l1) > len(used_grp)
    partial = [i for i in used_l1 if 0 < np.count_nonzero(W_l1[i]) < W_l1.shape[1]]
    assert partial  # L1 keeps rows alive through single weights
    err = lambda W: np.linalg.norm(W - prob.theta)  # noqa: E731
    assert err(W_grp) < err(W_l1)


def test_group_path_lets_informative_rows_in_first() -> None:
    prob = _row_sparse()
    path = group_lasso_path(prob.X, prob.y, n_lams=60, eps=1e-2)
    norms = np.linalg.norm(path.coefs, axis=2)
    assert sorted(entry_order(norms)[:5]) == [0, 1, 2, 3, 4]


def test_explicit_groups_keep_or_drop_whole_inputs() -> None:
    poly = datasets.additive_polynomial(n_samples=120, n_inputs=6, degree=3, seed=3)
    w = np.sqrt([len(g) for g in poly.groups])
    lam = 0.1 * lambda_max(poly.X, poly.y, kind="group", groups=poly.groups, weights=w)
    theta = prox_grad(poly.X, poly.y, GroupL21(lam, groups=poly.groups, weights=w),
                      tol=1e-10).theta
    kept = [k for k, g in enumerate(poly.groups) if np.any(theta[g] != 0)]
    assert kept == poly.active_groups
    for k in kept:
        assert np.all(theta[poly.groups[k]] != 0)


def test_entry_order_validates_and_orders() -> None:
    C = np.array([[0, 0, 0], [0, 1, 0], [2, 1, 0], [2, 1, 3]], dtype=float)
    assert entry_order(C) == [1, 0, 2]
    with pytest.raises(ValueError, match="coefs"):
        entry_order(np.zeros(3))


def test_support_pattern_plot_counts_inputs_in_use() -> None:
    import matplotlib

    matplotlib.use("Agg")
    W = np.zeros((4, 2))
    W[0, 1] = 1.0
    W[2] = 3.0
    fig = plotting.support_pattern_plot({"a": W, "b": np.ones((4, 2))})
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["a: 2 inputs used", "b: 4 inputs used"]
    with pytest.raises(ValueError, match="matrices"):
        plotting.support_pattern_plot({})
