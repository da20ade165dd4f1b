"""Command line: ``normcourse release``, ``grade`` and ``audit`` (also ``python -m normcourse``).

Exit codes
----------
0  success (``grade``: every submission graded without problems; ``release --check``:
   the generated files are up to date; ``audit``: every rule holds)
1  ``audit``: a rule is broken (see its report); ``grade``: at least one submission had
   a problem (unreadable or unidentified notebook, a cell or check that crashed, hung or
   hit a limit — see the ``notes`` column of ``grades.csv``);
   ``release --check``: generated files are out of date
2  usage error: bad arguments, missing folders, an invalid exercise spec; ``grade``: the
   preflight failed (a reference solution does not earn full marks in the sandbox, e.g.
   because the worker cannot import normcourse) — no student was graded
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# jsonschema (imported by nbformat, under jupytext) builds an IRI grammar when the optional
# rfc3987-syntax package is installed, which takes about a second at every start; notebooks
# have no IRI-format fields, so this command never needs it.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

EPILOG = """\
exit codes: 0 ok; 1 some submissions had problems (grade) or generated files are stale
(release --check); 2 usage error (bad arguments, missing folders, invalid spec) or a
failed preflight (a reference solution does not earn full marks in the sandbox)."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="normcourse",
        description="Release exercises from solutions/ and grade student submissions.",
        epilog=EPILOG,
    )
    sub = p.add_subparsers(dest="command", required=True,
                           metavar="{new-exercise,release,grade,audit,autograder}")
    n = sub.add_parser(
        "new-exercise",
        help="write solutions/<ID>.md: a complete, working exercise to edit into yours",
        epilog=EPILOG,
    )
    n.add_argument("id", metavar="ID", help="the exercise id, e.g. ex-ridge-svd")
    n.add_argument("--title", default=None, help="one-line title (default: from the id)")
    n.add_argument("--page", default="principles/l2-and-capacity",
                   help="the book page it practises (default: principles/l2-and-capacity)")
    n.add_argument("--solutions", type=Path, default=Path("solutions"),
                   help="folder of solution notebooks (default: ./solutions)")
    r = sub.add_parser(
        "release",
        help="generate exercises/, book/practice/ pages and the public checks from solutions/",
        epilog=EPILOG,
    )
    r.add_argument("--root", type=Path, default=Path("."), help="project root (default: .)")
    r.add_argument("--solutions", type=Path, default=None,
                   help="folder of solution notebooks, may be outside the project, e.g. a "
                        "private repository (default: ROOT/solutions)")
    r.add_argument("--only", nargs="+", metavar="ID",
                   help="render just these exercises (not the practice index)")
    r.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if the generated files are out of date")
    g = sub.add_parser(
        "grade",
        help="grade a folder of submissions (one folder or file per student)",
        epilog=EPILOG,
    )
    g.add_argument("submissions", type=Path, help="folder with one sub-folder or file per student")
    g.add_argument("--out", type=Path, required=True,
                   help="output folder: grades.csv, <student>/feedback.md, <student>/results.json")
    g.add_argument("--solutions", type=Path, default=Path("solutions"),
                   help="folder of solution notebooks (default: ./solutions)")
    g.add_argument("--exercise", action="append", metavar="ID", dest="exercises",
                   help="grade only this exercise (repeatable): the run is one assignment, "
                        "and its gradebook and feedback mention no other exercise")
    g.add_argument("--secret", default=None,
                   help="grading secret: hidden checks draw their inputs from it (default: "
                        "$NORMCOURSE_GRADING_SECRET, else none — the published inputs, "
                        "fine for self-study, not for credit)")
    g.add_argument("--roster", type=Path, default=None,
                   help="class roster: a Canvas gradebook export, a Moodle grading worksheet "
                        "or a CSV with an 'id' column; maps submissions to students and "
                        "writes grades-<format>.csv for the LMS")
    g.add_argument("--format", choices=("canvas", "moodle", "plain"), default=None,
                   dest="lms_format", help="LMS file to write (default: the roster's kind)")
    g.add_argument("--assignment", default=None,
                   help="name of the score column in the LMS file (Canvas matches it to an "
                        "existing assignment, e.g. 'Ridge via the SVD (12345)')")
    g.add_argument("--similarity", action="store_true",
                   help="also write similarity.html/.csv: the most alike pairs of graded code "
                        "per exercise, and copies of the reference or of the library")
    g.add_argument("--no-preflight", action="store_true",
                   help="skip grading the reference solutions first (not recommended)")
    g.add_argument("--jobs", "-j", type=int, default=1, help="submissions graded in parallel")
    g.add_argument("--timeout", type=float, default=10.0,
                   help="wall-clock seconds per check (default: 10)")
    g.add_argument("--cell-timeout", type=float, default=30.0,
                   help="wall-clock seconds per notebook cell (default: 30)")
    g.add_argument("--budget", type=float, default=300.0,
                   help="wall-clock seconds per notebook, restarts included (default: 300)")
    g.add_argument("--memory-mb", type=int, default=1024,
                   help="address-space limit of a worker in MB (default: 1024)")
    g.add_argument("--sandbox", choices=("auto", "bwrap", "rlimits"), default="auto",
                   help="isolation: bubblewrap if available (auto), or rlimits only")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    a = sub.add_parser(
        "audit",
        help="grade each exercise's reference and declared mistakes; exit 1 on a rule break",
        epilog="exit codes: 0 every rule holds; 1 a rule is broken; 2 usage error.",
    )
    a.add_argument("ids", nargs="*", metavar="ID", help="exercise ids (default: all)")
    a.add_argument("--solutions", type=Path, default=Path("solutions"),
                   help="folder of solution notebooks (default: ./solutions)")
    a.add_argument("--jobs", "-j", type=int, default=2, help="notebooks graded in parallel")
    a.add_argument("--sandbox", choices=("auto", "bwrap", "rlimits"), default="auto")
    a.add_argument("--no-progress", action="store_true", help="no progress bar")
    z = sub.add_parser(
        "autograder",
        help="build a Gradescope autograder zip that grades one assignment with this grader",
        epilog="Upload the zip as the assignment's autograder; Gradescope runs setup.sh once "
               "and run_autograder per submission (one container each). exit codes: 0 "
               "written; 2 usage error.",
    )
    z.add_argument("--exercise", action="append", metavar="ID", dest="exercises",
                   required=True, help="an exercise of the assignment (repeat for several)")
    z.add_argument("--out", type=Path, required=True, help="the zip to write (…/autograder.zip)")
    z.add_argument("--solutions", type=Path, default=Path("solutions"),
                   help="folder of solution notebooks (default: ./solutions)")
    z.add_argument("--secret", default=None,
                   help="grading secret bundled for the hidden checks (default: "
                        "$NORMCOURSE_GRADING_SECRET, else none)")
    z.add_argument("--timeout", type=float, default=10.0, help="seconds per check")
    z.add_argument("--cell-timeout", type=float, default=30.0, help="seconds per cell")
    z.add_argument("--memory-mb", type=int, default=1024, help="worker memory limit in MB")
    return p


