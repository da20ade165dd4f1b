"""Claims made by book/principles/max-margin.md, pinned on the library.

Each test reproduces one statement of the page on the page's own seeded example
(``separable_blobs(n_samples=30, distance=3.0, gap=0.5, intercept=1.0, seed=5)``).
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.svm import SVC

from normcourse import datasets
from normcourse.margin import direction_margin, hard_margin_svm, linearly_separable


@pytest.fixture(scope="module")
def page():
    data = datasets.separable_blobs(n_samples=30, distance=3.0, gap=0.5, intercept=1.0, seed=5)
    return data, hard_margin_svm(data.X, data.y)


def test_margin_is_one_over_norm_and_the_closest_distance(page) -> None:
    data, svm = page
    X, y = data.X, data.y
    dist = np.abs(X @ svm.theta + svm.b) / np.linalg.norm(svm.theta)
    assert np.all(svm.functional_margins >= 1 - 1e-9)
    np.testing.assert_allclose(svm.functional_margins[svm.support], 1.0, atol=1e-10)
    assert dist.min() == pytest.approx(svm.margin, rel=1e-10)
    assert svm.margin == pytest.approx(1 / np.linalg.norm(svm.theta), rel=1e-12)
    assert round(svm.margin, 3) == 0.496
    assert svm.support.tolist() == [4, 16, 21]
    assert sorted(y[svm.support].tolist()) == [-1.0, -1.0, 1.0]


def test_no_direction_beats_the_svm_and_the_generator_is_worse(page) -> None:
    data, svm = page
    phis = np.linspace(-np.pi, np.pi, 20_001)
    m = direction_margin(data.X, data.y, np.column_stack([np.cos(phis), np.sin(phis)]))
    assert m.max() <= svm.margin + 1e-12
    assert m.max() > svm.margin - 1e-3                      # the grid comes close
    assert direction_margin(data.X, data.y, svm.theta) == pytest.approx(svm.margin, rel=1e-12)
    gen_margin = np.min(data.y * (data.X @ data.w + data.b))
    assert round(gen_margin, 3) == 0.307 and gen_margin < svm.margin


def test_dual_identities(page) -> None:
    data, svm = page
    X, y, a = data.X, data.y, svm.alpha
    np.testing.assert_allclose((a * y) @ X, svm.theta, atol=1e-10)
    assert abs(a @ y) < 1e-10
    assert a.sum() == pytest.approx(svm.theta @ svm.theta, rel=1e-10)
    dual = a.sum() - 0.5 * np.sum((a * y) @ X @ X.T @ (a * y))
    assert dual == pytest.approx(0.5 * svm.theta @ svm.theta, rel=1e-10)
    assert np.all(a[svm.functional_margins > 1 + 1e-9] == 0)
    assert np.all(a[svm.support] > 0)


def test_only_support_vectors_matter(page) -> None:
    data, svm = page
    X, y = data.X, data.y
    only = hard_margin_svm(X[svm.support], y[svm.support])
    np.testing.assert_allclose(only.theta, svm.theta, atol=1e-10)
    assert only.b == pytest.approx(svm.b, abs=1e-10)
    moved = X.copy()
    others = np.setdiff1d(np.arange(len(y)), svm.support)
    moved[others] += 2.0 * y[others, None] * svm.theta / np.linalg.norm(svm.theta)
    np.testing.assert_allclose(hard_margin_svm(moved, y).theta, svm.theta, atol=1e-10)
    for k in svm.support:
        keep = np.delete(np.arange(len(y)), k)
        assert hard_margin_svm(X[keep], y[keep]).margin > svm.margin + 1e-3


def test_soft_margin_svc_reproduces_the_hard_margin_for_c_above_max_alpha(page) -> None:
    data, svm = page
    X, y = data.X, data.y
    for C in (1e10, 1.01 * svm.alpha.max()):
        sk = SVC(kernel="linear", C=C, tol=1e-10).fit(X, y)
        np.testing.assert_allclose(sk.coef_[0], svm.theta, atol=1e-4)
        assert sk.intercept_[0] == pytest.approx(svm.b, abs=1e-4)
        assert sorted(sk.support_.tolist()) == svm.support.tolist()


def test_smaller_c_widens_the_band_and_adds_support_vectors(page) -> None:
    data, svm = page
    Cs = svm.alpha.max() * np.array([1.0, 0.5, 0.1, 0.02])
    soft = [SVC(kernel="linear", C=C, tol=1e-10).fit(data.X, data.y) for C in Cs]
    widths = [1 / np.linalg.norm(s.coef_) for s in soft]
    assert widths[0] == pytest.approx(svm.margin, rel=1e-4)
    assert np.all(np.diff(widths) > 0)
    assert np.all(np.diff([len(s.support_) for s in soft]) > 0)


def test_a_flipped_label_is_detected(page) -> None:
    data, svm = page
    y_bad = data.y.copy()
    y_bad[np.argmax(data.X @ svm.theta)] *= -1
    assert linearly_separable(data.X, data.y)
    assert not linearly_separable(data.X, y_bad)
    with pytest.raises(ValueError, match="not linearly separable"):
        hard_margin_svm(data.X, y_bad)
