r"""Proximal-gradient solvers (ISTA / FISTA) for f(θ) + R(θ).

The problems are

.. math:: \min_\theta \; f(\theta) + R(\theta),

with a smooth data term f and a penalty R from :mod:`normcourse.penalties`:

* squared loss  f(θ) = (1/2n)‖y − Xθ‖₂²  (y may be n×m, then θ is p×m: multi-task);
* logistic loss f(θ) = (1/n) Σᵢ log(1 + exp(−yᵢ xᵢᵀθ)), labels yᵢ ∈ {−1, +1}.

One proximal-gradient step with step size η is θ ← prox_{ηR}(θ − η∇f(θ)) (ISTA);
FISTA (Beck & Teboulle, 2009) takes the same step from an extrapolated point.

Stopping rules
--------------
* Squared loss with a penalty that has a duality gap (``penalty.gap_terms``: L1,
  ElasticNet with λ₁ > 0, GroupL21 with λ > 0 and every coordinate in a group): the
  **duality gap** P(θ) − D(ν) ≥ P(θ) − P(θ*) with the dual point ν built,
  as in scikit-learn, by rescaling the residual y − Xθ into the dual-norm ball. The
  solver stops when gap ≤ tol·‖y‖²/(2n), i.e. tol times the objective at θ = 0.
  scikit-learn's coordinate descent stops when its gap (same objective scaling) is
  ≤ tol·‖y‖²/n, so our ``tol=t`` is as strict as sklearn's ``tol=t/2``.
* Otherwise (logistic loss, L2, λ = 0, unpenalized coordinates): the prox-gradient
  (KKT) residual ‖θ − prox_{ηR}(θ − η∇f(θ))‖/η ≤ tol, which is 0 exactly at a minimiser.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from normcourse._validate import (
    choice,
    data,
    finite_array,
    flag,
    moderate_scale,
    nonneg,
    pm1_labels,
    positive,
    positive_int,
)
from normcourse.datafit import Logistic, Quadratic, QuadraticGram
from normcourse.penalties import L1, ElasticNet, GroupL21, Penalty
from normcourse.solvers.results import ConvergenceWarning, SolverResult

__all__ = [
    "check_penalty",
    "duality_gap",
    "elastic_net",
    "group_lasso",
    "lasso",
    "prox_grad",
    "run_prox_grad",
]

METHODS = ("fista", "ista")
_METHODS = METHODS
_LOSSES = ("squared", "logistic")


def check_penalty(penalty: Any, theta_shape: tuple[int, ...]) -> Penalty:
    """``penalty`` if it is a :class:`~normcourse.penalties.Penalty` that fits θ's shape."""
    if not isinstance(penalty, Penalty):
        raise ValueError(f"penalty must be a normcourse.penalties.Penalty, got {penalty!r}")
    penalty.check_shape(theta_shape)
    return penalty


def duality_gap(
    pen: Penalty, terms: tuple[float, float] | None, theta: np.ndarray, F: float, ry: float,
    corr: np.ndarray,
) -> float:
    r"""Duality gap for (1/2n)‖y − Xθ‖² + λ₁Ω(θ) + λ₂‖θ‖² (scikit-learn's construction).

    ``terms`` = (λ₁, λ₂) from ``pen.gap_terms``; F = ‖R‖²/(2n), ry = Rᵀy/n and corr = XᵀR/n
    at θ with R = y − Xθ. With z = XᵀR/n − 2λ₂θ and c = min(1, λ₁/Ω*(z)), the dual point
    cR is feasible and (Fercoq et al. 2015; sklearn ``enet_coordinate_descent``)

        gap = (1 + c²)‖R‖²/(2n) + λ₁Ω(θ) − c·Rᵀy/n + λ₂(1 + c²)‖θ‖².
    """
    if terms is None:
        raise ValueError(f"{pen!r} has no duality gap (gap_terms is None); use the KKT residual")
    lam1, lam2 = terms
    z = corr - (2.0 * lam2) * theta if lam2 else corr
    dn = pen.fast_dual_norm(z)
    c = lam1 / dn if dn > lam1 else 1.0
    tt = float(np.vdot(theta, theta)) if lam2 else 0.0
    # λ₁Ω(θ) + λ₂‖θ‖² = R(θ), so λ₁Ω + λ₂(1 + c²)‖θ‖² = R(θ) + λ₂c²‖θ‖².
    return (1.0 + c * c) * F + float(pen.fast_value(theta)) - c * ry + lam2 * c * c * tt


