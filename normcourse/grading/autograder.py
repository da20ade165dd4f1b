"""A Gradescope autograder: :func:`build_zip` writes the zip, :func:`run` grades one submission.

The zip written by :func:`build_zip` (everything at its root, as Gradescope requires)::

    setup.sh              run once, as root, when Gradescope builds the image: python3.11,
                          bubblewrap, the venv /autograder/venv with this package installed
                          (torch from the CPU wheel index first, then ``source[grade]``)
    run_autograder        run once per submission: execs ``python -m
                          normcourse.grading.autograder run --root /autograder``
    source/               the pip-installable package and the assignment
      pyproject.toml, README.md
      normcourse/...      the package source (with grading/public/*.json; no tests, no
                          book, no caches)
      solutions/<id>.md   the chosen exercises' solution notebooks only (hidden checks)
      autograder.json     exercise ids, limits and the list of checks (see CONFIG)
      secret              the grading secret, mode 0600 (only when one is given)

Gradescope unpacks the zip into ``/autograder/source`` and copies ``run_autograder`` to
``/autograder``, so at grading time (as root, working directory ``/autograder``)::

    /autograder/run_autograder          the script above
    /autograder/source/setup.sh         (already run)
    /autograder/source/source/...       the bundle: package source, solutions, config, secret
    /autograder/venv/                   made by setup.sh
    /autograder/submission/             the student's files (.ipynb/.md, sub-folders allowed)
    /autograder/results/results.json    written by :func:`run`; ``results/stdout`` is the log

:func:`run` makes ``source/`` and ``results/`` root-only, copies the submission (regular
files only: no symbolic links) into a private temporary folder as *one* student, grades it
with :func:`normcourse.grading.grader.grade` (bundled solutions and secret, one job, no
preflight), kills whatever the student code left running, and writes ``results.json`` from
the grader's own result — never from a file student code could have reached. The top-level
``output`` starts with the isolation that ran (bubblewrap, or the fallback to resource
limits, and why). A score-0 ``results.json`` saying why is written first and whenever
anything fails, so a crash never leaves Gradescope without results.

Root-only permissions keep the bundle and the results from student code that runs as
another user (with bubblewrap as root every worker has its own uid, and the bundle is not
even mounted); student code that runs as root in the rlimits fallback can reach anything on
disk, which is why the output says so plainly.

Environment: ``AUTOGRADER_ROOT`` (default ``/autograder``) and
``NORMCOURSE_AUTOGRADER_PYTHON`` (default ``$ROOT/venv/bin/python``) for ``run_autograder``;
``NORMCOURSE_SANDBOX`` = ``auto`` (default) | ``bwrap`` | ``rlimits`` forces the isolation.

Command line::

    python -m normcourse.grading.autograder build --exercise ID [--exercise ID ...]
        --out autograder.zip [--solutions DIR] [--secret S] [--timeout S]
        [--cell-timeout S] [--budget S] [--memory-mb MB]
    python -m normcourse.grading.autograder run [--root ROOT]
    python -m normcourse.grading.autograder check     # which isolation works here
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import logging
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from normcourse.grading import grader
from normcourse.grading import sandbox as sb
from normcourse.grading import spec as sp
from normcourse.grading.sandbox import Limits

log = logging.getLogger(__name__)

ROOT_ENV = "AUTOGRADER_ROOT"
PYTHON_ENV = "NORMCOURSE_AUTOGRADER_PYTHON"
SANDBOX_ENV = "NORMCOURSE_SANDBOX"
DEFAULT_ROOT = "/autograder"
BUNDLE = "source"  # the folder of the zip (so /autograder/source/source on Gradescope)
CONFIG = "autograder.json"
SECRET_FILE = "secret"
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
MAX_SUBMISSION_BYTES = 50 << 20  # what is copied of /autograder/submission
FORMAT = 1
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same inputs give the same zip


class AutograderError(Exception):
    """A failure whose message is safe to show students (no paths, no hidden checks)."""


# ====================================================================== the zip


def _project_root() -> Path:
    """The source checkout this package was imported from (its pyproject.toml is needed)."""
    import normcourse

    root = Path(normcourse.__file__).resolve().parent.parent
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file() or not re.search(
        r'^name\s*=\s*"normcourse"', pyproject.read_text(encoding="utf-8"), re.M
    ):
        raise ValueError(
            f"building the autograder needs the normcourse source checkout (pyproject.toml "
            f"next to the package); {root} has none — run it from a clone of the repository"
        )
    if not (root / "README.md").is_file():
        raise ValueError(f"{root / 'README.md'} is missing (pyproject.toml's readme)")
    return root


def _torch_requirement(pyproject: Path) -> str:
    """The torch pin of the package's base dependencies (installed from the CPU index)."""
    import tomllib

    deps = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    for dep in deps:
        if re.match(r"^torch\s*(==|$)", dep):
            return dep.replace(" ", "")
    raise ValueError(f"{pyproject}: no exact torch pin (torch==X.Y.Z) in the dependencies")


