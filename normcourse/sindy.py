r"""SINDy: sparse identification of nonlinear dynamics (Brunton, Proctor & Kutz 2016).

Given samples X (n × d) of a trajectory and its time derivatives Ẋ, SINDy writes

    Ẋ ≈ Θ(X) Ξ,

with a library Θ(X) (n × p) of candidate functions of the state and a *sparse*
coefficient matrix Ξ (p × d): column i of Ξ is the right-hand side of ẋᵢ, read off as
an equation. This module builds the polynomial library in pysindy's order and naming,
estimates derivatives, and scores a recovered Ξ; the sparse regression itself is
:func:`stlsq` (sequential thresholding, here) or the lasso of :mod:`normcourse.solvers`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import combinations_with_replacement
from typing import Any

import numpy as np
from scipy import linalg as sla

from normcourse._validate import (
    data,
    finite_array,
    flag,
    moderate_scale,
    nonneg,
    nonneg_int,
    positive,
    positive_int,
    real,
)
from normcourse.constrained import ridge
from normcourse.solvers import ConvergenceWarning, PathResult, Result, lasso_path

__all__ = [
    "PathOracle",
    "STLSQResult",
    "ThresholdSweep",
    "best_on_paths",
    "equations",
    "lasso_paths",
    "lorenz_xi",
    "polynomial_library",
    "stlsq",
    "term_errors",
    "threshold_sweep",
    "time_derivative",
]


# ------------------------------------------------------------------------------- STLSQ


@dataclass
class STLSQResult(Result):
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

    @property
    def coef(self) -> np.ndarray:
        return self.Xi


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
    Th, Y = data(Theta, dXdt, "Theta", "dXdt")
    thr = nonneg(threshold, "threshold")
    a = nonneg(alpha, "alpha")
    max_iter = positive_int(max_iter, "max_iter")
    unbias = flag(unbias, "unbias")
    one_d = Y.ndim == 1
    Y = Y[:, None] if one_d else Y
    n, p, m = Th.shape[0], Th.shape[1], Y.shape[1]
    # pysindy starts from the least-squares fit; only its zero pattern is used below.
    Xi = ridge(Th, Y, 0.0, method="cholesky")
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
            w[S] = ridge(Th[:, S], Y[:, i], a / n, method="cholesky")
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


# --------------------------------------------------------------------------- libraries


def polynomial_library(
    X: Any, degree: int = 2, names: Sequence[str] | None = None, include_bias: bool = True
) -> tuple[np.ndarray, list[str]]:
    r"""All monomials of the state variables up to ``degree``: Θ(X) and the term names.

    Terms are ordered by degree, then lexicographically by variable index
    (``itertools.combinations_with_replacement``) — for (x, y, z) and degree 2:
    1, x, y, z, x², xy, xz, y², yz, z² — and named as pysindy's ``PolynomialLibrary``
    names them (``"1"``, ``"x"``, ``"x^2"``, ``"x y"``, …), so the columns and names
    agree with ``PolynomialLibrary(degree).fit(X).get_feature_names(names)``.
    ``names`` defaults to x0, x1, … as in pysindy.
    """
    Xa = finite_array(X, "X", ndim=2)
    if Xa.shape[0] == 0 or Xa.shape[1] == 0:
        raise ValueError(f"X must have at least one sample and one variable, got shape "
                         f"{Xa.shape}")
    deg = nonneg_int(degree, "degree")
    include_bias = flag(include_bias, "include_bias")
    d = Xa.shape[1]
    var = [f"x{k}" for k in range(d)] if names is None else [str(s) for s in names]
    if len(var) != d:
        raise ValueError(f"names must have one entry per column of X ({d}), got {len(var)}")
    cols, labels = [], []
    for k in range(0 if include_bias else 1, deg + 1):
        for combo in combinations_with_replacement(range(d), k):
            cols.append(np.prod(Xa[:, list(combo)], axis=1) if combo else np.ones(len(Xa)))
            powers = np.bincount(np.asarray(combo, dtype=np.intp), minlength=d)
            parts = [var[j] if e == 1 else f"{var[j]}^{e}" for j, e in enumerate(powers) if e]
            labels.append(" ".join(parts) if parts else "1")
    if not cols:
        raise ValueError("the library is empty: use degree ≥ 1 or include_bias=True")
    return np.column_stack(cols), labels


def time_derivative(X: Any, dt: float, window: int | None = None, polyorder: int = 3
                    ) -> np.ndarray:
    r"""Estimate Ẋ from samples X (n × d) taken every ``dt``.

    * ``window=None``: second-order central differences,
      ẋ(t_k) ≈ (x_{k+1} − x_{k−1}) / (2 dt), with second-order one-sided formulas at the
      two ends (``numpy.gradient(..., edge_order=2)``). Error O(dt²) on smooth data, but
      measurement noise of size σ is amplified to about σ/(√2·dt).
    * ``window=w`` (odd, > ``polyorder``): Savitzky–Golay differentiation — fit a
      polynomial of degree ``polyorder`` by least squares to the w samples centred on t_k
      and take its derivative at t_k (``scipy.signal.savgol_filter(deriv=1)``): a
      smoothed finite difference whose noise amplification falls like dt^{-1}·w^{-3/2}.
    """
    Xa = finite_array(X, "X", ndim=(1, 2))
    h = positive(dt, "dt")
    if Xa.shape[0] < 3:
        raise ValueError(f"X must have at least 3 samples, got {Xa.shape[0]}")
    po = positive_int(polyorder, "polyorder")
    if window is None:
        return np.gradient(Xa, h, axis=0, edge_order=2)
    from scipy.signal import savgol_filter

    w = positive_int(window, "window")
    if w % 2 == 0 or w > Xa.shape[0]:
        raise ValueError(f"window must be odd and ≤ the number of samples, got {window!r}")
    if not 1 <= po < w:
        raise ValueError(f"polyorder must be in [1, window), got {polyorder!r}")
    return savgol_filter(Xa, w, po, deriv=1, delta=h, axis=0)


def lorenz_xi(sigma: float = 10.0, rho: float = 28.0, beta: float = 8.0 / 3.0) -> np.ndarray:
    r"""The true Ξ (10 × 3) of the Lorenz system in the degree-2 library of
    :func:`polynomial_library` [1, x, y, z, x², xy, xz, y², yz, z²]:

    ẋ = −σx + σy,   ẏ = ρx − y − xz,   ż = xy − βz   (7 nonzero terms).
    """
    sigma, rho, beta = real(sigma, "sigma"), real(rho, "rho"), real(beta, "beta")
    Xi = np.zeros((10, 3))
    Xi[1, 0], Xi[2, 0] = -sigma, sigma
    Xi[1, 1], Xi[2, 1], Xi[6, 1] = rho, -1.0, -1.0
    Xi[5, 2], Xi[3, 2] = 1.0, -beta
    return Xi


def equations(Xi: Any, terms: Sequence[str], lhs: Sequence[str], precision: int = 3
              ) -> list[str]:
    """The model Ẋ = Θ Ξ as text, one line per column of Ξ, e.g. ``"x' = -10.000 x + 10.000 y"``
    (terms whose rounded coefficient is 0 are left out)."""
    C = finite_array(Xi, "Xi", ndim=2)
    precision = nonneg_int(precision, "precision")
    if C.shape != (len(terms), len(lhs)):
        raise ValueError(f"Xi must have shape (len(terms), len(lhs)) = "
                         f"({len(terms)}, {len(lhs)}), got {C.shape}")
    out = []
    for i, name in enumerate(lhs):
        parts = [(c, t) for c, t in zip(C[:, i], terms, strict=True)
                 if round(float(c), precision) != 0]
        rhs = ""
        for k, (c, t) in enumerate(parts):
            sign = ("-" if c < 0 else "") if k == 0 else (" - " if c < 0 else " + ")
            rhs += f"{sign}{abs(c):.{precision}f} {t}"
        rhs = rhs or f"{0:.{precision}f}"
        out.append(f"{name}' = {rhs}")
    return out


def term_errors(Xi: Any, Xi_true: Any) -> tuple[int, int, float]:
    r"""(wrong terms, missed terms, relative error) of a recovered Ξ against the truth.

    wrong = #{(j, i) : Ξ̂_ji ≠ 0, Ξ_ji = 0} (spurious terms), missed = #{Ξ̂_ji = 0,
    Ξ_ji ≠ 0}, relative error ‖Ξ̂ − Ξ‖_F / ‖Ξ‖_F.
    """
    A = finite_array(Xi, "Xi", ndim=2)
    T = finite_array(Xi_true, "Xi_true", ndim=2)
    if A.shape != T.shape:
        raise ValueError(f"Xi and Xi_true must have the same shape, got {A.shape} and {T.shape}")
    spurious = int(np.sum((A != 0) & (T == 0)))
    missed = int(np.sum((A == 0) & (T != 0)))
    return spurious, missed, float(np.linalg.norm(A - T) / np.linalg.norm(T))


@dataclass(frozen=True)
class ThresholdSweep:
    """STLSQ at every threshold of a grid: ``spurious`` and ``missed`` term counts and the
    relative coefficient error ‖Ξ̂ − Ξ‖_F/‖Ξ‖_F (see :func:`term_errors`)."""

    thresholds: np.ndarray
    spurious: np.ndarray
    missed: np.ndarray
    rel_error: np.ndarray

    @property
    def wrong(self) -> np.ndarray:
        """Total wrong terms, spurious + missed (0 iff the support is exactly right)."""
        return self.spurious + self.missed


def threshold_sweep(Theta: Any, dXdt: Any, thresholds: Any, Xi_true: Any, alpha: float = 0.0
                    ) -> ThresholdSweep:
    r"""Run :func:`normcourse.solvers.stlsq` at each threshold and score it against
    ``Xi_true`` (p × m)."""
    grid = finite_array(thresholds, "thresholds", ndim=1)
    if grid.size == 0 or np.any(grid < 0):
        raise ValueError("thresholds must be a non-empty 1-D array of numbers ≥ 0")
    a = nonneg(alpha, "alpha")
    sp, mi, err = (np.empty(grid.size) for _ in range(3))
    for k, thr in enumerate(grid):
        with warnings.catch_warnings():
            # Huge thresholds legitimately remove every term; that is a point of the sweep.
            warnings.simplefilter("ignore", UserWarning)
            Xi = stlsq(Theta, dXdt, threshold=float(thr), alpha=a).Xi
        sp[k], mi[k], err[k] = term_errors(Xi, Xi_true)
    return ThresholdSweep(thresholds=grid.copy(), spurious=sp.astype(int),
                          missed=mi.astype(int), rel_error=err)


def lasso_paths(Theta: Any, dXdt: Any, n_lams: int = 200, eps: float = 1e-6,
                tol: float = 1e-10) -> tuple[list[PathResult], np.ndarray]:
    r"""The lasso path of every equation, on the library with columns scaled to unit RMS.

    Each column θ_j of Θ is divided by s_j = ‖θ_j‖₂/√n (so the constant column stays 1
    and λ means the same for every term), and for each target ẋᵢ
    :func:`normcourse.solvers.lasso_path` solves min (1/2n)‖ẋᵢ − (Θ/s) w‖² + λ‖w‖₁
    along a geometric grid from λ_max to ``eps``·λ_max. Returns the paths with
    coefficients mapped back to the original columns (ξ = w / s) and the scales s.
    """
    Th = finite_array(Theta, "Theta", ndim=2)
    Y = moderate_scale(finite_array(dXdt, "dXdt", ndim=2), "dXdt")
    if Y.shape[0] != Th.shape[0]:
        raise ValueError(f"Theta and dXdt must have the same number of samples, got "
                         f"{Th.shape[0]} and {Y.shape[0]}")
    s = np.sqrt(np.mean(Th * Th, axis=0))
    if np.any(s == 0):
        raise ValueError("Theta has an all-zero column")
    paths = []
    for i in range(Y.shape[1]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            P = lasso_path(Th / s, Y[:, i], n_lams=n_lams, eps=eps, tol=tol)
        paths.append(replace(P, coefs=P.coefs / s))
    return paths, s


@dataclass(frozen=True)
class PathOracle:
    """The lasso paths of :func:`lasso_paths` judged with the answer in hand.

    ``Xi`` (p × m): for each equation the point of its path with the smallest
    coefficient error ‖ξ̂ − ξ‖₂; ``wrong_at_best``: wrong terms (spurious + missed) at
    that point; ``min_wrong``: the fewest wrong terms at *any* point of the path
    (0 iff some λ gives exactly the true support).
    """

    Xi: np.ndarray
    wrong_at_best: np.ndarray
    min_wrong: np.ndarray


def best_on_paths(paths: Sequence[PathResult], Xi_true: Any) -> PathOracle:
    r"""Give a path method its best shot: an *oracle* choice of λ that uses the truth.

    For equation i, compare every point of path i with column i of ``Xi_true``: the
    most accurate point (smallest ‖ξ̂(λ) − ξ‖₂) goes into ``Xi``, and the number of wrong
    terms, #{j : 1[ξ̂_j ≠ 0] ≠ 1[ξ_j ≠ 0]}, is recorded there and minimised over the path.
    """
    T = finite_array(Xi_true, "Xi_true", ndim=2)
    if len(paths) != T.shape[1]:
        raise ValueError(f"paths must have one path per column of Xi_true ({T.shape[1]}), "
                         f"got {len(paths)}")
    Xi = np.zeros_like(T)
    at_best = np.zeros(T.shape[1], dtype=int)
    fewest = np.zeros(T.shape[1], dtype=int)
    for i, P in enumerate(paths):
        C = finite_array(P.coefs, f"paths[{i}].coefs", ndim=2)
        if C.shape[1] != T.shape[0]:
            raise ValueError(f"paths[{i}] has {C.shape[1]} coefficients, Xi_true has "
                             f"{T.shape[0]} rows")
        wrong = np.sum((C != 0) != (T[:, i] != 0), axis=1)
        k = int(np.argmin(np.linalg.norm(C - T[:, i], axis=1)))
        Xi[:, i], at_best[i], fewest[i] = C[k], wrong[k], wrong.min()
    return PathOracle(Xi=Xi, wrong_at_best=at_best, min_wrong=fewest)
