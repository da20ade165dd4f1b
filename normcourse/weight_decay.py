r"""Experiments of the weight-decay page: coupled L2 (Scheme A) against decoupled decay (B).

Everything here *runs* the optimizers of :mod:`normcourse.optim` on small seeded problems
and returns plain numpy arrays; the update rules themselves live in ``optim`` only.

Symbols (the book's): θ parameters, η step size (``lr``), β momentum, λ the coefficient of
the L2 penalty (λ/2)‖θ‖² added to the loss (Scheme A), γ the rate of the decoupled
shrink θ ← (1 − ηγ)θ (Scheme B). For momentum SGD::

    Scheme A:  v_t = β v_{t-1} + ∇L(θ_{t-1}) + λ θ_{t-1},   θ_t = θ_{t-1} − η v_t
    Scheme B:  v_t = β v_{t-1} + ∇L(θ_{t-1}),               θ_t = (1 − ηγ) θ_{t-1} − η v_t

For Adam (the page weight-decay-adam), "Adam + L2" feeds λθ into the gradient and AdamW
shrinks θ ← (1 − ηλ)θ before the Adam step; :func:`decay_param_groups` builds the usual
parameter groups that leave biases and normalization parameters undecayed.

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
    choice,
    finite_array,
    flag,
    in_interval,
    nonneg,
    positive,
    positive_int,
    random_seed,
    real,
    same_rows,
    torch_module,
)
from normcourse.constrained import ridge
from normcourse.datasets import Regression

__all__ = [
    "DigitsRun",
    "GradientScaleRun",
    "NormRun",
    "SchemeComparison",
    "adam_decay_by_gradient_scale",
    "adam_effective_decay",
    "compare_schemes",
    "decay_param_groups",
    "least_squares_trajectory",
    "momentum_decay_rate",
    "optimizer_trajectory",
    "scheme_grid_results",
    "toy_quadratic",
    "train_digits_layernorm",
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


def _checked_optimizer(make_optimizer: Any, theta: nn.Parameter) -> torch.optim.Optimizer:
    if not callable(make_optimizer):
        raise ValueError(f"make_optimizer must be callable, got {type(make_optimizer).__name__}")
    opt = make_optimizer([theta])
    if not isinstance(opt, torch.optim.Optimizer):
        raise ValueError(
            f"make_optimizer must return a torch.optim.Optimizer, got {type(opt).__name__}")
    return opt


def _least_squares_iterates(X: Any, y: Any, theta0: Any | None, steps: int,
                            make_optimizer: Any) -> np.ndarray:
    """Checked (X, y, θ₀) → iterates of full-batch ``make_optimizer([θ])`` on least squares
    (autograd gradients); the run stops at the first non-finite θ."""
    X = finite_array(X, "X", ndim=2)
    y = finite_array(y, "y", ndim=1)
    same_rows(X, y)
    steps = positive_int(steps, "steps")
    n, p = X.shape
    if p == 0:
        raise ValueError("X must have at least one column")
    start = np.zeros(p) if theta0 is None else finite_array(theta0, "theta0", ndim=1)
    if start.shape != (p,):
        raise ValueError(f"theta0 must have {p} entries (columns of X), got {start.shape[0]}")
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    theta = nn.Parameter(torch.tensor(start, dtype=DT))
    opt = _checked_optimizer(make_optimizer, theta)

    def grad_at(t: int) -> torch.Tensor:
        theta.grad = None
        (0.5 / n * torch.sum((yt - Xt @ theta) ** 2)).backward()
        return theta.grad

    return _given_gradient_iterates(theta, opt, steps, grad_at)


def optimizer_trajectory(X: Any, y: Any,
                         make_optimizer: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
                         *, steps: int = 200, theta0: Any | None = None) -> np.ndarray:
    r"""Iterates θ₀, θ₁, …, θ_T of any torch optimizer on full-batch least squares.

    Each step evaluates L(θ) = (1/2n)‖y − Xθ‖², back-propagates (∇L = Xᵀ(Xθ − y)/n) and
    calls ``step()`` of ``make_optimizer([θ])`` — e.g. ``lambda p: optim.AdamW(p, lr=0.05)``
    or a ``torch.optim`` optimizer. θ₀ = ``theta0`` (default 0), float64. Returns an array
    of shape (steps + 1, p) whose row t is θ_t.
    """
    out = _least_squares_iterates(X, y, theta0, steps, make_optimizer)
    if not np.all(np.isfinite(out[-1])):
        raise ValueError(f"the iterates diverged (θ not finite by step {out.shape[0] - 1}): "
                         "the optimizer of make_optimizer is unstable on this X, y, theta0")
    return out


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
    lr = positive(lr, "lr")
    momentum = _unit_interval(momentum, "momentum")
    weight_decay = nonneg(weight_decay, "weight_decay")
    decoupled = flag(decoupled, "decoupled")

    def make(params: list[torch.Tensor]) -> torch.optim.Optimizer:
        return nopt.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay,
                        decoupled=decoupled)

    out = _least_squares_iterates(X, y, theta0, steps, make)
    if not np.all(np.isfinite(out[-1])):
        raise ValueError(f"the iterates diverged (θ not finite by step {out.shape[0] - 1}): "
                         f"lr={lr:g} is "
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
    theta = nn.Parameter(torch.tensor(start, dtype=DT))
    opt = _checked_optimizer(make_optimizer, theta)
    out = _given_gradient_iterates(theta, opt, steps, lambda t: torch.zeros_like(theta))
    if not np.all(np.isfinite(out[-1])):
        raise ValueError("the optimizer of make_optimizer diverged (θ not finite by step "
                         f"{out.shape[0] - 1})")
    return out


def _given_gradient_iterates(theta: nn.Parameter, opt: torch.optim.Optimizer, steps: int,
                             grad_at: Callable[[int], torch.Tensor]) -> np.ndarray:
    """θ₀ … θ_T when step t is handed ``.grad = grad_at(t)``; stops at a non-finite θ."""
    out = np.empty((steps + 1, theta.numel()))
    out[0] = theta.detach().numpy()
    for t in range(1, steps + 1):
        theta.grad = grad_at(t)
        opt.step()
        out[t] = theta.detach().numpy()
        if not np.all(np.isfinite(out[t])):
            return out[: t + 1]
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
class GradientScaleRun:
    """A run of :func:`adam_decay_by_gradient_scale`: gradient sizes s_j, iterates (T + 1, k),
    the decay per step read from the optimizer at the end (:func:`adam_effective_decay`)
    and the fraction of θ_j removed per step over the last two, 1 − (θ_T/θ_{T−2})^{1/2}."""

    scales: np.ndarray
    decoupled: bool
    lam: float
    lr: float
    trajectory: np.ndarray
    coefficient: np.ndarray
    measured: np.ndarray


def adam_decay_by_gradient_scale(scales: Any, *, lam: float, lr: float = 1e-3, steps: int = 400,
                                 theta0: float = 1.0, decoupled: bool = False
                                 ) -> GradientScaleRun:
    r"""How strongly Adam + L2 (or AdamW) decays a weight whose data gradient has size s.

    Weight j starts at θ₀ > 0 and is given the data gradient g_j(t) = s_j·(−1)ᵗ at step t:
    a gradient of size s_j that pushes back and forth and so moves θ_j nowhere on average.
    Whatever shrinks θ_j is the decay. :class:`normcourse.optim.Adam` (``decoupled=False``:
    g ← g + λθ) or AdamW (``decoupled=True``) with η = ``lr``, λ = ``lam``, default betas.
    For Adam + L2 the decay per step is

        c_j = η λ / (√v̂_j + ε),     v̂_j ≈ s_j² + (λ θ_j)²  (Adam's average of g_j²),

    so c_j/(ηλ) ≈ 1/√(s_j² + λ²θ_j²): larger than AdamW's constant ηλ whenever √v̂_j < 1,
    and the larger the smaller s_j. ``ValueError`` if θ diverges or crosses 0 (lr, lam too big).
    """
    s = finite_array(scales, "scales", ndim=1)
    if s.size == 0 or np.any(s < 0):
        raise ValueError(f"scales must be one or more numbers ≥ 0, got {s.tolist()}")
    lam = nonneg(lam, "lam")
    lr = positive(lr, "lr")
    steps = positive_int(steps, "steps")
    if steps < 2:
        raise ValueError(f"steps must be ≥ 2 (the shrink is measured over two steps), got {steps}")
    theta0 = positive(theta0, "theta0")
    decoupled = flag(decoupled, "decoupled")
    theta = nn.Parameter(torch.full((s.size,), theta0, dtype=DT))
    opt = nopt.Adam([theta], lr=lr, weight_decay=lam, decoupled=decoupled)
    g = torch.from_numpy(s)
    out = _given_gradient_iterates(theta, opt, steps, lambda t: g * (-1.0) ** t)
    if out.shape[0] < steps + 1 or not np.all(np.sign(out[-1]) * np.sign(out[-3]) > 0):
        raise ValueError(f"θ diverged or crossed 0 (lr={lr:g}, lam={lam:g}, theta0={theta0:g}):"
                         " no shrink factor to measure; take a smaller lr or lam")
    measured = 1.0 - np.sqrt(out[-1] / out[-3])
    return GradientScaleRun(scales=s, decoupled=decoupled, lam=lam, lr=lr, trajectory=out,
                              coefficient=adam_effective_decay(opt)[0], measured=measured)


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
    norms = [[float(W1.detach().norm()), float(W2.detach().norm())]]

    def record() -> None:
        norms.append([float(W1.detach().norm()), float(W2.detach().norm())])

    steps = _minibatch_epochs(model, opt, Xtr_t, ytr_t, epochs, batch_size, seed, record)
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


def _minibatch_epochs(model: nn.Module, opt: torch.optim.Optimizer, X: torch.Tensor,
                      y: torch.Tensor, epochs: int, batch_size: int, seed: int,
                      after_epoch: Callable[[], None] | None = None) -> int:
    """Mean cross-entropy, mini-batches in a seeded random order; returns the step count."""
    gen = torch.Generator().manual_seed(seed)
    n, steps = X.shape[0], 0
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            opt.zero_grad()
            nn.functional.cross_entropy(model(X[idx]), y[idx]).backward()
            opt.step()
            steps += 1
        if after_epoch is not None:
            after_epoch()
    return steps


# ------------------------------------------------- which parameters to decay (bias exclusion)

_NORM_LAYERS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm,
                nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d, nn.LayerNorm,
                nn.GroupNorm, nn.RMSNorm)


def decay_param_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    r"""Two torch param groups: weights decayed by ``weight_decay``, the rest not decayed.

    A parameter is *decayed* when it has at least two dimensions (a weight matrix, a
    convolution kernel, an embedding) and does not belong to a normalization layer
    (BatchNorm, InstanceNorm, LayerNorm, GroupNorm, RMSNorm). Biases, the gains and
    shifts of normalization layers and any other parameter with fewer than two dimensions
    go to the second group, with ``weight_decay = 0``. For AdamW (γ = ``weight_decay``)::

        decayed:      θ ← (1 − ηγ)θ − η·(Adam step)
        not decayed:  θ ←          θ − η·(Adam step)

    Returns ``[{"params", "param_names", "weight_decay": γ}, {…, "weight_decay": 0.0}]``
    in the order of ``model.named_parameters()`` (an empty group is left out), ready for
    ``normcourse.optim.AdamW(groups, lr=…)`` or ``torch.optim.AdamW(groups, lr=…)``.
    Build the groups afresh for each optimizer: torch stores (and mutates) the dicts.
    """
    torch_module(model, "model")
    weight_decay = nonneg(weight_decay, "weight_decay")
    decay: tuple[list[str], list[nn.Parameter]] = ([], [])
    keep: tuple[list[str], list[nn.Parameter]] = ([], [])
    for name, p in model.named_parameters():
        owner = model.get_submodule(name.rpartition(".")[0])
        group = keep if isinstance(owner, _NORM_LAYERS) or p.ndim < 2 else decay
        group[0].append(name)
        group[1].append(p)
    if not decay[0] and not keep[0]:
        raise ValueError("model has no parameters to put in param groups")
    return [{"params": ps, "param_names": names, "weight_decay": wd}
            for (names, ps), wd in ((decay, weight_decay), (keep, 0.0)) if names]


@dataclass(frozen=True)
class NormRun:
    """One run of :func:`train_digits_layernorm`.

    ``decayed`` / ``not_decayed`` name the parameters with and without weight decay;
    ``init`` holds every parameter at initialisation (name → array), ``model`` the trained
    network; ``train_loss`` is the mean cross-entropy on the training set at the end.
    """

    decay: str
    lam: float
    lr: float
    model: nn.Sequential
    optimizer: nopt.Adam
    decayed: list[str]
    not_decayed: list[str]
    init: dict[str, np.ndarray]
    train_loss: float
    test_accuracy: float
    steps: int

    def norm(self, names: Sequence[str], at_init: bool = False) -> float:
        """‖(θ_name for name in names)‖₂, the parameters stacked, now or at initialisation."""
        params = dict(self.model.named_parameters())
        if unknown := [n for n in names if n not in params]:
            raise ValueError(f"names must be parameter names of the model, got {unknown}")
        vals = [self.init[n] if at_init else params[n].detach().numpy() for n in names]
        return float(np.sqrt(sum(float(np.sum(v**2)) for v in vals)))


def train_digits_layernorm(lam: float, decay: str = "weights", lr: float = 1e-2, hidden: int = 32,
                           epochs: int = 15, batch_size: int = 64, seed: int = 0) -> NormRun:
    r"""Train Linear(64, h) → LayerNorm(h) → ReLU → Linear(h, 10) on the digits with AdamW.

    ``decay="weights"``: :func:`decay_param_groups` (γ = ``lam`` on the two weight
    matrices, none on the biases and on the LayerNorm gain and shift); ``decay="all"``:
    one group, every parameter decayed by γ. Data, loss and mini-batches as in
    :func:`train_digits_mlp`; η = ``lr``; seeded by ``seed`` throughout.
    """
    lam = nonneg(lam, "lam")
    decay = choice(decay, ("weights", "all"), "decay")
    lr = positive(lr, "lr")
    hidden = positive_int(hidden, "hidden")
    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size")
    seed = random_seed(seed)
    Xtr, Xte, ytr, yte = _digits_split(seed)
    Xtr_t, ytr_t = torch.tensor(Xtr, dtype=DT), torch.tensor(ytr)
    with torch_threads(1):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(64, hidden), nn.LayerNorm(hidden), nn.ReLU(),
                              nn.Linear(hidden, 10)).to(DT)
        groups = decay_param_groups(model, lam)
        names = [list(g["param_names"]) for g in groups]
        if decay == "all":
            groups = [{"params": list(model.parameters()), "weight_decay": lam}]
        init = {n: p.detach().numpy().copy() for n, p in model.named_parameters()}
        opt = nopt.AdamW(groups, lr=lr)
        steps = _minibatch_epochs(model, opt, Xtr_t, ytr_t, epochs, batch_size, seed)
        with torch.no_grad():
            loss = float(nn.functional.cross_entropy(model(Xtr_t), ytr_t))
            pred = model(torch.tensor(Xte, dtype=DT)).argmax(1).numpy()
    if not math.isfinite(loss):
        raise ValueError(f"training diverged: lr={lr:g} or lam={lam:g} is too large")
    return NormRun(decay=decay, lam=lam, lr=lr, model=model, optimizer=opt,
                   decayed=names[0], not_decayed=names[1],
                   init=init, train_loss=loss, test_accuracy=float(np.mean(pred == yte)),
                   steps=steps)


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

