"""Claims made by book/principles/sparsity.md and group-sparsity.md, pinned on the library.

Each test reproduces one statement of a page on the page's own seeded example, so a
change in the library that would make the text wrong fails here, not only in the book.
"""

from __future__ import annotations

import numpy as np
import pytest

from normcourse import datasets, plotting
from normcourse.penalties import L1, GroupL21
from normcourse.selection import entry_order
from normcourse.solvers import (
    elastic_net,
    group_lasso,
    group_lasso_path,
    lambda_max,
    lasso,
    prox_grad,
)


def test_lambda_max_is_where_the_first_feature_enters() -> None:
    d = datasets.diabetes()
    lam = lambda_max(d.X, d.y)
    assert lam == pytest.approx(np.max(np.abs(d.X.T @ d.y)) / len(d.y))
    assert not lasso(d.X, d.y, lam).theta.any()
    below = lasso(d.X, d.y, 0.95 * lam).theta
    assert [d.feature_names[j] for j in np.flatnonzero(below)] == ["bmi"]


def _iterations_to(gaps: np.ndarray, eps: float) -> int | None:
    hit = np.flatnonzero(gaps <= eps)
    return int(hit[0]) + 1 if hit.size else None


def test_fista_beats_ista_and_restart_beats_plain_fista() -> None:
    prob = datasets.sparse_regression(100, 200, 10, rho=0.9, noise=0.5, seed=0)
    lam = 0.05 * lambda_max(prob.X, prob.y)
    f_star = lasso(prob.X, prob.y, lam, tol=1e-14, max_iter=200_000).objective[-1]
    its = {}
    for name, kw in {"ista": {"method": "ista"},
                     "fista": {"method": "fista", "restart": False},
                     "restart": {"method": "fista", "restart": True}}.items():
        r = prox_grad(prob.X, prob.y, L1(lam), tol=0.0, max_iter=2000, **kw)
        its[name] = _iterations_to(np.asarray(r.objective) - f_star, 1e-6)
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
