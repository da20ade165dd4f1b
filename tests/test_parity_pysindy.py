"""Parity with pysindy 2.1: the polynomial library (order, names, values) and STLSQ.

Both sides see the same trajectory and the same derivatives — pysindy's ``SINDy.fit``
receives ``x_dot`` explicitly, so its differentiation is not involved. pysindy is
imported only here, never by the library or the book.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from normcourse import datasets
from normcourse.sindy import lorenz_xi, polynomial_library, time_derivative
from normcourse.solvers import stlsq

ps = pytest.importorskip("pysindy")

DT = 0.002


@pytest.fixture(scope="module")
def clean() -> datasets.Trajectory:
    return datasets.lorenz(t_end=10.0, dt=DT)


def _pysindy_fit(X: np.ndarray, dXdt: np.ndarray, **opt) -> ps.SINDy:
    model = ps.SINDy(feature_library=ps.PolynomialLibrary(degree=2),
                     optimizer=ps.STLSQ(**opt))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn/pysindy deprecation chatter
        model.fit(X, t=DT, x_dot=dXdt, feature_names=["x", "y", "z"])
    return model


def test_polynomial_library_matches_pysindy(clean: datasets.Trajectory) -> None:
    for degree in (1, 2, 3):
        lib = ps.PolynomialLibrary(degree=degree).fit(clean.X)
        Theta, names = polynomial_library(clean.X, degree, ["x", "y", "z"])
        assert names == lib.get_feature_names(["x", "y", "z"])
        np.testing.assert_allclose(Theta, np.asarray(lib.transform(clean.X)), rtol=1e-14)
    # default names x0, x1, … and no bias column
    lib = ps.PolynomialLibrary(degree=2, include_bias=False).fit(clean.X[:, :2])
    assert polynomial_library(clean.X[:, :2], 2, include_bias=False)[1] == \
        lib.get_feature_names()
    model = _pysindy_fit(clean.X, clean.dXdt, threshold=0.1, alpha=0.0)
    assert model.get_feature_names() == polynomial_library(clean.X, 2, ["x", "y", "z"])[1]


def _cases(clean: datasets.Trajectory):
    noisy = datasets.lorenz(t_end=10.0, dt=DT, noise=0.3, seed=2)
    yield "exact", clean.X, clean.dXdt
    yield "noisy", noisy.X, time_derivative(noisy.X, DT, window=31)


@pytest.mark.parametrize(("threshold", "alpha", "unbias"), [
    (0.1, 0.0, True),
    (0.1, 0.05, True),
    (0.5, 5.0, True),
    (0.05, 0.0, False),
    (0.2, 10.0, False),
    (2.0, 0.1, True),
])
def test_stlsq_matches_pysindy(clean: datasets.Trajectory, threshold: float, alpha: float,
                               unbias: bool) -> None:
    for label, X, dXdt in _cases(clean):
        model = _pysindy_fit(X, dXdt, threshold=threshold, alpha=alpha, unbias=unbias)
        Theta, _ = polynomial_library(X, 2, ["x", "y", "z"])
        ours = stlsq(Theta, dXdt, threshold=threshold, alpha=alpha, unbias=unbias)
        theirs = model.coefficients()
        scale = np.abs(theirs).max()
        np.testing.assert_allclose(ours.Xi.T, theirs, rtol=0, atol=1e-8 * scale,
                                   err_msg=label)
        assert np.array_equal(ours.Xi.T != 0, theirs != 0), label
        # same number of thresholding passes (pysindy's history_ starts with the LS fit)
        assert len(model.optimizer.history_) - 1 == ours.n_iter, label


def test_true_lorenz_recovered_like_pysindy(clean: datasets.Trajectory) -> None:
    model = _pysindy_fit(clean.X, clean.dXdt, threshold=0.1, alpha=0.0)
    Theta, _ = polynomial_library(clean.X, 2, ["x", "y", "z"])
    ours = stlsq(Theta, clean.dXdt, threshold=0.1)
    truth = lorenz_xi()
    for Xi in (ours.Xi, model.coefficients().T):
        assert np.count_nonzero(Xi) == 7
        assert np.array_equal(Xi != 0, truth != 0)
        nz = truth != 0
        assert np.max(np.abs(Xi[nz] - truth[nz]) / np.abs(truth[nz])) < 0.01


@pytest.mark.parametrize("max_iter", [1, 2])
def test_stlsq_matches_pysindy_when_stopped_early(max_iter: int) -> None:
    noisy = datasets.lorenz(t_end=10.0, dt=DT, noise=1.0, seed=3)
    dXdt = time_derivative(noisy.X, DT, window=31)
    model = _pysindy_fit(noisy.X, dXdt, threshold=0.3, alpha=0.0, max_iter=max_iter)
    Theta, _ = polynomial_library(noisy.X, 2, ["x", "y", "z"])
    with pytest.warns(UserWarning, match="max_iter"):
        ours = stlsq(Theta, dXdt, threshold=0.3, max_iter=max_iter)
    assert not ours.converged and ours.n_iter == max_iter
    theirs = model.coefficients()
    np.testing.assert_allclose(ours.Xi.T, theirs, rtol=0, atol=1e-8 * np.abs(theirs).max())
