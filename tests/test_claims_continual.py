"""Claims made by book/applications/continual-learning.md, pinned on the library.

Each test reruns one experiment of the page on the page's own seeded task sequences and
checks the statement the text makes about it.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from normcourse import datasets
from normcourse.continual import fisher_concentration, fisher_diagonal, run_sequence

SEEDS = (0, 1, 2)
METHODS = {"finetune": 0.0, "l2sp": 0.1, "ewc": 100.0}


@pytest.fixture(scope="module")
def tasks():
    return datasets.permuted_digits(3, seed=0)


@pytest.fixture(scope="module")
def comparison():
    return {m: [run_sequence(m, datasets.permuted_digits(3, seed=s), lam, seed=s) for s in SEEDS]
            for m, lam in METHODS.items()}


@pytest.fixture(scope="module")
def ewc300(tasks):
    return run_sequence("ewc", tasks, 300.0)


def test_tasks_are_equally_hard_for_finetuning(comparison) -> None:
    for r in comparison["finetune"]:
        diag = np.diag(r.accuracy)
        assert diag.min() > 0.9 and np.ptp(diag) < 0.05


def test_both_penalties_forget_less_than_finetuning(comparison) -> None:
    for k in range(len(SEEDS)):
        ft, l2sp, ewc = (comparison[m][k] for m in METHODS)
        assert ft.average_forgetting > 0.4  # fine-tuning loses much of what it learnt
        assert ewc.average_forgetting < l2sp.average_forgetting < ft.average_forgetting
        assert np.all(ewc.forgetting < ft.forgetting)  # every earlier task, for EWC
        assert ewc.old_accuracy > l2sp.old_accuracy > ft.old_accuracy
        assert ft.new_accuracy > max(l2sp.new_accuracy, ewc.new_accuracy)  # the price
        assert min(l2sp.new_accuracy, ewc.new_accuracy) > 0.8


def test_the_two_strengths_cost_the_same_on_the_newest_task(comparison) -> None:
    new = {m: np.mean([r.new_accuracy for r in rs]) for m, rs in comparison.items()}
    assert abs(new["l2sp"] - new["ewc"]) < 0.02
    assert new["finetune"] - max(new["l2sp"], new["ewc"]) > 0.04  # "several points"


def test_ewc_frontier_lies_above_l2sp(tasks, comparison, ewc300) -> None:
    l2sp = [run_sequence("l2sp", tasks, lam) for lam in (0.01, 0.3, 1.0)]
    l2sp.insert(1, comparison["l2sp"][0])  # λ = 0.1 on the same tasks and seed
    assert max(r.old_accuracy for r in l2sp) < 0.65 < 0.75 < ewc300.old_accuracy
    assert ewc300.new_accuracy > 0.8
    # a too strong L2-SP pull stops the network from learning the new tasks at all
    assert l2sp[-1].new_accuracy < 0.5 and l2sp[-1].old_accuracy < l2sp[-2].old_accuracy


def test_the_task1_fisher_is_concentrated_and_zero_where_unused(tasks, ewc300) -> None:
    F = ewc300.fishers[0]
    conc = fisher_concentration(F, fractions=(0.05, 0.5))
    assert conc.shares[0] > 0.5 and conc.shares[1] > 0.95
    assert 0.15 < conc.zero_fraction < 0.25  # "about a fifth"
    # the zeros are exactly the weights whose unit is never active with a nonzero input
    model = run_sequence("finetune", tasks[:1]).model  # task 1 is trained the same way
    x = torch.as_tensor(tasks[0].X_train, dtype=torch.float32)
    with torch.no_grad():
        a1 = torch.relu(model[0](x))
        a2 = torch.relu(model[2](a1))
    act1, act2 = (a1 > 0).double(), (a2 > 0).double()
    meets = act1.T @ (x != 0).double()  # (unit j, pixel i): active together on some image
    assert torch.equal(F[0] == 0, meets == 0)
    assert torch.equal(F[1] == 0, act1.sum(0) == 0)
    assert int((act1.sum(0) == 0).sum()) == 9 and int((act2.sum(0) == 0).sum()) == 14
    dead2 = act2.sum(0) == 0
    assert torch.equal(F[3] == 0, dead2)
    blank = tasks[0].X_train.max(axis=0) == 0
    assert blank.sum() == 4 and bool((F[0][:, torch.as_tensor(blank)] == 0).all())
    # under the permutations most of those inputs carry ink
    assert sum(int((t.X_train.max(axis=0)[blank] > 0).sum()) for t in tasks[1:]) >= 5


def test_batch_fisher_is_smaller_by_about_the_batch_size(tasks, ewc300) -> None:
    model = run_sequence("finetune", tasks[:1]).model
    data = (tasks[0].X_train, tasks[0].y_train)
    total = lambda F: sum(float(f.sum()) for f in F)  # noqa: E731
    emp = total(fisher_diagonal(model, data))
    for B in (8, 32, 128, 256):
        ratio = total(fisher_diagonal(model, data, "batch", batch_size=B)) / emp
        assert 0.5 / B < ratio < 2.0 / B
    # so EWC with the batch estimate at the same λ is a much weaker penalty ...
    batch300 = run_sequence("ewc", tasks, 300.0, estimator="batch")
    assert batch300.average_forgetting > 2 * ewc300.average_forgetting
    # ... and about 30 times its λ makes up for it
    batch1e4 = run_sequence("ewc", tasks, 10_000.0, estimator="batch")
    assert abs(batch1e4.old_accuracy - ewc300.old_accuracy) < 0.05
