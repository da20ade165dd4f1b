"""The untrusted side of the grader: run one submission's cells, then answer calls.

Started by :mod:`normcourse.grading.sandbox` inside the sandbox as::

    python -I -B -m normcourse.grading.worker '{"uid": ..., "gid": ..., "limits": {...}}'

Before any student code runs the worker

1. takes over the protocol channel: it keeps private copies of fd 0 (requests) and fd 1
   (responses), then points fd 0 at ``/dev/null`` and fd 1 at fd 2, so whatever the
   student prints goes to the captured stderr stream and cannot be mistaken for a frame;
2. drops to an unprivileged uid/gid of its own (when started as root inside bubblewrap),
   so that ``RLIMIT_NPROC`` counts this submission's processes alone;
3. sets its resource limits (soft = hard, so they cannot be raised again):
   ``RLIMIT_AS`` (memory), ``RLIMIT_CPU``, ``RLIMIT_NPROC`` (fork bombs), ``RLIMIT_FSIZE``,
   ``RLIMIT_NOFILE`` and ``RLIMIT_CORE = 0``.

Protocol (frames of :mod:`~normcourse.grading.wire`; values are plain data, no pickle)::

    grader → worker  {"op": "run", "cells": [source, ...], "skip": [index, ...],
                      "forbid": {function: {"names": ["normcourse.<module>:<qualname>", ...],
                                            "modules": [...], "allowed": [...]}}}
    worker → grader  {"op": "cell", "i": index}            before each cell it executes
    worker → grader  {"op": "ready", "cells": [{"i", "status", "error"}, ...]}
    grader → worker  {"op": "call", "id": k, "function": name, "args": [tree, ...],
                      "isolate": bool}   (true: run the call in a forked child)
    worker → grader  {"op": "result", "id": k, "status": "ok", "value": tree}
                     or status "missing" | "raised" | "unsupported" with "type", "error",
                     or status "delegated" with "names" (forbidden functions it called)
                     or status "crashed" with "rc" (an isolated call's child died)
    grader → worker  {"op": "exit"}

Every cell runs in one shared namespace; an exception (including ``SystemExit`` and
``KeyboardInterrupt``) is recorded and the next cell runs. A process forked by student
code exits at the end of the cell or call that forked it, so only the worker answers.
Nothing the worker sends is trusted: the grader decides pass or fail in its own process.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import re
import sys
import traceback
from typing import Any

_CELL_MAGICS_RUN_BODY = {"time", "timeit", "capture", "prun"}
_ERROR_LEN = 600


def _take_over_fds() -> tuple[int, int]:
    proto_in = os.dup(0)
    proto_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    return proto_in, proto_out


def _drop_privileges(uid: int | None, gid: int | None) -> None:
    if uid is None:
        return
    os.setgroups([])
    os.setgid(gid if gid is not None else uid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise RuntimeError("could not drop privileges")


def _set_limits(limits: dict[str, int]) -> None:
    import resource

    names = {
        "as": resource.RLIMIT_AS,
        "cpu": resource.RLIMIT_CPU,
        "nproc": resource.RLIMIT_NPROC,
        "fsize": resource.RLIMIT_FSIZE,
        "nofile": resource.RLIMIT_NOFILE,
        "core": resource.RLIMIT_CORE,
    }
    for key, value in limits.items():
        res = names[key]
        _, hard = resource.getrlimit(res)
        v = int(value)
        if hard != resource.RLIM_INFINITY:
            v = min(v, hard)
        resource.setrlimit(res, (v, v))


def transform_cell(source: str) -> str | None:
    """Make a notebook cell plain Python: drop IPython magics; ``None`` to skip the cell.

    Line magics (``%matplotlib``) and shell escapes (``!pip``) become ``pass``; the cell
    magics ``%%time``, ``%%timeit``, ``%%capture``, ``%%prun`` keep their body; any other
    cell magic (``%%bash``…) skips the cell.
    """
    lines = source.split("\n")
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].lstrip()[2:].split(maxsplit=1)
        if magic and magic[0] in _CELL_MAGICS_RUN_BODY:
            lines = lines[1:]
        else:
            return None
    out = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")) or re.match(r"^\w+\s*=\s*[%!]", stripped):
            out.append(line[: len(line) - len(stripped)] + "pass")
        else:
            out.append(line)
    return "\n".join(out)


def _describe_error(exc: BaseException, filename: str) -> str:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    if isinstance(exc, SyntaxError) and exc.filename == filename:
        line = exc.lineno
    try:
        msg = str(exc)
    except BaseException:  # a hostile __str__
        msg = "<unprintable>"
    where = f" (line {line})" if line else ""
    return f"{type(exc).__name__}{where}: {msg}"[:_ERROR_LEN]


class DelegationError(RuntimeError):
    """Raised by a library function that the graded function must not call."""


class _Guard:
    """Library functions made unavailable while one graded function runs.

    Each forbidden function (``module:qualname``) gets, for the duration of the call, a
    code object that raises :class:`DelegationError` and records the use; every alias of
    the function (a re-export, ``from … import … as f``, a bound method) is the same
    function object, so it is caught too. The original code is put back after the call.
    """

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}
        self._stubs: dict[tuple[str, tuple[str, ...]], Any] = {}
        self.hits: list[str] = []
        self._armed: list[tuple[Any, Any]] = []
        self._hook: _ArmOnImport | None = None
        self._allowed: set[str] = set()
        self.function = ""

    @staticmethod
    def _resolve(name: str) -> Any:
        import importlib
        import inspect
        import types

        mod_name, _, qual = name.partition(":")
        try:
            obj: Any = importlib.import_module(mod_name)
            for part in qual.split("."):
                obj = (inspect.getattr_static(obj, part) if isinstance(obj, type)
                       else getattr(obj, part))
        except Exception:
            return None
        if isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
        if isinstance(obj, property):
            obj = obj.fget
        return obj if isinstance(obj, types.FunctionType) else None

    def _stub(self, name: str, freevars: tuple[str, ...]) -> Any:
        key = (name, freevars)
        if key not in self._stubs:
            lines = ["def _outer():", *(f"    {v} = None" for v in freevars),
                     "    def _stub(*args, **kwargs):"]
            if freevars:
                lines.append("        " + "; ".join(freevars))
            lines += [f"        raise __nc_forbidden__({name!r})", "    return _stub"]
            ns: dict[str, Any] = {}
            exec("\n".join(lines), ns)
            code = ns["_outer"]().__code__
            self._stubs[key] = code if code.co_freevars == freevars else None
        return self._stubs[key]

    def _raise(self, name: str) -> DelegationError:
        if name not in self.hits:
            self.hits.append(name)
        shown = name.replace(":", ".")
        return DelegationError(
            f"{shown} is not available while {self.function} is graded: the exercise asks "
            f"you to write {self.function} yourself (numpy is fine)")

    def arm(self, function: str, spec: dict[str, list[str]]) -> None:
        """Make the functions of ``spec`` (``names``, and every function of ``modules``
        except ``allowed``) unavailable until :meth:`disarm`; a library module that is not
        imported yet is armed as soon as the call imports it."""
        self.function, self.hits = function, []
        later: dict[str, list[str]] = {}
        for name in spec.get("names", []):
            module = name.partition(":")[0]
            if name not in self._cache and module not in sys.modules:
                later.setdefault(module, []).append(name)
                continue
            self._arm_one(name)
        allowed = set(spec.get("allowed", []))
        for module in spec.get("modules", []):
            if module in sys.modules:
                for name in self._module_names(module, allowed):
                    self._arm_one(name)
            else:
                later.setdefault(module, []).append(f"{module}:*")
        self._allowed = allowed
        if later:
            self._hook = _ArmOnImport(self, later)
            sys.meta_path.insert(0, self._hook)

    def warm(self, spec: dict[str, list[str]]) -> None:
        """Resolve ``spec``'s functions and build their stubs without arming them (what the
        zygote does once, so that no notebook's worker pays for it)."""
        allowed = set(spec.get("allowed", []))
        names = [n for n in spec.get("names", []) if n.partition(":")[0] in sys.modules]
        for module in spec.get("modules", []):
            if module in sys.modules:
                names += self._module_names(module, allowed)
        for name in names:
            if name not in self._cache:
                self._cache[name] = self._resolve(name)
            fn = self._cache[name]
            if fn is not None:
                self._stub(name, fn.__code__.co_freevars)

    def _module_names(self, module: str, allowed: set[str]) -> list[str]:
        """Every function a library module defines, methods of its classes included."""
        import types

        key = f"{module}:*"
        if key not in self._cache:
            names = []
            for v in list(vars(sys.modules[module]).values()):
                if getattr(v, "__module__", None) != module:
                    continue
                if isinstance(v, types.FunctionType):
                    if not (v.__name__.startswith("__") and v.__name__.endswith("__")):
                        names.append(f"{module}:{v.__qualname__}")  # not __getattr__
                elif isinstance(v, type):
                    for k, m in vars(v).items():
                        f = m.__func__ if isinstance(m, (staticmethod, classmethod)) else (
                            m.fget if isinstance(m, property) else m)
                        if isinstance(f, types.FunctionType) and not (
                                k.startswith("__") and k.endswith("__")):
                            names.append(f"{module}:{f.__qualname__}")
            self._cache[key] = names
        return [n for n in self._cache[key] if n not in allowed]

    def _arm_one(self, name: str) -> None:
        if name.endswith(":*"):
            for n in self._module_names(name[:-2], self._allowed):
                self._arm_one(n)
            return
        if name not in self._cache:
            self._cache[name] = self._resolve(name)
        fn = self._cache[name]
        if fn is None:
            return
        stub = self._stub(name, fn.__code__.co_freevars)
        if stub is None:
            return
        fn.__globals__["__nc_forbidden__"] = self._raise
        self._armed.append((fn, fn.__code__))
        fn.__code__ = stub

    def disarm(self) -> None:
        if self._hook is not None:
            with contextlib.suppress(ValueError):
                sys.meta_path.remove(self._hook)
            self._hook = None
        while self._armed:
            fn, code = self._armed.pop()
            fn.__code__ = code


