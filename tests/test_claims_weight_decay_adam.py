"""Claims made by book/principles/weight-decay-adam.md (Adam + L2 against AdamW, and which
parameters to decay), pinned on the library; unit tests of the Adam part of
normcourse.weight_decay and of the page's plotting functions.

Parity of normcourse.optim.Adam/AdamW with torch.optim and the zero-gradient behaviour at
η = 1e-4 are tested in tests/test_optim.py and not repeated here; these tests pin what the
page adds, on the page's own seeded examples, against independent computations (numpy
Adam written out here, the real torch.optim, hand-built parameter groups).
"""

from __future__ import annotations

import copy
from functools import partial
from pathlib import Path

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
from normcourse.plotting.weight_decay import gradient_scale_plot

PAGE = Path(__file__).resolve().parents[1] / "book" / "principles" / "weight-decay-adam.md"
START = (-1.5, 2.5)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


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


def _grad(X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """∇L for L(θ) = (1/2n)‖y − Xθ‖², written out."""
    return X.T @ (X @ theta - y) / X.shape[0]


# ------------------------------------------------------------- the page's numpy Adam loop


@pytest.mark.parametrize("decoupled", [False, True])
@pytest.mark.parametrize(("lr", "lam", "betas"), [(0.05, 0.5, (0.9, 0.999)),
                                                 (0.01, 0.1, (0.8, 0.99)),
                                                 (0.1, 0.0, (0.9, 0.999))])
def test_page_adam_loop_matches_torch_optim_and_library(decoupled, lr, lam, betas) -> None:
    """``adam_by_hand`` of the page is Adam + L2 / AdamW: it follows the real torch.optim
    (to 1e-6 over a few steps, as the page says) and normcourse.optim."""
    adam_by_hand = page_function(PAGE, "adam_by_hand")
    toy = wd.toy_quadratic()
    reg = datasets.sparse_regression(n_samples=30, n_features=4, n_informative=4, seed=2)
    torch_cls = torch.optim.AdamW if decoupled else torch.optim.Adam
    for X, y, theta0 in ((toy.X, toy.y, np.array(START)), (reg.X, reg.y, np.ones(4))):
        grad = partial(_grad, X, y)
        hand = adam_by_hand(grad, theta0, lr, lam, decoupled, 20, betas=betas)
        ref = wd.optimizer_trajectory(
            X, y, lambda p: torch_cls(p, lr=lr, betas=betas, weight_decay=lam),
            steps=20, theta0=theta0)
        assert hand.shape == (21, theta0.size)
        np.testing.assert_allclose(hand, ref, rtol=0, atol=1e-6)
        np.testing.assert_allclose(hand, ref, rtol=1e-9, atol=1e-12)  # in fact: rounding
        lib = wd.optimizer_trajectory(
            X, y, lambda p: nopt.Adam(p, lr=lr, betas=betas, weight_decay=lam,
                                      decoupled=decoupled), steps=200, theta0=theta0)
        long = adam_by_hand(grad, theta0, lr, lam, decoupled, 200, betas=betas)
        np.testing.assert_allclose(long, lib, rtol=1e-9, atol=1e-12)


def test_page_adam_loop_distinguishes_adam_l2_from_adamw() -> None:
    adam_by_hand = page_function(PAGE, "adam_by_hand")
    zero = np.zeros_like
    a = adam_by_hand(zero, [0.5, 4.0], 0.01, 0.1, False, 1)
    w = adam_by_hand(zero, [0.5, 4.0], 0.01, 0.1, True, 1)
    np.testing.assert_allclose(a[1], [0.5 - 0.01, 4.0 - 0.01], rtol=1e-6)   # η·sign(θ)
    np.testing.assert_allclose(w[1], np.array([0.5, 4.0]) * (1 - 0.01 * 0.1), rtol=1e-12)


def test_optimizer_trajectory_is_the_optimizer_on_least_squares() -> None:
    reg = datasets.sparse_regression(n_samples=30, n_features=4, n_informative=4, seed=1)
    via = wd.optimizer_trajectory(reg.X, reg.y, lambda p: nopt.SGD(p, lr=0.1, momentum=0.5,
                                                                   weight_decay=0.3), steps=40)
    direct = wd.least_squares_trajectory(reg.X, reg.y, lr=0.1, momentum=0.5, weight_decay=0.3,
                                         steps=40)
    assert np.array_equal(via, direct)
    assert np.all(via[0] == 0.0)
    theta0 = np.ones(4)
    one = wd.optimizer_trajectory(reg.X, reg.y, lambda p: torch.optim.SGD(p, lr=0.1), steps=1,
                                  theta0=theta0)
    np.testing.assert_allclose(one[1], theta0 - 0.1 * _grad(reg.X, reg.y, theta0), rtol=1e-13)
    with pytest.raises(ValueError, match="diverged"):
        wd.optimizer_trajectory(reg.X, reg.y, lambda p: torch.optim.SGD(p, lr=1e6), steps=200)


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
    # "every single weight, by a factor of at least 20" (dead pixels included)
    assert min(d.min() for d in l2.decay.values()) > 20 * ETA * 0.01
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


# ------------------------------------------------------- small gradients mean more decay

SCALES = np.r_[0.0, np.logspace(-5, 1, 13)]


def _numpy_adam_l2_alternating(scales, lam, lr, steps, theta0=1.0, b1=0.9, b2=0.999, eps=1e-8):
    """Adam + L2 written out in numpy for g_j(t) = s_j(−1)ᵗ: iterates and final v̂."""
    theta = np.full(len(scales), theta0)
    m, v, path = np.zeros_like(theta), np.zeros_like(theta), [theta.copy()]
    for t in range(1, steps + 1):
        g = scales * (-1.0) ** t + lam * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        theta = theta - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        path.append(theta.copy())
    return np.array(path), v / (1 - b2**steps)


def test_small_gradients_mean_more_decay_under_adam_l2() -> None:
    """The page's experiment (η = 1e-3, λ = 0.01, 400 steps): the decay per step falls
    with the gradient size s, is > ηλ (AdamW's) for s < 1 and < ηλ for s > 1, follows
    ηλ/s for s ≥ 0.1, and is largest (> 100 ηλ) without data gradient — the opposite of
    "small gradients, less decay". Checked against a numpy Adam written out here."""
    eta, lam, T = 1e-3, 0.01, 400
    run = wd.adam_decay_by_gradient_scale(SCALES, lam=lam, lr=eta, steps=T)
    path, v_hat = _numpy_adam_l2_alternating(SCALES, lam, eta, T)
    np.testing.assert_allclose(run.trajectory, path, rtol=1e-10)
    c = eta * lam / (np.sqrt(v_hat) + 1e-8)                     # independent coefficient
    np.testing.assert_allclose(run.coefficient, c, rtol=1e-9)
    shrink = 1 - np.sqrt(path[-1] / path[-3])                   # actually removed per step
    np.testing.assert_allclose(run.measured, shrink, rtol=1e-9)
    assert np.all(np.abs(shrink / c - 1) < 0.02)               # "agree to within 2 %"
    assert np.all(np.diff(c) < 1e-6 * c[:-1]) and np.all(np.diff(c[SCALES >= 1e-4]) < 0)
    assert np.all(c[SCALES < 0.9] > eta * lam) and np.all(c[SCALES > 1.1] < eta * lam)
    big = SCALES >= 0.1
    np.testing.assert_allclose(c[big], eta * lam / SCALES[big], rtol=0.01)
    assert 100 * eta * lam < c[0] < 150 * eta * lam              # "about 120 times"
    # the page's approximation c/(ηλ) ≈ 1/√(s² + λ²θ²), with θ at the end
    approx = 1 / np.sqrt(SCALES**2 + (lam * path[-1]) ** 2)
    assert np.all(np.abs(c / (eta * lam) / approx - 1) < 0.3)
    # zero gradient: c ≈ η/|θ|, independent of λ (Adam's scale invariance)
    other = wd.adam_decay_by_gradient_scale([0.0], lam=lam / 10, lr=eta, steps=T)
    assert other.coefficient[0] == pytest.approx(c[0], rel=0.01)
    assert c[0] == pytest.approx(eta / path[-1, 0], rel=0.3)


def test_adamw_decays_every_gradient_size_by_eta_lambda() -> None:
    run = wd.adam_decay_by_gradient_scale(SCALES, lam=0.01, lr=1e-3, decoupled=True)
    assert np.all(run.coefficient == 1e-5)
    np.testing.assert_allclose(run.measured, 1e-5, rtol=1e-4)  # + a 3e-5 residue of the data steps


# --------------------------------------------------- which parameters to decay (groups)


def _ln_model(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, 32), nn.LayerNorm(32), nn.ReLU(),
                         nn.Linear(32, 10)).double()


