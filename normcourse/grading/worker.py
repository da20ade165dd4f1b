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

    grader → worker  {"op": "run", "cells": [source, ...], "skip": [index, ...]}
    worker → grader  {"op": "cell", "i": index}            before each cell it executes
    worker → grader  {"op": "ready", "cells": [{"i", "status", "error"}, ...]}
    grader → worker  {"op": "call", "id": k, "function": name, "args": [tree, ...],
                      "forbid": ["normcourse.<module>:<qualname>", ...]}
    worker → grader  {"op": "result", "id": k, "status": "ok", "value": tree}
                     or status "missing" | "raised" | "unsupported" with "type", "error",
                     or status "delegated" with "names" (forbidden functions it called)
    grader → worker  {"op": "exit"}

Every cell runs in one shared namespace; an exception (including ``SystemExit`` and
``KeyboardInterrupt``) is recorded and the next cell runs. A process forked by student
code exits at the end of the cell or call that forked it, so only the worker answers.
Nothing the worker sends is trusted: the grader decides pass or fail in its own process.
"""

from __future__ import annotations

import builtins
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

    def arm(self, function: str, names: list[str]) -> None:
        self.function, self.hits = function, []
        for name in names:
            if name not in self._cache:
                self._cache[name] = self._resolve(name)
            fn = self._cache[name]
            if fn is None:
                continue
            stub = self._stub(name, fn.__code__.co_freevars)
            if stub is None:
                continue
            fn.__globals__["__nc_forbidden__"] = self._raise
            self._armed.append((fn, fn.__code__))
            fn.__code__ = stub

    def disarm(self) -> None:
        while self._armed:
            fn, code = self._armed.pop()
            fn.__code__ = code


def _display(*objs: Any, **_: Any) -> None:
    for o in objs:
        print(repr(o))


def run(proto_in: int, proto_out: int) -> None:
    """Serve one submission: cells first, then calls, until ``exit`` or end of input."""
    import numpy  # noqa: F401  (needed to decode arrays; imported under the limits)

    from normcourse.grading import wire

    reader = wire.FrameReader(proto_in)
    main_pid = os.getpid()

    def send(header: dict[str, Any], blobs: list[bytes] | None = None) -> None:
        if os.getpid() != main_pid:  # a forked child of student code: never answer
            os._exit(0)
        wire.write_frame(proto_out, header, blobs)

    header, _ = reader.read()
    if header.get("op") != "run":
        raise SystemExit(3)
    cells = [str(c) for c in header.get("cells", [])]
    skip = {int(i) for i in header.get("skip", [])}
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
    guard = _Guard()

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
        fn = ns.get(name)
        if not callable(fn):
            send({"op": "result", "id": rid, "status": "missing",
                  "error": f"no function named {name!r} is defined in the notebook"})
            continue
        forbid = [str(f) for f in header.get("forbid", []) if isinstance(f, str)]
        try:
            guard.arm(name, forbid)
            value = fn(*args)
        except BaseException as exc:
            guard.disarm()
            if guard.hits:
                send({"op": "result", "id": rid, "status": "delegated", "names": guard.hits})
                continue
            send({"op": "result", "id": rid, "status": "raised", "type": type(exc).__name__,
                  "error": _describe_error(exc, "")})
            continue
        guard.disarm()
        if guard.hits:  # the student caught the DelegationError: still a delegation
            send({"op": "result", "id": rid, "status": "delegated", "names": guard.hits})
            continue
        try:
            tree, out_blobs = wire.encode(wire.to_plain(value))
        except wire.Unsupported as exc:
            send({"op": "result", "id": rid, "status": "unsupported", "error": str(exc)})
            continue
        except BaseException as exc:
            send({"op": "result", "id": rid, "status": "unsupported",
                  "error": f"could not convert the result: {type(exc).__name__}"})
            continue
        send({"op": "result", "id": rid, "status": "ok", "value": tree}, out_blobs)


def main() -> None:
    """Entry point inside the sandbox (see the module docstring)."""
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
