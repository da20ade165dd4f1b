"""Spectral norms, Lipschitz bounds, certified robustness and path norms of MLPs.

Symbols as in the book: a network f_θ(x) = W_L φ(W_{L-1} φ(… φ(W_1 x + b_1) …) + b_{L-1}) + b_L
with weight matrices W_l, biases b_l and elementwise activations φ; θ collects all
parameters and λ (``lam``) is the penalty strength.

* ‖W‖₂ = σ_max(W), the spectral norm, by power iteration (:func:`power_iteration`).
* Lipschitz upper bound of the logit map, L ≤ ∏_l ‖W_l‖₂ · ∏ Lip(φ)
  (:func:`lipschitz_upper_bound`, Szegedy et al. 2014).
* Spectral penalty λ Σ_l ‖W_l‖₂ with σ_l = u_lᵀ W_l v_l, vectors detached, as in spectral
  normalization (Miyato et al. 2018) (:class:`SpectralPenalty`, :func:`spectral_penalty`;
  :class:`TrackedSpectralPenalty` also logs one layer's estimate next to its exact σ₁).
* Certified ℓ2 radius margin(x) / (√2 L) (Tsuzuku et al. 2018) (:func:`certified_radius`,
  :func:`certified_accuracy`) and, for the empirical side, an ℓ2 PGD attack (Madry et al. 2018)
  (:func:`pgd_attack`).
* ℓ2 path norm (Neyshabur et al. 2015) (:func:`path_norm`, and the penalty
  :class:`PathNormPenalty`), the ReLU rescaling that leaves the function unchanged
  (:func:`rescale`) and the plain ‖θ‖₂ (:func:`l2_norm`), which the rescaling does change.
* Balancing: the incoming and outgoing norms a_j, c_j of hidden units (:func:`unit_norms`) and
  the rescaling with the smallest ‖θ‖₂, where a_j = c_j (:func:`balance`); all units rescaled at
  once (:func:`rescale_layer`); the imbalance a_j² − c_j² (:func:`unit_imbalance`) and its trace
  under gradient descent (:func:`gd_imbalance_trace`, Du, Hu & Lee 2018).
* Small experiments for the book: a seeded MLP (:func:`mlp`), a training loop with an optional
  penalty (:func:`train_classifier`), accuracy under PGD (:func:`robust_accuracy`) and the
  input-Jacobian norms that lower-bound the Lipschitz constant (:func:`jacobian_norms`).

The code lives in submodules, re-exported here (``from normcourse.robustness import X``):

* :mod:`~normcourse.robustness.spectral` — power iteration, Lipschitz bound, spectral penalty,
  Jacobian norms;
* :mod:`~normcourse.robustness.certify` — certified radius and accuracy, PGD attack, robust
  accuracy;
* :mod:`~normcourse.robustness.pathnorm` — path norm and its penalty, rescaling, balancing;
* :mod:`~normcourse.robustness.models` — the seeded MLP, the training loop, ‖θ‖₂;
* :mod:`~normcourse.robustness.layers` — walking the layers of a Sequential.

The penalties (:class:`SpectralPenalty`, :class:`PathNormPenalty`) follow the protocol of
:class:`normcourse.model_penalties.ModelPenalty`.

References
----------
Szegedy et al., "Intriguing properties of neural networks", ICLR 2014.
Neyshabur, Tomioka, Srebro, "Norm-based capacity control in neural networks", COLT 2015.
Miyato, Kataoka, Koyama, Yoshida, "Spectral normalization for generative adversarial
networks", ICLR 2018.
Tsuzuku, Sato, Sugiyama, "Lipschitz-margin training: scalable certification of perturbation
invariance for deep neural networks", NeurIPS 2018.
Madry, Makelov, Schmidt, Tsipras, Vladu, "Towards deep learning models resistant to
adversarial attacks", ICLR 2018.
Du, Hu, Lee, "Algorithmic regularization in learning deep homogeneous models: layers are
automatically balanced", NeurIPS 2018.
"""


from __future__ import annotations

from normcourse.robustness.certify import (
    certified_accuracy,
    certified_radius,
    pgd_attack,
    robust_accuracy,
)
from normcourse.robustness.models import DivergenceError, l2_norm, mlp, train_classifier
from normcourse.robustness.pathnorm import (
    PathNormPenalty,
    balance,
    gd_imbalance_trace,
    path_norm,
    rescale,
    rescale_layer,
    unit_imbalance,
    unit_norms,
)
from normcourse.robustness.spectral import (
    SpectralPenalty,
    TrackedSpectralPenalty,
    jacobian_norms,
    lipschitz_upper_bound,
    power_iteration,
    spectral_penalty,
)

__all__ = [
    "DivergenceError",
    "PathNormPenalty",
    "SpectralPenalty",
    "TrackedSpectralPenalty",
    "balance",
    "certified_accuracy",
    "certified_radius",
    "gd_imbalance_trace",
    "jacobian_norms",
    "l2_norm",
    "lipschitz_upper_bound",
    "mlp",
    "path_norm",
    "pgd_attack",
    "power_iteration",
    "rescale",
    "rescale_layer",
    "robust_accuracy",
    "spectral_penalty",
    "train_classifier",
    "unit_imbalance",
    "unit_norms",
]
