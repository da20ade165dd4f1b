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

Two more services, both off unless configured:

* **An offline book** (``normcourse_offline: true``): the pages load nothing from another
  host. MathJax comes from the ``django-static-mathjax`` package (the MathJax 3 browser
  bundle, installed with the ``book`` extra) and is copied into the build's
  ``_static/mathjax/``, so ``mathjax_path`` must be ``mathjax/<component>.js``; the
  scripts and stylesheet of ``sphinx-thebe`` (which Jupyter Book always loads, and which
  fetch thebe from a CDN) are dropped; and after the build every HTML page is scanned:
  each ``<script>``, ``<link>``, ``<img>``… that would load from another host is a
  warning (an error under ``-W``).
* **Exercise downloads** (``normcourse_exercise_notebooks: exercises``): before reading,
  every MyST notebook ``<folder>/<id>.md`` is written, unexecuted, as ``<id>.ipynb`` and
  copied as ``<id>.md`` into ``exercise_downloads/`` next to the HTML output folder (never
  into the sources), and a page links them with the role
  ``{exercise-download}`text <id>.ipynb``` — an ordinary Sphinx download link (the file is
  copied to ``_downloads/``, and the link has the ``download`` attribute). On a page with
  such links, the theme's download menu offers them instead of the page's own source.