def _package_files(project: Path) -> list[Path]:
    """The package's files to bundle, relative to ``project`` (no caches, no hidden files)."""
    out = []
    pkg = project / "normcourse"
    for dirpath, dirnames, filenames in os.walk(pkg):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and d != "__pycache__" and not d.endswith(".egg-info")
                             and d not in ("tests", "_build"))
        for name in sorted(filenames):
            if name.startswith(".") or name.endswith((".pyc", ".pyo")):
                continue
            p = Path(dirpath) / name
            if p.is_file() and not p.is_symlink():
                out.append(p.relative_to(project))
    return out


def _check_ids(exercise_ids: Sequence[str]) -> list[str]:
    if isinstance(exercise_ids, str | bytes):
        raise ValueError(
            f"exercise_ids must be a list of exercise ids, not one string ({exercise_ids!r}); "
            f"pass [{exercise_ids!r}]"
        )
    ids = list(exercise_ids)
    if not ids:
        raise ValueError("no exercise ids: the autograder needs at least one exercise")
    bad = [i for i in ids if not isinstance(i, str) or not i.strip()]
    if bad:
        raise ValueError(f"exercise ids must be non-empty strings, got {bad!r}")
    return list(dict.fromkeys(ids))


def _checks_config(exercises: dict[str, grader.Exercise]) -> list[dict[str, Any]]:
    """Per exercise, its checks' names, points and visibility (for a score-0 result)."""
    return [{
        "id": ex.id,
        "title": ex.spec.title,
        "max_points": ex.spec.max_points,
        "checks": [{"name": c.name, "points": float(c.points), "visibility": c.visibility}
                   for c in ex.spec.checks],
    } for ex in exercises.values()]


