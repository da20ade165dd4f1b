r"""Penalties on a model's parameters: one protocol, R(θ) for the parameters θ of a network.

A :class:`ModelPenalty` is called on a torch model and returns R(θ) as a differentiable
0-dim tensor, so any training loop writes ``loss = data_loss + penalty(model)``;
``penalty.value(model)`` is the same number as a float, for logging. The implementations:

* :class:`OnParameters` — any array penalty of :mod:`normcourse.penalties` (L2, L1,
  ElasticNet, GroupL21, …) summed over the weight tensors, R(θ) = Σ_W R_array(W);
* :class:`L2SP` — (λ/2)‖θ − θ⁰‖² around an anchor θ⁰ (Li, Grandvalet & Davoine 2018);
* :class:`EWC` — (λ/2) Σ_i F_i (θ_i − θ*_i)² with a Fisher diagonal F (Kirkpatrick et al. 2017);
* in :mod:`normcourse.robustness`: ``SpectralPenalty`` (λ Σ_l ‖W_l‖₂) and ``PathNormPenalty``
  (λ φ₂(θ), the ℓ2 path norm).

:func:`as_model_penalty` turns what a training loop is given — a ModelPenalty, an array
penalty or a plain callable ``f(model) -> tensor`` — into a ModelPenalty.

References
----------
Kirkpatrick et al., "Overcoming catastrophic forgetting in neural networks", PNAS 114(13), 2017.
Li, Grandvalet, Davoine, "Explicit inductive bias for transfer learning with convolutional
networks", ICML 2018.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from normcourse._validate import (
    finite_array,
    finite_tensor_or_array,
    finite_value,
    flag,
    float_array,
    float_tensor,
    is_torch,
    nonneg,
    torch_module,
)
from normcourse.penalties import Penalty

__all__ = [
    "EWC",
    "L2SP",
    "ModelPenalty",
    "OnParameters",
    "as_model_penalty",
]


# --------------------------------------------------------------------------- the protocol


class ModelPenalty(abc.ABC):
    r"""A penalty R(θ) on the parameters θ of a torch model.

    ``penalty(model)`` returns R(θ) as a 0-dim tensor that is differentiable with respect to
    the model's parameters, to be added to the data loss:

        J(θ) = L(θ) + R(θ),   ``loss = data_loss + penalty(model)``.

    ``penalty.value(model)`` is the same number as a float (detached, nothing to backpropagate).
    """

    @abc.abstractmethod
    def __call__(self, model: nn.Module) -> torch.Tensor:
        """R(θ) for the parameters θ of ``model``, a differentiable 0-dim tensor."""

    def value(self, model: nn.Module) -> float:
        """R(θ) as a float: ``float(penalty(model))``, detached.

        ``ValueError`` if R(θ) is NaN or inf (a model with NaN/inf parameters): the logged
        number is never silently non-finite. ``penalty(model)`` itself is not checked.
        """
        return finite_value(float(self(model).detach()), "model")


# --------------------------------------------------------------------------- array penalties


class OnParameters(ModelPenalty):
    r"""An array penalty applied to a model's weights: R(θ) = Σ_{W ∈ weights} R_array(W).

    ``OnParameters(penalties.L2(λ))(model)`` is (λ/2) Σ_W ‖W‖_F², ``OnParameters(penalties.L1(λ))``
    is λ Σ_W ‖W‖₁, and so on for every :class:`normcourse.penalties.Penalty`, each evaluated by
    its ``fast_value`` on the tensor itself (differentiable, no input checks).

    Which tensors: by default the **weights only**, the parameters with ``ndim ≥ 2`` (Linear
    and convolution kernels); biases and normalisation scales/shifts (``ndim == 1``) are left
    out. A bias shifts a unit's pre-activation but does not scale how strongly the output
    responds to the input, so decaying it does not control capacity and only pulls the
    units' offsets towards 0 — the usual weight-decay convention (see
    :mod:`normcourse.weight_decay`). ``include_bias=True`` penalizes every parameter.

    Parameters
    ----------
    penalty : an array :class:`normcourse.penalties.Penalty` instance.
    include_bias : also penalize the 1-D parameters (biases, normalisation parameters).
    """

    def __init__(self, penalty: Penalty, include_bias: bool = False) -> None:
        if not isinstance(penalty, Penalty):
            raise ValueError(
                "penalty must be an array penalty of normcourse.penalties (L2, L1, ElasticNet, "
                f"GroupL21, …), got {penalty!r}"
            )
        self.penalty = penalty
        self.include_bias = flag(include_bias, "include_bias")

    def parameters(self, model: nn.Module) -> list[torch.Tensor]:
        """The tensors of ``model`` that are penalized, in ``model.parameters()`` order."""
        torch_module(model)
        chosen = [p for p in model.parameters() if self.include_bias or p.ndim >= 2]
        if not chosen:
            which = "parameters" if self.include_bias else "weights (parameters with ndim ≥ 2)"
            raise ValueError(f"model has no {which} to penalize")
        return chosen

    def __call__(self, model: nn.Module) -> torch.Tensor:
        """Σ over the chosen parameter tensors W of ``penalty.fast_value(W)`` (differentiable)."""
        total: torch.Tensor | None = None
        for p in self.parameters(model):
            v = self.penalty.fast_value(p)
            total = v if total is None else total + v
        assert total is not None  # parameters() raises when nothing is chosen
        return total

    def __repr__(self) -> str:
        return f"OnParameters({self.penalty!r}, include_bias={self.include_bias})"


class _Callable(ModelPenalty):
    """A plain function ``f(model) -> tensor`` seen as a :class:`ModelPenalty`."""

    def __init__(self, fn: Callable[[nn.Module], Any]) -> None:
        self.fn = fn

    def __call__(self, model: nn.Module) -> torch.Tensor:
        out = self.fn(model)
        if is_torch(out):
            return out
        try:
            return torch.as_tensor(float(out))  # a plain number, as old code may return
        except (TypeError, ValueError):
            raise ValueError(
                f"penalty(model) must return a scalar tensor, got {type(out).__name__}"
            ) from None

    def __repr__(self) -> str:
        return f"as_model_penalty({self.fn!r})"


def as_model_penalty(penalty: Any) -> ModelPenalty:
    """``penalty`` as a :class:`ModelPenalty`, for training loops that accept a penalty.

    * a :class:`ModelPenalty` is returned as is;
    * an array :class:`normcourse.penalties.Penalty` (``L2(λ)``, ``L1(λ)``, …) is wrapped in
      :class:`OnParameters` (weights only);
    * any other callable ``f(model) -> tensor`` is wrapped so that old code keeps working.

    Anything else — or a penalty *class* instead of an instance — raises ``ValueError``.
    """
    if isinstance(penalty, ModelPenalty):
        return penalty
    if isinstance(penalty, Penalty):
        return OnParameters(penalty)
    if isinstance(penalty, type):
        raise ValueError(
            f"penalty must be a penalty instance, got the class {penalty.__name__}; "
            f"construct it first, e.g. {penalty.__name__}(lam)"
        )
    if callable(penalty):
        return _Callable(penalty)
    raise ValueError(
        "penalty must be a ModelPenalty, an array penalty of normcourse.penalties or a "
        f"callable penalty(model) -> tensor, got {penalty!r}"
    )


# --------------------------------------------------------------------------- anchored penalties


def _is_module(obj: Any) -> bool:
    """True for a ``torch.nn.Module``-like object (has ``parameters()``; not a tensor)."""
    return not is_torch(obj) and callable(getattr(obj, "parameters", None)) \
        and callable(getattr(obj, "named_parameters", None))


def _as_list(obj: Any, name: str) -> tuple[list[Any], bool]:
    """The arrays of ``obj`` (a model, a sequence of arrays/tensors or one of them) as a list.

    The flag is True when ``obj`` was a single array or tensor (results are then unwrapped).
    """
    if _is_module(obj):
        items = list(obj.parameters())
        if not items:
            raise ValueError(f"{name} is a model without parameters")
        return items, False
    if is_torch(obj) or isinstance(obj, np.ndarray):
        return [obj], True
    if isinstance(obj, list | tuple):
        if not obj:
            raise ValueError(f"{name} must contain at least one array")
        for k, a in enumerate(obj):
            if not (is_torch(a) or isinstance(a, np.ndarray)):
                raise ValueError(
                    f"{name}[{k}] must be a numpy array or a torch tensor, got {type(a).__name__}"
                )
        return list(obj), False
    raise ValueError(
        f"{name} must be a torch model, a list of arrays/tensors, or one array/tensor, "
        f"got {type(obj).__name__}"
    )


def _frozen_copy(a: Any, name: str) -> Any:
    """A detached float copy of a tensor, or a float64 copy of an array; must be finite."""
    finite_tensor_or_array(a.detach() if is_torch(a) else a, name)
    if is_torch(a):
        return float_tensor(a.detach()).clone()
    return np.array(a, dtype=np.float64)


class _AnchoredQuadratic(ModelPenalty):
    r"""R(θ) = (λ/2) Σ_i ω_i (θ_i − θ⁰_i)², the common form of :class:`L2SP` (ω = 1) and
    :class:`EWC` (ω = the Fisher diagonal F).

    Beyond a model, ``params`` may be a list of arrays/tensors or one array/tensor in the
    structure of the anchor: ``penalty(params)`` is then a differentiable torch scalar for
    tensors and a float for numpy arrays.
    """

    smooth = True

    def __init__(self, lam: float, anchor: Any, weights: Any = None) -> None:
        self.lam = nonneg(lam, "lam")
        items, self._single = _as_list(anchor, "anchor")
        self.anchor = [_frozen_copy(a, f"anchor[{k}]") for k, a in enumerate(items)]
        if sum(int(np.prod(tuple(a.shape))) for a in self.anchor) == 0:
            raise ValueError("anchor must hold at least one number, got only empty arrays")
        self.weights: list[Any] | None = None
        if weights is not None:
            w_items, _ = _as_list(weights, "fisher")
            if len(w_items) != len(self.anchor):
                raise ValueError(
                    f"fisher must have one array per anchor array ({len(self.anchor)}), "
                    f"got {len(w_items)}"
                )
            ws = []
            for k, (w, a) in enumerate(zip(w_items, self.anchor, strict=True)):
                w = _frozen_copy(w, f"fisher[{k}]")
                if tuple(w.shape) != tuple(a.shape):
                    raise ValueError(
                        f"fisher[{k}] has shape {tuple(w.shape)}, but anchor[{k}] has shape "
                        f"{tuple(a.shape)}"
                    )
                if bool((w < 0).any()):
                    raise ValueError(
                        f"fisher[{k}] has negative entries; a Fisher diagonal is ≥ 0 (it is a "
                        "mean of squared gradients)"
                    )
                ws.append(w)
            self.weights = ws
        self._cache: dict[tuple[int, str, Any, Any], Any] = {}

    # -- conversions -------------------------------------------------------------------
    def _like(self, k: int, which: str, src: Any, ref: Any) -> Any:
        """``src`` (anchor or weight number k) in the kind, dtype and device of ``ref``."""
        if is_torch(ref):
            if is_torch(src) and src.dtype == ref.dtype and src.device == ref.device:
                return src
            key = (k, which, ref.dtype, ref.device)
            hit = self._cache.get(key)
            if hit is None:
                hit = torch.as_tensor(src.detach().cpu().numpy() if is_torch(src) else src)
                hit = hit.to(dtype=ref.dtype, device=ref.device)
                self._cache[key] = hit
            return hit
        return src.detach().cpu().numpy().astype(np.float64) if is_torch(src) else src

    def _params(self, params: Any, name: str = "params") -> tuple[list[Any], bool, bool]:
        items, single = _as_list(params, name)
        model_given = _is_module(params)
        if len(items) != len(self.anchor):
            raise ValueError(
                f"{name} has {len(items)} arrays but the anchor has {len(self.anchor)}"
            )
        kinds = {is_torch(p) for p in items}
        if len(kinds) > 1:
            raise ValueError(f"{name} must be all torch tensors or all numpy arrays, not a mix")
        out = []
        for k, (p, a) in enumerate(zip(items, self.anchor, strict=True)):
            if tuple(p.shape) != tuple(a.shape):
                raise ValueError(
                    f"{name}[{k}] has shape {tuple(p.shape)}, but anchor[{k}] has shape "
                    f"{tuple(a.shape)}"
                )
            if is_torch(p):
                if not model_given:  # a model's parameters are not checked: the hot path
                    finite_tensor_or_array(p.detach(), f"{name}[{k}]")
                out.append(float_tensor(p))
            else:
                out.append(float_array(finite_array(p, f"{name}[{k}]")))
        return out, single, kinds == {True}

    # -- public API --------------------------------------------------------------------
    def __call__(self, params: Any) -> Any:
        """R(θ): a differentiable torch scalar for a model or tensors, a float for arrays."""
        items, _, torch_kind = self._params(params)
        total: Any = 0.0
        for k, p in enumerate(items):
            d = p - self._like(k, "anchor", self.anchor[k], p)
            sq = d * d
            if self.weights is not None:
                sq = self._like(k, "weight", self.weights[k], p) * sq
            total = total + sq.sum()
        out = 0.5 * self.lam * total
        return out if torch_kind else float(out)

    def value(self, params: Any) -> Any:
        """R(θ) as a float for a model (the :class:`ModelPenalty` contract); for a list of
        arrays/tensors or one of them, the same as calling the penalty (a differentiable torch
        scalar for tensors, a float for numpy arrays)."""
        out = self(params)
        if not _is_module(params):
            return out
        return finite_value(float(out.detach()), "params")

    def grad(self, params: Any) -> Any:
        """∇R(θ) = λ ω ⊙ (θ − θ⁰), in the structure of ``params`` (list, or one array)."""
        items, single, _ = self._params(params)
        out = []
        for k, p in enumerate(items):
            g = self.lam * (p - self._like(k, "anchor", self.anchor[k], p))
            if self.weights is not None:
                g = self._like(k, "weight", self.weights[k], p) * g
            out.append(g)
        return out[0] if single else out

    def prox(self, w: Any, step: float) -> Any:
        """prox_{ηR}(w) = (w + ηλ ω ⊙ θ⁰) / (1 + ηλ ω), entrywise, η = ``step`` ≥ 0."""
        step = nonneg(step, "step")
        items, single, _ = self._params(w, "w")
        out = []
        for k, p in enumerate(items):
            a = self._like(k, "anchor", self.anchor[k], p)
            c = step * self.lam
            if self.weights is not None:
                c = c * self._like(k, "weight", self.weights[k], p)
            out.append((p + c * a) / (1.0 + c))
        return out[0] if single else out


class L2SP(_AnchoredQuadratic):
    r"""L2-SP, the "starting point" penalty (Li, Grandvalet & Davoine, ICML 2018):

        R(θ) = (λ/2) ‖θ − θ⁰‖₂² = (λ/2) Σ_i (θ_i − θ⁰_i)²,

    weight decay towards the anchor θ⁰ (pre-trained weights, or the weights reached on the
    previous task) instead of towards 0. Li et al. write α for λ.

    * ``anchor`` — θ⁰: a torch model (its parameters are copied, in ``model.parameters()``
      order), a list of arrays/tensors, or a single array/tensor; it is copied (frozen).
    * ``penalty(params)`` — ``params`` in the same structure (a model, a list, one array):
      a differentiable torch scalar for tensors/models (``loss = data_loss + penalty(model)``
      in any torch loop), a float for numpy arrays; ``value(model)`` is that number as a float;
    * ``grad(params)`` = λ(θ − θ⁰); ``prox(w, step)`` = (w + ηλθ⁰)/(1 + ηλ), a shrinkage
      towards θ⁰ (the L2 prox w/(1 + ηλ) when θ⁰ = 0).

    ``ValueError`` for λ < 0, a structure or shape that does not match the anchor, NaN/inf.
    """

    def __init__(self, lam: float, anchor: Any) -> None:
        super().__init__(lam, anchor)

    def __repr__(self) -> str:
        return f"L2SP(lam={self.lam!r}, {len(self.anchor)} arrays)"


class EWC(_AnchoredQuadratic):
    r"""Elastic weight consolidation (Kirkpatrick et al., PNAS 2017), diagonal Fisher:

        R(θ) = (λ/2) Σ_i F_i (θ_i − θ*_i)²,

    with θ* the weights after the previous task and F_i ≥ 0 the diagonal of the Fisher
    information of that task at θ* (e.g. :func:`normcourse.continual.fisher_diagonal`).
    It is the Laplace approximation of the old task's log-posterior: weights the old task
    is sensitive to (large F_i) are held close to θ*, the others are free. With F = 1 it is
    exactly :class:`L2SP` around θ*.

    * ``anchor`` — θ*, and ``fisher`` — F, in the same structure (a model's parameters, a
      list of arrays/tensors, or one array/tensor); both are copied;
    * ``penalty(params)``, ``value``, ``grad`` = λ F ⊙ (θ − θ*),
      ``prox`` = (w + ηλF ⊙ θ*)/(1 + ηλF): as in :class:`L2SP`.

    ``ValueError`` for λ < 0, F with negative entries, shapes that do not match, NaN/inf.
    """

    def __init__(self, lam: float, anchor: Any, fisher: Any) -> None:
        if fisher is None:
            raise ValueError("fisher must be given (use L2SP for the unweighted penalty)")
        super().__init__(lam, anchor, fisher)

    @property
    def fisher(self) -> list[Any]:
        """The Fisher diagonal F, one array/tensor per anchor array."""
        assert self.weights is not None
        return self.weights

    def __repr__(self) -> str:
        return f"EWC(lam={self.lam!r}, {len(self.anchor)} arrays)"