def test_decay_param_groups_for_linear_layernorm_model() -> None:
    model = _ln_model()
    groups = wd.decay_param_groups(model, 0.5)
    assert [g["param_names"] for g in groups] == [["0.weight", "3.weight"],
                                                  ["0.bias", "1.weight", "1.bias", "3.bias"]]
    assert [g["weight_decay"] for g in groups] == [0.5, 0.0]
    params = dict(model.named_parameters())
    for g in groups:
        assert all(p is params[n] for p, n in zip(g["params"], g["param_names"], strict=True))
    # every parameter exactly once
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))


def test_decay_param_groups_other_layers() -> None:
    conv = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(),
                         nn.Linear(4, 2, bias=False), nn.GroupNorm(1, 2))
    dec, keep = wd.decay_param_groups(conv, 1e-2)
    assert dec["param_names"] == ["0.weight", "3.weight"]
    assert keep["param_names"] == ["0.bias", "1.weight", "1.bias", "4.weight", "4.bias"]
    # a LayerNorm over a 2-D shape has 2-D gains: still not decayed
    ln2 = nn.Sequential(nn.Linear(3, 3), nn.LayerNorm([2, 3]))
    assert wd.decay_param_groups(ln2, 0.1)[1]["param_names"] == ["0.bias", "1.weight", "1.bias"]
    # shared parameters appear once; an empty group is left out
    lin = nn.Linear(3, 3, bias=False)
    tied = nn.Sequential(lin, nn.ReLU(), lin)
    (only,) = wd.decay_param_groups(tied, 0.1)
    assert only["param_names"] == ["0.weight"] and only["weight_decay"] == 0.1


