"""The built book works offline and reads cleanly (issue 12).

* every page loads MathJax from the build itself and nothing from another host (the
  ``normcourse_offline`` service of ``normcourse.sphinxext``: local MathJax, no thebe, a
  build warning for any remote resource), and has a favicon;
* exercise pages offer the exercise as an unexecuted ``.ipynb`` and as ``.md``, written at
  build time next to the HTML output and linked as downloads;
* titles hold no TeX (``$…$`` shows raw wherever MathJax does not run: the sidebar, the
  browser tab, search results, link text).

Tiny books check the machinery; the last tests check the real build in ``_build/html``
(``NORMCOURSE_BOOK_HTML`` points elsewhere) and are skipped when it does not exist.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
import yaml
from test_book_infra import NOTEBOOK_HEADER  # the one header of a MyST test notebook

from normcourse.sphinxext import external_resources, mathjax_source, write_exercise_downloads

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HTML = Path(os.environ.get("NORMCOURSE_BOOK_HTML", ROOT / "_build" / "html"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
SPHINX = CONFIG["sphinx"]["config"]
EXERCISE = "ex-soft-threshold"



# --- the scanner and the downloads, without a build ----------------------------------


def test_external_resources_finds_what_a_page_would_fetch() -> None:
    page = """
    <link rel="stylesheet" href="_static/local.css"><link rel="icon" href="_static/f.png">
    <link rel="canonical" href="https://example.org/page.html">
    <a href="https://example.org/paper.pdf">a plain link is not a request</a>
    <script type="application/vnd.jupyter.widget-state+json">{"u": "https://x.org"}</script>
    <script src="_static/mathjax/tex-mml-chtml.js"></script>
    """
    assert external_resources(page) == []
    bad = external_resources(
        '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>'
        '<link rel="stylesheet" href="//fonts.example.com/a.css">'
        '<img src="http://example.org/x.png">'
        '<script>const THEBE_JS_URL = "https://unpkg.com/thebe@0.8.2/lib/index.js"</script>')
    assert len(bad) == 4, bad
    assert any("unpkg.com" in b for b in bad)


def test_exercise_downloads_are_unexecuted_stable_notebooks(tmp_path: Path) -> None:
    src = tmp_path / "exercises"
    src.mkdir()
    text = (ROOT / "exercises" / f"{EXERCISE}.md").read_text(encoding="utf-8")
    (src / f"{EXERCISE}.md").write_text(text, encoding="utf-8")
    (src / "README.md").write_text("# not a notebook\n")
    dest = tmp_path / "out"
    (dest).mkdir()
    (dest / "ex-gone.ipynb").write_text("{}")  # an exercise that no longer exists
    files = write_exercise_downloads(src, dest)
    assert sorted(p.name for p in dest.iterdir()) == [f"{EXERCISE}.ipynb", f"{EXERCISE}.md"]
    assert sorted(files) == sorted(dest.iterdir())
    assert (dest / f"{EXERCISE}.md").read_text(encoding="utf-8") == text
    raw = (dest / f"{EXERCISE}.ipynb").read_bytes()
    nb = nbformat.reads(raw.decode(), as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["exercise"]["id"] == EXERCISE  # the grader matches it by this
    assert "jupytext" not in nb.metadata
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)
    assert any('raise NotImplementedError("write your code here")' in c.source for c in code)
    assert nb.cells[0].source.startswith("# Exercise:")
    mtime = (dest / f"{EXERCISE}.ipynb").stat().st_mtime_ns
    write_exercise_downloads(src, dest)  # same source: same bytes, file left alone
    assert (dest / f"{EXERCISE}.ipynb").read_bytes() == raw
    assert (dest / f"{EXERCISE}.ipynb").stat().st_mtime_ns == mtime


# --- the project's configuration -------------------------------------------------------


def test_project_config_is_offline() -> None:
    assert SPHINX["normcourse_offline"] is True
    assert SPHINX["mathjax_path"] == "mathjax/tex-mml-chtml.js"
    assert (mathjax_source() / "tex-mml-chtml.js").is_file()
    assert (mathjax_source() / "output" / "chtml" / "fonts" / "woff-v2").is_dir()
    assert SPHINX["nb_ipywidgets_js"] == {}
    launch = CONFIG["launch_buttons"]
    assert launch.get("thebe") is False
    assert not any(v for k, v in launch.items() if k.endswith("_url"))
    assert (ROOT / CONFIG["html"]["favicon"]).is_file()
    assert SPHINX["normcourse_exercise_notebooks"] == "exercises"
    book = (ROOT / "pyproject.toml").read_text(encoding="utf-8").split("book = [", 1)[1]
    assert re.search(r'"django-static-mathjax==[\d.]+"', book.split("]", 1)[0])


def _toc_pages() -> list[Path]:
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    return [ROOT / f"{f}.md" for f in re.findall(r"(?:root|file):\s*(\S+)", toc)]


def test_titles_hold_no_tex() -> None:
    """Page titles, exercise titles and the practice index's table are plain Unicode."""
    for page in _toc_pages():
        text = page.read_text(encoding="utf-8")
        title = next(line for line in text.splitlines() if line.startswith("# "))
        assert "$" not in title and "\\" not in title, (page.relative_to(ROOT), title)
    for sol in sorted((ROOT / "solutions").glob("*.md")):
        front = yaml.safe_load(sol.read_text(encoding="utf-8").split("---\n")[1])
        assert "$" not in front["exercise"]["title"], sol.name
    index = (ROOT / "book" / "practice" / "index.md").read_text(encoding="utf-8")
    table = index.split("<!-- exercise table", 1)[1].split("<!-- end of the exercise table")[0]
    assert "|" in table and "$" not in table


