"""Fuzz cases (see tests/fuzzlib.py): baseline arguments and their kinds, per public callable.

Group "solvers": normcourse.solvers, constrained, selection, diagnostics, early_stopping
and sindy. The data
are small and seeded (20 × 5 designs, paths of 5 λ's) so that every baseline is fast.
"""

from __future__ import annotations

import warnings

import numpy as np
from fuzzlib import Arg, Case

from normcourse import constrained, diagnostics, early_stopping, selection, sindy, solvers
from normcourse.penalties import L1, ElasticNet


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _X(n: int = 20, p: int = 5, seed: int = 0) -> np.ndarray:
    return _rng(seed).standard_normal((n, p))


_BETA = np.array([1.5, -2.0, 0.0, 0.0, 1.0])


def _y(n: int = 20, seed: int = 0) -> np.ndarray:
    return _X(n, seed=seed) @ _BETA + 0.3 * _rng(seed + 1).standard_normal(n)


def _Y2(n: int = 20) -> np.ndarray:
    return np.column_stack([_y(n), _X(n) @ _BETA[::-1]])


def _labels(n: int = 20) -> np.ndarray:
    s = np.sign(_X(n) @ _BETA + 0.5 * _rng(3).standard_normal(n))
    s[s == 0] = 1.0
    return s


def _groups() -> list[np.ndarray]:
    return [np.array([0, 1]), np.array([2, 3]), np.array([4])]


def _lams() -> np.ndarray:
    return solvers.lambda_max(_X(), _y()) * np.geomspace(0.9, 0.05, 5)


def _traj(n: int = 30) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)
    return np.column_stack([np.sin(3 * t), np.cos(2 * t)])


def _theta_lib() -> np.ndarray:
    return sindy.polynomial_library(_traj())[0]


def _xi_true() -> np.ndarray:
    return sindy.stlsq(_theta_lib(), sindy.time_derivative(_traj(), 1 / 29), 0.05).Xi


def _paths() -> list:
    return sindy.lasso_paths(_theta_lib(), sindy.time_derivative(_traj(), 1 / 29),
                             n_lams=5, eps=1e-2, tol=1e-6)[0]


def _sweep() -> diagnostics.Sweep:
    X, y = _X(), _y()
    return diagnostics.lambda_sweep(diagnostics.ridge_fit, X[:14], y[:14], X[14:], y[14:],
                                    np.array([0.01, 0.1, 1.0]))


def _grid5() -> np.ndarray:
    return np.geomspace(1e-3, 10.0, 5)


def _finite_view(P: solvers.PathResult) -> tuple:
    """A path's numbers, with the documented NaN placeholders left out: ``gaps`` is NaN
    where a solve has no duality gap and ``kkt`` where the gap was the criterion."""
    return (P.lams, P.coefs, P.n_iters, P.alphas, P.converged,
            P.gaps[~np.isnan(P.gaps)], P.kkt[~np.isnan(P.kkt)])


_MULTI = "y may be n×m (m targets / tasks); (n, 1) is one target"


def _multi(*names: str) -> dict:
    return {(n, "extra-axis"): _MULTI for n in names}


