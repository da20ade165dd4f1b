"""The data that may cross the sandbox boundary, and how it is framed. No pickle anywhere.

A *plain value* is built only from ``None``, ``bool``, ``int``, ``float``, ``str``,
``list``, ``tuple``, ``dict`` with ``str`` keys, and numeric numpy arrays (dtype kind
``b``, ``i``, ``u`` or ``f``). :func:`to_plain` turns what a student's function returned
into such a value (torch tensors become arrays; anything else is refused), so the grader
never calls a method of a student object: an object whose ``__eq__`` is always ``True``
is rejected here, before any comparison.

On the wire (grader ⇄ sandboxed worker, over a pipe) a message is one frame::

    b"NCG1" | u32 big-endian header length | header (UTF-8 JSON) | blob₀ | blob₁ | …

where ``header["blobs"]`` lists the byte length of every blob and each blob is one array
in ``.npy`` format, read back with ``np.load(..., allow_pickle=False)``. Values inside the
header are *trees*: ``{"t": "nd", "i": k}`` for blob ``k``, ``{"t": "f", "v": 1.5}`` for
a float, and so on (:func:`encode`, :func:`decode`). The reader bounds the header size,
the number and size of blobs and the nesting depth, and checks every dtype, so a
malformed or hostile frame is a :class:`WireError`, never code execution.

:func:`to_json` / :func:`from_json` write the same trees with arrays inline (nested
lists), for the public-check files shipped with the package.
"""

from __future__ import annotations

import io
import json
import math
import os
import select
import struct
import sys
import time
from typing import Any

import numpy as np

MAGIC = b"NCG1"
MAX_HEADER = 4 << 20  # bytes of JSON header
MAX_PAYLOAD = 64 << 20  # bytes of all blobs of one frame
MAX_BLOBS = 4096
MAX_DEPTH = 32
MAX_ITEMS = 1_000_000  # list/tuple/dict entries in one value
MAX_STR = 100_000
_ARRAY_KINDS = "biuf"


class WireError(ValueError):
    """A value or a frame that is not allowed across the boundary (or is malformed)."""


class Unsupported(WireError):
    """A returned object that is not plain data (numbers, arrays, lists, tuples, dicts)."""


# ------------------------------------------------------------------- plain values


def to_plain(value: Any, _depth: int = 0, _count: list[int] | None = None) -> Any:
    """Convert ``value`` into a plain value (see the module docstring) or raise ``Unsupported``.

    numpy scalars become Python numbers, torch tensors (when torch is already imported)
    and ndarray subclasses become base ``np.ndarray`` copies, sets become sorted lists.
    """
    count = [0] if _count is None else _count
    count[0] += 1
    if count[0] > MAX_ITEMS:
        raise Unsupported(f"the returned value has more than {MAX_ITEMS} entries")
    if _depth > MAX_DEPTH:
        raise Unsupported(f"the returned value is nested more than {MAX_DEPTH} levels deep")
    if value is None or type(value) in (bool, int, str):
        if type(value) is str and len(value) > MAX_STR:
            raise Unsupported(f"the returned string is longer than {MAX_STR} characters")
        return value
    if type(value) is float:
        return value
    if isinstance(value, np.generic) and value.dtype.kind in _ARRAY_KINDS:
        return value.item()
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _ARRAY_KINDS or value.dtype.names is not None:
            raise Unsupported(
                f"the returned array has dtype {value.dtype}; return numbers "
                "(bool, int or float arrays)"
            )
        return np.array(value, copy=True, order="C").view(np.ndarray)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return to_plain(value.detach().cpu().numpy(), _depth, count)
    if type(value) in (list, tuple):
        items = [to_plain(v, _depth + 1, count) for v in value]
        return items if type(value) is list else tuple(items)
    if type(value) in (set, frozenset):
        items = [to_plain(v, _depth + 1, count) for v in value]
        try:
            return sorted(items)
        except TypeError:
            raise Unsupported("the returned set mixes types that cannot be sorted") from None
    if type(value) is dict:
        out = {}
        for k, v in value.items():
            if type(k) is not str:
                raise Unsupported("dictionary keys must be strings")
            out[k] = to_plain(v, _depth + 1, count)
        return out
    # bool/int/float subclasses (e.g. numpy-like wrappers) are accepted by value only
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    raise Unsupported(
        f"returned an object of type {type(value).__name__}; return a number, a numpy "
        "array, or a tuple/list of those"
    )


