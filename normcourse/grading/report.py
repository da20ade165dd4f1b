"""The class report of a grading run: ``report.md`` and ``report.png`` in the output folder.

For the instructor, not the students: the distribution of scores, the pass rate of every
check (a check almost nobody passes is a hard question or a broken one), the most common
reasons a check failed, and the submissions that had problems (to look at by hand).
"""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any

TOP_REASONS = 3


def _g(x: float) -> str:
    return f"{x:g}"


def class_report(results: list[Any], exercises: dict, figure: str | None = "report.png") -> str:
    """The report as Markdown (``figure``: the histogram's file name, or None)."""
    n = len(results)
    top = sum(ex.spec.max_points for ex in exercises.values())
    totals = sorted(r.total for r in results)
    out = [f"# Class report: {', '.join(exercises)}", ""]
    if not n:
        return "\n".join([*out, "No submission was graded.", ""])
    mean = sum(totals) / n
    median = totals[n // 2] if n % 2 else (totals[n // 2 - 1] + totals[n // 2]) / 2
    full = sum(1 for t in totals if t >= top - 1e-9)
    out += [f"{n} submission(s), {_g(top)} points possible: mean {mean:.1f}, median "
            f"{_g(median)}, lowest {_g(totals[0])}, highest {_g(totals[-1])}; {full} with "
            f"full marks.", ""]
    if figure:
        out += [f"![score histogram]({figure})", ""]
    out += ["## Checks", "",
            "| check | visibility | points | passed | most common reasons for failing |",
            "|---|---|---|---|---|"]
    for ex_id, ex in exercises.items():
        for t in ex.tasks:
            key = f"{ex_id}/{t.check.name}"
            items = [r.items[key] for r in results if key in r.items]
            passed = sum(1 for it in items if it.passed)
            reasons = collections.Counter(it.reason or "failed" for it in items if not it.passed)
            why = "; ".join(f"{_esc(msg)} ({k})" for msg, k in reasons.most_common(TOP_REASONS))
            out.append(f"| {key} | {t.check.visibility} | {_g(t.check.points)} | "
                       f"{passed}/{len(items)} ({100 * passed / max(len(items), 1):.0f} %) | "
                       f"{why} |")
    bad = [r for r in results if r.problems]
    out += ["", f"## Submissions with problems ({len(bad)})", ""]
    if not bad:
        out.append("None.")
    for r in bad:
        more = f" (+{len(r.problems) - 1} more)" if len(r.problems) > 1 else ""
        out.append(f"- **{_esc(r.student)}** ({_g(r.total)} / {_g(top)}): "
                   f"{_esc(r.problems[0])[:300]}{more}")
    out.append("")
    return "\n".join(out)


def _esc(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def warm_up() -> None:
    """Import matplotlib (Agg) ahead of time: the grader does it while the sandboxed
    workers run, so the report costs no start-up at the end."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot


def score_histogram(results: list[Any], exercises: dict, path: Path) -> None:
    """A histogram of the total scores, saved as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top = sum(ex.spec.max_points for ex in exercises.values())
    fig, ax = plt.subplots(figsize=(6, 3))
    bins = min(20, max(int(top), 1))
    ax.hist([r.total for r in results], bins=bins, range=(0, top), color="tab:blue",
            edgecolor="white")
    ax.set_xlabel(f"total score (of {_g(top)})")
    ax.set_ylabel("submissions")
    ax.set_title(f"{len(results)} submission(s): {', '.join(exercises)}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_report(out: Path, results: list[Any], exercises: dict) -> Path:
    """Write ``report.md`` and ``report.png`` into ``out``; return the Markdown's path."""
    from normcourse.grading.grader import atomic_write

    score_histogram(results, exercises, out / "report.png")
    path = out / "report.md"
    atomic_write(path, class_report(results, exercises))
    return path