def _stlsq(*args: object) -> sindy.STLSQResult:
    """``sindy.stlsq`` with its documented warning for a threshold that removes every term
    (a huge threshold, a huge alpha or a huge Θ whose coefficients are all tiny): the
    answer Ξ = 0 is right, and the warning is asserted by tests/test_sindy.py."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*eliminated every coefficient")
        return sindy.stlsq(*args)


# Shared argument specs.
X = Arg("X", _X, "array")
Y = Arg("y", _y, "array", length_of="X")
LAMS = Arg("lams", _lams, "array", optional=True)
TOL = Arg("tol", lambda: 1e-6, "nonneg")
MAXIT = Arg("max_iter", lambda: 5000, "int_pos")
NL = Arg("n_lams", lambda: 5, "int_pos")
EPS = Arg("eps", lambda: 1e-2, "unit")
METHOD = Arg("method", lambda: "fista", "choice")
WS = Arg("working_set", lambda: True, "bool")
PROGRESS = Arg("progress", lambda: False, "bool")

CASES: list[Case] = []

# ------------------------------------------------------------------------------- solvers

CASES += [
    Case("solvers.prox_grad",
         lambda X, y, penalty, loss, method, step, tol, max_iter, theta0, restart,
         check_every, callback: solvers.prox_grad(
             X, y, penalty, loss=loss, method=method, step=step, tol=tol, max_iter=max_iter,
             theta0=theta0, restart=restart, check_every=check_every, callback=callback),
         [X, Y, Arg("penalty", lambda: L1(0.1), "model"),
          Arg("loss", lambda: "squared", "choice"), METHOD,
          Arg("step", lambda: None, "pos", optional=True,
              skip=("huge", "tiny", "int")),  # None baseline: these become fixed steps below
          TOL, MAXIT,
          Arg("theta0", lambda: np.zeros(5), "array", optional=True),
          Arg("restart", lambda: True, "bool"),
          Arg("check_every", lambda: 1, "int_pos", optional=True),
          Arg("callback", lambda: None, "callable", optional=True)],
         accept=_multi("y")),
    # A fixed step: "huge" diverges and must be reported, "tiny" must warn or converge.
    Case("solvers.prox_grad.step",
         lambda X, y, step: solvers.prox_grad(X, y, L1(0.1), step=step, tol=1e-6,
                                              max_iter=5000),
         [Arg("X", _X, "fixed"), Arg("y", _y, "fixed"),
          Arg("step", lambda: 0.5, "pos", optional=True, skip=("tiny",))]),  # tiny: warns (cap)
    Case("solvers.lasso",
         lambda X, y, lam, tol, max_iter: solvers.lasso(X, y, lam, tol=tol, max_iter=max_iter),
         [X, Y, Arg("lam", lambda: 0.1, "nonneg"), TOL, MAXIT], accept=_multi("y")),
    Case("solvers.elastic_net",
         lambda X, y, lam1, lam2, tol: solvers.elastic_net(X, y, lam1, lam2, tol=tol),
         [X, Y, Arg("lam1", lambda: 0.1, "nonneg"), Arg("lam2", lambda: 0.1, "nonneg"), TOL],
         accept=_multi("y")),
    Case("solvers.group_lasso",
         lambda X, y, lam, groups, tol: solvers.group_lasso(X, y, lam, groups, tol=tol),
         [X, Y, Arg("lam", lambda: 0.1, "nonneg"), Arg("groups", _groups, "index"), TOL],
         accept=_multi("y")),
    Case("solvers.path",
         lambda X, y, penalty, lams, n_lams, eps, tol, max_iter, method, working_set,
         progress: _finite_view(solvers.path(
             X, y, penalty, lams, n_lams=n_lams, eps=eps, tol=tol, max_iter=max_iter,
             method=method, working_set=working_set, progress=progress)),
         [X, Y, Arg("penalty", lambda: L1(1.0), "model"), LAMS, NL, EPS, TOL, MAXIT, METHOD,
          WS, PROGRESS], accept=_multi("y")),
    Case("solvers.lasso_path",
         lambda X, y, lams, n_lams, eps, tol, working_set: _finite_view(solvers.lasso_path(
             X, y, lams, n_lams=n_lams, eps=eps, tol=tol, working_set=working_set)),
         [X, Y, LAMS, NL, EPS, TOL, WS]),
    Case("solvers.enet_path",
         lambda X, y, lams, l1_ratio, n_lams, tol: _finite_view(solvers.enet_path(
             X, y, lams, l1_ratio=l1_ratio, n_lams=n_lams, tol=tol)),
         [X, Y, LAMS, Arg("l1_ratio", lambda: 0.5, "unit"), NL, TOL],
         accept={}),
    Case("solvers.group_lasso_path",
         lambda X, Y, groups, lams, n_lams, tol: _finite_view(solvers.group_lasso_path(
             X, Y, groups, lams=lams, n_lams=n_lams, tol=tol)),
         [X, Arg("Y", _y, "array", length_of="X"), Arg("groups", _groups, "index"),
          LAMS, NL, TOL], accept=_multi("Y")),
    Case("solvers.lambda_max",
         lambda X, y, kind, groups: solvers.lambda_max(X, y, kind, groups),
         [X, Y, Arg("kind", lambda: "group", "choice"), Arg("groups", _groups, "index")],
         accept=_multi("y")),
    # An unchecked engine (documented as such): only its baseline is exercised, through
    # the documented inputs (a data term, a penalty and a start).
    Case("solvers.run_prox_grad",
         lambda datafit, pen, theta0: solvers.run_prox_grad(
             datafit, pen, theta0, accelerate=True, restart=True, L=datafit.lipschitz(),
             backtrack=False, criterion="gap", thr=1e-10, max_iter=2000, check_every=1),
         [Arg("datafit", lambda: __import__("normcourse.datafit", fromlist=["x"])
              .QuadraticGram.from_data(_X(), _y()), "fixed"),
          Arg("pen", lambda: L1(0.1), "fixed"), Arg("theta0", lambda: np.zeros(5), "fixed")]),
    Case("solvers.duality_gap",
         lambda pen, theta: _gap(pen, theta),
         [Arg("pen", lambda: L1(0.1), "fixed"), Arg("theta", lambda: np.zeros(5), "fixed")]),
]


def _gap(pen: L1, theta: np.ndarray) -> float:
    X, y = _X(), _y()
    r = y - X @ theta
    n = X.shape[0]
    return solvers.duality_gap(pen, pen.gap_terms(pen.units(theta.shape)), theta,
                               float(r @ r) / (2 * n), float(r @ y) / n, X.T @ r / n)


def _solve_view(res: solvers.SolverResult) -> tuple:
    """A solve's numbers without ``step``, documented NaN for coordinate descent."""
    return res.theta, res.n_iter, res.converged, res.objective, res.gap


