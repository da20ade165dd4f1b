r"""The declarative exercise spec, and how the grader turns it into concrete checks.

An exercise is one MyST notebook in ``solutions/``. Its front matter carries the spec
under the key ``exercise``::

    exercise:
      id: ex-soft-threshold                 # the name students pass to check(...)
      title: Soft-thresholding and ISTA
      functions:                            # what the student writes
        soft_threshold:
          params: [w, tau]                  # the signature the statement asks for
          reference: penalties.soft_threshold   # expected answers (default: "solution")
          forbid: [normcourse.penalties:L1.prox]  # library functions it must not call
      checks:
      - name: soft-threshold-values         # unique within the exercise
        visibility: public                  # public (self-check) or hidden (grader only)
        points: 1
        let: {w: "np.array([3.0, -2.0])"}   # optional named inputs, evaluated in order
        call: soft_threshold(w, tau=1.0)    # the call whose result is judged
        expect: null                        # optional expression for the expected answer
        compare: allclose                   # or {allclose: {rtol: 1e-6, exact_zeros: true}}
        hint: Entries with |w| ≤ τ must become exactly 0.
      forbid: [normcourse]                  # for every function: the whole library, except
                                            # what the reference solution itself uses
      page: principles/sparsity             # the book page it practises
      topic: the proximal operator of ℓ1    # a short phrase for the practice index
      difficulty: 1                         # 1 warm-up, 2 intermediate, 3 challenging
      minutes: 25                           # estimated time
      mistakes:                             # plausible wrong answers the checks must catch
      - name: no-sign                       # (``normcourse audit``; at least 3 per function)
        function: soft_threshold
        why: forgets the sign
        replace:                            # (old, new) edits of the cell defining it,
        - ["np.sign(w) * np.maximum", "np.maximum"]   # each old text exactly once there
      - name: hard-threshold
        function: soft_threshold
        why: keeps w where |w| > τ
        code: |                             # or a whole wrong definition, run after that cell
          def soft_threshold(w, tau):
              return w * (np.abs(w) > tau)

Expressions (``let``, the arguments of ``call``, ``expect`` and a ``reference`` other than
``solution``) are Python, evaluated **in the grader's process** (or, for public checks, in
the student's own kernel by ``check``) with ``np``, ``rng`` (``np.random.default_rng``) and
the modules of ``normcourse`` named in :data:`LIBRARY_MODULES` in scope; ``rng(k)`` and
``seed(k)`` are secret-derived in hidden checks (:func:`derived_seed`), so hidden inputs
should be drawn through them (``datasets.x(seed=seed(3))``, ``rng(0).normal(size=5)``);
``reference`` and ``expect`` also see the reference functions, and ``expect`` sees the
call's arguments by parameter name. ``reference: solution`` means the function defined between
the ``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers of the notebook itself (the
grader executes the cells that hold markers and the cells tagged ``setup``).

Delegation. While a graded function runs, the library functions it must not call raise
(:mod:`~normcourse.grading.worker`), and the grader's static scan of the code it reaches
(:mod:`~normcourse.grading.codescan`) flags imports and attribute uses of them; its check
scores 0 with a note. Forbidden: the function's ``reference`` when that is a library
expression, the names in ``forbid`` (the function's, and the exercise's for every
function; ``normcourse`` stands for the whole library), and what they call from the
library — minus everything the reference solution's own code uses, and what that calls
(validation, data and plotting modules are never forbidden).

Cell tags in a solution notebook: ``setup`` (imports the reference needs, kept in the
exercise), ``solution-only`` (instructor cells and notes: dropped from the exercise and
never run by the grader). Raising cells of the exercise are tagged by ``release``.

Only the grader reads ``solutions/``; the package ships the *public* checks alone (with
their expected answers) in ``normcourse/grading/public/<id>.json``, written by
``normcourse release``.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from normcourse.grading import compare as cmp
from normcourse.grading.wire import to_plain

VISIBILITIES = ("public", "hidden")
BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
SOLUTION_BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)### BEGIN SOLUTION[^\n]*\n"
    r"(?P<body>.*?)^[ \t]*### END SOLUTION[^\n]*(?:\n|$)",
    re.M | re.S,
)
_ID = re.compile(r"^ex-[a-z0-9]+(?:-[a-z0-9]+)*$")
_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class FunctionSpec:
    """A function the student writes: its name, parameters and reference."""

    name: str
    params: tuple[str, ...]
    reference: str = "solution"
    forbid: tuple[str, ...] = ()  # library functions it must not call ("module:qualname")


@dataclass(frozen=True)
class CheckSpec:
    """One graded check: call ``function`` on inputs and compare with the expected answer."""

    name: str
    function: str
    points: float
    visibility: str
    call: str
    args: tuple[tuple[str, str], ...]  # (parameter, expression), in parameter order
    let: tuple[tuple[str, str], ...] = ()
    compare: str = "allclose"
    compare_params: tuple[tuple[str, Any], ...] = ()
    hint: str = ""
    expect: str | None = None

    @property
    def hidden(self) -> bool:
        return self.visibility == "hidden"

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.compare_params)


@dataclass(frozen=True)
class MistakeSpec:
    """A declared wrong implementation of one graded function, used to test the checks.

    It is made from the reference solution either by ``replace`` — (old, new) text edits
    of the solution cell that defines ``function``, each old text occurring exactly once
    there — or by ``code``, a whole wrong definition run right after that cell.
    """

    name: str
    function: str
    why: str
    replace: tuple[tuple[str, str], ...] = ()
    code: str | None = None


@dataclass(frozen=True)
class ExerciseSpec:
    """An exercise: id, title, the functions to write, the checks and the declared mistakes.

    ``page`` is the book page it practises (``principles/sparsity``), ``topic`` a short
    phrase for the practice index, ``difficulty`` 1–3 and ``minutes`` the estimated time.
    """

    id: str
    title: str
    functions: Mapping[str, FunctionSpec]
    checks: tuple[CheckSpec, ...]
    source: str = ""
    page: str | None = None
    topic: str = ""
    difficulty: int | None = None
    minutes: int | None = None
    mistakes: tuple[MistakeSpec, ...] = ()

    @property
    def public(self) -> tuple[CheckSpec, ...]:
        return tuple(c for c in self.checks if not c.hidden)

    @property
    def hidden(self) -> tuple[CheckSpec, ...]:
        return tuple(c for c in self.checks if c.hidden)

    @property
    def max_points(self) -> float:
        return float(sum(c.points for c in self.checks))

    @classmethod
    def from_metadata(cls, meta: Any, source: str = "<spec>") -> ExerciseSpec:
        """Validate the ``exercise`` front-matter mapping; ``ValueError`` says what is wrong."""
        where = f"{source}: exercise"
        if not isinstance(meta, Mapping):
            raise ValueError(f"{source}: front matter has no 'exercise' mapping")
        ex_id = meta.get("id")
        if not isinstance(ex_id, str) or not _ID.match(ex_id):
            raise ValueError(f"{where}.id must look like 'ex-some-name', got {ex_id!r}")
        title = meta.get("title", ex_id)
        funcs_meta = meta.get("functions")
        if not isinstance(funcs_meta, Mapping) or not funcs_meta:
            raise ValueError(f"{where}.functions must map function names to {{params: [...]}}")
        functions: dict[str, FunctionSpec] = {}
        shared = meta.get("forbid", [])  # forbidden for every graded function
        if not isinstance(shared, list):
            raise ValueError(f"{where}.forbid must be a list of library names")
        for fname, fmeta in funcs_meta.items():
            if not str(fname).isidentifier():
                raise ValueError(f"{where}.functions: {fname!r} is not a Python name")
            fmeta = fmeta or {}
            params = fmeta.get("params")
            if not isinstance(params, list) or not all(str(p).isidentifier() for p in params):
                raise ValueError(f"{where}.functions.{fname}.params must be a list of names")
            ref = fmeta.get("reference", "solution")
            if not isinstance(ref, str) or not ref.strip():
                raise ValueError(f"{where}.functions.{fname}.reference must be an expression")
            forbid = fmeta.get("forbid", [])
            if not isinstance(forbid, list) or not all(
                    isinstance(f, str) and (f == "normcourse" or re.fullmatch(
                        r"normcourse(\.\w+)*:\w+(\.\w+)*", f)) for f in [*shared, *forbid]):
                raise ValueError(f"{where}.functions.{fname}.forbid (and {where}.forbid) must "
                                 "be a list of library names like "
                                 "'normcourse.penalties:soft_threshold', or 'normcourse' for "
                                 "the whole library")
            forbid = [*shared, *forbid]
            functions[fname] = FunctionSpec(fname, tuple(params), ref, tuple(forbid))
        checks_meta = meta.get("checks")
        if not isinstance(checks_meta, list) or not checks_meta:
            raise ValueError(f"{where}.checks must be a non-empty list")
        checks = []
        seen: set[str] = set()
        for i, c in enumerate(checks_meta):
            check = _parse_check(c, functions, f"{where}.checks[{i}]")
            if check.name in seen:
                raise ValueError(f"{where}.checks: duplicate check name {check.name!r}")
            seen.add(check.name)
            checks.append(check)
        page = meta.get("page")
        if page is not None and (not isinstance(page, str) or not re.fullmatch(
                r"(principles|applications)/[a-z0-9-]+", page)):
            raise ValueError(f"{where}.page must look like 'principles/some-page', got {page!r}")
        topic = meta.get("topic", "")
        if not isinstance(topic, str):
            raise ValueError(f"{where}.topic must be text")
        difficulty = meta.get("difficulty")
        if difficulty is not None and (isinstance(difficulty, bool)
                                       or difficulty not in (1, 2, 3)):
            raise ValueError(f"{where}.difficulty must be 1, 2 or 3, got {difficulty!r}")
        minutes = meta.get("minutes")
        if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int)
                                    or not 1 <= minutes <= 600):
            raise ValueError(f"{where}.minutes must be a whole number of minutes, got {minutes!r}")
        mistakes = _parse_mistakes(meta.get("mistakes") or [], functions, f"{where}.mistakes")
        spec = cls(ex_id, str(title), functions, tuple(checks), source, page,
                   " ".join(topic.split()), difficulty, minutes, mistakes)
        if not spec.public:
            raise ValueError(f"{where}: at least one check must be public")
        return spec


def _entry_name(entry: Any, keys: set[str], where: str) -> str:
    """The ``name`` of a check or mistake mapping, after checking its keys."""
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where} must be a mapping")
    unknown = set(entry) - keys
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"{where}.name must be lower-case words joined by '-', got {name!r}")
    return name


def _parse_mistakes(
    meta: Any, functions: Mapping[str, FunctionSpec], where: str
) -> tuple[MistakeSpec, ...]:
    if not isinstance(meta, list):
        raise ValueError(f"{where} must be a list of {{name, function, why, replace | code}}")
    out: list[MistakeSpec] = []
    for i, m in enumerate(meta):
        w = f"{where}[{i}]"
        name = _entry_name(m, {"name", "function", "why", "replace", "code"}, w)
        w = f"{w} ({name})"
        if any(x.name == name for x in out):
            raise ValueError(f"{where}: duplicate mistake name {name!r}")
        fn = m.get("function")
        if fn not in functions:
            raise ValueError(f"{w}.function must be one of {sorted(functions)}, got {fn!r}")
        why = m.get("why")
        if not isinstance(why, str) or not why.strip():
            raise ValueError(f"{w}.why must say what is wrong")
        rep, code = m.get("replace"), m.get("code")
        if (rep is None) == (code is None):
            raise ValueError(f"{w}: give exactly one of 'replace' and 'code'")
        pairs: tuple[tuple[str, str], ...] = ()
        if rep is not None:
            if not isinstance(rep, list) or not rep or not all(
                isinstance(r, list | tuple) and len(r) == 2
                and all(isinstance(x, str) for x in r) for r in rep
            ):
                raise ValueError(f"{w}.replace must be a list of [old, new] text pairs")
            pairs = tuple((str(a), str(b)) for a, b in rep)
        if code is not None:
            if not isinstance(code, str):
                raise ValueError(f"{w}.code must be Python source")
            try:
                tree = ast.parse(code)
            except SyntaxError as exc:
                raise ValueError(f"{w}.code does not parse: {exc.msg}") from None
            if not any(isinstance(s, ast.FunctionDef) and s.name == fn for s in tree.body):
                raise ValueError(f"{w}.code must define {fn}")
        out.append(MistakeSpec(name, str(fn), " ".join(why.split()), pairs, code))
    return tuple(out)


def _parse_check(c: Any, functions: Mapping[str, FunctionSpec], where: str) -> CheckSpec:
    keys = {"name", "visibility", "points", "let", "call", "expect", "compare", "hint"}
    name = _entry_name(c, keys, where)
    where = f"{where} ({name})"
    vis = c.get("visibility")
    if vis not in VISIBILITIES:
        raise ValueError(f"{where}.visibility must be one of {VISIBILITIES}, got {vis!r}")
    try:
        points = float(c.get("points"))
    except (TypeError, ValueError):
        raise ValueError(f"{where}.points must be a number > 0") from None
    if not points > 0:
        raise ValueError(f"{where}.points must be > 0, got {points}")
    let_meta = c.get("let") or {}
    if not isinstance(let_meta, Mapping):
        raise ValueError(f"{where}.let must map names to expressions")
    let = tuple((str(k), str(v)) for k, v in let_meta.items())
    for k, v in let:
        if not k.isidentifier():
            raise ValueError(f"{where}.let: {k!r} is not a Python name")
        _check_expr(v, f"{where}.let.{k}")
    call = c.get("call")
    if not isinstance(call, str):
        raise ValueError(f"{where}.call must be a call expression such as 'f(x, 1.0)'")
    fname, args = parse_call(call, functions, f"{where}.call")
    expect = c.get("expect")
    if expect is not None:
        expect = str(expect)
        _check_expr(expect, f"{where}.expect")
    kind, params = _parse_compare(c.get("compare", "allclose"), f"{where}.compare")
    hint = c.get("hint", "")
    if not isinstance(hint, str):
        raise ValueError(f"{where}.hint must be text")
    return CheckSpec(
        name=name,
        function=fname,
        points=points,
        visibility=vis,
        call=call.strip(),
        args=args,
        let=let,
        compare=kind,
        compare_params=params,
        hint=" ".join(hint.split()),
        expect=expect,
    )


def _check_expr(src: str, where: str) -> ast.expr:
    try:
        return ast.parse(src.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"{where}: not a Python expression ({exc.msg}): {src!r}") from None


def parse_call(
    call: str, functions: Mapping[str, FunctionSpec], where: str = "call"
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Split ``"f(a, b=2)"`` into the function name and (parameter, expression) pairs."""
    node = _check_expr(call, where)
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise ValueError(f"{where}: must call one of the exercise's functions, got {call!r}")
    fname = node.func.id
    if fname not in functions:
        raise ValueError(
            f"{where}: {fname!r} is not among the exercise's functions {sorted(functions)}"
        )
    params = functions[fname].params
    if any(isinstance(a, ast.Starred) for a in node.args) or any(
        k.arg is None for k in node.keywords
    ):
        raise ValueError(f"{where}: *args and **kwargs are not allowed")
    if len(node.args) > len(params):
        raise ValueError(f"{where}: {fname} takes {len(params)} arguments {list(params)}")
    bound: dict[str, str] = {p: ast.unparse(a) for p, a in zip(params, node.args, strict=False)}
    for kw in node.keywords:
        if kw.arg not in params:
            raise ValueError(f"{where}: {fname} has no parameter {kw.arg!r} ({list(params)})")
        if kw.arg in bound:
            raise ValueError(f"{where}: parameter {kw.arg!r} given twice")
        bound[kw.arg] = ast.unparse(kw.value)
    missing = [p for p in params if p not in bound]
    if missing:
        raise ValueError(f"{where}: missing arguments {missing} for {fname}")
    return fname, tuple((p, bound[p]) for p in params)


