r"""Optimizers for the weight-decay and sparsity chapters, as real ``torch.optim`` optimizers.

Every class here is a :class:`torch.optim.Optimizer` subclass: param groups (each group
may override any hyperparameter), ``state_dict`` / ``load_state_dict``, ``step(closure)``,
``zero_grad``, step hooks and learning-rate schedulers all work as with ``torch.optim``.
Parameters whose ``.grad`` is ``None`` are skipped (not decayed), exactly as in torch.

Symbols (the book's) and their names here and in torch:

=============================  ==================  =========================================
book                           argument            meaning
=============================  ==================  =========================================
θ                              ``params``          parameters
η                              ``lr``              step size (learning rate)
β                              ``momentum``        heavy-ball momentum (SGD)
τ                              ``dampening``       momentum dampening (torch's, default 0)
β₁, β₂                         ``betas``           Adam's moment decay rates
ε                              ``eps``             Adam's denominator guard
λ  (coupled, Scheme A)         ``weight_decay``    L2 penalty (λ/2)‖θ‖², gradient λθ
γ  (decoupled, Scheme B)       ``weight_decay``    decay rate: θ ← (1 − ηγ)θ each step
=============================  ==================  =========================================

``weight_decay`` means what it means in torch: with ``decoupled=False`` it is λ, the
coefficient added to the gradient (torch.optim.SGD / torch.optim.Adam); with
``decoupled=True`` it is γ, the rate of the multiplicative shrink (torch.optim.AdamW).

Scheme A (coupled L2, ``decoupled=False``), for SGD::

    g_t = ∇L(θ_{t-1}) + λ θ_{t-1}
    v_t = β v_{t-1} + (1 − τ) g_t          (v_1 = g_1: torch initialises the buffer
    θ_t = θ_{t-1} − η v_t                   with the first gradient, undamped)

Scheme B (decoupled decay, SGDW, ``decoupled=True``)::

    v_t = β v_{t-1} + (1 − τ) ∇L(θ_{t-1})   (v_1 = ∇L(θ_0))
    θ_t = (1 − ηγ) θ_{t-1} − η v_t

With β = 0 and γ = λ both read θ_t = (1 − ηλ)θ_{t-1} − η∇L(θ_{t-1}): the schemes
coincide. With β > 0 they do not: in Scheme A the decay term λθ enters the velocity and
is amplified by the momentum (≈ 1/(1 − β) in steady state), in Scheme B it is not.

For Adam the same split gives torch.optim.Adam(weight_decay=λ) (Scheme A: λθ is added to
the gradient and then divided by √v̂, so a parameter with zero data gradient moves by
≈ η·sign(θ) per step whatever its size) and torch.optim.AdamW (Scheme B: θ shrinks by
exactly the factor (1 − ηγ) before the Adam step).

:class:`ProxSGD` handles non-smooth penalties (L1, group L2,1, elastic net) by a gradient
step on the data loss followed by the penalty's proximal operator, which sets
coordinates (or whole groups) exactly to zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import Tensor
from torch.optim import Optimizer

from ._validate import flag, nonneg
from .penalties import Penalty

__all__ = ["SGD", "SGDW", "Adam", "AdamW", "ProxSGD"]

Params = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]
Closure = Callable[[], Any]


# --------------------------------------------------------------------------- validation


def _check_unit_interval(value: Any, name: str) -> float:
    """Return ``value`` as float if 0 ≤ value < 1, else raise ``ValueError`` naming it."""
    v = nonneg(value, name)
    if v >= 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return v


def _check_sgd_group(group: dict[str, Any]) -> None:
    group["lr"] = nonneg(group["lr"], "lr")
    group["momentum"] = _check_unit_interval(group["momentum"], "momentum")
    group["weight_decay"] = nonneg(group["weight_decay"], "weight_decay")
    damp = nonneg(group["dampening"], "dampening")
    if damp > 1.0:
        raise ValueError(f"dampening must be in [0, 1], got {group['dampening']!r}")
    group["dampening"] = damp
    group["nesterov"] = flag(group["nesterov"], "nesterov")
    group["decoupled"] = flag(group["decoupled"], "decoupled")
    if group["nesterov"] and (group["momentum"] == 0.0 or damp != 0.0):
        raise ValueError(
            "nesterov=True requires momentum > 0 and dampening = 0, got "
            f"momentum={group['momentum']!r}, dampening={group['dampening']!r}"
        )


def _check_adam_group(group: dict[str, Any]) -> None:
    group["lr"] = nonneg(group["lr"], "lr")
    betas = group["betas"]
    try:
        b1, b2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
    group["betas"] = (_check_unit_interval(b1, "betas[0]"), _check_unit_interval(b2, "betas[1]"))
    group["eps"] = nonneg(group["eps"], "eps")
    group["weight_decay"] = nonneg(group["weight_decay"], "weight_decay")
    group["amsgrad"] = flag(group["amsgrad"], "amsgrad")
    group["decoupled"] = flag(group["decoupled"], "decoupled")


def _check_prox_group(group: dict[str, Any]) -> None:
    group["lr"] = nonneg(group["lr"], "lr")
    group["momentum"] = _check_unit_interval(group["momentum"], "momentum")
    penalty = group["penalty"]
    if penalty is not None and not callable(getattr(penalty, "prox", None)):
        raise ValueError(
            "penalty must be None, a normcourse.penalties.Penalty (e.g. L1(1e-4)) or an "
            f"object with a prox(w, step) method, got {type(penalty).__name__}"
        )
    group["transpose"] = flag(group["transpose"], "transpose")
    if group["transpose"]:
        for p in group["params"]:
            if p.ndim != 2:
                raise ValueError(
                    f"transpose=True needs 2-D parameters (matrices), got shape {tuple(p.shape)}"
                )


class _ValidatedOptimizer(Optimizer):
    """Optimizer whose every param group (defaults merged in) is checked when added."""

    _check_group: Callable[[dict[str, Any]], None]

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a param group (see :meth:`torch.optim.Optimizer.add_param_group`), validated."""
        super().add_param_group(param_group)
        try:
            type(self)._check_group(self.param_groups[-1])
        except ValueError:
            self.param_groups.pop()
            raise

    @staticmethod
    def _by_device_dtype(params: list[Tensor]) -> list[list[int]]:
        """Indices of ``params`` grouped by (device, dtype): ``_foreach_*`` lists must agree."""
        buckets: dict[tuple[torch.device, torch.dtype], list[int]] = {}
        for i, p in enumerate(params):
            buckets.setdefault((p.device, p.dtype), []).append(i)
        return list(buckets.values())

    @staticmethod
    def _evaluate(closure: Closure | None) -> Any:
        """The closure's loss (evaluated with gradients enabled), or ``None`` without one."""
        if closure is None:
            return None
        with torch.enable_grad():
            return closure()

    def _grads_of(self, group: dict[str, Any]) -> tuple[list[Tensor], list[Tensor]]:
        params: list[Tensor] = []
        grads: list[Tensor] = []
        for p in group["params"]:
            if p.grad is None:
                continue
            if p.grad.is_sparse:
                raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
            if torch.is_complex(p):
                raise RuntimeError(f"{type(self).__name__} does not support complex parameters")
            params.append(p)
            grads.append(p.grad)
        return params, grads

    def _momentum_sgd_group(
        self,
        group: dict[str, Any],
        *,
        dampening: float,
        nesterov: bool,
        weight_decay: float,
        decoupled: bool,
    ) -> list[Tensor]:
        """The (momentum) SGD step of one param group, per (device, dtype) bucket, with the
        momentum buffers kept in ``self.state``; returns the parameters that were stepped."""
        params, grads = self._grads_of(group)
        momentum = group["momentum"]
        for idx in self._by_device_dtype(params):
            ps = [params[i] for i in idx]
            bufs: list[Tensor | None] = (
                [self.state[p].get("momentum_buffer") for p in ps] if momentum != 0 else []
            )
            _momentum_sgd_(
                ps,
                [grads[i] for i in idx],
                bufs,
                lr=group["lr"],
                momentum=momentum,
                dampening=dampening,
                nesterov=nesterov,
                weight_decay=weight_decay,
                decoupled=decoupled,
            )
            for p, b in zip(ps, bufs, strict=False):
                self.state[p]["momentum_buffer"] = b
        return params


