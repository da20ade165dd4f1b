"""Static reading of a notebook's code, in the grader's (trusted) process.

Two questions are answered from the syntax tree alone, never by running student code:

* **What code does a graded function reach?** :func:`reachable` starts from the ``def``
  of the function and follows every name it loads to the top-level statements that bind
  that name (other functions, aliases, imports), transitively. :func:`graded_source` is
  that code as text: what the similarity report compares.
* **Does that code use a forbidden library function?** :func:`library_uses` resolves
  the names and attribute chains of the reached code — ``penalties.soft_threshold``,
  ``normcourse.penalties.L1(1.0).prox``, ``from normcourse.penalties import _soft_np as
  f``, ``importlib.import_module("normcourse.penalties").soft_threshold``,
  ``getattr(penalties, "soft_threshold")`` — to the library objects they denote, and
  compares them by identity with the forbidden ones (a re-export or an alias is the same
  object).

:func:`closure` expands a set of library functions by what they call from the library
(module-level helpers, the methods of a class they use), leaving out the validation and
plumbing modules of :data:`NEUTRAL_MODULES`. The grader forbids, during the graded calls of
a function, the closure of its forbidden names minus the closure of what the reference
solution itself uses (:func:`forbidden_for`).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACKAGE = "normcourse"
#: Library modules never forbidden: input checking, torch plumbing, data, the grader.
NEUTRAL_MODULES = ("normcourse._validate", "normcourse._torch", "normcourse.datasets",
                   "normcourse.grading", "normcourse.plotting", "normcourse.widgets")


# ====================================================================== parsing


def parse_cells(cells: Iterable[str]) -> list[ast.Module]:
    """The code cells as syntax trees (IPython magics dropped; unparsable cells skipped)."""
    from normcourse.grading.worker import transform_cell

    out = []
    for src in cells:
        code = transform_cell(src)
        if code is None:
            continue
        try:
            out.append(ast.parse(code))
        except (SyntaxError, ValueError):
            continue
    return out


def _targets(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, (ast.Tuple, ast.List)):
        return [n for e in node.elts for n in _targets(e)]
    if isinstance(node, ast.Starred):
        return _targets(node.value)
    return []


def _bound_names(stmt: ast.stmt) -> list[str]:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [stmt.name]
    if isinstance(stmt, ast.Assign):
        return [n for t in stmt.targets for n in _targets(t)]
    if isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        return _targets(stmt.target)
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in stmt.names]
    if isinstance(stmt, (ast.For, ast.AsyncFor)):
        return _targets(stmt.target)
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return [n for it in stmt.items if it.optional_vars is not None
                for n in _targets(it.optional_vars)]
    return []


def _top_level(modules: list[ast.Module]) -> list[ast.stmt]:
    """Every statement at module level, compound statements' bodies included."""
    out: list[ast.stmt] = []

    def visit(body: list[ast.stmt]) -> None:
        for s in body:
            out.append(s)
            for attr in ("body", "orelse", "finalbody"):
                inner = getattr(s, attr, None)
                if isinstance(inner, list) and not isinstance(
                        s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    visit(inner)
            for h in getattr(s, "handlers", []) or []:
                visit(h.body)

    for m in modules:
        visit(m.body)
    return out


def _bindings(modules: list[ast.Module]) -> dict[str, list[ast.stmt]]:
    out: dict[str, list[ast.stmt]] = {}
    for s in _top_level(modules):
        for name in _bound_names(s):
            out.setdefault(name, []).append(s)
    return out


def _loads(stmt: ast.AST) -> set[str]:
    """The global names a statement loads: for a function, not its parameters or the
    names it assigns itself (``def ista(X, y): …`` does not reach a global ``X``)."""
    loads = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)
             and isinstance(n.ctx, ast.Load)}
    local: set[str] = set()
    for n in ast.walk(stmt):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = n.args
            local |= {x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs]}
            local |= {x.arg for x in (a.vararg, a.kwarg) if x is not None}
            if not isinstance(n, ast.Lambda):
                local |= {m.id for b in n.body for m in ast.walk(b)
                          if isinstance(m, ast.Name) and isinstance(m.ctx, ast.Store)}
                globs = {g for b in n.body for m in ast.walk(b) if isinstance(m, ast.Global)
                         for g in m.names}
                local -= globs
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return loads - local
    return loads


