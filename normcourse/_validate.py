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


# ------------------------------------------------------------------------ scalars and counts


def real(value: Any, name: str) -> float:
    """``value`` as a finite float (ints, numpy and 0-d torch scalars too), else ``ValueError``."""
    if isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError, RuntimeError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return v


def in_interval(value: Any, name: str, lo: float, hi: float, *, lo_open: bool = False,
                hi_open: bool = False) -> float:
    """``value`` as a float in the interval from ``lo`` to ``hi`` (ends closed unless
    ``lo_open`` / ``hi_open``), else ``ValueError`` naming ``name`` and the interval."""
    v = real(value, name)
    below = v <= lo if lo_open else v < lo
    above = v >= hi if hi_open else v > hi
    if below or above:
        interval = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return v




def random_seed(value: Any, name: str = "seed") -> int:
    """A seed for ``numpy.random.default_rng`` / ``torch.manual_seed``: an integer ≥ 0."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValueError(f"{name} must be an integer ≥ 0, got {value!r}")
    return int(value)

# A plotted coordinate beyond this overflows matplotlib's transforms (log axes: 10**v).
DRAWABLE_LIMIT = 1e100


def drawable(value: Any, name: str, positive: bool = False) -> float:
    """A finite number that matplotlib can place on an axis (|v| ≤ 1e100; > 0 if
    ``positive``, e.g. on a log axis), else ``ValueError`` naming ``name``."""
    v = real(value, name)
    if positive and v <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    if abs(v) > DRAWABLE_LIMIT:
        raise ValueError(f"{name} must be at most {DRAWABLE_LIMIT:g} in size to be drawn, "
                         f"got {value!r}")
    return v


def nonempty(a: np.ndarray, name: str) -> np.ndarray:
    """``a`` if it holds at least one entry, else ``ValueError`` naming ``name``."""
    if a.size == 0:
        raise ValueError(f"{name} must hold at least one value, got shape {a.shape}")
    return a


# ------------------------------------------------------------------ array shapes and values




def array_shape(w: Any, name: str) -> tuple[int, ...]:
    """The shape of an array or tensor ``w``; ``ValueError`` naming ``name`` for anything else."""
    if is_torch(w) or isinstance(w, np.ndarray):
        return tuple(w.shape)
    arr = None
    if isinstance(w, list | tuple):
        try:
            arr = np.asarray(w)
        except ValueError:  # ragged nested lists
            arr = None
    if arr is None or arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be a numeric array or tensor, got {type(w).__name__}")
    return tuple(arr.shape)


def finite_value(v: float, name: str) -> float:
    """Return the penalty value ``v`` if finite, else ``ValueError`` blaming ``name``'s numbers."""
    if not math.isfinite(v):
        raise ValueError(
            f"{name} gives a non-finite penalty value ({v}): its parameters hold NaN or inf, "
            "or are so large that R(θ) overflows"
        )
    return v


# ---------------------------------------------------------- models, inputs, labels, callbacks


def torch_seed(value: Any, name: str = "seed") -> int:
    """A seed for ``torch.manual_seed``: the shared check :func:`random_seed` (an integer ≥ 0),
    and below 2**48, so that seeds derived from it (``seed * 1000 + t``) stay in torch's range."""
    s = random_seed(value, name)
    if s >= 2**48:
        raise ValueError(f"{name} must be an integer in [0, 2**48), got {value!r}")
    return s


def finite_model(model: Any, name: str = "model") -> Any:
    """``model`` if it is a ``torch.nn.Module`` whose parameters and buffers are all finite."""
    import torch

    torch_module(model, name)
    for kind, items in (("parameter", model.named_parameters()),
                        ("buffer", model.named_buffers())):
        for pname, p in items:
            if p.is_floating_point() and p.numel() and not bool(torch.isfinite(p).all()):
                raise ValueError(f"{name} has a NaN or inf in its {kind} {pname!r}")
    return model


def _first_layer(model: Any) -> Any:
    """The first leaf layer of a (nested) ``nn.Sequential`` (the model itself otherwise)."""
    from torch import nn

    layer = model
    while isinstance(layer, nn.Sequential) and len(layer) > 0:
        layer = layer[0]
    return layer


