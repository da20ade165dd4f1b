"""Spectral norms, Lipschitz bounds, certified robustness and path norms of MLPs.

Symbols as in the book: a network f_θ(x) = W_L φ(W_{L-1} φ(… φ(W_1 x + b_1) …) + b_{L-1}) + b_L
with weight matrices W_l, biases b_l and elementwise activations φ; θ collects all
parameters and λ (``lam``) is the penalty strength.

* ‖W‖₂ = σ_max(W), the spectral norm, by power iteration (:func:`power_iteration`).
* Lipschitz upper bound of the logit map, L ≤ ∏_l ‖W_l‖₂ · ∏ Lip(φ)
  (:func:`lipschitz_upper_bound`, Szegedy et al. 2014).
* Spectral penalty λ Σ_l ‖W_l‖₂ with σ_l = u_lᵀ W_l v_l, vectors detached, as in spectral
  normalization (Miyato et al. 2018) (:class:`SpectralPenalty`, :func:`spectral_penalty`).
* Certified ℓ2 radius margin(x) / (√2 L) (Tsuzuku et al. 2018) (:func:`certified_radius`,
  :func:`certified_accuracy`) and, for the empirical side, an ℓ2 PGD attack (Madry et al. 2018)
  (:func:`pgd_attack`).
* ℓ2 path norm (Neyshabur et al. 2015) (:func:`path_norm`), the ReLU rescaling that leaves
  the function unchanged (:func:`rescale`) and the plain ‖θ‖₂ (:func:`l2_norm`), which the
  rescaling does change.
* Balancing: the incoming and outgoing norms a_j, c_j of hidden units (:func:`unit_norms`) and
  the rescaling with the smallest ‖θ‖₂, where a_j = c_j (:func:`balance`).
* Small experiments for the book: a seeded MLP (:func:`mlp`), a training loop with an optional
  penalty (:func:`train_classifier`), accuracy under PGD (:func:`robust_accuracy`) and the
  input-Jacobian norms that lower-bound the Lipschitz constant (:func:`jacobian_norms`).

References
----------
Szegedy et al., "Intriguing properties of neural networks", ICLR 2014.
Neyshabur, Tomioka, Srebro, "Norm-based capacity control in neural networks", COLT 2015.
Miyato, Kataoka, Koyama, Yoshida, "Spectral normalization for generative adversarial
networks", ICLR 2018.
Tsuzuku, Sato, Sugiyama, "Lipschitz-margin training: scalable certification of perturbation
invariance for deep neural networks", NeurIPS 2018.
Madry, Makelov, Schmidt, Tsipras, Vladu, "Towards deep learning models resistant to
adversarial attacks", ICLR 2018.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from ._validate import finite_tensor_or_array, is_torch, nonneg, positive, positive_int

__all__ = [
    "SpectralPenalty",
    "balance",
    "certified_accuracy",
    "certified_radius",
    "jacobian_norms",
    "l2_norm",
    "lipschitz_upper_bound",
    "mlp",
    "path_norm",
    "pgd_attack",
    "power_iteration",
    "rescale",
    "robust_accuracy",
    "spectral_penalty",
    "train_classifier",
    "unit_norms",
]

# Seed of the start vector when no warm start is given: same W → same σ, bit for bit.
_START_SEED = 0


# --------------------------------------------------------------------------- power iteration


def _unit(x: torch.Tensor) -> torch.Tensor:
    return x / torch.linalg.vector_norm(x)


def _random_unit(n: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    gen = torch.Generator(device="cpu").manual_seed(_START_SEED)
    return _unit(torch.randn(n, generator=gen, dtype=torch.float64)).to(dtype=dtype, device=device)


def _power_iteration_torch(
    W: torch.Tensor, n_iter: int, tol: float, v0: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Core loop on a floating 2-D tensor; returns (σ, u, v) with σ = uᵀ W v (differentiable)."""
    m, n = W.shape
    with torch.no_grad():
        Wd = W.detach()
        if v0 is None or not bool(torch.any(v0 != 0)):
            v = _random_unit(n, Wd.dtype, Wd.device)
        else:
            v = _unit(v0.detach().to(dtype=Wd.dtype, device=Wd.device))
        if tol > 0:
            # Below a few ulps the change in σ is rounding noise and the test never passes.
            tol = max(tol, 4.0 * torch.finfo(Wd.dtype).eps)
        u = torch.zeros(m, dtype=Wd.dtype, device=Wd.device)
        sigma_prev = -1.0
        restarted = v0 is None
        k = 0
        while k < n_iter:
            k += 1
            Wv = Wd @ v
            norm_Wv = float(torch.linalg.vector_norm(Wv))
            if norm_Wv == 0.0:
                if restarted or not bool(torch.any(Wd != 0)):
                    # W = 0 (or v in its null space twice): σ = 0, any unit pair is singular.
                    u = torch.zeros(m, dtype=Wd.dtype, device=Wd.device)
                    u[0] = 1.0
                    break
                # A warm start that W maps to 0 carries no information: restart cold.
                v = _random_unit(n, Wd.dtype, Wd.device)
                restarted = True
                continue
            u = Wv / norm_Wv
            Wtu = Wd.mT @ u
            sigma = float(torch.linalg.vector_norm(Wtu))  # = uᵀ W v_new, a lower bound on σ₁
            v = Wtu / sigma
            if tol > 0 and abs(sigma - sigma_prev) <= tol * sigma:
                break
            sigma_prev = sigma
        u = u.detach()
        v = v.detach()
    sigma_t = torch.dot(u, W @ v)
    return sigma_t, u, v


