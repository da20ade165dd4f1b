"""Claims made by book/principles/spectral-robustness.md, pinned on the library.

Each test reproduces one statement of the page on the page's own seeded setup (a 32 × 32
Gaussian matrix; a 2-32-32-2 ReLU network trained on two moons with and without the
spectral penalty), so a change in the library that would make the text wrong fails here.
The second half unit-tests the helpers added for the page: ``mlp``, ``train_classifier``,
``robust_accuracy``, ``jacobian_norms``, ``TrackedSpectralPenalty``, ``datasets.two_moons``
and the figures.
"""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
import torch
from torch import nn

from normcourse import datasets, plotting
from normcourse.plotting.robustness import power_iteration_plot, sigma_tracking_plot
from normcourse.robustness import (
    SpectralPenalty,
    TrackedSpectralPenalty,
    certified_accuracy,
    certified_radius,
    jacobian_norms,
    lipschitz_upper_bound,
    mlp,
    pgd_attack,
    power_iteration,
    robust_accuracy,
    train_classifier,
)

matplotlib.use("Agg")


# ----------------------------------------------------------------------------- the page's setup


def _page_matrix() -> tuple[torch.Tensor, torch.Generator]:
    gen = torch.Generator().manual_seed(0)
    return torch.randn(32, 32, generator=gen, dtype=torch.float64), gen


def _tensors(data: datasets.Classification) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.tensor(data.X, dtype=torch.float32), torch.tensor(data.y)


@pytest.fixture(scope="module")
def page() -> dict:
    """The two networks of the page, trained exactly as on the page, and the test set."""
    X, y = _tensors(datasets.two_moons(400, noise=0.1, seed=0))
    Xt, yt = _tensors(datasets.two_moons(400, noise=0.1, seed=1))
    penalty = SpectralPenalty(0.03)
    tracked, exact = [], []

    def penalty_and_log(model):
        value = penalty(model)
        tracked.append(penalty.sigmas["2"])
        exact.append(torch.linalg.matrix_norm(model[2].weight.detach(), ord=2).item())
        return value

    plain, spectral = mlp([2, 32, 32, 2], seed=0), mlp([2, 32, 32, 2], seed=0)
    train_classifier(plain, X, y, steps=300, lr=1e-2)
    train_classifier(spectral, X, y, steps=300, lr=1e-2, penalty=penalty_and_log)
    return {"models": {"plain": plain, "spectral": spectral}, "Xt": Xt, "yt": yt,
            "tracked": tracked, "exact": exact}


def test_random_directions_stay_below_sigma1_and_v1_attains_it() -> None:
    W, gen = _page_matrix()
    sigma1 = torch.linalg.matrix_norm(W, ord=2).item()
    delta = torch.randn(10_000, 32, generator=gen, dtype=torch.float64)
    ratios = torch.linalg.vector_norm(delta @ W.T, dim=1) / torch.linalg.vector_norm(delta, dim=1)
    assert ratios.max().item() < 0.9 * sigma1
    _, _, Vh = torch.linalg.svd(W)
    assert torch.linalg.vector_norm(W @ Vh[0]).item() == pytest.approx(sigma1, rel=1e-12)


def _first_below(errors: list[float], tol: float) -> int:
    return int(np.argmax(np.asarray(errors) < tol)) + 1


def test_power_iteration_cold_warm_and_rate_on_page_matrix() -> None:
    W, gen = _page_matrix()
    _ = torch.randn(10_000, 32, generator=gen, dtype=torch.float64)  # the page draws δ first
    S = torch.linalg.svdvals(W)
    sigma1 = S[0].item()
    assert power_iteration(W).item() == pytest.approx(
        torch.linalg.matrix_norm(W, ord=2).item(), rel=1e-6
    )
    ks = range(1, 151)
    cold = [abs(power_iteration(W, n_iter=k, tol=0.0).item() / sigma1 - 1) for k in ks]
    _, _, v = power_iteration(W, return_vectors=True)
    W_next = W + 1e-3 * torch.randn(32, 32, generator=gen, dtype=torch.float64)
    s_next = torch.linalg.matrix_norm(W_next, ord=2).item()
    warm = [abs(power_iteration(W_next, n_iter=k, tol=0.0, u0=v).item() / s_next - 1) for k in ks]
    assert _first_below(warm, 1e-6) <= 3 < 60 < _first_below(cold, 1e-6)
    # from below, and the asymptotic error ratio per iteration is (σ₂/σ₁)⁴
    assert all(power_iteration(W, n_iter=k, tol=0.0).item() <= sigma1 * (1 + 1e-12) for k in ks)
    rate = (S[1] / S[0]).item() ** 4
    observed = (cold[100] / cold[50]) ** (1 / 50)
    assert observed == pytest.approx(rate, rel=0.01)


