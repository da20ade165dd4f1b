"""Claims made by book/applications/gans-spectral-norm.md, pinned on the library.

Each test reruns one experiment of the page on the page's own seeds, with the same calls
(``gan.train_gans`` batches the runs; the page and these tests batch them identically), and
checks the statement the text makes about it. GAN training is erratic — a change in the
rounding of one matrix product sends a run elsewhere — so the page states, and these tests
check, orderings that hold seed by seed and thresholds with a margin, not exact counts.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from normcourse import gan

SEEDS = [0, 1, 2]


@pytest.fixture(scope="module")
def ring() -> dict[str, gan.GanSummary]:
    """The page's main experiment: three variants × three seeds on the radius-10 ring."""
    return gan.summarize(gan.train_gans(gan.VARIANTS, SEEDS))


@pytest.fixture(scope="module")
def small() -> dict[str, gan.GanSummary]:
    """The page's last section: the same GANs on the original radius-2 ring."""
    return gan.summarize(gan.train_gans(("none", "sn"), SEEDS, radius=2.0, std=0.02))


def test_power_iteration_excess_is_never_negative_and_vanishes() -> None:
    torch.manual_seed(0)
    layer = gan.SpectralNormLinear(64, 64, n_iter_init=1)
    with torch.no_grad():
        layer.parametrizations.weight.original.mul_(20.0)
    W = layer.parametrizations.weight.original.detach().double()
    s = torch.linalg.svdvals(W)
    assert float(s[0]) == pytest.approx(22.7, abs=0.05)      # "22.7 and 20.8"
    assert float(s[1]) == pytest.approx(20.8, abs=0.05)
    x = torch.randn(16, 64)
    excess = []
    for _ in range(30):
        layer(x)
        excess.append(float(s[0]) / layer.sigma - 1)
    assert min(excess) >= -1e-6 and excess[0] > 0.1 and excess[-1] < 1e-4


def test_lipschitz_bounds(ring) -> None:
    none, sn, pen = ring["none"], ring["sn"], ring["penalty"]
    assert np.all(sn.lipschitz_max < 1.3)              # within 30 % of 1 at every record
    assert np.all(sn.lipschitz_start > 1 - 1e-6)       # σ̂ ≤ σ₁: never below 1
    assert np.all(none.lipschitz_end > 10 * none.lipschitz_start)
    assert np.all((2.5 < pen.lipschitz_end) & (pen.lipschitz_end < 10))


def test_collapse_follows_the_lipschitz_bound(ring) -> None:
    none, sn, pen = ring["none"], ring["sn"], ring["penalty"]
    # where the mass goes: even with SN, some mode nearly empty without, penalty in between
    assert np.all(sn.min_share > 0.1) and np.all(none.min_share < 0.03)
    assert np.all(none.min_share < pen.min_share) and np.all(pen.min_share < sn.min_share)
    # the strict three-σ count: few modes without a constraint, more with either
    assert none.modes_hit.max() <= 3
    assert all(np.all((3 <= r.modes_hit) & (r.modes_hit <= 7)) for r in (sn, pen))
    assert min(sn.modes_hit.mean(), pen.modes_hit.mean()) > none.modes_hit.mean() + 1
    assert sn.high_quality.max() < 0.35  # "at most a third": not sharpened onto the modes yet


def test_discriminator_loss_is_calm_but_near_chance_under_sn(ring) -> None:
    none, sn, pen = ring["none"], ring["sn"], ring["penalty"]
    assert np.all(sn.oscillation < pen.oscillation) and np.all(pen.oscillation < none.oscillation)
    assert np.all(sn.late_d_loss > 1.25)    # near 2 log 2 ≈ 1.386
    assert np.all(sn.late_d_loss < 2 * np.log(2) + 0.01)
    assert np.all(none.late_d_loss < 0.9)   # the unconstrained D wins the classification


def test_ranking_reverses_at_radius_two(small) -> None:
    none, sn = small["none"], small["sn"]
    assert np.all(none.high_quality > sn.high_quality)
    assert none.high_quality.mean() > 3 * sn.high_quality.mean()
    assert none.modes_hit.mean() > sn.modes_hit.mean()
    assert np.all(sn.high_quality < 0.12)   # "fewer than one in eight"
    assert np.all(sn.min_share > 0.08)      # blurred, not collapsed (on these seeds)


def test_logit_budget_across_a_mode() -> None:
    # a 1-Lipschitz D changes its logit by at most the diameter 2 · 3σ of a mode's disc
    assert 2 * 3 * 0.02 == pytest.approx(0.12)
