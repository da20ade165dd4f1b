r"""Smooth data terms f(θ) for the solvers: value, gradient and Lipschitz constant.

Each data term evaluates f through an auxiliary linear image A = ``linear(θ)`` (Xθ, or
Gθ in Gram form). FISTA's extrapolated point z = θ_k + β(θ_k − θ_{k−1}) then has
``linear(z)`` = A_k + β(A_k − A_{k−1}) for free: one product with X or G per iteration.

* :class:`Quadratic` — f(θ) = (1/2n)‖y − Xθ‖₂² (y may be n×m: θ is then p×m);
* :class:`QuadraticGram` — the same in Gram form, ½⟨θ, Gθ⟩ − ⟨B, θ⟩ + ‖y‖²/(2n) with
  G = XᵀX/n and B = Xᵀy/n, an iteration costs O(p²) instead of O(np);
* :class:`Logistic` — f(θ) = (1/n) Σᵢ log(1 + exp(−yᵢ xᵢᵀθ)), labels yᵢ ∈ {−1, +1}.

The quadratic terms also give ``parts(θ, A)`` = (‖R‖²/(2n), Rᵀy/n, XᵀR/n) with R = y − Xθ,
from which the solvers build a duality gap. :func:`top_eig` and :func:`sq_spectral_norm`
are the linear algebra behind the Lipschitz constants.

These are **unchecked internal kernels** of the solvers' inner loops: nothing here validates
its input (finite float arrays of matching shapes, labels in {−1, +1}, a symmetric PSD ``G``
are expected). The public solvers validate the data before they build a data term.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg as sla
from scipy.sparse.linalg import eigsh
from scipy.special import expit

__all__ = ["Logistic", "Quadratic", "QuadraticGram", "sq_spectral_norm", "top_eig"]


def top_eig(
    G: np.ndarray, v0: np.ndarray | None = None, tol: float = 1e-4
) -> tuple[float, np.ndarray]:
    """Largest eigenvalue (an upper bound within ``tol`` relative) and eigenvector of a
    symmetric PSD matrix: dense LAPACK when small, else Lanczos started from ``v0``."""
    k = G.shape[0]
    if k == 0 or not np.any(G):
        return 0.0, np.ones(k)
    if k <= 100:
        val, vec = sla.eigh(G, subset_by_index=[k - 1, k - 1])
        return float(val[0]), vec[:, 0]
    start = np.ones(k) if v0 is None or not np.any(v0) else v0
    # The Ritz value θ ≤ λ_max and ARPACK guarantees ‖Gv − θv‖ ≤ tol·θ, so
    # λ_max ≤ θ(1 + tol): a safe upper bound for the Lipschitz constant.
    val, vec = eigsh(G, k=1, which="LA", v0=start, tol=tol, ncv=8)
    return float(val[0]) * (1.0 + tol), vec[:, 0]


def sq_spectral_norm(X: np.ndarray) -> float:
    """‖X‖₂² (largest singular value squared)."""
    n, p = X.shape
    if min(n, p) <= 300:
        return float(np.linalg.norm(X, 2)) ** 2 if X.size else 0.0
    # Lanczos on the smaller of XᵀX and XXᵀ.
    return top_eig(X.T @ X if p <= n else X @ X.T)[0]


class QuadraticGram:
    """Squared loss in Gram form: f(θ) = ½⟨θ, Gθ⟩ − ⟨B, θ⟩ + ‖y‖²/(2n), A = Gθ.

    G = XᵀX/n, B = Xᵀy/n, ``yy_n`` = ‖y‖²/n; ∇f(θ) = Gθ − B and the residual correlation
    XᵀR/n is B − Gθ. Lipschitz constant of ∇f: λ_max(G).
    """

    def __init__(self, G: np.ndarray, B: np.ndarray, yy_n: float) -> None:
        self.G, self.B, self.yy_n = G, B, yy_n

    @classmethod
    def from_data(cls, X: np.ndarray, y: np.ndarray) -> QuadraticGram:
        """G = XᵀX/n, B = Xᵀy/n from the data."""
        n = X.shape[0]
        return cls(X.T @ X / n, X.T @ y / n, float(np.vdot(y, y)) / n)

    def linear(self, theta: np.ndarray) -> np.ndarray:
        return self.G @ theta

    def value(self, theta: np.ndarray, A: np.ndarray | None = None) -> float:
        A = self.linear(theta) if A is None else A
        return 0.5 * float(np.vdot(theta, A)) - float(np.vdot(self.B, theta)) + 0.5 * self.yy_n

    def grad(self, theta: np.ndarray, A: np.ndarray | None = None) -> np.ndarray:
        return (self.linear(theta) if A is None else A) - self.B

    def parts(self, theta: np.ndarray, A: np.ndarray) -> tuple[float, float, np.ndarray]:
        """(‖R‖²/(2n), Rᵀy/n, XᵀR/n) at θ."""
        return (
            max(self.value(theta, A), 0.0),
            self.yy_n - float(np.vdot(self.B, theta)),
            self.B - A,
        )

    def lipschitz(self) -> float:
        return top_eig(self.G)[0]


class Quadratic:
    """Squared loss f(θ) = ‖y − Xθ‖²/(2n), A = Xθ; ∇f(θ) = −Xᵀ(y − Xθ)/n, L = ‖X‖₂²/n."""

    def __init__(self, X: np.ndarray, Y: np.ndarray) -> None:
        self.X, self.Y, self.n = X, Y, X.shape[0]

    def linear(self, theta: np.ndarray) -> np.ndarray:
        return self.X @ theta

    def value(self, theta: np.ndarray, A: np.ndarray | None = None) -> float:
        R = self.Y - (self.linear(theta) if A is None else A)
        return float(np.vdot(R, R)) / (2 * self.n)

    def grad(self, theta: np.ndarray, A: np.ndarray | None = None) -> np.ndarray:
        return self.X.T @ ((self.linear(theta) if A is None else A) - self.Y) / self.n

    def parts(self, theta: np.ndarray, A: np.ndarray) -> tuple[float, float, np.ndarray]:
        """(‖R‖²/(2n), Rᵀy/n, XᵀR/n) at θ."""
        R = self.Y - A
        return (
            float(np.vdot(R, R)) / (2 * self.n),
            float(np.vdot(R, self.Y)) / self.n,
            self.X.T @ R / self.n,
        )

    def lipschitz(self) -> float:
        return sq_spectral_norm(self.X) / self.n


class Logistic:
    r"""Logistic loss f(θ) = (1/n) Σᵢ log(1 + exp(−yᵢ xᵢᵀθ)), A = Xθ, yᵢ ∈ {−1, +1}.

    ∇f(θ) = −(1/n) Σᵢ yᵢ σ(−yᵢxᵢᵀθ) xᵢ with σ the logistic function; σ' ≤ 1/4 gives
    the Lipschitz constant L = ‖X‖₂²/(4n).
    """

    def __init__(self, X: np.ndarray, y: np.ndarray) -> None:
        self.X, self.y, self.n = X, y, X.shape[0]

    def linear(self, theta: np.ndarray) -> np.ndarray:
        return self.X @ theta

    def value(self, theta: np.ndarray, A: np.ndarray | None = None) -> float:
        A = self.linear(theta) if A is None else A
        return float(np.mean(np.logaddexp(0.0, -self.y * A)))

    def grad(self, theta: np.ndarray, A: np.ndarray | None = None) -> np.ndarray:
        A = self.linear(theta) if A is None else A
        return -(self.X.T @ (self.y * expit(-self.y * A))) / self.n

    def lipschitz(self) -> float:
        return sq_spectral_norm(self.X) / (4 * self.n)
