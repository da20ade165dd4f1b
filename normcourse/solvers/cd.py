r"""Coordinate descent for the lasso and the elastic net, the subgradient method, and a
helper to read convergence traces.

The problem is the squared-loss elastic net (the lasso when λ₂ = 0),

.. math:: F(\theta) = \frac{1}{2n}\|y - X\theta\|_2^2 + \lambda_1\|\theta\|_1
          + \lambda_2\|\theta\|_2^2 ,

the penalty being any :class:`~normcourse.penalties.Penalty` whose
``sign_pattern_terms()`` is (λ₁, λ₂) — ``L1(λ)`` or ``ElasticNet(λ₁, λ₂)`` — with λ₁ > 0.

* :func:`coordinate_descent` (and :func:`cd_lasso`, :func:`cd_elastic_net`): cyclic
  coordinate descent (Friedman, Hastie, Höfling & Tibshirani 2007; Friedman, Hastie &
  Tibshirani 2010 — glmnet; scikit-learn's ``Lasso``/``ElasticNet``). With r the residual
  y − Xθ and x_j column j, minimising F over θ_j alone gives

      θ_j ← S_{λ₁}(z_j) / (‖x_j‖²/n + 2λ₂),   z_j = x_jᵀr/n + (‖x_j‖²/n)·θ_j,

  where z_j is the correlation of x_j with the *partial* residual r + x_jθ_j (the residual
  without feature j) and S the soft-thresholding. One sweep updates θ_0, …, θ_{p−1} in
  order, each with the residual left by the previous update, at O(np) cost — that of one
  ISTA step.
* :func:`subgradient_method`: θ_{k+1} = θ_k − η_k g_k with g_k = ∇f(θ_k) + λ₁ sign(θ_k)
  + 2λ₂θ_k ∈ ∂F(θ_k) and η_k = η₀/√(k+1): it runs on F directly, but its best objective
  approaches F* only at the rate O(1/√k) (Shor 1985; Nesterov 2004, §3.2.3) and its iterates
  are almost never exactly zero.
* :func:`iterations_to`: the first iteration at which a trace falls below a level.

Both solvers stop on the lasso/elastic-net **duality gap** of
:func:`normcourse.solvers.proxgrad.duality_gap`, with the same threshold as
:func:`~normcourse.solvers.prox_grad`: gap ≤ tol·‖y‖²/(2n). ``tol=0`` asks for exactly
``max_iter`` sweeps or steps (a fixed budget, for plotting a trace) and never warns.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from normcourse._validate import (
    data,
    finite_array,
    moderate_scale,
    nonneg,
    positive,
    positive_int,
    real,
)
from normcourse.datafit import Quadratic, sq_spectral_norm
from normcourse.penalties import L1, ElasticNet, Penalty
from normcourse.solvers.proxgrad import check_penalty, duality_gap
from normcourse.solvers.results import ConvergenceWarning, SolverResult

__all__ = [
    "cd_elastic_net",
    "cd_lasso",
    "coordinate_descent",
    "iterations_to",
    "subgradient_method",
]


# A duality gap below −_GAP_ROUNDING·(2F + R(θ) + |Rᵀy/n|) is negative beyond rounding.
_GAP_ROUNDING = 64 * float(np.finfo(np.float64).eps)


def _setup(X: Any, y: Any, penalty: Penalty, theta0: Any, tol: float, max_iter: int,
           who: str) -> tuple[np.ndarray, np.ndarray, Penalty, float, float, tuple[float, float],
                              np.ndarray, float, int]:
    """Checked (X, y, penalty, λ₁, λ₂, gap terms, θ₀, gap threshold, max_iter)."""
    Xa, ya = data(X, y, y_ndim=1)
    moderate_scale(Xa, "X")
    moderate_scale(ya, "y")
    n, p = Xa.shape
    pen = check_penalty(penalty, (p,))
    lams = pen.sign_pattern_terms()
    if lams is None:
        raise ValueError(f"{who} needs a penalty λ₁‖θ‖₁ + λ₂‖θ‖₂² (L1 or ElasticNet), "
                         f"got {penalty!r}")
    terms = pen.gap_terms(pen.units((p,)))
    if terms is None or lams[0] <= 0:
        raise ValueError(f"{who} needs λ₁ > 0 (its stopping rule is the lasso/elastic-net "
                         f"duality gap), got {penalty!r}; for λ₁ = 0 use "
                         "normcourse.constrained.ridge")
    if theta0 is None:
        th0 = np.zeros(p)
    else:
        th0 = np.array(finite_array(theta0, "theta0"), dtype=np.float64)
        if th0.shape != (p,):
            raise ValueError(f"theta0 must have shape {(p,)} to match X {Xa.shape}, "
                             f"got {th0.shape}")
    thr = nonneg(tol, "tol") * float(ya @ ya) / (2 * n)
    return (Xa, ya, pen, lams[0], lams[1], terms, th0, thr,
            positive_int(max_iter, "max_iter"))


def _warn(who: str, res: SolverResult, tol: float, thr: float) -> None:
    warnings.warn(f"{who} stopped at max_iter={res.n_iter} before reaching tol={tol:g}: "
                  f"duality gap {res.gap[-1]:.3g} (target {thr:.3g} = tol·‖y‖²/(2n)); "
                  "increase max_iter or loosen tol", ConvergenceWarning, stacklevel=3)


def coordinate_descent(
    X: Any,
    y: Any,
    penalty: Penalty,
    *,
    tol: float = 1e-8,
    max_iter: int = 10_000,
    theta0: Any = None,
) -> SolverResult:
    r"""Cyclic coordinate descent for (1/2n)‖y − Xθ‖² + λ₁‖θ‖₁ + λ₂‖θ‖₂².

    Each sweep runs j = 0, …, p−1 and sets, with r = y − Xθ kept up to date,

        z_j = x_jᵀr/n + c_j θ_j,   θ_j ← S_{λ₁}(z_j) / (c_j + 2λ₂),   c_j = ‖x_j‖²/n,

    the exact minimiser of F over θ_j with the other coordinates fixed (a coordinate
    whose |z_j| ≤ λ₁ becomes exactly 0.0; a zero column keeps θ_j = 0). It converges to
    a minimiser of F (Tseng 2001: the non-smooth part is separable).

    Within a sweep r is updated incrementally (r −= Δθ_j x_j); after each sweep it is
    recomputed from scratch as y − Xθ, and F and the duality gap are evaluated on that
    fresh residual, so cancellation (a warm start far from the solution) cannot stall the
    sweeps or fake convergence. A gap that is negative beyond rounding does not count as
    converged.

    Parameters
    ----------
    X : array (n, p); y : array (n,)
    penalty : ``L1(λ)`` or ``ElasticNet(λ₁, λ₂)`` with λ₁ > 0 (any penalty whose
        ``sign_pattern_terms()`` is (λ₁, λ₂))
    tol : float
        Stop after the first sweep whose duality gap is ≤ tol·‖y‖²/(2n) (as
        :func:`~normcourse.solvers.prox_grad`; scikit-learn's ``tol=t/2``). ``tol=0``
        runs exactly ``max_iter`` sweeps. A solve above ``tol > 0`` at ``max_iter`` warns
        (:class:`~normcourse.solvers.ConvergenceWarning`).
    max_iter : int
        Maximum number of sweeps.
    theta0 : array (p,), optional
        Warm start (zeros by default). Any finite start works as long as F(θ₀) is
        representable in float64; one so far from the data that ‖y − Xθ₀‖² overflows
        raises ``ValueError`` naming ``theta0``.

    Returns
    -------
    SolverResult
        ``n_iter`` counts sweeps, ``objective[k]`` is F after k sweeps, ``gap`` the
        duality gap after each sweep (``gap[0]`` at θ₀); ``step`` is NaN (no step size).
    """
    Xa, ya, pen, lam1, lam2, terms, theta, thr, max_iter = _setup(
        X, y, penalty, theta0, tol, max_iter, "coordinate_descent")
    n, p = Xa.shape
    Xf = np.asfortranarray(Xa)  # contiguous columns
    cols = [Xf[:, j] for j in range(p)]
    c = np.einsum("ij,ij->j", Xa, Xa) / n  # ‖x_j‖²/n
    denom = c + 2.0 * lam2
    quad = Quadratic(Xa, ya)

    def measure(th: np.ndarray) -> tuple[np.ndarray, float, float, bool]:
        # The residual r = y − Xθ afresh (the sweeps update it incrementally, which loses
        # digits to cancellation when θ moves far), F(θ), the gap from that fresh r, and
        # whether the gap meets the stopping rule: ≤ thr, and not negative beyond rounding
        # (a duality gap is ≥ 0; a clearly negative one means the numbers are not accurate).
        A = Xa @ th
        F, ry, corr = quad.parts(th, A)
        R = float(pen.fast_value(th))
        g = duality_gap(pen, terms, th, F, ry, corr)
        ok = -_GAP_ROUNDING * (2.0 * F + R + abs(ry)) <= g <= thr
        return ya - A, F + R, g, ok

    r, F0, g0, converged = measure(theta)
    if not (math.isfinite(F0) and math.isfinite(g0)):
        raise ValueError(
            f"theta0 is too far from the data for float64: F(theta0) = {F0:.3g} and its "
            f"duality gap {g0:.3g} (max |theta0| = {float(np.max(np.abs(theta))):.3g}); "
            "use a smaller warm start or none")
    obj, gaps = [F0], [g0]
    k = 0
    while not converged and k < max_iter:
        k += 1
        for j in range(p):
            if c[j] == 0.0:
                continue
            old = theta[j]
            z = float(cols[j] @ r) / n + c[j] * old
            new = (z - lam1) / denom[j] if z > lam1 else (
                (z + lam1) / denom[j] if z < -lam1 else 0.0)
            if new != old:
                r -= (new - old) * cols[j]
                theta[j] = new
        r, Fk, gk, converged = measure(theta)
        obj.append(Fk)
        gaps.append(gk)
    res = SolverResult(theta=theta, n_iter=k, converged=converged, objective=np.asarray(obj),
                       gap=np.asarray(gaps), step=math.nan, criterion="gap")
    if not converged and tol > 0:
        _warn("coordinate_descent", res, tol, thr)
    return res


def cd_lasso(X: Any, y: Any, lam: float, **kw: Any) -> SolverResult:
    r"""Lasso (1/2n)‖y − Xθ‖² + λ‖θ‖₁ by cyclic coordinate descent (sklearn ``Lasso(alpha=λ)``);
    see :func:`coordinate_descent`."""
    return coordinate_descent(X, y, L1(lam), **kw)


def cd_elastic_net(X: Any, y: Any, lam1: float, lam2: float, **kw: Any) -> SolverResult:
    r"""Elastic net (1/2n)‖y − Xθ‖² + λ₁‖θ‖₁ + λ₂‖θ‖₂² by cyclic coordinate descent.

    The same problem as sklearn's ``ElasticNet(alpha=λ₁ + 2λ₂, l1_ratio=λ₁/(λ₁ + 2λ₂))``;
    see :func:`coordinate_descent`.
    """
    return coordinate_descent(X, y, ElasticNet(lam1, lam2), **kw)


def subgradient_method(
    X: Any,
    y: Any,
    penalty: Penalty,
    *,
    step: float | None = None,
    tol: float = 0.0,
    max_iter: int = 500,
    theta0: Any = None,
) -> SolverResult:
    r"""The subgradient method on F(θ) = (1/2n)‖y − Xθ‖² + λ₁‖θ‖₁ + λ₂‖θ‖₂²:

        θ_{k+1} = θ_k − η_k g_k,   g_k = −Xᵀ(y − Xθ_k)/n + λ₁ sign(θ_k) + 2λ₂θ_k,
        η_k = η₀ / √(k + 1),

    g_k being a subgradient of F at θ_k (sign(0) = 0). With these diminishing steps
    min_{i≤k} F(θ_i) − F* = O(1/√k); F(θ_k) itself need not decrease.

    Parameters
    ----------
    step : float, optional
        η₀ > 0; default 1/L with L = ‖X‖₂²/n, the Lipschitz constant of ∇f.
    tol : float
        Stop early when the duality gap is ≤ tol·‖y‖²/(2n). The default 0 runs exactly
        ``max_iter`` steps (the method rarely reaches a tight tolerance) and never warns.
    max_iter : int
    theta0 : array (p,), optional

    Returns
    -------
    SolverResult
        ``objective[k]`` = F(θ_k) and ``gap[k]`` its duality gap, k = 0 … n_iter; ``step``
        is the last η_k used.
    """
    Xa, ya, pen, lam1, lam2, terms, theta, thr, max_iter = _setup(
        X, y, penalty, theta0, tol, max_iter, "subgradient_method")
    n = Xa.shape[0]
    if step is None:
        L = sq_spectral_norm(Xa) / n
        eta0 = 1.0 / L if L > 0 else 1.0
    else:
        eta0 = positive(step, "step")
    quad = Quadratic(Xa, ya)
    A = Xa @ theta
    F, ry, corr = quad.parts(theta, A)
    obj = [F + pen.fast_value(theta)]
    gaps = [duality_gap(pen, terms, theta, F, ry, corr)]
    converged = gaps[-1] <= thr
    k, eta = 0, eta0
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
        while not converged and k < max_iter:
            eta = eta0 / math.sqrt(k + 1)
            k += 1
            theta = theta - eta * (-corr + lam1 * np.sign(theta) + 2.0 * lam2 * theta)
            A = Xa @ theta
            F, ry, corr = quad.parts(theta, A)
            obj.append(F + pen.fast_value(theta))
            if not (math.isfinite(obj[-1]) and np.all(np.isfinite(theta))):
                raise ValueError(f"the iterates diverged at step {k}: step={step!r} (η₀ = "
                                 f"{eta0:.3g}) is too large for the data and {penalty!r}; "
                                 "use a smaller step or the default 1/L")
            gaps.append(duality_gap(pen, terms, theta, F, ry, corr))
            converged = gaps[-1] <= thr
    res = SolverResult(theta=theta, n_iter=k, converged=converged, objective=np.asarray(obj),
                       gap=np.asarray(gaps), step=eta, criterion="gap")
    if not converged and tol > 0:
        _warn("subgradient_method", res, tol, thr)
    return res


def iterations_to(trace: Any, level: float) -> int | None:
    r"""First iteration k with trace[k] ≤ ``level``, or None if the trace never gets there.

    ``trace[k]`` is a quantity after k iterations (``trace[0]`` at the start), e.g.
    F(θ_k) − F* from a solver's ``objective`` or its duality gaps, so the answer is the
    number of iterations (sweeps, for coordinate descent) needed to reach the level:
    k* = min{k : trace[k] ≤ level}.
    """
    t = finite_array(trace, "trace", ndim=1)
    lv = real(level, "level")
    hit = np.flatnonzero(t <= lv)
    return int(hit[0]) if hit.size else None
