"""Claims made by book/applications/physics-sindy.md, pinned on the library.

Each test reruns one experiment of the page on the page's own data (the seeded Lorenz
trajectory) and checks the statement the text makes about it.
"""

from __future__ import annotations

import numpy as np
import pytest

from normcourse import datasets, selection, sindy
from normcourse.selection import entry_order
from normcourse.solvers import stlsq

DT = 0.002


@pytest.fixture(scope="module")
def traj() -> datasets.Trajectory:
    return datasets.lorenz(t_end=10.0, dt=DT, x0=(-8.0, 8.0, 27.0))


@pytest.fixture(scope="module")
def library(traj: datasets.Trajectory) -> tuple[np.ndarray, list[str]]:
    return sindy.polynomial_library(traj.X, degree=2, names=traj.names)


def test_data_as_described(traj: datasets.Trajectory, library) -> None:
    Theta, terms = library
    assert traj.X.shape == (5000, 3)
    assert terms == ["1", "x", "y", "z", "x^2", "x y", "x z", "y^2", "y z", "z^2"]
    assert 1e3 < np.linalg.cond(Theta) < 1e5  # "poorly conditioned"
    assert 5 < traj.X.std(axis=0).mean() < 10  # "a standard deviation of about 8"
    z = traj.X[:, 2]
    assert 22 < z.mean() < 24 and (z**2).max() > 1000          # "hovers around 23"
    assert np.corrcoef(z, z**2)[0, 1] > 0.95                   # "nearly collinear"


def test_stlsq_recovers_the_seven_terms(traj: datasets.Trajectory, library) -> None:
    Theta, _ = library
    fit = stlsq(Theta, traj.dXdt, threshold=0.1)
    truth = sindy.lorenz_xi()
    assert sindy.term_errors(fit.Xi, truth)[:2] == (0, 0)
    assert np.count_nonzero(fit.Xi) == 7
    nz = truth != 0
    assert np.max(np.abs(fit.Xi[nz] - truth[nz]) / np.abs(truth[nz])) < 1e-10  # ~12 digits
    assert fit.n_iter <= Theta.shape[1]


def test_no_lasso_point_has_the_right_support(traj: datasets.Trajectory, library) -> None:
    Theta, _ = library
    truth = sindy.lorenz_xi()
    paths, scale = sindy.lasso_paths(Theta, traj.dXdt, n_lams=200, eps=1e-6)
    oracle = sindy.best_on_paths(paths, truth)
    assert np.all(oracle.min_wrong >= 1)
    assert np.all(oracle.wrong_at_best >= 1)
    # the most accurate points carry only tiny spurious terms (1e-7 … 1e-4)
    spurious = np.abs(oracle.Xi[(truth == 0) & (oracle.Xi != 0)])
    assert spurious.size and spurious.max() < 1e-3
    # x' path: y, then xz and yz enter before x
    order = entry_order(paths[0].coefs)
    assert order.index(1) > order.index(6) and order.index(1) > order.index(8)
    assert order[0] == 2
    eta = [selection.irrepresentable(Theta / scale, scale * truth[:, i]) for i in range(3)]
    assert min(eta) > 1


def test_smoothed_derivative_beats_central_differences() -> None:
    noisy = datasets.lorenz(noise=0.1, seed=0)
    def rms(D: np.ndarray) -> float:
        return float(np.sqrt(np.mean((D - noisy.dXdt) ** 2)))
    central = rms(sindy.time_derivative(noisy.X, DT))
    smooth = rms(sindy.time_derivative(noisy.X, DT, window=31))
    assert smooth < central / 10
    assert central == pytest.approx(0.1 / (np.sqrt(2) * DT), rel=0.05)  # ≈ 35


@pytest.fixture(scope="module")
def sweeps() -> tuple[np.ndarray, dict[str, sindy.ThresholdSweep]]:
    thresholds = np.geomspace(0.01, 20, 34)
    out = {}
    for sigma in (0.0, 0.03, 0.1, 0.3, 1.0):
        data = datasets.lorenz(noise=sigma, seed=0)
        Th, _ = sindy.polynomial_library(data.X, 2, data.names)
        dX = sindy.time_derivative(data.X, DT, window=31)
        out[f"{sigma:g}"] = sindy.threshold_sweep(Th, dX, thresholds, sindy.lorenz_xi())
    return thresholds, out


def test_exact_window_narrows_and_closes(sweeps) -> None:
    thresholds, sw = sweeps
    exact = {k: thresholds[s.wrong == 0] for k, s in sw.items()}
    for k in ("0", "0.03", "0.1"):
        assert exact[k].size and exact[k].max() < 1.0
    assert exact["0"].min() == thresholds[0]
    assert exact["0.1"].min() > exact["0.03"].min() >= exact["0"].min()
    assert exact["0.1"].min() == pytest.approx(0.08, abs=0.01)
    assert exact["0.3"].size == 0 and exact["1"].size == 0
    assert sw["0.3"].wrong.min() == 1 and sw["1"].wrong.min() == 2
    assert sw["1"].rel_error.min() > 0.1
    assert sw["1"].rel_error.min() > 10 * sw["0.1"].rel_error.min()


def test_large_thresholds_lose_true_terms(sweeps) -> None:
    thresholds, sw = sweeps
    for s in sw.values():
        assert s.missed[thresholds > 1.2].min() >= 1


def test_thresholding_the_lasso_point_gives_the_support_but_keeps_the_shrinkage(
        traj: datasets.Trajectory, library) -> None:
    Theta, _ = library
    truth = sindy.lorenz_xi()
    paths, _ = sindy.lasso_paths(Theta, traj.dXdt, n_lams=200, eps=1e-6)
    oracle = sindy.best_on_paths(paths, truth)
    cut = np.where(np.abs(oracle.Xi) >= 0.1, oracle.Xi, 0.0)
    spurious, missed, rel = sindy.term_errors(cut, truth)
    assert spurious == missed == 0
    assert 1e-6 < rel < 1e-3  # "near 1e-4": the lasso's bias stays in the coefficients
    fit = stlsq(Theta, traj.dXdt, threshold=0.1)
    assert sindy.term_errors(fit.Xi, truth)[2] < 1e-12 < rel


def test_noisiest_levels_are_off_by_one_and_two_terms(sweeps) -> None:
    _, sw = sweeps
    assert sw["0.3"].wrong.min() == 1 and sw["1"].wrong.min() == 2