def _setup_sh(torch_req: str) -> str:
    return f"""#!/usr/bin/env bash
# normcourse autograder: Gradescope runs this once, as root, when it builds the image.
# It installs python3.11 (the image's own, else the deadsnakes PPA) and bubblewrap, makes
# the venv $ROOT/venv and installs the bundled normcourse with its `grade` extra; torch
# comes from the CPU wheel index first, so pip never pulls a CUDA build.
set -euo pipefail
HERE="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
ROOT="${{{ROOT_ENV}:-{DEFAULT_ROOT}}}"
export DEBIAN_FRONTEND=noninteractive PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

apt-get update
apt-get install -y --no-install-recommends bubblewrap ca-certificates

py311_ok() {{ command -v python3.11 >/dev/null 2>&1 && python3.11 -c 'import ensurepip, venv'; }}
candidate() {{ apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p'; }}
if ! py311_ok; then
  own="$(candidate python3.11-venv)"
  if [ -n "$own" ] && [ "$own" != "(none)" ] && [[ "$own" != *rc* ]]; then
    apt-get install -y --no-install-recommends python3.11 python3.11-venv
  else
    apt-get install -y --no-install-recommends software-properties-common gpg-agent
    if add-apt-repository -y ppa:deadsnakes/ppa && apt-get update; then
      apt-get install -y --no-install-recommends python3.11 python3.11-venv
    elif [ -n "$own" ] && [ "$own" != "(none)" ]; then  # a release candidate, but 3.11
      apt-get install -y --no-install-recommends python3.11 python3.11-venv
    fi
  fi
fi
py311_ok || {{ echo "setup.sh: could not install python3.11" >&2; exit 1; }}

python3.11 -m venv "$ROOT/venv"
VPY="$ROOT/venv/bin/python"
"$VPY" -m pip install --upgrade pip setuptools wheel
"$VPY" -m pip install --index-url {TORCH_INDEX} "{torch_req}"
"$VPY" -m pip install "$HERE/{BUNDLE}[grade]"
"$VPY" -c "import jupytext, torch, normcourse.grading.autograder; print('torch', torch.__version__)"
"$VPY" -m normcourse.grading.autograder check || true

# Student code must not read the solutions or the secret: the bundle is root-only.
chmod -R go-rwx "$HERE"
"""


def _run_autograder() -> str:
    fallback = json.dumps({
        "score": 0.0,
        "execution_time": 0,
        "output": "Not graded (score 0): the autograder did not finish — it could not start "
                  "or was stopped (for example by the time limit). Please tell your "
                  "instructor; the autograder log has the details.",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
    })
    return f"""#!/usr/bin/env bash
# normcourse autograder: Gradescope runs this once per submission (as root, in /autograder).
set -u
ROOT="${{{ROOT_ENV}:-{DEFAULT_ROOT}}}"
PY="${{{PYTHON_ENV}:-$ROOT/venv/bin/python}}"
mkdir -p "$ROOT/results"
chmod 0700 "$ROOT/results" 2>/dev/null || true
# A score-0 result first: the grader replaces it, but if it cannot even start, Gradescope
# still gets a results.json that says so.
cat > "$ROOT/results/results.json" <<'EOF'
{fallback}
EOF
cd "$ROOT" || exit 1
exec "$PY" -I -m normcourse.grading.autograder run --root "$ROOT"
"""