def reachable(modules: list[ast.Module], roots: Iterable[str]) -> list[ast.stmt]:
    """The top-level statements that the functions ``roots`` reach through the names they
    load, transitively, in notebook order (a root that is not defined reaches nothing)."""
    binds = _bindings(modules)
    seen_names: set[str] = set()
    seen: dict[int, ast.stmt] = {}
    todo = [r for r in roots if r in binds]
    while todo:
        name = todo.pop()
        if name in seen_names:
            continue
        seen_names.add(name)
        for s in binds.get(name, []):
            if id(s) in seen:
                continue
            seen[id(s)] = s
            # a compound statement's body is visited on its own: only its header counts
            todo += [n for n in _loads(_header(s)) if n in binds and n not in seen_names]
    order = {id(s): i for i, s in enumerate(_top_level(modules))}
    return sorted(seen.values(), key=lambda s: order[id(s)])


def _header(s: ast.stmt) -> ast.AST:
    if isinstance(s, (ast.For, ast.AsyncFor)):
        return s.iter
    if isinstance(s, (ast.With, ast.AsyncWith)):
        return ast.Tuple(elts=[i.context_expr for i in s.items], ctx=ast.Load())
    return s


def graded_source(cells: Iterable[str], functions: Iterable[str]) -> str:
    """The code the graded ``functions`` reach, as normalised Python text (no imports,
    no comments, docstrings dropped): what two students' answers are compared on."""
    modules = parse_cells(cells)
    parts = []
    for s in reachable(modules, functions):
        if isinstance(s, (ast.Import, ast.ImportFrom)):
            continue
        s = _strip_docstrings(s)
        parts.append(ast.unparse(s))
    return "\n\n".join(parts) + ("\n" if parts else "")