def power_iteration(
    W: Any,
    n_iter: int = 1000,
    tol: float = 1e-9,
    u0: Any = None,
    return_vectors: bool = False,
) -> Any:
    r"""Largest singular value σ₁ = ‖W‖₂ of a matrix by power iteration on WᵀW.

    Starting from a unit vector v₀ ∈ ℝⁿ (``W`` is m×n), each iteration computes

        u_k = W v_{k-1} / ‖W v_{k-1}‖,   v_k = Wᵀ u_k / ‖Wᵀ u_k‖,   σ_k = ‖Wᵀ u_k‖ = u_kᵀ W v_k,

    so v_k ∝ (WᵀW)^k v₀ → the top right singular vector and σ_k increases to σ₁ from below
    (each σ_k ≤ σ₁; the error shrinks roughly like (σ₂/σ₁)^{4k}, slowly when σ₂ ≈ σ₁).
    It stops after ``n_iter`` iterations or when |σ_k − σ_{k−1}| ≤ ``tol`` · σ_k (``tol=0`` runs
    exactly ``n_iter`` iterations; a positive ``tol`` is raised to 4 ulps of the dtype, since
    float32 cannot resolve 1e-9).

    Warm start: pass the ``v`` returned by the previous call as ``u0`` (the start vector lives in
    the input space ℝⁿ, i.e. it is the previous *right* singular vector). After a small change of
    W — one SGD step — a few iterations from it suffice. With ``u0=None`` the start vector is a
    fixed seeded Gaussian, so the result is deterministic.

    Parameters
    ----------
    W : 2-D ``torch.Tensor`` or numpy array, finite.
    n_iter : maximum number of iterations (≥ 1).
    tol : relative stopping tolerance on σ (≥ 0).
    u0 : optional start vector of length ``W.shape[1]`` (tensor or array); zero means cold start.
    return_vectors : also return the unit singular vectors u ∈ ℝᵐ, v ∈ ℝⁿ with W v ≈ σ u.

    Returns
    -------
    σ, or (σ, u, v) if ``return_vectors``. For a tensor ``W``, σ = uᵀ W v is a 0-dim tensor that
    is differentiable with respect to W (u and v are detached, so ∂σ/∂W = u vᵀ, the gradient of
    σ₁ at convergence — Miyato et al. 2018); u, v are tensors. For a numpy ``W``, σ is a float and
    u, v are float64 arrays.
    """
    n_iter = positive_int(n_iter, "n_iter")
    tol = nonneg(tol, "tol")
    as_numpy = not is_torch(W)
    if as_numpy:
        arr = np.asarray(finite_tensor_or_array(W, "W"))
        Wt = torch.from_numpy(np.array(arr, dtype=np.float64))
    else:
        if W.is_complex():
            raise ValueError(f"W must be a real matrix, got dtype {W.dtype}")
        Wt = W if W.is_floating_point() else W.to(torch.float64)
        finite_tensor_or_array(Wt.detach(), "W")
    if Wt.ndim != 2:
        raise ValueError(f"W must be a 2-D matrix, got shape {tuple(Wt.shape)}")
    m, n = Wt.shape
    if m == 0 or n == 0:
        raise ValueError(f"W must be non-empty, got shape {tuple(Wt.shape)}")
    v0 = None
    if u0 is not None:
        v0 = u0.detach() if is_torch(u0) else torch.as_tensor(np.asarray(u0, dtype=np.float64))
        if v0.shape != (n,):
            raise ValueError(
                f"u0 must be a vector of length W.shape[1] = {n} (the right singular vector), "
                f"got shape {tuple(v0.shape)}"
            )
        finite_tensor_or_array(v0, "u0")
    sigma, u, v = _power_iteration_torch(Wt, n_iter, tol, v0)
    if as_numpy:
        s = float(sigma)
        return (s, u.numpy(), v.numpy()) if return_vectors else s
    return (sigma, u, v) if return_vectors else sigma


