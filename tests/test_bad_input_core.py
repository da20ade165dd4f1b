"""Bad input for the core modules (penalties, groups, mcp, model_penalties, optim): the
regression tests of issue 10's quoted cases, and property tests of the key numerical
functions (finite valid input → finite, right answer)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from normcourse import optim
from normcourse.groups import Groups, check_group_input, group_norms
from normcourse.mcp import MCP
from normcourse.model_penalties import EWC, L2SP, OnParameters
from normcourse.penalties import (
    L1,
    L2,
    ElasticNet,
    GroupL21,
    Units,
    group_soft_threshold,
    soft_threshold,
)

NAN = float("nan")


def _linear(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Linear(3, 2)


def _param() -> torch.nn.Parameter:
    p = torch.nn.Parameter(torch.ones(3, 2))
    p.grad = torch.ones(3, 2)
    return p


# ------------------------------------------------------------------ the quoted cases


@pytest.mark.parametrize("pen", [L1(0.5), L2(0.5), ElasticNet(0.5, 0.1), GroupL21(0.5, [[0, 1]])])
@pytest.mark.parametrize("bad", [NAN, math.inf, -math.inf])
def test_dual_norm_rejects_nan(pen, bad) -> None:
    """`penalties.L1(.5).dual_norm(np.array([np.nan, 1.]))` returned nan."""
    with pytest.raises(ValueError, match="z contains NaN or inf"):
        pen.dual_norm(np.array([bad, 1.0]))
    with pytest.raises(ValueError, match="z contains NaN or inf"):
        pen.dual_norm(torch.tensor([bad, 1.0]))


def test_anchored_penalties_check_torch_inputs() -> None:
    """`L2SP(...).value(torch.tensor([nan, 1, 2]))` returned nan: tensors are now checked
    like arrays, by value, grad and prox, for L2SP and EWC."""
    bad = torch.tensor([NAN, 1.0, 2.0])
    for pen in (L2SP(0.5, torch.zeros(3)), EWC(0.5, torch.zeros(3), torch.ones(3))):
        with pytest.raises(ValueError, match=r"params\[0\] contains NaN or inf"):
            pen.value(bad)
        with pytest.raises(ValueError, match=r"params\[0\] contains NaN or inf"):
            pen(bad)
        with pytest.raises(ValueError, match=r"params\[0\] contains NaN or inf"):
            pen.grad([bad])
        with pytest.raises(ValueError, match=r"w\[0\] contains NaN or inf"):
            pen.prox(bad, 0.1)
    # finite tensors still give the right, differentiable value
    t = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = L2SP(0.5, torch.zeros(3))(t)
    assert float(v.detach()) == pytest.approx(0.25 * 14.0)
    v.backward()
    assert torch.allclose(t.grad, 0.5 * t.detach())


def test_model_penalty_value_of_a_nan_model_raises() -> None:
    model = _linear()
    with torch.no_grad():
        model.weight[0, 0] = NAN
    for pen in (L2SP(0.5, _linear(1)), OnParameters(L2(0.1))):
        with pytest.raises(ValueError, match="non-finite penalty value"):
            pen.value(model)


def test_group_l21_value_names_theta() -> None:
    """`GroupL21.value` said "w" (or only "groups") for its argument `theta`."""
    with pytest.raises(ValueError, match="out of range for theta") as exc:
        GroupL21(1.0, groups=[[0, 5]]).value(np.ones(3))
    assert "groups has index 5" in str(exc.value)
    with pytest.raises(ValueError, match="theta must be 2-D"):
        GroupL21(1.0).value(np.ones(3))
    with pytest.raises(ValueError, match="theta has 3 rows"):
        GroupL21(1.0, weights=[1.0, 2.0]).value(np.ones((3, 2)))
    with pytest.raises(ValueError, match="theta"):
        GroupL21(1.0).group_norms(np.ones(3))
    # prox still names its own argument
    with pytest.raises(ValueError, match="out of range for w"):
        GroupL21(1.0, groups=[[0, 5]]).prox(np.ones(3), 0.1)


@pytest.mark.parametrize("bad", ["False", "True", 0, 1, None, "no"])
@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("decoupled", lambda v: optim.SGD([_param()], lr=0.1, decoupled=v)),
        ("nesterov", lambda v: optim.SGD([_param()], lr=0.1, momentum=0.9, nesterov=v)),
        ("nesterov", lambda v: optim.SGDW([_param()], lr=0.1, momentum=0.9, nesterov=v)),
        ("decoupled", lambda v: optim.Adam([_param()], decoupled=v)),
        ("amsgrad", lambda v: optim.Adam([_param()], amsgrad=v)),
        ("amsgrad", lambda v: optim.AdamW([_param()], amsgrad=v)),
        ("transpose", lambda v: optim.ProxSGD([_param()], lr=0.1, penalty=L1(0.1), transpose=v)),
        ("include_bias", lambda v: OnParameters(L2(0.1), include_bias=v)),
    ],
)
def test_string_flags_are_rejected(name, make, bad) -> None:
    """`SGD(params, lr=..., decoupled="False")` decoupled: a string flag is truthy."""
    with pytest.raises(ValueError, match=f"{name} must be True or False"):
        make(bad)


def test_string_flag_in_a_param_group_is_rejected() -> None:
    opt = optim.SGD([_param()], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="nesterov must be True or False"):
        opt.add_param_group({"params": [torch.nn.Parameter(torch.ones(2))], "nesterov": "False"})
    assert len(opt.param_groups) == 1  # the bad group was not kept


def test_real_flags_still_work() -> None:
    """decoupled=False and numpy bools keep their meaning (Scheme A == torch.optim.SGD)."""
    a, b = _param(), _param()
    optim.SGD([a], lr=0.1, momentum=0.9, weight_decay=0.1, decoupled=np.bool_(False)).step()
    torch.optim.SGD([b], lr=0.1, momentum=0.9, weight_decay=0.1).step()
    assert torch.equal(a, b)


# ------------------------------------------------------------------ other bad inputs found


@pytest.mark.parametrize("bad", [-1, 1.5, "3", None, True])
def test_units_n_units(bad) -> None:
    with pytest.raises(ValueError, match="n_units must be an integer ≥ 0"):
        Units("coordinates", bad)
    assert Units("rows", np.int64(3)).n_units == 3


def test_check_group_input_shapes_only() -> None:
    for bad in ("abc", None, [[1.0], [1.0, 2.0]]):
        with pytest.raises(ValueError, match="w must be a numeric array"):
            check_group_input(bad, None)
    check_group_input([[1.0, 2.0]], None)  # a nested list has a shape
    with pytest.raises(ValueError, match="grp must be a Groups"):
        check_group_input(np.ones(3), [[0, 1]])  # type: ignore[arg-type]


def test_empty_row_groups() -> None:
    """A (0, m) matrix has no rows, hence no groups: R = 0 and no norms (no reshape error)."""
    assert GroupL21(1.0).value(np.empty((0, 3))) == 0.0
    assert GroupL21(1.0).value(torch.empty(0, 3)) == 0.0
    assert GroupL21(1.0).group_norms(np.empty((0, 3))).shape == (0,)
    assert group_soft_threshold(np.empty((0, 3)), 0.1).shape == (0, 3)


def test_l2_dual_norm_of_extreme_entries() -> None:
    """‖z‖₂ of tiny or huge entries: no underflow to 0, no overflow to inf."""
    assert L2(1.0).dual_norm(np.array([3e-200, 4e-200])) == pytest.approx(5e-200)
    assert L2(1.0).dual_norm(np.array([3e200, 4e200])) == pytest.approx(5e200)
    assert L2(1.0).dual_norm(np.zeros(3)) == 0.0


def test_empty_anchor_is_rejected() -> None:
    with pytest.raises(ValueError, match="anchor must hold at least one number"):
        L2SP(0.5, np.empty(0))


# ------------------------------------------------------------------ property tests

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
vectors = st.lists(finite, min_size=1, max_size=8).map(np.array)
taus = st.floats(0.0, 1e3, allow_nan=False)
PROPS = settings(max_examples=50, deadline=None, derandomize=True)


@PROPS
@given(vectors, taus)
def test_soft_threshold_is_the_l1_prox(w, tau) -> None:
    """Optimality of u = S_τ(w): u_j = 0 iff |w_j| ≤ τ, else w_j − u_j = τ·sign(u_j); and
    the torch result equals the numpy one."""
    u = soft_threshold(w, tau)
    assert np.all(np.isfinite(u))
    zero = u == 0
    assert np.all(np.abs(w[zero]) <= tau + 1e-9 * (1 + np.abs(w[zero])))
    np.testing.assert_allclose(w[~zero] - u[~zero], tau * np.sign(u[~zero]), atol=1e-9 * (1 + tau))
    ut = soft_threshold(torch.as_tensor(w), tau).numpy()
    np.testing.assert_allclose(ut, u, rtol=1e-12, atol=1e-12)


@PROPS
@given(vectors, taus, st.floats(1e-3, 1e3))
def test_soft_threshold_scale_invariance(w, tau, c) -> None:
    """S_{cτ}(c·w) = c·S_τ(w) for c > 0."""
    np.testing.assert_allclose(soft_threshold(c * w, c * tau), c * soft_threshold(w, tau),
                               rtol=1e-9, atol=1e-9 * c * (1 + np.abs(w).max()))


@PROPS
@given(st.integers(1, 5), st.integers(1, 4), taus, st.integers(0, 2**31))
def test_group_soft_threshold_matches_direct(n, m, tau, seed) -> None:
    """Row groups: each row shrinks to max(0, ‖w_i‖ − τ) along its own direction."""
    W = np.random.default_rng(seed).standard_normal((n, m)) * 10
    out = group_soft_threshold(W, tau)
    for i in range(n):
        norm = np.linalg.norm(W[i])
        expect = W[i] * max(0.0, 1 - tau / norm) if norm > 0 else W[i]
        np.testing.assert_allclose(out[i], expect, rtol=1e-10, atol=1e-12)


@PROPS
@given(vectors, st.floats(0.0, 10.0), st.floats(0.0, 10.0), st.floats(0.0, 10.0))
def test_elastic_net_prox_optimality(w, lam1, lam2, step) -> None:
    """u = prox: 0 ∈ u − w + η(λ₁∂|u| + 2λ₂u), coordinate by coordinate."""
    u = ElasticNet(lam1, lam2).prox(w, step)
    r = w - u - 2 * step * lam2 * u  # must lie in ηλ₁∂|u|
    tol = 1e-9 * (1 + np.abs(w))
    nz = u != 0
    np.testing.assert_allclose(r[nz], step * lam1 * np.sign(u[nz]), atol=float(tol.max()))
    assert np.all(np.abs(r[~nz]) <= step * lam1 + tol[~nz])


@PROPS
@given(vectors, st.floats(0.0, 5.0), st.floats(1.01, 10.0), st.floats(0.0, 20.0))
def test_mcp_prox_beats_other_points(w, lam, gamma, step) -> None:
    """The MCP prox is a global minimiser of ½(u − w)² + η·ρ(u) per coordinate: no point of
    a grid (nor 0, nor w) does better."""
    pen = MCP(lam, gamma)
    u = pen.prox(w, step)
    assert np.all(np.isfinite(u))
    for j in range(w.size):
        def obj(v: float, j: int = j) -> float:
            return 0.5 * (v - w[j]) ** 2 + step * pen.value(np.array([v]))

        cands = np.concatenate([np.linspace(-abs(w[j]) - 1, abs(w[j]) + 1, 201), [0.0, w[j]]])
        best = min(obj(v) for v in cands)
        assert obj(u[j]) <= best + 1e-9 * (1 + abs(best))


@PROPS
@given(vectors, vectors)
def test_dual_norms_hoelder(z, theta) -> None:
    """‖z‖_∞ and ‖z‖₂ are the dual norms: |⟨z, θ⟩| ≤ dual(z)·norm(θ), with equality at a
    maximiser, and they equal the direct computation."""
    k = min(z.size, theta.size)
    z, theta = z[:k], theta[:k]
    assert L1(1.0).dual_norm(z) == pytest.approx(np.max(np.abs(z)))
    assert L2(1.0).dual_norm(z) == pytest.approx(np.linalg.norm(z))
    inner = abs(float(z @ theta))
    assert inner <= L1(1.0).dual_norm(z) * np.abs(theta).sum() * (1 + 1e-12) + 1e-300
    assert inner <= L2(1.0).dual_norm(z) * L2(1.0).dual_norm(theta) * (1 + 1e-12) + 1e-300


@PROPS
@given(st.one_of(st.just(0.0), st.floats(1e-300, 1e300)), st.floats(0.0, 1.0))
def test_elastic_net_sklearn_round_trip(alpha, l1_ratio) -> None:
    a, r = ElasticNet.from_sklearn(alpha, l1_ratio).to_sklearn()
    assert a == pytest.approx(alpha, rel=1e-12, abs=1e-300)
    if alpha > 0:
        assert r == pytest.approx(l1_ratio, rel=1e-9, abs=1e-12)


@PROPS
@given(vectors, st.floats(0.0, 10.0), st.floats(0.0, 10.0), st.integers(0, 2**31))
def test_l2sp_prox_optimality(w, lam, step, seed) -> None:
    """u = prox_{ηR}(w) for R = (λ/2)‖θ − θ⁰‖²: (u − w) + ηλ(u − θ⁰) = 0; the torch and
    numpy results agree."""
    anchor = np.random.default_rng(seed).standard_normal(w.size)
    pen = L2SP(lam, anchor)
    u = pen.prox(w, step)
    np.testing.assert_allclose((u - w) + step * lam * (u - anchor), 0.0,
                               atol=1e-9 * (1 + np.abs(w).max() + np.abs(anchor).max()))
    ut = pen.prox(torch.as_tensor(w), step).numpy()
    np.testing.assert_allclose(ut, u, rtol=1e-12, atol=1e-12)


@PROPS
@given(st.lists(st.integers(0, 40), min_size=1, max_size=12, unique=True), st.integers(1, 4))
def test_group_norms_match_direct(idx, n_groups) -> None:
    """Group norms of a valid grouping equal the norms computed group by group."""
    parts = [np.array(idx[k::n_groups]) for k in range(n_groups) if idx[k::n_groups]]
    grp = Groups(parts)
    w = np.random.default_rng(len(idx)).standard_normal(max(idx) + 1)
    expect = [np.linalg.norm(w[g]) for g in parts]
    np.testing.assert_allclose(group_norms(w, grp), expect, rtol=1e-12)
    np.testing.assert_allclose(GroupL21(1.0, parts).group_norms(w), expect, rtol=1e-12)
