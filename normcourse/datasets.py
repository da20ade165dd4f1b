"""Seeded synthetic problems and small real data sets that ship with installed packages.

Every generator takes a ``seed`` and returns the same arrays for the same arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from normcourse._validate import nonneg, positive_int


@dataclass(frozen=True)
class Regression:
    """A regression problem: design ``X`` (n × p), target ``y`` (n,) or ``Y`` (n × m),
    the true coefficients ``theta`` when known, and readable ``feature_names``."""

    X: np.ndarray
    y: np.ndarray
    theta: np.ndarray | None
    feature_names: list[str]


def diabetes(center: bool = True) -> Regression:
    """The diabetes data of Efron et al. (2004), as shipped with scikit-learn.

    442 patients, 10 baseline variables (age, sex, bmi, bp, s1–s6); the target is a
    measure of disease progression one year later. scikit-learn ships ``X`` with every
    column centred and scaled to unit Euclidean norm. With ``center=True`` the target is
    centred too, so a model without intercept is the same as one with an intercept.
    """
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    X = np.asarray(data.data, dtype=np.float64)
    y = np.asarray(data.target, dtype=np.float64)
    if center:
        X = X - X.mean(axis=0)
        y = y - y.mean()
    return Regression(X=X, y=y, theta=None, feature_names=list(data.feature_names))


def sparse_regression(
    n_samples: int = 100,
    n_features: int = 200,
    n_informative: int = 10,
    noise: float = 0.5,
    rho: float = 0.0,
    seed: int = 0,
) -> Regression:
    """Linear model y = Xθ + σε with a k-sparse θ (k = ``n_informative``).

    Rows of ``X`` are Gaussian with Toeplitz correlation Corr(x_j, x_k) = ρ^|j−k|; the
    informative coefficients are ±(1 … 2) at evenly spread positions; ε ~ N(0, 1).
    """
    n = positive_int(n_samples, "n_samples")
    p = positive_int(n_features, "n_features")
    k = positive_int(n_informative, "n_informative")
    if k > p:
        raise ValueError(f"n_informative must be ≤ n_features ({p}), got {k}")
    sigma = nonneg(noise, "noise")
    if not 0 <= rho < 1:
        raise ValueError(f"rho must be in [0, 1), got {rho!r}")
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, p))
    if rho > 0:  # AR(1) columns: x_j = ρ x_{j-1} + sqrt(1-ρ²) z_j has Corr ρ^|j-k|
        X = np.empty_like(Z)
        X[:, 0] = Z[:, 0]
        for j in range(1, p):
            X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * Z[:, j]
    else:
        X = Z
    theta = np.zeros(p)
    support = np.linspace(0, p - 1, k).round().astype(int)
    theta[support] = rng.choice([-1.0, 1.0], size=k) * rng.uniform(1.0, 2.0, size=k)
    y = X @ theta + sigma * rng.standard_normal(n)
    return Regression(X=X, y=y, theta=theta, feature_names=[f"x{j}" for j in range(p)])


def correlated_groups(
    n_samples: int = 100,
    n_groups: int = 3,
    group_size: int = 3,
    n_noise: int = 6,
    corr: float = 0.98,
    coef: tuple[float, ...] = (3.0, -2.0, 0.0),
    noise: float = 1.0,
    seed: int = 0,
) -> Regression:
    """Blocks of nearly identical features, the setting of the elastic net's grouping effect.

    Group g has a latent factor z_g ~ N(0, 1); its ``group_size`` features are
    x = √corr · z_g + √(1 − corr) · e (so Corr(x_j, x_k) = corr inside a group). The
    response is y = Σ_g coef_g · z_g + σε, so every member of group g carries the same
    signal. ``n_noise`` independent N(0, 1) features carry none. Features are standardised
    (mean 0, variance 1) and ``theta`` holds coef_g / (group_size·√corr) for each member,
    the equal split that the grouping effect predicts.
    """
    n = positive_int(n_samples, "n_samples")
    G = positive_int(n_groups, "n_groups")
    s = positive_int(group_size, "group_size")
    if n_noise < 0:
        raise ValueError(f"n_noise must be ≥ 0, got {n_noise!r}")
    if not 0 < corr < 1:
        raise ValueError(f"corr must be in (0, 1), got {corr!r}")
    if len(coef) != G:
        raise ValueError(f"coef must have n_groups={G} entries, got {len(coef)}")
    sigma = nonneg(noise, "noise")
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, G))
    blocks = [np.sqrt(corr) * Z[:, [g]] + np.sqrt(1 - corr) * rng.standard_normal((n, s))
              for g in range(G)]
    X = np.hstack([*blocks, rng.standard_normal((n, n_noise))])
    y = Z @ np.asarray(coef, dtype=float) + sigma * rng.standard_normal(n)
    X = (X - X.mean(0)) / X.std(0)
    y = y - y.mean()
    member = [np.full(s, c / (s * np.sqrt(corr))) for c in coef]
    theta = np.concatenate([*member, np.zeros(n_noise)])
    names = [f"g{g}.{j}" for g in range(G) for j in range(s)]
    names += [f"noise{j}" for j in range(n_noise)]
    return Regression(X=X, y=y, theta=theta, feature_names=names)


def row_sparse_regression(
    n_samples: int = 200,
    n_features: int = 30,
    n_outputs: int = 5,
    n_informative: int = 5,
    noise: float = 0.5,
    seed: int = 0,
) -> Regression:
    """Multi-output linear layer Y = XW + σE whose weight matrix W (d × m) is row-sparse.

    Only the first ``n_informative`` input features (rows of W) are used; every other row
    is zero, so selecting input features means zeroing whole rows — the L2,1 setting.
    Returns ``y`` as the n × m matrix Y and ``theta`` as W.
    """
    n = positive_int(n_samples, "n_samples")
    d = positive_int(n_features, "n_features")
    m = positive_int(n_outputs, "n_outputs")
    k = positive_int(n_informative, "n_informative")
    if k > d:
        raise ValueError(f"n_informative must be ≤ n_features ({d}), got {k}")
    sigma = nonneg(noise, "noise")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W = np.zeros((d, m))
    W[:k] = rng.standard_normal((k, m))
    Y = X @ W + sigma * rng.standard_normal((n, m))
    return Regression(X=X, y=Y, theta=W, feature_names=[f"x{j}" for j in range(d)])


@dataclass(frozen=True)
class GroupedRegression:
    """A regression whose features come in groups: ``X`` (n × p), ``y`` (n,), the list
    of index arrays ``groups`` and the indices of the groups that truly matter."""

    X: np.ndarray
    y: np.ndarray
    groups: list[np.ndarray]
    active_groups: list[int]


def additive_polynomial(
    n_samples: int = 120,
    n_inputs: int = 6,
    degree: int = 3,
    noise: float = 0.1,
    seed: int = 3,
) -> GroupedRegression:
    """Each raw input t_k ~ U(−1.5, 1.5) is expanded into (t_k, t_k², …, t_k^degree).

    The response y = sin(2 t₀) + ½ t₁² + σε uses only the first two inputs, so the
    features of input k form group k and only groups 0 and 1 are active. Features are
    standardised and y is centred.
    """
    n = positive_int(n_samples, "n_samples")
    K = positive_int(n_inputs, "n_inputs")
    d = positive_int(degree, "degree")
    if K < 2:
        raise ValueError(f"n_inputs must be ≥ 2 (two inputs are active), got {K}")
    sigma = nonneg(noise, "noise")
    rng = np.random.default_rng(seed)
    T = rng.uniform(-1.5, 1.5, size=(n, K))
    y = np.sin(2 * T[:, 0]) + 0.5 * T[:, 1] ** 2 + sigma * rng.standard_normal(n)
    Phi = np.hstack([T[:, [k]] ** np.arange(1, d + 1) for k in range(K)])
    Phi = (Phi - Phi.mean(0)) / Phi.std(0)
    groups = [np.arange(d * k, d * k + d) for k in range(K)]
    return GroupedRegression(X=Phi, y=y - y.mean(), groups=groups, active_groups=[0, 1])
