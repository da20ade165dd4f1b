r"""The minimax concave penalty (MCP, Zhang 2010): sparsity without the lasso's bias.

.. math::

    R(\theta) = \sum_j \rho(\theta_j), \qquad
    \rho(t) = \begin{cases} \lambda|t| - \dfrac{t^2}{2\gamma} & |t| \le \gamma\lambda \\[4pt]
                            \dfrac{\gamma\lambda^2}{2} & |t| > \gamma\lambda \end{cases}
    \qquad (\gamma > 1).

Near zero MCP is the lasso's λ|t| (the same threshold, so the same exact zeros); its slope
falls linearly to 0 at |t| = γλ and the penalty is flat beyond, so large coefficients are
not shrunk at all. γ → ∞ gives the lasso back. The penalty is nonconvex: a solver finds a
stationary point, and the objective is convex when the data term's curvature beats 1/γ
(e.g. the smallest eigenvalue of XᵀX/n exceeds 1/γ).

Its prox with step η is *firm thresholding*: 0 for |w| ≤ ηλ,
sign(w)(|w| − ηλ)/(1 − η/γ) for ηλ < |w| ≤ γλ and w beyond (when η < γ; for η ≥ γ the
1-D problem is nonconvex and the prox picks the better of 0 and sign(w)·max(|w|, γλ)).

This file is the whole penalty: ``prox_grad``, the paths, ``ProxSGD`` and the grader use it
through the :class:`~normcourse.penalties.Penalty` interface alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from normcourse._validate import is_torch, nonneg, positive
from normcourse.penalties import Penalty

__all__ = ["MCP"]


class MCP(Penalty):
    r"""Minimax concave penalty R(θ) = Σ_j ρ_{λ,γ}(θ_j) (see the module docstring).

    ``lam`` = λ ≥ 0 is the threshold at zero (as for the lasso: θ_j = 0 is stationary iff
    |(−∇f)_j| ≤ λ); ``gamma`` = γ > 1 sets where the penalty stops growing (γλ).
    """

    def __init__(self, lam: float, gamma: float = 3.0) -> None:
        self.lam = nonneg(lam, "lam")
        self.gamma = positive(gamma, "gamma")
        if self.gamma <= 1.0:
            raise ValueError(f"gamma must be > 1 for the minimax concave penalty, got {gamma!r}")

    def __repr__(self) -> str:
        return f"MCP(lam={self.lam!r}, gamma={self.gamma!r})"

    def with_lam(self, lam: float) -> MCP:
        return MCP(lam, self.gamma)

    def fast_value(self, theta: Any) -> Any:
        lam, g = self.lam, self.gamma
        a = abs(theta)
        if is_torch(theta):
            import torch

            inner = lam * a - a * a / (2.0 * g)
            return torch.where(a <= g * lam, inner, torch.full_like(a, 0.5 * g * lam * lam)).sum()
        inner = lam * a - a * a / (2.0 * g)
        return float(np.where(a <= g * lam, inner, 0.5 * g * lam * lam).sum())

    def prox_array(self, w: np.ndarray, step: float) -> np.ndarray:
        lam, g = self.lam, self.gamma
        a, s = np.abs(w), np.sign(w)
        if step < g:
            firm = np.maximum(a - step * lam, 0.0) / (1.0 - step / g)
            return np.where(a > g * lam, w, s * np.minimum(firm, g * lam)) + 0.0
        # η ≥ γ: the 1-D objective is concave on |u| ≤ γλ, so the minimiser is 0 or
        # sign(w)·max(|w|, γλ); keep the one with the smaller objective (0 on ties).
        far = np.maximum(a, g * lam)
        obj_far = 0.5 * (far - a) ** 2 + step * 0.5 * g * lam * lam
        return np.where(obj_far < 0.5 * a * a, s * far, 0.0) + 0.0

    def prox_tensor(self, w: Any, step: float) -> Any:
        import torch

        lam, g = self.lam, self.gamma
        a, s = w.abs(), torch.sign(w)
        if step < g:
            firm = torch.clamp(a - step * lam, min=0.0) / (1.0 - step / g)
            return torch.where(a > g * lam, w, s * torch.clamp(firm, max=g * lam)) + 0.0
        far = torch.clamp(a, min=g * lam)
        obj_far = 0.5 * (far - a) ** 2 + step * 0.5 * g * lam * lam
        return torch.where(obj_far < 0.5 * a * a, s * far, torch.zeros_like(w)) + 0.0
