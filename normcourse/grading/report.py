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


class Histogram:
    """``report.png`` drawn by a process of its own, started when grading starts.

    Importing matplotlib costs about 0.4 s of CPU. In the grader's process it would compete
    with the threads that drive the sandboxed workers for one interpreter lock; in a
    process of its own (lowered priority) it runs on whatever CPU time the workers leave,
    and the drawing waits only for the scores. :meth:`draw` falls back to drawing here.
    """

    def __init__(self) -> None:
        import subprocess
        import sys

        try:
            self.proc: Any = subprocess.Popen(
                [sys.executable, "-m", "normcourse.grading.report"], stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError:
            self.proc = None

    def draw(self, totals: list[float], top: float, title: str, path: Path) -> None:
        """Draw the histogram into ``path`` (in the process, else here)."""
        import json

        if self.proc is not None:
            try:
                self.proc.communicate(
                    json.dumps({"totals": totals, "top": top, "title": title,
                                "path": str(path)}).encode(), timeout=120)
                if self.proc.returncode == 0 and path.is_file():
                    return
            except Exception:  # drawn here instead
                self.proc.kill()
            self.proc = None
        histogram(totals, top, title, path)

    def close(self) -> None:
        """Stop the process without drawing (a run that ended early)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def histogram(totals: list[float], top: float, title: str, path: Any) -> None:
    """A histogram of the total scores (``top``: the points possible), saved as PNG
    (``path``: a file name or a binary file object)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3))
    bins = min(20, max(int(top), 1))
    ax.hist(totals, bins=bins, range=(0, top), color="tab:blue", edgecolor="white")
    ax.set_xlabel(f"total score (of {_g(top)})")
    ax.set_ylabel("submissions")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _histogram_process() -> None:
    """``python -m normcourse.grading.report``: import matplotlib, then draw what arrives
    on stdin (``{"totals", "top", "title", "path"}``)."""
    import json
    import os
    import sys

    os.nice(10)
    import matplotlib

    matplotlib.use("Agg")
    import io

    histogram([0.0, 1.0], 1.0, "warm-up", io.BytesIO())  # fonts, renderer: paid ahead too
    job = json.loads(sys.stdin.buffer.read() or b"null")
    if job is not None:
        histogram([float(t) for t in job["totals"]], float(job["top"]), str(job["title"]),
                  Path(job["path"]))
    sys.stdout.flush()
    os._exit(0)  # skips the interpreter's final garbage collection


def write_report(out: Path, results: list[Any], exercises: dict,
                 drawer: Histogram | None = None) -> Path:
    """Write ``report.md`` and ``report.png`` into ``out``; return the Markdown's path
    (``drawer``: a :class:`Histogram` started earlier, else the figure is drawn here)."""
    from normcourse.grading.grader import atomic_write

    top = sum(ex.spec.max_points for ex in exercises.values())
    totals = [r.total for r in results]
    title = f"{len(results)} submission(s): {', '.join(exercises)}"
    if drawer is not None:
        drawer.draw(totals, top, title, out / "report.png")
    else:
        histogram(totals, top, title, out / "report.png")
    path = out / "report.md"
    atomic_write(path, class_report(results, exercises))
    return path


if __name__ == "__main__":
    _histogram_process()
