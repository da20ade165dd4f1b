r"""A small GAN on a ring of Gaussians, and spectral normalization of its discriminator.

Symbols as in the book. A generator G_φ maps noise z ~ N(0, I) to a point of the plane, a
discriminator D_θ maps a point to a logit. With σ(t) = 1/(1 + e^{−t}) and the softplus
ζ(t) = log(1 + e^t), the two players minimise (Goodfellow et al. 2014; the generator uses
the "non-saturating" loss of that paper)

    L_D(θ) = E_x ζ(−D_θ(x)) + E_z ζ(D_θ(G_φ(z))) [+ λ Σ_l ‖W_l‖₂ for the penalty variant],
    L_G(φ) = E_z ζ(−D_θ(G_φ(z))),

with one Adam step for each per iteration.

* :class:`SpectralNormalization` — the parametrization W ↦ W / σ̂(W) of Miyato et al. (2018):
  σ̂ = uᵀ W v with (u, v) refreshed by **one** warm-started step of
  :func:`normcourse.robustness.power_iteration` per access in training mode;
  :class:`SpectralNormLinear` is an ``nn.Linear`` that carries it, :func:`spectral_normalize`
  puts it on every ``nn.Linear`` of a model.
* :func:`mode_coverage` — how many mixture components a sample set reaches, and which fraction
  of the samples is "high quality" (within 3 standard deviations of a centre; Srivastava et
  al. 2017).
* :func:`train_gans` — seeded runs of the experiment of the book's GAN page, for the
  discriminator variants ``"none"``, ``"sn"`` (spectral normalization) and ``"penalty"``
  (λ Σ_l σ̂_l, as :class:`normcourse.robustness.SpectralPenalty`), all runs in one batched loop
  (:func:`train_gan` runs one); each returns a :class:`GanHistory` that records the
  discriminator's Lipschitz bound, both losses and generated samples over training, and
  :func:`summarize` collects the numbers the page compares.

References
----------
Goodfellow et al., "Generative adversarial nets", NeurIPS 2014.
Metz, Poole, Pfau, Sohl-Dickstein, "Unrolled generative adversarial networks", ICLR 2017.
Miyato, Kataoka, Koyama, Yoshida, "Spectral normalization for generative adversarial networks",
ICLR 2018.
Srivastava, Valkov, Russell, Gutmann, Sutton, "VEEGAN: reducing mode collapse in GANs using
implicit variational learning", NeurIPS 2017.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize

from normcourse import datasets
from normcourse._torch import torch_threads
from normcourse._validate import (
    finite_array,
    finite_model,
    finite_tensor_or_array,
    flag,
    nonneg,
    positive,
    positive_int,
    torch_seed,
)
from normcourse.robustness.models import mlp
from normcourse.robustness.spectral import power_iteration

__all__ = [
    "VARIANTS",
    "Coverage",
    "GanHistory",
    "GanSummary",
    "SpectralNormLinear",
    "SpectralNormalization",
    "mode_coverage",
    "spectral_normalize",
    "summarize",
    "train_gan",
    "train_gans",
]

VARIANTS = ("none", "sn", "penalty")


# --------------------------------------------------------------------------- spectral normalization


class SpectralNormalization(nn.Module):
    r"""Parametrization W ↦ W_SN = W / σ̂(W), σ̂ = uᵀ W v (Miyato et al. 2018, Algorithm 1).

    Register it with ``torch.nn.utils.parametrize.register_parametrization(layer, "weight",
    SpectralNormalization(layer.weight))`` (or use :func:`spectral_normalize`); ``layer.weight``
    is then W_SN and the trained parameter is ``layer.parametrizations.weight.original`` = W.

    The buffers u ∈ ℝᵐ, v ∈ ℝⁿ (W is m × n) start from ``n_iter_init`` power iterations on the
    initial W. Every access to the weight **in training mode** refreshes them with one
    warm-started iteration of :func:`normcourse.robustness.power_iteration`,

        u ← W v / ‖W v‖,   v ← Wᵀ u / ‖Wᵀ u‖,   σ̂ = uᵀ W v,

    and returns W / σ̂ with u, v treated as constants, so ∂σ̂/∂W = u vᵀ. Because W moves little
    per optimizer step, one iteration per step keeps σ̂ close to σ₁(W) = ‖W‖₂ (σ̂ ≤ σ₁ always).
    In eval mode the stored u, v are used without an update (no side effect), exactly like
    ``torch.nn.utils.parametrizations.spectral_norm``, whose iteration order and buffers this
    follows: copying its ``_v`` into ``v`` reproduces its weights step for step.

    Parameters
    ----------
    weight : the 2-D weight W to be normalized (only its current value and shape are used).
    n_iter_init : power iterations for the initial u, v (≥ 1; torch uses 15).
    """

    def __init__(self, weight: torch.Tensor, n_iter_init: int = 15) -> None:
        super().__init__()
        if not isinstance(weight, torch.Tensor) or weight.ndim != 2:
            raise ValueError(
                "weight must be a 2-D tensor (the weight of an nn.Linear), got "
                f"{type(weight).__name__} of shape {tuple(getattr(weight, 'shape', ()))}"
            )
        finite_tensor_or_array(weight.detach(), "weight")
        n_iter_init = positive_int(n_iter_init, "n_iter_init")
        _, u, v = power_iteration(weight.detach(), n_iter=n_iter_init, tol=0.0,
                                  return_vectors=True)
        self.register_buffer("u", u.clone())
        self.register_buffer("v", v.clone())

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        """W / σ̂(W); in training mode (u, v) first take one power-iteration step."""
        if self.training:
            sigma, u, v = power_iteration(weight, n_iter=1, tol=0.0, u0=self.v,
                                          return_vectors=True)
            with torch.no_grad():
                self.u.copy_(u)
                self.v.copy_(v)
        else:
            sigma = torch.dot(self.u, weight @ self.v)
        return weight / sigma

    def sigma(self, weight: torch.Tensor) -> float:
        """The current estimate σ̂ = uᵀ W v as a float (no update of u, v)."""
        with torch.no_grad():
            return float(torch.dot(self.u, weight @ self.v))


def _normalize_layer(layer: nn.Linear, n_iter_init: int) -> None:
    if parametrize.is_parametrized(layer, "weight"):
        raise ValueError(
            f"layer {layer} already has a parametrization on its weight; spectral normalization "
            "is applied once"
        )
    parametrize.register_parametrization(
        layer, "weight", SpectralNormalization(layer.weight, n_iter_init)
    )


class SpectralNormLinear(nn.Linear):
    r"""``nn.Linear`` whose weight is spectrally normalized: y = (W / σ̂(W)) x + b.

    σ̂(W) is the one-step, warm-started power-iteration estimate of ‖W‖₂ described in
    :class:`SpectralNormalization`, refreshed at every forward pass in training mode, so the
    layer is (up to the power-iteration error) 1-Lipschitz whatever the raw W. ``layer.weight``
    is the normalized matrix (what the layer applies); the trained parameter is
    ``layer.parametrizations.weight.original``. Because it is an ``nn.Linear``, the functions of
    :mod:`normcourse.robustness` (e.g. :func:`~normcourse.robustness.lipschitz_upper_bound`) see
    the normalized weight.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        n_iter_init: int = 15,
        device: Any = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(positive_int(in_features, "in_features"),
                         positive_int(out_features, "out_features"),
                         bias=flag(bias, "bias"), device=device, dtype=dtype)
        _normalize_layer(self, n_iter_init)

    @property
    def sigma(self) -> float:
        """Current estimate σ̂ of ‖W‖₂ for the raw weight W (no power-iteration step)."""
        p = self.parametrizations.weight
        return p[0].sigma(p.original)


