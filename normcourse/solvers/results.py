"""What the solvers return: one base type with honest field names."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["ConvergenceWarning", "PathResult", "Result", "SolverResult"]


class ConvergenceWarning(UserWarning):
    """A solve stopped at ``max_iter`` before reaching ``tol``."""


class Result:
    """Base of every solver's result: ``coef`` (the coefficients found) and ``converged``.

    Subclasses keep the name their chapter uses (θ for a solve, a path's ``coefs``, SINDy's
    Ξ) and expose it as ``coef`` too, so generic code reads ``result.coef``.
    """

    converged: bool | np.ndarray

    @property
    def coef(self) -> np.ndarray:
        raise NotImplementedError


@dataclass
class SolverResult(Result):
    """Output of :func:`~normcourse.solvers.prox_grad`.

    Attributes
    ----------
    theta : ndarray
        The last iterate θ (shape (p,) or (p, m)); also ``coef``.
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

    @property
    def coef(self) -> np.ndarray:
        return self.theta


@dataclass
class PathResult(Result):
    """Output of the path functions (one solve per λ, warm-started).

    Attributes
    ----------
    lams : ndarray, shape (n_lams,)
        The penalty's λ at each point (for the elastic net: λ₁; see ``alphas``).
    coefs : ndarray, shape (n_lams, p) or (n_lams, p, m)
        θ*(λ) for each λ (note: sklearn's ``lasso_path`` returns the transpose); also ``coef``.
    n_iters : ndarray of int, shape (n_lams,)
        Proximal-gradient iterations spent on each λ.
    gaps : ndarray, shape (n_lams,)
        Final duality gap of each solve (NaN where there is no duality gap).
    kkt : ndarray, shape (n_lams,)
        Final KKT residual of each solve where the KKT criterion was used, else NaN.
    alphas : ndarray, shape (n_lams,)
        scikit-learn's ``alphas`` for the same points: α = λ for the lasso and the group
        lasso, α = λ₁/ρ for the elastic net at ``l1_ratio`` ρ.
    converged : ndarray of bool, shape (n_lams,)
        Whether each solve reached ``tol``.
    """

    lams: np.ndarray
    coefs: np.ndarray
    n_iters: np.ndarray
    gaps: np.ndarray
    kkt: np.ndarray = field(default_factory=lambda: np.empty(0))
    alphas: np.ndarray = field(default_factory=lambda: np.empty(0))
    converged: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))

    def __post_init__(self) -> None:
        k = self.lams.size
        if self.kkt.size == 0:
            self.kkt = np.full(k, np.nan)
        if self.alphas.size == 0:
            self.alphas = self.lams.copy()
        if self.converged.size == 0:
            self.converged = np.ones(k, dtype=bool)

    @property
    def coef(self) -> np.ndarray:
        return self.coefs