_GUARD = _Guard()


class _ArmOnImport:
    """A meta-path finder, present during one graded call only: a library module imported
    by the call has its forbidden functions armed before the call can use them."""

    def __init__(self, guard: _Guard, modules: dict[str, list[str]]) -> None:
        self.guard = guard
        self.modules = modules

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in self.modules:
            return None
        import importlib.util

        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader, names, guard = spec.loader, self.modules.pop(fullname), self.guard

        class _Loader:
            def create_module(self, s: Any) -> Any:
                return loader.create_module(s)

            def exec_module(self, module: Any) -> None:
                loader.exec_module(module)
                for name in names:
                    guard._arm_one(name)

        spec.loader = _Loader()
        return spec


def _display(*objs: Any, **_: Any) -> None:
    for o in objs:
        print(repr(o))


def run(proto_in: int, proto_out: int) -> None:
    """Serve one submission: cells first, then calls, until ``exit`` or end of input."""
    import numpy  # noqa: F401  (needed to decode arrays; imported under the limits)

    from normcourse.grading import wire

    reader = wire.FrameReader(proto_in)
    main_pid = os.getpid()
    answering = [main_pid]  # the process allowed to answer (an isolated call's child)

    def send(header: dict[str, Any], blobs: list[bytes] | None = None) -> None:
        if os.getpid() not in answering:  # a forked child of student code: never answer
            os._exit(0)
        wire.write_frame(proto_out, header, blobs)

    header, _ = reader.read()
    if header.get("op") != "run":
        raise SystemExit(3)
    cells = [str(c) for c in header.get("cells", [])]
    skip = {int(i) for i in header.get("skip", [])}
    forbid = {str(k): {key: [str(n) for n in v.get(key, []) if isinstance(n, str)]
                       for key in ("names", "modules", "allowed")}
              for k, v in (header.get("forbid") or {}).items() if isinstance(v, dict)}
    ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins, "display": _display}
    report = []
    for i, src in enumerate(cells):
        if i in skip:
            report.append({"i": i, "status": "skipped", "error": ""})
            continue
        code_src = transform_cell(src)
        if code_src is None:
            report.append({"i": i, "status": "skipped", "error": "cell magic not supported"})
            continue
        send({"op": "cell", "i": i})
        filename = f"<cell {i + 1}>"
        try:
            code = compile(code_src, filename, "exec")
            exec(code, ns)
            report.append({"i": i, "status": "ok", "error": ""})
        except BaseException as exc:  # SystemExit, KeyboardInterrupt included
            report.append({"i": i, "status": "error", "error": _describe_error(exc, filename)})
        finally:
            if os.getpid() != main_pid:
                os._exit(0)
            try:
                sys.stdout.flush()
            except BaseException:
                pass
    send({"op": "ready", "cells": report})
    guard = _GUARD  # (warmed by the zygote, when one forked this process)

    while True:
        try:
            header, blobs = reader.read()
        except EOFError:
            os._exit(0)
        op = header.get("op")
        if op == "exit":
            os._exit(0)
        if op != "call":
            os._exit(3)
        rid = header.get("id")
        name = str(header.get("function"))
        args = [wire.decode(a, blobs) for a in header.get("args", [])]
        if not header.get("isolate"):
            _answer(send, ns, guard, forbid, rid, name, args)
            continue
        # After a call killed the process once, each call runs in a child of this process
        # (the cells' state, copied): a crash costs that child, not a restart.
        done_r, done_w = os.pipe()
        child = os.fork()
        if child == 0:
            os.close(done_r)
            answering[:] = [os.getpid()]
            _answer(send, ns, guard, forbid, rid, name, args)
            os.write(done_w, b"1")
            os._exit(0)
        os.close(done_w)
        _, status = os.waitpid(child, 0)
        answered = os.read(done_r, 1) == b"1"
        os.close(done_r)
        if not answered:
            rc = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
            send({"op": "result", "id": rid, "status": "crashed", "rc": rc})


