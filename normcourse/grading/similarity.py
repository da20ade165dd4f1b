"""``normcourse grade --similarity``: a report of the answers that look copied.

What is compared
----------------
For every exercise, each student's *graded code*: :func:`~normcourse.grading.codescan.graded_source`
of their notebook for it (the ``def`` of every graded function and the helpers and aliases it
reaches, as normalised Python: no imports, comments or docstrings; uniform spacing, quotes
and line breaks). A student with several notebooks for one exercise is compared on the first.
That code is compared

* with every other student's graded code for the exercise (kind ``"students"``);
* with the reference solution's graded code (``"reference"``);
* with the library's own source (``"library"``): the ``.py`` files of ``normcourse`` except
  ``normcourse/grading`` and ``normcourse/plotting``, normalised the same way (every
  top-level statement but imports and docstrings), so a pasted library function is found
  and the files it came from are named.

How
---
With copydetect's winnowing fingerprints (Schleimer, Wilkerson and Aiken, 2003) of its
*filtered* code: the Pygments tokens with every identifier replaced by ``V`` (``F`` for a
function name, ``O`` for a class name), every string by ``S``, and whitespace and comments
dropped — renaming variables, reformatting or commenting a copy changes nothing.

* ``k`` = :data:`K` = 20 filtered characters (copydetect's ``noise_t``; its default, 25, is
  made for whole programs). A 10–40-line answer filters to about 250–1000 characters, and
  20 characters are one to two statements (``V=V.V.V(V,2)**2/V`` is 17). Measured on the
  answers of ``tests/test_similarity.py``: with k ≤ 18 honest answers start matching the
  300 000 characters of the library by chance (a vectorised answer: 29 % at 18, 11 % at
  20); with 25, less of an adapted paste is found (the library paste: 65 % at 20, 58 % at
  25). A renamed copy scores 100 % with any of them.
* window = :data:`WINDOW` = 1 (``guarantee_t = noise_t``): every k-gram is a fingerprint.
  Winnowing only saves memory on long files; on answers this short a larger window loses
  matches of 20–25 characters and makes the share coarser.
* The exercise's starter code (the student notebook ``normcourse release`` makes: the
  signatures, the ``NotImplementedError`` stubs, the demo cells) is boilerplate: every
  k-gram of it is taken out of each student's fingerprints, as ``CopyDetector`` does with
  ``boilerplate_dirs``, so the shared stubs never count. A student whose graded code is
  nothing but the starter code (unsolved stubs) has no fingerprint left and is skipped.

Similarity of a pair: copydetect's overlap share — the tokens of a document inside k-grams
found in the other document, over the document's fingerprinted tokens (``compare_files``).

* Two students: the **larger** of the two directions. Copying is not symmetric: who copies
  often adds code (a helper, checks, prints), which lowers their own share while the copied
  answer stays wholly inside theirs; the mean would halve that signal. It is also what
  copydetect's own report does (a pair is listed when either file's share passes).
* A student and a source: the **student's** share (how much of the student's code is in
  the source); the source's share means nothing, the library being 400 times longer. For
  the library it is the share covered by the files that explain the match, chosen greedily
  (the file covering most of the student's code, then the one adding most, while one adds
  at least a k-gram), since a paste may come from several files.

A pair is *flagged* when its similarity is at least ``threshold`` and at least
:data:`MIN_OVERLAP` = 100 tokens are shared: two answers that are only the two lines of
``soft_threshold`` the statement spells out (about 60–75 tokens) are alike without being
evidence of anything.

Everything here is static reading in the grader's process: no student code runs.
"""

from __future__ import annotations

import ast
import collections
import csv
import functools
import html
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
from copydetect import CodeFingerprint, compare_files
from copydetect.utils import get_token_coverage, highlight_overlap

from normcourse.grading import codescan, grader, release
from normcourse.grading import spec as sp