# --------------------------------------------------------------------------- layer walking


def _walk(module: nn.Module, prefix: str = "") -> Iterator[tuple[str, nn.Module]]:
    """Leaf layers of a (possibly nested) Sequential, in order, with their dotted names."""
    if isinstance(module, nn.Sequential):
        for name, child in module.named_children():
            yield from _walk(child, f"{prefix}.{name}" if prefix else name)
    else:
        yield (prefix or "0"), module


def _check_sequential(model: Any, name: str = "model") -> None:
    if not isinstance(model, nn.Sequential | nn.Linear):
        raise ValueError(
            f"{name} must be a torch.nn.Sequential (or a single nn.Linear), "
            f"got {type(model).__name__}"
        )


_DROPOUT = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d)


def _activation_lipschitz(name: str, layer: nn.Module) -> float:
    """ℓ2 Lipschitz constant of an elementwise (or shape-only) layer; ValueError if unknown."""
    if isinstance(layer, nn.ReLU | nn.Tanh | nn.Identity | nn.Flatten):
        return 1.0
    if isinstance(layer, nn.LeakyReLU):
        return max(1.0, abs(float(layer.negative_slope)))
    if isinstance(layer, nn.Sigmoid):
        return 0.25  # max σ'(z) = σ'(0) = 1/4
    if isinstance(layer, _DROPOUT):
        if layer.training and layer.p > 0:
            raise ValueError(
                f"model layer '{name}' ({type(layer).__name__}) is in training mode: dropout is "
                "random and scales by 1/(1-p); call model.eval() first"
            )
        return 1.0
    raise ValueError(
        f"model layer '{name}' ({type(layer).__name__}) is not supported: expected nn.Linear or a "
        "Lipschitz activation (ReLU, LeakyReLU, Tanh, Sigmoid, Identity, Flatten, Dropout in eval)"
    )


# --------------------------------------------------------------------------- Lipschitz bound