def run_prox_grad(
    datafit: Any,
    pen: Penalty,
    theta0: np.ndarray,
    *,
    accelerate: bool,
    restart: bool,
    L: float,
    backtrack: bool,
    criterion: str,
    thr: float,
    max_iter: int,
    check_every: int,
    callback: Callable[[int, np.ndarray], Any] | None = None,
    polish: Callable[[np.ndarray, np.ndarray], Any] | None = None,
) -> SolverResult:
    """ISTA/FISTA on f + R from ``theta0``; stop when the criterion value ≤ ``thr``.

    The unchecked engine behind :func:`prox_grad` and the paths: ``datafit`` is a data term
    of :mod:`normcourse.datafit`, ``pen`` any :class:`~normcourse.penalties.Penalty` (only
    its ``fast_value``, ``fast_prox`` and ``gap_terms`` are used); ``criterion`` is
    ``"gap"`` (needs ``pen.gap_terms``) or ``"kkt"``; ``polish`` an optional exact solve
    on a sign pattern (see the paths). Nothing is checked and nothing warns here: a run
    stopped at ``max_iter`` has ``converged=False``, and the checked callers
    (:func:`prox_grad`, the paths) raise the :class:`ConvergenceWarning`.
    """
    oracle = datafit
    terms = pen.gap_terms(pen.units(np.shape(theta0))) if criterion == "gap" else None

    def measure(theta: np.ndarray, A: np.ndarray) -> float:
        if criterion == "gap":
            F, ry, corr = oracle.parts(theta, A)
            return duality_gap(pen, terms, theta, F, ry, corr)
        eta = 1.0 / L
        u = pen.prox_array(theta - eta * oracle.grad(theta, A), eta)
        return float(np.linalg.norm((theta - u).ravel())) / eta

    tried: set[bytes] = set()

    def try_polish(
        theta: np.ndarray, A: np.ndarray, val: float
    ) -> tuple[np.ndarray, np.ndarray, float] | None:
        """Exact solve on θ's sign pattern (once per pattern); kept if it lowers the gap."""
        assert polish is not None
        key = np.sign(theta).tobytes()
        if key in tried:
            return None
        out = polish(theta, A)
        if out is None:  # not attempted (KKT of the zero coordinates fails): may retry
            return None
        tried.add(key)
        if out is False:
            return None
        pval = measure(out[0], out[1])
        return (out[0], out[1], pval) if pval < val else None

    theta = np.array(theta0, dtype=np.float64, copy=True)
    A = oracle.linear(theta)
    val = measure(theta, A)
    if val > thr and polish is not None and np.any(theta):
        # Along a path the warm start often already has the right support and signs.
        better = try_polish(theta, A, val)
        if better is not None:
            theta, A, val = better
    obj = [oracle.value(theta, A) + pen.fast_value(theta)]
    checks: list[float] = [val]
    converged = val <= thr
    z, Az, t = theta, A, 1.0
    last_sign: np.ndarray | None = np.sign(theta) if polish is not None else None
    k = checked = 0
    while not converged and k < max_iter:
        k += 1
        g = oracle.grad(z, Az)
        if backtrack:
            fz = oracle.value(z, Az)
            slack = 1e-12 * max(1.0, abs(fz))
            while True:
                eta = 1.0 / L
                th_new = pen.prox_array(z - eta * g, eta)
                A_new = oracle.linear(th_new)
                d = th_new - z
                quad = fz + float(np.vdot(g, d)) + 0.5 * L * float(np.vdot(d, d))
                if oracle.value(th_new, A_new) <= quad + slack:
                    break
                L *= 2.0
        else:
            eta = 1.0 / L
            th_new = pen.prox_array(z - eta * g, eta)
            A_new = oracle.linear(th_new)
        obj.append(oracle.value(th_new, A_new) + pen.fast_value(th_new))
        if not math.isfinite(obj[-1]):  # diverged (a step too large): stop, caller reports
            theta, A = th_new, A_new
            break
        if accelerate:
            # Adaptive restart (O'Donoghue & Candès 2015): drop the momentum when the
            # step goes against it.
            if restart and float(np.vdot(z - th_new, th_new - theta)) > 0:
                t = 1.0
            t_new = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
            beta = (t - 1.0) / t_new
            z = th_new + beta * (th_new - theta)
            Az = A_new + beta * (A_new - A)
            t = t_new
        else:
            z, Az = th_new, A_new
        theta, A = th_new, A_new
        if callback is not None and callback(k, theta):
            break
        if k % check_every == 0 or k == max_iter:
            checked = k
            val = measure(theta, A)
            if val > thr and polish is not None:
                # Polish once the support and signs have not moved between two checks.
                sign = np.sign(theta)
                if np.array_equal(sign, last_sign):
                    better = try_polish(theta, A, val)
                    if better is not None:
                        theta, A, val = better
                        obj[-1] = oracle.value(theta, A) + pen.fast_value(theta)
                        z, Az, t = theta, A, 1.0
                last_sign = sign
            checks.append(val)
            converged = val <= thr
    if not converged and checked != k:  # stopped by the callback between two checks
        val = measure(theta, A)
        checks.append(val)
        converged = val <= thr
    hist = np.asarray(checks)
    empty = np.empty(0)
    return SolverResult(
        theta=theta,
        n_iter=k,
        converged=converged,
        objective=np.asarray(obj),
        gap=hist if criterion == "gap" else empty,
        step=1.0 / L,
        criterion=criterion,
        kkt=hist if criterion == "kkt" else empty,
    )


