"""Sphinx extension: re-execute cached notebooks when the ``normcourse`` library changes.

jupyter-cache keys a notebook on its code cells only, so a change inside ``normcourse``
would leave stale outputs in a cached book (MyST-NB #299). This extension makes the
library part of that key: on Sphinx's ``source-read`` event it appends one hidden code
cell (tag ``remove-cell``) holding a hash of the library's source,

    hash = SHA-256( for each file f under the package, sorted: path(f) ‖ bytes(f) ),

to every MyST notebook. When any library file changes, the hash and thus the cache key
of every notebook change, and the next build executes them again.

Enable it in ``_config.yml``::

    sphinx:
      extra_extensions: [normcourse.sphinxext]
      config:
        normcourse_hash_packages: [normcourse]   # importable names or directories
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HASH_MARKER = "# normcourse library source hash:"
_SUFFIXES = (".py", ".pyi", ".json", ".toml", ".yml", ".yaml", ".txt", ".csv")
_NOTEBOOK_HEADER = re.compile(r"\A---\s*\n.*?^kernelspec:", re.S | re.M)


def package_dir(name_or_path: str | Path) -> Path:
    """Directory of an importable package name, or the given directory itself.

    Raises ``ValueError`` when it is neither an existing directory nor an importable package.
    """
    path = Path(name_or_path)
    if path.is_dir():
        return path.resolve()
    spec = importlib.util.find_spec(str(name_or_path))
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(
            f"normcourse_hash_packages: {name_or_path!r} is neither a directory "
            "nor an importable package"
        )
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def source_hash(packages: Iterable[str | Path]) -> str:
    """SHA-256 over every source file of ``packages`` (relative path and bytes, sorted).

    Compiled caches (``__pycache__``) are ignored, so the hash changes only with the source.
    """
    digest = hashlib.sha256()
    for pkg in packages:
        root = package_dir(pkg)
        files = sorted(
            p
            for p in root.rglob("*")
            if p.is_file() and p.suffix in _SUFFIXES and "__pycache__" not in p.parts
        )
        for f in files:
            digest.update(f"{root.name}/{f.relative_to(root).as_posix()}\n".encode())
            digest.update(f.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def is_myst_notebook(text: str) -> bool:
    """True when ``text`` is a MyST Markdown notebook (front matter with a ``kernelspec``)."""
    return bool(_NOTEBOOK_HEADER.match(text))


def add_hash_cell(text: str, digest: str) -> str:
    """Append the hidden code cell that carries ``digest`` to a MyST notebook's text."""
    cell = (
        "\n\n```{code-cell} ipython3\n:tags: [remove-cell]\n\n"
        f"{HASH_MARKER} {digest}\n```\n"
    )
    return text.rstrip("\n") + cell


def _on_source_read(app: Any, docname: str, source: list[str]) -> None:
    if not is_myst_notebook(source[0]):
        return
    digest = getattr(app, "_normcourse_hash", None)
    if digest is None:  # once per build: the app is new each build, the env is pickled
        digest = source_hash(app.config.normcourse_hash_packages)
        app._normcourse_hash = digest
    source[0] = add_hash_cell(source[0], digest)


def _on_env_get_outdated(app: Any, env: Any, added: set, changed: set, removed: set) -> list:
    """Mark every notebook outdated when the library hash differs from the last build's."""
    digest = source_hash(app.config.normcourse_hash_packages)
    previous = getattr(env, "normcourse_last_hash", None)
    env.normcourse_last_hash = digest
    app._normcourse_hash = digest
    if previous is None or previous == digest:
        return []
    stale = []
    for docname in env.found_docs:
        path = Path(env.doc2path(docname))
        if path.suffix == ".md" and path.exists() and is_myst_notebook(path.read_text("utf-8")):
            stale.append(docname)
    return stale


def setup(app: Any) -> dict[str, Any]:
    """Register the config value and the event handlers with Sphinx."""
    app.add_config_value("normcourse_hash_packages", ["normcourse"], "env")
    app.connect("env-get-outdated", _on_env_get_outdated)
    app.connect("source-read", _on_source_read)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
