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


# ------------------------------------------------- λ sweeps, ridge shrinkage, constraints

_REGIME_COLORS = {"overfit": "#d62728", "good": "#2ca02c", "underfit": "#1f77b4"}


def sweep_plot(sweep, diagnosis=None, ax=None, logy: bool = False, title: str | None = None):
    """Training and validation loss against λ (log axis) from a ``diagnostics.Sweep``.

    With a ``diagnostics.Diagnosis`` the λ axis is shaded by regime (overfit / good /
    underfit; each λ owns the interval between the geometric midpoints to its
    neighbours) and the chosen λ (smallest validation loss) is marked.
    """
    from normcourse.diagnostics import Diagnosis, Sweep

    if not isinstance(sweep, Sweep):
        raise ValueError(f"sweep must be a diagnostics.Sweep, got {type(sweep).__name__}")
    if diagnosis is not None and not isinstance(diagnosis, Diagnosis):
        raise ValueError(f"diagnosis must be a diagnostics.Diagnosis, got "
                         f"{type(diagnosis).__name__}")
    ax = _axes(ax, figsize=(6.5, 4.0))
    lams = sweep.lams
    if diagnosis is not None:
        if diagnosis.lams.shape != lams.shape or not np.allclose(diagnosis.lams, lams):
            raise ValueError("diagnosis must come from the same sweep (different λ grid)")
        logl = np.log(lams)
        mids = np.exp((logl[1:] + logl[:-1]) / 2) if lams.size > 1 else np.empty(0)
        edges = np.concatenate([[lams[0]], mids, [lams[-1]]])
        shown = set()
        for k, lab in enumerate(diagnosis.labels):
            ax.axvspan(edges[k], edges[k + 1], color=_REGIME_COLORS[str(lab)], alpha=0.12,
                       lw=0, label=None if lab in shown else str(lab))
            shown.add(lab)
    ax.plot(lams, sweep.train_loss, "o-", ms=3, lw=1.8, color="0.25", label="training loss")
    ax.plot(lams, sweep.val_loss, "o-", ms=3, lw=1.8, color="C1", label="validation loss")
    if diagnosis is not None:
        b = diagnosis.best_index
        ax.axvline(lams[b], color="k", ls="--", lw=1)
        ax.plot(lams[b], sweep.val_loss[b], "*", ms=14, color="C1", mec="k",
                label=f"best λ = {lams[b]:.3g}")
    ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlim(lams[0], lams[-1])
    ax.set_xlabel("λ (log scale)")
    ax.set_ylabel("mean squared error")
    ax.legend(frameon=True, framealpha=0.85, fontsize=8, loc="best")
    if title:
        ax.set_title(title)
    return ax


def ridge_shrinkage_plot(X, lams, ax=None, mark: float | None = None, max_curves: int = 12):
    """Shrinkage factor σᵢ²/(σᵢ² + nλ) of each singular direction of X against λ.

    At most ``max_curves`` directions are drawn, evenly spread over the spectrum and
    coloured by log σᵢ (dark = large σᵢ). ``mark`` draws a vertical line at that λ.
    """
    import matplotlib as mpl

    from normcourse.constrained import shrinkage_factors

    grid = finite_array(lams, "lams", ndim=1)
    if grid.size == 0 or np.any(grid <= 0):
        raise ValueError("lams must be a non-empty 1-D array of λ > 0")
    F = shrinkage_factors(X, grid)
    Xa = finite_array(X, "X", ndim=2)
    s = np.linalg.svd(Xa, compute_uv=False)[: F.shape[1]]
    pick = np.unique(np.linspace(0, F.shape[1] - 1, min(max_curves, F.shape[1]))
                     .round().astype(int))
    ax = _axes(ax, figsize=(6.0, 4.0))
    norm = mpl.colors.LogNorm(vmin=s[-1], vmax=s[0])
    cmap = mpl.colors.ListedColormap(mpl.colormaps["viridis_r"](np.linspace(0.2, 1.0, 256)))
    for i in pick:
        ax.plot(grid, F[:, i], color=cmap(norm(s[i])), lw=1.6)
    ax.figure.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax,
                       label="singular value σᵢ")
    if mark is not None:
        ax.axvline(mark, color="k", ls="--", lw=1)
    ax.set_xscale("log")
    ax.set_xlim(grid[0], grid[-1])
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("λ (log scale)")
    ax.set_ylabel("shrinkage factor σᵢ² / (σᵢ² + nλ)")
    return ax


def dof_plot(X, lams, ax=None, mark: float | None = None):
    """Effective degrees of freedom df(λ) = Σᵢ σᵢ²/(σᵢ² + nλ) against λ (log axis).

    ``mark`` highlights one λ and prints its df.
    """
    from normcourse.constrained import effective_dof

    grid = finite_array(lams, "lams", ndim=1)
    if grid.size == 0 or np.any(grid <= 0):
        raise ValueError("lams must be a non-empty 1-D array of λ > 0")
    df = effective_dof(X, grid)
    ax = _axes(ax, figsize=(5.0, 4.0))
    ax.plot(grid, df, lw=2, color="C0")
    p = finite_array(X, "X", ndim=2).shape[1]
    ax.axhline(p, color="0.6", lw=0.8, ls=":")
    ax.annotate(f"p = {p}", (grid[-1], p), xytext=(-4, -12), textcoords="offset points",
                ha="right", fontsize=8, color="0.4")
    if mark is not None:
        d = float(effective_dof(X, mark))
        ax.axvline(mark, color="k", ls="--", lw=1)
        ax.plot(mark, d, "o", color="C1", mec="k")
        ax.annotate(f"df = {d:.1f}", (mark, d), xytext=(6, 6), textcoords="offset points",
                    fontsize=9)
    ax.set_xscale("log")
    ax.set_xlim(grid[0], grid[-1])
    ax.set_ylim(0, 1.05 * p)
    ax.set_xlabel("λ (log scale)")
    ax.set_ylabel("effective degrees of freedom df(λ)")
    return ax


