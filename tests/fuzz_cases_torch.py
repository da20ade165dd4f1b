"""Fuzz cases (see tests/fuzzlib.py): baseline arguments and their kinds, per public callable.

The torch group: :mod:`normcourse.robustness`, :mod:`normcourse.gan`, :mod:`normcourse.continual`.
Every model is a tiny seeded MLP (widths 3–6) and every data set 12 samples, so a baseline
call takes milliseconds.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from fuzzlib import Arg, Case

from normcourse import continual, gan, robustness

D, H, K, N = 3, 6, 3, 12  # input width, hidden width, classes, samples


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _model() -> torch.nn.Sequential:
    """A seeded 3-6-3 ReLU MLP (one hidden layer), in eval mode."""
    return robustness.mlp([D, H, K], seed=0).eval()


def _nan_model() -> torch.nn.Sequential:
    """The model of :func:`_model` with one NaN weight (the issue's quoted case)."""
    m = _model()
    with torch.no_grad():
        m[0].weight[0, 0] = math.nan
    return m


def _x() -> np.ndarray:
    return _rng(1).standard_normal((N, D))


def _y() -> np.ndarray:
    return _rng(2).integers(0, K, N)


def _W() -> np.ndarray:
    return _rng(3).standard_normal((5, 4))


@dataclass
class _Task:
    """A task for :func:`normcourse.continual.run_sequence`."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    name: str


def _tasks() -> list[_Task]:
    out = []
    for t in range(2):
        r = _rng(10 + t)
        X = r.standard_normal((2 * N, D))
        y = r.integers(0, K, 2 * N)
        out.append(_Task(X[:N], y[:N], X[N:], y[N:], f"task {t}"))
    return out


@functools.cache
def _gan_runs_cached() -> dict:
    return gan.train_gans(["none", "sn"], [0], steps=6, radius=2.0, std=0.1, n_modes=4,
                          batch_size=8, z_dim=2, width=4, record_every=2, snapshots=1,
                          n_samples=20)


def _gan_runs() -> dict:
    """Tiny :func:`normcourse.gan.train_gans` output (6 steps), trained once per worker."""
    return dict(_gan_runs_cached())


def _model_arg() -> Arg:
    return Arg("model", _model, "model")


def _x_arg(name: str = "x") -> Arg:
    return Arg(name, _x, "array")


def _y_arg(of: str = "x") -> Arg:
    return Arg("y", _y, "labels_int", length_of=of)


def _penalty_call(cls: Any) -> Any:
    return lambda lam, model: cls(lam)(model)


# A NaN model is an invalid *baseline*: the harness cannot express it as a mutation, so these
# cases have only fixed arguments and the call passes the NaN model itself; the baseline is
# right only if the call raises a ValueError naming the model.
def _nan(fn: Any) -> Any:
    def call(**kwargs: Any) -> Any:
        try:
            fn(_nan_model(), **kwargs)
        except ValueError as exc:
            if "model" not in str(exc):
                raise AssertionError(f"error does not name the model: {exc}") from exc
            return 0.0
        raise AssertionError("a model with a NaN weight was accepted")
    return call


CASES: list[Case] = []

# ----------------------------------------------------------------------------- robustness
CASES += [
    Case("robustness.PathNormPenalty", robustness.PathNormPenalty, [
        Arg("lam", lambda: 0.1, "nonneg"),
        Arg("include_bias", lambda: True, "bool"),
    ]),
    Case("robustness.PathNormPenalty.__call__", lambda lam, model:
         robustness.PathNormPenalty(lam)(model), [
        Arg("lam", lambda: 0.1, "fixed"),
        _model_arg(),
    ]),
    Case("robustness.SpectralPenalty", robustness.SpectralPenalty, [
        Arg("lam", lambda: 0.1, "nonneg"),
        Arg("n_iter", lambda: 1, "int_pos"),
        Arg("n_iter_init", lambda: 5, "int_pos"),
    ]),
    Case("robustness.SpectralPenalty.__call__", lambda lam, model:
         robustness.SpectralPenalty(lam)(model), [
        Arg("lam", lambda: 0.1, "fixed"),
        _model_arg(),
    ]),
    Case("robustness.SpectralPenalty.value", lambda lam, model:
         robustness.SpectralPenalty(lam).value(model), [
        Arg("lam", lambda: 0.1, "fixed"),
        _model_arg(),
    ]),
    Case("robustness.balance", robustness.balance, [_model_arg()]),
    Case("robustness.certified_accuracy", robustness.certified_accuracy, [
        _model_arg(), _x_arg(), _y_arg(),
        Arg("eps", lambda: 0.01, "nonneg"),
        Arg("lipschitz", lambda: 2.0, "pos", optional=True),
    ]),
    Case("robustness.certified_radius", robustness.certified_radius, [
        _model_arg(), _x_arg(),
        Arg("lipschitz", lambda: 2.0, "pos", optional=True),
    ]),
    Case("robustness.jacobian_norms", robustness.jacobian_norms, [_model_arg(), _x_arg()]),
    Case("robustness.l2_norm", robustness.l2_norm, [_model_arg()]),
    Case("robustness.lipschitz_upper_bound", robustness.lipschitz_upper_bound, [
        _model_arg(),
        Arg("cache", lambda: None, "fixed"),
        Arg("n_iter", lambda: 1000, "int_pos"),
        Arg("tol", lambda: 1e-9, "nonneg"),
    ]),
    Case("robustness.mlp", robustness.mlp, [
        Arg("sizes", lambda: [D, H, K], "fixed"),
        Arg("activation", lambda: torch.nn.ReLU, "fixed"),
        Arg("seed", lambda: 0, "seed"),
    ]),
    Case("robustness.path_norm", robustness.path_norm, [
        _model_arg(), Arg("include_bias", lambda: True, "bool"),
    ]),
    Case("robustness.pgd_attack", robustness.pgd_attack, [
        _model_arg(), _x_arg(), _y_arg(),
        Arg("eps", lambda: 0.1, "nonneg"),
        Arg("steps", lambda: 3, "int_pos"),
        Arg("alpha", lambda: 0.05, "pos", optional=True),
        Arg("seed", lambda: 0, "seed"),
    ]),
    Case("robustness.power_iteration", robustness.power_iteration, [
        Arg("W", _W, "array"),
        Arg("n_iter", lambda: 200, "int_pos"),
        Arg("tol", lambda: 1e-9, "nonneg"),
        # u0 is one vector: an extra axis or an empty vector has the wrong shape, rejected.
        Arg("u0", lambda: None, "fixed"),
        Arg("return_vectors", lambda: False, "bool"),
    ]),
    Case("robustness.power_iteration[u0]", robustness.power_iteration, [
        Arg("W", _W, "fixed"),
        Arg("u0", lambda: _rng(4).standard_normal(4), "array", optional=True),
    ]),
    Case("robustness.rescale", robustness.rescale, [
        _model_arg(),
        Arg("layer", lambda: 0, "int_nonneg"),
        Arg("unit", lambda: 1, "int_nonneg"),
        Arg("alpha", lambda: 2.0, "pos"),
    ]),
    Case("robustness.robust_accuracy", robustness.robust_accuracy, [
        _model_arg(), _x_arg(), _y_arg(),
        Arg("eps", lambda: 0.1, "nonneg"),
        Arg("steps", lambda: 3, "int_pos"),
        Arg("seed", lambda: 0, "seed"),
    ]),
    Case("robustness.spectral_penalty", robustness.spectral_penalty, [
        _model_arg(),
        Arg("lam", lambda: 0.1, "nonneg"),
        Arg("n_iter", lambda: 1, "int_pos"),
        Arg("cache", lambda: None, "fixed"),
        Arg("n_iter_init", lambda: 5, "int_pos"),
    ]),
    Case("robustness.train_classifier", robustness.train_classifier, [
        Arg("model", lambda: robustness.mlp([D, H, K], seed=0), "model"),
        _x_arg("X"), _y_arg("X"),
        Arg("steps", lambda: 2, "int_pos"),
        Arg("optimizer", lambda: None, "fixed"),
        Arg("lr", lambda: 1e-2, "pos"),
        Arg("penalty", lambda: None, "fixed"),
        Arg("batch_size", lambda: 4, "int_pos", optional=True),
        Arg("seed", lambda: 0, "seed"),
        Arg("callback", lambda: None, "callable", optional=True),
    ]),
    Case("robustness.unit_norms", robustness.unit_norms, [
        _model_arg(), Arg("layer", lambda: 0, "int_nonneg"),
    ]),
    Case("robustness.unit_imbalance", robustness.unit_imbalance, [
        _model_arg(), Arg("layer", lambda: 0, "int_nonneg"),
    ]),
    Case("robustness.rescale_layer", robustness.rescale_layer, [
        _model_arg(), Arg("layer", lambda: 0, "int_nonneg"),
        Arg("alphas", lambda: np.linspace(0.5, 2.0, H), "array", length_of="layer"),  # one per unit
    ]),
    Case("robustness.gd_imbalance_trace", robustness.gd_imbalance_trace, [
        _model_arg(), _x_arg("X"), _y_arg("X"),
        Arg("steps", lambda: 4, "int_pos"), Arg("lr", lambda: 0.05, "pos"),
        Arg("weight_decay", lambda: 0.1, "nonneg"),
        Arg("penalty", lambda: robustness.PathNormPenalty(0.01), "callable", optional=True),
        Arg("every", lambda: 2, "int_pos"), Arg("layer", lambda: 0, "int_nonneg"),
    ]),
    Case("robustness.TrackedSpectralPenalty",
         lambda lam, layer, n_iter, n_iter_init, model: _tracked(
             robustness.TrackedSpectralPenalty(lam, layer, n_iter, n_iter_init), model), [
        Arg("lam", lambda: 0.1, "nonneg"),
        Arg("layer", lambda: "2", "choice"),  # a name in model.named_modules()
        Arg("n_iter", lambda: 1, "int_pos"), Arg("n_iter_init", lambda: 5, "int_pos"),
        _model_arg(),
    ]),
]


def _tracked(pen: Any, model: torch.nn.Module) -> tuple:
    """Two calls of a tracked penalty: its values and both logs."""
    return pen(model), pen(model), pen.estimates, pen.exact

# A model with a NaN weight: each function that takes a model must name it.
CASES += [
    Case("robustness.certified_accuracy[nan model]",
         _nan(robustness.certified_accuracy), [
             Arg("x", _x), Arg("y", _y), Arg("eps", lambda: 0.01, "fixed")]),
    Case("robustness.certified_radius[nan model]", _nan(robustness.certified_radius),
         [Arg("x", _x)]),
    Case("robustness.robust_accuracy[nan model]", _nan(robustness.robust_accuracy), [
        Arg("x", _x), Arg("y", _y), Arg("eps", lambda: 0.1), Arg("steps", lambda: 3)]),
    Case("robustness.pgd_attack[nan model]", _nan(robustness.pgd_attack), [
        Arg("x", _x), Arg("y", _y), Arg("eps", lambda: 0.1), Arg("steps", lambda: 3)]),
    Case("robustness.lipschitz_upper_bound[nan model]",
         _nan(robustness.lipschitz_upper_bound), [Arg("tol", lambda: 1e-9, "fixed")]),
    Case("robustness.jacobian_norms[nan model]", _nan(robustness.jacobian_norms), [Arg("x", _x)]),
    Case("robustness.path_norm[nan model]", _nan(robustness.path_norm),
         [Arg("include_bias", lambda: True, "fixed")]),
    Case("robustness.train_classifier[nan model]", _nan(robustness.train_classifier), [
        Arg("X", _x), Arg("y", _y), Arg("steps", lambda: 2, "fixed")]),
    Case("robustness.l2_norm[nan model]", _nan(robustness.l2_norm), []),
    Case("robustness.balance[nan model]", _nan(robustness.balance), []),
    Case("robustness.unit_norms[nan model]", _nan(robustness.unit_norms),
         [Arg("layer", lambda: 0)]),
    Case("robustness.unit_imbalance[nan model]", _nan(robustness.unit_imbalance),
         [Arg("layer", lambda: 0)]),
    Case("robustness.rescale_layer[nan model]", _nan(robustness.rescale_layer),
         [Arg("layer", lambda: 0), Arg("alphas", lambda: np.ones(H))]),
    Case("robustness.gd_imbalance_trace[nan model]", _nan(robustness.gd_imbalance_trace), [
        Arg("X", _x), Arg("y", _y), Arg("steps", lambda: 2), Arg("lr", lambda: 0.05)]),
    Case("robustness.TrackedSpectralPenalty.__call__[nan model]",
         _nan(lambda model: robustness.TrackedSpectralPenalty(0.1, "0")(model)), []),
    Case("robustness.rescale[nan model]", _nan(robustness.rescale),
         [Arg("layer", lambda: 0), Arg("unit", lambda: 0), Arg("alpha", lambda: 2.0)]),
    Case("robustness.spectral_penalty[nan model]", _nan(robustness.spectral_penalty),
         [Arg("lam", lambda: 0.1)]),
    Case("robustness.PathNormPenalty.__call__[nan model]",
         _nan(lambda model: robustness.PathNormPenalty(0.1)(model)), []),
    Case("gan.spectral_normalize[nan model]", _nan(gan.spectral_normalize), []),
    Case("continual.accuracy[nan model]", _nan(continual.accuracy), [Arg("X", _x), Arg("y", _y)]),
    Case("continual.fisher_diagonal[nan model]", _nan(continual.fisher_diagonal), [
        Arg("data", lambda: (_x(), _y()), "fixed"),
        Arg("batch_size", lambda: 4, "fixed")]),
]

# ----------------------------------------------------------------------------- gan
CASES += [
    Case("gan.SpectralNormLinear", gan.SpectralNormLinear, [
        Arg("in_features", lambda: 4, "int_pos"),
        Arg("out_features", lambda: 3, "int_pos"),
        Arg("bias", lambda: True, "bool"),
        Arg("n_iter_init", lambda: 5, "int_pos"),
    ]),
    Case("gan.SpectralNormalization", gan.SpectralNormalization, [
        Arg("weight", lambda: torch.as_tensor(_W()), "array"),
        Arg("n_iter_init", lambda: 5, "int_pos"),
    ]),
    Case("gan.mode_coverage", gan.mode_coverage, [
        Arg("samples", lambda: _rng(5).standard_normal((N, 2)), "array"),
        Arg("centers", lambda: np.array([[0.0, 0.0], [1.0, 1.0]]), "array"),
        Arg("std", lambda: 0.5, "pos"),
        Arg("n_std", lambda: 3.0, "pos"),
        Arg("min_count", lambda: 2, "int_pos"),
    ]),
    Case("gan.spectral_normalize", gan.spectral_normalize, [
        _model_arg(), Arg("n_iter_init", lambda: 5, "int_pos"),
    ]),
    Case("gan.train_gan", gan.train_gan, [
        Arg("variant", lambda: "penalty", "choice"),
        Arg("seed", lambda: 0, "seed"),
        Arg("steps", lambda: 2, "int_pos"),
        Arg("radius", lambda: 2.0, "pos"),
        Arg("std", lambda: 0.1, "pos"),
        Arg("n_modes", lambda: 4, "int_pos"),
        Arg("batch_size", lambda: 8, "int_pos"),
        Arg("z_dim", lambda: 2, "int_pos"),
        Arg("width", lambda: 4, "int_pos"),
        Arg("lr", lambda: 1e-3, "pos"),
        Arg("betas", lambda: (0.5, 0.999), "fixed"),
        # BUG: lam=1e300 (any lam > float32's max ≈ 3.4e38) passes nonneg() and crashes in
        # torch.where(is_pen, lam, 0.0) (gan.py, the batched loop): "RuntimeError: value
        # cannot be converted to type float without overflow", not a ValueError naming lam.
        Arg("lam", lambda: 0.1, "nonneg", skip=("huge",)),
        Arg("record_every", lambda: 1, "int_pos"),
        Arg("snapshots", lambda: 1, "int_pos"),
        Arg("n_samples", lambda: 10, "int_pos"),
        Arg("num_threads", lambda: 1, "int_pos", optional=True),
    ], timeout=40.0),
    Case("gan.train_gans", gan.train_gans, [
        Arg("variants", lambda: ["none", "penalty"], "choice"),  # a str / number / None: rejected
        Arg("seeds", lambda: [0, 1], "model"),  # a str / None / an array: not a list of seeds
        Arg("steps", lambda: 3, "int_pos"),
        Arg("radius", lambda: 2.0, "pos"), Arg("std", lambda: 0.1, "pos"),
        Arg("n_modes", lambda: 4, "int_pos"), Arg("batch_size", lambda: 8, "int_pos"),
        Arg("z_dim", lambda: 2, "int_pos"), Arg("width", lambda: 4, "int_pos"),
        Arg("lr", lambda: 1e-3, "pos"), Arg("betas", lambda: (0.5, 0.999), "fixed"),
        # BUG: lam=1e300 crashes with a RuntimeError, as in gan.train_gan above.
        Arg("lam", lambda: 0.1, "nonneg", skip=("huge",)),
        Arg("record_every", lambda: 1, "int_pos"),
        Arg("snapshots", lambda: 1, "int_pos"), Arg("n_samples", lambda: 10, "int_pos"),
        Arg("num_threads", lambda: 1, "int_pos", optional=True),
    ], timeout=40.0),
    Case("gan.summarize", lambda runs, last, n_std, min_count: gan.summarize(
        runs, last, n_std, min_count), [
        Arg("runs", _gan_runs, "model"),
        Arg("last", lambda: 3, "int_pos"), Arg("n_std", lambda: 3.0, "pos"),
        Arg("min_count", lambda: 2, "int_pos"),
    ]),
]

# ----------------------------------------------------------------------------- continual
CASES += [
    Case("continual.accuracy", continual.accuracy, [_model_arg(), _x_arg("X"), _y_arg("X")]),
    Case("continual.fisher_diagonal", continual.fisher_diagonal, [
        _model_arg(),
        Arg("data", lambda: (_x(), _y()), "fixed"),
        Arg("estimator", lambda: "empirical", "choice"),
        Arg("batch_size", lambda: 4, "int_pos"),
    ]),
    Case("continual.fisher_concentration", continual.fisher_concentration, [
        # any shape: the entries of all the arrays are flattened together
        Arg("fisher", lambda: _rng(6).random((4, 3)), "array", skip=("extra-axis",)),
        Arg("fractions", lambda: np.array([0.1, 0.5, 1.0]), "array"),
    ]),
    Case("continual.fisher_concentration.list", lambda f0, f1: continual.fisher_concentration(
        [f0, f1]), [
        Arg("f0", lambda: _rng(6).random((4, 3)), "array", skip=("extra-axis",)),
        Arg("f1", lambda: torch.as_tensor(_rng(7).random(3)), "array", skip=("extra-axis",)),
    ], names={"f0": ("fisher[0]",), "f1": ("fisher[1]",)},
        accept={(f, "empty"): "one empty array among others (a parameter with no entries) "
                              "adds no entries; the others are still measured"
                for f in ("f0", "f1")}),
    Case("continual.forgetting", continual.forgetting, [
        Arg("accuracy_matrix", lambda: np.array([[0.9, 0.1], [0.5, 0.8]]), "array"),
    ]),
    Case("continual.run_sequence", continual.run_sequence, [
        Arg("method", lambda: "ewc", "choice"),
        Arg("tasks", _tasks, "fixed"),
        Arg("lam", lambda: 1.0, "nonneg"),
        Arg("steps", lambda: 2, "int_pos"),
        Arg("lr", lambda: 1e-2, "pos"),
        Arg("batch_size", lambda: 4, "int_pos"),
        Arg("hidden", lambda: (4,), "fixed"),
        Arg("seed", lambda: 0, "seed"),
        Arg("estimator", lambda: "empirical", "choice"),
        Arg("fisher_batch_size", lambda: 4, "int_pos"),
        Arg("num_threads", lambda: 1, "int_pos", optional=True),
    ], timeout=40.0),
]
