"""Literal parsing shared by the path compiler: Java ``int`` parsing, array indexes and slices,
Java ``String.split`` and string-literal unescaping.
"""

from __future__ import annotations

import re

from .tokens import InvalidPath, _Index, _Slice


def _java_int(text: str) -> int:
    """Integer.parseInt: optional sign, digits, 32-bit range."""
    if not re.fullmatch(r"[+-]?\d+", text):
        raise InvalidPath(f"Failed to parse integer: {text!r}")
    value = int(text)
    if not -(2**31) <= value < 2**31:
        raise InvalidPath(f"Failed to parse integer: {text!r}")
    return value


def _parse_indexes(expr: str) -> _Index:
    """ArrayIndexOperation.parse: comma-separated ints (split on \\s*,\\s*, empties kept)."""
    return _Index([_java_int(t) for t in re.split(r"\s*,\s*", expr)])


def _java_split(text: str, sep: str) -> list[str]:
    parts = text.split(sep)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _parse_slice(expr: str) -> _Slice:
    """ArraySliceOperation.parse (no spaces allowed, split drops trailing empties)."""
    if any(not (c.isdigit() or c in "-:") for c in expr):
        raise InvalidPath(f"Failed to parse SliceOperation: {expr}")
    parts = _java_split(expr, ":")

    def at(i: int) -> int | None:
        if len(parts) > i:
            return None if parts[i] == "" else _java_int(parts[i])
        return None

    frm, to = at(0), at(1)
    if frm is not None and to is None:
        if expr.index(":") == 0:
            return _Slice("to", None, frm)
        return _Slice("from", frm, None)
    if frm is not None:
        return _Slice("between", frm, to)
    if to is not None:  # ":N"
        return _Slice("to", None, to)
    raise InvalidPath(f"Failed to parse SliceOperation: {expr}")


_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "/": "/",
}


def _unescape(text: str) -> str:
    """Utils.unescape: backslash escapes inside quoted names and string literals."""
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            if n == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 2 : i + 6]):
                out.append(chr(int(text[i + 2 : i + 6], 16)))
                i += 6
                continue
            out.append(_ESCAPES.get(n, n))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)