def constrained_2d_plot(X, y, C: float, ax=None, title: str | None = None,
                        arrow_length: float | None = None):
    """The geometry of min (1/2n)‖y − Xθ‖² s.t. ‖θ‖² ≤ C for two parameters.

    Draws loss contours, the disk ‖θ‖² ≤ C, the unconstrained (minimum-norm) minimiser
    θ_LS, the constrained optimum θ* (from ``constrained.norm_constrained_lstsq``) with the
    level set through it, and at θ* arrows of equal length along ∇L(θ*) and ∇‖θ‖² = 2θ*:
    when the constraint binds, ∇L(θ*) = −2λ*θ*, so the two arrows point in opposite
    directions.
    """
    from normcourse.constrained import norm_constrained_lstsq

    Xa = finite_array(X, "X", ndim=2)
    if Xa.shape[1] != 2:
        raise ValueError(f"X must have exactly 2 columns for a 2-D picture, got {Xa.shape[1]}")
    ya = finite_array(y, "y", ndim=1)
    res = norm_constrained_lstsq(Xa, ya, C)
    n = Xa.shape[0]
    theta_ls = np.linalg.lstsq(Xa, ya, rcond=None)[0]
    r = float(np.sqrt(res.C))
    half = 1.25 * max(r, float(np.abs(theta_ls).max()))
    g = np.linspace(-half, half, 301)
    T1, T2 = np.meshgrid(g, g)
    P = np.stack([T1.ravel(), T2.ravel()])
    L = (np.sum((ya[:, None] - Xa @ P) ** 2, axis=0) / (2 * n)).reshape(T1.shape)
    ax = _axes(ax, figsize=(5.0, 5.0))
    Lmin = float(np.sum((ya - Xa @ theta_ls) ** 2) / (2 * n))
    levels = Lmin + (res.loss - Lmin) * np.array([0.06, 0.25, 0.55, 1.6, 2.4, 3.4, 4.6])
    ax.contour(T1, T2, L, levels=np.sort(levels), colors="0.55", linewidths=0.8)
    ax.contour(T1, T2, L, levels=[res.loss], colors="C1", linewidths=1.8)
    ax.plot([], [], color="C1", lw=1.8, label="level set L(θ) = L(θ*)")
    t = np.linspace(0, 2 * np.pi, 400)
    ax.fill(r * np.cos(t), r * np.sin(t), color="C0", alpha=0.15, lw=0)
    ax.plot(r * np.cos(t), r * np.sin(t), color="C0", lw=1.8, label=f"‖θ‖² ≤ C = {res.C:g}")
    ax.plot(*theta_ls, "k+", ms=12, mew=2, label="θ_LS (unconstrained)")
    ax.plot(*res.theta, "o", color="white", mec="k", mew=1.5, ms=8, zorder=5,
            label=f"θ*  (λ* = {res.lam:.3g})")
    grad_L = -Xa.T @ (ya - Xa @ res.theta) / n
    length = arrow_length if arrow_length is not None else 0.45 * r
    for vec, color, lab in ((grad_L, "C3", "∇L(θ*)"), (2 * res.theta, "C0", "∇‖θ‖² = 2θ*")):
        nv = float(np.linalg.norm(vec))
        if nv == 0:
            continue
        d = length * vec / nv
        ax.annotate("", xy=res.theta + d, xytext=res.theta,
                    arrowprops=dict(arrowstyle="-|>", color=color, lw=2))
        ax.plot([], [], color=color, lw=2, label=lab)
    ax.set_aspect("equal")
    ax.set_xlim(-half, half)
    ax.set_ylim(-half, half)
    ax.axhline(0, color="0.85", lw=0.6, zorder=0)
    ax.axvline(0, color="0.85", lw=0.6, zorder=0)
    ax.set_xlabel("θ₁")
    ax.set_ylabel("θ₂")
    ax.legend(frameon=True, framealpha=0.9, fontsize=8, loc="lower left")
    if title:
        ax.set_title(title)
    return ax


def shadow_price_plot(curve, at, ax=None, title: str | None = None):
    """The value function L*(C) of ``constrained.value_curve`` with its tangent at one C.

    ``at`` is the ``constrained.ConstrainedResult`` at the budget C₀ where the tangent is
    drawn; its slope is −λ*(C₀), the shadow price of capacity. The budget
    C = ‖θ_LS‖² beyond which the constraint is inactive (λ* = 0) is marked.
    """
    from normcourse.constrained import ConstrainedResult, ValueCurve

    if not isinstance(curve, ValueCurve):
        raise ValueError(f"curve must be a constrained.ValueCurve, got {type(curve).__name__}")
    if not isinstance(at, ConstrainedResult):
        raise ValueError(f"at must be a constrained.ConstrainedResult, got {type(at).__name__}")
    ax = _axes(ax, figsize=(6.0, 4.0))
    ax.plot(curve.Cs, curve.loss, lw=2, color="C0", label="L*(C)")
    span = 0.2 * (curve.Cs.max() - curve.Cs.min())
    tC = np.array([max(at.C - span, 0.0), at.C + span])
    ax.plot(tC, at.loss - at.lam * (tC - at.C), "--", color="C3", lw=1.6,
            label=f"tangent at C = {at.C:.3g}: slope −λ* = {-at.lam:.3g}")
    ax.plot(at.C, at.loss, "o", color="C3", mec="k", zorder=5)
    if curve.Cs.min() < curve.ls_norm2 < curve.Cs.max():
        ax.axvline(curve.ls_norm2, color="0.5", ls=":", lw=1)
        ax.annotate("C = ‖θ_LS‖²:\nλ* = 0 beyond", (curve.ls_norm2, 0.5),
                    xycoords=("data", "axes fraction"), xytext=(5, 0),
                    textcoords="offset points", fontsize=8, color="0.35")
    ax.set_xlabel("capacity budget C")
    ax.set_ylabel("optimal loss L*(C)")
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return ax


# --------------------------------------------------------------------------- robustness figures


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

    Xa = finite_array(X, "X", ndim=2)
    if Xa.shape[1] != 2:
        raise ValueError(f"X must have 2 columns (a planar problem), got {Xa.shape[1]}")
    ya = np.asarray(y)
    if ya.shape != (Xa.shape[0],):
        raise ValueError(f"y must have shape ({Xa.shape[0]},), got {ya.shape}")
    lo, hi = Xa.min(0) - padding, Xa.max(0) + padding
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], grid), np.linspace(lo[1], hi[1], grid))
    pts = np.column_stack([g0.ravel(), g1.ravel()])
    p = next(model.parameters())
    with torch.no_grad():
        logits = model(torch.as_tensor(pts, dtype=p.dtype)).numpy()
    pred = logits.argmax(1).reshape(g0.shape)
    k = max(logits.shape[1], int(ya.max()) + 1)
    ax = _axes(ax, figsize=(5.0, 4.0))
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
    e = finite_array(eps, "eps", ndim=1)
    ax = _axes(ax, figsize=(7.5, 3.8))
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
    ax = _axes(ax, figsize=(5.0, 3.5))
    names = list(norms)
    width = 0.8 / max(len(names), 1)
    n_layers = 0
    for i, name in enumerate(names):
        s = finite_array(norms[name], f"norms[{name!r}]", ndim=1)
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
    ax = _axes(ax, figsize=(6.0, 3.8))
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

    mats = [m.weight.detach().to(torch.float64).numpy() for m in model
            if isinstance(m, torch.nn.Linear)]
    if not mats:
        raise ValueError("model has no nn.Linear layer to draw")
    s = float(max(np.abs(W).max() for W in mats)) if scale is None else float(scale)
    if not np.isfinite(s) or s <= 0:
        raise ValueError(f"scale must be > 0, got {scale!r}")
    widths = [mats[0].shape[1]] + [W.shape[0] for W in mats]
    ypos = [np.linspace((n - 1) / 2, -(n - 1) / 2, n) for n in widths]  # unit 1 on top
    ax = _axes(ax, figsize=(4.0, 3.2))
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
    ax = _axes(ax, figsize=(4.5, 4.2))
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


