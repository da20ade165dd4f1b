r"""Regularization paths: warm-started solves of f(θ) + R_λ(θ) along a decreasing λ grid.

One engine serves every penalty: it reads from the penalty what it needs (``with_lam`` for
the family, ``units``/``restrict`` to screen and build working sets, ``gap_terms`` for the
stopping rule, ``sign_pattern_terms`` for the exact polish) and never asks its type, so a
new penalty written in its own file gets a path with no change here (:func:`path`).
:func:`lasso_path` is the ``l1_ratio = 1`` case of :func:`enet_path`; the logistic path
of :mod:`normcourse.selection` runs through the same engine with ``loss="logistic"``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import linalg as sla

from normcourse._validate import (
    choice,
    data,
    distinct_lam_grid,
    flag,
    moderate_scale,
    nonneg,
    pm1_labels,
    positive,
    positive_int,
)
from normcourse.datafit import Logistic, Quadratic, QuadraticGram, top_eig
from normcourse.penalties import L1, ElasticNet, GroupL21, Penalty, Units
from normcourse.solvers.proxgrad import METHODS, check_penalty, duality_gap, run_prox_grad
from normcourse.solvers.results import ConvergenceWarning, PathResult

__all__ = ["enet_path", "group_lasso_path", "lambda_max", "lasso_path", "path"]


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
        return self.G[: self.k, pos][pos]  # columns first: contiguous copies in Fortran order

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


def _active_set(
    gram: _GramCache, B: np.ndarray, Y: np.ndarray, yy_n: float, pen: Penalty, st: Units,
    theta: np.ndarray, C: np.ndarray, thr: float, max_size: int, rounds: int = 6,
) -> tuple[np.ndarray, float, tuple[float, float, np.ndarray]] | None:
    r"""Exact lasso / elastic-net solve by guessing the support S and signs s.

    Start from the warm start's S and s (or, at θ = 0, the violators of |C_j| ≤ λ₁), solve
    (G_SS + 2λ₂I)θ_S = B_S − λ₁s, drop coordinates whose sign flipped and add those with
    |C_j| > λ₁, a few rounds at most. A guess is kept only if its duality gap is ≤ ``thr``
    (then it is a certified solution); otherwise ``None`` and the caller runs FISTA.
    Returns (θ, gap, (F, ry, C)) with F = ‖R‖²/(2n), ry = Rᵀy/n, C = XᵀR/n at θ.
    """
    terms, gterms = pen.sign_pattern_terms(), pen.gap_terms(st)
    assert terms is not None and gterms is not None
    lam1, lam2 = terms
    S = np.flatnonzero(theta)
    s = np.sign(theta[S])
    if S.size == 0:
        S = np.flatnonzero(np.abs(C) > lam1)
        s = np.sign(C[S])
    for _ in range(rounds):
        if S.size == 0 or S.size > max_size:
            return None
        M = gram.sub(S)
        if lam2:
            M[np.diag_indices_from(M)] += 2.0 * lam2
        try:
            u = np.linalg.solve(M, B[S] - lam1 * s)
        except np.linalg.LinAlgError:
            return None
        flip = np.sign(u) != s
        if flip.any():
            S, s = S[~flip], s[~flip]
            continue
        F, ry, C_new = gram.corr(B, Y, yy_n, S, u)
        th = np.zeros_like(theta)
        th[S] = u
        gap = duality_gap(pen, gterms, th, F, ry, C_new)
        if gap <= thr:
            return th, gap, (F, ry, C_new)
        out = np.abs(C_new) > lam1
        out[S] = False
        if not out.any():
            return None
        add = np.flatnonzero(out)
        S = np.concatenate([S, add])
        s = np.concatenate([s, np.sign(C_new[add])])
        order = np.argsort(S)
        S, s = S[order], s[order]
    return None


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
    terms = pen.sign_pattern_terms()
    assert terms is not None
    lam1, lam2 = terms

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




DOC_COMMON = """
    Paths use warm starts along a decreasing λ grid (the default grid is geometric from
    λ_max down to eps·λ_max, as in scikit-learn). With ``working_set=True`` each solve is
    restricted to the features kept by the sequential strong rule (Tibshirani et al.
    2012) plus the current support, solved by FISTA in Gram form, then checked against
    the KKT conditions on all features (violators are added and the solve repeated);
    for the lasso/elastic net, FISTA's iterate is also 'polished' by an exact solve on its
    support once the support and signs stop changing, accepted only if it lowers the
    duality gap. Stopping: duality gap ≤ tol·‖y‖²/(2n) on the full problem.
