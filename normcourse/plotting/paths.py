"""Regularization paths, convergence curves and proximal maps (sparsity pages).

Each function draws on an ``Axes`` (or a grid of them) and returns it; the numbers it
shows are computed by the library modules and passed in, or obtained by calling them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from normcourse._validate import finite_array, nonempty, positive
from normcourse.plotting.common import get_axes, log_lambda_axis

__all__ = [
    "convergence_plot",
    "highlight_path_plot",
    "path_plot",
    "shrinkage_plot",
    "support_pattern_plot",
]


def path_plot(
    lams: Sequence[float] | np.ndarray,
    coefs: np.ndarray,
    labels: Sequence[str] | None = None,
    ax=None,
    title: str | None = None,
):
    """Regularization path: θ_j(λ) against log λ, λ decreasing to the right.

    Each curve is labelled at its right end; the legend order is the order of entry
    (:func:`normcourse.selection.entry_order`).
    """
    from normcourse.selection import entry_order

    lams = nonempty(finite_array(lams, "lams", ndim=1), "lams")
    C = finite_array(coefs, "coefs", ndim=2)
    if C.shape[0] != lams.shape[0]:
        raise ValueError(f"coefs must have one row per λ ({lams.shape[0]}), got {C.shape[0]}")
    ax = get_axes(ax)
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
    ax = get_axes(ax)
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

    tau = positive(tau, "tau")
    w = np.linspace(-3 * tau, 3 * tau, 601)
    ax = get_axes(ax, figsize=(5.0, 4.0))
    ax.plot(w, w, color="0.6", lw=1, ls="--", label="no penalty: u = w")
    ax.plot(w, L2(1.0).prox(w, tau), lw=2, label="L2 prox: w / (1 + τ)")
    ax.plot(w, L1(1.0).prox(w, tau), lw=2, label="L1 prox: S_τ(w)")
    ax.axvspan(-tau, tau, color="C1", alpha=0.1, label="exact zeros |w| ≤ τ")
    ax.set_xlabel("input w")
    ax.set_ylabel("prox output u")
    ax.legend(frameon=False, fontsize=8)
    ax.set_title(f"Proximal maps, τ = {tau:g}")
    return ax


def highlight_path_plot(
    lams,
    values,
    highlight=None,
    labels: Sequence[str] | None = None,
    highlight_label: str = "highlighted",
    other_label: str | None = "others",
    ax=None,
    ylabel: str = "coefficient θⱼ",
    hline: float | None = None,
    title: str | None = None,
):
    """Curves values[:, j] against λ (log axis, λ decreasing), a few of them highlighted.

    ``values`` (n_lams × p) is a regularization path θ̂(λ) or a stability path Π̂(λ).
    ``highlight`` (mask or indices) selects the emphasised curves: with ``labels`` (one
    per variable) each gets its own colour and legend entry, otherwise they share one
    colour and the legend entry ``highlight_label``; the rest are drawn thin and grey
    (``other_label``). ``hline`` draws a dashed horizontal line (e.g. a threshold π_thr).
    """
    lams = nonempty(finite_array(lams, "lams", ndim=1), "lams")
    V = finite_array(values, "values", ndim=2)
    if V.shape[0] != lams.size:
        raise ValueError(f"values must have one row per λ ({lams.size}), got {V.shape[0]}")
    from matplotlib.collections import LineCollection

    p = V.shape[1]
    mask = np.zeros(p, dtype=bool)
    order = np.empty(0, dtype=np.intp)
    if highlight is not None:
        h = np.asarray(highlight)
        if h.dtype == bool:
            if h.shape != (p,):
                raise ValueError(f"highlight mask must have length {p}, got {h.shape}")
            order = np.flatnonzero(h)
        else:
            order = h.astype(np.intp).ravel()
            if order.size and (order.min() < -p or order.max() >= p):
                raise ValueError(f"highlight indices must be in 0 … {p - 1}")
        mask[order] = True
    if labels is not None and len(labels) != p:
        raise ValueError(f"labels must have one entry per column ({p}), got {len(labels)}")
    ax = get_axes(ax, figsize=(6.5, 4.0))
    others = np.flatnonzero(~mask)
    if others.size:  # one collection: fast even for thousands of curves
        segs = np.stack([np.broadcast_to(lams, V[:, others].T.shape), V[:, others].T], axis=-1)
        ax.add_collection(LineCollection(list(segs), colors="0.72", linewidths=0.7, zorder=1,
                                         label=other_label or None))
        ax.autoscale_view()
    for k, j in enumerate(order):
        if labels is not None:
            ax.plot(lams, V[:, j], lw=1.8, zorder=3, color=f"C{k % 10}", label=labels[j])
        else:
            ax.plot(lams, V[:, j], lw=1.4, zorder=3, color="C3",
                    label=highlight_label if k == 0 else None)
    if hline is not None:
        ax.axhline(hline, color="k", ls="--", lw=1, zorder=2)
    log_lambda_axis(ax, lams)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=8, loc="best")
    if title:
        ax.set_title(title)
    return ax


def support_pattern_plot(
    matrices: Mapping[str, np.ndarray],
    title: str = "Nonzero pattern of W (black = nonzero weight)",
    xlabel: str = "output j",
    ylabel: str = "input feature i",
):
    """Small multiples of the nonzero pattern of weight matrices W (d × m), side by side.

    Each panel is titled with the number of input features in use — rows of W with at
    least one nonzero weight. Returns the figure.
    """
    import matplotlib.pyplot as plt

    if not matrices:
        raise ValueError("matrices must hold at least one named matrix")
    Ms = {name: nonempty(finite_array(M, f"matrices[{name!r}]", ndim=2), f"matrices[{name!r}]")
          for name, M in matrices.items()}
    fig, axes = plt.subplots(1, len(Ms), figsize=(2.7 * len(Ms), 4.2), sharey=True,
                             layout="constrained", squeeze=False)
    for ax, (name, M) in zip(axes[0], Ms.items(), strict=True):
        used = int(np.count_nonzero(np.any(M != 0, axis=1)))
        ax.imshow(M != 0, cmap="Greys", aspect="auto", interpolation="nearest", vmin=0, vmax=1)
        ax.set_title(f"{name}: {used} inputs used", fontsize=10)
        ax.set_xlabel(xlabel)
    axes[0][0].set_ylabel(ylabel)
    fig.suptitle(title, fontsize=10)
    return fig
