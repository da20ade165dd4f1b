"""Claims made by book/principles/weight-decay.md (SGD: Scheme A against Scheme B), pinned
on the library; unit tests of the SGD part of normcourse.weight_decay and of the page's
plotting functions. The Adam page's claims are in tests/test_claims_weight_decay_adam.py.

The claims already tested in tests/test_optim.py (parity with torch.optim, A ≡ B for
β = 0 and γ = λ, A ≠ B with momentum on an MLP) are not repeated here; these tests pin
what the page adds, on the page's own seeded examples.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from normcourse import datasets, plotting
from normcourse import optim as nopt
from normcourse import weight_decay as wd
from normcourse.constrained import ridge

START = (-1.5, 2.5)
PAGE = Path(__file__).resolve().parents[1] / "book" / "principles" / "weight-decay.md"


def page_function(page: Path, name: str):
    """The function ``name`` defined in a code cell of ``page``, executed with numpy as np:
    the test runs the page's own from-scratch loop, not a copy of it."""
    import jupytext

    for cell in jupytext.read(page).cells:
        if cell.cell_type == "code" and f"def {name}(" in cell.source:
            namespace = {"np": np}
            exec(cell.source, namespace)
            return namespace[name]
    raise AssertionError(f"no cell of {page.name} defines {name}()")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _grad(X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """∇L for L(θ) = (1/2n)‖y − Xθ‖², written out."""
    return X.T @ (X @ theta - y) / X.shape[0]


# ----------------------------------------------------------- Scheme A vs Scheme B (SGD)


def test_toy_quadratic_is_the_stated_quadratic() -> None:
    c, h, angle = np.array([2.0, 1.0]), np.array([1.0, 0.1]), 30.0
    toy = wd.toy_quadratic(c, h, angle)
    a = np.radians(angle)
    R = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    H = R @ np.diag(h) @ R.T
    rng = np.random.default_rng(0)
    for theta in rng.standard_normal((5, 2)):
        loss = np.sum((toy.y - toy.X @ theta) ** 2) / (2 * toy.X.shape[0])
        assert loss == pytest.approx(0.5 * (theta - c) @ H @ (theta - c), rel=1e-12)
    np.testing.assert_allclose(toy.theta, c)


def test_schemes_agree_without_momentum_and_split_at_step_two_with_it() -> None:
    """β = 0, γ = λ: same iterates. β > 0: θ₁ agrees, θ₂^A − θ₂^B = −ηβλθ₀ exactly."""
    toy = wd.toy_quadratic()
    lr, lam = 0.1, 0.5
    same = wd.compare_schemes(toy.X, toy.y, beta=0.0, lam=lam, lr=lr, steps=150, theta0=START)
    assert same.max_gap < 1e-12
    assert np.linalg.norm(same.theta_a[-1] - same.theta_a[0]) > 1.0  # it did move
    for beta in (0.5, 0.9):
        r = wd.compare_schemes(toy.X, toy.y, beta=beta, lam=lam, lr=lr, steps=150, theta0=START)
        np.testing.assert_allclose(r.theta_a[1], r.theta_b[1], atol=1e-14)
        np.testing.assert_allclose(r.theta_a[2] - r.theta_b[2], -lr * beta * lam * np.array(START),
                                   atol=1e-12)
        assert r.max_gap > 0.3
    # β = 0 but γ ≠ λ: they differ from the first step, by η(γ − λ)θ₀
    r = wd.compare_schemes(toy.X, toy.y, beta=0.0, lam=lam, gamma=0.2, lr=lr, steps=5,
                           theta0=START)
    np.testing.assert_allclose(r.theta_a[1] - r.theta_b[1], -lr * (lam - 0.2) * np.array(START),
                               atol=1e-12)
    # no decay at all: identical for any β (the "λ > 0" in the page's statement)
    r = wd.compare_schemes(toy.X, toy.y, beta=0.9, lam=0.0, lr=lr, steps=50, theta0=START)
    assert r.max_gap == 0.0


def test_scheme_a_step_is_the_unrolled_momentum_sum() -> None:
    """(θ_{t-1} − θ_t)/η = Σ_k β^k (∇L(θ_{t-1-k}) + λθ_{t-1-k}) for every t."""
    toy = wd.toy_quadratic()
    lr, lam, beta, T = 0.1, 0.5, 0.9, 120
    th = wd.least_squares_trajectory(toy.X, toy.y, lr=lr, momentum=beta, weight_decay=lam,
                                     steps=T, theta0=START)
    g = np.array([_grad(toy.X, toy.y, th[s]) + lam * th[s] for s in range(T)])  # g_{s+1}
    for t in range(1, T + 1):
        weights = beta ** np.arange(t)[::-1]  # β^{t-1-s} for s = 0 … t-1
        v_t = weights @ g[:t]
        np.testing.assert_allclose((th[t - 1] - th[t]) / lr, v_t, rtol=1e-9, atol=1e-11)


def test_least_squares_trajectory_first_step_is_a_gradient_step() -> None:
    reg = datasets.sparse_regression(n_samples=30, n_features=4, n_informative=4, seed=1)
    theta0 = np.ones(4)
    th = wd.least_squares_trajectory(reg.X, reg.y, lr=0.1, weight_decay=0.3, steps=1,
                                     theta0=theta0)
    np.testing.assert_allclose(th[1], theta0 - 0.1 * (_grad(reg.X, reg.y, theta0) + 0.3 * theta0),
                               rtol=1e-13)
    assert np.all(wd.least_squares_trajectory(reg.X, reg.y, lr=0.1, steps=3)[0] == 0.0)


def _zero_grad_fracs(eta: float, lam: float, beta: float, T: int) -> dict[str, np.ndarray]:
    makers = {
        "A": lambda p: nopt.SGD(p, lr=eta, momentum=beta, weight_decay=lam),
        "B": lambda p: nopt.SGDW(p, lr=eta, momentum=beta, weight_decay=lam),
        "plain": lambda p: nopt.SGD(p, lr=eta, weight_decay=lam),
    }
    out = {}
    for name, make in makers.items():
        c = wd.zero_gradient_trajectory([1.0], T, make)[:, 0]
        out[name] = 1 - c[1:] / c[:-1]
    return out


def test_zero_gradient_scheme_a_decays_like_lambda_over_one_minus_beta() -> None:
    """The page's example: η = 0.02, λ = 0.01, β = 0.9, 3000 steps."""
    eta, lam, beta, T = 0.02, 0.01, 0.9, 3000
    frac = _zero_grad_fracs(eta, lam, beta, T)
    t = np.arange(1, T + 1)
    unrolled = eta * lam * (1 - beta**t) / (1 - beta)
    np.testing.assert_allclose(frac["B"], eta * lam, rtol=1e-9)       # exactly ηγ, any β
    np.testing.assert_allclose(frac["plain"], eta * lam, rtol=1e-9)
    assert frac["A"][0] == pytest.approx(eta * lam, rel=1e-12)       # no history yet
    assert np.all(np.abs(frac["A"] / unrolled - 1) < 0.02)           # follows the sum
    rate = wd.momentum_decay_rate(eta, beta, lam)
    assert abs(frac["A"][-1] - rate) < 1e-10                          # the exact root
    first_order = eta * lam / (1 - beta)
    assert 0.0 < rate / first_order - 1 < 0.025                        # "settles 2 % above"
    assert np.diff(frac["A"][:40]).min() > 0                           # climbs monotonically


@pytest.mark.parametrize(
    ("eta", "lam", "beta"),
    [(0.02, 0.01, 0.9), (0.1, 0.001, 0.5), (1e-3, 1e-3, 0.9), (0.05, 0.1, 0.0), (0.01, 1e-3, 0.95)],
)
def test_momentum_decay_rate_first_order_and_recurrence(eta, lam, beta) -> None:
    rate = wd.momentum_decay_rate(eta, beta, lam)
    approx = eta * lam / (1 - beta)
    small = eta * lam / (1 - beta) ** 2
    assert small < 0.1
    assert abs(rate / approx - 1) <= 1.2 * small * beta + 1e-12       # O(ηλβ/(1 − β)²)
    rho = 1 - rate
    assert rho**2 - (1 + beta - eta * lam) * rho + beta == pytest.approx(0.0, abs=1e-12)


def test_momentum_decay_rate_underdamped_case() -> None:
    """ηλ > (1 − √β)²: complex roots of modulus √β."""
    beta = 0.81
    assert wd.momentum_decay_rate(0.5, beta, 1.0) == pytest.approx(1 - 0.9, abs=1e-12)
    c = wd.zero_gradient_trajectory([1.0], 200, lambda p: nopt.SGD(p, lr=0.5, momentum=beta,
                                                                    weight_decay=1.0))[:, 0]
    assert np.any(c < 0)  # it oscillates around 0


def test_stationary_points_are_ridge_lambda_and_ridge_one_minus_beta_gamma() -> None:
    """Page example: 10 features, λ = 0.5, η = 0.05, 800 steps."""
    reg = datasets.sparse_regression(n_samples=100, n_features=10, n_informative=10, seed=0)
    lam = 0.5
    for beta in (0.0, 0.5, 0.9):
        r = wd.compare_schemes(reg.X, reg.y, beta=beta, lam=lam, lr=0.05, steps=800)
        matched = wd.compare_schemes(reg.X, reg.y, beta=beta, lam=lam, gamma=lam / (1 - beta),
                                     lr=0.05, steps=800)
        assert np.linalg.norm(r.theta_a[-1] - ridge(reg.X, reg.y, lam)) < 1e-8
        assert np.linalg.norm(r.theta_b[-1] - ridge(reg.X, reg.y, (1 - beta) * lam)) < 1e-8
        assert np.linalg.norm(matched.theta_b[-1] - ridge(reg.X, reg.y, lam)) < 1e-8
        np.testing.assert_allclose(r.fixed_a, ridge(reg.X, reg.y, lam))
        np.testing.assert_allclose(r.fixed_b, ridge(reg.X, reg.y, (1 - beta) * lam))
        if beta > 0:
            assert np.linalg.norm(r.theta_b[-1] - ridge(reg.X, reg.y, lam)) > 0.5
        # Scheme B's limit is the weaker-regularised one: larger norm
        assert np.linalg.norm(r.fixed_b) >= np.linalg.norm(r.fixed_a) - 1e-12
    # the stationarity conditions themselves, at the last iterate
    r = wd.compare_schemes(reg.X, reg.y, beta=0.9, lam=lam, lr=0.05, steps=800)
    np.testing.assert_allclose(_grad(reg.X, reg.y, r.theta_a[-1]) + lam * r.theta_a[-1], 0,
                               atol=1e-9)
    np.testing.assert_allclose(
        _grad(reg.X, reg.y, r.theta_b[-1]) + 0.1 * lam * r.theta_b[-1], 0, atol=1e-9)


def test_static_grid_figure_limits_on_the_toy() -> None:
    """The page's grid (the explorer's compute, 300 steps): the β = 0 row coincides
    ("A ≡ B"), the others do not; every A path ends at its star, every B path at its
    diamond, and the diamond lies between the star and the unregularised minimum."""
    from normcourse.widgets import SchemeExplorer

    ex = SchemeExplorer()
    toy = ex.problem
    grid = wd.scheme_grid_results(ex.compute, [0.0, 0.5, 0.9], [0.1, 0.5, 1.0], 0.1)
    axes = plotting.scheme_grid_plot(grid, toy.X, toy.y)
    titles = [[a.get_title() for a in row] for row in axes]
    assert all("A ≡ B" in t for t in titles[0])
    assert not any("A ≡ B" in t for row in titles[1:] for t in row)
    assert len({a.get_xlim() for a in axes.flat}) == 1  # all panels share one window
    for beta in (0.0, 0.5, 0.9):
        for lam in (0.1, 0.5, 1.0):
            r = ex.compute(beta, lam, 0.1)
            assert np.linalg.norm(r.theta_a[-1] - ridge(toy.X, toy.y, lam)) < 1e-2
            assert np.linalg.norm(r.theta_b[-1] - ridge(toy.X, toy.y, (1 - beta) * lam)) < 1e-2
            c = toy.theta
            if beta > 0:
                assert np.linalg.norm(r.fixed_b - c) < np.linalg.norm(r.fixed_a - c)
                d_ac = np.linalg.norm(r.fixed_a - c)
                assert np.linalg.norm(r.fixed_b - r.fixed_a) < d_ac  # between star and +
    # B's limit moves towards the minimum as β grows
    dist = [np.linalg.norm(ex.compute(b, 0.5, 0.1).fixed_b - toy.theta) for b in (0.0, 0.5, 0.9)]
    assert dist[0] > dist[1] > dist[2]
    # with β = 0.9, Scheme A's path is longer than B's, the more so the larger λ
    def length(th: np.ndarray) -> float:
        return float(np.linalg.norm(np.diff(th, axis=0), axis=1).sum())

    ratios = []
    for lam in (0.1, 0.5, 1.0):
        r = ex.compute(0.9, lam, 0.1)
        ratios.append(length(r.theta_a) / length(r.theta_b))
    assert 1.05 < ratios[0] < ratios[1] < ratios[2] < 3.0


def _torch_sgd_path(X, y, theta0, lr, beta, decay, decoupled, steps):
    """The real torch.optim.SGD on (1/2n)‖y − Xθ‖²; Scheme B is its momentum step after
    the hand-written shrink θ ← (1 − ηγ)θ (torch has no decoupled SGD)."""
    theta = torch.nn.Parameter(torch.tensor(theta0, dtype=torch.float64))
    opt = torch.optim.SGD([theta], lr=lr, momentum=beta, weight_decay=0.0 if decoupled else decay)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    path = [np.array(theta0, dtype=float)]
    for _ in range(steps):
        opt.zero_grad()
        (0.5 / X.shape[0] * torch.sum((yt - Xt @ theta) ** 2)).backward()
        if decoupled:
            with torch.no_grad():
                theta.mul_(1 - lr * decay)
        opt.step()
        path.append(theta.detach().numpy().copy())
    return np.array(path)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
@pytest.mark.parametrize("decoupled", [False, True])
def test_page_sgd_loop_matches_torch_optim_and_library(beta, decoupled) -> None:
    """The page's numpy loop ``sgd_by_hand`` is Scheme A / Scheme B: it follows the real
    torch.optim.SGD (to 1e-6 over a few steps, as the page says) and the library."""
    sgd_by_hand = page_function(PAGE, "sgd_by_hand")
    toy = wd.toy_quadratic()
    reg = datasets.sparse_regression(n_samples=30, n_features=4, n_informative=4, seed=2)
    lr, lam = 0.1, 0.5
    for X, y, theta0 in ((toy.X, toy.y, np.array(START)), (reg.X, reg.y, np.ones(4))):
        grad = partial(_grad, X, y)
        hand = sgd_by_hand(grad, theta0, lr, beta, lam, decoupled, 20)
        ref = _torch_sgd_path(X, y, theta0, lr, beta, lam, decoupled, 20)
        assert hand.shape == (21, theta0.size)
        np.testing.assert_allclose(hand, ref, rtol=0, atol=1e-6)
        np.testing.assert_allclose(hand, ref, rtol=1e-10, atol=1e-12)  # in fact: rounding
        lib = wd.least_squares_trajectory(X, y, lr=lr, momentum=beta, weight_decay=lam,
                                          decoupled=decoupled, steps=150, theta0=theta0)
        long = sgd_by_hand(grad, theta0, lr, beta, lam, decoupled, 150)
        np.testing.assert_allclose(long, lib, rtol=0, atol=1e-12)
    # the loop really distinguishes the schemes (a wrong branch would make them coincide)
    a = sgd_by_hand(partial(_grad, toy.X, toy.y), START, 0.1, 0.9, 0.5, False, 3)
    b = sgd_by_hand(partial(_grad, toy.X, toy.y), START, 0.1, 0.9, 0.5, True, 3)
    np.testing.assert_allclose(a[2] - b[2], -0.1 * 0.9 * 0.5 * np.array(START), atol=1e-12)


# ----------------------------------------------------------------- input checks, figures


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: wd.toy_quadratic(curvatures=(1.0, -0.1)), "curvatures"),
        (lambda: wd.toy_quadratic(minimiser=(1.0, 2.0, 3.0)), "minimiser"),
        (lambda: wd.compare_schemes(np.eye(2), np.ones(2), beta=1.0, lam=0.1, lr=0.1), "beta"),
        (lambda: wd.compare_schemes(np.eye(2), np.ones(2), beta=0.5, lam=-1, lr=0.1), "lam"),
        (lambda: wd.compare_schemes(np.eye(2), np.ones(2), beta=0.5, lam=0.1, lr=0.0), "lr"),
        (lambda: wd.compare_schemes(np.eye(2), np.ones(2), beta=0.5, lam=0.1, lr=0.1,
                                    gamma=-1.0), "gamma"),
        (lambda: wd.least_squares_trajectory(np.eye(2), np.ones(2), lr=0.1, theta0=[1.0]),
         "theta0"),
        (lambda: wd.least_squares_trajectory(np.eye(2), np.ones(3), lr=0.1), "X"),
        (lambda: wd.least_squares_trajectory(np.eye(2), np.ones(2), lr=0.1, steps=0), "steps"),
        (lambda: wd.momentum_decay_rate(0.1, 1.0, 0.1), "beta"),
        (lambda: wd.momentum_decay_rate(-0.1, 0.5, 0.1), "lr"),
        (lambda: wd.zero_gradient_trajectory([1.0], 5, lambda p: object()), "make_optimizer"),
        (lambda: wd.zero_gradient_trajectory([[1.0]], 5, lambda p: nopt.SGD(p, lr=0.1)),
         "theta0"),
        (lambda: wd.least_squares_trajectory(np.eye(2), np.ones(2), lr=-0.1), "lr"),
        (lambda: wd.least_squares_trajectory(np.eye(2), np.ones(2), lr=0.1, momentum=1.0),
         "momentum"),
    ],
)
def test_bad_inputs_raise_value_error_naming_them(call, name) -> None:
    with pytest.raises(ValueError, match=rf"^{name}\W"):
        call()