# ------------------------------------------------- weight decay: Scheme A/B, Adam vs AdamW


def _scheme_extent(points: np.ndarray, pad: float = 0.12) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = points.min(axis=0), points.max(axis=0)
    span = np.maximum(hi - lo, 1e-9)
    return lo - pad * span, hi + pad * span


def scheme_plot(result, X=None, y=None, ax=None, title: str | None = None,
                legend: bool = True, extent=None):
    """2-D iterates of Scheme A (coupled L2) and Scheme B (decoupled decay) from one start.

    ``result`` is a ``weight_decay.SchemeComparison`` with 2 parameters. Marks the
    points each scheme converges to — A: ridge solution for λ (star), B: ridge solution
    for (1 − β)γ (diamond) — and, when ``X``, ``y`` are given, draws contours of the data
    loss L(θ) = (1/2n)‖y − Xθ‖² at fixed fractions of L(θ₀) and its minimiser (+).
    ``extent`` = ((θ₁ min, θ₁ max), (θ₂ min, θ₂ max)) fixes the window (default: fit).
    """
    A = finite_array(result.theta_a, "result.theta_a", ndim=2)
    B = finite_array(result.theta_b, "result.theta_b", ndim=2)
    if A.shape[1] != 2:
        raise ValueError(f"result must have 2 parameters for a 2-D picture, got {A.shape[1]}")
    ax = _axes(ax, figsize=(4.5, 4.5))
    pts = [A, B, result.fixed_a[None], result.fixed_b[None]]
    theta_ls = None
    if X is not None and y is not None:
        Xa = finite_array(X, "X", ndim=2)
        ya = finite_array(y, "y", ndim=1)
        theta_ls = np.linalg.lstsq(Xa, ya, rcond=None)[0]
        pts.append(theta_ls[None])
    if extent is None:
        lo, hi = _scheme_extent(np.vstack(pts))
    else:
        (x0, x1), (y0, y1) = extent
        lo, hi = np.array([x0, y0], dtype=float), np.array([x1, y1], dtype=float)
    if theta_ls is not None:
        T1, T2 = np.meshgrid(np.linspace(lo[0], hi[0], 121), np.linspace(lo[1], hi[1], 121))
        n = Xa.shape[0]
        R = ya[:, None] - Xa @ np.stack([T1.ravel(), T2.ravel()])
        L = (np.sum(R**2, axis=0) / (2 * n)).reshape(T1.shape)
        L_ls = float(np.sum((ya - Xa @ theta_ls) ** 2)) / (2 * n)
        L0 = float(np.sum((ya - Xa @ A[0]) ** 2)) / (2 * n)
        levels = L_ls + (L0 - L_ls) * np.array([0.01, 0.04, 0.1, 0.25, 0.5, 1.0, 1.6])
        if L0 > L_ls:
            ax.contour(T1, T2, L, levels=levels, colors="0.75", linewidths=0.7, zorder=0)
        ax.plot(*theta_ls, "k+", ms=9, mew=1.5, label="min L (no penalty)")
    ax.plot(A[:, 0], A[:, 1], "-", color="C0", lw=1.6, label="A: L2 in the loss")
    ax.plot(B[:, 0], B[:, 1], "--", color="C1", lw=1.6, label="B: decoupled")
    ax.plot(*A[0], "o", color="0.3", ms=5, label="start θ₀")
    ax.plot(*result.fixed_a, "*", color="C0", mec="k", ms=13, zorder=5,
            label="ridge(λ): A's limit")
    ax.plot(*result.fixed_b, "D", color="C1", mec="k", ms=7, zorder=5,
            label="ridge((1−β)γ): B's limit")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("θ₁")
    ax.set_ylabel("θ₂")
    if legend:
        ax.legend(frameon=True, framealpha=0.9, fontsize=7, loc="best")
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def scheme_norm_plot(result, ax=None, title: str | None = None):
    """‖θ_t‖₂ of Scheme A and Scheme B against step t, with the norms of their limits."""
    ax = _axes(ax, figsize=(4.5, 3.5))
    t = np.arange(result.theta_a.shape[0])
    ax.plot(t, result.norms_a, "-", color="C0", lw=1.6, label="A: L2 in the loss")
    ax.plot(t, result.norms_b, "--", color="C1", lw=1.6, label="B: decoupled")
    ax.axhline(float(np.linalg.norm(result.fixed_a)), color="C0", lw=0.8, ls=":")
    ax.axhline(float(np.linalg.norm(result.fixed_b)), color="C1", lw=0.8, ls=":")
    ax.set_xlabel("step t")
    ax.set_ylabel("norm ‖θ‖₂ of the iterate")
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def scheme_grid(compute, betas: Sequence[float], lams: Sequence[float], lr: float,
                X=None, y=None, panel_size: float = 2.6):
    """Small multiples of :func:`scheme_plot`: one panel per (β, λ), γ = λ, same step η.

    ``compute(beta, lam, lr)`` must return a ``weight_decay.SchemeComparison`` (e.g. the
    ``compute`` method of ``widgets.SchemeExplorer``). Rows are β, columns λ, all panels
    share one window. A panel whose two trajectories agree to 1e-9 is titled "A ≡ B".
    Returns the 2-D array of axes.
    """
    import matplotlib.pyplot as plt

    betas, lams = list(betas), list(lams)
    if not betas or not lams:
        raise ValueError("betas and lams must each hold at least one value")
    results = [[compute(beta, lam, lr) for lam in lams] for beta in betas]
    pts = [np.vstack([r.theta_a, r.theta_b, r.fixed_a[None], r.fixed_b[None]])
           for row in results for r in row]
    if X is not None and y is not None:
        pts.append(np.linalg.lstsq(finite_array(X, "X", ndim=2),
                                   finite_array(y, "y", ndim=1), rcond=None)[0][None])
    lo, hi = _scheme_extent(np.vstack(pts), pad=0.06)
    fig, axes = plt.subplots(len(betas), len(lams), squeeze=False, layout="constrained",
                             figsize=(panel_size * len(lams), panel_size * len(betas) + 0.6))
    for i, beta in enumerate(betas):
        for j, lam in enumerate(lams):
            res = results[i][j]
            same = " — A ≡ B" if res.max_gap < 1e-9 else ""
            ax = scheme_plot(res, X, y, ax=axes[i, j], legend=False,
                             extent=((lo[0], hi[0]), (lo[1], hi[1])),
                             title=f"β = {beta:g}, λ = γ = {lam:g}{same}")
            ax.set_xlabel("θ₁" if i == len(betas) - 1 else "")
            ax.set_ylabel("θ₂" if j == 0 else "")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=8,
               frameon=False)
    return axes


