r"""Continual learning: forgetting, and the two anchored penalties that resist it.

A network is trained on tasks 1, 2, …, T one after the other, seeing only the current
task's data. Plain fine-tuning forgets: the weights move wherever the new task pulls them.
The penalties of :mod:`normcourse.model_penalties` add a quadratic pull back towards the weights
θ* reached on earlier tasks:

* :class:`~normcourse.model_penalties.L2SP` — (λ/2)‖θ − θ*‖² (Li, Grandvalet & Davoine 2018): every
  weight is held equally hard;
* :class:`~normcourse.model_penalties.EWC` — (λ/2) Σ_i F_i (θ_i − θ*_i)² (Kirkpatrick et al. 2017):
  weight i is held in proportion to the diagonal Fisher information F_i of the old task,
  computed by :func:`fisher_diagonal`.

:func:`run_sequence` trains one method on a task sequence and returns the accuracy matrix
A[i, j] = test accuracy on task j after training on task i; :func:`forgetting` reads the
forgetting of each task off it (Chaudhry et al. 2018).

References
----------
Kirkpatrick et al., "Overcoming catastrophic forgetting in neural networks", PNAS 114(13), 2017.
Li, Grandvalet, Davoine, "Explicit inductive bias for transfer learning with convolutional
networks", ICML 2018.
Chaudhry, Dokania, Ajanthan, Torr, "Riemannian walk for incremental learning: understanding
forgetting and intransigence", ECCV 2018.
Kunstner, Balles, Hennig, "Limitations of the empirical Fisher approximation for natural
gradient descent", NeurIPS 2019.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, grad, vmap

from normcourse._torch import torch_threads
from normcourse._validate import (
    choice,
    class_labels,
    finite_array,
    finite_model,
    labels_below,
    model_input,
    nonneg,
    positive,
    positive_int,
    torch_seed,
)
from normcourse.model_penalties import EWC, L2SP, ModelPenalty
from normcourse.robustness.models import DivergenceError, mlp, train_classifier

__all__ = [
    "ESTIMATORS",
    "METHODS",
    "FisherConcentration",
    "SequenceResult",
    "accuracy",
    "fisher_concentration",
    "fisher_diagonal",
    "forgetting",
    "run_sequence",
]

METHODS = ("finetune", "l2sp", "ewc")
ESTIMATORS = ("empirical", "batch")

# Per-sample gradients are taken this many samples at a time (bounds the memory of vmap).
_CHUNK = 256


# --------------------------------------------------------------------------- Fisher diagonal


def _batches(
    model: nn.Module, data: Any, batch_size: int
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``data`` as a list of (x, y) tensor batches in the model's dtype."""
    if isinstance(data, tuple) and len(data) == 2 and not _looks_like_batch_list(data):
        x = model_input(model, data[0], "data[0]")
        y = class_labels(data[1], x.shape[0], x.device)
        return [(x[i : i + batch_size], y[i : i + batch_size])
                for i in range(0, x.shape[0], batch_size)]
    if not isinstance(data, Iterable):
        raise ValueError(
            "data must be a pair (X, y) or an iterable of (x, y) batches, got "
            f"{type(data).__name__}"
        )
    out = []
    for k, item in enumerate(data):
        if not (isinstance(item, tuple | list) and len(item) == 2):
            raise ValueError(f"data batch {k} must be a pair (x, y)")
        x = model_input(model, item[0], f"data batch {k} x")
        out.append((x, class_labels(item[1], x.shape[0], x.device)))
    if not out:
        raise ValueError("data has no batches")
    return out


def _looks_like_batch_list(data: tuple[Any, Any]) -> bool:
    """A 2-tuple whose entries are themselves (x, y) pairs is a list of two batches."""
    return all(isinstance(item, tuple | list) and len(item) == 2 for item in data)


