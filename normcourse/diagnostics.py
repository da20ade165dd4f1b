r"""Diagnosing fit by sweeping the penalty strength λ.

Typical use::

    split = holdout(X, y, n_val=221, seed=0)
    sweep = lambda_sweep(ridge_fit, split.X_train, split.y_train,
                         split.X_val, split.y_val, np.logspace(-4, 3, 29))
    diag = diagnose_fit(sweep)          # labels "overfit" / "good" / "underfit", best λ

``fit`` is any callable ``fit(X, y, lam)`` returning a predictor: either a callable
``predict(X) -> ŷ`` or an object with a ``.predict(X)`` method (a fitted scikit-learn
estimator works), so the same sweep runs a closed-form ridge, a scikit-learn model or a
small torch network trained with weight decay.

Two classical readings of the ℓ2 penalty live here as well: the bias–variance
decomposition of ridge over noise draws (:func:`ridge_bias_variance`) and the Bayesian
one, ridge and lasso as posterior modes (:func:`prior_scale`, :func:`log_prior`,
:func:`ridge_posterior`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from normcourse._validate import (
    choice,
    data,
    distinct_lam_grid,
    finite_array,
    flag,
    moderate_scale,
    nonneg,
    positive,
    positive_int,
    random_seed,
    same_rows,
    same_shape,
)
from normcourse.constrained import norm_constrained_lstsq, ridge, singular_values

__all__ = [
    "BiasVarianceCurve",
    "Diagnosis",
    "Holdout",
    "ShadowPrice",
    "Sweep",
    "diagnose_fit",
    "holdout",
    "lambda_sweep",
    "log_prior",
    "mse",
    "prior_scale",
    "ridge_bias_variance",
    "ridge_fit",
    "ridge_posterior",
    "shadow_price_check",
]

LABELS = ("overfit", "good", "underfit")


def mse(y: np.ndarray, y_hat: np.ndarray) -> float:
    r"""Mean squared error (1/n) Σᵢ ‖yᵢ − ŷᵢ‖² (rows are samples).

    ``y`` and ``y_hat`` must be finite, non-empty and of exactly the same shape: a (n,)
    against an (n, 1) is an error, not a broadcast to (n, n).
    """
    ya = finite_array(y, "y", ndim=(1, 2))
    yh = finite_array(y_hat, "y_hat", ndim=(1, 2))
    same_shape(ya, yh, "y", "y_hat")
    if ya.shape[0] == 0:
        raise ValueError("y must have at least one sample")
    with np.errstate(over="ignore", invalid="ignore"):
        r = ya - yh
        out = float(np.sum(r * r)) / ya.shape[0]
    if not np.isfinite(out):
        raise ValueError("the mean squared error of y and y_hat overflows float64")
    return out


# ------------------------------------------------------------------------------ splits


@dataclass(frozen=True)
class Holdout:
    """A train/validation split; ``mean``/``scale`` are the training statistics used."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    y_mean: float


def holdout(
    X: Any, y: Any, n_val: int, seed: int = 0, standardize: bool = True, center_y: bool = True
) -> Holdout:
    r"""Random split into n − ``n_val`` training and ``n_val`` validation samples.

    With ``standardize`` every column is centred and scaled by the *training* mean and
    standard deviation (constant columns keep scale 1) and, for regression targets
    (``center_y=True``), y is centred by the training mean, so a model without intercept is
    fair and the validation set leaks nothing into the preprocessing. Pass
    ``center_y=False`` for class labels such as ±1. ``seed`` fixes the permutation
    (``numpy.random.default_rng``).
    """
    Xa = finite_array(X, "X", ndim=2)
    ya = finite_array(y, "y", ndim=(1, 2))
    same_rows(Xa, ya, "X", "y")
    n_val = positive_int(n_val, "n_val")
    seed = random_seed(seed)
    standardize = flag(standardize, "standardize")
    center_y = flag(center_y, "center_y")
    if n_val >= Xa.shape[0]:
        raise ValueError(f"n_val must be < the number of samples ({Xa.shape[0]}), got {n_val}")
    perm = np.random.default_rng(seed).permutation(Xa.shape[0])
    va, tr = perm[:n_val], perm[n_val:]
    p = Xa.shape[1]
    mean, scale, y_mean = np.zeros(p), np.ones(p), 0.0
    if standardize:
        mean = Xa[tr].mean(axis=0)
        sd = Xa[tr].std(axis=0)
        scale = np.where(sd > 0, sd, 1.0)
        if center_y:
            y_mean = ya[tr].mean(axis=0)
    return Holdout(
        X_train=(Xa[tr] - mean) / scale,
        y_train=ya[tr] - y_mean,
        X_val=(Xa[va] - mean) / scale,
        y_val=ya[va] - y_mean,
        mean=mean,
        scale=scale,
        y_mean=y_mean,
    )


