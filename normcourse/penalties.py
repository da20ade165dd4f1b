r"""Norm penalties R(θ) that describe themselves to every solver and optimizer.

Every array penalty is a :class:`Penalty` carrying what its consumers need, so no solver,
path, optimizer or grader ever asks which penalty it holds:

* checked entries (validate NaN/inf, negative steps) — ``value(theta)``, ``prox(w, step)``,
  ``grad(theta)`` (smooth penalties only; the others raise
  :class:`NotDifferentiableError` and point to ``prox``) and ``dual_norm(z)``. The prox is
  in closed form,

  .. math:: \operatorname{prox}_{\eta R}(w) = \arg\min_u \tfrac12\|u - w\|_2^2 + \eta R(u),

  so one proximal-gradient step is θ ← prox_{ηR}(θ − η∇f(θ));
* the unchecked fast path for inner loops — ``fast_value`` (a differentiable 0-d tensor for
  a tensor), ``fast_prox`` and the hooks ``prox_array`` / ``prox_tensor`` a new penalty
  implements;
* what solvers need for stopping and screening — ``lam`` (a unit of θ can be zero at a
  stationary point only if its score, :meth:`Units.scores` of −∇f, is ≤ λ), ``with_lam``
  (the same penalty at another λ, for paths), ``units`` and ``restrict`` (coordinates,
  rows or groups; a working set), ``gap_terms`` (the duality gap's λ₁, λ₂ when R is
  λ₁Ω(θ) + λ₂‖θ‖₂² with Ω the norm of ``dual_norm``), ``sign_pattern_terms`` (the exact
  solve on a fixed support) and ``check_shape``.

``prox`` and ``grad`` accept numpy arrays and torch tensors and return the same kind
(torch: same dtype and device); torch is imported only when a tensor is passed.
Model-level penalties (L2-SP, EWC, spectral, path norm) live in
:mod:`normcourse.model_penalties`; ``OnParameters`` there applies any penalty here to a
model's weights.

The conventions follow the course (DESIGN.md): L2 is (λ/2)‖θ‖₂², the elastic net is
λ₁‖θ‖₁ + λ₂‖θ‖₂² and the group penalty is λ Σ_g w_g ‖θ_g‖₂.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from normcourse._validate import (
    finite_array,
    finite_tensor_or_array,
    float_array,
    float_tensor,
    is_torch,
    nonneg,
    nonneg_int,
)
from normcourse.groups import (
    Groups,
    check_group_input,
    group_norms,
    group_shrink,
    group_shrink_torch,
)

__all__ = [
    "L1",
    "L2",
    "ElasticNet",
    "GroupL21",
    "NotDifferentiableError",
    "Penalty",
    "Units",
    "group_soft_threshold",
    "soft_threshold",
]


class NotDifferentiableError(NotImplementedError, ValueError):
    """Raised by ``grad`` of a non-smooth penalty: use its ``prox`` instead.

    It is both a ``NotImplementedError`` and a ``ValueError`` so either ``except`` works.
    """


# --------------------------------------------------------------------------- helpers


def _check_tau(tau: Any, name: str = "tau") -> Any:
    """A threshold: a number ≥ 0, or an array/tensor of finite entries ≥ 0."""
    if np.ndim(tau) == 0 and not is_torch(tau):
        return nonneg(tau, name)
    arr = finite_array(tau, name)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be ≥ 0 everywhere, got a minimum of {arr.min()!r}")
    return tau


def soft_threshold(w: Any, tau: Any) -> Any:
    r"""Soft-thresholding S_τ(w) = sign(w)·max(|w| − τ, 0), entrywise.

    It is the proximal operator of τ‖·‖₁: prox_{τ‖·‖₁}(w) = S_τ(w). Entries with
    |w_j| ≤ τ become exactly ``0.0`` (never ``-0.0``); the others move towards zero by τ.

    Parameters
    ----------
    w : array or tensor
        Point to threshold (any shape); NaN/inf raise ``ValueError``.
    tau : float or array
        Threshold τ ≥ 0, a number or an array broadcastable to ``w``.

    Returns
    -------
    Same kind as ``w`` (numpy array, or torch tensor of the same dtype and device).
    """
    w = finite_tensor_or_array(w, "w")
    tau = _check_tau(tau, "tau")
    if is_torch(w):
        return _soft_torch(float_tensor(w), tau)
    return _soft_np(float_array(w), np.asarray(tau, dtype=np.float64))


def _soft_torch(w: Any, tau: Any) -> Any:
    """Unchecked torch soft-thresholding; one fused kernel when τ is a scalar."""
    import torch

    if np.ndim(tau) == 0:
        # softshrink maps small negatives to -0.0; adding +0.0 turns them into 0.0
        return torch.nn.functional.softshrink(w, float(tau)) + 0.0
    t = torch.as_tensor(tau, dtype=w.dtype, device=w.device)
    return torch.sign(w) * torch.clamp(torch.abs(w) - t, min=0) + 0.0


def _soft_torch_(w: Any, tau: float) -> Any:
    """In-place torch soft-thresholding by a scalar τ, without a temporary (ProxSGD's step)."""
    import torch

    torch.ops.aten.softshrink.out(w, float(tau), out=w)  # one read and one write of w
    return w.add_(0.0)  # softshrink leaves −0.0 for small negatives; −0.0 + 0.0 = +0.0


def _soft_np(w: np.ndarray, tau: Any) -> np.ndarray:
    """Unchecked numpy soft-thresholding (used in the solvers' inner loops)."""
    return np.sign(w) * np.maximum(np.abs(w) - tau, 0.0) + 0.0


def group_soft_threshold(w: Any, tau: Any, groups: Sequence[Any] | None = None) -> Any:
    r"""Group soft-thresholding: w_g ← max(0, 1 − τ_g/‖w_g‖₂)·w_g for every group g.

    It is the proximal operator of Σ_g τ_g‖w_g‖₂ (the ℓ2,1 norm when τ_g = τ): a whole
    group is set exactly to zero when ‖w_g‖₂ ≤ τ_g, otherwise it shrinks towards zero
    along its own direction by τ_g.

    Parameters
    ----------
    w : array or tensor
        With ``groups=None``: a 2-D matrix W whose **rows** are the groups
        (‖W‖₂,₁ = Σᵢ‖w_{i,:}‖₂, e.g. the input-feature rows of a weight matrix).
        Otherwise ``groups`` index the first axis of ``w`` (a 1-D vector, or the rows of
        a matrix); indices not in any group are left unchanged.
    tau : float or array
        Threshold τ ≥ 0, or one threshold per group.
    groups : list of index arrays, optional
        Disjoint, non-empty groups of indices.
    """
    w = finite_tensor_or_array(w, "w")
    tau = _check_tau(tau, "tau")
    grp = None if groups is None else Groups(groups)
    check_group_input(w, grp)
    n_groups = w.shape[0] if grp is None else grp.n_groups
    if np.ndim(tau) > 1 or (np.ndim(tau) == 1 and len(tau) not in (1, n_groups)):
        raise ValueError(f"tau must be a number or have one entry per group ({n_groups})")
    if is_torch(w):
        return group_shrink_torch(float_tensor(w), tau, grp)
    return group_shrink(float_array(w), tau, grp)


def _np(z: Any) -> np.ndarray:
    """A numpy float view of an array or tensor (for the float-valued dual norms)."""
    if is_torch(z):
        z = z.detach().cpu().numpy()
    return np.asarray(z, dtype=np.float64)


# --------------------------------------------------------------------------- screening units


class Units:
    r"""The pieces of θ a penalty switches on and off: coordinates, rows or groups.

    A path solver screens and grows working sets by unit. For each unit u the *score* of
    a correlation C = −∇f(θ) is its dual-norm size — |C_j| (coordinates), ‖C_i‖₂/w_i (rows
    of a p×m θ), ‖C_g‖₂/w_g (groups) — and a unit can be zero at a stationary point of
    f + R only if its score is ≤ λ. ``free`` lists the coordinates no unit covers (not
    penalized).
    """

    def __init__(
        self,
        kind: str,
        n_units: int,
        weights: np.ndarray | None = None,
        free: np.ndarray | None = None,
        groups: Groups | None = None,
    ) -> None:
        if not isinstance(kind, str) or kind not in ("coordinates", "rows", "groups"):
            raise ValueError(f"kind must be 'coordinates', 'rows' or 'groups', got {kind!r}")
        self.kind = kind
        self.n_units = nonneg_int(n_units, "n_units")
        self.weights = weights
        self.free = np.empty(0, np.intp) if free is None else free
        self.groups = groups

    def scores(self, C: np.ndarray) -> np.ndarray:
        """Dual-norm score per unit: |C_j|, ‖C_i‖/w_i (rows) or ‖C_g‖/w_g (groups)."""
        if self.kind == "coordinates":
            return np.abs(C) if C.ndim == 1 else np.abs(C).max(axis=tuple(range(1, C.ndim)))
        norms = group_norms(C, self.groups)
        return norms if self.weights is None else norms / self.weights

    def active(self, theta: np.ndarray) -> np.ndarray:
        """Boolean mask over units: True where the unit has a nonzero coefficient."""
        nz = np.abs(theta).reshape(theta.shape[0], -1).sum(axis=1) > 0
        if self.kind != "groups":
            return nz
        grp = self.groups
        assert grp is not None
        return np.bincount(grp.gid, weights=nz[grp.idx], minlength=grp.n_groups) > 0


# --------------------------------------------------------------------------- the interface


class Penalty:
    """Base class: a penalty R(θ) with ``value``, ``prox``, (if smooth) ``grad`` and the
    solver-facing description of itself (see the module docstring).

    A new penalty sets ``lam`` and implements ``fast_value``, ``prox_array`` and
    ``prox_tensor`` (unchecked, on float input), plus ``with_lam`` for paths; everything
    else has a default that is right for a separable penalty with no duality gap.
    """

    smooth: bool = False
    lam: float = 0.0

    # -- checked public entries
    def value(self, theta: Any) -> float:
        """R(θ) as a Python float."""
        theta = finite_tensor_or_array(theta, "theta")
        return float(self.fast_value(theta if is_torch(theta) else float_array(theta)))

    def __call__(self, theta: Any) -> float:
        """R(θ), same as :meth:`value`."""
        return self.value(theta)

    def prox(self, w: Any, step: float) -> Any:
        """prox_{ηR}(w) = argmin_u ½‖u − w‖₂² + η R(u), with η = ``step`` ≥ 0."""
        w = finite_tensor_or_array(w, "w")
        step = nonneg(step, "step")
        if is_torch(w):
            return self.prox_tensor(float_tensor(w), step)
        return self.prox_array(float_array(w), step)

    def grad(self, theta: Any) -> Any:
        """∇R(θ); non-smooth penalties raise :class:`NotDifferentiableError`."""
        raise NotDifferentiableError(
            f"{type(self).__name__} is not differentiable (it has a kink where coefficients "
            "are 0): use prox(w, step) — proximal gradient — instead of grad"
        )

    def dual_norm(self, z: Any) -> float:
        """The dual of the norm that defines the penalty, evaluated at ``z``."""
        return self.fast_dual_norm(_np(finite_tensor_or_array(z, "z")))

    def fast_dual_norm(self, z: np.ndarray) -> float:
        """:meth:`dual_norm` without checks, on a float array (the duality gap's hook)."""
        raise NotImplementedError(f"{type(self).__name__} defines no dual norm")

    # -- unchecked fast path (inputs already validated by the caller)
    def fast_value(self, theta: Any) -> Any:
        """R(θ) without checks: a float for an array, a differentiable 0-d tensor for a tensor."""
        raise NotImplementedError

    def fast_prox(self, w: Any, step: float) -> Any:
        """prox_{ηR}(w) without checks (a float array or tensor; η ≥ 0)."""
        return self.prox_tensor(w, step) if is_torch(w) else self.prox_array(w, step)

    def prox_array(self, w: np.ndarray, step: float) -> np.ndarray:
        """Unchecked numpy prox (the hook a penalty implements)."""
        raise NotImplementedError

    def prox_tensor(self, w: Any, step: float) -> Any:
        """Unchecked torch prox (the hook a penalty implements)."""
        raise NotImplementedError

    def prox_tensor_(self, w: Any, step: float) -> Any:
        """In place, unchecked: w ← prox_{ηR}(w) for a float tensor (or a view of one)."""
        return w.copy_(self.prox_tensor(w, step))

    # -- what solvers need
    def with_lam(self, lam: float) -> Penalty:
        """The same penalty with λ = ``lam`` (other parameters kept): one point of a path."""
        raise ValueError(f"{type(self).__name__} does not define a family over λ (with_lam)")

    def check_shape(self, shape: tuple[int, ...]) -> None:
        """Raise ``ValueError`` if the penalty cannot act on a θ of this shape."""

    def units(self, shape: tuple[int, ...]) -> Units:
        """The units λ switches off, for θ of ``shape`` (default: every coordinate)."""
        return Units("coordinates", shape[0] if shape else 0)

    def restrict(self, units: Units, keep: np.ndarray) -> tuple[np.ndarray, Penalty]:
        """(indices of θ's first axis, penalty on θ[indices]) for the units ``keep``."""
        return keep, self

    def gap_terms(self, units: Units) -> tuple[float, float] | None:
        """(λ₁, λ₂) when R(θ) = λ₁Ω(θ) + λ₂‖θ‖₂² with Ω the norm of ``dual_norm`` and every
        coordinate penalized, so a duality gap exists; ``None`` otherwise."""
        return None

    def sign_pattern_terms(self) -> tuple[float, float] | None:
        """(λ₁, λ₂) when R is λ₁‖θ‖₁ + λ₂‖θ‖₂², so that on a fixed support S with signs s the
        optimum solves (G_SS + 2λ₂I)θ_S = B_S − λ₁s; ``None`` otherwise."""
        return None


# --------------------------------------------------------------------------- penalties


class L2(Penalty):
    r"""Squared-ℓ2 penalty (weight decay): R(θ) = (λ/2)‖θ‖₂².

    * gradient: ∇R(θ) = λθ;
    * prox: prox_{ηR}(w) = w / (1 + ηλ) (a shrinkage by a constant factor, never an
      exact zero);
    * ``dual_norm`` is the Euclidean norm (ℓ2 is self-dual).
    """

    smooth = True

    def __init__(self, lam: float) -> None:
        self.lam = nonneg(lam, "lam")

    def __repr__(self) -> str:
        return f"L2(lam={self.lam!r})"

    def with_lam(self, lam: float) -> L2:
        return L2(lam)

    def fast_value(self, theta: Any) -> Any:
        return 0.5 * self.lam * (theta * theta).sum()

    def grad(self, theta: Any) -> Any:
        """∇R(θ) = λθ (same kind as θ)."""
        theta = finite_tensor_or_array(theta, "theta")
        if is_torch(theta):
            return self.lam * float_tensor(theta)
        return self.lam * float_array(theta)

    def prox_array(self, w: np.ndarray, step: float) -> np.ndarray:
        return w / (1.0 + step * self.lam)

    def prox_tensor(self, w: Any, step: float) -> Any:
        return w / (1.0 + step * self.lam)

    def prox_tensor_(self, w: Any, step: float) -> Any:
        return w.div_(1.0 + step * self.lam)

    def fast_dual_norm(self, z: np.ndarray) -> float:
        """‖z‖₂, scaled by max|z_j| first so that tiny or huge entries neither underflow nor
        overflow when squared."""
        top = float(np.max(np.abs(z))) if z.size else 0.0
        if top == 0.0 or not math.isfinite(top):
            return top
        return top * float(np.linalg.norm(z.ravel() / top))


class L1(Penalty):
    r"""ℓ1 penalty (lasso): R(θ) = λ‖θ‖₁ = λ Σ_j |θ_j|.

    * not differentiable at θ_j = 0: ``grad`` raises, use ``prox``;
    * prox: prox_{ηR}(w) = S_{ηλ}(w) (soft-thresholding, :func:`soft_threshold`), which
      sets every |w_j| ≤ ηλ exactly to zero;
    * ``dual_norm(z)`` = ‖z‖_∞ (the dual of ‖·‖₁).
    """

    def __init__(self, lam: float) -> None:
        self.lam = nonneg(lam, "lam")

    def __repr__(self) -> str:
        return f"L1(lam={self.lam!r})"

    def with_lam(self, lam: float) -> L1:
        return L1(lam)

    def fast_value(self, theta: Any) -> Any:
        return self.lam * abs(theta).sum()

    def prox_array(self, w: np.ndarray, step: float) -> np.ndarray:
        return _soft_np(w, step * self.lam)

    def prox_tensor(self, w: Any, step: float) -> Any:
        return _soft_torch(w, step * self.lam)

    def prox_tensor_(self, w: Any, step: float) -> Any:
        return _soft_torch_(w, step * self.lam)

    def fast_dual_norm(self, z: np.ndarray) -> float:
        """‖z‖_∞ = max_j |z_j|."""
        return float(np.max(np.abs(z))) if z.size else 0.0

    def gap_terms(self, units: Units) -> tuple[float, float] | None:
        return (self.lam, 0.0) if self.lam > 0 else None

    def sign_pattern_terms(self) -> tuple[float, float] | None:
        return self.lam, 0.0


class ElasticNet(Penalty):
    r"""Elastic net (Zou & Hastie, 2005): R(θ) = λ₁‖θ‖₁ + λ₂‖θ‖₂².

    * not differentiable where θ_j = 0: ``grad`` raises, use ``prox``;
    * prox: prox_{ηR}(w) = S_{ηλ₁}(w) / (1 + 2ηλ₂) — soft-threshold, then shrink;
    * ``dual_norm(z)`` = ‖z‖_∞, the dual of the ℓ1 part (the solvers fold the λ₂ part
      into the data term when they compute a duality gap);
    * ``lam`` is λ₁ (the threshold at zero); ``with_lam`` keeps the ratio λ₂/λ₁, i.e.
      scikit-learn's ``l1_ratio``.

    **Mapping to scikit-learn.** ``sklearn.linear_model.ElasticNet`` minimises
    (1/2n)‖y − Xθ‖² + α·ρ‖θ‖₁ + (α(1 − ρ)/2)‖θ‖² with ρ = ``l1_ratio``. With the data
    term (1/2n)‖y − Xθ‖² used here the two agree when

        α = λ₁ + 2λ₂,    l1_ratio = λ₁ / (λ₁ + 2λ₂),

    and conversely λ₁ = α·ρ, λ₂ = α(1 − ρ)/2 — see :meth:`to_sklearn` and
    :meth:`from_sklearn`.
    """

    def __init__(self, lam1: float, lam2: float) -> None:
        self.lam1 = nonneg(lam1, "lam1")
        self.lam2 = nonneg(lam2, "lam2")

    @property
    def lam(self) -> float:  # type: ignore[override]
        """λ₁: a coordinate is zero at the optimum iff |(−∇f)_j| ≤ λ₁."""
        return self.lam1

    def __repr__(self) -> str:
        return f"ElasticNet(lam1={self.lam1!r}, lam2={self.lam2!r})"

    def to_sklearn(self) -> tuple[float, float]:
        """(α, l1_ratio) = (λ₁ + 2λ₂, λ₁/(λ₁ + 2λ₂)); l1_ratio is 1.0 when α = 0."""
        alpha = self.lam1 + 2.0 * self.lam2
        return alpha, (self.lam1 / alpha if alpha > 0 else 1.0)

    @classmethod
    def from_sklearn(cls, alpha: float, l1_ratio: float) -> ElasticNet:
        """The penalty of sklearn's ``ElasticNet(alpha, l1_ratio)``: λ₁ = αρ, λ₂ = α(1 − ρ)/2."""
        alpha = nonneg(alpha, "alpha")
        rho = nonneg(l1_ratio, "l1_ratio")
        if rho > 1:
            raise ValueError(f"l1_ratio must be in [0, 1], got {l1_ratio!r}")
        return cls(alpha * rho, alpha * (1.0 - rho) / 2.0)

    def with_lam(self, lam: float) -> ElasticNet:
        lam = nonneg(lam, "lam")
        ratio = self.lam2 / self.lam1 if self.lam1 > 0 else 0.0
        return ElasticNet(lam, lam * ratio)

    def fast_value(self, theta: Any) -> Any:
        return self.lam1 * abs(theta).sum() + self.lam2 * (theta * theta).sum()

    def prox_array(self, w: np.ndarray, step: float) -> np.ndarray:
        return _soft_np(w, step * self.lam1) / (1.0 + 2.0 * step * self.lam2)

    def prox_tensor(self, w: Any, step: float) -> Any:
        return _soft_torch(w, step * self.lam1) / (1.0 + 2.0 * step * self.lam2)

    def prox_tensor_(self, w: Any, step: float) -> Any:
        _soft_torch_(w, step * self.lam1)
        return w if self.lam2 == 0 else w.div_(1.0 + 2.0 * step * self.lam2)

    def fast_dual_norm(self, z: np.ndarray) -> float:
        """‖z‖_∞ (dual of the ℓ1 part)."""
        return float(np.max(np.abs(z))) if z.size else 0.0

    def gap_terms(self, units: Units) -> tuple[float, float] | None:
        return (self.lam1, self.lam2) if self.lam1 > 0 else None

    def sign_pattern_terms(self) -> tuple[float, float] | None:
        return self.lam1, self.lam2


class GroupL21(Penalty):
    r"""Group lasso / ℓ2,1 penalty (Yuan & Lin, 2006): R(θ) = λ Σ_g w_g ‖θ_g‖₂.

    Groups:

    * ``groups=None`` — θ is a 2-D matrix W and the groups are its **rows**:
      R(W) = λ‖W‖₂,₁ = λ Σᵢ w_i‖W_{i,:}‖₂. With W the (inputs × outputs) weight matrix,
      a zero row switches an input feature off for every output (multi-task lasso).
    * ``groups=[idx_0, idx_1, ...]`` — disjoint, non-empty index arrays into the first
      axis of θ (a 1-D vector, or the rows of a matrix). Indices covered by no group are
      **not penalized**.

    ``weights`` (one positive number per group, default 1) rescale each group; Yuan & Lin
    use w_g = √|g| so that large groups are not favoured:
    ``GroupL21(lam, groups, weights=[np.sqrt(len(g)) for g in groups])``.

    * not differentiable where a group is 0: ``grad`` raises, use ``prox``;
    * prox: θ_g ← max(0, 1 − ηλw_g/‖θ_g‖₂)·θ_g (:func:`group_soft_threshold`), which zeros
      whole groups;
    * ``dual_norm(z)`` = max_g ‖z_g‖₂ / w_g.
    """

    def __init__(
        self,
        lam: float,
        groups: Sequence[Any] | None = None,
        weights: Sequence[float] | np.ndarray | None = None,
    ) -> None:
        self.lam = nonneg(lam, "lam")
        self.grouping = None if groups is None else Groups(groups)
        self.groups = None if self.grouping is None else self.grouping.groups
        if weights is None:
            self.weights = None
        else:
            wts = finite_array(weights, "weights", ndim=1)
            if wts.size == 0 or np.any(wts <= 0):
                raise ValueError("weights must be positive numbers, one per group")
            if self.grouping is not None and wts.size != self.grouping.n_groups:
                raise ValueError(
                    f"weights has {wts.size} entries but there are "
                    f"{self.grouping.n_groups} groups"
                )
            self.weights = wts

    def __repr__(self) -> str:
        g = "rows" if self.groups is None else f"{len(self.groups)} groups"
        return f"GroupL21(lam={self.lam!r}, groups={g})"

    def with_lam(self, lam: float) -> GroupL21:
        new = object.__new__(GroupL21)
        new.lam = nonneg(lam, "lam")
        new.grouping, new.groups, new.weights = self.grouping, self.groups, self.weights
        return new

    def _weights_for(self, theta: Any, name: str = "theta") -> np.ndarray | float:
        check_group_input(theta, self.grouping, name)
        if self.weights is None:
            return 1.0
        n_groups = theta.shape[0] if self.grouping is None else self.grouping.n_groups
        if self.weights.size != n_groups:
            raise ValueError(
                f"weights has {self.weights.size} entries but {name} has {n_groups} rows "
                "(groups)"
            )
        return self.weights

    def unpenalized(self, p: int) -> np.ndarray:
        """Indices in ``range(p)`` that no group covers (they are not penalized)."""
        if self.grouping is None:
            return np.empty(0, dtype=np.intp)
        return self.grouping.free(p)

    def group_norms(self, theta: Any) -> np.ndarray:
        """‖θ_g‖₂ for each group (each row when ``groups=None``), as a numpy array."""
        a = _np(finite_tensor_or_array(theta, "theta"))
        check_group_input(a, self.grouping, "theta")
        return group_norms(a, self.grouping)

    def fast_value(self, theta: Any) -> Any:
        wts = self._weights_for(theta)
        if is_torch(theta):
            import torch

            sq = (theta * theta).reshape(theta.shape[0], math.prod(theta.shape[1:])).sum(dim=1)
            if self.grouping is not None:
                g = self.grouping
                gid = torch.as_tensor(g.gid, device=theta.device)
                sq = torch.zeros(g.n_groups, dtype=theta.dtype, device=theta.device).index_add(
                    0, gid, sq[torch.as_tensor(g.idx, device=theta.device)]
                )
            w = torch.as_tensor(wts, dtype=theta.dtype, device=theta.device)
            return self.lam * (w * torch.sqrt(sq)).sum()
        return self.lam * float(np.sum(wts * group_norms(_np(theta), self.grouping)))

    def prox_array(self, w: np.ndarray, step: float) -> np.ndarray:
        wts = self._weights_for(w, "w")
        return group_shrink(w, step * self.lam * wts, self.grouping)

    def prox_tensor(self, w: Any, step: float) -> Any:
        wts = self._weights_for(w, "w")
        return group_shrink_torch(w, step * self.lam * wts, self.grouping)

    def fast_dual_norm(self, z: np.ndarray) -> float:
        """max_g ‖z_g‖₂ / w_g."""
        a = z
        wts = self._weights_for(a, "z")
        norms = group_norms(a, self.grouping)
        return float(np.max(norms / wts)) if norms.size else 0.0

    # -- solver-facing
    def check_shape(self, shape: tuple[int, ...]) -> None:
        try:
            self._weights_for(np.zeros(shape))
        except ValueError as exc:
            raise ValueError(f"penalty does not fit θ of shape {shape}: {exc}") from None

    def units(self, shape: tuple[int, ...]) -> Units:
        p = shape[0]
        if self.grouping is None:
            if len(shape) != 2:
                raise ValueError(
                    "groups=None means the groups are the rows of θ (p×m), which needs a 2-D "
                    "Y; pass `groups` (a list of index arrays) for a 1-D y"
                )
            if self.weights is not None and self.weights.size != p:
                raise ValueError(
                    f"weights must have one entry per row of θ ({p}), got {self.weights.size}"
                )
            return Units("rows", p, self.weights)
        self.grouping.check_size(p)
        wts = np.ones(self.grouping.n_groups) if self.weights is None else self.weights
        return Units("groups", self.grouping.n_groups, wts, self.grouping.free(p), self.grouping)

    def restrict(self, units: Units, keep: np.ndarray) -> tuple[np.ndarray, Penalty]:
        wts = None if units.weights is None else units.weights[keep]
        if units.kind == "rows":
            return keep, GroupL21(self.lam, None, wts)
        grp = units.groups
        assert grp is not None
        parts = [units.free] + [grp.groups[u] for u in keep]
        idx = np.concatenate(parts) if parts else np.empty(0, np.intp)
        sub_groups, start = [], units.free.size
        for u in keep:
            size = grp.groups[u].size
            sub_groups.append(np.arange(start, start + size))
            start += size
        if not sub_groups:
            return idx, L1(0.0)  # only unpenalized coordinates
        return idx, GroupL21(self.lam, sub_groups, wts)

    def gap_terms(self, units: Units) -> tuple[float, float] | None:
        return (self.lam, 0.0) if self.lam > 0 and units.free.size == 0 else None


def __getattr__(name: str) -> Any:
    """``penalties.L2SP`` / ``penalties.EWC`` are the model-level penalties of
    :mod:`normcourse.model_penalties` (imported on first use: they need torch)."""
    if name in ("L2SP", "EWC"):
        from normcourse import model_penalties

        return getattr(model_penalties, name)
    raise AttributeError(f"module 'normcourse.penalties' has no attribute {name!r}")