def describe(value: Any) -> str:
    """A short description of a plain value's type and shape (safe to show anyone)."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, tuple | list):
        return f"{type(value).__name__} of length {len(value)}"
    return type(value).__name__


# ------------------------------------------------------------------- trees


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _npy_load(data: bytes) -> np.ndarray:
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as exc:  # any parse error of untrusted bytes
        raise WireError(f"malformed array blob: {type(exc).__name__}") from None
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in _ARRAY_KINDS:
        raise WireError("array blob with a non-numeric dtype")
    if arr.dtype.names is not None:
        raise WireError("structured arrays are not allowed")
    return arr


def encode(value: Any, blobs: list[bytes] | None = None) -> tuple[Any, list[bytes]]:
    """Encode a plain value as a JSON tree plus a list of ``.npy`` blobs."""
    blobs = [] if blobs is None else blobs

    def enc(v: Any) -> Any:
        if v is None:
            return {"t": "n"}
        if type(v) is bool:
            return {"t": "b", "v": v}
        if type(v) is int:
            return {"t": "i", "v": str(v)}  # arbitrary size, exact
        if type(v) is float:
            return {"t": "f", "v": repr(v)}  # exact, and NaN/inf survive
        if type(v) is str:
            return {"t": "s", "v": v}
        if isinstance(v, np.ndarray):
            blobs.append(_npy_bytes(v))
            return {"t": "nd", "i": len(blobs) - 1}
        if type(v) is list:
            return {"t": "l", "v": [enc(x) for x in v]}
        if type(v) is tuple:
            return {"t": "u", "v": [enc(x) for x in v]}
        if type(v) is dict:
            return {"t": "d", "v": {k: enc(x) for k, x in v.items()}}
        raise Unsupported(f"not a plain value: {type(v).__name__}")

    return enc(value), blobs


def decode(tree: Any, blobs: list[bytes] | None = None) -> Any:
    """Inverse of :func:`encode`; raises :class:`WireError` on anything unexpected."""
    blobs = blobs or []
    count = [0]

    def dec(node: Any, depth: int) -> Any:
        count[0] += 1
        if depth > MAX_DEPTH or count[0] > MAX_ITEMS:
            raise WireError("value too deep or too large")
        if not isinstance(node, dict) or not isinstance(node.get("t"), str):
            raise WireError("malformed value tree")
        t = node["t"]
        if t == "n":
            return None
        if t == "b" and type(node.get("v")) is bool:
            return node["v"]
        if t == "i" and isinstance(node.get("v"), str) and len(node["v"]) <= 4300:
            try:
                return int(node["v"])
            except ValueError:
                raise WireError("malformed integer") from None
        if t == "f" and isinstance(node.get("v"), str) and len(node["v"]) <= 40:
            try:
                return float(node["v"])
            except ValueError:
                raise WireError("malformed float") from None
        if t == "s" and isinstance(node.get("v"), str):
            return node["v"]
        if t == "nd":
            i = node.get("i")
            if type(i) is not int or not 0 <= i < len(blobs):
                raise WireError("array reference out of range")
            return _npy_load(blobs[i])
        if t == "a":  # inline array (JSON files only)
            return _inline_array(node)
        if t in ("l", "u") and isinstance(node.get("v"), list):
            items = [dec(x, depth + 1) for x in node["v"]]
            return items if t == "l" else tuple(items)
        if t == "d" and isinstance(node.get("v"), dict):
            return {str(k): dec(x, depth + 1) for k, x in node["v"].items()}
        raise WireError(f"unknown or malformed value of type {t!r}")

    return dec(tree, 0)


def _inline_array(node: dict[str, Any]) -> np.ndarray:
    dtype = node.get("dtype")
    if dtype not in ("bool", "int64", "float64"):
        raise WireError(f"inline array dtype {dtype!r} not allowed")
    shape = node.get("shape")
    if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape):
        raise WireError("inline array with a malformed shape")
    data = node.get("data")
    if not isinstance(data, list):
        raise WireError("inline array without data")
    if dtype == "float64":
        vals = [float(x) for x in data]
    elif dtype == "int64":
        vals = [int(x) for x in data]
    else:
        vals = [bool(x) for x in data]
    arr = np.array(vals, dtype=dtype)
    if arr.size != math.prod(shape):
        raise WireError("inline array data does not match its shape")
    return arr.reshape(shape)


def to_json(value: Any, round_digits: int | None = None) -> Any:
    """A plain value as a JSON-serialisable tree with arrays inline.

    With ``round_digits`` every float keeps that many significant digits and values of
    magnitude below 1e-12 become 0, so that the file does not change with the last bits
    of a BLAS on another machine.
    """

    def rnd(x: float) -> float | str:
        if round_digits is not None and math.isfinite(x):
            x = 0.0 if abs(x) < 1e-12 else float(f"{x:.{round_digits}g}")
        return x if math.isfinite(x) else repr(x)

    def enc(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            if v.dtype.kind == "b":
                return {"t": "a", "dtype": "bool", "shape": list(v.shape),
                        "data": [bool(x) for x in v.ravel()]}
            if v.dtype.kind in "iu":
                return {"t": "a", "dtype": "int64", "shape": list(v.shape),
                        "data": [int(x) for x in v.ravel()]}
            return {"t": "a", "dtype": "float64", "shape": list(v.shape),
                    "data": [rnd(float(x)) for x in v.ravel()]}
        if type(v) is float:
            return {"t": "f", "v": repr(float(rnd(v)))}
        if type(v) is list:
            return {"t": "l", "v": [enc(x) for x in v]}
        if type(v) is tuple:
            return {"t": "u", "v": [enc(x) for x in v]}
        if type(v) is dict:
            return {"t": "d", "v": {k: enc(x) for k, x in v.items()}}
        return encode(v)[0]

    return enc(to_plain(value))


def from_json(tree: Any) -> Any:
    """Inverse of :func:`to_json`."""
    return decode(tree, [])


# ------------------------------------------------------------------- frames


def pack(header: dict[str, Any], blobs: list[bytes] | None = None) -> bytes:
    """One frame: magic, header length, JSON header (with the blob lengths), blobs."""
    blobs = blobs or []
    head = dict(header)
    head["blobs"] = [len(b) for b in blobs]
    raw = json.dumps(head, separators=(",", ":")).encode()
    return MAGIC + struct.pack(">I", len(raw)) + raw + b"".join(blobs)


def write_frame(fd: int, header: dict[str, Any], blobs: list[bytes] | None = None) -> None:
    """Write one frame to file descriptor ``fd`` (all of it)."""
    data = memoryview(pack(header, blobs))
    while data:
        n = os.write(fd, data)
        data = data[n:]


class FrameReader:
    """Read frames from a file descriptor, each byte before a deadline.

    ``read(deadline)`` returns ``(header, blobs)``; it raises ``TimeoutError`` when the
    deadline (``time.monotonic()`` seconds) passes, ``EOFError`` when the writer is gone
    and :class:`WireError` when the bytes are not a well-formed frame.
    """

    def __init__(self, fd: int, max_payload: int = MAX_PAYLOAD) -> None:
        self.fd = fd
        self.buf = bytearray()
        self.max_payload = max_payload

    def _fill(self, n: int, deadline: float | None) -> None:
        while len(self.buf) < n:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                ready, _, _ = select.select([self.fd], [], [], left)
                if not ready:
                    raise TimeoutError
            chunk = os.read(self.fd, max(65536, n - len(self.buf)))
            if not chunk:
                raise EOFError
            self.buf += chunk

    def _take(self, n: int, deadline: float | None) -> bytes:
        self._fill(n, deadline)
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read(self, deadline: float | None = None) -> tuple[dict[str, Any], list[bytes]]:
        """The next frame's header and blobs."""
        if self._take(4, deadline) != MAGIC:
            raise WireError("bad frame magic")
        (hlen,) = struct.unpack(">I", self._take(4, deadline))
        if hlen > MAX_HEADER:
            raise WireError(f"frame header too large ({hlen} bytes)")
        try:
            header = json.loads(self._take(hlen, deadline).decode())
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise WireError("frame header is not JSON") from None
        if not isinstance(header, dict):
            raise WireError("frame header is not an object")
        sizes = header.get("blobs", [])
        if (
            not isinstance(sizes, list)
            or len(sizes) > MAX_BLOBS
            or not all(type(s) is int and s >= 0 for s in sizes)
        ):
            raise WireError("malformed blob table")
        if sum(sizes) > self.max_payload:
            raise WireError(f"frame payload larger than {self.max_payload} bytes")
        return header, [self._take(s, deadline) for s in sizes]
