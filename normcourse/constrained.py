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
    positive_int,
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

    For the ℓ1 ball (:func:`l1_constrained_lstsq`) ‖θ‖² − C becomes ‖θ‖₁ − r and the
    stationarity residual is the distance of −∇L(θ) to λ·∂‖θ‖₁.
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
    """What a picture of min L(θ) s.t. θ in a ball needs, from :func:`constrained_geometry`.

    Attributes
    ----------
    result : ConstrainedResult or L1ConstrainedResult
        The constrained optimum θ*, its multiplier λ* and L(θ*).
    theta_ls : ndarray (p,)
        The minimum-norm unconstrained minimiser θ_LS = X⁺y.
    loss_ls : float
        L(θ_LS), the smallest loss without the constraint.
    grad_loss : ndarray (p,)
        ∇L(θ*) = −Xᵀ(y − Xθ*)/n. For the ℓ2 ball, when the constraint binds,
        ∇L(θ*) = −2λ*θ*: it points opposite to ∇‖θ‖² = 2θ*; for the ℓ1 ball −∇L(θ*)
        lies in the normal cone λ*·∂‖θ*‖₁.
    ball : str
        "l2" (‖θ‖₂² ≤ C) or "l1" (‖θ‖₁ ≤ C).
    """

    result: ConstrainedResult | L1ConstrainedResult
    theta_ls: np.ndarray
    loss_ls: float
    grad_loss: np.ndarray
    ball: str = "l2"


def constrained_geometry(X: Any, y: Any, C: float, ball: str = "l2") -> ConstrainedGeometry:
    r"""Solve min (1/2n)‖y − Xθ‖² over a ball and return what its picture shows.

    ``ball="l2"``: the constraint ‖θ‖₂² ≤ C, solved by :func:`norm_constrained_lstsq`
    (∇L(θ*) = −2λ*θ* by stationarity). ``ball="l1"``: the constraint ‖θ‖₁ ≤ C (C is then
    the radius, not a squared norm), solved by :func:`l1_constrained_lstsq`. θ_LS = X⁺y
    comes from :func:`ridge` with λ = 0 and ∇L(θ*) = −Xᵀ(y − Xθ*)/n. Raises
    ``ValueError`` for C ≤ 0, NaN/inf in X or y, mismatched shapes or another ``ball``.
    """
    Xa, ya = _check_Xy(X, y)
    C = positive(C, "C")
    ball = choice(ball, ("l2", "l1"), "ball")
    res = norm_constrained_lstsq(Xa, ya, C) if ball == "l2" else l1_constrained_lstsq(Xa, ya, C)
    theta_ls = ridge(Xa, ya, 0.0)
    grad = -Xa.T @ (ya - Xa @ res.theta) / Xa.shape[0]
    return ConstrainedGeometry(result=res, theta_ls=theta_ls, loss_ls=_loss(Xa, ya, theta_ls),
                               grad_loss=grad, ball=ball)


# ----------------------------------------------------------------- the ℓ1 ball


def project_l1_ball(v: Any, radius: float) -> np.ndarray:
    r"""Euclidean projection of v onto the ℓ1 ball {θ : ‖θ‖₁ ≤ r}.

    If ‖v‖₁ ≤ r the answer is v; otherwise it is soft-thresholding,
    θ_j = sign(v_j)·max(|v_j| − τ, 0), at the τ > 0 that makes ‖θ‖₁ = r, found by sorting
    |v| (Duchi, Shalev-Shwartz, Singer and Chandra, ICML 2008). Entries with |v_j| ≤ τ
    come out exactly 0.
    """
    va = finite_array(v, "v", ndim=1)
    if va.size == 0:
        raise ValueError("v must have at least one entry")
    r = positive(radius, "radius")
    a = np.abs(va)
    if a.sum() <= r:
        return va.copy()
    u = np.sort(a)[::-1]
    css = np.cumsum(u)
    k = np.arange(1, u.size + 1)
    hits = np.nonzero(u * k > css - r)[0]
    rho = int(hits[-1]) if hits.size else 0  # none only when r is below rounding of |v|
    tau = (css[rho] - r) / (rho + 1)
    out = np.sign(va) * np.maximum(a - tau, 0.0) + 0.0  # + 0.0: no −0.0 entries
    if not out.any():  # r lost in rounding against |v|: all of it on the largest entry
        j = int(np.argmax(a))
        out[j] = math.copysign(r, va[j])
    return out


@dataclass(frozen=True)
class L1ConstrainedResult:
    """Solution of min L(θ) s.t. ‖θ‖₁ ≤ r, from :func:`l1_constrained_lstsq`.

    Attributes
    ----------
    theta : ndarray (p,)
        θ*, with exact zeros where the solution sits on a face or corner of the ball.
    lam : float
        μ*, the multiplier of ‖θ‖₁ − r in the Lagrangian L(θ) + μ(‖θ‖₁ − r); 0 when the
        constraint is inactive. Equal to ‖∇L(θ*)‖_∞ when it binds.
    loss, radius, active, kkt :
        L(θ*), the budget r, whether λ* > 0, and the KKT residuals (stationarity is the
        distance of −∇L(θ*) to μ*·∂‖θ*‖₁; the other three use ‖θ‖₁ − r).
    converged : bool
        Whether the KKT residuals reached ``tol``; ``n_iter`` counts the iterations.
    """

    theta: np.ndarray
    lam: float
    loss: float
    radius: float
    active: bool
    kkt: KKTResiduals
    converged: bool
    n_iter: int

    @property
    def penalty_lam(self) -> float:
        """μ*: the lasso penalty λ‖θ‖₁ with λ = μ* has the same solution (no factor 2)."""
        return self.lam