"""


def _engine(
    X: np.ndarray,
    Y: np.ndarray,
    grid: np.ndarray,
    family: Callable[[float], Penalty],
    *,
    loss: str = "squared",
    tol: float,
    max_iter: int,
    method: str,
    working_set: bool,
    progress: bool,
) -> PathResult:
    """Warm-started solves of the penalties ``family(g)`` for g in ``grid`` (decreasing)."""
    working_set = flag(working_set, "working_set")
    progress = flag(progress, "progress")
    n, p = X.shape
    yy_n = float(np.vdot(Y, Y)) / n
    thr = tol * yy_n / 2.0
    order = np.argsort(-grid, kind="stable")
    shape = (p,) if Y.ndim == 1 else (p, Y.shape[1])
    coefs = np.zeros((grid.size, *shape))
    n_iters = np.zeros(grid.size, dtype=int)
    gaps = np.full(grid.size, np.nan)
    kkt = np.full(grid.size, np.nan)
    lams = np.zeros(grid.size)
    ok = np.zeros(grid.size, dtype=bool)
    theta = np.zeros(shape)
    first = family(float(grid[order[0]])) if grid.size else L1(0.0)
    check_penalty(first, shape)
    st: Units = first.units(shape)
    free = st.free
    working_set = working_set and loss == "squared"
    gram = _GramCache(X) if loss == "squared" and (working_set or p <= n) else None
    B = X.T @ Y / n
    if free.size:  # unpenalized coordinates: start from their least-squares fit
        theta[free] = np.linalg.lstsq(X[:, free], Y, rcond=None)[0]
    full: Any = None
    L_full = 0.0
    if not working_set:
        if loss == "logistic":
            full = Logistic(X, Y)
        elif gram is not None:
            full = QuadraticGram(gram.G, B, yy_n)
        else:
            full = Quadratic(X, Y)
        L_full = full.lipschitz()
        L_full = L_full if L_full > 0 else 1.0
    C = X.T @ (Y - X @ theta) / n if free.size else B.copy()
    R0 = Y - X @ theta
    parts = (float(np.vdot(R0, R0)) / (2 * n), float(np.vdot(R0, Y)) / n, C)
    lam_prev = max(float(np.max(st.scores(C))) if st.n_units else 0.0, 0.0)
    v_top = np.zeros(p)  # warm start for the working sets' top eigenvector
    prev_idx: np.ndarray | None = None  # the last working set (G_WW and L_W are reused)
    Gw, Lw = np.empty((0, 0)), 0.0
    steps: Any = order
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(order, desc="path")
    for i in steps:
        pen = family(float(grid[i]))
        lam1 = pen.lam
        lams[i] = lam1
        use_gap = loss == "squared" and pen.gap_terms(st) is not None
        if not working_set:
            res = run_prox_grad(
                full,
                pen,
                theta,
                accelerate=method == "fista",
                restart=True,
                L=L_full,
                backtrack=False,
                criterion="gap" if use_gap else "kkt",
                thr=thr if use_gap else tol,
                max_iter=max_iter,
                check_every=1 if isinstance(full, QuadraticGram) else 10,
            )
            theta = res.theta
            n_iters[i] = res.n_iter
            if use_gap:
                gaps[i] = res.gap[-1]
            else:
                kkt[i] = res.kkt[-1]
            ok[i] = res.converged
            coefs[i] = theta
            continue
        assert gram is not None
        if use_gap:  # the warm start may already be certified at this λ (F, ry, C are λ-free)
            gap = duality_gap(pen, pen.gap_terms(st), theta, *parts)
            if gap <= thr:
                gaps[i], coefs[i], ok[i], lam_prev = gap, theta, True, lam1
                continue
        if use_gap and Y.ndim == 1 and pen.sign_pattern_terms() is not None:
            hit = _active_set(gram, B, Y, yy_n, pen, st, theta, C, thr, max_size=min(n, p, 200))
            if hit is not None:
                theta, gaps[i], parts = hit
                C = parts[2]
                coefs[i], ok[i], lam_prev = theta, True, lam1
                continue
        scores = st.scores(C)
        in_ws = (scores >= 2.0 * lam1 - lam_prev) | st.active(theta)
        total_iter = 0
        sub_thr = thr if use_gap else tol
        converged = False
        last_kkt = np.nan
        for _ in range(50):
            units = np.flatnonzero(in_ws)
            idx, sub_pen = pen.restrict(st, units)
            if idx.size:
                if prev_idx is None or not np.array_equal(idx, prev_idx):
                    Gw = gram.sub(idx)
                    # a 1 % bound is plenty for a step size, and warm-started Lanczos is cheap
                    Lw, vw = top_eig(Gw, v_top[idx], tol=1e-2)
                    v_top[:] = 0.0
                    v_top[idx] = np.abs(vw)
                    prev_idx = idx
                Bw = B[idx]
                res = run_prox_grad(
                    QuadraticGram(Gw, Bw, yy_n),
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
                    if use_gap and sub_pen.sign_pattern_terms() is not None
                    else None,
                )
                total_iter += res.n_iter
                theta = np.zeros(shape)
                theta[idx] = res.theta
                sub_ok = res.converged
                if not use_gap and res.kkt.size:
                    last_kkt = float(res.kkt[-1])
            else:
                theta = np.zeros(shape)
                sub_ok = True
                last_kkt = 0.0
            S = np.flatnonzero(np.abs(theta).reshape(p, -1).sum(axis=1) > 0)
            parts = gram.corr(B, Y, yy_n, S, theta[S])
            F, ry, C = parts
            scores = st.scores(C)
            if use_gap:
                gap = duality_gap(pen, pen.gap_terms(st), theta, F, ry, C)
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
        if not use_gap:
            kkt[i] = last_kkt
        n_iters[i] = total_iter
        ok[i] = converged
        coefs[i] = theta
        lam_prev = lam1
    n_fail = int((~ok).sum())
    if n_fail and tol > 0:  # tol=0: a fixed budget of max_iter iterations per λ
        worst = np.where(np.isnan(gaps), kkt, gaps)[~ok]
        what = "duality gap" if np.any(~np.isnan(gaps[~ok])) else "KKT residual"
        warnings.warn(
            f"{n_fail} of {grid.size} path solves stopped at max_iter={max_iter} before "
            f"reaching tol={tol}: largest {what} reached {np.nanmax(worst):.3g} (target "
            f"{thr if what == 'duality gap' else tol:.3g}); increase max_iter or loosen tol",
            ConvergenceWarning,
            stacklevel=3,
        )
    return PathResult(lams=lams, coefs=coefs, n_iters=n_iters, gaps=gaps, kkt=kkt,
                      alphas=grid.copy(), converged=ok)


def _grid(lams: Any, lam_max: float, n_lams: int, eps: float) -> np.ndarray:
    """The λ grid: ``lams`` (any order, no duplicates, each > 0) or the default one;
    ``n_lams`` and ``eps`` are checked either way."""
    n_lams = positive_int(n_lams, "n_lams")
    eps = positive(eps, "eps")
    if eps > 1:
        raise ValueError(f"eps must be in (0, 1], got {eps!r}")
    if lams is not None:
        return distinct_lam_grid(lams)
    if lam_max <= np.finfo(float).resolution:
        return np.full(n_lams, np.finfo(float).resolution)
    return np.geomspace(lam_max, lam_max * eps, num=n_lams)


def _checked(X: Any, y: Any, yname: str = "y") -> tuple[np.ndarray, np.ndarray]:
    """``data(X, y)`` with entries small enough to square (see ``moderate_scale``)."""
    Xa, ya = data(X, y, yname=yname)
    return moderate_scale(Xa, "X"), moderate_scale(ya, yname)


def _zero_stationary_lam(X: np.ndarray, Y: np.ndarray, penalty: Penalty, loss: str) -> float:
    """Smallest λ at which θ = 0 (penalized units) is stationary: max_u score_u(−∇f(θ₀)).

    θ₀ is 0 on the penalized units and the least-squares fit on the free coordinates.
    """
    n, p = X.shape
    shape = (p,) if Y.ndim == 1 else (p, Y.shape[1])
    st = penalty.units(shape)
    if st.n_units == 0:
        return 0.0
    if loss == "logistic":
        C = -Logistic(X, Y).grad(np.zeros(shape))
    else:
        R = Y
        if st.free.size:
            coef = np.linalg.lstsq(X[:, st.free], Y, rcond=None)[0]
            R = Y - X[:, st.free] @ coef
        C = X.T @ R / n
    return float(np.max(st.scores(C)))


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

    For the elastic net λ₁‖θ‖₁ + λ₂‖θ‖², θ* = 0 iff λ₁ ≥ λ_max (λ₂ plays no role). For
    any penalty, :func:`path` computes it from ``penalty.units``.
    """
    Xa, ya = data(X, y)
    kind = choice(kind, ("l1", "group"), "kind")
    if kind == "l1":
        return float(np.max(np.abs(Xa.T @ ya))) / Xa.shape[0] if Xa.shape[1] else 0.0
    return _zero_stationary_lam(Xa, ya, GroupL21(1.0, groups, weights), "squared")


