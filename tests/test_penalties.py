"""Penalties: formulas, gradients, prox optimality conditions, numpy/torch parity, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from normcourse.penalties import (
    L1,
    L2,
    ElasticNet,
    GroupL21,
    NotDifferentiableError,
    Penalty,
    group_soft_threshold,
    soft_threshold,
)

ATOL = 1e-9

finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False)
lams = st.floats(0, 5, allow_nan=False)
steps = st.floats(1e-3, 5, allow_nan=False)
vectors = arrays(np.float64, st.integers(1, 12), elements=finite)
matrices = arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 4)), elements=finite)


# ----------------------------------------------------------------------------- values


def test_value_formulas() -> None:
    theta = np.array([3.0, -4.0])  # ‖θ‖₁ = 7, ‖θ‖₂² = 25
    assert L2(2.0).value(theta) == pytest.approx(25.0)  # (λ/2)‖θ‖²
    assert L1(2.0).value(theta) == pytest.approx(14.0)  # λ‖θ‖₁
    assert ElasticNet(1.0, 0.5).value(theta) == pytest.approx(7.0 + 12.5)  # λ₁‖θ‖₁ + λ₂‖θ‖²
    W = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 0.0]])  # row norms 5, 0, 1
    assert GroupL21(2.0).value(W) == pytest.approx(12.0)
    assert GroupL21(2.0, weights=[1.0, 7.0, 3.0]).value(W) == pytest.approx(2 * (5 + 3))
    v = np.array([3.0, 4.0, 1.0, 5.0])
    # groups {0,1} and {3}; index 2 is unpenalized
    assert GroupL21(1.0, groups=[[0, 1], [3]]).value(v) == pytest.approx(5.0 + 5.0)
    assert isinstance(L1(1.0).value(torch.tensor([1.0, -2.0])), float)


def test_elastic_net_sklearn_mapping() -> None:
    pen = ElasticNet(0.3, 0.2)
    alpha, rho = pen.to_sklearn()
    assert alpha == pytest.approx(0.3 + 2 * 0.2)
    assert rho == pytest.approx(0.3 / 0.7)
    back = ElasticNet.from_sklearn(alpha, rho)
    assert (back.lam1, back.lam2) == (pytest.approx(0.3), pytest.approx(0.2))
    # sklearn's penalty α·ρ‖θ‖₁ + α(1 − ρ)/2‖θ‖² is the same number as ours
    theta = np.array([1.5, -0.5, 2.0])
    sk = alpha * rho * np.abs(theta).sum() + alpha * (1 - rho) / 2 * (theta @ theta)
    assert pen.value(theta) == pytest.approx(sk)
    assert ElasticNet(0.0, 0.0).to_sklearn() == (0.0, 1.0)


# ------------------------------------------------------------------------- gradients


def test_l2_grad_matches_finite_differences() -> None:
    rng = np.random.default_rng(0)
    theta = rng.standard_normal(7)
    pen = L2(0.7)
    h = 1e-6
    fd = np.array(
        [(pen.value(theta + h * e) - pen.value(theta - h * e)) / (2 * h) for e in np.eye(7)]
    )
    np.testing.assert_allclose(pen.grad(theta), fd, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(pen.grad(theta), 0.7 * theta)


@pytest.mark.parametrize("pen", [L1(1.0), ElasticNet(1.0, 1.0), GroupL21(1.0)])
def test_nonsmooth_grad_raises_and_points_to_prox(pen: Penalty) -> None:
    assert not pen.smooth
    with pytest.raises(NotDifferentiableError, match="prox"):
        pen.grad(np.ones((2, 2)))
    # usable with either except clause
    with pytest.raises(ValueError):
        pen.grad(np.ones((2, 2)))
    with pytest.raises(NotImplementedError):
        pen.grad(np.ones((2, 2)))
    assert L2(1.0).smooth


# -------------------------------------------------------------- prox: optimality (KKT)


@settings(max_examples=60, deadline=None)
@given(w=vectors, lam=lams, step=steps)
def test_l1_prox_subgradient(w: np.ndarray, lam: float, step: float) -> None:
    u = L1(lam).prox(w, step)
    v = (w - u) / step  # must lie in λ∂‖u‖₁
    nz = u != 0
    np.testing.assert_allclose(v[nz], lam * np.sign(u[nz]), atol=ATOL)
    assert np.all(np.abs(v[~nz]) <= lam + ATOL)


@settings(max_examples=60, deadline=None)
@given(w=vectors, lam1=lams, lam2=lams, step=steps)
def test_elastic_net_prox_subgradient(w: np.ndarray, lam1: float, lam2: float, step: float) -> None:
    u = ElasticNet(lam1, lam2).prox(w, step)
    v = (w - u) / step - 2 * lam2 * u  # must lie in λ₁∂‖u‖₁
    nz = u != 0
    np.testing.assert_allclose(v[nz], lam1 * np.sign(u[nz]), atol=ATOL)
    assert np.all(np.abs(v[~nz]) <= lam1 + ATOL)


@settings(max_examples=60, deadline=None)
@given(w=vectors, lam=lams, step=steps)
def test_l2_prox_is_gradient_condition(w: np.ndarray, lam: float, step: float) -> None:
    u = L2(lam).prox(w, step)
    np.testing.assert_allclose((w - u) / step, lam * u, atol=ATOL)


def _check_group_kkt(w_g: np.ndarray, u_g: np.ndarray, tau: float) -> None:
    """(w_g − u_g) ∈ τ ∂‖u_g‖₂ with τ = η·λ·weight_g."""
    r = w_g - u_g
    nu = np.linalg.norm(u_g)
    if nu == 0:
        assert np.linalg.norm(r) <= tau + ATOL
    else:
        np.testing.assert_allclose(r, tau * u_g / nu, atol=ATOL)


@settings(max_examples=60, deadline=None)
@given(
    W=matrices,
    lam=lams,
    step=steps,
    wseed=st.integers(0, 2**16),
)
def test_group_rows_prox_subgradient(W: np.ndarray, lam: float, step: float, wseed: int) -> None:
    weights = np.random.default_rng(wseed).uniform(0.5, 2.0, W.shape[0])
    U = GroupL21(lam, weights=weights).prox(W, step)
    for i in range(W.shape[0]):
        _check_group_kkt(W[i], U[i], step * lam * weights[i])


@settings(max_examples=60, deadline=None)
@given(
    w=arrays(np.float64, 9, elements=finite),
    lam=lams,
    step=steps,
    perm_seed=st.integers(0, 2**16),
)
def test_index_groups_prox_subgradient(
    w: np.ndarray, lam: float, step: float, perm_seed: int
) -> None:
    perm = np.random.default_rng(perm_seed).permutation(9)
    groups = [perm[:2], perm[2:5], perm[5:8]]  # perm[8] is in no group
    weights = [math.sqrt(len(g)) for g in groups]  # Yuan & Lin
    u = GroupL21(lam, groups=groups, weights=weights).prox(w, step)
    for g, wt in zip(groups, weights, strict=True):
        _check_group_kkt(w[g], u[g], step * lam * wt)
    assert u[perm[8]] == w[perm[8]]  # unpenalized coordinate untouched


# ------------------------------------------------------------------- exact zeros


def test_soft_threshold_exact_zeros_and_shift() -> None:
    w = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.5])
    out = soft_threshold(w, 1.0)
    np.testing.assert_array_equal(out, [-2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.5])
    zeros = np.abs(w) <= 1.0
    assert np.all(out[zeros] == 0.0)
    assert not np.any(np.signbit(out[zeros]))  # +0.0, never -0.0
    # per-entry thresholds
    np.testing.assert_array_equal(soft_threshold(np.array([2.0, 2.0]), [1.0, 3.0]), [1.0, 0.0])


def test_group_l21_zeroes_whole_rows() -> None:
    W = np.array([[3.0, 4.0], [0.3, -0.4], [1.0, 0.0], [0.0, 0.0]])  # norms 5, 0.5, 1, 0
    U = GroupL21(1.0).prox(W, 0.6)  # τ = 0.6
    np.testing.assert_array_equal(U[1], [0.0, 0.0])
    np.testing.assert_array_equal(U[3], [0.0, 0.0])
    np.testing.assert_allclose(U[0], W[0] * (1 - 0.6 / 5))
    np.testing.assert_allclose(U[2], W[2] * (1 - 0.6))
    # boundary: ‖w_g‖ = τ exactly gives an exact zero row
    np.testing.assert_array_equal(group_soft_threshold(np.array([[3.0, 4.0]]), 5.0), [[0, 0]])


def test_group_soft_threshold_index_groups() -> None:
    w = np.array([3.0, 4.0, 0.1, 0.1, 7.0])
    out = group_soft_threshold(w, 1.0, groups=[[0, 1], [2, 3]])
    np.testing.assert_allclose(out, [3 * 0.8, 4 * 0.8, 0.0, 0.0, 7.0])


# ----------------------------------------------------------------------- numpy / torch


PENALTIES = [
    L2(0.7),
    L1(0.7),
    ElasticNet(0.5, 0.3),
    GroupL21(0.7),
    GroupL21(0.7, weights=[1.0, 2.0, 0.5, 1.0, 1.5]),
]


@pytest.mark.parametrize("pen", PENALTIES, ids=repr)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_numpy_and_torch_agree(pen: Penalty, dtype: torch.dtype) -> None:
    W = np.random.default_rng(3).standard_normal((5, 3))
    W[1] *= 0.05  # a row that the group prox zeroes
    t = torch.tensor(W, dtype=dtype)
    out_np = pen.prox(W, 0.8)
    out_t = pen.prox(t, 0.8)
    assert isinstance(out_np, np.ndarray)
    assert isinstance(out_t, torch.Tensor)
    assert out_t.dtype == dtype and out_t.device == t.device
    tol = 1e-6 if dtype == torch.float32 else 1e-12
    np.testing.assert_allclose(out_t.numpy(), out_np, atol=tol)
    assert pen.value(t) == pytest.approx(pen.value(W), rel=1e-6)
    np.testing.assert_array_equal(out_t.numpy() == 0, out_np == 0)


def test_torch_soft_threshold_and_l2_grad() -> None:
    t = torch.tensor([-2.0, 0.5, 3.0], dtype=torch.float64)
    out = soft_threshold(t, 1.0)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    np.testing.assert_array_equal(out.numpy(), [-1.0, 0.0, 2.0])
    g = L2(0.5).grad(torch.ones(3, dtype=torch.float32))
    assert isinstance(g, torch.Tensor) and g.dtype == torch.float32
    np.testing.assert_allclose(g.numpy(), 0.5)
    idx = [[0, 1], [2]]
    gt = group_soft_threshold(torch.tensor([3.0, 4.0, 0.5]), 1.0, groups=idx)
    np.testing.assert_allclose(gt.numpy(), [2.4, 3.2, 0.0], rtol=1e-6)


# ------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf"), "a"])
def test_bad_lambda(bad: object) -> None:
    with pytest.raises(ValueError, match="lam"):
        L2(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lam"):
        L1(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lam1"):
        ElasticNet(bad, 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lam2"):
        ElasticNet(1.0, bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lam"):
        GroupL21(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("pen", PENALTIES, ids=repr)
def test_bad_step_and_w(pen: Penalty) -> None:
    W = np.ones((5, 2))
    with pytest.raises(ValueError, match="step"):
        pen.prox(W, -0.1)
    with pytest.raises(ValueError, match="step"):
        pen.prox(W, float("nan"))
    for bad in (np.nan, np.inf):
        Wb = W.copy()
        Wb[0, 0] = bad
        with pytest.raises(ValueError, match="w contains NaN or inf"):
            pen.prox(Wb, 0.1)
        with pytest.raises(ValueError, match="theta"):
            pen.value(Wb)
        with pytest.raises(ValueError, match="w"):
            pen.prox(torch.tensor(Wb), 0.1)


def test_bad_soft_threshold_input() -> None:
    with pytest.raises(ValueError, match="tau"):
        soft_threshold(np.ones(3), -1.0)
    with pytest.raises(ValueError, match="tau"):
        soft_threshold(np.ones(3), [1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="w"):
        soft_threshold(np.array([1.0, np.nan]), 1.0)
    with pytest.raises(ValueError, match="tau"):
        group_soft_threshold(np.ones((2, 2)), float("nan"))


def test_bad_groups() -> None:
    with pytest.raises(ValueError, match=r"w must be 2-D"):
        GroupL21(1.0).prox(np.ones(4), 0.1)  # row groups need a matrix
    with pytest.raises(ValueError, match=r"w must be 2-D"):
        group_soft_threshold(np.ones(4), 0.1)
    with pytest.raises(ValueError, match=r"groups\[1\]"):
        GroupL21(1.0, groups=[[0, 1], []])  # empty group
    with pytest.raises(ValueError, match="groups overlap"):
        GroupL21(1.0, groups=[[0, 1], [1, 2]])
    with pytest.raises(ValueError, match=r"groups\[0\]"):
        GroupL21(1.0, groups=[[-1, 0]])
    with pytest.raises(ValueError, match="groups"):
        GroupL21(1.0, groups=[])
    with pytest.raises(ValueError, match="groups has index 5"):
        GroupL21(1.0, groups=[[0, 5]]).prox(np.ones(3), 0.1)
    with pytest.raises(ValueError, match=r"groups\[0\]"):
        GroupL21(1.0, groups=[[0.5, 1.0]])
    with pytest.raises(ValueError, match="weights"):
        GroupL21(1.0, groups=[[0], [1]], weights=[1.0])
    with pytest.raises(ValueError, match="weights"):
        GroupL21(1.0, weights=[1.0, 0.0])
    with pytest.raises(ValueError, match="weights"):
        GroupL21(1.0, weights=[1.0, 2.0]).prox(np.ones((3, 2)), 0.1)


def test_bad_sklearn_mapping() -> None:
    with pytest.raises(ValueError, match="l1_ratio"):
        ElasticNet.from_sklearn(1.0, 1.5)
    with pytest.raises(ValueError, match="alpha"):
        ElasticNet.from_sklearn(-1.0, 0.5)
