"""Tests for normcourse.robustness: spectral norms, Lipschitz bounds, certification, path norms.

Every check is numeric: against torch.linalg.matrix_norm(ord=2), torch.linalg.svd, explicit
path enumeration, or an attack that must fail inside the certified radius.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from normcourse import datasets
from normcourse.robustness import (
    SpectralPenalty,
    certified_accuracy,
    certified_radius,
    l2_norm,
    lipschitz_upper_bound,
    path_norm,
    pgd_attack,
    power_iteration,
    rescale,
    spectral_penalty,
)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _mlp(sizes: list[int], act: type[nn.Module] = nn.ReLU, seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


def _moons(n: int, noise: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The seeded two-moons set of ``normcourse.datasets``, as float32 / int64 tensors."""
    d = datasets.two_moons(n, noise=noise, seed=seed)
    return torch.tensor(d.X, dtype=torch.float32), torch.tensor(d.y)


def _train(
    lam: float, steps: int = 300, seed: int = 0
) -> tuple[nn.Sequential, torch.Tensor, torch.Tensor]:
    """MLP 2-32-32-2 on two moons with Adam; optional spectral penalty λ Σ‖W_l‖₂."""
    x, y = _moons(400, 0.1, seed)
    model = _mlp([2, 32, 32, 2], seed=seed)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    penalty = SpectralPenalty(lam) if lam > 0 else None
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        if penalty is not None:
            loss = loss + penalty(model)
        loss.backward()
        opt.step()
    return model.eval(), x, y


@pytest.fixture(scope="module")
def trained() -> dict[float, tuple[nn.Sequential, torch.Tensor, torch.Tensor]]:
    return {lam: _train(lam) for lam in (0.0, 0.03)}


# ----------------------------------------------------------------------------- power iteration


@pytest.mark.parametrize("shape", [(60, 60), (90, 25), (25, 90)])
def test_power_iteration_matches_matrix_norm(shape):
    W = torch.randn(*shape, generator=_gen(1), dtype=torch.float64)
    ref = float(torch.linalg.matrix_norm(W, ord=2))
    sigma, u, v = power_iteration(W, n_iter=20000, tol=1e-12, return_vectors=True)
    assert abs(float(sigma) / ref - 1) < 1e-6
    assert u.shape == (shape[0],) and v.shape == (shape[1],)
    torch.testing.assert_close(torch.linalg.vector_norm(u), torch.tensor(1.0, dtype=W.dtype))
    torch.testing.assert_close(torch.linalg.vector_norm(v), torch.tensor(1.0, dtype=W.dtype))
    # singular pair: W v = σ u and Wᵀ u = σ v
    assert float(torch.linalg.vector_norm(W @ v - sigma * u)) < 1e-5 * ref
    assert float(torch.linalg.vector_norm(W.T @ u - sigma * v)) < 1e-5 * ref
    # the default tolerance is already well inside 1e-6
    assert abs(float(power_iteration(W)) / ref - 1) < 1e-6


def test_power_iteration_numpy_and_determinism():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((40, 30))
    s, u, v = power_iteration(A, return_vectors=True)
    assert isinstance(s, float) and isinstance(u, np.ndarray) and isinstance(v, np.ndarray)
    assert abs(s / np.linalg.norm(A, 2) - 1) < 1e-6
    assert power_iteration(A) == s  # seeded start: bit-identical
    assert power_iteration(A.astype(np.int64)) == pytest.approx(
        np.linalg.norm(A.astype(np.int64), 2)
    )
    # a rank-one matrix and the zero matrix
    a, b = rng.standard_normal(7), rng.standard_normal(5)
    assert power_iteration(np.outer(a, b)) == pytest.approx(np.linalg.norm(a) * np.linalg.norm(b))
    assert power_iteration(np.zeros((4, 3))) == 0.0


def test_power_iteration_sigma_is_differentiable():
    W = torch.randn(20, 12, generator=_gen(4), dtype=torch.float64, requires_grad=True)
    sigma = power_iteration(W, tol=1e-14, n_iter=50000)
    sigma.backward()
    U, _, Vh = torch.linalg.svd(W.detach())
    grad_ref = torch.outer(U[:, 0], Vh[0])  # ∂σ₁/∂W = u₁ v₁ᵀ
    torch.testing.assert_close(W.grad, grad_ref, atol=1e-6, rtol=0)


