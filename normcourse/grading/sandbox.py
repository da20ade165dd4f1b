"""Starting sandboxed workers and talking to them, from the grader's (trusted) side.

Layers, outermost first:

1. **bubblewrap** (``bwrap``), when available: a new mount namespace whose root holds,
   read-only, only ``/usr`` (and the ``/lib``, ``/bin`` links), the Python interpreter
   (``sys.base_prefix``), the virtual environment (``sys.prefix``, with site-packages),
   the ``normcourse`` package and the submission itself (at ``/submission``); a private
   ``/tmp``, fresh ``/proc`` and ``/dev``; new PID, network (no interfaces but a dead
   loopback), IPC and UTS namespaces; ``--die-with-parent``; a cleared environment.
   ``solutions/``, the output folder and other students' submissions are not mounted.
2. **A uid of its own**: when the grader runs as root, each concurrent worker slot gets a
   distinct unprivileged uid (it drops to it before running student code), so
   ``RLIMIT_NPROC`` bounds that submission's processes only and it cannot signal or
   ``ptrace`` anything else.
3. **rlimits** set by the worker on itself before student code runs (memory, CPU time,
   processes, file size, open files, no core dumps), soft = hard.
4. **Wall-clock timeouts** enforced here: per cell, per check and per notebook; on
   timeout the whole process group is killed (``SIGKILL``), and with bubblewrap the PID
   namespace dies with it, taking every forked child along.
5. **Plain data only** across the boundary (:mod:`normcourse.grading.wire`): inputs go in,
   numbers and arrays come out, and pass/fail is decided in the grader's process.

Without ``bwrap`` the worker runs as a plain subprocess with layers 3–5 only (rlimits
fallback): no filesystem, network or process isolation. Every report says so.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from normcourse.grading import wire

SANDBOX_ROOT = "/submission"
_UID_BASE = 1_700_000_000


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission's worker (wall-clock ones enforced by the grader)."""

    timeout: float = 10.0  # seconds of wall clock per check (one call)
    cell_timeout: float = 30.0  # seconds of wall clock per notebook cell
    budget: float = 300.0  # seconds of wall clock per notebook, restarts included
    memory_mb: int = 1024  # RLIMIT_AS
    cpu_seconds: int = 120  # RLIMIT_CPU of one worker process
    nproc: int = 32  # RLIMIT_NPROC (tasks of the worker's own uid)
    fsize_mb: int = 16  # RLIMIT_FSIZE
    nofile: int = 256  # RLIMIT_NOFILE
    tmp_mb: int = 64  # size of the private /tmp and /dev/shm (bubblewrap with --size)
    max_output_mb: int = 64  # largest frame accepted from a worker

    def __post_init__(self) -> None:
        for name in ("timeout", "cell_timeout", "budget"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0 seconds, got {getattr(self, name)!r}")
        for name in ("memory_mb", "cpu_seconds", "nproc", "fsize_mb", "nofile", "tmp_mb",
                     "max_output_mb"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be an integer ≥ 1, got {v!r}")
        if self.memory_mb < 256:
            raise ValueError(
                f"memory_mb must be ≥ 256 (Python and numpy need it), got {self.memory_mb}"
            )

    def rlimits(self, nproc: int | None = None) -> dict[str, int]:
        """The rlimits the worker sets on itself (bytes, seconds, counts)."""
        return {
            "as": self.memory_mb << 20,
            "cpu": self.cpu_seconds,
            "nproc": self.nproc if nproc is None else nproc,
            "fsize": self.fsize_mb << 20,
            "nofile": self.nofile,
            "core": 0,
        }


def _worker_env(home: str) -> dict[str, str]:
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": "/tmp" if home == "/tmp" else home,
        "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": os.path.join(home, "mpl"),
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "NORMCOURSE_GRADING_WORKER": "1",
    }


def user_tasks(uid: int) -> int:
    """Number of tasks (threads) that belong to ``uid`` right now (what RLIMIT_NPROC counts)."""
    n = 0
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if d.stat().st_uid == uid:
                n += sum(1 for _ in (d / "task").iterdir())
        except OSError:
            continue
    return n


def _pids_of(uid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if d.stat().st_uid == uid:
                    out.append(int(d.name))
            except OSError:
                continue
    return out


class Sandbox:
    """How workers are started: ``kind`` is ``"bwrap"`` or ``"rlimits"``."""

    def __init__(self, kind: str, note: str = "", bwrap: str | None = None) -> None:
        if kind not in ("bwrap", "rlimits"):
            raise ValueError(f"sandbox kind must be 'bwrap' or 'rlimits', got {kind!r}")
        self.kind = kind
        self.note = note
        self.bwrap = bwrap
        self.as_root = os.geteuid() == 0
        self._has_size = False
        if bwrap is not None:  # --size (bubblewrap ≥ 0.8) bounds the tmpfs mounts
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                help_text = subprocess.run([bwrap, "--help"], capture_output=True, text=True,
                                           timeout=10).stdout
                self._has_size = "--size" in help_text
        self.zygote: Any = None  # a normcourse.grading.workers.Zygote while one runs
        self._pending: Any = None  # launched, not yet confirmed
        self._unprobed: str | None = None  # detect's preference, until settle() probes
        self._retirer: Any = None  # one thread that ends workers in the background (retire)
        self._retiring: set[int] = set()  # uids that the retirer frees
        self._uids: queue.Queue[int] = queue.Queue()
        base = _UID_BASE + (os.getpid() % 100_000) * 64
        for i in range(64):
            self._uids.put(base + i)

    # ------------------------------------------------------------------ detection
    @classmethod
    def detect(cls, prefer: str = "auto", probe: bool = True) -> Sandbox:
        """``auto``: bubblewrap if it works here, else the rlimits fallback (with a note).

        ``probe=False`` (as root) leaves the probe to the zygote: a zygote that starts and
        grades a tiny notebook shows that bubblewrap works; :meth:`settle`, after
        :meth:`confirm_zygote`, probes only when it did not."""
        if prefer not in ("auto", "bwrap", "rlimits"):
            raise ValueError(f"sandbox must be 'auto', 'bwrap' or 'rlimits', got {prefer!r}")
        if prefer == "rlimits":
            return cls("rlimits", "rlimits only (requested): no filesystem or network isolation")
        path = shutil.which("bwrap")
        if path is None:
            note = ("WARNING: bubblewrap (bwrap) not found — student code ran with resource "
                    "limits only: no filesystem, network or process isolation")
            if prefer == "bwrap":
                raise ValueError(
                    "--sandbox bwrap: bwrap is not installed (apt-get install bubblewrap)"
                )
            return cls("rlimits", note)
        box = cls("bwrap", "", path)
        box._unprobed = prefer
        if not (box.as_root and not probe):
            box.settle()
        return box

    def settle(self) -> None:
        """Probe bubblewrap now if :meth:`detect` left it to a zygote that does not run;
        where it fails, fall back to rlimits (``ValueError`` for ``--sandbox bwrap``)."""
        prefer, self._unprobed = self._unprobed, None
        if prefer is None or self.zygote is not None:
            return
        problem = self._probe()
        if problem:
            if prefer == "bwrap":
                raise ValueError(f"--sandbox bwrap: bwrap does not work here: {problem}")
            self.kind, self.bwrap = "rlimits", None
            self.note = (f"WARNING: bwrap is installed but failed ({problem}) — student code "
                         "ran with resource limits only")

    def _probe(self) -> str:
        with tempfile.TemporaryDirectory() as tmp:
            cmd, env, cwd = self.command(Path(tmp), None, ["-c", "import numpy"])
            try:
                proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, timeout=60)
            except (OSError, subprocess.TimeoutExpired) as exc:
                return str(exc)
            if proc.returncode != 0:
                err = proc.stderr.decode(errors="replace").strip()[-300:]
                return err or f"exit {proc.returncode}"
        return ""

    def start_zygote(self, limits: Limits | None = None) -> bool:
        """Start a zygote for the workers (bubblewrap as root only) and check it works;
        ``False``, and workers started one process each as before, when it cannot run here.
        (:meth:`launch_zygote` then :meth:`confirm_zygote`, for a caller that has other
        work to do meanwhile.)"""
        self.launch_zygote(limits)
        return self.confirm_zygote(limits)

    def launch_zygote(self, limits: Limits | None = None) -> None:
        """Start the zygote's process, not waiting for it. Call it from the thread that
        stays (its ``--die-with-parent`` follows the thread that started it)."""
        if self.zygote is not None or not (self.kind == "bwrap" and self.as_root):
            return
        from normcourse.grading.workers import Zygote

        try:
            self._pending = Zygote(self, limits or Limits())
        except (OSError, ValueError, subprocess.SubprocessError):
            self._pending = None

    def confirm_zygote(self, limits: Limits | None = None) -> bool:
        """Wait for a launched zygote and probe it with a tiny notebook; it serves the
        workers from then on, or is stopped when it does not work."""
        if self.zygote is not None:
            return True
        z, self._pending = getattr(self, "_pending", None), None
        if z is None:
            return False
        try:
            z.wait_ready()
        except (OSError, EOFError, ValueError):
            z.close()
            return False
        self.zygote = z
        with tempfile.TemporaryDirectory() as tmp:
            probe = run_notebook(self, Path(tmp), ["import numpy as np\nf = np.negative"],
                                 [("f", [1.0])], limits or Limits())
        if not (probe.calls[0].status == "ok" and probe.calls[0].value == -1.0):
            self.close()
            return False
        return True

    def close(self) -> None:
        """Stop the zygote, if one runs."""
        if self._retirer is not None:
            self._retirer.shutdown(wait=True)  # workers still ending need the zygote
            self._retirer = None
        if self.zygote is not None:
            self.zygote.close()
            self.zygote = None

    def describe(self) -> str:
        """One line for every report: which isolation the student code ran under."""
        if self.kind == "bwrap":
            who = "a per-worker unprivileged uid, " if self.as_root else ""
            return (f"bubblewrap sandbox ({who}read-only interpreter and submission, private "
                    "/tmp, no network) + resource limits")
        return self.note

    # ------------------------------------------------------------------ uids
    @contextlib.contextmanager
    def slot(self) -> Iterator[int | None]:
        """A uid for one worker at a time (when the grader runs as root, with bubblewrap or
        in the rlimits fallback where an unprivileged uid can read the interpreter);
        everything left running under it is killed afterwards."""
        if not self.as_root or (self.kind == "rlimits" and not _others_can_run_python()):
            yield None
            return
        uid = self._uids.get()
        try:
            yield uid
        finally:
            if uid in self._retiring:  # the retirer frees it (retire)
                self._retiring.discard(uid)
            else:
                self._reap(uid)
                self._uids.put(uid)

    def retire(self, worker: Any, uid: int | None, run: NotebookRun) -> None:
        """End a worker that has finished its notebook in the background (it was told to
        exit): killed and reaped, then its uid is freed (nothing of it survives before the
        uid is reused) and ``run.stderr`` is filled in (:meth:`NotebookRun.wait`). The next
        notebook, on another uid, does not wait for it."""
        import concurrent.futures as cf

        if self._retirer is None:
            self._retirer = cf.ThreadPoolExecutor(max_workers=1)
        if uid is not None:
            self._retiring.add(uid)

        def finish() -> None:
            try:
                worker.kill()
                run.stderr = worker.stderr_tail()
            finally:
                if uid is not None:
                    self._reap(uid)
                    self._uids.put(uid)
                run._done.set()

        run._done.clear()
        self._retirer.submit(finish)

    @staticmethod
    def _reap(uid: int) -> None:
        """Make sure nothing of ``uid`` survives before the uid is reused."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            pids = _pids_of(uid)
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)

    # ------------------------------------------------------------------ command
    def command(
        self, submission: Path | None, uid: int | None, argv: list[str],
        limits: Limits | None = None,
    ) -> tuple[list[str], dict[str, str], str | None]:
        """The command line, environment and cwd that run ``python -I -B argv`` in the box.

        ``submission=None`` starts the zygote (bubblewrap only): an empty ``/submission``
        and the capabilities it needs to give each notebook namespaces of its own.
        """
        python = sys.executable
        if self.kind == "rlimits":
            env = _worker_env(str(submission))
            return [python, "-I", "-B", *argv], env, str(submission)
        assert self.bwrap is not None
        args: list[str] = [self.bwrap]
        made: set[str] = set()
        ro_roots: list[str] = []

        def under_ro(p: str) -> bool:
            return any(p == r or p.startswith(r.rstrip("/") + "/") for r in ro_roots)

        def parents(dest: str) -> None:
            parts = Path(dest).parts
            for i in range(2, len(parts)):
                d = str(Path(*parts[:i]))
                if d not in made and not under_ro(d):
                    args.extend(["--perms", "0755", "--dir", d])
                    made.add(d)

        def ro(src: str, dest: str | None = None) -> None:
            dest = dest or src
            if under_ro(dest) and dest == src:
                return
            parents(dest)
            args.extend(["--ro-bind", src, dest])
            ro_roots.append(dest)

        # Private /tmp and /dev/shm first: the read-only binds below may live under /tmp
        # (a checkout in /tmp/...), and a tmpfs mounted after them would hide them.
        size = ["--size", str((limits or Limits()).tmp_mb << 20)] if self._has_size else []
        args += [
            "--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", *size, "--tmpfs", "/tmp",
            "--perms", "1777", *size, "--tmpfs", "/dev/shm",
        ]  # fmt: skip
        ro("/usr")
        for name in ("/lib", "/lib64", "/lib32", "/bin", "/sbin"):
            p = Path(name)
            if p.is_symlink():
                args.extend(["--symlink", os.readlink(p), name])
            elif p.is_dir():
                ro(name)
        if Path("/etc/ld.so.cache").exists():
            ro("/etc/ld.so.cache")
        for d in python_dirs():
            ro(d)
        args.extend(["--perms", "0755", "--dir", SANDBOX_ROOT])
        made.add(SANDBOX_ROOT)
        if submission is None:
            args += ["--cap-add", "CAP_SYS_ADMIN"]
        elif submission.is_dir():
            args.extend(["--ro-bind", str(submission), SANDBOX_ROOT])
        else:
            args.extend(["--ro-bind", str(submission), f"{SANDBOX_ROOT}/{submission.name}"])
        args += [
            "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--hostname", "sandbox",
            "--die-with-parent", "--new-session", "--clearenv",
        ]  # fmt: skip
        if uid is not None or submission is None:
            args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        for k, v in _worker_env("/tmp").items():
            args += ["--setenv", k, v]
        args += ["--chdir", SANDBOX_ROOT, python, "-I", "-B", *argv]
        return args, {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, None


def _others_can_run_python() -> bool:
    """Whether a process of another uid can use this interpreter and its packages (each
    directory and its parents readable and searchable by others, as in /usr; not when
    Python lives under a private home such as /root)."""
    for d in python_dirs():
        p = Path(d)
        for q in [p, *p.parents]:
            try:
                if q.stat().st_mode & 0o005 != 0o005:
                    return False
            except OSError:
                return False
    return True


def python_dirs() -> list[str]:
    """Read-only directories the interpreter needs: prefixes, site-packages, normcourse."""
    import normcourse

    dirs = [sys.base_prefix, sys.prefix, str(Path(os.path.realpath(sys.executable)).parent)]
    dirs += [p for p in site.getsitepackages() if os.path.isdir(p)]
    dirs.append(str(Path(normcourse.__file__).resolve().parent))
    out: list[str] = []
    for d in sorted({os.path.realpath(x) for x in dirs} | {os.path.abspath(x) for x in dirs},
                    key=len):
        if not any(d == o or d.startswith(o.rstrip("/") + "/") for o in out):
            out.append(d)
    return out


# ====================================================================== one notebook


@dataclass
class CallOutcome:
    """What happened to one call: ``status`` and, when it returned, the plain ``value``.

    ``message`` is safe to show for hidden checks (no inputs, no values); ``detail`` is the
    student's own error text, shown for public checks only.
    """

    status: str  # ok | raised | missing | unsupported | delegated | timeout | crashed | protocol
    #             | not-run
    value: Any = None
    message: str = ""
    detail: str = ""
    exc_type: str = ""


@dataclass
class CellOutcome:
    """What happened to one code cell (``index`` counts code cells from 0)."""

    index: int
    status: str  # ok | error | skipped | timeout | crashed
    error: str = ""


@dataclass
class NotebookRun:
    """The result of running one notebook's cells and calls in the sandbox."""

    cells: list[CellOutcome] = field(default_factory=list)
    calls: list[CallOutcome] = field(default_factory=list)
    restarts: int = 0
    problems: list[str] = field(default_factory=list)
    stderr: str = ""
    _done: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._done.set()

    def wait(self) -> str:
        """``stderr``, once the worker has ended (run with ``background``, it ends after
        :func:`run_notebook` returns)."""
        self._done.wait()
        return self.stderr


def run_notebook(
    box: Sandbox,
    submission: Path,
    cells: list[str],
    calls: list[tuple[str, list[Any]]],
    limits: Limits,
    forbid: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    background: bool = False,
) -> NotebookRun:
    """Execute ``cells`` in a fresh sandboxed worker, then each call ``(function, args)``.

    With ``background`` the last worker ends after this returns (:meth:`Sandbox.retire`;
    the run's ``stderr`` is complete once :meth:`NotebookRun.wait` returns).

    ``forbid`` maps a function name to the library functions that are unavailable while
    it runs (:meth:`normcourse.grading.codescan.Forbidden.wire`; a use makes the call's
    status ``delegated``).

    A cell that hangs or kills the process is skipped on a restart; a call that hangs or
    kills the process scores nothing and the worker is restarted (cells re-executed) for
    the remaining calls. After a call kills the process once, the later calls each run
    in a forked child of the new worker, so a function that crashes on every check costs
    one restart, not one per check. After a call or a cell hangs once, the later calls get
    a fifth of the call timeout (at least 1 s), and after a cell hangs once, the later
    cells a fifth of the cell timeout: one hanging function does not cost the full
    timeout on every check and every cell that uses it. Never raises for anything the
    student code does.
    """
    out = NotebookRun(calls=[CallOutcome("not-run") for _ in calls])
    skip: dict[int, str] = {}
    hung: set[str] = set()
    isolate = False
    pending = list(range(len(calls)))
    t0 = time.monotonic()
    budget_end = t0 + limits.budget
    max_restarts = len(cells) + len(calls) + 2
    encoded = []
    for fname, args in calls:
        blobs: list[bytes] = []
        trees = [wire.encode(a, blobs)[0] for a in args]
        encoded.append((fname, trees, blobs))
    from normcourse.grading.workers import WorkerProcess

    with box.slot() as uid:
        while True:
            if time.monotonic() >= budget_end:
                msg = f"the notebook used up its time budget ({limits.budget:g} s)"
                for k in pending:
                    out.calls[k] = CallOutcome("not-run", message=msg)
                out.problems.append(msg)
                break
            w = WorkerProcess(box, submission, uid, limits)
            current: int | None = None
            try:
                w.start()
                w.send({"op": "run", "cells": cells, "skip": sorted(skip),
                        "forbid": dict(forbid or {})}, None,
                       min(time.monotonic() + limits.cell_timeout, budget_end))
                # after a cell hung once, the later cells get a fifth of the cell timeout
                cell_limit = limits.cell_timeout if not any(
                    "did not finish" in r for r in skip.values()) else max(
                        1.0, limits.cell_timeout / 5)
                cell_deadline = time.monotonic() + cell_limit
                while True:
                    h, _ = w.recv(min(cell_deadline, budget_end))
                    if h.get("op") == "cell" and type(h.get("i")) is int:
                        current = h["i"]
                        cell_deadline = time.monotonic() + cell_limit
                        continue
                    if h.get("op") == "ready" and isinstance(h.get("cells"), list):
                        out.cells = _cell_report(h["cells"], len(cells), skip)
                        break
                    raise wire.WireError("unexpected message while running cells")
            except (TimeoutError, EOFError, BrokenPipeError, wire.WireError, OSError) as exc:
                w.kill()
                out.stderr = w.stderr_tail()
                if current is None or current in skip:
                    msg = _startup_failure(exc, w)
                    for k in pending:
                        out.calls[k] = CallOutcome("crashed", message=msg)
                    out.problems.append(msg)
                    out.cells = out.cells or _cell_report([], len(cells), skip)
                    break
                if isinstance(exc, TimeoutError):
                    skip[current] = f"did not finish within {cell_limit:g} s (skipped)"
                else:
                    skip[current] = f"stopped the process: {w.exit_description()} (skipped)"
                out.restarts += 1
                if out.restarts > max_restarts:
                    break
                continue
            # ---------------------------------------------------------- the calls
            alive = True
            while pending and alive:
                k = pending[0]
                fname, trees, blobs = encoded[k]
                # after a call or a cell hung once, the later calls get a fifth of the timeout
                cell_hung = any("did not finish" in r for r in skip.values())
                limit = min(limits.timeout, max(1.0, limits.timeout / 5)) if (
                    hung or cell_hung) else limits.timeout
                deadline = min(time.monotonic() + limit, budget_end)
                try:
                    w.send({"op": "call", "id": k, "function": fname, "args": trees,
                            "isolate": isolate}, blobs, deadline)
                    h, rblobs = w.recv(deadline)
                    out.calls[k] = _call_outcome(h, rblobs, k)
                except TimeoutError:
                    again = (" (it had hung on an earlier check)" if fname in hung else
                             " (something had hung before)" if hung or cell_hung else "")
                    out.calls[k] = CallOutcome(
                        "timeout", message=f"did not return within {limit:g} s{again}")
                    hung.add(fname)
                    alive = False
                except (EOFError, BrokenPipeError, OSError):
                    w.kill()
                    out.calls[k] = CallOutcome(
                        "crashed",
                        message=f"the process died during the call: {w.exit_description()}",
                    )
                    alive = False
                    isolate = True  # from now on each call runs in a child of the worker
                except wire.WireError:  # no detail: the bytes came from student code
                    out.calls[k] = CallOutcome("protocol", message="malformed answer")
                    alive = False
                pending.pop(0)
            if alive:
                with contextlib.suppress(Exception):
                    w.send({"op": "exit"}, None, time.monotonic() + 1)
                if background and not pending:
                    box.retire(w, uid, out)
                    break
            w.kill()
            out.stderr = w.stderr_tail()
            if not pending:
                break
            out.restarts += 1
            if out.restarts > max_restarts:
                break
    for i, reason in skip.items():
        if i < len(out.cells):
            status = "timeout" if "did not finish" in reason else "crashed"
            out.cells[i] = CellOutcome(i, status, reason)
    for k in pending:
        if out.calls[k].status == "not-run" and not out.calls[k].message:
            out.calls[k] = CallOutcome("not-run", message="not run: too many restarts")
    return out


def _startup_failure(exc: BaseException, w: Any) -> str:
    tail = w.stderr_tail(300).strip()
    what = "did not start in time" if isinstance(exc, TimeoutError) else w.exit_description()
    return f"the sandboxed process failed before running any cell ({what})" + (
        f": {tail}" if tail else "")


def _cell_report(raw: list[Any], n: int, skip: dict[int, str]) -> list[CellOutcome]:
    cells = [CellOutcome(i, "ok") for i in range(n)]
    for item in raw:
        if not isinstance(item, dict) or type(item.get("i")) is not int or not 0 <= item["i"] < n:
            continue
        status = item.get("status")
        if status not in ("ok", "error", "skipped"):
            continue
        cells[item["i"]] = CellOutcome(item["i"], status, str(item.get("error", ""))[:600])
    for i, reason in skip.items():
        if i < n:
            cells[i] = CellOutcome(i, "skipped", reason)
    return cells


def delegation_message(names: list[str]) -> str:
    """Why a check scored 0 for calling the library instead of the student's own code."""
    return (f"calls {', '.join(names)} from the library, which this exercise asks you to "
            "write yourself: 0 points for this check")


def _call_outcome(h: dict[str, Any], blobs: list[bytes], k: int) -> CallOutcome:
    if h.get("op") != "result" or h.get("id") != k:
        raise wire.WireError("answer to a different request")
    status = h.get("status")
    err = str(h.get("error", ""))[:600]
    if status == "ok":
        return CallOutcome("ok", value=wire.decode(h.get("value"), blobs))
    if status == "raised":
        t = str(h.get("type", "Exception"))[:80]
        msg = "not implemented yet" if t == "NotImplementedError" else f"raised {t}"
        return CallOutcome("raised", message=msg, detail=err, exc_type=t)
    if status == "missing":
        return CallOutcome("missing", message="function not defined in the notebook", detail=err)
    if status == "crashed" and type(h.get("rc")) is int:  # an isolated call's child died
        from normcourse.grading.workers import describe_exit

        return CallOutcome("crashed", message="the process died during the call: "
                                              + describe_exit(h["rc"]))
    if status == "delegated":
        names = [str(n).replace(":", ".")[:120] for n in h.get("names", [])][:5]
        if not names:
            raise wire.WireError("delegated without names")
        return CallOutcome("delegated", value=names, message=delegation_message(names))
    if status == "unsupported":
        return CallOutcome("unsupported", message="returned something that is not numbers/arrays",
                           detail=err)
    raise wire.WireError(f"unknown status {status!r}")