def lipschitz_upper_bound(
    model: nn.Module,
    cache: dict[str, torch.Tensor] | None = None,
    n_iter: int = 1000,
    tol: float = 1e-9,
) -> float:
    r"""Upper bound on the ℓ2 Lipschitz constant of a Sequential MLP: L ≤ ∏_l ‖W_l‖₂ · ∏ c_φ.

    For f = g_L ∘ … ∘ g_1, Lip(f) ≤ ∏ Lip(g_l). An affine layer x ↦ W x + b has Lip = ‖W‖₂ (the
    bias does not matter); ReLU, Tanh, Identity, Flatten and Dropout in eval mode have c_φ = 1,
    LeakyReLU with slope a has c_φ = max(1, |a|), and Sigmoid has c_φ = 1/4 (its largest slope).
    Each ‖W_l‖₂ comes from :func:`power_iteration` in float64 to relative ``tol``; power
    iteration approaches σ₁ from below, so the bound is exact up to that tolerance.

    The bound is usually loose (it ignores which units are active and how the layers align), but
    it is *certified*: no pair of inputs can violate it.

    Parameters
    ----------
    model : ``nn.Sequential`` (nested Sequentials are flattened) of the layers above, or a single
        ``nn.Linear``. Anything else (Conv, BatchNorm, Softmax, …) raises ``ValueError`` naming
        the layer.
    cache : optional dict ``{layer name: right singular vector}``, read as warm starts and updated
        in place; pass the same dict on every call during training. Names are the dotted indices
        of ``model`` (e.g. ``"0"``, ``"2"``), the same keys as :class:`SpectralPenalty`'s cache.
    n_iter, tol : as in :func:`power_iteration`.
    """
    _check_sequential(model)
    if cache is not None and not isinstance(cache, dict):
        raise ValueError(f"cache must be a dict or None, got {type(cache).__name__}")
    bound = 1.0
    for name, layer in _walk(model):
        if isinstance(layer, nn.Linear):
            W = layer.weight.detach().to(torch.float64)
            v0 = _cached(cache, name, W.shape[1])
            sigma, _, v = power_iteration(W, n_iter=n_iter, tol=tol, u0=v0, return_vectors=True)
            if cache is not None:
                cache[name] = v
            bound *= float(sigma)
        else:
            bound *= _activation_lipschitz(name, layer)
    return bound


def _cached(cache: dict[str, torch.Tensor] | None, name: str, n: int) -> torch.Tensor | None:
    if cache is None:
        return None
    v = cache.get(name)
    if v is None or tuple(v.shape) != (n,):
        return None  # layer changed shape (or never seen): cold start
    return v


# --------------------------------------------------------------------------- spectral penalty


def _linear_layers(model: nn.Module) -> list[tuple[str, nn.Linear]]:
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    layers: list[tuple[str, nn.Linear]] = []
    for name, mod in model.named_modules():
        if isinstance(mod, nn.modules.conv._ConvNd):
            raise ValueError(
                f"model layer '{name}' ({type(mod).__name__}) is not supported: the operator norm "
                "of a convolution is not the spectral norm of its reshaped kernel"
            )
        if isinstance(mod, nn.Linear):
            layers.append((name or "0", mod))
    if not layers:
        raise ValueError("model has no nn.Linear layer to penalize")
    return layers


def spectral_penalty(
    model: nn.Module,
    lam: float,
    n_iter: int = 1,
    cache: dict[str, torch.Tensor] | None = None,
    n_iter_init: int = 20,
) -> torch.Tensor:
    r"""Spectral penalty λ Σ_l ‖W_l‖₂ over the ``nn.Linear`` layers, as a differentiable scalar.

    Each ‖W_l‖₂ is estimated as σ_l = u_lᵀ W_l v_l with u_l, v_l from :func:`power_iteration` and
    *detached*, so ∂σ_l/∂W_l = u_l v_lᵀ — the gradient of σ₁(W_l) — and the backward pass costs
    one outer product per layer (Miyato et al. 2018). With a ``cache`` the vectors are warm-started
    from the previous call, so ``n_iter=1`` per training step tracks σ₁ as W drifts; a layer not in
    the cache gets ``max(n_iter, n_iter_init)`` iterations from the seeded start.

    Use :class:`SpectralPenalty`, which owns its cache, in a training loop:
    ``loss = data_loss + penalty(model)``.

    Parameters
    ----------
    model : any ``nn.Module``; every ``nn.Linear`` in it is penalized (weights only, not biases).
        Convolutions raise ``ValueError`` (their operator norm is not that of the reshaped kernel).
    lam : λ ≥ 0.
    n_iter : power iterations per layer per call (≥ 1).
    cache : optional dict ``{layer name: right singular vector}``, updated in place.
    n_iter_init : iterations for a layer without a cached vector (≥ 1).
    """
    lam = nonneg(lam, "lam")
    n_iter = positive_int(n_iter, "n_iter")
    n_iter_init = positive_int(n_iter_init, "n_iter_init")
    if cache is not None and not isinstance(cache, dict):
        raise ValueError(f"cache must be a dict or None, got {type(cache).__name__}")
    total, _ = _spectral_sum(model, n_iter, n_iter_init, cache)
    return lam * total


