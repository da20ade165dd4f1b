"""normcourse.model_penalties: one protocol for penalties on a model's parameters.

The protocol (every model-level penalty is a ModelPenalty and returns a differentiable scalar
on a model, ``value`` is its float), OnParameters against hand-computed sums (weights only by
default), train_classifier with an array penalty against the explicit callable step by step,
PathNormPenalty against path_norm and finite differences, the input checks, and the layout of
the robustness package (small files, everything re-exported, no private name crossing modules).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.func import functional_call

from normcourse import penalties, robustness
from normcourse.model_penalties import EWC, L2SP, ModelPenalty, OnParameters, as_model_penalty
from normcourse.robustness import (
    PathNormPenalty,
    SpectralPenalty,
    mlp,
    path_norm,
    rescale,
    train_classifier,
)

NORMCOURSE = Path(robustness.__file__).resolve().parent.parent
ROBUSTNESS = NORMCOURSE / "robustness"


def _model(sizes: tuple[int, ...] = (3, 5, 2), seed: int = 0) -> nn.Sequential:
    return mlp(list(sizes), seed=seed).to(torch.float64)


def _weights(model: nn.Module) -> list[np.ndarray]:
    return [p.detach().numpy() for p in model.parameters() if p.ndim >= 2]


def _biases(model: nn.Module) -> list[np.ndarray]:
    return [p.detach().numpy() for p in model.parameters() if p.ndim == 1]


def _data(n: int = 64, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 3, generator=g, dtype=torch.float64)
    y = (X[:, 0] * X[:, 1] > 0).long()
    return X, y


def _all_model_penalties(model: nn.Module) -> dict[str, ModelPenalty]:
    anchor = [p.detach() + 0.1 for p in model.parameters()]
    fisher = [torch.full_like(p, 2.0) for p in model.parameters()]
    return {
        "OnParameters(L2)": OnParameters(penalties.L2(0.1)),
        "OnParameters(L1)": OnParameters(penalties.L1(0.1)),
        "OnParameters(ElasticNet)": OnParameters(penalties.ElasticNet(0.1, 0.2)),
        "OnParameters(GroupL21)": OnParameters(penalties.GroupL21(0.1)),
        "L2SP": L2SP(0.5, anchor),
        "EWC": EWC(0.5, anchor, fisher),
        "SpectralPenalty": SpectralPenalty(0.1),
        "PathNormPenalty": PathNormPenalty(0.1),
        "callable": as_model_penalty(lambda m: 0.3 * sum(p.abs().sum() for p in m.parameters())),
    }


# --------------------------------------------------------------------------- the protocol


def test_every_model_level_penalty_is_a_model_penalty() -> None:
    for cls in (OnParameters, L2SP, EWC, SpectralPenalty, PathNormPenalty):
        assert issubclass(cls, ModelPenalty), cls
    with pytest.raises(TypeError):
        ModelPenalty()  # type: ignore[abstract]


@pytest.mark.parametrize("name", list(_all_model_penalties(_model())))
def test_a_model_penalty_returns_a_differentiable_scalar_and_its_float(name: str) -> None:
    model = _model()
    pen = _all_model_penalties(model)[name]
    value = pen.value(model)
    assert isinstance(value, float) and value > 0
    out = pen(model)
    assert isinstance(out, torch.Tensor) and out.ndim == 0 and out.requires_grad
    assert float(out.detach()) == pytest.approx(value, rel=1e-12)
    out.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and any(bool(g.abs().sum() > 0) for g in grads)


def test_a_subclass_gets_value_from_its_call() -> None:
    class Squares(ModelPenalty):
        def __call__(self, model: nn.Module) -> torch.Tensor:
            return sum(p.pow(2).sum() for p in model.parameters())  # type: ignore[return-value]

    model = _model()
    expect = sum(float(np.sum(a**2)) for a in _weights(model) + _biases(model))
    assert Squares().value(model) == pytest.approx(expect, rel=1e-12)


def test_spectral_penalty_value_does_not_advance_the_warm_start() -> None:
    model = _model((4, 8, 8, 3))
    pen = SpectralPenalty(0.1)
    pen(model)
    cache = {k: v.clone() for k, v in pen.cache.items()}
    sigmas = dict(pen.sigmas)
    v = pen.value(model)
    assert pen.sigmas == sigmas
    assert all(torch.equal(pen.cache[k], cache[k]) for k in cache)
    assert float(pen(model).detach()) == v  # the number the next call returns


def test_anchored_penalties_value_a_model_as_a_float_and_arrays_as_before() -> None:
    model = _model()
    pen = L2SP(2.0, [p.detach() + 0.1 for p in model.parameters()])
    n = sum(p.numel() for p in model.parameters())
    assert pen.value(model) == pytest.approx(0.5 * 2.0 * n * 0.01, rel=1e-12)
    tensors = [p.detach().clone().requires_grad_() for p in model.parameters()]
    t = pen.value(tensors)  # a list of tensors: a differentiable scalar, as before
    assert isinstance(t, torch.Tensor) and t.requires_grad
    arrays = [p.detach().numpy() for p in model.parameters()]
    assert isinstance(pen.value(arrays), float)


# --------------------------------------------------------------------------- OnParameters


def test_on_parameters_sums_the_array_penalty_over_the_weights_only() -> None:
    model = _model()
    W, b = _weights(model), _biases(model)
    assert len(W) == 2 and len(b) == 2
    l2 = OnParameters(penalties.L2(0.1))
    assert l2.value(model) == pytest.approx(0.05 * sum(np.sum(w**2) for w in W), rel=1e-12)
    l1 = OnParameters(penalties.L1(0.1))
    assert l1.value(model) == pytest.approx(0.1 * sum(np.sum(np.abs(w)) for w in W), rel=1e-12)
    chosen = l2.parameters(model)
    assert [id(p) for p in chosen] == [id(model[0].weight), id(model[2].weight)]


def test_on_parameters_includes_biases_when_asked() -> None:
    model = _model()
    W, b = _weights(model), _biases(model)
    l2 = OnParameters(penalties.L2(0.1), include_bias=True)
    assert l2.value(model) == pytest.approx(0.05 * sum(np.sum(a**2) for a in W + b), rel=1e-12)
    l1 = OnParameters(penalties.L1(0.1), include_bias=True)
    assert l1.value(model) == pytest.approx(0.1 * sum(np.sum(np.abs(a)) for a in W + b), rel=1e-12)


def test_on_parameters_gradient_is_the_array_gradient_on_weights_and_none_on_biases() -> None:
    model = _model()
    OnParameters(penalties.L2(0.1))(model).backward()
    for layer in (model[0], model[2]):
        torch.testing.assert_close(layer.weight.grad, 0.1 * layer.weight.detach())
        assert layer.bias.grad is None  # biases are not penalized


def test_on_parameters_skips_normalisation_parameters() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.ReLU(), nn.Linear(4, 2))
    chosen = OnParameters(penalties.L2(1.0)).parameters(model)
    assert [id(p) for p in chosen] == [id(model[0].weight), id(model[3].weight)]
    assert len(OnParameters(penalties.L2(1.0), include_bias=True).parameters(model)) == 6


# --------------------------------------------------------------------------- training with it


def _run(penalty: object, record: list[list[torch.Tensor]]) -> np.ndarray:
    model = _model(seed=3)
    X, y = _data()

    def cb(k: int, m: nn.Module) -> None:
        record.append([p.detach().clone() for p in m.parameters()])

    return train_classifier(model, X, y, steps=40, lr=1e-2, penalty=penalty, batch_size=16,
                            seed=5, callback=cb)


def test_train_classifier_accepts_an_array_penalty_as_a_penalty_on_the_weights() -> None:
    as_array, as_adapter, explicit, none = [], [], [], []  # type: ignore[var-annotated]
    t_array = _run(penalties.L2(0.1), as_array)
    t_adapter = _run(OnParameters(penalties.L2(0.1)), as_adapter)

    def by_hand(m: nn.Module) -> torch.Tensor:
        return 0.05 * sum(p.pow(2).sum() for p in m.parameters() if p.ndim >= 2)

    t_explicit = _run(by_hand, explicit)
    t_none = _run(None, none)
    np.testing.assert_array_equal(t_array, t_adapter)  # the same object does the work
    np.testing.assert_allclose(t_array, t_explicit, rtol=1e-12)
    for step, (a, b, c) in enumerate(zip(as_array, as_adapter, explicit, strict=True)):
        for pa, pb, pc in zip(a, b, c, strict=True):
            assert torch.equal(pa, pb), step
            torch.testing.assert_close(pa, pc, rtol=1e-12, atol=1e-14)
    # and the penalty does something: smaller weights than without it
    sq = [sum(float(p.pow(2).sum()) for p in ps if p.ndim >= 2) for ps in (as_array[-1], none[-1])]
    assert sq[0] < sq[1]
    assert not np.allclose(t_array, t_none)


# --------------------------------------------------------------------------- path-norm penalty


@pytest.mark.parametrize("include_bias", [True, False])
def test_path_norm_penalty_equals_lam_times_path_norm(include_bias: bool) -> None:
    model = _model((3, 6, 5, 2), seed=1)
    pen = PathNormPenalty(0.7, include_bias=include_bias)
    expect = 0.7 * path_norm(model, include_bias=include_bias)
    assert pen.value(model) == pytest.approx(expect, rel=1e-12)
    moved = rescale(model, 2, 1, 3.5)  # a function-preserving rescaling leaves it unchanged
    assert pen.value(moved) == pytest.approx(expect, rel=1e-12)


@pytest.mark.parametrize("include_bias", [True, False])
def test_path_norm_penalty_gradient_matches_finite_differences(include_bias: bool) -> None:
    model = _model((3, 4, 3, 2), seed=2)
    pen = PathNormPenalty(0.7, include_bias=include_bias)

    class Holder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = model

        def forward(self) -> torch.Tensor:
            return pen(self.net)

    holder = Holder()
    names = [k for k, _ in holder.named_parameters()]
    start = tuple(p.detach().clone().requires_grad_() for p in holder.parameters())

    def f(*params: torch.Tensor) -> torch.Tensor:
        return functional_call(holder, dict(zip(names, params, strict=True)), ())

    assert torch.autograd.gradcheck(f, start, eps=1e-6, atol=1e-8, rtol=1e-6)


def test_path_norm_penalty_is_float32_for_a_float32_model_and_zero_safe() -> None:
    model = mlp([3, 4, 2], seed=0)
    assert PathNormPenalty(1.0)(model).dtype == torch.float32
    with torch.no_grad():
        model[0].weight.zero_()
    out = PathNormPenalty(1.0, include_bias=False)(model)
    out.backward()
    assert float(out.detach()) == 0.0
    assert all(bool(torch.isfinite(p.grad).all()) for p in model.parameters() if p.grad is not None)


def test_training_with_the_path_norm_penalty_lowers_the_path_norm() -> None:
    X, y = _data()
    plain, penalized = _model(seed=4), _model(seed=4)
    train_classifier(plain, X, y, steps=60, lr=1e-2)
    train_classifier(penalized, X, y, steps=60, lr=1e-2, penalty=PathNormPenalty(0.2))
    assert path_norm(penalized) < 0.8 * path_norm(plain)


# --------------------------------------------------------------------------- as_model_penalty


def test_as_model_penalty_wraps_what_a_training_loop_is_given() -> None:
    model = _model()
    spectral = SpectralPenalty(0.1)
    assert as_model_penalty(spectral) is spectral
    l1 = penalties.L1(0.2)
    wrapped = as_model_penalty(l1)
    assert isinstance(wrapped, OnParameters) and wrapped.penalty is l1
    assert not wrapped.include_bias
    f = as_model_penalty(lambda m: m[0].weight.pow(2).sum())
    assert isinstance(f, ModelPenalty)
    assert f.value(model) == pytest.approx(float(np.sum(_weights(model)[0] ** 2)), rel=1e-12)
    number = as_model_penalty(lambda m: 1.5)  # old code returning a number still adds up
    assert isinstance(number(model), torch.Tensor) and number.value(model) == 1.5
    with pytest.raises(ValueError, match="must return a scalar tensor"):
        as_model_penalty(lambda m: "oops")(model)


def test_bad_penalties_raise_value_errors_naming_the_argument() -> None:
    for bad in (3.0, "L2", None, [penalties.L2(1.0)]):
        with pytest.raises(ValueError, match="penalty must be"):
            as_model_penalty(bad)
    with pytest.raises(ValueError, match=r"class L2.*L2\(lam\)"):
        as_model_penalty(penalties.L2)
    X, y = _data()
    with pytest.raises(ValueError, match="penalty must be"):
        train_classifier(_model(), X, y, steps=1, penalty="L2")
    with pytest.raises(ValueError, match="penalty must be an array penalty"):
        OnParameters(lambda m: m)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="include_bias"):
        OnParameters(penalties.L2(1.0), include_bias="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"model must be a torch\.nn\.Module"):
        OnParameters(penalties.L2(1.0))(np.zeros((2, 2)))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no weights"):
        OnParameters(penalties.L2(1.0))(nn.Sequential(nn.LayerNorm(3)))
    with pytest.raises(ValueError, match="lam"):
        PathNormPenalty(-1.0)
    with pytest.raises(ValueError, match="include_bias"):
        PathNormPenalty(1.0, include_bias=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not supported by the path norm"):
        PathNormPenalty(1.0)(nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1)))


# --------------------------------------------------------------------------- package layout


def _private_crossings(source: str) -> list[str]:
    """``from x import _y`` or ``module._y`` for an imported module: a private name leaking."""
    tree = ast.parse(source)
    modules = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.Import)
               for a in n.names}
    modules |= {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                and (n.module or "").startswith("normcourse") for a in n.names}
    out = [f"from {n.module} import {a.name}" for n in ast.walk(tree)
           if isinstance(n, ast.ImportFrom) for a in n.names
           if a.name.startswith("_") and not a.name.startswith("__")]
    out += [f"{n.value.id}.{n.attr}" for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
            and n.value.id in modules and n.attr.startswith("_") and not n.attr.startswith("__")]
    return out


def test_the_private_name_scan_catches_a_crossing() -> None:
    assert _private_crossings("from normcourse.robustness import _as_input")
    assert _private_crossings("from normcourse import robustness\nrobustness._walk(m)")
    assert not _private_crossings("from normcourse.robustness import mlp\nmlp([2, 1])")


def test_robustness_package_is_small_reexported_and_keeps_privates_home() -> None:
    files = sorted(ROBUSTNESS.glob("*.py"))
    assert {f.name for f in files} >= {"__init__.py", "spectral.py", "certify.py",
                                       "pathnorm.py", "models.py"}
    users = [*files, *(NORMCOURSE / f for f in ("model_penalties.py", "continual.py", "gan.py"))]
    for f in users:
        source = f.read_text(encoding="utf-8")  # (file sizes: tests/test_architecture.py)
        assert _private_crossings(source) == [], f.name
    public = set(robustness.__all__)
    for f in files:
        if f.name == "__init__.py":
            continue
        mod = importlib.import_module(f"normcourse.robustness.{f.stem}")
        for name in mod.__all__:
            if f.stem != "layers":
                assert name in public and getattr(robustness, name) is getattr(mod, name), name
    assert public >= {"SpectralPenalty", "balance", "certified_accuracy", "certified_radius",
                      "jacobian_norms", "l2_norm", "lipschitz_upper_bound", "mlp", "path_norm",
                      "pgd_attack", "power_iteration", "rescale", "robust_accuracy",
                      "spectral_penalty", "train_classifier", "unit_norms", "PathNormPenalty"}