def ridge_fit(X: np.ndarray, y: np.ndarray, lam: float) -> Callable[[np.ndarray], np.ndarray]:
    r"""``fit`` for :func:`lambda_sweep`: ridge θ_λ = argmin (1/2n)‖y − Xθ‖² + (λ/2)‖θ‖².

    Returns ``predict(X_new) = X_new @ θ_λ`` (see :func:`normcourse.constrained.ridge`).
    """
    theta = ridge(X, y, lam)

    def predict(X_new: np.ndarray) -> np.ndarray:
        return np.asarray(X_new, dtype=float) @ theta

    predict.theta = theta  # type: ignore[attr-defined]
    return predict


# ------------------------------------------------------------------------------- sweep


@dataclass(frozen=True)
class Sweep:
    """Training and validation loss of the model fitted at each λ (λ increasing).

    ``train_loss`` is the data loss only (no penalty term), so the two curves are
    comparable. ``gap`` = val_loss − train_loss is the generalization gap.
    """

    lams: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray

    @property
    def gap(self) -> np.ndarray:
        return self.val_loss - self.train_loss


def _predictor(model: Any, lam: float) -> Callable[[np.ndarray], Any]:
    if hasattr(model, "predict") and callable(model.predict):
        return model.predict
    if callable(model):
        return model
    raise ValueError(f"fit must return a callable predict(X) or an object with .predict, "
                     f"got {type(model).__name__} at λ = {lam:g}")


def _evaluate(predict: Callable, X: np.ndarray, y: np.ndarray, loss: Callable,
              lam: float, which: str) -> float:
    y_hat = predict(X)
    if hasattr(y_hat, "detach"):  # a torch tensor
        y_hat = y_hat.detach().cpu().numpy()
    y_hat = np.asarray(y_hat, dtype=float)
    if y_hat.shape != y.shape:
        y_hat = y_hat.reshape(y.shape) if y_hat.size == y.size else y_hat
    if y_hat.shape != y.shape:
        raise ValueError(f"fit's predictor returned shape {y_hat.shape} on the {which} set, "
                         f"expected {y.shape} (at λ = {lam:g})")
    if not np.all(np.isfinite(y_hat)):
        raise ValueError(f"fit's predictor returned NaN or inf on the {which} set "
                         f"(at λ = {lam:g})")
    return float(loss(y, y_hat))


def lambda_sweep(
    fit: Callable[[np.ndarray, np.ndarray, float], Any],
    X_train: Any,
    y_train: Any,
    X_val: Any,
    y_val: Any,
    lams: Sequence[float] | np.ndarray,
    progress: bool = False,
    loss: Callable[[np.ndarray, np.ndarray], float] = mse,
) -> Sweep:
    r"""Fit at every λ and record training and validation loss.

    For each λ (sorted increasing): model = ``fit(X_train, y_train, λ)``, then
    train_loss(λ) = loss(y_train, ŷ_train) and val_loss(λ) = loss(y_val, ŷ_val) with the
    data loss only (default :func:`mse`, (1/n)Σ(yᵢ − ŷᵢ)²).

    Parameters
    ----------
    fit : callable (X, y, lam) -> predictor
        Returns ``predict(X) -> ŷ`` or an object with ``.predict``.
    X_train, y_train, X_val, y_val : arrays
        Rows are samples; the two X must have the same number of columns.
    lams : 1-D array of λ > 0
        A (log) grid; duplicates are rejected, order does not matter.
    progress : bool
        Print one line per λ.
    loss : callable (y, y_hat) -> float
        The data loss reported for both sets (default: mean squared error).
    """
    if not callable(fit):
        raise ValueError(f"fit must be a callable fit(X, y, lam), got {type(fit).__name__}")
    Xt = finite_array(X_train, "X_train", ndim=2)
    yt = finite_array(y_train, "y_train", ndim=(1, 2))
    Xv = finite_array(X_val, "X_val", ndim=2)
    yv = finite_array(y_val, "y_val", ndim=(1, 2))
    same_rows(Xt, yt, "X_train", "y_train")
    same_rows(Xv, yv, "X_val", "y_val")
    if Xt.shape[1] != Xv.shape[1]:
        raise ValueError(f"X_train and X_val must have the same number of columns, "
                         f"got {Xt.shape[1]} and {Xv.shape[1]}")
    if yt.shape[1:] != yv.shape[1:]:
        raise ValueError(f"y_train and y_val must have the same trailing shape, "
                         f"got {yt.shape} and {yv.shape}")
    grid = np.sort(distinct_lam_grid(lams))
    progress = flag(progress, "progress")
    if not callable(loss):
        raise ValueError(f"loss must be a callable loss(y, y_hat), got {type(loss).__name__}")
    train, val = np.empty(grid.size), np.empty(grid.size)
    for k, lam in enumerate(grid):
        predict = _predictor(fit(Xt, yt, float(lam)), lam)
        train[k] = _evaluate(predict, Xt, yt, loss, lam, "training")
        val[k] = _evaluate(predict, Xv, yv, loss, lam, "validation")
        if progress:
            print(f"λ = {lam:10.4g}   train {train[k]:12.6g}   val {val[k]:12.6g}")
    return Sweep(lams=grid, train_loss=train, val_loss=val)