def _spectral_sum(
    model: nn.Module,
    n_iter: int,
    n_iter_init: int,
    cache: dict[str, torch.Tensor] | None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Σ_l u_lᵀ W_l v_l over the Linear layers (differentiable) and the σ_l as floats."""
    total: torch.Tensor | None = None
    sigmas: dict[str, float] = {}
    for name, layer in _linear_layers(model):
        W = layer.weight
        v0 = _cached(cache, name, W.shape[1])
        k = n_iter if v0 is not None else max(n_iter, n_iter_init)
        sigma, _, v = _power_iteration_torch(W, k, 0.0, v0)
        if cache is not None:
            cache[name] = v
        sigmas[name] = float(sigma.detach())
        total = sigma if total is None else total + sigma
    assert total is not None  # _linear_layers raises when there is none
    return total, sigmas


class SpectralPenalty:
    r"""Stateful spectral penalty λ Σ_l ‖W_l‖₂ for a training loop (warm-started power iteration).

    ``penalty = SpectralPenalty(lam=1e-2)``; in each step ``loss = data_loss + penalty(model)``.
    Each call runs ``n_iter`` power iterations per ``nn.Linear`` layer from the right singular
    vector kept from the previous call (Miyato et al. 2018 use ``n_iter=1``), and returns
    λ Σ_l u_lᵀ W_l v_l with u_l, v_l detached (see :func:`spectral_penalty`).

    Attributes
    ----------
    cache : dict ``{layer name: right singular vector v_l}``; can be passed to
        :func:`lipschitz_upper_bound` as its warm start.
    sigmas : dict ``{layer name: σ_l}`` (floats) from the last call, for logging.
    """

    def __init__(self, lam: float, n_iter: int = 1, n_iter_init: int = 20) -> None:
        self.lam = nonneg(lam, "lam")
        self.n_iter = positive_int(n_iter, "n_iter")
        self.n_iter_init = positive_int(n_iter_init, "n_iter_init")
        self.cache: dict[str, torch.Tensor] = {}
        self.sigmas: dict[str, float] = {}

    def __call__(self, model: nn.Module) -> torch.Tensor:
        """Return λ Σ_l σ_l for ``model`` (differentiable) and update the warm starts."""
        total, self.sigmas = _spectral_sum(model, self.n_iter, self.n_iter_init, self.cache)
        return self.lam * total

    def reset(self) -> None:
        """Forget the warm starts (e.g. after re-initializing the model)."""
        self.cache.clear()
        self.sigmas.clear()

    def __repr__(self) -> str:
        return f"SpectralPenalty(lam={self.lam}, n_iter={self.n_iter})"


# --------------------------------------------------------------------------- certification


def _as_input(model: nn.Module, x: Any, name: str = "x") -> torch.Tensor:
    finite_tensor_or_array(x, name)
    t = x.detach() if is_torch(x) else torch.as_tensor(np.asarray(x))
    p = next(model.parameters(), None)
    dtype = p.dtype if p is not None else torch.get_default_dtype()
    t = t.to(dtype=dtype, device=p.device if p is not None else t.device)
    if t.ndim < 2 or t.shape[0] == 0:
        raise ValueError(
            f"{name} must be a non-empty batch (n, features…), got shape {tuple(t.shape)}"
        )
    return t


def _as_labels(y: Any, n: int, device: torch.device) -> torch.Tensor:
    if is_torch(y):
        t = y.detach()
    else:
        arr = np.asarray(y)
        if arr.dtype.kind not in "iu":
            raise ValueError(f"y must hold integer class labels, got dtype {arr.dtype}")
        t = torch.as_tensor(arr)
    if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
        raise ValueError(f"y must hold integer class labels, got dtype {t.dtype}")
    if t.shape != (n,):
        raise ValueError(f"y must have shape ({n},) to match x, got {tuple(t.shape)}")
    return t.to(dtype=torch.long, device=device)


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
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if lipschitz is None:
        L = lipschitz_upper_bound(model)
        if L == 0:
            raise ValueError("model has Lipschitz bound 0 (a zero weight matrix): radius undefined")
    else:
        L = positive(lipschitz, "lipschitz")
    xt = _as_input(model, x)
    with torch.no_grad():
        margin, _ = _margins(model(xt))
    return margin / (math.sqrt(2.0) * L)


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
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    xt = _as_input(model, x)
    yt = _as_labels(y, xt.shape[0], xt.device)
    L = lipschitz_upper_bound(model) if lipschitz is None else positive(lipschitz, "lipschitz")
    if L == 0:
        raise ValueError("model has Lipschitz bound 0 (a zero weight matrix): radius undefined")
    with torch.no_grad():
        margin, pred = _margins(model(xt))
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
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    xt = _as_input(model, x)
    n = xt.shape[0]
    eps_v = _as_eps(eps, n)
    yt = _as_labels(y, n, xt.device)
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
    return best.detach()


# --------------------------------------------------------------------------- path norm


_HOMOGENEOUS = (nn.ReLU, nn.LeakyReLU, nn.Identity)


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
    _check_sequential(model)
    z: torch.Tensor | None = None
    with torch.no_grad():
        for name, layer in _walk(model):
            if isinstance(layer, nn.Linear):
                W = layer.weight.detach().to(torch.float64)
                if z is None:
                    z = torch.ones(W.shape[1], dtype=torch.float64)
                z = (W * W) @ z
                if include_bias and layer.bias is not None:
                    b = layer.bias.detach().to(torch.float64)
                    z = z + b * b
            elif not isinstance(layer, _HOMOGENEOUS):
                raise ValueError(
                    f"model layer '{name}' ({type(layer).__name__}) is not supported by the path "
                    "norm: expected nn.Linear, ReLU, LeakyReLU or Identity"
                )
    if z is None:
        raise ValueError("model has no nn.Linear layer: its path norm is undefined")
    return math.sqrt(float(z.sum()))


# --------------------------------------------------------------------------- rescaling


def rescale(model: nn.Sequential, layer: int, unit: int, alpha: float) -> nn.Sequential:
    r"""Copy of ``model`` with hidden unit ``unit`` of ``model[layer]`` rescaled by α > 0.

    Unit j of the Linear layer ``model[layer]`` gets its incoming weights and bias multiplied by
    α, and the outgoing weights (column j of the next Linear layer) divided by α:

        W_l[j, :] ← α W_l[j, :],   b_l[j] ← α b_l[j],   W_{l+1}[:, j] ← W_{l+1}[:, j] / α.

    Because ReLU is positively homogeneous, ReLU(α z) = α ReLU(z) for α > 0, so the network
    computes exactly the same function (up to rounding), and :func:`path_norm` is unchanged, while
    :func:`l2_norm` changes — ‖θ‖₂ is not a function of f alone. LeakyReLU and Identity are also
    positively homogeneous and allowed between the two Linear layers.

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
        if not isinstance(layers[k], _HOMOGENEOUS):
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
    return out


def l2_norm(model: nn.Module) -> float:
    r"""Euclidean norm of all parameters, ‖θ‖₂ = (Σ_{p ∈ θ} Σ_i p_i²)^{1/2}, as a float.

    The quantity the L2 penalty (λ/2)‖θ‖² controls; unlike :func:`path_norm` it is not invariant
    under :func:`rescale`.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    total = 0.0
    for p in model.parameters():
        total += float(torch.sum(p.detach().to(torch.float64) ** 2))
    return math.sqrt(total)


# --------------------------------------------------------------------------- small experiments


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
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(f"seed must be an integer, got {seed!r}")
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
    r"""Train a classifier in place on the objective CE(f_θ(X), y) + R(θ); return R's trace.

    Each of the ``steps`` iterations takes one optimizer step on

        J(θ) = (1/|B|) Σ_{i ∈ B} CE(f_θ(x_i), y_i) + R(θ),

    with B the whole data set (``batch_size=None``, deterministic) or a batch of ``batch_size``
    indices drawn without replacement from a generator seeded with ``seed``. R is ``penalty``
    (any callable ``penalty(model)`` returning a scalar tensor, e.g. :class:`SpectralPenalty`),
    or 0. The optimizer defaults to ``torch.optim.Adam(model.parameters(), lr=lr)``; pass your
    own (e.g. ``normcourse.optim.SGD(..., weight_decay=λ)`` for a coupled L2 penalty) to use
    something else, in which case ``lr`` is ignored.

    Parameters
    ----------
    model : ``nn.Module`` returning logits (n, K); put in train mode, trained, then put in eval
        mode before returning.
    X : inputs (n, …), tensor or array; y : integer labels (n,).
    steps : number of optimizer steps (≥ 1).
    callback : optional ``callback(k, model)`` called after step k = 1 … ``steps``.

    Returns
    -------
    Array of length ``steps`` with J(θ) on the batch before each step (data loss + penalty).
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    steps = positive_int(steps, "steps")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    if penalty is not None and not callable(penalty):
        raise ValueError(f"penalty must be None or callable as penalty(model), got {penalty!r}")
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be None or callable, got {callback!r}")
    xt = _as_input(model, X, "X")
    n = xt.shape[0]
    yt = _as_labels(y, n, xt.device)
    if batch_size is not None:
        batch_size = positive_int(batch_size, "batch_size")
        if batch_size > n:
            raise ValueError(f"batch_size must be ≤ the number of samples ({n}), got {batch_size}")
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=positive(lr, "lr"))
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
        loss = nn.functional.cross_entropy(model(xb), yb)
        if penalty is not None:
            loss = loss + penalty(model)
        loss.backward()
        optimizer.step()
        trace[k] = float(loss.detach())
        if callback is not None:
            callback(k + 1, model)
    model.eval()
    return trace