#: copydetect's noise threshold: the length of a fingerprinted k-gram of filtered code.
K = 20
#: copydetect's winnowing window (guarantee threshold = K + WINDOW - 1).
WINDOW = 1
#: Fewest shared tokens (filtered characters) for a pair to be flagged: five k-grams, about
#: five lines of normalised code (a whole answer to the shortest exercise is about 200).
MIN_OVERLAP = 5 * K
#: Subpackages of ``normcourse`` that are not compared as library source.
LIBRARY_EXCLUDED = ("grading", "plotting")
KINDS = ("students", "reference", "library")
CSV_COLUMNS = ("exercise", "student_a", "student_b_or_source", "similarity", "tokens_overlap",
               "flagged")
#: Lines of unmatched code kept around each match in a library excerpt of the HTML report.
EXCERPT_CONTEXT = 2
_CHUNK = 1 << 20  # entries of a block of the share matrix's gather


@dataclass(frozen=True)
class SimilarPair:
    """One compared pair with something in common.

    ``b`` is a student's name, ``"reference: <solution file>"`` or ``"library: <files>"``
    (then ``sources`` holds the library files, most of the match first).
    ``tokens_overlap`` counts the shared tokens (filtered characters) on the side the
    similarity is measured on.
    """

    exercise: str
    a: str
    b: str
    similarity: float
    tokens_overlap: int
    flagged: bool
    kind: str
    sources: tuple[str, ...] = ()


@dataclass
class SimilarityReport:
    """What :func:`write_report` found and wrote.

    ``pairs``: every pair sharing at least one fingerprint, per exercise, highest first;
    ``compared``: per exercise, the students compared; ``skipped``: per exercise, the
    students whose graded code is empty or only the starter code.
    """

    pairs: list[SimilarPair]
    csv: Path
    html: Path
    compared: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)

    @property
    def flagged(self) -> list[SimilarPair]:
        """The flagged pairs (similarity ≥ threshold, ≥ :data:`MIN_OVERLAP` tokens)."""
        return [p for p in self.pairs if p.flagged]


# ====================================================================== fingerprints


def _fingerprint(code: str, name: str, boilerplate: frozenset[int] = frozenset()
                 ) -> CodeFingerprint:
    """copydetect's fingerprint of ``code``, without the ``boilerplate`` k-grams.

    The boilerplate is removed here rather than by ``CodeFingerprint(boilerplate=...)``:
    copydetect 0.5.0 intersects the winnowed hashes with ``assume_unique=True`` although
    they repeat, which also drops the repeats of k-grams that are not boilerplate.
    """
    fp = CodeFingerprint(name, K, WINDOW, fp=io.StringIO(code), language="python")
    drop = fp.hashes & boilerplate
    if drop:
        fp.hashes = fp.hashes - drop
        for h in drop:
            del fp.hash_idx[h]
        fp.token_coverage = get_token_coverage(fp.hash_idx, K, len(fp.filtered_code))
    return fp


@dataclass
class _Doc:
    """A fingerprinted document, with its fingerprints as arrays for fast comparison."""

    label: str
    fp: CodeFingerprint
    pos: np.ndarray = field(init=False)  # positions (in the filtered code) of fingerprints
    hv: np.ndarray = field(init=False)  # the hash at each of those positions
    keys: np.ndarray = field(init=False)  # the distinct hashes, sorted

    def __post_init__(self) -> None:
        pairs = sorted((int(p), h) for h, ps in self.fp.hash_idx.items() for p in ps)
        self.pos = np.array([p for p, _ in pairs], dtype=np.int64)
        self.hv = np.array([h for _, h in pairs], dtype=np.int64)
        self.keys = np.unique(self.hv)

    def matched(self, other: _Doc) -> np.ndarray:
        """The positions of this document's fingerprints that ``other`` has too (sorted)."""
        if not other.keys.size or not self.hv.size:
            return self.pos[:0]
        j = np.minimum(np.searchsorted(other.keys, self.hv), other.keys.size - 1)
        return self.pos[other.keys[j] == self.hv]

    def share(self, positions: np.ndarray) -> tuple[float, int]:
        """copydetect's overlap share of this document for its matched ``positions``."""
        overlap = _covered(positions)
        return (overlap / self.fp.token_coverage if overlap else 0.0), overlap

    def share_in(self, other: _Doc) -> tuple[float, int]:
        """The share of this document found in ``other`` and the tokens that makes.

        The number ``compare_files(self.fp, other.fp)`` gives for this side (the tests check
        they agree): the tokens covered by the k-grams at the positions of the shared
        fingerprints, over ``token_coverage``, with the positions gathered by array
        lookups rather than one small array per shared hash.
        """
        return self.share(self.matched(other))