def _power_iteration_np(W: np.ndarray, v: np.ndarray, n_iter: int) -> np.ndarray:
    """The page's from-scratch loop: the estimates σ⁽¹⁾ … σ⁽ⁿ⁾ from the unit vector v."""
    sigmas = np.empty(n_iter)
    for k in range(n_iter):
        u = W @ v
        u /= np.linalg.norm(u)
        v = W.T @ u
        sigmas[k] = np.linalg.norm(v)
        v /= sigmas[k]
    return sigmas


def test_numpy_loop_is_the_library_iteration_and_stays_below_sigma1() -> None:
    W, _ = _page_matrix()
    sigma1 = float(np.linalg.svd(W.numpy(), compute_uv=False)[0])
    v0 = torch.randn(32, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    v0 = (v0 / torch.linalg.vector_norm(v0)).numpy()
    cold = _power_iteration_np(W.numpy(), v0, 150)
    lib = [power_iteration(W, n_iter=k, tol=0.0, u0=torch.from_numpy(v0)).item()
           for k in (1, 2, 10, 77, 150)]
    np.testing.assert_allclose(lib, cold[[0, 1, 9, 76, 149]], rtol=1e-13)
    # the seeded start the page draws is the library's own cold start
    assert power_iteration(W, n_iter=10, tol=0.0).item() == pytest.approx(cold[9], rel=1e-13)
    assert np.all(cold <= sigma1 * (1 + 1e-12)) and np.all(np.diff(cold) >= -1e-12)
    err = np.abs(cold / sigma1 - 1)
    assert _first_below(list(err), 1e-6) == 77  # "77 iterations to get six correct digits"


def test_five_step_estimate_breaks_the_tight_certificate_bound_does_not() -> None:
    W, _ = _page_matrix()
    U, S, Vh = np.linalg.svd(W.numpy())  # independent of torch's SVD
    tight = nn.Sequential(nn.Linear(32, 32, bias=False), nn.Linear(32, 2, bias=False)).double()
    with torch.no_grad():
        tight[0].weight.copy_(W)
        tight[1].weight.copy_(torch.from_numpy(np.stack([U[:, 0], -U[:, 0]])))
    v1 = torch.from_numpy(Vh[0].copy())[None, :]
    x0 = 0.5 * v1
    L_bound = lipschitz_upper_bound(tight)
    L_est = math.sqrt(2) * power_iteration(W, n_iter=5, tol=0.0).item()
    assert L_bound == pytest.approx(math.sqrt(2) * S[0], rel=1e-12)
    assert 0.96 < L_est / L_bound < 0.98  # "about 3 % too low"
    r_bound = certified_radius(tight, x0, lipschitz=L_bound).item()
    r_est = certified_radius(tight, x0, lipschitz=L_est).item()
    assert r_bound == pytest.approx(0.5, rel=1e-12)  # exactly the distance to v₁ᵀx = 0
    step = 0.5 * (r_bound + r_est)
    with torch.no_grad():
        c0 = tight(x0).argmax(1).item()
        assert tight(x0 - step * v1).argmax(1).item() != c0
        assert tight(x0 - 0.999 * r_bound * v1).argmax(1).item() == c0


def test_penalty_estimate_never_exceeds_sigma1_and_lags_at_times(page) -> None:
    tracked, exact = np.array(page["tracked"]), np.array(page["exact"])
    assert len(tracked) == 300
    assert np.all(tracked <= exact * (1 + 1e-5))
    assert np.max(exact - tracked) > 0.1 * np.max(exact)  # "not always": a visible lag


def test_tracked_penalty_logs_what_a_manual_log_records(page) -> None:
    X, y = _tensors(datasets.two_moons(400, noise=0.1, seed=0))
    tracked = TrackedSpectralPenalty(0.03, layer="2")
    model = mlp([2, 32, 32, 2], seed=0)
    train_classifier(model, X, y, steps=300, lr=1e-2, penalty=tracked)
    assert tracked.estimates == page["tracked"]  # the same numbers, bit for bit
    np.testing.assert_allclose(tracked.exact, page["exact"], rtol=1e-6)
    for p, q in zip(model.parameters(), page["models"]["spectral"].parameters(), strict=True):
        assert torch.equal(p, q)  # logging does not change the training trajectory


def test_tracked_penalty_validates_and_resets() -> None:
    net = mlp([3, 5, 2], seed=0)
    pen = TrackedSpectralPenalty(0.1, layer="0")
    plain = SpectralPenalty(0.1)
    assert pen(net).item() == pytest.approx(plain(net).item(), rel=1e-12)
    assert len(pen.estimates) == len(pen.exact) == 1
    assert pen.exact[0] == pytest.approx(
        float(torch.linalg.matrix_norm(net[0].weight.detach().double(), ord=2)), rel=1e-12)
    pen.value(net)  # value() does not log
    assert len(pen.estimates) == 1
    pen.reset()
    assert pen.estimates == [] and pen.exact == [] and pen.cache == {}
    with pytest.raises(ValueError, match=r"layer '1' is not an nn\.Linear.*\['0', '2'\]"):
        TrackedSpectralPenalty(0.1, layer="1")(net)
    for bad in (2, "", None):
        with pytest.raises(ValueError, match="layer must be"):
            TrackedSpectralPenalty(0.1, layer=bad)
    with pytest.raises(ValueError, match="lam"):
        TrackedSpectralPenalty(-1.0, layer="0")
    assert "layer='0'" in repr(pen)


def test_penalty_lowers_product_bound_keeps_accuracy(page) -> None:
    models, Xt, yt = page["models"], page["Xt"], page["yt"]
    bound = {n: lipschitz_upper_bound(m) for n, m in models.items()}
    assert bound["spectral"] < bound["plain"] / 4
    for n, m in models.items():
        sig = [torch.linalg.matrix_norm(layer.weight.detach().double(), ord=2).item()
               for layer in m if isinstance(layer, nn.Linear)]
        assert bound[n] == pytest.approx(float(np.prod(sig)), rel=1e-6)
        with torch.no_grad():
            assert (m(Xt).argmax(1) == yt).float().mean().item() >= 0.98
        slope = jacobian_norms(m, Xt).max().item()
        assert bound[n] / 5 < slope <= bound[n]  # "a few times larger than the steepest slope"
    # every layer's spectral norm goes down
    for a, b in zip(models["plain"], models["spectral"], strict=True):
        if isinstance(a, nn.Linear):
            assert power_iteration(b.weight.detach()).item() < power_iteration(a.weight.detach())


def test_no_attack_inside_certified_radius_on_page_models(page) -> None:
    Xt = page["Xt"]
    flips_beyond = {}
    medians = {}
    for name, net in page["models"].items():
        with torch.no_grad():
            pred = net(Xt).argmax(1)
        r = certified_radius(net, Xt)
        medians[name] = r.median().item()
        inside = pgd_attack(net, Xt, pred, 0.99 * r, steps=50, seed=1)
        beyond = pgd_attack(net, Xt, pred, 3.0 * r, steps=50, seed=1)
        # (float32: the projected step may overshoot the radius by a few ulps)
        assert torch.all(torch.linalg.vector_norm(inside - Xt, dim=1) <= 0.99 * r * (1 + 1e-4))
        with torch.no_grad():
            assert (net(inside).argmax(1) != pred).sum().item() == 0
            flips_beyond[name] = (net(beyond).argmax(1) != pred).sum().item()
    n = len(Xt)
    assert 0 < flips_beyond["plain"] < 0.05 * n  # plain certificate: very conservative
    assert flips_beyond["spectral"] > 0.8 * n  # penalised: within a factor 3 for most points
    assert 1.7 < medians["spectral"] / medians["plain"] < 2.5  # "about twice as large"


def test_certified_below_pgd_and_penalty_raises_certified_accuracy(page) -> None:
    models, Xt, yt = page["models"], page["Xt"], page["yt"]
    eps = np.linspace(0.0, 0.4, 21)
    bound = {n: lipschitz_upper_bound(m) for n, m in models.items()}
    cert = {n: np.array([certified_accuracy(m, Xt, yt, e, lipschitz=bound[n]) for e in eps])
            for n, m in models.items()}
    att = {n: np.array([robust_accuracy(m, Xt, yt, e, steps=50) for e in eps])
           for n, m in models.items()}
    for n in models:
        assert np.all(cert[n] <= att[n])
        assert np.all(np.diff(cert[n]) <= 0)  # certified accuracy can only fall with ε
    i = int(np.argmin(np.abs(eps - 0.1)))
    assert cert["plain"][i] < 0.5 < 0.9 < cert["spectral"][i]
    assert cert["spectral"][i] > cert["plain"][i] + 0.3
    # against PGD: close up to ε ≈ 0.2 (plain as good or slightly better), spectral better at 0.4
    small = eps <= 0.2 + 1e-12
    assert np.all(att["plain"][small] >= att["spectral"][small] - 0.01)
    assert att["spectral"][-1] > att["plain"][-1] + 0.05
    # clean accuracy: the price of the penalty is small
    assert cert["plain"][0] - 0.02 < cert["spectral"][0] <= cert["plain"][0]


# ----------------------------------------------------------------------------- helpers of the page


def test_two_moons_is_seeded_and_has_the_stated_geometry() -> None:
    a, b = datasets.two_moons(50, 0.1, seed=3), datasets.two_moons(50, 0.1, seed=3)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, datasets.two_moons(50, 0.1, seed=4).X)
    clean = datasets.two_moons(500, noise=0.0, seed=0)
    assert clean.X.shape == (500, 2) and clean.X.dtype == np.float64
    assert clean.y.dtype == np.int64 and set(np.unique(clean.y)) == {0, 1}
    up, lo = clean.X[clean.y == 0], clean.X[clean.y == 1]
    np.testing.assert_allclose(np.linalg.norm(up, axis=1), 1.0)
    np.testing.assert_allclose(np.linalg.norm(lo - [1.0, 0.5], axis=1), 1.0)
    assert np.all(up[:, 1] >= 0) and np.all(lo[:, 1] <= 0.5)
    assert 200 < len(up) < 300
    noisy = datasets.two_moons(5000, noise=0.2, seed=0)
    resid = np.where(noisy.y == 0, np.linalg.norm(noisy.X, axis=1),
                     np.linalg.norm(noisy.X - [1.0, 0.5], axis=1)) - 1
    assert 0.1 < resid.std() < 0.3
    with pytest.raises(ValueError, match="n_samples"):
        datasets.two_moons(0)
    with pytest.raises(ValueError, match="noise"):
        datasets.two_moons(10, noise=-1.0)