# -------------------------------------------------------------------------- validation

_METHODS = ("fista", "ista")


def prox_grad(
    X: Any,
    y: Any,
    penalty: Penalty,
    *,
    loss: str = "squared",
    method: str = "fista",
    step: float | str | None = None,
    tol: float = 1e-8,
    max_iter: int = 10_000,
    theta0: Any = None,
    callback: Callable[[int, np.ndarray], Any] | None = None,
    restart: bool = True,
    check_every: int | None = None,
) -> SolverResult:
    r"""Minimise f(θ) + R(θ) by proximal gradient: ISTA or FISTA.

    * squared loss: f(θ) = (1/2n)‖y − Xθ‖², ∇f(θ) = −Xᵀ(y − Xθ)/n; y can be n×m
      (multi-task), then θ is p×m and a row-group ``GroupL21`` acts on the rows of θ;
    * logistic loss: f(θ) = (1/n) Σ log(1 + exp(−yᵢxᵢᵀθ)), labels yᵢ ∈ {−1, +1}.

    ISTA: θ_{k+1} = prox_{ηR}(θ_k − η∇f(θ_k)). FISTA (Beck & Teboulle 2009):
    θ_{k+1} = prox_{ηR}(z_k − η∇f(z_k)), t_{k+1} = (1 + √(1 + 4t_k²))/2,
    z_{k+1} = θ_{k+1} + ((t_k − 1)/t_{k+1})(θ_{k+1} − θ_k), with the adaptive restart of
    O'Donoghue & Candès (2015) (t ← 1 when ⟨z_k − θ_{k+1}, θ_{k+1} − θ_k⟩ > 0) unless
    ``restart=False``.

    Parameters
    ----------
    X : array (n, p); y : array (n,) or (n, m)
    penalty : any :class:`~normcourse.penalties.Penalty` (L2, L1, ElasticNet, GroupL21, …)
    loss : "squared" or "logistic"
    method : "fista" or "ista"
    step : None, float or "backtracking"
        None: η = 1/L with L the Lipschitz constant of ∇f — ‖X‖₂²/n (squared),
        ‖X‖₂²/(4n) (logistic). A float: that fixed η > 0. ``"backtracking"``: the
        Beck–Teboulle rule, L ← 2L until f(θ⁺) ≤ f(z) + ⟨∇f(z), θ⁺ − z⟩ + (L/2)‖θ⁺ − z‖²,
        starting from max_j ‖x_j‖²/n (÷4 for logistic), a lower bound on L.
    tol : float
        Duality gap ≤ tol·‖y‖²/(2n) for the squared loss with L1/ElasticNet/GroupL21
        (as scikit-learn's ``tol/2``, see the module docstring); otherwise the KKT
        residual ‖θ − prox_{ηR}(θ − η∇f(θ))‖/η ≤ tol. A solve that stops at
        ``max_iter`` above it warns (:class:`~normcourse.solvers.ConvergenceWarning`,
        with the gap or residual reached); ``tol=0`` asks for exactly ``max_iter``
        iterations (a fixed budget, e.g. to plot a trajectory) and does not warn.
    max_iter : int
    theta0 : array, optional
        Starting point (warm start); zeros by default.
    callback : callable(k, theta) -> bool | None, optional
        Called after every iteration; returning True stops the solver.
    restart : bool
        Adaptive restart of FISTA's momentum.
    check_every : int, optional
        Evaluate the stopping criterion every this many iterations (default: 1 when the
        check is free — Gram form or ISTA-free quantities — else 10).

    Returns
    -------
    SolverResult

    Notes
    -----
    For the squared loss with n ≥ p the solver works with G = XᵀX/n and Xᵀy/n
    (computed once), so an iteration costs O(p²m) instead of O(npm).
    """
    Xa, ya = data(X, y)
    moderate_scale(Xa, "X")
    moderate_scale(ya, "y")
    loss = choice(loss, _LOSSES, "loss")
    method = choice(method, _METHODS, "method")
    restart = flag(restart, "restart")
    tol = nonneg(tol, "tol")
    max_iter = positive_int(max_iter, "max_iter")
    n, p = Xa.shape
    if loss == "logistic":
        pm1_labels(ya)
    shape = (p,) if ya.ndim == 1 else (p, ya.shape[1])
    pen = check_penalty(penalty, shape)
    if theta0 is None:
        th0 = np.zeros(shape)
    else:
        th0 = finite_array(theta0, "theta0")
        if th0.shape != shape:
            raise ValueError(f"theta0 must have shape {shape} to match X {Xa.shape} and "
                             f"y {ya.shape}, got {th0.shape}")

    if loss == "squared" and n >= p:
        oracle: Any = QuadraticGram.from_data(Xa, ya)
        cheap = True
    elif loss == "squared":
        oracle = Quadratic(Xa, ya)
        cheap = False
    else:
        oracle = Logistic(Xa, ya)
        cheap = False
    scale = 1.0 if loss == "squared" else 0.25

    backtrack = False
    if step is None:
        L = oracle.lipschitz()
        L = L if L > 0 else 1.0
    elif isinstance(step, str):
        if step != "backtracking":
            raise ValueError(
                f"step must be None, a positive number or 'backtracking', got {step!r}"
            )
        backtrack = True
        L = float(np.max(np.einsum("ij,ij->j", Xa, Xa))) / n * scale if p else 1.0
        L = L if L > 0 else 1.0
    else:
        L = 1.0 / positive(step, "step")

    has_gap = pen.gap_terms(pen.units(shape)) is not None
    criterion = "gap" if loss == "squared" and has_gap else "kkt"
    if criterion == "gap":
        thr = tol * float(np.vdot(ya, ya)) / (2 * n)
    else:
        thr = tol
    if check_every is None:
        check_every = 1 if cheap else 10
    check_every = positive_int(check_every, "check_every")
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be None or a callable(k, theta), got {callback!r}")
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
        res = run_prox_grad(
            oracle,
            pen,
            th0,
            accelerate=method == "fista",
            restart=restart,
            L=L,
            backtrack=backtrack,
            criterion=criterion,
            thr=thr,
            max_iter=max_iter,
            check_every=check_every,
            callback=callback,
        )
    if not (np.all(np.isfinite(res.theta)) and np.all(np.isfinite(res.objective))):
        if step is not None and not isinstance(step, str):
            safe = 1.0 / max(oracle.lipschitz(), np.finfo(float).tiny)
            raise ValueError(f"step={step!r} is too large: the iterates diverged (1/L = "
                             f"{safe:.3g} is safe); use step=None or 'backtracking'")
        raise ValueError("the iterates diverged to NaN/inf: rescale X and y")
    if not res.converged and res.n_iter >= max_iter and tol > 0:
        warn_cap(res, tol, thr)
    return res


