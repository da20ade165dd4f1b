"""Weight decay: Scheme A against Scheme B, Adam against AdamW.

Each function draws on an ``Axes`` (or a grid of them) and returns it; the numbers it
shows are computed by the library modules and passed in, or obtained by calling them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from normcourse._validate import drawable, finite_array, nonempty, positive, positive_int
from normcourse.plotting.common import get_axes, least_squares_loss_grid, padded_extent

__all__ = [
    "decay_histogram",
    "gradient_scale_plot",
    "norm_history_plot",
    "scheme_grid_plot",
    "scheme_norm_plot",
    "scheme_plot",
    "shrink_plot",
    "zero_gradient_plot",
]


def _unpenalised_minimiser(X, y) -> np.ndarray:
    """θ_LS = X⁺y, from the library's ridge solver with λ = 0 (for the "+" marker)."""
    from normcourse.constrained import ridge

    return ridge(X, y, 0.0)


def _check_comparison(result, name: str = "result") -> None:
    from normcourse.weight_decay import SchemeComparison

    if not isinstance(result, SchemeComparison):
        raise ValueError(f"{name} must be a weight_decay.SchemeComparison, got "
                         f"{type(result).__name__}")


def scheme_plot(result, X=None, y=None, ax=None, title: str | None = None,
                legend: bool = True, extent=None):
    """2-D iterates of Scheme A (coupled L2) and Scheme B (decoupled decay) from one start.

    ``result`` is a ``weight_decay.SchemeComparison`` with 2 parameters. Marks the
    points each scheme converges to — A: ridge solution for λ (star), B: ridge solution
    for (1 − β)γ (diamond) — and, when ``X``, ``y`` are given, draws contours of the data
    loss L(θ) = (1/2n)‖y − Xθ‖² at fixed fractions of L(θ₀) and its minimiser (+).
    ``extent`` = ((θ₁ min, θ₁ max), (θ₂ min, θ₂ max)) fixes the window (default: fit).
    The minimiser is :func:`normcourse.constrained.ridge` with λ = 0.
    """
    _check_comparison(result)
    A = finite_array(result.theta_a, "result.theta_a", ndim=2)
    B = finite_array(result.theta_b, "result.theta_b", ndim=2)
    if A.shape[1] != 2:
        raise ValueError(f"result must have 2 parameters for a 2-D picture, got {A.shape[1]}")
    ax = get_axes(ax, figsize=(4.5, 4.5))
    pts = [A, B, result.fixed_a[None], result.fixed_b[None]]
    theta_ls = None
    if X is not None and y is not None:
        Xa = finite_array(X, "X", ndim=2)
        ya = finite_array(y, "y", ndim=1)
        theta_ls = _unpenalised_minimiser(Xa, ya)
        pts.append(theta_ls[None])
    if extent is None:
        lo, hi = padded_extent(np.vstack(pts))
    else:
        (x0, x1), (y0, y1) = extent
        lo, hi = np.array([x0, y0], dtype=float), np.array([x1, y1], dtype=float)
    if theta_ls is not None:
        T1, T2 = np.meshgrid(np.linspace(lo[0], hi[0], 121), np.linspace(lo[1], hi[1], 121))
        n = Xa.shape[0]
        L = least_squares_loss_grid(Xa, ya, T1, T2)
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
    _check_comparison(result)
    ax = get_axes(ax, figsize=(4.5, 3.5))
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


