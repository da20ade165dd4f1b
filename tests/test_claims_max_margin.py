"""Claims made by book/principles/max-margin.md, pinned on the library.

Each test reproduces one statement of the page on the page's own seeded examples:
``separable_blobs(n_samples=30, distance=3.0, gap=0.5, intercept=1.0, seed=5)`` and the
grid data (35 distinct integer points from ``default_rng(0)``, labelled +1 iff
x₁ + x₂ ≥ 1). Deletion claims are checked against scikit-learn's ``SVC``.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.svm import SVC

from normcourse import datasets
from normcourse.margin import (
    direction_margin,
    dispensable_points,
    hard_margin_svm,
    linearly_separable,
)


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
    after = hard_margin_svm(moved, y)
    np.testing.assert_allclose(after.theta, svm.theta, atol=1e-10)
    assert after.b == pytest.approx(svm.b, abs=1e-10)


@pytest.fixture(scope="module")
def grid():
    rng = np.random.default_rng(0)
    G = np.unique(rng.integers(-4, 5, size=(40, 2)), axis=0).astype(float)
    g = np.where(G.sum(axis=1) >= 1, 1.0, -1.0)
    return G, g, hard_margin_svm(G, g)


def _svc_margins_without_each(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Independent reference: 1/‖θ‖ of SVC(C=1e10) after deleting each point in turn."""
    out = []
    for k in range(len(y)):
        keep = np.delete(np.arange(len(y)), k)
        sk = SVC(kernel="linear", C=1e10, tol=1e-10).fit(X[keep], y[keep])
        out.append(1 / np.linalg.norm(sk.coef_))
    return np.array(out)


def test_deleting_a_point_never_shrinks_the_margin(page, grid) -> None:
    data, svm = page
    G, g, gsvm = grid
    for X, y, r in ((data.X, data.y, svm), (G, g, gsvm)):
        assert np.all(_svc_margins_without_each(X, y) >= r.margin * (1 - 1e-6))


def test_deleting_any_support_vector_of_the_first_example_widens_the_margin(page) -> None:
    data, svm = page
    m = _svc_margins_without_each(data.X, data.y)
    assert np.all(m[svm.support] > svm.margin + 1e-3)
    others = np.setdiff1d(np.arange(len(data.y)), svm.support)
    np.testing.assert_allclose(m[others], svm.margin, rtol=1e-6)
    # three non-collinear support vectors: the multipliers are unique and positive
    E = np.vstack([(data.y[svm.support] * data.X[svm.support].T), data.y[svm.support]])
    assert np.linalg.matrix_rank(E) == 3 and np.all(svm.alpha[svm.support] > 0)
    assert np.flatnonzero(~dispensable_points(data.X, data.y)).tolist() == svm.support.tolist()


def test_on_grid_data_redundant_support_vectors_can_be_deleted_without_change(grid) -> None:
    G, g, gsvm = grid
    assert len(g) == 35
    # the band lies between x₁ + x₂ = 0 and x₁ + x₂ = 1: θ = (2, 2), b = −1
    np.testing.assert_allclose(gsvm.theta, [2.0, 2.0], atol=1e-9)
    assert gsvm.b == pytest.approx(-1.0, abs=1e-9)
    on_edges = np.flatnonzero(np.isin(G.sum(axis=1), [0.0, 1.0]))
    assert gsvm.active.tolist() == on_edges.tolist() and len(on_edges) == 8
    assert gsvm.margin == pytest.approx(1 / (2 * np.sqrt(2)), rel=1e-12)
    m = _svc_margins_without_each(G, g)
    unchanged = np.isclose(m, gsvm.margin, rtol=1e-6)
    assert unchanged[on_edges].sum() == 7
    k = int(on_edges[~unchanged[on_edges]][0])
    assert G[k].tolist() == [3.0, -3.0]
    assert m[k] == pytest.approx(0.4, abs=1e-6)
    np.testing.assert_array_equal(dispensable_points(G, g), unchanged)


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


def test_leave_one_out_mistakes_only_at_indispensable_points(page, grid) -> None:
    data, _ = page
    G, g, _ = grid
    for X, y in ((data.X, data.y), (G, g)):
        spare = dispensable_points(X, y)
        wrong = []
        for k in range(len(y)):
            keep = np.delete(np.arange(len(y)), k)
            sk = SVC(kernel="linear", C=1e10, tol=1e-10).fit(X[keep], y[keep])
            wrong.append(sk.predict(X[k:k + 1])[0] != y[k])
        wrong = np.array(wrong)
        assert not np.any(wrong & spare)
        assert wrong.sum() <= (~spare).sum() <= len(hard_margin_svm(X, y).support)