def build_zip(
    exercise_ids: Sequence[str],
    out: Path,
    solutions: Path = Path("solutions"),
    secret: str | None = None,
    limits: Limits | None = None,
) -> Path:
    """Write the Gradescope autograder zip for ``exercise_ids`` to ``out``; return ``out``.

    ``ValueError`` for bad arguments: no or unknown exercise ids (the message names the
    known ones), ``out`` not a ``.zip`` path, a missing solutions folder, an empty secret,
    an invalid exercise spec. Nothing is written then.
    """
    ids = _check_ids(exercise_ids)
    out = Path(out)
    if out.suffix.lower() != ".zip":
        raise ValueError(f"out must be a .zip file name, got {str(out)!r}")
    if out.is_dir():
        raise ValueError(f"out {out} is a folder; give the zip's file name")
    if not out.parent.is_dir():
        raise ValueError(f"the folder of out does not exist: {out.parent}")
    solutions = Path(solutions)
    if not solutions.is_dir():
        raise ValueError(f"solutions folder not found: {solutions} (pass solutions=DIR)")
    known = sorted(p.stem for p in solutions.glob("*.md") if not p.name.startswith(("_", ".")))
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ValueError(f"unknown exercise id(s) {unknown}; {solutions} has {known}")
    if secret is not None and (not isinstance(secret, str) or not secret.strip()):
        raise ValueError("secret must be a non-empty string (or None: the published inputs)")
    if limits is None:
        limits = Limits()
    if not isinstance(limits, Limits):
        raise ValueError(f"limits must be a normcourse.grading.sandbox.Limits, got {limits!r}")
    project = _project_root()
    torch_req = _torch_requirement(project / "pyproject.toml")

    # The spec of every chosen exercise must load and its checks build, under this secret.
    with tempfile.TemporaryDirectory(prefix="normcourse-build-") as tmp:
        for i in ids:
            shutil.copyfile(solutions / f"{i}.md", Path(tmp) / f"{i}.md")
        exercises = grader.load_exercises(Path(tmp), secret)
    mismatch = [i for i in ids if i not in exercises]
    if mismatch:
        raise ValueError(f"{mismatch}: the solution notebook's exercise.id differs from its "
                         "file name (solutions/<id>.md)")
    config = {
        "format": FORMAT,
        "exercises": ids,
        "limits": dataclasses.asdict(limits),
        "secret": secret is not None,
        "assignment": _checks_config({i: exercises[i] for i in ids}),
    }

    entries: list[tuple[str, bytes, int]] = [
        ("setup.sh", _setup_sh(torch_req).encode(), 0o755),
        ("run_autograder", _run_autograder().encode(), 0o755),
        (f"{BUNDLE}/pyproject.toml", (project / "pyproject.toml").read_bytes(), 0o644),
        (f"{BUNDLE}/README.md", (project / "README.md").read_bytes(), 0o644),
    ]
    entries += [(f"{BUNDLE}/{rel.as_posix()}", (project / rel).read_bytes(), 0o644)
                for rel in _package_files(project)]
    entries += [(f"{BUNDLE}/solutions/{i}.md", (solutions / f"{i}.md").read_bytes(), 0o644)
                for i in ids]
    entries.append((f"{BUNDLE}/{CONFIG}",
                    (json.dumps(config, indent=1, ensure_ascii=False) + "\n").encode(), 0o644))
    if secret is not None:
        entries.append((f"{BUNDLE}/{SECRET_FILE}", secret.encode(), 0o600))

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.create_system = 3  # Unix: unzip applies the permission bits below
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    grader.atomic_write(out, buf.getvalue())
    with contextlib.suppress(OSError):
        os.chmod(out, 0o600 if secret is not None else 0o644)
    return out


# ====================================================================== grading one submission


