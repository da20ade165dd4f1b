"""The library's shape, checked: small modules, private names that stay home, and consumers
that talk to penalties only through the Penalty interface."""

from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1] / "normcourse"
PENALTY_CLASSES = {"L1", "L2", "ElasticNet", "GroupL21", "L2SP", "EWC", "MCP"}


def _modules() -> list[pathlib.Path]:
    return sorted(ROOT.rglob("*.py"))


def _rel(path: pathlib.Path) -> str:
    return path.relative_to(ROOT.parent).as_posix()


def test_no_module_over_700_lines() -> None:
    long = {_rel(p): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 700}
    assert long == {}


def _private_uses(tree: ast.AST) -> list[str]:
    """``from normcourse.x import _y`` and ``module._y`` for an imported normcourse module."""
    found: list[str] = []
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and (
            node.module.startswith("normcourse") or node.level
        ):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"from {node.module or '.'} import {alias.name}")
                else:
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("normcourse"):
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and not node.attr.startswith("__") and isinstance(node.value, ast.Name)
                and node.value.id in modules):
            found.append(f"{node.value.id}.{node.attr}")
    return found


def test_no_private_name_used_outside_its_module() -> None:
    bad = {}
    for p in _modules():
        uses = _private_uses(ast.parse(p.read_text(encoding="utf-8")))
        if uses:
            bad[_rel(p)] = uses
    assert bad == {}


def test_private_name_check_catches_the_old_violations() -> None:
    old = (
        "from normcourse.solvers import _XLogistic\n"
        "from normcourse import plotting\n"
        "lo, hi = plotting._scheme_extent(pts)\n"
    )
    assert _private_uses(ast.parse(old)) == [
        "from normcourse.solvers import _XLogistic", "plotting._scheme_extent"]


def _penalty_type_checks(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in ("isinstance", "issubclass") and len(node.args) == 2:
            names = {n.id if isinstance(n, ast.Name) else getattr(n, "attr", "")
                     for n in ast.walk(node.args[1])}
            hit = names & PENALTY_CLASSES
            if hit:
                found.append(f"line {node.lineno}: {sorted(hit)}")
    return found


def test_no_isinstance_on_penalty_classes_outside_penalties() -> None:
    bad = {}
    for p in _modules():
        if p.name in ("penalties.py", "model_penalties.py"):
            continue
        hits = _penalty_type_checks(ast.parse(p.read_text(encoding="utf-8")))
        if hits:
            bad[_rel(p)] = hits
    assert bad == {}
    assert _penalty_type_checks(ast.parse("isinstance(pen, L1 | ElasticNet)"))  # it can fail
