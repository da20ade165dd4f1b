"""L2SP, EWC and normcourse.continual: unit tests (the page's claims are in
tests/test_claims_continual.py).

The penalties' values, gradients and proxes against their formulas and autograd, EWC with
F = 1 against L2-SP (exactly), the Fisher estimators against brute-force loops,
fisher_concentration against a direct sort, forgetting on a hand-made matrix, the page's
plotting helpers, input checks.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from normcourse import datasets
from normcourse.continual import (
    accuracy,
    fisher_concentration,
    fisher_diagonal,
    forgetting,
    run_sequence,
)
from normcourse.penalties import EWC, L2, L2SP
from normcourse.robustness import mlp


def _model(seed: int = 0, dtype: torch.dtype = torch.float64) -> nn.Sequential:
    return mlp([5, 7, 4], seed=seed).to(dtype)


def _data(n: int = 40, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 5, generator=g, dtype=torch.float64)
    return X, torch.randint(0, 4, (n,), generator=g)


# --------------------------------------------------------------------------- L2SP and EWC


def test_l2sp_value_grad_prox_follow_the_formulas() -> None:
    rng = np.random.default_rng(0)
    theta0 = [rng.standard_normal((3, 4)), rng.standard_normal(4)]
    theta = [rng.standard_normal((3, 4)), rng.standard_normal(4)]
    pen = L2SP(0.7, theta0)
    expect = 0.35 * sum(np.sum((t - a) ** 2) for t, a in zip(theta, theta0, strict=True))
    assert pen.value(theta) == pytest.approx(expect)
    assert isinstance(pen.value(theta), float)
    for g, t, a in zip(pen.grad(theta), theta, theta0, strict=True):
        np.testing.assert_allclose(g, 0.7 * (t - a))
    # prox optimality: u − w + ηλ(u − θ⁰) = 0
    u = pen.prox(theta, 0.3)
    for ui, wi, a in zip(u, theta, theta0, strict=True):
        np.testing.assert_allclose(ui - wi + 0.3 * 0.7 * (ui - a), 0, atol=1e-12)
    # around θ⁰ = 0 it is the plain L2 penalty (λ/2)‖θ‖²
    zero = L2SP(0.7, np.zeros(5))
    w = rng.standard_normal(5)
    assert zero.value(w) == pytest.approx(L2(0.7).value(w))
    np.testing.assert_allclose(zero.prox(w, 0.3), L2(0.7).prox(w, 0.3))


def test_l2sp_on_a_model_is_differentiable_and_its_anchor_is_frozen() -> None:
    model = _model()
    pen = L2SP(2.0, model)
    assert float(pen(model).detach()) == 0.0
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1)
    value = pen(model)
    assert isinstance(value, torch.Tensor) and value.requires_grad
    n = sum(p.numel() for p in model.parameters())
    assert float(value.detach()) == pytest.approx(0.5 * 2.0 * n * 0.01)
    value.backward()
    for p in model.parameters():
        torch.testing.assert_close(p.grad, torch.full_like(p, 2.0 * 0.1))
    grads = pen.grad(model)
    for p, g in zip(model.parameters(), grads, strict=True):
        torch.testing.assert_close(g.detach(), p.grad)


def test_ewc_with_unit_fisher_is_l2sp_exactly() -> None:
    model = _model(seed=1, dtype=torch.float32)
    anchor = [p.detach().clone() for p in model.parameters()]
    ones = [torch.ones_like(a) for a in anchor]
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p))
    ewc, l2sp = EWC(0.3, anchor, ones), L2SP(0.3, anchor)
    v_ewc, v_l2sp = ewc(model), l2sp(model)
    assert torch.equal(v_ewc, v_l2sp)
    g_ewc = torch.autograd.grad(v_ewc, list(model.parameters()))
    g_l2sp = torch.autograd.grad(v_l2sp, list(model.parameters()))
    for a, b in zip(g_ewc, g_l2sp, strict=True):
        assert torch.equal(a, b)
    for a, b in zip(ewc.grad(model), l2sp.grad(model), strict=True):
        assert torch.equal(a, b)
    w = [np.asarray(p.detach()) for p in model.parameters()]
    assert EWC(0.3, anchor, ones).value(w) == L2SP(0.3, anchor).value(w)


def test_ewc_weights_each_coordinate_by_its_fisher() -> None:
    a = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    F = torch.tensor([0.0, 4.0, 0.25], dtype=torch.float64)
    theta = torch.tensor([3.0, -1.0, 0.5], dtype=torch.float64, requires_grad=True)
    pen = EWC(2.0, a, F)
    value = pen(theta)
    assert float(value.detach()) == pytest.approx(0.5 * 2.0 * (0.0 * 4 + 4.0 * 1 + 0.25 * 0))
    (g,) = torch.autograd.grad(value, theta)
    torch.testing.assert_close(g, 2.0 * F * (theta.detach() - a))
    torch.testing.assert_close(pen.grad(theta).detach(), g)
    u = pen.prox(theta.detach(), 0.5)
    torch.testing.assert_close(u - theta.detach() + 0.5 * 2.0 * F * (u - a),
                               torch.zeros(3, dtype=torch.float64))
    assert float(u[0]) == 3.0  # F = 0: the coordinate is free


def test_anchored_penalties_reject_bad_input() -> None:
    a = [np.zeros((2, 3)), np.zeros(3)]
    with pytest.raises(ValueError, match="lam"):
        L2SP(-1.0, a)
    with pytest.raises(ValueError, match="lam"):
        EWC(-1.0, a, a)
    with pytest.raises(ValueError, match=r"fisher.*negative"):
        EWC(1.0, a, [np.zeros((2, 3)), -np.ones(3)])
    with pytest.raises(ValueError, match=r"fisher\[1\] has shape"):
        EWC(1.0, a, [np.zeros((2, 3)), np.zeros(4)])
    with pytest.raises(ValueError, match="fisher must have one array per anchor"):
        EWC(1.0, a, [np.zeros((2, 3))])
    with pytest.raises(ValueError, match="fisher must be given"):
        EWC(1.0, a, None)
    pen = L2SP(1.0, a)
    with pytest.raises(ValueError, match=r"params\[0\] has shape"):
        pen.value([np.zeros((3, 2)), np.zeros(3)])
    with pytest.raises(ValueError, match="params has 1 arrays"):
        pen.value([np.zeros((2, 3))])
    with pytest.raises(ValueError, match="not a mix"):
        pen.value([torch.zeros(2, 3), np.zeros(3)])
    with pytest.raises(ValueError, match="NaN"):
        pen.value([np.full((2, 3), np.nan), np.zeros(3)])
    with pytest.raises(ValueError, match="anchor"):
        L2SP(1.0, "θ⁰")
    with pytest.raises(ValueError, match="step"):
        pen.prox(a, -0.1)


# --------------------------------------------------------------------------- Fisher diagonal


def _per_sample_grads(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> list[torch.Tensor]:
    """Brute force: one backward pass per sample, gradients stacked per parameter."""
    out: list[list[torch.Tensor]] = [[] for _ in model.parameters()]
    for i in range(X.shape[0]):
        model.zero_grad()
        nn.functional.cross_entropy(model(X[i : i + 1]), y[i : i + 1]).backward()
        for k, p in enumerate(model.parameters()):
            out[k].append(p.grad.detach().clone())
    model.zero_grad()
    return [torch.stack(g) for g in out]


def test_empirical_fisher_is_the_mean_of_squared_per_sample_gradients() -> None:
    model = _model(seed=2)
    X, y = _data(37, seed=2)
    G = _per_sample_grads(model, X, y)
    F = fisher_diagonal(model, (X, y))
    for f, g in zip(F, G, strict=True):
        torch.testing.assert_close(f, (g * g).mean(dim=0), rtol=1e-10, atol=1e-14)
    # an iterable of batches gives the same numbers, and numpy input works too
    loader = [(X[i : i + 10], y[i : i + 10]) for i in range(0, 37, 10)]
    for f, f2 in zip(F, fisher_diagonal(model, loader), strict=True):
        torch.testing.assert_close(f, f2, rtol=1e-10, atol=1e-14)
    for f, f3 in zip(F, fisher_diagonal(model, (X.numpy(), y.numpy())), strict=True):
        torch.testing.assert_close(f, f3, rtol=1e-10, atol=1e-14)


def test_batch_fisher_squares_batch_means_and_underestimates() -> None:
    model = _model(seed=3)
    X, y = _data(40, seed=3)
    G = _per_sample_grads(model, X, y)
    F_emp = fisher_diagonal(model, (X, y))
    F_b = fisher_diagonal(model, (X, y), estimator="batch", batch_size=8)
    for f, g in zip(F_b, G, strict=True):
        batch_means = g.reshape(5, 8, *g.shape[1:]).mean(dim=1)
        torch.testing.assert_close(f, (batch_means ** 2).mean(dim=0), rtol=1e-10, atol=1e-14)
    # Jensen: (mean g)² ≤ mean g², for every coordinate; equality with batches of one
    for fb, fe in zip(F_b, F_emp, strict=True):
        assert bool((fb <= fe * (1 + 1e-12) + 1e-15).all())
    for f1, fe in zip(fisher_diagonal(model, (X, y), "batch", batch_size=1), F_emp, strict=True):
        torch.testing.assert_close(f1, fe, rtol=1e-10, atol=1e-14)
    # an uneven last batch is weighted by its size
    F_13 = fisher_diagonal(model, (X, y), estimator="batch", batch_size=13)
    for f, g in zip(F_13, G, strict=True):
        parts = [g[i : i + 13] for i in range(0, 40, 13)]
        expect = sum(len(q) * q.mean(dim=0) ** 2 for q in parts) / 40
        torch.testing.assert_close(f, expect, rtol=1e-10, atol=1e-14)


def test_fisher_leaves_the_model_alone_and_checks_input() -> None:
    model = _model(seed=4)
    model.train()
    X, y = _data(10)
    before = [p.detach().clone() for p in model.parameters()]
    fisher_diagonal(model, (X, y))
    fisher_diagonal(model, (X, y), "batch")
    assert model.training
    assert all(p.grad is None for p in model.parameters())
    assert all(torch.equal(a, p) for a, p in zip(before, model.parameters(), strict=True))
    with pytest.raises(ValueError, match="estimator"):
        fisher_diagonal(model, (X, y), "true")
    with pytest.raises(ValueError, match="batch_size"):
        fisher_diagonal(model, (X, y), "batch", batch_size=0)
    with pytest.raises(ValueError, match="y must have shape"):
        fisher_diagonal(model, (X, y[:5]))
    with pytest.raises(ValueError, match="data"):
        fisher_diagonal(model, 3)


# --------------------------------------------------------------------------- forgetting, sequences


def test_forgetting_reads_the_accuracy_matrix() -> None:
    A = np.array([[0.9, 0.1, 0.1],
                  [0.6, 0.8, 0.1],
                  [0.7, 0.5, 0.9]])
    np.testing.assert_allclose(forgetting(A), [0.9 - 0.7, 0.8 - 0.5])
    assert forgetting(np.array([[0.5]])).size == 0
    with pytest.raises(ValueError, match="square"):
        forgetting(np.zeros((2, 3)))


def test_run_sequence_records_an_accuracy_matrix() -> None:
    tasks = datasets.permuted_digits(3, seed=0)
    r = run_sequence("ewc", tasks, 10.0, steps=15, seed=1)
    r2 = run_sequence("ewc", tasks, 10.0, steps=15, seed=1)
    np.testing.assert_array_equal(r.accuracy, r2.accuracy)
    assert r.accuracy.shape == (3, 3) and len(r.fishers) == 2
    assert r.task_names == ["original", "permutation 1", "permutation 2"]
    assert r.accuracy[2, 1] == accuracy(r.model, tasks[1].X_test, tasks[1].y_test)
    np.testing.assert_array_equal(r.forgetting, forgetting(r.accuracy))
    with pytest.raises(ValueError, match="lam must be 0"):
        run_sequence("finetune", tasks, 1.0, steps=1)
    with pytest.raises(ValueError, match="method"):
        run_sequence("replay", tasks, steps=1)
    with pytest.raises(ValueError, match="lam"):
        run_sequence("l2sp", tasks, -1.0, steps=1)


def test_permuted_digits_permutes_pixels_only() -> None:
    tasks = datasets.permuted_digits(3, seed=2)
    t0, t1 = tasks[0], tasks[1]
    np.testing.assert_array_equal(t1.X_train, t0.X_train[:, t1.permutation])
    np.testing.assert_array_equal(t1.y_test, t0.y_test)
    assert sorted(t1.permutation.tolist()) == list(range(64))
    assert not np.array_equal(t1.permutation, tasks[2].permutation)
    assert 0.0 <= t0.X_train.min() and t0.X_train.max() <= 1.0
    with pytest.raises(ValueError, match="test_size"):
        datasets.permuted_digits(test_size=1.5)


def test_fisher_concentration_against_a_direct_sort() -> None:
    F = [np.array([[4.0, 0.0], [1.0, 0.0]]), np.array([3.0, 2.0, 0.0, 0.0, 0.0, 0.0])]
    c = fisher_concentration(F, fractions=(0.1, 0.2, 0.5, 1.0))
    assert c.n_params == 10 and c.zero_fraction == pytest.approx(0.6)
    # ⌈0.1·10⌉ = 1 entry → 4/10, 2 entries → 7/10, 5 entries → 10/10
    np.testing.assert_allclose(c.shares, [0.4, 0.7, 1.0, 1.0])
    uniform = fisher_concentration(torch.ones(200), fractions=(0.05, 0.5))
    np.testing.assert_allclose(uniform.shares, [0.05, 0.5])  # S(q) = q for F = 1
    assert uniform.zero_fraction == 0.0
    with pytest.raises(ValueError, match="fractions"):
        fisher_concentration(F, fractions=(0.0,))
    with pytest.raises(ValueError, match="fractions"):
        fisher_concentration(F, fractions=(1.5,))
    with pytest.raises(ValueError, match="all zero"):
        fisher_concentration([np.zeros(3)])
    with pytest.raises(ValueError, match="≥ 0"):
        fisher_concentration([np.array([1.0, -1.0])])
    with pytest.raises(ValueError, match="fisher"):
        fisher_concentration([])


def test_page_plotting_helpers() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from normcourse.plotting.applications import batch_fisher_plot, task_images_plot

    tasks = datasets.permuted_digits(3, seed=0)
    axes = task_images_plot(tasks, index=2)
    assert len(axes) == 3
    np.testing.assert_array_equal(axes[1].get_images()[0].get_array(),
                                  tasks[1].X_train[2].reshape(8, 8))
    assert axes[0].figure.get_size_inches()[0] <= 9
    ax = batch_fisher_plot([1, 2, 4], [1.0, 0.6, 0.3])
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), [1, 0.5, 0.25])
    plt.close("all")
    with pytest.raises(ValueError, match="index"):
        task_images_plot(tasks, index=10_000)
    with pytest.raises(ValueError, match="batch_sizes"):
        batch_fisher_plot([1, 2], [1.0])
