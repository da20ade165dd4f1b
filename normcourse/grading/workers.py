"""Starting sandboxed workers, from the grader's side: a process each, or forked by a zygote.

:class:`WorkerProcess` is one worker: started on its own (``bwrap … python -m
normcourse.grading.worker``, or a plain subprocess in the rlimits fallback), or forked by
the sandbox's :class:`Zygote`; either way the grader exchanges frames with it under
deadlines and kills it.

Starting ``bwrap … python`` and importing numpy and the library costs far more than grading
a typical notebook. With bubblewrap running as root, :class:`Zygote` pays that once per
grading run: it starts one sandboxed process (the server side is
:func:`normcourse.grading.worker.zygote`) that has imported
:data:`normcourse.grading.worker.PRELOAD` and runs no student code, and asks it to fork
each notebook's worker. What a worker gets is unchanged: a fresh process, its own mount,
PID, network and IPC namespaces (so a fresh private ``/tmp`` and ``/dev/shm``, no
network, no view of other processes), only its own submission, read-only, its own
unprivileged uid and its rlimits; killing it kills its PID namespace. Where the zygote
cannot run, a :class:`WorkerProcess` starts one process of its own as before.

Two things leave the path from one notebook to the next: the zygote forks the next
notebook's processes while the current one runs (:meth:`Zygote.take`: they wait, running
nothing, until the grader sends them a notebook's files, uid and limits), and a worker
that has answered its last call is killed and reaped by a thread of the sandbox before
its uid is handed out again (:meth:`normcourse.grading.sandbox.Sandbox.retire`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from normcourse.grading import wire
from normcourse.grading.sandbox import python_dirs, user_tasks

if TYPE_CHECKING:
    from normcourse.grading.sandbox import Limits, Sandbox


class WorkerProcess:
    """One sandboxed worker: start, exchange frames with deadlines, kill.

    Started either as a process of its own (``bwrap … python -m normcourse.grading.worker``)
    or, when the sandbox has a :class:`Zygote`, forked by it with the same isolation.
    """

    def __init__(self, box: Sandbox, submission: Path, uid: int | None, limits: Limits) -> None:
        self.box = box
        self.submission = submission
        self.uid = uid
        self.limits = limits
        self.proc: subprocess.Popen[bytes] | None = None
        self.returncode: int | None = None
        self.stderr = bytearray()
        self._stderr_cap = 32_768
        self._drain: threading.Thread | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._out_fd = -1  # we write requests here
        self._err_fd = -1
        self._sock: socket.socket | None = None
        self._pid: int | None = None  # in the zygote's PID namespace
        self._zygote: Zygote | None = None

    def start(self) -> None:
        """Spawn the worker (forked by the zygote, in bubblewrap, or a plain subprocess)."""
        zygote = self.box.zygote
        if zygote is not None and self.uid is not None:
            files = submission_files(self.submission, self.limits.tmp_mb << 20)
            if files is not None:
                self._start_forked(zygote, files)
                return
        self._start_process()

    def _start_process(self) -> None:
        import json

        nproc = self.limits.nproc
        if self.uid is None and os.geteuid() != 0:
            # RLIMIT_NPROC counts every task of our own uid: leave room for what runs now.
            nproc += user_tasks(os.geteuid())
        cfg = {"uid": self.uid, "gid": self.uid, "limits": self.limits.rlimits(nproc)}
        where = self.submission
        if self.box.kind == "rlimits":
            self._tmp = tempfile.TemporaryDirectory(prefix="ncg-")
            where = Path(self._tmp.name)
            if self.submission.is_dir():
                shutil.copytree(self.submission, where / "submission", symlinks=True,
                                dirs_exist_ok=True)
            else:
                (where / "submission").mkdir()
                shutil.copy2(self.submission, where / "submission" / self.submission.name)
            if self.uid is not None:  # the unprivileged uid owns its copy, nothing else
                for d in [where, *where.rglob("*")]:
                    os.chown(d, self.uid, self.uid, follow_symlinks=False)
            where = where / "submission"
        argv = ["-m", "normcourse.grading.worker", json.dumps(cfg)]
        cmd, env, cwd = self.box.command(where, self.uid, argv, self.limits)
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        assert self.proc.stderr is not None
        self._out_fd = self.proc.stdin.fileno()
        self._err_fd = self.proc.stderr.fileno()
        os.set_blocking(self._out_fd, False)
        self.reader = wire.FrameReader(self.proc.stdout.fileno(),
                                       max_payload=self.limits.max_output_mb << 20)
        self._drain = threading.Thread(target=self._drain_stderr, daemon=True)
        self._drain.start()

    def _start_forked(self, zygote: Zygote, files: list[tuple[str, bytes]]) -> None:
        self._pid, ours, err_r = zygote.take(self.limits.tmp_mb << 20)
        self._zygote, self._sock = zygote, ours
        self._out_fd, self._err_fd = ours.fileno(), err_r
        self.reader = wire.FrameReader(self._out_fd, max_payload=self.limits.max_output_mb << 20)
        self._drain = threading.Thread(target=self._drain_stderr, daemon=True)
        self._drain.start()
        os.set_blocking(self._out_fd, False)
        deadline = time.monotonic() + 30
        self.send({"op": "files", "files": [n for n, _ in files], "uid": self.uid,
                   "gid": self.uid, "limits": self.limits.rlimits()},
                  [b for _, b in files], deadline)
        h, _ = self.recv(deadline)
        if h.get("op") != "mounted":
            raise wire.WireError("the sandboxed process did not set up its files")

    def _drain_stderr(self) -> None:
        fd = self._err_fd
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            room = self._stderr_cap - len(self.stderr)
            if room > 0:
                self.stderr += chunk[:room]

    def send(self, header: dict[str, Any], blobs: list[bytes] | None, deadline: float) -> None:
        """Write one frame; ``TimeoutError`` if the worker stops reading, ``BrokenPipeError``."""
        import select

        fd = self._out_fd
        data = memoryview(wire.pack(header, blobs))
        while data:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            _, ready, _ = select.select([], [fd], [], left)
            if not ready:
                raise TimeoutError
            try:
                n = os.write(fd, data[:65536])
            except BlockingIOError:
                continue
            data = data[n:]

    def recv(self, deadline: float) -> tuple[dict[str, Any], list[bytes]]:
        """Read one frame before ``deadline`` (``time.monotonic()``)."""
        return self.reader.read(deadline)

    def kill(self) -> None:
        """Kill the worker and everything it started (its PID namespace, with bwrap)."""
        if self._zygote is not None and self._pid is not None:
            # a worker that is ending on its own gets a moment, so its exit code is its own
            self.returncode = self._zygote.reap(self._pid, grace=0.05)
            self._pid = None
            if self._sock is not None:
                self._sock.close()
            if self._drain is not None:
                self._drain.join(timeout=2)
            with contextlib.suppress(OSError):
                os.close(self._err_fd)
            return
        if self.proc is None:
            self._cleanup()
            return
        with contextlib.suppress(OSError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self.returncode = self.proc.returncode
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
        if self._drain is not None:
            self._drain.join(timeout=2)
        with contextlib.suppress(OSError):
            if self.proc.stderr is not None:
                self.proc.stderr.close()
        self._cleanup()

    def _cleanup(self) -> None:
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                self._tmp.cleanup()
            self._tmp = None

    def exit_description(self) -> str:
        """How the worker ended, in a few fixed words — after :meth:`kill`.

        Deliberately coarse (no exit status, no arbitrary signal name): student code that
        saw hidden inputs could otherwise encode them in how it dies.
        """
        return describe_exit(self.returncode)

    def stderr_tail(self, n: int = 600) -> str:
        """The last ``n`` characters the worker wrote to stderr (for the instructor's log)."""
        return self.stderr.decode("utf-8", errors="replace")[-n:]


def describe_exit(rc: int | None) -> str:
    """How a process ended, in a few fixed words, from its exit code (negative: a signal)."""
    if rc is None:
        return "still running"
    if rc < 0 or rc > 128:
        sig = -rc if rc < 0 else rc - 128
        names: dict[int, str] = {
            signal.SIGKILL: "killed (memory or process limit, or by the grader)",
            signal.SIGXCPU: "CPU time limit exceeded",
            signal.SIGSEGV: "crashed (e.g. a stack overflow)",
        }
        return names.get(sig, "killed by a signal")
    return "the process exited (sys.exit/os._exit or a crash)"


def submission_files(submission: Path, limit: int) -> list[tuple[str, bytes]] | None:
    """A submission's regular files as (relative path, bytes); ``None`` past ``limit``
    bytes or for anything but plain files and folders (the worker then starts on its own)."""
    if submission.is_file() and not submission.is_symlink():
        entries = [(submission.name, submission)]
    elif submission.is_dir() and not submission.is_symlink():
        entries = []
        for p in sorted(submission.rglob("*")):
            if p.is_symlink() or not (p.is_file() or p.is_dir()):
                return None
            if p.is_file():
                entries.append((p.relative_to(submission).as_posix(), p))
    else:
        return None
    out, total = [], 0
    for rel, p in entries:
        data = p.read_bytes()
        total += len(data)
        if total > limit:
            return None
        out.append((rel, data))
    return out


class Zygote:
    """A sandboxed process that forks one fully isolated worker per notebook.

    Started once (bubblewrap as root only) with numpy and the library already imported
    (:data:`normcourse.grading.worker.PRELOAD`), it never runs student code itself. Each
    worker it forks still gets a fresh process, its own mount, PID, network and IPC
    namespaces, a fresh private ``/tmp`` and ``/dev/shm``, only its own submission, the
    student's uid and rlimits (:func:`normcourse.grading.worker.zygote`); what it saves is
    the interpreter start and the imports, paid once per run instead of once per notebook.
    """

    def __init__(self, box: Sandbox, limits: Limits) -> None:
        import json

        from normcourse.grading.worker import PRELOAD

        self._lock = threading.Lock()
        self._ctrl, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        cfg = {"ctrl": theirs.fileno(), "preload": list(PRELOAD)}
        cmd, env, cwd = box.command(None, None, ["-m", "normcourse.grading.worker", "--zygote",
                                                 json.dumps(cfg)], limits)
        self._log = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log,
                                         stderr=self._log, env=env, cwd=cwd,
                                         pass_fds=(theirs.fileno(),), start_new_session=True)
        finally:
            theirs.close()
        self._ctrl.settimeout(120)
        self._ready = False
        # Spawned processes made ahead of time (see take): (tmp bytes, pid, socket, stderr)
        self._spares: list[tuple[int, int, socket.socket, int]] = []
        self._closed = False
        self._cond = threading.Condition()
        self._filler: threading.Thread | None = None

    def wait_ready(self) -> None:
        """Wait for the zygote's imports to finish (``EOFError`` if it died)."""
        if not self._ready:
            self._request(None)  # its "ready"
            self._ready = True

    def _request(self, msg: dict[str, Any] | None, fds: Sequence[int] = ()) -> dict[str, Any]:
        import json

        with self._lock:
            if msg is not None:
                socket.send_fds(self._ctrl, [json.dumps(msg).encode()], list(fds))
            data = self._ctrl.recv(1 << 16)
        if not data:
            raise EOFError("the zygote ended")
        return json.loads(data)

    def warm(self, forbid: dict[str, Any]) -> None:
        """Have the zygote resolve the forbidden library functions once, for every worker."""
        self.wait_ready()
        self._request({"op": "warm", "forbid": forbid})

    def spawn(self, tmp_bytes: int) -> tuple[int, socket.socket, int]:
        """Fork one notebook's processes, whose worker then waits for the notebook's files
        (:meth:`WorkerProcess.start`): the first one's pid in the zygote's namespace, our
        end of the worker's protocol socket and the read end of its stderr."""
        self.wait_ready()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        err_r, err_w = os.pipe()
        cfg = {"op": "spawn", "tmp_bytes": tmp_bytes,
               "keep": [d for d in python_dirs() if d == "/tmp" or d.startswith(("/tmp/",
                                                                                 "/dev/shm/"))]}
        try:
            pid = int(self._request(cfg, [theirs.fileno(), err_w])["pid"])
        except BaseException:
            ours.close()
            os.close(err_r)
            raise
        finally:
            theirs.close()
            os.close(err_w)
        return pid, ours, err_r

    def take(self, tmp_bytes: int) -> tuple[int, socket.socket, int]:
        """A spawned process for one notebook (:meth:`spawn`): one made ahead of time while
        the previous notebook ran, when there is one, and another is made for the next.
        Each is used once; what it saves is the fork and the namespaces' set-up."""
        with self._cond:
            for i, spare in enumerate(self._spares):
                if spare[0] == tmp_bytes:
                    del self._spares[i]
                    self._cond.notify_all()
                    return spare[1:]
            if self._filler is None and not self._closed:
                self._filler = threading.Thread(target=self._fill, args=(tmp_bytes,),
                                                daemon=True)
                self._filler.start()
            self._cond.notify_all()
        return self.spawn(tmp_bytes)

    def _fill(self, tmp_bytes: int) -> None:
        """Keep one set of processes ready (a thread, until :meth:`close`)."""
        while True:
            with self._cond:
                while not self._closed and self._spares:
                    self._cond.wait()
                if self._closed:
                    return
            try:
                pid, sock, err = self.spawn(tmp_bytes)
            except (OSError, EOFError, ValueError):
                return
            with self._cond:
                if self._closed:
                    sock.close()
                    os.close(err)
                    return
                self._spares.append((tmp_bytes, pid, sock, err))

    def reap(self, pid: int, grace: float = 0.0) -> int:
        """End a worker (after ``grace`` seconds) and return its exit code."""
        return int(self._request({"op": "reap", "pid": pid, "grace": grace})["status"])

    def close(self) -> None:
        """Stop the zygote (its workers, and the processes made ahead of time, die with it)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            spares, self._spares = self._spares, []
        for _, _, sock, err in spares:
            sock.close()
            with contextlib.suppress(OSError):
                os.close(err)
        with contextlib.suppress(OSError):
            self._ctrl.close()
        with contextlib.suppress(OSError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self._log.close()
