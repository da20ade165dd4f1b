"""Graded exercises: student self-check, release of exercises, sandboxed grading.

Student side (inside a notebook)::

    from normcourse.grading import check
    check("ex-soft-threshold")       # public checks only, with points and hints

Instructor side (command line)::

    normcourse release                               # solutions/ → exercises/, book pages
    normcourse grade SUBMISSIONS --out grading-out   # gradebook, feedback, results.json
    normcourse grade … --similarity                  # + similarity.html / .csv
    normcourse autograder --exercise ID --out autograder.zip   # for Gradescope

Modules: :mod:`~normcourse.grading.spec` (the exercise spec), :mod:`~.compare`
(comparators), :mod:`~.wire` (the data allowed across the sandbox boundary),
:mod:`~.selfcheck` (``check``), :mod:`~.release`, :mod:`~.sandbox` (isolation and one
notebook's run), :mod:`~.workers` (starting workers: one process each, or forked by the
zygote, ahead of time; ending them in the background) and :mod:`~.worker` (the untrusted
side, and the zygote), :mod:`~.codescan` (what graded code reaches; delegation to the
library), :mod:`~.intake` (reading submissions), :mod:`~.grader`, :mod:`~.feedback`,
:mod:`~.similarity`, :mod:`~.autograder` (Gradescope). Hidden checks are never part of
this package: they live in the instructor's ``solutions/`` folder, which only the grader
reads.

Importing this package is cheap (no numpy): the sandboxed worker imports it too.
"""

from __future__ import annotations

from typing import Any

__all__ = ["check"]


def __getattr__(name: str) -> Any:
    if name == "check":
        from normcourse.grading.selfcheck import check

        return check
    raise AttributeError(f"module 'normcourse.grading' has no attribute {name!r}")