def robust_accuracy(
    model: nn.Module, x: Any, y: Any, eps: float, steps: int = 50, seed: int = 0
) -> float:
    r"""Accuracy under the ℓ2 PGD attack of :func:`pgd_attack` at radius ε (empirical robustness).

    robust_acc(ε) = (1/n) Σ_i 1[argmax_k f_k(x_i^adv) = y_i], x^adv = ``pgd_attack(model, x, y,
    eps, steps, seed=seed)``. An attack can only find perturbations, never rule them out, so
    this is an *upper* bound on the true robust accuracy, while :func:`certified_accuracy` is a
    lower bound: certified_acc(ε) ≤ true robust accuracy ≤ robust_acc(ε).
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    xt = _as_input(model, x)
    yt = _as_labels(y, xt.shape[0], xt.device)
    x_adv = pgd_attack(model, xt, yt, eps, steps=steps, seed=seed)
    with torch.no_grad():
        return float((model(x_adv).argmax(dim=1) == yt).double().mean())


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
        if not isinstance(layers[k], _HOMOGENEOUS):
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


def jacobian_norms(model: nn.Module, x: Any) -> torch.Tensor:
    r"""Spectral norm of the input Jacobian of the logits at each sample, ‖J_f(x_i)‖₂.

    J_f(x) = ∂f(x)/∂x is K × d (for inputs of any shape, d counts all input entries). For a
    ReLU network f is piecewise linear, and its Lipschitz constant is the largest ‖J_f‖₂ over
    its linear pieces, so

        max_i ‖J_f(x_i)‖₂ ≤ Lip(f) ≤ ∏_l ‖W_l‖₂ :

    the maximum over any set of points is a *lower* bound on the true constant, to compare
    with the *upper* bound of :func:`lipschitz_upper_bound`. At a kink of ReLU autograd uses
    the derivative 0, the Jacobian of one of the adjacent pieces.

    Returns
    -------
    Tensor of shape (n,) in the model's dtype.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    xt = _as_input(model, x)

    def f(z: torch.Tensor) -> torch.Tensor:
        out = model(z.unsqueeze(0))
        if out.ndim != 2:
            raise ValueError(f"model must output (n, K) logits, got shape {tuple(out.shape)}")
        return out.squeeze(0)

    J = torch.func.vmap(torch.func.jacrev(f))(xt)  # (n, K, *input shape)
    J = J.reshape(J.shape[0], J.shape[1], -1).detach()
    return torch.linalg.matrix_norm(J, ord=2)