def _momentum_sgd_(
    params: list[Tensor],
    grads: list[Tensor],
    bufs: list[Tensor | None],
    *,
    lr: float,
    momentum: float,
    dampening: float,
    nesterov: bool,
    weight_decay: float,
    decoupled: bool,
) -> None:
    """One (Scheme A or B) SGD step, in place, on same-device-and-dtype lists.

    Mirrors ``torch.optim.sgd._multi_tensor_sgd`` operation by operation; ``bufs`` holds
    the momentum buffers (``None`` before the first step) and is updated in place.
    """
    d_grads: list[Tensor] = grads
    if weight_decay != 0 and not decoupled:  # Scheme A: g ← ∇L + λθ
        d_grads = list(torch._foreach_add(grads, params, alpha=weight_decay))
    if momentum != 0:
        if all(b is not None for b in bufs):
            real = [b for b in bufs if b is not None]
            torch._foreach_mul_(real, momentum)
            torch._foreach_add_(real, d_grads, alpha=1 - dampening)
        else:
            for i, g in enumerate(d_grads):
                b = bufs[i]
                if b is None:  # torch: first buffer is the gradient itself, undamped
                    bufs[i] = g.detach().clone()
                else:
                    b.mul_(momentum).add_(g, alpha=1 - dampening)
            real = [b for b in bufs if b is not None]
        if nesterov:
            d_grads = list(torch._foreach_add(d_grads, real, alpha=momentum))
        else:
            d_grads = real
    if weight_decay != 0 and decoupled:  # Scheme B: θ ← (1 − ηγ)θ
        torch._foreach_mul_(params, 1 - lr * weight_decay)
    torch._foreach_add_(params, d_grads, alpha=-lr)


