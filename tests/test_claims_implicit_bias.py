"""Claims made by book/principles/implicit-bias.md, pinned on the library.

The page's example: ``separable_blobs(n_samples=20, distance=3.0, gap=1.0, intercept=0.0,
seed=17)``, gradient descent on the mean logistic loss from θ₀ = 0 with η = 1/β for
10⁵ steps, recorded at 61 log-spaced steps; reference θ̂ = the b = 0 hard-margin SVM.
The optional subsection's degenerate set is the three points ``XD``, ``YD`` below.
"""

from __future__ import annotations

import numpy as np
import pytest

from normcourse import datasets
from normcourse.margin import (
    angle,
    asymptotic_offset,
    hard_margin_svm,
    logistic_gd,
    logistic_objective,
)
from normcourse.penalties import L2
from normcourse.solvers import prox_grad

LAM = 1e-2


@pytest.fixture(scope="module")
def page():
    data = datasets.separable_blobs(n_samples=20, distance=3.0, gap=1.0, intercept=0.0, seed=17)
    svm0 = hard_margin_svm(data.X, data.y, fit_intercept=False)
    trace = logistic_gd(data.X, data.y, None, 100_000, record=61, reference=svm0.theta)
    decade = [int(np.searchsorted(trace.steps, 10**k)) for k in range(6)]
    assert trace.steps[decade].tolist() == [1, 10, 100, 1000, 10_000, 100_000]
    return data, svm0, trace, decade


def test_loss_decreases_and_norm_increases_at_every_recorded_step(page) -> None:
    _, _, trace, decade = page
    assert np.all(np.diff(trace.losses) < 0)
    assert np.all(np.diff(trace.norms) > 0)
    assert 8 < trace.losses[decade[-2]] / trace.losses[decade[-1]] < 12   # ~1/t


def test_every_step_decreases_the_loss_and_moves_outwards_along_theta_hat(page) -> None:
    data, svm0, _, _ = page
    early = logistic_gd(data.X, data.y, None, 2000, record=list(range(2001)))
    assert np.all(np.diff(early.losses) < 0)
    proj = early.thetas @ svm0.theta
    assert np.all(np.diff(proj) > 0)


def test_norm_gains_approach_theta_hat_ln10_per_decade(page) -> None:
    _, svm0, trace, decade = page
    gain = np.diff(trace.norms[decade])
    target = np.linalg.norm(svm0.theta) * np.log(10)
    assert np.all(np.diff(gain) > 0)
    assert abs(gain[-1] / target - 1) < 0.05
    assert gain[-1] < target                                   # from below


def test_angle_to_max_margin_decreases_and_is_small_at_the_end(page) -> None:
    _, _, trace, decade = page
    assert np.all(np.diff(trace.angles) < 0)
    deg = np.degrees(trace.angles[decade])
    assert deg[0] > 20 and deg[-1] < 2.5 and deg[-1] < deg[0] / 9


def test_residual_converges_to_the_offset_and_angle_matches_the_asymptote(page) -> None:
    data, svm0, trace, decade = page
    offset = asymptotic_offset(data.X, data.y, trace.lr, svm0)
    # the defining equations hold on the two support vectors
    S = svm0.support
    lhs = trace.lr / len(data.y) * np.exp(-data.y[S] * (data.X[S] @ offset))
    np.testing.assert_allclose(lhs, svm0.alpha[S], rtol=1e-12)
    t = trace.steps
    residual = np.linalg.norm(trace.thetas - np.outer(np.log(t), svm0.theta) - offset, axis=1)
    assert np.all(np.diff(residual[decade[1:]]) < 0) and residual[-1] < 0.05
    predicted = angle(np.log(t[-1]) * svm0.theta + offset, svm0.theta)
    assert abs(trace.angles[-1] / predicted - 1) < 0.01
    # the closest non-support vector has functional margin ≈ 1.8
    assert np.sort(svm0.functional_margins)[2] == pytest.approx(1.8, abs=0.01)


def test_l2_minimiser_is_unique_stationary_and_not_max_margin(page) -> None:
    data, svm0, _, _ = page
    X, y = data.X, data.y
    a = logistic_gd(X, y, None, 5000, lam=LAM, record=[5000])
    b = logistic_gd(X, y, None, 5000, lam=LAM, record=[5000], theta0=np.array([-20.0, 30.0]))
    _, grad = logistic_objective(X, y, a.theta, LAM)
    assert np.linalg.norm(grad) < 1e-8
    np.testing.assert_allclose(a.theta, b.theta, atol=1e-10)
    theta_l2 = prox_grad(X, y, L2(LAM), loss="logistic", tol=1e-12).theta
    np.testing.assert_allclose(a.theta, theta_l2, atol=1e-8)
    assert np.linalg.norm(a.theta) <= np.sqrt(2 * np.log(2) / LAM)
    assert np.degrees(angle(theta_l2, svm0.theta)) > 5
    assert np.degrees(angle(theta_l2, svm0.theta)) == pytest.approx(8.87, abs=0.01)