def _iterations_needed(W, u0, ref, rel=1e-6):
    for k in range(1, 5000):
        if abs(float(power_iteration(W, n_iter=k, tol=0.0, u0=u0)) / ref - 1) < rel:
            return k
    raise AssertionError("did not converge")


def test_warm_start_needs_fewer_iterations():
    g = _gen(5)
    W = torch.randn(100, 100, generator=g, dtype=torch.float64)
    _, _, v = power_iteration(W, tol=1e-13, n_iter=20000, return_vectors=True)
    W2 = W + 1e-3 * torch.randn(100, 100, generator=g, dtype=torch.float64)  # one small "step"
    ref = float(torch.linalg.matrix_norm(W2, ord=2))
    cold = _iterations_needed(W2, None, ref)
    warm = _iterations_needed(W2, v, ref)
    assert warm <= 3 and cold >= 10 * warm, (warm, cold)
    # a numpy warm start works the same
    assert power_iteration(W2.numpy(), n_iter=warm, tol=0.0, u0=v.numpy()) == pytest.approx(
        ref, rel=1e-6
    )


# ----------------------------------------------------------------------------- Lipschitz bound


def test_lipschitz_single_linear_equals_spectral_norm():
    layer = _mlp([13, 7], seed=2)
    ref = float(torch.linalg.matrix_norm(layer[0].weight.detach().double(), ord=2))
    assert lipschitz_upper_bound(layer) == pytest.approx(ref, rel=1e-7)
    assert lipschitz_upper_bound(layer[0]) == pytest.approx(ref, rel=1e-7)  # bare nn.Linear


def _empirical_lipschitz(model, d, n_pairs=4000, seed=0):
    g = _gen(seed)
    x = torch.randn(n_pairs, d, generator=g, dtype=torch.float64)
    # half far-apart pairs, half nearby pairs (local slopes)
    scale = torch.where(torch.arange(n_pairs) < n_pairs // 2, 1.0, 1e-3).to(torch.float64)
    xp = x + scale[:, None] * torch.randn(n_pairs, d, generator=g, dtype=torch.float64)
    with torch.no_grad():
        num = torch.linalg.vector_norm(model(x) - model(xp), dim=1)
    return float((num / torch.linalg.vector_norm(x - xp, dim=1)).max())


@pytest.mark.parametrize(
    "act, factor",
    [(nn.ReLU, 1.0), (nn.Tanh, 1.0), (lambda: nn.LeakyReLU(0.2), 1.0), (nn.Sigmoid, 0.25)],
)
def test_lipschitz_bound_dominates_empirical_ratio(act, factor):
    model = _mlp([6, 24, 24, 3], act=act, seed=7).double()
    ws = [m.weight for m in model if isinstance(m, nn.Linear)]
    prod = math.prod(float(torch.linalg.matrix_norm(w.detach(), ord=2)) for w in ws)
    bound = lipschitz_upper_bound(model)
    assert bound == pytest.approx(prod * factor**2, rel=1e-7)
    emp = _empirical_lipschitz(model, 6)
    assert 0 < emp <= bound


def test_lipschitz_accepts_shape_and_eval_layers_and_uses_cache():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Flatten(), nn.Linear(12, 10), nn.ReLU(), nn.Dropout(0.5),
        nn.Sequential(nn.Linear(10, 10), nn.Identity()), nn.Tanh(), nn.Linear(10, 4),
    ).eval()  # fmt: skip
    prod = math.prod(
        float(torch.linalg.matrix_norm(m.weight.detach().double(), ord=2))
        for m in model.modules()
        if isinstance(m, nn.Linear)
    )
    cache: dict[str, torch.Tensor] = {}
    assert lipschitz_upper_bound(model, cache=cache) == pytest.approx(prod, rel=1e-7)
    assert set(cache) == {"1", "4.0", "6"}
    # the cached vectors are the converged ones: 1 iteration from them gives the same bound
    assert lipschitz_upper_bound(model, cache=cache, n_iter=1) == pytest.approx(prod, rel=1e-7)
    model.train()
    with pytest.raises(ValueError, match=r"'3' \(Dropout\).*training"):
        lipschitz_upper_bound(model)


