"""normcourse.gan: unit tests (the page's claims are in tests/test_claims_gans.py).

SpectralNormLinear against torch.linalg.matrix_norm and against torch's own ``spectral_norm``
parametrization (same start vector → same weights through SGD and Adam training),
mode_coverage on hand-made point sets with known counts, ring_of_gaussians, the batched
train_gans against a plain one-network training loop, summarize, input checks.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from normcourse import datasets, gan
from normcourse.robustness import SpectralPenalty, lipschitz_upper_bound, mlp

# --------------------------------------------------------------------------- SpectralNormLinear


def _copy_from_torch(ref: nn.Linear, ours: gan.SpectralNormLinear) -> None:
    with torch.no_grad():
        ours.parametrizations.weight.original.copy_(ref.parametrizations.weight.original)
        ours.bias.copy_(ref.bias)
        ours.parametrizations.weight[0].v.copy_(ref.parametrizations.weight[0]._v)
        ours.parametrizations.weight[0].u.copy_(ref.parametrizations.weight[0]._u)


def test_normalized_weight_has_unit_spectral_norm_after_a_few_forwards() -> None:
    torch.manual_seed(0)
    layer = gan.SpectralNormLinear(40, 25, n_iter_init=1)
    with torch.no_grad():
        layer.parametrizations.weight.original.mul_(7.0)
    x = torch.randn(5, 40)
    norms = []
    for _ in range(40):
        layer(x)
        layer.eval()
        norms.append(float(torch.linalg.matrix_norm(layer.weight.detach(), ord=2)))
        layer.train()
    assert norms[0] > 1.01  # one iteration from a random start is a poor estimate
    assert min(norms) >= 1 - 1e-5  # σ̂ = uᵀWv ≤ σ₁, so ‖W/σ̂‖₂ ≥ 1
    assert norms[-1] == pytest.approx(1.0, abs=1e-3)
    assert norms[-1] < norms[10] < norms[0]
    # the estimate σ̂ converges to the true σ₁ of the raw weight
    W = layer.parametrizations.weight.original.detach()
    assert layer.sigma == pytest.approx(float(torch.linalg.matrix_norm(W, ord=2)), rel=1e-3)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_matches_torch_spectral_norm_through_training(optimizer: str) -> None:
    torch.manual_seed(3)
    ref = spectral_norm(nn.Linear(12, 9))
    ours = gan.SpectralNormLinear(12, 9)
    _copy_from_torch(ref, ours)
    x = torch.randn(32, 12)
    target = torch.randn(32, 9)
    for net in (ref, ours):
        opt = (torch.optim.SGD(net.parameters(), lr=0.1) if optimizer == "sgd"
               else torch.optim.Adam(net.parameters(), lr=0.05))
        for _ in range(25):  # one power iteration per training step
            opt.zero_grad()
            ((net(x) - target) ** 2).mean().backward()
            opt.step()
    torch.testing.assert_close(ours.parametrizations.weight.original,
                               ref.parametrizations.weight.original, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(ours.parametrizations.weight[0].u, ref.parametrizations.weight[0]._u,
                               rtol=1e-5, atol=1e-6)
    ref.eval()
    ours.eval()
    torch.testing.assert_close(ours.weight, ref.weight, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(ours(x), ref(x), rtol=1e-5, atol=1e-6)


def test_gradient_matches_torch_spectral_norm() -> None:
    torch.manual_seed(4)
    ref = spectral_norm(nn.Linear(6, 8))
    ours = gan.SpectralNormLinear(6, 8)
    _copy_from_torch(ref, ours)
    x = torch.randn(10, 6)
    for net in (ref, ours):
        (net(x).sin().sum()).backward()
    torch.testing.assert_close(ours.parametrizations.weight.original.grad,
                               ref.parametrizations.weight.original.grad, rtol=1e-5, atol=1e-6)


def test_eval_mode_has_no_side_effect_training_mode_iterates() -> None:
    torch.manual_seed(5)
    layer = gan.SpectralNormLinear(8, 8, n_iter_init=1)
    p = layer.parametrizations.weight[0]
    u0, v0 = p.u.clone(), p.v.clone()
    layer.eval()
    w1 = layer.weight.detach().clone()
    layer(torch.randn(3, 8))
    assert torch.equal(p.u, u0) and torch.equal(p.v, v0)
    assert torch.equal(layer.weight, w1)
    layer.train()
    layer(torch.randn(3, 8))
    assert not torch.equal(p.v, v0)


def test_spectral_normalize_makes_the_lipschitz_bound_one() -> None:
    model = mlp([3, 16, 16, 2], seed=2)
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.Linear):
                m.weight.mul_(5.0)
    raw = lipschitz_upper_bound(model)
    assert raw > 10
    gan.spectral_normalize(model)
    for _ in range(30):
        model(torch.randn(4, 3))
    model.eval()
    assert lipschitz_upper_bound(model) == pytest.approx(1.0, abs=1e-3)
    assert all(isinstance(m, nn.Linear) for m in model[::2])


def test_spectral_normalization_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"model has no nn\.Linear"):
        gan.spectral_normalize(nn.Sequential(nn.ReLU()))
    with pytest.raises(ValueError, match="model must be"):
        gan.spectral_normalize("not a model")  # type: ignore[arg-type]
    model = gan.spectral_normalize(mlp([2, 4, 1]))
    with pytest.raises(ValueError, match="already has a parametrization"):
        gan.spectral_normalize(model)
    with pytest.raises(ValueError, match="weight must be a 2-D tensor"):
        gan.SpectralNormalization(torch.ones(3))
    with pytest.raises(ValueError, match="n_iter_init"):
        gan.SpectralNormLinear(3, 3, n_iter_init=0)
    with pytest.raises(ValueError, match="in_features"):
        gan.SpectralNormLinear(0, 3)


# --------------------------------------------------------------------------- mode coverage


def test_mode_coverage_counts_on_hand_made_samples() -> None:
    centers = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    std = 0.1  # 3σ = 0.3
    samples = np.vstack([
        np.tile(centers[0], (25, 1)),                        # 25 exactly on mode 0
        centers[1] + np.array([[0.2, 0.0]] * 4 + [[0.0, -0.25]]),  # 5 inside mode 1
        np.tile(centers[2] + [0.0, 0.3], (3, 1)),            # 3 exactly on the 3σ circle
        np.tile(centers[3] + [0.31, 0.0], (10, 1)),          # 10 just outside mode 3
        np.zeros((7, 2)),                                    # 7 at the origin, far from all
    ])
    cov = gan.mode_coverage(samples, centers, std, min_count=5)
    assert cov.counts.tolist() == [25, 5, 3, 0]
    assert cov.modes_hit == 2
    assert cov.high_quality == pytest.approx(33 / 50)
    assert gan.mode_coverage(samples, centers, std, min_count=3).modes_hit == 3
    assert gan.mode_coverage(samples, centers, std, min_count=1).modes_hit == 3
    wider = gan.mode_coverage(samples, centers, std, n_std=3.2, min_count=1)
    assert wider.counts.tolist() == [25, 5, 3, 10] and wider.modes_hit == 4
    # shares count every sample; the origin is equidistant from all centres (tie → first)
    np.testing.assert_allclose(cov.shares, np.array([25 + 7, 5, 3, 10]) / 50)
    modes_hit, hq, counts, shares = cov  # a NamedTuple: unpacks
    assert (modes_hit, hq) == (2, cov.high_quality)
    assert counts is cov.counts and shares is cov.shares


def test_mode_coverage_on_the_ring_itself() -> None:
    ring = datasets.ring_of_gaussians(4000, n_modes=8, radius=2.0, std=0.02, seed=1)
    cov = gan.mode_coverage(ring.X, ring.centers, ring.std)
    assert cov.modes_hit == 8
    # P(‖N(0, σ²I₂)‖ ≤ 3σ) = 1 − e^{−9/2} ≈ 0.9889
    assert cov.high_quality == pytest.approx(1 - np.exp(-4.5), abs=0.006)
    collapsed = ring.X[ring.component < 3]
    assert gan.mode_coverage(collapsed, ring.centers, ring.std).modes_hit == 3


def test_mode_coverage_rejects_bad_input() -> None:
    C = np.zeros((2, 2))
    with pytest.raises(ValueError, match="same dimension"):
        gan.mode_coverage(np.zeros((3, 3)), C, 0.1)
    with pytest.raises(ValueError, match="std"):
        gan.mode_coverage(np.zeros((3, 2)), C, 0.0)
    with pytest.raises(ValueError, match="min_count"):
        gan.mode_coverage(np.zeros((3, 2)), C, 0.1, min_count=0)
    with pytest.raises(ValueError, match="samples"):
        gan.mode_coverage(np.zeros((0, 2)), C, 0.1)
    with pytest.raises(ValueError, match="samples contains NaN"):
        gan.mode_coverage(np.full((2, 2), np.nan), C, 0.1)


def test_ring_of_gaussians() -> None:
    a = datasets.ring_of_gaussians(5000, n_modes=6, radius=3.0, std=0.05, seed=4)
    b = datasets.ring_of_gaussians(5000, n_modes=6, radius=3.0, std=0.05, seed=4)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_allclose(np.linalg.norm(a.centers, axis=1), 3.0)
    angles = np.sort(np.mod(np.arctan2(a.centers[:, 1], a.centers[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(np.diff(angles), np.pi / 3)
    resid = a.X - a.centers[a.component]
    assert resid.std() == pytest.approx(0.05, rel=0.03)
    assert np.bincount(a.component).min() > 5000 / 6 * 0.85
    with pytest.raises(ValueError, match="radius"):
        datasets.ring_of_gaussians(radius=0.0)
    with pytest.raises(ValueError, match="n_modes"):
        datasets.ring_of_gaussians(n_modes=0)


# --------------------------------------------------------------------------- train_gan


def test_train_gan_is_deterministic_and_records_what_it_says() -> None:
    h1 = gan.train_gan("sn", seed=3, steps=60, record_every=20, snapshots=(0, 30), n_samples=50)
    h2 = gan.train_gan("sn", seed=3, steps=60, record_every=20, snapshots=(0, 30), n_samples=50)
    np.testing.assert_array_equal(h1.d_loss, h2.d_loss)
    np.testing.assert_array_equal(h1.samples, h2.samples)
    assert h1.record_steps.tolist() == [0, 20, 40, 60]
    assert sorted(h1.snapshots) == [0, 30, 60] and h1.samples.shape == (50, 2)
    assert h1.d_loss.shape == h1.g_loss.shape == (60,)
    assert not h1.discriminator.training and not h1.generator.training
    assert h1.oscillation(10) == pytest.approx(np.std(h1.d_loss[-10:]))
    h3 = gan.train_gan("none", seed=3, steps=60, record_every=20, n_samples=50)
    assert not np.array_equal(h1.d_loss, h3.d_loss)


def test_train_gan_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="variant"):
        gan.train_gan("wgan", steps=2)
    with pytest.raises(ValueError, match="steps"):
        gan.train_gan("none", steps=0)
    with pytest.raises(ValueError, match="lam"):
        gan.train_gan("penalty", steps=2, lam=-1.0)
    with pytest.raises(ValueError, match="snapshots"):
        gan.train_gan("none", steps=2, snapshots=(5,))
    h = gan.train_gan("none", steps=3, n_samples=5)
    with pytest.raises(ValueError, match="last"):
        h.oscillation(4)


def _plain_training_loop(variant: str, seed: int, steps: int, batch: int = 128,
                         z_dim: int = 16, lam: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """The experiment written the obvious way: one nn.Sequential per player, torch's own
    parametrization machinery (spectral_normalize) or SpectralPenalty, one run at a time.
    Returns (d_loss per step, final samples of the fixed evaluation noise)."""
    ring = datasets.ring_of_gaussians(steps * batch, radius=10.0, std=0.1, seed=seed)
    real_all = torch.as_tensor(ring.X, dtype=torch.float32)
    G = mlp([z_dim, 32, 32, 2], seed=seed)
    D = mlp([2, 32, 32, 1], seed=seed + 1_000)
    if variant == "sn":
        gan.spectral_normalize(D)
    penalty = SpectralPenalty(lam) if variant == "penalty" else None
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-3, betas=(0.5, 0.999), fused=True)
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.999), fused=True)
    gen = torch.Generator().manual_seed(seed)
    sp = nn.functional.softplus
    d_loss = []
    for k in range(steps):
        real = real_all[k * batch:(k + 1) * batch]
        fake = G(torch.randn(batch, z_dim, generator=gen))
        out = D(torch.cat([real, fake.detach()]))
        loss_d = sp(-out[:batch]).mean() + sp(out[batch:]).mean()
        opt_d.zero_grad()
        (loss_d + penalty(D) if penalty is not None else loss_d).backward()
        opt_d.step()
        loss_g = sp(-D(fake)).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        d_loss.append(float(loss_d.detach()))
    z_eval = torch.randn(50, z_dim, generator=torch.Generator().manual_seed(seed + 7))
    with torch.no_grad():
        return np.array(d_loss), G(z_eval).numpy()


def test_train_gans_matches_a_plain_training_loop() -> None:
    runs = gan.train_gans(gan.VARIANTS, [3, 4], steps=40, record_every=20, n_samples=50)
    for v in gan.VARIANTS:
        for h in runs[v]:
            d_loss, samples = _plain_training_loop(v, h.seed, 40)
            np.testing.assert_allclose(h.d_loss, d_loss, rtol=1e-4, atol=1e-5)
            np.testing.assert_allclose(h.samples, samples, rtol=1e-3, atol=1e-3)
    # the trained networks come back as modules that compute what was recorded
    h = runs["sn"][0]
    assert not h.discriminator.training
    assert lipschitz_upper_bound(h.discriminator) == pytest.approx(h.lipschitz[-1], rel=1e-5)
    z = torch.randn(50, 16, generator=torch.Generator().manual_seed(3 + 7))
    with torch.no_grad():
        np.testing.assert_allclose(h.generator(z).numpy(), h.samples, atol=1e-5)
    single = gan.train_gan("penalty", seed=4, steps=40, record_every=20, n_samples=50)
    np.testing.assert_allclose(single.d_loss, runs["penalty"][1].d_loss, rtol=1e-4, atol=1e-5)


def test_train_gans_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="variants"):
        gan.train_gans("sn", [0], steps=2)
    with pytest.raises(ValueError, match="variant must be one of"):
        gan.train_gans(["sn", "wgan"], [0], steps=2)
    with pytest.raises(ValueError, match="variants must not repeat"):
        gan.train_gans(["sn", "sn"], [0], steps=2)
    with pytest.raises(ValueError, match="seeds"):
        gan.train_gans(["sn"], [], steps=2)
    with pytest.raises(ValueError, match="seeds must not repeat"):
        gan.train_gans(["sn"], [1, 1], steps=2)
    with pytest.raises(ValueError, match="seed must be an integer"):
        gan.train_gans(["sn"], [-1], steps=2)
    with pytest.raises(ValueError, match="diverged"):
        gan.train_gans(["none"], [0], steps=30, lr=1e30, record_every=10, n_samples=4)
    with pytest.raises(ValueError, match="lam must be ≤"):
        gan.train_gans(["penalty"], [0], steps=2, lam=1e300)


def test_summarize_reads_the_histories() -> None:
    runs = gan.train_gans(["none", "sn"], [0, 5], steps=30, record_every=10, n_samples=200)
    summary = gan.summarize(runs, last=10)
    assert set(summary) == {"none", "sn"}
    for v, hs in runs.items():
        r = summary[v]
        assert r.seeds.tolist() == [0, 5]
        for k, h in enumerate(hs):
            cov = gan.mode_coverage(h.samples, h.centers, h.std)
            assert r.modes_hit[k] == cov.modes_hit
            assert r.high_quality[k] == cov.high_quality
            assert r.min_share[k] == cov.shares.min()
            assert r.lipschitz_start[k] == h.lipschitz[0]
            assert r.lipschitz_end[k] == h.lipschitz[-1]
            assert r.lipschitz_max[k] == h.lipschitz.max()
            assert r.oscillation[k] == pytest.approx(np.std(h.d_loss[-10:]))
            assert r.late_d_loss[k] == pytest.approx(np.mean(h.d_loss[-10:]))
    with pytest.raises(ValueError, match="runs"):
        gan.summarize({})
    with pytest.raises(ValueError, match="last"):
        gan.summarize(runs, last=31)
    with pytest.raises(ValueError, match=r"runs\['x'\]"):
        gan.summarize({"x": [1, 2]})


def test_gan_diagnostics_plot_draws_every_run() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from normcourse.plotting.applications import gan_diagnostics_plot

    runs = gan.train_gans(["none", "sn"], [0, 1], steps=20, record_every=10, n_samples=10)
    axes = gan_diagnostics_plot(runs, labels={"sn": "normalized"}, smooth=5)
    assert len(axes) == 2
    assert len(axes[0].get_lines()) == 4  # one line per run
    assert axes[0].get_legend().get_texts()[1].get_text() == "normalized"
    assert axes[0].figure.get_size_inches()[0] <= 9
    plt.close("all")
    with pytest.raises(ValueError, match="runs"):
        gan_diagnostics_plot({})