def test_exercise_files_open_with_their_title() -> None:
    """What a student reads first in an exercise file is its title, not build plumbing."""
    for path in sorted((ROOT / "exercises").glob("*.md")):
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[:2] == ["---", "exercise:"], path.name
        assert lines[2].startswith("  title: "), path.name
        front = lines[1:lines.index("---", 1)]
        comments = [line for line in front if line.startswith("#")]
        assert comments and "normcourse release" in comments[0]
        assert front.index(comments[0]) > front.index("kernelspec:")  # last, for authors
        assert "GENERATED" not in "\n".join(lines)


# --- tiny books ----------------------------------------------------------------------------


def _tiny_book(book: Path, extra_config: str = "") -> None:
    """A book with the project's offline settings: a page with math, one with an ipywidget
    and an exercise page with downloads."""
    (book / "exercises").mkdir(parents=True)
    (book / "exercises" / f"{EXERCISE}.md").write_text(
        (ROOT / "exercises" / f"{EXERCISE}.md").read_text(encoding="utf-8"), encoding="utf-8")
    (book / "favicon.png").write_bytes((ROOT / CONFIG["html"]["favicon"]).read_bytes())
    config = {
        "title": "tiny",
        "only_build_toc_files": True,
        "exclude_patterns": ["exercises"],
        "execute": {"execute_notebooks": "force", "raise_on_error": True},
        "parse": {"myst_enable_extensions": ["dollarmath", "amsmath"]},
        "html": {"favicon": "favicon.png"},
        "launch_buttons": CONFIG["launch_buttons"],
        "sphinx": {
            "extra_extensions": ["normcourse.sphinxext"],
            "config": {key: SPHINX[key] for key in (
                "normcourse_offline", "mathjax_path", "nb_ipywidgets_js",
                "normcourse_exercise_notebooks")} | {"normcourse_hash_packages": []},
        },
    }
    text = yaml.safe_dump(config, sort_keys=False)
    (book / "_config.yml").write_text(text + textwrap.dedent(extra_config))
    (book / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n- file: widget\n- file: exercise\n")
    (book / "intro.md").write_text("# Intro\n\nA norm $\\|\\theta\\|_2^2$ and\n\n$$\nx^2\n$$\n")
    (book / "widget.md").write_text(
        NOTEBOOK_HEADER + "# Widget\n\n```{code-cell} ipython3\n:tags: [remove-output]\n\n"
        "import ipywidgets\nipywidgets.IntSlider()\n```\n")
    (book / "exercise.md").write_text(
        f"# Exercise page\n\nGet {{exercise-download}}`Download {EXERCISE}.ipynb "
        f"<{EXERCISE}.ipynb>` or {{exercise-download}}`{EXERCISE}.md`.\n")


def _build(book: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "jupyter-book"), "build", str(book), "-W", "-n", "--keep-going"],
        capture_output=True, text=True, timeout=300,
    )


def _pages(html: Path) -> list[Path]:
    """The book's pages (not the theme's templates that sit in ``_static``)."""
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.relative_to(html).parts)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    book = tmp_path_factory.mktemp("offline") / "book"
    _tiny_book(book)
    proc = _build(book)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return book / "_build" / "html"


def test_tiny_book_loads_nothing_from_other_hosts(tiny: Path) -> None:
    pages = _pages(tiny)
    assert len(pages) >= 4
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert external_resources(text) == [], page.name
        assert "THEBE_JS_URL" not in text and "sphinx-thebe" not in text, page.name
        if "<head>" in text:  # (index.html is a redirect, no page)
            assert '<link rel="icon" href="_static/favicon.png"/>' in text, page.name
    intro = (tiny / "intro.html").read_text(encoding="utf-8")
    assert re.search(r'<script defer="defer" src="_static/mathjax/tex-mml-chtml\.js(\?v=\w+)?">',
                     intro)
    assert (tiny / "_static" / "mathjax" / "tex-mml-chtml.js").is_file()
    fonts = tiny / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2"
    assert len(list(fonts.glob("*.woff"))) > 10
    assert (tiny / "_static" / "mathjax" / "input" / "tex" / "extensions").is_dir()
    assert not (tiny / "_static" / "mathjax" / "tex-svg-full.js").exists()  # unused, not copied
    assert "require.min.js" not in (tiny / "widget.html").read_text(encoding="utf-8")


