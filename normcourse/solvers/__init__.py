r"""Solvers for f(θ) + R(θ): proximal gradient (ISTA / FISTA) and regularization paths.

Module map:

* :mod:`normcourse.solvers.proxgrad` — the ISTA/FISTA loop, :func:`prox_grad` and its
  named cases (:func:`lasso`, :func:`elastic_net`, :func:`group_lasso`), the duality gap;
* :mod:`normcourse.solvers.cd` — cyclic coordinate descent for the lasso and the elastic
  net (the solver of scikit-learn and glmnet), the subgradient method, :func:`iterations_to`;
* :mod:`normcourse.solvers.paths` — warm-started paths of any penalty (:func:`path`) and
  the named ones (:func:`lasso_path`, :func:`enet_path`, :func:`group_lasso_path`);
* :mod:`normcourse.solvers.results` — :class:`SolverResult`, :class:`PathResult` and
  their base :class:`Result`;
* the data terms are :mod:`normcourse.datafit`; the closed-form ridge is
  :func:`normcourse.constrained.ridge`; STLSQ lives beside SINDy
  (:func:`normcourse.sindy.stlsq`, also reachable here as ``solvers.stlsq``).
"""

from __future__ import annotations

from typing import Any

from normcourse.solvers.cd import (
    cd_elastic_net,
    cd_lasso,
    coordinate_descent,
    iterations_to,
    subgradient_method,
)
from normcourse.solvers.paths import enet_path, group_lasso_path, lambda_max, lasso_path, path
from normcourse.solvers.proxgrad import (
    duality_gap,
    elastic_net,
    group_lasso,
    lasso,
    prox_grad,
    run_prox_grad,
)
from normcourse.solvers.results import ConvergenceWarning, PathResult, Result, SolverResult

__all__ = [
    "ConvergenceWarning",
    "PathResult",
    "Result",
    "STLSQResult",
    "SolverResult",
    "cd_elastic_net",
    "cd_lasso",
    "coordinate_descent",
    "duality_gap",
    "elastic_net",
    "enet_path",
    "group_lasso",
    "group_lasso_path",
    "iterations_to",
    "lambda_max",
    "lasso",
    "lasso_path",
    "path",
    "prox_grad",
    "run_prox_grad",
    "stlsq",
    "subgradient_method",
]


def __getattr__(name: str) -> Any:
    """``solvers.stlsq`` / ``solvers.STLSQResult`` resolve to :mod:`normcourse.sindy`."""
    if name in ("stlsq", "STLSQResult"):
        from normcourse import sindy

        return getattr(sindy, name)
    raise AttributeError(f"module 'normcourse.solvers' has no attribute {name!r}")