def zero_gradient_plot(trajectories: Mapping[str, np.ndarray], axes=None,
                       ylabel: str = "θ_t / θ₀"):
    """Parameters with zero data gradient under weight decay alone: θ_t/θ₀ against t.

    ``trajectories`` maps a panel title (an optimizer) to an array (T + 1, k) from
    ``weight_decay.zero_gradient_trajectory``; each of the k columns is one starting
    value θ₀ (labelled in the legend). One panel per entry, shared y axis.
    """
    import matplotlib.pyplot as plt

    names = list(trajectories)
    if axes is None:
        _, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.4),
                               sharey=True, layout="constrained", squeeze=False)
        axes = axes[0]
    for ax, name in zip(axes, names, strict=True):
        T = finite_array(trajectories[name], f"trajectories[{name!r}]", ndim=2)
        if np.any(T[0] == 0):
            raise ValueError(f"trajectories[{name!r}] has a starting value θ₀ = 0")
        t = np.arange(T.shape[0])
        for k in range(T.shape[1]):
            ax.plot(t, T[:, k] / T[0, k], lw=1.6, label=f"θ₀ = {T[0, k]:g}")
        ax.axhline(0, color="0.6", lw=0.8)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("step t")
    axes[0].set_ylabel(ylabel)
    axes[0].legend(frameon=False, fontsize=8)
    return axes


def decay_histogram(decays: Mapping[str, np.ndarray], constant: float | None = None,
                    constant_label: str = "decoupled: ηλ", ax=None, bins: int = 60,
                    title: str | None = None,
                    xlabel: str = "decay coefficient per step (log scale)"):
    """Histograms (log-spaced bins) of per-parameter decay coefficients per step.

    ``decays`` maps a label (e.g. a layer) to an array of coefficients such as the
    ηλ/(√v̂ + ε) of ``weight_decay.adam_effective_decay``; non-finite and non-positive
    entries are dropped. ``constant`` draws the single value every parameter gets under
    decoupled decay (ηλ) as a vertical line.
    """
    ax = _axes(ax, figsize=(6.0, 3.5))
    vals = {}
    for name, d in decays.items():
        a = np.asarray(d, dtype=np.float64).ravel()
        a = a[np.isfinite(a) & (a > 0)]
        if a.size == 0:
            raise ValueError(f"decays[{name!r}] has no positive finite entry")
        vals[name] = a
    every = np.concatenate(list(vals.values()) + ([np.array([constant])] if constant else []))
    edges = np.logspace(np.log10(every.min()) - 0.1, np.log10(every.max()) + 0.1, bins + 1)
    for name, a in vals.items():
        ax.hist(a, bins=edges, alpha=0.6, label=f"{name} ({a.size} weights)")
    if constant:
        ax.axvline(constant, color="k", lw=2, label=f"{constant_label} = {constant:.1e}")
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("number of weights")
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def norm_history_plot(histories: Mapping[str, np.ndarray],
                      layer_names: Sequence[str] | None = None, ax=None,
                      xlabel: str = "epoch", title: str | None = None):
    """Norm of each layer's weights during training, one colour per layer, one line style
    per run. ``histories`` maps a run name to an array (epochs + 1, n_layers)."""
    ax = _axes(ax, figsize=(5.0, 3.5))
    styles = ["-", "--", ":", "-."]
    for r, (run, H) in enumerate(histories.items()):
        H = finite_array(H, f"histories[{run!r}]", ndim=2)
        names = list(layer_names) if layer_names else [f"W{j + 1}" for j in range(H.shape[1])]
        for j in range(H.shape[1]):
            ax.plot(np.arange(H.shape[0]), H[:, j], styles[r % len(styles)], color=f"C{j}",
                    lw=1.6, label=f"{names[j]}, {run}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Frobenius norm ‖W‖")
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def shrink_plot(curves: Mapping[str, np.ndarray], guides: Mapping[str, object] | None = None,
                axes=None):
    """A parameter shrinking under weight decay alone: θ_t/θ₀ (left, log scale) and the
    fraction removed at each step, 1 − θ_t/θ_{t−1} (right, log step axis).

    ``curves`` maps a label to the 1-D sequence θ₀, θ₁, …, θ_T (e.g. a column of
    ``weight_decay.zero_gradient_trajectory``). ``guides`` maps a label to a predicted
    fraction per step: a number (drawn as a horizontal line) or an array of T values
    for steps t = 1 … T (drawn as a thin dotted curve).
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9.0, 3.5), layout="constrained")
    left, right = axes
    styles = ["-", "--", "-.", ":"]
    for k, (name, c) in enumerate(curves.items()):
        th = finite_array(c, f"curves[{name!r}]", ndim=1)
        if th.size < 2 or np.any(th <= 0):
            raise ValueError(f"curves[{name!r}] must be ≥ 2 positive values")
        t = np.arange(th.size)
        ls = styles[k % len(styles)]
        left.semilogy(t, th / th[0], ls, lw=1.8, label=name)
        right.plot(t[1:], 1.0 - th[1:] / th[:-1], ls, lw=1.8, label=name)
    for k, (name, g) in enumerate((guides or {}).items()):
        ga = finite_array(g, f"guides[{name!r}]", ndim=(0, 1))
        if ga.ndim == 0:
            right.axhline(float(ga), color="0.3", lw=0.9, ls=[":", "--"][k % 2],
                          label=f"{name} = {float(ga):.3g}")
        else:
            right.plot(np.arange(1, ga.size + 1), ga, color="k", lw=1.0, ls=":", label=name)
    left.set_xlabel("step t")
    left.set_ylabel("θ_t / θ₀ (log scale)")
    right.set_xlabel("step t (log scale)")
    right.set_ylabel("fraction removed per step")
    right.set_xscale("log")
    left.legend(frameon=False, fontsize=8)
    right.legend(frameon=False, fontsize=8)
    return axes


# ------------------------------------------------- max margin and implicit bias (margin.py)


def _class_scatter(ax, X: np.ndarray, y: np.ndarray, support=None) -> None:
    """Points of class +1 (filled circles) and −1 (filled squares); support vectors ringed."""
    pos, neg = y > 0, y < 0
    ax.scatter(X[pos, 0], X[pos, 1], s=28, marker="o", color="C0", edgecolor="white",
               linewidth=0.5, label="y = +1", zorder=3)
    ax.scatter(X[neg, 0], X[neg, 1], s=28, marker="s", color="C3", edgecolor="white",
               linewidth=0.5, label="y = −1", zorder=3)
    if support is not None and len(support):
        S = np.asarray(support, dtype=int)
        ax.scatter(X[S, 0], X[S, 1], s=150, facecolor="none", edgecolor="black",
                   linewidth=1.3, label="support vector", zorder=4)


def _frame_2d(ax, X: np.ndarray, pad: float = 0.15, include_origin: bool = False) -> None:
    pts = np.vstack([X, np.zeros((1, 2))]) if include_origin else X
    lo, hi = pts.min(0), pts.max(0)
    mid, half = (lo + hi) / 2, max(float(np.max(hi - lo)), 1e-12) * (0.5 + pad)
    lo, hi = mid - half, mid + half  # a square box: lines keep their true angles
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")


def _hyperplane_2d(theta: np.ndarray, level: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """Two points of the line {x : θᵀx + b = level} in the plane."""
    x0 = (level - b) * theta / float(theta @ theta)
    d = np.array([-theta[1], theta[0]])
    return x0, x0 + d


def _check_2d(X, y, theta=None):
    Xa = finite_array(X, "X", ndim=2)
    ya = finite_array(y, "y", ndim=1)
    if Xa.shape[1] != 2:
        raise ValueError(f"X must have 2 columns for a plane figure, got {Xa.shape[1]}")
    if Xa.shape[0] != ya.shape[0]:
        raise ValueError(f"X has {Xa.shape[0]} rows but y has {ya.shape[0]} labels")
    if theta is not None:
        t = finite_array(theta, "theta", ndim=1)
        if t.shape != (2,) or not np.any(t):
            raise ValueError(f"theta must be a nonzero vector of shape (2,), got {t}")
        return Xa, ya, t
    return Xa, ya, None


def margin_plot(X, y, theta, b: float = 0.0, support=None, ax=None,
                title: str | None = None, others: Mapping[str, tuple] | None = None):
    """2-D data with the hyperplane θᵀx + b = 0, the margin band |θᵀx + b| ≤ 1 (width
    2/‖θ‖) and the support vectors ringed. ``others`` maps a label to another
    (θ, b) drawn as a thin dashed line, e.g. a separator with a smaller margin."""
    Xa, ya, t = _check_2d(X, y, theta)
    ax = _axes(ax, figsize=(5.2, 4.6))
    _frame_2d(ax, Xa)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    R = 4 * max(x1 - x0, y1 - y0)
    u = np.array([-t[1], t[0]]) / np.linalg.norm(t)
    lo, _ = _hyperplane_2d(t, -1.0, b)
    hi, _ = _hyperplane_2d(t, 1.0, b)
    band = np.array([lo - R * u, lo + R * u, hi + R * u, hi - R * u])
    ax.fill(band[:, 0], band[:, 1], color="0.85", alpha=0.6, lw=0,
            label=f"margin band, width 2/‖θ‖ = {2 / np.linalg.norm(t):.3f}")
    ax.axline(*_hyperplane_2d(t, 0.0, b), color="black", lw=1.8, label="θᵀx + b = 0")
    for level in (-1.0, 1.0):
        ax.axline(*_hyperplane_2d(t, level, b), color="black", lw=0.8, ls="--")
    for k, (name, (th, bb)) in enumerate((others or {}).items()):
        tt = finite_array(th, f"others[{name!r}]", ndim=1)
        ax.axline(*_hyperplane_2d(tt, 0.0, float(bb)), color=f"C{k + 2}", lw=1.2, ls=":",
                  label=name)
    _class_scatter(ax, Xa, ya, support)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.legend(frameon=False, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14),
              ncols=2)
    if title:
        ax.set_title(title)
    return ax


def direction_margin_plot(X, y, theta, fit_intercept: bool = True, ax=None,
                          n_angles: int = 721, title: str | None = None):
    """Best achievable geometric margin m(u) of a hyperplane with unit normal u, for u
    turned by up to ±90° from the SVM's normal θ (see
    :func:`normcourse.margin.direction_margin`); θ (0°) sits at the maximum, of height
    1/‖θ‖. Negative m: no hyperplane with that normal separates the classes."""
    from normcourse.margin import direction_margin

    Xa, ya, t = _check_2d(X, y, theta)
    phi_svm = float(np.arctan2(t[1], t[0]))
    turn = np.linspace(-np.pi / 2, np.pi / 2, n_angles)
    U = np.column_stack([np.cos(phi_svm + turn), np.sin(phi_svm + turn)])
    m = direction_margin(Xa, ya, U, fit_intercept=fit_intercept)
    ax = _axes(ax, figsize=(5.2, 3.4))
    deg = np.degrees(turn)
    ax.plot(deg, m, color="C0", lw=1.8, label="best margin m(u) with normal u")
    ax.fill_between(deg, np.minimum(m, 0), 0, color="C3", alpha=0.12,
                    label="m < 0: no separating hyperplane")
    top = 1 / np.linalg.norm(t)
    ax.axvline(0.0, color="black", lw=0.8, ls="--")
    ax.plot([0.0], [top], "k*", ms=11, label=f"SVM normal θ: 1/‖θ‖ = {top:.3f}")
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_ylim(-1.2 * top, 1.35 * top)
    ax.set_xlim(-90, 90)
    ax.set_xticks(np.arange(-90, 91, 30))
    ax.set_xlabel("angle between u and the SVM normal θ (degrees)")
    ax.set_ylabel("geometric margin")
    ax.legend(frameon=False, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    if title:
        ax.set_title(title)
    return ax


def _plain_log_ticks(ax, axis: str = "y") -> None:
    """Plain numbers (0.05, 0.1, 0.2) instead of 5×10⁻² on a logarithmic axis."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    target.set_minor_formatter(NullFormatter())