def path(
    X: Any,
    y: Any,
    penalty: Penalty,
    lams: Any = None,
    *,
    loss: str = "squared",
    n_lams: int = 100,
    eps: float = 1e-3,
    tol: float = 1e-8,
    max_iter: int = 10_000,
    method: str = "fista",
    working_set: bool = True,
    progress: bool = False,
) -> PathResult:
    r"""Path of any penalty: θ*(λ) = argmin f(θ) + R_λ(θ) with R_λ = ``penalty.with_lam(λ)``.

    f is the squared loss (1/2n)‖y − Xθ‖² or the logistic loss (labels ±1). The default
    grid runs from λ_max — the smallest λ at which θ = 0 is stationary, max over the
    penalty's units of the score of −∇f(0) — down to ``eps``·λ_max. Working sets (squared
    loss) use the penalty's units; the stopping rule is the duality gap where the penalty
    has one, else the KKT residual (for a nonconvex penalty: a stationary point, reached
    from the warm start).
    """
    Xa, ya = _checked(X, y)
    loss = choice(loss, ("squared", "logistic"), "loss")
    if loss == "logistic":
        pm1_labels(ya)
    if not isinstance(penalty, Penalty):
        raise ValueError(f"penalty must be a normcourse.penalties.Penalty, got {penalty!r}")
    method = choice(method, METHODS, "method")
    grid = _grid(lams, _zero_stationary_lam(Xa, ya, penalty, loss), n_lams, eps)
    return _engine(Xa, ya, grid, penalty.with_lam, loss=loss, tol=nonneg(tol, "tol"),
                   max_iter=positive_int(max_iter, "max_iter"), method=method,
                   working_set=working_set, progress=progress)