def _parse_compare(meta: Any, where: str) -> tuple[str, tuple[tuple[str, Any], ...]]:
    if isinstance(meta, str):
        kind, params = meta, {}
    elif isinstance(meta, Mapping) and len(meta) == 1:
        kind, params = next(iter(meta.items()))
        params = params or {}
        if not isinstance(params, Mapping):
            raise ValueError(f"{where}: parameters of {kind!r} must be a mapping")
    else:
        raise ValueError(f"{where} must be a name or {{name: {{param: value}}}}")
    comp = cmp.get(str(kind))
    out: dict[str, Any] = {}
    for k, v in params.items():
        if k not in comp.params:
            raise ValueError(f"{where}: {kind} has no parameter {k!r} (allowed: {comp.params})")
        if k in ("rtol", "atol"):
            try:
                v = float(v)  # YAML 1.1 reads 1e-6 as a string
            except (TypeError, ValueError):
                raise ValueError(f"{where}.{k} must be a number, got {v!r}") from None
        elif k == "exact_zeros":
            v = bool(v)
        out[k] = v
    return str(kind), tuple(sorted(out.items()))


# --------------------------------------------------------------------- evaluation


LIBRARY_MODULES = (
    "datasets", "penalties", "solvers", "constrained", "margin", "optim", "robustness",
    "diagnostics", "selection", "sindy", "gan", "continual", "weight_decay",
)