"""

from __future__ import annotations

import hashlib
import html.parser
import importlib.util
import os
import posixpath
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


# --- an offline book: local MathJax, no thebe, no resource from another host -------------

MATHJAX_PACKAGE = "mathjax"  # the import name of the django-static-mathjax distribution
MATHJAX_STATIC = "mathjax"  # the folder under the build's _static
# the other combined components of the MathJax bundle: the book loads one, tex-mml-chtml.js
_MATHJAX_UNUSED = re.compile(r"^(tex|mml)-[\w-]+\.js$|^(latest|node-main)\.js$")


def mathjax_source() -> Path:
    """The ``es5`` folder of the MathJax bundle that ``django-static-mathjax`` installs.

    Raises ``FileNotFoundError`` when the package is missing (install the ``book`` extra).
    """
    spec = importlib.util.find_spec(MATHJAX_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            es5 = Path(loc) / "static" / "mathjax" / "es5"
            if (es5 / "tex-mml-chtml.js").is_file():
                return es5
    raise FileNotFoundError(
        "MathJax is not installed: the offline book needs the django-static-mathjax package "
        "(pip install -e '.[book]')")


def _is_remote(url: str) -> bool:
    return bool(re.match(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", url, re.I))


# tags whose attribute makes the browser fetch something when the page loads
_RESOURCE_ATTRS = {
    "script": ("src",), "link": ("href",), "img": ("src", "srcset"), "iframe": ("src",),
    "source": ("src", "srcset"), "video": ("src", "poster"), "audio": ("src",),
    "embed": ("src",), "object": ("data",), "input": ("src",), "track": ("src",),
}
_NOT_FETCHED_LINKS = {"canonical", "alternate", "author", "license", "help", "search",
                      "next", "prev", "index", "top", "bookmark"}
_URL_IN_SCRIPT = re.compile(r"""["'`]((?:https?:)?//[^"'`\s]+)""")


class _ResourceScanner(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        rel = set(a.get("rel", "").lower().split())
        fetched = tag != "link" or not rel or not rel <= _NOT_FETCHED_LINKS
        for name in _RESOURCE_ATTRS.get(tag, ()) if fetched else ():
            urls = a.get(name, "").split(",") if name == "srcset" else [a.get(name, "")]
            for url in (u.strip().split(" ")[0] for u in urls):
                if url and _is_remote(url):
                    self.found.append(f"<{tag} {name}={url}>")
        if tag == "script":
            kind = a.get("type", "text/javascript").lower()
            self._script = [] if ("javascript" in kind or kind == "module") else None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            for m in _URL_IN_SCRIPT.finditer("".join(self._script)):
                self.found.append(f"<script> body loads {m.group(1)}")
            self._script = None


def external_resources(page: str) -> list[str]:
    """What an HTML page would load from another host, one ``<tag attr=url>`` string each.

    Counted: the ``src``/``href`` of scripts, stylesheets and icons (every ``<link>`` except
    the ones a browser does not fetch, such as ``rel=canonical``), images, frames and media,
    and URLs in the body of an inline script. Plain links (``<a href>``) are not resources.
    """
    scanner = _ResourceScanner()
    scanner.feed(page)
    scanner.close()
    return scanner.found


def _drop_thebe(app: Any) -> None:
    """Disconnect sphinx-thebe (Jupyter Book always loads it): no thebe config and scripts
    (which fetch thebe from a CDN, and are added twice by sphinx-thebe 0.3.1 under Sphinx 7,
    a redeclaration error on every page), no thebe stylesheet, no thebe config node."""
    for listeners in app.events.listeners.values():
        for listener in list(listeners):
            if getattr(listener.handler, "__module__", "").split(".")[0] == "sphinx_thebe":
                app.disconnect(listener.id)
    app.registry.css_files = [
        (name, attrs) for name, attrs in app.registry.css_files
        if not str(name).startswith("sphinx-thebe")
    ]


def _on_config_inited(app: Any, config: Any) -> None:
    if not config.normcourse_offline:
        return
    from sphinx.errors import ConfigError

    path = str(config.mathjax_path or "")
    if _is_remote(path) or not path.startswith(f"{MATHJAX_STATIC}/"):
        raise ConfigError(
            f"normcourse_offline: mathjax_path must be the local bundle, "
            f"'{MATHJAX_STATIC}/tex-mml-chtml.js' (got {path!r})")
    if not (mathjax_source() / path.split("/", 1)[1]).is_file():
        raise ConfigError(f"normcourse_offline: the MathJax bundle has no {path!r}")
    _drop_thebe(app)


def _copy_mathjax(app: Any) -> None:
    from sphinx.util.fileutil import copy_asset

    keep = app.config.mathjax_path.split("/", 1)[1]

    def unused(rel: str) -> bool:  # the combined components the book does not load
        rel = posixpath.normpath(rel)
        return "/" not in rel and rel != keep and bool(_MATHJAX_UNUSED.match(rel))

    copy_asset(mathjax_source(), Path(app.outdir) / "_static" / MATHJAX_STATIC, excluded=unused)


def _on_build_finished(app: Any, exc: Exception | None) -> None:
    if exc is not None or not app.config.normcourse_offline:
        return
    if getattr(app.builder, "format", "") != "html":
        return
    from sphinx.util import logging

    _copy_mathjax(app)
    log = logging.getLogger(__name__)
    for page in sorted(Path(app.outdir).rglob("*.html")):
        found = external_resources(page.read_text(encoding="utf-8", errors="replace"))
        if found:
            rel = page.relative_to(app.outdir).as_posix()
            log.warning("normcourse_offline: %s loads from another host: %s",
                        rel, "; ".join(found[:5]), type="normcourse", subtype="offline")


# --- exercise downloads ------------------------------------------------------------------

DOWNLOAD_DIR = "exercise_downloads"  # next to the HTML output folder, never in the sources


def download_dir(app: Any) -> Path:
    """Where the exercise downloads of this build are written (beside ``app.outdir``)."""
    return Path(app.outdir).resolve().parent / DOWNLOAD_DIR


def notebook_as_ipynb(text: str) -> str:
    """A MyST notebook's text as an unexecuted ``.ipynb`` (no outputs, no Jupytext header)."""
    import jupytext

    nb = jupytext.reads(text, fmt="md:myst")
    nb.metadata.pop("jupytext", None)
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"  # stable ids: the same source gives the same bytes
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return jupytext.writes(nb, fmt="ipynb")


def _write_if_changed(path: Path, data: bytes) -> None:
    if path.is_file() and path.read_bytes() == data:
        return  # unchanged: keep the mtime, so Sphinx does not re-read the pages using it
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def write_exercise_downloads(folder: Path, dest: Path) -> list[Path]:
    """Write ``<id>.ipynb`` and ``<id>.md`` into ``dest`` for every MyST notebook of ``folder``;
    remove what ``dest`` holds for exercises that no longer exist. Returns the files."""
    written = []
    for md in sorted(folder.glob("*.md")):
        text = md.read_text(encoding="utf-8")
        if not is_myst_notebook(text):
            continue
        for name, data in ((f"{md.stem}.ipynb", notebook_as_ipynb(text).encode()),
                           (md.name, md.read_bytes())):
            _write_if_changed(dest / name, data)
            written.append(dest / name)
    if dest.is_dir():
        for old in dest.iterdir():
            if old.is_file() and old not in written:
                old.unlink()
    return written


def _on_builder_inited(app: Any) -> None:
    folder = app.config.normcourse_exercise_notebooks
    if not folder:
        return
    from sphinx.errors import ConfigError

    src = Path(app.srcdir) / folder
    if not src.is_dir():
        raise ConfigError(f"normcourse_exercise_notebooks: no folder {src}")
    write_exercise_downloads(src, download_dir(app))


def _exercise_download_role() -> Any:
    from docutils import nodes
    from sphinx.addnodes import download_reference
    from sphinx.util.docutils import ReferenceRole

    class ExerciseDownload(ReferenceRole):
        """``{exercise-download}`text <ex-id.ipynb>```: download a generated exercise file."""

        def run(self) -> tuple[list[Any], list[Any]]:
            app = getattr(self.env, "_app", None) or self.env.app
            target = self.target.strip()
            if "/" in target or not target:
                msg = self.inliner.reporter.error(
                    f"exercise-download: give a file name such as ex-id.ipynb, not {target!r}",
                    line=self.lineno)
                return [self.inliner.problematic(self.rawtext, self.rawtext, msg)], [msg]
            path = download_dir(app) / target
            reftarget = "/" + Path(os.path.relpath(path, app.srcdir)).as_posix()
            node = download_reference(self.rawtext, reftarget=reftarget)
            self.set_source_info(node)
            if self.has_explicit_title:  # words: "Download ex-id.ipynb"
                node += nodes.inline(self.rawtext, self.title, classes=["xref", "download"])
            else:  # a bare file name, as Sphinx's {download} shows it
                node += nodes.literal(self.rawtext, target, classes=["xref", "download"])
            return [node], []

    return ExerciseDownload()


def _page_downloads(app: Any, pagename: str) -> list[tuple[str, str]]:
    """(file name, path under ``_downloads``) of the exercise downloads a page links."""
    dest = download_dir(app)
    out = []
    for rel, (docs, target) in app.env.dlfiles.items():
        if pagename in docs and Path(app.srcdir, rel).resolve().parent == dest:
            out.append((Path(rel).name, target))
    return sorted(out, key=lambda x: (not x[0].endswith(".ipynb"), x[0]))


def _on_page_context(app: Any, pagename: str, templatename: str, context: dict,
                     doctree: Any) -> None:
    """On a page with exercise downloads, the theme's download menu offers them (first the
    notebook) in place of the page's own source file."""
    if not app.config.normcourse_exercise_notebooks or doctree is None:
        return
    files = _page_downloads(app, pagename)
    groups = [b for b in context.get("header_buttons", [])
              if b.get("label") == "download-buttons"]
    if not files or not groups:
        return
    pathto = context["pathto"]
    entries = [{
        "type": "link",
        "url": pathto(f"_downloads/{target}", 1),
        "text": Path(name).suffix,
        "tooltip": ("Download the exercise as a Jupyter notebook" if name.endswith(".ipynb")
                    else "Download the exercise as a MyST Markdown notebook (Jupytext)"),
        "icon": "fas fa-code" if name.endswith(".ipynb") else "fas fa-file",
        "label": "download-exercise-" + Path(name).suffix.lstrip("."),
    } for name, target in files]
    for group in groups:
        rest = [b for b in group["buttons"] if b.get("label") != "download-source-button"]
        group["buttons"] = entries + rest


def setup(app: Any) -> dict[str, Any]:
    """Register the config values, the role and the event handlers with Sphinx."""
    app.add_config_value("normcourse_hash_packages", ["normcourse"], "env")
    app.add_config_value("normcourse_offline", False, "html", types=[bool])
    app.add_config_value("normcourse_exercise_notebooks", "", "env", types=[str])
    app.connect("env-get-outdated", _on_env_get_outdated)
    app.connect("source-read", _on_source_read)
    app.connect("config-inited", _on_config_inited)
    app.connect("builder-inited", _on_builder_inited)
    app.connect("build-finished", _on_build_finished)
    app.connect("html-page-context", _on_page_context, priority=900)
    app.add_role("exercise-download", _exercise_download_role())
    return {"version": "2", "parallel_read_safe": True, "parallel_write_safe": True}
