"""normcourse.optim: parity with torch.optim, the book's claims as numbers, API contracts.

Everything runs in float64 on a seeded MLP (10-32-32-1, MSE) so that "equal to torch"
can be asserted to ~1e-12. The tests that need ``normcourse.penalties`` (written
separately) import it inside the test, so the rest of the file runs without it.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from normcourse import optim as nopt

DT = torch.float64
RTOL = 1e-12
ATOL = 1e-12
STEPS = 1000
CHECKPOINTS = (1, 2, 10, 100, 500, STEPS)

OptFactory = Callable[[Any], torch.optim.Optimizer]


# ----------------------------------------------------------------------------- helpers


def _mlp(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(10, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1)
    ).to(DT)


@pytest.fixture(scope="module")
def data() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1234)
    X = torch.randn(64, 10, generator=g, dtype=DT)
    w = torch.randn(10, 1, generator=g, dtype=DT)
    y = torch.tanh(X @ w) + 0.1 * torch.randn(64, 1, generator=g, dtype=DT)
    return X, y


def _mse(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return nn.functional.mse_loss(model(X), y)


def _train_step(model: nn.Module, opt: torch.optim.Optimizer, X, y) -> float:
    opt.zero_grad()
    loss = _mse(model, X, y)
    loss.backward()
    opt.step()
    return float(loss.detach())


def _flat(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def _run_pair(
    make_a: OptFactory,
    make_b: OptFactory,
    data: tuple[torch.Tensor, torch.Tensor],
    steps: int = STEPS,
    checkpoints: Sequence[int] = CHECKPOINTS,
) -> list[tuple[int, torch.Tensor, torch.Tensor]]:
    """Train two copies of the same MLP in lock-step; return (t, θ_a, θ_b) at checkpoints."""
    X, y = data
    m_a = _mlp()
    m_b = copy.deepcopy(m_a)
    o_a, o_b = make_a(m_a.parameters()), make_b(m_b.parameters())
    out = []
    for t in range(1, steps + 1):
        _train_step(m_a, o_a, X, y)
        _train_step(m_b, o_b, X, y)
        if t in checkpoints:
            out.append((t, _flat(m_a), _flat(m_b)))
    return out


def _assert_same_trajectory(traj, rtol: float = RTOL, atol: float = ATOL) -> None:
    for t, a, b in traj:
        assert torch.isfinite(a).all()
        torch.testing.assert_close(a, b, rtol=rtol, atol=atol, msg=f"differ at step {t}")
    # the run must actually have moved the parameters, or the parity is vacuous
    first, last = traj[0][1], traj[-1][1]
    assert (last - first).abs().max() > 1e-2


# -------------------------------------------------------------- parity with torch.optim

SGD_CASES = {
    "plain": {"lr": 0.05},
    "momentum+wd": {"lr": 0.05, "momentum": 0.9, "weight_decay": 1e-2},
    "nesterov+wd": {"lr": 0.05, "momentum": 0.9, "weight_decay": 1e-2, "nesterov": True},
    "dampening+wd": {"lr": 0.05, "momentum": 0.9, "weight_decay": 1e-2, "dampening": 0.5},
}


@pytest.mark.parametrize("kw", SGD_CASES.values(), ids=SGD_CASES.keys())
def test_coupled_sgd_matches_torch_sgd(data, kw) -> None:
    traj = _run_pair(
        lambda p: nopt.SGD(p, **kw),
        lambda p: torch.optim.SGD(p, foreach=False, **kw),
        data,
    )
    _assert_same_trajectory(traj)


def test_coupled_sgd_matches_torch_sgd_foreach(data) -> None:
    kw = SGD_CASES["nesterov+wd"]
    traj = _run_pair(
        lambda p: nopt.SGD(p, **kw), lambda p: torch.optim.SGD(p, foreach=True, **kw), data
    )
    _assert_same_trajectory(traj)


ADAM_CASES = {
    "adam+l2": (
        lambda p: nopt.Adam(p, lr=1e-2, weight_decay=1e-2),
        lambda p: torch.optim.Adam(p, lr=1e-2, weight_decay=1e-2, foreach=False),
    ),
    "adam+l2-amsgrad": (
        lambda p: nopt.Adam(p, lr=1e-2, betas=(0.8, 0.99), weight_decay=1e-2, amsgrad=True),
        lambda p: torch.optim.Adam(
            p, lr=1e-2, betas=(0.8, 0.99), weight_decay=1e-2, amsgrad=True, foreach=False
        ),
    ),
    "adam-decoupled": (
        lambda p: nopt.Adam(p, lr=1e-2, weight_decay=0.1, decoupled=True),
        lambda p: torch.optim.AdamW(p, lr=1e-2, weight_decay=0.1, foreach=False),
    ),
    "adamw-amsgrad": (
        lambda p: nopt.AdamW(p, lr=1e-2, weight_decay=0.1, amsgrad=True),
        lambda p: torch.optim.AdamW(p, lr=1e-2, weight_decay=0.1, amsgrad=True, foreach=True),
    ),
    "adamw-defaults": (
        lambda p: nopt.AdamW(p, lr=1e-2),
        lambda p: torch.optim.AdamW(p, lr=1e-2),
    ),
}


@pytest.mark.parametrize("pair", ADAM_CASES.values(), ids=ADAM_CASES.keys())
def test_adam_matches_torch(data, pair) -> None:
    make_ours, make_ref = pair
    _assert_same_trajectory(_run_pair(make_ours, make_ref, data))


def test_adamw_default_weight_decay_is_torch_default() -> None:
    p = [nn.Parameter(torch.zeros(3))]
    assert (
        nopt.AdamW(p).defaults["weight_decay"]
        == torch.optim.AdamW(p).defaults["weight_decay"]
        == pytest.approx(1e-2)
    )
    assert nopt.AdamW(p).param_groups[0]["decoupled"] is True
    assert nopt.Adam(p).param_groups[0]["decoupled"] is False


def test_decoupled_sgd_is_scheme_b_written_by_hand(data) -> None:
    """SGD(decoupled=True): v ← βv + ∇L (v₁ = ∇L), θ ← (1 − ηγ)θ − ηv, checked by hand."""
    X, y = data
    lr, beta, gamma = 0.05, 0.9, 0.05
    model = _mlp()
    ref = copy.deepcopy(model)
    opt = nopt.SGD(model.parameters(), lr=lr, momentum=beta, weight_decay=gamma, decoupled=True)
    bufs: list[torch.Tensor | None] = [None] * len(list(ref.parameters()))
    for _ in range(300):
        _train_step(model, opt, X, y)
        ref.zero_grad()
        _mse(ref, X, y).backward()
        with torch.no_grad():
            for i, p in enumerate(ref.parameters()):
                assert p.grad is not None
                g = p.grad
                bufs[i] = g.clone() if bufs[i] is None else beta * bufs[i] + g
                p.copy_((1 - lr * gamma) * p - lr * bufs[i])
    torch.testing.assert_close(_flat(model), _flat(ref), rtol=1e-11, atol=1e-11)
    assert isinstance(nopt.SGDW(model.parameters(), lr=lr), nopt.SGD)
    assert nopt.SGDW(model.parameters(), lr=lr).param_groups[0]["decoupled"] is True


# -------------------------------------------------------------- the book's claims


def test_scheme_a_equals_scheme_b_without_momentum(data) -> None:
    """β = 0, γ = λ: θ − η(∇L + λθ) = (1 − ηλ)θ − η∇L — identical trajectories."""
    lam = 0.05
    traj = _run_pair(
        lambda p: nopt.SGD(p, lr=0.05, weight_decay=lam, decoupled=False),
        lambda p: nopt.SGD(p, lr=0.05, weight_decay=lam, decoupled=True),
        data,
    )
    _assert_same_trajectory(traj, rtol=1e-10, atol=1e-10)


def test_scheme_a_differs_from_scheme_b_with_momentum(data) -> None:
    """β > 0: in Scheme A the decay λθ passes through the velocity (×≈1/(1 − β)), in B not."""
    lam = 0.05
    traj = _run_pair(
        lambda p: nopt.SGD(p, lr=0.01, momentum=0.9, weight_decay=lam, decoupled=False),
        lambda p: nopt.SGD(p, lr=0.01, momentum=0.9, weight_decay=lam, decoupled=True),
        data,
    )
    _, a, b = traj[-1]
    assert (a - b).norm() / b.norm() > 0.05
    # Scheme A's effective decay is ≈ λ/(1 − β) = 10λ: it ends with the smaller weights
    assert a.norm() < 0.9 * b.norm()
    # ... and a Scheme B run with γ = λ/(1 − β) is much closer to A than B with γ = λ is
    traj2 = _run_pair(
        lambda p: nopt.SGD(p, lr=0.01, momentum=0.9, weight_decay=lam, decoupled=False),
        lambda p: nopt.SGD(p, lr=0.01, momentum=0.9, weight_decay=lam / 0.1, decoupled=True),
        data,
        checkpoints=(STEPS,),
    )
    _, a2, b2 = traj2[-1]
    assert (a2 - b2).norm() < 0.5 * (a - b).norm()


@pytest.mark.parametrize("theta0", [1.0, 100.0])
def test_zero_gradient_decoupled_adam_shrinks_by_exactly_one_minus_eta_lambda(theta0) -> None:
    lr, lam = 1e-3, 0.1
    p = nn.Parameter(torch.tensor([theta0, -theta0], dtype=DT))
    opt = nopt.Adam([p], lr=lr, weight_decay=lam, decoupled=True)
    theta = p.detach().clone()
    for _ in range(200):
        p.grad = torch.zeros_like(p)  # the data loss does not depend on p
        opt.step()
        theta = theta * (1 - lr * lam)
        assert torch.equal(p.detach(), theta)  # exactly, bit for bit
    torch.testing.assert_close(
        p.detach(), torch.tensor([theta0, -theta0], dtype=DT) * (1 - lr * lam) ** 200
    )


def test_zero_gradient_adam_l2_moves_by_eta_sign_theta() -> None:
    """Adam + L2: the gradient λθ is divided by √v̂ ≈ λ|θ|, so every θ moves by ≈ η·sign(θ).

    The relative shrink per step is therefore ≈ η/|θ| (100× smaller for |θ| = 100 than for
    |θ| = 1), while decoupled Adam shrinks both by the same relative amount ηλ.
    """
    lr, lam, steps = 1e-4, 0.1, 100
    theta0 = torch.tensor([1.0, -1.0, 100.0, -100.0], dtype=DT)

    def run(decoupled: bool) -> torch.Tensor:
        p = nn.Parameter(theta0.clone())
        opt = nopt.Adam([p], lr=lr, weight_decay=lam, decoupled=decoupled)
        hist = [p.detach().clone()]
        for _ in range(steps):
            p.grad = torch.zeros_like(p)
            opt.step()
            hist.append(p.detach().clone())
        return torch.stack(hist)

    coupled = run(decoupled=False)
    moves = coupled[:-1] - coupled[1:]  # θ_{t-1} − θ_t, one row per step
    # each step moves by η·sign(θ) within 1 %, for both magnitudes
    torch.testing.assert_close(moves, lr * torch.sign(theta0).expand_as(moves), rtol=1e-2, atol=0.0)
    rel_coupled = (moves / coupled[:-1]).mean(0)  # relative shrink per step
    assert rel_coupled[0] == pytest.approx(lr / 1.0, rel=0.02)
    assert rel_coupled[2] == pytest.approx(lr / 100.0, rel=0.02)
    assert rel_coupled[0] / rel_coupled[2] == pytest.approx(100.0, rel=0.05)

    decoupled = run(decoupled=True)
    rel_dec = ((decoupled[:-1] - decoupled[1:]) / decoupled[:-1]).mean(0)
    torch.testing.assert_close(rel_dec, torch.full_like(rel_dec, lr * lam), rtol=1e-9, atol=0)


# --------------------------------------------------- state_dict, closures, groups


class _SoftThreshold:
    """Stand-in L1 penalty for tests that must not depend on normcourse.penalties."""

    def __init__(self, lam: float) -> None:
        self.lam = lam

    def prox(self, w: torch.Tensor, step: float) -> torch.Tensor:
        return torch.sign(w) * torch.clamp(w.abs() - step * self.lam, min=0.0)


class _RowGroupSoftThreshold:
    """Stand-in group-L2,1 penalty: each ROW of a matrix is a group."""

    def __init__(self, lam: float) -> None:
        self.lam = lam

    def prox(self, w: torch.Tensor, step: float) -> torch.Tensor:
        norms = w.norm(dim=1, keepdim=True)
        scale = torch.clamp(1 - step * self.lam / torch.clamp(norms, min=1e-300), min=0.0)
        return w * scale


STATEFUL = {
    "sgd-nesterov": lambda p: nopt.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-2, nesterov=True),
    "sgd-decoupled": lambda p: nopt.SGD(
        p, lr=0.05, momentum=0.9, weight_decay=1e-2, decoupled=True, dampening=0.1
    ),
    "adam-amsgrad": lambda p: nopt.Adam(p, lr=1e-2, weight_decay=1e-2, amsgrad=True),
    "adamw": lambda p: nopt.AdamW(p, lr=1e-2, weight_decay=0.1),
    "proxsgd": lambda p: nopt.ProxSGD(p, lr=0.05, penalty=_SoftThreshold(1e-2), momentum=0.5),
}


@pytest.mark.parametrize("make", STATEFUL.values(), ids=STATEFUL.keys())
def test_state_dict_round_trip_equals_uninterrupted_run(data, make) -> None:
    X, y = data
    k, rest = 20, 30
    ref = _mlp()
    ref_opt = make(ref.parameters())
    for _ in range(k + rest):
        _train_step(ref, ref_opt, X, y)

    first = _mlp()
    opt = make(first.parameters())
    for _ in range(k):
        _train_step(first, opt, X, y)
    buf = io.BytesIO()
    torch.save({"model": first.state_dict(), "opt": opt.state_dict()}, buf)
    buf.seek(0)
    # plain hyperparameters (floats, bools, tuples) load with weights_only=True;
    # ProxSGD's groups hold the penalty object, which needs weights_only=False
    ckpt = torch.load(buf, weights_only=not isinstance(opt, nopt.ProxSGD))

    resumed = _mlp(seed=99)  # different init: everything must come from the checkpoint
    resumed.load_state_dict(ckpt["model"])
    opt2 = make(resumed.parameters())
    opt2.load_state_dict(ckpt["opt"])
    for _ in range(rest):
        _train_step(resumed, opt2, X, y)
    assert torch.equal(_flat(resumed), _flat(ref))


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda p: nopt.AdamW(p, lr=1e-2), lambda p: torch.optim.AdamW(p, lr=1e-2)),
        (
            lambda p: nopt.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-2),
            lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-2),
        ),
    ],
    ids=["adamw", "sgd"],
)
def test_state_dict_is_interchangeable_with_torch(data, ours, theirs) -> None:
    """Same state keys as torch: a torch checkpoint resumes in ours, and vice versa."""
    X, y = data
    for make_first, make_second in [(theirs, ours), (ours, theirs)]:
        ref = _mlp()
        ref_opt = make_first(ref.parameters())
        m = _mlp()
        opt = make_first(m.parameters())
        for _ in range(10):
            _train_step(ref, ref_opt, X, y)
            _train_step(m, opt, X, y)
        opt2 = make_second(m.parameters())
        opt2.load_state_dict(copy.deepcopy(opt.state_dict()))
        for _ in range(20):
            _train_step(ref, ref_opt, X, y)
            _train_step(m, opt2, X, y)
        torch.testing.assert_close(_flat(m), _flat(ref), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("make", STATEFUL.values(), ids=STATEFUL.keys())
def test_closure_returns_loss_and_equals_explicit_step(data, make) -> None:
    X, y = data
    m1, m2 = _mlp(), _mlp()
    o1, o2 = make(m1.parameters()), make(m2.parameters())
    calls = 0
    for _ in range(5):

        def closure() -> torch.Tensor:
            nonlocal calls
            calls += 1
            o1.zero_grad()
            loss = _mse(m1, X, y)
            loss.backward()  # step() runs under no_grad: the closure must get grad mode back
            return loss

        expected = float(_mse(m2, X, y).detach())
        returned = o1.step(closure)
        _train_step(m2, o2, X, y)
        assert isinstance(returned, torch.Tensor)
        assert float(returned.detach()) == expected
    assert calls == 5
    assert torch.equal(_flat(m1), _flat(m2))
    assert o1.step() is None


def test_zero_grad_sets_grads_to_none(data) -> None:
    X, y = data
    m = _mlp()
    opt = nopt.Adam(m.parameters())
    _mse(m, X, y).backward()
    assert all(p.grad is not None for p in m.parameters())
    opt.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_params_without_grad_are_left_alone() -> None:
    used = nn.Parameter(torch.ones(3, dtype=DT))
    unused = nn.Parameter(torch.ones(3, dtype=DT))
    opt = nopt.AdamW([used, unused], lr=0.1, weight_decay=0.5)
    (used**2).sum().backward()
    opt.step()
    assert torch.equal(unused.detach(), torch.ones(3, dtype=DT))  # no grad: not even decayed
    assert unused not in opt.state and used in opt.state


def _groups(model: nn.Module, cfg_w: dict, cfg_b: dict) -> list[dict]:
    weights = [p for n, p in model.named_parameters() if n.endswith("weight")]
    biases = [p for n, p in model.named_parameters() if n.endswith("bias")]
    return [{"params": weights, **cfg_w}, {"params": biases, **cfg_b}]


@pytest.mark.parametrize(
    ("ours", "theirs", "cfg_w", "cfg_b"),
    [
        (
            lambda g: nopt.SGD(g, lr=0.05, momentum=0.9),
            lambda g: torch.optim.SGD(g, lr=0.05, momentum=0.9),
            {"weight_decay": 1e-2},
            {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.0},
        ),
        (
            lambda g: nopt.Adam(g, lr=1e-2),
            lambda g: torch.optim.Adam(g, lr=1e-2),
            {"weight_decay": 1e-2, "amsgrad": True},
            {"lr": 3e-3, "betas": (0.5, 0.9), "weight_decay": 0.0},
        ),
        (
            lambda g: nopt.AdamW(g, lr=1e-2),
            lambda g: torch.optim.AdamW(g, lr=1e-2),
            {"weight_decay": 0.1},
            {"lr": 3e-3, "weight_decay": 0.0},
        ),
    ],
    ids=["sgd", "adam", "adamw"],
)
def test_param_groups_with_different_lr_and_weight_decay(data, ours, theirs, cfg_w, cfg_b):
    X, y = data
    m1 = _mlp()
    m2 = copy.deepcopy(m1)
    o1 = ours(_groups(m1, cfg_w, cfg_b))
    o2 = theirs(_groups(m2, cfg_w, cfg_b))
    s1 = torch.optim.lr_scheduler.StepLR(o1, step_size=50, gamma=0.5)
    s2 = torch.optim.lr_scheduler.StepLR(o2, step_size=50, gamma=0.5)
    for _ in range(200):
        _train_step(m1, o1, X, y)
        _train_step(m2, o2, X, y)
        s1.step()
        s2.step()
    assert o1.param_groups[1]["lr"] == o2.param_groups[1]["lr"] == cfg_b["lr"] * 0.5**4
    torch.testing.assert_close(_flat(m1), _flat(m2), rtol=RTOL, atol=ATOL)
    # and the groups really differ: one shared setting would give another trajectory
    m3 = copy.deepcopy(_mlp())
    o3 = ours(m3.parameters())
    for _ in range(200):
        _train_step(m3, o3, X, y)
    assert (_flat(m3) - _flat(m1)).abs().max() > 1e-3


# ------------------------------------------------------------------------- ProxSGD


def _sparse_regression(n: int = 80, p: int = 30, k: int = 4, seed: int = 7):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    theta_true = np.zeros(p)
    theta_true[:k] = rng.choice([-1.0, 1.0], size=k) * rng.uniform(1.0, 2.0, size=k)
    y = X @ theta_true + 0.1 * rng.standard_normal(n)
    return X, y, theta_true


def _numpy_prox_gradient(
    X: np.ndarray,
    y: np.ndarray,
    prox: Callable[[np.ndarray, float], np.ndarray],
    lr: float,
    steps: int,
    momentum: float = 0.0,
) -> np.ndarray:
    """θ ← prox(θ − η v, η), v ← βv + ∇L (v₁ = ∇L), L = (1/2n)‖y − Xθ‖² — written out."""
    n = X.shape[0]
    theta = np.zeros(X.shape[1])
    v = None
    for _ in range(steps):
        grad = X.T @ (X @ theta - y) / n
        v = grad.copy() if v is None else momentum * v + grad
        theta = prox(theta - lr * v, lr)
    return theta


def _torch_prox_sgd(X, y, penalty, lr: float, steps: int, momentum: float = 0.0) -> np.ndarray:
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    theta = nn.Parameter(torch.zeros(X.shape[1], dtype=DT))
    opt = nopt.ProxSGD([theta], lr=lr, penalty=penalty, momentum=momentum)
    n = X.shape[0]
    for _ in range(steps):
        opt.zero_grad()
        loss = 0.5 / n * ((yt - Xt @ theta) ** 2).sum()
        loss.backward()
        opt.step()
    return theta.detach().numpy()


def _soft(w: np.ndarray, t: float) -> np.ndarray:
    return np.sign(w) * np.maximum(np.abs(w) - t, 0.0)


def _check_l1_against_numpy(penalty_factory: Callable[[float], Any]) -> None:
    X, y, theta_true = _sparse_regression()
    lam = 0.1
    lr = 1.0 / np.linalg.norm(X, 2) ** 2 * X.shape[0]  # 1/L, L = ‖X‖₂²/n
    for momentum in (0.0, 0.5):
        ref = _numpy_prox_gradient(X, y, lambda w, s: _soft(w, s * lam), lr, 400, momentum)
        got = _torch_prox_sgd(X, y, penalty_factory(lam), lr, 400, momentum)
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-10)
        assert np.array_equal(got == 0.0, ref == 0.0)  # same support, exact zeros
        assert (got == 0.0).sum() >= X.shape[1] - 2 * (theta_true != 0).sum()
        assert np.all(got[theta_true != 0] != 0.0)


def test_proxsgd_soft_threshold_matches_numpy_ista() -> None:
    _check_l1_against_numpy(_SoftThreshold)


def test_proxsgd_transpose_zeroes_input_columns_of_linear() -> None:
    """Linear.weight is (out, in): with transpose=True a row-group prox acts on columns."""
    lin, bias0 = _group_selection_run(_RowGroupSoftThreshold(0.05))
    _check_group_selection(lin, bias0)


def _group_selection_run(penalty: Any) -> tuple[nn.Linear, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    X = torch.randn(200, 10, generator=g, dtype=DT)
    W_true = torch.zeros(4, 10, dtype=DT)
    W_true[:, :3] = torch.randn(4, 3, generator=g, dtype=DT) + 1.0
    Y = X @ W_true.T + 0.5 + 0.05 * torch.randn(200, 4, generator=g, dtype=DT)
    torch.manual_seed(0)
    lin = nn.Linear(10, 4).to(DT)
    bias0 = lin.bias.detach().clone()
    opt = nopt.ProxSGD(
        [
            {"params": [lin.weight], "penalty": penalty, "transpose": True},
            {"params": [lin.bias], "penalty": None},
        ],
        lr=0.1,
        penalty=None,
    )
    for _ in range(300):
        opt.zero_grad()
        nn.functional.mse_loss(lin(X), Y).backward()
        opt.step()
    return lin, bias0


def _check_group_selection(lin: nn.Linear, bias0: torch.Tensor) -> None:
    W = lin.weight.detach()
    assert torch.all(W[:, 3:] == 0.0)  # the 7 irrelevant input features: whole columns zero
    assert torch.all(W[:, :3].norm(dim=0) > 0.5)  # the 3 relevant ones survive
    assert torch.all(W.norm(dim=1) > 0)  # rows (output units) are not what is selected
    b = lin.bias.detach()
    assert not torch.equal(b, bias0) and torch.all(b != 0)  # no penalty on the bias


def test_proxsgd_penalty_none_group_is_plain_sgd(data) -> None:
    traj = _run_pair(
        lambda p: nopt.ProxSGD(p, lr=0.05, penalty=None, momentum=0.9),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
        data,
        steps=200,
        checkpoints=(1, 200),
    )
    _assert_same_trajectory(traj)


def test_proxsgd_rejects_prox_with_wrong_shape() -> None:
    class Bad:
        def prox(self, w: torch.Tensor, step: float) -> torch.Tensor:
            return w.sum()

    p = nn.Parameter(torch.ones(3))
    opt = nopt.ProxSGD([p], lr=0.1, penalty=Bad())
    p.grad = torch.ones(3)
    with pytest.raises(ValueError, match="shape"):
        opt.step()


# ------------------------------------------------------------------------- ValueErrors


def _p() -> list[nn.Parameter]:
    return [nn.Parameter(torch.zeros(2, 2))]


BAD_ARGS = [
    (lambda: nopt.SGD(_p(), lr=-0.1), "lr"),
    (lambda: nopt.SGD(_p(), lr=float("nan")), "lr"),
    (lambda: nopt.SGD(_p(), lr=0.1, momentum=-0.1), "momentum"),
    (lambda: nopt.SGD(_p(), lr=0.1, momentum=1.0), "momentum"),
    (lambda: nopt.SGD(_p(), lr=0.1, weight_decay=-1e-3), "weight_decay"),
    (lambda: nopt.SGD(_p(), lr=0.1, weight_decay=-1e-3, decoupled=True), "weight_decay"),
    (lambda: nopt.SGD(_p(), lr=0.1, dampening=-0.5), "dampening"),
    (lambda: nopt.SGD(_p(), lr=0.1, nesterov=True), "nesterov"),
    (lambda: nopt.SGD(_p(), lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "nesterov"),
    (lambda: nopt.SGDW(_p(), lr=-1.0), "lr"),
    (lambda: nopt.Adam(_p(), lr=-1e-3), "lr"),
    (lambda: nopt.Adam(_p(), betas=(1.0, 0.999)), r"betas\[0\]"),
    (lambda: nopt.Adam(_p(), betas=(-0.1, 0.999)), r"betas\[0\]"),
    (lambda: nopt.Adam(_p(), betas=(0.9, 1.0)), r"betas\[1\]"),
    (lambda: nopt.Adam(_p(), betas=0.9), "betas"),
    (lambda: nopt.Adam(_p(), eps=-1e-8), "eps"),
    (lambda: nopt.Adam(_p(), weight_decay=-0.1), "weight_decay"),
    (lambda: nopt.AdamW(_p(), weight_decay=-0.1), "weight_decay"),
    (lambda: nopt.AdamW(_p(), betas=(0.9, 1.5)), r"betas\[1\]"),
    (lambda: nopt.ProxSGD(_p(), lr=-0.1, penalty=None), "lr"),
    (lambda: nopt.ProxSGD(_p(), lr=0.1, penalty=None, momentum=1.0), "momentum"),
    (lambda: nopt.ProxSGD(_p(), lr=0.1, penalty=object()), "penalty"),
    (lambda: nopt.ProxSGD(_p(), lr=0.1, penalty="l1"), "penalty"),
    (
        lambda: nopt.ProxSGD([nn.Parameter(torch.zeros(3))], lr=0.1, penalty=None, transpose=True),
        "transpose",
    ),
    # a bad value given for one param group only is caught too
    (lambda: nopt.SGD([{"params": _p(), "lr": -1.0}], lr=0.1), "lr"),
    (lambda: nopt.Adam([{"params": _p(), "betas": (0.9, 2.0)}]), r"betas\[1\]"),
    (lambda: nopt.ProxSGD([{"params": _p(), "penalty": 3}], lr=0.1, penalty=None), "penalty"),
]


@pytest.mark.parametrize(
    ("make", "name"), BAD_ARGS, ids=[f"{i}-{n}" for i, (_, n) in enumerate(BAD_ARGS)]
)
def test_bad_arguments_raise_value_error_naming_them(make, name) -> None:
    """The message starts with the argument's name, e.g. ``betas[1] must be in [0, 1)``."""
    with pytest.raises(ValueError, match=rf"^{name}\W"):
        make()


