r"""Small experiments for the book: a seeded MLP, a training loop with a penalty, ‖θ‖₂.

* :func:`mlp` — Linear → φ → … → Linear, seeded without touching the global random state;
* :func:`train_classifier` — cross-entropy plus a model-level penalty R(θ)
  (:func:`normcourse.model_penalties.as_model_penalty`);
* :func:`l2_norm` — ‖θ‖₂ of all parameters.
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
    labels_below,
    model_input,
    optional_callable,
    positive,
    positive_int,
    torch_seed,
)
from normcourse.model_penalties import as_model_penalty

__all__ = ["DivergenceError", "l2_norm", "mlp", "train_classifier"]


class DivergenceError(ValueError):
    """Training left the finite range (a NaN or inf loss or weight): the step size or the
    penalty is too large for the data."""


def l2_norm(model: nn.Module) -> float:
    r"""Euclidean norm of all parameters, ‖θ‖₂ = (Σ_{p ∈ θ} Σ_i p_i²)^{1/2}, as a float.

    The quantity the L2 penalty (λ/2)‖θ‖² controls; unlike
    :func:`~normcourse.robustness.path_norm` it is not invariant under
    :func:`~normcourse.robustness.rescale`.
    """
    finite_model(model)
    total = 0.0
    for p in model.parameters():
        total += float(torch.sum(p.detach().to(torch.float64) ** 2))
    return math.sqrt(total)


# ---------------------------------------------------------------------- seeded MLP and training


def mlp(
    sizes: list[int] | tuple[int, ...],
    activation: type[nn.Module] = nn.ReLU,
    seed: int = 0,
) -> nn.Sequential:
    r"""Fully connected network Linear(d₀, d₁) → φ → … → Linear(d_{L−1}, d_L), seeded.

    ``sizes = [d₀, …, d_L]``; one ``activation()`` after every Linear layer except the last, so
    the output is the logit vector. Initialisation is torch's default for ``nn.Linear`` drawn
    after ``torch.manual_seed(seed)`` inside :func:`torch.random.fork_rng`: the same ``seed``
    gives the same weights, and the caller's global random state is left untouched.
    """
    if isinstance(sizes, str) or not hasattr(sizes, "__len__") or len(sizes) < 2:
        raise ValueError(f"sizes must list at least two layer widths, got {sizes!r}")
    widths = [positive_int(s, "sizes") for s in sizes]
    torch_seed(seed)
    if not (isinstance(activation, type) and issubclass(activation, nn.Module)):
        raise ValueError(f"activation must be an nn.Module class, got {activation!r}")
    layers: list[nn.Module] = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        for i in range(len(widths) - 1):
            layers.append(nn.Linear(widths[i], widths[i + 1]))
            if i < len(widths) - 2:
                layers.append(activation())
    return nn.Sequential(*layers)


def train_classifier(
    model: nn.Module,
    X: Any,
    y: Any,
    steps: int = 300,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float = 1e-2,
    penalty: Any = None,
    batch_size: int | None = None,
    seed: int = 0,
    callback: Any = None,
) -> np.ndarray:
    r"""Train a classifier in place on the objective CE(f_θ(X), y) + R(θ); return J's trace.

    Each of the ``steps`` iterations takes one optimizer step on

        J(θ) = (1/|B|) Σ_{i ∈ B} CE(f_θ(x_i), y_i) + R(θ),

    with B the whole data set (``batch_size=None``, deterministic) or a batch of ``batch_size``
    indices drawn without replacement from a generator seeded with ``seed``. R is ``penalty``,
    or 0: a :class:`~normcourse.model_penalties.ModelPenalty` (e.g.
    :class:`~normcourse.robustness.SpectralPenalty`, :class:`~normcourse.model_penalties.L2SP`),
    an array penalty of :mod:`normcourse.penalties` applied to the weights (``penalties.L2(λ)``
    adds (λ/2) Σ_W ‖W‖_F² over the weight matrices, biases excluded — see
    :class:`~normcourse.model_penalties.OnParameters`), or any callable ``penalty(model)``
    returning a scalar tensor (:func:`~normcourse.model_penalties.as_model_penalty`). The
    optimizer defaults to ``torch.optim.Adam(model.parameters(), lr=lr)``; pass your own (e.g.
    ``normcourse.optim.SGD(..., weight_decay=λ)`` for a coupled L2 penalty) to use something
    else, in which case ``lr`` is ignored.

    Parameters
    ----------
    model : ``nn.Module`` returning logits (n, K); put in train mode, trained, then put in eval
        mode before returning.
    X : inputs (n, …), tensor or array; y : integer labels (n,).
    steps : number of optimizer steps (≥ 1).
    penalty : R as above, or ``None``; anything else raises ``ValueError``.
    callback : optional ``callback(k, model)`` called after step k = 1 … ``steps``.

    Returns
    -------
    Array of length ``steps`` with J(θ) on the batch before each step (data loss + penalty).
    Labels outside 0 … K − 1 (K = the model's outputs) raise ``ValueError``; a run whose loss
    or weights leave the finite range raises :class:`DivergenceError` (a ``ValueError``).
    """
    finite_model(model)
    steps = positive_int(steps, "steps")
    torch_seed(seed)
    pen = None if penalty is None else as_model_penalty(penalty)
    optional_callable(callback, "callback")
    xt = model_input(model, X, "X")
    n = xt.shape[0]
    yt = class_labels(y, n, xt.device)
    if batch_size is not None:
        batch_size = positive_int(batch_size, "batch_size")
        if batch_size > n:
            raise ValueError(f"batch_size must be ≤ the number of samples ({n}), got {batch_size}")
    if optimizer is None:
        lr = positive(lr, "lr")
        big = min((torch.finfo(p.dtype).max for p in model.parameters()), default=math.inf)
        if lr >= big:
            raise ValueError(f"lr must be < {big:.3g} (the model's dtype), got {lr!r}")
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    elif not isinstance(optimizer, torch.optim.Optimizer):
        raise ValueError(f"optimizer must be a torch.optim.Optimizer, got {optimizer!r}")
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    trace = np.empty(steps)
    model.train()
    for k in range(steps):
        if batch_size is None:
            xb, yb = xt, yt
        else:
            idx = torch.randperm(n, generator=gen)[:batch_size].to(xt.device)
            xb, yb = xt[idx], yt[idx]
        optimizer.zero_grad()
        logits = model(xb)
        if k == 0:
            labels_below(yt, logits.shape[-1])
        loss = nn.functional.cross_entropy(logits, yb)
        if pen is not None:
            loss = loss + pen(model)
        trace[k] = float(loss.detach())
        if not math.isfinite(trace[k]):
            raise DivergenceError(
                f"training diverged: J(θ) = {trace[k]} at step {k + 1}; lower the learning rate "
                f"lr (got {lr!r}) or the penalty strength lam, or rescale X"
            )
        loss.backward()
        optimizer.step()
        if callback is not None:
            callback(k + 1, model)
    model.eval()
    try:
        finite_model(model)
    except ValueError as exc:
        raise DivergenceError(
            f"training diverged: {exc} after {steps} steps; lower the learning rate lr "
            f"(got {lr!r}) or the penalty strength lam"
        ) from None
    return trace
