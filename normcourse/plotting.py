"""Figures used by the book: each function draws on an ``Axes`` and returns it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from normcourse._validate import finite_array


def _axes(ax=None, figsize=(6.0, 4.0)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def entry_order(coefs: np.ndarray, tol: float = 0.0) -> list[int]:
    """Order in which coefficients first become nonzero along a path (0-based indices).

    ``coefs`` has shape (n_lams, p) with λ decreasing down the rows; a coefficient
    "enters" at the first row where |θ_j| > ``tol``. Coefficients that never enter are
    left out.
    """
    C = finite_array(coefs, "coefs", ndim=2)
    first = [(int(np.argmax(np.abs(C[:, j]) > tol)), j) for j in range(C.shape[1])
             if np.any(np.abs(C[:, j]) > tol)]
    return [j for _, j in sorted(first)]


def path_plot(
    lams: Sequence[float] | np.ndarray,
    coefs: np.ndarray,
    labels: Sequence[str] | None = None,
    ax=None,
    title: str | None = None,
):
    """Regularization path: θ_j(λ) against log λ, λ decreasing to the right.

    Each curve is labelled at its right end; the legend order is the order of entry.
    """
    lams = finite_array(lams, "lams", ndim=1)
    C = finite_array(coefs, "coefs", ndim=2)
    if C.shape[0] != lams.shape[0]:
        raise ValueError(f"coefs must have one row per λ ({lams.shape[0]}), got {C.shape[0]}")
    ax = _axes(ax)
    labels = list(labels) if labels is not None else [f"θ{j}" for j in range(C.shape[1])]
    for rank, j in enumerate(entry_order(C)):
        ax.plot(lams, C[:, j], lw=1.6, label=f"{rank + 1}. {labels[j]}")
        ax.annotate(labels[j], (lams[-1], C[-1, j]), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=8)
    ax.set_xscale("log")
    ax.invert_xaxis()
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xlabel("λ (log scale, decreasing →)")
    ax.set_ylabel("coefficient θⱼ")
    ax.legend(title="order of entry", fontsize=7, title_fontsize=8, loc="upper left",
              ncols=2, frameon=False)
    if title:
        ax.set_title(title)
    return ax


def convergence_plot(
    curves: Mapping[str, np.ndarray | Sequence[float]],
    ax=None,
    ylabel: str = "F(θₖ) − F*",
    title: str | None = None,
    reference_rates: bool = True,
):
    """Suboptimality against iteration k on log–log axes, one curve per method.

    With ``reference_rates`` the O(1/k) and O(1/k²) guides of ISTA and FISTA are drawn,
    anchored at the first value of the first curve.
    """
    ax = _axes(ax)
    first = None
    for name, values in curves.items():
        v = finite_array(values, f"curves[{name!r}]", ndim=1)
        k = np.arange(1, v.size + 1)
        keep = v > 0
        ax.loglog(k[keep], v[keep], lw=1.8, label=name)
        if first is None and keep.any():
            first = (k[keep][0], v[keep][0], k[-1])
    if reference_rates and first is not None:
        k0, v0, kmax = first
        k = np.arange(k0, kmax + 1)
        ax.loglog(k, v0 * (k0 / k), "k:", lw=1, label="O(1/k)")
        ax.loglog(k, v0 * (k0 / k) ** 2, "k--", lw=1, label="O(1/k²)")
    ax.set_xlabel("iteration k")
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return ax


def shrinkage_plot(tau: float = 1.0, ax=None):
    """The three scalar maps w ↦ u of the book: identity, ridge shrinkage w/(1+τ)
    (prox of (τ/2)w²) and soft-thresholding S_τ(w) (prox of τ|w|), which is exactly zero
    on [−τ, τ]."""
    from normcourse.penalties import L1, L2

    w = np.linspace(-3 * tau, 3 * tau, 601)
    ax = _axes(ax, figsize=(5.0, 4.0))
    ax.plot(w, w, color="0.6", lw=1, ls="--", label="no penalty: u = w")
    ax.plot(w, L2(1.0).prox(w, tau), lw=2, label="L2 prox: w / (1 + τ)")
    ax.plot(w, L1(1.0).prox(w, tau), lw=2, label="L1 prox: S_τ(w)")
    ax.axvspan(-tau, tau, color="C1", alpha=0.1, label="exact zeros |w| ≤ τ")
    ax.set_xlabel("input w")
    ax.set_ylabel("prox output u")
    ax.legend(frameon=False, fontsize=8)
    ax.set_title(f"Proximal maps, τ = {tau:g}")
    return ax


def row_norm_plot(
    matrices: Mapping[str, np.ndarray],
    truth: np.ndarray | None = None,
    ax=None,
    feature_label: str = "input feature i",
):
    """Bar chart of the row norms ‖w_{i,:}‖₂ of one or more weight matrices W (d × m).

    A row norm of exactly zero means input feature i is removed from the layer. Rows that
    are nonzero in ``truth`` are marked.
    """
    ax = _axes(ax, figsize=(7.0, 3.5))
    names = list(matrices)
    width = 0.8 / max(len(names), 1)
    for i, name in enumerate(names):
        W = finite_array(matrices[name], f"matrices[{name!r}]", ndim=2)
        norms = np.linalg.norm(W, axis=1)
        x = np.arange(W.shape[0]) + (i - (len(names) - 1) / 2) * width
        ax.bar(x, norms, width=width, label=name)
    if truth is not None:
        T = finite_array(truth, "truth", ndim=2)
        active = np.flatnonzero(np.linalg.norm(T, axis=1) > 0)
        ax.plot(active, np.zeros_like(active, dtype=float), "k^", ms=6,
                label="truly used feature", clip_on=False)
    ax.set_xlabel(feature_label)
    ax.set_ylabel("row norm ‖wᵢ,:‖₂")
    ax.legend(frameon=False, fontsize=8)
    return ax
