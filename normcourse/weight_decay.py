r"""Experiments of the weight-decay page: coupled L2 (Scheme A) against decoupled decay (B).

Everything here *runs* the optimizers of :mod:`normcourse.optim` on small seeded problems
and returns plain numpy arrays; the update rules themselves live in ``optim`` only.

Symbols (the book's): θ parameters, η step size (``lr``), β momentum, λ the coefficient of
the L2 penalty (λ/2)‖θ‖² added to the loss (Scheme A), γ the rate of the decoupled
shrink θ ← (1 − ηγ)θ (Scheme B). For momentum SGD::

    Scheme A:  v_t = β v_{t-1} + ∇L(θ_{t-1}) + λ θ_{t-1},   θ_t = θ_{t-1} − η v_t
    Scheme B:  v_t = β v_{t-1} + ∇L(θ_{t-1}),               θ_t = (1 − ηγ) θ_{t-1} − η v_t

Least squares is L(θ) = (1/2n)‖y − Xθ‖², as everywhere in the course.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from normcourse import datasets
from normcourse import optim as nopt
from normcourse._torch import torch_threads
from normcourse._validate import (
    finite_array,
    flag,
    in_interval,
    nonneg,
    positive,
    positive_int,
    random_seed,
    real,
    same_rows,
)
from normcourse.constrained import ridge
from normcourse.datasets import Regression

__all__ = [
    "DigitsRun",
    "SchemeComparison",
    "adam_effective_decay",
    "compare_schemes",
    "least_squares_trajectory",
    "momentum_decay_rate",
    "toy_quadratic",
    "train_digits_mlp",
    "zero_gradient_trajectory",
]

DT = torch.float64


def _unit_interval(value: float, name: str) -> float:
    return in_interval(value, name, 0.0, 1.0, hi_open=True)


# ------------------------------------------------------------------ least-squares problems


def toy_quadratic(
    minimiser: Sequence[float] = (2.0, 1.0),
    curvatures: Sequence[float] = (1.0, 0.1),
    angle: float = 30.0,
) -> Regression:
    r"""A 2-D least-squares problem whose loss is the quadratic ½(θ − c)ᵀH(θ − c).

    H = R diag(h₁, h₂) Rᵀ with R the rotation by ``angle`` degrees and (h₁, h₂) =
    ``curvatures``; c = ``minimiser``. It is returned as data (X, y) with n = 2 rows,
    X = √2 · H^{1/2} and y = Xc, so that (1/2n)‖y − Xθ‖² = ½(θ − c)ᵀH(θ − c) exactly and
    every least-squares function of the course applies. ``theta`` holds c.
    """
    c = finite_array(minimiser, "minimiser", ndim=1)
    h = finite_array(curvatures, "curvatures", ndim=1)
    if c.shape != (2,):
        raise ValueError(f"minimiser must have 2 entries, got {c.shape[0]}")
    if h.shape != (2,) or np.any(h <= 0):
        raise ValueError(f"curvatures must be 2 positive numbers, got {h.tolist()}")
    a = math.radians(real(angle, "angle"))
    R = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    X = math.sqrt(2.0) * (R * np.sqrt(h)) @ R.T
    return Regression(X=X, y=X @ c, theta=c, feature_names=["θ₁", "θ₂"])


def least_squares_trajectory(
    X: Any,
    y: Any,
    *,
    lr: float,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    decoupled: bool = False,
    steps: int = 200,
    theta0: Any | None = None,
) -> np.ndarray:
    r"""Iterates θ₀, θ₁, …, θ_T of full-batch :class:`normcourse.optim.SGD` on least squares.

    The loss is L(θ) = (1/2n)‖y − Xθ‖²; ``weight_decay`` is λ (``decoupled=False``,
    Scheme A) or γ (``decoupled=True``, Scheme B), see the module docstring. Computed in
    float64. Returns an array of shape (steps + 1, p) whose row t is θ_t.
    """
    X = finite_array(X, "X", ndim=2)
    y = finite_array(y, "y", ndim=1)
    same_rows(X, y)
    steps = positive_int(steps, "steps")
    lr = positive(lr, "lr")
    momentum = _unit_interval(momentum, "momentum")
    weight_decay = nonneg(weight_decay, "weight_decay")
    decoupled = flag(decoupled, "decoupled")
    n, p = X.shape
    if p == 0:
        raise ValueError("X must have at least one column")
    start = np.zeros(p) if theta0 is None else finite_array(theta0, "theta0", ndim=1)
    if start.shape != (p,):
        raise ValueError(f"theta0 must have {p} entries (columns of X), got {start.shape[0]}")
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    theta = nn.Parameter(torch.tensor(start, dtype=DT))
    opt = nopt.SGD([theta], lr=lr, momentum=momentum, weight_decay=weight_decay,
                   decoupled=decoupled)
    out = np.empty((steps + 1, p))
    out[0] = start
    for t in range(1, steps + 1):
        opt.zero_grad()
        loss = 0.5 / n * torch.sum((yt - Xt @ theta) ** 2)
        loss.backward()
        opt.step()
        out[t] = theta.detach().numpy()
        if not np.all(np.isfinite(out[t])):
            raise ValueError(f"the iterates diverged (θ not finite by step {t}): lr={lr:g} is "
                             f"too large for this X with momentum={momentum:g}, "
                             f"weight_decay={weight_decay:g}")
    return out


@dataclass(frozen=True)
class SchemeComparison:
    """Trajectories of Scheme A (coupled L2, λ) and Scheme B (decoupled, γ) from one start.

    ``theta_a``/``theta_b`` have shape (steps + 1, p). ``fixed_a`` is the point Scheme A
    converges to (the ridge solution for λ, any β); ``fixed_b`` the one Scheme B converges
    to (the ridge solution for (1 − β)γ).
    """

    beta: float
    lam: float
    gamma: float
    lr: float
    theta_a: np.ndarray
    theta_b: np.ndarray
    fixed_a: np.ndarray
    fixed_b: np.ndarray

    @property
    def norms_a(self) -> np.ndarray:
        """‖θ_t‖₂ along Scheme A."""
        return np.linalg.norm(self.theta_a, axis=1)

    @property
    def norms_b(self) -> np.ndarray:
        """‖θ_t‖₂ along Scheme B."""
        return np.linalg.norm(self.theta_b, axis=1)

    @property
    def max_gap(self) -> float:
        """max_t ‖θ_t^A − θ_t^B‖₂ (0 when the schemes coincide)."""
        return float(np.max(np.linalg.norm(self.theta_a - self.theta_b, axis=1)))


def compare_schemes(
    X: Any,
    y: Any,
    *,
    beta: float,
    lam: float,
    lr: float,
    gamma: float | None = None,
    steps: int = 200,
    theta0: Any | None = None,
) -> SchemeComparison:
    r"""Run Scheme A (L2 coefficient λ) and Scheme B (decay rate γ, default γ = λ) side by side.

    Both are full-batch momentum SGD on (1/2n)‖y − Xθ‖² from the same θ₀ (see
    :func:`least_squares_trajectory`). Their stationary points are

        Scheme A:  ∇L(θ) + λθ = 0            → ridge solution for λ
        Scheme B:  ∇L(θ) + (1 − β)γθ = 0     → ridge solution for (1 − β)γ

    (at a fixed point of B, v = ∇L/(1 − β) and ηγθ = −ηv). With β = 0 and γ = λ the two
    runs are the same sequence of floating-point numbers up to rounding.
    """
    beta = _unit_interval(beta, "beta")
    lam = nonneg(lam, "lam")
    gamma = lam if gamma is None else nonneg(gamma, "gamma")
    lr = positive(lr, "lr")
    kw = {"lr": lr, "momentum": beta, "steps": steps, "theta0": theta0}
    try:
        theta_a = least_squares_trajectory(X, y, weight_decay=lam, decoupled=False, **kw)
        theta_b = least_squares_trajectory(X, y, weight_decay=gamma, decoupled=True, **kw)
    except ValueError as exc:
        if not str(exc).startswith("the iterates diverged"):
            raise
        raise ValueError(f"Scheme A or B diverged with beta={beta:g}, lam={lam:g}, "
                         f"gamma={gamma:g}, lr={lr:g}: {exc}") from None
    return SchemeComparison(
        beta=beta, lam=lam, gamma=gamma, lr=lr, theta_a=theta_a, theta_b=theta_b,
        fixed_a=ridge(X, y, lam), fixed_b=ridge(X, y, (1.0 - beta) * gamma),
    )


def momentum_decay_rate(lr: float, beta: float, lam: float) -> float:
    r"""Per-step relative shrink of a zero-gradient parameter under Scheme A, in steady state.

    With ∇L = 0, Scheme A is the linear recurrence v_t = βv_{t-1} + λθ_{t-1},
    θ_t = θ_{t-1} − ηv_t, i.e. θ_t = (1 + β − ηλ)θ_{t-1} − βθ_{t-2}. Its solutions decay
    like ρᵗ with ρ the largest root (in modulus) of

        ρ² − (1 + β − ηλ) ρ + β = 0,

    and this function returns δ = 1 − |ρ|, the fraction of θ removed per step once the
    transient has died out. For ηλ ≪ (1 − β)², δ = ηλ/(1 − β) · (1 + O(ηλβ/(1 − β)²)):
    the momentum multiplies the decay by 1/(1 − β). (If ηλ > (1 − √β)² the roots are
    complex, θ oscillates around 0 and |ρ| = √β.) Scheme B removes exactly ηγ per step.
    """
    lr = nonneg(lr, "lr")
    beta = _unit_interval(beta, "beta")
    lam = nonneg(lam, "lam")
    roots = np.roots([1.0, -(1.0 + beta - lr * lam), beta])
    return float(1.0 - np.max(np.abs(roots)))


def zero_gradient_trajectory(
    theta0: Any,
    steps: int,
    make_optimizer: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
) -> np.ndarray:
    r"""θ₀, θ₁, …, θ_T of parameters that the data loss does not depend on (∇L ≡ 0).

    Each step sets ``.grad`` to zeros and calls ``step()`` of the optimizer that
    ``make_optimizer([θ])`` returns, so whatever moves θ is the weight decay alone: for
    AdamW θ_t = (1 − ηλ)ᵗθ₀ exactly; for Adam + L2 θ moves by ≈ η·sign(θ) per step.
    Returns an array of shape (steps + 1, k), k = number of entries of ``theta0``.
    """
    start = finite_array(theta0, "theta0", ndim=1)
    if start.size == 0:
        raise ValueError("theta0 must hold at least one value")
    steps = positive_int(steps, "steps")
    if not callable(make_optimizer):
        raise ValueError(f"make_optimizer must be callable, got {type(make_optimizer).__name__}")
    theta = nn.Parameter(torch.tensor(start, dtype=DT))
    opt = make_optimizer([theta])
    if not isinstance(opt, torch.optim.Optimizer):
        raise ValueError(
            f"make_optimizer must return a torch.optim.Optimizer, got {type(opt).__name__}"
        )
    out = np.empty((steps + 1, start.size))
    out[0] = start
    for t in range(1, steps + 1):
        theta.grad = torch.zeros_like(theta)
        opt.step()
        out[t] = theta.detach().numpy()
        if not np.all(np.isfinite(out[t])):
            raise ValueError(f"the optimizer of make_optimizer diverged (θ not finite by step {t})")
    return out


# ------------------------------------------------------------------------ Adam + L2 vs AdamW


def adam_effective_decay(opt: nopt.Adam) -> list[np.ndarray]:
    r"""Per-parameter weight decay per step of an Adam optimizer, from its current state.

    For a coupled group (Adam + L2, ``decoupled=False``) the penalty's gradient λθ goes
    through Adam's normalisation, so (for slowly varying θ) the step removes

        η λ / (√v̂ + ε) · θ,     v̂ = v / (1 − β₂ᵗ) (bias-corrected second moment),

    a fraction that differs from entry to entry. For a decoupled group (AdamW) it is the
    constant ηλ. Returns one array per parameter of ``opt`` (in order), shaped like it.
    Parameters that have not been stepped yet get NaN in coupled groups.
    """
    if not isinstance(opt, nopt.Adam):
        raise ValueError(f"opt must be a normcourse.optim.Adam, got {type(opt).__name__}")
    out: list[np.ndarray] = []
    for group in opt.param_groups:
        lr, lam, eps = group["lr"], group["weight_decay"], group["eps"]
        beta2 = group["betas"][1]
        for p in group["params"]:
            shape = tuple(p.shape)
            if group["decoupled"] or lam == 0.0:
                out.append(np.full(shape, lr * lam))
                continue
            state = opt.state.get(p, {})
            if "exp_avg_sq" not in state:
                out.append(np.full(shape, np.nan))
                continue
            t = float(state["step"])
            sq = state["max_exp_avg_sq"] if group["amsgrad"] else state["exp_avg_sq"]
            v_hat = sq.detach().double().numpy() / (1.0 - beta2**t)
            out.append(lr * lam / (np.sqrt(v_hat) + eps))
    return out


@dataclass(frozen=True)
class DigitsRun:
    """One training run of the digits MLP (see :func:`train_digits_mlp`).

    ``weight_norms`` has shape (epochs + 1, 2): ‖W₁‖_F and ‖W₂‖_F after each epoch
    (row 0: at initialisation). ``decay`` holds the per-entry decay per step of W₁ and W₂
    at the end of training (:func:`adam_effective_decay`). ``dead_inputs`` are the pixels
    that are 0 in every training image (their first-layer weights get no data gradient),
    ``pixel_frequency`` the fraction of training images in which each pixel is nonzero,
    ``hidden_active`` the fraction in which each hidden unit is active (ReLU input > 0;
    a unit that is never active passes no gradient to its incoming weights);
    ``W1_init`` is W₁ at initialisation; ``steps`` the number of optimizer steps.
    """

    decoupled: bool
    lam: float
    lr: float
    model: nn.Sequential
    optimizer: nopt.Adam
    train_accuracy: float
    test_accuracy: float
    weight_norms: np.ndarray
    decay: dict[str, np.ndarray]
    dead_inputs: np.ndarray
    pixel_frequency: np.ndarray
    hidden_active: np.ndarray
    W1_init: np.ndarray
    steps: int


def _digits_split(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    t = datasets.digits(test_size=0.25, seed=seed)
    return t.X_train, t.X_test, t.y_train, t.y_test


def train_digits_mlp(
    decoupled: bool,
    lam: float,
    lr: float = 1e-3,
    hidden: int = 64,
    epochs: int = 30,
    batch_size: int = 64,
    seed: int = 0,
) -> DigitsRun:
    r"""Train a 64–``hidden``–10 ReLU MLP on scikit-learn's digits with Adam + L2 or AdamW.

    Data: the 1 797 8×8 digit images, pixels scaled to [0, 1], a stratified 75/25
    train/test split (``random_state=seed``). Loss: mean cross-entropy. Optimizer:
    :class:`normcourse.optim.Adam` with ``weight_decay=lam`` on the two weight matrices
    (coupled L2 if ``decoupled`` is False, AdamW if True) and no decay on the biases;
    mini-batches of ``batch_size`` in a seeded random order. Seeded by ``seed`` throughout
    (same arguments, same numbers).
    """
    decoupled = flag(decoupled, "decoupled")
    lam = nonneg(lam, "lam")
    lr = positive(lr, "lr")
    hidden = positive_int(hidden, "hidden")
    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size")
    seed = random_seed(seed)
    with torch_threads(1):
        run = _train_digits(decoupled, lam, lr, hidden, epochs, batch_size, seed)
    if not np.all(np.isfinite(run.weight_norms)):
        raise ValueError(f"training diverged (weights not finite): lr={lr:g} or lam={lam:g} "
                         "is too large")
    return run


def _train_digits(decoupled: bool, lam: float, lr: float, hidden: int, epochs: int,
                  batch_size: int, seed: int) -> DigitsRun:
    Xtr, Xte, ytr, yte = _digits_split(seed)
    Xtr_t, ytr_t = torch.tensor(Xtr, dtype=DT), torch.tensor(ytr)
    Xte_t, yte_t = torch.tensor(Xte, dtype=DT), torch.tensor(yte)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10)).to(DT)
    W1, b1, W2, b2 = model[0].weight, model[0].bias, model[2].weight, model[2].bias
    opt = nopt.Adam(
        [{"params": [W1, W2]}, {"params": [b1, b2], "weight_decay": 0.0}],
        lr=lr, weight_decay=lam, decoupled=decoupled,
    )
    W1_init = W1.detach().numpy().copy()
    gen = torch.Generator().manual_seed(seed)
    norms = [[float(W1.detach().norm()), float(W2.detach().norm())]]
    n, steps = Xtr_t.shape[0], 0
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            opt.zero_grad()
            nn.functional.cross_entropy(model(Xtr_t[idx]), ytr_t[idx]).backward()
            opt.step()
            steps += 1
        norms.append([float(W1.detach().norm()), float(W2.detach().norm())])
    with torch.no_grad():
        acc_tr = float((model(Xtr_t).argmax(1) == ytr_t).double().mean())
        acc_te = float((model(Xte_t).argmax(1) == yte_t).double().mean())
        active = (model[0](Xtr_t) > 0).double().mean(0).numpy()
    d1, d2 = adam_effective_decay(opt)[:2]
    return DigitsRun(
        decoupled=decoupled, lam=lam, lr=lr, model=model, optimizer=opt,
        train_accuracy=acc_tr, test_accuracy=acc_te, weight_norms=np.asarray(norms),
        decay={"W1": d1, "W2": d2}, dead_inputs=np.flatnonzero(Xtr.max(axis=0) == 0.0),
        pixel_frequency=(Xtr > 0).mean(axis=0), hidden_active=active, W1_init=W1_init, steps=steps,
    )


# ------------------------------------------------------------------ grids of comparisons


def scheme_grid_results(
    compute: Callable[[float, float, float], SchemeComparison] | None,
    betas: Sequence[float],
    lams: Sequence[float],
    lr: float,
    X: Any | None = None,
    y: Any | None = None,
    *,
    steps: int = 200,
    theta0: Any | None = None,
) -> list[list[SchemeComparison]]:
    r"""Scheme A against Scheme B for every pair (β, λ) of a grid, with γ = λ and one step η.

    Entry [i][j] of the result is ``compute(betas[i], lams[j], lr)`` (rows β, columns λ),
    e.g. with the ``compute`` method of ``widgets.SchemeExplorer``. With ``compute=None``
    it is :func:`compare_schemes` on (``X``, ``y``) with ``steps`` and ``theta0``. Draw it
    with ``plotting.scheme_grid_plot``.
    """
    if compute is not None and not callable(compute):
        raise ValueError(f"compute must be callable or None, got {type(compute).__name__}")
    b = finite_array(betas, "betas", ndim=1)
    lm = finite_array(lams, "lams", ndim=1)
    if b.size == 0:
        raise ValueError("betas must hold at least one value")
    if lm.size == 0:
        raise ValueError("lams must hold at least one value")
    for beta in b:
        _unit_interval(float(beta), "betas")
    if np.any(lm < 0):
        raise ValueError(f"lams must be ≥ 0, got a minimum of {lm.min()!r}")
    lr = positive(lr, "lr")
    run = compute
    if run is None:
        if X is None or y is None:
            raise ValueError("X and y are required when compute is None")

        def run(beta: float, lam: float, lr: float) -> SchemeComparison:
            return compare_schemes(X, y, beta=beta, lam=lam, lr=lr, steps=steps, theta0=theta0)

    grid = [[run(float(beta), float(lam), lr) for lam in lm] for beta in b]
    for row in grid:
        for res in row:
            if not isinstance(res, SchemeComparison):
                raise ValueError("compute must return a weight_decay.SchemeComparison, got "
                                 f"{type(res).__name__}")
    return grid


__all__ += ["scheme_grid_results"]
