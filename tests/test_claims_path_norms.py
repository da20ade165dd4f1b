"""Claims made by book/principles/path-norms.md, pinned on the library.

The basic facts — ``path_norm`` equals the brute-force sum over paths, ``rescale`` keeps the
function and the path norm but not ‖θ‖₂ — are tested in tests/test_robustness.py
(``test_path_norm_equals_brute_force``, ``test_rescale_keeps_function_and_path_norm_not_l2``,
``test_rescale_invariance_property``, ``test_l2_norm_value``). This file pins the page's own
statements on its seeded examples (the tiny 2-3-1 network, the 2-16-1 network, the 2-16-2
networks trained with and without weight decay) and unit-tests the helpers added for the
page: ``unit_norms``, ``balance`` and the figures.
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
from normcourse.robustness import (
    balance,
    l2_norm,
    mlp,
    path_norm,
    rescale,
    train_classifier,
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
    plt.close("all")
