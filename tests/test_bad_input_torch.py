"""Bad input for the torch modules (robustness, gan, continual): the quoted cases of issue 10.

One regression test per quoted case — each failed before its fix — and Hypothesis properties
of the key numerical functions: power iteration is scale-invariant and never stuck below σ₁,
the Lipschitz bound is the product of the spectral norms and bounds the Jacobian, and the path
norm is invariant under rescaling.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from normcourse import continual, gan, robustness

PROPS = settings(max_examples=50, deadline=None, derandomize=True)


def _model(sizes: tuple[int, ...] = (3, 6, 3), seed: int = 0) -> torch.nn.Sequential:
    return robustness.mlp(list(sizes), seed=seed).eval()


def _data(n: int = 12, d: int = 3, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, d)), rng.integers(0, k, n)


def _nan_model() -> torch.nn.Sequential:
    m = _model()
    with torch.no_grad():
        m[2].weight[1, 3] = math.nan
    return m


# ----------------------------------------------------------------------------- NaN model weights


def test_nan_weights_are_rejected_naming_the_model() -> None:
    # Before: certified_accuracy returned 0.0 and robust_accuracy 0.3 for a NaN model.
    x, y = _data()
    m = _nan_model()
    with pytest.raises(ValueError, match=r"model has a NaN or inf in its parameter '2.weight'"):
        robustness.certified_accuracy(m, x, y, eps=0.1)
    with pytest.raises(ValueError, match="model has a NaN"):
        robustness.certified_accuracy(m, x, y, eps=0.1, lipschitz=1.0)
    with pytest.raises(ValueError, match="model has a NaN"):
        robustness.robust_accuracy(m, x, y, eps=0.1, steps=3)
    for call in (
        lambda: robustness.pgd_attack(m, x, y, eps=0.1, steps=3),
        lambda: robustness.certified_radius(m, x),
        lambda: robustness.lipschitz_upper_bound(m),
        lambda: robustness.jacobian_norms(m, x),
        lambda: robustness.path_norm(m),
        lambda: robustness.l2_norm(m),
        lambda: robustness.spectral_penalty(m, 0.1),
        lambda: robustness.train_classifier(m, x, y, steps=2),
        lambda: continual.accuracy(m, x, y),
        lambda: continual.fisher_diagonal(m, (x, y)),
        lambda: gan.spectral_normalize(m),
    ):
        with pytest.raises(ValueError, match="model has a NaN"):
            call()


def test_training_that_diverges_raises_instead_of_returning_nan() -> None:
    x, y = _data()
    with pytest.raises(ValueError, match=r"diverged.*lr"):
        robustness.train_classifier(_model(), x * 1e30, y, steps=3, lr=1e30)


# ----------------------------------------------------------------------------- labels out of range


def test_labels_out_of_range_are_rejected_naming_y() -> None:
    # Before: accepted by certified_accuracy and pgd_attack; IndexError in training.
    x, y = _data()
    bad = y.copy()
    bad[0] = 8
    m = _model()
    with pytest.raises(ValueError, match=r"y must hold class labels in 0 … 2.*got 8"):
        robustness.certified_accuracy(m, x, bad, eps=0.1)
    with pytest.raises(ValueError, match=r"y must hold class labels in 0 … 2.*got 8"):
        robustness.pgd_attack(m, x, bad, eps=0.1, steps=3)
    with pytest.raises(ValueError, match=r"y must hold class labels in 0 … 2.*got 8"):
        robustness.train_classifier(m, x, bad, steps=2)
    bad[0] = -1
    with pytest.raises(ValueError, match=r"y must hold class labels.*got -1"):
        robustness.robust_accuracy(m, x, bad, eps=0.1, steps=3)
    with pytest.raises(ValueError, match=r"y must hold class labels.*got -1"):
        continual.accuracy(m, x, bad)


# ----------------------------------------------------------------------------- power iteration


@pytest.mark.parametrize("scale", [1e160, 1e-160, 1e300, 1e-300])
def test_power_iteration_is_scale_invariant(scale: float) -> None:
    # Before: power_iteration(np.diag([1e160, 1.])) was nan.
    assert robustness.power_iteration(np.diag([1e160, 1.0])) == pytest.approx(1e160, rel=1e-12)
    W = np.random.default_rng(1).standard_normal((5, 4))
    ref = np.linalg.norm(W, 2)
    assert robustness.power_iteration(W * scale) == pytest.approx(ref * scale, rel=1e-8)
    t = torch.tensor(W * scale, requires_grad=True)
    sigma = robustness.power_iteration(t)
    sigma.backward()
    assert float(sigma.detach()) == pytest.approx(ref * scale, rel=1e-8)
    assert torch.isfinite(t.grad).all()
    f32 = torch.tensor(np.diag([3e30, 1.0]), dtype=torch.float32)
    assert float(robustness.power_iteration(f32)) == pytest.approx(3e30, rel=1e-6)


def test_power_iteration_recovers_from_an_orthogonal_start() -> None:
    # Before: from u0 ⟂ the top singular vector, σ = 1.0 for diag(3, 1, .5).
    W = np.diag([3.0, 1.0, 0.5])
    assert robustness.power_iteration(W, u0=np.array([0.0, 1.0, 0.0])) == pytest.approx(3.0)
    s, _, v = robustness.power_iteration(W, u0=[0.0, 0.0, 1.0], return_vectors=True)
    assert s == pytest.approx(3.0)
    assert abs(v[0]) == pytest.approx(1.0)
    # the fixed-step tracking mode (tol=0) uses the start vector as given
    assert robustness.power_iteration(W, n_iter=5, tol=0.0, u0=[0.0, 1.0, 0.0]) == 1.0


# ----------------------------------------------------------------------------- Lipschitz bound


@pytest.mark.parametrize("kwargs", [{"tol": 1e308}, {"tol": 1e-2}, {"n_iter": 1},
                                    {"n_iter": 1, "tol": 0.0}])
def test_lipschitz_bound_stays_above_the_true_product(kwargs: dict[str, float]) -> None:
    # Before: tol=1e308 stopped power iteration at once and returned a "bound" below the truth.
    m = _model((3, 8, 8, 2))
    true = math.prod(float(torch.linalg.matrix_norm(layer.weight.detach().double(), ord=2))
                     for layer in m if isinstance(layer, torch.nn.Linear))
    bound = robustness.lipschitz_upper_bound(m, **kwargs)
    assert true * (1 - 1e-12) <= bound <= true * (1 + 1e-12)


def test_lipschitz_bound_that_overflows_is_an_error() -> None:
    m = _model((3, 6, 3)).double()
    with torch.no_grad():
        m[0].weight.mul_(1e180)
        m[2].weight.mul_(1e180)
    with pytest.raises(ValueError, match="overflows float64"):
        robustness.lipschitz_upper_bound(m)


# ----------------------------------------------------------------------------- input width


def test_input_width_is_checked_against_the_first_layer() -> None:
    # Before: "mat1 and mat2 shapes cannot be multiplied" from deep inside the model.
    m = _model((2, 6, 3))
    with pytest.raises(ValueError, match=r"x must have shape \(n, 2\).*got \(10, 3\)"):
        robustness.certified_radius(m, np.ones((10, 3)))
    with pytest.raises(ValueError, match=r"x must have shape \(n, 2\)"):
        robustness.pgd_attack(m, np.ones((10, 3)), np.zeros(10, dtype=int), eps=0.1)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        robustness.train_classifier(m, np.ones((10, 2, 1)), np.zeros(10, dtype=int), steps=1)
    with pytest.raises(ValueError, match=r"x has entries too large"):
        robustness.jacobian_norms(m, np.full((4, 2), 1e200))


# ----------------------------------------------------------------------------- callbacks, seeds


def test_a_callback_that_is_not_callable_is_named() -> None:
    # Before (the issue): "'str' object is not callable" for a bad callback.
    x, y = _data()
    with pytest.raises(ValueError, match="callback must be None or a callable, got 'f'"):
        robustness.train_classifier(_model(), x, y, steps=2, callback="f")
    seen: list[int] = []
    robustness.train_classifier(_model(), x, y, steps=2, callback=lambda k, m: seen.append(k))
    assert seen == [1, 2]


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True, None, 2**70])
def test_every_seed_uses_the_shared_seed_check(seed: object) -> None:
    # Before: seeds were checked only by numpy (a negative seed reached torch.manual_seed).
    x, y = _data()
    m = _model()
    calls = [
        lambda: robustness.mlp([3, 4, 2], seed=seed),
        lambda: robustness.pgd_attack(m, x, y, eps=0.1, steps=2, seed=seed),
        lambda: robustness.robust_accuracy(m, x, y, eps=0.1, steps=2, seed=seed),
        lambda: robustness.train_classifier(_model(), x, y, steps=1, seed=seed),
        lambda: gan.train_gan("none", seed=seed, steps=1, batch_size=4, width=4, z_dim=2,
                              n_samples=4),
        lambda: continual.run_sequence("finetune", [], seed=seed),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="seed must be an integer"):
            call()
    assert robustness.mlp([3, 4, 2], seed=np.int64(3))[0].weight.shape == (4, 3)


# ----------------------------------------------------------------------------- properties


@PROPS
@given(seed=st.integers(0, 10_000), exponent=st.integers(-300, 300),
       m=st.integers(1, 6), n=st.integers(1, 6))
def test_property_power_iteration_scale_invariance(seed: int, exponent: int, m: int,
                                                   n: int) -> None:
    W = np.random.default_rng(seed).standard_normal((m, n))
    ref = float(np.linalg.norm(W, 2))
    c = 10.0**exponent
    sigma = robustness.power_iteration(W * c, n_iter=20_000, tol=1e-13)
    assert math.isfinite(sigma)
    assert sigma == pytest.approx(ref * c, rel=1e-6)
    assert sigma <= ref * c * (1 + 1e-9)  # approaches σ₁ from below


@PROPS
@given(seed=st.integers(0, 10_000), n=st.integers(2, 6), top=st.integers(0, 5))
def test_property_power_iteration_from_any_start_finds_the_top(seed: int, n: int,
                                                               top: int) -> None:
    rng = np.random.default_rng(seed)
    s = np.sort(rng.uniform(0.1, 2.0, n))[::-1]
    s[0] *= 1.5  # a clear gap, so the test tolerance is not about convergence speed
    Q1, _ = np.linalg.qr(rng.standard_normal((n, n)))
    Q2, _ = np.linalg.qr(rng.standard_normal((n, n)))
    W = Q1 @ np.diag(s) @ Q2.T
    u0 = Q2[:, 1 + top % (n - 1)]  # a start orthogonal to the top right singular vector
    assert robustness.power_iteration(W, u0=u0) == pytest.approx(s[0], rel=1e-6)


@PROPS
@given(seed=st.integers(0, 10_000), width=st.integers(2, 8))
def test_property_lipschitz_bound_is_the_product_and_bounds_the_jacobian(seed: int,
                                                                          width: int) -> None:
    m = robustness.mlp([3, width, width, 2], seed=seed).double().eval()
    prod = math.prod(float(torch.linalg.matrix_norm(layer.weight.detach(), ord=2))
                     for layer in m if isinstance(layer, torch.nn.Linear))
    bound = robustness.lipschitz_upper_bound(m)
    assert bound == pytest.approx(prod, rel=1e-8)
    x = np.random.default_rng(seed).standard_normal((10, 3))
    assert float(robustness.jacobian_norms(m, x).max()) <= bound * (1 + 1e-9)
    r = robustness.certified_radius(m, x)
    assert torch.isfinite(r).all() and bool((r >= 0).all())


@PROPS
@given(seed=st.integers(0, 10_000), unit=st.integers(0, 5), log_alpha=st.floats(-6, 6))
def test_property_path_norm_is_invariant_under_rescaling(seed: int, unit: int,
                                                         log_alpha: float) -> None:
    m = robustness.mlp([3, 6, 2], seed=seed).double()
    out = robustness.rescale(m, 0, unit, math.exp(log_alpha))
    assert robustness.path_norm(out) == pytest.approx(robustness.path_norm(m), rel=1e-10)
    x = torch.randn(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    torch.testing.assert_close(out(x), m(x), rtol=1e-9, atol=1e-12)
    balanced = robustness.balance(m)
    a, c = robustness.unit_norms(balanced, 0)
    np.testing.assert_allclose(a, c, rtol=1e-9, atol=1e-15)
