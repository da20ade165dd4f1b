r"""Variable selection with sparse penalties: scoring a support, cross-validation along a
path, stability selection, the L1-penalised logistic path and the irrepresentable
condition.

A *support* is the set of selected variables, Ŝ = {j : θ̂_j ≠ 0}. With the true support
S, the counts are TP = |Ŝ ∩ S|, FP = |Ŝ \ S|, FN = |S \ Ŝ| and

    precision = TP / |Ŝ|,   recall = TP / |S|,   F1 = 2·precision·recall / (precision + recall).

Every fit here goes through :mod:`normcourse.solvers` (``lasso_path``, ``enet_path``,
``group_lasso_path``, ``prox_grad``): this module only organises the calls.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from normcourse._validate import (
    distinct_lam_grid,
    finite_array,
    nonneg,
    pm1_labels,
    positive,
    positive_int,
    random_seed,
    same_rows,
)
from normcourse.groups import Groups
from normcourse.penalties import L1
from normcourse.solvers import (
    ConvergenceWarning,
    PathResult,
    enet_path,
    group_lasso_path,
    lambda_max,
    lasso_path,
    path,
)

__all__ = [
    "CVResult",
    "MethodPath",
    "PathMetrics",
    "StabilityResult",
    "SupportMetrics",
    "accuracy",
    "compare_methods",
    "cross_validate_path",
    "group_norms",
    "group_support",
    "irrepresentable",
    "logistic_l1_path",
    "logistic_lambda_max",
    "path_support_metrics",
    "stability_selection",
    "subsample_supports",
    "support_metrics",
]

_METHODS = ("lasso", "enet", "group")


# ------------------------------------------------------------------------ support scores


@dataclass(frozen=True)
class SupportMetrics:
    """Counts and scores of a selected set against the truth (see the module docstring).

    Conventions for empty sets: nothing selected ⇒ precision = 1 (no false discovery);
    nothing to find (S = ∅) ⇒ recall = 1; F1 = 0 when precision + recall = 0.
    """

    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float

    @property
    def wrong(self) -> int:
        """Number of wrong decisions FP + FN (0 iff the support is exactly right)."""
        return self.fp + self.fn


def _mask(a: Any, name: str) -> np.ndarray:
    arr = np.asarray(a)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one entry per variable), got shape {arr.shape}")
    if arr.dtype == bool:
        return arr
    return finite_array(arr, name, ndim=1) != 0


def support_metrics(selected: Any, truth: Any) -> SupportMetrics:
    r"""Precision, recall and F1 of the support ``selected`` against ``truth``.

    Both are 1-D arrays of equal length: boolean masks, or numbers where "nonzero"
    means selected (so coefficient vectors can be passed directly).
    """
    s = _mask(selected, "selected")
    t = _mask(truth, "truth")
    if s.shape != t.shape:
        raise ValueError(f"selected and truth must have the same length, got {s.size} and "
                         f"{t.size}")
    tp = int(np.sum(s & t))
    fp = int(np.sum(s & ~t))
    fn = int(np.sum(~s & t))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return SupportMetrics(tp=tp, fp=fp, fn=fn, precision=precision, recall=recall, f1=f1)


@dataclass(frozen=True)
class PathMetrics:
    """:func:`support_metrics` at every point of a path (arrays of length n_lams)."""

    n_selected: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    wrong: np.ndarray


def path_support_metrics(coefs: Any, truth: Any, groups: Sequence[Any] | None = None
                         ) -> PathMetrics:
    r"""Score the support of every row of ``coefs`` (n_lams × p) against ``truth``.

    With ``groups`` (a list of index arrays) the unit is the group: a group is selected
    when any of its coefficients is nonzero (:func:`group_support`) and ``truth`` is a
    mask over groups.
    """
    C = finite_array(coefs, "coefs", ndim=2)
    if C.shape[0] == 0 or C.shape[1] == 0:
        raise ValueError(f"coefs must have at least one row and one column, got shape {C.shape}")
    rows = [group_support(c, groups) if groups is not None else c != 0 for c in C]
    ms = [support_metrics(r, truth) for r in rows]
    return PathMetrics(
        n_selected=np.array([int(np.sum(r)) for r in rows]),
        precision=np.array([m.precision for m in ms]),
        recall=np.array([m.recall for m in ms]),
        f1=np.array([m.f1 for m in ms]),
        wrong=np.array([m.wrong for m in ms]),
    )


def group_norms(coefs: Any, groups: Sequence[Any]) -> np.ndarray:
    r"""Euclidean norm ‖θ_g‖₂ of every group: shape (G,) for one θ (p,), (n_lams, G) for
    a path (n_lams × p). ``groups`` is a list of index arrays into 0 … p−1."""
    C = finite_array(coefs, "coefs", ndim=(1, 2))
    if C.size == 0:
        raise ValueError(f"coefs must not be empty, got shape {C.shape}")
    grp = Groups(groups, "groups")  # disjoint, non-empty, integer indices ≥ 0
    p = C.shape[-1]
    if grp.max_index >= p:
        raise ValueError(f"groups has index {grp.max_index}, out of range for coefs with "
                         f"{p} entries per row (shape {C.shape})")
    out = np.empty((*C.shape[:-1], grp.n_groups))
    for k, idx in enumerate(grp.groups):
        out[..., k] = np.linalg.norm(C[..., idx], axis=-1)
    return out


def group_support(theta: Any, groups: Sequence[Any]) -> np.ndarray:
    """Boolean mask over groups: True where θ_g has a nonzero entry."""
    th = finite_array(theta, "theta", ndim=1)
    if th.size == 0:
        raise ValueError("theta must not be empty")
    return group_norms(th, groups) > 0


# ------------------------------------------------------------------- paths and CV


def _path(X: np.ndarray, y: np.ndarray, lams: np.ndarray, method: str, l1_ratio: float,
          groups: Sequence[Any] | None, weights: Any, tol: float) -> np.ndarray:
    """Coefficients (n_lams × p) of one warm-started path, in the order of ``lams``."""
    with warnings.catch_warnings():
        # A solve stopped at max_iter is still a usable (nearly optimal) point for scoring.
        warnings.simplefilter("ignore", ConvergenceWarning)
        if method == "lasso":
            return lasso_path(X, y, lams, tol=tol).coefs
        if method == "enet":
            return enet_path(X, y, lams, l1_ratio=l1_ratio, tol=tol).coefs
        return group_lasso_path(X, y, groups, weights=weights, lams=lams, tol=tol).coefs


def _check_method(method: Any, groups: Any) -> str:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if method == "group" and groups is None:
        raise ValueError("method='group' needs groups (a list of index arrays)")
    return str(method)


@dataclass(frozen=True)
class CVResult:
    """K-fold cross-validation along a λ grid.

    ``errors`` (n_folds × n_lams) holds the held-out mean squared error of each fold;
    ``mean`` and ``se`` (standard error over folds) summarise it; ``best_index`` is the
    λ with the smallest mean error and ``one_se_index`` the largest λ whose mean error
    is within one standard error of that minimum (the "one-standard-error rule").
    """

    lams: np.ndarray
    errors: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        return self.errors.mean(axis=0)

    @property
    def se(self) -> np.ndarray:
        k = self.errors.shape[0]
        return self.errors.std(axis=0, ddof=1) / np.sqrt(k) if k > 1 else np.zeros(self.lams.size)

    @property
    def best_index(self) -> int:
        return int(np.argmin(self.mean))

    @property
    def one_se_index(self) -> int:
        b = self.best_index
        ok = np.flatnonzero(self.mean <= self.mean[b] + self.se[b])
        return int(ok[np.argmax(self.lams[ok])])


def cross_validate_path(
    X: Any,
    y: Any,
    lams: Any,
    method: str = "lasso",
    *,
    n_folds: int = 5,
    seed: int = 0,
    l1_ratio: float = 0.5,
    groups: Sequence[Any] | None = None,
    weights: Any = None,
    tol: float = 1e-6,
) -> CVResult:
    r"""K-fold cross-validation of a lasso / elastic-net / group-lasso path.

    The samples are split into ``n_folds`` folds by a seeded random permutation; for
    each fold k the path θ̂⁽⁻ᵏ⁾(λ) is fitted on the other folds (warm starts along
    ``lams``) and scored by the held-out error (1/|F_k|) Σ_{i∈F_k} (yᵢ − xᵢᵀθ̂⁽⁻ᵏ⁾(λ))².
    The penalties are those of :mod:`normcourse.solvers`: ``"lasso"`` λ‖θ‖₁;
    ``"enet"`` sklearn's α = λ at fixed ``l1_ratio`` ρ, i.e. λρ‖θ‖₁ + (λ(1−ρ)/2)‖θ‖²;
    ``"group"`` λ Σ_g w_g‖θ_g‖₂ with ``groups`` and ``weights``. X and y should be
    centred (no intercept is fitted).
    """
    Xa = finite_array(X, "X", ndim=2)
    ya = finite_array(y, "y", ndim=1)
    same_rows(Xa, ya)
    grid = distinct_lam_grid(lams)
    method = _check_method(method, groups)
    k = positive_int(n_folds, "n_folds")
    n = Xa.shape[0]
    if not 2 <= k <= n:
        raise ValueError(f"n_folds must be in [2, n_samples={n}], got {n_folds!r}")
    rho = positive(l1_ratio, "l1_ratio")
    if rho > 1:
        raise ValueError(f"l1_ratio must be in (0, 1], got {l1_ratio!r}")
    tol = nonneg(tol, "tol")
    fold = np.random.default_rng(random_seed(seed)).permutation(n) % k
    errors = np.empty((k, grid.size))
    for f in range(k):
        tr, te = fold != f, fold == f
        C = _path(Xa[tr], ya[tr], grid, method, rho, groups, weights, tol)
        R = ya[te][None, :] - C @ Xa[te].T
        errors[f] = np.mean(R * R, axis=1)
    return CVResult(lams=grid.copy(), errors=errors)


@dataclass(frozen=True)
class MethodPath:
    """One penalty's path on a selection problem, scored (see :func:`compare_methods`).

    ``lams`` the grid the path was computed on (sklearn's α for the elastic net),
    ``coefs`` (n_lams × p), ``cv`` its cross-validation, ``variables`` the support scores
    per variable and ``groups`` per group (None without group truth).
    """

    lams: np.ndarray
    coefs: np.ndarray
    cv: CVResult
    variables: PathMetrics
    groups: PathMetrics | None

    @property
    def chosen(self) -> int:
        """Index of the λ chosen by cross-validation (smallest mean held-out error)."""
        return self.cv.best_index


def compare_methods(
    X: Any,
    y: Any,
    groups: Sequence[Any],
    truth: Any,
    group_truth: Any = None,
    *,
    n_lams: int = 40,
    eps: float = 0.02,
    n_group_lams: int = 30,
    group_eps: float = 0.05,
    l1_ratio: float = 0.5,
    n_folds: int = 5,
    seed: int = 0,
) -> dict[str, MethodPath]:
    r"""Lasso, elastic net and group lasso on one problem: paths, CV and support scores.

    * ``"lasso"``: λ‖θ‖₁ on λ ∈ geomspace(λ_max, ``eps``·λ_max, ``n_lams``);
    * ``"elastic net"``: sklearn's α = λ/ρ with ρ = ``l1_ratio`` on the same λ's, i.e.
      λ‖θ‖₁ + (λ(1−ρ)/(2ρ))‖θ‖² — the same ℓ1 weight as the lasso plus a ridge term;
    * ``"group lasso"``: λ Σ_g √|g| ‖θ_g‖₂ on geomspace(λ_max, ``group_eps``·λ_max,
      ``n_group_lams``) with its own λ_max (:func:`normcourse.solvers.lambda_max`).

    Each path is warm-started on all samples and cross-validated with
    :func:`cross_validate_path` (``n_folds``, ``seed``); supports are scored against
    ``truth`` (per variable) and ``group_truth`` (per group, a group counting as
    selected when any of its coefficients is nonzero).
    """
    Xa = finite_array(X, "X", ndim=2)
    ya = finite_array(y, "y", ndim=1)
    same_rows(Xa, ya)
    rho = positive(l1_ratio, "l1_ratio")
    if rho > 1:
        raise ValueError(f"l1_ratio must be in (0, 1], got {l1_ratio!r}")
    for name, v in (("eps", eps), ("group_eps", group_eps)):
        if not 0 < positive(v, name) <= 1:
            raise ValueError(f"{name} must be in (0, 1], got {v!r}")
    w = np.sqrt([len(g) for g in groups])
    lam_max = lambda_max(Xa, ya)
    lams = np.geomspace(lam_max, eps * lam_max, positive_int(n_lams, "n_lams"))
    glam_max = lambda_max(Xa, ya, kind="group", groups=groups, weights=w)
    glams = np.geomspace(glam_max, group_eps * glam_max,
                         positive_int(n_group_lams, "n_group_lams"))
    setups = {
        "lasso": ("lasso", lams, {}),
        "elastic net": ("enet", lams / rho, {"l1_ratio": rho}),
        "group lasso": ("group", glams, {"groups": groups, "weights": w}),
    }
    out = {}
    for name, (method, grid, kw) in setups.items():
        coefs = _path(Xa, ya, grid, method, rho, groups, w, 1e-6)
        cv = cross_validate_path(Xa, ya, grid, method, n_folds=n_folds, seed=seed, **kw)
        out[name] = MethodPath(
            lams=grid, coefs=coefs, cv=cv,
            variables=path_support_metrics(coefs, truth),
            groups=None if group_truth is None
            else path_support_metrics(coefs, group_truth, groups=groups),
        )
    return out


# ---------------------------------------------------------------- stability selection


@dataclass(frozen=True)
class StabilityResult:
    r"""Selection frequencies of stability selection (Meinshausen & Bühlmann 2010).

    ``freqs[l, j]`` = Π̂_j(λ_l), the fraction of subsamples on which variable j is
    selected at λ_l; ``lams`` the grid; ``n_resamples`` B; ``q`` the average number of
    variables selected somewhere along the grid, q̂ = mean_b |∪_l Ŝ_b(λ_l)|, that enters
    the error bound.
    """

    lams: np.ndarray
    freqs: np.ndarray
    n_resamples: int
    q: float

    @property
    def max_freq(self) -> np.ndarray:
        """max over the grid of Π̂_j(λ): the height of each stability path (length p)."""
        return self.freqs.max(axis=0)

    def stable_set(self, threshold: float) -> np.ndarray:
        """Indices j with max_λ Π̂_j(λ) ≥ ``threshold`` (π_thr ∈ (0, 1])."""
        pi = positive(threshold, "threshold")
        if pi > 1:
            raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
        return np.flatnonzero(self.max_freq >= pi)

    def error_bound(self, threshold: float) -> float:
        r"""Meinshausen–Bühlmann bound on the expected number of false selections,

        E[V] ≤ q² / ((2π_thr − 1) p),

        valid for π_thr ∈ (½, 1] under their exchangeability assumption on the noise
        variables and a selection procedure no worse than random guessing.
        """
        pi = positive(threshold, "threshold")
        if not 0.5 < pi <= 1:
            raise ValueError(f"threshold must be in (0.5, 1] for the bound, got {threshold!r}")
        return self.q**2 / ((2 * pi - 1) * self.freqs.shape[1])


def subsample_supports(
    X: Any,
    y: Any,
    lams: Any,
    n_resamples: int = 100,
    fraction: float = 0.5,
    seed: int = 0,
    method: str = "lasso",
    *,
    l1_ratio: float = 0.5,
    tol: float = 1e-6,
) -> np.ndarray:
    r"""The selected sets on seeded random subsamples: the building block of
    :func:`stability_selection`.

    For b = 1 … B (B = ``n_resamples``) draw a subsample I_b of ⌊``fraction``·n⌋ rows
    without replacement (``np.random.default_rng(seed)``, one ``choice`` per subsample),
    fit the whole path on (X_{I_b}, y_{I_b}) with warm starts along ``lams``, and record

        S[b, l, j] = 1[θ̂_j(λ_l; I_b) ≠ 0]   (a boolean array of shape (B, n_lams, p)).

    ``method="lasso"`` penalises λ‖θ‖₁; ``"enet"`` uses sklearn's α = λ at fixed
    ``l1_ratio`` ρ, i.e. λρ‖θ‖₁ + (λ(1−ρ)/2)‖θ‖² (see :func:`cross_validate_path`).
    """
    Xa = finite_array(X, "X", ndim=2)
    ya = finite_array(y, "y", ndim=1)
    same_rows(Xa, ya)
    grid = distinct_lam_grid(lams)
    if method not in ("lasso", "enet"):
        raise ValueError(f"method must be 'lasso' or 'enet', got {method!r}")
    B = positive_int(n_resamples, "n_resamples")
    frac = positive(fraction, "fraction")
    n, p = Xa.shape
    m = int(np.floor(frac * n))
    if frac >= 1 or m < 2:
        raise ValueError(f"fraction must be in (0, 1) and keep ≥ 2 samples, got {fraction!r}")
    rho = positive(l1_ratio, "l1_ratio")
    if rho > 1:
        raise ValueError(f"l1_ratio must be in (0, 1], got {l1_ratio!r}")
    tol = nonneg(tol, "tol")
    rng = np.random.default_rng(random_seed(seed))
    out = np.empty((B, grid.size, p), dtype=bool)
    for b in range(B):
        rows = np.sort(rng.choice(n, size=m, replace=False))
        out[b] = _path(Xa[rows], ya[rows], grid, method, rho, None, None, tol) != 0
    return out


def stability_selection(
    X: Any,
    y: Any,
    lams: Any,
    n_resamples: int = 100,
    fraction: float = 0.5,
    seed: int = 0,
    method: str = "lasso",
    *,
    l1_ratio: float = 0.5,
    tol: float = 1e-6,
) -> StabilityResult:
    r"""Stability selection: how often each variable is selected on random subsamples.

    With the selected sets Ŝ_b(λ) = {j : θ̂_j ≠ 0} of :func:`subsample_supports` (same
    arguments: B = ``n_resamples`` subsamples of ⌊``fraction``·n⌋ rows, whole path with
    warm starts), the output is

        Π̂_j(λ) = (1/B) Σ_b 1[j ∈ Ŝ_b(λ)]  ∈ [0, 1]

    for every λ in ``lams`` and every variable j. ``method="lasso"`` penalises λ‖θ‖₁;
    ``"enet"`` uses sklearn's α = λ at fixed ``l1_ratio`` (see :func:`cross_validate_path`).
    The stable set is {j : max_λ Π̂_j(λ) ≥ π_thr} (:meth:`StabilityResult.stable_set`).
    """
    grid = distinct_lam_grid(lams)
    S = subsample_supports(X, y, grid, n_resamples, fraction, seed, method,
                           l1_ratio=l1_ratio, tol=tol)
    union_sizes = S.any(axis=1).sum(axis=1)
    return StabilityResult(lams=grid.copy(), freqs=S.mean(axis=0), n_resamples=S.shape[0],
                           q=float(union_sizes.mean()))


# ------------------------------------------------------------ L1-penalised logistic path


def logistic_lambda_max(X: Any, y: Any) -> float:
    r"""Smallest λ for which θ = 0 minimises (1/n)Σ log(1 + exp(−yᵢxᵢᵀθ)) + λ‖θ‖₁.

    At θ = 0 the gradient of the loss is −Xᵀy/(2n), so λ_max = ‖Xᵀy‖_∞ / (2n).
    """
    Xa = finite_array(X, "X", ndim=2)
    ya = finite_array(y, "y", ndim=1)
    same_rows(Xa, ya)
    pm1_labels(ya)
    return float(np.max(np.abs(Xa.T @ ya))) / (2 * Xa.shape[0])


def logistic_l1_path(
    X: Any,
    y: Any,
    lams: Any = None,
    *,
    n_lams: int = 50,
    eps: float = 1e-2,
    tol: float = 1e-7,
    max_iter: int = 20_000,
) -> PathResult:
    r"""Regularization path of L1-penalised logistic regression (no intercept):

        θ̂(λ) = argmin_θ (1/n) Σᵢ log(1 + exp(−yᵢ xᵢᵀθ)) + λ‖θ‖₁,   yᵢ ∈ {−1, +1},

    solved by :func:`normcourse.solvers.prox_grad` (``loss="logistic"``, FISTA, KKT
    residual ≤ ``tol``) for λ decreasing, each solve warm-started at the previous
    solution. Default grid: geometric from :func:`logistic_lambda_max` down to
    ``eps``·λ_max. scikit-learn's ``LogisticRegression(l1_ratio=1, C=C,
    fit_intercept=False)`` is the same problem with C = 1/(nλ). ``PathResult.kkt`` holds
    the final KKT residuals (there is no duality gap here). It is
    :func:`normcourse.solvers.path` with ``loss="logistic"``.
    """
    Xa = finite_array(X, "X", ndim=2)
    ya = finite_array(y, "y", ndim=1)
    same_rows(Xa, ya)
    pm1_labels(ya)
    k = positive_int(n_lams, "n_lams")
    e = positive(eps, "eps")
    if e > 1:
        raise ValueError(f"eps must be in (0, 1], got {eps!r}")
    if lams is None:
        lam_max = logistic_lambda_max(Xa, ya)
        grid = np.geomspace(lam_max, e * lam_max, k)
    else:
        grid = distinct_lam_grid(lams)
    return path(Xa, ya, L1(1.0), grid, loss="logistic", tol=tol, max_iter=max_iter,
                working_set=False)


def accuracy(X: Any, y: Any, theta: Any) -> np.ndarray | float:
    r"""Classification accuracy (1/n) Σᵢ 1[ŷᵢ = yᵢ] of ŷᵢ = sign(xᵢᵀθ) (ties, xᵢᵀθ = 0,
    count as errors). ``theta`` may be one vector (p,) → a float, or a path (n_lams × p)
    → one accuracy per row."""
    Xa = finite_array(X, "X", ndim=2)
    ya = finite_array(y, "y", ndim=1)
    same_rows(Xa, ya)
    pm1_labels(ya)
    th = finite_array(theta, "theta", ndim=(1, 2))
    if th.shape[-1] != Xa.shape[1]:
        raise ValueError(f"theta must have {Xa.shape[1]} entries per row, got {th.shape[-1]}")
    scores = Xa @ th.T  # (n,) or (n, n_lams)
    correct = np.sign(scores) == (ya if th.ndim == 1 else ya[:, None])
    acc = correct.mean(axis=0)
    return float(acc) if th.ndim == 1 else acc


# ------------------------------------------------------------- irrepresentable condition


def irrepresentable(X: Any, theta: Any) -> float:
    r"""The lasso's irrepresentable constant for the design X and true coefficients θ:

        η = ‖ G_{S^c S} G_{SS}^{-1} sign(θ_S) ‖_∞,   G = XᵀX/n,  S = supp(θ).

    The lasso recovers S with the right signs for some λ (with high probability, as
    n → ∞) only if η ≤ 1 — the irrepresentable condition of Zhao & Yu (2006); in the
    noise-free case y = Xθ, η > 1 means that no λ on the lasso path has support S and
    signs sign(θ_S). Returns 0 when S is empty or everything.
    """
    Xa = finite_array(X, "X", ndim=2)
    if Xa.shape[0] == 0:
        raise ValueError(f"X must have at least one sample, got shape {Xa.shape}")
    th = finite_array(theta, "theta", ndim=1)
    if th.size != Xa.shape[1]:
        raise ValueError(f"theta must have one entry per column of X ({Xa.shape[1]}), "
                         f"got {th.size}")
    S = np.flatnonzero(th)
    Sc = np.flatnonzero(th == 0)
    if S.size == 0 or Sc.size == 0:
        return 0.0
    G = Xa.T @ Xa / Xa.shape[0]
    try:
        v = np.linalg.solve(G[np.ix_(S, S)], np.sign(th[S]))
    except np.linalg.LinAlgError:
        raise ValueError("X restricted to the support of theta is rank deficient") from None
    return float(np.max(np.abs(G[np.ix_(Sc, S)] @ v)))


# ------------------------------------------------------------------ path analysis


def entry_order(coefs: Any, tol: float = 0.0) -> list[int]:
    r"""Order in which the variables first become nonzero along a path (0-based indices).

    ``coefs`` has shape (n_lams, p) with λ decreasing down the rows (a regularization
    path θ̂(λ), or a path of group norms ‖θ̂_g(λ)‖). Variable j *enters* at the first row

        k_j = min{k : |coefs[k, j]| > tol},

    and the variables are returned sorted by k_j (ties by index j). Variables that never
    exceed ``tol`` are left out, so the result can be shorter than p.
    """
    C = finite_array(coefs, "coefs", ndim=2)
    if C.shape[0] == 0:
        raise ValueError(f"coefs must have at least one row (one per λ), got shape {C.shape}")
    tol = nonneg(tol, "tol")
    active = np.abs(C) > tol
    entered = np.flatnonzero(active.any(axis=0))
    first = active[:, entered].argmax(axis=0)
    return [int(j) for j in entered[np.argsort(first, kind="stable")]]


@dataclass(frozen=True)
class PathExit:
    """Variable ``variable`` is nonzero at row ``leaves − 1`` of a path and zero at row
    ``leaves``; it is nonzero again from row ``returns`` on (None if it never returns)."""

    variable: int
    leaves: int
    returns: int | None


def path_exits(coefs: Any, tol: float = 0.0) -> list[PathExit]:
    r"""Every time a variable *leaves* the model along a path, in order of the rows.

    ``coefs`` has shape (n_lams, p) with λ decreasing down the rows. With the active sets
    A_k = {j : |coefs[k, j]| > tol}, variable j leaves at row k when j ∈ A_{k−1} and
    j ∉ A_k, and returns at the first row k' > k with j ∈ A_{k'}. On the lasso path this
    happens when a coefficient reaches zero and its sign would have to change (the
    lasso modification of LARS, Efron et al. 2004); the order of entry alone
    (:func:`entry_order`) does not show it. Events are sorted by (leaves, variable).
    """
    C = finite_array(coefs, "coefs", ndim=2)
    if C.shape[0] == 0:
        raise ValueError(f"coefs must have at least one row (one per λ), got shape {C.shape}")
    active = np.abs(C) > nonneg(tol, "tol")
    out = []
    for k, j in zip(*np.nonzero(active[:-1] & ~active[1:]), strict=True):
        later = np.flatnonzero(active[k + 2:, j])
        out.append(PathExit(variable=int(j), leaves=int(k) + 1,
                            returns=int(k) + 2 + int(later[0]) if later.size else None))
    return sorted(out, key=lambda e: (e.leaves, e.variable))


__all__ += ["PathExit", "entry_order", "path_exits"]
