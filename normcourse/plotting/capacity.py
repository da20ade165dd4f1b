"""λ sweeps, ridge shrinkage, degrees of freedom and the constrained view (L2 pages).

Each function draws on an ``Axes`` (or a grid of them) and returns it; the numbers it
shows are computed by the library modules and passed in, or obtained by calling them.
"""

from __future__ import annotations

import numpy as np

from normcourse._validate import drawable, finite_array, positive_int
from normcourse.plotting.common import get_axes, least_squares_loss_grid

__all__ = [
    "constrained_2d_plot",
    "dof_plot",
    "ridge_shrinkage_plot",
    "shadow_price_plot",
    "sweep_plot",
]

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
    ax = get_axes(ax, figsize=(6.5, 4.0))
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

    from normcourse.constrained import shrinkage_factors, singular_values

    grid = finite_array(lams, "lams", ndim=1)
    if grid.size == 0 or np.any(grid <= 0):
        raise ValueError("lams must be a non-empty 1-D array of λ > 0")
    max_curves = positive_int(max_curves, "max_curves")
    if mark is not None:
        mark = drawable(mark, "mark", positive=True)
    F = shrinkage_factors(X, grid)
    s = singular_values(X)
    pick = np.unique(np.linspace(0, F.shape[1] - 1, min(max_curves, F.shape[1]))
                     .round().astype(int))
    ax = get_axes(ax, figsize=(6.0, 4.0))
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
    if mark is not None:
        mark = drawable(mark, "mark", positive=True)
    df = effective_dof(X, grid)
    ax = get_axes(ax, figsize=(5.0, 4.0))
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
    θ_LS, the constrained optimum θ* with the level set through it, and at θ* arrows of
    equal length along ∇L(θ*) and ∇‖θ‖² = 2θ*: when the constraint binds,
    ∇L(θ*) = −2λ*θ*, so the two arrows point in opposite directions. All of these come
    from :func:`normcourse.constrained.constrained_geometry`; only the contour grid of L
    is evaluated here.
    """
    from normcourse.constrained import constrained_geometry

    Xa = finite_array(X, "X", ndim=2)
    if Xa.shape[1] != 2:
        raise ValueError(f"X must have exactly 2 columns for a 2-D picture, got {Xa.shape[1]}")
    ya = finite_array(y, "y", ndim=1)
    geo = constrained_geometry(Xa, ya, C)
    res, theta_ls = geo.result, geo.theta_ls
    r = float(np.sqrt(res.C))
    half = 1.25 * max(r, float(np.abs(theta_ls).max()))
    g = np.linspace(-half, half, 301)
    T1, T2 = np.meshgrid(g, g)
    L = least_squares_loss_grid(Xa, ya, T1, T2)
    ax = get_axes(ax, figsize=(5.0, 5.0))
    Lmin = geo.loss_ls
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
    length = arrow_length if arrow_length is not None else 0.45 * r
    for vec, color, lab in ((geo.grad_loss, "C3", "∇L(θ*)"), (2 * res.theta, "C0", "∇‖θ‖² = 2θ*")):
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
    ax = get_axes(ax, figsize=(6.0, 4.0))
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
