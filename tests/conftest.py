"""Shared test configuration."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread() -> Iterator[None]:
    """Run torch on one thread: the tests use tiny models, and on a shared 2-core machine
    OpenMP spin-waiting costs far more than a second thread saves."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
