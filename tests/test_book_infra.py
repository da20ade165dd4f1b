"""The book machinery: cache invalidation on library change, and nbval over Jupytext sources."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from normcourse.sphinxext import HASH_MARKER, add_hash_cell, is_myst_notebook, source_hash

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

NOTEBOOK_HEADER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""


def test_source_hash_changes_only_with_source(tmp_path: Path) -> None:
    pkg = tmp_path / "lib"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("VALUE = 1\n")
    first = source_hash([pkg])
    assert source_hash([pkg]) == first  # deterministic
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "x.pyc").write_bytes(b"junk")
    assert source_hash([pkg]) == first  # compiled caches do not count
    (pkg / "__init__.py").write_text("VALUE = 2\n")
    assert source_hash([pkg]) != first
    with pytest.raises(ValueError, match="normcourse_hash_packages"):
        source_hash(["no_such_package_xyz"])


def test_hash_cell_only_for_notebooks() -> None:
    nb = NOTEBOOK_HEADER + "# Title\n\n```{code-cell} ipython3\n1 + 1\n```\n"
    assert is_myst_notebook(nb)
    assert not is_myst_notebook("# A plain page\n\nNo kernel here.\n")
    out = add_hash_cell(nb, "abc123")
    assert out.startswith(nb.rstrip("\n"))
    assert f"{HASH_MARKER} abc123" in out
    assert ":tags: [remove-cell]" in out


def test_project_config_uses_cache_and_hash_extension() -> None:
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert cfg["execute"]["execute_notebooks"] == "cache"
    assert cfg["execute"]["raise_on_error"] is True
    assert 0 < cfg["execute"]["timeout"] <= 120
    assert "normcourse.sphinxext" in cfg["sphinx"]["extra_extensions"]
    assert {"dollarmath", "amsmath"} <= set(cfg["parse"]["myst_enable_extensions"])


def _write_tiny_book(book: Path, lib: Path) -> None:
    (book / "_config.yml").write_text(
        textwrap.dedent(
            f"""\
            title: tiny
            only_build_toc_files: true
            execute:
              execute_notebooks: cache
              raise_on_error: true
            sphinx:
              extra_extensions: [normcourse.sphinxext]
              config:
                normcourse_hash_packages: ["{lib}"]
            """
        )
    )
    (book / "_toc.yml").write_text("format: jb-book\nroot: page\n")
    (book / "page.md").write_text(
        NOTEBOOK_HEADER
        + textwrap.dedent(
            f"""\
            # Page

            ```{{code-cell}} ipython3
            import sys
            sys.path.insert(0, "{lib.parent}")
            import fakelib
            with open("{book / 'runs.txt'}", "a") as fh:
                fh.write("run\\n")
            print(f"VALUE={{fakelib.VALUE}}")
            ```
            """
        )
    )


def _build(book: Path) -> str:
    proc = subprocess.run(
        [str(BIN / "jupyter-book"), "build", str(book), "-W", "-n", "--keep-going"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return (book / "_build" / "html" / "page.html").read_text()


def test_cached_book_reexecutes_when_library_changes(tmp_path: Path) -> None:
    lib = tmp_path / "libroot" / "fakelib"
    lib.mkdir(parents=True)
    (lib / "__init__.py").write_text("VALUE = 1\n")
    book = tmp_path / "book"
    book.mkdir()
    _write_tiny_book(book, lib)
    runs = book / "runs.txt"

    assert "VALUE=1" in _build(book)
    assert runs.read_text().count("run") == 1

    _build(book)  # nothing changed: served from the cache, not executed again
    assert runs.read_text().count("run") == 1

    (lib / "__init__.py").write_text("VALUE = 2\n")  # only the library changes
    html = _build(book)
    assert "VALUE=2" in html and "VALUE=1" not in html
    assert runs.read_text().count("run") == 2


def _run_nbval(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    nb = tmp_path / "nb.md"
    nb.write_text(NOTEBOOK_HEADER + body)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "normcourse.nbtest", "--nbval-lax",
         "--nbval-current-env", "-p", "no:cacheprovider", str(nb)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )


def test_nbval_collects_myst_and_reports_failing_cell(tmp_path: Path) -> None:
    proc = _run_nbval(
        tmp_path,
        "```{code-cell} ipython3\nx = 1\n```\n\n"
        "```{code-cell} ipython3\nratio = x / 0  # this cell breaks\n```\n",
    )
    out = proc.stdout
    assert proc.returncode == 1, out
    assert "1 passed" in out and "1 failed" in out
    assert "ZeroDivisionError" in out  # the traceback is shown
    assert "ratio = x / 0" in out  # and the cell that raised
    assert not list(tmp_path.glob("*.ipynb"))  # nothing written next to the source


def test_nbval_honours_raises_exception_tag(tmp_path: Path) -> None:
    proc = _run_nbval(
        tmp_path,
        "```{code-cell} ipython3\n:tags: [raises-exception]\n\nraise NotImplementedError\n```\n\n"
        "```{code-cell} ipython3\nassert 1 + 1 == 2\n```\n",
    )
    assert proc.returncode == 0, proc.stdout
    assert "2 passed" in proc.stdout


def _hidden_claim_book(book: Path, claim: str) -> None:
    book.mkdir()
    (book / "_config.yml").write_text(
        "title: tiny\nonly_build_toc_files: true\n"
        "execute:\n  execute_notebooks: force\n  raise_on_error: true\n"
    )
    (book / "_toc.yml").write_text("format: jb-book\nroot: page\n")
    (book / "page.md").write_text(
        NOTEBOOK_HEADER
        + "# Page\n\n```{code-cell} ipython3\nvalue = 6 * 7\nprint(value)\n```\n\n"
        + "```{code-cell} ipython3\n:tags: [remove-cell]\n\n"
        + f"assert {claim}, 'pinned claim broke'\n```\n"
    )


def test_hidden_claim_cells_run_in_the_build_and_stay_out_of_the_html(tmp_path: Path) -> None:
    """Pages pin their claims in cells tagged remove-cell: the build executes them (a broken
    claim fails it) and the reader never sees them."""
    good = tmp_path / "good"
    _hidden_claim_book(good, "value == 42")
    html = _build(good)
    assert "42" in html and "assert" not in html and "pinned claim" not in html

    bad = tmp_path / "bad"
    _hidden_claim_book(bad, "value == 41")
    proc = subprocess.run(
        [str(BIN / "jupyter-book"), "build", str(bad), "-W", "-n", "--keep-going"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode != 0
    assert "pinned claim broke" in proc.stdout + proc.stderr