def _names_in(*sources: str) -> set[str]:
    out: set[str] = set()
    for src in sources:
        try:
            tree = ast.parse(src.strip(), mode="eval")
        except SyntaxError:
            continue
        out |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return out


def input_namespace(*sources: str) -> dict[str, Any]:
    """Names visible to spec expressions: ``np``, ``rng`` and the library's modules.

    A module is imported only when one of ``sources`` (expressions) names it, so that
    an exercise whose inputs are plain numpy does not pay for importing torch; with no
    ``sources`` the light modules (no torch) are imported.
    """
    import importlib

    wanted = _names_in(*sources) if sources else {
        "datasets", "penalties", "solvers", "constrained"}
    ns: dict[str, Any] = {"__builtins__": builtins, "np": np, "rng": np.random.default_rng,
                          "seed": int}
    for name in LIBRARY_MODULES:
        if name in wanted:
            ns[name] = importlib.import_module(f"normcourse.{name}")
    return ns


SECRET_ENV = "NORMCOURSE_GRADING_SECRET"


def derived_seed(secret: str | None, exercise: str, check: str, k: int) -> int:
    """The seed a hidden check's ``rng(k)`` / ``seed(k)`` stands for under a grading secret.

    Without a secret (self-study) it is ``k`` itself, so the published check definitions
    say exactly which inputs are used. With one it is the first 64 bits of
    SHA-256(secret, exercise id, check name, k): the same secret gives the same inputs
    (reproducible grades), and without the secret the inputs cannot be predicted.
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise ValueError(f"rng(k) / seed(k) in a check need an integer k, got {k!r}")
    if not secret:
        return int(k)
    import hashlib

    digest = hashlib.sha256("\0".join((secret, exercise, check, str(int(k)))).encode())
    return int.from_bytes(digest.digest()[:8], "big")


def _seeding(check: CheckSpec, secret: str | None, exercise: str) -> dict[str, Any]:
    """``rng`` and ``seed`` for one check: secret-derived for hidden checks only (public
    checks must give the student's self-check the published inputs)."""
    key = secret if check.hidden else None

    def seed(k: int = 0) -> int:
        return derived_seed(key, exercise, check.name, k)

    def rng(k: int = 0) -> np.random.Generator:
        return np.random.default_rng(seed(k))

    return {"rng": rng, "seed": seed}


def evaluate_args(
    check: CheckSpec, secret: str | None = None, exercise: str = ""
) -> dict[str, Any]:
    """The check's arguments as plain values, by parameter name (in parameter order).

    ``rng(k)`` and ``seed(k)`` in the expressions draw from :func:`derived_seed`: with a
    grading ``secret`` a hidden check's inputs change, a public check's never do.
    """
    ns = input_namespace(*(e for _, e in check.let), *(e for _, e in check.args))
    ns.update(_seeding(check, secret, exercise))
    for name, expr in check.let:
        ns[name] = eval(expr, ns)
    return {p: to_plain(eval(expr, ns)) for p, expr in check.args}


def solution_blocks(source: str) -> list[str]:
    """The code between every pair of solution markers in a cell's source."""
    return [m.group("body") for m in SOLUTION_BLOCK.finditer(source)]


def has_solution(source: str) -> bool:
    """True when the cell holds a solution marker."""
    return BEGIN in source


def reference_functions(spec: ExerciseSpec, nb: Any) -> dict[str, Callable[..., Any]]:
    """The reference callables of an exercise, built in *this* (trusted) process.

    Executes the solution notebook's cells tagged ``setup`` and the cells that hold
    solution markers, then resolves each function's ``reference`` expression.
    """
    ns: dict[str, Any] = {"__name__": "__reference__", "__builtins__": builtins}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        if "setup" in tags or has_solution(cell.source):
            code = compile(cell.source, f"<{spec.id} cell {i}>", "exec")
            exec(code, ns)
    refs: dict[str, Callable[..., Any]] = {}
    env = {**input_namespace(*(f.reference for f in spec.functions.values())), **ns}
    for fname, fs in spec.functions.items():
        if fs.reference == "solution":
            fn = ns.get(fname)
        else:
            fn = eval(fs.reference, env)
        if not callable(fn):
            raise ValueError(f"{spec.source}: reference for {fname} is not callable")
        refs[fname] = fn
    return refs


@dataclass
class Task:
    """A check made concrete: its arguments and the prepared expected answer."""

    check: CheckSpec
    args: dict[str, Any]
    expected: Any
    prepared: Any = field(repr=False, default=None)

    def judge(self, got: Any) -> cmp.Verdict:
        """Compare a plain returned value with the expected answer."""
        return cmp.get(self.check.compare).judge(got, self.prepared, self.args, **self.check.params)


def expected_value(
    check: CheckSpec, args: dict[str, Any], refs: Mapping[str, Callable[..., Any]]
) -> Any:
    """The expected answer: the ``expect`` expression, or the reference applied to the args."""
    if check.expect is not None:
        env = {**input_namespace(check.expect), **refs}
        env.update(args)
        env["args"] = dict(args)
        return to_plain(eval(check.expect, env))
    import copy

    return to_plain(refs[check.function](*copy.deepcopy(list(args.values()))))


def make_task(
    check: CheckSpec,
    refs: Mapping[str, Callable[..., Any]],
    secret: str | None = None,
    exercise: str = "",
) -> Task:
    """Evaluate a check's inputs (under ``secret``, see :func:`evaluate_args`) and its
    expected answer, and prepare its comparator."""
    args = evaluate_args(check, secret, exercise)
    expected = expected_value(check, args, refs)
    prepared = cmp.get(check.compare).prepare(expected, args, **check.params)
    return Task(check, args, expected, prepared)


def load_solution(path: str | Path) -> tuple[ExerciseSpec, Any]:
    """Read a solution notebook; return its validated spec and the notebook."""
    import jupytext

    path = Path(path)
    try:
        nb = jupytext.read(path)
    except Exception as exc:
        raise ValueError(f"{path}: cannot read notebook: {exc}") from None
    return ExerciseSpec.from_metadata(nb.metadata.get("exercise"), str(path)), nb
