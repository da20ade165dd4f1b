"""Small torch helpers shared by the modules that train models."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with torch's intra-op thread count set to ``n``, then restore it.

    ``None`` leaves the setting alone. The course's models are tiny: extra threads only add
    synchronisation, and on busy cores a spinning second thread can make a run many times
    slower, so the experiments default to one thread.
    """
    import torch

    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)
