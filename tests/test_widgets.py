"""normcourse.widgets: the explorers recompute when a slider moves and show what ``compute``
returns; their static counterparts use the same ``compute``."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import ipywidgets as W
import numpy as np
import pytest

from normcourse import weight_decay as wd
from normcourse.widgets import SchemeExplorer


@pytest.fixture
def ex() -> SchemeExplorer:
    return SchemeExplorer(steps=80)


def _same(a: wd.SchemeComparison, b: wd.SchemeComparison) -> bool:
    return (np.array_equal(a.theta_a, b.theta_a) and np.array_equal(a.theta_b, b.theta_b)
            and np.array_equal(a.fixed_a, b.fixed_a) and np.array_equal(a.fixed_b, b.fixed_b))


def test_initial_state_is_computed_and_drawn(ex: SchemeExplorer) -> None:
    assert ex.n_updates == 1
    assert ex.result is not None
    assert _same(ex.result, ex.compute(0.9, 0.5, 0.1))
    assert ex.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    lines = ex.lines()
    np.testing.assert_array_equal(lines["A"], ex.result.theta_a)
    np.testing.assert_array_equal(lines["B"], ex.result.theta_b)
    assert isinstance(ex.widget, W.VBox)
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_moving_a_slider_recomputes_and_redraws(ex: SchemeExplorer) -> None:
    before, png_before = ex.result, ex.image.value
    ex.lam.value = 0.8
    assert ex.n_updates == 2
    assert not _same(ex.result, before)
    assert _same(ex.result, ex.compute(0.9, 0.8, 0.1))
    assert ex.image.value != png_before
    np.testing.assert_array_equal(ex.lines()["A"], ex.result.theta_a)
    ex.lr.value = 0.2
    assert ex.n_updates == 3 and ex.result.lr == pytest.approx(0.2)
    assert _same(ex.result, ex.compute(0.9, 0.8, 0.2))
    # the window holds every path drawn so far (it only widens)
    (x0, x1), (y0, y1) = ex.fig.axes[0].get_xlim(), ex.fig.axes[0].get_ylim()
    for res in (before, ex.result):
        for th in (res.theta_a, res.theta_b):
            assert x0 <= th[:, 0].min() and th[:, 0].max() <= x1
            assert y0 <= th[:, 1].min() and th[:, 1].max() <= y1


def test_beta_zero_makes_the_two_paths_coincide(ex: SchemeExplorer) -> None:
    assert ex.result.max_gap > 0.1
    ex.beta.value = 0.0
    res = ex.result
    assert res.beta == 0.0 and res.lam == res.gamma == pytest.approx(0.5)
    assert res.max_gap < 1e-12
    np.testing.assert_allclose(ex.lines()["A"], ex.lines()["B"], atol=1e-12)
    assert "A ≡ B" in ex.fig.axes[0].get_title()
    ex.beta.value = 0.3
    assert ex.result.max_gap > 1e-3 and "A ≡ B" not in ex.fig.axes[0].get_title()


def test_compute_is_pure_and_matches_the_library(ex: SchemeExplorer) -> None:
    n = ex.n_updates
    r1 = ex.compute(0.5, 0.3, 0.1)
    r2 = ex.compute(0.5, 0.3, 0.1)
    assert ex.n_updates == n  # no redraw, no stored state touched
    assert _same(r1, r2)
    direct = wd.compare_schemes(ex.problem.X, ex.problem.y, beta=0.5, lam=0.3, lr=0.1,
                                steps=ex.steps, theta0=ex.theta0)
    assert _same(r1, direct)


@pytest.mark.parametrize("corner", [(0.95, 1.0, 0.5), (0.0, 1.0, 0.5), (0.95, 0.0, 0.02),
                                    (0.0, 0.0, 0.02)])
def test_slider_extremes_stay_finite(ex: SchemeExplorer, corner) -> None:
    beta, lam, lr = corner
    for slider, value in zip((ex.beta, ex.lam, ex.lr), corner, strict=True):
        assert slider.min <= value <= slider.max
    res = ex.compute(beta, lam, lr)
    assert np.all(np.isfinite(res.theta_a)) and np.all(np.isfinite(res.theta_b))
    assert np.abs(res.theta_a).max() < 1e3 and np.abs(res.theta_b).max() < 1e3


def test_bad_construction_arguments() -> None:
    with pytest.raises(ValueError, match="theta0"):
        SchemeExplorer(theta0=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="steps"):
        SchemeExplorer(steps=0)