def test_decay_param_groups_work_with_torch_and_normcourse_adamw() -> None:
    """Same groups, same training: normcourse.optim.AdamW ≡ torch.optim.AdamW."""
    ours, theirs = _ln_model(), _ln_model()
    o1 = nopt.AdamW(wd.decay_param_groups(ours, 0.5), lr=1e-2)
    o2 = torch.optim.AdamW(wd.decay_param_groups(theirs, 0.5), lr=1e-2)
    t = datasets.digits(seed=0)
    xb, yb = torch.tensor(t.X_train[:64]), torch.tensor(t.y_train[:64])
    for _ in range(10):
        for m, o in ((ours, o1), (theirs, o2)):
            o.zero_grad()
            nn.functional.cross_entropy(m(xb), yb).backward()
            o.step()
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=1e-12)
    assert o2.param_groups[1]["param_names"] == ["0.bias", "1.weight", "1.bias", "3.bias"]


def test_decay_param_groups_undecayed_group_gets_no_decay_at_all() -> None:
    """Zero gradients everywhere: AdamW with the groups multiplies the weights by exactly
    (1 − ηγ) per step and leaves biases and LayerNorm parameters exactly where they are."""
    model = _ln_model()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    opt = nopt.AdamW(wd.decay_param_groups(model, 0.5), lr=1e-2)
    for _ in range(50):
        for p in model.parameters():
            p.grad = torch.zeros_like(p)
        opt.step()
    for n, p in model.named_parameters():
        if n in ("0.weight", "3.weight"):
            torch.testing.assert_close(p, before[n] * (1 - 1e-2 * 0.5) ** 50, rtol=1e-12, atol=0)
        else:
            assert torch.equal(p, before[n]), n
    coef = wd.adam_effective_decay(opt)
    assert [float(np.unique(c)[0]) for c in coef] == [5e-3, 5e-3, 0, 0, 0, 0]


@pytest.fixture(scope="module")
def norm_runs() -> dict[str, wd.NormRun]:
    return {"none": wd.train_digits_layernorm(lam=0.0),
            "all": wd.train_digits_layernorm(lam=0.5, decay="all"),
            "weights": wd.train_digits_layernorm(lam=0.5, decay="weights")}


