r"""Spectral norms, the Lipschitz product bound and the spectral penalty of an MLP.

* ‖W‖₂ = σ_max(W), the spectral norm, by power iteration (:func:`power_iteration`).
* Lipschitz upper bound of the logit map, L ≤ ∏_l ‖W_l‖₂ · ∏ Lip(φ)
  (:func:`lipschitz_upper_bound`, Szegedy et al. 2014), and the input-Jacobian norms
  max_i ‖J_f(x_i)‖₂ that lower-bound it (:func:`jacobian_norms`).
* Spectral penalty λ Σ_l ‖W_l‖₂ with σ_l = u_lᵀ W_l v_l, vectors detached, as in spectral
  normalization (Miyato et al. 2018) (:class:`SpectralPenalty`, :func:`spectral_penalty`), and
  the same penalty with a log of one layer's estimate next to its exact σ₁
  (:class:`TrackedSpectralPenalty`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from normcourse._validate import (
    finite_model,
    finite_result,
    finite_tensor_or_array,
    flag,
    is_torch,
    model_input,
    nonneg,
    positive_int,
    torch_module,
)
from normcourse.model_penalties import ModelPenalty
from normcourse.robustness.layers import check_sequential, leaf_layers

__all__ = [
    "SpectralPenalty",
    "TrackedSpectralPenalty",
    "jacobian_norms",
    "lipschitz_upper_bound",
    "power_iteration",
    "spectral_penalty",
]

# Seed of the start vector when no warm start is given: same W → same σ, bit for bit.
_START_SEED = 0


# --------------------------------------------------------------------------- power iteration


def _unit(x: torch.Tensor) -> torch.Tensor:
    return x / torch.linalg.vector_norm(x)


def _random_unit(n: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    gen = torch.Generator(device="cpu").manual_seed(_START_SEED)
    return _unit(torch.randn(n, generator=gen, dtype=torch.float64)).to(dtype=dtype, device=device)


def _scale(W: torch.Tensor) -> float:
    """A power of two s with max |W_ij| / s ≈ 1 when the entries are so large or so small that
    ‖W v‖ would overflow or underflow in W's dtype, else 1. Dividing by a power of two is exact,
    so the iteration on W / s is the iteration on W, rescaled, bit for bit."""
    top = float(W.detach().abs().max())
    fi = torch.finfo(W.dtype)
    if top == 0.0 or fi.tiny**0.25 <= top <= fi.max**0.25:
        return 1.0
    return 2.0 ** int(np.frexp(top)[1])


def _power_iteration_torch(
    W: torch.Tensor, n_iter: int, tol: float, v0: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Core loop on a floating 2-D tensor; returns (σ, u, v) with σ = uᵀ W v (differentiable).

    Scale-invariant: the loop runs on W / s (:func:`_scale`), so huge or tiny entries give
    no overflow, and σ = s · uᵀ (W / s) v."""
    m, n = W.shape
    s = _scale(W)
    with torch.no_grad():
        Wd = W.detach() if s == 1.0 else W.detach() / s
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
    sigma_t = torch.dot(u, W @ v) if s == 1.0 else s * torch.dot(u, (W / s) @ v)
    return sigma_t, u, v


def _missed_top(W: torch.Tensor, sigma: float) -> bool:
    """True unless σ is certainly the largest singular value: σ₁ > σ would give
    ‖W‖_F² ≥ σ₁² + σ² > 2σ², so 2σ² ≥ ‖W‖_F² rules it out."""
    s = _scale(W)
    fro = float(torch.linalg.matrix_norm(W.detach() / s)) * s
    return 2.0 * sigma * sigma < fro * fro * (1 - 1e-12)


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
    float32 cannot resolve 1e-9). The iteration is scale-invariant: a matrix with huge or tiny
    entries is divided by a power of two first (exactly), so σ(c W) = |c| σ(W) without overflow.

    Warm start: pass the ``v`` returned by the previous call as ``u0`` (the start vector lives in
    the input space ℝⁿ, i.e. it is the previous *right* singular vector). After a small change of
    W — one SGD step — a few iterations from it suffice. With ``u0=None`` the start vector is a
    fixed seeded Gaussian, so the result is deterministic. A start vector orthogonal to the top
    singular vector would converge to a smaller singular value; so when ``tol > 0`` and the
    result is not certainly σ₁ (2σ² < ‖W‖_F²), the seeded cold start is run as well and the
    larger σ kept (``tol=0``, the fixed-step tracking mode, uses the start vector as given).

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
    return_vectors = flag(return_vectors, "return_vectors")
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
        if is_torch(u0):
            v0 = u0.detach()
        else:
            try:
                v0 = torch.as_tensor(np.asarray(u0, dtype=np.float64))
            except (TypeError, ValueError):
                raise ValueError(f"u0 must be a numeric vector, got {u0!r}") from None
        if v0.shape != (n,):
            raise ValueError(
                f"u0 must be a vector of length W.shape[1] = {n} (the right singular vector), "
                f"got shape {tuple(v0.shape)}"
            )
        finite_tensor_or_array(v0, "u0")
    sigma, u, v = _power_iteration_torch(Wt, n_iter, tol, v0)
    if v0 is not None and tol > 0 and _missed_top(Wt, float(sigma)):
        # A start vector orthogonal to the top right singular vector never leaves the span of
        # the others (in exact arithmetic): check against the seeded cold start, keep the larger.
        cold = _power_iteration_torch(Wt, n_iter, tol, None)
        if float(cold[0]) > float(sigma) * (1 + max(tol, 4.0 * torch.finfo(Wt.dtype).eps)):
            sigma, u, v = cold
    if as_numpy:
        s = float(sigma)
        return (s, u.numpy(), v.numpy()) if return_vectors else s
    return (sigma, u, v) if return_vectors else sigma


