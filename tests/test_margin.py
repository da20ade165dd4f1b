"""normcourse.margin: hard-margin SVM, separability, logistic GD trace; separable_blobs.

The SVM is checked three ways: its KKT conditions (which characterise the optimum of a
convex QP), an independent exact method for the b = 0 case (Lawson–Hanson least-distance
programming through NNLS), and scikit-learn's SVC with a huge C.
"""

from __future__ import annotations

import time

import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import nnls
from sklearn.svm import SVC

from normcourse import datasets, plotting
from normcourse.margin import (
    SVMResult,
    angle,
    asymptotic_offset,
    direction_margin,
    dispensable_points,
    hard_margin_svm,
    linearly_separable,
    logistic_gd,
    logistic_objective,
)

matplotlib.use("Agg")


def _blobs(seed: int, p: int = 2, n: int = 30, intercept: float = 0.8) -> datasets.SeparableData:
    return datasets.separable_blobs(n_samples=n, n_features=p, distance=3.0, gap=0.3,
                                    intercept=intercept, seed=seed)


def _assert_kkt(X: np.ndarray, y: np.ndarray, r: SVMResult, tol: float = 1e-9) -> None:
    """Primal feasibility, dual feasibility, stationarity, complementary slackness."""
    fm = y * (X @ r.theta + r.b)
    np.testing.assert_allclose(fm, r.functional_margins, atol=1e-10)
    assert fm.min() >= 1 - tol
    assert np.all(r.alpha >= 0)
    scale = r.alpha.sum()
    np.testing.assert_allclose((r.alpha * y) @ X, r.theta, atol=tol * max(1.0, scale))
    if r.fit_intercept:
        assert abs(r.alpha @ y) <= tol * scale
    else:
        assert r.b == 0.0
    assert np.all(r.alpha * (fm - 1) <= tol * max(1.0, scale))       # complementary slackness
    assert r.alpha.sum() == pytest.approx(r.theta @ r.theta, rel=1e-9)
    assert r.margin == pytest.approx(1 / np.linalg.norm(r.theta), rel=1e-12)
    assert set(r.support.tolist()) <= set(r.active.tolist())
    assert np.all(r.alpha[np.setdiff1d(np.arange(len(y)), r.support)] == 0)


def _ldp_reference(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """min ‖θ‖ s.t. yᵢθᵀxᵢ ≥ 1 by Lawson & Hanson's LDP: NNLS on E = [Zᵀ; 1ᵀ], f = e_{p+1}."""
    Z = y[:, None] * X
    p = X.shape[1]
    E = np.vstack([Z.T, np.ones(len(y))])
    f = np.zeros(p + 1)
    f[p] = 1.0
    u, _ = nnls(E, f)
    r = E @ u - f
    return -r[:p] / r[p]


# ------------------------------------------------------------------ separable_blobs


def test_separable_blobs_is_seeded_balanced_and_separable() -> None:
    a, b = _blobs(3), _blobs(3)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, _blobs(4).X)
    for seed in range(5):
        for p, c in [(2, 0.0), (3, 1.5), (5, -2.0)]:
            d = _blobs(seed, p=p, n=31, intercept=c)
            assert d.X.shape == (31, p) and set(np.unique(d.y)) == {-1.0, 1.0}
            assert (d.y == 1).sum() == 16
            assert np.linalg.norm(d.w) == pytest.approx(1.0)
            assert d.b == c
            assert np.min(d.y * (d.X @ d.w + d.b)) >= d.gap / 2


def test_separable_blobs_rejects_bad_input() -> None:
    for kw, name in [({"n_samples": 1}, "n_samples"), ({"n_samples": 0}, "n_samples"),
                     ({"n_features": 0}, "n_features"), ({"gap": -1.0}, "gap"),
                     ({"distance": float("nan")}, "distance"),
                     ({"intercept": float("inf")}, "intercept"),
                     ({"gap": 30.0, "distance": 1.0}, "gap")]:
        with pytest.raises(ValueError, match=name):
            datasets.separable_blobs(**kw)