def fisher_diagonal(
    model: nn.Module,
    data: Any,
    estimator: str = "empirical",
    batch_size: int = 32,
) -> list[torch.Tensor]:
    r"""Diagonal of the (empirical) Fisher information of a classifier, one tensor per parameter.

    With ℓ_n(θ) = −log p_θ(y_n | x_n) the cross-entropy of sample n (observed label y_n) and
    g_n = ∇_θ ℓ_n, the two estimators are

    * ``"empirical"`` (default) — the mean of squared **per-sample** gradients,

          F_i = (1/N) Σ_n g_{n,i}²,

      the diagonal of the empirical Fisher (1/N) Σ_n g_n g_nᵀ that EWC's quadratic penalty
      stands for (per-sample gradients are computed in one vectorised pass with
      ``torch.func.vmap``);
    * ``"batch"`` — the square of **mini-batch mean** gradients, weighted by batch size,

          F̃_i = Σ_b (N_b / N) ( (1/N_b) Σ_{n ∈ b} g_{n,i} )²,

      what one gets by squaring ``p.grad`` after ``loss.backward()`` on mini-batches, as some
      continual-learning libraries do. By Jensen's inequality F̃_i ≤ F_i for every i, with
      equality for batches of one sample. At a minimum of the task's loss the mean gradient
      is ≈ 0, so F̃ ≈ F / (batch size): the batch estimate shrinks with the batch size and a
      λ tuned for it is not a λ for EWC.

    The default is the per-sample estimator because it is the quantity in EWC's formula and does
    not depend on how the data happen to be batched. Both use the observed labels (the
    *empirical* Fisher; the Fisher proper takes y ~ p_θ(· | x), see Kunstner et al. 2019).

    Parameters
    ----------
    model : classifier returning logits (n, K). Evaluated in eval mode (restored afterwards);
        its parameters and ``.grad`` are not changed.
    data : ``(X, y)`` (arrays or tensors; split into consecutive batches of ``batch_size`` for
        ``"batch"``), or an iterable of ``(x, y)`` batches such as a ``DataLoader``.
    estimator : ``"empirical"`` or ``"batch"``.
    batch_size : batch size N_b when ``data`` is ``(X, y)`` (≥ 1).

    Returns
    -------
    List of tensors F (≥ 0), shaped and ordered like ``model.parameters()``.
    """
    finite_model(model)
    choice(estimator, ESTIMATORS, "estimator")
    batch_size = positive_int(batch_size, "batch_size")
    named = list(model.named_parameters())
    if not named:
        raise ValueError("model has no parameters")
    batches = _batches(model, data, batch_size if estimator == "batch" else _CHUNK)
    n_total = sum(int(y.shape[0]) for _, y in batches)
    with torch.no_grad():
        was = model.training
        model.eval()
        n_classes = model(batches[0][0]).shape[-1]
        model.train(was)
    for _, y in batches:
        labels_below(y, n_classes)
    fisher = [torch.zeros_like(p, memory_format=torch.contiguous_format).detach() for _, p in named]
    was_training = model.training
    model.eval()
    try:
        if estimator == "empirical":
            params = {k: p.detach() for k, p in named}
            buffers = {k: b.detach() for k, b in model.named_buffers()}

            def loss_one(
                p: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor
            ) -> torch.Tensor:
                logits = functional_call(model, (p, buffers), (x.unsqueeze(0),))
                return nn.functional.cross_entropy(logits, y.unsqueeze(0))

            per_sample = vmap(grad(loss_one), in_dims=(None, 0, 0))
            for x, y in batches:
                for i in range(0, x.shape[0], _CHUNK):
                    g = per_sample(params, x[i : i + _CHUNK], y[i : i + _CHUNK])
                    for f, (k, _) in zip(fisher, named, strict=True):
                        f += (g[k] * g[k]).sum(dim=0)
        else:
            plist = [p for _, p in named]
            for x, y in batches:
                loss = nn.functional.cross_entropy(model(x), y)
                gs = torch.autograd.grad(loss, plist, allow_unused=True)
                for f, g in zip(fisher, gs, strict=True):
                    if g is not None:
                        f += x.shape[0] * g.detach() * g.detach()
    finally:
        model.train(was_training)
    return [f / n_total for f in fisher]


class FisherConcentration(NamedTuple):
    """Result of :func:`fisher_concentration`."""

    fractions: np.ndarray
    """the fractions q of the parameters asked about"""
    shares: np.ndarray
    """share of the total Σ_i F_i carried by the ⌈q·P⌉ largest entries, one per q"""
    zero_fraction: float
    """fraction of the P entries with F_i = 0 exactly (the old task ignores them)"""
    n_params: int
    """P, the number of entries"""


def fisher_concentration(fisher: Any, fractions: Sequence[float] = (0.01, 0.05, 0.1)
                         ) -> FisherConcentration:
    r"""How unevenly a Fisher diagonal weighs the parameters.

    With F_(1) ≥ F_(2) ≥ … ≥ F_(P) the P entries of ``fisher`` (all tensors or arrays of
    :func:`fisher_diagonal` flattened together) sorted in decreasing order, the share carried
    by the largest fraction q is

        S(q) = Σ_{k ≤ ⌈qP⌉} F_(k) / Σ_k F_(k),

    so S(q) = q for a uniform diagonal (what L2-SP's F = 1 amounts to) and S(q) ≈ 1 for a
    diagonal concentrated on a few parameters. Also returns the fraction of entries that are
    exactly 0: parameters the old task's loss does not depend on, which EWC lets move freely.
    """
    items = list(fisher) if isinstance(fisher, list | tuple) else [fisher]
    if not items:
        raise ValueError("fisher must contain at least one array")
    flat = np.concatenate([finite_array(f, f"fisher[{k}]").ravel()
                           for k, f in enumerate(items)])
    if flat.size == 0 or np.any(flat < 0):
        raise ValueError("fisher must be non-empty with entries ≥ 0")
    total = flat.sum()
    if total == 0:
        raise ValueError("fisher is all zero: there is no information to distribute")
    q = finite_array(fractions, "fractions", ndim=1)
    if q.size == 0 or np.any((q <= 0) | (q > 1)):
        raise ValueError(f"fractions must be numbers in (0, 1], got {fractions!r}")
    top = np.cumsum(np.sort(flat)[::-1]) / total
    k = np.ceil(q * flat.size).astype(int)
    return FisherConcentration(q, top[k - 1], float(np.mean(flat == 0)), int(flat.size))


