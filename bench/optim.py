"""Step time of normcourse.optim against torch.optim (foreach=True) on a ~10M-parameter MLP.

Only ``optimizer.step()`` is timed: the gradients are drawn once and left in ``.grad``.
Both optimizers of a pair run on their own copy of the same parameters, interleaved
(ours, torch, ours, torch, ...) so that machine noise hits both alike; the table reports
the median over repeats of the mean step time within a repeat. Each pair runs in a fresh
Python process: the step time of a 10M-parameter CPU optimizer depends on the state of
the C allocator (page faults on freshly mapped memory), which earlier pairs would change.

Run:  .venv/bin/python bench/optim.py        (plain script, not a test)
"""

from __future__ import annotations

import copy
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import torch
from torch import nn

from normcourse import optim as nopt
from normcourse.penalties import L1, Penalty

WIDTH = 1600
DEPTH = 4
WARMUP = 10
STEPS_PER_REPEAT = 2
REPEATS = 21

MakeOpt = Callable[[list[nn.Parameter]], torch.optim.Optimizer]


def make_params(seed: int = 0) -> list[nn.Parameter]:
    """Parameters of a DEPTH-layer MLP of width WIDTH, with fixed random gradients."""
    torch.manual_seed(seed)
    layers = [nn.Linear(WIDTH, WIDTH) for _ in range(DEPTH)]
    params = [p for layer in layers for p in layer.parameters()]
    for p in params:
        p.grad = torch.randn_like(p) * 1e-2
    return params


def time_steps(opt: torch.optim.Optimizer, n: int) -> float:
    """Mean wall time of ``n`` calls to ``opt.step()``, in milliseconds."""
    t0 = time.perf_counter()
    for _ in range(n):
        opt.step()
    return (time.perf_counter() - t0) / n * 1e3


def compare(ours: MakeOpt, theirs: MakeOpt) -> tuple[float, float]:
    base = make_params()
    p_ours = base
    p_theirs = [nn.Parameter(p.detach().clone()) for p in base]
    for p, q in zip(p_theirs, base, strict=True):
        p.grad = copy.deepcopy(q.grad)
    o_ours, o_theirs = ours(p_ours), theirs(p_theirs)
    for _ in range(WARMUP):  # allocates state (moments, momentum buffers)
        o_ours.step()
        o_theirs.step()
    t_ours, t_theirs = [], []
    for _ in range(REPEATS):
        t_ours.append(time_steps(o_ours, STEPS_PER_REPEAT))
        t_theirs.append(time_steps(o_theirs, STEPS_PER_REPEAT))
    return statistics.median(t_ours), statistics.median(t_theirs)


class _SoftShrink(Penalty):
    """Soft-thresholding as one fused op, to time ProxSGD itself rather than a penalty."""

    def __init__(self, lam: float) -> None:
        self.lam = lam

    def prox_tensor(self, w: torch.Tensor, step: float) -> torch.Tensor:
        return nn.functional.softshrink(w, step * self.lam)


def _library_l1(lam: float) -> Penalty:
    return L1(lam)


CASES: list[tuple[str, str, MakeOpt, MakeOpt]] = [
    (
        "AdamW(λ=1e-2)",
        "torch AdamW foreach",
        lambda p: nopt.AdamW(p, lr=1e-3, weight_decay=1e-2),
        lambda p: torch.optim.AdamW(p, lr=1e-3, weight_decay=1e-2, foreach=True),
    ),
    (
        "Adam+L2(λ=1e-2)",
        "torch Adam foreach",
        lambda p: nopt.Adam(p, lr=1e-3, weight_decay=1e-2),
        lambda p: torch.optim.Adam(p, lr=1e-3, weight_decay=1e-2, foreach=True),
    ),
    (
        "SGD β=.9 decoupled γ=1e-4",
        "torch SGD β=.9 wd foreach",
        lambda p: nopt.SGD(p, lr=1e-2, momentum=0.9, weight_decay=1e-4, decoupled=True),
        lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.9, weight_decay=1e-4, foreach=True),
    ),
    (
        "SGD β=.9 coupled λ=1e-4",
        "torch SGD β=.9 wd foreach",
        lambda p: nopt.SGD(p, lr=1e-2, momentum=0.9, weight_decay=1e-4),
        lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.9, weight_decay=1e-4, foreach=True),
    ),
    (
        "ProxSGD β=.9 softshrink",
        "torch SGD β=.9 foreach",
        lambda p: nopt.ProxSGD(p, lr=1e-2, penalty=_SoftShrink(1e-4), momentum=0.9),
        lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.9, foreach=True),
    ),
    (
        "ProxSGD β=.9 penalties.L1",
        "torch SGD β=.9 foreach",
        lambda p: nopt.ProxSGD(p, lr=1e-2, penalty=_library_l1(1e-4), momentum=0.9),
        lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.9, foreach=True),
    ),
]


def run_case(i: int) -> None:
    """Child process: time pair ``i`` and print the two medians."""
    torch.set_num_threads(2)
    _, _, ours, theirs = CASES[i]
    t_o, t_r = compare(ours, theirs)
    print(f"{t_o!r} {t_r!r}")


def main() -> None:
    torch.set_num_threads(2)
    n_params = sum(p.numel() for p in make_params())
    print(
        f"MLP {DEPTH}×Linear({WIDTH}, {WIDTH}): {n_params / 1e6:.2f}M float32 parameters, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
        f"median of {REPEATS} repeats × {STEPS_PER_REPEAT} steps, step() only"
    )
    head = f"{'ours':<28}{'ms/step':>9}  {'reference':<28}{'ms/step':>9}{'ratio':>8}"
    print(head)
    print("-" * len(head))
    for i, (name_ours, name_ref, _, _) in enumerate(CASES):
        out = subprocess.run(
            [sys.executable, __file__, "--case", str(i)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        t_o, t_r = float(out[-2]), float(out[-1])
        print(f"{name_ours:<28}{t_o:>9.2f}  {name_ref:<28}{t_r:>9.2f}{t_o / t_r:>8.2f}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--case":
        run_case(int(sys.argv[2]))
    else:
        main()