# ------------------------------------------------------------------- hard-margin SVM


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_svm_satisfies_kkt_on_random_data(fit_intercept: bool) -> None:
    for seed in range(12):
        p = 2 + seed % 4
        d = _blobs(seed, p=p, n=20 + 3 * seed, intercept=0.8 if fit_intercept else 0.0)
        r = hard_margin_svm(d.X, d.y, fit_intercept=fit_intercept)
        _assert_kkt(d.X, d.y, r)
        assert 1 <= len(r.support) <= p + 1


@given(seed=st.integers(0, 10_000), p=st.integers(1, 6), n=st.integers(2, 40),
       fit_intercept=st.booleans())
@settings(max_examples=40, deadline=None)
def test_svm_kkt_property(seed: int, p: int, n: int, fit_intercept: bool) -> None:
    d = datasets.separable_blobs(n_samples=n, n_features=p, distance=2.0, gap=0.1,
                                 intercept=0.5 if fit_intercept else 0.0, seed=seed)
    _assert_kkt(d.X, d.y, hard_margin_svm(d.X, d.y, fit_intercept=fit_intercept))


def test_svm_without_intercept_matches_least_distance_programming() -> None:
    for seed in range(10):
        d = _blobs(seed, p=2 + seed % 3, intercept=0.0)
        r = hard_margin_svm(d.X, d.y, fit_intercept=False)
        np.testing.assert_allclose(r.theta, _ldp_reference(d.X, d.y), atol=1e-9)
        # the appended-constant trick: a free intercept becomes a penalised coordinate
        X1 = np.column_stack([d.X, np.ones(len(d.y))])
        np.testing.assert_allclose(hard_margin_svm(X1, d.y, fit_intercept=False).theta,
                                   _ldp_reference(X1, d.y), atol=1e-9)


@pytest.mark.parametrize("seed", range(15))
def test_svm_parity_with_sklearn_svc(seed: int) -> None:
    d = _blobs(seed, p=2 + seed % 4, n=25 + seed)
    r = hard_margin_svm(d.X, d.y)
    sk = SVC(kernel="linear", C=1e10, tol=1e-10).fit(d.X, d.y)
    np.testing.assert_allclose(sk.coef_[0], r.theta, atol=1e-4)
    assert sk.intercept_[0] == pytest.approx(r.b, abs=1e-4)
    assert sorted(sk.support_.tolist()) == r.support.tolist()
    # sklearn's dual_coef_ holds yᵢαᵢ for the support vectors
    np.testing.assert_allclose(np.abs(sk.dual_coef_[0]), r.alpha[sk.support_], rtol=1e-3)


def test_svm_is_equivariant_under_translation_and_scaling() -> None:
    d = _blobs(7)
    r = hard_margin_svm(d.X, d.y)
    shift, s = np.array([100.0, -250.0]), 1e-3
    moved = hard_margin_svm(s * (d.X + shift), d.y)
    np.testing.assert_allclose(moved.theta, r.theta / s, rtol=1e-8)
    assert moved.b == pytest.approx(r.b - r.theta @ shift, rel=1e-8)
    np.testing.assert_allclose(moved.alpha, r.alpha / s**2, rtol=1e-6, atol=1e-12)
    assert moved.margin == pytest.approx(s * r.margin, rel=1e-10)


def test_svm_degenerate_configuration() -> None:
    """Six points on the margin (more than p + 1): θ is unique, the multipliers are not."""
    X = np.array([[1, 0], [1, 1], [1, -1], [-1, 0], [-1, 1], [-1, -1], [3, 0]], float)
    y = np.array([1, 1, 1, -1, -1, -1, 1.0])
    for Xs in (X, 1e3 * X, 1e-3 * X + 5):
        r = hard_margin_svm(Xs, y)
        _assert_kkt(Xs, y, r)
        assert r.active.tolist() == [0, 1, 2, 3, 4, 5]
        np.testing.assert_allclose(r.theta / np.linalg.norm(r.theta), [1, 0], atol=1e-10)
    one_d = hard_margin_svm([[0.0], [1.0], [3.0]], [-1, 1, 1])
    assert one_d.theta[0] == pytest.approx(2.0) and one_d.b == pytest.approx(-1.0)