def test_l2_direction_tends_to_max_margin_as_lambda_vanishes(page) -> None:
    data, svm0, trace, _ = page
    lams = np.logspace(0, -5, 11)
    path = [prox_grad(data.X, data.y, L2(lm), loss="logistic", tol=1e-10).theta for lm in lams]
    norms = np.array([np.linalg.norm(th) for th in path])
    angles = np.array([angle(th, svm0.theta) for th in path])
    assert np.all(np.diff(norms) > 0) and np.all(np.diff(angles) < 0)
    assert angles[-1] < 0.05
    # at equal norm the regularized solution is closer to θ̂ than the GD iterate
    assert np.all(angles < np.interp(norms, trace.norms, trace.angles))


def test_appended_constant_feature_leads_to_the_augmented_svm() -> None:
    blobs = datasets.separable_blobs(n_samples=30, distance=3.0, gap=0.5, intercept=1.0, seed=5)
    X1 = np.column_stack([blobs.X, np.ones(len(blobs.y))])
    svm_aug = hard_margin_svm(X1, blobs.y, fit_intercept=False)
    svm_free = hard_margin_svm(blobs.X, blobs.y)
    run = logistic_gd(X1, blobs.y, None, 100_000, record=[100_000], reference=svm_aug.theta)
    free_dir = np.append(svm_free.theta, svm_free.b)
    assert angle(run.theta, free_dir) > 3 * run.angles[-1]
    aug_margin = np.min(blobs.y * (X1 @ svm_aug.theta)) / np.linalg.norm(svm_aug.theta[:2])
    assert aug_margin < svm_free.margin - 0.03


def test_from_scratch_numpy_loop_matches_logistic_gd(page) -> None:
    data, _, trace, _ = page
    X, y = data.X, data.y
    n = len(y)
    theta = np.zeros(X.shape[1])
    for _ in range(1000):                       # θ ← θ + (η/n) Σ σ(−yᵢθᵀxᵢ) yᵢxᵢ
        theta = theta + trace.lr / n * X.T @ (y / (1.0 + np.exp(y * (X @ theta))))
    k = int(np.searchsorted(trace.steps, 1000))
    assert trace.steps[k] == 1000
    np.testing.assert_allclose(trace.thetas[k], theta, rtol=1e-12)
    # the step is 1/β with β = ‖X‖₂²/(4n)
    assert trace.lr == pytest.approx(4 * n / np.linalg.norm(X, 2) ** 2, rel=1e-12)


XD = np.array([[1.0, 0.0], [-1.0, -1.0], [2.0, -1.0]])
YD = np.array([1.0, -1.0, 1.0])


def test_degenerate_set_has_a_margin_point_without_dual_weight() -> None:
    svm = hard_margin_svm(XD, YD, fit_intercept=False)
    # by hand: every feasible θ has θ₁ ≥ 1 (first constraint), so θ̂ = (1, 0) is optimal,
    # and (1, 0) = α₁(1, 0) + α₂(1, 1) forces α₂ = 0 although y₂θ̂ᵀx₂ = 1
    np.testing.assert_allclose(svm.theta, [1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(YD * (XD @ [1.0, 0.0]), [1.0, 1.0, 2.0])
    np.testing.assert_allclose(svm.alpha, [1.0, 0.0, 0.0], atol=1e-12)
    assert svm.support.tolist() == [0] and svm.active.tolist() == [0, 1]
    with pytest.raises(ValueError, match="basis"):
        asymptotic_offset(XD, YD, 1.0, svm)


def test_degenerate_remainder_grows_like_loglog_and_direction_still_converges() -> None:
    svm = hard_margin_svm(XD, YD, fit_intercept=False)
    run = logistic_gd(XD, YD, None, 100_000, record=[10**k for k in range(1, 6)],
                      reference=svm.theta)
    rho = run.thetas - np.outer(np.log(run.steps), svm.theta)
    assert np.all(np.diff(rho[:, 1]) > 0) and rho[-1, 1] > 2            # keeps growing
    gains = np.diff(rho[:, 1])
    np.testing.assert_allclose(gains[1:], [0.463, 0.364, 0.285], atol=2e-3)
    # e^{θ_{t,2}} ≈ log t + const: its gain per decade rises towards ln 10 from below
    exp_gains = np.diff(np.exp(rho[:, 1]))
    assert np.all(np.diff(exp_gains) > 0) and 1.8 < exp_gains[-1] < np.log(10)
    # the gains shrink about as slowly as those of log log t
    ll_gains = np.diff(np.log(np.log(run.steps)))
    assert abs(gains[-1] / gains[-2] - ll_gains[-1] / ll_gains[-2]) < 0.05
    deg = np.degrees(run.angles)
    assert np.argmax(deg) == 2 and np.all(np.diff(deg[2:]) < 0)         # peak at t = 10³


def test_perturbing_the_degenerate_point_removes_the_degeneracy() -> None:
    for shift, support in ((-0.1, [0]), (0.1, [0, 1])):
        X = XD.copy()
        X[1, 0] += shift                                    # outwards / inwards
        svm = hard_margin_svm(X, YD, fit_intercept=False)
        assert svm.support.tolist() == support
        assert svm.active.tolist() == support                # nothing on the margin with α = 0
        assert np.all(svm.alpha[support] > 0.05)