# --------------------------------------------------------------------------- accuracy matrix


def accuracy(model: nn.Module, X: Any, y: Any) -> float:
    """Fraction of correctly classified samples, (1/n) Σ_n 1[argmax_k f_k(x_n) = y_n]."""
    finite_model(model)
    x = model_input(model, X, "X")
    t = class_labels(y, x.shape[0], x.device)
    with torch.no_grad():
        logits = model(x)
    labels_below(t, logits.shape[-1])
    return float((logits.argmax(dim=1) == t).double().mean())


def forgetting(accuracy_matrix: Any) -> np.ndarray:
    r"""Forgetting of each earlier task at the end of a sequence (Chaudhry et al. 2018).

    For an accuracy matrix A (T × T, A[i, j] = accuracy on task j after training on task i),

        f_j = max_{j ≤ l ≤ T−2} A[l, j] − A[T−1, j],   j = 0, …, T−2:

    the best accuracy the task ever had minus the accuracy it ends with. Returns the T − 1
    values (empty for T = 1); their mean is the average forgetting.
    """
    A = finite_array(accuracy_matrix, "accuracy_matrix", ndim=2)
    T = A.shape[0]
    if A.shape != (T, T) or T == 0:
        raise ValueError(f"accuracy_matrix must be square (T × T), got shape {A.shape}")
    return np.array([A[j : T - 1, j].max() - A[T - 1, j] for j in range(T - 1)])


@dataclass
class SequenceResult:
    """What :func:`run_sequence` returns.

    Attributes
    ----------
    method, lam : the arguments of the run.
    accuracy : (T, T) array, ``accuracy[i, j]`` = test accuracy on task j after training on
        tasks 0 … i.
    task_names : the tasks' names.
    model : the network at the end of the sequence.
    fishers : for ``"ewc"``, the Fisher diagonals of tasks 0 … T−2 (one list per task).
    """

    method: str
    lam: float
    accuracy: np.ndarray
    task_names: list[str]
    model: nn.Module = field(repr=False)
    fishers: list[list[torch.Tensor]] = field(default_factory=list, repr=False)

    @property
    def forgetting(self) -> np.ndarray:
        """:func:`forgetting` of :attr:`accuracy`, one value per earlier task."""
        return forgetting(self.accuracy)

    @property
    def average_forgetting(self) -> float:
        """Mean forgetting over the earlier tasks."""
        f = self.forgetting
        return float(f.mean()) if f.size else 0.0

    @property
    def final_accuracy(self) -> np.ndarray:
        """Accuracy on every task at the end (last row of :attr:`accuracy`)."""
        return self.accuracy[-1].copy()

    @property
    def old_accuracy(self) -> float:
        """Mean final accuracy on the earlier tasks 0 … T−2 (stability)."""
        return float(self.accuracy[-1, :-1].mean())

    @property
    def new_accuracy(self) -> float:
        """Final accuracy on the last task (plasticity)."""
        return float(self.accuracy[-1, -1])


class _SumOfPenalties(ModelPenalty):
    """R(θ) = Σ_s R_s(θ), one EWC term per earlier task."""

    def __init__(self, terms: list[EWC]) -> None:
        self.terms = terms

    def __call__(self, model: nn.Module) -> torch.Tensor:
        return sum(term(model) for term in self.terms)  # type: ignore[return-value]