def _margins_without_each(X: np.ndarray, y: np.ndarray, fit_intercept: bool) -> np.ndarray:
    """Brute force: the SVM margin after deleting each point in turn."""
    out = []
    for k in range(len(y)):
        keep = np.delete(np.arange(len(y)), k)
        out.append(hard_margin_svm(X[keep], y[keep], fit_intercept=fit_intercept).margin)
    return np.array(out)


@pytest.mark.parametrize("case", ["blobs", "blobs0", "lattice", "duplicate", "six"])
def test_dispensable_points_match_brute_force_deletion(case: str) -> None:
    """Deleting a point never shrinks the margin; it stays exactly the same precisely
    for the points the KKT test calls dispensable, and grows for all others."""
    fit_intercept = case != "blobs0"
    if case in ("blobs", "blobs0"):
        d = _blobs(7, n=16, intercept=0.8 if fit_intercept else 0.0)
        X, y = d.X, d.y
    elif case == "lattice":
        rng = np.random.default_rng(0)
        X = np.unique(rng.integers(-4, 5, size=(40, 2)), axis=0).astype(float)
        y = np.where(X.sum(axis=1) >= 1, 1.0, -1.0)
    elif case == "duplicate":
        d = _blobs(2, n=14)
        r = hard_margin_svm(d.X, d.y)
        k = int(r.support[0])
        X, y = np.vstack([d.X, d.X[k]]), np.append(d.y, d.y[k])
    else:
        X = np.array([[1, 0], [1, 1], [1, -1], [-1, 0], [-1, 1], [-1, -1], [3, 0]], float)
        y = np.array([1, 1, 1, -1, -1, -1, 1.0])
    r = hard_margin_svm(X, y, fit_intercept=fit_intercept)
    mask = dispensable_points(X, y, fit_intercept=fit_intercept)
    np.testing.assert_array_equal(mask, dispensable_points(X, y, fit_intercept, svm=r))
    assert mask.dtype == bool and mask.shape == y.shape
    assert np.all(mask[np.setdiff1d(np.arange(len(y)), r.active)])   # off the margin
    m = _margins_without_each(X, y, fit_intercept)
    assert np.all(m >= r.margin * (1 - 1e-9))                           # never shrinks
    np.testing.assert_allclose(m[mask], r.margin, rtol=1e-8)            # unchanged
    assert np.all(m[~mask] > r.margin * (1 + 1e-6))                     # strictly grows
    if case in ("blobs", "blobs0"):      # general position: every support vector counts
        assert np.flatnonzero(~mask).tolist() == r.support.tolist()
    if case == "lattice":
        assert len(r.active) == 8 and np.flatnonzero(~mask).tolist() == [28]
    if case == "duplicate":              # either copy can stand in for the other
        copies = [k, len(y) - 1]
        assert mask[copies].all()
        assert np.flatnonzero(~mask).tolist() == np.setdiff1d(r.support, copies).tolist()
    if case == "six":                    # six points on the margin, all replaceable
        assert mask.all()


def test_dispensable_points_rejects_bad_input() -> None:
    d = _blobs(3)
    r = hard_margin_svm(d.X, d.y)
    with pytest.raises(ValueError, match="fit_intercept=False"):
        dispensable_points(d.X, d.y, fit_intercept=False, svm=r)
    with pytest.raises(ValueError, match="svm must be"):
        dispensable_points(d.X, d.y, svm="not a result")
    with pytest.raises(ValueError, match="another shape"):
        dispensable_points(d.X[:-1], d.y[:-1], svm=r)
    with pytest.raises(ValueError, match="NaN"):
        dispensable_points(np.full((3, 2), np.nan), [1, -1, 1])
    with pytest.raises(ValueError, match="not linearly separable"):
        dispensable_points([[0.0], [1.0], [2.0]], [1, -1, 1])


