"""Fuzz every public function of the library (tests/fuzzlib.py says how): a clear error or
a right answer, never a crash, a hang, a warning or a silent NaN.

``make test`` samples 12 mutations per case (about half); ``pytest tests/test_fuzz.py --fuzz-full``
runs every mutation of every case.
"""

from __future__ import annotations

import collections
import importlib
import inspect
import pathlib

import pytest
from fuzzlib import Runner, _all_cases, judge, plan

import normcourse

# What is not fuzzed, and why: result containers and exceptions take no user input, and the
# re-exported names are fuzzed in their home module.
EXEMPT_KINDS = ("Result", "Warning", "Error", "Metrics", "Trace", "History", "Curve",
                "Residuals", "Sweep", "Diagnosis", "Holdout", "Price", "Run", "Comparison",
                "Task", "Study", "Data", "Regression", "Classification", "Mixture",
                "Trajectory", "Coverage", "Geometry", "Oracle", "Path", "Exit",
                "Summary", "Concentration")
# Interface bases: abstract in spirit (their methods raise NotImplementedError); every
# concrete subclass has its own cases.
INTERFACES = {"penalties.Penalty"}
LIBRARY = ("penalties", "groups", "mcp", "model_penalties", "datafit", "solvers", "optim",
           "robustness", "constrained", "margin", "selection", "diagnostics", "sindy", "gan",
           "continual", "datasets", "widgets", "plotting", "weight_decay", "early_stopping")


def _public(modname: str) -> list[str]:
    mod = importlib.import_module(f"normcourse.{modname}")
    out = []
    for name in getattr(mod, "__all__", []):
        obj = getattr(mod, name)
        home = getattr(obj, "__module__", "") or ""
        if not callable(obj) or not home.startswith("normcourse"):
            continue
        if home.split(".")[1] != modname.split(".")[0]:
            continue  # a re-export: fuzzed where it lives
        if inspect.isclass(obj) and (name.endswith(EXEMPT_KINDS) or inspect.isabstract(obj)):
            continue
        out.append(f"{modname}.{name}")
    return out


def test_every_public_callable_has_a_fuzz_case() -> None:
    covered = {c.split(".")[0] + "." + c.split(".")[1] for c in _all_cases()}
    missing = [n for m in LIBRARY for n in _public(m) if n not in covered | INTERFACES]
    assert missing == [], f"{len(missing)} public callables without a fuzz case: {missing}"


def test_fuzz(request: pytest.FixtureRequest) -> None:
    full = request.config.getoption("--fuzz-full")
    calls = plan(list(_all_cases().values()), full=full, per_case=12)
    runner = Runner()
    counts: collections.Counter[str] = collections.Counter()
    problems = []
    try:
        for case, arg, mutation, invalid in calls:
            out = runner.run(case, arg, mutation)
            wrong = judge(case, arg, mutation, invalid, out)
            counts["wrong" if wrong else
                   ("clear error" if out.kind == "error" else "accepted")] += 1
            if wrong:
                problems.append(wrong)
    finally:
        runner.close()
    report = pathlib.Path(normcourse.__file__).resolve().parents[1] / "_build" / "fuzz.txt"
    report.parent.mkdir(exist_ok=True)
    report.write_text(f"{len(calls)} calls: {dict(counts)}\n" + "\n".join(problems) + "\n",
                      encoding="utf-8")
    print(f"fuzz: {len(calls)} calls, {dict(counts)}")
    assert problems == [], f"{len(problems)} of {len(calls)} calls wrong:\n" + "\n".join(
        problems[:60])