# ------------------------------------------------------------------- layer Lipschitz constants


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
    Each ‖W_l‖₂ comes from :func:`power_iteration` in float64 to relative ``tol`` (warm-started
    from ``cache``). Power iteration approaches σ₁ from below and can stop short (a loose ``tol``,
    a small ``n_iter``), so each estimate is checked against the largest singular value from
    LAPACK's SVD and the larger one kept: whatever ``tol`` and ``n_iter``, the bound is never
    below ∏_l σ₁(W_l) · ∏ c_φ (up to rounding, ~1e-15 relative).

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
    n_iter, tol : as in :func:`power_iteration` (they decide the cached vectors; the bound is
        exact whatever they are). A bound that overflows float64 raises ``ValueError``.
    """
    check_sequential(model)
    finite_model(model)
    n_iter = positive_int(n_iter, "n_iter")
    tol = nonneg(tol, "tol")
    if cache is not None and not isinstance(cache, dict):
        raise ValueError(f"cache must be a dict or None, got {type(cache).__name__}")
    bound = 1.0
    for name, layer in leaf_layers(model):
        if isinstance(layer, nn.Linear):
            W = layer.weight.detach().to(torch.float64)
            v0 = _cached(cache, name, W.shape[1])
            sigma, _, v = power_iteration(W, n_iter=n_iter, tol=tol, u0=v0, return_vectors=True)
            if cache is not None:
                cache[name] = v
            bound *= max(float(sigma), _svd_norm(W))
        else:
            bound *= _activation_lipschitz(name, layer)
    if not np.isfinite(bound):
        raise ValueError(f"model has a Lipschitz bound ∏‖W_l‖₂ that overflows float64 ({bound})")
    return bound


def _svd_norm(W: torch.Tensor) -> float:
    """σ₁(W) from LAPACK's SVD, with the exact power-of-two scaling of :func:`_scale`."""
    s = _scale(W)
    return float(torch.linalg.matrix_norm(W / s, ord=2)) * s


def _cached(cache: dict[str, torch.Tensor] | None, name: str, n: int) -> torch.Tensor | None:
    if cache is None:
        return None
    v = cache.get(name)
    if v is None or tuple(v.shape) != (n,):
        return None  # layer changed shape (or never seen): cold start
    return v


# --------------------------------------------------------------------------- spectral penalty


def _linear_layers(model: nn.Module) -> list[tuple[str, nn.Linear]]:
    torch_module(model)
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
    return _finite_penalty(lam * total, lam)


def _finite_penalty(value: torch.Tensor, lam: float) -> torch.Tensor:
    return finite_result(value, f"lam={lam!r} times Σ‖W_l‖₂ overflows the model's dtype "
                                f"{value.dtype}: use a smaller lam")


