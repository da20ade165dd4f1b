"""Claims made by book/applications/bioinformatics.md, pinned on the library.

Each test reruns one experiment of the page on the page's own seeded data and checks the
statement the text makes about it, so a library change that would make the text wrong
fails here and not only in the book.
"""

from __future__ import annotations

import numpy as np
import pytest

from normcourse import datasets, selection
from normcourse.diagnostics import holdout
from normcourse.selection import entry_order
from normcourse.solvers import lambda_max


@pytest.fixture(scope="module")
def study() -> datasets.ExpressionStudy:
    return datasets.expression_study(seed=0)


@pytest.fixture(scope="module")
def runs(study: datasets.ExpressionStudy) -> dict[str, selection.MethodPath]:
    return selection.compare_methods(study.X, study.y, study.groups, study.causal,
                                     study.causal_pathway_mask, n_lams=40, eps=0.02,
                                     l1_ratio=0.5, n_folds=5, seed=0)


@pytest.fixture(scope="module")
def in_causal_pathway(study: datasets.ExpressionStudy) -> np.ndarray:
    mask = np.zeros(study.X.shape[1], dtype=bool)
    for m in study.causal_pathways:
        mask[study.groups[m]] = True
    return mask


def test_study_is_as_described(study: datasets.ExpressionStudy,
                               in_causal_pathway: np.ndarray) -> None:
    assert study.X.shape == (100, 1000)
    sizes = [len(g) for g in study.groups]
    assert min(sizes) >= 10 and max(sizes) <= 20 and sum(sizes) == 1000
    assert study.causal.sum() == 18 and len(study.causal_pathways) == 3
    assert (in_causal_pathway & ~study.causal).sum() == 29  # the pathway-mates
    C = np.corrcoef(study.X[:, study.groups[0]], rowvar=False)
    assert C[np.triu_indices_from(C, 1)].mean() == pytest.approx(0.8, abs=0.05)


def test_cv_lasso_reports_mostly_false_genes(runs: dict[str, selection.MethodPath]) -> None:
    lasso = runs["lasso"]
    assert lasso.variables.precision[lasso.chosen] < 0.5
    assert lasso.variables.recall[lasso.chosen] > 0.5  # … while finding most causal genes


def test_enet_recall_at_least_lasso_with_more_genes(
        runs: dict[str, selection.MethodPath]) -> None:
    lasso, enet = runs["lasso"], runs["elastic net"]
    assert enet.variables.recall[enet.chosen] >= lasso.variables.recall[lasso.chosen]
    assert enet.variables.n_selected[enet.chosen] > lasso.variables.n_selected[lasso.chosen]
    # same ℓ1 weight on the same grid: the elastic net differs only by its ridge term
    np.testing.assert_allclose(enet.lams * 0.5, lasso.lams)


def test_group_lasso_finds_the_causal_pathways_first(
        runs: dict[str, selection.MethodPath], study: datasets.ExpressionStudy) -> None:
    group, lasso = runs["group lasso"], runs["lasso"]
    order = entry_order(selection.group_norms(group.coefs, study.groups))
    assert sorted(order[:3]) == study.causal_pathways
    assert group.groups.recall[group.chosen] == 1.0
    assert group.groups.precision[group.chosen] > 2 * lasso.groups.precision[lasso.chosen]
    assert lasso.groups.n_selected[lasso.chosen] == 25
    assert group.groups.n_selected[group.chosen] == 7
    # lasso and elastic net also touch the corner (1, 1) of the pathway panel
    for name in ("lasso", "elastic net", "group lasso"):
        assert np.any(runs[name].groups.wrong == 0)
    # gene-level precision of the group lasso is capped by the share of causal genes
    cap = 18 / 47
    assert group.variables.precision[group.groups.n_selected > 0].max() <= cap + 1e-12


@pytest.fixture(scope="module")
def stab(study: datasets.ExpressionStudy) -> selection.StabilityResult:
    lam_max = lambda_max(study.X, study.y)
    grid = np.geomspace(lam_max, 0.2 * lam_max, 15)
    return selection.stability_selection(study.X, study.y, grid, n_resamples=50,
                                         fraction=0.5, seed=0)


def test_stable_sets_lie_in_causal_pathways(stab: selection.StabilityResult,
                                            study: datasets.ExpressionStudy,
                                            in_causal_pathway: np.ndarray) -> None:
    p = study.X.shape[1]
    for pi in (0.6, 0.75, 0.9):
        assert in_causal_pathway[stab.stable_set(pi)].all()
    top = selection.support_metrics(np.isin(np.arange(p), stab.stable_set(0.9)), study.causal)
    assert top.tp > 0 and top.fp == 0
    assert stab.error_bound(0.9) < 1
    # at lower thresholds false genes appear, more than the bound allows for on average
    low = selection.support_metrics(np.isin(np.arange(p), stab.stable_set(0.6)), study.causal)
    assert low.fp > stab.error_bound(0.6)


def test_stability_separates_causal_from_noise(stab: selection.StabilityResult,
                                               study: datasets.ExpressionStudy) -> None:
    assert stab.max_freq[study.causal].mean() > 20 * stab.max_freq[~study.causal].mean()


