"""Seeded synthetic problems and small real data sets that ship with installed packages.

Every generator takes a ``seed`` and returns the same arrays for the same arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from normcourse._validate import (
    finite_array,
    flag,
    in_interval,
    nonneg,
    nonneg_int,
    positive,
    positive_int,
    random_seed,
    real,
)

__all__ = [
    "BinaryClassification",
    "Classification",
    "DigitsTask",
    "ExpressionStudy",
    "GaussianMixture",
    "GroupedRegression",
    "Regression",
    "SeparableData",
    "Trajectory",
    "additive_polynomial",
    "breast_cancer",
    "correlated_groups",
    "diabetes",
    "digits",
    "expression_study",
    "lorenz",
    "lorenz_rhs",
    "permuted_digits",
    "ring_of_gaussians",
    "row_sparse_regression",
    "separable_blobs",
    "sparse_regression",
    "two_moons",
]

# The rejection sampler of separable_blobs gives up after this many rounds of redraws.
_MAX_REJECTION_ROUNDS = 1000
# lorenz refuses to sample more points than this (t_end / dt).
_MAX_LORENZ_SAMPLES = 10_000_000


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

    center = flag(center, "center")
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
    rho = in_interval(rho, "rho", 0.0, 1.0, hi_open=True)
    rng = np.random.default_rng(random_seed(seed))
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
    n_noise = nonneg_int(n_noise, "n_noise")
    corr = in_interval(corr, "corr", 0.0, 1.0, lo_open=True, hi_open=True)
    coef = tuple(float(c) for c in finite_array(coef, "coef", ndim=1))
    if len(coef) != G:
        raise ValueError(f"coef must have n_groups={G} entries, got {len(coef)}")
    sigma = nonneg(noise, "noise")
    if n < 2:
        raise ValueError(f"n_samples must be ≥ 2 (features are standardised), got {n}")
    rng = np.random.default_rng(random_seed(seed))
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
    rng = np.random.default_rng(random_seed(seed))
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
    if n < 2:
        raise ValueError(f"n_samples must be ≥ 2 (features are standardised), got {n}")
    rng = np.random.default_rng(random_seed(seed))
    T = rng.uniform(-1.5, 1.5, size=(n, K))
    y = np.sin(2 * T[:, 0]) + 0.5 * T[:, 1] ** 2 + sigma * rng.standard_normal(n)
    Phi = np.hstack([T[:, [k]] ** np.arange(1, d + 1) for k in range(K)])
    Phi = (Phi - Phi.mean(0)) / Phi.std(0)
    groups = [np.arange(d * k, d * k + d) for k in range(K)]
    return GroupedRegression(X=Phi, y=y - y.mean(), groups=groups, active_groups=[0, 1])


@dataclass(frozen=True)
class Classification:
    """A classification problem: inputs ``X`` (n × d, float64) and integer labels ``y`` (n,)."""

    X: np.ndarray
    y: np.ndarray


def two_moons(n_samples: int = 400, noise: float = 0.1, seed: int = 0) -> Classification:
    """Two interleaved half circles in the plane ("two moons"), two classes, seeded.

    Each sample draws its class c ∈ {0, 1} with probability ½ and an angle t ~ U(0, π);
    class 0 lies on the upper arc (cos t, sin t), class 1 on the lower arc
    (1 − cos t, ½ − sin t) — the geometry of scikit-learn's ``make_moons`` — and isotropic
    Gaussian noise of standard deviation ``noise`` is added to both coordinates. No straight
    line separates the classes; a small ReLU network does.
    """
    n = positive_int(n_samples, "n_samples")
    sigma = nonneg(noise, "noise")
    rng = np.random.default_rng(random_seed(seed))
    t = rng.uniform(0.0, np.pi, n)
    y = rng.integers(0, 2, n)
    upper = np.column_stack([np.cos(t), np.sin(t)])
    lower = np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)])
    X = np.where(y[:, None] == 0, upper, lower) + sigma * rng.standard_normal((n, 2))
    return Classification(X=X, y=y.astype(np.int64))


@dataclass(frozen=True)
class SeparableData:
    """Linearly separable binary classification in ℝ^d.

    ``X`` (n × d), labels ``y`` ∈ {−1, +1} (float64), and the hyperplane
    {x : wᵀx + b = 0} the generator separated the classes with (unit normal ``w``,
    offset ``b``): every point has yᵢ(wᵀxᵢ + b) ≥ ``gap``/2. That hyperplane separates,
    but it is in general *not* the maximum-margin one.
    """

    X: np.ndarray
    y: np.ndarray
    w: np.ndarray
    b: float
    gap: float


def separable_blobs(
    n_samples: int = 40,
    n_features: int = 2,
    distance: float = 3.0,
    gap: float = 0.5,
    intercept: float = 0.0,
    seed: int = 0,
) -> SeparableData:
    """Two Gaussian blobs on either side of a hyperplane, with an empty band between them.

    A unit normal w is drawn uniformly on the sphere; labels are balanced (⌈n/2⌉ of +1,
    in random order). A point of class y is x = (y·distance/2 − b)·w + ε, ε ~ N(0, I_d),
    with b = ``intercept``, and it is redrawn until y(wᵀx + b) ≥ gap/2. So the classes are
    linearly separable with margin at least gap/2 by {x : wᵀx + b = 0}; with
    ``intercept=0`` that hyperplane passes through the origin, so the data are separable by
    a homogeneous model x ↦ θᵀx.
    """
    n = positive_int(n_samples, "n_samples")
    d = positive_int(n_features, "n_features")
    dist = nonneg(distance, "distance")
    g = nonneg(gap, "gap")
    b = real(intercept, "intercept")
    seed = random_seed(seed)
    if n < 2:
        raise ValueError(f"n_samples must be ≥ 2 (one point per class), got {n}")
    if g / 2 > dist / 2 + 6.0:
        raise ValueError(f"gap={g} is too wide for distance={dist}: rejection would not end")
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(d)
    w /= np.linalg.norm(w)
    y = rng.permutation(np.where(np.arange(n) < (n + 1) // 2, 1.0, -1.0))
    X = np.empty((n, d))
    todo = np.arange(n)
    for _ in range(_MAX_REJECTION_ROUNDS):
        if not todo.size:
            break
        cand = (y[todo, None] * dist / 2 - b) * w + rng.standard_normal((todo.size, d))
        ok = y[todo] * (cand @ w + b) >= g / 2
        X[todo[ok]] = cand[ok]
        todo = todo[~ok]
    else:
        if todo.size:
            raise ValueError(
                f"separable_blobs could not place {todo.size} of {n} points with "
                f"yᵢ(wᵀxᵢ + b) ≥ gap/2 in {_MAX_REJECTION_ROUNDS} rounds of redraws: "
                f"intercept={intercept!r} is too large for float64 to resolve the gap "
                f"(|b| ≫ distance), or gap={g:g} is too close to distance + 12 = "
                f"{dist + 12:g}; use a smaller |intercept| or gap"
            )
    return SeparableData(X=X, y=y, w=w, b=b, gap=g)


# ------------------------------------------------------ applications: genes and dynamics


@dataclass(frozen=True)
class ExpressionStudy:
    """A simulated gene-expression study with p ≫ n and genes grouped in pathways.

    ``X`` (n × p) holds standardised expression levels, ``y`` (n,) the centred phenotype,
    ``theta`` the true effects (nonzero exactly on the causal genes), ``groups`` the
    pathways as index arrays (a partition of 0 … p−1), ``causal_pathways`` the indices of
    the pathways that contain causal genes, and ``gene_names`` labels such as
    ``"P07.g3"`` (gene 3 of pathway 7).
    """

    X: np.ndarray
    y: np.ndarray
    theta: np.ndarray
    groups: list[np.ndarray]
    causal_pathways: list[int]
    gene_names: list[str]

    @property
    def causal(self) -> np.ndarray:
        """Boolean mask of the causal genes (θⱼ ≠ 0)."""
        return self.theta != 0

    @property
    def causal_pathway_mask(self) -> np.ndarray:
        """Boolean mask over pathways: True for the pathways with causal genes."""
        mask = np.zeros(len(self.groups), dtype=bool)
        mask[self.causal_pathways] = True
        return mask


def expression_study(
    n_samples: int = 100,
    n_genes: int = 1000,
    pathway_size: tuple[int, int] = (10, 20),
    corr: float = 0.8,
    n_causal_pathways: int = 3,
    n_causal_per_pathway: int = 6,
    effect: tuple[float, float] = (0.5, 1.0),
    noise: float = 2.0,
    seed: int = 0,
) -> ExpressionStudy:
    r"""Simulated expression data: correlated pathways, a few causal genes in a few of them.

    The genes are cut into consecutive pathways whose sizes are drawn uniformly from
    ``pathway_size`` (inclusive; the last pathway absorbs the remainder). Pathway m has a
    latent activity z_m ~ N(0, 1) and each of its genes is
    x_j = √corr · z_m + √(1 − corr) · e_j, e_j ~ N(0, 1), so two genes of one pathway
    have correlation ``corr`` and genes of different pathways are independent.
    ``n_causal_pathways`` pathways are drawn at random; in each, ``n_causal_per_pathway``
    genes get an effect θ_j = s_m·u_j with u_j ~ U(``effect``) and one sign s_m = ±1 per
    pathway. The phenotype is y = Xθ + σε with σ = ``noise``, ε ~ N(0, I). Columns of X
    are then standardised (mean 0, variance 1) and y is centred, so no intercept is
    needed; ``theta`` refers to the standardised X up to the (≈ 1) empirical scale.
    """
    n = positive_int(n_samples, "n_samples")
    p = positive_int(n_genes, "n_genes")
    ps = finite_array(pathway_size, "pathway_size", ndim=1)
    if ps.shape != (2,) or np.any(ps != np.round(ps)):
        raise ValueError(f"pathway_size must be two integers (lo, hi), got {pathway_size!r}")
    lo, hi = (int(v) for v in ps)
    if not 1 <= lo <= hi:
        raise ValueError(f"pathway_size must be (lo, hi) with 1 ≤ lo ≤ hi, got {pathway_size!r}")
    if p < lo:
        raise ValueError(f"n_genes must be ≥ the smallest pathway size {lo}, got {p}")
    corr = in_interval(corr, "corr", 0.0, 1.0, hi_open=True)
    k_path = positive_int(n_causal_pathways, "n_causal_pathways")
    k_gene = positive_int(n_causal_per_pathway, "n_causal_per_pathway")
    if k_gene > lo:
        raise ValueError(f"n_causal_per_pathway must be ≤ the smallest pathway size {lo}, "
                         f"got {k_gene}")
    ef = finite_array(effect, "effect", ndim=1)
    if ef.shape != (2,):
        raise ValueError(f"effect must be two numbers (lo, hi), got {effect!r}")
    e_lo, e_hi = (float(v) for v in ef)
    if not 0 < e_lo <= e_hi:
        raise ValueError(f"effect must be (lo, hi) with 0 < lo ≤ hi, got {effect!r}")
    sigma = nonneg(noise, "noise")
    if n < 2:
        raise ValueError(f"n_samples must be ≥ 2 (genes are standardised), got {n}")
    rng = np.random.default_rng(random_seed(seed))
    sizes: list[int] = []
    while sum(sizes) < p:
        sizes.append(int(rng.integers(lo, hi + 1)))
    sizes[-1] -= sum(sizes) - p
    if sizes[-1] < lo and len(sizes) > 1:
        rest = sizes.pop()
        sizes[-1] += rest
    starts = np.cumsum([0, *sizes[:-1]])
    groups = [np.arange(s, s + k) for s, k in zip(starts, sizes, strict=True)]
    if k_path > len(groups):
        raise ValueError(f"n_causal_pathways must be ≤ the number of pathways ({len(groups)}), "
                         f"got {k_path}")
    Z = rng.standard_normal((n, len(groups)))
    X = np.empty((n, p))
    for m, g in enumerate(groups):
        X[:, g] = np.sqrt(corr) * Z[:, [m]] + np.sqrt(1 - corr) * rng.standard_normal((n, g.size))
    causal = sorted(int(m) for m in rng.choice(len(groups), size=k_path, replace=False))
    theta = np.zeros(p)
    for m in causal:
        genes = rng.choice(groups[m], size=k_gene, replace=False)
        theta[genes] = rng.choice([-1.0, 1.0]) * rng.uniform(e_lo, e_hi, size=k_gene)
    y = X @ theta + sigma * rng.standard_normal(n)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    names = [f"P{m:02d}.g{j}" for m, g in enumerate(groups) for j in range(g.size)]
    return ExpressionStudy(X=X, y=y - y.mean(), theta=theta, groups=groups,
                           causal_pathways=causal, gene_names=names)


@dataclass(frozen=True)
class BinaryClassification:
    """Binary classification with labels ``y`` ∈ {−1, +1} (float64), the inputs ``X``
    (n × d) and the names of the features and of the two classes (``classes[0]`` is
    the class coded −1, ``classes[1]`` the class coded +1)."""

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    classes: tuple[str, str]


def breast_cancer() -> BinaryClassification:
    """The Wisconsin diagnostic breast cancer data (Street, Wolberg & Mangasarian, 1993),
    as shipped with scikit-learn.

    569 fine-needle aspirates of breast masses, 30 features of the imaged cell nuclei
    (mean, standard error and "worst" value of ten measurements such as radius, texture
    and concavity). Labels: malignant = +1 (212 samples), benign = −1 (357). ``X`` is
    returned raw (unstandardised): standardise with training statistics only.
    """
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    X = np.asarray(data.data, dtype=np.float64)
    y = np.where(np.asarray(data.target) == 0, 1.0, -1.0)  # sklearn: 0 = malignant
    return BinaryClassification(X=X, y=y, feature_names=[str(s) for s in data.feature_names],
                                classes=("benign", "malignant"))


class _TooStiff(Exception):
    """Raised inside the Lorenz right-hand side when the solver exceeds its budget."""


@dataclass(frozen=True)
class Trajectory:
    """A sampled trajectory of an ODE ẋ = f(x).

    ``t`` (n,) sample times, ``X`` (n × d) the measured states (``X_clean`` plus the
    measurement noise, if any), ``X_clean`` the states of the numerical solution,
    ``dXdt`` the exact derivative f(X_clean) evaluated from the right-hand side, and
    ``names`` the state variables.
    """

    t: np.ndarray
    X: np.ndarray
    X_clean: np.ndarray
    dXdt: np.ndarray
    names: list[str]


def lorenz_rhs(X: np.ndarray, sigma: float = 10.0, rho: float = 28.0,
               beta: float = 8.0 / 3.0) -> np.ndarray:
    r"""Right-hand side of the Lorenz system, row by row for states X (n × 3) or one state:

    ẋ = σ(y − x),   ẏ = x(ρ − z) − y,   ż = xy − βz.
    """
    S = finite_array(X, "X", ndim=(1, 2))
    if S.shape[-1] != 3 or S.size == 0:
        raise ValueError(f"X must have 3 columns (x, y, z) and at least one row, "
                         f"got shape {S.shape}")
    sigma, rho, beta = (real(v, k) for k, v in
                        (("sigma", sigma), ("rho", rho), ("beta", beta)))
    x, y, z = S[..., 0], S[..., 1], S[..., 2]
    return np.stack([sigma * (y - x), x * (rho - z) - y, x * y - beta * z], axis=-1)


def lorenz(
    t_end: float = 10.0,
    dt: float = 0.002,
    x0: tuple[float, float, float] = (-8.0, 8.0, 27.0),
    sigma: float = 10.0,
    rho: float = 28.0,
    beta: float = 8.0 / 3.0,
    noise: float = 0.0,
    seed: int = 0,
) -> Trajectory:
    r"""The Lorenz (1963) system sampled every ``dt`` on [0, ``t_end``).

    Integrated with scipy's ``solve_ivp`` (DOP853, rtol = atol = 1e-12), so the samples
    are exact to about 1e-10 over ten time units. ``dXdt`` = f(X_clean) is the exact
    derivative; ``X`` = X_clean + ``noise``·ε with ε ~ N(0, I) (seeded) models
    measurement noise of standard deviation ``noise`` on every coordinate.
    """
    from scipy.integrate import solve_ivp

    T = positive(t_end, "t_end")
    h = positive(dt, "dt")
    if h >= T:
        raise ValueError(f"dt must be < t_end ({T}), got {dt!r}")
    if T / h > _MAX_LORENZ_SAMPLES:
        raise ValueError(f"t_end / dt must be ≤ {_MAX_LORENZ_SAMPLES:.0e} samples, got "
                         f"t_end={t_end!r}, dt={dt!r}")
    start = finite_array(x0, "x0", ndim=1)
    if start.shape != (3,):
        raise ValueError(f"x0 must be three finite numbers, got {x0!r}")
    # Plain floats: a torch or numpy scalar in the right-hand side makes every one of the
    # solver's ~10⁵ evaluations slow (49 s instead of 0.06 s for a torch scalar σ).
    sigma, rho, beta = (positive(v, name) for name, v in
                        (("sigma", sigma), ("rho", rho), ("beta", beta)))
    s = nonneg(noise, "noise")
    seed = random_seed(seed)
    t = np.arange(0.0, T, h)
    # ~1 200 evaluations per time unit on the attractor; far more means a huge, stiff state.
    budget, calls = int(20_000 * (1.0 + T)), [0]

    def f(_t: float, u: np.ndarray) -> list[float]:  # scalar form: ~10× faster than arrays
        calls[0] += 1
        if calls[0] > budget:
            raise _TooStiff
        x, y, z = u
        return [sigma * (y - x), x * (rho - z) - y, x * y - beta * z]

    try:
        with np.errstate(over="ignore", invalid="ignore"):
            sol = solve_ivp(f, (0.0, float(t[-1])), start, method="DOP853", t_eval=t,
                            rtol=1e-12, atol=1e-12)
        message, ok = sol.message, sol.success
    except _TooStiff:
        message, ok = f"more than {budget} right-hand-side evaluations", False
    if not ok or sol.y.shape[1] != t.size or not np.all(np.isfinite(sol.y)):
        raise ValueError(
            f"the Lorenz system with sigma={sigma:g}, rho={rho:g}, beta={beta:g} from "
            f"x0={start.tolist()} could not be integrated to t_end={T:g} "
            f"({message}); use parameters and a start of moderate size"
        )
    X_clean = sol.y.T.copy()
    X = X_clean + s * np.random.default_rng(seed).standard_normal(X_clean.shape) if s else X_clean
    return Trajectory(t=t, X=X, X_clean=X_clean, dXdt=lorenz_rhs(X_clean, sigma, rho, beta),
                      names=["x", "y", "z"])


@dataclass(frozen=True)
class GaussianMixture:
    """Samples ``X`` (n × d) of an isotropic Gaussian mixture with means ``centers``
    (K × d), common standard deviation ``std``, and the component of each sample
    (``component``, integers in 0 … K−1)."""

    X: np.ndarray
    centers: np.ndarray
    component: np.ndarray
    std: float


def ring_of_gaussians(
    n: int = 1000,
    n_modes: int = 8,
    radius: float = 2.0,
    std: float = 0.02,
    seed: int = 0,
) -> GaussianMixture:
    """The ring benchmark of GAN papers: ``n_modes`` Gaussians evenly spaced on a circle.

    Centre k is c_k = radius·(cos 2πk/K, sin 2πk/K), k = 0 … K−1. Each sample picks a
    component uniformly at random and adds N(0, std²·I₂) noise. The defaults (8 modes,
    radius 2, std 0.02) are the mixture of Metz et al., "Unrolled generative adversarial
    networks" (ICLR 2017).
    """
    n = positive_int(n, "n")
    K = positive_int(n_modes, "n_modes")
    r = float(nonneg(radius, "radius"))
    if r == 0:
        raise ValueError("radius must be > 0")
    s = float(nonneg(std, "std"))
    rng = np.random.default_rng(random_seed(seed))
    angles = 2 * np.pi * np.arange(K) / K
    centers = r * np.column_stack([np.cos(angles), np.sin(angles)])
    component = rng.integers(0, K, size=n)
    X = centers[component] + s * rng.standard_normal((n, 2))
    return GaussianMixture(X=X, centers=centers, component=component.astype(np.int64), std=s)


@dataclass(frozen=True)
class DigitsTask:
    """One task of a continual-learning sequence on scikit-learn's digits.

    ``X_train``/``X_test`` (n × 64, pixels in [0, 1], permuted by ``permutation``),
    integer labels ``y_train``/``y_test`` (0–9) and a short ``name``.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    permutation: np.ndarray


