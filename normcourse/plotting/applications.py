"""Figures of the application pages: selection, SINDy, GANs, continual learning.

Each function draws on an ``Axes`` (or a grid of them) and returns it; the numbers it
shows are computed by the library modules and passed in, or obtained by calling them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from normcourse._validate import drawable, finite_array, nonempty, positive
from normcourse.plotting.common import get_axes

__all__ = [
    "accuracy_matrix_plot",
    "accuracy_sparsity_plot",
    "attractor_plot",
    "batch_fisher_plot",
    "coefficient_heatmaps",
    "gan_diagnostics_plot",
    "pr_path_plot",
    "samples_grid_plot",
    "task_images_plot",
    "threshold_sweep_plot",
    "tradeoff_plot",
    "training_curves_plot",
]


def pr_path_plot(curves: Mapping[str, object], marks: Mapping[str, int] | None = None,
                 ax=None, title: str | None = None):
    """Precision against recall along regularization paths, one curve per method.

    ``curves`` maps a name to a ``selection.PathMetrics`` (or anything with ``precision``
    and ``recall`` arrays, ordered along the path); the empty model (nothing selected)
    is left out. ``marks`` maps a name to a path index drawn as a star (e.g. the λ chosen
    by cross-validation).
    """
    ax = get_axes(ax, figsize=(5.0, 4.2))
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
    ax = get_axes(ax, figsize=(5.5, 3.8))
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
    if smallest is not None:
        smallest = drawable(smallest, "smallest", positive=True)
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9.0, 3.6), layout="constrained")
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

    panel_size = positive(panel_size, "panel_size")
    if std is not None:
        std = positive(std, "std")
    if lim is not None:
        lim = positive(lim, "lim")
    rows = list(grid)
    if not rows or not all(grid[r] for r in rows):
        raise ValueError("grid must map each row label to a non-empty mapping of panels")
    n_cols = max(len(grid[r]) for r in rows)
    C = None if centers is None else nonempty(finite_array(centers, "centers", ndim=2),
                                              "centers")
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
            S = nonempty(finite_array(S, f"grid[{r!r}][{col!r}]", ndim=2),
                         f"grid[{r!r}][{col!r}]")
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
    ax = get_axes(ax, figsize=(6.0, 3.6))
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
    if T == 0 or any(M.shape != (T, T) for M in mats):
        raise ValueError("matrices must all be square, non-empty and of the same size T × T, "
                         f"got shapes {[M.shape for M in mats]}")
    labels = list(task_names) if task_names is not None else [f"task {t + 1}" for t in range(T)]
    if len(labels) != T:
        raise ValueError(f"task_names must have {T} entries, got {len(labels)}")
    fig, axes = plt.subplots(1, len(names), figsize=(2.7 * len(names) + 0.8, 3.0),
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
    ax = get_axes(ax, figsize=(5.6, 4.2))
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


def gan_diagnostics_plot(runs: Mapping[str, Sequence[object]],
                         labels: Mapping[str, str] | None = None, smooth: int = 50,
                         figsize: tuple[float, float] = (9.0, 3.4)):
    """Two panels over GAN training, one colour per variant and one line per seed.

    ``runs[variant]`` lists runs with ``record_steps``, ``lipschitz`` and ``d_loss``
    (:class:`normcourse.gan.GanHistory`). Left: the discriminator's Lipschitz bound
    ∏ ‖W_l‖₂ (log axis); right: its loss L_D as a moving average over ``smooth`` steps,
    with the level 2 log 2 of a discriminator that gives every point the same logit.
    ``labels`` renames the variants in the legend. Returns the two axes.
    """
    import matplotlib.pyplot as plt

    if not isinstance(runs, Mapping) or not runs:
        raise ValueError("runs must be a non-empty mapping {variant: [run, …]}")
    names = dict(labels or {})
    losses = {v: [finite_array(h.d_loss, f"runs[{v!r}][{i}].d_loss", ndim=1)
                  for i, h in enumerate(hs)] for v, hs in runs.items()}
    for v, ds in losses.items():
        for i, d in enumerate(ds):
            if d.size == 0:
                raise ValueError(f"runs[{v!r}][{i}].d_loss must not be empty")
    _, (ax_l, ax_d) = plt.subplots(1, 2, figsize=figsize, layout="constrained")
    training_curves_plot(
        {names.get(v, v): [(h.record_steps, h.lipschitz) for h in hs] for v, hs in runs.items()},
        ax=ax_l, logy=True, ylabel="Lipschitz bound ∏ ‖W_l‖₂ of D")
    training_curves_plot(
        {names.get(v, v): [(np.arange(1, d.size + 1), d) for d in ds]
         for v, ds in losses.items()},
        ax=ax_d, smooth=smooth, ylabel=f"L_D (moving average, {smooth} steps)")
    chance = 2 * np.log(2)
    ax_d.axhline(chance, color="0.4", lw=0.8, ls=":")
    ax_d.annotate("2 log 2: D cannot tell", (1.0, chance), xycoords=("axes fraction", "data"),
                  xytext=(-4, 4), textcoords="offset points", ha="right", fontsize=8,
                  color="0.3")
    ax_d.get_legend().remove()
    return np.array([ax_l, ax_d])


def task_images_plot(tasks: Sequence[object], index: int = 0, side: int | None = None,
                     panel_size: float = 2.0):
    """Training image number ``index`` of every task, one panel per task.

    ``tasks`` are objects with ``X_train`` (n, side²) flattened images, ``y_train`` and
    optionally ``name`` (e.g. :func:`normcourse.datasets.permuted_digits`, where each task
    shows the same digit with its pixels permuted). Returns the axes.
    """
    import matplotlib.pyplot as plt

    tasks = list(tasks)
    if not tasks:
        raise ValueError("tasks must contain at least one task")
    panel_size = positive(panel_size, "panel_size")
    _, axes = plt.subplots(1, len(tasks), figsize=(panel_size * len(tasks), panel_size + 0.3),
                             squeeze=False, layout="constrained")
    for k, (ax, task) in enumerate(zip(axes[0], tasks, strict=True)):
        X = finite_array(task.X_train, f"tasks[{k}].X_train", ndim=2)
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(f"tasks[{k}].X_train must hold at least one image, got {X.shape}")
        if isinstance(index, bool) or not isinstance(index, int | np.integer) \
                or not 0 <= index < X.shape[0]:
            raise ValueError(f"index must be an integer in [0, {X.shape[0]}), got {index!r}")
        s = side or round(float(np.sqrt(X.shape[1])))
        if s * s != X.shape[1]:
            raise ValueError(f"tasks[{k}] images have {X.shape[1]} pixels, not side² = {s * s}")
        ax.imshow(X[index].reshape(s, s), cmap="gray_r")
        name = getattr(task, "name", f"task {k + 1}")
        ax.set_title(f"{name}  (label {np.asarray(task.y_train)[index]})", fontsize=9)
        ax.axis("off")
    return axes[0]


def batch_fisher_plot(batch_sizes, ratio, ax=None):
    """The ratio Σ F̃ / Σ F of the squared-batch-mean Fisher estimate to the per-example one
    against the batch size N_b (log–log), with the reference line 1 / N_b."""
    b = finite_array(batch_sizes, "batch_sizes", ndim=1)
    r = finite_array(ratio, "ratio", ndim=1)
    if b.shape != r.shape or b.size == 0 or np.any(b <= 0) or np.any(r <= 0):
        raise ValueError("batch_sizes and ratio must be positive 1-D arrays of equal length")
    ax = get_axes(ax, figsize=(4.8, 3.4))
    ax.loglog(b, r, "o-", label="Σ F̃ (squared batch means) / Σ F (per example)")
    ax.loglog(b, 1 / b, "k:", label="1 / batch size")
    ax.set_xlabel("batch size $N_b$")
    ax.set_ylabel("ratio")
    ax.legend(frameon=False, fontsize=8)
    return ax