def test_layernorm_runs_keep_biases_and_norm_params(norm_runs) -> None:
    """The page's table: with the groups the biases and LayerNorm parameters are not
    shrunk (≥ their no-decay size, mean gain ≥ the no-decay one), with everything decayed
    they are (gain below its initial 1, 40 % smaller norm); the weights shrink in both;
    the training loss of 'everything' is more than twice that of the grouped run."""
    none, every, weights = norm_runs["none"], norm_runs["all"], norm_runs["weights"]
    free = ["0.bias", "1.weight", "1.bias", "3.bias"]
    assert none.not_decayed == free and none.decayed == ["0.weight", "3.weight"]
    assert none.steps == 330
    gain = {k: float(r.model[1].weight.detach().mean()) for k, r in norm_runs.items()}
    assert weights.norm(free) >= none.norm(free) > 1.3 * every.norm(free)
    assert gain["all"] < 1.0 < 1.5 < gain["none"] <= gain["weights"]
    assert gain["all"] < 0.75 * gain["none"]
    assert weights.norm(weights.decayed) < 0.7 * none.norm(none.decayed)
    assert every.norm(every.decayed) < 0.7 * none.norm(none.decayed)
    assert every.train_loss > 2 * weights.train_loss
    # the norm helper is the stacked 2-norm
    vals = [p.detach().numpy() for n, p in weights.model.named_parameters() if n in free]
    assert weights.norm(free) == pytest.approx(np.sqrt(sum((v**2).sum() for v in vals)))
    np.testing.assert_allclose(weights.norm(free, at_init=True), none.norm(free, at_init=True))


def test_layernorm_makes_the_first_layer_scale_invariant(norm_runs) -> None:
    """Doubling (W₁, b₁) of the trained grouped network leaves its logits in place (up to
    LayerNorm's ε) and halves the gradient of W₁: ∇L(cW) = ∇L(W)/c."""
    t = datasets.digits(seed=0)
    X, y = torch.tensor(t.X_train), torch.tensor(t.y_train)
    net = norm_runs["weights"].model
    for c in (2.0, 5.0):
        scaled = copy.deepcopy(net)
        with torch.no_grad():
            scaled[0].weight.mul_(c)
            scaled[0].bias.mul_(c)
        out0, out1 = net(X), scaled(X)
        assert (out1 - out0).abs().max() < 1e-2 < out0.abs().max()
        g0 = torch.autograd.grad(nn.functional.cross_entropy(out0, y), net[0].weight)[0]
        g1 = torch.autograd.grad(nn.functional.cross_entropy(out1, y), scaled[0].weight)[0]
        assert float(g1.norm() / g0.norm()) == pytest.approx(1 / c, rel=0.01)
    # without the LayerNorm the same doubling changes the function
    plain = nn.Sequential(net[0], net[2], net[3])
    doubled = copy.deepcopy(plain)
    with torch.no_grad():
        doubled[0].weight.mul_(2.0)
        doubled[0].bias.mul_(2.0)
    assert (doubled(X) - plain(X)).abs().max() > 1.0


def test_layernorm_run_is_reproducible() -> None:
    a = wd.train_digits_layernorm(lam=0.1, epochs=1, seed=3)
    b = wd.train_digits_layernorm(lam=0.1, epochs=1, seed=3)
    assert a.train_loss == b.train_loss
    assert all(torch.equal(p, q) for p, q in zip(a.model.parameters(), b.model.parameters(),
                                                 strict=True))