def test_rejected_param_group_is_not_added() -> None:
    opt = nopt.SGD(_p(), lr=0.1)
    with pytest.raises(ValueError, match="momentum"):
        opt.add_param_group({"params": _p(), "momentum": 1.5})
    assert len(opt.param_groups) == 1


# -------------------------------------- tests that use normcourse.penalties (other author)


def test_proxsgd_with_penalties_l1_matches_numpy_ista() -> None:
    from normcourse.penalties import L1

    _check_l1_against_numpy(L1)


def test_proxsgd_with_penalties_elastic_net_matches_numpy() -> None:
    """Elastic net λ₁‖θ‖₁ + λ₂‖θ‖² (DESIGN.md): prox_{ηΩ}(w) = S(w, ηλ₁) / (1 + 2ηλ₂)."""
    from normcourse.penalties import ElasticNet

    X, y, theta_true = _sparse_regression()
    lam1, lam2 = 0.1, 0.05
    lr = 1.0 / np.linalg.norm(X, 2) ** 2 * X.shape[0]

    def prox(w: np.ndarray, s: float) -> np.ndarray:
        return _soft(w, s * lam1) / (1 + 2 * s * lam2)

    ref = _numpy_prox_gradient(X, y, prox, lr, 400)
    got = _torch_prox_sgd(X, y, ElasticNet(lam1, lam2), lr, 400)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-10)
    assert np.array_equal(got == 0.0, ref == 0.0)
    assert (got == 0.0).sum() > 0 and np.all(got[theta_true != 0] != 0.0)


def test_proxsgd_with_penalties_group_l21_zeroes_input_columns() -> None:
    """GroupL21 (groups=None: each row a group) with transpose=True selects input features."""
    from normcourse.penalties import GroupL21

    lin, bias0 = _group_selection_run(GroupL21(0.05))
    _check_group_selection(lin, bias0)
    # and it is the same as the stand-in row-group prox
    lin_ref, _ = _group_selection_run(_RowGroupSoftThreshold(0.05))
    torch.testing.assert_close(lin.weight, lin_ref.weight, rtol=1e-10, atol=1e-12)
