"""λ sweeps, shrinkage, bias–variance, early stopping and the constrained view (L2 pages).

Each function draws on an ``Axes`` (or a grid of them) and returns it; the numbers it
shows are computed by the library modules and passed in, or obtained by calling them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from normcourse._validate import choice, drawable, finite_array, nonempty, positive_int
from normcourse.plotting.common import get_axes, least_squares_loss_grid

__all__ = [
    "bias_variance_plot",
    "budget_path_plot",
    "constrained_2d_plot",
    "dof_plot",
    "early_stopping_match_plot",
    "prior_penalty_plot",
    "ridge_shrinkage_plot",
    "shadow_price_plot",
    "spectral_filter_plot",
    "sweep_plot",
    "training_time_plot",
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
                       label="singular value sᵢ")
    if mark is not None:
        ax.axvline(mark, color="k", ls="--", lw=1)
    ax.set_xscale("log")
    ax.set_xlim(grid[0], grid[-1])
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("λ (log scale)")
    ax.set_ylabel("shrinkage factor sᵢ² / (sᵢ² + nλ)")
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
                        arrow_length: float | None = None, ball: str = "l2"):
    """The geometry of min (1/2n)‖y − Xθ‖² over a ball, for two parameters.

    Draws loss contours, the ball, the unconstrained (minimum-norm) minimiser θ_LS, the
    constrained optimum θ* with the level set through it, and arrows at θ*.

    * ``ball="l2"``: the disk ‖θ‖² ≤ C, with arrows of equal length along ∇L(θ*) and
      ∇‖θ‖² = 2θ*; when the constraint binds, ∇L(θ*) = −2λ*θ*, so they point in opposite
      directions.
    * ``ball="l1"``: the diamond ‖θ‖₁ ≤ C (C is the radius), with the arrow −∇L(θ*) and
      the normal cone of the ball at θ* (a ray on an edge, a wedge at a corner): by
      stationarity −∇L(θ*) lies in it.

    All of these come from :func:`normcourse.constrained.constrained_geometry`; only the
    contour grid of L is evaluated here.
    """
    from normcourse.constrained import constrained_geometry

    Xa = finite_array(X, "X", ndim=2)
    if Xa.shape[1] != 2:
        raise ValueError(f"X must have exactly 2 columns for a 2-D picture, got {Xa.shape[1]}")
    ya = finite_array(y, "y", ndim=1)
    ball = choice(ball, ("l2", "l1"), "ball")
    geo = constrained_geometry(Xa, ya, C, ball=ball)
    res, theta_ls = geo.result, geo.theta_ls
    r = float(np.sqrt(res.C)) if ball == "l2" else res.radius
    m = float(np.abs(theta_ls).max())
    # a slack budget far larger than θ_LS would only shrink the picture: clip the window
    view = r if res.active else min(r, 2 * m if m > 0 else 1.0)
    half = 1.25 * max(view, m)
    g = np.linspace(-half, half, 301)
    T1, T2 = np.meshgrid(g, g)
    L = least_squares_loss_grid(Xa, ya, T1, T2)
    ax = get_axes(ax, figsize=(5.0, 5.0))
    Lmin = geo.loss_ls
    levels = Lmin + (res.loss - Lmin) * np.array([0.06, 0.25, 0.55, 1.6, 2.4, 3.4, 4.6])
    ax.contour(T1, T2, L, levels=np.sort(levels), colors="0.55", linewidths=0.8)
    ax.contour(T1, T2, L, levels=[res.loss], colors="C1", linewidths=1.8)
    ax.plot([], [], color="C1", lw=1.8, label="level set L(θ) = L(θ*)")
    if ball == "l2":
        t = np.linspace(0, 2 * np.pi, 400)
        bx, by, blabel = r * np.cos(t), r * np.sin(t), f"‖θ‖² ≤ C = {res.C:g}"
    else:
        bx, by = r * np.array([1, 0, -1, 0, 1]), r * np.array([0, 1, 0, -1, 0])
        blabel = f"‖θ‖₁ ≤ {r:g}"
    ax.fill(bx, by, color="C0", alpha=0.15, lw=0)
    ax.plot(bx, by, color="C0", lw=1.8, label=blabel)
    ax.plot(*theta_ls, "k+", ms=12, mew=2, label="θ_LS (unconstrained)")
    ax.plot(*res.theta, "o", color="white", mec="k", mew=1.5, ms=8, zorder=5,
            label=f"θ*  (λ* = {res.lam:.3g})")
    length = arrow_length if arrow_length is not None else 0.45 * r
    if ball == "l2":
        arrows = ((geo.grad_loss, "C3", "∇L(θ*)"), (2 * res.theta, "C0", "∇‖θ‖² = 2θ*"))
    else:
        arrows = ((-geo.grad_loss, "C3", "−∇L(θ*)"),)
        if res.active:
            _normal_cone(ax, res.theta, 1.3 * length)
    for vec, color, lab in arrows:
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


def _normal_cone(ax, theta: np.ndarray, length: float) -> None:
    """Shade the normal cone of the ℓ1 ball at θ: the subgradients g of ‖·‖₁ at θ.

    g_j = sign θ_j where θ_j ≠ 0 and g_j ∈ [−1, 1] where θ_j = 0, so the cone is a ray on
    an edge and a wedge between two edge normals at a corner.
    """
    fixed = np.sign(theta)
    free = np.flatnonzero(theta == 0)
    ends = []
    for sgn in ((-1.0, 1.0) if free.size else (1.0,)):
        g = fixed.copy()
        g[free] = sgn
        ends.append(theta + length * g / np.linalg.norm(g))
    if len(ends) == 2:
        ax.fill(*np.array([theta, ends[0], ends[1]]).T, color="C2", alpha=0.25, lw=0,
                label="normal cone (corner)")
    else:
        ax.plot(*np.array([theta, ends[0]]).T, color="C2", lw=3, alpha=0.6,
                label="normal cone (edge)")


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


# ------------------------------------------------------- training time and early stopping


def _mapping(value, name: str) -> None:
    if not isinstance(value, Mapping) or len(value) == 0:
        raise ValueError(f"{name} must be a non-empty mapping label → data, got "
                         f"{type(value).__name__}")


def training_time_plot(curves, ax=None, title: str | None = None, logy: bool = False):
    """Training (dashed) and validation (solid) error against the GD step, one colour per run.

    ``curves`` maps a label to an ``early_stopping.TrainingCurve``; the step with the
    smallest validation error of each run is marked. The step axis is logarithmic.
    """
    from normcourse.early_stopping import TrainingCurve

    _mapping(curves, "curves")
    ax = get_axes(ax, figsize=(6.5, 4.0))
    for i, (label, c) in enumerate(curves.items()):
        if not isinstance(c, TrainingCurve):
            raise ValueError(f"curves[{label!r}] must be an early_stopping.TrainingCurve, "
                             f"got {type(c).__name__}")
        color = f"C{i}"
        ax.plot(c.steps, c.val_loss, color=color, lw=1.8, label=f"{label}: validation")
        ax.plot(c.steps, c.train_loss, color=color, lw=1.3, ls="--", label=f"{label}: training")
        k = int(np.argmin(c.val_loss))
        ax.plot(c.steps[k], c.val_loss[k], "o", color=color, mec="k", ms=6, zorder=5)
    ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("gradient-descent step t (log scale)")
    ax.set_ylabel("mean squared error")
    ax.legend(frameon=False, fontsize=7, ncols=len(curves) if len(curves) <= 3 else 2)
    if title:
        ax.set_title(title)
    return ax


def spectral_filter_plot(d, pairs, ax=None, title: str | None = None):
    """Filter factors of GD (solid) and ridge (dashed) against dᵢ = sᵢ²/n (log axis).

    ``pairs`` maps a label (e.g. "t = 100, λ = 1/(ηt)") to (gd_factors, ridge_factors),
    two arrays with one entry per dᵢ, from ``early_stopping.gd_filter`` and
    ``constrained.shrinkage_factors``.
    """
    dd = finite_array(d, "d", ndim=1)
    if dd.size == 0 or np.any(dd <= 0):
        raise ValueError("d must be a non-empty 1-D array of dᵢ > 0")
    order = np.argsort(dd)
    _mapping(pairs, "pairs")
    ax = get_axes(ax, figsize=(6.0, 4.0))
    for i, (label, (gd, rg)) in enumerate(pairs.items()):
        gd = finite_array(gd, f"pairs[{label!r}][0]", ndim=1)
        rg = finite_array(rg, f"pairs[{label!r}][1]", ndim=1)
        if gd.shape != dd.shape or rg.shape != dd.shape:
            raise ValueError(f"pairs[{label!r}]: both arrays need one entry per dᵢ ({dd.size})")
        ax.plot(dd[order], gd[order], color=f"C{i}", lw=1.8, marker=".", ms=4,
                label=f"GD, {label}")
        ax.plot(dd[order], rg[order], color=f"C{i}", lw=1.4, ls="--")
    ax.plot([], [], color="0.4", ls="--", lw=1.4, label="ridge, λ = 1/(ηt) (dashed)")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("variance along the direction, dᵢ = sᵢ²/n (log scale)")
    ax.set_ylabel("filter factor")
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    if title:
        ax.set_title(title)
    return ax


def early_stopping_match_plot(curve, sweep, lr: float, ax=None, title: str | None = None):
    """GD errors against the step t next to ridge errors placed at t = 1/(ηλ).

    ``curve`` is an ``early_stopping.TrainingCurve`` (usually λ = 0), ``sweep`` a
    ``diagnostics.Sweep`` of ridge; each ridge λ is drawn at the step 1/(ηλ) it is
    matched with (only those inside the range of steps of ``curve``).
    """
    from normcourse.diagnostics import Sweep
    from normcourse.early_stopping import TrainingCurve

    if not isinstance(curve, TrainingCurve):
        raise ValueError(f"curve must be an early_stopping.TrainingCurve, got "
                         f"{type(curve).__name__}")
    if not isinstance(sweep, Sweep):
        raise ValueError(f"sweep must be a diagnostics.Sweep, got {type(sweep).__name__}")
    lr = drawable(lr, "lr", positive=True)
    t_eq = 1.0 / (lr * sweep.lams)
    keep = (t_eq >= curve.steps[0]) & (t_eq <= curve.steps[-1])
    ax = get_axes(ax, figsize=(6.0, 4.0))
    ax.plot(curve.steps, curve.val_loss, color="C1", lw=1.8, label="GD: validation")
    ax.plot(curve.steps, curve.train_loss, color="0.25", lw=1.3, label="GD: training")
    ax.plot(t_eq[keep], sweep.val_loss[keep], "s", color="C1", mfc="none", ms=6,
            label="ridge at λ = 1/(ηt): validation")
    ax.plot(t_eq[keep], sweep.train_loss[keep], "s", color="0.25", mfc="none", ms=6,
            label="ridge at λ = 1/(ηt): training")
    ax.set_xscale("log")
    ax.set_xlabel("step t (log scale);  ridge drawn at t = 1/(ηλ)")
    ax.set_ylabel("mean squared error")
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def bias_variance_plot(bv, ax=None, monte_carlo=None, title: str | None = None):
    """Bias², variance and their sum against λ from ``diagnostics.ridge_bias_variance``.

    The λ with the smallest sum is marked. ``monte_carlo`` = (bias2, variance) arrays
    estimated from noise draws on the same grid are drawn as markers on the curves.
    """
    from normcourse.diagnostics import BiasVarianceCurve

    if not isinstance(bv, BiasVarianceCurve):
        raise ValueError(f"bv must be a diagnostics.BiasVarianceCurve, got {type(bv).__name__}")
    lams = bv.lams
    if np.any(lams <= 0):
        raise ValueError("bias_variance_plot draws λ on a log axis: all λ must be > 0")
    ax = get_axes(ax, figsize=(6.5, 4.0))
    ax.plot(lams, bv.bias2, color="C0", lw=1.8, label="bias²")
    ax.plot(lams, bv.variance, color="C3", lw=1.8, label="variance")
    ax.plot(lams, bv.risk, color="k", lw=2.2, label="bias² + variance")
    if monte_carlo is not None:
        mb = finite_array(monte_carlo[0], "monte_carlo[0]", ndim=1)
        mv = finite_array(monte_carlo[1], "monte_carlo[1]", ndim=1)
        if mb.shape != lams.shape or mv.shape != lams.shape:
            raise ValueError(f"monte_carlo arrays need one entry per λ ({lams.size})")
        ax.plot(lams, mb, "o", color="C0", mfc="none", ms=5)
        ax.plot(lams, mv, "o", color="C3", mfc="none", ms=5)
        ax.plot(lams, mb + mv, "o", color="k", mfc="none", ms=5,
                label="Monte Carlo over noise draws")
    b = bv.best_index
    ax.axvline(lams[b], color="k", ls="--", lw=1)
    ax.plot(lams[b], bv.risk[b], "*", ms=14, color="C1", mec="k", zorder=5,
            label=f"minimum at λ = {lams[b]:.3g}")
    ax.set_xscale("log")
    ax.set_xlim(lams[0], lams[-1])
    ax.set_xlabel("λ (log scale)")
    ax.set_ylabel("expected squared error" if bv.target == "fitted"
                  else "expected ‖θ̂ − θ*‖²")
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def prior_penalty_plot(theta, densities, penalties, axes=None, markers=None):
    """Two panels: prior densities p(θ) (left) and the penalties they induce (right).

    ``densities`` and ``penalties`` map the same labels to arrays over the grid ``theta``
    (e.g. exp of ``diagnostics.log_prior`` and −(σ²/n)(log p(θ) − log p(0))).
    ``markers`` (same labels) are values of the penalty itself (e.g. ``L2(lam).value``
    per point), drawn as dots on the right panel to show that the curves coincide.
    """
    import matplotlib.pyplot as plt

    grid = nonempty(finite_array(theta, "theta", ndim=1), "theta")
    _mapping(densities, "densities")
    _mapping(penalties, "penalties")
    if set(densities) != set(penalties):
        raise ValueError("densities and penalties must have the same labels")
    if markers is not None and not isinstance(markers, Mapping):
        raise ValueError(f"markers must be None or a mapping label → values, got "
                         f"{type(markers).__name__}")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9.0, 3.4), layout="constrained")
    if len(axes) != 2:
        raise ValueError("axes must hold two Axes (densities, penalties)")
    for i, (label, dens) in enumerate(densities.items()):
        dens = finite_array(dens, f"densities[{label!r}]", ndim=1)
        pen = finite_array(penalties[label], f"penalties[{label!r}]", ndim=1)
        if dens.shape != grid.shape or pen.shape != grid.shape:
            raise ValueError(f"densities[{label!r}] and penalties[{label!r}] need one entry "
                             f"per grid point ({grid.size})")
        axes[0].plot(grid, dens, color=f"C{i}", lw=1.8, label=label)
        axes[1].plot(grid, pen, color=f"C{i}", lw=1.8, label=label)
        if markers is not None and label in markers:
            m = finite_array(markers[label], f"markers[{label!r}]", ndim=1)
            if m.shape != grid.shape:
                raise ValueError(f"markers[{label!r}] needs one entry per grid point "
                                 f"({grid.size}), got {m.size}")
            step = max(1, grid.size // 12)
            axes[1].plot(grid[::step], m[::step], "o", color=f"C{i}", mfc="none", ms=6)
    axes[0].set_xlabel("θⱼ")
    axes[0].set_ylabel("prior density p(θⱼ)")
    axes[0].legend(frameon=False, fontsize=8)
    axes[1].set_xlabel("θⱼ")
    axes[1].set_ylabel("−(σ²/n) log p(θⱼ) + const")
    axes[1].legend(frameon=False, fontsize=8)
    return axes


def budget_path_plot(radii, paths, ax=None, labels=None, title: str | None = None):
    """Coordinates of the constrained solution against the budget, one style per ball.

    ``paths`` maps a label (e.g. "ℓ1 ball") to an array (len(radii), p) of solutions;
    coordinate j has colour Cj, the balls differ by line style. Exact zeros show as
    flat segments on the axis.
    """
    r = nonempty(finite_array(radii, "radii", ndim=1), "radii")
    _mapping(paths, "paths")
    ax = get_axes(ax, figsize=(6.0, 4.0))
    styles = ["-", "--", ":", "-."]
    for k, (name, P) in enumerate(paths.items()):
        P = finite_array(P, f"paths[{name!r}]", ndim=2)
        if P.shape[0] != r.size:
            raise ValueError(f"paths[{name!r}] needs one row per radius ({r.size})")
        for j in range(P.shape[1]):
            lab = labels[j] if labels is not None else f"θ{j + 1}"
            ax.plot(r, P[:, j], color=f"C{j}", ls=styles[k % 4], lw=1.8,
                    label=f"{lab}, {name}")
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xlabel("budget: radius r of the ball")
    ax.set_ylabel("coordinate of θ*")
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return ax
