"""Figures of the group-sparsity page: which inputs a layer still reads.

Drawing only: the norms are computed by the library (e.g.
:func:`normcourse.groups.layer_input_norms`) and passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from normcourse._validate import finite_array, nonempty

__all__ = ["input_norms_plot"]


def input_norms_plot(
    norms: Mapping[str, np.ndarray | Sequence[float]],
    true_inputs: Sequence[int] | np.ndarray | None = None,
    ylabel: str = "column norm ‖W₁[:, j]‖₂",
    title: str | None = "Which inputs does the first layer still read?",
    figsize: tuple[float, float] | None = None,
):
    """One bar chart per model of the norms ‖W_{:,j}‖₂ of the inputs j = 0 … d−1.

    ``norms`` maps a model's name to its d input norms (all models have the same d). Bars
    of the inputs in ``true_inputs`` (the ones the data depend on) are drawn in colour,
    the others in grey; an input whose norm is exactly 0 — pruned — is marked with a red
    × on the axis. Each panel is titled with the number of inputs in use (norm > 0).
    Returns the figure.
    """
    import matplotlib.pyplot as plt

    if not norms:
        raise ValueError("norms must hold at least one named array of input norms")
    arrays = {name: nonempty(finite_array(v, f"norms[{name!r}]", ndim=1), f"norms[{name!r}]")
              for name, v in norms.items()}
    sizes = {a.size for a in arrays.values()}
    if len(sizes) != 1:
        raise ValueError(f"norms must all have the same length (one entry per input), "
                         f"got lengths {sorted(sizes)}")
    d = sizes.pop()
    for name, a in arrays.items():
        if np.any(a < 0):
            raise ValueError(f"norms[{name!r}] has a negative entry; norms are ≥ 0")
    truth = np.zeros(d, dtype=bool)
    if true_inputs is not None:
        idx = np.asarray(true_inputs)
        if idx.size and (idx.dtype.kind not in "iu" or idx.ndim != 1
                         or idx.min() < 0 or idx.max() >= d):
            raise ValueError(f"true_inputs must be indices in 0 … {d - 1}, got {true_inputs!r}")
        truth[idx.astype(np.intp)] = True
    n = len(arrays)
    fig, axes = plt.subplots(1, n, figsize=figsize or (min(9.0, 4.3 * n), 3.2),
                             layout="constrained", squeeze=False)
    j = np.arange(d)
    for ax, (name, a) in zip(axes[0], arrays.items(), strict=True):
        ax.bar(j[~truth], a[~truth], color="0.65", label="other inputs")
        if truth.any():
            ax.bar(j[truth], a[truth], color="C0", label="true inputs")
        zero = a == 0
        if zero.any():
            ax.plot(j[zero], np.zeros(zero.sum()), "x", color="C3", ms=6, mew=1.5,
                    clip_on=False, label="exactly 0 (pruned)")
        ax.set_title(f"{name}: {int(np.count_nonzero(a))} of {d} inputs used", fontsize=10)
        ax.set_xlabel("input j")
        ax.set_xticks(j[:: max(1, d // 10)])
        ax.set_ylim(bottom=0)
    axes[0][0].set_ylabel(ylabel)
    axes[0][0].legend(frameon=False, fontsize=8, loc="upper center")
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