@pytest.mark.parametrize(
    "bad, name",
    [
        (nn.Conv1d(1, 1, 3), "Conv1d"),
        (nn.BatchNorm1d(4), "BatchNorm1d"),
        (nn.Softmax(dim=1), "Softmax"),
        (nn.GELU(), "GELU"),
    ],
)
def test_lipschitz_rejects_unsupported_layers(bad, name):
    model = nn.Sequential(nn.Linear(4, 4), bad, nn.Linear(4, 2))
    with pytest.raises(ValueError, match=rf"layer '1' \({name}\)"):
        lipschitz_upper_bound(model)
    with pytest.raises(ValueError, match="model must be"):
        lipschitz_upper_bound(nn.ReLU())


# ----------------------------------------------------------------------------- spectral penalty


def test_spectral_penalty_value_and_gradient():
    model = _mlp([8, 16, 5], seed=3).double()
    lam = 0.3
    ws = [model[0].weight, model[2].weight]
    ref = lam * sum(float(torch.linalg.matrix_norm(w.detach(), ord=2)) for w in ws)
    pen = SpectralPenalty(lam, n_iter=1)
    values = [pen(model).item() for _ in range(300)]  # W fixed: 1 iteration per call converges
    assert values[-1] == pytest.approx(ref, rel=1e-8)
    assert all(v <= ref * (1 + 1e-12) for v in values)  # power iteration approaches from below
    assert set(pen.cache) == {"0", "2"} and set(pen.sigmas) == {"0", "2"}
    model.zero_grad()
    pen(model).backward()
    for w in ws:
        U, _, Vh = torch.linalg.svd(w.detach())
        torch.testing.assert_close(w.grad, lam * torch.outer(U[:, 0], Vh[0]), atol=1e-6, rtol=0)
    # the functional form with a shared cache gives the same number; a cold one-shot is close
    cache = dict(pen.cache)
    assert spectral_penalty(model, lam, cache=cache).item() == pytest.approx(ref, rel=1e-8)
    assert spectral_penalty(model, lam, n_iter=500).item() == pytest.approx(ref, rel=1e-6)
    # the penalty's cache is a valid warm start for the Lipschitz bound
    prod = math.prod(float(torch.linalg.matrix_norm(w.detach(), ord=2)) for w in ws)
    assert lipschitz_upper_bound(model, cache=pen.cache, n_iter=2) == pytest.approx(prod, rel=1e-7)
    pen.reset()
    assert pen.cache == {}
    with pytest.raises(ValueError, match="lam"):
        SpectralPenalty(-1.0)
    with pytest.raises(ValueError, match="n_iter"):
        SpectralPenalty(1.0, n_iter=0)
    with pytest.raises(ValueError, match=r"'0' \(Conv2d\)"):
        spectral_penalty(nn.Sequential(nn.Conv2d(1, 1, 3), nn.Flatten(), nn.Linear(4, 2)), 1.0)
    with pytest.raises(ValueError, match=r"no nn\.Linear"):
        spectral_penalty(nn.Sequential(nn.ReLU()), 1.0)


def test_spectral_penalty_lowers_bound_and_raises_certified_accuracy(trained):
    plain, x, y = trained[0.0]
    reg, _, _ = trained[0.03]
    L_plain, L_reg = lipschitz_upper_bound(plain), lipschitz_upper_bound(reg)
    assert L_reg < 0.5 * L_plain, (L_reg, L_plain)
    with torch.no_grad():
        assert float((reg(x).argmax(1) == y).float().mean()) >= 0.95  # still fits the data
    eps = 0.1
    acc_plain = certified_accuracy(plain, x, y, eps)
    acc_reg = certified_accuracy(reg, x, y, eps)
    assert acc_reg > acc_plain + 0.1, (acc_reg, acc_plain)


# ----------------------------------------------------------------------------- certification