THETA0 = Arg("theta0", lambda: np.full(5, 0.1), "array", optional=True)

CASES += [
    Case("solvers.coordinate_descent",
         lambda X, y, penalty, tol, max_iter, theta0: _solve_view(solvers.coordinate_descent(
             X, y, penalty, tol=tol, max_iter=max_iter, theta0=theta0)),
         [X, Y, Arg("penalty", lambda: L1(0.1), "model"), Arg("tol", lambda: 1e-8, "nonneg"),
          Arg("max_iter", lambda: 2000, "int_pos"),
          THETA0]),
    Case("solvers.coordinate_descent.enet",
         lambda X, y, penalty: _solve_view(solvers.coordinate_descent(X, y, penalty)),
         [X, Y, Arg("penalty", lambda: ElasticNet(0.1, 0.2), "model")]),
    Case("solvers.cd_lasso",
         lambda X, y, lam: _solve_view(solvers.cd_lasso(X, y, lam)),
         [X, Y, Arg("lam", lambda: 0.1, "nonneg")]),
    Case("solvers.cd_elastic_net",
         lambda X, y, lam1, lam2: _solve_view(solvers.cd_elastic_net(X, y, lam1, lam2)),
         [X, Y, Arg("lam1", lambda: 0.1, "nonneg"), Arg("lam2", lambda: 0.2, "nonneg")]),
    Case("solvers.subgradient_method",
         lambda X, y, penalty, step, tol, max_iter, theta0: _solve_view(
             solvers.subgradient_method(X, y, penalty, step=step, tol=tol, max_iter=max_iter,
                                        theta0=theta0)),
         [X, Y, Arg("penalty", lambda: ElasticNet(0.1, 0.05), "model"),
          Arg("step", lambda: 0.2, "pos", optional=True), Arg("tol", lambda: 0.0, "nonneg"),
          Arg("max_iter", lambda: 300, "int_pos"), THETA0]),
    Case("solvers.iterations_to",
         lambda trace, level: solvers.iterations_to(trace, level),
         [Arg("trace", lambda: np.array([1.0, 0.5, 0.1, 0.02, 0.001]), "array"),
          Arg("level", lambda: 0.05, "real")],
         accept={("trace", "empty"): "no iterations: the trace never reaches the level, "
                                     "the documented None"}),
]


# --------------------------------------------------------------------------- constrained

