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
* :func:`train_gan` — one seeded run of the experiment of the book's GAN page, for the
  discriminator variants ``"none"``, ``"sn"`` (spectral normalization) and ``"penalty"``
  (:class:`normcourse.robustness.SpectralPenalty`), returning a :class:`GanHistory` that
  records the discriminator's Lipschitz bound (:func:`normcourse.robustness.lipschitz_upper_bound`),
  both losses and generated samples over training.

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

from collections.abc import Iterable, Sequence
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
from normcourse.robustness.spectral import (
    SpectralPenalty,
    lipschitz_upper_bound,
    power_iteration,
)

__all__ = [
    "VARIANTS",
    "Coverage",
    "GanHistory",
    "SpectralNormLinear",
    "SpectralNormalization",
    "mode_coverage",
    "spectral_normalize",
    "train_gan",
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
    """What :func:`train_gan` records.

    Attributes
    ----------
    variant, seed : the arguments of the run.
    record_steps : steps k (0 = initialisation) at which ``lipschitz`` was measured.
    lipschitz : upper bound ∏_l ‖W_l‖₂ of the discriminator's Lipschitz constant at those steps
        (for ``"sn"``: of the normalized weights the discriminator applies).
    d_loss, g_loss : the data part of L_D (without the penalty) and L_G at every step 1 … steps.
    snapshots : {step: (n_samples, 2) array} generated from the same fixed noise every time.
    centers, std : the mixture the GAN was trained on.
    generator, discriminator : the trained networks (eval mode).
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
    r"""Train a GAN on a ring of ``n_modes`` Gaussians; one seeded run of the book's experiment.

    Data: :func:`normcourse.datasets.ring_of_gaussians` (radius ``radius``, standard deviation
    ``std``), a fresh batch of ``batch_size`` real points per step. Networks:
    G = MLP(z_dim → width → width → 2) and D = MLP(2 → width → width → 1), ReLU, seeded with
    :func:`normcourse.robustness.mlp`. Each step draws z ~ N(0, I), takes one Adam step on L_D
    (real and fake in one batch) and one on L_G (see the module docstring) with the same fake
    batch. A normalized D refreshes its singular vectors at each of its two forward passes per
    step (training mode), as ``torch.nn.utils.parametrizations.spectral_norm`` would. The
    variants differ only in D:

    * ``"none"`` — unconstrained;
    * ``"sn"`` — every Linear layer spectrally normalized (:func:`spectral_normalize`);
    * ``"penalty"`` — λ Σ_l ‖W_l‖₂ added to L_D (:class:`normcourse.robustness.SpectralPenalty`,
      one warm-started power iteration per step), λ = ``lam``.

    Every ``record_every`` steps (and at step 0) the Lipschitz bound of D is computed with
    :func:`normcourse.robustness.lipschitz_upper_bound` (D in eval mode, warm-started). At the
    ``snapshots`` steps (a number of evenly spaced steps, or explicit steps; the last step is
    always included) G maps the same ``n_samples`` noise vectors to the plane.

    Both optimizers are ``torch.optim.Adam(lr=lr, betas=betas, fused=True)`` — the same update
    rule as the default implementation, in one kernel per step (a quarter faster here; the
    rounding differs, so results are reproducible only with the same setting).
    ``num_threads`` sets torch's intra-op threads for the run (restored afterwards); one thread
    is fastest for these tiny networks and makes runs reproducible bit for bit.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    seed = torch_seed(seed)
    steps = positive_int(steps, "steps")
    radius = positive(radius, "radius")
    std = positive(std, "std")
    batch_size = positive_int(batch_size, "batch_size")
    z_dim = positive_int(z_dim, "z_dim")
    width = positive_int(width, "width")
    lr = positive(lr, "lr")
    lam = nonneg(lam, "lam")
    record_every = positive_int(record_every, "record_every")
    n_samples = positive_int(n_samples, "n_samples")
    if len(betas) != 2 or not all(0 <= float(b) < 1 for b in betas):
        raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}")
    snap_at = _snapshot_steps(snapshots, steps)
    if num_threads is not None:
        num_threads = positive_int(num_threads, "num_threads")

    ring = datasets.ring_of_gaussians(steps * batch_size, n_modes=n_modes, radius=radius,
                                      std=std, seed=seed)
    real_all = torch.as_tensor(ring.X, dtype=torch.float32)
    if not bool(torch.isfinite(real_all).all()):
        raise ValueError(f"radius={radius!r} and std={std!r} put the data outside float32's range")

    def diverged(k: int) -> ValueError:
        return ValueError(
            f"training diverged at step {k} (a NaN or inf loss or weight): lower lr (got {lr!r}) "
            f"or lam (got {lam!r}), or shrink the data scale radius={radius!r}, std={std!r}"
        )
    with torch_threads(num_threads):
        G = mlp([z_dim, width, width, 2], seed=seed)
        D = mlp([2, width, width, 1], seed=seed + 1_000)
        if variant == "sn":
            spectral_normalize(D)
        penalty = SpectralPenalty(lam) if variant == "penalty" else None
        opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=tuple(betas), fused=True)
        opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=tuple(betas), fused=True)
        gen = torch.Generator().manual_seed(seed)
        z_eval = torch.randn(n_samples, z_dim, generator=torch.Generator().manual_seed(seed + 7))
        softplus = nn.functional.softplus
        cache: dict[str, torch.Tensor] = {}

        def lipschitz(k: int = 0) -> float:
            for net in (G, D):
                try:
                    finite_model(net)
                except ValueError:
                    raise diverged(k) from None
            D.eval()
            value = lipschitz_upper_bound(D, cache=cache, tol=1e-7)
            D.train()
            return value

        def sample() -> np.ndarray:
            with torch.no_grad():
                return G(z_eval).numpy().astype(np.float64)

        rec_steps, lips = [0], [lipschitz()]
        snaps: dict[int, np.ndarray] = {0: sample()} if 0 in snap_at else {}
        d_loss = np.empty(steps)
        g_loss = np.empty(steps)
        G.train()
        D.train()
        for k in range(1, steps + 1):
            real = real_all[(k - 1) * batch_size : k * batch_size]
            fake = G(torch.randn(batch_size, z_dim, generator=gen))
            out = D(torch.cat([real, fake.detach()]))
            loss_d = softplus(-out[:batch_size]).mean() + softplus(out[batch_size:]).mean()
            total_d = loss_d + penalty(D) if penalty is not None else loss_d
            opt_d.zero_grad()
            total_d.backward()
            opt_d.step()
            loss_g = softplus(-D(fake)).mean()
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            d_loss[k - 1] = float(loss_d.detach())
            g_loss[k - 1] = float(loss_g.detach())
            if not (np.isfinite(d_loss[k - 1]) and np.isfinite(g_loss[k - 1])):
                raise diverged(k)
            if k % record_every == 0 or k == steps:
                rec_steps.append(k)
                lips.append(lipschitz(k))
            if k in snap_at:
                snaps[k] = sample()
                if not np.all(np.isfinite(snaps[k])):
                    raise diverged(k)
        G.eval()
        D.eval()
    return GanHistory(
        variant=variant, seed=seed, record_steps=np.asarray(rec_steps), lipschitz=np.asarray(lips),
        d_loss=d_loss, g_loss=g_loss, snapshots=snaps, centers=ring.centers, std=float(std),
        generator=G, discriminator=D,
    )