def gd_norm_plot(steps, norms, predicted=None, ax=None, title: str | None = None):
    """‖θ_t‖ against t on a logarithmic t axis: growth like log t is a straight line.
    ``predicted`` (same length; NaN where it should not be drawn) is drawn dashed, e.g.
    ‖θ̂ log t + w̃‖."""
    t = finite_array(steps, "steps", ndim=1)
    v = finite_array(norms, "norms", ndim=1)
    if t.shape != v.shape:
        raise ValueError(f"steps and norms must have the same length, got {t.size} and {v.size}")
    ax = _axes(ax, figsize=(5.0, 3.6))
    keep = t > 0
    ax.semilogx(t[keep], v[keep], "o-", ms=3, lw=1.6, label="gradient descent ‖θ_t‖")
    if predicted is not None:
        p = np.asarray(predicted, dtype=float)
        if p.shape != t.shape:
            raise ValueError("predicted must have one value per step")
        ax.semilogx(t[keep], p[keep], "k--", lw=1, label="‖θ̂ log t + w̃‖ (asymptote)")
    ax.set_xlabel("step t (log scale)")
    ax.set_ylabel("‖θ_t‖₂")
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def gd_angle_plot(steps, angles, predicted=None, ax=None, title: str | None = None):
    """∠(θ_t, θ̂) in radians against t, log–log, with a c/log t guide through the last
    point and, optionally, a ``predicted`` curve (same length; NaN where it should not be
    drawn), dashed."""
    t = finite_array(steps, "steps", ndim=1)
    a = np.asarray(angles, dtype=float)
    if a.shape != t.shape:
        raise ValueError(f"steps and angles must have the same length, got {t.size} and {a.size}")
    keep = (t > 1) & np.isfinite(a) & (a > 0)
    if not keep.any():
        raise ValueError("angles must have positive finite values at steps t > 1")
    ax = _axes(ax, figsize=(5.0, 3.6))
    ax.loglog(t[keep], a[keep], "o-", ms=3, lw=1.6, label="gradient descent ∠(θ_t, θ̂)")
    if predicted is not None:
        p = np.asarray(predicted, dtype=float)
        if p.shape != t.shape:
            raise ValueError("predicted must have one value per step")
        ax.loglog(t[keep], p[keep], "k--", lw=1, label="∠(θ̂ log t + w̃, θ̂) (asymptote)")
    tk, ak = t[keep & (t >= 10)], a[keep & (t >= 10)]
    if tk.size:
        c = ak[-1] * np.log(tk[-1])
        ax.loglog(tk, c / np.log(tk), "k:", lw=1, label="c / log t (through the last point)")
    _plain_log_ticks(ax, "y")
    ax.set_xlabel("step t (log scale)")
    ax.set_ylabel("angle to the max-margin direction (rad)")
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def gd_directions_plot(X, y, directions: Mapping[str, np.ndarray], reference,
                       extra: Mapping[str, np.ndarray] | None = None, support=None,
                       ax=None, title: str | None = None):
    """2-D data with the decision boundaries θᵀx = 0 (lines through the origin) of a
    sequence of ``directions`` (e.g. θ_t at several t, light to dark), the max-margin
    ``reference`` (black) and ``extra`` directions (dashed, e.g. an L2 solution)."""
    import matplotlib as mpl

    Xa, ya, ref = _check_2d(X, y, reference)
    ax = _axes(ax, figsize=(5.2, 4.6))
    _frame_2d(ax, Xa, include_origin=True)
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    cmap = mpl.colormaps["viridis"]
    k = len(directions)
    for i, (name, th) in enumerate(directions.items()):
        tt = finite_array(th, f"directions[{name!r}]", ndim=1)
        ax.axline((0.0, 0.0), (-tt[1], tt[0]), color=cmap(0.9 * i / max(k - 1, 1)), lw=1.3,
                  label=name)
    ax.axline((0.0, 0.0), (-ref[1], ref[0]), color="black", lw=2.2, alpha=0.8,
              label="max-margin θ̂ (b = 0)", zorder=2)
    for j, (name, th) in enumerate((extra or {}).items()):
        tt = finite_array(th, f"extra[{name!r}]", ndim=1)
        ax.axline((0.0, 0.0), (-tt[1], tt[0]), color=f"C{j + 1}", lw=1.6, ls="--", label=name)
    _class_scatter(ax, Xa, ya, support)
    ax.plot([0], [0], "k+", ms=8)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.legend(frameon=False, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14),
              ncols=3)
    if title:
        ax.set_title(title)
    return ax