def test_svm_decision_function() -> None:
    d = _blobs(1)
    r = hard_margin_svm(d.X, d.y)
    np.testing.assert_allclose(r.decision_function(d.X), d.X @ r.theta + r.b)
    assert np.all(np.sign(r.decision_function(d.X)) == d.y)
    with pytest.raises(ValueError, match="columns"):
        r.decision_function(np.zeros((2, 3)))


def test_svm_and_separability_reject_bad_input() -> None:
    d = _blobs(0)
    X, y = d.X, d.y
    nan = X.copy()
    nan[0, 0] = np.nan
    xor_X = np.array([[0, 0], [1, 1], [0, 1], [1, 0]], float)
    xor_y = np.array([1, 1, -1, -1.0])
    cases = [
        ((nan, y), "NaN"),
        ((X, y[:-1]), "same number of samples"),
        ((X, (y + 1) / 2), "labels"),                  # {0, 1} labels
        ((X, y[:, None]), "1-D"),
        ((X[0], y), "2-D"),
        ((X, np.ones_like(y)), "both classes"),
        ((xor_X, xor_y), "not linearly separable"),
        ((np.vstack([X, X[:1]]), np.append(y, -y[0])), "not linearly separable"),
    ]
    for args, msg in cases:
        with pytest.raises(ValueError, match=msg):
            hard_margin_svm(*args)
    with pytest.raises(ValueError, match="through the origin"):
        hard_margin_svm(np.vstack([X, np.zeros(2)]), np.append(y, 1.0), fit_intercept=False)
    with pytest.raises(ValueError, match="fit_intercept"):
        hard_margin_svm(X, y, fit_intercept="yes")
    assert linearly_separable(X, y) and not linearly_separable(xor_X, xor_y)
    shifted = X + 10 * d.w   # still separable with a bias, no longer through the origin
    assert linearly_separable(shifted, y)
    assert not linearly_separable(shifted, y, fit_intercept=False)


# ------------------------------------------------------------ direction_margin, angle


def test_direction_margin_is_maximised_by_the_svm() -> None:
    rng = np.random.default_rng(0)
    for fit_intercept, c in [(True, 1.0), (False, 0.0)]:
        d = _blobs(2, p=3, intercept=c)
        r = hard_margin_svm(d.X, d.y, fit_intercept=fit_intercept)
        assert direction_margin(d.X, d.y, r.theta, fit_intercept) == pytest.approx(
            r.margin, rel=1e-10)
        U = rng.standard_normal((2000, 3))
        m = direction_margin(d.X, d.y, U, fit_intercept)
        assert m.shape == (2000,) and m.max() <= r.margin + 1e-12
        assert direction_margin(d.X, d.y, 5.0 * r.theta, fit_intercept) == pytest.approx(
            r.margin)
    with pytest.raises(ValueError, match="nonzero"):
        direction_margin(d.X, d.y, np.zeros(3))
    with pytest.raises(ValueError, match="entries"):
        direction_margin(d.X, d.y, np.ones(2))


def test_angle_is_accurate_and_validated() -> None:
    u = np.array([1.0, 0.0])
    for a in (1e-12, 1e-6, 0.3, np.pi / 2, 3.0):
        assert angle(u, 7.0 * np.array([np.cos(a), np.sin(a)])) == pytest.approx(a, rel=1e-9)
    assert angle(u, -u) == pytest.approx(np.pi)
    assert angle(u, u) == 0.0
    for v, msg in [(np.zeros(2), "nonzero"), (np.ones(3), "same shape"),
                   (np.array([np.nan, 1.0]), "NaN")]:
        with pytest.raises(ValueError, match=msg):
            angle(u, v)