def _covered(positions: np.ndarray) -> int:
    """Tokens covered by the k-grams starting at sorted ``positions``: the total length of
    copydetect's ``get_copied_slices(positions, K)`` (runs closer than K merge)."""
    if not positions.size:
        return 0
    return K + int(np.minimum(np.diff(positions), K).sum())


def _every_name(cells: Iterable[str]) -> list[str]:
    """Every name the code defines or uses (the roots that reach all of its statements)."""
    names: set[str] = set()
    for tree in codescan.parse_cells(cells):
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name):
                names.add(node.id)
    return sorted(names)


def _all_code(cells: list[str]) -> str:
    """Every top-level statement (imports and docstrings excepted), normalised as
    :func:`~normcourse.grading.codescan.graded_source` normalises a student's code."""
    return codescan.graded_source(cells, _every_name(cells))


@dataclass
class _Material:
    """What one exercise's answers are compared against."""

    functions: list[str]
    boilerplate: frozenset[int]
    reference: _Doc


def _material(ex: grader.Exercise) -> _Material:
    spec, nb = sp.load_solution(ex.spec.source)
    functions = list(ex.spec.functions)
    cells = [c.source for c in nb.cells if c.cell_type == "code"]
    reference = codescan.graded_source(cells, functions)
    starter_nb = release.exercise_notebook(spec, nb)
    starter = [c.source for c in starter_nb.cells if c.cell_type == "code"]
    # Every k-gram (window 1, as CopyDetector fingerprints boilerplate) of the starter code as
    # a whole, as an unsolved notebook's graded code (the stubs one after the other) and
    # of each stub alone: the k-grams that span two statements differ between these.
    texts = [_all_code(starter), codescan.graded_source(starter, functions),
             *(codescan.graded_source(starter, [f]) for f in functions)]
    bp = frozenset().union(*(CodeFingerprint("starter.py", K, 1, fp=io.StringIO(t),
                                             language="python").hashes for t in texts))
    label = f"reference: {Path(ex.spec.source).name}"
    return _Material(functions, bp, _Doc(label, _fingerprint(reference, label)))


def _library_files() -> list[tuple[str, Path]]:
    import normcourse

    root = Path(normcourse.__file__).resolve().parent
    out = []
    for p in sorted(root.rglob("*.py")):
        rel = p.relative_to(root)
        if rel.parts[0] in LIBRARY_EXCLUDED or "__pycache__" in rel.parts:
            continue
        out.append((p.relative_to(root.parent).as_posix(), p))
    return out


@functools.lru_cache(maxsize=1)
def _library_cached(stamp: tuple[tuple[str, str, int, int], ...]) -> tuple[_Doc, ...]:
    out = []
    for rel, path, _, _ in stamp:
        text = Path(path).read_text(encoding="utf-8")
        code = _all_code([text])
        if code.strip():
            out.append(_Doc(rel, _fingerprint(code, rel)))
    return tuple(out)


def _library() -> tuple[_Doc, ...]:
    """The library's files and their fingerprints (made once per process and library state)."""
    stamp = []
    for rel, p in _library_files():
        st = p.stat()
        stamp.append((rel, str(p), st.st_mtime_ns, st.st_size))
    return _library_cached(tuple(stamp))


# ====================================================================== comparing