def angle_norm_plot(curves: Mapping[str, tuple], ax=None, title: str | None = None):
    """Angle to a reference direction against the norm reached, log–log, for several
    paths θ(s) (e.g. gradient-descent iterates θ_t and L2 minimisers θ_λ): ``curves``
    maps a label to a pair (norms, angles). The first path is a line, the others
    carry markers."""
    ax = _axes(ax, figsize=(5.5, 3.6))
    for k, (name, pair) in enumerate(curves.items()):
        if len(pair) != 2:
            raise ValueError(f"curves[{name!r}] must be a pair (norms, angles)")
        nrm = finite_array(pair[0], f"curves[{name!r}] norms", ndim=1)
        ang = finite_array(pair[1], f"curves[{name!r}] angles", ndim=1)
        if nrm.shape != ang.shape:
            raise ValueError(f"curves[{name!r}]: norms and angles differ in length")
        keep = (nrm > 0) & (ang > 0)
        style = dict(lw=1.8) if k == 0 else dict(marker="o", ms=4, ls="--", lw=1.2)
        ax.loglog(nrm[keep], ang[keep], label=name, **style)
    _plain_log_ticks(ax, "y")
    _plain_log_ticks(ax, "x")
    ax.set_xlabel("‖θ‖₂")
    ax.set_ylabel("angle to the max-margin direction (rad)")
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return ax


# ------------------------------------------------ applications: selection and SINDy


def _log_lambda_axis(ax, lams: np.ndarray) -> None:
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_xscale("log")
    ax.set_xlim(lams.max(), lams.min())  # λ decreasing to the right
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("λ (log scale, decreasing →)")


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
    lams = finite_array(lams, "lams", ndim=1)
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
    ax = _axes(ax, figsize=(6.5, 4.0))
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
    _log_lambda_axis(ax, lams)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=8, loc="best")
    if title:
        ax.set_title(title)
    return ax


def pr_path_plot(curves: Mapping[str, object], marks: Mapping[str, int] | None = None,
                 ax=None, title: str | None = None):
    """Precision against recall along regularization paths, one curve per method.

    ``curves`` maps a name to a ``selection.PathMetrics`` (or anything with ``precision``
    and ``recall`` arrays, ordered along the path); the empty model (nothing selected)
    is left out. ``marks`` maps a name to a path index drawn as a star (e.g. the λ chosen
    by cross-validation).
    """
    ax = _axes(ax, figsize=(5.0, 4.2))
    for k, (name, m) in enumerate(curves.items()):
        prec = finite_array(getattr(m, "precision", None), f"curves[{name!r}].precision", 1)
        rec = finite_array(getattr(m, "recall", None), f"curves[{name!r}].recall", 1)
        keep = np.asarray(getattr(m, "n_selected", np.ones(prec.size))) > 0
        ax.plot(rec[keep], prec[keep], "-o", ms=2.5, lw=1.4, color=f"C{k}", label=name,
                alpha=0.9)
        if marks and name in marks:
            i = int(marks[name])
            ax.plot(rec[i], prec[i], "*", ms=15, color=f"C{k}", mec="k", zorder=5)
    ax.set_xlim(-0.02, 1.04)
    ax.set_ylim(-0.02, 1.04)
    ax.set_xlabel("recall  (true variables found / all true)")
    ax.set_ylabel("precision  (true / selected)")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8, loc="lower left")
    if title:
        ax.set_title(title)
    return ax


def accuracy_sparsity_plot(n_selected, accuracy, train_accuracy=None, ax=None,
                           title: str | None = None):
    """Held-out (and optionally training) accuracy against the number of selected
    features along a path; models with no feature are left out and the best held-out
    accuracy with the fewest features is starred."""
    k = finite_array(n_selected, "n_selected", ndim=1)
    acc = finite_array(accuracy, "accuracy", ndim=1)
    if k.shape != acc.shape:
        raise ValueError("n_selected and accuracy must have the same length")
    ax = _axes(ax, figsize=(5.5, 3.8))
    keep = k > 0
    if train_accuracy is not None:
        tr = finite_array(train_accuracy, "train_accuracy", ndim=1)
        if tr.shape != k.shape:
            raise ValueError("train_accuracy must have the same length as n_selected")
        ax.plot(k[keep], tr[keep], "s-", ms=3, lw=1, color="0.55", label="training")
    ax.plot(k[keep], acc[keep], "o-", ms=4, lw=1.6, color="C0", label="held out")
    best = np.flatnonzero(keep & (acc == acc[keep].max()))
    b = best[np.argmin(k[best])]
    ax.plot(k[b], acc[b], "*", ms=15, color="C1", mec="k", zorder=5,
            label=f"best: {acc[b]:.3f} with {int(k[b])} features")
    ax.set_xlabel("number of selected features")
    ax.set_ylabel("accuracy")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    if title:
        ax.set_title(title)
    return ax


