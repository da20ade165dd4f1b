"""Drawing helpers shared by the figure modules of :mod:`normcourse.plotting`.

Everything here is drawing-side: creating axes, formatting log axes, choosing a window
and evaluating a loss on a contour grid. Matplotlib is imported inside the functions so
that ``import normcourse.plotting`` stays light.
"""

from __future__ import annotations

import numpy as np

from normcourse._validate import finite_array

__all__ = [
    "get_axes",
    "least_squares_loss_grid",
    "log_lambda_axis",
    "padded_extent",
    "plain_log_ticks",
]


def get_axes(ax=None, figsize: tuple[float, float] = (6.0, 4.0)):
    """Return ``ax``, or a new ``Axes`` of a constrained-layout figure of ``figsize``."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def plain_log_ticks(ax, axis: str = "y") -> None:
    """Plain numbers (0.05, 0.1, 0.2) instead of 5×10⁻² on a logarithmic axis."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    if axis not in ("x", "y"):
        raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    target.set_minor_formatter(NullFormatter())


def log_lambda_axis(ax, lams: np.ndarray) -> None:
    """A logarithmic λ axis with λ decreasing to the right and plain tick labels."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_xscale("log")
    ax.set_xlim(lams.max(), lams.min())  # λ decreasing to the right
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("λ (log scale, decreasing →)")


def padded_extent(points: np.ndarray, pad: float = 0.12) -> tuple[np.ndarray, np.ndarray]:
    """Window (lo, hi) around the rows of ``points`` (k × d), widened by ``pad`` × span.

    lo = min − pad·span and hi = max + pad·span per coordinate, with span = max − min
    (at least 1e-9, so a single point still gets a non-empty window).
    """
    P = finite_array(points, "points", ndim=2)
    if P.shape[0] == 0:
        raise ValueError("points must hold at least one row")
    if not np.isfinite(pad) or pad < 0:
        raise ValueError(f"pad must be a finite number ≥ 0, got {pad!r}")
    lo, hi = P.min(axis=0), P.max(axis=0)
    span = np.maximum(hi - lo, 1e-9)
    return lo - pad * span, hi + pad * span


def least_squares_loss_grid(X: np.ndarray, y: np.ndarray, T1: np.ndarray,
                            T2: np.ndarray) -> np.ndarray:
    """L(θ) = (1/2n)‖y − Xθ‖² at every grid point θ = (T1[i, j], T2[i, j]), for contours."""
    R = y[:, None] - X @ np.stack([T1.ravel(), T2.ravel()])
    return (np.sum(R**2, axis=0) / (2 * X.shape[0])).reshape(T1.shape)