def _share_matrix(docs: Sequence[_Doc]) -> np.ndarray:
    """``tokens[a, b]``: the tokens of ``docs[a]`` found in ``docs[b]`` — what
    :meth:`_Doc.share_in` gives, for every pair at once (one sparse gather per document
    instead of one comparison per pair: 300 students take a fraction of a second)."""
    from scipy import sparse

    n = len(docs)
    tokens = np.zeros((n, n), dtype=np.int64)
    if n < 2:
        return tokens
    vocab = np.unique(np.concatenate([d.keys for d in docs]))
    rows = np.concatenate([np.searchsorted(vocab, d.keys) for d in docs])
    cols = np.repeat(np.arange(n), [d.keys.size for d in docs])
    has = sparse.csr_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)),
                            shape=(vocab.size, n))
    far = -2 * K  # "no earlier match": a gap of at least K
    step = max(1, _CHUNK // n)  # positions per block: a long answer does not fill memory
    for a, d in enumerate(docs):
        last = np.full(n, far, dtype=np.int64)  # per document, the last match so far
        for lo in range(0, d.pos.size, step):
            pos = d.pos[lo:lo + step, None]
            hit = has[np.searchsorted(vocab, d.hv[lo:lo + step])].toarray().astype(bool)
            at = np.where(hit, pos, far)  # position × document
            prev = np.maximum.accumulate(np.vstack([last[None], at[:-1]]), axis=0)
            # a matched k-gram adds its gap to the previous match, at most K (_covered)
            tokens[a] += np.where(hit, np.minimum(pos - prev, K), 0).sum(axis=0)
            last = np.maximum(last, at.max(axis=0))
    np.fill_diagonal(tokens, 0)
    return tokens


def _library_match(doc: _Doc, lib: Sequence[_Doc]) -> tuple[float, int, list[int]]:
    """The share of ``doc`` found in the library files that explain it, the tokens that
    makes, and those files' indices (the one covering most first).

    Greedy: take the file covering most of the student's code, then the one adding most,
    while a file adds at least a k-gram; the share is that of the union of their matches.
    """
    n = len(doc.fp.filtered_code)
    found: dict[int, np.ndarray] = {}
    cover: dict[int, np.ndarray] = {}
    for i, lf in enumerate(lib):
        hits = doc.matched(lf)
        if hits.size:
            found[i] = hits
            mask = np.zeros(n, dtype=bool)
            for off in range(K):
                mask[hits + off] = True
            cover[i] = mask
    chosen: list[int] = []
    covered = np.zeros(n, dtype=bool)
    while cover:
        best, gain = -1, -1
        for i, mask in cover.items():
            g = int(np.count_nonzero(mask & ~covered))
            if g > gain:
                best, gain = i, g
        if gain < K:
            break
        chosen.append(best)
        covered |= cover.pop(best)
    if not chosen:
        return 0.0, 0, []
    sim, overlap = doc.share(functools.reduce(np.union1d, [found[i] for i in chosen]))
    return sim, overlap, chosen


def _pair(ex_id: str, a: str, b: str, sim: float, tokens: int, kind: str, threshold: float,
          sources: tuple[str, ...] = ()) -> SimilarPair:
    sim = float(min(max(sim, 0.0), 1.0))
    return SimilarPair(ex_id, a, b, sim, tokens, sim >= threshold and tokens >= MIN_OVERLAP,
                       kind, sources)


def _compare_exercise(ex_id: str, docs: list[_Doc], reference: _Doc, lib: Sequence[_Doc],
                      threshold: float, bar: Any) -> list[SimilarPair]:
    """Every pair of students (the larger share of the two), every student with the
    reference and with the library (the student's share); pairs sharing nothing left out."""
    pairs: list[SimilarPair] = []
    shared = _share_matrix(docs)
    for i, x in enumerate(docs):
        for j in np.flatnonzero(shared[i, i + 1:]) + i + 1:
            y = docs[j]
            s1, s2 = shared[i, j] / x.fp.token_coverage, shared[j, i] / y.fp.token_coverage
            sim, tokens = (s1, shared[i, j]) if s1 >= s2 else (s2, shared[j, i])
            pairs.append(_pair(ex_id, x.label, y.label, sim, int(tokens), "students",
                               threshold))
        sim, tokens = x.share_in(reference)
        if tokens:
            pairs.append(_pair(ex_id, x.label, reference.label, sim, tokens, "reference",
                               threshold))
        sim, tokens, chosen = _library_match(x, lib)
        if tokens:
            files = tuple(lib[j].label for j in chosen)
            pairs.append(_pair(ex_id, x.label, "library: " + ", ".join(files), sim, tokens,
                               "library", threshold, files))
        if bar is not None:
            bar.update(1)
    pairs.sort(key=lambda p: (-p.similarity, p.a, p.b))
    return pairs


# ====================================================================== submissions


def _labels(subs: Sequence[grader.Submission]) -> list[str]:
    """Student names, with the folder name added where two submissions share a name."""
    names = collections.Counter(s.student for s in subs)
    return [f"{s.student} ({s.slug})" if names[s.student] > 1 else s.student for s in subs]


def _answers(subs: Sequence[grader.Submission], exercises: Mapping[str, grader.Exercise]
             ) -> dict[str, list[tuple[str, list[str]]]]:
    """Per exercise, (student, code cells) of each student's first notebook for it."""
    out: dict[str, list[tuple[str, list[str]]]] = {e: [] for e in exercises}
    for sub, label in zip(subs, _labels(subs), strict=True):
        seen: set[str] = set()
        for path in sub.notebooks:
            try:
                nb, cells = grader.read_cells(Path(path))
            except (ValueError, OSError):
                continue  # the grading run reports unreadable notebooks
            # as the grader: a notebook whose metadata names another exercise is that one
            meta = nb.metadata.get("exercise") if hasattr(nb, "metadata") else None
            other = meta.get("id") if isinstance(meta, dict) else None
            known = [*exercises, *([other] if isinstance(other, str) else [])]
            ex_id = grader.identify(nb, cells, Path(path), known)
            if ex_id is None or ex_id not in out or ex_id in seen:
                continue
            seen.add(ex_id)
            out[ex_id].append((label, cells))
    return out


# ====================================================================== outputs


def _csv_cell(text: str) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_text(pairs: Iterable[SimilarPair]) -> str:
    """``similarity.csv``: one row per pair (columns :data:`CSV_COLUMNS`)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for p in pairs:
        w.writerow([p.exercise, _csv_cell(p.a), _csv_cell(p.b), f"{p.similarity:.3f}",
                    p.tokens_overlap, "yes" if p.flagged else "no"])
    return buf.getvalue()


def _highlight(code: str, slices: np.ndarray, truncate: int = -1) -> str:
    if slices.size == 0:
        return html.escape(code)
    return highlight_overlap(code, slices, "<mark>", "</mark>", truncate=truncate,
                             escape_html=True)[0]


def _merge(slices: list[np.ndarray]) -> np.ndarray:
    """The union of raw-code slices (2×N arrays) as sorted, disjoint 2×M slices."""
    spans = sorted((int(a), int(b)) for s in slices for a, b in zip(s[0], s[1], strict=True))
    out: list[list[int]] = []
    for a, b in spans:
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return np.array(out, dtype=np.int64).T.reshape(2, -1)


def _code_block(title: str, body: str) -> str:
    return f'<div class="code"><div class="who">{html.escape(title)}</div><pre>{body}</pre></div>'


def _excerpts(p: SimilarPair, docs: Mapping[str, _Doc], reference: _Doc,
              lib: Sequence[_Doc]) -> tuple[str, str]:
    """The two sides of a pair as highlighted HTML (escaped), from ``compare_files``."""
    left = docs[p.a].fp
    if p.kind in ("students", "reference"):
        right = docs[p.b].fp if p.kind == "students" else reference.fp
        _, _, (s1, s2) = compare_files(left, right)
        return (_code_block(p.a, _highlight(left.raw_code, s1)),
                _code_block(p.b, _highlight(right.raw_code, s2)))
    files = {d.label: d.fp for d in lib}
    mine, theirs = [], []
    for rel in p.sources:
        _, _, (s1, s2) = compare_files(left, files[rel])
        mine.append(s1)
        theirs.append(_code_block(rel, _highlight(files[rel].raw_code, s2, EXCERPT_CONTEXT)))
    return _code_block(p.a, _highlight(left.raw_code, _merge(mine))), "".join(theirs)


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem;
color:#1d1d1f;line-height:1.4}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;table-layout:fixed}
th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}tr.head td{background:#fafafa;font-weight:600}
.num{text-align:right;width:7rem}.rank{width:2.5rem}
.sbs{display:flex;gap:.6rem}.sbs>div{flex:1;min-width:0}
.code .who{font-size:.8rem;color:#555;margin:.2rem 0}
pre{margin:0;padding:.4rem;background:#f8f8f8;border:1px solid #e5e5e5;overflow-x:auto;
font-size:.8rem;white-space:pre}
mark{background:#ffd27a}.kind{font-size:.75rem;color:#555}
"""


def _section(ex: grader.Exercise, pairs: list[SimilarPair], compared: list[str],
             skipped: list[str], docs: Mapping[str, _Doc], reference: _Doc,
             lib: Sequence[_Doc], top: int, threshold: float) -> str:
    flagged = [p for p in pairs if p.flagged]
    shown = flagged[:top]
    e = html.escape
    out = [f"<section><h2>{e(ex.id)} — {e(ex.spec.title)}</h2>",
           f"<p>{len(compared)} student(s) compared; {len(skipped)} skipped (no code of "
           f"their own: {e(', '.join(skipped)) or '—'}). {len(flagged)} pair(s) at or "
           f"above {threshold:.0%} similarity with at least {MIN_OVERLAP} shared tokens"
           + (f"; the top {len(shown)} shown" if len(shown) < len(flagged) else "")
           + ".</p>"]
    if not shown:
        out.append("<p>No pair above the threshold.</p></section>")
        return "\n".join(out)
    out.append('<table><thead><tr><th class="rank">#</th><th>student</th><th>similar to</th>'
               '<th class="num">similarity</th><th class="num">shared tokens</th></tr>'
               "</thead><tbody>")
    for rank, p in enumerate(shown, 1):
        left, right = _excerpts(p, docs, reference, lib)
        out.append(f'<tr class="head"><td class="rank">{rank}</td><td>{e(p.a)}</td>'
                   f'<td>{e(p.b)} <span class="kind">({e(p.kind)})</span></td>'
                   f'<td class="num">{p.similarity:.0%}</td>'
                   f'<td class="num">{p.tokens_overlap}</td></tr>')
        out.append(f'<tr><td colspan="5"><div class="sbs"><div>{left}</div><div>{right}</div>'
                   "</div></td></tr>")
    out.append("</tbody></table></section>")
    return "\n".join(out)


def _page(sections: list[str], threshold: float) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Code similarity</title>"
        f"<style>{STYLE}</style></head><body>\n<h1>Code similarity</h1>\n"
        "<p>Graded code compared between students, with the reference solution and with the "
        "library's source (copydetect fingerprints of the normalised code: renaming and "
        f"reformatting do not hide a copy; k = {K}, window = {WINDOW}; the starter code does "
        "not count). Similarity is the share of an answer found in the other (for two "
        f"students the larger share). Pairs at or above {threshold:.0%} are listed, highest "
        "first, with the normalised code that was compared (no comments, docstrings or "
        "imports) and the matching parts highlighted. A high similarity is a reason to look, "
        "not a verdict.</p>\n" + "\n".join(sections) + "\n</body></html>\n"
    )