CASES += [
    Case("constrained.ridge",
         lambda X, y, lam, method: constrained.ridge(X, y, lam, method),
         [X, Y, Arg("lam", lambda: 0.1, "nonneg"), Arg("method", lambda: "svd", "choice")],
         accept=_multi("y")),
    Case("constrained.ridge.cholesky",
         lambda X, y, lam: constrained.ridge(X, y, lam, "cholesky"),
         [X, Y, Arg("lam", lambda: 0.1, "nonneg")], accept=_multi("y")),
    Case("constrained.ridge_path",
         lambda X, y, lams: constrained.ridge_path(X, y, lams),
         [X, Y, Arg("lams", _grid5, "array")]),
    Case("constrained.shrinkage_factors",
         lambda X, lams: constrained.shrinkage_factors(X, lams),
         [X, Arg("lams", _grid5, "array")]),
    Case("constrained.effective_dof",
         lambda X, lams: constrained.effective_dof(X, lams),
         [X, Arg("lams", _grid5, "array")]),
    Case("constrained.kkt_residuals",
         lambda X, y, C, theta, lam: constrained.kkt_residuals(X, y, C, theta, lam),
         [X, Y, Arg("C", lambda: 1.0, "pos"), Arg("theta", lambda: np.full(5, 0.4), "array"),
          Arg("lam", lambda: 0.2, "real")],
         accept={}),
    Case("constrained.norm_constrained_lstsq",
         lambda X, y, C: constrained.norm_constrained_lstsq(X, y, C),
         [X, Y, Arg("C", lambda: 1.0, "pos")]),
    Case("constrained.toy_2d", lambda y, C: constrained.toy_2d(y, C),
         [Arg("y", lambda: np.array([2.0, 1.0]), "array"), Arg("C", lambda: 1.0, "pos")]),
    Case("constrained.value_curve", lambda X, y, Cs: constrained.value_curve(X, y, Cs),
         [X, Y, Arg("Cs", lambda: np.array([0.5, 1.0, 4.0]), "array")]),
    Case("constrained.constrained_geometry",
         lambda X, y, C, ball: constrained.constrained_geometry(X, y, C, ball),
         [X, Y, Arg("C", lambda: 1.0, "pos"), Arg("ball", lambda: "l2", "choice")]),
    Case("constrained.constrained_geometry.l1",
         lambda X, y, C: constrained.constrained_geometry(X, y, C, "l1"),
         [X, Y, Arg("C", lambda: 2.0, "pos")]),
    Case("constrained.project_l1_ball",
         lambda v, radius: constrained.project_l1_ball(v, radius),
         [Arg("v", lambda: _BETA.copy(), "array"), Arg("radius", lambda: 2.0, "pos")]),
    Case("constrained.l1_constrained_lstsq",
         lambda X, y, radius, tol, max_iter: constrained.l1_constrained_lstsq(
             X, y, radius, tol, max_iter),
         [X, Y, Arg("radius", lambda: 2.0, "pos"), Arg("tol", lambda: 1e-10, "pos"),
          Arg("max_iter", lambda: 2000, "int_pos")]),
    Case("constrained.singular_values", lambda X: constrained.singular_values(X), [X]),
]

# ----------------------------------------------------------------------------- selection

_TRUTH = lambda: _BETA != 0  # noqa: E731


def _leaving_path() -> np.ndarray:
    """A path whose second variable leaves at row 2 and returns at row 4."""
    return np.array([[0.0, 0.0, 0.0], [0.3, 0.2, 0.0], [0.6, 0.0, 0.1], [0.8, 0.0, 0.2],
                     [1.0, -0.1, 0.3]])