# --------------------------------------------------------------------------------- SGD


class SGD(_ValidatedOptimizer):
    r"""SGD with momentum and either coupled L2 (Scheme A) or decoupled weight decay (Scheme B).

    Scheme A (``decoupled=False``, the default) is ``torch.optim.SGD`` to the letter, with
    ``weight_decay`` = λ of the penalty (λ/2)‖θ‖²::

        g_t = ∇L(θ_{t-1}) + λ θ_{t-1}
        v_t = β v_{t-1} + (1 − τ) g_t        (first step: v_1 = g_1)
        θ_t = θ_{t-1} − η v_t                (nesterov: θ_t = θ_{t-1} − η (g_t + β v_t))

    Scheme B (``decoupled=True``, "SGDW"), with ``weight_decay`` = γ::

        v_t = β v_{t-1} + (1 − τ) ∇L(θ_{t-1})   (first step: v_1 = ∇L(θ_0))
        θ_t = (1 − ηγ) θ_{t-1} − η v_t          (nesterov: v_t → ∇L + β v_t)

    The two coincide when β = 0 and γ = λ. State per parameter: ``momentum_buffer``
    (v, same key as torch, so state dicts are interchangeable with ``torch.optim.SGD``).

    Args:
        params: tensors or param-group dicts (any argument below can be set per group).
        lr: η ≥ 0.
        momentum: β ∈ [0, 1).
        weight_decay: λ (coupled) or γ (decoupled), ≥ 0.
        decoupled: ``False`` for Scheme A, ``True`` for Scheme B.
        dampening: τ ∈ [0, 1] (torch's; 0 means plain heavy ball).
        nesterov: Nesterov momentum (needs momentum > 0 and dampening = 0).

    Raises:
        ValueError: naming the argument, for any value outside the ranges above.
    """

    _check_group = staticmethod(_check_sgd_group)

    def __init__(
        self,
        params: Params,
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        decoupled: bool = False,
        dampening: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "weight_decay": weight_decay,
            "decoupled": decoupled,
            "dampening": dampening,
            "nesterov": nesterov,
        }
        _check_sgd_group(dict(defaults))
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:  # groups saved by torch.optim.SGD lack our keys
            group.setdefault("decoupled", False)
            group.setdefault("nesterov", False)
            group.setdefault("dampening", 0.0)

    @torch.no_grad()
    def step(self, closure: Closure | None = None) -> Any:
        """One optimizer step; ``closure`` (re-evaluates the loss, calls backward) is optional.

        Returns the closure's loss, or ``None``.
        """
        loss = self._evaluate(closure)
        for group in self.param_groups:
            self._momentum_sgd_group(
                group,
                dampening=group["dampening"],
                nesterov=group["nesterov"],
                weight_decay=group["weight_decay"],
                decoupled=group["decoupled"],
            )
        return loss