# --------------------------------------------------------------------------- diagnosis


@dataclass(frozen=True)
class Diagnosis:
    """Per-λ labels from :func:`diagnose_fit`.

    Attributes
    ----------
    lams : ndarray
        The λ grid of the sweep (increasing).
    labels : ndarray of str
        "overfit", "good" or "underfit" for each λ.
    best_index : int
        Index of the smallest validation loss (the first one on ties).
    best_lam : float
        λ at ``best_index``.
    tol : float
        The relative tolerance that defines "good".
    """

    lams: np.ndarray
    labels: np.ndarray
    best_index: int
    best_lam: float
    tol: float

    def lams_labelled(self, label: str) -> np.ndarray:
        """The λ values that received ``label``."""
        if label not in LABELS:
            raise ValueError(f"label must be one of {LABELS}, got {label!r}")
        return self.lams[self.labels == label]


def diagnose_fit(sweep: Sweep, tol: float = 0.05) -> Diagnosis:
    r"""Label each λ of a sweep as "overfit", "good" or "underfit".

    Rule, with b = argmin_k val_loss[k] (the chosen λ) and V* = val_loss[b]:

    * **good** if val_loss[k] ≤ (1 + tol)·V*: within ``tol`` of the best validation loss;
    * otherwise **overfit** if train_loss[k] < train_loss[b]: the model fits the training
      data *better* than the best one but validates worse — the extra fit is noise, and
      its gap val − train exceeds the gap at b;
    * otherwise **underfit**: it fits the training data no better than the best model and
      validates worse — it lacks capacity (typically both losses high).

    The rule uses the losses only, not the position of λ, so it also applies to sweeps
    whose training loss is not monotone in λ (stochastic training). For ridge the
    training loss increases with λ, so the labels are overfit | good | underfit from
    small to large λ.
    """
    if not isinstance(sweep, Sweep):
        raise ValueError(f"sweep must be a Sweep from lambda_sweep, got {type(sweep).__name__}")
    tol = nonneg(tol, "tol")
    val, train = sweep.val_loss, sweep.train_loss
    b = int(np.argmin(val))
    labels = np.where(val <= (1 + tol) * val[b], "good",
                      np.where(train < train[b], "overfit", "underfit"))
    return Diagnosis(lams=sweep.lams, labels=labels.astype("<U8"), best_index=b,
                     best_lam=float(sweep.lams[b]), tol=tol)


# ------------------------------------------------------------------------ shadow price


@dataclass(frozen=True)
class ShadowPrice:
    """Finite-difference slope of L*(C) against the multiplier: slope ≈ −λ*."""

    C: float
    slope: float
    lam: float

    @property
    def rel_error(self) -> float:
        """|slope + λ*| / λ* (or |slope| when λ* = 0)."""
        return abs(self.slope + self.lam) / (self.lam if self.lam > 0 else 1.0)


