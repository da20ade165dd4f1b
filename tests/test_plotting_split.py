"""The plotting package only draws: its computations live in the library, tested here.

* ``selection.entry_order`` (path analysis, formerly in plotting),
* ``weight_decay.scheme_grid_results`` (the experiments of the Scheme A/B grid),
* ``constrained.constrained_geometry`` and ``constrained.singular_values`` (what the
  constrained-view and ridge-shrinkage figures show),
* ``plotting.common.padded_extent`` (the shared plot window of the scheme figures),

and a static scan that no module of ``normcourse/plotting/`` solves, fits, trains or
runs experiments itself.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from normcourse import plotting
from normcourse import weight_decay as wd
from normcourse.constrained import (
    ConstrainedGeometry,
    constrained_geometry,
    norm_constrained_lstsq,
    shrinkage_factors,
    singular_values,
    toy_2d,
)
from normcourse.plotting.common import padded_extent
from normcourse.selection import entry_order

PLOTTING = Path(__file__).resolve().parents[1] / "normcourse" / "plotting"
WIDGETS = PLOTTING.parent / "widgets.py"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ------------------------------------------------------------------------- entry_order


def test_entry_order_on_a_hand_made_path() -> None:
    # rows: λ decreasing; θ₁ enters at row 1, θ₂ at row 2, θ₀ at row 3 (tiny), θ₃ never
    C = np.array([[0.0, 0.0, 0.0, 0.0],
                  [0.0, 0.5, 0.0, 0.0],
                  [0.0, 0.7, -0.2, 0.0],
                  [1e-3, 0.9, -0.4, 0.0]])
    assert entry_order(C) == [1, 2, 0]
    assert entry_order(C, tol=1e-2) == [1, 2]  # |θ₀| = 1e-3 never exceeds the tolerance
    assert entry_order(C, tol=1.0) == []
    assert entry_order(np.array([[0.0, 0.0], [3.0, -1.0]])) == [0, 1]  # ties: by index
    assert all(isinstance(j, int) for j in entry_order(C))


def test_entry_order_matches_its_definition_on_random_paths() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        C = rng.normal(size=(15, 8)) * (rng.random((15, 8)) < 0.3)
        first = {j: int(np.flatnonzero(C[:, j] != 0)[0]) for j in range(8) if np.any(C[:, j])}
        assert entry_order(C) == sorted(first, key=lambda j: (first[j], j))


def test_entry_order_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="coefs"):
        entry_order(np.zeros(3))
    with pytest.raises(ValueError, match="coefs"):
        entry_order(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="tol"):
        entry_order(np.zeros((2, 2)), tol=-1.0)


def test_path_plot_legend_follows_the_library_entry_order() -> None:
    C = np.array([[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 1.2, 0.0], [0.8, 1.3, 0.2]])
    ax = plotting.path_plot([1.0, 0.5, 0.2, 0.1], C, labels=["a", "b", "c"])
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["1. b", "2. a", "3. c"]


# ------------------------------------------------------------------ scheme_grid_results


def test_scheme_grid_results_shape_and_one_value_against_a_direct_call() -> None:
    toy = wd.toy_quadratic()
    betas, lams = [0.0, 0.9], [0.1, 0.5, 1.0]
    grid = wd.scheme_grid_results(None, betas, lams, 0.1, toy.X, toy.y, steps=40,
                                  theta0=[-1.5, 2.5])
    assert len(grid) == 2 and all(len(row) == 3 for row in grid)
    for i, beta in enumerate(betas):
        for j, lam in enumerate(lams):
            r = grid[i][j]
            assert isinstance(r, wd.SchemeComparison)
            assert (r.beta, r.lam, r.gamma, r.lr) == (beta, lam, lam, 0.1)
            assert r.theta_a.shape == r.theta_b.shape == (41, 2)
    direct = wd.compare_schemes(toy.X, toy.y, beta=0.9, lam=0.5, lr=0.1, steps=40,
                                theta0=[-1.5, 2.5])
    np.testing.assert_array_equal(grid[1][1].theta_a, direct.theta_a)
    np.testing.assert_array_equal(grid[1][1].theta_b, direct.theta_b)
    assert grid[0][2].max_gap < 1e-12 < grid[1][2].max_gap  # β = 0: A ≡ B


def test_scheme_grid_results_calls_compute_once_per_cell_in_order() -> None:
    toy = wd.toy_quadratic()
    calls = []

    def compute(beta: float, lam: float, lr: float) -> wd.SchemeComparison:
        calls.append((beta, lam, lr))
        return wd.compare_schemes(toy.X, toy.y, beta=beta, lam=lam, lr=lr, steps=5)

    grid = wd.scheme_grid_results(compute, [0.0, 0.5], [0.2, 0.4], 0.05)
    assert calls == [(0.0, 0.2, 0.05), (0.0, 0.4, 0.05), (0.5, 0.2, 0.05), (0.5, 0.4, 0.05)]
    assert grid[1][0].beta == 0.5 and grid[1][0].lam == 0.2


def test_scheme_grid_results_rejects_bad_input() -> None:
    toy = wd.toy_quadratic()
    with pytest.raises(ValueError, match="betas"):
        wd.scheme_grid_results(lambda *a: None, [], [0.1], 0.1)
    with pytest.raises(ValueError, match="lams"):
        wd.scheme_grid_results(lambda *a: None, [0.0], [], 0.1)
    with pytest.raises(ValueError, match="betas"):
        wd.scheme_grid_results(lambda *a: None, [1.0], [0.1], 0.1)
    with pytest.raises(ValueError, match="lams"):
        wd.scheme_grid_results(lambda *a: None, [0.0], [-0.1], 0.1)
    with pytest.raises(ValueError, match="lr"):
        wd.scheme_grid_results(lambda *a: None, [0.0], [0.1], 0.0)
    with pytest.raises(ValueError, match="compute"):
        wd.scheme_grid_results(lambda *a: None, [0.0], [0.1], 0.1)
    with pytest.raises(ValueError, match="compute"):
        wd.scheme_grid_results("not callable", [0.0], [0.1], 0.1, toy.X, toy.y)
    with pytest.raises(ValueError, match="X and y"):
        wd.scheme_grid_results(None, [0.0], [0.1], 0.1)


def test_scheme_grid_plot_draws_the_given_results() -> None:
    toy = wd.toy_quadratic()
    grid = wd.scheme_grid_results(None, [0.0, 0.9], [0.1, 1.0], 0.1, toy.X, toy.y, steps=30)
    axes = plotting.scheme_grid_plot(grid, toy.X, toy.y)
    assert axes.shape == (2, 2)
    assert [a.get_title() for a in axes[0]] == ["β = 0, λ = γ = 0.1 — A ≡ B",
                                                "β = 0, λ = γ = 1 — A ≡ B"]
    assert not any("A ≡ B" in a.get_title() for a in axes[1])
    assert len({a.get_xlim() for a in axes.flat}) == 1
    path_a = next(ln for ln in axes[1, 1].get_lines() if ln.get_label().startswith("A:"))
    np.testing.assert_array_equal(np.column_stack(path_a.get_data()), grid[1][1].theta_a)
    with pytest.raises(ValueError, match="results"):
        plotting.scheme_grid_plot([])
    with pytest.raises(ValueError, match="results"):
        plotting.scheme_grid_plot([grid[0], grid[1][:1]])


# ------------------------------------------------------------ constrained, ridge figures


def test_constrained_geometry_on_the_toy_matches_the_closed_form() -> None:
    y = np.array([2.0, 1.0])
    X, target = math.sqrt(2) * np.eye(2), math.sqrt(2) * y
    geo = constrained_geometry(X, target, 1.0)
    assert isinstance(geo, ConstrainedGeometry)
    toy = toy_2d(y, 1.0)
    np.testing.assert_allclose(geo.result.theta, toy.theta, atol=1e-12)
    assert geo.result.lam == pytest.approx(toy.lam, rel=1e-10)
    np.testing.assert_allclose(geo.theta_ls, y, atol=1e-12)
    assert geo.loss_ls == pytest.approx(0.0, abs=1e-20)
    # stationarity: ∇L(θ*) = −2λ*θ*
    np.testing.assert_allclose(geo.grad_loss, -2 * toy.lam * toy.theta, atol=1e-12)


def test_constrained_geometry_inactive_and_underdetermined() -> None:
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(3, 5)), rng.normal(size=3)
    geo = constrained_geometry(X, y, 1e6)  # constraint inactive: θ* = θ_LS = X⁺y
    assert geo.result.lam == 0.0
    np.testing.assert_allclose(geo.theta_ls, np.linalg.pinv(X) @ y, atol=1e-12)
    np.testing.assert_allclose(geo.result.theta, geo.theta_ls, atol=1e-12)
    np.testing.assert_allclose(geo.grad_loss, 0.0, atol=1e-12)
    res = norm_constrained_lstsq(X, y, 0.1)
    np.testing.assert_allclose(constrained_geometry(X, y, 0.1).result.theta, res.theta)
    with pytest.raises(ValueError, match="C"):
        constrained_geometry(X, y, 0.0)
    with pytest.raises(ValueError, match="y"):
        constrained_geometry(X, np.ones(4), 1.0)


def test_constrained_2d_plot_marks_the_library_minimiser() -> None:
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(10, 2)), rng.normal(size=10)
    ax = plotting.constrained_2d_plot(X, y, 0.05)
    geo = constrained_geometry(X, y, 0.05)
    plus = next(ln for ln in ax.lines if ln.get_marker() == "+")
    np.testing.assert_allclose([plus.get_xdata()[0], plus.get_ydata()[0]], geo.theta_ls)


def test_singular_values_are_those_of_the_shrinkage_factors() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20, 4))
    s = singular_values(X)
    np.testing.assert_allclose(s, np.linalg.svd(X, compute_uv=False), rtol=1e-12)
    lam = 0.3
    np.testing.assert_allclose(shrinkage_factors(X, lam), s**2 / (s**2 + 20 * lam))
    Xd = np.column_stack([X[:, 0], X[:, 0], X[:, 1]])  # rank 2
    assert singular_values(Xd).shape == (2,) == shrinkage_factors(Xd, 1.0).shape
    s[0] = -1.0  # a copy: the cached decomposition is not changed
    assert singular_values(X)[0] > 0
    with pytest.raises(ValueError, match="X"):
        singular_values(np.ones(3))
    with pytest.raises(ValueError, match="X"):
        singular_values(np.array([[np.inf, 1.0]]))


def test_padded_extent_numbers_and_checks() -> None:
    lo, hi = padded_extent(np.array([[0.0, 0.0], [1.0, 2.0]]), pad=0.1)
    np.testing.assert_allclose(lo, [-0.1, -0.2])
    np.testing.assert_allclose(hi, [1.1, 2.2])
    lo, hi = padded_extent(np.array([[1.0, 1.0]]))
    assert np.all(lo < 1.0) and np.all(hi > 1.0)
    with pytest.raises(ValueError, match="pad"):
        padded_extent(np.zeros((2, 2)), pad=-1.0)
    with pytest.raises(ValueError, match="points"):
        padded_extent(np.zeros((0, 2)))


# -------------------------------------------------------------- plotting only draws


# Calls that solve, fit, train or run experiments. Any of them inside plotting means a
# computation that belongs in a library module.
_COMPUTING = {
    "lstsq", "solve", "svd", "pinv", "inv", "eig", "eigh", "cholesky", "qr",
    "norm_constrained_lstsq", "value_curve", "toy_2d", "kkt_residuals", "ridge_path",
    "prox_grad", "fista", "lasso", "lasso_path", "elastic_net", "enet_path", "group_lasso",
    "group_lasso_path", "stability_selection", "cross_validate_path", "compare_methods",
    "logistic_l1_path", "stlsq", "compare_schemes", "least_squares_trajectory",
    "zero_gradient_trajectory", "scheme_grid_results",
    "fit", "fit_transform", "backward", "zero_grad", "minimize", "brentq",
}
# Library computations that used to be defined in plotting; calling them is fine.
_MOVED_OUT = {"entry_order", "scheme_grid_results", "constrained_geometry", "singular_values"}
_COMPUTING_PREFIXES = ("train_", "fit_", "solve_")
_COMPUTING_MODULES = ("normcourse.solvers", "normcourse.optim", "torch.optim",
                      "scipy.optimize", "scipy.linalg", "sklearn")


def _computations(source: str) -> list[str]:
    """What a plotting module computes itself: forbidden calls, callbacks and imports."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name in _COMPUTING or name.startswith(_COMPUTING_PREFIXES):
                found.append(f"call {name}() at line {node.lineno}")
            if isinstance(f, ast.Name) and f.id == "compute":
                found.append(f"runs the experiment callback compute() at line {node.lineno}")
        elif isinstance(node, ast.ImportFrom | ast.Import):
            mods = [node.module or ""] if isinstance(node, ast.ImportFrom) else [
                a.name for a in node.names]
            found += [f"imports {m}" for m in mods if m.startswith(_COMPUTING_MODULES)]
        elif isinstance(node, ast.FunctionDef) and node.name in _COMPUTING | _MOVED_OUT:
            found.append(f"defines {node.name}()")
    return found


