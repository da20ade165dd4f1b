"""The project's fuzz harness: every public function, one argument mutated at a time.

A :class:`Case` names a public callable, how to call it (``call(**kwargs)``) and its
arguments, each an :class:`Arg` with a factory for a valid baseline value and a *kind*
that decides which mutations apply and what they must produce:

* an **invalid** mutation (NaN, ±inf, empty, wrong ndim or length, a value outside the
  domain, a string, ``None`` for a required argument, a string flag) must raise
  ``ValueError`` or ``TypeError`` whose message names the argument as the caller wrote it;
* a **variant** (a list instead of an array, int or float32 dtype, a torch tensor for a numpy
  array, a huge but finite number) may be accepted — then every number in the result must
  be finite — or rejected with such a clear error;
* the baseline call itself must succeed with a finite result.

Every call runs in a worker process with warnings turned into errors and a timeout, so a
crash of the interpreter or a hang is a finding, not the end of the run. ``Case.accept``
lists the (argument, mutation) pairs whose acceptance is a decision, each with its reason.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import multiprocessing as mp
import os
import random
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

CASE_MODULES = ("fuzz_cases_core", "fuzz_cases_solvers", "fuzz_cases_torch", "fuzz_cases_misc")

# ------------------------------------------------------------------------------ mutations

ARRAY_KINDS = {"array", "labels_pm1", "labels_int", "index"}


def _as_np(v: Any) -> np.ndarray:
    return np.array(v.detach().cpu().numpy() if hasattr(v, "detach") else v, dtype=float)


def _with(v: Any, fill: float) -> Any:
    """``v`` with its first entry replaced by ``fill`` (same type: numpy, torch or list)."""
    if hasattr(v, "detach"):
        out = v.detach().clone().to(dtype=v.dtype if v.is_floating_point() else None)
        if not out.is_floating_point():
            import torch

            out = out.to(torch.get_default_dtype())
        out.view(-1)[0] = fill
        return out
    a = np.array(v, dtype=float, copy=True)
    a.reshape(-1)[0] = fill
    return a


def _torch(v: Any) -> Any:
    import torch

    return torch.as_tensor(np.asarray(v))


def _first_group(v: Any, g: np.ndarray) -> list[Any]:
    return [g, *list(v)[1:]]


def _shorter(v: Any) -> Any:
    return v[:-1] if len(v) > 1 else v[:0]


# (name, invalid?, transform). A transform returning NotImplemented skips the mutation.
MUTATIONS: dict[str, list[tuple[str, bool, Callable[[Any], Any]]]] = {
    "array": [
        ("nan", True, lambda v: _with(v, math.nan)),
        ("inf", True, lambda v: _with(v, math.inf)),
        ("-inf", True, lambda v: _with(v, -math.inf)),
        ("empty", True, lambda v: np.empty((0, *np.shape(v)[1:]))),
        ("extra-axis", True, lambda v: np.asarray(v)[..., None]),
        ("string", True, lambda v: "abc"),
        ("none", True, lambda v: None),
        ("list", False, lambda v: np.asarray(v).tolist()),
        ("float32", False, lambda v: np.asarray(v, dtype=np.float32)),
        ("torch", False, _torch),
        ("huge", False, lambda v: np.asarray(v, dtype=float) * 1e150),
    ],
    "labels_pm1": [
        ("nan", True, lambda v: _with(v, math.nan)),
        ("zero-label", True, lambda v: _with(v, 0.0)),
        ("two-label", True, lambda v: _with(v, 2.0)),
        ("empty", True, lambda v: np.empty(0)),
        ("extra-axis", True, lambda v: np.asarray(v)[:, None]),
        ("string", True, lambda v: "abc"),
        ("list", False, lambda v: np.asarray(v).tolist()),
        ("torch", False, _torch),
    ],
    "labels_int": [
        ("out-of-range", True, lambda v: _with(v, 10_000.0)),
        ("negative", True, lambda v: _with(v, -1.0)),
        ("fraction", True, lambda v: _with(v, 0.5)),
        ("nan", True, lambda v: _with(v, math.nan)),
        ("empty", True, lambda v: np.empty(0, dtype=int)),
        ("extra-axis", True, lambda v: np.asarray(v)[:, None]),
        ("string", True, lambda v: "abc"),
        ("list", False, lambda v: np.asarray(v).tolist()),
        ("torch", False, _torch),
    ],
    "index": [  # group lists, index arrays
        ("negative", True, lambda v: _first_group(v, np.array([-1]))),
        ("overlap", True, lambda v: [*list(v), np.asarray(next(iter(v)))]),
        ("empty-group", True, lambda v: _first_group(v, np.array([], dtype=int))),
        ("fraction", True, lambda v: _first_group(v, np.array([0.5]))),
        ("huge-index", True, lambda v: _first_group(v, np.array([10**9]))),
        ("string", True, lambda v: "abc"),
    ],
    "pos": [
        ("nan", True, lambda v: math.nan),
        ("inf", True, lambda v: math.inf),
        ("negative", True, lambda v: -1.0),
        ("zero", True, lambda v: 0.0),
        ("string", True, lambda v: "abc"),
        ("none", True, lambda v: None),
        ("huge", False, lambda v: 1e300),
        ("tiny", False, lambda v: 1e-300),
        ("int", False, lambda v: max(1, int(v))),
        ("numpy", False, lambda v: np.float64(v)),
    ],
    "nonneg": [
        ("nan", True, lambda v: math.nan),
        ("inf", True, lambda v: math.inf),
        ("negative", True, lambda v: -1.0),
        ("string", True, lambda v: "abc"),
        ("none", True, lambda v: None),
        ("zero", False, lambda v: 0.0),
        ("huge", False, lambda v: 1e300),
        ("numpy", False, lambda v: np.float64(v)),
    ],
    "unit": [  # a number in [0, 1) or [0, 1]
        ("nan", True, lambda v: math.nan),
        ("negative", True, lambda v: -0.5),
        ("above-one", True, lambda v: 1.5),
        ("string", True, lambda v: "abc"),
        ("none", True, lambda v: None),
    ],
    "real": [  # any finite real
        ("nan", True, lambda v: math.nan),
        ("inf", True, lambda v: math.inf),
        ("string", True, lambda v: "abc"),
        ("huge", False, lambda v: 1e300),
    ],
    "int_pos": [
        ("zero", True, lambda v: 0),
        ("negative", True, lambda v: -3),
        ("fraction", True, lambda v: 1.5),
        ("string", True, lambda v: "3"),
        ("bool", True, lambda v: True),
        ("none", True, lambda v: None),
        ("numpy", False, lambda v: np.int64(v)),
    ],
    "int_nonneg": [
        ("negative", True, lambda v: -3),
        ("fraction", True, lambda v: 1.5),
        ("string", True, lambda v: "3"),
        ("none", True, lambda v: None),
        ("zero", False, lambda v: 0),
    ],
    "seed": [
        ("fraction", True, lambda v: 1.5),
        ("string", True, lambda v: "0"),
        ("negative", True, lambda v: -1),
        ("bool", True, lambda v: True),
        ("none", True, lambda v: None),
        ("numpy", False, lambda v: np.int64(v)),
    ],
    "bool": [
        ("string", True, lambda v: "False"),
        ("int", True, lambda v: 1),
        ("none", True, lambda v: None),
        ("numpy", False, lambda v: np.bool_(v)),
    ],
    "callable": [
        ("string", True, lambda v: "f"),
        ("number", True, lambda v: 3),
    ],
    "choice": [
        ("unknown", True, lambda v: "no-such-option"),
        ("number", True, lambda v: 3),
        ("none", True, lambda v: None),
    ],
    "model": [
        ("string", True, lambda v: "model"),
        ("none", True, lambda v: None),
        ("array", True, lambda v: np.ones((3, 3))),
    ],
}
KINDS = set(MUTATIONS) | {"fixed"}


@dataclass
class Arg:
    """One argument: ``value()`` builds a valid baseline value; ``kind`` picks the mutations.

    ``optional``: ``None`` is a valid value. ``length_of``: the mutation "shorter" (drop the
    last sample) applies, and must be rejected, because the argument's length must match
    another one's. ``skip``: mutation names that do not apply to this argument.
    """

    name: str
    value: Callable[[], Any]
    kind: str = "fixed"
    optional: bool = False
    length_of: str | None = None
    skip: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r} for argument {self.name!r}")


@dataclass
class Case:
    """A public callable under test: ``call(**kwargs)`` with ``args``.

    ``accept`` maps (argument, mutation) to the reason an *invalid* mutation may be accepted;
    ``names`` maps an argument to other words its error message may use (e.g. "X" for a
    design passed as ``Theta``) — only when the caller's name cannot be known.
    """

    name: str
    call: Callable[..., Any]
    args: list[Arg]
    accept: dict[tuple[str, str], str] = field(default_factory=dict)
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    timeout: float = 20.0


def mutations(case: Case) -> Iterator[tuple[str, str, bool]]:
    """(argument, mutation, invalid?) for every mutation that applies to ``case``."""
    for a in case.args:
        for name, invalid, _ in MUTATIONS.get(a.kind, []):
            if name in a.skip or (name == "none" and a.optional):
                continue
            yield a.name, name, invalid
        if a.length_of:
            yield a.name, "shorter", True


def build_kwargs(case: Case, arg: str | None, mutation: str | None) -> dict[str, Any]:
    kwargs = {a.name: a.value() for a in case.args}
    if arg is None:
        return kwargs
    if mutation == "shorter":
        kwargs[arg] = _shorter(kwargs[arg])
        return kwargs
    spec = next(a for a in case.args if a.name == arg)
    fn = next(t for n, _, t in MUTATIONS[spec.kind] if n == mutation)
    kwargs[arg] = fn(kwargs[arg])
    return kwargs


# ------------------------------------------------------------------------------ outcomes


def non_finite(obj: Any, depth: int = 0) -> str | None:
    """A description of the first NaN/inf number inside ``obj`` (None if all finite)."""
    if depth > 6 or obj is None or isinstance(obj, str | bool | bytes):
        return None
    mod = type(obj).__module__
    if mod.startswith("matplotlib"):
        return None
    if isinstance(obj, float | int | np.number):
        return None if math.isfinite(float(obj)) else f"{obj!r}"
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "fc" and obj.size and not np.all(np.isfinite(obj)):
            return f"array {obj.shape} with NaN/inf"
        return None
    if hasattr(obj, "detach") and hasattr(obj, "is_floating_point"):  # torch tensor
        t = obj.detach()
        if t.is_floating_point() and t.numel() and not bool(t.isfinite().all()):
            return f"tensor {tuple(t.shape)} with NaN/inf"
        return None
    if hasattr(obj, "named_parameters") and callable(obj.named_parameters):
        for n, p in obj.named_parameters():
            bad = non_finite(p, depth + 1)
            if bad:
                return f"parameter {n}: {bad}"
        return None
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            bad = non_finite(getattr(obj, f.name), depth + 1)
            if bad:
                return f"{f.name}: {bad}"
        return None
    if isinstance(obj, dict):
        for k, v in obj.items():
            bad = non_finite(v, depth + 1)
            if bad:
                return f"[{k!r}]: {bad}"
        return None
    if isinstance(obj, list | tuple):
        for k, v in enumerate(obj[:1000]):
            bad = non_finite(v, depth + 1)
            if bad:
                return f"[{k}]: {bad}"
    return None


@dataclass
class Outcome:
    kind: str  # "ok", "error", "bad-error", "non-finite", "warning", "crash", "timeout"
    detail: str = ""


def _run_one(case: Case, arg: str | None, mutation: str | None) -> Outcome:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            kwargs = build_kwargs(case, arg, mutation)
            out = case.call(**kwargs)
        except (ValueError, TypeError) as exc:
            return Outcome("error", f"{type(exc).__name__}: {exc}")
        except Warning as w:
            return Outcome("warning", f"{type(w).__name__}: {w}")
        except Exception as exc:
            tb = traceback.extract_tb(exc.__traceback__)[-1]
            return Outcome("bad-error", f"{type(exc).__name__}: {exc} ({tb.filename}:{tb.lineno})")
        finally:
            plt.close("all")
    bad = non_finite(out)
    return Outcome("non-finite", bad) if bad else Outcome("ok")


def judge(case: Case, arg: str | None, mutation: str | None, invalid: bool,
          out: Outcome) -> str | None:
    """None if the outcome is right, else what is wrong."""
    where = "baseline" if arg is None else f"{arg}={mutation}"
    if out.kind in ("crash", "timeout", "bad-error", "warning", "non-finite"):
        return f"{case.name} [{where}]: {out.kind}: {out.detail}"
    if arg is None:
        return None if out.kind == "ok" else f"{case.name} [baseline]: {out.detail}"
    if out.kind == "error":
        words = (arg, *case.names.get(arg, ()))
        if not any(w in out.detail for w in words):
            return f"{case.name} [{where}]: error does not name {arg!r}: {out.detail}"
        return None
    if invalid and (arg, mutation) not in case.accept:
        return f"{case.name} [{where}]: accepted an invalid value"
    return None


# ------------------------------------------------------------------------------ the worker


def _all_cases() -> dict[str, Case]:
    cases: dict[str, Case] = {}
    for modname in CASE_MODULES:
        mod = importlib.import_module(modname)
        for c in mod.CASES:
            if c.name in cases:
                raise ValueError(f"duplicate fuzz case {c.name!r}")
            cases[c.name] = c
    return cases


def _worker(conn: Any, path: list[str]) -> None:
    import sys

    sys.path[:0] = path
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    cases = _all_cases()
    while True:
        msg = conn.recv()
        if msg is None:
            return
        name, arg, mutation = msg
        conn.send(dataclasses.astuple(_run_one(cases[name], arg, mutation)))


class Runner:
    """Runs calls in a worker process; restarts it after a crash or a timeout."""

    def __init__(self) -> None:
        self.ctx = mp.get_context("spawn")
        self.proc: Any = None
        self.conn: Any = None
        self.warm = False

    def _start(self) -> None:
        import sys

        parent, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=_worker, args=(child, list(sys.path)), daemon=True)
        self.proc.start()
        self.conn = parent

    def run(self, case: Case, arg: str | None, mutation: str | None) -> Outcome:
        if self.proc is None or not self.proc.is_alive():
            self._start()
            self.warm = False
        self.conn.send((case.name, arg, mutation))
        limit = case.timeout + (0.0 if self.warm else 90.0)  # the first call imports the library
        if self.conn.poll(limit):
            try:
                kind, detail = self.conn.recv()
                self.warm = True
                return Outcome(kind, detail)
            except EOFError:
                pass
        alive = self.proc.is_alive()
        self.proc.kill()
        self.proc.join()
        code = self.proc.exitcode
        self.proc = None
        if alive:
            return Outcome("timeout", f"no answer in {case.timeout} s")
        return Outcome("crash", f"worker died with exit code {code}")

    def close(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            self.conn.send(None)
            self.proc.join(5)
            if self.proc.is_alive():
                self.proc.kill()


def plan(cases: list[Case], full: bool, per_case: int, seed: int = 0
         ) -> list[tuple[Case, str | None, str | None, bool]]:
    """The calls to make: each case's baseline plus all (``full``) or ``per_case`` sampled
    mutations, always including every invalid mutation of a sampled argument's first kind."""
    rng = random.Random(seed)
    calls: list[tuple[Case, str | None, str | None, bool]] = []
    for c in cases:
        calls.append((c, None, None, False))
        muts = list(mutations(c))
        if not full and len(muts) > per_case:
            muts = rng.sample(muts, per_case)
        calls.extend((c, a, m, inv) for a, m, inv in muts)
    return calls