def test_mlp_is_seeded_and_leaves_global_rng_alone() -> None:
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = mlp([3, 5, 2], seed=7)
    assert torch.equal(torch.random.get_rng_state(), before)
    b = mlp([3, 5, 2], seed=7)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)
    torch.manual_seed(7)
    ref = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    for p, q in zip(a.parameters(), ref.parameters(), strict=True):
        assert torch.equal(p, q)
    assert not torch.equal(a[0].weight, mlp([3, 5, 2], seed=8)[0].weight)
    deep = mlp([2, 4, 4, 3], activation=nn.Tanh)
    assert [type(m).__name__ for m in deep] == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    for bad in ([3], [3, 0, 2], "32", [2.5, 3]):
        with pytest.raises(ValueError, match="sizes"):
            mlp(bad)
    with pytest.raises(ValueError, match="activation"):
        mlp([2, 3], activation=torch.relu)
    with pytest.raises(ValueError, match="seed"):
        mlp([2, 3], seed=1.5)


def test_train_classifier_objective_determinism_and_batches() -> None:
    data = datasets.two_moons(120, noise=0.1, seed=0)
    m1, m2 = mlp([2, 8, 2], seed=0), mlp([2, 8, 2], seed=0)
    t1 = train_classifier(m1, data.X, data.y, steps=60)
    t2 = train_classifier(m2, data.X, data.y, steps=60)
    np.testing.assert_array_equal(t1, t2)
    assert t1.shape == (60,) and t1[-1] < 0.7 * t1[0] and not m1.training
    # the trace is the objective before each step: its first entry is the initial loss
    m0 = mlp([2, 8, 2], seed=0)
    X, y = torch.tensor(data.X, dtype=torch.float32), torch.tensor(data.y)
    with torch.no_grad():
        assert t1[0] == pytest.approx(nn.functional.cross_entropy(m0(X), y).item(), rel=1e-6)
    pen = SpectralPenalty(0.5)
    t_pen = train_classifier(mlp([2, 8, 2], seed=0), data.X, data.y, steps=1, penalty=pen)
    with torch.no_grad():
        expect = nn.functional.cross_entropy(m0(X), y).item() + 0.5 * sum(pen.sigmas.values())
    assert t_pen[0] == pytest.approx(expect, rel=1e-5)
    # a caller's optimizer is used; its lr matters, ours is ignored
    m3 = mlp([2, 8, 2], seed=0)
    train_classifier(m3, data.X, data.y, steps=5, lr=123.0,
                     optimizer=torch.optim.SGD(m3.parameters(), lr=0.0))
    for p, q in zip(m3.parameters(), m0.parameters(), strict=True):
        assert torch.equal(p, q)
    # minibatches: seeded, different seeds differ, callback sees every step
    seen = []
    b1 = train_classifier(mlp([2, 8, 2], seed=0), data.X, data.y, steps=20, batch_size=16,
                          seed=1, callback=lambda k, m: seen.append(k))
    b2 = train_classifier(mlp([2, 8, 2], seed=0), data.X, data.y, steps=20, batch_size=16, seed=1)
    b3 = train_classifier(mlp([2, 8, 2], seed=0), data.X, data.y, steps=20, batch_size=16, seed=2)
    np.testing.assert_array_equal(b1, b2)
    assert not np.array_equal(b1, b3) and seen == list(range(1, 21))
    for kw, match in [({"steps": 0}, "steps"), ({"batch_size": 500}, "batch_size"),
                      ({"penalty": 1.0}, "penalty"), ({"optimizer": "adam"}, "optimizer"),
                      ({"lr": -1.0}, "lr"), ({"callback": 3}, "callback"), ({"seed": 0.5}, "seed")]:
        with pytest.raises(ValueError, match=match):
            train_classifier(mlp([2, 8, 2]), data.X, data.y, **kw)
    with pytest.raises(ValueError, match="y must"):
        train_classifier(mlp([2, 8, 2]), data.X, data.y[:5])
    with pytest.raises(ValueError, match="model"):
        train_classifier("net", data.X, data.y)