# ----------------------------------------------------------------- logistic GD trace


def test_logistic_objective_value_gradient_and_stability() -> None:
    d = _blobs(4, p=3, intercept=0.0)
    rng = np.random.default_rng(1)
    theta, lam = rng.standard_normal(3), 0.3
    J, g = logistic_objective(d.X, d.y, theta, lam)
    m = d.y * (d.X @ theta)
    assert J == pytest.approx(np.mean(np.log1p(np.exp(-m))) + lam / 2 * theta @ theta)
    h = 1e-6
    fd = [(logistic_objective(d.X, d.y, theta + h * e, lam)[0]
           - logistic_objective(d.X, d.y, theta - h * e, lam)[0]) / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(g, fd, atol=1e-8)
    big = 1e4 * hard_margin_svm(d.X, d.y, fit_intercept=False).theta   # margins ≥ 1e4
    Jb, gb = logistic_objective(d.X, d.y, big)
    assert 0 <= Jb < 1e-300 and np.all(np.isfinite(gb))
    Jw, gw = logistic_objective(d.X, d.y, -big)                        # margins ≤ −1e4
    assert np.isfinite(Jw) and Jw > 1e4 and np.all(np.isfinite(gw))
    with pytest.raises(ValueError, match="theta"):
        logistic_objective(d.X, d.y, np.ones(2))
    with pytest.raises(ValueError, match="lam"):
        logistic_objective(d.X, d.y, theta, -1.0)


def test_logistic_gd_trace_contents_and_recording() -> None:
    d = _blobs(5, intercept=0.0)
    ref = hard_margin_svm(d.X, d.y, fit_intercept=False).theta
    tr = logistic_gd(d.X, d.y, 0.5, 1000, record=13, reference=ref)
    assert tr.steps[0] == 1 and tr.steps[-1] == 1000 and np.all(np.diff(tr.steps) > 0)
    assert tr.thetas.shape == (len(tr.steps), 2)
    np.testing.assert_array_equal(tr.thetas[-1], tr.theta)
    np.testing.assert_allclose(tr.norms, np.linalg.norm(tr.thetas, axis=1))
    for k in (0, len(tr.steps) // 2, -1):
        J, g = logistic_objective(d.X, d.y, tr.thetas[k])
        assert tr.losses[k] == pytest.approx(J) and tr.objectives[k] == pytest.approx(J)
        assert tr.grad_norms[k] == pytest.approx(np.linalg.norm(g))
        assert tr.angles[k] == pytest.approx(angle(tr.thetas[k], ref))
    # explicit steps, including the start θ₀ = 0 where the angle is undefined
    tr0 = logistic_gd(d.X, d.y, 0.5, 50, record=[0, 7, 50], reference=ref)
    assert tr0.steps.tolist() == [0, 7, 50] and tr0.norms[0] == 0 and np.isnan(tr0.angles[0])
    np.testing.assert_array_equal(tr0.thetas[2], logistic_gd(d.X, d.y, 0.5, 50, record=5).theta)
    # the iteration by hand
    theta = np.zeros(2)
    for _ in range(7):
        theta = theta - 0.5 * logistic_objective(d.X, d.y, theta)[1]
    np.testing.assert_allclose(tr0.thetas[1], theta, rtol=1e-12)
    assert logistic_gd(d.X, d.y, 0.5, 10).angles is None


def test_logistic_gd_default_step_and_l2_convergence() -> None:
    d = _blobs(6, p=3, intercept=0.0)
    lam = 0.05
    tr = logistic_gd(d.X, d.y, None, 3000, lam=lam, record=[3000])
    L = np.linalg.norm(d.X, 2) ** 2 / (4 * len(d.y)) + lam
    assert tr.lr == pytest.approx(1 / L)
    assert tr.grad_norms[-1] < 1e-10
    assert tr.objectives[-1] == pytest.approx(logistic_objective(d.X, d.y, tr.theta, lam)[0])
    assert tr.objectives[-1] == pytest.approx(tr.losses[-1] + lam / 2 * tr.theta @ tr.theta)
    other = logistic_gd(d.X, d.y, None, 3000, lam=lam, record=[3000], theta0=[5.0, -5.0, 9.0])
    np.testing.assert_allclose(other.theta, tr.theta, atol=1e-10)


def test_logistic_gd_is_fast_enough() -> None:
    d = datasets.separable_blobs(n_samples=50, distance=3.0, gap=1.0, seed=0)
    start = time.process_time()
    logistic_gd(d.X, d.y, None, 100_000, record=61)
    assert time.process_time() - start < 2.0


def test_logistic_gd_rejects_bad_input() -> None:
    d = _blobs(0, intercept=0.0)
    X, y = d.X, d.y
    bad = [
        (dict(lr=0.0), "lr"), (dict(lr=-1.0), "lr"), (dict(n_steps=0), "n_steps"),
        (dict(lam=-0.1), "lam"), (dict(record=0), "record"), (dict(record=[5, 200]), "record"),
        (dict(record=[0.5]), "record"), (dict(theta0=[1.0]), "theta0"),
        (dict(reference=[0.0, 0.0]), "reference"), (dict(reference=[1.0]), "reference"),
    ]
    for kw, name in bad:
        args = {"lr": 0.5, "n_steps": 100, **kw}
        with pytest.raises(ValueError, match=name):
            logistic_gd(X, y, **args)
    with pytest.raises(ValueError, match="labels"):
        logistic_gd(X, (y + 1) / 2, 0.5, 10)
    with pytest.raises(ValueError, match="diverged"):
        logistic_gd(X, y, 1e3, 400, lam=10.0)


def test_asymptotic_offset_validation() -> None:
    d = _blobs(3, intercept=0.0)
    with pytest.raises(ValueError, match="fit_intercept=False"):
        asymptotic_offset(d.X, d.y, 1.0, hard_margin_svm(d.X, d.y))
    with pytest.raises(ValueError, match="lr"):
        asymptotic_offset(d.X, d.y, 0.0)
    # a single support vector in the plane cannot determine a 2-D offset
    X2 = np.array([[1.0, 0.0], [3.0, 2.0]])
    y2 = np.array([1.0, 1.0])
    assert hard_margin_svm(X2, y2, fit_intercept=False).support.tolist() == [0]
    with pytest.raises(ValueError, match="basis"):
        asymptotic_offset(X2, y2, 1.0)


# ----------------------------------------------------------------------- the figures


def test_margin_figures_draw_and_validate() -> None:
    import matplotlib.pyplot as plt

    d = _blobs(5, intercept=1.0)
    r = hard_margin_svm(d.X, d.y)
    ax = plotting.margin_plot(d.X, d.y, r.theta, r.b, r.support, others={"w": (d.w, d.b)})
    assert len(ax.lines) >= 4
    ax = plotting.direction_margin_plot(d.X, d.y, r.theta)
    assert ax.get_xlim() == (-90.0, 90.0)
    tr = logistic_gd(d.X, d.y, None, 1000, record=20, reference=r.theta)
    plotting.gd_norm_plot(tr.steps, tr.norms)
    plotting.gd_angle_plot(tr.steps, tr.angles, np.full(len(tr.steps), np.nan))
    plotting.gd_directions_plot(d.X, d.y, {"t": tr.theta}, r.theta, extra={"x": d.w})
    plotting.angle_norm_plot({"gd": (tr.norms, tr.angles)})
    plt.close("all")
    with pytest.raises(ValueError, match="2 columns"):
        plotting.margin_plot(np.zeros((3, 3)), np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="same length"):
        plotting.gd_norm_plot([1, 2], [1.0])
    with pytest.raises(ValueError, match="pair"):
        plotting.angle_norm_plot({"x": (np.ones(2),)})
