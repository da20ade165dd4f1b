"""Input checks shared by every public function: one place that says what a bad input is.

Each helper raises ``ValueError`` naming the argument and what was expected, so a
student who passes a NaN, a negative λ or a mismatched shape gets told, not a silent
wrong answer.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def is_torch(x: Any) -> bool:
    """True when ``x`` is a ``torch.Tensor`` (without importing torch if it is not loaded)."""
    mod = type(x).__module__
    return mod.startswith("torch") and hasattr(x, "detach")


def nonneg(value: float, name: str) -> float:
    """Return ``value`` as float if it is finite and ≥ 0, else raise ``ValueError``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number ≥ 0, got {value!r}") from None
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number ≥ 0, got {value!r}")
    return v


def positive(value: float, name: str) -> float:
    """Return ``value`` as float if it is finite and > 0, else raise ``ValueError``."""
    v = nonneg(value, name)
    if v == 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return v


def positive_int(value: int, name: str) -> int:
    """Return ``value`` if it is an integer ≥ 1, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be an integer ≥ 1, got {value!r}")
    return int(value)


def finite_array(x: Any, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Convert ``x`` to a float64 array; reject NaN/inf and (optionally) the wrong ``ndim``."""
    if is_torch(x):
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a numeric array, got {type(x).__name__}") from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want}, got shape {arr.shape}")
    if arr.size and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    return arr


def finite_tensor_or_array(w: Any, name: str) -> Any:
    """Check that an array or tensor ``w`` is finite; return it unchanged."""
    if is_torch(w):
        import torch

        if not bool(torch.isfinite(w).all()):
            raise ValueError(f"{name} contains NaN or inf")
        return w
    arr = np.asarray(w)
    if arr.dtype.kind not in "fiu":
        raise ValueError(f"{name} must be a numeric array or tensor, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    return w


def same_rows(X: np.ndarray, y: np.ndarray, xname: str = "X", yname: str = "y") -> None:
    """Raise ``ValueError`` unless ``X`` and ``y`` have the same number of rows (samples)."""
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"{xname} and {yname} must have the same number of samples: "
            f"{xname} has {X.shape[0]} rows, {yname} has {y.shape[0]}"
        )
    if X.shape[0] == 0:
        raise ValueError(f"{xname} must have at least one sample")