def coefficient_heatmaps(matrices: Mapping[str, np.ndarray], terms: Sequence[str],
                         targets: Sequence[str], axes=None, vmax: float | None = None):
    """Side-by-side heatmaps of coefficient matrices Ξ (terms × targets), one per entry of
    ``matrices``, on one diverging colour scale; every nonzero entry is printed, exact
    zeros are left blank, so spurious small terms are visible as numbers."""
    import matplotlib.pyplot as plt

    mats = {name: finite_array(M, f"matrices[{name!r}]", ndim=2) for name, M in matrices.items()}
    if not mats:
        raise ValueError("matrices must not be empty")
    shape = (len(terms), len(targets))
    for name, M in mats.items():
        if M.shape != shape:
            raise ValueError(f"matrices[{name!r}] must have shape {shape}, got {M.shape}")
    if axes is None:
        _, axes = plt.subplots(1, len(mats), figsize=(2.3 * len(mats) + 0.8, 4.4),
                               layout="constrained", sharey=True)
    axes = np.atleast_1d(axes)
    top = vmax if vmax is not None else max(float(np.abs(M).max()) for M in mats.values())
    im = None
    for ax, (name, M) in zip(axes, mats.items(), strict=True):
        im = ax.imshow(M, cmap="RdBu_r", vmin=-top, vmax=top, aspect="auto")
        for (r, c), v in np.ndenumerate(M):
            if v != 0:
                ax.text(c, r, f"{v:.3g}", ha="center", va="center", fontsize=7.5,
                        color="white" if abs(v) > 0.6 * top else "black")
        ax.set_xticks(range(len(targets)), [f"{t}'" for t in targets])
        ax.set_yticks(range(len(terms)), list(terms))
        ax.set_xticks(np.arange(-0.5, len(targets)), minor=True)
        ax.set_yticks(np.arange(-0.5, len(terms)), minor=True)
        ax.grid(which="minor", color="0.85", lw=0.6)
        ax.tick_params(which="minor", length=0)
        ax.set_title(name, fontsize=10)
    if im is not None:
        plt.colorbar(im, ax=axes.tolist(), shrink=0.8, label="coefficient")
    return axes


def threshold_sweep_plot(sweeps: Mapping[str, object], smallest: float | None = None,
                         axes=None):
    """Two panels against the STLSQ threshold (log axis), one curve per noise level:
    the number of wrong terms (spurious + missed) and the relative coefficient error
    ‖Ξ̂ − Ξ‖_F/‖Ξ‖_F. ``sweeps`` maps a label to a ``sindy.ThresholdSweep``; ``smallest``
    marks the smallest true |coefficient| (thresholds above it must delete a true term)."""
    import matplotlib.pyplot as plt

    if not sweeps:
        raise ValueError("sweeps must not be empty")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10.0, 3.8), layout="constrained")
    ax_w, ax_e = axes
    for k, (name, sw) in enumerate(sweeps.items()):
        thr = finite_array(getattr(sw, "thresholds", None), f"sweeps[{name!r}].thresholds", 1)
        wrong = finite_array(getattr(sw, "wrong", None), f"sweeps[{name!r}].wrong", 1)
        err = finite_array(getattr(sw, "rel_error", None), f"sweeps[{name!r}].rel_error", 1)
        ax_w.step(thr, wrong, where="mid", lw=1.8, color=f"C{k}", label=name)
        ax_e.loglog(thr, np.maximum(err, 1e-16), "-", lw=1.8, color=f"C{k}", label=name)
    for ax in (ax_w, ax_e):
        ax.set_xscale("log")
        ax.set_xlabel("STLSQ threshold")
        ax.grid(alpha=0.3)
        if smallest is not None:
            ax.axvline(smallest, color="k", ls=":", lw=1)
    if smallest is not None:
        ax_w.annotate("smallest true |ξ|", (smallest, ax_w.get_ylim()[1]), xytext=(4, -12),
                      textcoords="offset points", fontsize=8)
    ax_w.set_ylabel("wrong terms (spurious + missed)")
    ax_e.set_ylabel("‖Ξ̂ − Ξ‖_F / ‖Ξ‖_F")
    ax_w.legend(frameon=False, fontsize=8, title="noise σ", title_fontsize=8)
    return axes


# ------------------------------------------------- GANs and continual learning (applications)