def _strip_docstrings(node: ast.stmt) -> ast.stmt:
    import copy

    node = copy.deepcopy(node)
    for n in ast.walk(node):
        body = getattr(n, "body", None)
        if (isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            n.body = body[1:] or [ast.Pass()]
    return node


# ====================================================================== resolving


@dataclass(frozen=True)
class _Instance:
    """An instance of a library class, as far as static reading can tell."""

    cls: type


def _is_library(obj: Any) -> bool:
    name = getattr(obj, "__name__", "") if isinstance(obj, types.ModuleType) else getattr(
        obj, "__module__", "") or ""
    return isinstance(name, str) and (name == PACKAGE or name.startswith(PACKAGE + "."))


def _import(name: str) -> Any:
    if not (name == PACKAGE or name.startswith(PACKAGE + ".")):
        return None
    try:
        return importlib.import_module(name)
    except Exception:  # a misspelt module in student code: nothing to resolve
        return None


def _getattr(obj: Any, attr: str) -> Any:
    if isinstance(obj, _Instance):
        obj = obj.cls
    if not _is_library(obj):
        return None
    if isinstance(obj, types.ModuleType):
        v = getattr(obj, attr, None)
        if v is None:
            v = _import(f"{obj.__name__}.{attr}")
        return v
    try:
        return inspect.getattr_static(obj, attr)
    except AttributeError:
        return None


def import_aliases(modules: list[ast.Module]) -> dict[str, Any]:
    """Names bound to library modules or objects by the notebook's import statements."""
    env: dict[str, Any] = {}
    for s in _top_level(modules) + [n for m in modules for n in ast.walk(m)
                                    if isinstance(n, (ast.Import, ast.ImportFrom))]:
        if isinstance(s, ast.Import):
            for a in s.names:
                mod = _import(a.name)
                if mod is None:
                    continue
                env[a.asname] = mod if a.asname else None
                if not a.asname:
                    env[a.name.split(".")[0]] = _import(a.name.split(".")[0])
            env = {k: v for k, v in env.items() if v is not None}
        elif isinstance(s, ast.ImportFrom) and s.module and not s.level:
            mod = _import(s.module)
            if mod is None:
                continue
            for a in s.names:
                v = _getattr(mod, a.name)
                if v is not None:
                    env[a.asname or a.name] = v
    return env


class Resolver:
    """Resolve expressions of a notebook to library objects (``None`` when not one)."""

    def __init__(self, env: Mapping[str, Any]) -> None:
        self.env = dict(env)

    def resolve(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Name):
            return self.env.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return None if base is None else _getattr(base, node.attr)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Subscript):
            return None
        return None

    def _call(self, node: ast.Call) -> Any:
        f = node.func
        const = [a.value for a in node.args if isinstance(a, ast.Constant)
                 and isinstance(a.value, str)]
        fname = f.id if isinstance(f, ast.Name) else f.attr if isinstance(
            f, ast.Attribute) else ""
        if fname in ("import_module", "__import__") and const:
            return _import(const[0])
        if fname == "getattr" and len(node.args) >= 2 and isinstance(
                node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
            base = self.resolve(node.args[0])
            return None if base is None else _getattr(base, node.args[1].value)
        target = self.resolve(f)
        if isinstance(target, type) and _is_library(target):
            return _Instance(target)
        return None

    def objects(self, nodes: Iterable[ast.AST]) -> list[tuple[Any, ast.AST]]:
        """Every library object the ``nodes`` name, with the node naming it."""
        found = []
        for root in nodes:
            for n in ast.walk(root):
                if isinstance(n, (ast.Name, ast.Attribute, ast.Call)):
                    obj = self.resolve(n)
                    if obj is not None and not isinstance(obj, (types.ModuleType, _Instance)):
                        found.append((obj, n))
                if isinstance(n, ast.ImportFrom) and n.module and not n.level:
                    mod = _import(n.module)
                    for a in n.names if mod is not None else ():
                        v = _getattr(mod, a.name)
                        if v is not None and not isinstance(v, types.ModuleType):
                            found.append((v, n))
        return found


# ====================================================================== functions


def _function(obj: Any) -> Any:
    """The plain function behind a library object (method, static/class method, property)."""
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        obj = obj.fget
    if isinstance(obj, types.MethodType):
        obj = obj.__func__
    return obj if isinstance(obj, types.FunctionType) else None


def qualified(obj: Any) -> str:
    """``module:qualname`` of a library function or class."""
    f = _function(obj) or obj
    return f"{f.__module__}:{f.__qualname__}"


def lookup(name: str) -> Any:
    """The library object named ``module:qualname``; ``ValueError`` when there is none."""
    mod_name, _, qual = name.partition(":")
    mod = _import(mod_name)
    if mod is None or not qual:
        raise ValueError(f"{name!r} is not a 'normcourse.<module>:<name>' of the library")
    obj: Any = mod
    for part in qual.split("."):
        nxt = (inspect.getattr_static(obj, part, None) if isinstance(obj, type)
               else getattr(obj, part, None))
        if nxt is None:
            raise ValueError(f"{name!r}: the library has no {part!r} there")
        obj = nxt
    return obj


def _neutral(f: Any) -> bool:
    mod = getattr(f, "__module__", "") or ""
    return any(mod == m or mod.startswith(m + ".") for m in NEUTRAL_MODULES)


def _codes(code: types.CodeType) -> Iterable[types.CodeType]:
    yield code
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            yield from _codes(c)


def closure(objects: Iterable[Any]) -> dict[str, types.FunctionType]:
    """The library functions that ``objects`` are or call, transitively, by qualified name.

    A function brings the library functions and classes its code names (globals of its
    module, and methods of its own class it calls through ``self``); a class brings the
    methods it defines itself (its dunder methods excepted: constructing an object is
    allowed). Functions of :data:`NEUTRAL_MODULES` are left out.
    """
    out: dict[str, types.FunctionType] = {}
    todo = list(objects)
    seen: set[int] = set()
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, type):
            if not _is_library(obj) or _neutral(obj):
                continue
            for k, v in vars(obj).items():
                if not (k.startswith("__") and k.endswith("__")) and _function(v) is not None:
                    todo.append(_function(v))
            continue
        f = _function(obj)
        if f is None or not _is_library(f) or _neutral(f):
            continue
        out[qualified(f)] = f
        owner = None
        if "." in f.__qualname__ and "<locals>" not in f.__qualname__:
            owner = f.__globals__.get(f.__qualname__.split(".")[0])
        for code in _codes(f.__code__):
            for name in code.co_names:
                g = f.__globals__.get(name)
                if g is not None and (isinstance(g, type) or _function(g) is not None):
                    todo.append(g)
                if isinstance(owner, type):
                    m = inspect.getattr_static(owner, name, None)
                    if _function(m) is not None:
                        todo.append(_function(m))
    return out


#: Tooling modules that are not part of the course's library (and import Sphinx, pytest…).
_TOOLING = ("normcourse.__main__", "normcourse.nbtest", "normcourse.sphinxext",
            "normcourse.student")


def library_modules() -> tuple[str, ...]:
    """The library's modules (neutral and tooling ones left out), found on disk without
    importing any: what ``forbid: [normcourse]`` forbids whole."""
    import normcourse

    root = Path(normcourse.__file__).resolve().parent
    out = []
    for f in sorted(root.rglob("*.py")):
        parts = f.relative_to(root).with_suffix("").parts
        name = ".".join((PACKAGE, *parts)).removesuffix(".__init__")
        if name in _TOOLING or any(name == m or name.startswith(m + ".")
                                   for m in NEUTRAL_MODULES):
            continue
        out.append(name)
    return tuple(out)