def warn_cap(res: SolverResult, tol: float, thr: float) -> None:
    """ConvergenceWarning for a solve stopped at ``max_iter`` above its tolerance."""
    if res.criterion == "gap":
        reached = f"duality gap {res.gap[-1]:.3g} (target {thr:.3g} = tol·‖y‖²/(2n))"
    else:
        reached = f"KKT residual {res.kkt[-1]:.3g} (target tol={tol:g})"
    warnings.warn(
        f"prox_grad stopped at max_iter={res.n_iter} before reaching tol={tol:g}: "
        f"{reached}; increase max_iter or loosen tol",
        ConvergenceWarning,
        stacklevel=3,
    )


def lasso(X: Any, y: Any, lam: float, **kw: Any) -> SolverResult:
    r"""Lasso: min_θ (1/2n)‖y − Xθ‖² + λ‖θ‖₁ (sklearn ``Lasso(alpha=λ)``); see :func:`prox_grad`."""
    return prox_grad(X, y, L1(lam), **kw)


def elastic_net(X: Any, y: Any, lam1: float, lam2: float, **kw: Any) -> SolverResult:
    r"""Elastic net: min_θ (1/2n)‖y − Xθ‖² + λ₁‖θ‖₁ + λ₂‖θ‖².

    sklearn's ``ElasticNet(alpha, l1_ratio)`` is λ₁ = α·l1_ratio, λ₂ = α(1 − l1_ratio)/2
    (:meth:`ElasticNet.from_sklearn <normcourse.penalties.ElasticNet.from_sklearn>`).
    """
    return prox_grad(X, y, ElasticNet(lam1, lam2), **kw)


def group_lasso(
    X: Any,
    y: Any,
    lam: float,
    groups: Sequence[Any] | None = None,
    weights: Any = None,
    **kw: Any,
) -> SolverResult:
    r"""Group lasso: min_θ (1/2n)‖y − Xθ‖² + λ Σ_g w_g‖θ_g‖₂.

    ``groups=None`` with a 2-D Y (n×m): the groups are the rows of θ (p×m), i.e. the
    multi-task lasso (sklearn ``MultiTaskLasso(alpha=λ)``, whose ``coef_`` is θᵀ).
    """
    return prox_grad(X, y, GroupL21(lam, groups, weights), **kw)
