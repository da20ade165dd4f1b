r"""Maximum-margin classification and the implicit bias of gradient descent.

Symbols as in the book: data xᵢ ∈ ℝᵖ with labels yᵢ ∈ {−1, +1}, a linear classifier
x ↦ sign(θᵀx + b), Lagrange multipliers (dual variables) αᵢ ≥ 0, penalty strength λ
(``lam``), step size η (``lr``).

* :func:`hard_margin_svm` — the hard-margin support vector machine (Boser, Guyon & Vapnik
  1992; Cortes & Vapnik 1995)

  .. math:: \min_{\theta, b}\ \tfrac12\|\theta\|_2^2
            \quad\text{s.t.}\quad y_i(\theta^\top x_i + b) \ge 1,\ i = 1 … n,

  whose geometric margin is 1/‖θ‖; with ``fit_intercept=False`` the same problem with
  b = 0 (hyperplanes through the origin).
* :func:`linearly_separable` — the linear-programming feasibility test behind its
  ``ValueError``; :func:`dispensable_points` — which points can be deleted without
  changing the solution (all but the indispensable support vectors).
* :func:`logistic_gd` — gradient descent on J(θ) = L(θ) + (λ/2)‖θ‖² with the logistic
  loss L(θ) = (1/n) Σᵢ log(1 + exp(−yᵢ θᵀxᵢ)) of a homogeneous model, recording a trace
  on a log-spaced grid of steps (Soudry, Hoffer, Nacson, Gunasekar & Srebro 2018: for
  λ = 0 on separable data, θ_t/‖θ_t‖ → the direction of the b = 0 hard-margin SVM).
* :func:`logistic_objective` — J(θ) and ∇J(θ); :func:`angle` — the angle between vectors.

The loss and gradient are those of :mod:`normcourse.solvers` (one implementation); the
L2-regularised minimiser itself is computed by ``solvers.prox_grad(X, y, L2(lam),
loss="logistic")``.

References
----------
Boser, Guyon, Vapnik, "A training algorithm for optimal margin classifiers", COLT 1992.
Cortes, Vapnik, "Support-vector networks", Machine Learning 20 (1995).
Soudry, Hoffer, Nacson, Gunasekar, Srebro, "The implicit bias of gradient descent on
separable data", JMLR 19 (2018).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linprog, lsq_linear, minimize

from normcourse._validate import (
    data,
    finite_array,
    flag,
    nonneg,
    pm1_labels,
    positive,
    positive_int,
)
from normcourse.datafit import Logistic

__all__ = [
    "GDTrace",
    "SVMResult",
    "angle",
    "asymptotic_offset",
    "direction_margin",
    "dispensable_points",
    "hard_margin_svm",
    "linearly_separable",
    "logistic_gd",
    "logistic_objective",
]

# A constraint yᵢ(θᵀxᵢ + b) ≥ 1 counts as active when its slack is below this (the slack
# is scale-free: it is 0 on the margin whatever the units of X).
_ACTIVE_TOL = 1e-9


# ------------------------------------------------------------------------------ checks


def _check_data(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Finite 2-D X, 1-D y of the same length with labels in {−1, +1}."""
    Xa, ya = data(X, y, y_ndim=1, min_features=1)
    return Xa, pm1_labels(ya)


def _constraint_matrix(X: np.ndarray, y: np.ndarray, fit_intercept: bool) -> np.ndarray:
    """A with rows yᵢ·(xᵢ, 1) (or yᵢxᵢ without intercept): constraints read A v ≥ 1."""
    Z = y[:, None] * X
    return np.hstack([Z, y[:, None]]) if fit_intercept else Z


def _check_fit_intercept(fit_intercept: Any) -> bool:
    return flag(fit_intercept, "fit_intercept")


def angle(u: Any, v: Any) -> float:
    r"""Angle ∠(u, v) ∈ [0, π] in radians between two nonzero vectors.

    Computed as 2·atan2(‖û − v̂‖, ‖û + v̂‖) with û = u/‖u‖, v̂ = v/‖v‖, which is accurate
    for tiny angles too (arccos of the cosine loses half the digits there).
    """
    ua = finite_array(u, "u", ndim=1)
    va = finite_array(v, "v", ndim=1)
    if ua.shape != va.shape:
        raise ValueError(f"u and v must have the same shape, got {ua.shape} and {va.shape}")
    if ua.size == 0:
        raise ValueError("u and v must hold at least one entry")
    mu, mv = float(np.max(np.abs(ua))), float(np.max(np.abs(va)))
    if mu == 0:
        raise ValueError("u must be nonzero (a direction)")
    if mv == 0:
        raise ValueError("v must be nonzero (a direction)")
    ua, va = ua / mu, va / mv  # rescaled first: ‖u‖ of a huge u would overflow
    uh, vh = ua / np.linalg.norm(ua), va / np.linalg.norm(va)
    return float(2.0 * math.atan2(np.linalg.norm(uh - vh), np.linalg.norm(uh + vh)))


