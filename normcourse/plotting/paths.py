"""Regularization paths, convergence curves and proximal maps (sparsity pages).

Each function draws on an ``Axes`` (or a grid of them) and returns it; the numbers it
shows are computed by the library modules and passed in, or obtained by calling them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from normcourse._validate import drawable, finite_array, nonempty, positive
from normcourse.plotting.common import get_axes, log_lambda_axis

__all__ = [
    "coefficient_bars_plot",
    "convergence_plot",
    "estimates_plot",
    "highlight_path_plot",
    "leaving_variable_plot",
    "path_plot",
    "prox_maps_plot",
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
    reference_rates: bool | Sequence[float] = True,
    xlabel: str = "iteration k",
):
    """Suboptimality against iteration k on log–log axes, one curve per method.

    ``curves[name]`` is a sequence of values, the i-th drawn at x = i + 1 (a log axis
    has no 0); only positive values are drawn. ``reference_rates`` draws guides
    O(1/k^a) anchored at the first drawn value of the first curve: ``True`` for a = 1
    and 2 (ISTA and FISTA), or the exponents a to draw (e.g. ``(0.5, 1)`` for the
    subgradient method and ISTA), ``False`` for none.
    """
    if reference_rates is True:
        rates: tuple[float, ...] = (1.0, 2.0)
    elif reference_rates is False or reference_rates is None:
        rates = ()
    else:
        try:
            given = list(reference_rates)
        except TypeError:
            raise ValueError("reference_rates must be True, False or a sequence of "
                             f"exponents > 0, got {reference_rates!r}") from None
        rates = tuple(positive(a, "reference_rates") for a in given)
    ax = get_axes(ax)
    first = None
    for name, values in curves.items():
        v = finite_array(values, f"curves[{name!r}]", ndim=1)
        k = np.arange(1, v.size + 1)
        keep = v > 0
        ax.loglog(k[keep], v[keep], lw=1.8, label=name)
        if first is None and keep.any():
            first = (k[keep][0], v[keep][0], k[-1])
    names = {0.5: "O(1/√k)", 1.0: "O(1/k)", 2.0: "O(1/k²)"}
    styles = ["k:", "k--", "k-."]
    if first is not None:
        k0, v0, kmax = first
        k = np.arange(k0, kmax + 1)
        for i, a in enumerate(rates):
            ax.loglog(k, v0 * (k0 / k) ** a, styles[i % 3], lw=1,
                      label=names.get(a, f"O(1/k^{a:g})"))
    ax.set_xlabel(xlabel)
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


def prox_maps_plot(w, maps: Mapping[str, np.ndarray], ax=None, title: str = "Proximal maps",
                   xlabel: str = "w", ylabel: str = "prox(w)"):
    """Scalar maps w ↦ u drawn against w (each ``maps[name]`` is u evaluated on ``w``),
    with the identity u = w dashed for reference (e.g. soft against firm thresholding)."""
    w = nonempty(finite_array(w, "w", ndim=1), "w")
    if not maps:
        raise ValueError("maps must hold at least one named curve")
    ax = get_axes(ax, figsize=(4.5, 3.4))
    for name, u in maps.items():
        u = finite_array(u, f"maps[{name!r}]", ndim=1)
        if u.shape != w.shape:
            raise ValueError(f"maps[{name!r}] must have one value per w ({w.size}), "
                             f"got {u.size}")
        ax.plot(w, u, lw=1.8, label=name)
    ax.plot(w, w, color="0.7", lw=0.8, ls="--", label="identity")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(fontsize=8, loc="upper left", frameon=False)
    return ax


def estimates_plot(truth, estimates: Mapping[str, np.ndarray], labels: Sequence[str] | None = None,
                   ax=None, title: str | None = None, ylabel: str = "coefficient"):
    """True coefficients (open circles) and the estimates of several methods (markers,
    side by side) for a few coordinates — the picture of shrinkage and bias.

    ``truth`` and every ``estimates[name]`` have one entry per coordinate shown;
    ``labels`` names the coordinates (default θ0, θ1, …).
    """
    t = nonempty(finite_array(truth, "truth", ndim=1), "truth")
    if not estimates:
        raise ValueError("estimates must hold at least one named vector")
    if labels is not None and len(labels) != t.size:
        raise ValueError(f"labels must have one entry per coordinate ({t.size}), "
                         f"got {len(labels)}")
    ax = get_axes(ax, figsize=(4.5, 3.4))
    k = np.arange(t.size)
    ax.scatter(k, t, marker="o", s=70, facecolors="none", edgecolors="k", label="true θ",
               zorder=3)
    markers = "v^sDP"
    offsets = np.linspace(-0.25, 0.25, len(estimates)) if len(estimates) > 1 else [0.0]
    for i, (name, est) in enumerate(estimates.items()):
        e = finite_array(est, f"estimates[{name!r}]", ndim=1)
        if e.shape != t.shape:
            raise ValueError(f"estimates[{name!r}] must have {t.size} entries, got {e.size}")
        ax.scatter(k + offsets[i], e, marker=markers[i % len(markers)], s=30, label=name,
                   zorder=2)
    ax.axhline(0, color="0.7", lw=0.8)
    ax.set_xticks(k, list(labels) if labels is not None else [f"θ{j}" for j in k])
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, frameon=False)
    if title:
        ax.set_title(title)
    return ax


def coefficient_bars_plot(coefs: Mapping[str, np.ndarray], labels: Sequence[str] | None = None,
                          ax=None, title: str | None = None, ylabel: str = "coefficient"):
    """Grouped bars: one bar per method for every coefficient θ_j (e.g. the lasso against
    the elastic net on groups of correlated features)."""
    if not coefs:
        raise ValueError("coefs must hold at least one named vector")
    C = {name: nonempty(finite_array(c, f"coefs[{name!r}]", ndim=1), f"coefs[{name!r}]")
         for name, c in coefs.items()}
    p = next(iter(C.values())).size
    if any(c.size != p for c in C.values()):
        raise ValueError(f"every vector in coefs must have the same length ({p})")
    if labels is not None and len(labels) != p:
        raise ValueError(f"labels must have one entry per coefficient ({p}), got {len(labels)}")
    ax = get_axes(ax, figsize=(7.5, 3.2))
    idx = np.arange(p)
    width = 0.8 / len(C)
    for i, (name, c) in enumerate(C.items()):
        ax.bar(idx - 0.4 + width * (i + 0.5), c, width=width, label=name)
    ax.set_xticks(idx, list(labels) if labels is not None else [f"θ{j}" for j in idx],
                  rotation=60, fontsize=8)
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def leaving_variable_plot(lams, coefs, variable: int, out: tuple[float, float],
                          labels: Sequence[str] | None = None, title: str | None = None):
    """A regularization path with one variable that leaves the model highlighted.

    Left: the whole path θ̂(λ) (λ decreasing to the right), ``variable`` in colour.
    Right: a zoom on that variable around ``out`` = (λ where it leaves, λ where it
    returns), the interval where it is exactly zero shaded. Returns the figure.
    """
    import matplotlib.pyplot as plt

    lams = nonempty(finite_array(lams, "lams", ndim=1), "lams")
    C = finite_array(coefs, "coefs", ndim=2)
    if C.shape[0] != lams.size:
        raise ValueError(f"coefs must have one row per λ ({lams.size}), got {C.shape[0]}")
    p = C.shape[1]
    if isinstance(variable, bool) or not isinstance(variable, int | np.integer) \
            or not 0 <= variable < p:
        raise ValueError(f"variable must be an index in 0 … {p - 1}, got {variable!r}")
    try:
        out0, out1 = out
    except (TypeError, ValueError):
        raise ValueError(f"out must be a pair (λ where the variable leaves, λ where it "
                         f"returns), got {out!r}") from None
    # drawable: a λ beyond 1e100 overflows the log axis (matplotlib's exp) when shaded.
    hi, lo = sorted((drawable(out0, "out[0]", positive=True),
                     drawable(out1, "out[1]", positive=True)), reverse=True)
    names = list(labels) if labels is not None else [f"θ{j}" for j in range(p)]
    if len(names) != p:
        raise ValueError(f"labels must have one entry per column ({p}), got {len(names)}")
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained")
    from matplotlib.ticker import LogLocator

    highlight_path_plot(lams, C, [variable], labels=names, ax=left, title="whole path")
    left.xaxis.set_major_locator(LogLocator(base=10))  # one tick per decade: no overlap
    window = (lams <= hi * 4) & (lams >= lo / 4)
    if window.sum() < 2:
        raise ValueError(f"out={out!r} leaves fewer than two λ of the grid in the zoom window")
    right.plot(lams[window], C[window, variable], "o-", ms=3, lw=1.6, color="C0",
               label=names[variable])
    right.axvspan(lo, hi, color="C3", alpha=0.12, label=f"{names[variable]} = 0 exactly")
    log_lambda_axis(right, lams[window])
    right.axhline(0, color="0.6", lw=0.8)
    right.set_ylabel("coefficient θⱼ")
    right.set_title(f"zoom: {names[variable]} leaves and returns")
    right.legend(frameon=False, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig
