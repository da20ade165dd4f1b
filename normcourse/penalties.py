r"""Norm penalties R(θ): value, gradient (smooth ones) and proximal operator.

Every penalty is a small object with

* ``value(theta)`` — the number R(θ);
* ``prox(w, step)`` — the proximal operator of ``step·R`` (step size η),

  .. math:: \operatorname{prox}_{\eta R}(w) = \arg\min_u \tfrac12\|u - w\|_2^2 + \eta R(u),

  in closed form, so that one proximal-gradient step is
  θ ← prox_{ηR}(θ − η∇f(θ));
* ``grad(theta)`` — ∇R(θ), only for smooth penalties (``smooth = True``); the
  non-smooth ones raise :class:`NotDifferentiableError` and point to ``prox``;
* ``dual_norm(z)`` — the dual of the norm that defines the penalty, which the solvers
  use to build a dual-feasible point and a duality gap.

``prox`` and ``grad`` accept numpy arrays and torch tensors and return the same kind
(torch: same dtype and device); torch is imported only when a tensor is passed.

The conventions follow the course (DESIGN.md): L2 is (λ/2)‖θ‖₂², the elastic net is
λ₁‖θ‖₁ + λ₂‖θ‖₂² and the group penalty is λ Σ_g w_g ‖θ_g‖₂.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from normcourse._validate import finite_array, finite_tensor_or_array, is_torch, nonneg

__all__ = [
    "EWC",
    "L1",
    "L2",
    "L2SP",
    "ElasticNet",
    "GroupL21",
    "NotDifferentiableError",
    "Penalty",
    "group_soft_threshold",
    "soft_threshold",
]


class NotDifferentiableError(NotImplementedError, ValueError):
    """Raised by ``grad`` of a non-smooth penalty: use its ``prox`` instead.

    It is both a ``NotImplementedError`` and a ``ValueError`` so either ``except`` works.
    """


# --------------------------------------------------------------------------- helpers


def _as_float_array(w: Any) -> np.ndarray:
    """``w`` as a floating numpy array (ints are promoted to float64)."""
    a = np.asarray(w)
    if a.dtype.kind != "f":
        a = a.astype(np.float64)
    return a


def _as_float_tensor(w: Any) -> Any:
    """A floating torch tensor (ints are promoted to torch's default dtype)."""
    import torch

    return w if w.is_floating_point() else w.to(torch.get_default_dtype())


def _check_tau(tau: Any, name: str = "tau") -> Any:
    """A threshold: a number ≥ 0, or an array/tensor of finite entries ≥ 0."""
    if np.ndim(tau) == 0 and not is_torch(tau):
        return nonneg(tau, name)
    arr = finite_array(tau, name)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be ≥ 0 everywhere, got a minimum of {arr.min()!r}")
    return tau


def _to_like(value: Any, ref: Any) -> Any:
    """Turn a float/array ``value`` into something that broadcasts with tensor ``ref``."""
    import torch

    if isinstance(value, float | int):
        return value
    return torch.as_tensor(value, dtype=ref.dtype, device=ref.device)


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
        return _soft_torch(_as_float_tensor(w), tau)
    return _soft_np(_as_float_array(w), np.asarray(tau, dtype=np.float64))


def _soft_torch(w: Any, tau: Any) -> Any:
    """Unchecked torch soft-thresholding; one fused kernel when τ is a scalar."""
    import torch

    if np.ndim(tau) == 0:
        # softshrink maps small negatives to -0.0; adding +0.0 turns them into 0.0
        return torch.nn.functional.softshrink(w, float(tau)) + 0.0
    t = _to_like(tau, w)
    return torch.sign(w) * torch.clamp(torch.abs(w) - t, min=0) + 0.0


def _soft_np(w: np.ndarray, tau: Any) -> np.ndarray:
    """Unchecked numpy soft-thresholding (used in the solvers' inner loops)."""
    return np.sign(w) * np.maximum(np.abs(w) - tau, 0.0) + 0.0


class _Groups:
    """Validated groups of indices along the first axis of θ.

    ``idx`` concatenates the groups, ``gid[k]`` is the group of ``idx[k]``.
    """

    def __init__(self, groups: Sequence[Any], name: str = "groups") -> None:
        if isinstance(groups, np.ndarray) and groups.dtype != object:
            raise ValueError(f"{name} must be a list of index arrays, one per group")
        try:
            groups = list(groups)
        except TypeError:
            raise ValueError(f"{name} must be a list of index arrays, one per group") from None
        if not groups:
            raise ValueError(f"{name} must contain at least one group")
        arrays = []
        for k, g in enumerate(groups):
            a = np.asarray(g)
            if a.ndim == 0:
                a = a.reshape(1)
            if a.ndim != 1 or a.size == 0:
                raise ValueError(f"{name}[{k}] must be a non-empty 1-D array of indices")
            if a.dtype.kind not in "iu":
                raise ValueError(f"{name}[{k}] must hold integer indices, got dtype {a.dtype}")
            if np.any(a < 0):
                raise ValueError(f"{name}[{k}] has a negative index; indices must be ≥ 0")
            arrays.append(a.astype(np.intp))
        self.groups = arrays
        self.idx = np.concatenate(arrays)
        self.gid = np.repeat(np.arange(len(arrays)), [a.size for a in arrays])
        if np.unique(self.idx).size != self.idx.size:
            raise ValueError(f"{name} overlap: every index may belong to at most one group")
        self.n_groups = len(arrays)
        self.max_index = int(self.idx.max())

    def check_size(self, p: int, name: str = "groups") -> None:
        """Raise ``ValueError`` if an index does not fit an axis of length ``p``."""
        if self.max_index >= p:
            raise ValueError(
                f"{name} has index {self.max_index}, out of range for {p} coefficients"
            )


def _group_norms_np(w: np.ndarray, grp: _Groups | None) -> np.ndarray:
    """‖w_g‖₂ per group (rows when ``grp`` is None)."""
    sq = (w * w).reshape(w.shape[0], -1).sum(axis=1)
    if grp is None:
        return np.sqrt(sq)
    return np.sqrt(np.bincount(grp.gid, weights=sq[grp.idx], minlength=grp.n_groups))


def _group_scale(norms: Any, tau: Any, xp: Any) -> Any:
    """max(0, 1 − τ/‖w_g‖), exactly 0 when ‖w_g‖ ≤ τ (and safe when ‖w_g‖ = 0)."""
    keep = norms > tau
    safe = xp.where(keep, norms, xp.ones_like(norms))
    return xp.where(keep, 1.0 - tau / safe, xp.zeros_like(norms))


def _group_soft_np(w: np.ndarray, tau: Any, grp: _Groups | None) -> np.ndarray:
    """Unchecked numpy group soft-thresholding along the first axis."""
    norms = _group_norms_np(w, grp)
    scale = _group_scale(norms, np.asarray(tau, dtype=np.float64), np)
    if grp is None:
        row_scale = scale
    else:
        row_scale = np.ones(w.shape[0])
        row_scale[grp.idx] = scale[grp.gid]
    return w * row_scale.reshape((-1,) + (1,) * (w.ndim - 1)) + 0.0


def _group_soft_torch(w: Any, tau: Any, grp: _Groups | None) -> Any:
    import torch

    sq = (w * w).reshape(w.shape[0], -1).sum(dim=1)
    if grp is None:
        norms = torch.sqrt(sq)
    else:
        gid = torch.as_tensor(grp.gid, device=w.device)
        idx = torch.as_tensor(grp.idx, device=w.device)
        gsq = torch.zeros(grp.n_groups, dtype=w.dtype, device=w.device)
        norms = torch.sqrt(gsq.index_add(0, gid, sq[idx]))
    t = _to_like(tau, w)
    if not isinstance(t, torch.Tensor):
        t = torch.tensor(t, dtype=w.dtype, device=w.device)
    scale = _group_scale(norms, t, torch)
    if grp is None:
        row_scale = scale
    else:
        row_scale = torch.ones(w.shape[0], dtype=w.dtype, device=w.device)
        row_scale[idx] = scale[gid]
    return w * row_scale.reshape((-1,) + (1,) * (w.ndim - 1)) + 0.0


def _check_group_input(w: Any, grp: _Groups | None) -> None:
    """``w`` must be 2-D for row groups; group indices must fit ``w``'s first axis."""
    shape = tuple(w.shape)
    if grp is None:
        if len(shape) != 2:
            raise ValueError(
                "w must be 2-D when groups=None (the groups are the rows of a weight "
                f"matrix W), got shape {shape}; pass `groups` to group a 1-D vector"
            )
    else:
        if len(shape) == 0:
            raise ValueError("w must be at least 1-D to be split into groups")
        grp.check_size(shape[0])


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
    grp = None if groups is None else _Groups(groups)
    _check_group_input(w, grp)
    n_groups = w.shape[0] if grp is None else grp.n_groups
    if np.ndim(tau) > 1 or (np.ndim(tau) == 1 and len(tau) not in (1, n_groups)):
        raise ValueError(f"tau must be a number or have one entry per group ({n_groups})")
    if is_torch(w):
        return _group_soft_torch(_as_float_tensor(w), tau, grp)
    return _group_soft_np(_as_float_array(w), tau, grp)


def _sum(x: Any) -> float:
    return float(x.sum())


# --------------------------------------------------------------------------- classes


class Penalty:
    """Base class: a penalty R(θ) with ``value``, ``prox`` and (if smooth) ``grad``.

    Subclasses implement ``_value`` and ``_prox_np``/``_prox_torch`` on checked input;
    the public methods validate the arguments (NaN/inf in θ, a negative step) first.
    """

    smooth: bool = False

    def value(self, theta: Any) -> float:
        """R(θ) as a Python float."""
        theta = finite_tensor_or_array(theta, "theta")
        return float(self._value(theta if is_torch(theta) else _as_float_array(theta)))

    def __call__(self, theta: Any) -> float:
        """R(θ), same as :meth:`value`."""
        return self.value(theta)

    def prox(self, w: Any, step: float) -> Any:
        """prox_{ηR}(w) = argmin_u ½‖u − w‖₂² + η R(u), with η = ``step`` ≥ 0."""
        w = finite_tensor_or_array(w, "w")
        step = nonneg(step, "step")
        if is_torch(w):
            return self._prox_torch(_as_float_tensor(w), step)
        return self._prox_np(_as_float_array(w), step)

    def grad(self, theta: Any) -> Any:
        """∇R(θ); non-smooth penalties raise :class:`NotDifferentiableError`."""
        raise NotDifferentiableError(
            f"{type(self).__name__} is not differentiable (it has a kink where coefficients "
            "are 0): use prox(w, step) — proximal gradient — instead of grad"
        )

    def dual_norm(self, z: Any) -> float:
        """The dual of the norm that defines the penalty, evaluated at ``z``."""
        raise NotImplementedError

    # subclasses override
    def _value(self, theta: Any) -> Any:
        raise NotImplementedError

    def _prox_np(self, w: np.ndarray, step: float) -> np.ndarray:
        raise NotImplementedError

    def _prox_torch(self, w: Any, step: float) -> Any:
        raise NotImplementedError


def _np(z: Any) -> np.ndarray:
    """A numpy float view of an array or tensor (for the float-valued dual norms)."""
    if is_torch(z):
        z = z.detach().cpu().numpy()
    return np.asarray(z, dtype=np.float64)


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

    def _value(self, theta: Any) -> Any:
        return 0.5 * self.lam * _sum(theta * theta)

    def grad(self, theta: Any) -> Any:
        """∇R(θ) = λθ (same kind as θ)."""
        theta = finite_tensor_or_array(theta, "theta")
        if is_torch(theta):
            return self.lam * _as_float_tensor(theta)
        return self.lam * _as_float_array(theta)

    def _prox_np(self, w: np.ndarray, step: float) -> np.ndarray:
        return w / (1.0 + step * self.lam)

    def _prox_torch(self, w: Any, step: float) -> Any:
        return w / (1.0 + step * self.lam)

    def dual_norm(self, z: Any) -> float:
        """‖z‖₂."""
        return float(np.linalg.norm(_np(z).ravel()))


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

    def _value(self, theta: Any) -> Any:
        return self.lam * _sum(abs(theta))

    def _prox_np(self, w: np.ndarray, step: float) -> np.ndarray:
        return _soft_np(w, step * self.lam)

    def _prox_torch(self, w: Any, step: float) -> Any:
        return _soft_torch(w, step * self.lam)

    def dual_norm(self, z: Any) -> float:
        """‖z‖_∞ = max_j |z_j|."""
        a = _np(z)
        return float(np.max(np.abs(a))) if a.size else 0.0


class ElasticNet(Penalty):
    r"""Elastic net (Zou & Hastie, 2005): R(θ) = λ₁‖θ‖₁ + λ₂‖θ‖₂².

    * not differentiable where θ_j = 0: ``grad`` raises, use ``prox``;
    * prox: prox_{ηR}(w) = S_{ηλ₁}(w) / (1 + 2ηλ₂) — soft-threshold, then shrink;
    * ``dual_norm(z)`` = ‖z‖_∞, the dual of the ℓ1 part (the solvers fold the λ₂ part
      into the data term when they compute a duality gap).

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

    def _value(self, theta: Any) -> Any:
        return self.lam1 * _sum(abs(theta)) + self.lam2 * _sum(theta * theta)

    def _prox_np(self, w: np.ndarray, step: float) -> np.ndarray:
        return _soft_np(w, step * self.lam1) / (1.0 + 2.0 * step * self.lam2)

    def _prox_torch(self, w: Any, step: float) -> Any:
        return _soft_torch(w, step * self.lam1) / (1.0 + 2.0 * step * self.lam2)

    def dual_norm(self, z: Any) -> float:
        """‖z‖_∞ (dual of the ℓ1 part)."""
        a = _np(z)
        return float(np.max(np.abs(a))) if a.size else 0.0


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
        self._grp = None if groups is None else _Groups(groups)
        self.groups = None if self._grp is None else self._grp.groups
        if weights is None:
            self.weights = None
        else:
            wts = finite_array(weights, "weights", ndim=1)
            if wts.size == 0 or np.any(wts <= 0):
                raise ValueError("weights must be positive numbers, one per group")
            if self._grp is not None and wts.size != self._grp.n_groups:
                raise ValueError(
                    f"weights has {wts.size} entries but there are {self._grp.n_groups} groups"
                )
            self.weights = wts

    def __repr__(self) -> str:
        g = "rows" if self.groups is None else f"{len(self.groups)} groups"
        return f"GroupL21(lam={self.lam!r}, groups={g})"

    def _weights_for(self, theta: Any) -> np.ndarray | float:
        _check_group_input(theta, self._grp)
        if self.weights is None:
            return 1.0
        n_groups = theta.shape[0] if self._grp is None else self._grp.n_groups
        if self.weights.size != n_groups:
            raise ValueError(
                f"weights has {self.weights.size} entries but w has {n_groups} rows (groups)"
            )
        return self.weights

    def unpenalized(self, p: int) -> np.ndarray:
        """Indices in ``range(p)`` that no group covers (they are not penalized)."""
        if self._grp is None:
            return np.empty(0, dtype=np.intp)
        mask = np.ones(p, dtype=bool)
        mask[self._grp.idx[self._grp.idx < p]] = False
        return np.flatnonzero(mask)

    def group_norms(self, theta: Any) -> np.ndarray:
        """‖θ_g‖₂ for each group (each row when ``groups=None``), as a numpy array."""
        a = _np(finite_tensor_or_array(theta, "theta"))
        _check_group_input(a, self._grp)
        return _group_norms_np(a, self._grp)

    def _value(self, theta: Any) -> Any:
        wts = self._weights_for(theta)
        return self.lam * float(np.sum(wts * _group_norms_np(_np(theta), self._grp)))

    def _prox_np(self, w: np.ndarray, step: float) -> np.ndarray:
        wts = self._weights_for(w)
        return _group_soft_np(w, step * self.lam * wts, self._grp)

    def _prox_torch(self, w: Any, step: float) -> Any:
        wts = self._weights_for(w)
        return _group_soft_torch(w, step * self.lam * wts, self._grp)

    def dual_norm(self, z: Any) -> float:
        """max_g ‖z_g‖₂ / w_g."""
        a = _np(z)
        wts = self._weights_for(a)
        norms = _group_norms_np(a, self._grp)
        return float(np.max(norms / wts)) if norms.size else 0.0


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
        return _as_float_tensor(a.detach()).clone()
    return np.array(a, dtype=np.float64)


class _AnchoredQuadratic:
    r"""R(θ) = (λ/2) Σ_i ω_i (θ_i − θ⁰_i)², the common form of :class:`L2SP` (ω = 1) and
    :class:`EWC` (ω = the Fisher diagonal F)."""

    smooth = True

    def __init__(self, lam: float, anchor: Any, weights: Any = None) -> None:
        self.lam = nonneg(lam, "lam")
        items, self._single = _as_list(anchor, "anchor")
        self.anchor = [_frozen_copy(a, f"anchor[{k}]") for k, a in enumerate(items)]
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
            import torch

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

    def _params(self, params: Any) -> tuple[list[Any], bool, bool]:
        items, single = _as_list(params, "params")
        if len(items) != len(self.anchor):
            raise ValueError(
                f"params has {len(items)} arrays but the anchor has {len(self.anchor)}"
            )
        kinds = {is_torch(p) for p in items}
        if len(kinds) > 1:
            raise ValueError("params must be all torch tensors or all numpy arrays, not a mix")
        out = []
        for k, (p, a) in enumerate(zip(items, self.anchor, strict=True)):
            if tuple(p.shape) != tuple(a.shape):
                raise ValueError(
                    f"params[{k}] has shape {tuple(p.shape)}, but anchor[{k}] has shape "
                    f"{tuple(a.shape)}"
                )
            if is_torch(p):
                out.append(_as_float_tensor(p))
            else:
                out.append(_as_float_array(finite_array(p, f"params[{k}]")))
        return out, single, kinds == {True}

    # -- public API --------------------------------------------------------------------
    def value(self, params: Any) -> Any:
        """R(θ). A torch scalar (differentiable) for tensors or a model; a float for arrays."""
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

    def __call__(self, params: Any) -> Any:
        """Same as :meth:`value` — so the object can be passed as ``penalty(model)``."""
        return self.value(params)

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
        items, single, _ = self._params(w)
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
    * ``value(params)`` — ``params`` in the same structure (a model, a list, one array):
      a differentiable torch scalar for tensors/models (``loss = data_loss + penalty(model)``
      in any torch loop), a float for numpy arrays;
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
    * ``value``, ``grad`` = λ F ⊙ (θ − θ*), ``prox`` = (w + ηλF ⊙ θ*)/(1 + ηλF): as in
      :class:`L2SP`.

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