def scheme_grid_plot(results: Sequence[Sequence[object]], X=None, y=None,
                     panel_size: float = 2.6):
    """Small multiples of :func:`scheme_plot`, one panel per ``weight_decay.SchemeComparison``.

    ``results`` is a grid of comparisons, rows β and columns λ = γ, as returned by
    :func:`normcourse.weight_decay.scheme_grid_results`. Each panel is titled with its β
    and λ; a panel whose two trajectories agree to 1e-9 is titled "A ≡ B". All panels
    share one window. With ``X``, ``y`` every panel also gets the loss contours. Returns
    the 2-D array of axes.
    """
    import matplotlib.pyplot as plt

    panel_size = positive(panel_size, "panel_size")
    rows = [list(row) for row in results]
    if not rows or not rows[0] or any(len(row) != len(rows[0]) for row in rows):
        raise ValueError("results must be a non-empty grid (rows β, columns λ) with rows "
                         "of equal length")
    pts = [np.vstack([r.theta_a, r.theta_b, r.fixed_a[None], r.fixed_b[None]])
           for row in rows for r in row]
    if X is not None and y is not None:
        pts.append(_unpenalised_minimiser(X, y)[None])
    lo, hi = padded_extent(np.vstack(pts), pad=0.06)
    n_rows, n_cols = len(rows), len(rows[0])
    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False, layout="constrained",
                             figsize=(panel_size * n_cols, panel_size * n_rows + 0.6))
    for i, row in enumerate(rows):
        for j, res in enumerate(row):
            same = " — A ≡ B" if res.max_gap < 1e-9 else ""
            ax = scheme_plot(res, X, y, ax=axes[i, j], legend=False,
                             extent=((lo[0], hi[0]), (lo[1], hi[1])),
                             title=f"β = {res.beta:g}, λ = γ = {res.lam:g}{same}")
            ax.set_xlabel("θ₁" if i == n_rows - 1 else "")
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
        T = nonempty(finite_array(trajectories[name], f"trajectories[{name!r}]", ndim=2),
                     f"trajectories[{name!r}]")
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
    bins = positive_int(bins, "bins")
    if constant is not None:
        constant = drawable(constant, "constant", positive=True)
    ax = get_axes(ax, figsize=(6.0, 3.5))
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
    ax = get_axes(ax, figsize=(5.0, 3.5))
    styles = ["-", "--", ":", "-."]
    for r, (run, H) in enumerate(histories.items()):
        H = nonempty(finite_array(H, f"histories[{run!r}]", ndim=2), f"histories[{run!r}]")
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


def gradient_scale_plot(runs: Mapping[str, object], ax=None, title: str | None = None):
    """Decay per step against the size s of a weight's data gradient (log–log axes).

    ``runs`` maps a label (an optimizer) to a ``weight_decay.GradientScaleRun``: its
    ``coefficient`` (ηλ/(√v̂ + ε) for Adam + L2, ηλ for AdamW) is drawn as a line and its
    ``measured`` shrink per step as open circles, at every s > 0; the coefficient at
    s = 0 (no data gradient), if present, is quoted in the legend. The guide ηλ/s of the
    first run is dashed, up to three times the largest coefficient drawn.
    """
    from normcourse.weight_decay import GradientScaleRun

    if not runs:
        raise ValueError("runs must hold at least one weight_decay.GradientScaleRun")
    ax = get_axes(ax, figsize=(6.0, 3.8))
    top, first = 0.0, None
    for k, (name, r) in enumerate(runs.items()):
        if not isinstance(r, GradientScaleRun):
            raise ValueError(f"runs[{name!r}] must be a weight_decay.GradientScaleRun, got "
                             f"{type(r).__name__}")
        s = finite_array(r.scales, f"runs[{name!r}].scales", ndim=1)
        c = finite_array(r.coefficient, f"runs[{name!r}].coefficient", ndim=1)
        if np.any(c <= 0):
            raise ValueError(f"runs[{name!r}].coefficient must be > 0 for a log axis")
        pos = s > 0
        zero = f" (s = 0: {float(c[~pos][0]):.1e})" if np.any(~pos) else ""
        ax.loglog(s[pos], c[pos], "-", color=f"C{k}", lw=1.8, label=f"{name}{zero}")
        ax.loglog(s[pos], r.measured[pos], "o", mfc="none", color=f"C{k}", ms=6,
                  label="measured shrink" if k == 0 else None)
        top = max(top, float(c[pos].max()))
        if first is None:
            first = (s[pos], r.lr * r.lam / s[pos])
    near = first[1] <= 3 * top
    ax.loglog(first[0][near], first[1][near], "--", color="0.5", lw=1.0, label="ηλ/s")
    ax.set_xlabel("size s of the data gradient (log scale)")
    ax.set_ylabel("decay per step (log scale)")
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return ax