def digits(test_size: float = 0.25, seed: int = 0) -> DigitsTask:
    """scikit-learn's 1 797 8×8 digit images, pixels divided by 16 (so in [0, 1]), split once
    into a stratified train/test split with ``test_size`` of the images for testing
    (``random_state=seed``). Labels are the digits 0–9 as int64."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    test_size = in_interval(test_size, "test_size", 0.0, 1.0, lo_open=True, hi_open=True)
    seed = random_seed(seed)
    d = load_digits()
    X = np.asarray(d.data, dtype=np.float64) / 16.0
    Xtr, Xte, ytr, yte = train_test_split(X, d.target.astype(np.int64), test_size=test_size,
                                          random_state=seed, stratify=d.target)
    return DigitsTask(name="original", X_train=Xtr, y_train=ytr, X_test=Xte, y_test=yte,
                      permutation=np.arange(64))


def permuted_digits(n_tasks: int = 3, test_size: float = 0.3, seed: int = 0) -> list[DigitsTask]:
    """A sequence of "permuted digits" tasks (the permuted-MNIST protocol on 8×8 digits).

    The 1 797 images of ``sklearn.datasets.load_digits`` (pixels divided by 16, so in
    [0, 1]) are split once into train and test sets (stratified, ``test_size`` of the
    images for testing, ``random_state=seed``). Task 0 shows the images as they are; task
    t ≥ 1 applies a fixed random permutation π_t of the 64 pixels (drawn from
    ``default_rng(seed)``) to every image, train and test alike. The labels never change,
    so every task is as hard as the first, but the pixel-to-weight mapping a network learnt
    for one task is useless for the next — the permuted-MNIST setting in which Kirkpatrick
    et al. (2017) measured forgetting, on a data set small enough for a laptop CPU.
    """
    T = positive_int(n_tasks, "n_tasks")
    seed = random_seed(seed)
    base = digits(test_size=test_size, seed=seed)
    Xtr, Xte, ytr, yte = base.X_train, base.X_test, base.y_train, base.y_test
    rng = np.random.default_rng(seed)
    tasks = []
    for t in range(T):
        perm = np.arange(64) if t == 0 else rng.permutation(64)
        tasks.append(DigitsTask(name="original" if t == 0 else f"permutation {t}",
                                X_train=Xtr[:, perm], y_train=ytr, X_test=Xte[:, perm],
                                y_test=yte, permutation=perm))
    return tasks