def spectral_normalize(model: nn.Module, n_iter_init: int = 15) -> nn.Module:
    r"""Spectrally normalize every ``nn.Linear`` of ``model`` in place; return ``model``.

    Each weight W_l becomes W_l / σ̂(W_l) through :class:`SpectralNormalization`, so for a
    network of Linear layers and 1-Lipschitz activations the Lipschitz bound
    ∏_l ‖W_l / σ̂_l‖₂ stays ≈ 1 during training. Raises ``ValueError`` if ``model`` has no
    ``nn.Linear`` or a layer's weight is already parametrized.
    """
    finite_model(model)
    n_iter_init = positive_int(n_iter_init, "n_iter_init")
    layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not layers:
        raise ValueError("model has no nn.Linear layer to normalize")
    for layer in layers:
        _normalize_layer(layer, n_iter_init)
    return model


# --------------------------------------------------------------------------- mode coverage


class Coverage(NamedTuple):
    """Result of :func:`mode_coverage`."""

    modes_hit: int
    """number of centres k with ``counts[k] ≥ min_count``"""
    high_quality: float
    """fraction of samples within ``n_std``·std of their nearest centre"""
    counts: np.ndarray
    """high-quality samples per centre (assigned to the nearest centre)"""
    shares: np.ndarray
    """fraction of *all* samples whose nearest centre is k (sums to 1)"""


