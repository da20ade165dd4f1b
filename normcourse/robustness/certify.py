r"""Certified robustness and the attack that bounds it from the other side.

* Certified ℓ2 radius margin(x) / (√2 L) (Tsuzuku et al. 2018) (:func:`certified_radius`,
  :func:`certified_accuracy`), a *lower* bound on the accuracy under attack;
* an ℓ2 PGD attack (Madry et al. 2018) (:func:`pgd_attack`) and the accuracy under it
  (:func:`robust_accuracy`), an *upper* bound.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from normcourse._validate import (
    class_labels,
    finite_model,
    finite_result,
    is_torch,
    labels_below,
    model_input,
    nonneg,
    positive,
    positive_int,
    torch_seed,
)
from normcourse.robustness.spectral import lipschitz_upper_bound

__all__ = ["certified_accuracy", "certified_radius", "pgd_attack", "robust_accuracy"]


# --------------------------------------------------------------------------- certification


def _margins(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if logits.ndim != 2 or logits.shape[1] < 2:
        raise ValueError(
            "model must output logits of shape (n, K) with K ≥ 2 classes, "
            f"got {tuple(logits.shape)}"
        )
    top2 = torch.topk(logits, 2, dim=1)
    return top2.values[:, 0] - top2.values[:, 1], top2.indices[:, 0]


def certified_radius(model: nn.Module, x: Any, lipschitz: float | None = None) -> torch.Tensor:
    r"""Certified ℓ2 radius of each prediction: r(x) = M_f(x) / (√2 L) (Tsuzuku et al. 2018).

    M_f(x) = f_{(1)}(x) − f_{(2)}(x) is the gap between the top logit and the runner-up and L
    a Lipschitz constant of the logit map f. For classes i, j,
    |(f_i − f_j)(x + δ) − (f_i − f_j)(x)| = |(e_i − e_j)ᵀ (f(x + δ) − f(x))| ≤ √2 L ‖δ‖₂, so no
    perturbation with ‖δ‖₂ < r(x) can make another logit overtake the top one: the predicted
    class of x + δ is that of x (ties aside).

    Parameters
    ----------
    model : logit map, an ``nn.Sequential`` accepted by :func:`lipschitz_upper_bound` (call
        ``model.eval()`` first if it has dropout).
    x : batch of inputs, shape (n, …), tensor or array.
    lipschitz : L > 0; computed with :func:`lipschitz_upper_bound` when ``None``.

    Returns
    -------
    Tensor of shape (n,) with r(x) ≥ 0, in the dtype of the model's logits.
    """
    finite_model(model)
    if lipschitz is None:
        L = lipschitz_upper_bound(model)
        if L == 0:
            raise ValueError("model has Lipschitz bound 0 (a zero weight matrix): radius undefined")
    else:
        L = positive(lipschitz, "lipschitz")
    xt = model_input(model, x)
    with torch.no_grad():
        margin, _ = _margins(model(xt))
    return finite_result(
        margin / (math.sqrt(2.0) * L),
        f"lipschitz={L!r} is so small that the radius margin / (√2 L) overflows {margin.dtype}",
    )


def certified_accuracy(
    model: nn.Module, x: Any, y: Any, eps: float, lipschitz: float | None = None
) -> float:
    r"""Fraction of samples that are correctly classified *and* certified at radius ε.

    certified_acc(ε) = (1/n) Σ_i 1[argmax_k f_k(x_i) = y_i and r(x_i) > ε], with r from
    :func:`certified_radius`. It lower-bounds the accuracy under any ℓ2 attack of size ≤ ε; at
    ε = 0 it is the clean accuracy minus exact ties.

    Parameters
    ----------
    model, x, lipschitz : as in :func:`certified_radius`.
    y : integer labels, shape (n,).
    eps : ε ≥ 0.
    """
    eps = nonneg(eps, "eps")
    finite_model(model)
    xt = model_input(model, x)
    yt = class_labels(y, xt.shape[0], xt.device)
    L = lipschitz_upper_bound(model) if lipschitz is None else positive(lipschitz, "lipschitz")
    if L == 0:
        raise ValueError("model has Lipschitz bound 0 (a zero weight matrix): radius undefined")
    with torch.no_grad():
        logits = model(xt)
        margin, pred = _margins(logits)
    labels_below(yt, logits.shape[1])
    radius = margin / (math.sqrt(2.0) * L)
    ok = (pred == yt) & (radius > eps)
    return float(ok.double().mean())


# --------------------------------------------------------------------------- PGD attack


def _batch_norm(t: torch.Tensor) -> torch.Tensor:
    """Per-sample ℓ2 norm, shaped to broadcast against ``t``."""
    n = torch.linalg.vector_norm(t.reshape(t.shape[0], -1), dim=1)
    return n.reshape((-1,) + (1,) * (t.ndim - 1))


def _as_eps(eps: Any, n: int) -> torch.Tensor | float:
    """ε as a float (scalar) or a float64 tensor of shape (n,) (per-sample radii), all ≥ 0."""
    if is_torch(eps) or isinstance(eps, np.ndarray | list | tuple):
        arr = np.asarray(eps.detach().cpu() if is_torch(eps) else eps, dtype=np.float64)
        if arr.ndim == 0:
            return nonneg(float(arr), "eps")
        if arr.shape != (n,):
            raise ValueError(
                f"eps must be a number or have shape ({n},) to match x, got {arr.shape}"
            )
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise ValueError("eps must be finite and ≥ 0 for every sample")
        return torch.from_numpy(arr)
    return nonneg(eps, "eps")


def pgd_attack(
    model: nn.Module,
    x: Any,
    y: Any,
    eps: float | Any,
    steps: int = 50,
    alpha: float | None = None,
    seed: int = 0,
) -> torch.Tensor:
    r"""ℓ2 projected gradient ascent on the cross-entropy inside the ball ‖δ‖₂ ≤ ε (Madry et al.).

    From a seeded random start δ₀ (uniform direction, radius ε·U(0,1)), each step is

        δ ← Π_ε( δ + α g / ‖g‖₂ ),   g = ∇_δ CE(f(x + δ), y),   Π_ε(δ) = δ · min(1, ε / ‖δ‖₂),

    per sample. The returned point is, for each sample, the first iterate that the model
    misclassifies if there is one (the attack succeeded), else the last iterate. Every returned
    point satisfies ‖x_adv − x‖₂ ≤ ε (up to rounding). Deterministic for a given ``seed``; the
    model's parameters and their ``.grad`` are left untouched.

    Parameters
    ----------
    model : classifier returning logits (n, K); used as is (call ``model.eval()`` first).
    x : inputs (n, …); y : integer labels (n,).
    eps : ε ≥ 0, a number or one radius per sample (shape (n,), e.g. ``0.99 *
        certified_radius(model, x)``). Samples with ε = 0 are returned unchanged.
    steps : number of ascent steps (≥ 1).
    alpha : step size α > 0; default 2.5 ε / steps (Madry et al. 2018), per sample.
    seed : seed of the random start.
    """
    steps = positive_int(steps, "steps")
    finite_model(model)
    torch_seed(seed)
    xt = model_input(model, x)
    n = xt.shape[0]
    eps_v = _as_eps(eps, n)
    yt = class_labels(y, n, xt.device)
    with torch.no_grad():
        n_classes = model(xt).shape[-1]
    labels_below(yt, n_classes)
    alpha_v = None if alpha is None else positive(alpha, "alpha")
    shape = (n,) + (1,) * (xt.ndim - 1)
    eps_t = (
        eps_v if isinstance(eps_v, torch.Tensor) else torch.full((n,), eps_v, dtype=torch.float64)
    )
    eps_t = eps_t.reshape(shape)
    if not bool(torch.any(eps_t > 0)):
        return xt.clone()
    a = 2.5 * eps_t / steps if alpha_v is None else torch.full(shape, alpha_v, dtype=torch.float64)
    a = a.to(dtype=xt.dtype, device=xt.device)
    eps_x = eps_t.to(dtype=xt.dtype, device=xt.device)
    moving = eps_x > 0  # ε = 0: the sample stays put (α must not move it either)

    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    d = torch.randn(xt.shape, generator=gen, dtype=torch.float64)
    r = torch.rand(shape, generator=gen, dtype=torch.float64)
    delta = (d / _batch_norm(d).clamp_min(1e-300) * r * eps_t).to(dtype=xt.dtype, device=xt.device)

    best = xt + delta
    found = torch.zeros(n, dtype=torch.bool, device=xt.device)
    tiny = torch.finfo(xt.dtype).tiny
    for k in range(steps + 1):
        delta.requires_grad_(True)
        logits = model(xt + delta)
        with torch.no_grad():
            wrong = (logits.argmax(dim=1) != yt) & ~found
            if bool(wrong.any()):
                best[wrong] = (xt + delta)[wrong]
                found |= wrong
        if k == steps or bool(found.all()):
            break
        loss = nn.functional.cross_entropy(logits, yt, reduction="sum")
        (g,) = torch.autograd.grad(loss, delta)
        with torch.no_grad():
            delta = delta.detach() + moving * a * g / _batch_norm(g).clamp_min(tiny)
            delta = delta * torch.clamp(eps_x / _batch_norm(delta).clamp_min(tiny), max=1.0)
    with torch.no_grad():
        last = xt + delta.detach()
        best[~found] = last[~found]
    return finite_result(
        best.detach(),
        f"eps={eps!r} or alpha={alpha!r} moves x outside the range of the model's dtype "
        f"{xt.dtype} (the attack overflows); use a smaller eps",
    )


def robust_accuracy(
    model: nn.Module, x: Any, y: Any, eps: float, steps: int = 50, seed: int = 0
) -> float:
    r"""Accuracy under the ℓ2 PGD attack of :func:`pgd_attack` at radius ε (empirical robustness).

    robust_acc(ε) = (1/n) Σ_i 1[argmax_k f_k(x_i^adv) = y_i], x^adv = ``pgd_attack(model, x, y,
    eps, steps, seed=seed)``. An attack can only find perturbations, never rule them out, so
    this is an *upper* bound on the true robust accuracy, while :func:`certified_accuracy` is a
    lower bound: certified_acc(ε) ≤ true robust accuracy ≤ robust_acc(ε).
    """
    finite_model(model)
    xt = model_input(model, x)
    yt = class_labels(y, xt.shape[0], xt.device)
    x_adv = pgd_attack(model, xt, yt, eps, steps=steps, seed=seed)
    with torch.no_grad():
        return float((model(x_adv).argmax(dim=1) == yt).double().mean())