class SGDW(SGD):
    """:class:`SGD` with decoupled decay (Scheme B): ``θ ← (1 − ηγ)θ − ηv``, γ = weight_decay."""

    def __init__(
        self,
        params: Params,
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr, momentum, weight_decay, True, dampening, nesterov)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled"] = True


# -------------------------------------------------------------------------------- Adam


def _scalar_dtype() -> torch.dtype:
    """dtype torch.optim.Adam uses for ``state['step']`` (kept on CPU, never cast on load)."""
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32


class Adam(_ValidatedOptimizer):
    r"""Adam with coupled L2 (``torch.optim.Adam(weight_decay=λ)``) or decoupled decay (AdamW).

    With g_t = ∇L(θ_{t-1}), step count t and m_0 = v_0 = 0::

        coupled  (Scheme A):  g_t ← g_t + λ θ_{t-1}
        decoupled (Scheme B): θ_{t-1} ← (1 − ηλ) θ_{t-1}          (before the Adam step)
        m_t = β₁ m_{t-1} + (1 − β₁) g_t
        v_t = β₂ v_{t-1} + (1 − β₂) g_t²
        v̂_t = max(v̂max_{t-1}, v_t) if amsgrad else v_t            (v̂max: running max)
        θ_t = θ_{t-1} − η/(1 − β₁ᵗ) · m_t / (√v_t / √(1 − β₂ᵗ) + ε)

    i.e. the bias-corrected step η m̂_t/(√v̂_t + ε), computed in the same order of
    floating-point operations as torch's foreach implementation. ``weight_decay`` is λ in
    both modes, as in torch (Adam's λ / AdamW's ``weight_decay``); in decoupled mode it plays
    the role of the book's γ. State per parameter: ``step``, ``exp_avg`` (m),
    ``exp_avg_sq`` (v), ``max_exp_avg_sq`` (amsgrad) — torch's keys and dtypes, so state
    dicts load across ``torch.optim.Adam``/``AdamW`` and these classes.

    Why it matters: for a parameter with zero data gradient, Scheme B shrinks it by exactly
    (1 − ηλ) per step (a relative shrink, independent of |θ|), while in Scheme A the
    gradient λθ is normalised by √v̂ ≈ λ|θ|, so θ moves by ≈ η·sign(θ) per step (an
    absolute step: large weights are barely regularised, relatively).

    Args:
        params: tensors or param-group dicts (any argument below can be set per group).
        lr: η ≥ 0.
        betas: (β₁, β₂), each in [0, 1).
        eps: ε ≥ 0.
        weight_decay: λ ≥ 0.
        decoupled: ``False`` = torch.optim.Adam, ``True`` = torch.optim.AdamW.
        amsgrad: use the running maximum of v (Reddi et al., 2018).

    Raises:
        ValueError: naming the argument, for any value outside the ranges above.
    """

    _check_group = staticmethod(_check_adam_group)

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled: bool = False,
        amsgrad: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "decoupled": decoupled,
            "amsgrad": amsgrad,
        }
        checked = dict(defaults)
        _check_adam_group(checked)
        defaults["betas"] = checked["betas"]
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:  # groups saved by torch.optim.Adam/AdamW
            group.setdefault("decoupled", bool(group.get("decoupled_weight_decay", False)))
            group.setdefault("amsgrad", False)

    @torch.no_grad()
    def step(self, closure: Closure | None = None) -> Any:
        """One optimizer step; ``closure`` (re-evaluates the loss, calls backward) is optional.

        Returns the closure's loss, or ``None``.
        """
        loss = self._evaluate(closure)
        for group in self.param_groups:
            params, grads = self._grads_of(group)
            for idx in self._by_device_dtype(params):
                self._adam_bucket(group, [params[i] for i in idx], [grads[i] for i in idx])
        return loss

    def _adam_bucket(
        self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor]
    ) -> None:
        """Mirror of ``torch.optim.adam._multi_tensor_adam`` (non-capturable path)."""
        lr: float = group["lr"]
        beta1, beta2 = group["betas"]
        wd: float = group["weight_decay"]
        amsgrad: bool = group["amsgrad"]
        exp_avgs: list[Tensor] = []
        exp_avg_sqs: list[Tensor] = []
        max_sqs: list[Tensor] = []
        steps: list[Tensor] = []
        for p in params:
            state = self.state[p]
            if len(state) == 0:
                state["step"] = torch.tensor(0.0, dtype=_scalar_dtype())
                state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                if amsgrad:
                    state["max_exp_avg_sq"] = torch.zeros_like(
                        p, memory_format=torch.preserve_format
                    )
            exp_avgs.append(state["exp_avg"])
            exp_avg_sqs.append(state["exp_avg_sq"])
            if amsgrad:
                if "max_exp_avg_sq" not in state:  # amsgrad switched on mid-run
                    state["max_exp_avg_sq"] = torch.zeros_like(
                        p, memory_format=torch.preserve_format
                    )
                max_sqs.append(state["max_exp_avg_sq"])
            steps.append(state["step"])

        if steps[0].is_cpu:
            torch._foreach_add_(steps, torch.tensor(1.0, device="cpu"), alpha=1.0)
        else:
            torch._foreach_add_(steps, 1)

        d_grads: list[Tensor] = grads
        if wd != 0:
            if group["decoupled"]:  # Scheme B: θ ← (1 − ηλ)θ
                torch._foreach_mul_(params, 1 - lr * wd)
            else:  # Scheme A: g ← g + λθ
                d_grads = list(torch._foreach_add(grads, params, alpha=wd))

        torch._foreach_lerp_(exp_avgs, d_grads, 1 - beta1)
        torch._foreach_mul_(exp_avg_sqs, beta2)
        torch._foreach_addcmul_(exp_avg_sqs, d_grads, d_grads, 1 - beta2)
        # free g + λθ now (as torch does): the sqrt below can then reuse its memory
        del d_grads

        ts = [float(s.item()) for s in steps]
        step_size = [(lr / (1 - beta1**t)) * -1 for t in ts]
        bc2_sqrt = [(1 - beta2**t) ** 0.5 for t in ts]
        if amsgrad:
            torch._foreach_maximum_(max_sqs, exp_avg_sqs)
            denom = torch._foreach_sqrt(max_sqs)
        else:
            denom = torch._foreach_sqrt(exp_avg_sqs)
        torch._foreach_div_(denom, bc2_sqrt)
        torch._foreach_add_(denom, group["eps"])
        torch._foreach_addcdiv_(params, exp_avgs, denom, step_size)