def test_certified_radius_formula_and_accuracy():
    model = nn.Sequential(nn.Linear(2, 3, bias=False))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[2.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))
    x = torch.tensor([[1.0, 0.5], [0.0, 3.0], [-1.0, -1.0]])
    # logits: (2, .5, 0), (0, 3, 0), (-2, -1, 0); margins 1.5, 3, 1; L = ‖W‖₂ = 2
    r = certified_radius(model, x)
    torch.testing.assert_close(
        r.double(), torch.tensor([1.5, 3.0, 1.0], dtype=torch.float64) / (2 * math.sqrt(2))
    )
    r_given = certified_radius(model, x.numpy(), lipschitz=4.0)
    torch.testing.assert_close(r_given.double(), r.double() / 2)
    y = torch.tensor([0, 1, 0])  # third is misclassified (predicts 2)
    assert certified_accuracy(model, x, y, 0.0) == pytest.approx(2 / 3)
    assert certified_accuracy(model, x, y, 0.6) == pytest.approx(1 / 3)  # r = 0.53, 1.06
    assert certified_accuracy(model, x, y, 1.1) == 0.0
    with pytest.raises(ValueError, match="eps"):
        certified_accuracy(model, x, y, -0.1)
    with pytest.raises(ValueError, match="lipschitz"):
        certified_radius(model, x, lipschitz=0.0)
    with pytest.raises(ValueError, match="y must have shape"):
        certified_accuracy(model, x, y[:2], 0.1)


def test_no_attack_inside_certified_radius_flips_a_prediction(trained):
    for lam in (0.0, 0.03):
        model, x, _ = trained[lam]
        with torch.no_grad():
            pred = model(x).argmax(1)
        r = certified_radius(model, x)
        assert float(r.min()) > 0
        x_adv = pgd_attack(model, x, pred, 0.99 * r, steps=50, seed=1)
        dist = torch.linalg.vector_norm((x_adv - x).double(), dim=1)
        assert bool(torch.all(dist <= 0.99 * r * (1 + 1e-5)))
        assert bool(torch.all(dist >= 0.5 * r))  # the attack does move towards the boundary
        with torch.no_grad():
            flips = int((model(x_adv).argmax(1) != pred).sum())
        assert flips == 0
        # the attack is not toothless: at 3 radii (beyond the certificate) it does flip points
        x_far = pgd_attack(model, x, pred, 3.0 * r, steps=50, seed=1)
        with torch.no_grad():
            assert int((model(x_far).argmax(1) != pred).sum()) > 0


def test_certified_radius_is_tight_for_antipodal_linear_model():
    # f(x) = (a·x₁ + c, −a·x₁ − c): ‖W‖₂ = √2 a and f₀ − f₁ = 2(a x₁ + c) has slope 2a = √2 L,
    # so margin / (√2 L) is exactly the distance to the decision boundary x₁ = −c/a.
    a, c = 1.5, 0.2
    model = nn.Sequential(nn.Linear(2, 2)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[a, 0.0], [-a, 0.0]]))
        model[0].bias.copy_(torch.tensor([c, -c]))
    x = torch.randn(50, 2, generator=_gen(8), dtype=torch.float64)
    with torch.no_grad():
        pred = model(x).argmax(1)
    r = certified_radius(model, x)
    torch.testing.assert_close(r, (x[:, 0] + c / a).abs(), rtol=1e-7, atol=0)
    inside = pgd_attack(model, x, pred, 0.99 * r)
    # 5% beyond: the fixed step 2.5ε/steps leaves a little of the random start's sideways
    # component, so PGD reaches ≈ 0.997 ε along the normal, not ε exactly
    outside = pgd_attack(model, x, pred, 1.05 * r)
    with torch.no_grad():
        assert int((model(inside).argmax(1) != pred).sum()) == 0
        assert int((model(outside).argmax(1) != pred).sum()) == len(x)


def _tight_linear_network(seed: int, d: int = 32) -> tuple[nn.Sequential, torch.Tensor, float]:
    """x ↦ (u₁ᵀWx, −u₁ᵀWx) = σ₁ (v₁ᵀx, −v₁ᵀx) for a seeded Gaussian W: the product bound
    √2 σ₁ is its exact Lipschitz constant, and r(x) = |v₁ᵀx| is the distance to its decision
    boundary v₁ᵀx = 0. Returns the network, v₁ and σ₁ (from LAPACK's SVD)."""
    W = torch.randn(d, d, generator=_gen(seed), dtype=torch.float64)
    U, S, Vh = torch.linalg.svd(W)
    net = nn.Sequential(nn.Linear(d, d, bias=False), nn.Linear(d, 2, bias=False)).double()
    with torch.no_grad():
        net[0].weight.copy_(W)
        net[1].weight.copy_(torch.stack([U[:, 0], -U[:, 0]]))
    return net, Vh[0], float(S[0])


