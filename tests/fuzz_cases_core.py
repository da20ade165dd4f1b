"""Fuzz cases (see tests/fuzzlib.py): baseline arguments and their kinds, per public callable.

Group "core": penalties, groups, mcp, model_penalties, datafit, optim.

Decisions shared by many cases:

* the elementwise penalties (L1, L2, elastic net, MCP, soft-thresholding) act on θ of any
  shape, so the "extra-axis" mutation is skipped for them (a (5, 1) θ is as valid as a (5,));
* an **empty** θ is accepted by value / prox / grad / dual_norm: R(∅) = 0, prox(∅) = ∅ and
  the dual norm of an empty vector is 0 (the max over no coordinates) — right, finite
  answers, and the solvers meet empty working sets;
* ``groups.group_norms``, ``group_shrink``, ``group_shrink_torch`` and everything in
  ``datafit`` are documented as unchecked kernels of the solvers' inner loops: their
  arguments are "fixed" (baseline only); ``check_group_input`` checks shapes only, so only
  the shape mutations of its ``w`` apply.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from fuzzlib import Arg, Case

from normcourse import datafit, groups, mcp, model_penalties, optim, penalties

EMPTY_OK = "an empty θ has R = 0 / prox = empty / dual norm 0: a right, finite answer"
ELEMENTWISE = ("extra-axis",)  # elementwise penalties take θ of any shape


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _vec(n: int = 5, seed: int = 0) -> Callable[[], np.ndarray]:
    return lambda: _rng(seed).standard_normal(n)


def _mat(n: int = 4, m: int = 3, seed: int = 0) -> Callable[[], np.ndarray]:
    return lambda: _rng(seed).standard_normal((n, m))


def _linear(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Linear(3, 2)


GROUPS = lambda: [np.array([0, 1]), np.array([2, 3, 4])]  # noqa: E731  (of a length-6 θ)


def _elementwise_cases(cls_name: str, make: Callable[[], penalties.Penalty],
                       grad: bool = False) -> list[Case]:
    """value / prox / dual_norm (and grad) cases of an elementwise penalty."""
    mod = "mcp" if cls_name == "MCP" else "penalties"
    out = [
        Case(f"{mod}.{cls_name}.value", lambda theta: make().value(theta), [
            Arg("theta", _vec(), "array", skip=ELEMENTWISE),
        ], accept={("theta", "empty"): EMPTY_OK}),
        Case(f"{mod}.{cls_name}.prox", lambda w, step: make().prox(w, step), [
            Arg("w", _vec(), "array", skip=ELEMENTWISE),
            Arg("step", lambda: 0.1, "nonneg"),
        ], accept={("w", "empty"): EMPTY_OK}),
    ]
    if mod == "penalties":
        out.append(Case(f"{mod}.{cls_name}.dual_norm", lambda z: make().dual_norm(z), [
            Arg("z", _vec(), "array", skip=ELEMENTWISE),
        ], accept={("z", "empty"): EMPTY_OK}))
    if grad:
        out.append(Case(f"{mod}.{cls_name}.grad", lambda theta: make().grad(theta), [
            Arg("theta", _vec(), "array", skip=ELEMENTWISE),
        ], accept={("theta", "empty"): EMPTY_OK}))
    return out


CASES: list[Case] = []

# ------------------------------------------------------------------------------ penalties
CASES += [
    Case("penalties.soft_threshold", penalties.soft_threshold, [
        Arg("w", _vec(), "array", skip=ELEMENTWISE),
        Arg("tau", lambda: 0.3, "nonneg"),
    ], accept={("w", "empty"): "an empty array thresholds to an empty array"}),
    Case("penalties.group_soft_threshold",
         lambda w, tau, groups: penalties.group_soft_threshold(w, tau, groups), [
             # groups index the first axis: a (6, 1) matrix is as valid as a length-6 vector
             Arg("w", _vec(6), "array", skip=("extra-axis",)),
             Arg("tau", lambda: 0.3, "nonneg"),
             Arg("groups", GROUPS, "index", optional=True),
         ]),
    Case("penalties.L1", lambda lam: penalties.L1(lam), [Arg("lam", lambda: 0.5, "nonneg")]),
    Case("penalties.L2", lambda lam: penalties.L2(lam), [Arg("lam", lambda: 0.5, "nonneg")]),
    Case("penalties.ElasticNet", lambda lam1, lam2: penalties.ElasticNet(lam1, lam2), [
        Arg("lam1", lambda: 0.5, "nonneg"),
        Arg("lam2", lambda: 0.2, "nonneg"),
    ]),
    Case("penalties.ElasticNet.from_sklearn",
         lambda alpha, l1_ratio: penalties.ElasticNet.from_sklearn(alpha, l1_ratio).to_sklearn(), [
             Arg("alpha", lambda: 0.7, "nonneg"),
             Arg("l1_ratio", lambda: 0.4, "unit"),
         ]),
    Case("penalties.ElasticNet.to_sklearn",
         lambda lam1, lam2: penalties.ElasticNet(lam1, lam2).to_sklearn(), [
             Arg("lam1", lambda: 0.5, "nonneg"),
             Arg("lam2", lambda: 0.2, "nonneg"),
         ]),
    Case("penalties.GroupL21",
         lambda lam, groups, weights: penalties.GroupL21(lam, groups, weights).value(np.ones(6)),
         [
             Arg("lam", lambda: 0.5, "nonneg"),
             Arg("groups", GROUPS, "index", optional=True),
             Arg("weights", lambda: np.array([1.0, 2.0]), "array", optional=True,
                 length_of="groups"),
         ]),
    Case("penalties.GroupL21.value", lambda theta: penalties.GroupL21(0.5).value(theta), [
        Arg("theta", _mat(), "array"),
    ], accept={("theta", "empty"): EMPTY_OK}),
    Case("penalties.GroupL21.prox",
         lambda w, step: penalties.GroupL21(0.5, GROUPS()).prox(w, step), [
             # groups index the first axis: a (6, 1) matrix is as valid as a length-6 vector
             Arg("w", _vec(6), "array", skip=("extra-axis",)),
             Arg("step", lambda: 0.1, "nonneg"),
         ]),
    Case("penalties.GroupL21.dual_norm",
         lambda z: penalties.GroupL21(0.5, weights=[1.0, 2.0, 3.0, 4.0]).dual_norm(z), [
             Arg("z", _mat(), "array", length_of="weights"),  # one row per weight
         ]),
    Case("penalties.GroupL21.group_norms",
         lambda theta: penalties.GroupL21(0.5).group_norms(theta), [
             Arg("theta", _mat(), "array"),
         ], accept={("theta", "empty"): "no rows: no group norms (an empty array)"}),
    Case("penalties.Units", lambda kind, n_units: penalties.Units(kind, n_units).n_units, [
        Arg("kind", lambda: "coordinates", "choice"),
        Arg("n_units", lambda: 4, "int_nonneg"),
    ]),
]
CASES += _elementwise_cases("L1", lambda: penalties.L1(0.5))
CASES += _elementwise_cases("L2", lambda: penalties.L2(0.5), grad=True)
CASES += _elementwise_cases("ElasticNet", lambda: penalties.ElasticNet(0.5, 0.2))

# ------------------------------------------------------------------------------ groups
CASES += [
    Case("groups.Groups", lambda groups: groups_summary(groups), [
        Arg("groups", GROUPS, "index"),
    ], accept={("groups", "huge-index"): "a grouping alone does not know θ's length: an "
               "index beyond it is rejected when θ is seen (check_size, check_group_input)"}),
    Case("groups.check_group_input",
         lambda w, grp: groups.check_group_input(w, grp) or 0.0, [
             # shapes only (documented): values are not looked at, and (0, 3) is a valid
             # shape for row groups
             Arg("w", _mat(), "array", skip=("nan", "inf", "-inf", "empty")),
             Arg("grp", lambda: None, "fixed"),
         ]),
    # unchecked kernels (documented in groups.py): baseline only
    Case("groups.group_norms", lambda w, grp: groups.group_norms(w, grp), [
        Arg("w", _vec(6), "fixed"),
        Arg("grp", lambda: groups.Groups(GROUPS()), "fixed"),
    ]),
    Case("groups.group_shrink", lambda w, tau, grp: groups.group_shrink(w, tau, grp), [
        Arg("w", _mat(), "fixed"),
        Arg("tau", lambda: 0.5, "fixed"),
        Arg("grp", lambda: None, "fixed"),
    ]),
    Case("groups.group_shrink_torch",
         lambda w, tau, grp: groups.group_shrink_torch(w, tau, grp), [
             Arg("w", lambda: torch.as_tensor(_rng().standard_normal(6)), "fixed"),
             Arg("tau", lambda: 0.5, "fixed"),
             Arg("grp", lambda: groups.Groups(GROUPS()), "fixed"),
         ]),
    Case("groups.row_groups", lambda d, m: groups.row_groups((d, m)), [
        Arg("d", lambda: 3, "int_pos"), Arg("m", lambda: 4, "int_pos"),
    ], names={"d": ("shape[0]",), "m": ("shape[1]",)}),  # the case splits the pair
    # the pair itself replaced by objects that are not a pair: a string, None, a 3 × 3 array
    Case("groups.row_groups.shape", lambda shape: groups.row_groups(shape), [
        Arg("shape", lambda: (3, 4), "model"),
    ]),
    Case("groups.layer_input_norms", lambda weight: groups.layer_input_norms(weight), [
        Arg("weight", _mat(), "array"),
    ]),
    Case("groups.layer_input_norms.torch",
         lambda weight: groups.layer_input_norms(weight), [
             # a torch Parameter; "array" (a 3 × 3 ones matrix) is itself a valid weight
             Arg("weight", lambda: _linear().weight, "model", skip=("array",)),
         ]),
]


def groups_summary(g: Any) -> tuple[int, int]:
    """(number of groups, largest index) of a validated grouping."""
    grp = groups.Groups(g)
    return grp.n_groups, grp.max_index


# ------------------------------------------------------------------------------ mcp
CASES += [
    Case("mcp.MCP", lambda lam, gamma: mcp.MCP(lam, gamma), [
        Arg("lam", lambda: 0.5, "nonneg"),
        Arg("gamma", lambda: 3.0, "pos"),
    ]),
]
CASES += _elementwise_cases("MCP", lambda: mcp.MCP(0.5, 3.0))

# ------------------------------------------------------------------------------ model penalties


def _anchor() -> torch.Tensor:
    torch.manual_seed(0)
    return torch.randn(5, dtype=torch.float64)


def _params() -> torch.Tensor:
    torch.manual_seed(1)
    return torch.randn(5, dtype=torch.float64)


CASES += [
    Case("model_penalties.L2SP",
         lambda lam, anchor: model_penalties.L2SP(lam, anchor)(np.zeros(np.shape(anchor))), [
             Arg("lam", lambda: 0.5, "nonneg"),
             # a single array/tensor of any shape is a valid anchor
             Arg("anchor", _vec(), "array", skip=("extra-axis",)),
         ]),
    Case("model_penalties.L2SP.value",
         lambda params: model_penalties.L2SP(0.5, _linear(0)).value(params), [
             Arg("params", lambda: _linear(1), "model"),
         ]),
    Case("model_penalties.L2SP.grad",
         lambda params: model_penalties.L2SP(0.5, _anchor()).grad(params), [
             Arg("params", _params, "array"),
         ]),
    Case("model_penalties.L2SP.prox",
         lambda w, step: model_penalties.L2SP(0.5, _anchor()).prox(w, step), [
             Arg("w", _params, "array"),
             Arg("step", lambda: 0.1, "nonneg"),
         ]),
    Case("model_penalties.EWC",
         lambda lam, anchor, fisher: model_penalties.EWC(lam, anchor, fisher)(
             np.zeros(np.shape(anchor))), [
             Arg("lam", lambda: 0.5, "nonneg"),
             Arg("anchor", _vec(), "array"),
             Arg("fisher", lambda: _rng(2).random(5), "array", length_of="anchor"),
         ]),
    Case("model_penalties.EWC.value",
         lambda params: model_penalties.EWC(
             0.5, _linear(0), [torch.ones(2, 3), torch.ones(2)]).value(params), [
             Arg("params", lambda: _linear(1), "model"),
         ]),
    Case("model_penalties.OnParameters",
         lambda penalty, include_bias: model_penalties.OnParameters(
             penalty, include_bias).value(_linear()), [
             Arg("penalty", lambda: penalties.L2(0.1), "callable"),
             Arg("include_bias", lambda: False, "bool"),
         ]),
    Case("model_penalties.OnParameters.value",
         lambda model: model_penalties.OnParameters(penalties.L1(0.1)).value(model), [
             Arg("model", _linear, "model"),
         ]),
    Case("model_penalties.as_model_penalty",
         lambda penalty: model_penalties.as_model_penalty(penalty).value(_linear()), [
             Arg("penalty", lambda: penalties.L2(0.1), "callable"),
         ]),
]

# ------------------------------------------------------------------------------ datafit
# unchecked internal kernels (documented in datafit.py): baseline only.


def _fit_summary(fit: Any) -> tuple[float, np.ndarray, float]:
    theta = np.full(3, 0.1)
    return fit.value(theta), fit.grad(theta), fit.lipschitz()


CASES += [
    Case("datafit.Quadratic", lambda X, Y: _fit_summary(datafit.Quadratic(X, Y)), [
        Arg("X", _mat(10, 3), "fixed"), Arg("Y", _vec(10, 1), "fixed"),
    ]),
    Case("datafit.QuadraticGram",
         lambda X, y: _fit_summary(datafit.QuadraticGram.from_data(X, y)), [
             Arg("X", _mat(10, 3), "fixed"), Arg("y", _vec(10, 1), "fixed"),
         ]),
    Case("datafit.Logistic", lambda X, y: _fit_summary(datafit.Logistic(X, y)), [
        Arg("X", _mat(10, 3), "fixed"),
        Arg("y", lambda: np.where(_rng(1).standard_normal(10) > 0, 1.0, -1.0), "fixed"),
    ]),
    Case("datafit.sq_spectral_norm", datafit.sq_spectral_norm, [Arg("X", _mat(10, 3), "fixed")]),
    Case("datafit.top_eig", lambda G: datafit.top_eig(G), [
        Arg("G", lambda: (lambda A: A.T @ A)(_rng().standard_normal((6, 4))), "fixed"),
    ]),
]

# ------------------------------------------------------------------------------ optim


def _one_step(make: Callable[[list[torch.Tensor]], torch.optim.Optimizer]) -> torch.Tensor:
    """Build the optimizer on one float64 (3, 2) parameter with a fixed gradient; one step."""
    g = torch.Generator().manual_seed(0)
    p = torch.nn.Parameter(torch.randn(3, 2, generator=g, dtype=torch.float64))
    p.grad = torch.randn(3, 2, generator=g, dtype=torch.float64)
    opt = make([p])
    opt.step()
    return p.detach()


BETA_NAMES = {"beta1": ("betas[0]",), "beta2": ("betas[1]",)}  # the case splits the pair

CASES += [
    Case("optim.SGD",
         lambda lr, momentum, weight_decay, decoupled, dampening, nesterov: _one_step(
             lambda ps: optim.SGD(ps, lr=lr, momentum=momentum, weight_decay=weight_decay,
                                  decoupled=decoupled, dampening=dampening,
                                  nesterov=nesterov)), [
             Arg("lr", lambda: 0.1, "nonneg"),
             Arg("momentum", lambda: 0.9, "unit"),
             Arg("weight_decay", lambda: 0.01, "nonneg"),
             Arg("decoupled", lambda: False, "bool"),
             Arg("dampening", lambda: 0.0, "unit"),
             Arg("nesterov", lambda: False, "bool"),
         ]),
    Case("optim.SGDW",
         lambda lr, momentum, weight_decay, nesterov: _one_step(
             lambda ps: optim.SGDW(ps, lr=lr, momentum=momentum, weight_decay=weight_decay,
                                   nesterov=nesterov)), [
             Arg("lr", lambda: 0.1, "nonneg"),
             Arg("momentum", lambda: 0.9, "unit"),
             Arg("weight_decay", lambda: 0.01, "nonneg"),
             Arg("nesterov", lambda: True, "bool"),
         ]),
    Case("optim.Adam",
         lambda lr, beta1, beta2, eps, weight_decay, decoupled, amsgrad: _one_step(
             lambda ps: optim.Adam(ps, lr=lr, betas=(beta1, beta2), eps=eps,
                                   weight_decay=weight_decay, decoupled=decoupled,
                                   amsgrad=amsgrad)), [
             Arg("lr", lambda: 0.01, "nonneg"),
             Arg("beta1", lambda: 0.9, "unit"),
             Arg("beta2", lambda: 0.999, "unit"),
             Arg("eps", lambda: 1e-8, "nonneg"),
             Arg("weight_decay", lambda: 0.01, "nonneg"),
             Arg("decoupled", lambda: False, "bool"),
             Arg("amsgrad", lambda: False, "bool"),
         ], names=BETA_NAMES),
    Case("optim.AdamW",
         lambda lr, beta1, beta2, eps, weight_decay, amsgrad: _one_step(
             lambda ps: optim.AdamW(ps, lr=lr, betas=(beta1, beta2), eps=eps,
                                    weight_decay=weight_decay, amsgrad=amsgrad)), [
             Arg("lr", lambda: 0.01, "nonneg"),
             Arg("beta1", lambda: 0.9, "unit"),
             Arg("beta2", lambda: 0.999, "unit"),
             Arg("eps", lambda: 1e-8, "nonneg"),
             Arg("weight_decay", lambda: 0.01, "nonneg"),
             Arg("amsgrad", lambda: True, "bool"),
         ], names=BETA_NAMES),
    Case("optim.ProxSGD",
         lambda lr, penalty, momentum, transpose: _one_step(
             lambda ps: optim.ProxSGD(ps, lr=lr, penalty=penalty, momentum=momentum,
                                      transpose=transpose)), [
             Arg("lr", lambda: 0.1, "nonneg"),
             Arg("penalty", lambda: penalties.GroupL21(0.1), "callable", optional=True),
             Arg("momentum", lambda: 0.5, "unit"),
             Arg("transpose", lambda: True, "bool"),
         ]),
]