def _private_crossings(source: str) -> list[str]:
    """``from x import _y`` or ``module._y``: a private name used outside its module."""
    tree = ast.parse(source)
    modules = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.Import)
               for a in n.names}
    modules |= {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                and (n.module or "").startswith("normcourse") for a in n.names}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            out += [f"from {node.module} import {a.name}" for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")]
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.value.id in modules and node.attr.startswith("_")
              and not node.attr.startswith("__")):
            out.append(f"{node.value.id}.{node.attr}")
    return out


def _plotting_sources() -> dict[str, str]:
    files = sorted(PLOTTING.glob("*.py"))
    assert {f.name for f in files} >= {"__init__.py", "common.py"}
    return {f.name: f.read_text(encoding="utf-8") for f in files}


def test_the_scan_catches_what_the_old_plotting_module_did() -> None:
    """Lines of the former single-file plotting module; each must be flagged."""
    old = {
        "theta_ls = np.linalg.lstsq(Xa, ya, rcond=None)[0]": "lstsq",
        "res = norm_constrained_lstsq(Xa, ya, C)": "norm_constrained_lstsq",
        "s = np.linalg.svd(Xa, compute_uv=False)": "svd",
        "results = [[compute(b, lam, lr) for lam in lams] for b in betas]": "compute",
        "def entry_order(coefs, tol=0.0):\n    return []": "entry_order",
        "from normcourse.solvers import lasso_path": "normcourse.solvers",
        "run = train_digits_mlp(True, 0.1)": "train_digits_mlp",
    }
    for line, what in old.items():
        found = _computations(line)
        assert any(what in f for f in found), (line, found)
    assert _private_crossings("from normcourse import plotting\nplotting._scheme_extent(p)")
    assert _private_crossings("from normcourse.plotting import _axes")
    assert not _computations("ax.step(x, y, where='mid')\nnp.linalg.norm(v)")


def test_plotting_modules_do_not_compute() -> None:
    for name, source in _plotting_sources().items():
        assert _computations(source) == [], name


def test_no_private_name_crosses_a_module_boundary() -> None:
    sources = _plotting_sources() | {"widgets.py": WIDGETS.read_text(encoding="utf-8")}
    for name, source in sources.items():
        assert _private_crossings(source) == [], name


def test_plotting_modules_are_small_and_reexported() -> None:
    import importlib

    for name, source in _plotting_sources().items():
        assert source.count("\n") < 600, name
    public = set(plotting.__all__)
    for f in PLOTTING.glob("*.py"):
        if f.name in ("__init__.py", "common.py"):
            continue
        mod = importlib.import_module(f"normcourse.plotting.{f.stem}")
        assert set(mod.__all__) <= public, f.name
        for fn in mod.__all__:
            assert getattr(plotting, fn) is getattr(mod, fn)
    assert "entry_order" not in public and "row_norm_plot" not in public
    assert not hasattr(plotting, "scheme_grid")