# ====================================================================== the report


def _check_args(subs: Any, exercises: Any, out: Any, top: Any, threshold: Any,
                progress: Any) -> Path:
    if isinstance(subs, (str, bytes)) or not isinstance(subs, Sequence):
        raise ValueError(f"subs must be a sequence of grader.Submission, got {type(subs)!r}")
    bad = [s for s in subs if not isinstance(s, grader.Submission)]
    if bad:
        raise ValueError(f"subs must hold grader.Submission objects, got {type(bad[0])!r}")
    keys = [(s.student, s.slug) for s in subs]
    if len(set(keys)) < len(keys):
        twice = next(k for k in keys if keys.count(k) > 1)
        raise ValueError(f"two submissions are the student {twice[0]!r} ({twice[1]}): "
                         "give each submission its own slug (grader.discover does)")
    if not isinstance(exercises, Mapping) or not exercises:
        raise ValueError("exercises must be a non-empty mapping of exercise id to "
                         "grader.Exercise (grader.load_exercises)")
    for k, v in exercises.items():
        if not isinstance(v, grader.Exercise):
            raise ValueError(f"exercises[{k!r}] must be a grader.Exercise, got {type(v)!r}")
        if k != v.id:
            raise ValueError(f"exercises[{k!r}] is the exercise {v.id!r}")
    if not isinstance(out, (str, PathLike)) or not str(out):
        raise ValueError(f"out must be a folder path, got {out!r}")
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise ValueError(f"out must be a folder, and {path} is a file")
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ValueError(f"top must be a positive integer, got {top!r}")
    if (isinstance(threshold, bool) or not isinstance(threshold, (int, float))
            or not math.isfinite(threshold) or not 0 < threshold <= 1):
        raise ValueError(f"threshold must be a number in (0, 1], got {threshold!r}")
    if not isinstance(progress, bool):
        raise ValueError(f"progress must be True or False, got {progress!r}")
    return path


