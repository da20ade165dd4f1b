r"""Path norms and the ReLU rescaling symmetry (Neyshabur et al. 2015).

* ℓ2 path norm φ₂(θ) (:func:`path_norm`) and its differentiable penalty λ φ₂(θ)
  (:class:`PathNormPenalty`);
* the rescaling of a hidden unit that leaves the function unchanged (:func:`rescale`), and of
  all units of a layer at once (:func:`rescale_layer`);
* balancing: the incoming and outgoing norms a_j, c_j of hidden units (:func:`unit_norms`) and
  the rescaling with the smallest ‖θ‖₂, where a_j = c_j (:func:`balance`);
* the imbalance Δ_j = a_j² − c_j² (:func:`unit_imbalance`) and its trace under full-batch
  gradient descent with or without weight decay or a penalty (:func:`gd_imbalance_trace`),
  conserved by the gradient flow of a rescaling-invariant objective (Du, Hu & Lee 2018).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import torch
from torch import nn

from normcourse._validate import (
    finite_array,
    finite_model,
    finite_result,
    flag,
    nonneg,
    positive,
    positive_int,
)
from normcourse.model_penalties import ModelPenalty
from normcourse.optim import SGD
from normcourse.robustness.layers import check_sequential, leaf_layers
from normcourse.robustness.models import train_classifier

__all__ = [
    "PathNormPenalty",
    "balance",
    "gd_imbalance_trace",
    "path_norm",
    "rescale",
    "rescale_layer",
    "unit_imbalance",
    "unit_norms",
]


# --------------------------------------------------------------------------- path norm


# Activations with φ(α z) = α φ(z) for α > 0: the rescaling symmetry holds across them.
HOMOGENEOUS = (nn.ReLU, nn.LeakyReLU, nn.Identity)


def path_norm(model: nn.Module, include_bias: bool = True) -> float:
    r"""ℓ2 path norm of a Sequential ReLU MLP (Neyshabur et al. 2015).

    Write a path p from input unit i through one unit per hidden layer to output unit o; its
    weight is the product of the edge weights along it. Then

        φ₂(θ) = ( Σ_p Π_{e ∈ p} w_e² )^{1/2}.

    Summing over paths layer by layer is a forward pass: with z⁰ = 𝟏 (all-ones input),
    z^l = (W_l ⊙ W_l) z^{l−1} (+ b_l ⊙ b_l), ReLU replaced by the identity, φ₂ = (Σ_o z^L_o)^{1/2}.

    Bias convention (``include_bias=True``): each bias b_{l,j} is the weight of an edge from a
    constant-1 unit to unit j of layer l, so paths may also *start* at a bias and contribute
    b_{l,j}² times the squared weights downstream of unit j. This sum is still invariant under
    the rescaling of :func:`rescale` (a unit's incoming weights and bias are scaled together).
    ``include_bias=False`` sums over input→output paths only (the weights-only definition).

    Parameters
    ----------
    model : ``nn.Sequential`` (or one ``nn.Linear``) of ``nn.Linear`` and positively homogeneous
        activations (ReLU, LeakyReLU, Identity); anything else raises ``ValueError``.
    include_bias : count bias paths as above.

    Returns
    -------
    φ₂(θ) as a float (computed in float64).
    """
    include_bias = flag(include_bias, "include_bias")
    with torch.no_grad():
        total = _path_sum(model, include_bias, torch.float64)
    return math.sqrt(float(total))


def _path_sum(model: nn.Module, include_bias: bool, dtype: torch.dtype | None) -> torch.Tensor:
    """φ₂(θ)² = Σ_o z^L_o by the forward pass of :func:`path_norm`, in ``dtype`` (``None``: the
    weights' own dtype); differentiable in the weights when autograd is on."""
    check_sequential(model)
    finite_model(model)
    z: torch.Tensor | None = None
    for name, layer in leaf_layers(model):
        if isinstance(layer, nn.Linear):
            W = layer.weight if dtype is None else layer.weight.to(dtype)
            if z is None:
                z = torch.ones(W.shape[1], dtype=W.dtype, device=W.device)
            z = (W * W) @ z
            if include_bias and layer.bias is not None:
                b = layer.bias if dtype is None else layer.bias.to(dtype)
                z = z + b * b
        elif not isinstance(layer, HOMOGENEOUS):
            raise ValueError(
                f"model layer '{name}' ({type(layer).__name__}) is not supported by the path "
                "norm: expected nn.Linear, ReLU, LeakyReLU or Identity"
            )
    if z is None:
        raise ValueError("model has no nn.Linear layer: its path norm is undefined")
    return finite_result(z.sum(), f"model has a squared path norm that overflows {z.dtype}")


class PathNormPenalty(ModelPenalty):
    r"""Path-norm penalty R(θ) = λ φ₂(θ), differentiable, for a training loop.

    φ₂ is the ℓ2 path norm of :func:`path_norm` (same definition and bias convention),
    computed by the same forward pass z^l = (W_l ⊙ W_l) z^{l−1} (+ b_l ⊙ b_l) but with autograd
    on and in the weights' dtype, so ``loss = data_loss + penalty(model)`` trains against it:

        ∂φ₂/∂θ = ∂(Σ_o z^L_o)/∂θ / (2 φ₂).

    Like φ₂, R is invariant under :func:`rescale`. At θ with φ₂(θ) = 0 (e.g. a zero layer) the
    square root is not differentiable; the penalty then returns 0 with gradient 0.

    Parameters
    ----------
    lam : λ ≥ 0.
    include_bias : count the bias paths, as in :func:`path_norm`.
    """

    def __init__(self, lam: float, include_bias: bool = True) -> None:
        self.lam = nonneg(lam, "lam")
        self.include_bias = flag(include_bias, "include_bias")

    def __call__(self, model: nn.Module) -> torch.Tensor:
        """λ φ₂(θ) for ``model`` (an ``nn.Sequential`` accepted by :func:`path_norm`)."""
        total = _path_sum(model, self.include_bias, None)
        return finite_result(
            self.lam * (total.sqrt() if bool(total > 0) else total),
            f"lam={self.lam!r} times the path norm overflows {total.dtype}: use a smaller lam",
        )

    def __repr__(self) -> str:
        return f"PathNormPenalty(lam={self.lam}, include_bias={self.include_bias})"


# --------------------------------------------------------------------------- rescaling


def rescale(model: nn.Sequential, layer: int, unit: int, alpha: float) -> nn.Sequential:
    r"""Copy of ``model`` with hidden unit ``unit`` of ``model[layer]`` rescaled by α > 0.

    Unit j of the Linear layer ``model[layer]`` gets its incoming weights and bias multiplied by
    α, and the outgoing weights (column j of the next Linear layer) divided by α:

        W_l[j, :] ← α W_l[j, :],   b_l[j] ← α b_l[j],   W_{l+1}[:, j] ← W_{l+1}[:, j] / α.

    Because ReLU is positively homogeneous, ReLU(α z) = α ReLU(z) for α > 0, so the network
    computes exactly the same function (up to rounding), and :func:`path_norm` is unchanged, while
    :func:`~normcourse.robustness.l2_norm` changes — ‖θ‖₂ is not a function of f alone.
    LeakyReLU and Identity are also positively homogeneous and allowed between the two Linear
    layers.

    Parameters
    ----------
    model : a flat ``nn.Sequential`` (not modified; a deep copy is returned).
    layer : index in ``model`` of an ``nn.Linear`` that is followed, after homogeneous activations
        only, by another ``nn.Linear``.
    unit : output unit of ``model[layer]``, 0 ≤ unit < out_features.
    alpha : α > 0.
    """
    if not isinstance(model, nn.Sequential):
        raise ValueError(f"model must be a torch.nn.Sequential, got {type(model).__name__}")
    finite_model(model)
    alpha = positive(alpha, "alpha")
    for val, nm in ((layer, "layer"), (unit, "unit")):
        if isinstance(val, bool) or not isinstance(val, int | np.integer):
            raise ValueError(f"{nm} must be an integer index, got {val!r}")
    layers = list(model)
    if not 0 <= layer < len(layers):
        raise ValueError(f"layer must be in [0, {len(layers)}), got {layer}")
    first = layers[layer]
    if not isinstance(first, nn.Linear):
        raise ValueError(f"layer {layer} is {type(first).__name__}, not nn.Linear")
    if not 0 <= unit < first.out_features:
        raise ValueError(f"unit must be in [0, {first.out_features}) for layer {layer}, got {unit}")
    nxt = None
    for k in range(layer + 1, len(layers)):
        if isinstance(layers[k], nn.Linear):
            nxt = k
            break
        if not isinstance(layers[k], HOMOGENEOUS):
            raise ValueError(
                f"layer {layer}: the activation between it and the next Linear is "
                f"{type(layers[k]).__name__} (index {k}), not positively homogeneous (ReLU), so "
                "rescaling would change the function"
            )
    if nxt is None:
        raise ValueError(
            f"layer {layer} is the last Linear layer: its units are outputs, not hidden"
        )
    out = copy.deepcopy(model)
    with torch.no_grad():
        out[layer].weight[unit, :] *= alpha
        if out[layer].bias is not None:
            out[layer].bias[unit] *= alpha
        out[nxt].weight[:, unit] /= alpha
    try:
        finite_model(out)
    except ValueError:
        raise ValueError(
            f"alpha={alpha!r} is too extreme: the rescaled weights of unit {unit} overflow the "
            "model's dtype"
        ) from None
    return out


def rescale_layer(model: nn.Sequential, layer: int, alphas: Any) -> nn.Sequential:
    r"""Copy of ``model`` with every hidden unit j of ``model[layer]`` rescaled by α_j > 0.

    The vectorised form of :func:`rescale`, all units at once (``alphas`` has one entry per
    output unit of ``model[layer]``):

        W_l ← diag(α) W_l,   b_l ← α ⊙ b_l,   W_{l+1} ← W_{l+1} diag(α)⁻¹.

    The function, the path norm and the products a_j c_j of :func:`unit_norms` are unchanged;
    (a_j, c_j) becomes (α_j a_j, c_j / α_j). The same layers as :func:`rescale` are accepted.

    Parameters
    ----------
    model : a flat ``nn.Sequential`` (not modified; a deep copy is returned).
    layer : index of a hidden ``nn.Linear`` (followed, after positively homogeneous activations
        only, by another ``nn.Linear``).
    alphas : α ∈ (0, ∞)^h, finite, one per unit (array, list or tensor).
    """
    nxt = _next_linear(model, layer)
    finite_model(model)
    a = finite_array(alphas, "alphas", ndim=1)
    h = model[layer].out_features
    if a.shape != (h,):
        raise ValueError(f"alphas must have one entry per unit of layer {layer} ({h}), "
                         f"got shape {a.shape}")
    if np.any(a <= 0):
        raise ValueError("alphas must be > 0 (a rescaling by α ≤ 0 changes the function)")
    out = copy.deepcopy(model)
    with torch.no_grad():
        first, second = out[layer], out[nxt]
        s = torch.as_tensor(a, dtype=first.weight.dtype, device=first.weight.device)
        first.weight.mul_(s[:, None])
        if first.bias is not None:
            first.bias.mul_(s)
        second.weight.div_(s.to(second.weight.dtype)[None, :])
    try:
        finite_model(out)
    except ValueError:
        raise ValueError("alphas are too extreme: the rescaled weights overflow the model's "
                         "dtype") from None
    return out


# --------------------------------------------------------------------------- balancing


def _next_linear(model: Any, layer: Any) -> int:
    """Index of the Linear layer after hidden ``model[layer]`` (homogeneous activations between)."""
    if not isinstance(model, nn.Sequential):
        raise ValueError(f"model must be a torch.nn.Sequential, got {type(model).__name__}")
    if isinstance(layer, bool) or not isinstance(layer, int | np.integer):
        raise ValueError(f"layer must be an integer index, got {layer!r}")
    layers = list(model)
    if not 0 <= layer < len(layers):
        raise ValueError(f"layer must be in [0, {len(layers)}), got {layer}")
    if not isinstance(layers[layer], nn.Linear):
        raise ValueError(f"layer {layer} is {type(layers[layer]).__name__}, not nn.Linear")
    for k in range(layer + 1, len(layers)):
        if isinstance(layers[k], nn.Linear):
            return k
        if not isinstance(layers[k], HOMOGENEOUS):
            raise ValueError(
                f"layer {layer}: the activation between it and the next Linear is "
                f"{type(layers[k]).__name__} (index {k}), not positively homogeneous"
            )
    raise ValueError(f"layer {layer} is the last Linear layer: its units are outputs, not hidden")


def unit_norms(model: nn.Sequential, layer: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Incoming and outgoing norms of the hidden units of the Linear layer ``model[layer]``.

    For unit j, a_j = ‖(W_l[j, :], b_l[j])‖₂ (incoming weights and bias, the parameters that
    :func:`rescale` multiplies by α) and c_j = ‖W_{l+1}[:, j]‖₂ (outgoing weights, divided by α).
    Under the rescaling, (a_j, c_j) → (α a_j, c_j / α): the product a_j c_j is invariant and
    a_j² − c_j² measures how far the unit is from balanced (a_j = c_j).

    Returns
    -------
    (a, c), two float64 arrays of length ``model[layer].out_features``.
    """
    nxt = _next_linear(model, layer)
    finite_model(model)
    W = model[layer].weight.detach().to(torch.float64)
    a2 = (W * W).sum(dim=1)
    if model[layer].bias is not None:
        a2 = a2 + model[layer].bias.detach().to(torch.float64) ** 2
    V = model[nxt].weight.detach().to(torch.float64)
    c2 = (V * V).sum(dim=0)
    return a2.sqrt().numpy(), c2.sqrt().numpy()


def balance(model: nn.Sequential) -> nn.Sequential:
    r"""The rescaling of a one-hidden-layer ReLU network with the smallest ‖θ‖₂ (a copy).

    For f(x) = V φ(W x + b) + b_out, rescaling hidden unit j by α_j > 0 (see :func:`rescale`)
    gives, with a_j, c_j from :func:`unit_norms`,

        ‖θ(α)‖₂² = Σ_j (α_j² a_j² + c_j² / α_j²) + ‖b_out‖₂².

    Each term is minimised independently at α_j² = c_j / a_j (AM–GM: α²a² + c²/α² ≥ 2ac, with
    equality iff α²a² = c²/α²), where the unit becomes *balanced*, α_j a_j = c_j / α_j = √(a_j c_j).
    Hence

        min_{α > 0} ‖θ(α)‖₂² = 2 Σ_j a_j c_j + ‖b_out‖₂².

    A unit with a_j = 0 or c_j = 0 contributes nothing to f; the infimum 0 of its term is
    reached only as α_j → 0 or ∞, so this function zeros the unit's incoming weights, bias and
    outgoing weights instead — f is unchanged and the minimum is attained.

    Parameters
    ----------
    model : ``nn.Sequential`` with exactly two ``nn.Linear`` layers and only positively
        homogeneous activations (ReLU, LeakyReLU, Identity) between them; not modified.
    """
    if not isinstance(model, nn.Sequential):
        raise ValueError(f"model must be a torch.nn.Sequential, got {type(model).__name__}")
    lin = [i for i, m in enumerate(model) if isinstance(m, nn.Linear)]
    if len(lin) != 2 or lin[0] != 0 or lin[1] != len(model) - 1:
        raise ValueError(
            "model must be Linear → activations → Linear (one hidden layer), got "
            f"{[type(m).__name__ for m in model]}"
        )
    finite_model(model)
    nxt = _next_linear(model, 0)
    a, c = unit_norms(model, 0)
    live = (a > 0) & (c > 0)
    alpha = np.ones_like(a)
    alpha[live] = np.sqrt(c[live] / a[live])
    out = copy.deepcopy(model)
    with torch.no_grad():
        first, second = out[0], out[nxt]
        s_in = torch.as_tensor(np.where(live, alpha, 0.0), dtype=first.weight.dtype)
        s_out = torch.as_tensor(np.where(live, 1.0 / alpha, 0.0), dtype=second.weight.dtype)
        first.weight.mul_(s_in[:, None])
        if first.bias is not None:
            first.bias.mul_(s_in)
        second.weight.mul_(s_out[None, :])
    return out


# --------------------------------------------------------------------------- imbalance


def unit_imbalance(model: nn.Sequential, layer: int) -> np.ndarray:
    r"""Imbalance Δ_j = a_j² − c_j² of each hidden unit of ``model[layer]`` (float64 array).

    a_j, c_j are the incoming and outgoing norms of :func:`unit_norms`. A rescaling by α_j turns
    Δ_j into α_j² a_j² − c_j² / α_j²; the unit is balanced when Δ_j = 0. For a loss that depends
    on θ only through the network's function, the gradient flow θ̇ = −∇L − λθ gives
    dΔ_j/dt = −2λ Δ_j: Δ_j is conserved without weight decay (Du, Hu & Lee 2018) and decays
    like e^{−2λt} with it.
    """
    a, c = unit_norms(model, layer)
    return a * a - c * c


def gd_imbalance_trace(
    model: nn.Sequential,
    X: Any,
    y: Any,
    steps: int,
    lr: float,
    weight_decay: float = 0.0,
    penalty: Any = None,
    every: int = 10,
    layer: int = 0,
) -> np.ndarray:
    r"""Train ``model`` in place by full-batch gradient descent and record the unit imbalances.

    Each step is θ ← θ − η (∇CE(θ) + ∇R(θ) + λθ) with η = ``lr``, λ = ``weight_decay`` (coupled,
    :class:`normcourse.optim.SGD`) and R = ``penalty`` (e.g. :class:`PathNormPenalty`, or
    ``None``), through :func:`~normcourse.robustness.train_classifier`. With g = ∇(CE + R)
    restricted to unit j's incoming parameters (w_j, b_j) and outgoing weights v_j, and R
    invariant under rescaling (or absent), one step changes Δ_j = a_j² − c_j² exactly to

        Δ_j ← (1 − ηλ)² Δ_j + η² (‖g_in,j‖² − ‖g_out,j‖²),

    since the first-order terms cancel by Euler's identity ⟨(w_j, b_j), g_in,j⟩ = ⟨v_j, g_out,j⟩.
    Without weight decay Δ_j therefore drifts by O(η²) per step, O(η t) over a training time
    t = kη, and is conserved only in the limit η → 0 (the gradient flow).

    Parameters
    ----------
    model : ``nn.Sequential`` with a hidden ``nn.Linear`` at index ``layer`` (trained in place).
    X, y : inputs (n, d) and integer labels (n,).
    steps : number of gradient steps (≥ 1); lr : η > 0; weight_decay : λ ≥ 0.
    penalty : R(θ) as accepted by :func:`~normcourse.robustness.train_classifier`, or ``None``.
    every : record Δ every ``every`` steps (≥ 1).
    layer : index of the hidden layer whose units are recorded.

    Returns
    -------
    Array of shape (1 + steps // every, h): row i is Δ(θ) after i · ``every`` steps (row 0 at
    the start).
    """
    steps = positive_int(steps, "steps")
    lr = positive(lr, "lr")
    weight_decay = nonneg(weight_decay, "weight_decay")
    every = positive_int(every, "every")
    rows = [unit_imbalance(model, layer)]  # also checks model and layer
    big = min(torch.finfo(p.dtype).max for p in model.parameters())
    for value, name in ((lr, "lr"), (weight_decay, "weight_decay")):
        if value >= big:
            raise ValueError(f"{name} must be < {big:.3g} (the model's dtype), got {value!r}")

    def record(k: int, m: nn.Module) -> None:
        if k % every == 0:
            rows.append(unit_imbalance(m, layer))

    train_classifier(model, X, y, steps=steps, penalty=penalty, callback=record,
                     optimizer=SGD(model.parameters(), lr=lr, weight_decay=weight_decay))
    return np.array(rows)
