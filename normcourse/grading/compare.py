r"""Comparators: how a check decides whether a returned value is right.

Every comparator receives *plain data* (see :mod:`normcourse.grading.wire`), never a live
student object, and returns a :class:`Verdict`. The ``reason`` of a verdict is coarse and
safe to show for hidden checks ("wrong values", "wrong shape"); the ``detail`` carries
numbers and is shown for public checks only.

A comparator has two steps so that costly reference work is done once per check, not
once per student: ``prepare(expected, args, **params)`` (in the grader, once) and
``judge(got, prepared, args, **params)`` (per submission).

Registered comparators (the ``compare:`` key of a check):

``allclose`` (``rtol``, ``atol``, ``exact_zeros``)
    Same structure (tuples/lists element by element), same shape, and
    |got − expected| ≤ atol + rtol·|expected| everywhere; with ``exact_zeros`` every entry
    that is 0 in the expected answer must be exactly 0.
``support``
    Same shape and the same pattern of exact zeros as the expected array.
``indices``
    The same set of integer indices (order and container do not matter).
``ista_bound`` (``penalty``: ``l1`` or ``l21``)
    θ returned after k = ``n_iter`` proximal-gradient steps from θ₀ = 0 must satisfy the
    ISTA guarantee of Beck & Teboulle (2009, Thm 3.1),
    F(θ) − F* ≤ L‖θ*‖²/(2k), with F(θ) = (1/2n)‖y − Xθ‖² + λR(θ), L = ‖X‖₂²/n and
    (θ*, F*) from :func:`normcourse.solvers.lasso` / :func:`~normcourse.solvers.group_lasso`
    at a tight tolerance.
``kkt``
    ``(θ, λ)`` for min ½‖θ − y‖² s.t. ‖θ‖² ≤ C must satisfy the KKT conditions:
    θ − y + 2λθ = 0, ‖θ‖² ≤ C, λ ≥ 0 and λ(‖θ‖² − C) = 0 (to a relative 1e-7).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Verdict:
    """Outcome of one comparison: ``ok``, a coarse ``reason`` and a numeric ``detail``."""

    ok: bool
    reason: str = ""
    detail: str = ""


PASS = Verdict(True)


def _numeric(got: Any, what: str = "the result") -> np.ndarray | Verdict:
    """``got`` as a float array, or a failing verdict saying why it is not numeric."""
    if got is None:
        return Verdict(False, "returned None", f"{what} is None — did you forget `return`?")
    if isinstance(got, str | dict):
        return Verdict(False, "not a number or array", f"{what} is a {type(got).__name__}")
    try:
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return Verdict(False, "not a number or array", f"{what} is not numeric")
    if not np.all(np.isfinite(arr)):
        return Verdict(False, "contains NaN or inf", f"{what} contains NaN or inf")
    return arr


class Comparator:
    """Base class: ``prepare`` once per check, ``judge`` once per submission."""

    name = ""
    params: tuple[str, ...] = ()

    def prepare(self, expected: Any, args: dict[str, Any], **params: Any) -> Any:
        """Work done once per check in the grader (default: keep the expected value)."""
        return expected

    def judge(self, got: Any, prepared: Any, args: dict[str, Any], **params: Any) -> Verdict:
        """Compare a returned plain value with the prepared reference."""
        raise NotImplementedError


class AllClose(Comparator):
    """Same structure and shape, |got − expected| ≤ atol + rtol·|expected| entrywise."""

    name = "allclose"
    params = ("rtol", "atol", "exact_zeros")

    def judge(
        self,
        got: Any,
        prepared: Any,
        args: dict[str, Any],
        rtol: float = 1e-7,
        atol: float = 1e-9,
        exact_zeros: bool = False,
    ) -> Verdict:
        return self._cmp(got, prepared, rtol, atol, exact_zeros, "the result")

    def _cmp(
        self, got: Any, exp: Any, rtol: float, atol: float, exact_zeros: bool, what: str
    ) -> Verdict:
        if isinstance(exp, tuple | list):
            if not isinstance(got, tuple | list):
                return Verdict(
                    False,
                    "wrong type",
                    f"{what} should be a tuple of {len(exp)} values, got {type(got).__name__}",
                )
            if len(got) != len(exp):
                return Verdict(
                    False, "wrong length", f"{what} has {len(got)} values, expected {len(exp)}"
                )
            for i, (g, e) in enumerate(zip(got, exp, strict=True)):
                v = self._cmp(g, e, rtol, atol, exact_zeros, f"value {i} of {what}")
                if not v.ok:
                    return Verdict(False, f"value {i}: {v.reason}", v.detail)
            return PASS
        arr = _numeric(got, what)
        if isinstance(arr, Verdict):
            return arr
        e = np.asarray(exp, dtype=np.float64)
        if arr.shape != e.shape:
            return Verdict(
                False, "wrong shape", f"{what} has shape {arr.shape}, expected {e.shape}"
            )
        err = np.abs(arr - e)
        bad = err > atol + rtol * np.abs(e)
        if np.any(bad):
            k = int(np.argmax(np.where(bad, err, -1)))
            idx = tuple(int(i) for i in np.unravel_index(k, e.shape))
            where = f" at index {idx}" if e.ndim else ""
            return Verdict(
                False,
                "wrong values",
                f"{what}: |error| = {err.ravel()[k]:.3g}{where} "
                f"(tolerance {atol:g} + {rtol:g}·|expected|)",
            )
        if exact_zeros:
            z = (e == 0) & (arr != 0)
            if np.any(z):
                return Verdict(
                    False,
                    "zeros are not exact",
                    f"{what}: {int(z.sum())} entries should be exactly 0 but are small nonzeros",
                )
        return PASS


class Support(Comparator):
    """Same exact zeros (entries, or whole rows of a matrix) as the expected array."""

    name = "support"

    def judge(self, got: Any, prepared: Any, args: dict[str, Any]) -> Verdict:
        arr = _numeric(got)
        if isinstance(arr, Verdict):
            return arr
        e = np.asarray(prepared, dtype=np.float64)
        if arr.shape != e.shape:
            return Verdict(False, "wrong shape", f"shape {arr.shape}, expected {e.shape}")
        if e.ndim == 2:  # row support of a matrix
            gs, es = np.any(arr != 0, axis=1), np.any(e != 0, axis=1)
        else:
            gs, es = arr != 0, e != 0
        if not np.array_equal(gs, es):
            return Verdict(
                False,
                "wrong set of nonzeros",
                f"{int(gs.sum())} nonzero entries/rows, expected {int(es.sum())}; "
                f"{int((gs != es).sum())} differ",
            )
        return PASS


class Indices(Comparator):
    """The same set of integer indices, in any order."""

    name = "indices"

    def judge(self, got: Any, prepared: Any, args: dict[str, Any]) -> Verdict:
        arr = _numeric(got)
        if isinstance(arr, Verdict):
            return arr
        flat = arr.ravel()
        if flat.size and not np.all(flat == np.round(flat)):
            return Verdict(False, "not integer indices", "the result contains non-integers")
        g = {int(x) for x in flat}
        e = {int(x) for x in np.asarray(prepared).ravel()}
        if g != e:
            return Verdict(
                False,
                "wrong indices",
                f"{len(g)} indices returned, {len(e)} expected; {len(g ^ e)} differ",
            )
        return PASS


class IstaBound(Comparator):
    """F(θ) − F* ≤ L‖θ*‖²/(2k): the ISTA guarantee after k = ``n_iter`` steps from 0."""

    name = "ista_bound"
    params = ("penalty",)

    def prepare(self, expected: Any, args: dict[str, Any], penalty: str = "l1") -> Any:
        from normcourse import solvers

        X = np.asarray(args["X"], dtype=np.float64)
        y = np.asarray(args["y"] if "y" in args else args["Y"], dtype=np.float64)
        lam, k = float(args["lam"]), int(args["n_iter"])
        n = X.shape[0]
        pen = self._penalty(penalty, lam)
        res = solvers.prox_grad(X, y, pen, tol=1e-13, max_iter=200_000)
        theta = res.theta
        L = float(np.linalg.norm(X, 2) ** 2) / n
        f_star = self._objective(X, y, theta, pen)
        bound = L * float(np.sum(theta * theta)) / (2 * k)
        return {"X": X, "y": y, "pen": pen, "f_star": f_star, "bound": bound, "shape": theta.shape}

    @staticmethod
    def _penalty(spec: str, lam: float) -> Any:
        """The penalty named by ``spec`` at λ = ``lam``: ``"l1"``, ``"l21"`` or any
        ``"module:Class"`` naming a Penalty class of the ``normcourse`` package."""
        import importlib

        from normcourse import penalties

        short = {"l1": "normcourse.penalties:L1", "l21": "normcourse.penalties:GroupL21"}
        target = short.get(spec, spec)
        mod, _, name = str(target).partition(":")
        if not name or not (mod == "normcourse" or mod.startswith("normcourse.")):
            raise ValueError(
                "ista_bound: penalty must be 'l1', 'l21' or 'normcourse.<module>:<Class>', "
                f"got {spec!r}"
            )
        cls = getattr(importlib.import_module(mod), name, None)
        if not (isinstance(cls, type) and issubclass(cls, penalties.Penalty)):
            raise ValueError(f"ista_bound: {spec!r} is not a normcourse Penalty class")
        return cls(lam)

    @staticmethod
    def _objective(X: np.ndarray, y: np.ndarray, theta: np.ndarray, pen: Any) -> float:
        r = y - X @ theta
        return float(np.sum(r * r)) / (2 * X.shape[0]) + pen.value(theta)

    def judge(
        self, got: Any, prepared: Any, args: dict[str, Any], penalty: str = "l1"
    ) -> Verdict:
        arr = _numeric(got)
        if isinstance(arr, Verdict):
            return arr
        if arr.shape != prepared["shape"]:
            return Verdict(
                False, "wrong shape", f"θ has shape {arr.shape}, expected {prepared['shape']}"
            )
        gap = self._objective(prepared["X"], prepared["y"], arr, prepared["pen"])
        gap -= prepared["f_star"]
        slack = 1e-9 * max(1.0, abs(prepared["f_star"]))
        if gap > prepared["bound"] + slack:
            return Verdict(
                False,
                "too far from the optimum",
                f"F(θ) − F* = {gap:.3g} exceeds the ISTA bound L‖θ*‖²/(2k) = "
                f"{prepared['bound']:.3g} for k = {int(args['n_iter'])}",
            )
        return PASS


class Kkt(Comparator):
    """(θ, λ) satisfies the KKT conditions of min ½‖θ − y‖² s.t. ‖θ‖² ≤ C."""

    name = "kkt"

    def judge(self, got: Any, prepared: Any, args: dict[str, Any]) -> Verdict:
        if not isinstance(got, tuple | list) or len(got) != 2:
            return Verdict(False, "wrong type", "return a pair (theta, lam)")
        theta = _numeric(got[0], "theta")
        if isinstance(theta, Verdict):
            return theta
        lam = _numeric(got[1], "lam")
        if isinstance(lam, Verdict):
            return lam
        y = np.asarray(args["y"], dtype=np.float64)
        C = float(args["C"])
        if theta.shape != y.shape or lam.shape != ():
            return Verdict(False, "wrong shape", f"theta {theta.shape}, lam {lam.shape}")
        lam_v = float(lam)
        sq = float(theta @ theta)
        scale = 1.0 + float(np.linalg.norm(y))
        if lam_v < -1e-12:
            return Verdict(False, "dual infeasible", f"λ = {lam_v:.3g} < 0")
        if sq > C * (1 + 1e-8) + 1e-12:
            return Verdict(False, "primal infeasible", f"‖θ‖² = {sq:.6g} > C = {C:g}")
        stat = float(np.linalg.norm(theta - y + 2 * lam_v * theta))
        if stat > 1e-7 * scale * (1 + lam_v):
            return Verdict(False, "stationarity fails", f"‖θ − y + 2λθ‖ = {stat:.3g}")
        slack = abs(lam_v * (sq - C))
        if slack > 1e-7 * (1 + lam_v) * (1 + C):
            return Verdict(False, "complementary slackness fails", f"|λ(‖θ‖² − C)| = {slack:.3g}")
        return PASS


COMPARATORS: dict[str, Comparator] = {
    c.name: c for c in (AllClose(), Support(), Indices(), IstaBound(), Kkt())
}


def get(name: str) -> Comparator:
    """The comparator called ``name``; ``ValueError`` listing the known ones otherwise."""
    try:
        return COMPARATORS[name]
    except KeyError:
        raise ValueError(
            f"unknown comparator {name!r}; known: {', '.join(sorted(COMPARATORS))}"
        ) from None
