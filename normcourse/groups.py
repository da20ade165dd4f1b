r"""Groups of coefficients: validated index sets and the group norms ‖θ_g‖₂.

A *grouping* of θ's first axis is either the rows of a matrix W (``None``: every row is
a group) or a list of disjoint, non-empty index arrays ``[idx_0, idx_1, …]`` (:class:`Groups`);
indices in no group are left alone (not penalized). The functions here are the unchecked
kernels the group penalty, the solvers' screening and the selection helpers share:

* :func:`group_norms` — ‖θ_g‖₂ per group;
* :func:`group_shrink` — θ_g ← max(0, 1 − τ_g/‖θ_g‖₂)·θ_g, the proximal operator of
  Σ_g τ_g‖θ_g‖₂ (numpy), and :func:`group_shrink_torch` (torch).

Two checked helpers connect the matrix view and the vector view of the groups:

* :func:`row_groups` — the rows of a d × m matrix W as index groups of θ = vec(W), for the
  functions that take a 1-D θ and a list of groups (``selection.group_support``);
* :func:`layer_input_norms` — ‖W_{:,j}‖₂ for every input j of a torch-layout layer weight
  (outputs × inputs): input j is switched off exactly when its column is zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from normcourse._validate import array_shape, finite_array, nonempty, positive_int

__all__ = [
    "Groups",
    "check_group_input",
    "group_norms",
    "group_shrink",
    "group_shrink_torch",
    "layer_input_norms",
    "row_groups",
]


class Groups:
    """Disjoint, non-empty groups of indices along the first axis of θ (validated).

    ``idx`` concatenates the groups, ``gid[k]`` is the group of ``idx[k]``; a bad grouping
    (empty, overlapping, negative or non-integer indices) raises ``ValueError`` naming
    ``name``.
    """

    def __init__(self, groups: Sequence[Any], name: str = "groups") -> None:
        if isinstance(groups, Groups):
            groups = groups.groups
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

    def free(self, p: int) -> np.ndarray:
        """Indices in ``range(p)`` that no group covers."""
        mask = np.ones(p, dtype=bool)
        mask[self.idx[self.idx < p]] = False
        return np.flatnonzero(mask)

    def scatter(self, per_group: np.ndarray, p: int, fill: float) -> np.ndarray:
        """Per-row values: ``per_group[g]`` on the rows of group g, ``fill`` elsewhere."""
        out = np.full(p, fill, dtype=np.float64)
        out[self.idx] = per_group[self.gid]
        return out


def check_group_input(w: Any, grp: Groups | None, name: str = "w") -> None:
    """``w`` must be 2-D for row groups; group indices must fit ``w``'s first axis.

    Only the shape is checked (``ValueError`` naming ``name``); the values are not.
    """
    shape = array_shape(w, name)
    if grp is not None and not isinstance(grp, Groups):
        raise ValueError(f"grp must be a Groups instance or None, got {type(grp).__name__}")
    if grp is None:
        if len(shape) != 2:
            raise ValueError(
                f"{name} must be 2-D when groups=None (the groups are the rows of a weight "
                f"matrix W), got shape {shape}; pass `groups` to group a 1-D vector"
            )
    else:
        if len(shape) == 0:
            raise ValueError(f"{name} must be at least 1-D to be split into groups")
        if grp.max_index >= shape[0]:
            raise ValueError(
                f"groups has index {grp.max_index}, out of range for {name}, which has "
                f"{shape[0]} entries along its first axis"
            )


def group_norms(w: np.ndarray, grp: Groups | None) -> np.ndarray:
    """‖w_g‖₂ per group (per row when ``grp`` is None); unchecked numpy kernel.

    Nothing is validated (a float array that :func:`check_group_input` accepted is
    expected): the checked entries are ``GroupL21.group_norms`` and
    :func:`~normcourse.penalties.group_soft_threshold`.
    """
    sq = (w * w).reshape(w.shape[0], math.prod(w.shape[1:])).sum(axis=1)
    if grp is None:
        return np.sqrt(sq)
    return np.sqrt(np.bincount(grp.gid, weights=sq[grp.idx], minlength=grp.n_groups))


def _scale(norms: Any, tau: Any, xp: Any) -> Any:
    """max(0, 1 − τ/‖w_g‖), exactly 0 when ‖w_g‖ ≤ τ (and safe when ‖w_g‖ = 0)."""
    keep = norms > tau
    safe = xp.where(keep, norms, xp.ones_like(norms))
    return xp.where(keep, 1.0 - tau / safe, xp.zeros_like(norms))


def group_shrink(w: np.ndarray, tau: Any, grp: Groups | None) -> np.ndarray:
    r"""w_g ← max(0, 1 − τ_g/‖w_g‖₂)·w_g along the first axis (unchecked numpy kernel).

    Nothing is validated (finite float ``w``, τ ≥ 0 expected); the checked entry is
    :func:`~normcourse.penalties.group_soft_threshold`.
    """
    scale = _scale(group_norms(w, grp), np.asarray(tau, dtype=np.float64), np)
    row_scale = scale if grp is None else grp.scatter(scale, w.shape[0], 1.0)
    return w * row_scale.reshape((-1,) + (1,) * (w.ndim - 1)) + 0.0


def group_shrink_torch(w: Any, tau: Any, grp: Groups | None) -> Any:
    r"""The torch version of :func:`group_shrink` (same dtype and device as ``w``); unchecked."""
    import torch

    sq = (w * w).reshape(w.shape[0], math.prod(w.shape[1:])).sum(dim=1)
    if grp is None:
        norms = torch.sqrt(sq)
    else:
        gid = torch.as_tensor(grp.gid, device=w.device)
        idx = torch.as_tensor(grp.idx, device=w.device)
        gsq = torch.zeros(grp.n_groups, dtype=w.dtype, device=w.device)
        norms = torch.sqrt(gsq.index_add(0, gid, sq[idx]))
    t = torch.as_tensor(tau, dtype=w.dtype, device=w.device)
    scale = _scale(norms, t, torch)
    if grp is None:
        row_scale = scale
    else:
        row_scale = torch.ones(w.shape[0], dtype=w.dtype, device=w.device)
        row_scale[idx] = scale[gid]
    return w * row_scale.reshape((-1,) + (1,) * (w.ndim - 1)) + 0.0


# ------------------------------------------------------------- matrix rows and layer inputs


def row_groups(shape: Sequence[int]) -> list[np.ndarray]:
    r"""The rows of a d × m matrix W as index groups of its flattening θ = W.ravel().

    In C order, entry W_{i,k} is θ_{i·m + k}, so row i is the group

        g_i = {i·m, i·m + 1, …, i·m + m − 1},   ‖θ_{g_i}‖₂ = ‖W_{i,:}‖₂ .

    Functions that take a 1-D θ and a list of groups then see the rows of W, e.g.
    ``selection.group_support(W.ravel(), row_groups(W.shape))`` marks the inputs (rows) that
    W still uses. ``shape`` must be a pair (d, m) of integers ≥ 1 (``ValueError`` otherwise).
    """
    if isinstance(shape, str | bytes) or not hasattr(shape, "__len__") or len(shape) != 2:
        raise ValueError(f"shape must be a pair (d, m) of a matrix's rows and columns, "
                         f"got {shape!r}")
    d = positive_int(shape[0], "shape[0]")
    m = positive_int(shape[1], "shape[1]")
    return [np.arange(i * m, (i + 1) * m) for i in range(d)]


def layer_input_norms(weight: Any) -> np.ndarray:
    r"""‖W_{:,j}‖₂ for every input j of a layer weight W of shape (outputs × inputs).

    ``torch.nn.Linear`` stores its weight as (out_features × in_features), so column j holds
    every weight that reads input j; the layer ignores input j exactly when
    ‖W_{:,j}‖₂ = 0. For a weight W in the book's (inputs × outputs) layout pass Wᵀ.
    Accepts a torch tensor (detached, copied to numpy) or an array; returns a float64
    array of length ``in_features``. ``ValueError`` naming ``weight`` unless it is a finite,
    non-empty 2-D array.
    """
    W = nonempty(finite_array(weight, "weight", ndim=2), "weight")
    scale = np.max(np.abs(W), axis=0)  # per column, so that huge entries do not overflow
    safe = np.where(scale > 0, scale, 1.0)
    return scale * np.sqrt(np.sum((W / safe) ** 2, axis=0))