def test_tiny_exercise_page_offers_ipynb_and_md(tiny: Path) -> None:
    page = (tiny / "exercise.html").read_text(encoding="utf-8")
    links = re.findall(r'<a class="reference download internal" download="" '
                       r'href="(_downloads/[0-9a-f]+/([^"]+))">(.*?)</a>', page)
    assert [name for _, name, _ in links] == [f"{EXERCISE}.ipynb", f"{EXERCISE}.md"]
    assert f"Download {EXERCISE}.ipynb" in links[0][2]
    for href, _, _ in links:
        assert (tiny / href).is_file()
    nb = nbformat.read(tiny / links[0][0], as_version=4)
    assert nb.metadata["exercise"]["id"] == EXERCISE
    assert all(not c.get("outputs") for c in nb.cells)
    md = (tiny / links[1][0]).read_text(encoding="utf-8")
    assert md == (tiny.parent.parent / "exercises" / f"{EXERCISE}.md").read_text(encoding="utf-8")
    # the download menu at the top offers the exercise notebook, not the page's source
    menu = page.split("dropdown-download-buttons", 1)[1].split("</ul>", 1)[0]
    assert f'href="{links[0][0]}"' in menu and f'href="{links[1][0]}"' in menu
    assert "_sources/exercise.md" not in menu
    assert not list(tiny.parent.parent.glob("*.ipynb"))  # nothing written into the sources
    assert (tiny.parent / "exercise_downloads" / f"{EXERCISE}.ipynb").is_file()


def test_tiny_book_with_a_remote_script_fails(tmp_path: Path) -> None:
    """Break it once: a page that loads a script from a CDN fails the strict build."""
    book = tmp_path / "book"
    _tiny_book(book)
    cfg = yaml.safe_load((book / "_config.yml").read_text())
    cfg["sphinx"]["config"]["html_js_files"] = ["https://cdn.example.org/tracker.js"]
    (book / "_config.yml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    proc = _build(book)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "loads from another host" in out and "cdn.example.org/tracker.js" in out


def test_offline_book_refuses_a_remote_mathjax(tmp_path: Path) -> None:
    book = tmp_path / "book"
    _tiny_book(book)
    cfg = yaml.safe_load((book / "_config.yml").read_text())
    cfg["sphinx"]["config"]["mathjax_path"] = (
        "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js")
    (book / "_config.yml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    proc = _build(book)
    assert proc.returncode != 0
    assert "mathjax_path must be the local bundle" in proc.stdout + proc.stderr


# --- the real build -----------------------------------------------------------------------


def _built() -> Path:
    if not (HTML / "index.html").is_file():
        pytest.skip(f"{HTML} does not exist: build the book first (`make test` does)")
    return HTML


def test_built_book_is_offline_and_titles_are_plain() -> None:
    html = _built()
    pages = _pages(html)
    with_math = 0
    for page in pages:
        rel = page.relative_to(html).as_posix()
        text = page.read_text(encoding="utf-8")
        assert external_resources(text) == [], rel
        assert "THEBE_JS_URL" not in text, rel
        assert 'rel="icon"' in text or "<head>" not in text, rel
        title = re.search(r"<title>(.*?)</title>", text, re.S)
        assert title or "<head>" not in text, rel
        assert not title or not re.search(r"\$|\\\(", title.group(1)), (rel, title)
        scripts = re.findall(r'<script[^>]*src="([^"?]*mathjax[^"?]*)', text)
        if scripts:
            with_math += 1
            local = "../" * rel.count("/") + "_static/mathjax/tex-mml-chtml.js"
            assert scripts == [local], (rel, scripts)
    assert with_math >= 20
    assert (html / "_static" / "mathjax" / "tex-mml-chtml.js").is_file()
    # the sidebar (the same on every page) and the search index hold no TeX titles
    home = (html / "book" / "intro.html").read_text(encoding="utf-8")
    sidebar = home.split("bd-sidebar-primary")[1]
    sidebar = sidebar.split("</nav>")[0]
    assert "\\(" not in sidebar and "$" not in sidebar
    index = (html / "searchindex.js").read_text(encoding="utf-8")
    titles = json.loads(re.search(r'"titles":\s*(\[.*?\])', index).group(1))
    assert titles and not [t for t in titles if "$" in t or "\\" in t]


def test_built_exercise_pages_offer_downloads() -> None:
    html = _built()
    ids = sorted(p.stem for p in (ROOT / "exercises").glob("*.md"))
    for ex in ids:
        page = (html / "book" / "practice" / f"{ex}.html").read_text(encoding="utf-8")
        hrefs = re.findall(r'class="reference download internal" download="" '
                           r'href="\.\./\.\./(_downloads/[0-9a-f]+/[^"]+)"', page)
        assert sorted(Path(h).name for h in hrefs) == [f"{ex}.ipynb", f"{ex}.md"], ex
        for h in hrefs:
            assert (html / h).is_file(), h
        ipynb = next(h for h in hrefs if h.endswith(".ipynb"))
        nb = nbformat.read(html / ipynb, as_version=4)
        assert nb.metadata["exercise"]["id"] == ex
        assert all(not c.get("outputs") for c in nb.cells)