def _l1_kkt(G: np.ndarray, b: np.ndarray, r: float, th: np.ndarray, mu: float) -> KKTResiduals:
    grad = G @ th - b
    on = th != 0
    stat = np.where(on, grad + mu * np.sign(th), np.maximum(np.abs(grad) - mu, 0.0))
    slack = float(np.abs(th).sum()) - r
    return KKTResiduals(stationarity=safe_norm(stat), primal=max(0.0, slack),
                        dual=max(0.0, -mu), complementary=abs(mu * slack))


def _l1_polish(G: np.ndarray, b: np.ndarray, r: float, th: np.ndarray
               ) -> tuple[np.ndarray, float] | None:
    """Solve the KKT system exactly on the support and signs of ``th``; None if they fail."""
    S = np.flatnonzero(th)
    s = np.sign(th[S])
    if S.size == 0:
        return None
    if np.abs(th).sum() < r * (1 - 1e-9):  # interior: a least-squares point on S
        sol = np.linalg.lstsq(G[np.ix_(S, S)], b[S], rcond=None)[0]
        mu = 0.0
    else:  # G_SS θ_S + μ s = b_S and sᵀθ_S = r
        K = np.block([[G[np.ix_(S, S)], s[:, None]], [s[None, :], np.zeros((1, 1))]])
        full = np.linalg.lstsq(K, np.concatenate([b[S], [r]]), rcond=None)[0]
        sol, mu = full[:-1], float(full[-1])
    if mu < 0 or np.any(np.sign(sol) != s):
        return None
    out = np.zeros_like(th)
    out[S] = sol
    return out, mu


def l1_constrained_lstsq(X: Any, y: Any, radius: float, tol: float = 1e-10,
                         max_iter: int = 20000) -> L1ConstrainedResult:
    r"""Solve min_θ (1/2n)‖y − Xθ‖² subject to ‖θ‖₁ ≤ r (the lasso in constrained form).

    Method: accelerated projected gradient (FISTA with adaptive restart, step 1/L with
    L = σ₁²/n) with :func:`project_l1_ball`; every 10 iterations the KKT system
    G_SS θ_S + μ s = b_S, sᵀθ_S = r (G = XᵀX/n, b = Xᵀy/n, S the support and s the signs
    of the iterate) is solved exactly and accepted once all KKT residuals are ≤ ``tol``
    (relative to 1 + ‖b‖_∞). Stationarity of L(θ) + μ(‖θ‖₁ − r) is
    0 ∈ ∇L(θ) + μ∂‖θ‖₁ — the optimality condition of the lasso with penalty λ‖θ‖₁ at
    λ = μ*, without the factor 2 of the ℓ2 case (whose Lagrangian charges ‖θ‖², the
    penalty (λ/2)‖θ‖²).

    Raises ``ValueError`` for r ≤ 0, NaN/inf in X or y, or mismatched shapes.
    """
    Xa, ya = _check_Xy(X, y)
    moderate_scale(Xa, "X")
    moderate_scale(ya, "y")
    r = positive(radius, "radius")
    tol = positive(tol, "tol")
    max_iter = positive_int(max_iter, "max_iter")
    n = Xa.shape[0]
    G, b = Xa.T @ Xa / n, Xa.T @ ya / n
    scale = 1.0 + float(np.max(np.abs(b)))
    s = _thin_svd(Xa)[1]
    theta = ridge(Xa, ya, 0.0) if s.size else np.zeros(Xa.shape[1])
    if np.abs(theta).sum() <= r:  # the minimum-norm least-squares point is affordable
        kkt = _l1_kkt(G, b, r, theta, 0.0)
        return L1ConstrainedResult(theta, 0.0, _loss(Xa, ya, theta), r, False, kkt,
                                   kkt.max <= tol * scale, 0)
    step = n / float(s[0]) ** 2
    theta = np.zeros(Xa.shape[1])
    z, tk, mu, done, k = theta, 1.0, 0.0, False, 0
    for k in range(1, max_iter + 1):
        new = project_l1_ball(z - step * (G @ z - b), r)
        if (z - new) @ (new - theta) > 0:  # restart the momentum when it points uphill
            tk = 1.0
        t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * tk * tk))
        z = new + ((tk - 1.0) / t_next) * (new - theta)
        theta, tk = new, t_next
        if k % 10 == 0 or k == max_iter:
            cand = _l1_polish(G, b, r, theta)
            if cand is not None and _l1_kkt(G, b, r, *cand).max <= tol * scale:
                (theta, mu), done = cand, True
                break
    if not done:
        on_boundary = np.abs(theta).sum() >= r * (1 - 1e-9)
        mu = float(np.max(np.abs(G @ theta - b))) if on_boundary else 0.0
    kkt = _l1_kkt(G, b, r, theta, mu)
    return L1ConstrainedResult(theta, mu, _loss(Xa, ya, theta), r, mu > 0, kkt,
                               kkt.max <= tol * scale, k)


__all__ += ["ConstrainedGeometry", "L1ConstrainedResult", "constrained_geometry",
            "l1_constrained_lstsq", "project_l1_ball", "singular_values"]