CASES += [
    Case("selection.accuracy", lambda X, y, theta: selection.accuracy(X, y, theta),
         [X, Arg("y", _labels, "labels_pm1", length_of="X"),
          Arg("theta", lambda: _BETA.copy(), "array")]),
    Case("selection.compare_methods",
         lambda X, y, groups, truth: selection.compare_methods(
             X, y, groups, truth, n_lams=4, n_group_lams=4, n_folds=2),
         [X, Y, Arg("groups", _groups, "index"), Arg("truth", _TRUTH, "fixed")]),
    Case("selection.cross_validate_path",
         lambda X, y, lams, method, n_folds, seed, l1_ratio, tol:
         selection.cross_validate_path(X, y, lams, method, n_folds=n_folds, seed=seed,
                                       l1_ratio=l1_ratio, tol=tol),
         [X, Y, Arg("lams", _lams, "array"), Arg("method", lambda: "lasso", "choice"),
          Arg("n_folds", lambda: 3, "int_pos"), Arg("seed", lambda: 0, "seed"),
          Arg("l1_ratio", lambda: 0.5, "unit"), TOL]),
    Case("selection.group_norms", lambda coefs, groups: selection.group_norms(coefs, groups),
         [Arg("coefs", lambda: _BETA.copy(), "array"), Arg("groups", _groups, "index")]),
    Case("selection.group_support",
         lambda theta, groups: selection.group_support(theta, groups),
         [Arg("theta", lambda: _BETA.copy(), "array"), Arg("groups", _groups, "index")]),
    Case("selection.irrepresentable", lambda X, theta: selection.irrepresentable(X, theta),
         [X, Arg("theta", lambda: _BETA.copy(), "array")]),
    Case("selection.logistic_l1_path",
         lambda X, y, lams, n_lams, eps, tol, max_iter: _finite_view(selection.logistic_l1_path(
             X, y, lams, n_lams=n_lams, eps=eps, tol=tol, max_iter=max_iter)),
         [X, Arg("y", _labels, "labels_pm1", length_of="X"),
          Arg("lams", lambda: selection.logistic_lambda_max(_X(), _labels())
              * np.geomspace(0.9, 0.1, 5), "array", optional=True), NL, EPS,
          Arg("tol", lambda: 1e-5, "nonneg"), MAXIT]),
    Case("selection.logistic_lambda_max", lambda X, y: selection.logistic_lambda_max(X, y),
         [X, Arg("y", _labels, "labels_pm1", length_of="X")]),
    Case("selection.path_support_metrics",
         lambda coefs, truth: selection.path_support_metrics(coefs, truth),
         [Arg("coefs", lambda: np.outer(np.ones(4), _BETA), "array"),
          Arg("truth", _TRUTH, "fixed")]),
    Case("selection.stability_selection",
         lambda X, y, lams, n_resamples, fraction, seed: selection.stability_selection(
             X, y, lams, n_resamples=n_resamples, fraction=fraction, seed=seed),
         [X, Y, Arg("lams", _lams, "array"), Arg("n_resamples", lambda: 3, "int_pos"),
          Arg("fraction", lambda: 0.5, "unit"), Arg("seed", lambda: 0, "seed")]),
    Case("selection.support_metrics",
         lambda selected, truth: selection.support_metrics(selected, truth),
         [Arg("selected", lambda: _BETA.copy(), "array"), Arg("truth", _TRUTH, "fixed")]),
    Case("selection.entry_order", lambda coefs, tol: selection.entry_order(coefs, tol),
         [Arg("coefs", lambda: np.outer(np.linspace(0, 1, 4), _BETA), "array"),
          Arg("tol", lambda: 0.0, "nonneg")]),
    Case("selection.subsample_supports",
         lambda X, y, lams, n_resamples, fraction, seed, method, l1_ratio, tol:
         selection.subsample_supports(X, y, lams, n_resamples, fraction, seed, method,
                                      l1_ratio=l1_ratio, tol=tol),
         [X, Y, Arg("lams", _lams, "array"), Arg("n_resamples", lambda: 3, "int_pos"),
          Arg("fraction", lambda: 0.5, "unit"), Arg("seed", lambda: 0, "seed"),
          Arg("method", lambda: "enet", "choice"), Arg("l1_ratio", lambda: 0.5, "unit"),
          Arg("tol", lambda: 1e-6, "nonneg")]),
    Case("selection.path_exits", lambda coefs, tol: selection.path_exits(coefs, tol),
         [Arg("coefs", _leaving_path, "array"), Arg("tol", lambda: 0.0, "nonneg")]),
]

# --------------------------------------------------------------------------- diagnostics

