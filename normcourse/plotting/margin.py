"""Max margin and the implicit bias of gradient descent (figures of the margin pages).

Each function draws on an ``Axes`` (or a grid of them) and returns it; the numbers it
shows are computed by the library modules and passed in, or obtained by calling them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from normcourse._validate import finite_array, flag, pm1_labels, positive_int, real
from normcourse.plotting.common import get_axes, plain_log_ticks

__all__ = [
    "angle_norm_plot",
    "direction_margin_plot",
    "gd_angle_plot",
    "gd_directions_plot",
    "gd_norm_plot",
    "margin_plot",
]


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


def _check_2d(X, y, theta, theta_name: str = "theta"):
    """Finite X (n × 2), labels y ∈ {−1, +1} (n,) and a nonzero direction θ (2,)."""
    Xa = finite_array(X, "X", ndim=2)
    ya = pm1_labels(finite_array(y, "y", ndim=1))
    if Xa.shape[1] != 2:
        raise ValueError(f"X must have 2 columns for a plane figure, got {Xa.shape[1]}")
    if Xa.shape[0] != ya.shape[0] or Xa.shape[0] == 0:
        raise ValueError(f"X has {Xa.shape[0]} rows but y has {ya.shape[0]} labels")
    if theta is None:
        raise ValueError(f"{theta_name} must be a nonzero vector of shape (2,), got None")
    t = _direction(theta, theta_name)
    return Xa, ya, t


def _direction(theta, name: str) -> np.ndarray:
    t = finite_array(theta, name, ndim=1)
    if t.shape != (2,) or not np.any(t):
        raise ValueError(f"{name} must be a nonzero vector of shape (2,), got {t}")
    return t


def margin_plot(X, y, theta, b: float = 0.0, support=None, ax=None,
                title: str | None = None, others: Mapping[str, tuple] | None = None):
    """2-D data with the hyperplane θᵀx + b = 0, the margin band |θᵀx + b| ≤ 1 (width
    2/‖θ‖) and the support vectors ringed. ``others`` maps a label to another
    (θ, b) drawn as a thin dashed line, e.g. a separator with a smaller margin."""
    Xa, ya, t = _check_2d(X, y, theta)
    b = real(b, "b")
    ax = get_axes(ax, figsize=(5.2, 4.6))
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
        tt = _direction(th, f"others[{name!r}]")
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
    n_angles = positive_int(n_angles, "n_angles")
    if n_angles < 2:
        raise ValueError(f"n_angles must be ≥ 2, got {n_angles}")
    fit_intercept = flag(fit_intercept, "fit_intercept")
    phi_svm = float(np.arctan2(t[1], t[0]))
    turn = np.linspace(-np.pi / 2, np.pi / 2, n_angles)
    U = np.column_stack([np.cos(phi_svm + turn), np.sin(phi_svm + turn)])
    m = direction_margin(Xa, ya, U, fit_intercept=fit_intercept)
    ax = get_axes(ax, figsize=(5.2, 3.4))
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


def gd_norm_plot(steps, norms, predicted=None, ax=None, title: str | None = None):
    """‖θ_t‖ against t on a logarithmic t axis: growth like log t is a straight line.
    ``predicted`` (same length; NaN where it should not be drawn) is drawn dashed, e.g.
    ‖θ̂ log t + w̃‖."""
    t = finite_array(steps, "steps", ndim=1)
    v = finite_array(norms, "norms", ndim=1)
    if t.shape != v.shape:
        raise ValueError(f"steps and norms must have the same length, got {t.size} and {v.size}")
    ax = get_axes(ax, figsize=(5.0, 3.6))
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
    try:  # NaN is allowed: GDTrace.angles is NaN where θ_t = 0; such points are not drawn
        a = np.asarray(angles.detach().cpu() if hasattr(angles, "detach") else angles,
                       dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"angles must be a numeric array, got {type(angles).__name__}") from None
    if np.any(np.isinf(a)):
        raise ValueError("angles contains inf")
    if a.shape != t.shape:
        raise ValueError(f"steps and angles must have the same length, got {t.size} and {a.size}")
    keep = (t > 1) & np.isfinite(a) & (a > 0)
    if not keep.any():
        raise ValueError("angles must have positive finite values at steps t > 1")
    ax = get_axes(ax, figsize=(5.0, 3.6))
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
    plain_log_ticks(ax, "y")
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

    Xa, ya, ref = _check_2d(X, y, reference, "reference")
    ax = get_axes(ax, figsize=(5.2, 4.6))
    _frame_2d(ax, Xa, include_origin=True)
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    cmap = mpl.colormaps["viridis"]
    k = len(directions)
    for i, (name, th) in enumerate(directions.items()):
        tt = _direction(th, f"directions[{name!r}]")
        ax.axline((0.0, 0.0), (-tt[1], tt[0]), color=cmap(0.9 * i / max(k - 1, 1)), lw=1.3,
                  label=name)
    ax.axline((0.0, 0.0), (-ref[1], ref[0]), color="black", lw=2.2, alpha=0.8,
              label="max-margin θ̂ (b = 0)", zorder=2)
    for j, (name, th) in enumerate((extra or {}).items()):
        tt = _direction(th, f"extra[{name!r}]")
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
    ax = get_axes(ax, figsize=(5.5, 3.6))
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
    plain_log_ticks(ax, "y")
    plain_log_ticks(ax, "x")
    ax.set_xlabel("‖θ‖₂")
    ax.set_ylabel("angle to the max-margin direction (rad)")
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return ax