def _flips(net: nn.Module, x: torch.Tensor, x_new: torch.Tensor) -> bool:
    with torch.no_grad():
        return bool((net(x_new).argmax(1) != net(x).argmax(1)).any())


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n_iter", [1, 3, 5])
def test_certificate_needs_a_true_upper_bound_not_a_power_estimate(seed, n_iter):
    net, v1, sigma1 = _tight_linear_network(seed)
    x0 = 0.5 * v1[None, :]  # distance 0.5 from the boundary
    W = net[0].weight.detach()
    # a truncated power iteration is below σ₁, so its "certificate" is too large and broken
    est = power_iteration(W, n_iter=n_iter, tol=0.0).item()
    assert est < sigma1 * (1 - 1e-4)
    r_est = certified_radius(net, x0, lipschitz=math.sqrt(2) * est).item()
    assert r_est > 0.5 * (1 + 1e-5)
    assert _flips(net, x0, x0 - 0.5 * (0.5 + r_est) * v1)  # inside r_est, yet flipped
    # the library's bound, given the same truncated iteration, is still ≥ ∏ σ₁ = √2 σ₁ ...
    L = lipschitz_upper_bound(net, n_iter=n_iter, tol=0.0)
    assert L >= math.sqrt(2) * sigma1 * (1 - 1e-12)
    # ... and its radius (explicit L, or the default) is the exact distance and never broken
    for r in (certified_radius(net, x0, lipschitz=L).item(), certified_radius(net, x0).item()):
        assert r == pytest.approx(0.5, rel=1e-12)
        assert not _flips(net, x0, x0 - 0.999 * r * v1)  # the worst direction, just inside
        assert _flips(net, x0, x0 - 1.001 * r * v1)  # and it is tight: just outside flips
        x_pgd = pgd_attack(net, x0, net(x0).argmax(1), 0.999 * r, steps=50)
        assert not _flips(net, x0, x_pgd)


@pytest.mark.parametrize("n_iter", [1, 2])
@pytest.mark.parametrize("sizes", [[2, 32, 32, 2], [6, 24, 24, 24, 3]])
def test_lipschitz_bound_with_truncated_iteration_is_still_an_upper_bound(n_iter, sizes):
    for seed in range(4):
        model = _mlp(sizes, seed=seed).double()
        ws = [m.weight.detach() for m in model if isinstance(m, nn.Linear)]
        exact = math.prod(float(torch.linalg.svdvals(w)[0]) for w in ws)
        estimate = math.prod(power_iteration(w, n_iter=n_iter, tol=0.0).item() for w in ws)
        assert estimate < exact * (1 - 1e-6)  # the power estimate alone would be too small
        bound = lipschitz_upper_bound(model, n_iter=n_iter, tol=0.0)
        assert bound >= exact * (1 - 1e-12)
        assert bound == pytest.approx(exact, rel=1e-12)


def test_pgd_empirical_robust_accuracy_dominates_certified(trained):
    model, x, y = trained[0.0]
    for eps in (0.02, 0.1):
        x_adv = pgd_attack(model, x, y, eps, steps=30)
        assert float(torch.linalg.vector_norm(x_adv - x, dim=1).max()) <= eps * (1 + 1e-5)
        with torch.no_grad():
            robust = float((model(x_adv).argmax(1) == y).float().mean())
        assert robust >= certified_accuracy(model, x, y, eps)
    # larger ε, weaker model: strictly lower robust accuracy than clean accuracy
    x_adv = pgd_attack(model, x, y, 0.3, steps=30)
    with torch.no_grad():
        clean = float((model(x).argmax(1) == y).float().mean())
        robust = float((model(x_adv).argmax(1) == y).float().mean())
    assert robust < clean - 0.2


