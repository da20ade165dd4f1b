"""Claims made by book/principles/l2-and-capacity.md, pinned on the library.

Each test reproduces one statement of the page on the page's own seeded example
(diabetes, polynomial features, holdout of 221 patients with seed 0, λ on a log grid).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.preprocessing import PolynomialFeatures

from normcourse import datasets, diagnostics
from normcourse.constrained import effective_dof, ridge
from normcourse.penalties import L2

LAMS = np.logspace(-4, 3, 29)


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