def _answer(send: Any, ns: dict[str, Any], guard: _Guard, forbid: dict[str, Any], rid: Any,
            name: str, args: list[Any]) -> None:
    """Call the student's function ``name`` on ``args`` and send the plain result."""
    from normcourse.grading import wire

    fn = ns.get(name)
    if not callable(fn):
        send({"op": "result", "id": rid, "status": "missing",
              "error": f"no function named {name!r} is defined in the notebook"})
        return
    try:
        guard.arm(name, forbid.get(name, {}))
        value = fn(*args)
        # Converting the result runs student code too (an ndarray subclass's properties, a
        # tensor's __torch_function__): still under the guard.
        tree, out_blobs = wire.encode(wire.to_plain(value))
    except BaseException as exc:
        guard.disarm()
        if guard.hits:
            send({"op": "result", "id": rid, "status": "delegated", "names": guard.hits})
        elif "value" not in locals():
            send({"op": "result", "id": rid, "status": "raised", "type": type(exc).__name__,
                  "error": _describe_error(exc, "")})
        elif isinstance(exc, wire.Unsupported):
            send({"op": "result", "id": rid, "status": "unsupported", "error": str(exc)})
        else:
            send({"op": "result", "id": rid, "status": "unsupported",
                  "error": f"could not convert the result: {type(exc).__name__}"})
        return
    guard.disarm()
    if guard.hits:  # the student caught the DelegationError: still a delegation
        send({"op": "result", "id": rid, "status": "delegated", "names": guard.hits})
        return
    send({"op": "result", "id": rid, "status": "ok", "value": tree}, out_blobs)


