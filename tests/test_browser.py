"""The built book in a real browser (Chromium driven by Playwright), page by page.

For every page of the table of contents, served from a local HTTP server: no console
errors, no uncaught page errors, no request to any other host (each one is recorded and
aborted), all math typeset by MathJax, no element wider than the content column at a
1280 px viewport (a clipped display equation or a cut table hides the numbers the prose
quotes, and a horizontally scrolling block hides them until scrolled: both count), and
every image loaded. The search page must find "lasso". A screenshot of each failing page
(offending elements outlined in red) and report.json/report.md go to _build/browser/.

The self-tests at the end break one thing of each kind on a tiny fixture site and assert
that the same checks flag it, and flag nothing on a clean page.

Environment: NORMCOURSE_BOOK_HTML (the built book, default _build/html),
NORMCOURSE_BROWSER_SHOTS (screenshots and report, default _build/browser next to the
html root), NORMCOURSE_CHROMIUM (default /usr/bin/chromium: Debian's `chromium`, since
Playwright's own browser downloads are not used).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("NORMCOURSE_BOOK_HTML") or ROOT / "_build" / "html").resolve()
SHOTS = Path(os.environ.get("NORMCOURSE_BROWSER_SHOTS") or HTML.parent / "browser")
CHROMIUM = os.environ.get("NORMCOURSE_CHROMIUM", "/usr/bin/chromium")
VIEWPORT = {"width": 1280, "height": 900}
# Root on a closed network: no sandbox (root), no GPU, and none of Chromium's own traffic.
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Sub-pixel rounding and glyph overhang (the hat of \hat\theta reaches 2 px past its
# box): anything wider than this counts.
TOLERANCE_PX = 2
MATHJAX_TIMEOUT_MS = 30_000
NAV_TIMEOUT_MS = 60_000
INSTALL_HINT = "apt-get install chromium (Debian's package; Playwright's own browsers are not used)"

# --------------------------------------------------------------------------------------
# Pages and the server


def toc_pages(toc: Path = ROOT / "_toc.yml") -> list[str]:
    """The html path (relative to the html root) of every file of the table of contents."""
    data = yaml.safe_load(toc.read_text(encoding="utf-8"))
    files: list[str] = [data["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))
            walk(entry.get("chapters", []))

    walk(data.get("chapters", []))
    for part in data.get("parts", []):
        walk(part.get("chapters", []))
    return [re.sub(r"\.(md|ipynb|rst)$", "", f) + ".html" for f in files]


# Types the stdlib does not know or gets wrong for the book's downloads.
EXTRA_TYPES = {
    ".md": "text/markdown",
    ".ipynb": "application/x-ipynb+json",
    ".bib": "text/plain",
    ".py": "text/x-python",
}


class _Handler(SimpleHTTPRequestHandler):
    """Static files; every text type declared utf-8 (the .md downloads and _sources are)."""

    def guess_type(self, path: str) -> str:
        ctype = EXTRA_TYPES.get(Path(path).suffix.lower()) or super().guess_type(path)
        textual = ctype.startswith("text/") or ctype.endswith(("javascript", "json", "+xml"))
        if textual and "charset" not in ctype:
            ctype += "; charset=utf-8"
        return ctype

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve `root` on 127.0.0.1 at a free port; yields the base URL (no trailing slash)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(root)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# --------------------------------------------------------------------------------------
# In-page checks (JavaScript run by Playwright). The column is the article of
# sphinx-book-theme (article.bd-article); the fixture pages use the same markup.

INIT_JS = """
window.__ncFailedScripts = [];
window.addEventListener('error', (e) => {
  const t = e.target;
  if (t && t !== window && t.tagName === 'SCRIPT') window.__ncFailedScripts.push(t.src);
}, true);
"""

# Wait until MathJax (v3: startup.promise, re-read since typesetPromise chains onto it;
# v2: the hub queue) has typeset the page; return at once when the page has no math or
# its MathJax script failed to load, so the checks below see what a reader sees.
WAIT_MATHJAX_JS = """
async (timeoutMs) => {
  const t0 = performance.now();
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const left = () => Math.max(0, timeoutMs - (performance.now() - t0));
  const within = (p) => Promise.race([p.catch(() => {}), sleep(left())]);
  const hasMath = document.querySelector('.math, script[type^="math/"]') !== null;
  while (left() > 0) {
    const MJ = window.MathJax;
    if (MJ && MJ.startup && MJ.startup.promise) {
      let p;
      do { p = MJ.startup.promise; await within(p); }
      while (p !== MJ.startup.promise && left() > 0);
      await within(document.fonts.ready);
      return left() > 0 ? 'mathjax3' : 'timeout';
    }
    if (MJ && MJ.Hub && MJ.Hub.Queue) {
      await within(new Promise((r) => MJ.Hub.Queue(r)));
      return left() > 0 ? 'mathjax2' : 'timeout';
    }
    const scripts = [...document.scripts].filter((s) => /mathjax/i.test(s.src));
    const pending = scripts.filter((s) => !window.__ncFailedScripts.includes(s.src));
    if (!hasMath || pending.length === 0) return scripts.length ? 'mathjax-failed' : 'none';
    await sleep(50);
  }
  return 'timeout';
}
"""

CHECK_JS = r"""
async (tol) => {
  const MJ_OUT = 'mjx-container, .MathJax, .MathJax_Display, .MathJax_SVG, ' +
                 '.MathJax_SVG_Display, .MathJax_CHTML';
  const MJ_ERR = 'mjx-merror, [data-mjx-error], .MathJax_Error, .merror';
  // TeX delimiters, an environment, a `$` before a control word (an unpaired dollar) or a
  // control word with a sub/superscript or argument (\lambda_1, \frac{): math left as text.
  const TEX = /\\\(|\\\)|\\\[|\\\]|\$\$|\\begin\{|\$\\[A-Za-z|{]|\\[A-Za-z]+[_^{]/;
  const NOT_PROSE = 'script, style, noscript, template, textarea, pre, code, kbd, samp';
  const article = document.querySelector('article.bd-article') ||
                  document.querySelector('main article, [role="main"], main') || document.body;
  const clip = (s, n = 90) => { const c = [...(s || '').replace(/\s+/g, ' ').trim()];
                               return c.length > n ? c.slice(0, n).join('') + '…' : c.join(''); };
  const mark = (el) => { el.setAttribute('data-nc-offender', ''); };

  // Open what a reader can open (sphinx-togglebutton, <details> dropdowns and hidden
  // cells), so collapsed content is measured as it shows once opened.
  for (const d of document.querySelectorAll('details:not([open])')) d.open = true;
  for (const t of document.querySelectorAll('.toggle-hidden')) t.classList.remove('toggle-hidden');

  // Where an element is, in words: its tag, the notebook cell it is in, the section.
  const cells = [...article.querySelectorAll('div.cell')];
  const describe = (el) => {
    const parts = [];
    let what = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      [...el.classList].slice(0, 3).map((c) => '.' + c).join('');
    const block = el.parentElement && el.parentElement.closest(
      'div.math, mjx-container[display="true"], table, pre, figure, .output_html, ' +
      '.cell_output, .cell_input, .admonition');
    if (block && block !== el) {
      what += ' in ' + block.tagName.toLowerCase() + (block.id ? '#' + block.id : '') +
        [...block.classList].slice(0, 2).map((c) => '.' + c).join('');
    }
    parts.push(what);
    const cell = el.closest('div.cell');
    if (cell) {
      const kind = el.closest('.cell_output') ? 'output' : el.closest('.cell_input') ? 'input' : '';
      parts.push(`cell ${cells.indexOf(cell) + 1}${kind ? ' ' + kind : ''}`);
    }
    const sec = el.closest('section[id]');
    if (sec) parts.push('section #' + sec.id);
    return parts.join(', ');
  };

  // 1. Math: every math container typeset without a MathJax error; no raw TeX in prose.
  const untypeset = [];
  for (const m of document.querySelectorAll('span.math, div.math')) {
    const out = m.querySelector(MJ_OUT);
    const err = m.querySelector(MJ_ERR);
    if (!out || err) {
      untypeset.push(`${err ? 'TeX error' : 'not typeset'}: ${m.tagName.toLowerCase()}.math ` +
                     `${clip(m.textContent, 70)} (${describe(m)})`);
      mark(m);
    }
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const p = n.parentElement;
    if (!p || !TEX.test(n.data)) continue;
    if (p.closest(NOT_PROSE + ', .math, ' + MJ_OUT)) continue;
    untypeset.push(`raw TeX in text: ${clip(n.data, 70)} (${describe(p)})`);
    mark(p);
  }

  // 2. Images: all of them loaded (lazy ones are made eager and awaited first).
  const imgs = [...document.images];
  const decoded = await Promise.all(imgs.map((img) => {
    if (img.loading === 'lazy') img.loading = 'eager';
    const timeout = new Promise((r) => setTimeout(() => r('timeout'), 10000));
    return Promise.race([img.decode().then(() => 'ok', () => 'failed'), timeout]);
  }));
  const broken = [];
  imgs.forEach((img, i) => {
    if (decoded[i] !== 'ok' || !img.complete || img.naturalWidth === 0) {
      broken.push(`${img.currentSrc || img.src || '(no src)'} (${decoded[i]}; ${describe(img)})`);
      mark(img);
    }
  });

  // 3. Width: nothing in the article reaches outside its content column. An element that
  // sticks out, a clipping (overflow hidden/clip) or horizontally scrolling (auto/scroll)
  // box whose content is wider than the box, and a run of text (a long word, a URL) that
  // runs past the column all count. The outermost offender is reported, not its children.
  const acs = getComputedStyle(article);
  const ar = article.getBoundingClientRect();
  const colLeft = ar.left + parseFloat(acs.borderLeftWidth) + parseFloat(acs.paddingLeft);
  const colRight = ar.right - parseFloat(acs.borderRightWidth) - parseFloat(acs.paddingRight);
  const overflow = [];
  // The TeX source of typeset math (MathJax 3 keeps it with each math item).
  const texOf = (el) => {
    const c = el.closest('mjx-container') ||
              (el.matches('span.math, div.math') ? el.querySelector('mjx-container') : null);
    const doc = window.MathJax && MathJax.startup && MathJax.startup.document;
    if (!c || !doc || !doc.getMathItemsWithin) return '';
    const item = doc.getMathItemsWithin(c.parentElement).find((m) => m.typesetRoot === c);
    return item ? item.math : '';
  };
  const category = (el) => {
    if (el.closest('.cell_input')) return 'code cell input';
    if (el.closest('.cell_output')) return 'code cell output';
    if (el.closest('mjx-container[display="true"], div.math')) return 'display math';
    if (el.closest('mjx-container, span.math')) return 'inline math';
    if (el.closest('table')) return 'table';
    if (el.closest('pre')) return 'code block';
    if (el.closest('code')) return 'inline code';
    return 'text';
  };
  const add = (el, kind, px, culprit) => {
    const tex = texOf(el);
    const item = { kind, px: Math.round(px), element: describe(el),
                   category: category(culprit || el),
                   text: tex ? 'TeX: ' + clip(tex, 120)
                             : clip(el.innerText || el.textContent, 80) };
    if (culprit && culprit !== el) {
      item.widest = describe(culprit) + ' «' + clip(culprit.textContent, 60) + '»';
    }
    overflow.push(item);
    mark(el);
  };
  // The widest thing inside a clipping or scrolling box (MathJax's own parts not counted).
  const widest = (box) => {
    let best = null, right = -Infinity;
    for (const d of box.querySelectorAll('*')) {
      if (d.parentElement.closest('mjx-container') || !d.checkVisibility()) continue;
      const r = d.getBoundingClientRect();
      if (r.width > 0 && r.right > right) { right = r.right; best = d; }
    }
    return best;
  };
  // MathJax's copy for screen readers is clipped away by design; laid out as MathML in the
  // browser's fonts it is often a few px wider than the typeset math and would count as
  // clipped content of span.math (overflow: hidden): set it aside while measuring.
  const hide = document.createElement('style');
  hide.textContent = 'mjx-assistive-mml, .MJX_Assistive_MathML { display: none !important }';
  document.head.appendChild(hide);
  const range = document.createRange();
  const visit = (el) => {
    if (!el.checkVisibility({ visibilityProperty: true })) return;
    const cs = getComputedStyle(el);
    // Visually hidden on purpose (screen-reader copies: sr-only, mjx-assistive-mml).
    if (cs.clip !== 'auto' || cs.clipPath !== 'none' || cs.position === 'fixed') return;
    if (cs.display !== 'contents') {
      const r = el.getBoundingClientRect();
      const out = Math.max(r.right - colRight, colLeft - r.left);
      if (r.width > 0 && out > tol) { add(el, 'sticks out of the column', out); return; }
      // overflow applies to boxes that contain blocks, not to inline boxes or table parts
      const boxes = !/^(inline|table|table-row.*|table-column.*|table-.*-group)$/.test(cs.display);
      if (boxes && cs.overflowX !== 'visible' && el.scrollWidth - el.clientWidth > tol) {
        const how = /hidden|clip/.test(cs.overflowX) ? 'clipped (overflow-x: ' :
                                                       'scrolls (overflow-x: ';
        add(el, how + cs.overflowX + ')', el.scrollWidth - el.clientWidth, widest(el));
        return;
      }
    }
    if (el.tagName === 'MJX-CONTAINER') {  // typeset math: its box and its mjx-math only
      for (const m of el.querySelectorAll(':scope > mjx-math')) visit(m);
      return;
    }
    if (el.tagName === 'MJX-MATH') return;
    for (const n of el.childNodes) {
      if (n.nodeType === Node.TEXT_NODE && n.data.trim()) {
        range.selectNodeContents(n);
        const r = range.getBoundingClientRect();
        const out = Math.max(r.right - colRight, colLeft - r.left);
        if (r.width > 0 && out > tol) { add(el, 'text runs out of the column', out); return; }
      }
    }
    for (const c of el.children) visit(c);
  };
  for (const c of article.children) visit(c);
  hide.remove();

  return { untypeset, broken, overflow, column: Math.round(colRight - colLeft) };
}
"""

OUTLINE_CSS = "[data-nc-offender] { outline: 3px solid red !important; outline-offset: -3px; }"


@dataclass
class PageReport:
    """What one page showed; `counts()` is the per-page table row."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    untypeset_math: list[str] = field(default_factory=list)
    overflow: list[dict] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    mathjax: str = ""
    column_px: int = 0
    extra: object = None
    screenshot: str = ""

    KINDS = (
        "console_errors",
        "page_errors",
        "external_requests",
        "untypeset_math",
        "overflow",
        "broken_images",
    )

    def counts(self) -> dict[str, int]:
        return {k: len(getattr(self, k)) for k in self.KINDS}

    @property
    def ok(self) -> bool:
        return not any(self.counts().values())

    def summary(self, limit: int = 8) -> str:
        lines = [f"{self.url}: " + ", ".join(f"{k}={v}" for k, v in self.counts().items() if v)]
        for k in self.KINDS:
            items = getattr(self, k)
            for item in items[:limit]:
                if isinstance(item, dict):
                    widest = f"; widest inside: {item['widest']}" if "widest" in item else ""
                    item = (
                        f"{item['px']} px {item['kind']} [{item['category']}]: "
                        f"{item['element']} «{item['text']}»"
                    )
                    item += widest
                lines.append(f"  {k}: {item}")
            if len(items) > limit:
                lines.append(f"  {k}: … {len(items) - limit} more")
        if self.screenshot:
            lines.append(f"  screenshot: {self.screenshot}")
        return "\n".join(lines)


class Checker:
    """Pages of one site checked one at a time, each in a fresh tab of the shared context."""

    def __init__(self, context, base_url: str, shots: Path | None = None) -> None:
        self.context = context
        self.base = base_url.rstrip("/")
        self.local = urlsplit(self.base).netloc
        self.shots = shots
        self._external: list[str] = []

    def _route(self, route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != self.local:
            self._external.append(url)
            route.abort("blockedbyclient")
        else:
            route.continue_()

    def check(self, path: str, wait_for: str | None = None, extra: str | None = None) -> PageReport:
        """Load base/path and run every check. `wait_for`: a JS predicate to wait for after
        loading (e.g. search results); `extra`: a JS expression whose value is kept."""
        url = f"{self.base}/{path.lstrip('/')}"
        report = PageReport(url=url)
        self._external = report.external_requests
        page = self.context.new_page()
        page.route("**/*", self._route)
        page.on(
            "console",
            lambda m: report.console_errors.append(
                f"{m.text} [{m.location.get('url', '')}:{m.location.get('lineNumber', '')}]"
            )
            if m.type == "error"
            else None,
        )
        page.on("pageerror", lambda e: report.page_errors.append(f"{e.name}: {e.message}"))
        try:
            response = page.goto(url, wait_until="load")
            if response is None or not response.ok:
                status = response.status if response else "no response"
                report.page_errors.append(f"HTTP {status} for {url}")
            report.mathjax = page.evaluate(WAIT_MATHJAX_JS, MATHJAX_TIMEOUT_MS)
            if report.mathjax == "timeout":
                report.untypeset_math.append("MathJax did not finish typesetting in time")
            if wait_for:
                try:
                    page.wait_for_function(wait_for, timeout=30_000)
                except Exception as exc:  # a Playwright TimeoutError
                    report.page_errors.append(f"waiting for {wait_for!r}: {exc}")
            found = page.evaluate(CHECK_JS, TOLERANCE_PX)
            report.untypeset_math += found["untypeset"]
            report.broken_images += found["broken"]
            report.overflow += found["overflow"]
            report.column_px = found["column"]
            if extra:
                report.extra = page.evaluate(extra)
            page.wait_for_timeout(50)  # late console messages
            if not report.ok and self.shots is not None:
                self.shots.mkdir(parents=True, exist_ok=True)
                name = re.sub(r"[^A-Za-z0-9._-]+", "_", path.strip("/")) or "index"
                shot = self.shots / f"{name}.png"
                page.add_style_tag(content=OUTLINE_CSS)
                page.screenshot(path=str(shot), full_page=True)
                report.screenshot = str(shot)
        finally:
            self._external = []
            page.close()
        return report


@contextmanager
def browser_context() -> Iterator[object]:
    """Debian's Chromium under Playwright with a fresh profile; skips when either is missing."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: {INSTALL_HINT}")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright not installed: pip install -e '.[test]'"
    )
    profile = tempfile.mkdtemp(prefix="normcourse-chromium-")
    try:
        with sync_api.sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=True,
                args=LAUNCH_ARGS,
                viewport=VIEWPORT,
                service_workers="block",
            )
            context.set_default_navigation_timeout(NAV_TIMEOUT_MS)
            context.add_init_script(INIT_JS)
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


# --------------------------------------------------------------------------------------
# The book

PAGES = toc_pages()
_REPORTS: dict[str, PageReport] = {}


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """The one browser and context of this module (book pages and self-tests alike)."""
    with browser_context() as context:
        yield context


@pytest.fixture(scope="module")
def book(chromium: object) -> Iterator[Checker]:
    if not (HTML / "index.html").exists():
        pytest.skip(f"no built book at {HTML}: run `make book` (or set NORMCOURSE_BOOK_HTML)")
    with serve(HTML) as base:
        yield Checker(chromium, base, shots=SHOTS)
    if _REPORTS:
        _write_report(SHOTS, _REPORTS)


def _write_report(out: Path, reports: dict[str, PageReport]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(
        json.dumps({p: asdict(r) for p, r in reports.items()}, indent=1, ensure_ascii=False),
        encoding="utf-8",
    )
    head = ["page", *PageReport.KINDS]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for p, r in reports.items():
        rows.append("| " + " | ".join([p, *map(str, r.counts().values())]) + " |")
    details = [r.summary(limit=50) for r in reports.values() if not r.ok]
    (out / "report.md").write_text("\n".join([*rows, "", *details]) + "\n", encoding="utf-8")


def test_toc_pages_are_built() -> None:
    if not HTML.exists():
        pytest.skip(f"no built book at {HTML}: run `make book` (or set NORMCOURSE_BOOK_HTML)")
    missing = [p for p in PAGES if not (HTML / p).exists()]
    assert not missing, f"pages of _toc.yml missing from {HTML}: {missing}"


@pytest.mark.parametrize("path", PAGES)
def test_page_in_browser(book: Checker, path: str) -> None:
    report = book.check(path)
    _REPORTS[path] = report
    assert report.ok, report.summary()


SEARCH_DONE = (
    "() => { const r = document.getElementById('search-results');"
    " return !!r && (r.querySelectorAll('li').length > 0 ||"
    " !!r.querySelector('.search-summary') && !/searching|preparing/i.test(r.innerText)); }"
)


def test_search_finds_lasso(book: Checker) -> None:
    report = book.check(
        "search.html?q=lasso",
        wait_for=SEARCH_DONE,
        extra="document.querySelectorAll('#search-results li').length",
    )
    _REPORTS["search.html?q=lasso"] = report
    assert report.extra and report.extra > 0, "search.html?q=lasso shows no result\n" + (
        report.summary()
    )
    assert not (report.console_errors or report.page_errors or report.external_requests), (
        report.summary()
    )


# --------------------------------------------------------------------------------------
# Self-tests: each kind of breakage on a tiny site is flagged, a clean page is not.

FIXTURE_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>fixture</title>
<style>body {{ margin: 0 }} main {{ width: 1280px }}
article.bd-article {{ width: 700px; margin-left: 200px; padding: 0 10px }}
pre {{ overflow-x: auto }}
.toggle-hidden .admonition-title ~ * {{ height: 0; margin: 0; visibility: hidden }}</style>
{head}</head>
<body><main><article class="bd-article"><section id="s"><h1>Fixture</h1>
<p>Plain prose, with a <code>\\(literal\\)</code> in code.</p>
{body}</section></article></main></body></html>
"""

WIDE = "x" * 400

FIXTURES = {
    "clean": ("", "<p>All fine here.</p><pre>short code</pre>"),
    "console_error": ("", "<script>console.error('broken on purpose')</script>"),
    "page_error": ("", "<script>throw new Error('thrown on purpose')</script>"),
    "external": ("", '<img src="http://example.com/x.png" alt="external">'),
    "untypeset": ("", '<p>The norm <span class="math">\\(x\\)</span> is not typeset.</p>'),
    "raw_tex": ("", "<p>Raw $$x^2$$ left in prose.</p>"),
    "stray_dollar": ("", "<p>Unpaired ($\\|y - X\\beta\\|^2 + \\lambda_2\\|\\beta\\|^2 here.</p>"),
    "overflow_pre": ("", f"<pre>{WIDE}</pre>"),
    "clipped_math": ("", f'<div class="math" style="overflow: hidden"><mjx-container '
                         f'style="display:block;white-space:nowrap">{WIDE}</mjx-container></div>'),
    "wide_table": ("", f"<table><tr><td>{WIDE}</td></tr></table>"),
    "long_word": ("", f"<p>{WIDE}</p>"),
    "broken_img": ("", '<img src="no-such-image.png" alt="broken">'),
    "collapsed": ("", '<div class="admonition toggle toggle-hidden" style="overflow: hidden">'
                      '<p class="admonition-title">Details</p>'
                      f'<p><code style="white-space: nowrap">{WIDE}</code></p></div>'),
}
EXPECTED = {
    "console_error": "console_errors",
    "page_error": "page_errors",
    "external": "external_requests",
    "untypeset": "untypeset_math",
    "raw_tex": "untypeset_math",
    "stray_dollar": "untypeset_math",
    "overflow_pre": "overflow",
    "clipped_math": "overflow",
    "wide_table": "overflow",
    "long_word": "overflow",
    "broken_img": "broken_images",
    "collapsed": "overflow",
}


@pytest.fixture(scope="module")
def fixture_site(chromium: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checker]:
    site = tmp_path_factory.mktemp("site")
    for name, (head, body) in FIXTURES.items():
        (site / f"{name}.html").write_text(FIXTURE_PAGE.format(head=head, body=body), "utf-8")
    (site / "ok.png").write_bytes(_tiny_png())
    mathjax = _mathjax_bundle()
    if mathjax is not None:
        (site / "mathjax").symlink_to(mathjax, target_is_directory=True)
        head = '<script defer src="mathjax/tex-mml-chtml.js"></script>'
        body = ('<p>Inline <span class="math notranslate nohighlight">\\(\\|w\\|_2^2\\)</span>'
                ' and display:</p><div class="math notranslate nohighlight">'
                "\\[\\min_w \\tfrac12\\|y - Xw\\|^2 + \\lambda\\|w\\|_1\\]</div>"
                '<img src="ok.png" alt="a pixel">')
        (site / "mathjax_clean.html").write_text(FIXTURE_PAGE.format(head=head, body=body))
    with serve(site) as base:
        yield Checker(chromium, base, shots=tmp_path_factory.mktemp("shots"))


def _tiny_png() -> bytes:
    import base64

    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
    )


def _mathjax_bundle() -> Path | None:
    """MathJax 3 as the book serves it: the es5 bundle of django-static-mathjax (`book` extra)."""
    try:
        import mathjax  # django-static-mathjax's import name
    except ImportError:
        return None
    for base in map(Path, getattr(mathjax, "__path__", [])):
        es5 = base / "static" / "mathjax" / "es5"
        if (es5 / "tex-mml-chtml.js").is_file():
            return es5
    return None


def test_selftest_clean_page_passes(fixture_site: Checker) -> None:
    report = fixture_site.check("clean.html")
    assert report.ok, report.summary()
    assert report.column_px == 700


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_selftest_breakage_is_flagged(fixture_site: Checker, name: str) -> None:
    report = fixture_site.check(f"{name}.html")
    flagged = {k for k, v in report.counts().items() if v}
    expected = {EXPECTED[name]}
    if name == "broken_img":  # Chromium also logs the 404 as a console error
        expected.add("console_errors")
    if name == "external":  # the aborted request is logged and the image is broken too
        expected |= {"console_errors", "broken_images"}
    assert flagged == expected, report.summary()
    assert report.screenshot and Path(report.screenshot).stat().st_size > 0
    if EXPECTED[name] == "overflow":
        (item,) = report.overflow
        assert item["px"] >= 300, item


def test_selftest_real_mathjax_is_waited_for(fixture_site: Checker) -> None:
    if _mathjax_bundle() is None:
        pytest.skip("django-static-mathjax not installed (the `book` extra)")
    report = fixture_site.check("mathjax_clean.html")
    assert report.mathjax == "mathjax3", report.mathjax
    assert report.ok, report.summary()


def test_selftest_server_declares_utf8(tmp_path: Path) -> None:
    import urllib.request

    (tmp_path / "page.md").write_text("# Ridge — ‖w‖²\n", encoding="utf-8")
    with serve(tmp_path) as base, urllib.request.urlopen(f"{base}/page.md") as resp:
        assert resp.headers["Content-Type"] == "text/markdown; charset=utf-8"
        assert resp.read().decode("utf-8") == "# Ridge — ‖w‖²\n"


def test_toc_pages_maps_files_to_html(tmp_path: Path) -> None:
    toc = tmp_path / "_toc.yml"
    toc.write_text(
        "format: jb-book\nroot: book/intro\nparts:\n  - chapters:\n"
        "      - file: book/a/index\n        sections:\n          - file: book/a/b.md\n"
        "      - url: https://example.com\n"
    )
    assert toc_pages(toc) == ["book/intro.html", "book/a/index.html", "book/a/b.html"]
