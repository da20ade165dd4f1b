r"""Gradient descent on least squares over training time, and early stopping as ridge.

Setting (the course's conventions): J(θ) = (1/2n)‖y − Xθ‖² + (λ/2)‖θ‖², minimised by
gradient descent from θ₀ = 0 with step size η,

.. math:: θ_{t+1} = θ_t - η\bigl(-\tfrac1n X^\top(y - Xθ_t) + λθ_t\bigr) .

With the thin SVD X = Σᵢ sᵢ uᵢ vᵢᵀ, cᵢ = uᵢᵀy and dᵢ = sᵢ²/n, the coordinate
aᵢ = vᵢᵀθ obeys the scalar recursion a ← (1 − η(dᵢ + λ)) a + η sᵢcᵢ/n, so after t steps

.. math:: θ_t = \sum_i φ_i(t)\,\frac{c_i}{s_i}\,v_i , \qquad
          φ_i(t) = \frac{d_i}{d_i + λ}\Bigl(1 - \bigl(1 - η(d_i + λ)\bigr)^t\Bigr) :

the least-squares coefficient along vᵢ multiplied by a *spectral filter*
(:func:`gd_filter`). Without weight decay (λ = 0) it is 1 − (1 − η dᵢ)^t, to be compared
with ridge's dᵢ/(dᵢ + λ) (:func:`normcourse.constrained.shrinkage_factors`); both are
functions of one variable, x = η t dᵢ for GD (1 − e^{−x} when η dᵢ is small) and dᵢ/λ for
ridge (x/(1 + x)), so stopping after t steps acts like ridge with λ ≈ 1/(η t)
(Yao, Rosasco and Caponnetto, 2007). :func:`gd_curves` evaluates the training and
validation error of every iterate from this closed form, exactly as the loop would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from normcourse._validate import (
    data,
    finite_array,
    moderate_scale,
    nonneg,
    positive,
    positive_int,
    same_rows,
)

__all__ = ["TrainingCurve", "gd_curves", "gd_filter", "gd_iterates"]

_CHUNK = 2048  # iterates evaluated at a time (bounds memory for long runs)


def _svd(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thin SVD with singular values below σ₁·max(n, p)·eps dropped (GD never moves there)."""
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    keep = s > (s[0] if s.size else 0.0) * max(X.shape) * np.finfo(float).eps
    return U[:, keep], s[keep], Vt[keep]


def _check_lr(lr: float, d_max: float, lam: float) -> float:
    lr = positive(lr, "lr")
    limit = 2.0 / (d_max + lam) if d_max + lam > 0 else math.inf
    if lr >= limit:
        raise ValueError(f"lr must be < 2/(s₁²/n + lam) = {limit:.4g} for gradient descent "
                         f"to converge (lam = {lam:g}), got {lr!r}")
    return lr


def _steps(steps: Any) -> np.ndarray:
    """One step count t ≥ 0 (0-D) or a 1-D array of them (integers)."""
    if isinstance(steps, str | bytes | bool):
        raise ValueError(f"steps must be integers ≥ 0, got {steps!r}")
    arr = finite_array(steps, "steps", ndim=(0, 1))
    if arr.size == 0 or np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise ValueError(f"steps must be integers ≥ 0 (one or a non-empty 1-D array), "
                         f"got {steps!r}")
    if np.any(arr > 1e12):
        raise ValueError("steps must be ≤ 1e12")
    return arr.astype(np.int64)


def _partial_sums(q: np.ndarray, t: np.ndarray, lr: float) -> np.ndarray:
    """η Σ_{k<t} q^k = η(1 − q^t)/(1 − q) for each (t, i), η·t where q = 1; shape (T, r)."""
    T = t[:, None].astype(float)
    one_minus = 1.0 - q
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pos = q > 0
        # 1 − q^t without cancellation when q is close to 1: −expm1(t log q)
        qt_comp = np.where(pos, -np.expm1(T * np.log(np.where(pos, q, 1.0))),
                           1.0 - np.power(q, T))
        out = np.where(one_minus != 0, lr * qt_comp / np.where(one_minus != 0, one_minus, 1.0),
                       lr * T)
    return out


def gd_filter(X: Any, lr: float, steps: Any, lam: float = 0.0) -> np.ndarray:
    r"""Spectral filter φᵢ(t) of t gradient-descent steps from θ₀ = 0.

    .. math:: φ_i(t) = \frac{d_i}{d_i + λ}\Bigl(1 - \bigl(1 - η(d_i + λ)\bigr)^t\Bigr),
              \qquad d_i = s_i^2/n ,

    for J(θ) = (1/2n)‖y − Xθ‖² + (λ/2)‖θ‖² (λ = 0: plain least squares, φᵢ(t) =
    1 − (1 − η sᵢ²/n)^t). θ_t = Σᵢ φᵢ(t)(cᵢ/sᵢ)vᵢ; φᵢ → dᵢ/(dᵢ + λ), ridge's shrinkage
    factor, as t → ∞. Columns follow the r nonzero singular values in decreasing order
    (those of :func:`normcourse.constrained.singular_values`). Returns shape (len(steps), r),
    or (r,) for one step count.

    Parameters
    ----------
    X : array (n, p)
    lr : float
        Step size η, 0 < η < 2/(s₁²/n + λ) (otherwise GD diverges: ``ValueError``).
    steps : int or 1-D array of int ≥ 0
    lam : float
        Weight decay λ ≥ 0.
    """
    Xa = finite_array(X, "X", ndim=2)
    if Xa.shape[0] == 0 or Xa.shape[1] == 0:
        raise ValueError(f"X must have at least one row and one column, got shape {Xa.shape}")
    moderate_scale(Xa, "X")
    lam = nonneg(lam, "lam")
    t = _steps(steps)
    s = _svd(Xa)[1]
    d = s * s / Xa.shape[0]
    lr = _check_lr(lr, float(d[0]) if d.size else 0.0, lam)
    q = 1.0 - lr * (d + lam)
    phi = _partial_sums(q, np.atleast_1d(t), lr) * d  # η Σ q^k · dᵢ = dᵢ/(dᵢ+λ)(1 − q^t)
    return phi[0] if t.ndim == 0 else phi