def shadow_price_check(X: Any, y: Any, C: float, rel_step: float = 1e-4) -> ShadowPrice:
    r"""Central difference (L*(C + h) − L*(C − h)) / 2h, h = rel_step·C, versus −λ*(C).

    L*(C) is the optimal loss of :func:`normcourse.constrained.norm_constrained_lstsq`;
    the envelope theorem says its derivative is −λ*(C). The central difference has error
    O(h²) where L* is smooth (everywhere except C = ‖θ_LS‖²).
    """
    C = positive(C, "C")
    h = positive(rel_step, "rel_step") * C
    if not math.isfinite(h) or h >= C:
        raise ValueError(f"rel_step must be < 1, got {rel_step!r}")
    lam = norm_constrained_lstsq(X, y, C).lam
    up = norm_constrained_lstsq(X, y, C + h).loss
    down = norm_constrained_lstsq(X, y, C - h).loss
    return ShadowPrice(C=C, slope=(up - down) / (2 * h), lam=lam)


# ------------------------------------------------------------------------ bias–variance


@dataclass(frozen=True)
class BiasVarianceCurve:
    """Exact bias², variance and their sum for ridge at each λ, from :func:`ridge_bias_variance`."""

    lams: np.ndarray
    bias2: np.ndarray
    variance: np.ndarray
    target: str

    @property
    def risk(self) -> np.ndarray:
        """bias² + variance: the expected squared error of the estimate (noise excluded)."""
        return self.bias2 + self.variance

    @property
    def best_index(self) -> int:
        """Index of the λ with the smallest risk."""
        return int(np.argmin(self.risk))

    @property
    def best_lam(self) -> float:
        return float(self.lams[self.best_index])


def ridge_bias_variance(X: Any, theta_true: Any, sigma2: float,
                        lams: Sequence[float] | np.ndarray,
                        target: str = "fitted") -> BiasVarianceCurve:
    r"""Bias² and variance of ridge over noise draws y = Xθ* + ε, ε ~ N(0, σ²I), X fixed.

    With the thin SVD X = Σᵢ sᵢuᵢvᵢᵀ, fᵢ = sᵢ²/(sᵢ² + nλ) (the shrinkage factors) and
    bᵢ = vᵢᵀθ*, the ridge estimate θ̂_λ has mean Σᵢ fᵢbᵢvᵢ and covariance
    σ² Σᵢ (fᵢ/sᵢ)² vᵢvᵢᵀ, so

    * ``target="fitted"`` — the fitted values at the training inputs,
      (1/n)E‖Xθ̂_λ − Xθ*‖² = bias² + variance with
      bias² = (1/n) Σᵢ sᵢ²(1 − fᵢ)²bᵢ² and variance = (σ²/n) Σᵢ fᵢ²;
    * ``target="parameters"`` — E‖θ̂_λ − θ*‖² with bias² = Σᵢ (1 − fᵢ)²bᵢ² + ‖P⊥θ*‖²
      (P⊥ projects onto the null space of X, which ridge never estimates) and
      variance = σ² Σᵢ fᵢ²/sᵢ².

    Bias² increases and variance decreases with λ. ``lams`` may contain 0 (least squares).
    """
    Xa = finite_array(X, "X", ndim=2)
    if Xa.shape[0] == 0 or Xa.shape[1] == 0:
        raise ValueError(f"X must have at least one row and one column, got shape {Xa.shape}")
    th = finite_array(theta_true, "theta_true", ndim=1)
    if th.shape[0] != Xa.shape[1]:
        raise ValueError(f"theta_true must have p = {Xa.shape[1]} entries (columns of X), "
                         f"got {th.shape[0]}")
    moderate_scale(Xa, "X")
    moderate_scale(th, "theta_true")
    sigma2 = nonneg(sigma2, "sigma2")
    grid = distinct_lam_grid(lams, allow_zero=True)
    target = choice(target, ("fitted", "parameters"), "target")
    n = Xa.shape[0]
    s = singular_values(Xa)
    Vt = np.linalg.svd(Xa, full_matrices=False)[2][: s.size]
    b = Vt @ th
    with np.errstate(over="ignore", under="ignore"):
        ratio = np.sqrt(n * grid)[:, None] / s  # √(nλ)/sᵢ: no overflow in sᵢ²
        f = 1.0 / (1.0 + ratio * ratio)
        if target == "fitted":
            bias2 = np.sum((s * (1 - f) * b) ** 2, axis=1) / n
            var = sigma2 * np.sum(f * f, axis=1) / n
        else:
            null = max(0.0, float(th @ th) - float(b @ b))
            bias2 = np.sum(((1 - f) * b) ** 2, axis=1) + null
            var = sigma2 * np.sum((f / s) ** 2, axis=1)
    if not (np.all(np.isfinite(bias2)) and np.all(np.isfinite(var))):
        raise ValueError("bias² or variance overflows float64; rescale X, theta_true or sigma2")
    return BiasVarianceCurve(lams=grid, bias2=bias2, variance=var, target=target)


