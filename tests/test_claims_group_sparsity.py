"""Claims made by book/principles/group-sparsity.md, pinned on the library.

Each test reproduces one statement of the page on the page's own seeded example and
checks it against an independent computation (numpy, scikit-learn, torch), so a change
in the library that would make the text wrong fails here, not only in the book. The
last part tests the two helpers the page added to :mod:`normcourse.groups` and its
figure :func:`normcourse.plotting.groups.input_norms_plot`.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from normcourse import datasets, selection
from normcourse.continual import accuracy
from normcourse.groups import layer_input_norms, row_groups
from normcourse.optim import SGD, ProxSGD
from normcourse.penalties import L1, L2, GroupL21
from normcourse.plotting.groups import input_norms_plot
from normcourse.robustness import mlp, train_classifier
from normcourse.solvers import group_lasso, group_lasso_path, lambda_max, prox_grad

# ------------------------------------------------------------------ group soft-thresholding

PAGE_W = np.array([[0.9, -0.2, 0.1],
                   [0.3, 0.3, -0.2],
                   [0.0, 0.6, 0.0],
                   [-1.5, 0.4, 0.9]])


def test_group_prox_removes_short_rows_and_shortens_the_others_by_tau() -> None:
    tau = 0.6
    U = GroupL21(1.0).prox(PAGE_W, tau)
    norms = np.linalg.norm(PAGE_W, axis=1)
    for i, w in enumerate(PAGE_W):  # the formula, row by row, in plain numpy
        expected = np.zeros(3) if norms[i] <= tau else (1 - tau / norms[i]) * w
        np.testing.assert_allclose(U[i], expected, atol=1e-15)
    assert np.all(U[[1, 2]] == 0.0)
    kept = [0, 3]
    np.testing.assert_allclose(np.linalg.norm(U[kept], axis=1), norms[kept] - tau)
    cos = np.sum(U[kept] * PAGE_W[kept], axis=1) / (np.linalg.norm(U[kept], axis=1) * norms[kept])
    np.testing.assert_allclose(cos, 1.0)  # same direction
    assert np.all(U[kept] != 0)
    U1 = L1(1.0).prox(PAGE_W, tau)
    assert np.count_nonzero(U1[0]) == 1 and np.count_nonzero(U1[3]) == 2


# ------------------------------------------------------------------ the row-sparse layer


def _row_sparse():
    return datasets.row_sparse_regression(n_samples=60, n_features=30, n_outputs=5,
                                          n_informative=5, noise=0.5, seed=0)


@pytest.fixture(scope="module")
def layer_fits():
    prob = _row_sparse()
    lam_l1 = 0.05 * lambda_max(prob.X, prob.y, kind="l1")
    lam_grp = 0.05 * lambda_max(prob.X, prob.y, kind="group")
    W_l1 = prox_grad(prob.X, prob.y, L1(lam_l1), tol=1e-10).theta
    W_grp = group_lasso(prob.X, prob.y, lam_grp, tol=1e-10).theta
    return prob, lam_grp, W_l1, W_grp


def test_lambda_max_is_where_the_group_solution_vanishes() -> None:
    prob = _row_sparse()
    n = prob.X.shape[0]
    lam_max = lambda_max(prob.X, prob.y, kind="group")
    assert lam_max == pytest.approx(np.max(np.linalg.norm(prob.X.T @ prob.y, axis=1)) / n)
    assert not group_lasso(prob.X, prob.y, lam_max, tol=1e-10).theta.any()
    assert group_lasso(prob.X, prob.y, 0.95 * lam_max, tol=1e-10).theta.any()


def test_group_lasso_matches_sklearn_multitask_lasso_on_the_page_data(layer_fits) -> None:
    from sklearn.linear_model import MultiTaskLasso

    prob, lam_grp, _, W_grp = layer_fits
    ref = MultiTaskLasso(alpha=lam_grp, fit_intercept=False, tol=1e-12, max_iter=100_000)
    ref.fit(prob.X, prob.y)
    np.testing.assert_allclose(W_grp, ref.coef_.T, atol=1e-6)


def test_group_lasso_keeps_whole_informative_rows_l1_scatters(layer_fits) -> None:
    prob, _, W_l1, W_grp = layer_fits
    used_grp = np.flatnonzero(np.abs(W_grp).sum(axis=1))
    used_l1 = np.flatnonzero(np.abs(W_l1).sum(axis=1))
    assert used_grp.tolist() == [0, 1, 2, 3, 4]
    assert np.all(W_grp[used_grp] != 0)  # every weight of a kept row is nonzero
    assert len(used_l1) == 10
    stray = [i for i in used_l1 if not prob.theta[i].any()]
    assert len(stray) == 5
    assert all(np.count_nonzero(W_l1[i]) == 1 for i in stray)  # one weight each
    err = lambda W: np.linalg.norm(W - prob.theta)  # noqa: E731
    assert err(W_grp) < err(W_l1)


def test_row_groups_and_group_support_count_the_inputs_as_the_page_does(layer_fits) -> None:
    _, _, W_l1, W_grp = layer_fits
    for W in (W_l1, W_grp):
        mask = selection.group_support(W.ravel(), row_groups(W.shape))
        np.testing.assert_array_equal(mask, np.any(W != 0, axis=1))


def test_kept_rows_sit_on_the_kkt_boundary_dropped_rows_inside(layer_fits) -> None:
    prob, lam_grp, _, W_grp = layer_fits
    n = prob.X.shape[0]
    g = np.linalg.norm(prob.X.T @ (prob.y - prob.X @ W_grp), axis=1) / n
    kept = np.any(W_grp != 0, axis=1)
    np.testing.assert_allclose(g[kept], lam_grp, rtol=1e-4)
    assert np.all(g[~kept] <= lam_grp * (1 + 1e-8))
    assert g[~kept].max() < 0.99 * lam_grp  # no dropped row is borderline


def test_group_path_lets_informative_rows_in_first() -> None:
    prob = _row_sparse()
    path = group_lasso_path(prob.X, prob.y, n_lams=60, eps=1e-2)
    norms = np.linalg.norm(path.coefs, axis=2)
    entered = [int(np.flatnonzero(norms[:, j] > 0)[0]) if norms[:, j].any() else 10**9
               for j in range(norms.shape[1])]
    first_five = sorted(np.argsort(entered, kind="stable")[:5].tolist())
    assert first_five == [0, 1, 2, 3, 4]
    assert sorted(selection.entry_order(norms)[:5]) == first_five


def test_explicit_groups_keep_or_drop_whole_inputs() -> None:
    poly = datasets.additive_polynomial(n_samples=120, n_inputs=6, degree=3, seed=3)
    w = np.sqrt([len(g) for g in poly.groups])
    lam = 0.1 * lambda_max(poly.X, poly.y, kind="group", groups=poly.groups, weights=w)
    theta = prox_grad(poly.X, poly.y, GroupL21(lam, groups=poly.groups, weights=w),
                      tol=1e-10).theta
    kept = [k for k, g in enumerate(poly.groups) if np.any(theta[g] != 0)]
    assert kept == poly.active_groups == [0, 1]
    for k in kept:
        assert np.all(theta[poly.groups[k]] != 0)
    np.testing.assert_array_equal(np.flatnonzero(selection.group_support(theta, poly.groups)),
                                  kept)


# ------------------------------------------------------------------ the ProxSGD network

LR, LAM, LAM2, STEPS = 0.5, 0.15, 0.01, 400


def _classification():
    reg = datasets.sparse_regression(n_samples=1600, n_features=20, n_informative=4,
                                     noise=0.5, seed=0)
    X, labels = reg.X.astype(np.float32), (reg.y > 0).astype(np.int64)
    return X[:600], labels[:600], X[600:], labels[600:], np.flatnonzero(reg.theta)


@pytest.fixture(scope="module")
def networks():
    torch.set_num_threads(1)
    X_tr, y_tr, X_te, y_te, truth = _classification()
    net_prox = mlp([20, 16, 2], seed=0)
    W1, b1, W2, b2 = net_prox.parameters()
    opt = ProxSGD([{"params": [W1], "penalty": GroupL21(LAM), "transpose": True},
                   {"params": [W2], "penalty": L2(LAM2)},
                   {"params": [b1, b2], "penalty": None}], lr=LR, penalty=None)
    train_classifier(net_prox, X_tr, y_tr, steps=STEPS, optimizer=opt)
    net_decay = mlp([20, 16, 2], seed=0)
    train_classifier(net_decay, X_tr, y_tr, steps=STEPS,
                     optimizer=SGD(net_decay.parameters(), lr=LR, weight_decay=1e-2))
    return dict(X_tr=X_tr, y_tr=y_tr, X_te=X_te, y_te=y_te, truth=truth,
                prox=net_prox, decay=net_decay)


def _test_accuracy(net, X, y) -> float:
    with torch.no_grad():
        pred = net(torch.tensor(X)).argmax(dim=1).numpy()
    return float(np.mean(pred == y))


def test_the_labels_depend_on_four_inputs() -> None:
    *_, truth = _classification()
    assert truth.tolist() == [0, 6, 13, 19]


def test_proxsgd_zeroes_the_irrelevant_columns_and_keeps_the_true_ones(networks) -> None:
    W1 = networks["prox"][0].weight.detach().numpy()
    truth = networks["truth"]
    pruned = np.setdiff1d(np.arange(20), truth)
    assert np.all(W1[:, pruned] == 0.0)  # every weight of an irrelevant input, exactly
    assert np.all(np.linalg.norm(W1[:, truth], axis=0) > 1e-2)
    np.testing.assert_array_equal(np.flatnonzero(layer_input_norms(W1)), truth)


def test_weight_decay_leaves_every_column_nonzero(networks) -> None:
    W1 = networks["decay"][0].weight.detach().numpy()
    assert np.all(np.linalg.norm(W1, axis=0) > 0.1)
    assert np.count_nonzero(W1) == W1.size


def test_pruned_network_is_at_least_as_accurate_on_new_data(networks) -> None:
    X_te, y_te = networks["X_te"], networks["y_te"]
    acc_prox = _test_accuracy(networks["prox"], X_te, y_te)
    acc_decay = _test_accuracy(networks["decay"], X_te, y_te)
    assert acc_prox >= acc_decay
    assert acc_prox > 0.9
    assert accuracy(networks["prox"], X_te, y_te) == pytest.approx(acc_prox)


def test_zero_columns_satisfy_the_prox_fixed_point_condition(networks) -> None:
    """‖∇_{W₁[:, j]} L‖₂ ≤ λ: the next prox step leaves a zero column at zero."""
    net = networks["prox"]
    net.zero_grad()
    X, y = torch.tensor(networks["X_tr"]), torch.tensor(networks["y_tr"])
    torch.nn.functional.cross_entropy(net(X), y).backward()
    grad_norms = net[0].weight.grad.norm(dim=0).numpy()
    pruned = np.setdiff1d(np.arange(20), networks["truth"])
    assert np.all(grad_norms[pruned] <= LAM)
    net.zero_grad()


def test_hand_written_proximal_step_reproduces_proxsgd(networks) -> None:
    net = mlp([20, 16, 2], seed=0)
    V1, _, V2, _ = net.parameters()
    X, y = torch.tensor(networks["X_tr"]), torch.tensor(networks["y_tr"])
    for _ in range(STEPS):
        net.zero_grad()
        torch.nn.functional.cross_entropy(net(X), y).backward()
        with torch.no_grad():
            for p in net.parameters():
                p -= LR * p.grad
            V1 *= torch.clamp(1 - LR * LAM / V1.norm(dim=0), min=0)
            V2 /= 1 + LR * LAM2
    ref = networks["prox"]
    torch.testing.assert_close(V1.detach(), ref[0].weight.detach(), atol=1e-5, rtol=0)
    torch.testing.assert_close(V2.detach(), ref[2].weight.detach(), atol=1e-5, rtol=0)
    assert torch.equal(V1.norm(dim=0) == 0, ref[0].weight.norm(dim=0) == 0)


# ------------------------------------------------------------------ library helpers


def test_row_groups_are_the_rows_of_the_flattened_matrix() -> None:
    rng = np.random.default_rng(1)
    W = rng.standard_normal((4, 3))
    groups = row_groups(W.shape)
    assert [g.tolist() for g in groups] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]
    np.testing.assert_allclose(selection.group_norms(W.ravel(), groups),
                               np.linalg.norm(W, axis=1))
    assert GroupL21(0.3, groups=groups).value(W.ravel()) == pytest.approx(
        GroupL21(0.3).value(W))
    np.testing.assert_allclose(GroupL21(1.0, groups=groups).prox(W.ravel(), 0.5),
                               GroupL21(1.0).prox(W, 0.5).ravel())
    assert [g.tolist() for g in row_groups([1, 1])] == [[0]]


@pytest.mark.parametrize("bad", [(3,), (2, 3, 4), (0, 2), (2, 0), (2.5, 1), (-1, 2), "ab",
                                 None, 5, (True, 2)])
def test_row_groups_rejects_bad_shapes(bad) -> None:
    with pytest.raises(ValueError, match="shape"):
        row_groups(bad)


def test_layer_input_norms_are_the_column_norms() -> None:
    torch.manual_seed(0)
    lin = torch.nn.Linear(7, 3)
    W = lin.weight
    expected = torch.linalg.vector_norm(W.detach(), dim=0).double().numpy()
    np.testing.assert_allclose(layer_input_norms(W), expected, rtol=1e-6)
    np.testing.assert_allclose(layer_input_norms(W.detach().numpy()), expected, rtol=1e-6)
    np.testing.assert_allclose(layer_input_norms(W), GroupL21(1.0).group_norms(W.detach().T),
                               rtol=1e-12)
    with torch.no_grad():
        W[:, 2] = 0.0
    norms = layer_input_norms(W)
    assert norms.shape == (7,) and norms.dtype == np.float64 and norms[2] == 0.0
    big = np.array([[3e200, 0.0], [4e200, 0.0]])  # no overflow in the squares
    np.testing.assert_allclose(layer_input_norms(big), [5e200, 0.0])


@pytest.mark.parametrize("bad", [np.zeros(3), np.zeros((2, 2, 2)), np.zeros((0, 2)),
                                 np.array([[np.nan, 1.0]]), np.array([[np.inf]]), "W",
                                 None])
def test_layer_input_norms_rejects_bad_input(bad) -> None:
    with pytest.raises(ValueError, match="weight"):
        layer_input_norms(bad)


def test_input_norms_plot_draws_one_panel_per_model_and_marks_zeros() -> None:
    norms = {"a": np.array([0.5, 0.0, 0.0, 1.0]), "b": np.array([0.5, 0.1, 0.2, 1.0])}
    fig = input_norms_plot(norms, true_inputs=[0, 3])
    axes = fig.axes
    assert len(axes) == 2
    assert axes[0].get_title() == "a: 2 of 4 inputs used"
    assert axes[1].get_title() == "b: 4 of 4 inputs used"
    crosses = [line for line in axes[0].get_lines() if line.get_marker() == "x"]
    assert len(crosses) == 1 and crosses[0].get_xdata().tolist() == [1, 2]
    assert not [line for line in axes[1].get_lines() if line.get_marker() == "x"]
    heights = sorted(p.get_height() for p in axes[1].patches)
    np.testing.assert_allclose(heights, sorted(norms["b"]))
    assert fig.get_size_inches()[0] <= 9
    plt.close(fig)


@pytest.mark.parametrize("norms, truth, match", [
    ({}, None, "norms"),
    ({"a": [1.0, 2.0], "b": [1.0]}, None, "same length"),
    ({"a": [1.0, -2.0]}, None, "negative"),
    ({"a": [1.0, np.nan]}, None, "norms"),
    ({"a": [1.0, 2.0]}, [2], "true_inputs"),
    ({"a": [1.0, 2.0]}, [0.5], "true_inputs"),
])
def test_input_norms_plot_rejects_bad_input(norms, truth, match) -> None:
    with pytest.raises(ValueError, match=match):
        input_norms_plot(norms, true_inputs=truth)
    plt.close("all")