CASES += [
    Case("diagnostics.mse", lambda y, y_hat: diagnostics.mse(y, y_hat),
         [Arg("y", _y, "array"), Arg("y_hat", lambda: _y() + 0.1, "array", length_of="y")]),
    Case("diagnostics.holdout",
         lambda X, y, n_val, seed, standardize, center_y: diagnostics.holdout(
             X, y, n_val, seed, standardize, center_y),
         [X, Y, Arg("n_val", lambda: 5, "int_pos"), Arg("seed", lambda: 0, "seed"),
          Arg("standardize", lambda: True, "bool"), Arg("center_y", lambda: True, "bool")],
         accept=_multi("y")),
    Case("diagnostics.ridge_fit",
         lambda X, y, lam: diagnostics.ridge_fit(X, y, lam)(X),
         [X, Y, Arg("lam", lambda: 0.1, "nonneg")], accept=_multi("y")),
    Case("diagnostics.lambda_sweep",
         lambda fit, X_train, y_train, X_val, y_val, lams, progress:
         diagnostics.lambda_sweep(fit, X_train, y_train, X_val, y_val, lams, progress),
         [Arg("fit", lambda: diagnostics.ridge_fit, "callable"),
          Arg("X_train", lambda: _X()[:14], "array"),
          Arg("y_train", lambda: _y()[:14], "array", length_of="X_train"),
          Arg("X_val", lambda: _X()[14:], "array"),
          Arg("y_val", lambda: _y()[14:], "array", length_of="X_val"),
          Arg("lams", lambda: np.array([0.01, 0.1, 1.0]), "array"), PROGRESS]),
    Case("diagnostics.diagnose_fit", lambda sweep, tol: diagnostics.diagnose_fit(sweep, tol),
         [Arg("sweep", _sweep, "model"), Arg("tol", lambda: 0.05, "nonneg")]),
    Case("diagnostics.shadow_price_check",
         lambda X, y, C, rel_step: diagnostics.shadow_price_check(X, y, C, rel_step),
         [X, Y, Arg("C", lambda: 1.0, "pos"), Arg("rel_step", lambda: 1e-4, "pos")]),
    Case("diagnostics.ridge_bias_variance",
         lambda X, theta_true, sigma2, lams, target: diagnostics.ridge_bias_variance(
             X, theta_true, sigma2, lams, target),
         [X, Arg("theta_true", lambda: _BETA.copy(), "array", length_of="X"),
          Arg("sigma2", lambda: 0.5, "nonneg"), Arg("lams", _grid5, "array"),
          Arg("target", lambda: "fitted", "choice")]),
    Case("diagnostics.ridge_bias_variance.parameters",
         lambda X, theta_true, sigma2: diagnostics.ridge_bias_variance(
             X, theta_true, sigma2, np.array([0.0, 0.1, 1.0]), "parameters"),
         [Arg("X", lambda: _X(4, 6), "array"),  # p > n: a null space that ridge never sees
          Arg("theta_true", lambda: np.linspace(-1.0, 1.0, 6), "array", length_of="X"),
          Arg("sigma2", lambda: 0.5, "nonneg")]),
    Case("diagnostics.prior_scale",
         lambda lam, sigma2, n: diagnostics.prior_scale(lam, sigma2, n),
         [Arg("lam", lambda: 0.1, "pos"), Arg("sigma2", lambda: 0.5, "pos"),
          Arg("n", lambda: 20, "int_pos")]),
    Case("diagnostics.log_prior",
         lambda theta, lam, sigma2, n, penalty: diagnostics.log_prior(
             theta, lam, sigma2, n, penalty),
         [Arg("theta", lambda: np.linspace(-2.0, 2.0, 5), "array"),
          Arg("lam", lambda: 0.1, "pos"), Arg("sigma2", lambda: 0.5, "pos"),
          Arg("n", lambda: 20, "int_pos"), Arg("penalty", lambda: "l1", "choice")]),
    Case("diagnostics.log_prior.l2",
         lambda theta, lam: diagnostics.log_prior(theta, lam, 0.5, 20, "l2"),
         [Arg("theta", lambda: 1.5, "real"), Arg("lam", lambda: 0.1, "pos")]),
    Case("diagnostics.ridge_posterior",
         lambda X, y, lam, sigma2: diagnostics.ridge_posterior(X, y, lam, sigma2),
         [X, Y, Arg("lam", lambda: 0.1, "pos"), Arg("sigma2", lambda: 0.5, "pos")]),
]

# ------------------------------------------------------------------------ early_stopping

# X = _X() has s₁²/n ≈ 2.3: the step 0.2 is below 2/(s₁²/n + λ) for every λ used here.
LR = Arg("lr", lambda: 0.2, "pos")
STEPS = Arg("steps", lambda: np.array([0, 1, 10, 100]), "array")

