"""Figures used by the book: each function draws on an ``Axes`` and returns it.

Plotting only draws. Whatever a figure shows is computed by the library modules
(``constrained``, ``selection``, ``weight_decay``, ``margin``, …) and either passed in or
obtained by calling their public functions; drawing-side arithmetic (axis limits, contour
grids, tick placement) is the only arithmetic done here.

One module per chapter; every drawing function is re-exported here, so
``from normcourse import plotting; plotting.path_plot(...)`` works:

* :mod:`~normcourse.plotting.paths` — regularization paths, convergence, proximal maps
* :mod:`~normcourse.plotting.capacity` — λ sweeps, ridge shrinkage, the constrained view
* :mod:`~normcourse.plotting.robustness` — decision regions, spectral and path norms
* :mod:`~normcourse.plotting.weight_decay` — Scheme A/B, Adam against AdamW
* :mod:`~normcourse.plotting.margin` — max margin and implicit bias
* :mod:`~normcourse.plotting.applications` — selection, SINDy, GANs, continual learning
* :mod:`~normcourse.plotting.groups` — group sparsity (input norms of a layer)
* :mod:`~normcourse.plotting.common` — shared helpers (axes, log axes, windows)

Matplotlib is imported inside the functions, so importing this package is cheap.
"""

from __future__ import annotations

from normcourse.plotting.applications import (
    accuracy_matrix_plot,
    accuracy_sparsity_plot,
    attractor_plot,
    batch_fisher_plot,
    coefficient_heatmaps,
    gan_diagnostics_plot,
    pr_path_plot,
    samples_grid_plot,
    task_images_plot,
    threshold_sweep_plot,
    tradeoff_plot,
    training_curves_plot,
)
from normcourse.plotting.capacity import (
    bias_variance_plot,
    budget_path_plot,
    constrained_2d_plot,
    dof_plot,
    early_stopping_match_plot,
    prior_penalty_plot,
    ridge_shrinkage_plot,
    shadow_price_plot,
    spectral_filter_plot,
    sweep_plot,
    training_time_plot,
)
from normcourse.plotting.groups import input_norms_plot
from normcourse.plotting.margin import (
    angle_norm_plot,
    direction_margin_plot,
    gd_angle_plot,
    gd_directions_plot,
    gd_norm_plot,
    margin_plot,
)
from normcourse.plotting.paths import (
    coefficient_bars_plot,
    convergence_plot,
    estimates_plot,
    highlight_path_plot,
    leaving_variable_plot,
    path_plot,
    prox_maps_plot,
    shrinkage_plot,
    support_pattern_plot,
)
from normcourse.plotting.robustness import (
    decision_regions_plot,
    imbalance_plot,
    layer_norm_plot,
    network_diagram,
    norm_comparison_plot,
    power_iteration_plot,
    rescaling_plot,
    robustness_curve_plot,
    sigma_tracking_plot,
    unit_balance_plot,
)
from normcourse.plotting.weight_decay import (
    decay_histogram,
    gradient_scale_plot,
    norm_history_plot,
    scheme_grid_plot,
    scheme_norm_plot,
    scheme_plot,
    shrink_plot,
    zero_gradient_plot,
)

__all__ = [
    "accuracy_matrix_plot",
    "accuracy_sparsity_plot",
    "angle_norm_plot",
    "attractor_plot",
    "batch_fisher_plot",
    "bias_variance_plot",
    "budget_path_plot",
    "coefficient_bars_plot",
    "coefficient_heatmaps",
    "constrained_2d_plot",
    "convergence_plot",
    "decay_histogram",
    "decision_regions_plot",
    "direction_margin_plot",
    "dof_plot",
    "early_stopping_match_plot",
    "estimates_plot",
    "gan_diagnostics_plot",
    "gd_angle_plot",
    "gd_directions_plot",
    "gd_norm_plot",
    "gradient_scale_plot",
    "highlight_path_plot",
    "imbalance_plot",
    "input_norms_plot",
    "layer_norm_plot",
    "leaving_variable_plot",
    "margin_plot",
    "network_diagram",
    "norm_comparison_plot",
    "norm_history_plot",
    "path_plot",
    "power_iteration_plot",
    "pr_path_plot",
    "prior_penalty_plot",
    "prox_maps_plot",
    "rescaling_plot",
    "ridge_shrinkage_plot",
    "robustness_curve_plot",
    "samples_grid_plot",
    "scheme_grid_plot",
    "scheme_norm_plot",
    "scheme_plot",
    "shadow_price_plot",
    "shrink_plot",
    "shrinkage_plot",
    "sigma_tracking_plot",
    "spectral_filter_plot",
    "support_pattern_plot",
    "sweep_plot",
    "task_images_plot",
    "threshold_sweep_plot",
    "tradeoff_plot",
    "training_curves_plot",
    "training_time_plot",
    "unit_balance_plot",
    "zero_gradient_plot",
]