def run_sequence(
    method: str,
    tasks: Sequence[Any],
    lam: float = 0.0,
    *,
    steps: int = 300,
    lr: float = 1e-3,
    batch_size: int = 64,
    hidden: Sequence[int] = (100, 100),
    seed: int = 0,
    estimator: str = "empirical",
    fisher_batch_size: int = 32,
    num_threads: int | None = 1,
) -> SequenceResult:
    r"""Train one network on ``tasks`` in order with ``method``; return the accuracy matrix.

    The network is ``mlp([d, *hidden, K])`` (ReLU, seeded with ``seed``), K = number of classes,
    shared by all tasks (one output head). Task t is trained with
    :func:`normcourse.robustness.train_classifier` — ``steps`` Adam steps (learning rate ``lr``,
    fresh optimizer state per task; ``torch.optim.Adam(fused=True)``, the default update rule in
    one kernel per step, several times faster for these small networks) on mini-batches of
    ``batch_size`` of its training set — on

        J_t(θ) = CE_t(θ) + R_t(θ),

    where R_t depends on ``method``:

    * ``"finetune"`` — R_t = 0;
    * ``"l2sp"`` — R_t = (λ/2)‖θ − θ*_{t−1}‖², anchored at the weights the previous task ended
      with (:class:`~normcourse.model_penalties.L2SP`);
    * ``"ewc"`` — R_t = Σ_{s<t} (λ/2) Σ_i F_{s,i}(θ_i − θ*_{s,i})², one penalty per earlier task
      with its own anchor θ*_s and Fisher diagonal F_s (:class:`~normcourse.model_penalties.EWC`,
      F_s from :func:`fisher_diagonal` on task s's training set with ``estimator``).

    After each task the test accuracy on *every* task is recorded (row t of the matrix).

    Parameters
    ----------
    method : one of ``"finetune"``, ``"l2sp"``, ``"ewc"``.
    tasks : objects with ``X_train``, ``y_train``, ``X_test``, ``y_test`` (and optionally
        ``name``), e.g. :func:`normcourse.datasets.permuted_digits`; all with the same input
        dimension.
    lam : λ ≥ 0 (must be 0 for ``"finetune"``).
    num_threads : torch intra-op threads during the run (restored afterwards).
    """
    choice(method, METHODS, "method")
    lam = nonneg(lam, "lam")
    if method == "finetune" and lam != 0:
        raise ValueError(f"lam must be 0 for method 'finetune' (no penalty), got {lam!r}")
    choice(estimator, ESTIMATORS, "estimator")
    steps = positive_int(steps, "steps")
    lr = positive(lr, "lr")
    batch_size = positive_int(batch_size, "batch_size")
    fisher_batch_size = positive_int(fisher_batch_size, "fisher_batch_size")
    torch_seed(seed)
    tasks = list(tasks)
    if not tasks:
        raise ValueError("tasks must contain at least one task")
    for k, t in enumerate(tasks):
        for attr in ("X_train", "y_train", "X_test", "y_test"):
            if not hasattr(t, attr):
                raise ValueError(f"tasks[{k}] has no attribute {attr!r}")
    d = np.shape(tasks[0].X_train)[1]
    if any(np.shape(t.X_train)[1] != d or np.shape(t.X_test)[1] != d for t in tasks):
        raise ValueError("all tasks must have the same input dimension")
    n_classes = int(max(np.max(t.y_train) for t in tasks)) + 1
    widths = [positive_int(h, "hidden") for h in hidden]
    if num_threads is not None:
        num_threads = positive_int(num_threads, "num_threads")

    with torch_threads(num_threads):
        model = mlp([d, *widths, n_classes], seed=int(seed))
        T = len(tasks)
        A = np.zeros((T, T))
        ewc_terms: list[EWC] = []
        fishers: list[list[torch.Tensor]] = []
        for t, task in enumerate(tasks):
            penalty: ModelPenalty | None = None
            if t > 0 and method == "l2sp":
                penalty = L2SP(lam, model)
            elif t > 0 and method == "ewc":
                penalty = _SumOfPenalties(list(ewc_terms))

            try:
                opt = torch.optim.Adam(model.parameters(), lr=lr, fused=True)
                train_classifier(model, task.X_train, task.y_train, steps=steps, optimizer=opt,
                                 lr=lr, penalty=penalty, seed=int(seed) * 1_000 + t,
                                 batch_size=min(batch_size, len(task.y_train)))
            except DivergenceError as exc:
                raise DivergenceError(
                    f"task {t}: {exc} (lr={lr!r}, lam={lam!r}, method {method!r})"
                ) from None
            for j, other in enumerate(tasks):
                A[t, j] = accuracy(model, other.X_test, other.y_test)
            if method == "ewc" and t < T - 1:
                F = fisher_diagonal(model, (task.X_train, task.y_train), estimator=estimator,
                                    batch_size=fisher_batch_size)
                fishers.append(F)
                ewc_terms.append(EWC(lam, model, F))
    names = [str(getattr(t, "name", f"task {k}")) for k, t in enumerate(tasks)]
    return SequenceResult(method=method, lam=lam, accuracy=A, task_names=names, model=model,
                          fishers=fishers)