path.__doc__ = (path.__doc__ or "") + DOC_COMMON


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
    λ), but ``coefs`` has shape (n_lams, p) — sklearn's is (p, n_lams). It is
    :func:`enet_path` with ``l1_ratio=1``.
    """
    return enet_path(X, y, lams, l1_ratio=1.0, n_lams=n_lams, eps=eps, tol=tol,
                     max_iter=max_iter, method=method, working_set=working_set,
                     progress=progress, _name="lasso path")


lasso_path.__doc__ = (lasso_path.__doc__ or "") + DOC_COMMON


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
    _name: str = "elastic-net path",
) -> PathResult:
    r"""Elastic-net path, parametrized exactly like ``sklearn.linear_model.enet_path``.

    ``lams`` is sklearn's α grid at fixed ρ = ``l1_ratio`` ∈ (0, 1]; each α is solved as
    the penalty λ₁‖θ‖₁ + λ₂‖θ‖² with λ₁ = αρ and λ₂ = α(1 − ρ)/2. The default grid is
    geometric from α_max = ‖Xᵀy‖_∞/(nρ) to eps·α_max. ``PathResult.alphas`` holds the α's
    and ``PathResult.lams`` the λ₁'s.
    """
    Xa, ya = _checked(X, y)
    if ya.ndim != 1:
        raise ValueError(f"y must be 1-D for the {_name}, got shape {ya.shape}")
    rho = positive(l1_ratio, "l1_ratio")
    if rho > 1:
        raise ValueError(f"l1_ratio must be in (0, 1], got {l1_ratio!r}")
    method = choice(method, METHODS, "method")
    grid = _grid(lams, lambda_max(Xa, ya) / rho, n_lams, eps)
    return _engine(Xa, ya, grid, lambda a: ElasticNet.from_sklearn(a, rho),
                   tol=nonneg(tol, "tol"), max_iter=positive_int(max_iter, "max_iter"),
                   method=method, working_set=working_set, progress=progress)


enet_path.__doc__ = (enet_path.__doc__ or "") + DOC_COMMON


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
    Xa, Ya = _checked(X, Y, "Y")
    method = choice(method, METHODS, "method")
    base = GroupL21(1.0, groups, weights)
    shape = (Xa.shape[1],) if Ya.ndim == 1 else (Xa.shape[1], Ya.shape[1])
    base.units(shape)  # a clear error for a grouping that does not fit θ
    grid = _grid(lams, _zero_stationary_lam(Xa, Ya, base, "squared"), n_lams, eps)
    return _engine(Xa, Ya, grid, base.with_lam, tol=nonneg(tol, "tol"),
                   max_iter=positive_int(max_iter, "max_iter"), method=method,
                   working_set=working_set, progress=progress)


group_lasso_path.__doc__ = (group_lasso_path.__doc__ or "") + DOC_COMMON