def _become_subreaper() -> bool:
    """Orphaned descendants (student code that escaped its worker) are re-parented to us."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(36, 1, 0, 0, 0) == 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _descendants(pid: int) -> list[tuple[int, str]]:
    """Every process below ``pid`` with its state letter (from /proc; ``Z``: a zombie)."""
    kids: dict[int, list[tuple[int, str]]] = {}
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    raw = fh.read()
                fields = raw[raw.rindex(b")") + 2:].split()
                state, ppid = fields[0].decode(), int(fields[1])
            except (OSError, ValueError, IndexError):
                continue
            kids.setdefault(ppid, []).append((int(name), state))
    out, todo = [], [pid]
    while todo:
        for child in kids.get(todo.pop(), []):
            out.append(child)
            todo.append(child[0])
    return out


def kill_leftovers(timeout: float = 5.0) -> int:
    """SIGKILL and reap every process still below this one; return how many were alive.

    As a child subreaper (see :func:`run`) this process inherits what student code forked
    into a session of its own to outlive its worker, and the exited helpers of bubblewrap
    (zombies: reaped, not counted).
    """
    me, alive = os.getpid(), set()
    deadline = time.monotonic() + timeout
    while True:
        procs = _descendants(me)
        if not procs:
            break
        for pid, state in procs:
            if state not in ("Z", "X"):
                alive.add(pid)
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        for pid, _ in procs:
            with contextlib.suppress(OSError):
                os.waitpid(pid, os.WNOHANG)
        if time.monotonic() > deadline:
            break
        time.sleep(0.02)
    return len(alive)


def _chmod(path: Path, mode: int) -> None:
    with contextlib.suppress(OSError):
        if path.exists() and not path.is_symlink():
            os.chmod(path, mode)


def _write_results(results: Path, data: dict[str, Any]) -> None:
    """Write ``results/results.json`` atomically, replacing whatever is there."""
    if results.is_symlink() or (results.exists() and not results.is_dir()):
        results.unlink()
    results.mkdir(parents=True, exist_ok=True)
    _chmod(results, 0o700)
    target = results / "results.json"
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    grader.atomic_write(target, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def _read_config(bundle: Path) -> dict[str, Any]:
    try:
        cfg = json.loads((bundle / CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AutograderError("the autograder's configuration is missing or unreadable "
                              "(rebuild the autograder zip)") from exc
    if not isinstance(cfg, dict) or cfg.get("format") != FORMAT or not cfg.get("exercises"):
        raise AutograderError("the autograder's configuration is not valid for this version "
                              "(rebuild the autograder zip)")
    return cfg


def failure_results(reason: str, config: dict[str, Any] | None = None,
                    seconds: float = 0.0) -> dict[str, Any]:
    """A score-0 Gradescope result saying ``reason``; every check listed as failed."""
    tests = []
    try:
        for ex in (config or {}).get("assignment", []):
            for c in ex["checks"]:
                tests.append({
                    "name": f"{ex['id']}/{c['name']}",
                    "score": 0.0,
                    "max_score": float(c["points"]),
                    "status": "failed",
                    "output": "not graded (see the message at the top)",
                    "visibility": "after_published" if c["visibility"] == "hidden"
                    else "visible",
                })
    except (AttributeError, KeyError, TypeError, ValueError):  # a damaged configuration
        tests = []
    return {
        "score": 0.0,
        "execution_time": round(seconds, 3),
        "output": f"Not graded (score 0): {reason}\nPlease tell your instructor; the "
                  "autograder log has the details.",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def _stage(src: Path, dst: Path) -> list[str]:
    """Copy the submission's regular files to ``dst`` (world-readable); say what was left out."""
    notes: list[str] = []
    dst.mkdir()
    os.chmod(dst, 0o755)
    if src.is_symlink() or not src.is_dir():
        notes.append("the submission folder is missing")
        return notes
    total = 0
    for dirpath, dirnames, filenames in os.walk(src):
        here = Path(dirpath)
        rel = here.relative_to(src)
        keep = []
        for d in sorted(dirnames):
            if d.startswith("."):
                continue
            if (here / d).is_symlink():
                notes.append(f"{(rel / d).as_posix()}: a symbolic link (ignored)")
                continue
            (dst / rel / d).mkdir()
            os.chmod(dst / rel / d, 0o755)
            keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            if f.startswith("."):
                continue
            p, shown = here / f, (rel / f).as_posix()
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                notes.append(f"{shown}: a symbolic link (ignored)")
            elif not stat.S_ISREG(st.st_mode):
                notes.append(f"{shown}: not a regular file (ignored)")
            elif total + st.st_size > MAX_SUBMISSION_BYTES:
                notes.append(f"{shown}: the submission is over "
                             f"{MAX_SUBMISSION_BYTES >> 20} MB (ignored)")
            else:
                try:
                    shutil.copyfile(p, dst / rel / f, follow_symlinks=False)
                    os.chmod(dst / rel / f, 0o644)
                except OSError as exc:
                    notes.append(f"{shown}: could not be read ({type(exc).__name__}; ignored)")
                    continue
                total += st.st_size
    return notes


def _isolation(box: sb.Sandbox, prefer: str) -> str:
    """The first line of the output: which isolation ran, plainly."""
    if box.kind == "bwrap":
        return f"Isolation: student code ran in a {box.describe()}."
    if prefer == "rlimits":
        why = f"{SANDBOX_ENV}=rlimits was set"
    else:
        detail = box.describe().removeprefix("WARNING: ").split(" — student code", 1)[0]
        why = f"bubblewrap could not run in this container ({detail})"
    return (f"Isolation: WARNING — {why}, so the grader fell back to resource limits only "
            "(memory, CPU time, processes, file size, timeouts): no filesystem, network or "
            "process isolation.")