def test_pgd_is_deterministic_and_validates():
    model = _mlp([3, 8, 2], seed=1)
    x = torch.randn(10, 3, generator=_gen(0))
    y = torch.zeros(10, dtype=torch.long)
    a = pgd_attack(model, x, y, 0.5, steps=5, seed=3)
    torch.testing.assert_close(a, pgd_attack(model, x, y, 0.5, steps=5, seed=3), rtol=0, atol=0)
    assert not torch.equal(a, pgd_attack(model, x, y, 0.5, steps=5, seed=4))
    torch.testing.assert_close(pgd_attack(model, x, y, 0.0), x, rtol=0, atol=0)
    assert all(p.grad is None for p in model.parameters())
    for bad in (-0.1, float("nan")):
        with pytest.raises(ValueError, match="eps"):
            pgd_attack(model, x, y, bad)
    with pytest.raises(ValueError, match="eps"):
        pgd_attack(model, x, y, -torch.ones(10))
    with pytest.raises(ValueError, match="eps"):
        pgd_attack(model, x, y, torch.ones(3))
    with pytest.raises(ValueError, match="steps"):
        pgd_attack(model, x, y, 0.1, steps=0)
    with pytest.raises(ValueError, match="alpha"):
        pgd_attack(model, x, y, 0.1, alpha=0.0)
    with pytest.raises(ValueError, match="y must hold integer"):
        pgd_attack(model, x, y.float(), 0.1)


# ----------------------------------------------------------------------------- path norm


def _brute_force_path_norm(model: nn.Sequential, include_bias: bool) -> float:
    """Σ over explicit paths of Π w² for Linear(d0,d1)-ReLU-Linear(d1,d2)-ReLU-Linear(d2,d3)."""
    W1, W2, W3 = (model[i].weight.detach().double() for i in (0, 2, 4))
    b1, b2, b3 = (model[i].bias.detach().double() for i in (0, 2, 4))
    d0, d1, d2, d3 = W1.shape[1], W1.shape[0], W2.shape[0], W3.shape[0]
    total = 0.0
    for o in range(d3):
        for k in range(d2):
            for j in range(d1):
                for i in range(d0):  # input i → h1_j → h2_k → output o
                    total += float(W1[j, i] * W2[k, j] * W3[o, k]) ** 2
                if include_bias:  # constant 1 → h1_j (bias b1_j) → h2_k → output o
                    total += float(b1[j] * W2[k, j] * W3[o, k]) ** 2
            if include_bias:  # constant 1 → h2_k → output o
                total += float(b2[k] * W3[o, k]) ** 2
        if include_bias:  # constant 1 → output o
            total += float(b3[o]) ** 2
    return math.sqrt(total)


@pytest.mark.parametrize("include_bias", [True, False])
def test_path_norm_equals_brute_force(include_bias):
    model = _mlp([3, 4, 5, 2], seed=11)
    got = path_norm(model, include_bias=include_bias)
    assert got == pytest.approx(_brute_force_path_norm(model, include_bias), rel=1e-12)
    assert path_norm(model, include_bias=True) > path_norm(model, include_bias=False)


def test_path_norm_single_layer_and_rejects():
    lin = nn.Linear(3, 2)
    w2 = float((lin.weight.detach().double() ** 2).sum())
    b2 = float((lin.bias.detach().double() ** 2).sum())
    assert path_norm(lin, include_bias=False) == pytest.approx(math.sqrt(w2), rel=1e-12)
    assert path_norm(nn.Sequential(lin)) == pytest.approx(math.sqrt(w2 + b2), rel=1e-12)
    for bad in (nn.Tanh(), nn.Sigmoid(), nn.BatchNorm1d(4), nn.Conv1d(1, 1, 1)):
        with pytest.raises(ValueError, match=rf"layer '1' \({type(bad).__name__}\)"):
            path_norm(nn.Sequential(nn.Linear(4, 4), bad, nn.Linear(4, 1)))
    with pytest.raises(ValueError, match=r"no nn\.Linear"):
        path_norm(nn.Sequential(nn.ReLU()))


def test_rescale_keeps_function_and_path_norm_not_l2():
    model = _mlp([3, 4, 5, 2], seed=11).double()
    x = torch.randn(64, 3, generator=_gen(2), dtype=torch.float64)
    for layer, unit, alpha in [(0, 1, 10.0), (2, 4, 0.05), (0, 0, 1e3)]:
        new = rescale(model, layer, unit, alpha)
        with torch.no_grad():
            torch.testing.assert_close(new(x), model(x), rtol=0, atol=1e-6)
        for ib in (True, False):
            assert path_norm(new, include_bias=ib) == pytest.approx(
                path_norm(model, include_bias=ib), rel=1e-10
            )
            assert path_norm(new, include_bias=ib) == pytest.approx(
                _brute_force_path_norm(new, ib), rel=1e-10
            )
        assert abs(l2_norm(new) - l2_norm(model)) > 0.1 * l2_norm(model)
    # the original is untouched (deep copy) and the rescaled weights are where they should be
    new = rescale(model, 0, 1, 10.0)
    torch.testing.assert_close(new[0].weight[1], 10 * model[0].weight[1])
    torch.testing.assert_close(new[0].bias[1], 10 * model[0].bias[1])
    torch.testing.assert_close(new[2].weight[:, 1], model[2].weight[:, 1] / 10)
    torch.testing.assert_close(new[0].weight[0], model[0].weight[0], rtol=0, atol=0)