def samples_grid_plot(
    grid: Mapping[str, Mapping[str, np.ndarray]],
    centers: np.ndarray | None = None,
    std: float | None = None,
    lim: float | None = None,
    title: str | None = None,
    panel_size: float = 1.7,
):
    """Small multiples of 2-D point clouds: one row per key of ``grid``, one panel per entry.

    ``grid[row][column]`` is an (n, 2) array (e.g. generated samples of one variant at one
    training step). ``centers`` (K, 2) are drawn as red crosses and, with ``std``, circles of
    radius 3·std around them mark where a sample counts as high quality. All panels share
    the square window [−lim, lim]² (default: 1.4 × the largest |centre| coordinate, or of the
    data). Returns the 2-D array of axes.
    """
    import matplotlib.pyplot as plt

    rows = list(grid)
    if not rows or not all(grid[r] for r in rows):
        raise ValueError("grid must map each row label to a non-empty mapping of panels")
    n_cols = max(len(grid[r]) for r in rows)
    C = None if centers is None else finite_array(centers, "centers", ndim=2)
    if lim is None:
        if C is not None:
            lim = 1.4 * float(np.abs(C).max())
        else:
            lim = 1.1 * max(float(np.abs(finite_array(s, "grid", ndim=2)).max())
                            for r in rows for s in grid[r].values())
    fig, axes = plt.subplots(len(rows), n_cols, figsize=(panel_size * n_cols + 0.6,
                                                         panel_size * len(rows) + 0.4),
                             squeeze=False, layout="constrained")
    for i, r in enumerate(rows):
        for j in range(n_cols):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_aspect("equal")
            if j >= len(grid[r]):
                ax.axis("off")
                continue
            col, S = list(grid[r].items())[j]
            S = finite_array(S, f"grid[{r!r}][{col!r}]", ndim=2)
            if S.shape[1] != 2:
                raise ValueError(f"grid[{r!r}][{col!r}] must have shape (n, 2), got {S.shape}")
            ax.scatter(S[:, 0], S[:, 1], s=1.0, alpha=0.35, color="C0", rasterized=True)
            if C is not None:
                ax.scatter(C[:, 0], C[:, 1], s=18, marker="x", color="C3", lw=1.0)
                if std is not None:
                    for c in C:
                        ax.add_patch(plt.Circle(c, 3 * float(std), fill=False, color="C3",
                                                lw=0.6, alpha=0.7))
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_title(str(col), fontsize=8)
            if j == 0:
                ax.set_ylabel(str(r), fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    return axes


def training_curves_plot(
    curves: Mapping[str, Sequence[tuple[np.ndarray, np.ndarray]]],
    ax=None,
    logy: bool = False,
    xlabel: str = "training step",
    ylabel: str = "",
    smooth: int = 1,
    title: str | None = None,
):
    """Quantities over training, one colour per label and one line per run (e.g. per seed).

    ``curves[label]`` is a list of (x, y) pairs of equal-length 1-D arrays. With
    ``smooth`` > 1, y is replaced by its moving average over ``smooth`` points (x by the
    matching centres), which makes noisy per-step losses readable.
    """
    if isinstance(smooth, bool) or not isinstance(smooth, int | np.integer) or smooth < 1:
        raise ValueError(f"smooth must be an integer ≥ 1, got {smooth!r}")
    ax = _axes(ax, figsize=(6.0, 3.6))
    for i, (label, runs) in enumerate(curves.items()):
        for k, (x, y) in enumerate(runs):
            x = finite_array(x, f"curves[{label!r}][{k}] x", ndim=1)
            y = finite_array(y, f"curves[{label!r}][{k}] y", ndim=1)
            if x.shape != y.shape:
                raise ValueError(f"curves[{label!r}][{k}]: x and y must have the same length")
            if smooth > 1 and y.size >= smooth:
                kernel = np.ones(smooth) / smooth
                y = np.convolve(y, kernel, mode="valid")
                x = np.convolve(x, kernel, mode="valid")
            ax.plot(x, y, color=f"C{i}", lw=1.3, alpha=0.85, label=label if k == 0 else None)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def accuracy_matrix_plot(
    matrices: Mapping[str, np.ndarray],
    task_names: Sequence[str] | None = None,
    title: str | None = None,
):
    """Accuracy matrices side by side as annotated heatmaps, one per method.

    ``matrices[name]`` is T × T with entry (i, j) the accuracy on task j after training on
    task i: the diagonal is what each task reached when it was learnt, the entries below it
    what is left of it later (forgetting makes them fade), those above it the accuracy on
    tasks not yet seen. Returns the array of axes.
    """
    import matplotlib.pyplot as plt

    names = list(matrices)
    if not names:
        raise ValueError("matrices must contain at least one matrix")
    mats = [finite_array(matrices[n], f"matrices[{n!r}]", ndim=2) for n in names]
    T = mats[0].shape[0]
    if any(M.shape != (T, T) for M in mats):
        raise ValueError("every matrix must be square and of the same size T × T")
    labels = list(task_names) if task_names is not None else [f"task {t + 1}" for t in range(T)]
    if len(labels) != T:
        raise ValueError(f"task_names must have {T} entries, got {len(labels)}")
    fig, axes = plt.subplots(1, len(names), figsize=(2.9 * len(names) + 0.8, 3.1),
                             squeeze=False, layout="constrained")
    for ax, name, M in zip(axes[0], names, mats, strict=True):
        im = ax.imshow(M, vmin=0.0, vmax=1.0, cmap="viridis")
        for i in range(T):
            for j in range(T):
                ax.text(j, i, f"{M[i, j]:.2f}", ha="center", va="center", fontsize=8,
                        color="black" if M[i, j] > 0.6 else "white")
        ax.set_xticks(range(T), labels, fontsize=7, rotation=30, ha="right")
        ax.set_yticks(range(T), [f"after {lab}" for lab in labels], fontsize=7)
        ax.set_title(name, fontsize=9)
    axes[0, 0].set_ylabel("training stage")
    fig.colorbar(im, ax=axes[0, :].tolist(), shrink=0.8, label="test accuracy")
    if title:
        fig.suptitle(title, fontsize=10)
    return axes


def tradeoff_plot(
    curves: Mapping[str, tuple[Sequence[float], Sequence[float], Sequence[float]]],
    points: Mapping[str, tuple[float, float]] | None = None,
    ax=None,
    xlabel: str = "accuracy on the newest task (plasticity)",
    ylabel: str = "mean accuracy on earlier tasks (stability)",
    title: str | None = None,
):
    """Stability against plasticity along a sweep of the penalty strength λ.

    ``curves[method] = (new, old, lams)``: for each λ the final accuracy on the last task
    (x) and the mean final accuracy on the earlier ones (y); points are joined in the order
    given and labelled with λ. ``points`` adds single runs (e.g. plain fine-tuning) as
    stars. Up and to the right is better; a curve that lies above another dominates it.
    """
    ax = _axes(ax, figsize=(5.6, 4.2))
    for i, (name, (new, old, lams)) in enumerate(curves.items()):
        x = finite_array(new, f"curves[{name!r}] new", ndim=1)
        y = finite_array(old, f"curves[{name!r}] old", ndim=1)
        lam = finite_array(lams, f"curves[{name!r}] lams", ndim=1)
        if not (x.shape == y.shape == lam.shape):
            raise ValueError(f"curves[{name!r}]: new, old and lams must have the same length")
        ax.plot(x, y, "o-", color=f"C{i}", lw=1.5, ms=4, label=name)
        dy = 4 if i % 2 == 0 else -10  # alternate curves label above / below their points
        for xi, yi, li in zip(x, y, lam, strict=True):
            ax.annotate(f"{li:g}", (xi, yi), xytext=(3, dy), textcoords="offset points",
                        fontsize=7, color=f"C{i}")
    for k, (name, (xn, yo)) in enumerate((points or {}).items()):
        ax.plot([xn], [yo], marker="*", ms=11, ls="none", color=f"C{len(curves) + k}",
                label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=8, title="λ next to each point", title_fontsize=7)
    if title:
        ax.set_title(title)
    return ax


def attractor_plot(X, names: Sequence[str] = ("x", "y", "z"), ax=None,
                   title: str | None = None):
    """A trajectory X (n × 3) as a 3-D curve coloured by time (start light, end dark)."""
    import matplotlib.pyplot as plt
    from mpl_toolkits.mplot3d.art3d import Line3DCollection

    P = finite_array(X, "X", ndim=2)
    if P.shape[1] != 3 or P.shape[0] < 2:
        raise ValueError(f"X must be n × 3 with n ≥ 2, got shape {P.shape}")
    if ax is None:
        fig = plt.figure(figsize=(5.5, 4.5), layout="constrained")
        ax = fig.add_subplot(projection="3d")
    segs = np.stack([P[:-1], P[1:]], axis=1)
    lc = Line3DCollection(list(segs), cmap="viridis_r", linewidths=0.6)
    lc.set_array(np.linspace(0.0, 1.0, len(segs)))
    ax.add_collection3d(lc)
    for k, setter in enumerate((ax.set_xlim, ax.set_ylim, ax.set_zlim)):
        setter(P[:, k].min(), P[:, k].max())
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_zlabel(names[2])
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
    Ms = {name: finite_array(M, f"matrices[{name!r}]", ndim=2) for name, M in matrices.items()}
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