def _secret(bundle: Path, cfg: dict[str, Any]) -> str | None:
    if not cfg.get("secret"):
        return None
    path = bundle / SECRET_FILE
    try:
        _chmod(path, 0o600)
        secret = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AutograderError("the grading secret is missing from the autograder "
                              "(rebuild the autograder zip)") from exc
    if not secret.strip():
        raise AutograderError("the bundled grading secret is empty (rebuild the zip)")
    return secret


def _grade(root: Path, t0: float) -> dict[str, Any]:
    """Grade ``root/submission``; the finished results (raises on an internal failure)."""
    bundle = root / "source" / BUNDLE
    _chmod(root / "source", 0o700)
    cfg = _read_config(bundle)
    secret = _secret(bundle, cfg)
    try:
        limits = Limits(**cfg.get("limits", {}))
    except (TypeError, ValueError) as exc:
        raise AutograderError(f"invalid limits in the autograder's configuration: {exc}") from exc
    prefer = (os.environ.get(SANDBOX_ENV) or "auto").strip().lower()
    if prefer not in ("auto", "bwrap", "rlimits"):
        raise AutograderError(f"{SANDBOX_ENV} must be auto, bwrap or rlimits, got {prefer!r}")
    try:
        box = sb.Sandbox.detect(prefer)
    except ValueError as exc:
        raise AutograderError(f"{SANDBOX_ENV}={prefer}: {exc}") from exc
    # Modules grade() imports late: loaded now, before any student code has run.
    from normcourse.grading import report, store  # noqa: F401

    with tempfile.TemporaryDirectory(prefix="normcourse-autograder-",
                                     ignore_cleanup_errors=True) as tmp:
        os.chmod(tmp, 0o700)
        subs = Path(tmp) / "submissions"
        subs.mkdir()
        notes = _stage(root / "submission", subs / "submission")
        try:
            run = grader.grade(
                subs, Path(tmp) / "out", bundle / "solutions",
                jobs=1, limits=limits, sandbox=box.kind, progress=False,
                exercise_ids=cfg["exercises"], secret=secret, preflight=False,
            )
        finally:
            killed = kill_leftovers()
        if len(run.results) != 1:
            raise RuntimeError(f"expected one graded submission, got {len(run.results)}")
        r = run.results[0]
        try:
            on_disk = (run.out / r.slug / "results.json").read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            on_disk = None
        tampered = on_disk != grader.results_json(r, run.exercises, run.sandbox)
    # The student's results.json exactly as grade() wrote it, rebuilt from the grader's own
    # result (a file on disk could have been replaced by a process the submission left).
    data: dict[str, Any] = json.loads(grader.results_json(r, run.exercises, box.describe()))
    head = [_isolation(box, prefer)]
    if notes:
        head.append("Left out of the submission: " + "; ".join(notes) + ".")
    if killed:
        head.append(f"{killed} process(es) the submission left running were killed.")
    if tampered:
        head.append("The grader's working copy of these results was changed or removed during "
                    "grading; it was ignored (these results come from the grader's memory).")
        log.warning("the per-student results.json in the grader's output was tampered with")
    data["output"] = "\n".join(head) + "\n\n" + data["output"]
    data["execution_time"] = round(time.monotonic() - t0, 3)
    log.info("graded: %g / %g; %s; %d leftover process(es) killed", r.total,
             sum(e.spec.max_points for e in run.exercises.values()), box.describe(), killed)
    for p in dict.fromkeys(r.problems):
        log.info("problem: %s", p)
    for n in r.notebooks:
        if n.stderr:
            log.info("stderr of %s:\n%s", n.path, n.stderr)
    return data