def test_plot_functions_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="curves"):
        plotting.shrink_plot({"x": np.array([1.0, 0.0, -1.0])})
    with pytest.raises(ValueError, match="betas"):
        wd.scheme_grid_results(lambda *a: None, [], [0.1], 0.1)
    reg = datasets.sparse_regression(n_samples=20, n_features=3, n_informative=3, seed=0)
    r = wd.compare_schemes(reg.X, reg.y, beta=0.5, lam=0.1, lr=0.1, steps=5)
    with pytest.raises(ValueError, match="2 parameters"):
        plotting.scheme_plot(r)


def test_plot_functions_draw_what_they_are_given() -> None:
    _, right = plotting.shrink_plot({"c": np.array([1.0, 0.5, 0.25])}, {"g": 0.5})
    np.testing.assert_allclose(right.get_lines()[0].get_ydata(), [0.5, 0.5])
    toy = wd.toy_quadratic()
    r = wd.compare_schemes(toy.X, toy.y, beta=0.5, lam=0.5, lr=0.1, steps=30, theta0=START)
    ax = plotting.scheme_plot(r, toy.X, toy.y)
    drawn = {ln.get_label(): ln for ln in ax.get_lines()}
    np.testing.assert_allclose(drawn["A: L2 in the loss"].get_xdata(), r.theta_a[:, 0])
    np.testing.assert_allclose(drawn["B: decoupled"].get_ydata(), r.theta_b[:, 1])