def model_input(model: Any, x: Any, name: str = "x") -> Any:
    """:func:`torch_input`, then checks that ``x`` fits ``model``: finite after the cast to the
    model's dtype, and, when the first layer is an ``nn.Linear``, of shape (n, in_features)."""
    import torch
    from torch import nn

    t = torch_input(model, x, name)
    if t.is_floating_point() and not bool(torch.isfinite(t).all()):
        raise ValueError(
            f"{name} has entries too large for the model's dtype {t.dtype} (they overflow to inf)"
        )
    first = _first_layer(model)
    if isinstance(first, nn.Linear) and (t.ndim != 2 or t.shape[1] != first.in_features):
        raise ValueError(
            f"{name} must have shape (n, {first.in_features}) to match the model's first layer "
            f"nn.Linear({first.in_features}, {first.out_features}), got {tuple(t.shape)}"
        )
    return t


def labels_below(y: Any, n_classes: int, name: str = "y") -> Any:
    """``y`` (integer labels, a tensor) if every label is in 0 … ``n_classes`` − 1."""
    if y.numel():
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= n_classes:
            bad = lo if lo < 0 else hi
            raise ValueError(
                f"{name} must hold class labels in 0 … {n_classes - 1} (the model has "
                f"{n_classes} outputs), got {bad}"
            )
    return y


def optional_callable(value: Any, name: str) -> Any:
    """``value`` if it is ``None`` or callable, else ``ValueError`` naming ``name``."""
    if value is not None and not callable(value):
        raise ValueError(f"{name} must be None or a callable, got {value!r}")
    return value


def finite_result(value: Any, what: str) -> Any:
    """``value`` (a tensor or number) if it is finite, else ``ValueError`` saying ``what``."""
    import torch

    t = value.detach() if is_torch(value) else torch.as_tensor(value)
    if t.is_floating_point() and t.numel() and not bool(torch.isfinite(t).all()):
        raise ValueError(what)
    return value


# ------------------------------------------------------------- data scale, grids and shapes

SCALE_LIMIT = 1e100


def moderate_scale(a: np.ndarray, name: str, limit: float = SCALE_LIMIT) -> np.ndarray:
    """``a`` unchanged if every |entry| ≤ ``limit`` (1e100), else ``ValueError``.

    Iterative solvers square the data (Gram matrices, ‖y‖², duality gaps); entries beyond
    1e100 put those within reach of overflow and make a relative tolerance unreachable.
    """
    if a.size:
        top = float(np.max(np.abs(a)))
        if top > limit:
            raise ValueError(
                f"{name} must have entries of magnitude ≤ {limit:g} (its squares must not "
                f"overflow), got max |{name}| = {top:.3g}; rescale {name}"
            )
    return a




def nonneg_int(value: Any, name: str) -> int:
    """``value`` if it is an integer ≥ 0 (not a bool), else ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValueError(f"{name} must be an integer ≥ 0, got {value!r}")
    return int(value)




def distinct_lam_grid(lams: Any, name: str = "lams", allow_zero: bool = False) -> np.ndarray:
    """The one rule for λ grids: a non-empty 1-D array of finite λ's > 0 (≥ 0 with
    ``allow_zero``) without duplicates, in any order (results follow the order given)."""
    grid = lam_grid(lams, name, allow_zero=allow_zero)
    if np.unique(grid).size != grid.size:
        vals, counts = np.unique(grid, return_counts=True)
        raise ValueError(f"{name} must not contain duplicates, got {vals[counts > 1][:3]} "
                         "more than once")
    return grid


def same_shape(a: np.ndarray, b: np.ndarray, aname: str, bname: str) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have exactly the same shape (no broadcasting)."""
    if a.shape != b.shape:
        raise ValueError(f"{aname} and {bname} must have the same shape, got {aname} "
                         f"{a.shape} and {bname} {b.shape}")


def safe_norm(v: np.ndarray) -> float:
    """‖v‖₂ without overflow or underflow in the squares (scaled by max |vᵢ|)."""
    top = float(np.max(np.abs(v))) if v.size else 0.0
    if top == 0.0 or not math.isfinite(top):
        return top
    return top * float(np.linalg.norm(v / top))
