"""Walking the layers of a Sequential MLP: the checks shared by the spectral and path-norm code.

A network here is an ``nn.Sequential`` (nested Sequentials are flattened) or one ``nn.Linear``;
:func:`leaf_layers` lists its layers in order with their dotted names (``"0"``, ``"2"``, ``"1.0"``),
the names that the warm-start caches of :mod:`normcourse.robustness.spectral` use.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from torch import nn

__all__ = ["check_sequential", "leaf_layers"]


def leaf_layers(module: nn.Module, prefix: str = "") -> Iterator[tuple[str, nn.Module]]:
    """Leaf layers of a (possibly nested) Sequential, in order, with their dotted names."""
    if isinstance(module, nn.Sequential):
        for name, child in module.named_children():
            yield from leaf_layers(child, f"{prefix}.{name}" if prefix else name)
    else:
        yield (prefix or "0"), module


def check_sequential(model: Any, name: str = "model") -> None:
    """Raise ``ValueError`` unless ``model`` is an ``nn.Sequential`` or a single ``nn.Linear``."""
    if not isinstance(model, nn.Sequential | nn.Linear):
        raise ValueError(
            f"{name} must be a torch.nn.Sequential (or a single nn.Linear), "
            f"got {type(model).__name__}"
        )
