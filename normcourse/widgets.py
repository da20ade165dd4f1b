r"""Interactive explorers (ipywidgets) for the book; each has a static counterpart.

A widget needs a running kernel: in the static HTML book its callbacks cannot run, so
every page that shows one also shows a static figure made by the same ``compute``.

Design: an explorer is a class with

* ``compute(...)`` — a pure function of the slider values that returns the result
  (a library object, usable without any widget);
* ``update()`` — the callback wired to the sliders: reads them, calls ``compute``,
  stores the result in ``result`` and redraws ``fig`` (a matplotlib ``Figure`` that is
  updated in place, not a pyplot figure) into the ``image`` widget;
* ``widget`` — the ipywidgets container; the explorer displays as it in Jupyter.

Tests drive an explorer by setting slider values (``ex.beta.value = 0.0``) and reading
``ex.result`` and ``ex.fig``.
"""

from __future__ import annotations

import io
from typing import Any

import ipywidgets as W
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from normcourse import plotting
from normcourse._validate import finite_array, in_interval, positive_int
from normcourse.datasets import Regression
from normcourse.plotting.common import padded_extent
from normcourse.weight_decay import SchemeComparison, compare_schemes, toy_quadratic

__all__ = ["SchemeExplorer"]

# Slider ranges (min, max, step) of SchemeExplorer; a starting value must lie inside.
_BETA_RANGE = (0.0, 0.95, 0.05)
_LAM_RANGE = (0.0, 1.0, 0.05)
_LR_RANGE = (0.02, 0.5, 0.02)


class SchemeExplorer:
    r"""Scheme A (L2 in the loss) against Scheme B (decoupled decay), sliders β, λ = γ, η.

    On the 2-D quadratic of :func:`normcourse.weight_decay.toy_quadratic` (or ``problem``)
    both schemes start from ``theta0`` and run ``steps`` steps of momentum SGD::

        A:  v ← βv + ∇L(θ) + λθ,  θ ← θ − ηv
        B:  v ← βv + ∇L(θ),       θ ← (1 − ηλ)θ − ηv

    The left panel shows the two paths over the loss contours with the points they
    converge to (ridge(λ) for A, ridge((1 − β)λ) for B); the right panel ‖θ_t‖₂.
    With β = 0 the two paths coincide.
    """

    def __init__(
        self,
        problem: Regression | None = None,
        theta0: tuple[float, float] = (-1.5, 2.5),
        steps: int = 300,
        beta: float = 0.9,
        lam: float = 0.5,
        lr: float = 0.1,
    ) -> None:
        if problem is not None and not isinstance(problem, Regression):
            raise ValueError(f"problem must be a datasets.Regression (e.g. toy_quadratic()), "
                             f"got {type(problem).__name__}")
        self.problem = toy_quadratic() if problem is None else problem
        if self.problem.X.ndim != 2 or self.problem.X.shape[1] != 2:
            raise ValueError(f"problem must have 2 parameters (X with 2 columns) for the "
                             f"2-D picture, got X of shape {self.problem.X.shape}")
        # A value outside a slider's range would be clamped silently by ipywidgets.
        beta = in_interval(beta, "beta", *_BETA_RANGE[:2])
        lam = in_interval(lam, "lam", *_LAM_RANGE[:2])
        lr = in_interval(lr, "lr", *_LR_RANGE[:2])
        self.theta0 = finite_array(theta0, "theta0", ndim=1)
        if self.theta0.shape != (self.problem.X.shape[1],):
            raise ValueError(
                f"theta0 must have {self.problem.X.shape[1]} entries, got {self.theta0.size}"
            )
        self.steps = positive_int(steps, "steps")
        style = {"description_width": "initial"}
        common = {"continuous_update": False, "style": style, "readout_format": ".2f"}
        self.beta = W.FloatSlider(value=beta, min=_BETA_RANGE[0], max=_BETA_RANGE[1],
                                  step=_BETA_RANGE[2], description="momentum β", **common)
        self.lam = W.FloatSlider(value=lam, min=_LAM_RANGE[0], max=_LAM_RANGE[1],
                                 step=_LAM_RANGE[2], description="decay λ = γ", **common)
        self.lr = W.FloatSlider(value=lr, min=_LR_RANGE[0], max=_LR_RANGE[1],
                                step=_LR_RANGE[2], description="step η", **common)
        self.fig = Figure(figsize=(9.0, 4.6), layout="constrained")
        FigureCanvasAgg(self.fig)
        self.image = W.Image(format="png")
        self.result: SchemeComparison | None = None
        self.n_updates = 0
        self._window: np.ndarray | None = None  # [[θ₁ lo, θ₂ lo], [θ₁ hi, θ₂ hi]], only grows
        for slider in (self.beta, self.lam, self.lr):
            slider.observe(self.update, names="value")
        self.widget = W.VBox([W.HBox([self.beta, self.lam, self.lr]), self.image])
        self.update()

    def compute(self, beta: float, lam: float, lr: float) -> SchemeComparison:
        """Both schemes on ``problem`` for momentum β, λ = γ and step η (no widget state)."""
        return compare_schemes(self.problem.X, self.problem.y, beta=beta, lam=lam, lr=lr,
                               steps=self.steps, theta0=self.theta0)

    def update(self, change: Any = None) -> SchemeComparison:
        """Slider callback: recompute for the current values, store, redraw; returns it."""
        res = self.compute(self.beta.value, self.lam.value, self.lr.value)
        self.result = res
        self.fig.clear()
        left, right = self.fig.subplots(1, 2, width_ratios=[1.1, 1.0])
        same = "  (A ≡ B)" if res.max_gap < 1e-9 else ""
        plotting.scheme_plot(res, self.problem.X, self.problem.y, ax=left, legend=False,
                             extent=self._grow_window(res),
                             title=f"β = {res.beta:.2f}, λ = γ = {res.lam:.2f}, "
                                   f"η = {res.lr:.2f}{same}")
        plotting.scheme_norm_plot(res, ax=right,
                                  title=f"largest gap ‖θ_t(A) − θ_t(B)‖₂ = {res.max_gap:.3g}")
        handles, labels = left.get_legend_handles_labels()
        self.fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=8,
                        frameon=False)
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", dpi=90)
        self.image.value = buf.getvalue()
        self.n_updates += 1
        return res

    def _grow_window(self, res: SchemeComparison) -> tuple[tuple[float, float], ...]:
        """A plot window that holds this result and every earlier one (the view only
        widens, so moving a slider does not make the picture jump)."""
        pts = [res.theta_a, res.theta_b, res.fixed_a[None], res.fixed_b[None]]
        if self.problem.theta is not None:
            pts.append(np.asarray(self.problem.theta, dtype=float)[None])
        lo, hi = padded_extent(np.vstack(pts), pad=0.08)
        if self._window is None:
            self._window = np.array([lo, hi])
        else:
            self._window = np.array([np.minimum(self._window[0], lo),
                                     np.maximum(self._window[1], hi)])
        (x0, y0), (x1, y1) = self._window
        return (float(x0), float(x1)), (float(y0), float(y1))

    def lines(self) -> dict[str, np.ndarray]:
        """The plotted 2-D paths, read back from the figure: ``{"A": (T+1, 2), "B": ...}``."""
        ax = self.fig.axes[0]
        out = {}
        for line in ax.get_lines():
            label = str(line.get_label())
            if label.startswith(("A:", "B:")):
                out[label[0]] = np.column_stack(line.get_data()).astype(float)
        return out

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)
