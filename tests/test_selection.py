"""normcourse.selection: support scores, CV along a path, stability selection, the
L1-logistic path (against scikit-learn) and the irrepresentable constant."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from normcourse import datasets, selection
from normcourse.diagnostics import holdout
from normcourse.solvers import enet_path, lambda_max, lasso, lasso_path

# ---------------------------------------------------------------------- support_metrics


def test_support_metrics_hand_made_cases() -> None:
    truth = np.array([1, 1, 1, 0, 0, 0, 0, 0], dtype=bool)
    m = selection.support_metrics(np.array([1, 1, 0, 1, 0, 0, 0, 0], dtype=bool), truth)
    assert (m.tp, m.fp, m.fn, m.wrong) == (2, 1, 1, 2)
    assert m.precision == pytest.approx(2 / 3)
    assert m.recall == pytest.approx(2 / 3)
    assert m.f1 == pytest.approx(2 / 3)
    # exact support
    m = selection.support_metrics(truth, truth)
    assert (m.precision, m.recall, m.f1, m.wrong) == (1.0, 1.0, 1.0, 0)
    # select everything: precision = 3/8, recall 1, F1 = 2·(3/8)/(11/8) = 6/11
    m = selection.support_metrics(np.ones(8, bool), truth)
    assert m.precision == pytest.approx(3 / 8)
    assert m.recall == 1.0
    assert m.f1 == pytest.approx(6 / 11)
    # all wrong
    m = selection.support_metrics(~truth, truth)
    assert (m.tp, m.precision, m.recall, m.f1) == (0, 0.0, 0.0, 0.0)


def test_support_metrics_empty_sets_and_coefficients() -> None:
    truth = np.array([0.0, 2.0, 0.0, -1.0])
    nothing = selection.support_metrics(np.zeros(4), truth)
    assert (nothing.precision, nothing.recall, nothing.f1) == (1.0, 0.0, 0.0)
    no_truth = selection.support_metrics(np.array([0, 0.3, 0, 0]), np.zeros(4))
    assert (no_truth.precision, no_truth.recall) == (0.0, 1.0)
    # coefficient vectors count as "nonzero = selected"
    m = selection.support_metrics(np.array([0.0, -0.1, 5.0, 0.0]), truth)
    assert (m.tp, m.fp, m.fn) == (1, 1, 1)


def test_support_metrics_validates() -> None:
    with pytest.raises(ValueError, match="same length"):
        selection.support_metrics(np.ones(3, bool), np.ones(4, bool))
    with pytest.raises(ValueError, match="selected"):
        selection.support_metrics(np.ones((2, 2)), np.ones(4))
    with pytest.raises(ValueError, match="truth"):
        selection.support_metrics(np.ones(2), np.array([np.nan, 1.0]))


def test_path_metrics_and_group_norms() -> None:
    coefs = np.array([[0, 0, 0, 0], [1.0, 0, 0, 0], [1.0, 0, 2.0, 0], [1.0, -1.0, 2.0, 3.0]])
    truth = np.array([True, False, True, False])
    pm = selection.path_support_metrics(coefs, truth)
    np.testing.assert_array_equal(pm.n_selected, [0, 1, 2, 4])
    np.testing.assert_allclose(pm.precision, [1.0, 1.0, 1.0, 0.5])
    np.testing.assert_allclose(pm.recall, [0.0, 0.5, 1.0, 1.0])
    np.testing.assert_array_equal(pm.wrong, [2, 1, 0, 2])
    groups = [np.array([0, 1]), np.array([2, 3])]
    np.testing.assert_allclose(selection.group_norms(coefs[3], groups), [np.sqrt(2), np.sqrt(13)])
    assert selection.group_norms(coefs, groups).shape == (4, 2)
    np.testing.assert_array_equal(selection.group_support(coefs[1], groups), [True, False])
    gm = selection.path_support_metrics(coefs, np.array([True, False]), groups=groups)
    np.testing.assert_array_equal(gm.n_selected, [0, 1, 2, 2])
    with pytest.raises(ValueError, match="groups"):
        selection.group_norms(coefs[0], [np.array([0, 7])])


# ------------------------------------------------------------------------- CV and paths


def test_cross_validation_matches_a_hand_loop() -> None:
    prob = datasets.sparse_regression(n_samples=60, n_features=30, n_informative=4, seed=2)
    lams = np.geomspace(lambda_max(prob.X, prob.y), 0.01 * lambda_max(prob.X, prob.y), 12)
    cv = selection.cross_validate_path(prob.X, prob.y, lams, "lasso", n_folds=3, seed=7)
    fold = np.random.default_rng(7).permutation(60) % 3
    for f in range(3):
        tr, te = fold != f, fold == f
        for i in (0, 5, 11):
            theta = lasso(prob.X[tr], prob.y[tr], lams[i], tol=1e-12).theta
            err = np.mean((prob.y[te] - prob.X[te] @ theta) ** 2)
            assert cv.errors[f, i] == pytest.approx(err, rel=1e-4)
    assert cv.mean[cv.best_index] == cv.mean.min()
    b, o = cv.best_index, cv.one_se_index
    assert lams[o] >= lams[b] and cv.mean[o] <= cv.mean[b] + cv.se[b]
    again = selection.cross_validate_path(prob.X, prob.y, lams, "lasso", n_folds=3, seed=7)
    np.testing.assert_array_equal(cv.errors, again.errors)


def test_cross_validation_validates() -> None:
    X, y = np.ones((10, 3)), np.ones(10)
    with pytest.raises(ValueError, match="method"):
        selection.cross_validate_path(X, y, [0.1], "ridge")
    with pytest.raises(ValueError, match="groups"):
        selection.cross_validate_path(X, y, [0.1], "group")
    with pytest.raises(ValueError, match="n_folds"):
        selection.cross_validate_path(X, y, [0.1], n_folds=11)
    with pytest.raises(ValueError, match="lams"):
        selection.cross_validate_path(X, y, [0.1, -1.0])


# ------------------------------------------------------------------ stability selection


def _small_study():
    return datasets.expression_study(n_samples=60, n_genes=200, seed=3)


def test_stability_selection_counts_subsample_selections() -> None:
    st = _small_study()
    lam_max = lambda_max(st.X, st.y)
    grid = np.geomspace(lam_max, 0.3 * lam_max, 6)
    res = selection.stability_selection(st.X, st.y, grid, n_resamples=8, seed=4)
    assert res.freqs.shape == (6, 200) and res.n_resamples == 8
    assert np.all((res.freqs >= 0) & (res.freqs <= 1))
    np.testing.assert_allclose(res.freqs * 8, np.round(res.freqs * 8))  # multiples of 1/B
    # recompute by hand with the same subsamples
    rng = np.random.default_rng(4)
    counts, unions = np.zeros((6, 200)), []
    for _ in range(8):
        rows = np.sort(rng.choice(60, size=30, replace=False))
        sel = lasso_path(st.X[rows], st.y[rows], grid, tol=1e-6).coefs != 0
        counts += sel
        unions.append(sel.any(axis=0).sum())
    np.testing.assert_allclose(res.freqs, counts / 8)
    assert res.q == pytest.approx(np.mean(unions))
    # the bound and the stable set
    assert res.error_bound(0.9) == pytest.approx(res.q**2 / (0.8 * 200))
    np.testing.assert_array_equal(res.stable_set(0.5), np.flatnonzero(res.max_freq >= 0.5))


def test_stability_selection_is_deterministic_and_separates_signal() -> None:
    st = datasets.expression_study(seed=0)
    lam_max = lambda_max(st.X, st.y)
    grid = np.geomspace(lam_max, 0.2 * lam_max, 8)
    a = selection.stability_selection(st.X, st.y, grid, n_resamples=20, seed=1)
    b = selection.stability_selection(st.X, st.y, grid, n_resamples=20, seed=1)
    np.testing.assert_array_equal(a.freqs, b.freqs)
    c = selection.stability_selection(st.X, st.y, grid, n_resamples=20, seed=2)
    assert not np.array_equal(a.freqs, c.freqs)
    assert a.max_freq[st.causal].mean() > 10 * a.max_freq[~st.causal].mean()


def test_stability_selection_enet_uses_enet_path() -> None:
    st = _small_study()
    grid = 2 * np.geomspace(lambda_max(st.X, st.y), 0.3 * lambda_max(st.X, st.y), 4)
    res = selection.stability_selection(st.X, st.y, grid, n_resamples=3, seed=0,
                                        method="enet", l1_ratio=0.5)
    rows = np.sort(np.random.default_rng(0).choice(60, size=30, replace=False))
    sel = enet_path(st.X[rows], st.y[rows], grid, l1_ratio=0.5, tol=1e-6).coefs != 0
    assert np.all(res.freqs[sel] >= 1 / 3)  # the first subsample's selections are counted


def test_stability_selection_validates() -> None:
    X, y = np.ones((10, 3)), np.ones(10)
    with pytest.raises(ValueError, match="fraction"):
        selection.stability_selection(X, y, [0.1], fraction=1.0)
    with pytest.raises(ValueError, match="method"):
        selection.stability_selection(X, y, [0.1], method="group")
    with pytest.raises(ValueError, match="n_resamples"):
        selection.stability_selection(X, y, [0.1], n_resamples=0)
    st = _small_study()
    res = selection.stability_selection(st.X, st.y, [0.5], n_resamples=2)
    with pytest.raises(ValueError, match="threshold"):
        res.error_bound(0.5)


# ------------------------------------------------------------------ L1 logistic path


def _breast_cancer_split():
    bc = datasets.breast_cancer()
    split = holdout(bc.X, bc.y, n_val=169, seed=0, center_y=False)
    return split.X_train, split.y_train


def test_breast_cancer_loader() -> None:
    bc = datasets.breast_cancer()
    assert bc.X.shape == (569, 30)
    assert (bc.y == 1).sum() == 212 and (bc.y == -1).sum() == 357
    assert bc.classes == ("benign", "malignant")
    assert all(isinstance(s, str) for s in bc.feature_names)


def test_logistic_l1_path_matches_sklearn() -> None:
    X, y = _breast_cancer_split()
    n = len(y)
    lam_max = selection.logistic_lambda_max(X, y)
    lams = np.geomspace(lam_max, 0.005 * lam_max, 8)
    path = selection.logistic_l1_path(X, y, lams, tol=1e-10, max_iter=200_000)
    for i, lam in enumerate(lams):
        sk = LogisticRegression(l1_ratio=1.0, C=1.0 / (n * lam), solver="liblinear",
                                fit_intercept=False, tol=1e-12, max_iter=1_000_000).fit(X, y)
        np.testing.assert_allclose(path.coefs[i], sk.coef_[0], atol=1e-5)
        assert np.array_equal(path.coefs[i] == 0, np.abs(sk.coef_[0]) < 1e-8)
    assert np.all(path.kkt <= 1e-10)  # the KKT residuals


def test_logistic_lambda_max_is_where_the_first_feature_enters() -> None:
    X, y = _breast_cancer_split()
    lam_max = selection.logistic_lambda_max(X, y)
    assert lam_max == pytest.approx(np.max(np.abs(X.T @ y)) / (2 * len(y)))
    path = selection.logistic_l1_path(X, y, [lam_max, 0.97 * lam_max], tol=1e-9)
    assert not path.coefs[0].any()
    assert np.flatnonzero(path.coefs[1]).tolist() == [int(np.argmax(np.abs(X.T @ y)))]


def test_logistic_path_default_grid_and_validation() -> None:
    X, y = _breast_cancer_split()
    path = selection.logistic_l1_path(X, y, n_lams=5, eps=0.1)
    np.testing.assert_allclose(path.lams[[0, -1]],
                               [selection.logistic_lambda_max(X, y),
                                0.1 * selection.logistic_lambda_max(X, y)])
    nnz = (path.coefs != 0).sum(axis=1)
    assert nnz[0] == 0 and nnz[-1] > 0
    with pytest.raises(ValueError, match="labels"):
        selection.logistic_l1_path(X, (y > 0).astype(float))
    with pytest.raises(ValueError, match="eps"):
        selection.logistic_l1_path(X, y, eps=2.0)


def test_accuracy() -> None:
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    y = np.array([1.0, 1.0, -1.0, 1.0])
    assert selection.accuracy(X, y, np.array([1.0, 0.0])) == pytest.approx(0.5)  # ties wrong
    acc = selection.accuracy(X, y, np.array([[1.0, 1.0], [0.0, 0.0]]))
    np.testing.assert_allclose(acc, [0.75, 0.0])
    with pytest.raises(ValueError, match="theta"):
        selection.accuracy(X, y, np.ones(3))


# ------------------------------------------------------------- irrepresentable condition


def test_irrepresentable_constant_by_hand_and_its_meaning() -> None:
    # x3 = (x1 + x2)/√2·c: with c large enough the lasso must pick x3 before x1, x2.
    rng = np.random.default_rng(0)
    n = 2000
    Z = rng.standard_normal((n, 3))
    for c, violated in ((0.9, True), (0.5, False)):
        x3 = c * (Z[:, 0] + Z[:, 1]) / np.sqrt(2) + np.sqrt(1 - c**2) * Z[:, 2]
        X = np.column_stack([Z[:, 0], Z[:, 1], x3])
        theta = np.array([1.0, 1.0, 0.0])
        G = X.T @ X / n
        by_hand = abs(G[2, :2] @ np.linalg.solve(G[:2, :2], np.ones(2)))
        eta = selection.irrepresentable(X, theta)
        assert eta == pytest.approx(by_hand)
        assert (eta > 1) == violated  # η ≈ c·√2
        path = lasso_path(X, X @ theta, n_lams=100, eps=1e-4, tol=1e-12)
        exact = np.all((path.coefs != 0) == (theta != 0), axis=1)
        assert exact.any() == (not violated)
    with pytest.raises(ValueError, match="theta"):
        selection.irrepresentable(np.ones((4, 3)), np.ones(2))
    assert selection.irrepresentable(np.eye(3), np.zeros(3)) == 0.0


# ------------------------------------------------------------- the simulated study


def test_expression_study_structure_and_validation() -> None:
    a = datasets.expression_study(n_samples=2000, n_genes=300, corr=0.6, seed=5)
    b = datasets.expression_study(n_samples=2000, n_genes=300, corr=0.6, seed=5)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert np.array_equal(np.sort(np.concatenate(a.groups)), np.arange(300))  # a partition
    assert all(10 <= len(g) <= 20 for g in a.groups)
    C = np.corrcoef(a.X, rowvar=False)
    g0, g1 = a.groups[0], a.groups[1]
    assert C[g0[0], g0[1]] == pytest.approx(0.6, abs=0.05)   # inside a pathway
    assert abs(C[g0[0], g1[0]]) < 0.08                       # across pathways
    assert a.causal.sum() == 18
    for m in a.causal_pathways:                              # one sign per causal pathway
        effects = a.theta[a.groups[m]][a.theta[a.groups[m]] != 0]
        assert effects.size == 6 and len(set(np.sign(effects))) == 1
    assert a.causal_pathway_mask.sum() == 3
    assert a.gene_names[a.groups[2][3]] == "P02.g3"
    np.testing.assert_allclose(a.X.std(axis=0), 1.0)
    assert abs(a.y.mean()) < 1e-12
    with pytest.raises(ValueError, match="n_causal_per_pathway"):
        datasets.expression_study(n_causal_per_pathway=11)
    with pytest.raises(ValueError, match="corr"):
        datasets.expression_study(corr=1.0)
    with pytest.raises(ValueError, match="pathway_size"):
        datasets.expression_study(pathway_size=(5, 3))


def test_compare_methods_runs_the_three_paths() -> None:
    st = _small_study()
    runs = selection.compare_methods(st.X, st.y, st.groups, st.causal, st.causal_pathway_mask,
                                     n_lams=10, n_group_lams=8, n_folds=3, seed=1)
    assert list(runs) == ["lasso", "elastic net", "group lasso"]
    lasso_run, enet_run = runs["lasso"], runs["elastic net"]
    np.testing.assert_allclose(enet_run.lams * 0.5, lasso_run.lams)
    np.testing.assert_allclose(lasso_run.coefs,
                               lasso_path(st.X, st.y, lasso_run.lams, tol=1e-6).coefs)
    for r in runs.values():
        assert r.chosen == r.cv.best_index and r.cv.errors.shape[0] == 3
        assert r.variables.n_selected.size == r.lams.size
        assert r.groups is not None and r.groups.n_selected[0] == 0  # λ_max: nothing
    with pytest.raises(ValueError, match="l1_ratio"):
        selection.compare_methods(st.X, st.y, st.groups, st.causal, l1_ratio=1.5)