def _autograder(args: argparse.Namespace) -> int:
    import os

    from normcourse.grading import autograder, sandbox, spec

    secret = args.secret if args.secret is not None else os.environ.get(spec.SECRET_ENV)
    limits = sandbox.Limits(timeout=args.timeout, cell_timeout=args.cell_timeout,
                            memory_mb=args.memory_mb)
    out = autograder.build_zip(args.exercises, args.out, args.solutions, secret or None, limits)
    print(f"wrote {out}: upload it as the Gradescope autograder of {', '.join(args.exercises)}"
          + ("" if secret else " (no grading secret: hidden inputs follow the public seeds)"))
    return 0


def _audit(args: argparse.Namespace) -> int:
    from normcourse.grading import audit

    run = audit.audit(args.solutions, args.ids or None, jobs=args.jobs, sandbox=args.sandbox,
                      progress=not args.no_progress)
    print(audit.report(run))
    return 1 if run.violations else 0


def _release(args: argparse.Namespace) -> int:
    from normcourse.grading import release

    root = args.root.resolve()
    layout = release.Layout(root, str(args.solutions.resolve()) if args.solutions else
                            "solutions")
    if args.check:
        stale = release.out_of_sync(layout, set(args.only) if args.only else None)
        for p in stale:
            print(f"out of date: {p.relative_to(layout.root)}")
        if stale:
            print("run `make exercises` (normcourse release) and commit the result")
            return 1
        print("generated exercise files are up to date")
        return 0
    changed = release.write(layout, set(args.only) if args.only else None)
    for p in changed:
        print(f"wrote {p.relative_to(layout.root)}")
    print(f"release: {len(changed)} file(s) changed")
    return 0


