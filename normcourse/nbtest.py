"""pytest plugin: validate Jupytext MyST notebooks (``.md``) with nbval, no ``.ipynb`` needed.

nbval collects only ``.ipynb`` files. This plugin collects every ``.md`` file whose front
matter has a ``kernelspec`` (a Jupytext/MyST notebook), reads it with jupytext and hands
the in-memory notebook to nbval's own collector, so cells run in a real kernel with
nbval's semantics: a cell that raises fails its test item with the cell source and the
traceback, unless it is tagged ``raises-exception``. With ``--nbval-lax`` outputs are
not compared (the sources have none); asserting cells carry the checks.

Enable with ``-p normcourse.nbtest`` or ``pytest_plugins = ["normcourse.nbtest"]`` in
the root ``conftest.py``, then run ``pytest --nbval-lax --nbval-current-env book``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from normcourse.sphinxext import is_myst_notebook


def _read_notebook(path: Path) -> Any:
    import jupytext

    return jupytext.read(path)


class JupytextNbFile:
    """Factory for the nbval collector subclass (nbval is imported only when enabled)."""

    _cls: type | None = None

    @classmethod
    def cls(cls) -> type:
        if cls._cls is None:
            from nbval.plugin import IPyNbFile

            class _JupytextNbFile(IPyNbFile):
                """nbval's notebook collector, fed by jupytext instead of ``nbformat.read``."""

                def collect(self) -> Iterator[pytest.Item]:
                    import nbval.plugin as nbval_plugin

                    nb = _read_notebook(Path(self.path))
                    original = nbval_plugin.nbformat.read
                    own_path = str(self.path)

                    def read(fp: Any, *args: Any, **kwargs: Any) -> Any:
                        if str(fp) == own_path:
                            return nb
                        return original(fp, *args, **kwargs)

                    nbval_plugin.nbformat.read = read
                    try:
                        yield from super().collect()
                    finally:
                        nbval_plugin.nbformat.read = original

            cls._cls = _JupytextNbFile
        return cls._cls


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect MyST notebooks when ``--nbval`` or ``--nbval-lax`` is given."""
    opt = parent.config.option
    if not (getattr(opt, "nbval", False) or getattr(opt, "nbval_lax", False)):
        return None
    if file_path.suffix != ".md" or "_build" in file_path.parts:
        return None
    try:
        head = file_path.read_text(encoding="utf-8")[:4096]
    except (OSError, UnicodeDecodeError):
        return None
    if not is_myst_notebook(head):
        return None
    return JupytextNbFile.cls().from_parent(parent, path=file_path)
