"""Fuzz cases (see tests/fuzzlib.py): baseline arguments and their kinds, per public callable.

Group "misc": margin, datasets, weight_decay, widgets and plotting. Plotting inputs are
built from tiny library results; a function whose data come inside a mapping is called
through a one-entry mapping so that the inner array can be mutated (its error names the
mapping, e.g. ``curves['a']``, hence the ``names`` aliases).
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np
from fuzzlib import Arg, Case

from normcourse import datasets, margin, plotting, widgets
from normcourse import weight_decay as wd


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


CASES: list[Case] = []

# ------------------------------------------------------------------------------ margin


def _blobs(n: int = 12) -> datasets.SeparableData:
    return datasets.separable_blobs(n_samples=n, n_features=2, distance=4.0, seed=1)


def _X() -> np.ndarray:
    return _blobs().X


def _y() -> np.ndarray:
    return _blobs().y


def _svm0() -> margin.SVMResult:
    return margin.hard_margin_svm(_X(), _y(), fit_intercept=False)


# X * 1e150 is a valid, extreme design; y must match X's rows.
_XY = [Arg("X", _X, "array"), Arg("y", _y, "labels_pm1", length_of="X")]

CASES += [
    Case("margin.angle", margin.angle, [
        Arg("u", lambda: np.array([1.0, 2.0, -0.5]), "array"),
        Arg("v", lambda: np.array([0.5, 1.0, 1.0]), "array", length_of="u"),
    ]),
    Case("margin.hard_margin_svm", margin.hard_margin_svm,
         [*_XY, Arg("fit_intercept", lambda: True, "bool")]),
    Case("margin.linearly_separable", margin.linearly_separable,
         [*_XY, Arg("fit_intercept", lambda: True, "bool")]),
    Case("margin.dispensable_points", margin.dispensable_points,
         [*_XY, Arg("fit_intercept", lambda: True, "bool")]),
    Case("margin.direction_margin", margin.direction_margin, [
        *_XY, Arg("u", lambda: np.array([1.0, 0.3]), "array"),
        Arg("fit_intercept", lambda: True, "bool"),
    ]),
    Case("margin.asymptotic_offset", margin.asymptotic_offset,
         [*_XY, Arg("lr", lambda: 0.5, "pos")]),
    Case("margin.logistic_objective", margin.logistic_objective, [
        *_XY, Arg("theta", lambda: np.array([0.3, -0.2]), "array"),
        Arg("lam", lambda: 0.1, "nonneg"),
    ]),
    Case("margin.logistic_gd", margin.logistic_gd, [
        *_XY, Arg("lr", lambda: 0.5, "pos", optional=True),
        Arg("n_steps", lambda: 5, "int_pos"),
        Arg("lam", lambda: 0.0, "nonneg"),
        Arg("record", lambda: 3, "int_pos"),
        Arg("theta0", lambda: np.array([0.1, 0.0]), "array", optional=True),
        Arg("reference", lambda: np.array([1.0, 1.0]), "array", optional=True),
    ]),
    Case("margin.SVMResult.decision_function",
         lambda X: _svm0().decision_function(X), [Arg("X", _X, "array")],
         accept={("X", "empty"): "no points: an empty array of decision values"}),
]

# ---------------------------------------------------------------------------- datasets

_N = Arg("n_samples", lambda: 20, "int_pos")
_SEED = Arg("seed", lambda: 0, "seed")

CASES += [
    Case("datasets.diabetes", datasets.diabetes, [Arg("center", lambda: True, "bool")]),
    Case("datasets.breast_cancer", datasets.breast_cancer, []),
    Case("datasets.sparse_regression", datasets.sparse_regression, [
        _N, Arg("n_features", lambda: 8, "int_pos"), Arg("n_informative", lambda: 3, "int_pos"),
        Arg("noise", lambda: 0.5, "nonneg"), Arg("rho", lambda: 0.3, "unit"), _SEED,
    ]),
    Case("datasets.correlated_groups", datasets.correlated_groups, [
        _N, Arg("n_groups", lambda: 2, "int_pos"), Arg("group_size", lambda: 2, "int_pos"),
        Arg("n_noise", lambda: 2, "int_nonneg"), Arg("corr", lambda: 0.9, "unit"),
        Arg("coef", lambda: np.array([1.0, -1.0]), "array", skip=("extra-axis",)),
        Arg("noise", lambda: 1.0, "nonneg"), _SEED,
    ]),
    Case("datasets.row_sparse_regression", datasets.row_sparse_regression, [
        _N, Arg("n_features", lambda: 6, "int_pos"), Arg("n_outputs", lambda: 2, "int_pos"),
        Arg("n_informative", lambda: 2, "int_pos"), Arg("noise", lambda: 0.5, "nonneg"), _SEED,
    ]),
    Case("datasets.additive_polynomial", datasets.additive_polynomial, [
        _N, Arg("n_inputs", lambda: 3, "int_pos"), Arg("degree", lambda: 2, "int_pos"),
        Arg("noise", lambda: 0.1, "nonneg"), _SEED,
    ]),
    Case("datasets.two_moons", datasets.two_moons,
         [_N, Arg("noise", lambda: 0.1, "nonneg"), _SEED]),
    Case("datasets.separable_blobs", datasets.separable_blobs, [
        _N, Arg("n_features", lambda: 2, "int_pos"), Arg("distance", lambda: 3.0, "nonneg"),
        Arg("gap", lambda: 0.5, "nonneg"), Arg("intercept", lambda: 0.5, "real"), _SEED,
    ]),
    Case("datasets.expression_study", datasets.expression_study, [
        _N, Arg("n_genes", lambda: 30, "int_pos"), Arg("pathway_size", lambda: (5, 8)),
        Arg("corr", lambda: 0.5, "unit"), Arg("n_causal_pathways", lambda: 2, "int_pos"),
        Arg("n_causal_per_pathway", lambda: 2, "int_pos"), Arg("effect", lambda: (0.5, 1.0)),
        Arg("noise", lambda: 1.0, "nonneg"), _SEED,
    ]),
    Case("datasets.lorenz_rhs", datasets.lorenz_rhs, [
        Arg("X", lambda: _rng().standard_normal((4, 3)), "array", skip=("extra-axis",)),
        Arg("sigma", lambda: 10.0, "real"), Arg("rho", lambda: 28.0, "real"),
        Arg("beta", lambda: 8.0 / 3.0, "real"),
    ]),
    Case("datasets.lorenz", datasets.lorenz, [
        Arg("t_end", lambda: 0.05, "pos"), Arg("dt", lambda: 0.01, "pos"),
        Arg("x0", lambda: np.array([-8.0, 8.0, 27.0]), "array"),
        Arg("sigma", lambda: 10.0, "pos"), Arg("rho", lambda: 28.0, "pos"),
        Arg("beta", lambda: 8.0 / 3.0, "pos"), Arg("noise", lambda: 0.1, "nonneg"), _SEED,
    ]),
    Case("datasets.ring_of_gaussians", datasets.ring_of_gaussians, [
        Arg("n", lambda: 20, "int_pos"), Arg("n_modes", lambda: 4, "int_pos"),
        Arg("radius", lambda: 2.0, "pos"), Arg("std", lambda: 0.05, "nonneg"), _SEED,
    ]),
    Case("datasets.digits", datasets.digits,
         [Arg("test_size", lambda: 0.25, "unit"), _SEED]),
    Case("datasets.permuted_digits", datasets.permuted_digits, [
        Arg("n_tasks", lambda: 2, "int_pos"), Arg("test_size", lambda: 0.3, "unit"), _SEED,
    ]),
]

# ------------------------------------------------------------------------ weight_decay


def _quad() -> datasets.Regression:
    return wd.toy_quadratic()


def _comparison() -> wd.SchemeComparison:
    q = _quad()
    return wd.compare_schemes(q.X, q.y, beta=0.5, lam=0.3, lr=0.2, steps=4)


def _adam() -> Any:
    import torch

    from normcourse import optim

    p = torch.nn.Parameter(torch.tensor([1.0, -2.0], dtype=torch.float64))
    opt = optim.Adam([p], lr=0.01, weight_decay=0.1)
    p.grad = torch.tensor([0.5, 0.1], dtype=torch.float64)
    opt.step()
    return opt


def _adamw_factory(params: list) -> Any:
    from normcourse import optim

    return optim.Adam(params, lr=0.1, weight_decay=0.1, decoupled=True)


def _layernorm_net() -> Any:
    import torch

    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4), torch.nn.ReLU(),
                               torch.nn.Linear(4, 2)).double()


def _scale_run(decoupled: bool = False) -> wd.GradientScaleRun:
    return wd.adam_decay_by_gradient_scale(np.array([0.0, 0.01, 0.1, 1.0]), lam=0.1, lr=1e-3,
                                           steps=50, decoupled=decoupled)


_QXY = [Arg("X", lambda: _quad().X, "array"), Arg("y", lambda: _quad().y, "array",
                                                 length_of="X", skip=("extra-axis",))]

CASES += [
    Case("weight_decay.toy_quadratic", wd.toy_quadratic, [
        Arg("minimiser", lambda: np.array([2.0, 1.0]), "array"),
        Arg("curvatures", lambda: np.array([1.0, 0.1]), "array"),
        Arg("angle", lambda: 30.0, "real"),
    ]),
    Case("weight_decay.least_squares_trajectory", wd.least_squares_trajectory, [
        *_QXY, Arg("lr", lambda: 0.2, "pos"), Arg("momentum", lambda: 0.5, "unit"),
        Arg("weight_decay", lambda: 0.1, "nonneg"), Arg("decoupled", lambda: False, "bool"),
        Arg("steps", lambda: 4, "int_pos"),
        Arg("theta0", lambda: np.array([-1.0, 2.0]), "array", optional=True),
    ]),
    Case("weight_decay.compare_schemes", wd.compare_schemes, [
        *_QXY, Arg("beta", lambda: 0.5, "unit"), Arg("lam", lambda: 0.3, "nonneg"),
        Arg("lr", lambda: 0.2, "pos"), Arg("gamma", lambda: 0.2, "nonneg", optional=True),
        Arg("steps", lambda: 4, "int_pos"),
        Arg("theta0", lambda: np.array([-1.0, 2.0]), "array", optional=True),
    ]),
    Case("weight_decay.momentum_decay_rate", wd.momentum_decay_rate, [
        Arg("lr", lambda: 0.1, "nonneg"), Arg("beta", lambda: 0.9, "unit"),
        Arg("lam", lambda: 0.01, "nonneg"),
    ]),
    Case("weight_decay.zero_gradient_trajectory", wd.zero_gradient_trajectory, [
        Arg("theta0", lambda: np.array([1.0, -0.5]), "array"),
        Arg("steps", lambda: 4, "int_pos"),
        Arg("make_optimizer", lambda: _adamw_factory, "callable"),
    ]),
    Case("weight_decay.adam_effective_decay", wd.adam_effective_decay,
         [Arg("opt", _adam, "model")]),
    Case("weight_decay.train_digits_mlp", wd.train_digits_mlp, [
        Arg("decoupled", lambda: True, "bool"), Arg("lam", lambda: 0.01, "nonneg"),
        Arg("lr", lambda: 1e-3, "pos"), Arg("hidden", lambda: 4, "int_pos"),
        Arg("epochs", lambda: 1, "int_pos"), Arg("batch_size", lambda: 700, "int_pos"), _SEED,
    ], timeout=30.0),
    Case("weight_decay.optimizer_trajectory", wd.optimizer_trajectory, [
        *_QXY, Arg("make_optimizer", lambda: _adamw_factory, "callable"),
        Arg("steps", lambda: 4, "int_pos"),
        Arg("theta0", lambda: np.array([-1.0, 2.0]), "array", optional=True),
    ]),
    Case("weight_decay.adam_decay_by_gradient_scale", wd.adam_decay_by_gradient_scale, [
        Arg("scales", lambda: np.array([0.0, 0.01, 0.1, 1.0]), "array"),
        Arg("lam", lambda: 0.1, "nonneg"), Arg("lr", lambda: 1e-3, "pos"),
        Arg("steps", lambda: 50, "int_pos"), Arg("theta0", lambda: 1.0, "pos"),
        Arg("decoupled", lambda: False, "bool"),
    ]),
    Case("weight_decay.decay_param_groups", wd.decay_param_groups, [
        Arg("model", _layernorm_net, "model"), Arg("weight_decay", lambda: 0.01, "nonneg"),
    ]),
    Case("weight_decay.train_digits_layernorm", wd.train_digits_layernorm, [
        Arg("lam", lambda: 0.01, "nonneg"), Arg("decay", lambda: "weights", "choice"),
        Arg("lr", lambda: 1e-2, "pos"), Arg("hidden", lambda: 4, "int_pos"),
        Arg("epochs", lambda: 1, "int_pos"), Arg("batch_size", lambda: 700, "int_pos"), _SEED,
    ], timeout=30.0),
    Case("weight_decay.scheme_grid_results", wd.scheme_grid_results, [
        Arg("compute", lambda: None, optional=True),
        Arg("betas", lambda: np.array([0.0, 0.5]), "array"),
        Arg("lams", lambda: np.array([0.1]), "array"),
        Arg("lr", lambda: 0.2, "pos"), *_QXY, Arg("steps", lambda: 3, "int_pos"),
    ]),
]

# ----------------------------------------------------------------------------- widgets

CASES += [
    Case("widgets.SchemeExplorer", widgets.SchemeExplorer, [
        Arg("theta0", lambda: np.array([-1.5, 2.5]), "array"),
        Arg("steps", lambda: 3, "int_pos"), Arg("beta", lambda: 0.5, "unit"),
        Arg("lam", lambda: 0.5, "unit"), Arg("lr", lambda: 0.1, "pos"),
    ], timeout=30.0),
]

# ---------------------------------------------------------------------------- plotting


def _lams() -> np.ndarray:
    return np.array([1.0, 0.3, 0.1, 0.03])


def _path() -> np.ndarray:
    return np.array([[0.0, 0.0, 0.0], [0.2, 0.0, 0.0], [0.5, -0.1, 0.0], [0.7, -0.3, 0.1]])


def _dia() -> tuple[np.ndarray, np.ndarray]:
    d = datasets.sparse_regression(n_samples=20, n_features=4, n_informative=2, seed=0)
    return d.X, d.y


def _sweep() -> Any:
    from normcourse import diagnostics

    X, y = _dia()
    return diagnostics.lambda_sweep(diagnostics.ridge_fit, X[:14], y[:14], X[14:], y[14:],
                                    np.array([0.01, 0.1, 1.0]))


def _diagnosis() -> Any:
    from normcourse import diagnostics

    return diagnostics.diagnose_fit(_sweep())


def _curve() -> Any:
    from normcourse import constrained

    X, y = _dia()
    return constrained.value_curve(X, y, np.array([0.5, 1.0, 2.0, 4.0]))


def _at() -> Any:
    from normcourse import constrained

    X, y = _dia()
    return constrained.norm_constrained_lstsq(X, y, 1.0)


def _mlp() -> Any:
    import torch

    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(),
                               torch.nn.Linear(3, 2)).double()


def _metrics() -> Any:
    from normcourse import selection

    return selection.path_support_metrics(_path(), np.array([True, True, False]))


def _tsweep() -> Any:
    from normcourse import sindy

    return sindy.ThresholdSweep(thresholds=np.array([0.01, 0.1, 1.0]),
                                spurious=np.array([2, 0, 0]), missed=np.array([0, 0, 1]),
                                rel_error=np.array([0.1, 0.01, 0.5]))


def _bias_variance() -> Any:
    from normcourse import diagnostics

    X, _ = _dia()
    return diagnostics.ridge_bias_variance(X, np.array([1.0, -1.0, 0.5, 0.0]), 0.5,
                                           np.geomspace(1e-3, 10.0, 5))


def _radii() -> np.ndarray:
    return np.array([0.5, 1.0, 2.0, 3.0])


def _budget_path() -> np.ndarray:
    from normcourse import constrained

    X, y = _dia()
    return np.array([constrained.l1_constrained_lstsq(X, y, r).theta for r in _radii()])


def _training_curve() -> Any:
    from normcourse import early_stopping

    X, y = _dia()
    lr = 1.0 / (np.linalg.norm(X, 2) ** 2 / 14)
    return early_stopping.gd_curves(X[:14], y[:14], X[14:], y[14:], 0.0, lr, 200)


def _leave_lams() -> np.ndarray:
    return np.geomspace(1.0, 0.01, 8)


def _leave_path() -> np.ndarray:
    """Variable 1 is exactly 0 at rows 3–4 (λ ≈ 0.14 and 0.07) and nonzero around them."""
    t = np.linspace(0.0, 1.0, 8)
    c1 = np.where((t > 0.3) & (t < 0.6), 0.0, 0.3 * np.sin(6 * t))
    return np.column_stack([t, c1, 0.5 * t ** 2])


def _traj() -> np.ndarray:
    return wd.zero_gradient_trajectory(np.array([1.0, 0.5]), 4, _adamw_factory)


_BX = Arg("X", _X, "array")
_BY = Arg("y", _y, "labels_pm1", length_of="X")
_THETA2 = Arg("theta", lambda: np.array([1.0, 0.5]), "array")


def _steps() -> np.ndarray:
    return np.array([1.0, 3.0, 10.0, 30.0, 100.0])


def _inner(name: str) -> dict[str, tuple[str, ...]]:
    return {name: ("curves", "matrices", "trajectories", "decays", "histories", "grid",
                   "norms", "certified", "pairs", "directions", "sweeps")}


P = plotting
CASES += [
    # paths
    Case("plotting.path_plot", P.path_plot, [
        Arg("lams", _lams, "array"), Arg("coefs", _path, "array", length_of="lams"),
    ]),
    Case("plotting.convergence_plot", lambda values: P.convergence_plot({"ista": values}), [
        Arg("values", lambda: np.array([1.0, 0.5, 0.2, 0.1]), "array",
            skip=("empty",)),  # an empty curve is simply not drawn
    ], names=_inner("values")),
    Case("plotting.shrinkage_plot", P.shrinkage_plot, [Arg("tau", lambda: 1.0, "pos")]),
    Case("plotting.highlight_path_plot", P.highlight_path_plot, [
        Arg("lams", _lams, "array"), Arg("values", _path, "array", length_of="lams"),
        Arg("highlight", lambda: np.array([0, 2])), Arg("hline", lambda: 0.2),
    ]),
    Case("plotting.support_pattern_plot", lambda M: P.support_pattern_plot({"W": M}),
         [Arg("M", lambda: _path(), "array")], names=_inner("M")),
    Case("plotting.prox_maps_plot", lambda w, u: P.prox_maps_plot(w, {"soft": u}), [
        Arg("w", lambda: np.linspace(-2.0, 2.0, 5), "array"),
        Arg("u", lambda: np.array([-1.0, 0.0, 0.0, 0.0, 1.0]), "array", length_of="w"),
    ], names={"u": ("maps",)}),
    Case("plotting.estimates_plot", lambda truth, e, labels: P.estimates_plot(
        truth, {"ridge": e}, labels), [
        Arg("truth", lambda: np.array([1.0, -0.5, 0.0]), "array"),
        Arg("e", lambda: np.array([0.8, -0.3, 0.1]), "array", length_of="truth"),
        Arg("labels", lambda: ["a", "b", "c"], optional=True),
    ], names={"e": ("estimates",)}),
    Case("plotting.coefficient_bars_plot", lambda c, labels: P.coefficient_bars_plot(
        {"lasso": c}, labels), [
        Arg("c", lambda: np.array([1.0, -0.5, 0.0]), "array"),
        Arg("labels", lambda: ["a", "b", "c"], optional=True),
    ], names={"c": ("coefs",)}),
    Case("plotting.leaving_variable_plot", lambda lams, coefs, variable, out0, out1:
         P.leaving_variable_plot(lams, coefs, variable, (out0, out1)), [
        # huge: λ's 1e150 times larger leave no λ near out, and the (right) error names out
        Arg("lams", _leave_lams, "array", skip=("huge",)),
        Arg("coefs", _leave_path, "array", length_of="lams"),
        Arg("variable", lambda: 1, "int_nonneg"),
        Arg("out0", lambda: 0.14, "pos"),
        Arg("out1", lambda: 0.07, "pos"),
    ], names={"out0": ("out[0]", "out="), "out1": ("out[1]", "out=")}),  # split pair
    # capacity
    Case("plotting.sweep_plot", P.sweep_plot, [
        Arg("sweep", _sweep, "model"), Arg("diagnosis", _diagnosis, "model", optional=True),
        Arg("logy", lambda: False), ]),
    Case("plotting.ridge_shrinkage_plot", P.ridge_shrinkage_plot, [
        Arg("X", lambda: _dia()[0], "array"), Arg("lams", _lams, "array"),
        Arg("mark", lambda: 0.1, "pos", optional=True), Arg("max_curves", lambda: 3, "int_pos"),
    ]),
    Case("plotting.dof_plot", P.dof_plot, [
        Arg("X", lambda: _dia()[0], "array"), Arg("lams", _lams, "array"),
        Arg("mark", lambda: 0.1, "pos", optional=True),
    ]),
    Case("plotting.constrained_2d_plot", P.constrained_2d_plot, [
        Arg("X", lambda: _dia()[0][:, :2], "array"),
        Arg("y", lambda: _dia()[1], "array", length_of="X", skip=("extra-axis",)),
        Arg("C", lambda: 0.5, "pos"), Arg("ball", lambda: "l2", "choice"),
    ]),
    Case("plotting.constrained_2d_plot.l1",
         lambda X, y, C: P.constrained_2d_plot(X, y, C, ball="l1"), [
             Arg("X", lambda: _dia()[0][:, :2], "array"),
             Arg("y", lambda: _dia()[1], "array", length_of="X", skip=("extra-axis",)),
             Arg("C", lambda: 0.5, "pos"),
         ]),
    Case("plotting.bias_variance_plot", lambda bv, mb, mv: P.bias_variance_plot(
        bv, monte_carlo=(mb, mv)), [
        Arg("bv", _bias_variance, "model"),
        Arg("mb", lambda: _bias_variance().bias2 * 1.05, "array"),
        Arg("mv", lambda: _bias_variance().variance * 0.95, "array", length_of="mb"),
    ], names={"mb": ("monte_carlo[0]", "monte_carlo"),
              "mv": ("monte_carlo[1]", "monte_carlo")}),  # the case splits the pair
    Case("plotting.budget_path_plot", lambda radii, B: P.budget_path_plot(
        radii, {"ℓ1 ball": B}), [
        Arg("radii", _radii, "array"),
        Arg("B", lambda: _budget_path(), "array", length_of="radii"),
    ], names={"B": ("paths",)}),
    Case("plotting.training_time_plot", lambda curve: P.training_time_plot({"GD": curve}),
         [Arg("curve", _training_curve, "model")], names={"curve": ("curves",)}),
    Case("plotting.spectral_filter_plot", lambda d, gd, rg: P.spectral_filter_plot(
        d, {"t = 10": (gd, rg)}), [
        Arg("d", lambda: np.array([2.0, 1.0, 0.5, 0.1]), "array"),
        Arg("gd", lambda: np.array([0.9, 0.7, 0.4, 0.1]), "array", length_of="d"),
        Arg("rg", lambda: np.array([0.95, 0.9, 0.8, 0.5]), "array", length_of="d"),
    ], names={"gd": ("pairs",), "rg": ("pairs",)}),
    Case("plotting.early_stopping_match_plot", P.early_stopping_match_plot, [
        Arg("curve", _training_curve, "model"), Arg("sweep", _sweep, "model"),
        Arg("lr", lambda: 0.2, "pos"),
    ]),
    Case("plotting.prior_penalty_plot", lambda theta, dens, pen, mark: P.prior_penalty_plot(
        theta, {"Gauss": dens}, {"Gauss": pen}, markers={"Gauss": mark}), [
        Arg("theta", lambda: np.linspace(-2.0, 2.0, 5), "array"),
        Arg("dens", lambda: np.exp(-np.linspace(-2.0, 2.0, 5) ** 2 / 2), "array",
            length_of="theta"),
        Arg("pen", lambda: np.linspace(-2.0, 2.0, 5) ** 2 / 2, "array", length_of="theta"),
        Arg("mark", lambda: np.linspace(-2.0, 2.0, 5) ** 2 / 2, "array", length_of="theta"),
    ], names={"dens": ("densities",), "pen": ("penalties",), "mark": ("markers",)}),
    Case("plotting.shadow_price_plot", P.shadow_price_plot,
         [Arg("curve", _curve, "model"), Arg("at", _at, "model")]),
    # robustness
    Case("plotting.decision_regions_plot", P.decision_regions_plot, [
        Arg("model", _mlp, "model"), Arg("X", lambda: _rng().standard_normal((6, 2)), "array"),
        Arg("y", lambda: np.array([0, 1, 0, 1, 1, 0]), "labels_int", length_of="X"),
        Arg("radii", lambda: np.full(6, 0.1), "array", optional=True, length_of="X"),
        Arg("max_circles", lambda: 3, "int_pos"), Arg("grid", lambda: 20, "int_pos"),
        Arg("padding", lambda: 0.4, "nonneg"),
    ]),
    Case("plotting.robustness_curve_plot", P.robustness_curve_plot, [
        Arg("eps", lambda: np.array([0.0, 0.1, 0.2]), "array"),
        Arg("certified", lambda: {"m": np.array([0.9, 0.6, 0.2])}),
        Arg("empirical", lambda: {"m": np.array([0.9, 0.8, 0.5])}, optional=True),
    ]),
    Case("plotting.layer_norm_plot", lambda s: P.layer_norm_plot({"net": s}),
         [Arg("s", lambda: np.array([1.5, 0.7]), "array")], names=_inner("s")),
    Case("plotting.rescaling_plot", P.rescaling_plot, [
        Arg("alphas", lambda: np.array([0.5, 1.0, 2.0]), "array"),
        Arg("l2", lambda: np.array([3.0, 2.0, 3.0]), "array", length_of="alphas"),
        Arg("path", lambda: np.array([1.0, 1.0, 1.0]), "array", length_of="alphas"),
        Arg("alpha_star", lambda: 1.0, "pos", optional=True),
    ]),
    Case("plotting.network_diagram", P.network_diagram, [
        Arg("model", _mlp, "model"), Arg("scale", lambda: 1.0, "pos", optional=True),
        Arg("labels", lambda: True, "bool"),
    ]),
    Case("plotting.input_norms_plot", lambda a, true_inputs: P.input_norms_plot(
        {"group lasso": a}, true_inputs), [
        Arg("a", lambda: np.array([1.2, 0.0, 0.7, 0.0]), "array"),
        Arg("true_inputs", lambda: np.array([0, 2]), "labels_int", optional=True),
    ], names={"a": ("norms",)},
        accept={("true_inputs", "empty"): "no true inputs: every bar grey (documented "
                                          "default None means the same)"}),
    Case("plotting.imbalance_plot", lambda steps, tr, g: P.imbalance_plot(
        steps, {"GD": tr}, guide=("e^(-2λt)", g)), [
        Arg("steps", lambda: np.array([0.0, 10.0, 20.0, 30.0]), "array"),
        Arg("tr", lambda: np.array([1.0, 0.5, 0.25, 0.12]), "array", length_of="steps"),
        Arg("g", lambda: np.array([1.0, 0.45, 0.2, 0.09]), "array", length_of="steps"),
    ], names={"tr": ("traces",), "g": ("guide",)}),
    Case("plotting.norm_comparison_plot", lambda a, b: P.norm_comparison_plot(
        {"net": {"φ₂": a, "‖θ‖₂": b}, "rescaled": {"φ₂": a, "‖θ‖₂": 2.0}}), [
        Arg("a", lambda: 1.5, "nonneg"), Arg("b", lambda: 3.0, "nonneg"),
    ], names={"a": ("values",), "b": ("values",)}),
    Case("plotting.power_iteration_plot", lambda e, rate, ref: P.power_iteration_plot(
        {"cold start": e}, rate, ref), [
        Arg("e", lambda: np.array([0.5, 0.1, 0.02, 4e-3, 8e-4]), "array"),
        Arg("rate", lambda: 0.2, "pos", optional=True),
        Arg("ref", lambda: 2, "int_pos"),
    ], names={"e": ("errors",)}),
    Case("plotting.sigma_tracking_plot", P.sigma_tracking_plot, [
        Arg("exact", lambda: np.array([1.0, 1.1, 1.2, 1.25]), "array"),
        Arg("estimate", lambda: np.array([0.9, 1.05, 1.15, 1.22]), "array",
            length_of="exact"),
    ]),
    Case("plotting.unit_balance_plot", lambda a, c: P.unit_balance_plot({"net": (a, c)}), [
        Arg("a", lambda: np.array([1.0, 2.0, 0.5]), "array"),
        Arg("c", lambda: np.array([1.0, 0.5, 2.0]), "array", length_of="a"),
    ], names={**_inner("a"), **_inner("c")}),
    # weight decay
    Case("plotting.scheme_plot", P.scheme_plot, [
        Arg("result", _comparison, "model"),
        Arg("X", lambda: _quad().X, "array", optional=True),
        Arg("y", lambda: _quad().y, "array", optional=True, length_of="X",
            skip=("extra-axis",)),
    ]),
    Case("plotting.scheme_norm_plot", P.scheme_norm_plot, [Arg("result", _comparison, "model")]),
    Case("plotting.scheme_grid_plot", P.scheme_grid_plot, [
        Arg("results", lambda: [[_comparison()]]),
        Arg("panel_size", lambda: 2.0, "pos"),
    ]),
    Case("plotting.zero_gradient_plot", lambda T: P.zero_gradient_plot({"AdamW": T}),
         [Arg("T", _traj, "array")], names=_inner("T")),
    Case("plotting.decay_histogram", lambda d, constant, bins:
         P.decay_histogram({"W1": d}, constant=constant, bins=bins), [
        Arg("d", lambda: np.array([1e-4, 3e-4, 1e-3]), "array"),
        Arg("constant", lambda: 1e-3, "pos", optional=True),
        Arg("bins", lambda: 5, "int_pos"),
    ], names=_inner("d"), accept={
        ("d", "nan"): "documented: non-finite decays (unstepped Adam state) are dropped",
        ("d", "inf"): "documented: non-finite and non-positive decays are dropped",
        ("d", "-inf"): "documented: non-finite and non-positive decays are dropped",
        ("d", "extra-axis"): "documented: decays of any shape (a weight matrix) are raveled",
    }),
    Case("plotting.gradient_scale_plot", lambda run, run_w: P.gradient_scale_plot(
        {"Adam + L2": run, "AdamW": run_w}), [
        Arg("run", _scale_run, "model"), Arg("run_w", lambda: _scale_run(True), "model"),
    ], names={"run": ("runs",), "run_w": ("runs",)}),
    Case("plotting.norm_history_plot", lambda H: P.norm_history_plot({"run": H}),
         [Arg("H", lambda: np.array([[1.0, 2.0], [1.2, 1.8], [1.3, 1.7]]), "array")],
         names=_inner("H")),
    Case("plotting.shrink_plot", lambda c, g: P.shrink_plot({"AdamW": c}, {"ηλ": g}), [
        Arg("c", lambda: _traj()[:, 0], "array"), Arg("g", lambda: 0.01, "real"),
    ], names={**_inner("c"), "g": ("guides",)}),
    # margin
    Case("plotting.margin_plot", P.margin_plot, [
        _BX, _BY, _THETA2, Arg("b", lambda: 0.1, "real"),
        Arg("support", lambda: np.array([0, 1])),
    ]),
    Case("plotting.direction_margin_plot", P.direction_margin_plot, [
        _BX, _BY, _THETA2, Arg("fit_intercept", lambda: True, "bool"),
        Arg("n_angles", lambda: 11, "int_pos"),
    ]),
    Case("plotting.gd_norm_plot", P.gd_norm_plot, [
        Arg("steps", _steps, "array"),
        Arg("norms", lambda: np.array([0.5, 1.0, 1.5, 2.0, 2.5]), "array", length_of="steps"),
    ]),
    Case("plotting.gd_angle_plot", P.gd_angle_plot, [
        Arg("steps", _steps, "array"),
        Arg("angles", lambda: np.array([0.5, 0.4, 0.3, 0.2, 0.15]), "array",
            length_of="steps"),
    ], accept={("angles", "nan"): "documented: GDTrace.angles is NaN where θ_t = 0; "
                                  "those points are not drawn"}),
    Case("plotting.gd_directions_plot", lambda X, y, th, reference:
         P.gd_directions_plot(X, y, {"t = 10": th}, reference), [
        _BX, _BY, Arg("th", lambda: np.array([1.0, 0.2]), "array"),
        Arg("reference", lambda: np.array([1.0, 0.5]), "array"),
    ], names=_inner("th")),
    Case("plotting.angle_norm_plot", lambda nrm, ang: P.angle_norm_plot({"GD": (nrm, ang)}), [
        Arg("nrm", lambda: np.array([1.0, 2.0, 4.0]), "array"),
        Arg("ang", lambda: np.array([0.3, 0.2, 0.1]), "array", length_of="nrm"),
    ], names={**_inner("nrm"), **_inner("ang")}),
    # applications
    Case("plotting.pr_path_plot", P.pr_path_plot, [
        Arg("curves", lambda: {"lasso": _metrics()}),
        Arg("marks", lambda: {"lasso": 2}, optional=True),
    ]),
    Case("plotting.accuracy_sparsity_plot", P.accuracy_sparsity_plot, [
        Arg("n_selected", lambda: np.array([0.0, 1.0, 2.0, 3.0]), "array"),
        Arg("accuracy", lambda: np.array([0.5, 0.7, 0.8, 0.8]), "array", length_of="n_selected"),
        Arg("train_accuracy", lambda: np.array([0.5, 0.8, 0.9, 1.0]), "array", optional=True,
            length_of="n_selected"),
    ]),
    Case("plotting.coefficient_heatmaps", lambda M: P.coefficient_heatmaps(
        {"true": M}, ["1", "x"], ["x", "y"]),
        [Arg("M", lambda: np.array([[0.0, 1.0], [-2.0, 0.5]]), "array")], names=_inner("M")),
    Case("plotting.threshold_sweep_plot", P.threshold_sweep_plot, [
        Arg("sweeps", lambda: {"σ = 0": _tsweep()}),
        Arg("smallest", lambda: 0.5, "pos", optional=True),
    ]),
    Case("plotting.attractor_plot", P.attractor_plot,
         [Arg("X", lambda: _rng().standard_normal((6, 3)), "array")]),
    Case("plotting.samples_grid_plot", lambda S, centers, std, panel_size: P.samples_grid_plot(
        {"GAN": {"step 1": S}}, centers=centers, std=std, panel_size=panel_size), [
        Arg("S", lambda: _rng().standard_normal((10, 2)), "array"),
        Arg("centers", lambda: np.array([[1.0, 0.0], [0.0, 1.0]]), "array", optional=True),
        Arg("std", lambda: 0.05, "pos", optional=True),
        Arg("panel_size", lambda: 1.5, "pos"),
    ], names=_inner("S")),
    Case("plotting.training_curves_plot", lambda x, y, smooth: P.training_curves_plot(
        {"loss": [(x, y)]}, smooth=smooth), [
        Arg("x", lambda: np.arange(6.0), "array"),
        Arg("y", lambda: np.array([3.0, 2.0, 1.5, 1.2, 1.1, 1.0]), "array", length_of="x"),
        Arg("smooth", lambda: 2, "int_pos"),
    ], names={**_inner("x"), **_inner("y")}),
    Case("plotting.gan_diagnostics_plot", lambda steps, lip, d_loss, smooth:
         P.gan_diagnostics_plot({"SN": [types.SimpleNamespace(
             record_steps=steps, lipschitz=lip, d_loss=d_loss)]}, smooth=smooth), [
        Arg("steps", lambda: np.array([0.0, 1.0, 2.0, 3.0]), "array"),
        Arg("lip", lambda: np.array([1.0, 1.2, 1.1, 1.05]), "array", length_of="steps"),
        Arg("d_loss", lambda: np.array([1.4, 1.3, 1.35, 1.38, 1.39, 1.37]), "array"),
        Arg("smooth", lambda: 2, "int_pos"),
    ], names={**_inner("steps"), **_inner("lip"), **_inner("d_loss")}),
    Case("plotting.task_images_plot", lambda X, index, panel_size: P.task_images_plot(
        [types.SimpleNamespace(X_train=X, y_train=np.zeros(3), name="task")],
        index=index, panel_size=panel_size), [
        Arg("X", lambda: _rng().random((3, 16)), "array"),
        Arg("index", lambda: 0, "int_nonneg"),
        Arg("panel_size", lambda: 1.5, "pos"),
    ], names=_inner("X")),
    Case("plotting.batch_fisher_plot", lambda b, r: P.batch_fisher_plot(b, r), [
        Arg("b", lambda: np.array([1.0, 4.0, 16.0]), "array"),
        Arg("r", lambda: np.array([1.0, 0.3, 0.07]), "array", length_of="b"),
    ], names={"b": "batch_sizes", "r": "ratio"}),
    Case("plotting.accuracy_matrix_plot", lambda M: P.accuracy_matrix_plot({"EWC": M}),
         [Arg("M", lambda: np.array([[0.9, 0.1], [0.7, 0.95]]), "array")], names=_inner("M")),
    Case("plotting.tradeoff_plot", lambda new, old, lams: P.tradeoff_plot(
        {"EWC": (new, old, lams)}), [
        Arg("new", lambda: np.array([0.9, 0.8]), "array"),
        Arg("old", lambda: np.array([0.3, 0.6]), "array", length_of="new"),
        Arg("lams", lambda: np.array([1.0, 10.0]), "array", length_of="new"),
    ], names={**_inner("new"), **_inner("old"), **_inner("lams")}),
]