def write_report(subs: Sequence[grader.Submission], exercises: Mapping[str, grader.Exercise],
                 out: Path, *, top: int = 20, threshold: float = 0.5,
                 progress: bool = False) -> SimilarityReport:
    """Compare the graded code of every pair of students, and of every student with the
    reference solution and the library, exercise by exercise; write ``out/similarity.csv``
    (every pair that shares code, highest first) and ``out/similarity.html`` (per exercise,
    the ``top`` flagged pairs side by side with the matching code highlighted).

    See the module's docstring for what is compared and how (copydetect, k = :data:`K`,
    window :data:`WINDOW`, starter code as boilerplate). A pair is flagged when its
    similarity is ≥ ``threshold`` and it shares ≥ :data:`MIN_OVERLAP` tokens. Notebooks
    are matched to exercises as the grader does (:func:`grader.identify`); unreadable ones
    are left out. ``progress`` shows a tqdm bar. ``ValueError`` for bad arguments or an
    exercise whose solution notebook cannot be read.
    """
    path = _check_args(subs, exercises, out, top, threshold, progress)
    lib = _library()
    answers = _answers(subs, exercises)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=sum(len(v) for v in answers.values()), unit="student",
                   desc="similarity")
    pairs: list[SimilarPair] = []
    sections: list[str] = []
    compared: dict[str, list[str]] = {}
    skipped: dict[str, list[str]] = {}
    try:
        for ex_id, ex in exercises.items():
            mat = _material(ex)
            kept: list[_Doc] = []
            skipped[ex_id] = []
            for label, cells in answers[ex_id]:
                try:
                    code = codescan.graded_source(cells, mat.functions)
                except (RecursionError, ValueError, SyntaxError):  # unreadable code: no answer
                    code = ""
                fp = _fingerprint(code, label, mat.boilerplate) if code.strip() else None
                if fp is None or fp.token_coverage == 0:
                    skipped[ex_id].append(label)
                    if bar is not None:
                        bar.update(1)
                else:
                    kept.append(_Doc(label, fp))
            compared[ex_id] = [a.label for a in kept]
            found = _compare_exercise(ex_id, kept, mat.reference, lib, threshold, bar)
            pairs += found
            sections.append(_section(ex, found, compared[ex_id], skipped[ex_id],
                                     {d.label: d for d in kept}, mat.reference, lib, top,
                                     threshold))
    finally:
        if bar is not None:
            bar.close()
    csv_path, html_path = path / "similarity.csv", path / "similarity.html"
    grader.atomic_write(csv_path, csv_text(pairs))
    grader.atomic_write(html_path, _page(sections, threshold))
    return SimilarityReport(pairs, csv_path, html_path, compared, skipped)