def mode_coverage(
    samples: Any, centers: Any, std: float, n_std: float = 3.0, min_count: int = 20
) -> Coverage:
    r"""Mode coverage of generated samples on a Gaussian mixture (Srivastava et al. 2017).

    Every sample x is assigned to its nearest centre k(x). It is *high quality* if
    ‖x − c_{k(x)}‖₂ ≤ ``n_std`` · std. With counts_k = #{high-quality x : k(x) = k},

        modes_hit = #{k : counts_k ≥ min_count},   high_quality = (Σ_k counts_k) / n,
        shares_k = #{x : k(x) = k} / n.

    ``modes_hit`` and ``high_quality`` need samples *on* the modes, so they measure sharpness
    and coverage together; ``shares`` only say where the mass goes (a collapsed generator
    leaves some shares near 0, a blurred but spread-out one has every share near 1/K).

    Parameters
    ----------
    samples : (n, d) array or tensor, n ≥ 1.
    centers : (K, d) array or tensor of the mixture means.
    std : the components' standard deviation (> 0).
    n_std : radius in standard deviations (> 0).
    min_count : high-quality samples a centre needs to count as hit (≥ 1).
    """
    X = finite_array(samples, "samples", ndim=2)
    C = finite_array(centers, "centers", ndim=2)
    if X.shape[0] == 0:
        raise ValueError("samples must contain at least one sample")
    if C.shape[0] == 0:
        raise ValueError("centers must contain at least one centre")
    if X.shape[1] != C.shape[1]:
        raise ValueError(
            f"samples and centers must have the same dimension, got {X.shape[1]} and {C.shape[1]}"
        )
    radius = positive(n_std, "n_std") * positive(std, "std")
    min_count = positive_int(min_count, "min_count")
    d2 = ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2)
    nearest = d2.argmin(axis=1)
    good = d2[np.arange(X.shape[0]), nearest] <= radius * radius
    counts = np.bincount(nearest[good], minlength=C.shape[0])
    shares = np.bincount(nearest, minlength=C.shape[0]) / X.shape[0]
    return Coverage(int(np.sum(counts >= min_count)), float(good.mean()), counts, shares)


# --------------------------------------------------------------------------- training


@dataclass
class GanHistory:
    """What :func:`train_gan` / :func:`train_gans` record for one run.

    Attributes
    ----------
    variant, seed : the run.
    record_steps : steps k (0 = initialisation) at which ``lipschitz`` was measured.
    lipschitz : upper bound ∏_l ‖W_l‖₂ of the discriminator's Lipschitz constant at those steps
        (for ``"sn"``: of the normalized weights the discriminator applies).
    d_loss, g_loss : the data part of L_D (without the penalty) and L_G at every step 1 … steps.
    snapshots : {step: (n_samples, 2) array} generated from the same fixed noise every time.
    centers, std : the mixture the GAN was trained on.
    generator, discriminator : the trained networks as ``nn.Sequential`` MLPs (eval mode; for
        ``"sn"`` the discriminator carries :class:`SpectralNormalization` with its vectors).
    """

    variant: str
    seed: int
    record_steps: np.ndarray
    lipschitz: np.ndarray
    d_loss: np.ndarray
    g_loss: np.ndarray
    snapshots: dict[int, np.ndarray]
    centers: np.ndarray
    std: float
    generator: nn.Module = field(repr=False)
    discriminator: nn.Module = field(repr=False)

    @property
    def samples(self) -> np.ndarray:
        """The generated samples of the last snapshot (the end of training)."""
        return self.snapshots[max(self.snapshots)]

    def coverage(self, n_std: float = 3.0, min_count: int = 20) -> Coverage:
        """:func:`mode_coverage` of :attr:`samples` on the training mixture."""
        return mode_coverage(self.samples, self.centers, self.std, n_std, min_count)

    def oscillation(self, last: int = 200) -> float:
        """Standard deviation of the discriminator loss over the last ``last`` steps."""
        last = positive_int(last, "last")
        if last > self.d_loss.size:
            raise ValueError(f"last must be ≤ the number of steps ({self.d_loss.size}), got {last}")
        return float(np.std(self.d_loss[-last:]))