# ----------------------------------------------------------------------------- the SVM


def linearly_separable(X: Any, y: Any, fit_intercept: bool = True) -> bool:
    r"""True when some (θ, b) has yᵢ(θᵀxᵢ + b) > 0 for every i (b = 0 if not ``fit_intercept``).

    Strict separation is scale-free, so it is equivalent to the feasibility of the linear
    program {(θ, b) : yᵢ(θᵀxᵢ + b) ≥ 1 ∀i}, which is what is solved (HiGHS, via
    ``scipy.optimize.linprog``). With an intercept both classes must be present.
    """
    Xa, ya = _check_data(X, y)
    fit_intercept = _check_fit_intercept(fit_intercept)
    return _feasible_point(_constraint_matrix(Xa, ya, fit_intercept)) is not None


def _feasible_point(A: np.ndarray) -> np.ndarray | None:
    """A point v with A v ≥ 1, or None when there is none."""
    res = linprog(np.zeros(A.shape[1]), A_ub=-A, b_ub=-np.ones(A.shape[0]),
                  bounds=[(None, None)] * A.shape[1], method="highs")
    if res.status == 2:  # infeasible
        return None
    if res.status != 0:
        raise RuntimeError(f"separability LP failed: {res.message}")
    return np.asarray(res.x, dtype=np.float64)


@dataclass(frozen=True)
class SVMResult:
    r"""Solution of the hard-margin SVM.

    Attributes
    ----------
    theta : ndarray (p,)
        Normal vector θ of the separating hyperplane {x : θᵀx + b = 0}.
    b : float
        Intercept (0.0 when ``fit_intercept=False``).
    margin : float
        Geometric margin 1/‖θ‖₂: the distance from the hyperplane to the closest point.
    alpha : ndarray (n,)
        Dual variables αᵢ ≥ 0 with θ = Σᵢ αᵢyᵢxᵢ (and Σᵢ αᵢyᵢ = 0 with an intercept).
    support : ndarray of int
        Support vectors: indices with αᵢ > 0, sorted.
    active : ndarray of int
        Indices of active constraints, yᵢ(θᵀxᵢ + b) = 1 (points on the margin). It
        contains ``support``; it is larger only in degenerate configurations.
    functional_margins : ndarray (n,)
        yᵢ(θᵀxᵢ + b), all ≥ 1.
    fit_intercept : bool
    """

    theta: np.ndarray
    b: float
    margin: float
    alpha: np.ndarray
    support: np.ndarray
    active: np.ndarray
    functional_margins: np.ndarray
    fit_intercept: bool

    def decision_function(self, X: Any) -> np.ndarray:
        """θᵀx + b for each row x of ``X``."""
        Xa = finite_array(X, "X", ndim=2)
        if Xa.shape[1] != self.theta.shape[0]:
            raise ValueError(f"X must have {self.theta.shape[0]} columns, got {Xa.shape[1]}")
        return Xa @ self.theta + self.b