CASES += [
    Case("early_stopping.gd_filter",
         lambda X, lr, steps, lam: early_stopping.gd_filter(X, lr, steps, lam),
         [X, LR, STEPS, Arg("lam", lambda: 0.1, "nonneg")]),
    Case("early_stopping.gd_iterates",
         lambda X, y, lr, steps, lam: early_stopping.gd_iterates(X, y, lr, steps, lam),
         [X, Y, LR, STEPS, Arg("lam", lambda: 0.1, "nonneg")]),
    Case("early_stopping.gd_curves",
         lambda X_train, y_train, X_val, y_val, lam, lr, steps: early_stopping.gd_curves(
             X_train, y_train, X_val, y_val, lam, lr, steps),
         [Arg("X_train", lambda: _X()[:14], "array"),
          Arg("y_train", lambda: _y()[:14], "array", length_of="X_train"),
          Arg("X_val", lambda: _X()[14:], "array"),
          Arg("y_val", lambda: _y()[14:], "array", length_of="X_val"),
          Arg("lam", lambda: 0.1, "nonneg"), LR, Arg("steps", lambda: 50, "int_pos")]),
]

# --------------------------------------------------------------------------------- sindy

CASES += [
    Case("sindy.stlsq",
         lambda Theta, dXdt, threshold, alpha, max_iter, unbias: _stlsq(
             Theta, dXdt, threshold, alpha, max_iter, unbias),
         [Arg("Theta", _theta_lib, "array"),
          Arg("dXdt", lambda: sindy.time_derivative(_traj(), 1 / 29), "array",
              length_of="Theta"),
          Arg("threshold", lambda: 0.05, "nonneg"), Arg("alpha", lambda: 0.0, "nonneg"),
          Arg("max_iter", lambda: 20, "int_pos"), Arg("unbias", lambda: True, "bool")]),
    Case("sindy.polynomial_library",
         lambda X, degree, include_bias: sindy.polynomial_library(
             X, degree, include_bias=include_bias),
         [Arg("X", _traj, "array"), Arg("degree", lambda: 2, "int_nonneg"),
          Arg("include_bias", lambda: True, "bool")]),
    Case("sindy.time_derivative",
         lambda X, dt, window, polyorder: sindy.time_derivative(X, dt, window, polyorder),
         [Arg("X", _traj, "array"), Arg("dt", lambda: 0.1, "pos"),
          Arg("window", lambda: 7, "int_pos", optional=True),
          Arg("polyorder", lambda: 3, "int_pos")]),
    Case("sindy.lorenz_xi", lambda sigma, rho, beta: sindy.lorenz_xi(sigma, rho, beta),
         [Arg("sigma", lambda: 10.0, "real"), Arg("rho", lambda: 28.0, "real"),
          Arg("beta", lambda: 8 / 3, "real")]),
    Case("sindy.equations",
         lambda Xi, precision: sindy.equations(Xi, ["1", "x", "y"], ["a", "b"], precision),
         [Arg("Xi", lambda: np.arange(6.0).reshape(3, 2), "array"),
          Arg("precision", lambda: 3, "int_nonneg")]),
    Case("sindy.term_errors", lambda Xi, Xi_true: sindy.term_errors(Xi, Xi_true),
         [Arg("Xi", lambda: sindy.lorenz_xi() * 1.01, "array"),
          Arg("Xi_true", sindy.lorenz_xi, "array")]),
    Case("sindy.threshold_sweep",
         lambda Theta, dXdt, thresholds, Xi_true, alpha: sindy.threshold_sweep(
             Theta, dXdt, thresholds, Xi_true, alpha),
         [Arg("Theta", _theta_lib, "array"),
          Arg("dXdt", lambda: sindy.time_derivative(_traj(), 1 / 29), "array",
              length_of="Theta"),
          Arg("thresholds", lambda: np.array([0.01, 0.05, 0.2]), "array"),
          Arg("Xi_true", _xi_true, "array"), Arg("alpha", lambda: 0.0, "nonneg")]),
    Case("sindy.lasso_paths",
         lambda Theta, dXdt, n_lams, eps, tol: [
             _finite_view(P) for P in sindy.lasso_paths(Theta, dXdt, n_lams, eps, tol)[0]],
         [Arg("Theta", _theta_lib, "array"),
          Arg("dXdt", lambda: sindy.time_derivative(_traj(), 1 / 29), "array",
              length_of="Theta"),
          NL, EPS, TOL]),
    Case("sindy.best_on_paths", lambda paths, Xi_true: sindy.best_on_paths(paths, Xi_true),
         [Arg("paths", _paths, "fixed"), Arg("Xi_true", _xi_true, "array")]),
]
