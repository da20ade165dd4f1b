"""Claims made by book/principles/weight-decay.md, pinned on the library; unit tests of
normcourse.weight_decay and of the page's plotting functions.

The claims already tested in tests/test_optim.py (parity with torch.optim, A ≡ B for
β = 0 and γ = λ, A ≠ B with momentum on an MLP, the zero-gradient behaviour of Adam + L2
and AdamW at η = 1e-4) are not repeated here; these tests pin what the page adds, on the
page's own seeded examples.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from scipy.stats import spearmanr
from torch import nn

from normcourse import datasets, plotting
from normcourse import optim as nopt
from normcourse import weight_decay as wd
from normcourse.constrained import ridge

START = (-1.5, 2.5)


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


# -------------------------------------------------------------------- Adam + L2 vs AdamW


def test_adam_l2_zero_gradient_first_step_size_and_lambda_independence() -> None:
    theta0 = np.array([0.5, 1.0, 2.0, 4.0])
    eta, lam, T = 0.01, 0.1, 300

    def run(make):
        return wd.zero_gradient_trajectory(theta0, T, make)

    adam_l2 = run(lambda p: nopt.Adam(p, lr=eta, weight_decay=lam))
    adamw = run(lambda p: nopt.AdamW(p, lr=eta, weight_decay=lam))
    np.testing.assert_allclose(theta0 - adam_l2[1], eta, rtol=1e-6)  # η·sign(θ₀), any |θ₀|
    np.testing.assert_allclose(adamw[1:] / adamw[:-1], 1 - eta * lam, rtol=1e-12)
    # λ does not matter for Adam + L2 without data gradient (Adam is scale invariant) ...
    small = run(lambda p: nopt.Adam(p, lr=eta, weight_decay=lam / 100))
    assert np.abs(adam_l2 - small).max() < 1e-4
    # ... and it does for AdamW
    assert np.abs(adamw - run(lambda p: nopt.AdamW(p, lr=eta, weight_decay=lam / 100))).max() > 0.1
    # small weights vanish first; AdamW keeps the ratios
    rel = adam_l2[-1] / theta0
    assert np.all(np.diff(rel) > 0) and rel[0] < 0.01 and rel[-1] > 0.3
    assert np.ptp(adamw[-1] / theta0) < 1e-12
    # later steps are shorter than η (v̂ remembers the larger past |λθ|)
    steps = adam_l2[:-1] - adam_l2[1:]
    assert np.all(steps[1:50, 3] < eta) and np.all(steps[1:50, 3] > 0.5 * eta)


def test_adam_effective_decay_matches_hand_computation() -> None:
    torch.manual_seed(0)
    w = nn.Parameter(torch.randn(5, 3, dtype=torch.float64))
    b = nn.Parameter(torch.randn(3, dtype=torch.float64))
    opt = nopt.Adam([{"params": [w]}, {"params": [b], "weight_decay": 0.0}], lr=0.01,
                    betas=(0.9, 0.99), weight_decay=0.1)
    assert np.all(np.isnan(wd.adam_effective_decay(opt)[0]))  # before the first step
    for _ in range(7):
        opt.zero_grad()
        ((w**3).sum() + (b**2).sum()).backward()
        opt.step()
    dec_w, dec_b = wd.adam_effective_decay(opt)
    v_hat = opt.state[w]["exp_avg_sq"].numpy() / (1 - 0.99**7)
    np.testing.assert_allclose(dec_w, 0.01 * 0.1 / (np.sqrt(v_hat) + 1e-8), rtol=1e-12)
    assert np.all(dec_b == 0.0)  # no decay in that group
    opt_w = nopt.AdamW([w], lr=0.01, weight_decay=0.1)
    assert np.all(wd.adam_effective_decay(opt_w)[0] == 0.01 * 0.1)
    # amsgrad reads the running maximum
    opt_a = nopt.Adam([w], lr=0.01, weight_decay=0.1, amsgrad=True)
    for _ in range(3):
        opt_a.zero_grad()
        (w**3).sum().backward()
        opt_a.step()
    vmax = opt_a.state[w]["max_exp_avg_sq"].numpy() / (1 - 0.999**3)
    np.testing.assert_allclose(wd.adam_effective_decay(opt_a)[0],
                               1e-3 / (np.sqrt(vmax) + 1e-8), rtol=1e-12)


# ------------------------------------------------------------------ the digits experiment

ETA = 1e-3


@pytest.fixture(scope="module")
def digits() -> dict[tuple[bool, float], wd.DigitsRun]:
    runs = {}
    for lam in (0.01, 0.1):
        for dec in (False, True):
            runs[dec, lam] = wd.train_digits_mlp(decoupled=dec, lam=lam, lr=ETA, seed=0)
    runs[False, 0.001] = wd.train_digits_mlp(decoupled=False, lam=0.001, lr=ETA, seed=0)
    return runs


def _live(run: wd.DigitsRun) -> np.ndarray:
    return np.setdiff1d(np.arange(64), run.dead_inputs)


def test_digits_adamw_decays_every_weight_by_eta_lambda(digits) -> None:
    w = digits[True, 0.01]
    assert w.steps == 660
    assert all(np.all(d == ETA * 0.01) for d in w.decay.values())
    assert sum(d.size for d in w.decay.values()) == 4736


def test_digits_adam_l2_decay_spread_and_layer_imbalance(digits) -> None:
    l2, w = digits[False, 0.01], digits[True, 0.01]
    d1, d2 = l2.decay["W1"][:, _live(l2)], l2.decay["W2"]
    p5, p95 = np.percentile(np.concatenate([d1.ravel(), d2.ravel()]), [5, 95])
    assert p95 / p5 > 100                                           # > two orders of magnitude
    assert 3 < np.median(d1) / np.median(d2) < 5.5                    # "about four times"
    assert np.median(d2) > 20 * ETA * 0.01
    assert np.median(d1) > 100 * ETA * 0.01                          # "hundreds of times"
    ratio = l2.weight_norms[-1] / w.weight_norms[-1]
    assert ratio[0] < ratio[1] - 0.15                                # W₁ shrunk much more


def test_digits_rarely_lit_pixels_are_decayed_most(digits) -> None:
    l2 = digits[False, 0.01]
    live = _live(l2)
    d1 = l2.decay["W1"][:, live]
    rho = spearmanr(l2.pixel_frequency[live], np.median(d1, axis=0)).statistic
    assert rho < -0.8
    W1 = np.abs(l2.model[0].weight.detach().numpy()[:, live])
    tail = d1 > 0.03
    starved = (l2.pixel_frequency[live][None, :] < 0.05) | (l2.hidden_active[:, None] == 0)
    assert tail.sum() > 100 and starved[tail].mean() > 0.95
    assert np.median(W1[tail]) < 1e-3 and np.median(W1[~tail]) > 0.05


def test_digits_dead_pixel_weights(digits) -> None:
    """Zero data gradient inside the network: AdamW exactly (1 − ηλ)^T, Adam + L2 → 0."""
    l2, w = digits[False, 0.01], digits[True, 0.01]
    assert l2.dead_inputs.tolist() == [0, 24, 32, 39]
    dead = l2.dead_inputs
    assert np.abs(l2.W1_init[:, dead]).max() <= 0.125                # ≤ 125 steps of size η
    assert np.abs(l2.model[0].weight.detach().numpy()[:, dead]).max() < 1e-6
    np.testing.assert_allclose(w.model[0].weight.detach().numpy()[:, dead],
                               w.W1_init[:, dead] * (1 - ETA * 0.01) ** w.steps, rtol=1e-12)
    assert (1 - ETA * 0.01) ** w.steps == pytest.approx(0.993, abs=5e-4)


def test_digits_same_lambda_means_different_things(digits) -> None:
    assert digits[False, 0.1].test_accuracy < 0.85 < 0.94 < digits[True, 0.1].test_accuracy
    # at λ = 0.01 both fit the data (the page prints, and claims nothing more)
    assert digits[False, 0.01].test_accuracy > 0.93 and digits[True, 0.01].test_accuracy > 0.93


def test_digits_lower_lambda_shifts_but_does_not_narrow_the_histogram(digits) -> None:
    medians, spreads = [], []
    for lam in (0.001, 0.01, 0.1):
        run = digits[False, lam]
        d = np.concatenate([run.decay["W1"][:, _live(run)].ravel(), run.decay["W2"].ravel()])
        p5, p50, p95 = np.percentile(d, [5, 50, 95])
        medians.append(p50)
        spreads.append(p95 / p5)
    assert medians[0] < medians[1] < medians[2]
    assert min(spreads) > 30


def test_digits_run_is_reproducible() -> None:
    a = wd.train_digits_mlp(decoupled=False, lam=0.01, epochs=2, seed=3)
    b = wd.train_digits_mlp(decoupled=False, lam=0.01, epochs=2, seed=3)
    assert np.array_equal(a.weight_norms, b.weight_norms)
    assert torch.get_num_threads() >= 1  # the one-thread context restored a valid setting


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
        (lambda: wd.adam_effective_decay(torch.optim.Adam([nn.Parameter(torch.ones(1))])),
         "opt"),
        (lambda: wd.train_digits_mlp(False, lam=-0.1), "lam"),
        (lambda: wd.train_digits_mlp(False, lam=0.1, epochs=0), "epochs"),
    ],
)
def test_bad_inputs_raise_value_error_naming_them(call, name) -> None:
    with pytest.raises(ValueError, match=rf"^{name}\W"):
        call()


def test_plot_functions_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="decays"):
        plotting.decay_histogram({"W": np.array([np.nan, -1.0])})
    with pytest.raises(ValueError, match="curves"):
        plotting.shrink_plot({"x": np.array([1.0, 0.0, -1.0])})
    with pytest.raises(ValueError, match="trajectories"):
        plotting.zero_gradient_plot({"x": np.zeros((3, 2))})
    with pytest.raises(ValueError, match="betas"):
        wd.scheme_grid_results(lambda *a: None, [], [0.1], 0.1)
    reg = datasets.sparse_regression(n_samples=20, n_features=3, n_informative=3, seed=0)
    r = wd.compare_schemes(reg.X, reg.y, beta=0.5, lam=0.1, lr=0.1, steps=5)
    with pytest.raises(ValueError, match="2 parameters"):
        plotting.scheme_plot(r)


def test_plot_functions_draw_what_they_are_given() -> None:
    theta0 = np.array([0.5, 2.0])
    tr = wd.zero_gradient_trajectory(theta0, 50, lambda p: nopt.AdamW(p, lr=0.01))
    axes = plotting.zero_gradient_plot({"AdamW": tr})
    lines = [ln for ln in axes[0].get_lines() if ln.get_label().startswith("θ₀")]
    np.testing.assert_allclose(lines[1].get_ydata(), tr[:, 1] / 2.0)
    ax = plotting.decay_histogram({"a": np.array([1e-3, 2e-3]), "b": np.array([1e-2])},
                                  constant=1e-5)
    assert ax.get_xscale() == "log" and sum(p.get_height() for p in ax.patches) == 3
    _, right = plotting.shrink_plot({"c": np.array([1.0, 0.5, 0.25])}, {"g": 0.5})
    np.testing.assert_allclose(right.get_lines()[0].get_ydata(), [0.5, 0.5])
    ax = plotting.norm_history_plot({"r": np.array([[1.0, 2.0], [3.0, 4.0]])}, ["W₁", "W₂"])
    assert [ln.get_label() for ln in ax.get_lines()] == ["W₁, r", "W₂, r"]