@settings(max_examples=25, deadline=None)
@given(
    layer=st.sampled_from([0, 2]),
    unit=st.integers(0, 3),
    log_alpha=st.floats(-5, 5),
)
def test_rescale_invariance_property(layer, unit, log_alpha):
    model = _mlp([3, 4, 4, 2], seed=5).double()
    new = rescale(model, layer, unit, math.exp(log_alpha))
    x = torch.randn(16, 3, generator=_gen(0), dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(new(x), model(x), rtol=1e-9, atol=1e-9)
    assert path_norm(new) == pytest.approx(path_norm(model), rel=1e-10)


def test_l2_norm_value():
    model = _mlp([3, 4, 2], seed=0).double()
    ref = math.sqrt(sum(float((p.detach().double() ** 2).sum()) for p in model.parameters()))
    assert l2_norm(model) == pytest.approx(ref, rel=1e-12)
    # a rescaling by α multiplies ‖W_row‖² by α² and ‖W_col‖² by α⁻²: exact change
    new = rescale(model, 0, 2, 3.0)
    inc = float(model[0].weight[2].detach().pow(2).sum() + model[0].bias[2].detach() ** 2)
    out = float(model[2].weight[:, 2].detach().pow(2).sum())
    expect = ref**2 + (9 - 1) * inc + (1 / 9 - 1) * out
    assert l2_norm(new) ** 2 == pytest.approx(expect, rel=1e-10)
    with pytest.raises(ValueError, match="model"):
        l2_norm("not a model")


def test_rescale_rejects_bad_inputs():
    model = _mlp([3, 4, 5, 2], seed=0)
    for alpha in (0.0, -1.0, float("inf")):
        with pytest.raises(ValueError, match="alpha"):
            rescale(model, 0, 0, alpha)
    with pytest.raises(ValueError, match="layer must be in"):
        rescale(model, 5, 0, 2.0)
    with pytest.raises(ValueError, match="layer must be in"):
        rescale(model, -1, 0, 2.0)
    with pytest.raises(ValueError, match=r"layer 1 is ReLU, not nn.Linear"):
        rescale(model, 1, 0, 2.0)
    with pytest.raises(ValueError, match="unit must be in"):
        rescale(model, 0, 4, 2.0)
    with pytest.raises(ValueError, match="unit must be in"):
        rescale(model, 2, -1, 2.0)
    with pytest.raises(ValueError, match="last Linear"):
        rescale(model, 4, 0, 2.0)
    with pytest.raises(ValueError, match="layer must be an integer"):
        rescale(model, 0.0, 0, 2.0)
    tanh_net = _mlp([3, 4, 2], act=nn.Tanh)
    with pytest.raises(ValueError, match=r"Tanh.*not positively homogeneous"):
        rescale(tanh_net, 0, 0, 2.0)
    with pytest.raises(ValueError, match="model must be"):
        rescale(nn.Linear(2, 2), 0, 0, 2.0)


def test_power_iteration_rejects_bad_inputs():
    W = torch.randn(4, 3, generator=_gen(0))
    with pytest.raises(ValueError, match="W must be a 2-D"):
        power_iteration(torch.randn(5))
    with pytest.raises(ValueError, match="W must be a 2-D"):
        power_iteration(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="W must be non-empty"):
        power_iteration(np.ones((0, 3)))
    with pytest.raises(ValueError, match="W contains NaN"):
        power_iteration(torch.tensor([[1.0, float("nan")]]))
    with pytest.raises(ValueError, match="u0 must be a vector of length"):
        power_iteration(W, u0=torch.ones(4))
    with pytest.raises(ValueError, match="n_iter"):
        power_iteration(W, n_iter=0)
    with pytest.raises(ValueError, match="tol"):
        power_iteration(W, tol=-1.0)