def _snapshot_steps(snapshots: int | Iterable[int], steps: int) -> list[int]:
    if isinstance(snapshots, int | np.integer) and not isinstance(snapshots, bool):
        k = positive_int(snapshots, "snapshots")
        return sorted({round(steps * (i + 1) / k) for i in range(k)})
    if not isinstance(snapshots, Iterable) or isinstance(snapshots, str):
        raise ValueError(
            f"snapshots must be a number of snapshots (an integer ≥ 1) or a list of steps, got "
            f"{snapshots!r}"
        )
    items = list(snapshots)
    if any(isinstance(s, bool) or not isinstance(s, int | np.integer) for s in items):
        raise ValueError(f"snapshots must list integer steps, got {snapshots!r}")
    out = sorted({int(s) for s in items})
    if not out or out[0] < 0 or out[-1] > steps:
        raise ValueError(f"snapshots must be steps in [0, {steps}], got {snapshots!r}")
    if out[-1] != steps:
        out.append(steps)
    return out


def _raw_weight(layer: nn.Linear) -> torch.Tensor:
    """The trained weight W of a Linear layer (the original under a parametrization)."""
    if parametrize.is_parametrized(layer, "weight"):
        return layer.parametrizations.weight.original.detach()
    return layer.weight.detach()


class _Stack:
    """R MLPs of one architecture as batched tensors: layer l is W_l (R, out, in), b_l (R, out).

    ``forward(x)`` with x (R, B, in) applies run r's network to x[r] (``torch.baddbmm``), ReLU
    between layers; ``scales`` (one (R,) tensor per layer) divides each W_l[r] by scales[l][r]."""

    def __init__(self, nets: Sequence[nn.Sequential]) -> None:
        layers = [[m for m in net if isinstance(m, nn.Linear)] for net in nets]
        self.W = [torch.stack([_raw_weight(ls[i]) for ls in layers]).requires_grad_()
                  for i in range(len(layers[0]))]
        self.b = [torch.stack([ls[i].bias.detach() for ls in layers]).requires_grad_()
                  for i in range(len(layers[0]))]

    def params(self) -> list[torch.Tensor]:
        return [*self.W, *self.b]

    def forward(self, x: torch.Tensor, scales: Sequence[torch.Tensor] | None = None
                ) -> torch.Tensor:
        for i, (W, b) in enumerate(zip(self.W, self.b, strict=True)):
            Wi = W if scales is None else W / scales[i][:, None, None]
            x = torch.baddbmm(b.unsqueeze(1), x, Wi.transpose(1, 2))
            if i < len(self.W) - 1:
                x = torch.relu(x)
        return x

    def net(self, r: int, sizes: Sequence[int]) -> nn.Sequential:
        """Run r as an ``nn.Sequential`` (a copy of its current weights)."""
        net = mlp(list(sizes))
        with torch.no_grad():
            for layer, W, b in zip(net[::2], self.W, self.b, strict=True):
                layer.weight.copy_(W[r])
                layer.bias.copy_(b[r])
        return net.eval()


