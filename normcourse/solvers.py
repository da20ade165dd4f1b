r"""Proximal-gradient solvers (ISTA / FISTA) and regularization paths.

The problems are

.. math:: \min_\theta \; f(\theta) + R(\theta),

with a smooth data term f and a penalty R from :mod:`normcourse.penalties`:

* squared loss  f(θ) = (1/2n)‖y − Xθ‖₂²  (y may be n×m, then θ is p×m: multi-task);
* logistic loss f(θ) = (1/n) Σᵢ log(1 + exp(−yᵢ xᵢᵀθ)), labels yᵢ ∈ {−1, +1}.

One proximal-gradient step with step size η is θ ← prox_{ηR}(θ − η∇f(θ)) (ISTA);
FISTA (Beck & Teboulle, 2009) takes the same step from an extrapolated point.

Stopping rules
--------------
* Squared loss with L1, ElasticNet (λ₁ > 0) or GroupL21 (λ > 0, every coordinate in a
  group): the **duality gap** P(θ) − D(ν) ≥ P(θ) − P(θ*) with the dual point ν built,
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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import linalg as sla
from scipy.sparse.linalg import eigsh
from scipy.special import expit

from normcourse._validate import finite_array, nonneg, positive, positive_int, same_rows
from normcourse.penalties import L1, ElasticNet, GroupL21, Penalty

__all__ = [
    "ConvergenceWarning",
    "PathResult",
    "STLSQResult",
    "SolverResult",
    "elastic_net",
    "enet_path",
    "group_lasso",
    "group_lasso_path",
    "lambda_max",
    "lasso",
    "lasso_path",
    "prox_grad",
    "stlsq",
]


class ConvergenceWarning(UserWarning):
    """A solve along a path stopped at ``max_iter`` before reaching ``tol``."""


@dataclass
class SolverResult:
    """Output of :func:`prox_grad`.

    Attributes
    ----------
    theta : ndarray
        The last iterate θ (shape (p,) or (p, m)).
    n_iter : int
        Number of proximal-gradient iterations done.
    converged : bool
        Whether the stopping criterion (``criterion``) reached ``tol``.
    objective : ndarray
        P(θ_k) = f(θ_k) + R(θ_k) for k = 0 … n_iter (θ_0 is the starting point).
    gap : ndarray
        Duality gaps at the checks (every ``check_every`` iterations and at the end);
        empty when the gap is not the criterion.
    step : float
        The final step size η (1/L, the given one, or the last backtracking step).
    criterion : str
        ``"gap"`` or ``"kkt"`` — which quantity was compared with ``tol``.
    kkt : ndarray
        KKT residuals ‖θ − prox_{ηR}(θ − η∇f(θ))‖/η at the checks (when
        ``criterion == "kkt"``).
    """

    theta: np.ndarray
    n_iter: int
    converged: bool
    objective: np.ndarray
    gap: np.ndarray
    step: float
    criterion: str = "gap"
    kkt: np.ndarray = field(default_factory=lambda: np.empty(0))


@dataclass
class PathResult:
    """Output of the path functions (one solve per λ, warm-started).

    Attributes
    ----------
    lams : ndarray, shape (n_lams,)
        The λ grid (for :func:`enet_path`: sklearn's α grid, see there).
    coefs : ndarray, shape (n_lams, p) or (n_lams, p, m)
        θ*(λ) for each λ (note: sklearn's ``lasso_path`` returns the transpose).
    n_iters : ndarray of int, shape (n_lams,)
        Proximal-gradient iterations spent on each λ.
    gaps : ndarray, shape (n_lams,)
        Final duality gap of each solve (NaN where the KKT criterion was used).
    """

    lams: np.ndarray
    coefs: np.ndarray
    n_iters: np.ndarray
    gaps: np.ndarray


# ----------------------------------------------------------------------------- oracles
# An oracle evaluates the smooth part f through an auxiliary linear image A = lin(θ)
# (Xθ or Gθ). FISTA's extrapolated point z = θ_k + β(θ_k − θ_{k−1}) then has
# lin(z) = A_k + β(A_k − A_{k−1}) for free: one product with X or G per iteration.


class _GramQuad:
    """Squared loss in Gram form: f(θ) = ½⟨θ, Gθ⟩ − ⟨B, θ⟩ + ‖y‖²/(2n).

    G = XᵀX/n, B = Xᵀy/n, yy_n = ‖y‖²/n; the residual correlation XᵀR/n is B − Gθ.
    """

    def __init__(self, G: np.ndarray, B: np.ndarray, yy_n: float) -> None:
        self.G, self.B, self.yy_n = G, B, yy_n

    def lin(self, theta: np.ndarray) -> np.ndarray:
        return self.G @ theta

    def f(self, theta: np.ndarray, A: np.ndarray) -> float:
        return 0.5 * float(np.vdot(theta, A)) - float(np.vdot(self.B, theta)) + 0.5 * self.yy_n

    def grad(self, theta: np.ndarray, A: np.ndarray) -> np.ndarray:
        return A - self.B

    def parts(self, theta: np.ndarray, A: np.ndarray) -> tuple[float, float, np.ndarray]:
        """(‖R‖²/(2n), Rᵀy/n, XᵀR/n) at θ."""
        return (
            max(self.f(theta, A), 0.0),
            self.yy_n - float(np.vdot(self.B, theta)),
            self.B - A,
        )


class _XSquared:
    """Squared loss with X: f(θ) = ‖y − Xθ‖²/(2n), A = Xθ."""

    def __init__(self, X: np.ndarray, Y: np.ndarray) -> None:
        self.X, self.Y, self.n = X, Y, X.shape[0]

    def lin(self, theta: np.ndarray) -> np.ndarray:
        return self.X @ theta

    def f(self, theta: np.ndarray, A: np.ndarray) -> float:
        R = self.Y - A
        return float(np.vdot(R, R)) / (2 * self.n)

    def grad(self, theta: np.ndarray, A: np.ndarray) -> np.ndarray:
        return self.X.T @ (A - self.Y) / self.n

    def parts(self, theta: np.ndarray, A: np.ndarray) -> tuple[float, float, np.ndarray]:
        R = self.Y - A
        return (
            float(np.vdot(R, R)) / (2 * self.n),
            float(np.vdot(R, self.Y)) / self.n,
            self.X.T @ R / self.n,
        )


class _XLogistic:
    """Logistic loss f(θ) = (1/n) Σ log(1 + exp(−yᵢ xᵢᵀθ)), A = Xθ."""

    def __init__(self, X: np.ndarray, y: np.ndarray) -> None:
        self.X, self.y, self.n = X, y, X.shape[0]

    def lin(self, theta: np.ndarray) -> np.ndarray:
        return self.X @ theta

    def f(self, theta: np.ndarray, A: np.ndarray) -> float:
        return float(np.mean(np.logaddexp(0.0, -self.y * A)))

    def grad(self, theta: np.ndarray, A: np.ndarray) -> np.ndarray:
        return -(self.X.T @ (self.y * expit(-self.y * A))) / self.n


# ------------------------------------------------------------------------ linear algebra


def _top_eig(G: np.ndarray, v0: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Largest eigenvalue and eigenvector of a symmetric PSD matrix.

    Dense LAPACK when small, else Lanczos (ARPACK) started from ``v0`` (a warm start).
    """
    k = G.shape[0]
    if k == 0 or not np.any(G):
        return 0.0, np.ones(k)
    if k <= 100:
        val, vec = sla.eigh(G, subset_by_index=[k - 1, k - 1])
        return float(val[0]), vec[:, 0]
    start = np.ones(k) if v0 is None or not np.any(v0) else v0
    # The Ritz value θ ≤ λ_max and ARPACK guarantees ‖Gv − θv‖ ≤ tol·θ, so
    # λ_max ≤ θ(1 + tol): a safe upper bound for the Lipschitz constant.
    tol = 1e-4
    val, vec = eigsh(G, k=1, which="LA", v0=start, tol=tol, ncv=8)
    return float(val[0]) * (1.0 + tol), vec[:, 0]


def _sq_spectral_norm(X: np.ndarray) -> float:
    """‖X‖₂² (largest singular value squared)."""
    n, p = X.shape
    if min(n, p) <= 300:
        return float(np.linalg.norm(X, 2)) ** 2 if X.size else 0.0
    # Lanczos on the smaller of XᵀX and XXᵀ.
    return _top_eig(X.T @ X if p <= n else X @ X.T)[0]


# --------------------------------------------------------------------------- gap / kkt


def _gap_lams(pen: Penalty) -> tuple[float, float]:
    """(λ of the non-smooth norm, λ₂ of an ℓ2² part) for the duality gap."""
    if isinstance(pen, ElasticNet):
        return pen.lam1, pen.lam2
    return pen.lam, 0.0  # L1, GroupL21


def _gap_value(pen: Penalty, theta: np.ndarray, F: float, ry: float, corr: np.ndarray) -> float:
    r"""Duality gap for (1/2n)‖y − Xθ‖² + λ₁Ω(θ) + λ₂‖θ‖² (scikit-learn's construction).

    With R = y − Xθ, z = XᵀR/n − 2λ₂θ and c = min(1, λ₁/Ω*(z)), the dual point cR is
    feasible and (Fercoq et al. 2015; sklearn ``enet_coordinate_descent``)

        gap = (1 + c²)‖R‖²/(2n) + λ₁Ω(θ) − c·Rᵀy/n + λ₂(1 + c²)‖θ‖².
    """
    lam1, lam2 = _gap_lams(pen)
    z = corr - (2.0 * lam2) * theta if lam2 else corr
    dn = pen.dual_norm(z)
    c = lam1 / dn if dn > lam1 else 1.0
    tt = float(np.vdot(theta, theta)) if lam2 else 0.0
    # λ₁Ω(θ) + λ₂‖θ‖² = R(θ), so λ₁Ω + λ₂(1 + c²)‖θ‖² = R(θ) + λ₂c²‖θ‖².
    return (1.0 + c * c) * F + pen._value(theta) - c * ry + lam2 * c * c * tt


def _gap_applies(pen: Penalty, p: int) -> bool:
    """The duality gap is used for L1 / ElasticNet / GroupL21 with a positive λ₁."""
    if isinstance(pen, L1 | ElasticNet):
        return _gap_lams(pen)[0] > 0
    if isinstance(pen, GroupL21):
        return pen.lam > 0 and pen.unpenalized(p).size == 0
    return False


# ---------------------------------------------------------------------------- the loop


def _run(
    oracle: Any,
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
    """ISTA/FISTA from ``theta0``; stop when the criterion value ≤ ``thr``."""

    def measure(theta: np.ndarray, A: np.ndarray) -> float:
        if criterion == "gap":
            F, ry, corr = oracle.parts(theta, A)
            return _gap_value(pen, theta, F, ry, corr)
        eta = 1.0 / L
        u = pen._prox_np(theta - eta * oracle.grad(theta, A), eta)
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
    A = oracle.lin(theta)
    val = measure(theta, A)
    if val > thr and polish is not None and np.any(theta):
        # Along a path the warm start often already has the right support and signs.
        better = try_polish(theta, A, val)
        if better is not None:
            theta, A, val = better
    obj = [oracle.f(theta, A) + pen._value(theta)]
    checks: list[float] = [val]
    converged = val <= thr
    z, Az, t = theta, A, 1.0
    last_sign: np.ndarray | None = np.sign(theta) if polish is not None else None
    k = checked = 0
    while not converged and k < max_iter:
        k += 1
        g = oracle.grad(z, Az)
        if backtrack:
            fz = oracle.f(z, Az)
            slack = 1e-12 * max(1.0, abs(fz))
            while True:
                eta = 1.0 / L
                th_new = pen._prox_np(z - eta * g, eta)
                A_new = oracle.lin(th_new)
                d = th_new - z
                quad = fz + float(np.vdot(g, d)) + 0.5 * L * float(np.vdot(d, d))
                if oracle.f(th_new, A_new) <= quad + slack:
                    break
                L *= 2.0
        else:
            eta = 1.0 / L
            th_new = pen._prox_np(z - eta * g, eta)
            A_new = oracle.lin(th_new)
        obj.append(oracle.f(th_new, A_new) + pen._value(th_new))
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
                        obj[-1] = oracle.f(theta, A) + pen._value(theta)
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
_LOSSES = ("squared", "logistic")


def _check_Xy(X: Any, y: Any, yname: str = "y") -> tuple[np.ndarray, np.ndarray]:
    Xa = finite_array(X, "X", ndim=2)
    ya = finite_array(y, yname, ndim=(1, 2))
    same_rows(Xa, ya, "X", yname)
    return Xa, ya


def _check_choice(value: Any, options: tuple[str, ...], name: str) -> str:
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def _check_labels(y: np.ndarray) -> None:
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D for the logistic loss, got shape {y.shape}")
    if not np.all((y == 1.0) | (y == -1.0)):
        bad = np.unique(y[(y != 1.0) & (y != -1.0)])[:5]
        raise ValueError(f"y must hold labels in {{-1, +1}} for the logistic loss, got {bad}")


def _check_penalty(penalty: Any, theta_shape: tuple[int, ...]) -> Penalty:
    if not isinstance(penalty, Penalty):
        raise ValueError(f"penalty must be a normcourse.penalties.Penalty, got {penalty!r}")
    if isinstance(penalty, GroupL21):
        # Let the penalty check the shape (row groups need a 2-D θ, group indices < p).
        try:
            penalty.value(np.zeros(theta_shape))
        except ValueError as exc:
            raise ValueError(f"penalty does not fit θ of shape {theta_shape}: {exc}") from None
    return penalty


# ------------------------------------------------------------------------------ solver


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
    penalty : a :class:`~normcourse.penalties.Penalty` (L2, L1, ElasticNet, GroupL21)
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
        residual ‖θ − prox_{ηR}(θ − η∇f(θ))‖/η ≤ tol.
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
    Xa, ya = _check_Xy(X, y)
    loss = _check_choice(loss, _LOSSES, "loss")
    method = _check_choice(method, _METHODS, "method")
    tol = nonneg(tol, "tol")
    max_iter = positive_int(max_iter, "max_iter")
    n, p = Xa.shape
    if loss == "logistic":
        _check_labels(ya)
    shape = (p,) if ya.ndim == 1 else (p, ya.shape[1])
    pen = _check_penalty(penalty, shape)
    if theta0 is None:
        th0 = np.zeros(shape)
    else:
        th0 = finite_array(theta0, "theta0")
        if th0.shape != shape:
            raise ValueError(f"theta0 must have shape {shape}, got {th0.shape}")

    if loss == "squared" and n >= p:
        oracle: Any = _GramQuad(Xa.T @ Xa / n, Xa.T @ ya / n, float(np.vdot(ya, ya)) / n)
        cheap = True
    elif loss == "squared":
        oracle = _XSquared(Xa, ya)
        cheap = False
    else:
        oracle = _XLogistic(Xa, ya)
        cheap = False
    scale = 1.0 if loss == "squared" else 0.25

    backtrack = False
    if step is None:
        if isinstance(oracle, _GramQuad):
            L = _top_eig(oracle.G)[0]
        else:
            L = _sq_spectral_norm(Xa) / n * scale
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

    criterion = "gap" if loss == "squared" and _gap_applies(pen, p) else "kkt"
    if criterion == "gap":
        thr = tol * float(np.vdot(ya, ya)) / (2 * n)
    else:
        thr = tol
    if check_every is None:
        check_every = 1 if cheap else 10
    check_every = positive_int(check_every, "check_every")
    return _run(
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


# ------------------------------------------------------------------------------- paths


def _unit_struct(
    kind: str, p: int, m: int | None, groups: Sequence[Any] | None, weights: Any
) -> dict[str, Any]:
    """How λ acts on 'units' (coordinates, rows or groups) for screening.

    Returns the unit → index map, the unit weights and the unpenalized indices.
    """
    if kind == "l1":
        return {"kind": "l1", "n_units": p, "weights": None, "free": np.empty(0, np.intp)}
    pen = GroupL21(1.0, groups, weights)
    if groups is None:
        if m is None:
            raise ValueError(
                "groups=None means the groups are the rows of θ (p×m), which needs a 2-D Y; "
                "pass `groups` (a list of index arrays) for a 1-D y"
            )
        wts = np.ones(p) if pen.weights is None else pen.weights
        if wts.size != p:
            raise ValueError(f"weights must have one entry per row of θ ({p}), got {wts.size}")
        return {"kind": "rows", "n_units": p, "weights": wts, "free": np.empty(0, np.intp)}
    assert pen._grp is not None
    pen._grp.check_size(p)
    wts = np.ones(pen._grp.n_groups) if pen.weights is None else pen.weights
    return {
        "kind": "groups",
        "n_units": pen._grp.n_groups,
        "weights": wts,
        "free": pen.unpenalized(p),
        "grp": pen._grp,
    }


def _unit_scores(st: dict[str, Any], C: np.ndarray) -> np.ndarray:
    """Dual-norm score per unit: |c_j|, ‖C_i‖/w_i (rows) or ‖c_g‖/w_g (groups)."""
    if st["kind"] == "l1":
        return np.abs(C)
    sq = (C * C).reshape(C.shape[0], -1).sum(axis=1)
    if st["kind"] == "rows":
        return np.sqrt(sq) / st["weights"]
    grp = st["grp"]
    return (
        np.sqrt(np.bincount(grp.gid, weights=sq[grp.idx], minlength=grp.n_groups)) / st["weights"]
    )


def _unit_active(st: dict[str, Any], theta: np.ndarray) -> np.ndarray:
    nz = np.abs(theta).reshape(theta.shape[0], -1).sum(axis=1) > 0
    if st["kind"] != "groups":
        return nz
    grp = st["grp"]
    return np.bincount(grp.gid, weights=nz[grp.idx], minlength=grp.n_groups) > 0


def _restrict(
    st: dict[str, Any], units: np.ndarray, make_pen: Callable[..., Penalty], lam: float
) -> tuple[np.ndarray, Penalty]:
    """Indices of the working set and the penalty restricted to them."""
    if st["kind"] == "l1":
        return units, make_pen(lam)
    if st["kind"] == "rows":
        return units, GroupL21(lam, None, st["weights"][units])
    grp = st["grp"]
    free = st["free"]
    parts = [free] + [grp.groups[u] for u in units]
    idx = np.concatenate(parts) if parts else np.empty(0, np.intp)
    sub_groups = []
    start = free.size
    for u in units:
        size = grp.groups[u].size
        sub_groups.append(np.arange(start, start + size))
        start += size
    if not sub_groups:
        return idx, L1(0.0)  # only unpenalized coordinates
    return idx, GroupL21(lam, sub_groups, st["weights"][units])


class _GramCache:
    """G = XᵀX/n for the features met so far (all of it at once when p ≤ n).

    When p > n only the block G_KK over the cached features K is stored and extended
    as features join (cost |K|²n over a whole path instead of p|K|n for full columns);
    residual correlations then come from X directly.
    """

    def __init__(self, X: np.ndarray) -> None:
        n, p = X.shape
        self.X, self.n = X, n
        self.full = p <= n
        self.pos = np.full(p, -1, dtype=np.intp)
        if self.full:
            self.G = np.asfortranarray(X.T @ X / n)
            self.pos[:] = np.arange(p)
            self.k = p
        else:
            self.G = np.empty((0, 0), order="F")
            self.XK = np.empty((n, 0), order="F")  # cached columns of X, in cache order
            self.k = 0

    def _ensure(self, idx: np.ndarray) -> None:
        new = idx[self.pos[idx] < 0]
        if new.size == 0:
            return
        new = np.unique(new)
        k, m = self.k, new.size
        if k + m > self.G.shape[0]:
            cap = min(self.X.shape[1], max(k + m, 2 * self.G.shape[0], 64))
            G = np.empty((cap, cap), order="F")
            G[:k, :k] = self.G[:k, :k]
            XK = np.empty((self.n, cap), order="F")
            XK[:, :k] = self.XK[:, :k]
            self.G, self.XK = G, XK
        Xn = self.X[:, new]
        self.XK[:, k : k + m] = Xn
        cross = self.XK[:, :k].T @ Xn / self.n
        self.G[:k, k : k + m] = cross
        self.G[k : k + m, :k] = cross.T
        self.G[k : k + m, k : k + m] = Xn.T @ Xn / self.n
        self.pos[new] = np.arange(k, k + m)
        self.k = k + m

    def sub(self, idx: np.ndarray) -> np.ndarray:
        """G[idx][:, idx]."""
        self._ensure(idx)
        pos = self.pos[idx]
        return self.G[:, pos][pos]  # columns first: contiguous copies in Fortran order

    def corr(
        self, B: np.ndarray, Y: np.ndarray, yy_n: float, S: np.ndarray, theta_S: np.ndarray
    ) -> tuple[float, float, np.ndarray]:
        """(‖R‖²/(2n), Rᵀy/n, XᵀR/n) for θ supported on S, R = y − X_Sθ_S."""
        if S.size == 0:
            return 0.5 * yy_n, yy_n, B.copy()
        if self.full:
            C = B - self.G[:, S] @ theta_S
            # ‖R‖²/n = ‖y‖²/n − ⟨θ, B⟩ − ⟨θ, B − Gθ⟩ … written with Gθ = B − C
            F = max(0.5 * yy_n - 0.5 * float(np.vdot(theta_S, B[S] + C[S])), 0.0)
            return F, yy_n - float(np.vdot(B[S], theta_S)), C
        R = Y - self.X[:, S] @ theta_S
        return (
            float(np.vdot(R, R)) / (2 * self.n),
            float(np.vdot(R, Y)) / self.n,
            self.X.T @ R / self.n,
        )


def _make_polish(
    G: np.ndarray, B: np.ndarray, pen: Penalty
) -> Callable[[np.ndarray, np.ndarray], Any]:
    """Exact solve on a fixed support and sign pattern (lasso / elastic net only).

    If the support S and signs s of θ are right, θ*_S solves (G_SS + 2λ₂I)θ_S =
    B_S − λ₁s. ``polish(θ, Gθ)`` returns (θ̂, Gθ̂), ``False`` when the solve fails or
    changes a sign, or ``None`` without solving when a zero coordinate of θ violates
    its KKT condition |(B − Gθ)_j| ≤ λ₁ (then the support is surely not final). The
    caller keeps θ̂ only if it lowers the duality gap.
    """
    lam1, lam2 = _gap_lams(pen)

    def polish(theta: np.ndarray, A: np.ndarray) -> Any:
        S = np.flatnonzero(theta)
        if S.size == 0:
            return False
        off = theta == 0
        if off.any() and np.max(np.abs(B[off] - A[off])) > lam1 * (1.0 + 1e-6):
            return None
        s = np.sign(theta[S])
        M = G[np.ix_(S, S)]
        if lam2:
            M[np.diag_indices_from(M)] += 2.0 * lam2
        try:
            # M is symmetric: hand LAPACK its Fortran-ordered transpose, no copy.
            fac = sla.cho_factor(M.T, overwrite_a=True, check_finite=False)
            u = sla.cho_solve(fac, B[S] - lam1 * s, check_finite=False)
        except (np.linalg.LinAlgError, ValueError):
            return False
        if not np.all(np.sign(u) == s):
            return False
        out = np.zeros_like(theta)
        out[S] = u
        return out, G[:, S] @ u

    return polish


def _path_engine(
    X: np.ndarray,
    Y: np.ndarray,
    lams: np.ndarray,
    make_pen: Callable[[float], Penalty],
    st: dict[str, Any],
    lam1_of: Callable[[float], float],
    *,
    tol: float,
    max_iter: int,
    method: str,
    working_set: bool,
    progress: bool,
) -> PathResult:
    """Warm-started solves along ``lams`` (processed in decreasing order)."""
    n, p = X.shape
    yy_n = float(np.vdot(Y, Y)) / n
    thr = tol * yy_n / 2.0
    order = np.argsort(-lams, kind="stable")
    shape = (p,) if Y.ndim == 1 else (p, Y.shape[1])
    coefs = np.zeros((lams.size, *shape))
    n_iters = np.zeros(lams.size, dtype=int)
    gaps = np.full(lams.size, np.nan)
    theta = np.zeros(shape)
    free = st["free"]
    gram = _GramCache(X) if working_set or p <= n else None
    B = X.T @ Y / n
    if free.size:  # unpenalized coordinates: start from their least-squares fit
        theta[free] = np.linalg.lstsq(X[:, free], Y, rcond=None)[0]
    full_oracle: Any = None
    L_full = 0.0
    if not working_set:
        if gram is not None:
            full_oracle = _GramQuad(gram.G, B, yy_n)
            L_full = _top_eig(full_oracle.G)[0]
        else:
            full_oracle = _XSquared(X, Y)
            L_full = _sq_spectral_norm(X) / n
        L_full = L_full if L_full > 0 else 1.0
    C = X.T @ (Y - X @ theta) / n if free.size else B.copy()
    lam_prev = max(float(np.max(_unit_scores(st, C))) if st["n_units"] else 0.0, 0.0)
    v_top = np.zeros(p)  # warm start for the working sets' top eigenvector
    prev_idx: np.ndarray | None = None  # the last working set (G_WW and L_W are reused)
    Gw, Lw = np.empty((0, 0)), 0.0
    n_fail = 0
    steps: Any = order
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(order, desc="path")
    for i in steps:
        lam = float(lams[i])
        pen = make_pen(lam)
        lam1 = lam1_of(lam)
        use_gap = _gap_applies(pen, p)
        if not working_set:
            res = _run(
                full_oracle,
                pen,
                theta,
                accelerate=method == "fista",
                restart=True,
                L=L_full,
                backtrack=False,
                criterion="gap" if use_gap else "kkt",
                thr=thr if use_gap else tol,
                max_iter=max_iter,
                check_every=1 if isinstance(full_oracle, _GramQuad) else 10,
            )
            theta = res.theta
            n_iters[i] = res.n_iter
            gaps[i] = res.gap[-1] if use_gap else np.nan
            n_fail += not res.converged
            coefs[i] = theta
            continue
        assert gram is not None
        scores = _unit_scores(st, C)
        in_ws = (scores >= 2.0 * lam1 - lam_prev) | _unit_active(st, theta)
        total_iter = 0
        sub_thr = thr if use_gap else tol
        converged = False
        for _ in range(50):
            units = np.flatnonzero(in_ws)
            idx, sub_pen = _restrict(st, units, make_pen, lam)
            if idx.size:
                if prev_idx is None or not np.array_equal(idx, prev_idx):
                    Gw = gram.sub(idx)
                    Lw, vw = _top_eig(Gw, v_top[idx])
                    v_top[:] = 0.0
                    v_top[idx] = np.abs(vw)
                    prev_idx = idx
                Bw = B[idx]
                oracle = _GramQuad(Gw, Bw, yy_n)
                res = _run(
                    oracle,
                    sub_pen,
                    theta[idx],
                    accelerate=method == "fista",
                    restart=True,
                    L=Lw if Lw > 0 else 1.0,
                    backtrack=False,
                    criterion="gap" if use_gap else "kkt",
                    thr=sub_thr,
                    max_iter=max_iter,
                    check_every=5,
                    polish=_make_polish(Gw, Bw, sub_pen)
                    if st["kind"] == "l1" and use_gap
                    else None,
                )
                total_iter += res.n_iter
                theta = np.zeros(shape)
                theta[idx] = res.theta
                sub_ok = res.converged
            else:
                theta = np.zeros(shape)
                sub_ok = True
            S = np.flatnonzero(np.abs(theta).reshape(p, -1).sum(axis=1) > 0)
            F, ry, C = gram.corr(B, Y, yy_n, S, theta[S])
            scores = _unit_scores(st, C)
            if use_gap:
                gap = _gap_value(pen, theta, F, ry, C)
                gaps[i] = gap
                done = gap <= thr
            else:
                done = sub_ok
            viol = (scores > lam1 * (1 + 1e-12)) & ~in_ws
            if done and (use_gap or not viol.any()):
                converged = True
                break
            if viol.any():
                in_ws |= viol
            elif not sub_ok:
                break  # the sub-problem hit max_iter
            else:
                sub_thr /= 10.0
        n_iters[i] = total_iter
        n_fail += not converged
        coefs[i] = theta
        lam_prev = lam1
    if n_fail:
        warnings.warn(
            f"{n_fail} of {lams.size} path solves did not reach tol={tol}; "
            "increase max_iter or tol",
            ConvergenceWarning,
            stacklevel=3,
        )
    return PathResult(lams=lams.copy(), coefs=coefs, n_iters=n_iters, gaps=gaps)


def _lam_grid(lams: Any, lam_max: float, n_lams: int, eps: float) -> np.ndarray:
    if lams is not None:
        arr = finite_array(lams, "lams", ndim=1)
        if arr.size == 0 or np.any(arr <= 0):
            raise ValueError("lams must be a non-empty array of positive numbers")
        return arr
    n_lams = positive_int(n_lams, "n_lams")
    eps = positive(eps, "eps")
    if eps > 1:
        raise ValueError(f"eps must be in (0, 1], got {eps!r}")
    if lam_max <= np.finfo(float).resolution:
        return np.full(n_lams, np.finfo(float).resolution)
    return np.geomspace(lam_max, lam_max * eps, num=n_lams)


def lambda_max(
    X: Any,
    y: Any,
    kind: str = "l1",
    groups: Sequence[Any] | None = None,
    weights: Any = None,
) -> float:
    r"""Smallest λ for which the penalized coefficients of the solution are all zero.

    * ``kind="l1"`` (lasso): λ_max = (1/n)‖Xᵀy‖_∞ (entrywise for a 2-D y);
    * ``kind="group"``: λ_max = max_g ‖(Xᵀy)_g‖₂ / (n·w_g) — rows of XᵀY when
      ``groups=None`` (multi-task), else the given groups. Coordinates in no group are
      unpenalized: y is first replaced by its least-squares residual on them.

    For the elastic net λ₁‖θ‖₁ + λ₂‖θ‖², θ* = 0 iff λ₁ ≥ λ_max (λ₂ plays no role).
    """
    Xa, ya = _check_Xy(X, y)
    kind = _check_choice(kind, ("l1", "group"), "kind")
    n, p = Xa.shape
    if kind == "l1":
        return float(np.max(np.abs(Xa.T @ ya))) / n if p else 0.0
    st = _unit_struct("group", p, ya.shape[1] if ya.ndim == 2 else None, groups, weights)
    free = st["free"]
    if free.size:
        coef = np.linalg.lstsq(Xa[:, free], ya, rcond=None)[0]
        ya = ya - Xa[:, free] @ coef
    return float(np.max(_unit_scores(st, Xa.T @ ya / n)))


_PATH_DOC_COMMON = """
    Paths use warm starts along a decreasing λ grid (the default grid is geometric from
    λ_max down to eps·λ_max, as in scikit-learn). With ``working_set=True`` each solve is
    restricted to the features kept by the sequential strong rule (Tibshirani et al.
    2012) plus the current support, solved by FISTA in Gram form, then checked against
    the KKT conditions on all features (violators are added and the solve repeated);
    for the lasso/elastic net, FISTA's iterate is also 'polished' by an exact solve on its
    support once the support and signs stop changing, accepted only if it lowers the
    duality gap. Stopping: duality gap ≤ tol·‖y‖²/(2n) on the full problem.
"""


def lasso_path(
    X: Any,
    y: Any,
    lams: Any = None,
    *,
    n_lams: int = 100,
    eps: float = 1e-3,
    tol: float = 1e-8,
    max_iter: int = 10_000,
    method: str = "fista",
    working_set: bool = True,
    progress: bool = False,
) -> PathResult:
    r"""Lasso path: θ*(λ) = argmin (1/2n)‖y − Xθ‖² + λ‖θ‖₁ for each λ in ``lams``.

    Same parametrization as ``sklearn.linear_model.lasso_path`` (its ``alphas`` are our
    λ), but ``coefs`` has shape (n_lams, p) — sklearn's is (p, n_lams).
    """
    Xa, ya = _check_Xy(X, y)
    if ya.ndim != 1:
        raise ValueError(f"y must be 1-D for the lasso path, got shape {ya.shape}")
    method = _check_choice(method, _METHODS, "method")
    grid = _lam_grid(lams, lambda_max(Xa, ya), n_lams, eps)
    return _path_engine(
        Xa,
        ya,
        grid,
        L1,
        _unit_struct("l1", Xa.shape[1], None, None, None),
        lambda lam: lam,
        tol=nonneg(tol, "tol"),
        max_iter=positive_int(max_iter, "max_iter"),
        method=method,
        working_set=working_set,
        progress=progress,
    )


lasso_path.__doc__ = (lasso_path.__doc__ or "") + _PATH_DOC_COMMON


def enet_path(
    X: Any,
    y: Any,
    lams: Any = None,
    *,
    l1_ratio: float = 0.5,
    n_lams: int = 100,
    eps: float = 1e-3,
    tol: float = 1e-8,
    max_iter: int = 10_000,
    method: str = "fista",
    working_set: bool = True,
    progress: bool = False,
) -> PathResult:
    r"""Elastic-net path, parametrized exactly like ``sklearn.linear_model.enet_path``.

    ``lams`` is sklearn's α grid at fixed ρ = ``l1_ratio`` ∈ (0, 1]; each α is solved as
    the penalty λ₁‖θ‖₁ + λ₂‖θ‖² with λ₁ = αρ and λ₂ = α(1 − ρ)/2. The default grid is
    geometric from α_max = ‖Xᵀy‖_∞/(nρ) to eps·α_max. ``PathResult.lams`` holds the α's.
    """
    Xa, ya = _check_Xy(X, y)
    if ya.ndim != 1:
        raise ValueError(f"y must be 1-D for the elastic-net path, got shape {ya.shape}")
    rho = positive(l1_ratio, "l1_ratio")
    if rho > 1:
        raise ValueError(f"l1_ratio must be in (0, 1], got {l1_ratio!r}")
    method = _check_choice(method, _METHODS, "method")
    grid = _lam_grid(lams, lambda_max(Xa, ya) / rho, n_lams, eps)
    return _path_engine(
        Xa,
        ya,
        grid,
        lambda a: ElasticNet.from_sklearn(a, rho),
        _unit_struct("l1", Xa.shape[1], None, None, None),
        lambda a: a * rho,
        tol=nonneg(tol, "tol"),
        max_iter=positive_int(max_iter, "max_iter"),
        method=method,
        working_set=working_set,
        progress=progress,
    )


enet_path.__doc__ = (enet_path.__doc__ or "") + _PATH_DOC_COMMON


def group_lasso_path(
    X: Any,
    Y: Any,
    groups: Sequence[Any] | None = None,
    *,
    weights: Any = None,
    lams: Any = None,
    n_lams: int = 100,
    eps: float = 1e-3,
    tol: float = 1e-8,
    max_iter: int = 10_000,
    method: str = "fista",
    working_set: bool = True,
    progress: bool = False,
) -> PathResult:
    r"""Group-lasso path: θ*(λ) = argmin (1/2n)‖Y − Xθ‖² + λ Σ_g w_g‖θ_g‖₂.

    ``groups=None`` needs a 2-D Y (n×m): the groups are the rows of θ (p×m), which is
    sklearn's ``MultiTaskLasso`` (α = λ; its ``coef_`` is θᵀ). Otherwise ``groups`` is a
    list of disjoint index arrays into the rows/coordinates of θ; coordinates in no group
    are unpenalized. λ_max is :func:`lambda_max` with ``kind="group"``.
    """
    Xa, Ya = _check_Xy(X, Y, "Y")
    method = _check_choice(method, _METHODS, "method")
    m = Ya.shape[1] if Ya.ndim == 2 else None
    st = _unit_struct("group", Xa.shape[1], m, groups, weights)
    grid = _lam_grid(lams, lambda_max(Xa, Ya, "group", groups, weights), n_lams, eps)
    base = GroupL21(1.0, groups, weights)

    def make(lam: float) -> Penalty:
        return GroupL21(lam, base.groups, base.weights)

    return _path_engine(
        Xa,
        Ya,
        grid,
        make,
        st,
        lambda lam: lam,
        tol=nonneg(tol, "tol"),
        max_iter=positive_int(max_iter, "max_iter"),
        method=method,
        working_set=working_set,
        progress=progress,
    )


group_lasso_path.__doc__ = (group_lasso_path.__doc__ or "") + _PATH_DOC_COMMON


# ------------------------------------------------------------------------------- STLSQ


@dataclass
class STLSQResult:
    """Output of :func:`stlsq`.

    Attributes
    ----------
    Xi : ndarray, shape (p, m)
        The sparse coefficients Ξ with Θ Ξ ≈ Ẋ (column i is the model of ẋᵢ). pysindy's
        ``coef_`` is Ξᵀ.
    n_iter : int
        Thresholding iterations done (ridge solves per target).
    converged : bool
        Whether the support stopped changing before ``max_iter``.
    """

    Xi: np.ndarray
    n_iter: int
    converged: bool


def _ridge_lstsq(A: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    """argmin_w ‖b − Aw‖² + α‖w‖² by the normal equations (AᵀA + αI)w = Aᵀb (Cholesky,
    as scikit-learn's ``ridge_regression``), falling back to least squares when singular."""
    M = A.T @ A
    if alpha:
        M[np.diag_indices_from(M)] += alpha
    try:
        return sla.solve(M, A.T @ b, assume_a="pos", check_finite=False)
    except (np.linalg.LinAlgError, ValueError):
        if alpha:
            A = np.vstack([A, np.sqrt(alpha) * np.eye(A.shape[1])])
            b = np.concatenate([b, np.zeros(A.shape[1])])
        return np.linalg.lstsq(A, b, rcond=None)[0]


def stlsq(
    Theta: Any,
    dXdt: Any,
    threshold: float = 0.1,
    alpha: float = 0.0,
    max_iter: int = 20,
    unbias: bool = True,
) -> STLSQResult:
    r"""Sequentially thresholded least squares (Brunton, Proctor & Kutz 2016), as in pysindy.

    Find a sparse Ξ (p × m) with Θ Ξ ≈ Ẋ, one column ξᵢ per target ẋᵢ:

    1. Ξ⁰ = least-squares solution of Θ Ξ = Ẋ; every coefficient starts in the support.
    2. Repeat (at most ``max_iter`` times): for each target, on its current support Sᵢ,
       solve the ridge problem min ‖ẋᵢ − Θ_{Sᵢ} w‖² + α‖w‖² (α = ``alpha``; α = 0 is
       plain least squares), then drop every coefficient with |wⱼ| < ``threshold``.
       Stop when no coefficient was dropped in the first pass, or when the support is the
       same as in the previous pass (converged).
    3. With ``unbias`` (pysindy's default) refit each ξᵢ by unpenalised least squares on
       its final support.

    This is pysindy 2.x's ``STLSQ(threshold, alpha, max_iter, normalize_columns=False,
    unbias=True)`` step for step: ``Xi.T`` equals its ``coef_``. Mapping to the course's
    convention: ‖ẋ − Θw‖² + α‖w‖² = 2n·[(1/2n)‖ẋ − Θw‖² + (λ/2)‖w‖²] with λ = α/n, so
    each ridge step is the course's L2-penalised least squares with λ = α/n.

    Parameters
    ----------
    Theta : array (n, p)
        The candidate library Θ(X) evaluated on the samples.
    dXdt : array (n,) or (n, m)
        Time derivatives Ẋ.
    threshold : float ≥ 0
        Coefficients with magnitude below it are set to zero.
    alpha : float ≥ 0
        Ridge weight α of each regression (pysindy's scaling, no 1/n).
    max_iter : int ≥ 1
    unbias : bool

    Returns
    -------
    STLSQResult
        ``Xi`` has shape (p, m) (or (p,) for a 1-D ``dXdt``).
    """
    Th, Y = _check_Xy(Theta, dXdt, "dXdt")
    thr = nonneg(threshold, "threshold")
    a = nonneg(alpha, "alpha")
    max_iter = positive_int(max_iter, "max_iter")
    one_d = Y.ndim == 1
    Y = Y[:, None] if one_d else Y
    p, m = Th.shape[1], Y.shape[1]
    # pysindy starts from the least-squares fit; only its zero pattern is used below.
    Xi = _ridge_lstsq(Th, Y, 0.0)
    ind = np.ones((p, m), dtype=bool)
    prev_nonzero = Xi != 0
    n_iter, converged = 0, False
    for _ in range(max_iter):
        if not ind.any():
            Xi = np.zeros((p, m))
            break
        Xi = np.zeros((p, m))
        for i in range(m):
            S = np.flatnonzero(ind[:, i])
            if S.size == 0:
                continue
            w = np.zeros(p)
            w[S] = _ridge_lstsq(Th[:, S], Y[:, i], a)
            big = np.abs(w) >= thr
            w[~big] = 0.0
            Xi[:, i] = w
            ind[:, i] = big
        n_iter += 1
        nonzero = Xi != 0
        if ind.all() or np.array_equal(nonzero, prev_nonzero):
            converged = True
            break
        prev_nonzero = nonzero
    if not ind.any():
        warnings.warn(f"threshold={thr} eliminated every coefficient", UserWarning,
                      stacklevel=2)
    elif not converged:
        warnings.warn(f"STLSQ support still changing after max_iter={max_iter} passes",
                      ConvergenceWarning, stacklevel=2)
    if unbias:
        support = np.abs(Xi) > 1e-14
        for i in range(m):
            S = np.flatnonzero(support[:, i])
            if S.size:
                Xi[:, i] = 0.0
                Xi[S, i] = sla.lstsq(Th[:, S], Y[:, i], lapack_driver="gelsy",
                                     check_finite=False)[0]
    return STLSQResult(Xi=Xi[:, 0] if one_d else Xi, n_iter=n_iter, converged=converged)
