r"""ℓ2-penalised and ℓ2-constrained least squares, both solved in the SVD basis.

Scalings (the course's conventions)
-----------------------------------
* Data fit: L(θ) = (1/2n)‖y − Xθ‖₂², X of shape (n, p), any n and p.
* **Penalised** form (ridge, weight decay): minimise L(θ) + (λ/2)‖θ‖₂². With the thin
  SVD X = U diag(σ) Vᵀ and cᵢ = uᵢᵀy the solution is

  .. math:: θ_λ = \sum_i \frac{σ_i\,c_i}{σ_i^2 + nλ}\, v_i
           = \sum_i \frac{σ_i^2}{σ_i^2 + nλ}\,\Bigl(\frac{c_i}{σ_i}\,v_i\Bigr),

  i.e. the least-squares solution shrunk by the factor σᵢ²/(σᵢ² + nλ) along each right
  singular direction (:func:`ridge`, :func:`shrinkage_factors`); the effective number
  of parameters is df(λ) = Σᵢ σᵢ²/(σᵢ² + nλ) (:func:`effective_dof`).
  scikit-learn's ``Ridge(alpha, fit_intercept=False)`` minimises ‖y − Xθ‖² + α‖θ‖², which
  is 2n times our objective when α = nλ.
* **Constrained** form: minimise L(θ) subject to ‖θ‖₂² ≤ C, with the Lagrangian
  L(θ) + λ(‖θ‖₂² − C) and multiplier λ ≥ 0. Stationarity reads
  (XᵀX/n + 2λI)θ = Xᵀy/n, so θ*(C) is the ridge solution with penalty strength 2λ* in
  the (λ/2)‖θ‖² convention (:attr:`ConstrainedResult.penalty_lam`). λ* is found by a 1-D
  root find on ‖θ(λ)‖² = C (:func:`norm_constrained_lstsq`); by the envelope theorem
  dL*/dC = −λ* (the shadow price of capacity).
* The 2-D toy of the course text (:func:`toy_2d`) keeps its own scaling,
  L(θ) = ½(θ₁ − y₁)² + ½(θ₂ − y₂)² = ½‖θ − y‖², which is the general loss with n = 2,
  X = √2·I and target √2·y.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import linalg as sla
from scipy.optimize import brentq

from normcourse._validate import (
    choice,
    data,
    distinct_lam_grid,
    finite_array,
    moderate_scale,
    nonneg,
    positive,
    real,
    safe_norm,
)

__all__ = [
    "ConstrainedResult",
    "KKTResiduals",
    "ValueCurve",
    "effective_dof",
    "kkt_residuals",
    "norm_constrained_lstsq",
    "ridge",
    "ridge_path",
    "shrinkage_factors",
    "toy_2d",
    "value_curve",
]


# ----------------------------------------------------------------------------- helpers


def _check_Xy(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    return data(X, y, y_ndim=1, min_features=1)


def _check_lams(lams: Any, name: str = "lams") -> np.ndarray:
    """One λ ≥ 0 (0-D) or a grid of them (the λ-grid rule: 1-D, non-empty, distinct)."""
    arr = finite_array(lams, name, ndim=(0, 1))
    if arr.ndim == 1:
        return distinct_lam_grid(arr, name, allow_zero=True)
    if arr < 0:
        raise ValueError(f"{name} must be ≥ 0, got {float(arr)!r}")
    return arr


def _design(X: Any, name: str = "X") -> np.ndarray:
    """A finite 2-D design with at least one row and one column."""
    Xa = finite_array(X, name, ndim=2)
    if Xa.shape[0] == 0 or Xa.shape[1] == 0:
        raise ValueError(f"{name} must have at least one row and one column, got shape "
                         f"{Xa.shape}")
    return Xa


def _gain(s: np.ndarray, nlam: float) -> np.ndarray:
    """σ/(σ² + nλ) per singular value, without under/overflow in σ² (tiny or huge X)."""
    if nlam == 0:
        return 1.0 / s
    r = math.sqrt(nlam)
    t = s / r
    out = np.empty_like(s)
    big = t >= 1.0
    out[big] = (1.0 / s[big]) / (1.0 + (1.0 / t[big]) ** 2)  # σ² ≥ nλ: (1/σ)/(1 + nλ/σ²)
    small = ~big
    out[small] = (t[small] / r) / (1.0 + t[small] ** 2)  # σ² < nλ: (σ/nλ)/(1 + σ²/nλ)
    return out


def _finite_result(theta: np.ndarray, what: str) -> np.ndarray:
    if not np.all(np.isfinite(theta)):
        raise ValueError(f"{what} overflows float64: X is too small relative to y; rescale "
                         "X or y")
    return theta


_LAST_SVD: dict[str, Any] = {}


def _thin_svd(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(U, σ, Vᵀ) restricted to σᵢ above the rank tolerance σ₁·max(n, p)·eps.

    The last decomposition is kept, keyed by a digest of X's bytes, so a λ sweep that
    refits on the same training design (``diagnostics.ridge_fit``) factors it once.
    """
    key = hashlib.blake2b(np.ascontiguousarray(X).view(np.uint8), digest_size=16).hexdigest()
    key += str(X.shape)
    if _LAST_SVD.get("key") != key:
        U, s, Vt = np.linalg.svd(X, full_matrices=False)
        tol = (s[0] if s.size else 0.0) * max(X.shape) * np.finfo(float).eps
        keep = s > tol
        _LAST_SVD.clear()
        _LAST_SVD.update(key=key, usv=(U[:, keep], s[keep], Vt[keep]))
    return _LAST_SVD["usv"]


