"""Claims made by book/principles/path-norms.md, pinned on the library.

The basic facts — ``path_norm`` equals the brute-force sum over paths, ``rescale`` keeps the
function and the path norm but not ‖θ‖₂ — are tested in tests/test_robustness.py
(``test_path_norm_equals_brute_force``, ``test_rescale_keeps_function_and_path_norm_not_l2``,
``test_rescale_invariance_property``, ``test_l2_norm_value``). This file pins the page's own
statements on its seeded examples (the tiny 2-3-1 network, the 2-16-1 network, the 2-16-2
networks trained with and without weight decay, and with the path-norm penalty) and
unit-tests the helpers added for the page: ``unit_norms``, ``unit_imbalance``, ``balance``,
``rescale_layer``, ``gd_imbalance_trace`` and the figures.
"""

from __future__ import annotations

import itertools
import math

import matplotlib
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from normcourse import datasets, plotting
from normcourse.optim import SGD
from normcourse.plotting.robustness import imbalance_plot, norm_comparison_plot
from normcourse.robustness import (
    PathNormPenalty,
    balance,
    gd_imbalance_trace,
    l2_norm,
    mlp,
    path_norm,
    rescale,
    rescale_layer,
    train_classifier,
    unit_imbalance,
    unit_norms,
)

matplotlib.use("Agg")