class AdamW(Adam):
    r"""Adam with decoupled weight decay: ``torch.optim.AdamW`` (default ``weight_decay=1e-2``).

    Each step first shrinks θ ← (1 − ηλ)θ, then takes the Adam step on ∇L alone (see
    :class:`Adam`); λ = ``weight_decay`` is the book's γ.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, True, amsgrad)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled"] = True


# ----------------------------------------------------------------------------- ProxSGD


class ProxSGD(_ValidatedOptimizer):
    r"""Proximal (momentum) SGD: a gradient step on the data loss, then the penalty's prox.

    For the objective L(θ) + Ω(θ) with Ω non-smooth (L1, group L2,1, elastic net)::

        v_t = β v_{t-1} + ∇L(θ_{t-1})          (first step: v_1 = ∇L(θ_0); β = 0: v_t = ∇L)
        θ_t = prox_{ηΩ}(θ_{t-1} − η v_t)       prox_{ηΩ}(w) = argmin_u ½‖u − w‖² + ηΩ(u)

    i.e. ``θ ← penalty.prox(θ − η v, η)`` in place. With β = 0 and full-batch gradients
    this is ISTA (proximal gradient); for Ω = λ‖θ‖₁ the prox is soft-thresholding
    sign(w)·max(|w| − ηλ, 0), which gives exact zeros. The penalty's prox is applied with
    step η (the current ``lr`` of the group, so schedulers act on it too).

    The penalty is a param-group option: pass groups such as
    ``[{"params": lin.weight, "penalty": GroupL21(lam), "transpose": True},
    {"params": lin.bias, "penalty": None}]`` to penalise the weights and leave biases
    alone (``None`` = plain SGD for that group).

    ``transpose=True`` applies the prox to θᵀ (2-D parameters only):
    ``θ ← prox(θᵀ, η)ᵀ``. A ``torch.nn.Linear`` weight has shape (out, in), so an *input
    feature* is a **column**; a row-group penalty such as ``GroupL21`` (groups = rows)
    then selects input features — whole columns become exactly zero.

    Args:
        params: tensors or param-group dicts (lr, momentum, penalty, transpose per group).
        lr: η ≥ 0.
        penalty: a :class:`normcourse.penalties.Penalty` (its unchecked in-place
            ``prox_tensor_`` is used), any object with ``prox(w, step) -> Tensor`` (called,
            and its output's shape checked), or ``None``.
        momentum: β ∈ [0, 1) (heavy ball, torch's buffer convention; 0 = ISTA).
        transpose: apply the prox to θᵀ (see above).

    Note: the penalty object is stored in the param group, hence in ``state_dict()``;
    reload such a checkpoint with ``torch.load(..., weights_only=False)``.

    Raises:
        ValueError: naming the argument, for ``lr`` < 0, ``momentum`` ∉ [0, 1), a penalty
            without a ``prox`` method, ``transpose`` on a non-matrix parameter, or a prox
            that returns a different shape.
    """

    _check_group = staticmethod(_check_prox_group)

    def __init__(
        self,
        params: Params,
        lr: float,
        penalty: Any,
        momentum: float = 0.0,
        transpose: bool = False,
    ) -> None:
        defaults = {"lr": lr, "penalty": penalty, "momentum": momentum, "transpose": transpose}
        _check_prox_group({**defaults, "params": []})
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Closure | None = None) -> Any:
        """One optimizer step; ``closure`` (re-evaluates the loss, calls backward) is optional.

        Returns the closure's loss, or ``None``.
        """
        loss = self._evaluate(closure)
        for group in self.param_groups:
            params = self._momentum_sgd_group(
                group, dampening=0.0, nesterov=False, weight_decay=0.0, decoupled=False
            )
            penalty = group["penalty"]
            if penalty is None:
                continue
            for p in params:
                self._apply_prox(p, penalty, group["lr"], group["transpose"])
        return loss

    @staticmethod
    def _apply_prox(p: Tensor, penalty: Any, lr: float, transpose: bool) -> None:
        w = p.detach()
        if transpose:
            w = w.T
        if isinstance(penalty, Penalty):
            penalty.prox_tensor_(w, lr)  # unchecked, in place on (a view of) p
            return
        out = penalty.prox(w, lr)
        if not isinstance(out, Tensor):
            out = torch.as_tensor(out, dtype=p.dtype, device=p.device)
        if tuple(out.shape) != tuple(w.shape):
            raise ValueError(
                f"penalty.prox returned shape {tuple(out.shape)} for a parameter of shape "
                f"{tuple(w.shape)}; it must return the shape it was given"
            )
        w.copy_(out)