def _power_step(W: torch.Tensor, u: torch.Tensor, v: torch.Tensor,
                refresh: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One batched power-iteration step u ← Wv/‖Wv‖, v ← Wᵀu/‖Wᵀu‖ for the runs where
    ``refresh`` is True (all runs if None; the others keep u, v); returns (σ̂, u, v) with
    σ̂ = uᵀ W v (R,), differentiable in W (u, v are constants, so ∂σ̂/∂W = u vᵀ)."""
    with torch.no_grad():
        un = nn.functional.normalize(torch.bmm(W, v.unsqueeze(2)).squeeze(2), dim=1, eps=1e-12)
        vn = nn.functional.normalize(torch.bmm(W.transpose(1, 2), un.unsqueeze(2)).squeeze(2),
                                     dim=1, eps=1e-12)
        if refresh is not None:
            un = torch.where(refresh[:, None], un, u)
            vn = torch.where(refresh[:, None], vn, v)
    return _sigma(W, un, vn), un, vn


def _sigma(W: torch.Tensor, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """σ̂_r = u_rᵀ W_r v_r for each run r."""
    return torch.bmm(u.unsqueeze(1), torch.bmm(W, v.unsqueeze(2))).reshape(-1)


def train_gans(
    variants: Sequence[str] = VARIANTS,
    seeds: Sequence[int] = (0,),
    steps: int = 2000,
    *,
    radius: float = 10.0,
    std: float = 0.1,
    n_modes: int = 8,
    batch_size: int = 128,
    z_dim: int = 16,
    width: int = 32,
    lr: float = 2e-3,
    betas: tuple[float, float] = (0.5, 0.999),
    lam: float = 0.1,
    record_every: int = 25,
    snapshots: int | Sequence[int] = 4,
    n_samples: int = 2000,
    num_threads: int | None = 1,
) -> dict[str, list[GanHistory]]:
    r"""Train one GAN per (variant, seed) on a ring of Gaussians, all runs in one batched loop.

    Returns ``{variant: [GanHistory for each seed]}``. Each run is the experiment of the book's
    GAN page, and the runs do not interact: run (v, s) is what :func:`train_gan` ``(v, s)``
    computes, up to floating-point rounding (the R runs' weights are stacked into (R, out, in)
    tensors and applied with ``torch.baddbmm``; Adam is elementwise, so one Adam on the stacks
    is R independent Adams). Batching costs about as much per step as a single run, because
    these networks are so small that a step's time is spent on dispatching operations.

    Data: :func:`normcourse.datasets.ring_of_gaussians` (``radius``, ``std``, seeded with s), a
    fresh batch of ``batch_size`` real points per step. Networks: G = MLP(z_dim → width → width
    → 2) seeded with s and D = MLP(2 → width → width → 1) seeded with s + 1000
    (:func:`normcourse.robustness.mlp`, ReLU). Each step draws z ~ N(0, I) (a generator seeded
    with s), takes one Adam step on L_D (real and fake in one batch), then one on L_G with the
    same fake batch (see the module docstring). The variants differ only in D:

    * ``"none"`` — unconstrained;
    * ``"sn"`` — W_l / σ̂_l on every layer, (u_l, v_l) taken from :func:`spectral_normalize`
      (15 iterations at creation, one more when the parametrization is registered) and
      advanced by one at each of D's two forward passes per step (training mode);
    * ``"penalty"`` — λ Σ_l σ̂_l added to L_D, λ = ``lam``, σ̂_l from 20 iterations at step 1 and
      one more per step (as :class:`normcourse.robustness.SpectralPenalty`).

    Every ``record_every`` steps (and at step 0) the bound ∏_l ‖W_l‖₂ of the weights D applies is
    recorded (exact spectral norms, ``torch.linalg.matrix_norm(ord=2)`` in float64; for "sn"
    with the stored u, v, as in eval mode). At the ``snapshots`` steps (a number of evenly spaced
    steps, or explicit steps; the last step is always included) G maps the same ``n_samples``
    noise vectors (seeded with s + 7) to the plane. Both optimizers are
    ``torch.optim.Adam(lr=lr, betas=betas, fused=True)``. ``num_threads`` sets torch's intra-op
    threads for the run (restored afterwards; one is fastest for these tiny networks).
    """
    if isinstance(variants, str) or not isinstance(variants, Sequence) or not variants:
        raise ValueError(f"variants must be a non-empty list drawn from {VARIANTS}, "
                         f"got {variants!r}")
    for v in variants:
        if v not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {v!r}")
    if len(set(variants)) != len(variants):
        raise ValueError(f"variants must not repeat, got {variants!r}")
    if isinstance(seeds, str) or not isinstance(seeds, Sequence) or not seeds:
        raise ValueError(f"seeds must be a non-empty list of integers, got {seeds!r}")
    seeds = [torch_seed(s) for s in seeds]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must not repeat, got {seeds!r}")
    steps = positive_int(steps, "steps")
    radius = positive(radius, "radius")
    std = positive(std, "std")
    n_modes = positive_int(n_modes, "n_modes")
    batch_size = positive_int(batch_size, "batch_size")
    z_dim = positive_int(z_dim, "z_dim")
    width = positive_int(width, "width")
    lr = positive(lr, "lr")
    lam = nonneg(lam, "lam")
    if lam > torch.finfo(torch.float32).max:
        raise ValueError(f"lam must be ≤ {torch.finfo(torch.float32).max:.3g} (the networks "
                         f"are float32), got {lam!r}")
    record_every = positive_int(record_every, "record_every")
    n_samples = positive_int(n_samples, "n_samples")
    if (isinstance(betas, str) or not hasattr(betas, "__len__") or len(betas) != 2
            or not all(isinstance(b, int | float) and 0 <= float(b) < 1 for b in betas)):
        raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}")
    snap_at = set(_snapshot_steps(snapshots, steps))
    if num_threads is not None:
        num_threads = positive_int(num_threads, "num_threads")

    runs = [(v, s) for v in variants for s in seeds]
    R, B = len(runs), batch_size
    rings = {s: datasets.ring_of_gaussians(steps * B, n_modes=n_modes, radius=radius, std=std,
                                           seed=s) for s in seeds}
    real_all = torch.stack([torch.as_tensor(rings[s].X, dtype=torch.float32) for _, s in runs])
    if not bool(torch.isfinite(real_all).all()):
        raise ValueError(f"radius={radius!r} and std={std!r} put the data outside float32's range")

    def diverged(k: int) -> ValueError:
        return ValueError(
            f"training diverged by step {k} (a NaN or inf loss or weight): lower lr (got {lr!r}) "
            f"or lam (got {lam!r}), or shrink the data scale radius={radius!r}, std={std!r}"
        )

    g_sizes, d_sizes = [z_dim, width, width, 2], [2, width, width, 1]
    is_sn = torch.tensor([v == "sn" for v, _ in runs])
    is_pen = torch.tensor([v == "penalty" for v, _ in runs])
    # D's forward passes advance every run's vectors except the penalty's (unused for "none")
    fwd_refresh = ~is_pen if bool(is_pen.any()) else None
    lam_r = torch.where(is_pen, lam, 0.0)
    with torch_threads(num_threads):
        G = _Stack([mlp(g_sizes, seed=s) for _, s in runs])
        d_nets = [mlp(d_sizes, seed=s + 1_000) for _, s in runs]
        for (v, _), net in zip(runs, d_nets, strict=True):
            if v == "sn":
                spectral_normalize(net)  # its u, v: exactly those of SpectralNormLinear
        D = _Stack(d_nets)
        uv = []  # per layer: [u (R, out), v (R, in)] of SN, or of the penalty (20 iterations)
        for i, W in enumerate(D.W):
            pairs = [net[2 * i].parametrizations.weight[0] if v == "sn" else
                     power_iteration(W[r].detach(), n_iter=20, tol=0.0, return_vectors=True)[1:]
                     for r, ((v, _), net) in enumerate(zip(runs, d_nets, strict=True))]
            pairs = [(p.u, p.v) if isinstance(p, SpectralNormalization) else p for p in pairs]
            uv.append([torch.stack([p[0] for p in pairs]), torch.stack([p[1] for p in pairs])])
        opt_g = torch.optim.Adam(G.params(), lr=lr, betas=tuple(betas), fused=True)
        opt_d = torch.optim.Adam(D.params(), lr=lr, betas=tuple(betas), fused=True)
        gens = {s: torch.Generator().manual_seed(s) for s in seeds}
        z_eval = torch.stack([torch.randn(n_samples, z_dim,
                                          generator=torch.Generator().manual_seed(s + 7))
                              for _, s in runs])
        softplus = nn.functional.softplus

        def d_scales(train: bool) -> list[torch.Tensor]:
            """σ̂_l per run for SN runs (1 for the others); in training, one iteration first."""
            out = []
            for W, pair in zip(D.W, uv, strict=True):
                if train:
                    sigma, pair[0], pair[1] = _power_step(W, pair[0], pair[1], fwd_refresh)
                else:
                    sigma = _sigma(W.detach(), pair[0], pair[1])
                out.append(torch.where(is_sn, sigma, torch.ones_like(sigma)))
            return out

        def lipschitz(k: int) -> np.ndarray:
            with torch.no_grad():
                if not all(bool(torch.isfinite(p).all()) for p in (*G.params(), *D.params())):
                    raise diverged(k)
                bound = torch.ones(R, dtype=torch.float64)
                for W, s in zip(D.W, d_scales(False), strict=True):
                    Wd = (W / s[:, None, None]).to(torch.float64)
                    bound *= torch.linalg.matrix_norm(Wd, ord=2)
                return bound.numpy()

        def sample() -> np.ndarray:
            with torch.no_grad():
                return G.forward(z_eval).numpy().astype(np.float64)

        rec_steps, lips = [0], [lipschitz(0)]
        snaps: dict[int, np.ndarray] = {0: sample()} if 0 in snap_at else {}
        d_loss = torch.empty(steps, R)
        g_loss = torch.empty(steps, R)
        for k in range(1, steps + 1):
            real = real_all[:, (k - 1) * B : k * B]
            zs = {s: torch.randn(B, z_dim, generator=g) for s, g in gens.items()}
            fake = G.forward(torch.stack([zs[s] for _, s in runs]))
            out = D.forward(torch.cat([real, fake.detach()], dim=1), d_scales(True))
            loss_d = softplus(-out[:, :B]).mean(dim=(1, 2)) + softplus(out[:, B:]).mean(dim=(1, 2))
            total_d = loss_d.sum()
            if bool(is_pen.any()):
                refresh = is_pen if k > 1 else torch.zeros(R, dtype=torch.bool)
                for W, pair in zip(D.W, uv, strict=True):
                    sigma, pair[0], pair[1] = _power_step(W, pair[0], pair[1], refresh)
                    total_d = total_d + (lam_r * sigma).sum()
            opt_d.zero_grad()
            total_d.backward()
            opt_d.step()
            loss_g = softplus(-D.forward(fake, d_scales(True))).mean(dim=(1, 2))
            opt_g.zero_grad()
            loss_g.sum().backward()
            opt_g.step()
            d_loss[k - 1] = loss_d.detach()
            g_loss[k - 1] = loss_g.detach()
            if k % record_every == 0 or k == steps:
                if not (bool(torch.isfinite(d_loss[:k]).all())
                        and bool(torch.isfinite(g_loss[:k]).all())):
                    raise diverged(k)
                rec_steps.append(k)
                lips.append(lipschitz(k))
            if k in snap_at:
                snaps[k] = sample()
                if not np.all(np.isfinite(snaps[k])):
                    raise diverged(k)

        result: dict[str, list[GanHistory]] = {v: [] for v in variants}
        for r, (v, s) in enumerate(runs):
            D_r = D.net(r, d_sizes)
            if v == "sn":
                spectral_normalize(D_r)
                with torch.no_grad():
                    for layer, (u, vv) in zip(D_r[::2], uv, strict=True):
                        layer.parametrizations.weight[0].u.copy_(u[r])
                        layer.parametrizations.weight[0].v.copy_(vv[r])
                D_r.eval()
            result[v].append(GanHistory(
                variant=v, seed=s, record_steps=np.asarray(rec_steps),
                lipschitz=np.array([lp[r] for lp in lips]),
                d_loss=d_loss[:, r].numpy().astype(np.float64),
                g_loss=g_loss[:, r].numpy().astype(np.float64),
                snapshots={t: x[r] for t, x in snaps.items()}, centers=rings[s].centers,
                std=float(std), generator=G.net(r, g_sizes), discriminator=D_r))
    return result


def train_gan(
    variant: str = "none",
    seed: int = 0,
    steps: int = 2000,
    *,
    radius: float = 10.0,
    std: float = 0.1,
    n_modes: int = 8,
    batch_size: int = 128,
    z_dim: int = 16,
    width: int = 32,
    lr: float = 2e-3,
    betas: tuple[float, float] = (0.5, 0.999),
    lam: float = 0.1,
    record_every: int = 25,
    snapshots: int | Sequence[int] = 4,
    n_samples: int = 2000,
    num_threads: int | None = 1,
) -> GanHistory:
    r"""Train one GAN on a ring of ``n_modes`` Gaussians: ``train_gans([variant], [seed], …)``.

    See :func:`train_gans` for the experiment (data, networks, losses, the three variants
    ``"none"``, ``"sn"``, ``"penalty"`` and what is recorded); this runs a single (variant,
    seed) pair and returns its :class:`GanHistory`.
    """
    if not isinstance(variant, str) or variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    return train_gans([variant], [seed], steps, radius=radius, std=std, n_modes=n_modes,
                      batch_size=batch_size, z_dim=z_dim, width=width, lr=lr, betas=betas,
                      lam=lam, record_every=record_every, snapshots=snapshots,
                      n_samples=n_samples, num_threads=num_threads)[variant][0]


# --------------------------------------------------------------------------- summaries


@dataclass(frozen=True)
class GanSummary:
    """The numbers the GAN page compares, one entry per seed (arrays of length #seeds)."""

    seeds: np.ndarray
    modes_hit: np.ndarray
    """:attr:`Coverage.modes_hit` of the final samples"""
    high_quality: np.ndarray
    """:attr:`Coverage.high_quality` of the final samples"""
    min_share: np.ndarray
    """smallest :attr:`Coverage.shares` entry: the least visited mode's share of the samples"""
    lipschitz_start: np.ndarray
    """Lipschitz bound ∏_l ‖W_l‖₂ of D at initialisation"""
    lipschitz_end: np.ndarray
    """… at the end of training"""
    lipschitz_max: np.ndarray
    """… largest over all recorded steps"""
    oscillation: np.ndarray
    """standard deviation of L_D over the last ``last`` steps"""
    late_d_loss: np.ndarray
    """mean of L_D over the last ``last`` steps (2 log 2 ≈ 1.386 = a constant logit)"""


def summarize(
    runs: Mapping[str, Sequence[GanHistory]], last: int = 200, n_std: float = 3.0,
    min_count: int = 20,
) -> dict[str, GanSummary]:
    r"""Per-variant summary of :func:`train_gans`' output: ``{variant: GanSummary}``.

    For every run h: the coverage of its final samples (:meth:`GanHistory.coverage` with
    ``n_std``, ``min_count``: modes hit, high-quality fraction, min_k share_k), its Lipschitz
    bound at the start, the end and its maximum over training, and the mean and standard
    deviation of the discriminator loss L_D over the last ``last`` steps.
    """
    if not isinstance(runs, Mapping) or not runs:
        raise ValueError(f"runs must be a non-empty mapping {{variant: [GanHistory, …]}}, "
                         f"got {type(runs).__name__}")
    last = positive_int(last, "last")
    out = {}
    for key, hs in runs.items():
        hs = list(hs)
        if not hs or not all(isinstance(h, GanHistory) for h in hs):
            raise ValueError(f"runs[{key!r}] must be a non-empty list of GanHistory")
        if any(last > h.d_loss.size for h in hs):
            raise ValueError(f"last must be ≤ the number of steps of every run, got {last}")
        cov = [h.coverage(n_std, min_count) for h in hs]
        out[key] = GanSummary(
            seeds=np.array([h.seed for h in hs]),
            modes_hit=np.array([c.modes_hit for c in cov]),
            high_quality=np.array([c.high_quality for c in cov]),
            min_share=np.array([float(c.shares.min()) for c in cov]),
            lipschitz_start=np.array([float(h.lipschitz[0]) for h in hs]),
            lipschitz_end=np.array([float(h.lipschitz[-1]) for h in hs]),
            lipschitz_max=np.array([float(h.lipschitz.max()) for h in hs]),
            oscillation=np.array([h.oscillation(last) for h in hs]),
            late_d_loss=np.array([float(h.d_loss[-last:].mean()) for h in hs]),
        )
    return out