class _SVD:
    """Thin SVD X = U diag(σ) Vᵀ with c = Uᵀy; σᵢ below the rank tolerance count as 0."""

    def __init__(self, X: np.ndarray, y: np.ndarray) -> None:
        self.n = X.shape[0]
        U, self.s, self.Vt = _thin_svd(X)
        self.c = U.T @ y

    def coords(self, ridge_lam: float) -> np.ndarray:
        """θ(ridge_lam) in the basis of the right singular vectors: σᵢcᵢ/(σᵢ² + n·ridge_lam)."""
        with np.errstate(over="ignore"):  # an overflow is reported by the callers
            return _gain(self.s, self.n * ridge_lam) * self.c

    def theta(self, ridge_lam: float) -> np.ndarray:
        """argmin (1/2n)‖y − Xθ‖² + (ridge_lam/2)‖θ‖², the minimum-norm one if ridge_lam = 0."""
        return _finite_result(self.Vt.T @ self.coords(ridge_lam), "θ")

    def norm(self, ridge_lam: float) -> float:
        """‖θ(ridge_lam)‖ without forming θ (no overflow in the squares)."""
        return safe_norm(self.coords(ridge_lam))

    def norm2(self, ridge_lam: float) -> float:
        """‖θ(ridge_lam)‖² without forming θ."""
        with np.errstate(over="ignore"):  # inf when ‖θ‖² overflows; the callers report it
            return float(np.float64(self.norm(ridge_lam)) ** 2)


