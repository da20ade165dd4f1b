"""Decision regions, certified robustness, spectral norms and path norms.

Each function draws on an ``Axes`` (or a grid of them) and returns it; the numbers it
shows are computed by the library modules and passed in, or obtained by calling them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from normcourse._validate import (
    DRAWABLE_LIMIT,
    drawable,
    finite_array,
    flag,
    nonempty,
    nonneg,
    positive,
    positive_int,
    torch_module,
)
from normcourse.plotting.common import get_axes

__all__ = [
    "decision_regions_plot",
    "imbalance_plot",
    "layer_norm_plot",
    "network_diagram",
    "norm_comparison_plot",
    "power_iteration_plot",
    "rescaling_plot",
    "robustness_curve_plot",
    "sigma_tracking_plot",
    "unit_balance_plot",
]


def decision_regions_plot(
    model,
    X: np.ndarray,
    y: np.ndarray,
    radii: np.ndarray | None = None,
    ax=None,
    max_circles: int = 60,
    grid: int = 250,
    padding: float = 0.4,
    title: str | None = None,
):
    """Predicted class of a 2-D classifier over the plane, the data, and certified balls.

    The background colour is argmax_k f_k(x) on a ``grid`` × ``grid`` mesh around ``X``;
    the black line is the decision boundary. With ``radii`` (one certified radius per
    sample, e.g. from :func:`normcourse.robustness.certified_radius`), a circle of radius
    r(xᵢ) is drawn around up to ``max_circles`` evenly chosen samples: no input inside a
    circle is classified differently from its centre. Axes are equal, so circles are round.
    """
    import torch

    Xa = nonempty(finite_array(X, "X", ndim=2), "X")
    if Xa.shape[1] != 2:
        raise ValueError(f"X must have 2 columns (a planar problem), got {Xa.shape[1]}")
    ya = finite_array(y, "y", ndim=1)
    if ya.shape != (Xa.shape[0],):
        raise ValueError(f"y must have shape ({Xa.shape[0]},), got {ya.shape}")
    if np.any(ya < 0) or np.any(ya != np.round(ya)):
        raise ValueError("y must hold integer class labels ≥ 0")
    max_circles = positive_int(max_circles, "max_circles")
    grid = positive_int(grid, "grid")
    if grid < 2:
        raise ValueError(f"grid must be ≥ 2, got {grid}")
    padding = nonneg(padding, "padding")
    torch_module(model, "model")
    lo, hi = Xa.min(0) - padding, Xa.max(0) + padding
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], grid), np.linspace(lo[1], hi[1], grid))
    pts = np.column_stack([g0.ravel(), g1.ravel()])
    p = next(model.parameters())
    with torch.no_grad():
        logits = model(torch.as_tensor(pts, dtype=p.dtype)).numpy()
    pred = logits.argmax(1).reshape(g0.shape)
    k = logits.shape[1]
    if ya.max() >= k:
        raise ValueError(f"y must hold class labels in 0 … {k - 1} (the model has {k} "
                         f"outputs), got {ya.max():g}")
    ax = get_axes(ax, figsize=(5.0, 4.0))
    ax.contourf(g0, g1, pred, levels=np.arange(k + 1) - 0.5, cmap="coolwarm", alpha=0.25)
    ax.contour(g0, g1, pred, levels=np.arange(k) + 0.5, colors="k", linewidths=1.0)
    ax.scatter(Xa[:, 0], Xa[:, 1], c=ya, cmap="coolwarm", vmin=0, vmax=k - 1, s=8,
               edgecolors="none")
    if radii is not None:
        r = finite_array(radii, "radii", ndim=1)
        if r.shape[0] != Xa.shape[0]:
            raise ValueError(
                f"radii must have one entry per sample ({Xa.shape[0]}), got {r.shape[0]}"
            )
        from matplotlib.patches import Circle

        idx = np.linspace(0, Xa.shape[0] - 1, min(max_circles, Xa.shape[0])).round().astype(int)
        for i in idx:
            ax.add_patch(Circle(tuple(Xa[i]), float(max(r[i], 0.0)), fill=False, lw=0.8,
                                color="0.15"))
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal")
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    if title:
        ax.set_title(title)
    return ax


def robustness_curve_plot(
    eps: Sequence[float] | np.ndarray,
    certified: Mapping[str, Sequence[float] | np.ndarray],
    empirical: Mapping[str, Sequence[float] | np.ndarray] | None = None,
    ax=None,
    title: str | None = None,
):
    """Accuracy against the ℓ2 perturbation size ε, one colour per model.

    Solid: certified accuracy (a lower bound on the accuracy under *any* attack of size
    ≤ ε). Dashed: accuracy under a PGD attack (an upper bound, since the attack may miss a
    perturbation). The true robust accuracy of each model lies in the shaded band between.
    """
    e = nonempty(finite_array(eps, "eps", ndim=1), "eps")
    ax = get_axes(ax, figsize=(7.5, 3.8))
    for i, (name, cert) in enumerate(certified.items()):
        c = finite_array(cert, f"certified[{name!r}]", ndim=1)
        if c.shape != e.shape:
            raise ValueError(f"certified[{name!r}] must have one value per ε ({e.size})")
        color = f"C{i}"
        ax.plot(e, c, color=color, lw=2, label=f"{name}: certified")
        if empirical is not None and name in empirical:
            emp = finite_array(empirical[name], f"empirical[{name!r}]", ndim=1)
            if emp.shape != e.shape:
                raise ValueError(f"empirical[{name!r}] must have one value per ε ({e.size})")
            ax.plot(e, emp, color=color, lw=1.5, ls="--", label=f"{name}: PGD attack")
            ax.fill_between(e, c, emp, color=color, alpha=0.12, lw=0)
    ax.set_xlabel("perturbation size ε (ℓ2)")
    ax.set_ylabel("accuracy")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if title:
        ax.set_title(title)
    return ax


def layer_norm_plot(
    norms: Mapping[str, Sequence[float] | np.ndarray],
    ax=None,
    title: str | None = None,
):
    """Spectral norms ‖W_l‖₂ layer by layer, grouped bars per model.

    The legend gives each model's product ∏_l ‖W_l‖₂, the Lipschitz upper bound of a
    network with 1-Lipschitz activations.
    """
    ax = get_axes(ax, figsize=(5.0, 3.5))
    names = list(norms)
    width = 0.8 / max(len(names), 1)
    n_layers = 0
    for i, name in enumerate(names):
        s = nonempty(finite_array(norms[name], f"norms[{name!r}]", ndim=1), f"norms[{name!r}]")
        if np.any(s < 0):
            raise ValueError(f"norms[{name!r}] must be ≥ 0")
        n_layers = max(n_layers, s.size)
        x = np.arange(1, s.size + 1) + (i - (len(names) - 1) / 2) * width
        ax.bar(x, s, width=width, label=f"{name} (∏ = {np.prod(s):.3g})")
        for xi, si in zip(x, s, strict=True):
            ax.annotate(f"{si:.2g}", (xi, si), xytext=(0, 2), textcoords="offset points",
                        ha="center", fontsize=7)
    ax.set_ylim(0, ax.get_ylim()[1] * 1.08)
    ax.set_xticks(np.arange(1, n_layers + 1), [f"W{j}" for j in range(1, n_layers + 1)])
    ax.set_xlabel("layer")
    ax.set_ylabel(r"spectral norm $\|W_l\|_2$")
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def rescaling_plot(
    alphas: Sequence[float] | np.ndarray,
    l2: Sequence[float] | np.ndarray,
    path: Sequence[float] | np.ndarray,
    alpha_star: float | None = None,
    ax=None,
    title: str | None = None,
):
    """‖θ(α)‖₂ and the path norm φ₂(θ(α)) along a rescaling orbit, α on a log axis.

    Every α gives the same function; the parameter norm changes with α (and is smallest at
    the balanced ``alpha_star``, marked if given) while the path norm is flat.
    """
    a = finite_array(alphas, "alphas", ndim=1)
    n2 = finite_array(l2, "l2", ndim=1)
    pn = finite_array(path, "path", ndim=1)
    if not (a.shape == n2.shape == pn.shape):
        raise ValueError("alphas, l2 and path must have the same length")
    if np.any(a <= 0):
        raise ValueError("alphas must be > 0")
    if alpha_star is not None:
        alpha_star = drawable(alpha_star, "alpha_star", positive=True)
    ax = get_axes(ax, figsize=(6.0, 3.8))
    ax.plot(a, n2, lw=2, label="parameter norm ‖θ(α)‖₂")
    ax.plot(a, pn, lw=2, ls="--", label="path norm φ₂(θ(α))")
    if alpha_star is not None:
        ax.axvline(alpha_star, color="0.5", lw=0.8, ls=":")
        ax.annotate("balanced α*", (alpha_star, ax.get_ylim()[1]), xytext=(3, -12),
                    textcoords="offset points", fontsize=8, color="0.3")
    ax.set_xscale("log")
    ax.set_xlabel("rescaling factor α (log scale)")
    ax.set_ylabel("norm")
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def network_diagram(model, ax=None, scale: float | None = None, title: str | None = None,
                    labels: bool = True):
    """Draw the Linear layers of a small Sequential MLP as a graph.

    Units are dots in columns (inputs on the left); an edge's width is proportional to
    |w| / ``scale`` (default: the largest |w| of the model) and its colour gives the sign
    (blue +, red −). Biases are not drawn. With ``labels`` each edge is annotated with its
    weight. Pass the same ``scale`` to compare two diagrams.
    """
    import torch

    torch_module(model, "model")
    labels = flag(labels, "labels")
    if scale is not None:
        scale = drawable(positive(scale, "scale"), "scale")
    mats = [m.weight.detach().to(torch.float64).numpy() for m in model
            if isinstance(m, torch.nn.Linear)]
    if not mats:
        raise ValueError("model has no nn.Linear layer to draw")
    s = float(max(np.abs(W).max() for W in mats)) if scale is None else float(scale)
    if not np.isfinite(s) or s <= 0:
        raise ValueError(f"scale must be > 0, got {scale!r}")
    widths = [mats[0].shape[1]] + [W.shape[0] for W in mats]
    ypos = [np.linspace((n - 1) / 2, -(n - 1) / 2, n) for n in widths]  # unit 1 on top
    ax = get_axes(ax, figsize=(4.0, 3.2))
    for layer, W in enumerate(mats):
        for j in range(W.shape[0]):
            for i in range(W.shape[1]):
                w = W[j, i]
                x0, y0, x1, y1 = layer, ypos[layer][i], layer + 1, ypos[layer + 1][j]
                ax.plot([x0, x1], [y0, y1], color="C0" if w >= 0 else "C3",
                        lw=0.3 + 5.0 * abs(w) / s, alpha=0.8, solid_capstyle="round")
                if labels:  # stagger labels by source unit so crossing edges do not collide
                    t = 0.2 + 0.6 * i / max(W.shape[1] - 1, 1)
                    ax.annotate(f"{w:.2f}", (x0 + t * (x1 - x0), y0 + t * (y1 - y0)),
                                fontsize=7, ha="center", va="center",
                                bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none",
                                          alpha=0.8))
    for layer, ys in enumerate(ypos):
        ax.scatter(np.full(ys.size, layer), ys, s=120, color="0.2", zorder=3)
    ax.set_xticks(range(len(widths)),
                  ["input"] + [f"hidden {k}" for k in range(1, len(widths) - 1)] + ["output"])
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xlim(-0.3, len(widths) - 0.7)
    if title:
        ax.set_title(title)
    return ax


def unit_balance_plot(
    pairs: Mapping[str, tuple[np.ndarray, np.ndarray]],
    ax=None,
    title: str | None = None,
    connect: bool = False,
):
    """Incoming norm a_j against outgoing norm c_j of each hidden unit, log–log.

    ``pairs`` maps a label to (a, c) from :func:`normcourse.robustness.unit_norms`. Points
    on the diagonal a = c are balanced units; a rescaling by α moves a point along the
    anti-diagonal a·c = const (the product a_j c_j does not change). With ``connect``
    (exactly two entries of equal length, e.g. before and after a rescaling), unit j of
    the first is joined to unit j of the second by a thin line. Units with a_j = 0 or
    c_j = 0 cannot be shown on log axes and are left out.
    """
    ax = get_axes(ax, figsize=(4.5, 4.2))
    lo, hi = np.inf, 0.0
    checked = []
    for name, (a, c) in pairs.items():
        a = finite_array(a, f"pairs[{name!r}][0]", ndim=1)
        c = finite_array(c, f"pairs[{name!r}][1]", ndim=1)
        if a.shape != c.shape:
            raise ValueError(f"pairs[{name!r}]: a and c must have the same length")
        checked.append((a, c))
        keep = (a > 0) & (c > 0)
        ax.scatter(a[keep], c[keep], s=22, label=name, alpha=0.8, zorder=3)
        if keep.any():
            lo = min(lo, a[keep].min(), c[keep].min())
            hi = max(hi, a[keep].max(), c[keep].max())
    if connect:
        if len(checked) != 2 or checked[0][0].shape != checked[1][0].shape:
            raise ValueError("connect=True needs exactly two entries in pairs of equal length")
        (a0, c0), (a1, c1) = checked
        for j in np.flatnonzero((a0 > 0) & (c0 > 0) & (a1 > 0) & (c1 > 0)):
            ax.plot([a0[j], a1[j]], [c0[j], c1[j]], color="0.7", lw=0.6, zorder=1)
    if hi > 0:
        d = np.array([lo / 1.5, hi * 1.5])
        ax.plot(d, d, color="0.5", lw=0.8, ls=":", label="balanced: a = c")
        ax.set_xlim(*d)
        ax.set_ylim(*d)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_aspect("equal")
    ax.set_xlabel(r"incoming norm $a_j = \|(w_j, b_j)\|_2$")
    ax.set_ylabel(r"outgoing norm $c_j = \|v_j\|_2$")
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def _guide(n: int, start: float, rate: float, ref: int) -> tuple[np.ndarray, np.ndarray]:
    """The guide y = start·rate^(k − ref) at k = 1 … n, where it is drawable.

    A tiny (or huge) rate sends the guide beyond 1e±100 (``DRAWABLE_LIMIT``), where numpy's
    power or matplotlib's log transform overflows; there the straight line of log y against
    k is cut where it leaves that band (at fractional k), the kept part unchanged.
    """
    k = np.arange(1, n + 1, dtype=float)
    top = math.log10(DRAWABLE_LIMIT)
    a, b = math.log10(start), math.log10(rate)  # log10 y = a + (k − ref)·b
    if np.all(np.abs(a + (k - ref) * b) <= top):
        return k, start * rate ** (k - float(ref))
    lo, hi = 1.0, float(n)
    if b != 0.0:
        k1, k2 = sorted((ref + (-top - a) / b, ref + (top - a) / b))
        lo, hi = max(lo, k1), min(hi, k2)
    elif abs(a) > top:
        lo, hi = 1.0, 0.0
    if lo > hi:
        return np.empty(0), np.empty(0)
    kk = np.unique(np.concatenate([[lo], k[(k > lo) & (k < hi)], [hi]]))
    return kk, 10.0 ** np.clip(a + (kk - ref) * b, -top, top)


def power_iteration_plot(
    errors: Mapping[str, Sequence[float] | np.ndarray],
    rate: float | None = None,
    ref: int = 10,
    ax=None,
    title: str | None = None,
    rate_label: str | None = None,
):
    """Relative error |σ⁽ᵏ⁾/σ₁ − 1| of power iteration against the iteration k, log scale.

    ``errors`` maps a label (e.g. "cold start") to the errors at k = 1, 2, …. With ``rate``
    (e.g. (σ₂/σ₁)⁴), a dotted guide of that slope per iteration is drawn through the first
    curve at k = ``ref``, labelled ``rate_label`` (default: the rate's value). Errors below
    1e-16 (rounding) are drawn at 1e-16.
    """
    ref = positive_int(ref, "ref")
    if rate is not None:
        rate = drawable(rate, "rate", positive=True)
    ax = get_axes(ax, figsize=(6.0, 3.6))
    first = None
    for name, err in errors.items():
        e = nonempty(finite_array(err, f"errors[{name!r}]", ndim=1), f"errors[{name!r}]")
        if np.any(e < 0):
            raise ValueError(f"errors[{name!r}] must be ≥ 0")
        k = np.arange(1, e.size + 1)
        ax.semilogy(k, np.maximum(e, 1e-16), lw=2, label=name)
        first = e if first is None else first
    if rate is not None and first is not None:
        if ref > first.size:
            raise ValueError(f"ref must be ≤ the number of iterations ({first.size}), got {ref}")
        kg, guide = _guide(first.size, max(float(first[ref - 1]), 1e-16), rate, ref)
        ax.semilogy(kg, guide, "k:", lw=1, label=rate_label or f"slope {rate:.3g} per iteration")
    ax.set_xlabel("iteration k")
    ax.set_ylabel("relative error of σ⁽ᵏ⁾")
    ax.set_ylim(1e-16, 1)
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def sigma_tracking_plot(
    exact: Sequence[float] | np.ndarray,
    estimate: Sequence[float] | np.ndarray,
    ax=None,
    title: str | None = None,
):
    """A layer's exact σ₁ and the estimate a spectral penalty used, step by step.

    Pass the logs of :class:`normcourse.robustness.TrackedSpectralPenalty`
    (``exact``, ``estimates``); the gap between the curves is the lag of the estimate.
    """
    ex = nonempty(finite_array(exact, "exact", ndim=1), "exact")
    est = finite_array(estimate, "estimate", ndim=1)
    if est.shape != ex.shape:
        raise ValueError(f"estimate must have the same length as exact ({ex.size}), "
                         f"got {est.size}")
    ax = get_axes(ax, figsize=(6.0, 3.2))
    ax.plot(ex, lw=2, label="exact σ₁ (SVD)")
    ax.plot(est, lw=1.2, label="estimate used by the penalty")
    ax.set_xlabel("training step")
    ax.set_ylabel("σ₁")
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def imbalance_plot(
    steps: Sequence[float] | np.ndarray,
    traces: Mapping[str, Sequence[float] | np.ndarray],
    guide: tuple[str, Sequence[float] | np.ndarray] | None = None,
    ax=None,
    title: str | None = None,
):
    """Largest unit imbalance max_j |a_j² − c_j²| against the gradient step, log scale.

    ``traces`` maps a label to the values at ``steps`` (e.g. ``np.abs(trace).max(1)`` of
    :func:`normcourse.robustness.gd_imbalance_trace`); ``guide = (label, values)`` adds a
    dotted reference curve at the same steps (e.g. a predicted decay).
    """
    k = nonempty(finite_array(steps, "steps", ndim=1), "steps")
    ax = get_axes(ax, figsize=(6.0, 3.4))
    curves = dict(traces)
    for name, tr in curves.items():
        t = finite_array(tr, f"traces[{name!r}]", ndim=1)
        if t.shape != k.shape:
            raise ValueError(f"traces[{name!r}] must have one value per step ({k.size})")
        ax.semilogy(k, np.maximum(t, 1e-300), lw=2, label=name)
    if guide is not None:
        label, values = guide
        g = finite_array(values, "guide", ndim=1)
        if g.shape != k.shape:
            raise ValueError(f"guide must have one value per step ({k.size})")
        ax.semilogy(k, g, "k:", lw=1, label=label)
    ax.set_xlabel("gradient step k")
    ax.set_ylabel(r"$\max_j\,|a_j^2 - c_j^2|$")
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def norm_comparison_plot(
    values: Mapping[str, Mapping[str, float]],
    ax=None,
    title: str | None = None,
    ylabel: str = "norm",
):
    """Grouped bars: one group per model, one bar per quantity (e.g. φ₂, ‖θ‖₂).

    ``values`` maps a model's label to ``{quantity label: value ≥ 0}``; every model must
    list the same quantities. Each bar is annotated with its value.
    """
    names = list(values)
    if not names:
        raise ValueError("values must name at least one model")
    keys = list(values[names[0]])
    if not keys:
        raise ValueError("values must list at least one quantity per model")
    for name in names:
        if list(values[name]) != keys:
            raise ValueError(f"values[{name!r}] must list the same quantities as "
                             f"values[{names[0]!r}]: {keys}")
    ax = get_axes(ax, figsize=(5.5, 3.6))
    width = 0.8 / len(keys)
    for i, key in enumerate(keys):
        v = np.array([drawable(values[n][key], f"values[{n!r}][{key!r}]") for n in names])
        if np.any(v < 0):
            raise ValueError(f"values for {key!r} must be ≥ 0")
        x = np.arange(len(names)) + (i - (len(keys) - 1) / 2) * width
        ax.bar(x, v, width=width, label=key)
        for xi, vi in zip(x, v, strict=True):
            ax.annotate(f"{vi:.3g}", (xi, vi), xytext=(0, 2), textcoords="offset points",
                        ha="center", fontsize=7)
    ax.set_ylim(0, ax.get_ylim()[1] * 1.08)
    ax.set_xticks(np.arange(len(names)), names)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return ax