# ====================================================================== the zygote

#: What the zygote imports once, so that no student's process pays for it.
PRELOAD = ("numpy", "normcourse.grading.wire", "normcourse.grading.selfcheck",
           "normcourse.penalties", "normcourse.solvers", "normcourse.constrained",
           "normcourse.margin", "normcourse.diagnostics", "normcourse.selection",
           "normcourse.sindy", "normcourse.datasets")
_CLONE_NEWNS, _CLONE_NEWPID = 0x00020000, 0x20000000
_CLONE_NEWNET, _CLONE_NEWIPC = 0x40000000, 0x08000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18
_PR_SET_PDEATHSIG, _PR_SET_NO_NEW_PRIVS = 1, 38


def _libc() -> Any:
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _mount(libc: Any, src: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    import ctypes

    enc = [None if s is None else s.encode() for s in (src, target, fstype, data)]
    if libc.mount(enc[0], enc[1], enc[2], flags, enc[3]) != 0:
        raise OSError(ctypes.get_errno(), f"mount {target}")


def zygote(ctrl_fd: int, preload: list[str]) -> None:
    """Serve ``spawn``/``reap`` requests on a Unix socket; never runs student code.

    Started once per grading run inside bubblewrap (as root, with ``CAP_SYS_ADMIN`` and
    the uid capabilities), after importing :data:`PRELOAD`. For each notebook it forks a
    process that gets new mount, PID, network and IPC namespaces, fresh ``/tmp``,
    ``/dev/shm`` and a read-only ``/submission`` holding that student's files only, a
    fresh ``/proc``, and then — as PID 2 of its own PID namespace, under the student's uid
    and rlimits — serves the submission exactly as :func:`main` does. Killing the spawned
    process kills the namespace's init and with it every process the student started.
    The three processes of a notebook (the spawned one, its init, the worker) are made
    ahead of time: until the grader sends the worker a notebook's files, uid and limits it
    holds nothing but its empty namespaces and runs no code.
    """
    import importlib
    import socket

    for name in preload:
        try:
            importlib.import_module(name)
        except Exception:
            traceback.print_exc()
    libc = _libc()
    ctrl = socket.socket(fileno=ctrl_fd)
    ctrl.send(json.dumps({"op": "ready"}).encode())
    while True:
        msg, fds, _, _ = socket.recv_fds(ctrl, 1 << 16, 2)
        if not msg:
            os._exit(0)
        req = json.loads(msg)
        if req.get("op") == "spawn" and len(fds) == 2:
            pid = os.fork()
            if pid == 0:
                _spawned(libc, ctrl, fds, req)
            for fd in fds:
                os.close(fd)
            ctrl.send(json.dumps({"pid": pid}).encode())
        elif req.get("op") == "warm":  # names to resolve now, for every worker it forks
            for fd in fds:
                os.close(fd)
            for spec in (req.get("forbid") or {}).values():
                if isinstance(spec, dict):
                    _GUARD.warm(spec)
            ctrl.send(json.dumps({"op": "warm"}).encode())
        elif req.get("op") == "reap":
            for fd in fds:
                os.close(fd)
            ctrl.send(json.dumps({"status": _reap(int(req["pid"]), float(req["grace"]))}).encode())
        else:
            os._exit(3)


def _reap(pid: int, grace: float) -> int:
    """Wait up to ``grace`` seconds for ``pid`` to end, then kill it; its exit code (as
    ``subprocess`` reports it: negative for a signal)."""
    import select
    import signal

    try:
        fd = os.pidfd_open(pid)  # readable once the process has ended
    except OSError:
        return -signal.SIGKILL
    try:
        ready, _, _ = select.select([fd], [], [], max(grace, 0.0))
        if not ready:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return -signal.SIGKILL
    finally:
        os.close(fd)
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    code = os.WEXITSTATUS(status)
    return -(code - 128) if code > 128 else code


def _spawned(libc: Any, ctrl: Any, fds: list[int], req: dict[str, Any]) -> None:
    """The first process of one notebook: its namespaces and fresh /tmp; then its init."""
    import signal

    try:
        ctrl.close()
        proto, err = fds
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        os.setsid()
        if libc.unshare(_CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWNET | _CLONE_NEWIPC) != 0:
            os._exit(70)
        _mount(libc, None, "/", None, _MS_REC | _MS_PRIVATE)
        # The interpreter's read-only folders that live under /tmp (a checkout in /tmp/...)
        # are kept: held open by descriptor, then bound again inside the fresh /tmp.
        keep = [(d, os.open(d, os.O_PATH | os.O_DIRECTORY)) for d in map(str, req["keep"])
                if os.path.isdir(d)]
        size = int(req["tmp_bytes"])
        for where in ("/tmp", "/dev/shm"):
            _mount(libc, "tmpfs", where, "tmpfs", _MS_NOSUID | _MS_NODEV,
                   f"size={size},mode=1777")
        for d, fd in keep:
            os.makedirs(d, mode=0o755, exist_ok=True)
            _mount(libc, f"/proc/self/fd/{fd}", d, None, _MS_BIND | _MS_REC)
            _mount(libc, None, d, None,
                   _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
            os.close(fd)
        init = os.fork()
        if init == 0:
            _init(libc, proto, err)
        os.close(proto)
        os.close(err)
        _, status = os.waitpid(init, 0)
        os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
    except BaseException:
        os._exit(71)


def _init(libc: Any, proto: int, err: int) -> None:
    """PID 1 of the notebook's namespace: a fresh /proc, the worker, then reap until it ends."""
    import signal

    try:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        _mount(libc, "proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
        child = os.fork()
        if child == 0:
            _forked_worker(libc, proto, err)
        os.close(proto)
        os.close(err)
        while True:
            pid, status = os.wait()
            if pid == child:
                os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status)
                         else 128 + os.WTERMSIG(status))
    except BaseException:
        os._exit(73)


def _forked_worker(libc: Any, proto: int, err: int) -> None:
    """PID 2: made ahead of time, it waits (as root, running nothing) for the notebook it
    will serve — a frame with the student's files, uid and limits; then it puts the files
    in a read-only ``/submission``, becomes the student and serves as :func:`main` does."""
    import resource

    from normcourse.grading import wire

    try:
        header, blobs = wire.FrameReader(proto).read()
        _mount(libc, "tmpfs", "/submission", "tmpfs", _MS_NOSUID | _MS_NODEV,
               f"size={sum(map(len, blobs)) + (1 << 20)},mode=0755")
        names = header.get("files", [])
        for name, data in zip(names, blobs, strict=True):
            parts = str(name).split("/")
            if name.startswith("/") or any(p in ("", ".", "..") for p in parts):
                os._exit(72)
            path = os.path.join("/submission", *parts)
            os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(data)
            os.chmod(path, 0o644)
        _mount(libc, None, "/submission", None,
               _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
        wire.write_frame(proto, {"op": "mounted"})
        os.dup2(proto, 0)
        os.dup2(proto, 1)
        os.dup2(err, 2)
        os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        os.chdir("/submission")
        proto_in, proto_out = _take_over_fds()
        _drop_privileges(header.get("uid"), header.get("gid"))
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            os._exit(74)
        _set_limits(header.get("limits", {}))
        run(proto_in, proto_out)
    except BaseException:
        traceback.print_exc()
        os._exit(2)
    os._exit(0)


def main() -> None:
    """Entry point inside the sandbox (see the module docstring)."""
    if len(sys.argv) > 2 and sys.argv[1] == "--zygote":
        cfg = json.loads(sys.argv[2])
        zygote(int(cfg["ctrl"]), [str(m) for m in cfg.get("preload", [])])
        return
    proto_in, proto_out = _take_over_fds()
    cfg = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    _drop_privileges(cfg.get("uid"), cfg.get("gid"))
    _set_limits(cfg.get("limits", {}))
    os.environ["NORMCOURSE_GRADING_WORKER"] = "1"
    try:
        run(proto_in, proto_out)
    except BaseException:  # a broken request or a tampered worker: say why, then stop
        traceback.print_exc()
        os._exit(2)
    os._exit(0)


if __name__ == "__main__":
    main()