def _gd_setup(Xa: np.ndarray, ya: np.ndarray, lam: float, lr: float
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(Vᵀ, q, w, η) with vᵢᵀθ_t = η Σ_{j<t} qᵢʲ · wᵢ, qᵢ = 1 − η(dᵢ + λ), wᵢ = sᵢcᵢ/n."""
    U, s, Vt = _svd(Xa)
    n = Xa.shape[0]
    d = s * s / n
    lr = _check_lr(lr, float(d[0]) if d.size else 0.0, lam)
    return Vt, 1.0 - lr * (d + lam), s * (U.T @ ya) / n, lr


def gd_iterates(X: Any, y: Any, lr: float, steps: Any, lam: float = 0.0) -> np.ndarray:
    r"""The gradient-descent iterates θ_t (from θ₀ = 0) for every t in ``steps``.

    θ_{t+1} = θ_t − η(−Xᵀ(y − Xθ_t)/n + λθ_t), evaluated in closed form through
    :func:`gd_filter`: θ_t = Σᵢ φᵢ(t)(cᵢ/sᵢ)vᵢ. Shape (len(steps), p), or (p,) for one t.
    """
    Xa, ya = data(X, y, y_ndim=1, min_features=1)
    moderate_scale(Xa, "X")
    moderate_scale(ya, "y")
    lam = nonneg(lam, "lam")
    t = _steps(steps)
    Vt, q, w, lr = _gd_setup(Xa, ya, lam, lr)
    theta = (_partial_sums(q, np.atleast_1d(t), lr) * w) @ Vt
    return theta[0] if t.ndim == 0 else theta


@dataclass(frozen=True)
class TrainingCurve:
    """Training and validation error of gradient descent after each step, from :func:`gd_curves`.

    Attributes
    ----------
    steps : ndarray of int
        1, 2, …, T.
    train_loss, val_loss : ndarray
        Mean squared errors (1/n)Σ(yᵢ − xᵢᵀθ_t)² on the training and validation sets (the
        data term only, as in :func:`normcourse.diagnostics.lambda_sweep`).
    theta : ndarray (p,)
        The last iterate θ_T.
    lam, lr : float
        The weight decay λ and step size η used.
    """

    steps: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    theta: np.ndarray
    lam: float
    lr: float

    @property
    def best_step(self) -> int:
        """The step with the smallest validation error (the early-stopping time)."""
        return int(self.steps[int(np.argmin(self.val_loss))])


def gd_curves(X_train: Any, y_train: Any, X_val: Any, y_val: Any, lam: float, lr: float,
              steps: int) -> TrainingCurve:
    r"""Training and validation error after each of t = 1 … T steps of GD with weight decay.

    The iterates are those of θ_{t+1} = θ_t − η(−Xᵀ(y − Xθ_t)/n + λθ_t) from θ₀ = 0 on the
    training set, computed exactly from the spectral filter (:func:`gd_filter`) rather
    than by looping, so a run of 10⁵ steps costs a few matrix products.

    Parameters
    ----------
    X_train, y_train, X_val, y_val : arrays
        Rows are samples; y is 1-D.
    lam : float
        Weight decay λ ≥ 0 (the penalty (λ/2)‖θ‖²).
    lr : float
        Step size η, 0 < η < 2/(s₁²/n + λ).
    steps : int
        Number of steps T ≥ 1.
    """
    Xt, yt = data(X_train, y_train, "X_train", "y_train", y_ndim=1, min_features=1)
    Xv = finite_array(X_val, "X_val", ndim=2)
    yv = finite_array(y_val, "y_val", ndim=1)
    same_rows(Xv, yv, "X_val", "y_val")
    if Xv.shape[1] != Xt.shape[1]:
        raise ValueError(f"X_train and X_val must have the same number of columns, "
                         f"got {Xt.shape[1]} and {Xv.shape[1]}")
    for a, name in ((Xt, "X_train"), (yt, "y_train"), (Xv, "X_val"), (yv, "y_val")):
        moderate_scale(a, name)
    lam = nonneg(lam, "lam")
    T = positive_int(steps, "steps")
    if T > 10**7:
        raise ValueError(f"steps must be ≤ 10⁷, got {T}")
    t = np.arange(1, T + 1)
    Vt, q, w, lr = _gd_setup(Xt, yt, lam, lr)
    Bt, Bv = Xt @ Vt.T, Xv @ Vt.T  # the designs in the basis of the vᵢ
    train, val = np.empty(T), np.empty(T)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(0, T, _CHUNK):
            blk = _partial_sums(q, t[k:k + _CHUNK], lr) * w  # coordinates of θ_t
            train[k:k + _CHUNK] = np.mean((yt[:, None] - Bt @ blk.T) ** 2, axis=0)
            val[k:k + _CHUNK] = np.mean((yv[:, None] - Bv @ blk.T) ** 2, axis=0)
    if not (np.all(np.isfinite(train)) and np.all(np.isfinite(val))):
        raise ValueError("the training curves overflow float64; rescale X or y")
    theta = (_partial_sums(q, t[-1:], lr) * w)[0] @ Vt
    return TrainingCurve(steps=t, train_loss=train, val_loss=val, theta=theta,
                         lam=lam, lr=float(lr))