# ------------------------------------------------------------------ the Bayesian reading


def prior_scale(lam: float, sigma2: float, n: int) -> float:
    r"""The prior scale σ²/(nλ) that turns a penalty into a prior.

    Minimising (1/2n)‖y − Xθ‖² + R(θ) is maximising the posterior of θ under the
    likelihood y ~ N(Xθ, σ²I) once the objective is multiplied by n/σ²:

    * R(θ) = (λ/2)‖θ‖² ↔ θⱼ ~ N(0, τ²) independently, with variance τ² = σ²/(nλ);
    * R(θ) = λ‖θ‖₁ ↔ θⱼ ~ Laplace(0, b) independently, with scale b = σ²/(nλ).

    Both scales are the same number; see :func:`log_prior`.
    """
    lam = positive(lam, "lam")
    sigma2 = positive(sigma2, "sigma2")
    n = positive_int(n, "n")
    out = sigma2 / (n * lam)
    if not math.isfinite(out) or out == 0:
        raise ValueError(f"σ²/(nλ) is not a positive float64 for sigma2={sigma2!r}, "
                         f"lam={lam!r}, n={n}")
    return out


def log_prior(theta: Any, lam: float, sigma2: float, n: int, penalty: str = "l2") -> np.ndarray:
    r"""Elementwise log density log p(θⱼ) of the prior whose posterior mode is the penalised fit.

    ``theta`` is one value or a 1-D array (a parameter vector or a grid for a figure).

    With s = :func:`prior_scale` (σ²/(nλ)):

    * ``penalty="l2"``: N(0, s), log p(θ) = −θ²/(2s) − ½ log(2πs);
    * ``penalty="l1"``: Laplace(0, s), log p(θ) = −|θ|/s − log(2s).

    So −(σ²/n)·Σⱼ log p(θⱼ) = R(θ) + const, with R(θ) = (λ/2)‖θ‖² or λ‖θ‖₁.
    """
    th = finite_array(theta, "theta", ndim=(0, 1))
    if th.size == 0:
        raise ValueError("theta must have at least one entry")
    scale = prior_scale(lam, sigma2, n)
    penalty = choice(penalty, ("l2", "l1"), "penalty")
    with np.errstate(over="ignore"):
        if penalty == "l2":
            out = -th * th / (2 * scale) - 0.5 * math.log(2 * math.pi * scale)
        else:
            out = -np.abs(th) / scale - math.log(2 * scale)
    if not np.all(np.isfinite(out)):
        raise ValueError("log_prior overflows float64: theta is too large for this prior scale")
    return out


def ridge_posterior(X: Any, y: Any, lam: float, sigma2: float) -> tuple[np.ndarray, np.ndarray]:
    r"""Mean and covariance of θ | y for y ~ N(Xθ, σ²I) and the prior θ ~ N(0, τ²I), τ² = σ²/(nλ).

    The posterior is Gaussian with precision P = XᵀX/σ² + I/τ² (Bishop, PRML §3.3):

    .. math:: Σ_{post} = P^{-1} = σ^2 (X^\top X + nλI)^{-1},
              \qquad μ_{post} = Σ_{post} X^\top y/σ^2 = (X^\top X + nλI)^{-1}X^\top y ,

    computed here by a Cholesky factorisation of P (not through the SVD of
    :func:`normcourse.constrained.ridge`). Mean and mode coincide: μ_post = θ_λ.
    """
    Xa, ya = data(X, y, y_ndim=1, min_features=1)
    moderate_scale(Xa, "X")
    moderate_scale(ya, "y")
    tau2 = prior_scale(lam, sigma2, Xa.shape[0])
    sigma2 = float(sigma2)
    from scipy.linalg import cho_factor, cho_solve

    P = Xa.T @ Xa / sigma2
    P[np.diag_indices_from(P)] += 1.0 / tau2
    if not np.all(np.isfinite(P)):
        raise ValueError("the posterior precision XᵀX/σ² + I/τ² overflows float64; rescale "
                         "X or sigma2")
    try:
        factor = cho_factor(P, check_finite=False)
    except np.linalg.LinAlgError:
        raise ValueError("the posterior precision is numerically singular; increase lam or "
                         "rescale X") from None
    cov = cho_solve(factor, np.eye(P.shape[0]), check_finite=False)
    mean = cho_solve(factor, Xa.T @ ya / sigma2, check_finite=False)
    return mean, 0.5 * (cov + cov.T)