def run(root: Path) -> int:
    """Grade ``root/submission`` as one student into ``root/results/results.json``.

    Meant to be the whole job of its process (``run_autograder`` execs it): it becomes a
    child subreaper and, after grading, SIGKILLs every process still below it. Returns 0
    when a results.json was written (graded, or score 0 with the reason), 1 when not even
    that was possible.
    """
    t0 = time.monotonic()
    root = Path(root).absolute()
    results = root / "results"
    _become_subreaper()
    cfg: dict[str, Any] | None = None
    with contextlib.suppress(AutograderError):
        cfg = _read_config(root / "source" / BUNDLE)
    try:
        _write_results(results, failure_results(
            "the autograder did not finish grading this submission (it crashed or was "
            "stopped, e.g. by the time limit).", cfg))
        data = _grade(root, t0)
    except AutograderError as exc:
        log.error("not graded: %s", exc)
        data = failure_results(str(exc), cfg, time.monotonic() - t0)
    except Exception as exc:  # an internal error must still give a results.json
        log.exception("internal autograder error")
        data = failure_results(f"internal autograder error ({type(exc).__name__}).", cfg,
                               time.monotonic() - t0)
    kill_leftovers()
    try:
        _write_results(results, data)
    except Exception:
        log.exception("could not write %s", results / "results.json")
        return 1
    _chmod(root / "source", 0o700)
    return 0


# ====================================================================== command line


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m normcourse.grading.autograder",
        description="Build a Gradescope autograder zip, or (on Gradescope) grade a submission.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write the autograder zip for one assignment")
    b.add_argument("--exercise", action="append", dest="exercises", required=True,
                   metavar="ID", help="an exercise of the assignment (repeatable)")
    b.add_argument("--out", type=Path, required=True, help="the zip to write, e.g. autograder.zip")
    b.add_argument("--solutions", type=Path, default=Path("solutions"),
                   help="folder of solution notebooks (default: ./solutions)")
    b.add_argument("--secret", default=None,
                   help=f"grading secret to bundle (default: ${sp.SECRET_ENV}, else none)")
    b.add_argument("--timeout", type=float, default=10.0, help="seconds per check (10)")
    b.add_argument("--cell-timeout", type=float, default=30.0, help="seconds per cell (30)")
    b.add_argument("--budget", type=float, default=300.0, help="seconds per notebook (300)")
    b.add_argument("--memory-mb", type=int, default=1024, help="memory per worker, MB (1024)")
    r = sub.add_parser("run", help="grade ROOT/submission into ROOT/results/results.json")
    r.add_argument("--root", type=Path, default=None,
                   help=f"the autograder root (default: ${ROOT_ENV}, else {DEFAULT_ROOT})")
    sub.add_parser("check", help="say which isolation works here")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: ``build``, ``run`` and ``check``; returns the exit code."""
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.command == "build":
        secret = args.secret if args.secret is not None else os.environ.get(sp.SECRET_ENV)
        try:
            limits = Limits(timeout=args.timeout, cell_timeout=args.cell_timeout,
                            budget=args.budget, memory_mb=args.memory_mb)
            out = build_zip(args.exercises, args.out, args.solutions, secret or None, limits)
        except ValueError as exc:
            print(f"autograder build: error: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {out} ({', '.join(dict.fromkeys(args.exercises))}; "
              f"{'with' if secret else 'without'} a grading secret)")
        print("upload it on Gradescope: Configure Autograder → Zip file upload")
        return 0
    if args.command == "check":
        prefer = (os.environ.get(SANDBOX_ENV) or "auto").strip().lower()
        try:
            box = sb.Sandbox.detect(prefer)
        except ValueError as exc:
            print(f"isolation: not available: {exc}")
            return 1
        print(_isolation(box, prefer))
        return 0
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
    root = args.root or Path(os.environ.get(ROOT_ENV) or DEFAULT_ROOT)
    code = run(root)
    with contextlib.suppress(OSError, ValueError):
        data = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
        print(f"score {data.get('score')}; results: {root / 'results' / 'results.json'}")
        print(data.get("output", ""))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