def _loss(X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> float:
    r = y - X @ theta
    return float(r @ r) / (2 * X.shape[0])


# ------------------------------------------------------------------------------- ridge


def ridge(X: Any, y: Any, lam: float, method: str = "svd") -> np.ndarray:
    r"""Ridge / weight-decay solution θ_λ = argmin (1/2n)‖y − Xθ‖² + (λ/2)‖θ‖².

    ``method="svd"`` (default): from the thin SVD X = U diag(σ) Vᵀ,
    θ_λ = Σᵢ σᵢ cᵢ/(σᵢ² + nλ) vᵢ with cᵢ = uᵢᵀy — (XᵀX/n + λI)⁻¹ Xᵀy/n for λ > 0 and the
    minimum-norm least-squares solution X⁺y for λ = 0. ``method="cholesky"``: the normal
    equations (XᵀX/n + λI)θ = Xᵀy/n by Cholesky, as scikit-learn's ``ridge_regression``
    (cheaper when refitting many small problems, e.g. STLSQ), falling back to least squares
    when they are singular. Same as ``sklearn.linear_model.Ridge(alpha=n*lam,
    fit_intercept=False)``. ``y`` may be n×m (one column per target): θ is then p×m.

    Parameters
    ----------
    X : array (n, p)
    y : array (n,) or (n, m)
    lam : float
        λ ≥ 0.
    method : "svd" or "cholesky"
    """
    Xa, ya = data(X, y, min_features=1)
    lam = nonneg(lam, "lam")
    method = choice(method, ("svd", "cholesky"), "method")
    if method == "cholesky":
        return _ridge_cholesky(Xa, ya, lam)
    if ya.ndim == 2:
        svd = _SVD(Xa, ya)
        with np.errstate(over="ignore"):
            theta = svd.Vt.T @ (_gain(svd.s, svd.n * lam)[:, None] * svd.c)
        return _finite_result(theta, "θ")
    return _SVD(Xa, ya).theta(lam)


def _ridge_cholesky(X: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    n, p = X.shape
    M = X.T @ X / n
    if lam:
        M[np.diag_indices_from(M)] += lam
    try:
        return sla.solve(M, X.T @ y / n, assume_a="pos", check_finite=False)
    except (np.linalg.LinAlgError, ValueError):
        if lam:  # (1/2n)‖y − Xθ‖² + (λ/2)‖θ‖² = (1/2n)‖[y; 0] − [X; √(nλ)I]θ‖²
            X = np.vstack([X, math.sqrt(n * lam) * np.eye(p)])
            y = np.concatenate([y, np.zeros((p, *y.shape[1:]))])
        return np.linalg.lstsq(X, y, rcond=None)[0]


def ridge_path(X: Any, y: Any, lams: Sequence[float] | np.ndarray) -> np.ndarray:
    """θ_λ of :func:`ridge` for every λ in ``lams`` from one SVD; shape (len(lams), p)."""
    Xa, ya = _check_Xy(X, y)
    grid = distinct_lam_grid(lams, allow_zero=True)
    svd = _SVD(Xa, ya)
    return np.stack([svd.theta(float(lam)) for lam in grid])


def shrinkage_factors(X: Any, lams: float | Sequence[float] | np.ndarray) -> np.ndarray:
    r"""Factors σᵢ²/(σᵢ² + nλ) by which ridge shrinks each singular direction of X.

    Returns an array of shape (len(lams), r) — or (r,) for a scalar λ — with the r
    nonzero singular values σ₁ ≥ … ≥ σ_r of X in decreasing order. A factor near 1 means
    the direction is fitted as by least squares, near 0 that it is switched off.
    """
    Xa = _design(X)
    grid = _check_lams(lams)
    n = Xa.shape[0]
    s = _thin_svd(Xa)[1]
    # σ²/(σ² + nλ) = 1/(1 + (√(nλ)/σ)²): no 0/0 when σ² underflows, 0 when it overflows.
    with np.errstate(over="ignore"):
        ratio = np.sqrt(n * np.atleast_1d(grid))[:, None] / s
        out = 1.0 / (1.0 + ratio * ratio)
    return out[0] if grid.ndim == 0 else out


def effective_dof(X: Any, lams: float | Sequence[float] | np.ndarray) -> np.ndarray | float:
    r"""Effective number of parameters df(λ) = Σᵢ σᵢ²/(σᵢ² + nλ) = tr(X(XᵀX + nλI)⁻¹Xᵀ).

    It equals rank(X) at λ = 0 and decreases to 0 as λ → ∞ (Hastie, Tibshirani and
    Friedman, *Elements of Statistical Learning*, §3.4.1, with their λ = nλ here).
    """
    f = shrinkage_factors(X, lams)
    return float(f.sum()) if f.ndim == 1 else f.sum(axis=1)


# ------------------------------------------------------------------------- constrained


@dataclass(frozen=True)
class KKTResiduals:
    """Absolute violations of the four KKT conditions of min L(θ) s.t. ‖θ‖² ≤ C.

    Attributes
    ----------
    stationarity : float
        ‖∇L(θ) + 2λθ‖₂ (gradient of the Lagrangian L(θ) + λ(‖θ‖² − C) in θ).
    primal : float
        max(0, ‖θ‖² − C) (primal feasibility).
    dual : float
        max(0, −λ) (dual feasibility).
    complementary : float
        |λ(‖θ‖² − C)| (complementary slackness).
    """

    stationarity: float
    primal: float
    dual: float
    complementary: float

    @property
    def max(self) -> float:
        """The largest of the four residuals."""
        return max(self.stationarity, self.primal, self.dual, self.complementary)


@dataclass(frozen=True)
class ConstrainedResult:
    """Solution of min L(θ) s.t. ‖θ‖² ≤ C.

    Attributes
    ----------
    theta : ndarray (p,)
        θ*.
    lam : float
        λ*, the multiplier of ‖θ‖² − C in the Lagrangian; 0 when the constraint is
        inactive.
    loss : float
        L* = L(θ*).
    C : float
        The capacity budget.
    active : bool
        Whether the constraint binds (λ* > 0, ‖θ*‖² = C).
    ls_norm2 : float
        ‖θ_LS‖² of the (minimum-norm) unconstrained minimiser; the constraint is
        inactive exactly when ‖θ_LS‖² ≤ C.
    kkt : KKTResiduals
        The KKT residuals of (θ*, λ*).
    """

    theta: np.ndarray
    lam: float
    loss: float
    C: float
    active: bool
    ls_norm2: float
    kkt: KKTResiduals

    @property
    def penalty_lam(self) -> float:
        """2λ*: the strength of the equivalent penalty (λ/2)‖θ‖² in the book's convention."""
        return 2.0 * self.lam


def kkt_residuals(X: Any, y: Any, C: float, theta: Any, lam: float) -> KKTResiduals:
    r"""KKT residuals of a candidate (θ, λ) for min (1/2n)‖y − Xθ‖² s.t. ‖θ‖² ≤ C.

    With ∇L(θ) = −Xᵀ(y − Xθ)/n the conditions are stationarity ∇L(θ) + 2λθ = 0, primal
    feasibility ‖θ‖² ≤ C, dual feasibility λ ≥ 0 and complementary slackness
    λ(‖θ‖² − C) = 0; see :class:`KKTResiduals` for how each violation is measured. A
    pair is optimal (the problem is convex, Slater holds for C > 0) iff all are 0.
    """
    Xa, ya = _check_Xy(X, y)
    moderate_scale(Xa, "X")
    moderate_scale(ya, "y")
    C = positive(C, "C")
    th = finite_array(theta, "theta", ndim=1)
    if th.shape[0] != Xa.shape[1]:
        raise ValueError(f"theta must have p = {Xa.shape[1]} entries (columns of X), "
                         f"got {th.shape[0]}")
    lam = real(lam, "lam")
    moderate_scale(th, "theta")
    n = Xa.shape[0]
    grad = -Xa.T @ (ya - Xa @ th) / n
    slack = float(th @ th) - C
    with np.errstate(over="ignore"):
        stat = safe_norm(grad + 2.0 * lam * th)
        comp = abs(lam * slack)
    if not (math.isfinite(stat) and math.isfinite(comp)):
        raise ValueError(f"lam={lam!r} is too large: lam·theta overflows float64")
    return KKTResiduals(
        stationarity=stat,
        primal=max(0.0, slack),
        dual=max(0.0, -lam),
        complementary=comp,
    )


def norm_constrained_lstsq(X: Any, y: Any, C: float) -> ConstrainedResult:
    r"""Solve min_θ (1/2n)‖y − Xθ‖₂² subject to ‖θ‖₂² ≤ C, for any X (n > p or n < p).

    Method: the thin SVD X = U diag(σ) Vᵀ, cᵢ = uᵢᵀy, gives the stationary point of the
    Lagrangian L(θ) + λ(‖θ‖² − C) for each λ ≥ 0,

    .. math:: θ(λ) = \sum_i \frac{σ_i c_i}{σ_i^2 + 2nλ}\, v_i ,
              \qquad ‖θ(λ)‖^2 = \sum_i \Bigl(\frac{σ_i c_i}{σ_i^2 + 2nλ}\Bigr)^2 ,

    and ‖θ(λ)‖² decreases strictly from ‖θ_LS‖² = ‖X⁺y‖² to 0. If ‖θ_LS‖² ≤ C the
    constraint is inactive: λ* = 0 exactly and θ* = θ_LS, the minimum-norm least-squares
    solution (when n < p other minimisers of norm ≤ C exist; this one is returned).
    Otherwise λ* > 0 is the root of 1/‖θ(λ)‖ − 1/√C (nearly linear in λ, the secular
    equation of Moré and Sorensen), bracketed in [0, ‖Xᵀy‖/(2n√C)] and found by Brent's
    method to machine precision.

    Raises ``ValueError`` for C ≤ 0, NaN/inf in X or y, or mismatched shapes.
    """
    Xa, ya = _check_Xy(X, y)
    moderate_scale(Xa, "X")
    moderate_scale(ya, "y")
    C = positive(C, "C")
    n = Xa.shape[0]
    svd = _SVD(Xa, ya)
    ls_norm2 = svd.norm2(0.0)
    if not math.isfinite(ls_norm2):
        raise ValueError("‖X⁺y‖² overflows float64: X is too small relative to y; rescale "
                         "X or y")
    if ls_norm2 <= C:
        lam = 0.0
    else:
        root_c = math.sqrt(C)

        # θ(λ) of the Lagrangian is the ridge solution with ridge_lam = 2λ.
        def secular(lam: float) -> float:
            return 1.0 / svd.norm(2.0 * lam) - 1.0 / root_c

        # ‖θ(λ)‖ ≤ ‖Xᵀy‖/(2nλ): the bound is √C at hi; widen it against rounding.
        hi = safe_norm(Xa.T @ ya) / (2 * n) / root_c
        for _ in range(60):
            if secular(hi) > 0:
                break
            hi *= 2.0
        lam = float(brentq(secular, 0.0, hi, xtol=np.finfo(float).tiny,
                           rtol=4 * np.finfo(float).eps, maxiter=500))
    theta = svd.theta(2.0 * lam)
    return ConstrainedResult(
        theta=theta,
        lam=lam,
        loss=_loss(Xa, ya, theta),
        C=C,
        active=lam > 0,
        ls_norm2=ls_norm2,
        kkt=kkt_residuals(Xa, ya, C, theta, lam),
    )


def toy_2d(y: Any, C: float) -> ConstrainedResult:
    r"""The 2-D example of the course text in closed form: min ½‖θ − y‖² s.t. ‖θ‖² ≤ C.

    Stationarity of ½‖θ − y‖² + λ(‖θ‖² − C) gives θ − y + 2λθ = 0, i.e.

    .. math:: θ_i = \frac{y_i}{1 + 2λ}, \qquad
              λ^\star = \max\Bigl(0, \tfrac12\bigl(\|y\|/\sqrt{C} - 1\bigr)\Bigr),
              \qquad L^\star = \tfrac12\bigl(\max(0, \|y\| - \sqrt C)\bigr)^2 .

    Note the scaling ½‖θ − y‖² (not 1/2n): it equals the general loss of
    :func:`norm_constrained_lstsq` with X = √2·I and target √2·y, which is how the KKT
    residuals are evaluated.

    Parameters
    ----------
    y : array of shape (2,)
        The unconstrained minimiser.
    C : float
        Budget C > 0.
    """
    ya = finite_array(y, "y", ndim=1)
    if ya.shape != (2,):
        raise ValueError(f"y must have shape (2,), got {ya.shape}")
    C = positive(C, "C")
    norm_y = float(np.linalg.norm(ya))
    lam = max(0.0, 0.5 * (norm_y / math.sqrt(C) - 1.0))
    theta = ya / (1.0 + 2.0 * lam)
    r = theta - ya
    root2 = math.sqrt(2.0)
    return ConstrainedResult(
        theta=theta,
        lam=lam,
        loss=0.5 * float(r @ r),
        C=C,
        active=lam > 0,
        ls_norm2=norm_y**2,
        kkt=kkt_residuals(root2 * np.eye(2), root2 * ya, C, theta, lam),
    )


@dataclass(frozen=True)
class ValueCurve:
    """The value function C ↦ L*(C) and the multipliers λ*(C) on a grid of budgets."""

    Cs: np.ndarray
    loss: np.ndarray
    lam: np.ndarray
    ls_norm2: float


def value_curve(X: Any, y: Any, Cs: Sequence[float] | np.ndarray) -> ValueCurve:
    r"""L*(C) and λ*(C) of :func:`norm_constrained_lstsq` for every budget in ``Cs``.

    L* is non-increasing and convex in C, with slope dL*/dC = −λ*(C); it is flat
    (λ* = 0) for C ≥ ‖θ_LS‖².
    """
    Xa, ya = _check_Xy(X, y)
    grid = distinct_lam_grid(Cs, "Cs")  # budgets follow the λ-grid rule: > 0, distinct
    res = [norm_constrained_lstsq(Xa, ya, float(C)) for C in grid]
    return ValueCurve(Cs=grid, loss=np.array([r.loss for r in res]),
                      lam=np.array([r.lam for r in res]), ls_norm2=res[0].ls_norm2)


# --------------------------------------------------------------- quantities for figures


def singular_values(X: Any) -> np.ndarray:
    """The r nonzero singular values σ₁ ≥ … ≥ σ_r of X, those of :func:`shrinkage_factors`.

    Singular values below the rank tolerance σ₁·max(n, p)·eps count as zero and are left
    out, so column i of ``shrinkage_factors(X, lams)`` is the factor of σ = result[i].
    """
    return _thin_svd(_design(X))[1].copy()


@dataclass(frozen=True)
class ConstrainedGeometry:
    """What a picture of min L(θ) s.t. ‖θ‖² ≤ C needs, from :func:`constrained_geometry`.

    Attributes
    ----------
    result : ConstrainedResult
        The constrained optimum θ*, λ*, L(θ*) of :func:`norm_constrained_lstsq`.
    theta_ls : ndarray (p,)
        The minimum-norm unconstrained minimiser θ_LS = X⁺y.
    loss_ls : float
        L(θ_LS), the smallest loss without the constraint.
    grad_loss : ndarray (p,)
        ∇L(θ*) = −Xᵀ(y − Xθ*)/n. When the constraint binds, ∇L(θ*) = −2λ*θ*: it points
        opposite to ∇‖θ‖² = 2θ*.
    """

    result: ConstrainedResult
    theta_ls: np.ndarray
    loss_ls: float
    grad_loss: np.ndarray


def constrained_geometry(X: Any, y: Any, C: float) -> ConstrainedGeometry:
    r"""Solve min (1/2n)‖y − Xθ‖² s.t. ‖θ‖² ≤ C and return what its picture shows.

    θ* and λ* come from :func:`norm_constrained_lstsq`, θ_LS = X⁺y from :func:`ridge`
    with λ = 0, and the gradient ∇L(θ*) = −Xᵀ(y − Xθ*)/n, which by stationarity of the
    Lagrangian equals −2λ*θ*. Raises ``ValueError`` for C ≤ 0, NaN/inf in X or y, or
    mismatched shapes.
    """
    Xa, ya = _check_Xy(X, y)
    res = norm_constrained_lstsq(Xa, ya, C)
    theta_ls = ridge(Xa, ya, 0.0)
    grad = -Xa.T @ (ya - Xa @ res.theta) / Xa.shape[0]
    return ConstrainedGeometry(result=res, theta_ls=theta_ls, loss_ls=_loss(Xa, ya, theta_ls),
                               grad_loss=grad)


__all__ += ["ConstrainedGeometry", "constrained_geometry", "singular_values"]
