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


def float_array(w: Any) -> np.ndarray:
    """``w`` as a floating numpy array (ints are promoted to float64); no copy if already."""
    a = np.asarray(w)
    if a.dtype.kind != "f":
        a = a.astype(np.float64)
    return a


def float_tensor(w: Any) -> Any:
    """A floating torch tensor (ints are promoted to torch's default dtype)."""
    import torch

    return w if w.is_floating_point() else w.to(torch.get_default_dtype())


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


def data(
    X: Any,
    y: Any,
    xname: str = "X",
    yname: str = "y",
    y_ndim: int | tuple[int, ...] = (1, 2),
    min_features: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """A finite 2-D design ``X`` and finite targets ``y`` with as many rows (float64)."""
    Xa = finite_array(X, xname, ndim=2)
    ya = finite_array(y, yname, ndim=y_ndim)
    same_rows(Xa, ya, xname, yname)
    if Xa.shape[1] < min_features:
        raise ValueError(f"{xname} must have at least {min_features} column(s), got {Xa.shape[1]}")
    return Xa, ya


def pm1_labels(y: np.ndarray, name: str = "y") -> np.ndarray:
    """Raise ``ValueError`` unless ``y`` is 1-D with every label in {−1, +1}."""
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D labels in {{-1, +1}}, got shape {y.shape}")
    bad = (y != 1.0) & (y != -1.0)
    if bad.any():
        raise ValueError(f"{name} must hold labels in {{-1, +1}}, got {np.unique(y[bad])[:5]}")
    return y


def lam_grid(lams: Any, name: str = "lams", allow_zero: bool = False) -> np.ndarray:
    """A non-empty 1-D grid of finite λ's, each > 0 (≥ 0 with ``allow_zero``)."""
    arr = finite_array(lams, name, ndim=1)
    low = arr < 0 if allow_zero else arr <= 0
    if arr.size == 0 or np.any(low):
        sign = "≥ 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a non-empty 1-D array of numbers {sign}")
    return arr


def choice(value: Any, options: tuple[str, ...], name: str) -> str:
    """``value`` if it is one of the strings ``options``, else ``ValueError``."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def flag(value: Any, name: str) -> bool:
    """``value`` if it is a bool (numpy bools too), else ``ValueError`` — "False" is truthy."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise ValueError(f"{name} must be True or False, got {value!r}")


# --------------------------------------------------------------------------- torch models and data
# torch is imported inside each function: this module must stay importable without it.


def torch_module(obj: Any, name: str = "model") -> Any:
    """Return ``obj`` if it is a ``torch.nn.Module``, else raise ``ValueError`` naming ``name``."""
    from torch import nn

    if not isinstance(obj, nn.Module):
        raise ValueError(f"{name} must be a torch.nn.Module, got {type(obj).__name__}")
    return obj


def integer_seed(value: Any, name: str = "seed") -> int:
    """Return a random seed as ``int``: an integer (not a bool), else ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    return int(value)


def torch_input(model: Any, x: Any, name: str = "x") -> Any:
    """A finite batch (n, features…), n ≥ 1, as a detached tensor in ``model``'s dtype and device.

    ``x`` is a tensor or an array; the dtype and device are those of the model's first
    parameter (torch's default dtype for a model without parameters).
    """
    import torch

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


def class_labels(y: Any, n: int, device: Any, name: str = "y") -> Any:
    """Integer class labels of shape (n,) as a ``torch.long`` tensor on ``device``.

    Floating, complex and boolean labels are rejected, as is a shape other than (n,).
    """
    import torch

    if is_torch(y):
        t = y.detach()
    else:
        arr = np.asarray(y)
        if arr.dtype.kind not in "iu":
            raise ValueError(f"{name} must hold integer class labels, got dtype {arr.dtype}")
        t = torch.as_tensor(arr)
    if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
        raise ValueError(f"{name} must hold integer class labels, got dtype {t.dtype}")
    if t.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},) to match x, got {tuple(t.shape)}")
    return t.to(dtype=torch.long, device=device)
