"""What must never reach students: the one list both the release and the book tests scan for.

A *secret* is a whole solution block, a distinctive line (≥ 25 characters) of a solution
block or of a ``solution-only`` cell, a hidden check's name, and a hidden check's inputs
and call when they hold literals (seeds, sizes, values). Not secret, by design: text any
student notebook or book page shows, the inputs and calls of public checks (they ship in
the public JSON), and expressions without literals (``np.hstack([Z, Z])``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from normcourse.grading import release, spec

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"


def norm(text: str) -> str:
    """Whitespace collapsed, so that line wrapping cannot hide a match."""
    return re.sub(r"\s+", " ", text).strip()


def has_number(expr: str) -> bool:
    """True when a spec expression holds a numeric literal (a seed, a size, a value)."""
    return any(isinstance(n, ast.Constant) and isinstance(n.value, int | float)
               and not isinstance(n.value, bool) for n in ast.walk(ast.parse(expr.strip())))


def _public_text() -> str:
    """Book pages outside the practice part and every student-visible exercise cell."""
    parts = [p.read_text(encoding="utf-8") for p in (ROOT / "book").rglob("*.md")
             if "practice" not in p.parts]
    for path in sorted(SOLUTIONS.glob("*.md")):
        for c in spec.load_solution(path)[1].cells:
            if "solution-only" not in c.metadata.get("tags", []):
                parts.append(release.stub_source(c.source) if c.cell_type == "code" else c.source)
    return norm(" ".join(parts))


def secrets(solution_code: bool = True) -> list[str]:
    """Every secret of ``solutions/`` (without ``solution_code``: hidden checks only)."""
    public = _public_text()
    loaded = [spec.load_solution(p) for p in sorted(SOLUTIONS.glob("*.md"))]
    # the inputs and calls of public checks, of any exercise, ship in the public JSON
    shown = " | ".join(norm(e) for ex, _ in loaded for c in ex.public for _, e in c.let)
    calls = " | ".join(norm(c.call) for ex, _ in loaded for c in ex.public)
    out: list[str] = []
    for ex, nb in loaded:
        for cell in nb.cells if solution_code else []:
            blocks = spec.solution_blocks(cell.source) if cell.cell_type == "code" else []
            if "solution-only" in cell.metadata.get("tags", []):
                blocks.append(cell.source)
            for block in blocks:
                out.append(norm(block))
                out += [norm(ln) for ln in block.splitlines()
                        if len(ln.strip()) >= 25 and norm(ln) not in public]
        for c in ex.hidden:
            out += [c.name, *(norm(e) for _, e in c.let if norm(e) not in shown and has_number(e))]
            if any(has_number(e) for _, e in c.args) and norm(c.call) not in calls:
                out.append(norm(c.call))
    return sorted(set(out))
