"""Seeded generators: same seed → same arrays, stated structure holds, bad input → ValueError."""

from __future__ import annotations

import numpy as np
import pytest

from normcourse import datasets


def test_generators_are_deterministic() -> None:
    for make in (datasets.sparse_regression, datasets.correlated_groups,
                 datasets.row_sparse_regression, datasets.additive_polynomial):
        a, b = make(seed=5), make(seed=5)
        np.testing.assert_array_equal(a.X, b.X)
        np.testing.assert_array_equal(a.y, b.y)
        assert not np.array_equal(a.X, make(seed=6).X)


def test_sparse_regression_structure() -> None:
    r = datasets.sparse_regression(n_samples=4000, n_features=20, n_informative=4,
                                   rho=0.8, noise=0.0, seed=0)
    assert np.count_nonzero(r.theta) == 4
    np.testing.assert_allclose(r.y, r.X @ r.theta)
    corr = np.corrcoef(r.X, rowvar=False)
    assert corr[0, 1] == pytest.approx(0.8, abs=0.03)
    assert corr[0, 2] == pytest.approx(0.64, abs=0.03)


def test_correlated_groups_structure() -> None:
    r = datasets.correlated_groups(n_samples=5000, corr=0.9, seed=0)
    corr = np.corrcoef(r.X, rowvar=False)
    assert corr[0, 1] == pytest.approx(0.9, abs=0.02)  # inside a group
    assert abs(corr[0, 3]) < 0.05  # across groups
    np.testing.assert_allclose(r.X.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(r.X.std(0), 1)


def test_row_sparse_and_diabetes() -> None:
    r = datasets.row_sparse_regression(n_features=12, n_informative=3, seed=0)
    assert np.flatnonzero(np.linalg.norm(r.theta, axis=1)).tolist() == [0, 1, 2]
    d = datasets.diabetes()
    assert d.X.shape == (442, 10) and abs(d.y.mean()) < 1e-9
    assert d.feature_names[2] == "bmi"


def test_digits_split_is_stratified_and_shared_by_permuted_tasks() -> None:
    d = datasets.digits(test_size=0.25, seed=0)
    assert d.X_train.shape == (1347, 64) and d.X_test.shape == (450, 64)
    assert d.X_train.min() == 0.0 and d.X_train.max() == 1.0
    share = np.bincount(d.y_test) / (np.bincount(d.y_test) + np.bincount(d.y_train))
    np.testing.assert_allclose(share, 0.25, atol=0.01)  # stratified: each digit split 75/25
    tasks = datasets.permuted_digits(n_tasks=2, test_size=0.25, seed=0)
    np.testing.assert_array_equal(tasks[0].X_train, d.X_train)
    np.testing.assert_array_equal(tasks[1].X_train, d.X_train[:, tasks[1].permutation])


@pytest.mark.parametrize(
    ("call", "arg"),
    [
        (lambda: datasets.sparse_regression(n_samples=0), "n_samples"),
        (lambda: datasets.sparse_regression(n_features=5, n_informative=6), "n_informative"),
        (lambda: datasets.sparse_regression(noise=-1), "noise"),
        (lambda: datasets.sparse_regression(rho=1.0), "rho"),
        (lambda: datasets.correlated_groups(corr=1.0), "corr"),
        (lambda: datasets.correlated_groups(coef=(1.0,)), "coef"),
        (lambda: datasets.row_sparse_regression(n_features=3, n_informative=4), "n_informative"),
        (lambda: datasets.additive_polynomial(n_inputs=1), "n_inputs"),
        (lambda: datasets.digits(test_size=1.0), "test_size"),
    ],
)
def test_bad_arguments_are_named(call, arg: str) -> None:
    with pytest.raises(ValueError, match=arg):
        call()
