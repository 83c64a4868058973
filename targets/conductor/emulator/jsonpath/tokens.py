"""The compiled form of a path: Jayway's path tokens (property, index, slice, wildcard, scan,
function, filter) and the errors (``InvalidPath`` for compile errors, ``_Abort`` for the
runtime errors SUPPRESS_EXCEPTIONS swallows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class InvalidPath(Exception):
    """Jayway's InvalidPathException: the path does not compile."""


class _Abort(Exception):
    """A runtime error inside evaluation; SUPPRESS_EXCEPTIONS turns it into null / []."""


_UNDEFINED = object()


# ----------------------------------------------------------------------------------------
# Tokens
# ----------------------------------------------------------------------------------------


@dataclass
class _Prop:
    names: list[str]


@dataclass
class _Index:
    indexes: list[int]


@dataclass
class _Slice:
    op: str  # "from" | "to" | "between"
    frm: int | None
    to: int | None


@dataclass
class _Wildcard:
    pass


@dataclass
class _Scan:
    pass


@dataclass
class _Func:
    name: str
    params: list[tuple[str, Any]] = field(default_factory=list)  # ("json", text) | ("path", tokens)


@dataclass
class _Filter:
    expr: Any


@dataclass
class _Path:
    root: str  # "$" or "@"
    tokens: list[Any]

    @property
    def definite(self) -> bool:
        if self.tokens and isinstance(self.tokens[0], _Scan) and self.is_function:
            return True  # inverted to fn($..x): the function is the whole path
        return all(_token_definite(t, i == len(self.tokens) - 1) for i, t in enumerate(self.tokens))

    @property
    def is_function(self) -> bool:
        return bool(self.tokens) and isinstance(self.tokens[-1], _Func)


def _token_definite(tok: Any, leaf: bool) -> bool:
    if isinstance(tok, _Prop):
        return len(tok.names) == 1 or (leaf and len(tok.names) > 1)
    if isinstance(tok, _Index):
        return len(tok.indexes) == 1
    return isinstance(tok, _Func)