def _spectral_sum(
    model: nn.Module,
    n_iter: int,
    n_iter_init: int,
    cache: dict[str, torch.Tensor] | None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Σ_l u_lᵀ W_l v_l over the Linear layers (differentiable) and the σ_l as floats."""
    total: torch.Tensor | None = None
    sigmas: dict[str, float] = {}
    layers = _linear_layers(model)
    finite_model(model)
    for name, layer in layers:
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


class SpectralPenalty(ModelPenalty):
    r"""Stateful spectral penalty λ Σ_l ‖W_l‖₂ for a training loop (warm-started power iteration).

    ``penalty = SpectralPenalty(lam=1e-2)``; in each step ``loss = data_loss + penalty(model)``.
    Each call runs ``n_iter`` power iterations per ``nn.Linear`` layer from the right singular
    vector kept from the previous call (Miyato et al. 2018 use ``n_iter=1``), and returns
    λ Σ_l u_lᵀ W_l v_l with u_l, v_l detached (see :func:`spectral_penalty`). A
    :class:`~normcourse.model_penalties.ModelPenalty`; :meth:`value` gives the number a call
    would return without advancing the warm starts.

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
        return _finite_penalty(self.lam * total, self.lam)

    def value(self, model: nn.Module) -> float:
        """λ Σ_l σ_l as a float, as a call would return it, leaving :attr:`cache` and
        :attr:`sigmas` untouched (so logging does not change the training trajectory)."""
        with torch.no_grad():
            total, _ = _spectral_sum(model, self.n_iter, self.n_iter_init, dict(self.cache))
        return float(_finite_penalty(self.lam * total, self.lam))

    def reset(self) -> None:
        """Forget the warm starts (e.g. after re-initializing the model)."""
        self.cache.clear()
        self.sigmas.clear()

    def __repr__(self) -> str:
        return f"SpectralPenalty(lam={self.lam}, n_iter={self.n_iter})"


class TrackedSpectralPenalty(SpectralPenalty):
    r"""A :class:`SpectralPenalty` that also logs, at every call, one layer's σ̂ and its exact σ₁.

    The penalty and its gradient are exactly those of :class:`SpectralPenalty` (same warm
    starts, same training trajectory). In addition, call k appends to

    * :attr:`estimates` the estimate σ̂_l^{(k)} = u_lᵀ W_l v_l that the penalty used for layer
      ``layer`` (a power-iteration value, so σ̂ ≤ σ₁(W_l) up to rounding), and
    * :attr:`exact` the exact σ₁(W_l) = ‖W_l‖₂ of the same weights, from LAPACK's SVD,

    so that the lag of the one-iteration-per-step estimate can be plotted. The SVD costs
    O(mn min(m, n)) per call: meant for small book experiments, not for large layers.

    Parameters
    ----------
    lam, n_iter, n_iter_init : as in :class:`SpectralPenalty`.
    layer : name of the ``nn.Linear`` layer to log, as in :attr:`SpectralPenalty.sigmas` (the
        dotted index in ``model.named_modules()``, e.g. ``"2"``). A name that is not a Linear
        layer of the model raises ``ValueError`` at the first call.
    """

    def __init__(self, lam: float, layer: str, n_iter: int = 1, n_iter_init: int = 20) -> None:
        super().__init__(lam, n_iter=n_iter, n_iter_init=n_iter_init)
        if not isinstance(layer, str) or not layer:
            raise ValueError(f"layer must be the name of an nn.Linear layer (e.g. '2'), "
                             f"got {layer!r}")
        self.layer = layer
        self.estimates: list[float] = []
        self.exact: list[float] = []

    def __call__(self, model: nn.Module) -> torch.Tensor:
        """λ Σ_l σ_l as :meth:`SpectralPenalty.__call__`, plus one entry in each log."""
        layers = dict(_linear_layers(model))
        if self.layer not in layers:
            raise ValueError(f"layer {self.layer!r} is not an nn.Linear layer of the model; "
                             f"its Linear layers are {sorted(layers)}")
        value = super().__call__(model)
        self.estimates.append(self.sigmas[self.layer])
        self.exact.append(_svd_norm(layers[self.layer].weight.detach().to(torch.float64)))
        return value

    def reset(self) -> None:
        """Forget the warm starts and clear both logs."""
        super().reset()
        self.estimates.clear()
        self.exact.clear()

    def __repr__(self) -> str:
        return (f"TrackedSpectralPenalty(lam={self.lam}, layer={self.layer!r}, "
                f"n_iter={self.n_iter})")


# --------------------------------------------------------------------------- Jacobian norms


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
    finite_model(model)
    xt = model_input(model, x)

    def f(z: torch.Tensor) -> torch.Tensor:
        out = model(z.unsqueeze(0))
        if out.ndim != 2:
            raise ValueError(f"model must output (n, K) logits, got shape {tuple(out.shape)}")
        return out.squeeze(0)

    J = torch.func.vmap(torch.func.jacrev(f))(xt)  # (n, K, *input shape)
    J = J.reshape(J.shape[0], J.shape[1], -1).detach()
    return torch.linalg.matrix_norm(J, ord=2)