@dataclass(frozen=True)
class Forbidden:
    """What one graded function must not call: ``names`` (qualified ``module:qualname``,
    with the functions) and every function of ``modules``, except the ``allowed`` names
    (what the reference solution uses)."""

    names: Mapping[str, types.FunctionType]
    modules: tuple[str, ...] = ()
    allowed: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.names or self.modules)

    def covers(self, obj: Any) -> str | None:
        """The qualified name of ``obj`` when it is forbidden, else ``None``."""
        f = _function(obj) or obj
        if not (isinstance(f, type) or _function(f) is not None) or not _is_library(f):
            return None
        q = qualified(f)
        if q in self.names:
            return q
        dunder = f.__name__.startswith("__") and f.__name__.endswith("__")
        if f.__module__ in self.modules and q not in self.allowed and not dunder:
            return q
        return None

    def wire(self) -> dict[str, list[str]]:
        """The plain form the sandboxed worker arms (:class:`~normcourse.grading.worker`)."""
        return {"names": sorted(self.names), "modules": list(self.modules),
                "allowed": sorted(self.allowed)}


def reference_objects(expression: str, env: Mapping[str, Any]) -> list[Any]:
    """The library objects a spec's ``reference`` expression names."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return []
    return [o for o, _ in Resolver(env).objects([tree])]


def forbidden_for(seeds: Iterable[Any], allowed: Iterable[Any],
                  modules: Iterable[str] = ()) -> Forbidden:
    """The closure of ``seeds`` and the functions of ``modules``, minus the closure of
    ``allowed`` (what the reference uses)."""
    keep = closure(allowed)
    return Forbidden({k: v for k, v in closure(seeds).items() if k not in keep},
                     tuple(modules), frozenset(keep))


def library_uses(cells: Iterable[str], function: str, forbidden: Forbidden) -> list[str]:
    """The forbidden library functions (qualified names) that the code reached from
    ``function`` names, statically; empty for an honest answer."""
    return notebook_library_uses(cells, {function: forbidden})[function]


def notebook_library_uses(cells: Iterable[str],
                          forbidden: Mapping[str, Forbidden]) -> dict[str, list[str]]:
    """:func:`library_uses` for several graded functions of one notebook (parsed once)."""
    out: dict[str, list[str]] = {f: [] for f in forbidden}
    todo = [f for f, v in forbidden.items() if v]
    if not todo:
        return out
    modules = parse_cells(cells)
    aliases = import_aliases(modules)
    for function in todo:
        nodes = reachable(modules, [function])
        if not nodes:
            continue
        res = Resolver(aliases)
        for _ in range(2):  # assignments inside the reached code (``m = import_module(...)``)
            for root in nodes:
                for n in ast.walk(root):
                    if isinstance(n, (ast.Assign, ast.NamedExpr)):
                        value = res.resolve(n.value)
                        names = ([x for t in n.targets for x in _targets(t)]
                                 if isinstance(n, ast.Assign) else [n.target.id])
                        for name in names if value is not None else ():
                            res.env[name] = value
        for obj, _ in res.objects(nodes):
            q = forbidden[function].covers(obj)
            if q is not None and q not in out[function]:
                out[function].append(q)
    return out


def exercise_forbidden(spec: Any, nb: Any) -> dict[str, Forbidden]:
    """Per graded function of an exercise, the library functions its graded calls must not
    use: its ``reference`` (when that is a library expression) and its ``forbid`` names,
    with what they call from the library — minus everything the reference solution's own
    code (the solution blocks and the cells tagged ``setup``, with the notebook's imports)
    uses, and what that calls.

    ``ValueError`` names a ``forbid`` entry that is not in the library.
    """
    import textwrap

    from normcourse.grading import spec as sp

    cells = [c.source for c in nb.cells if c.cell_type == "code"]
    modules = parse_cells(cells)
    res = Resolver(import_aliases(modules))
    blocks = []  # the reference's own code: its solution blocks and the setup cells
    for c in nb.cells:
        if c.cell_type == "code" and "setup" in c.metadata.get("tags", []):
            blocks += parse_cells([c.source])
    for src in cells:
        for body in sp.solution_blocks(src):
            try:
                blocks.append(ast.parse(textwrap.dedent(body)))
            except SyntaxError:
                continue
    allowed = [o for o, _ in res.objects(blocks)]
    env = sp.input_namespace(*(f.reference for f in spec.functions.values()))
    out: dict[str, Forbidden] = {}
    for fname, fs in spec.functions.items():
        seeds = [] if fs.reference == "solution" else reference_objects(fs.reference, env)
        whole: tuple[str, ...] = ()
        for name in fs.forbid:
            if name == PACKAGE:
                whole = library_modules()
                continue
            try:
                seeds.append(lookup(name))
            except ValueError as exc:
                raise ValueError(f"{spec.source}: functions.{fname}.forbid: {exc}") from None
        out[fname] = forbidden_for(seeds, allowed, whole)
    return out