# ----------------------------------------------------------------- input checks, figures


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: wd.adam_effective_decay(torch.optim.Adam([nn.Parameter(torch.ones(1))])),
         "opt"),
        (lambda: wd.train_digits_mlp(False, lam=-0.1), "lam"),
        (lambda: wd.train_digits_mlp(False, lam=0.1, epochs=0), "epochs"),
        (lambda: wd.adam_decay_by_gradient_scale([-1.0], lam=0.1), "scales"),
        (lambda: wd.adam_decay_by_gradient_scale([], lam=0.1), "scales"),
        (lambda: wd.adam_decay_by_gradient_scale([1.0], lam=-0.1), "lam"),
        (lambda: wd.adam_decay_by_gradient_scale([1.0], lam=0.1, lr=0.0), "lr"),
        (lambda: wd.adam_decay_by_gradient_scale([1.0], lam=0.1, steps=1), "steps"),
        (lambda: wd.adam_decay_by_gradient_scale([1.0], lam=0.1, theta0=-1.0), "theta0"),
        (lambda: wd.adam_decay_by_gradient_scale([1.0], lam=0.1, decoupled=1), "decoupled"),
        (lambda: wd.adam_decay_by_gradient_scale([0.0], lam=0.1, lr=0.5),
         "θ diverged or crossed 0"),
        (lambda: wd.decay_param_groups("model", 0.1), "model"),
        (lambda: wd.decay_param_groups(nn.Linear(2, 2), -0.1), "weight_decay"),
        (lambda: wd.decay_param_groups(nn.ReLU(), 0.1), "model"),
        (lambda: wd.train_digits_layernorm(lam=-1.0), "lam"),
        (lambda: wd.train_digits_layernorm(lam=0.1, decay="biases"), "decay"),
        (lambda: wd.train_digits_layernorm(lam=0.1, hidden=0), "hidden"),
        (lambda: wd.optimizer_trajectory(np.eye(2), np.ones(2), "SGD"), "make_optimizer"),
        (lambda: wd.optimizer_trajectory(np.eye(2), np.ones(2), lambda p: object()),
         "make_optimizer"),
        (lambda: wd.optimizer_trajectory(np.eye(2), np.ones(3), lambda p: nopt.SGD(p, lr=0.1)),
         "X"),
    ],
)
def test_bad_inputs_raise_value_error_naming_them(call, name) -> None:
    with pytest.raises(ValueError, match=rf"^{name}\W"):
        call()


def test_norm_run_rejects_unknown_names(norm_runs) -> None:
    with pytest.raises(ValueError, match="names"):
        norm_runs["none"].norm(["2.weight"])


def test_plot_functions_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="decays"):
        plotting.decay_histogram({"W": np.array([np.nan, -1.0])})
    with pytest.raises(ValueError, match="trajectories"):
        plotting.zero_gradient_plot({"x": np.zeros((3, 2))})
    with pytest.raises(ValueError, match="runs"):
        gradient_scale_plot({})
    with pytest.raises(ValueError, match="GradientScaleRun"):
        gradient_scale_plot({"x": np.ones(3)})


def test_plot_functions_draw_what_they_are_given() -> None:
    theta0 = np.array([0.5, 2.0])
    tr = wd.zero_gradient_trajectory(theta0, 50, lambda p: nopt.AdamW(p, lr=0.01))
    axes = plotting.zero_gradient_plot({"AdamW": tr})
    lines = [ln for ln in axes[0].get_lines() if ln.get_label().startswith("θ₀")]
    np.testing.assert_allclose(lines[1].get_ydata(), tr[:, 1] / 2.0)
    ax = plotting.decay_histogram({"a": np.array([1e-3, 2e-3]), "b": np.array([1e-2])},
                                  constant=1e-5)
    assert ax.get_xscale() == "log" and sum(p.get_height() for p in ax.patches) == 3
    ax = plotting.norm_history_plot({"r": np.array([[1.0, 2.0], [3.0, 4.0]])}, ["W₁", "W₂"])
    assert [ln.get_label() for ln in ax.get_lines()] == ["W₁, r", "W₂, r"]
    run = wd.adam_decay_by_gradient_scale([0.0, 0.01, 1.0], lam=0.01, steps=50)
    ax = gradient_scale_plot({"Adam + L2": run})
    drawn = {ln.get_label(): ln for ln in ax.get_lines()}
    line = drawn[f"Adam + L2 (s = 0: {run.coefficient[0]:.1e})"]
    np.testing.assert_allclose(line.get_xdata(), [0.01, 1.0])           # s = 0 not on a log axis
    np.testing.assert_allclose(line.get_ydata(), run.coefficient[1:])
    np.testing.assert_allclose(drawn["measured shrink"].get_ydata(), run.measured[1:])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