def _new_exercise(args: argparse.Namespace) -> int:
    from normcourse.grading.scaffold import new_exercise

    path = new_exercise(args.id, args.solutions, args.title, args.page)
    print(f"wrote {path}: a complete exercise (statement, solution, checks, mistakes).\n"
          f"Next: edit it (the format: AUTHORING.md), then\n"
          f"  make exercises                 # release: exercises/, book/practice/, _toc.yml\n"
          f"  normcourse audit {args.id}    # do the checks catch the declared mistakes?\n"
          f"  make grade SUBMISSIONS=... EXERCISES={args.id}")
    return 0


def _grade(args: argparse.Namespace) -> int:
    from normcourse.grading import grader, sandbox

    limits = sandbox.Limits(
        timeout=args.timeout,
        cell_timeout=args.cell_timeout,
        budget=args.budget,
        memory_mb=args.memory_mb,
    )
    run = grader.grade(
        args.submissions,
        args.out,
        args.solutions,
        jobs=args.jobs,
        limits=limits,
        sandbox=args.sandbox,
        progress=not args.no_progress,
        exercise_ids=args.exercises,
        secret=args.secret,
        preflight=not args.no_preflight,
        roster=args.roster,
        lms_format=args.lms_format,
        assignment=args.assignment,
        similarity=args.similarity,
    )
    n = len(run.results)
    bad = sum(1 for r in run.results if r.problems)
    print(f"graded {n} submission(s) in {run.seconds:.1f} s; {bad} with problems")
    if run.reused:
        print(f"{run.reused} of them unchanged since the last run into {run.out}: results "
              f"reused, not run again")
    if len(run.gradebook) > n:
        print(f"kept {len(run.gradebook) - n} row(s) of earlier runs (students not in "
              f"{args.submissions})")
    print(f"sandbox: {run.sandbox}")
    print(f"gradebook: {run.out / 'grades.csv'}; class report: {run.out / 'report.md'}")
    if run.lms is not None:
        print(f"LMS import file: {run.lms}")
    if run.similarity is not None:
        flagged = run.similarity.flagged
        print(f"similarity: {len(flagged)} flagged pair(s) in {run.similarity.html} "
              f"(all pairs: {run.similarity.csv})")
    if run.unmatched:
        print(f"{len(run.unmatched)} submission(s) match no roster entry (graded, listed in "
              f"grades.csv, not in the LMS file): {', '.join(run.unmatched)}")
    return run.exit_code


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0, 1 or 2, see the module docstring)."""
    parser = _parser()
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    try:
        if args.command == "release":
            return _release(args)
        if args.command == "new-exercise":
            return _new_exercise(args)
        if args.command == "audit":
            return _audit(args)
        if args.command == "autograder":
            return _autograder(args)
        return _grade(args)
    except ValueError as exc:
        print(f"normcourse {args.command}: error: {exc}", file=sys.stderr)
        return 2


def cli() -> None:
    """The ``normcourse`` command: :func:`main`, then exit with its code."""
    import gc

    code = main()
    # The interpreter's last garbage collection walks every object of the modules a grading
    # run imports (about 0.15 s); the process is ending, so none of them needs collecting.
    gc.freeze()
    raise SystemExit(code)


if __name__ == "__main__":
    cli()