def _equality_qp(A: np.ndarray, S: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """min ½‖θ‖² s.t. A_S v = 1 (v = (θ, b) or θ); returns (v, α_S).

    θ is the minimum-norm solution of Z_S θ = 1 (no intercept) or, with an intercept, of
    Q Z_S θ = Q 1 with Q = I − y_S y_Sᵀ/k the projection that removes b, after which
    b = y_Sᵀ(1 − Z_S θ)/k. These least-squares problems have the condition number of
    Z_S, not of the Gram matrix Z_S Z_Sᵀ (its square), so data separable by a tiny
    margin are still solved accurately. α_S is the least-squares solution of the
    stationarity equations A_Sᵀ α = (θ, 0) (unique θ and b; α may not be unique).
    """
    AS = A[S]
    ZS = AS[:, :p]
    k = len(S)
    if A.shape[1] == p:  # no intercept
        theta = np.linalg.lstsq(ZS, np.ones(k), rcond=None)[0]
        v = theta
        target = theta
    else:
        yS = AS[:, p]
        Q = np.eye(k) - np.outer(yS, yS) / k
        theta = np.linalg.lstsq(Q @ ZS, Q @ np.ones(k), rcond=None)[0]
        b = float(yS @ (np.ones(k) - ZS @ theta)) / k
        v = np.append(theta, b)
        target = np.append(theta, 0.0)
    alpha_S = np.linalg.lstsq(AS.T, target, rcond=None)[0]
    return v, alpha_S


def _nonneg_multipliers(E: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, float]:
    """α ≥ 0 minimising ‖Eα − target‖ and the residual (bounded-variable least squares).

    ``scipy.optimize.lsq_linear`` (BVLS) rather than ``scipy.optimize.nnls``: the latter
    can corrupt the heap and abort the interpreter on degenerate input (scipy 1.17).
    """
    if E.shape[1] == 0:
        return np.zeros(0), float(np.linalg.norm(target))
    res = lsq_linear(E, target, bounds=(0.0, np.inf), method="bvls", tol=1e-15)
    alpha = np.maximum(np.asarray(res.x, dtype=np.float64), 0.0)
    return alpha, float(np.linalg.norm(E @ alpha - target))


def _unsolvable(detail: str) -> ValueError:
    return ValueError(
        "hard_margin_svm could not solve the KKT conditions to accuracy for these X, y "
        f"({detail}): they are separable, if at all, only by a margin that is tiny "
        "compared with the spread of X (ill-conditioned); rescale or deduplicate the "
        "points, or use a soft margin"
    )


def hard_margin_svm(X: Any, y: Any, fit_intercept: bool = True) -> SVMResult:
    r"""Maximum-margin separating hyperplane: min ½‖θ‖² s.t. yᵢ(θᵀxᵢ + b) ≥ 1 ∀i.

    Its dual is max_α Σᵢαᵢ − ½ Σᵢⱼ αᵢαⱼyᵢyⱼxᵢᵀxⱼ over α ≥ 0 with Σᵢαᵢyᵢ = 0; at the
    optimum θ = Σᵢ αᵢyᵢxᵢ, αᵢ > 0 only where yᵢ(θᵀxᵢ + b) = 1 (the support vectors),
    ‖θ‖² = Σᵢαᵢ and the geometric margin is 1/‖θ‖. With ``fit_intercept=False``, b = 0
    and the equality Σᵢαᵢyᵢ = 0 disappears.

    Method: an LP decides separability and gives a feasible start; SLSQP solves the
    primal QP; then an active-set refinement solves the KKT system of the points on the
    margin exactly and checks every KKT condition (primal feasibility, α ≥ 0 by NNLS,
    stationarity) to ~1e-9, adding violated points or dropping negative multipliers
    until they hold. The result is exact up to rounding.

    Parameters
    ----------
    X : array (n, p)
    y : array (n,), labels in {−1, +1}
    fit_intercept : bool
        Fit b (default) or force the hyperplane through the origin (b = 0).

    Raises
    ------
    ValueError
        Bad input (NaN/inf, shapes, labels not in {−1, +1}, a single class with an
        intercept) or data that are not linearly separable (by a hyperplane through the
        origin when ``fit_intercept=False``).
    """
    Xa, ya = _check_data(X, y)
    fit_intercept = _check_fit_intercept(fit_intercept)
    if fit_intercept and (np.all(ya == 1.0) or np.all(ya == -1.0)):
        raise ValueError("y must contain both classes (+1 and −1) to fit an intercept")
    n, p = Xa.shape
    # The problem is equivariant under x ↦ (x − μ)/s (θ ↦ sθ, b ↦ b + θᵀμ, α ↦ s²α; μ = 0
    # without an intercept), so it is solved on centred, scaled data for conditioning.
    mu = Xa.mean(axis=0) if fit_intercept else np.zeros(p)
    s = float(np.max(np.linalg.norm(Xa - mu, axis=1)))
    s = s if s > 0 else 1.0
    A = _constraint_matrix((Xa - mu) / s, ya, fit_intercept)
    v0 = _feasible_point(A)
    if v0 is None:
        where = " by a hyperplane through the origin" if not fit_intercept else ""
        raise ValueError(
            f"X, y are not linearly separable{where}: no (θ, b) has yᵢ(θᵀxᵢ + b) > 0 "
            "for all i, so the hard-margin SVM has no solution (use a soft margin)"
        )

    # Scale-free start: a feasible point of the LP, then SLSQP on the primal QP.
    P = np.eye(A.shape[1])
    if fit_intercept:
        P[p, p] = 0.0
    res = minimize(
        lambda v: 0.5 * float(v[:p] @ v[:p]),
        v0,
        jac=lambda v: P @ v,
        constraints=[{"type": "ineq", "fun": lambda v: A @ v - 1.0, "jac": lambda v: A}],
        method="SLSQP",
        options={"ftol": 1e-15, "maxiter": 1000},
    )
    v = res.x if np.all(np.isfinite(res.x)) else v0
    slack = A @ v - 1.0
    S = np.flatnonzero(slack <= 1e-6)
    if S.size == 0:
        S = np.array([int(np.argmin(slack))])

    # Active-set refinement on the KKT conditions.
    for _ in range(4 * n + 10):
        v, alpha_ls = _equality_qp(A, S, p)
        theta = v[:p]
        if not np.all(np.isfinite(v)):
            raise _unsolvable("the equality-constrained step degenerated")
        slack = A @ v - 1.0
        E = A[S].T  # columns yᵢ(xᵢ, 1): stationarity E α = (θ, 0)
        target = np.append(theta, 0.0) if fit_intercept else theta
        alpha_S, resid = _nonneg_multipliers(E, target)
        # Backward-error test: rounding alone leaves a residual ~ ε‖E‖‖α‖, which exceeds
        # ε‖target‖ when the margin is tiny compared with the spread of X.
        scale = max(np.linalg.norm(target), np.linalg.norm(E, 2) * np.linalg.norm(alpha_S),
                    1e-300)
        dual_ok = resid <= 1e-9 * scale
        primal_ok = slack.min() >= -_ACTIVE_TOL
        if dual_ok and primal_ok:
            break
        if not dual_ok:  # a multiplier wants to be negative: leave its constraint
            if S.size == 1:
                raise _unsolvable("no point is left on the margin")
            S = np.delete(S, int(np.argmin(alpha_ls)))
        else:  # a constraint is violated: take it in
            S = np.union1d(S, [int(np.argmin(slack))])
    else:
        raise _unsolvable("the active-set refinement did not converge")

    alpha = np.zeros(n)
    alpha[S] = alpha_S / s**2
    alpha[alpha <= 1e-12 * alpha.max()] = 0.0
    theta = theta / s
    b = float(v[p]) - float(theta @ mu) if fit_intercept else 0.0
    fm = ya * (Xa @ theta + b)
    return SVMResult(
        theta=theta,
        b=b,
        margin=float(1.0 / np.linalg.norm(theta)),
        alpha=alpha,
        support=np.flatnonzero(alpha > 0),
        active=np.flatnonzero(fm - 1.0 <= _ACTIVE_TOL),
        functional_margins=fm,
        fit_intercept=fit_intercept,
    )


def dispensable_points(X: Any, y: Any, fit_intercept: bool = True,
                       svm: SVMResult | None = None) -> np.ndarray:
    r"""Mask of the points whose deletion alone leaves the hard-margin SVM unchanged.

    Deleting point k removes one constraint, so the old (θ, b) stays feasible and the
    margin cannot shrink. It stays optimal — same θ, b and margin — if and only if the
    KKT conditions still hold without k, i.e. some multipliers α ≥ 0 with αₖ = 0 and
    αᵢ = 0 off the margin satisfy

    .. math:: \sum_{i \ne k} \alpha_i y_i x_i = \theta, \qquad \sum_{i \ne k} \alpha_i y_i = 0

    (the second equation only with an intercept); otherwise the margin strictly grows.
    Points off the margin are always dispensable. For each point on the margin the
    equations are solved by bounded least squares (as in :func:`hard_margin_svm`) and
    accepted to the same relative accuracy ~1e-9.

    ``svm`` may pass ``hard_margin_svm(X, y, fit_intercept)`` if already computed.
    Returns a boolean array of length n.
    """
    Xa, ya = _check_data(X, y)
    fit_intercept = _check_fit_intercept(fit_intercept)
    if svm is None:
        svm = hard_margin_svm(Xa, ya, fit_intercept=fit_intercept)
    elif not isinstance(svm, SVMResult) or svm.fit_intercept != fit_intercept:
        raise ValueError(f"svm must be the SVMResult of hard_margin_svm(X, y, "
                         f"fit_intercept={fit_intercept})")
    n, p = Xa.shape
    if svm.theta.shape != (p,) or svm.functional_margins.shape != (n,):
        raise ValueError(f"svm was computed for data of another shape than X {Xa.shape}")
    # Same centring and scaling as hard_margin_svm: θ' = sθ, α' = s²α on (x − μ)/s.
    mu = Xa.mean(axis=0) if fit_intercept else np.zeros(p)
    s = float(np.max(np.linalg.norm(Xa - mu, axis=1)))
    s = s if s > 0 else 1.0
    A = _constraint_matrix((Xa - mu) / s, ya, fit_intercept)
    target = np.append(s * svm.theta, 0.0) if fit_intercept else s * svm.theta
    keep = np.ones(n, dtype=bool)
    for k in svm.active:
        others = svm.active[svm.active != k]
        E = A[others].T
        alpha, resid = _nonneg_multipliers(E, target)
        scale = max(np.linalg.norm(target), np.linalg.norm(E, 2) * np.linalg.norm(alpha)
                    if E.size else 0.0, 1e-300)
        keep[k] = resid <= 1e-9 * scale
    return keep


def direction_margin(X: Any, y: Any, u: Any, fit_intercept: bool = True) -> np.ndarray | float:
    r"""Largest geometric margin of a hyperplane whose normal points along u.

    With û = u/‖u‖ and the best intercept (the hyperplane midway between the classes),

    .. math:: m(u) = \tfrac12\bigl(\min_{y_i=+1} û^\top x_i - \max_{y_i=-1} û^\top x_i\bigr);

    without intercept (hyperplane through the origin) m(u) = minᵢ yᵢûᵀxᵢ. A negative value
    means no such hyperplane separates the data. The hard-margin SVM maximises m over u:
    max_u m(u) = 1/‖θ‖ at u = θ. ``u`` may be one direction (p,) or a stack (k, p); the
    result is a float or an array of k margins.
    """
    Xa, ya = _check_data(X, y)
    fit_intercept = _check_fit_intercept(fit_intercept)
    U = finite_array(u, "u", ndim=(1, 2))
    single = U.ndim == 1
    U = np.atleast_2d(U)
    if U.shape[1] != Xa.shape[1]:
        raise ValueError(f"u must have {Xa.shape[1]} entries per direction, got {U.shape[1]}")
    norms = np.linalg.norm(U, axis=1)
    if np.any(norms == 0):
        raise ValueError("u must be nonzero (a direction)")
    proj = Xa @ (U / norms[:, None]).T  # (n, k)
    if fit_intercept:
        if np.all(ya == 1.0) or np.all(ya == -1.0):
            raise ValueError("y must contain both classes (+1 and −1) to fit an intercept")
        m = 0.5 * (proj[ya == 1.0].min(axis=0) - proj[ya == -1.0].max(axis=0))
    else:
        m = (ya[:, None] * proj).min(axis=0)
    return float(m[0]) if single else m


def asymptotic_offset(X: Any, y: Any, lr: float, svm: SVMResult | None = None) -> np.ndarray:
    r"""The offset w̃ in θ_t = θ̂ log t + w̃ + o(1) for gradient descent on separable data.

    For λ = 0, step η, and the *mean* logistic loss of :func:`logistic_gd`, the analysis of
    Soudry et al. (2018) gives θ_t = θ̂ log t + w̃ + o(1), where θ̂ is the b = 0 hard-margin
    SVM with multipliers αᵢ and, for every support vector i,

    .. math:: \frac{\eta}{n}\,\exp(-y_i\,\tilde w^\top x_i) = \alpha_i

    (their η is ours divided by n, because their loss is a sum). They prove
    ρ_t = θ_t − θ̂ log t → w̃ for almost every data set (all but a set of measure zero)
    whose support vectors span the data, rank X_S = rank X; here w̃ is solved when the
    support vectors yᵢxᵢ form a basis of ℝᵖ (p of them, linearly independent), else
    ``ValueError``.
    Consequently ∠(θ_t, θ̂) ≈ ‖P⊥w̃‖ / (‖θ̂‖ log t): the 1/log t rate, with its constant.
    """
    Xa, ya = _check_data(X, y)
    eta = positive(lr, "lr")
    if svm is None:
        svm = hard_margin_svm(Xa, ya, fit_intercept=False)
    elif not isinstance(svm, SVMResult) or svm.fit_intercept:
        raise ValueError("svm must be the SVMResult of hard_margin_svm(X, y, fit_intercept=False)")
    n, p = Xa.shape
    S = svm.support
    ZS = ya[S, None] * Xa[S]
    if S.size != p or np.linalg.matrix_rank(ZS) < p:
        raise ValueError(
            f"the {S.size} support vectors do not form a basis of R^{p}; the offset is then "
            "not determined by the SVM alone"
        )
    return np.linalg.solve(ZS, np.log(eta / (n * svm.alpha[S])))


# -------------------------------------------------------- gradient descent, logistic loss


def logistic_objective(X: Any, y: Any, theta: Any, lam: float = 0.0) -> tuple[float, np.ndarray]:
    r"""J(θ) = (1/n) Σᵢ log(1 + exp(−yᵢθᵀxᵢ)) + (λ/2)‖θ‖² and its gradient.

    ∇J(θ) = −(1/n) Σᵢ σ(−yᵢθᵀxᵢ) yᵢxᵢ + λθ with σ the logistic sigmoid; both are computed
    without overflow (log-sum-exp, ``expit``). Homogeneous model: no intercept.
    """
    Xa, ya = _check_data(X, y)
    th = finite_array(theta, "theta", ndim=1)
    if th.shape[0] != Xa.shape[1]:
        raise ValueError(f"theta must have {Xa.shape[1]} entries, got {th.shape[0]}")
    lam = nonneg(lam, "lam")
    oracle = Logistic(Xa, ya)
    A = oracle.linear(th)
    return (oracle.value(th, A) + 0.5 * lam * float(th @ th), oracle.grad(th, A) + lam * th)


@dataclass(frozen=True)
class GDTrace:
    r"""Gradient-descent run recorded at selected steps t (``steps``).

    Attributes
    ----------
    steps : ndarray of int (k,)
    thetas : ndarray (k, p)
        θ_t at the recorded steps.
    norms : ndarray (k,)
        ‖θ_t‖₂.
    losses : ndarray (k,)
        Data loss L(θ_t) (no penalty).
    objectives : ndarray (k,)
        J(θ_t) = L(θ_t) + (λ/2)‖θ_t‖².
    grad_norms : ndarray (k,)
        ‖∇J(θ_t)‖₂.
    angles : ndarray (k,) or None
        ∠(θ_t, reference) in radians when a reference direction was given (NaN where
        θ_t = 0).
    theta : ndarray (p,)
        The last iterate θ_T, T = ``n_steps``.
    lr, lam : float
    """

    steps: np.ndarray
    thetas: np.ndarray
    norms: np.ndarray
    losses: np.ndarray
    objectives: np.ndarray
    grad_norms: np.ndarray
    angles: np.ndarray | None
    theta: np.ndarray
    lr: float
    lam: float


def _record_steps(record: Any, n_steps: int) -> np.ndarray:
    if isinstance(record, int | np.integer) and not isinstance(record, bool):
        k = positive_int(record, "record")
        return np.unique(np.geomspace(1, n_steps, k).round().astype(np.int64))
    try:
        steps = np.asarray(record)
    except (TypeError, ValueError):
        raise ValueError(f"record must be an int or a sequence of steps, got {record!r}") from None
    if steps.ndim != 1 or steps.size == 0 or steps.dtype.kind not in "iu":
        raise ValueError(
            f"record must be an int or a 1-D sequence of integer steps, got {record!r}"
        )
    if steps.min() < 0 or steps.max() > n_steps:
        raise ValueError(f"record steps must lie in [0, n_steps={n_steps}], got {record!r}")
    return np.unique(steps.astype(np.int64))


def logistic_gd(
    X: Any,
    y: Any,
    lr: float | None = None,
    n_steps: int = 10_000,
    *,
    lam: float = 0.0,
    record: int | Sequence[int] = 60,
    theta0: Any = None,
    reference: Any = None,
) -> GDTrace:
    r"""Full-batch gradient descent θ_{t+1} = θ_t − η∇J(θ_t) on the logistic loss.

    J(θ) = L(θ) + (λ/2)‖θ‖², L(θ) = (1/n) Σᵢ log(1 + exp(−yᵢθᵀxᵢ)), for the homogeneous
    linear model x ↦ θᵀx: there is **no intercept**. To have one, append a column of
    ones to X; it is then an ordinary coordinate of θ — penalised by λ, and part of the
    norm whose margin GD maximises — so compare with ``hard_margin_svm(X1, y,
    fit_intercept=False)`` on the augmented X1, not with the SVM with a free b.

    On linearly separable data with λ = 0 and η < 2/L, L(θ_t) → 0 and θ_t = θ̂ log t + ρ_t
    with θ̂ the b = 0 hard-margin SVM and ‖ρ_t‖ = O(log log t), so θ_t/‖θ_t‖ → θ̂/‖θ̂‖ on
    every separable data set; on almost every one (all but a set of measure zero) ρ_t
    is bounded and the angle decays like 1/log t (Soudry et al. 2018).
    With λ > 0, J is strictly convex and GD converges to its unique minimiser.

    Parameters
    ----------
    X : array (n, p); y : array (n,), labels in {−1, +1}
    lr : float, optional
        Step size η > 0; default 1/L with L = ‖X‖₂²/(4n) + λ, the Lipschitz constant of ∇J.
    n_steps : int
        Number of steps T.
    lam : float
        λ ≥ 0 of the L2 penalty (λ/2)‖θ‖².
    record : int or sequence of int
        An int k records ~k steps log-spaced in [1, T]; a sequence gives the steps
        explicitly (0 is the starting point).
    theta0 : array (p,), optional
        Starting point; zeros by default.
    reference : array (p,), optional
        Direction to measure ∠(θ_t, reference) against (e.g. the SVM's θ).

    Returns
    -------
    GDTrace
    """
    Xa, ya = _check_data(X, y)
    n, p = Xa.shape
    T = positive_int(n_steps, "n_steps")
    lam = nonneg(lam, "lam")
    if lr is None:
        eta = 1.0 / (float(np.linalg.norm(Xa, 2)) ** 2 / (4 * n) + lam)
    else:
        eta = positive(lr, "lr")
    steps = _record_steps(record, T)
    if theta0 is None:
        theta = np.zeros(p)
    else:
        theta = finite_array(theta0, "theta0", ndim=1).copy()
        if theta.shape != (p,):
            raise ValueError(f"theta0 must have shape ({p},), got {theta.shape}")
    ref = None
    if reference is not None:
        ref = finite_array(reference, "reference", ndim=1)
        if ref.shape != (p,) or not np.any(ref):
            raise ValueError(f"reference must be a nonzero vector of shape ({p},)")

    oracle = Logistic(Xa, ya)
    rows: list[tuple[Any, ...]] = []

    def snap(t: int) -> None:
        A = oracle.linear(theta)
        L = oracle.value(theta, A)
        sq = float(theta @ theta)
        g = oracle.grad(theta, A) + lam * theta
        ang = math.nan
        if ref is not None and sq > 0:
            ang = angle(theta, ref)
        rows.append((t, theta.copy(), math.sqrt(sq), L, L + 0.5 * lam * sq,
                     float(np.linalg.norm(g)), ang))

    def check(t: int) -> None:
        if not np.all(np.isfinite(theta)) or not math.isfinite(float(theta @ theta)):
            raise ValueError(
                f"gradient descent diverged (θ not finite by step {t}); lr={eta:g} is too "
                f"large (with lam={lam:g})"
            )

    j = 0
    if steps[0] == 0:
        snap(0)
        j = 1
    next_t = int(steps[j]) if j < steps.size else -1
    grad, lin = oracle.grad, oracle.linear
    # A too-large step makes θ overflow; that is reported as a ValueError below, not as
    # floating-point warnings from inside the loop.
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, T + 1):
            g = grad(theta, lin(theta))
            if lam:
                g = g + lam * theta
            theta = theta - eta * g
            if t == next_t:
                check(t)
                snap(t)
                j += 1
                next_t = int(steps[j]) if j < steps.size else -1
    check(T)

    cols = list(zip(*rows, strict=True))
    return GDTrace(
        steps=np.asarray(cols[0], dtype=np.int64),
        thetas=np.vstack(cols[1]),
        norms=np.asarray(cols[2]),
        losses=np.asarray(cols[3]),
        objectives=np.asarray(cols[4]),
        grad_norms=np.asarray(cols[5]),
        angles=np.asarray(cols[6]) if ref is not None else None,
        theta=theta,
        lr=eta,
        lam=lam,
    )