def _inputs(d: int = 2, n: int = 1000, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _path_weights(net: nn.Sequential, out: int = 0) -> torch.Tensor:
    """P[j, i] = v_{out, j} · w_{j, i}, last column i = bias (one hidden layer)."""
    W1, b1, W2 = (p.detach().double() for p in (net[0].weight, net[0].bias, net[-1].weight))
    return W2[out][:, None] * torch.column_stack([W1, b1])


def _squared_forward(net: nn.Sequential, include_bias: bool = True) -> float:
    """The page's forward pass: z⁰ = 1, z^l = (W_l ⊙ W_l) z^{l−1} + b_l ⊙ b_l, φ₂² = Σ z^D."""
    z = None
    for layer in net:
        if isinstance(layer, nn.Linear):
            W = layer.weight.detach().double()
            z = (W**2) @ (torch.ones(W.shape[1], dtype=torch.float64) if z is None else z)
            if include_bias:
                z = z + layer.bias.detach().double() ** 2
    return math.sqrt(float(z.sum()))


# ----------------------------------------------------------------------------- the tiny network


def test_tiny_network_rescaling_keeps_function_and_path_weights() -> None:
    net = mlp([2, 3, 1], seed=3).double()
    net_r = rescale(net, layer=0, unit=0, alpha=0.25)
    x = _inputs()
    with torch.no_grad():
        assert (net(x) - net_r(x)).abs().max().item() < 1e-14
    torch.testing.assert_close(net_r[0].weight[0], 0.25 * net[0].weight[0])
    torch.testing.assert_close(net_r[2].weight[:, 0], 4.0 * net[2].weight[:, 0])
    torch.testing.assert_close(_path_weights(net_r), _path_weights(net), rtol=1e-12, atol=0)
    assert path_norm(net_r) == pytest.approx(path_norm(net), rel=1e-12)


def test_l2_along_the_orbit_is_the_stated_valley() -> None:
    net = mlp([2, 3, 1], seed=3).double()
    a, c = unit_norms(net, 0)
    a1, c1 = float(a[0]), float(c[0])
    base = l2_norm(net) ** 2
    alphas = np.logspace(-1, 1, 161)
    l2 = np.array([l2_norm(rescale(net, 0, 0, al)) for al in alphas])
    pn = np.array([path_norm(rescale(net, 0, 0, al)) for al in alphas])
    # ‖θ(α)‖² = ‖θ‖² − a² − c² + α²a² + c²/α² = rest + 2ac·cosh(2 log α − log(c/a))
    closed = base - a1**2 - c1**2 + alphas**2 * a1**2 + c1**2 / alphas**2
    np.testing.assert_allclose(l2**2, closed, rtol=1e-12)
    cosh_form = base - a1**2 - c1**2 + 2 * a1 * c1 * np.cosh(2 * np.log(alphas) - np.log(c1 / a1))
    np.testing.assert_allclose(l2**2, cosh_form, rtol=1e-12)
    alpha_star = math.sqrt(c1 / a1)
    assert abs(alphas[np.argmin(l2)] / alpha_star - 1) < 0.03
    at_star = l2_norm(rescale(net, 0, 0, alpha_star)) ** 2
    assert at_star == pytest.approx(base - a1**2 - c1**2 + 2 * a1 * c1, rel=1e-12)
    assert np.all(l2**2 >= at_star - 1e-12)
    assert np.ptp(pn) < 1e-12 * pn[0] and l2.max() > 5 * l2.min()


@pytest.mark.parametrize("sizes", [[2, 3, 1], [3, 5, 4, 2], [4, 6, 6, 6, 3]])
@pytest.mark.parametrize("include_bias", [True, False])
def test_forward_pass_with_squared_weights_is_the_path_norm(sizes, include_bias) -> None:
    net = mlp(sizes, seed=len(sizes))
    got = path_norm(net, include_bias=include_bias)
    assert _squared_forward(net, include_bias) == pytest.approx(got, rel=1e-12)
    if len(sizes) == 3:  # one hidden layer: the explicit list of path weights of the page
        total = sum(float((_path_weights(net, o)[:, : None if include_bias else -1] ** 2).sum())
                    for o in range(sizes[-1]))
        if include_bias:
            total += float((net[2].bias.detach().double() ** 2).sum())
        assert math.sqrt(total) == pytest.approx(got, rel=1e-12)


# ----------------------------------------------------------------------------- balancing


def test_page_wide_network_balance_numbers() -> None:
    wide = mlp([2, 16, 1], seed=0).double()
    bal = balance(wide)
    a, c = unit_norms(wide, 0)
    s = a * c
    b_out2 = float((wide[2].bias.detach() ** 2).sum())
    assert l2_norm(wide) ** 2 == pytest.approx(8.2959, abs=1e-4)  # the printed numbers
    assert l2_norm(bal) ** 2 == pytest.approx(2.7389, abs=1e-4)
    assert l2_norm(bal) ** 2 == pytest.approx(2 * s.sum() + b_out2, rel=1e-12)
    gap = (l2_norm(bal) ** 2 - b_out2) / math.sqrt(path_norm(wide) ** 2 - b_out2)
    assert 2 <= gap <= 8 and gap == pytest.approx(2 * s.sum() / np.linalg.norm(s), rel=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("sizes, act", [([2, 16, 1], nn.ReLU), ([4, 7, 3], nn.ReLU),
                                        ([3, 5, 2], nn.LeakyReLU)])
def test_balance_keeps_function_balances_units_and_attains_minimum(seed, sizes, act) -> None:
    net = mlp(sizes, activation=act, seed=seed).double()
    bal = balance(net)
    x = _inputs(sizes[0], 200, seed)
    with torch.no_grad():
        torch.testing.assert_close(bal(x), net(x), rtol=1e-12, atol=1e-13)
    a, c = unit_norms(net, 0)
    a_b, c_b = unit_norms(bal, 0)
    np.testing.assert_allclose(a_b, c_b, rtol=1e-12)
    np.testing.assert_allclose(a_b * c_b, a * c, rtol=1e-12)  # s_j is invariant
    b_out2 = float((net[2].bias.detach() ** 2).sum())
    assert l2_norm(bal) ** 2 == pytest.approx(2 * float((a * c).sum()) + b_out2, rel=1e-12)
    assert l2_norm(bal) <= l2_norm(net)
    assert path_norm(bal) == pytest.approx(path_norm(net), rel=1e-12)
    assert path_norm(net) ** 2 == pytest.approx(float((a * c) ** 2 @ np.ones(len(a))) + b_out2,
                                                rel=1e-12)
    again = balance(bal)  # idempotent
    for p, q in zip(again.parameters(), bal.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-12, atol=0)
    # the original is untouched
    a0, _ = unit_norms(net, 0)
    np.testing.assert_array_equal(a0, a)


@settings(max_examples=40, deadline=None)
@given(log_alphas=st.lists(st.floats(-3, 3), min_size=6, max_size=6))
def test_no_rescaling_has_smaller_norm_than_balance(log_alphas) -> None:
    net = mlp([3, 6, 2], seed=4).double()
    bal = balance(net)
    other = net
    for j, la in enumerate(log_alphas):
        other = rescale(other, 0, j, math.exp(la))
    assert l2_norm(other) ** 2 >= l2_norm(bal) ** 2 * (1 - 1e-12)
    # balancing any point of the orbit lands on the same balanced network
    for p, q in zip(balance(other).parameters(), bal.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-9, atol=1e-12)


def test_balance_zeroes_dead_units_and_attains_the_infimum() -> None:
    net = mlp([3, 4, 2], seed=1).double()
    with torch.no_grad():
        net[0].weight[1].zero_()
        net[0].bias[1] = 0.0  # unit 2 receives nothing: ReLU(0) = 0
        net[2].weight[:, 3].zero_()  # unit 4 sends nothing
    bal = balance(net)
    x = _inputs(3, 100)
    with torch.no_grad():
        torch.testing.assert_close(bal(x), net(x), rtol=1e-12, atol=1e-13)
    a_b, c_b = unit_norms(bal, 0)
    assert a_b[1] == c_b[1] == a_b[3] == c_b[3] == 0.0
    a, c = unit_norms(net, 0)
    b_out2 = float((net[2].bias.detach() ** 2).sum())
    target = 2 * float((a * c).sum()) + b_out2
    assert l2_norm(bal) ** 2 == pytest.approx(target, rel=1e-12)
    # without zeroing, the infimum is only approached: balance the live units (0 and 2) by
    # rescaling, then push the dead ones (1: a = 0, 3: c = 0) towards α → ∞ resp. α → 0
    live = rescale(rescale(net, 0, 0, math.sqrt(c[0] / a[0])), 0, 2, math.sqrt(c[2] / a[2]))
    values = [l2_norm(rescale(rescale(live, 0, 1, t), 0, 3, 1 / t)) ** 2
              for t in (1.0, 10.0, 100.0, 1000.0)]
    assert all(v > target for v in values)
    assert all(v1 < v0 for v0, v1 in itertools.pairwise(values))
    assert values[-1] == pytest.approx(target, abs=1e-5)


def test_sandwich_between_balanced_norm_and_path_norm_with_equality_cases() -> None:
    def ratio(net: nn.Sequential) -> float:
        b_out2 = float((net[-1].bias.detach().double() ** 2).sum())
        num = l2_norm(balance(net)) ** 2 - b_out2
        return num / math.sqrt(path_norm(net) ** 2 - b_out2)

    h = 8
    for seed in range(5):
        r = ratio(mlp([3, h, 2], seed=seed).double())
        assert 2 - 1e-12 <= r <= 2 * math.sqrt(h) + 1e-12
    one = mlp([3, h, 2], seed=0).double()  # a single live unit: equality on the left
    with torch.no_grad():
        one[0].weight[1:].zero_()
        one[0].bias[1:].zero_()
    assert ratio(one) == pytest.approx(2.0, rel=1e-12)
    equal = mlp([3, h, 1], seed=0).double()  # equal strengths s_j: equality on the right
    with torch.no_grad():
        equal[0].weight.copy_(torch.eye(h, 3, dtype=torch.float64) + 1.0)
        equal[0].bias.fill_(0.5)
        a, _ = unit_norms(equal, 0)
        equal[2].weight.copy_(torch.as_tensor(1.0 / a)[None, :] * torch.tensor([[1.0] * h]))
    assert ratio(equal) == pytest.approx(2 * math.sqrt(h), rel=1e-12)


# ----------------------------------------------------------------------------- weight decay


def _data() -> tuple[torch.Tensor, torch.Tensor]:
    data = datasets.two_moons(200, noise=0.1, seed=0)
    return torch.tensor(data.X), torch.tensor(data.y)


def test_euler_identity_and_one_step_imbalance_recursion() -> None:
    X, y = _data()
    lr, lam = 0.2, 0.01
    net = mlp([2, 16, 2], seed=0).double()
    nn.functional.cross_entropy(net(X), y).backward()
    W, b, V = net[0].weight, net[0].bias, net[2].weight
    g_in2 = (W.grad**2).sum(1) + b.grad**2
    g_out2 = (V.grad**2).sum(0)
    euler_in = (W * W.grad).sum(1) + b * b.grad
    euler_out = (V * V.grad).sum(0)
    torch.testing.assert_close(euler_in, euler_out, rtol=1e-9, atol=1e-15)
    a, c = unit_norms(net, 0)
    before = a**2 - c**2
    SGD(net.parameters(), lr=lr, weight_decay=lam).step()  # uses the gradients above
    a, c = unit_norms(net, 0)
    after = a**2 - c**2
    predicted = (1 - lr * lam) ** 2 * before + lr**2 * (g_in2 - g_out2).detach().numpy()
    np.testing.assert_allclose(after, predicted, rtol=1e-9, atol=1e-14)


def _hand_imbalance(net: nn.Sequential) -> np.ndarray:
    """Δ_j = ‖(w_j, b_j)‖² − ‖v_j‖², computed directly from the tensors."""
    W, b, V = (p.detach() for p in (net[0].weight, net[0].bias, net[2].weight))
    return ((W**2).sum(1) + b**2 - (V**2).sum(0)).numpy()


def _hand_gd(net: nn.Sequential, X, y, steps: int, lr: float, lam: float = 0.0,
             path_lam: float = 0.0) -> None:
    """Full-batch θ ← (1 − ηλ)θ − η ∇(CE + path_lam · φ₂), written out with torch.autograd."""
    params = list(net.parameters())
    for _ in range(steps):
        loss = nn.functional.cross_entropy(net(X), y)
        if path_lam:
            W1, b1, W2, b2 = params
            z = (W2**2) @ ((W1**2) @ torch.ones(W1.shape[1], dtype=W1.dtype) + b1**2) + b2**2
            loss = loss + path_lam * z.sum().sqrt()
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads, strict=True):
                p.mul_(1 - lr * lam).sub_(lr * g)


@pytest.mark.parametrize("lam, path_lam", [(0.0, 0.0), (0.01, 0.0), (0.0, 0.01)])
def test_gd_imbalance_trace_is_hand_written_gradient_descent(lam, path_lam) -> None:
    X, y = _data()
    net = mlp([2, 16, 2], seed=0).double()
    ref = mlp([2, 16, 2], seed=0).double()
    pen = PathNormPenalty(path_lam) if path_lam else None
    trace = gd_imbalance_trace(net, X, y, steps=40, lr=0.2, weight_decay=lam, penalty=pen,
                               every=20)
    rows = [_hand_imbalance(ref)]
    for _ in range(2):
        _hand_gd(ref, X, y, 20, 0.2, lam, path_lam)
        rows.append(_hand_imbalance(ref))
    assert trace.shape == (3, 16)
    np.testing.assert_allclose(trace, np.array(rows), rtol=1e-9, atol=1e-12)
    for p, q in zip(net.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-9, atol=1e-12)


def test_one_gd_step_changes_the_imbalance_by_exactly_eta_squared_terms() -> None:
    """Without weight decay: Δ^{k+1} − Δ^k = η²(‖g_in‖² − ‖g_out‖²), so halving η quarters it;
    the same holds with the rescaling-invariant path-norm penalty (Euler's identity)."""
    X, y = _data()
    for pen in (None, PathNormPenalty(0.05)):
        base = mlp([2, 16, 2], seed=0).double()
        loss = nn.functional.cross_entropy(base(X), y) + (pen(base) if pen else 0.0)
        W, b, V = base[0].weight, base[0].bias, base[2].weight
        gW, gb, gV = torch.autograd.grad(loss, [W, b, V])
        euler_in = ((W * gW).sum(1) + b * gb).detach().numpy()
        np.testing.assert_allclose(euler_in, (V * gV).sum(0).detach().numpy(), rtol=1e-9,
                                   atol=1e-15)  # the first-order terms cancel
        expected = ((gW**2).sum(1) + gb**2 - (gV**2).sum(0)).detach().numpy()
        changes = []
        for eta in (0.4, 0.2, 0.1, 0.05):
            net = mlp([2, 16, 2], seed=0).double()
            before = _hand_imbalance(net)
            _hand_gd(net, X, y, 1, eta, path_lam=pen.lam if pen else 0.0)
            changes.append(_hand_imbalance(net) - before)
            np.testing.assert_allclose(changes[-1], eta**2 * expected, rtol=1e-6, atol=1e-15)
        top = [np.abs(c).max() for c in changes]
        assert all(3.99 < t0 / t1 < 4.01 for t0, t1 in itertools.pairwise(top))


def test_drift_over_a_fixed_training_time_halves_with_eta() -> None:
    """The page's demonstration: t = kη = 20, no weight decay; drift = O(η t)."""
    X, y = _data()
    drift = []
    for eta in (0.4, 0.2, 0.1, 0.05):
        net = mlp([2, 16, 2], seed=0).double()
        before = _hand_imbalance(net)
        _hand_gd(net, X, y, round(20 / eta), eta)
        drift.append(np.abs(_hand_imbalance(net) - before).max())
    d = np.array(drift)
    assert np.all(np.diff(d) < 0)  # smaller step, smaller drift
    ratios = d[:-1] / d[1:]
    assert np.all((ratios > 1.7) & (ratios < 2.4))  # ≈ 2: first order in η at fixed t
    per_eta = d / np.array([0.4, 0.2, 0.1, 0.05])
    assert np.ptp(per_eta) < 0.1 * per_eta.mean()  # "drift / η is nearly constant"
    assert d.max() < 0.06 * np.abs(before).max()  # small next to the imbalance itself


@pytest.fixture(scope="module")
def trained() -> dict:
    X, y = _data()
    out = {}
    for lam in (0.0, 0.01):
        model = mlp([2, 16, 2], seed=0).double()
        a, c = unit_norms(model, 0)
        record = {0: np.abs(a**2 - c**2).max()}

        def at(k, m, record=record):
            if k in (1000, 3000):
                a, c = unit_norms(m, 0)
                record[k] = np.abs(a**2 - c**2).max()

        train_classifier(model, X, y, steps=3000,
                         optimizer=SGD(model.parameters(), lr=0.2, weight_decay=lam), callback=at)
        out[lam] = (model, record)
    return out


def test_imbalance_conserved_without_decay_and_decays_with_it(trained) -> None:
    lr, lam = 0.2, 0.01
    _, rec0 = trained[0.0]
    assert abs(rec0[3000] / rec0[0] - 1) < 0.05
    _, rec = trained[lam]
    pred_1000 = rec[0] * (1 - lr * lam) ** 2000
    assert 0.9 * pred_1000 < rec[1000] < 1.1 * pred_1000  # follows (1 − ηλ)^{2k}
    assert rec[3000] < 1e-3 * rec[0]


def test_trained_with_decay_is_balanced_and_switches_units_off(trained) -> None:
    X, y = _data()
    m0, _ = trained[0.0]
    m1, _ = trained[0.01]
    assert l2_norm(m1) ** 2 == pytest.approx(l2_norm(balance(m1)) ** 2, rel=1e-5)
    assert l2_norm(m0) ** 2 > 1.01 * l2_norm(balance(m0)) ** 2  # without decay it is not
    assert l2_norm(m1) ** 2 == pytest.approx(27.3240, abs=1e-4)
    s0 = np.prod(unit_norms(m0, 0), axis=0)
    s1 = np.prod(unit_norms(m1, 0), axis=0)
    assert np.sum(s1 < 1e-5) == 7 and np.sum(s0 < 1e-5) == 0
    with torch.no_grad():
        assert (m0(X).argmax(1) == y).double().mean().item() == 1.0
        assert (m1(X).argmax(1) == y).double().mean().item() >= 0.95


# ----------------------------------------------------------------------------- path-norm penalty


def _brute_path_norm(net: nn.Sequential) -> float:
    """φ₂ of a one-hidden-layer net by listing every path (input or bias → unit → output)."""
    b2 = net[2].bias.detach().double()
    total = float((b2**2).sum())
    for o in range(net[2].out_features):
        total += float((_path_weights(net, o) ** 2).sum())
    return math.sqrt(total)


def _hand_rescale(net: nn.Sequential, alphas: np.ndarray) -> nn.Sequential:
    out = mlp([net[0].in_features, net[0].out_features, net[2].out_features]).double()
    al = torch.as_tensor(alphas, dtype=torch.float64)
    with torch.no_grad():
        out[0].weight.copy_(net[0].weight * al[:, None])
        out[0].bias.copy_(net[0].bias * al)
        out[2].weight.copy_(net[2].weight / al[None, :])
        out[2].bias.copy_(net[2].bias)
    return out


@pytest.fixture(scope="module")
def path_trained() -> tuple[nn.Sequential, np.ndarray]:
    X, y = _data()
    net = mlp([2, 16, 2], seed=0).double()
    trace = gd_imbalance_trace(net, X, y, steps=3000, lr=0.2, penalty=PathNormPenalty(0.01))
    return net, trace


def test_path_norm_penalty_keeps_imbalance_and_units(path_trained) -> None:
    net, trace = path_trained
    a0, c0 = unit_norms(mlp([2, 16, 2], seed=0).double(), 0)
    np.testing.assert_allclose(trace[0], a0**2 - c0**2, rtol=1e-12)
    assert trace.shape == (301, 16)
    assert abs(np.abs(trace[-1]).max() / np.abs(trace[0]).max() - 1) < 0.05
    np.testing.assert_allclose(trace[-1], _hand_imbalance(net), rtol=1e-12)
    s = np.prod(unit_norms(net, 0), axis=0)
    assert np.all(s >= 1e-5)  # no unit switched off
    # every unit keeps its own imbalance (not just the largest one) ...
    assert np.all(np.abs(trace[-1] - trace[0]) < 0.05 * np.abs(trace[0]).max())
    # ... so the weak units stay far below the diagonal c = a, the strong ones look balanced
    a, c = unit_norms(net, 0)
    weak = s < np.median(s)
    assert np.sum(c[weak] / a[weak] < 0.35) >= 7 and np.max(c[~weak] / a[~weak]) > 0.8


def test_path_norm_penalty_versus_weight_decay(path_trained, trained) -> None:
    nets = {"none": trained[0.0][0], "wd": trained[0.01][0], "path": path_trained[0]}
    phi = {k: _brute_path_norm(m) for k, m in nets.items()}
    l2 = {k: math.sqrt(sum(float((p.detach() ** 2).sum()) for p in m.parameters()))
          for k, m in nets.items()}
    for k, m in nets.items():
        assert path_norm(m) == pytest.approx(phi[k], rel=1e-12)
    assert phi["wd"] < phi["path"] < phi["none"]
    assert l2["wd"] < l2["path"] < l2["none"]
    test = datasets.two_moons(1000, noise=0.1, seed=1)
    acc = {}
    for k, m in nets.items():
        with torch.no_grad():
            acc[k] = float((m(torch.tensor(test.X)).argmax(1).numpy() == test.y).mean())
    assert 0.015 < acc["none"] - acc["wd"] < 0.035  # "about two and a half points"
    assert 0.0 <= acc["none"] - acc["path"] < 0.01  # "less than one"
    off = {k: int(np.sum(np.prod(unit_norms(m, 0), axis=0) < 1e-5)) for k, m in nets.items()}
    assert off == {"none": 0, "wd": 7, "path": 0}


def test_random_rescaling_keeps_path_norms_changes_l2(path_trained, trained) -> None:
    alphas = np.exp(np.random.default_rng(1).normal(0.0, 0.5, 16))
    X, _ = _data()
    for m in (trained[0.0][0], trained[0.01][0], path_trained[0]):
        by_hand = _hand_rescale(m, alphas)
        lib = rescale_layer(m, 0, alphas)
        for p, q in zip(lib.parameters(), by_hand.parameters(), strict=True):
            torch.testing.assert_close(p, q, rtol=1e-14, atol=0)
        with torch.no_grad():
            torch.testing.assert_close(by_hand(X), m(X), rtol=1e-12, atol=1e-12)
        assert _brute_path_norm(by_hand) == pytest.approx(_brute_path_norm(m), rel=1e-12)
        assert abs(l2_norm(by_hand) / l2_norm(m) - 1) > 0.01
    wd = trained[0.01][0]
    assert l2_norm(_hand_rescale(wd, alphas)) > l2_norm(wd)  # balanced: the bottom of its orbit


def test_rescale_layer_is_a_sequence_of_rescales_and_validates() -> None:
    net = mlp([3, 5, 4, 2], seed=1).double()
    alphas = np.array([0.5, 2.0, 1.0, 3.0])
    chained = net
    for j, al in enumerate(alphas):
        chained = rescale(chained, 2, j, float(al))
    at_once = rescale_layer(net, 2, alphas)
    for p, q in zip(at_once.parameters(), chained.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-15, atol=0)
    assert rescale_layer(net, 2, torch.tensor(alphas)) is not net  # tensors accepted; a copy
    np.testing.assert_array_equal(unit_norms(net, 2)[0], unit_norms(mlp([3, 5, 4, 2], seed=1)
                                                                    .double(), 2)[0])
    with pytest.raises(ValueError, match=r"alphas must have one entry per unit of layer 2 \(4\)"):
        rescale_layer(net, 2, [1.0, 2.0])
    with pytest.raises(ValueError, match="alphas must be > 0"):
        rescale_layer(net, 2, [1.0, 0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="alphas contains NaN"):
        rescale_layer(net, 2, [1.0, np.nan, 1.0, 1.0])
    with pytest.raises(ValueError, match="too extreme"):
        rescale_layer(mlp([3, 5, 4, 2], seed=1), 2, [1e300, 1.0, 1.0, 1.0])  # float32
    with pytest.raises(ValueError, match="last Linear"):
        rescale_layer(net, 4, [1.0, 1.0])
    with pytest.raises(ValueError, match="not positively homogeneous"):
        rescale_layer(mlp([2, 3, 1], activation=nn.Tanh), 0, [1.0, 1.0, 1.0])


def test_gd_imbalance_trace_and_unit_imbalance_validate() -> None:
    X, y = _data()
    net = mlp([2, 4, 2], seed=0).double()
    a, c = unit_norms(net, 0)
    np.testing.assert_allclose(unit_imbalance(net, 0), a**2 - c**2, rtol=1e-15)
    tr = gd_imbalance_trace(net, X, y, steps=7, lr=0.1, every=3)
    assert tr.shape == (3, 4)  # steps 0, 3, 6
    for kw, match in [({"steps": 0}, "steps"), ({"lr": 0.0}, "lr"),
                      ({"weight_decay": -1.0}, "weight_decay"), ({"every": 0}, "every"),
                      ({"penalty": 3.0}, "penalty")]:
        args = {"steps": 2, "lr": 0.1} | kw
        with pytest.raises(ValueError, match=match):
            gd_imbalance_trace(mlp([2, 4, 2]).double(), X, y, **args)
    with pytest.raises(ValueError, match="last Linear"):
        gd_imbalance_trace(mlp([2, 4, 2]).double(), X, y, steps=2, lr=0.1, layer=2)
    for kw in ({"lr": 1e300}, {"lr": 0.1, "weight_decay": 1e300}):  # beyond float32
        with pytest.raises(ValueError, match=f"{list(kw)[-1]} must be <"):
            gd_imbalance_trace(mlp([2, 4, 2]), X.float(), y, steps=2, **kw)


# ----------------------------------------------------------------------------- helpers of the page


def test_unit_norms_values_and_errors() -> None:
    net = mlp([3, 4, 5, 2], seed=2).double()
    a, c = unit_norms(net, 2)
    W, b, V = net[2].weight.detach(), net[2].bias.detach(), net[4].weight.detach()
    np.testing.assert_allclose(a, torch.sqrt((W**2).sum(1) + b**2).numpy(), rtol=1e-14)
    np.testing.assert_allclose(c, torch.linalg.vector_norm(V, dim=0).numpy(), rtol=1e-14)
    assert a.dtype == np.float64 and a.shape == (5,) and c.shape == (5,)
    new = rescale(net, 2, 3, 7.0)
    a_n, c_n = unit_norms(new, 2)
    assert a_n[3] == pytest.approx(7 * a[3]) and c_n[3] == pytest.approx(c[3] / 7)
    no_bias = nn.Sequential(nn.Linear(2, 3, bias=False), nn.ReLU(), nn.Linear(3, 1))
    a_nb, _ = unit_norms(no_bias, 0)
    np.testing.assert_allclose(a_nb, torch.linalg.vector_norm(no_bias[0].weight, dim=1)
                               .detach().numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="last Linear"):
        unit_norms(net, 4)
    with pytest.raises(ValueError, match=r"layer 1 is ReLU, not nn\.Linear"):
        unit_norms(net, 1)
    with pytest.raises(ValueError, match="layer must be in"):
        unit_norms(net, 9)
    with pytest.raises(ValueError, match="layer must be an integer"):
        unit_norms(net, True)
    with pytest.raises(ValueError, match=r"Tanh.*not positively homogeneous"):
        unit_norms(mlp([2, 3, 1], activation=nn.Tanh), 0)
    with pytest.raises(ValueError, match="model must be"):
        unit_norms(nn.Linear(2, 2), 0)


def test_balance_rejects_other_architectures() -> None:
    with pytest.raises(ValueError, match="one hidden layer"):
        balance(mlp([2, 3, 3, 1]))
    with pytest.raises(ValueError, match="one hidden layer"):
        balance(nn.Sequential(nn.Linear(2, 2)))
    with pytest.raises(ValueError, match="not positively homogeneous"):
        balance(mlp([2, 3, 1], activation=nn.Sigmoid))
    with pytest.raises(ValueError, match="model must be"):
        balance(nn.Linear(2, 2))


def test_path_norm_figures_draw_what_they_are_given() -> None:
    import matplotlib.pyplot as plt

    ax = plotting.rescaling_plot([0.5, 1.0, 2.0], [3.0, 2.0, 3.0], [1.0, 1.0, 1.0], alpha_star=1.0)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [3.0, 2.0, 3.0])
    assert ax.get_xscale() == "log"
    with pytest.raises(ValueError, match="same length"):
        plotting.rescaling_plot([1.0, 2.0], [1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="alphas must be > 0"):
        plotting.rescaling_plot([0.0, 1.0], [1.0, 1.0], [1.0, 1.0])
    net = mlp([2, 3, 1], seed=3)
    ax = plotting.network_diagram(net, scale=1.0)
    edges = [ln for ln in ax.lines if len(ln.get_xdata()) == 2]
    assert len(edges) == 2 * 3 + 3 * 1
    w0 = abs(net[0].weight[0, 0].item())  # first drawn edge: input 1 → unit 1
    assert edges[0].get_linewidth() == pytest.approx(0.3 + 5.0 * w0)
    with pytest.raises(ValueError, match="scale"):
        plotting.network_diagram(net, scale=0.0)
    with pytest.raises(ValueError, match=r"no nn\.Linear"):
        plotting.network_diagram(nn.Sequential(nn.ReLU()))
    a, c = np.array([1.0, 2.0, 0.0]), np.array([0.5, 2.0, 1.0])
    ax = plotting.unit_balance_plot({"x": (a, c), "y": (c, a)}, connect=True)
    assert len(ax.collections[0].get_offsets()) == 2  # the unit with a = 0 is left out
    joins = [ln for ln in ax.lines if ln.get_color() == "0.7"]
    assert len(joins) == 2
    with pytest.raises(ValueError, match="same length"):
        plotting.unit_balance_plot({"x": (a, c[:2])})
    with pytest.raises(ValueError, match="exactly two"):
        plotting.unit_balance_plot({"x": (a, c)}, connect=True)
    k = np.array([0.0, 10.0, 20.0])
    ax = imbalance_plot(k, {"a": [1.0, 0.5, 0.25]}, guide=("g", [1.0, 0.4, 0.2]))
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [1.0, 0.5, 0.25])
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [1.0, 0.4, 0.2])
    assert ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="one value per step"):
        imbalance_plot(k, {"a": [1.0]})
    with pytest.raises(ValueError, match="guide must have"):
        imbalance_plot(k, {"a": [1.0, 1.0, 1.0]}, guide=("g", [1.0]))
    ax = norm_comparison_plot({"m1": {"φ₂": 2.0, "‖θ‖₂": 3.0}, "m2": {"φ₂": 1.0, "‖θ‖₂": 4.0}})
    heights = sorted(p.get_height() for p in ax.patches)
    assert heights == [1.0, 2.0, 3.0, 4.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["m1", "m2"]
    with pytest.raises(ValueError, match="same quantities"):
        norm_comparison_plot({"m1": {"φ₂": 1.0}, "m2": {"x": 1.0}})
    with pytest.raises(ValueError, match="≥ 0"):
        norm_comparison_plot({"m1": {"φ₂": -1.0}})
    with pytest.raises(ValueError, match="at least one model"):
        norm_comparison_plot({})
    plt.close("all")
