"""normcourse.gan and the claims of book/applications/gans-spectral-norm.md.

Unit tests: SpectralNormLinear against torch.linalg.matrix_norm and against torch's own
``spectral_norm`` parametrization (same start vector → same weights through training),
mode_coverage on hand-made point sets with known counts, ring_of_gaussians, input checks.
Claims: the page's seeded experiments, rerun once per module.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from normcourse import datasets, gan
from normcourse.robustness import lipschitz_upper_bound, mlp

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


def test_matches_torch_spectral_norm_through_training() -> None:
    torch.manual_seed(3)
    ref = spectral_norm(nn.Linear(12, 9))
    ours = gan.SpectralNormLinear(12, 9)
    _copy_from_torch(ref, ours)
    x = torch.randn(32, 12)
    target = torch.randn(32, 9)
    for net in (ref, ours):
        opt = torch.optim.Adam(net.parameters(), lr=0.05)
        for _ in range(25):
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


# --------------------------------------------------------------------------- claims of the page

SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def ring_runs():
    """The page's main experiment: three variants × three seeds on the radius-10 ring."""
    return {v: [gan.train_gan(v, seed=s) for s in SEEDS] for v in gan.VARIANTS}


@pytest.fixture(scope="module")
def small_runs():
    """The page's last section: the same GANs on the original radius-2 ring."""
    return {v: [gan.train_gan(v, seed=s, radius=2.0, std=0.02) for s in SEEDS]
            for v in ("none", "sn")}


def test_claim_lipschitz_bounds(ring_runs) -> None:
    for h in ring_runs["sn"]:
        assert h.lipschitz.max() < 1.25  # within 25 % of 1 at every recorded step
        assert h.lipschitz.min() > 1 - 1e-6  # σ̂ ≤ σ₁: the bound never drops below 1
    for h in ring_runs["none"]:
        assert h.lipschitz[-1] > 10 * h.lipschitz[0]
    for h in ring_runs["penalty"]:
        assert 3 < h.lipschitz[-1] < 10


def _table(runs):
    cov = {v: [h.coverage() for h in hs] for v, hs in runs.items()}
    modes = {v: np.array([c.modes_hit for c in cs]) for v, cs in cov.items()}
    hq = {v: np.array([c.high_quality for c in cs]) for v, cs in cov.items()}
    share = {v: np.array([c.shares.min() for c in cs]) for v, cs in cov.items()}
    return modes, hq, share


def test_claim_collapse_follows_the_lipschitz_bound(ring_runs) -> None:
    modes, hq, share = _table(ring_runs)
    # where the mass goes: even with SN, some mode nearly empty without, penalty in between
    assert np.all(share["sn"] > 0.09) and np.all(share["none"] < 0.02)
    assert np.all(share["none"] < share["penalty"]) and np.all(share["penalty"] < share["sn"])
    # the strict three-σ count, on average over seeds
    assert modes["sn"].mean() > modes["penalty"].mean() > modes["none"].mean()
    assert modes["none"].max() <= 3
    assert max(hq[v].max() for v in hq) < 0.45  # nobody has sharpened onto the modes yet


def test_claim_discriminator_loss_is_calm_but_near_chance_under_sn(ring_runs) -> None:
    osc = {v: np.array([h.oscillation() for h in hs]) for v, hs in ring_runs.items()}
    assert np.all(osc["sn"] < osc["penalty"]) and np.all(osc["penalty"] < osc["none"])
    assert all(h.d_loss[-200:].mean() > 1.2 for h in ring_runs["sn"])  # 2 log 2 ≈ 1.386
    assert all(h.d_loss[-200:].mean() < 1.0 for h in ring_runs["none"])


def test_claim_ranking_reverses_at_radius_two(small_runs) -> None:
    modes, hq, share = _table(small_runs)
    assert np.all(modes["none"] > modes["sn"])
    assert np.all(hq["sn"] < 0.12) and np.all(hq["none"] > 2 * hq["sn"])
    assert np.all(share["sn"] > 0.08)  # blurred, not collapsed