def test_enet_stability_trades_precision_for_recall(
        stab: selection.StabilityResult, study: datasets.ExpressionStudy,
        in_causal_pathway: np.ndarray) -> None:
    p = study.X.shape[1]
    enet = selection.stability_selection(study.X, study.y, 2 * stab.lams, n_resamples=50,
                                         seed=0, method="enet", l1_ratio=0.5)
    s_enet = selection.support_metrics(np.isin(np.arange(p), enet.stable_set(0.9)),
                                       study.causal)
    s_lasso = selection.support_metrics(np.isin(np.arange(p), stab.stable_set(0.9)),
                                        study.causal)
    assert s_enet.recall > s_lasso.recall and s_enet.precision < s_lasso.precision
    assert in_causal_pathway[enet.stable_set(0.9)].all()
    assert 0.4 < s_enet.fp / (s_enet.tp + s_enet.fp) < 0.6      # "about half"
    assert s_enet.fp > 3 * enet.error_bound(0.9)                # "many more than its bound"
    assert enet.error_bound(0.9) > stab.error_bound(0.9)        # "(already weaker)"


def test_breast_cancer_accuracy_claims() -> None:
    bc = datasets.breast_cancer()
    split = holdout(bc.X, bc.y, n_val=169, seed=0, center_y=False)
    y_train, y_test = split.y_train, split.y_val
    np.testing.assert_array_equal(np.abs(y_train), 1.0)
    path = selection.logistic_l1_path(split.X_train, y_train, n_lams=40, eps=1e-3)
    k = (path.coefs != 0).sum(axis=1)
    acc = selection.accuracy(split.X_val, y_test, path.coefs)
    few = (k > 0) & (k <= 5)
    assert acc[few].max() >= 0.93
    assert acc.max() - acc[few].max() < 0.05
    assert acc[np.argmax(k)] <= acc[(k > 0) & (k <= 15)].max()
    first = [bc.feature_names[j] for j in entry_order(path.coefs)[:3]]
    assert first == ["worst concave points", "mean concave points", "worst radius"]


@pytest.fixture(scope="module")
def breast_cancer_path():
    bc = datasets.breast_cancer()
    split = holdout(bc.X, bc.y, n_val=169, seed=0, center_y=False)
    path = selection.logistic_l1_path(split.X_train, split.y_train, n_lams=40, eps=1e-3)
    return split, path


def _with_intercept(split, lam: float):
    """L1-logistic regression with an unpenalised intercept, by scikit-learn's saga."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    n = split.X_train.shape[0]
    model = LogisticRegression(l1_ratio=1.0, C=1.0 / (n * lam), solver="saga", tol=1e-7,
                               max_iter=100_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(split.X_train, split.y_train)
    return model


def test_intercept_is_the_log_odds_at_lambda_max(breast_cancer_path) -> None:
    split, path = breast_cancer_path
    n_pos, n_neg = (split.y_train > 0).sum(), (split.y_train < 0).sum()
    assert (n_pos, n_neg) == (150, 250)
    model = _with_intercept(split, path.lams[0])
    assert np.abs(model.coef_).max() < 1e-10  # θ = 0 at λ_max (up to rounding)
    assert model.intercept_[0] == pytest.approx(np.log(n_pos / n_neg), abs=1e-4)  # not 0
    # least squares is different: centred columns and centred y give a zero intercept
    from sklearn.linear_model import Ridge
    Xc = split.X_train - split.X_train.mean(axis=0)
    yc = split.y_train - split.y_train.mean()
    assert abs(Ridge(alpha=3.0).fit(Xc, yc).intercept_) < 1e-12


def test_missing_intercept_is_harmless_once_four_features_are_in(breast_cancer_path) -> None:
    split, path = breast_cancer_path
    k = (path.coefs != 0).sum(axis=1)
    acc_no_b = selection.accuracy(split.X_val, split.y_val, path.coefs)
    with_b = {i: _with_intercept(split, path.lams[i]) for i in (3, 6, 9, 15, 24, 39)}
    acc_b = {i: m.score(split.X_val, split.y_val) for i, m in with_b.items()}
    assert k[3] == k[6] == 3 and k[9] >= 4
    for i in (9, 15, 24, 39):                     # ≥ 4 features: within 1.2 points
        assert abs(acc_b[i] - acc_no_b[i]) <= 0.015
    for i in (3, 6):                              # 3 features: better without b
        assert acc_no_b[i] > acc_b[i]
    assert acc_no_b[3] - acc_b[3] > 0.09          # "by up to nine points"
    assert -0.7 < with_b[3].intercept_[0] < -0.5  # b ≈ −0.6 keeps the class log-odds
    # the intercept does not change which features enter, nor their order
    coefs_b = np.array([with_b[i].coef_.ravel() for i in sorted(with_b)])
    supports_b = [set(np.flatnonzero(np.abs(c) > 1e-8)) for c in coefs_b]
    supports = [set(np.flatnonzero(path.coefs[i])) for i in sorted(with_b)]
    assert supports_b[:4] == supports[:4]