def test_robust_accuracy_is_accuracy_on_the_pgd_points() -> None:
    data = datasets.two_moons(100, noise=0.1, seed=2)
    model = mlp([2, 16, 2], seed=1)
    train_classifier(model, data.X, data.y, steps=100)
    X, y = torch.tensor(data.X, dtype=torch.float32), torch.tensor(data.y)
    x_adv = pgd_attack(model, X, y, 0.2, steps=20, seed=5)
    with torch.no_grad():
        manual = (model(x_adv).argmax(1) == y).double().mean().item()
        clean = (model(X).argmax(1) == y).double().mean().item()
    assert robust_accuracy(model, X, y, 0.2, steps=20, seed=5) == manual
    assert robust_accuracy(model, data.X, data.y, 0.0) == clean
    assert manual < clean  # ε = 0.2 is large for this net: the attack does something
    assert certified_accuracy(model, X, y, 0.2) <= manual
    with pytest.raises(ValueError, match="eps"):
        robust_accuracy(model, X, y, -1.0)
    with pytest.raises(ValueError, match="model"):
        robust_accuracy(None, X, y, 0.1)


def test_jacobian_norms_linear_and_relu_nets() -> None:
    lin = nn.Sequential(nn.Linear(3, 4)).double()
    x = torch.randn(7, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    ref = torch.linalg.matrix_norm(lin[0].weight.detach(), ord=2)
    torch.testing.assert_close(jacobian_norms(lin, x), ref.expand(7))
    net = mlp([3, 6, 2], seed=4).double()
    J = torch.func.jacrev(lambda z: net(z.unsqueeze(0)).squeeze(0))(x[0])
    assert jacobian_norms(net, x)[0].item() == pytest.approx(
        torch.linalg.matrix_norm(J, ord=2).item(), rel=1e-12)
    # the piecewise-linear net: its Jacobian at x is W₂ D(x) W₁ with D the active units
    D = torch.diag((net[0](x[0]) > 0).double())
    J_manual = net[2].weight @ D @ net[0].weight
    torch.testing.assert_close(J.detach(), J_manual.detach())
    assert torch.all(jacobian_norms(net, x) <= lipschitz_upper_bound(net) * (1 + 1e-12))
    # image-shaped input with Flatten
    conv_free = nn.Sequential(nn.Flatten(), nn.Linear(4, 2)).double()
    img = torch.randn(3, 2, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    ref = torch.linalg.matrix_norm(conv_free[1].weight.detach(), ord=2)
    torch.testing.assert_close(jacobian_norms(conv_free, img), ref.expand(3))
    with pytest.raises(ValueError, match="model"):
        jacobian_norms("net", x)
    with pytest.raises(ValueError, match="x must be a non-empty batch"):
        jacobian_norms(lin, torch.ones(3))


def test_robustness_figures_draw_what_they_are_given() -> None:
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle

    data = datasets.two_moons(40, noise=0.1, seed=0)
    net = mlp([2, 8, 2], seed=0)
    radii = np.full(40, 0.05)
    ax = plotting.decision_regions_plot(net, data.X, data.y, radii=radii, max_circles=10)
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    assert len(circles) == 10 and all(c.get_radius() == 0.05 for c in circles)
    with pytest.raises(ValueError, match="X must have 2 columns"):
        plotting.decision_regions_plot(net, np.ones((4, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="radii"):
        plotting.decision_regions_plot(net, data.X, data.y, radii=np.ones(3))
    with pytest.raises(ValueError, match="y must have shape"):
        plotting.decision_regions_plot(net, data.X, data.y[:3])
    eps = [0.0, 0.1, 0.2]
    ax = plotting.robustness_curve_plot(eps, {"a": [1.0, 0.5, 0.1]}, {"a": [1.0, 0.9, 0.8]})
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [1.0, 0.9, 0.8])
    with pytest.raises(ValueError, match="one value per ε"):
        plotting.robustness_curve_plot(eps, {"a": [1.0, 0.5]})
    ax = plotting.layer_norm_plot({"m": [2.0, 3.0, 0.5]})
    assert "∏ = 3" in ax.get_legend().get_texts()[0].get_text()
    with pytest.raises(ValueError, match="≥ 0"):
        plotting.layer_norm_plot({"m": [1.0, -1.0]})
    err = {"cold": [1e-1, 1e-2, 1e-3, 0.0], "warm": [1e-8, 1e-9, 1e-10, 1e-11]}
    ax = power_iteration_plot(err, rate=0.1, ref=2, rate_label="guide")
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [1e-1, 1e-2, 1e-3, 1e-16])
    np.testing.assert_allclose(ax.lines[2].get_ydata(), [1e-1, 1e-2, 1e-3, 1e-4])  # guide
    assert ax.get_legend().get_texts()[2].get_text() == "guide"
    with pytest.raises(ValueError, match="ref must be"):
        power_iteration_plot(err, rate=0.1, ref=9)
    with pytest.raises(ValueError, match="≥ 0"):
        power_iteration_plot({"x": [-1.0]})
    ax = sigma_tracking_plot([2.0, 2.5, 3.0], [1.9, 2.5, 2.7])
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [1.9, 2.5, 2.7])
    with pytest.raises(ValueError, match="same length"):
        sigma_tracking_plot([2.0, 2.5], [1.0])
    plt.close("all")


def test_power_iteration_plot_cuts_a_guide_that_would_overflow() -> None:
    # Regression: rate=1e-300 (matplotlib "overflow encountered in exp") and rate=1e-100
    # with ref=5 (numpy "overflow encountered in power"). The guide is now cut where it
    # leaves 1e±100, its kept part still the line start·rate^(k − ref).
    import warnings

    import matplotlib.pyplot as plt

    e = np.array([0.5, 0.1, 0.02, 4e-3, 8e-4])
    for rate, ref in ((1e-300, 2), (1e-100, 5), (1e-30, 3)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ax = power_iteration_plot({"cold": e}, rate=rate, ref=ref)
            ax.figure.canvas.draw()
        k, g = ax.lines[1].get_xdata(), ax.lines[1].get_ydata()
        assert np.all((g >= 1e-100 * (1 - 1e-9)) & (g <= 1e100 * (1 + 1e-9)))
        assert ref in k and g[list(k).index(ref)] == pytest.approx(e[ref - 1])
        np.testing.assert_allclose(np.log10(g), np.log10(e[ref - 1]) + (k - ref) * np.log10(rate),
                                   atol=1e-9)
    plt.close("all")
