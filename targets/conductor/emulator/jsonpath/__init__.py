"""Jayway JsonPath, as Conductor uses it: compile check and null-suppressing read.

Conductor resolves every ``${path}`` with Jayway JsonPath (``ParametersUtils``, conductor.md
"Input resolution") and checks at registration that the path *compiles* (docs/conductor.md
"Registration rules", B9b). Two
behaviours matter and no Python JSONPath library has them:

* **What compiles.** Jayway's ``PathCompiler`` is a hand-written scanner with quirks that
  Conductor definitions rely on: ``$.`` is put in front of paths not starting with
  ``$``/``@``; hyphens and most punctuation are fine in dotted names (``a-b.c``);
  ``a['x y']``, ``a[-1]``, ``a[0:2]``, ``a..b``, ``a.length()`` are valid; a trailing ``.``,
  a space in a dotted name, ``${}`` and unbalanced brackets are not. ``python-jsonpath``
  (RFC 9535) and ``jsonpath-ng`` accept and reject different sets, so using them for the
  compile check would produce false B9 errors in both directions.
* **What a read returns** (with ``Option.SUPPRESS_EXCEPTIONS``): ``None`` for anything
  missing on a *definite* path, a list (``[]`` when nothing matched) for an *indefinite*
  one (wildcard, ``..``, filter, slice, several indexes or names), ``None`` for an invalid
  path.

So this module is a port of Jayway 2.x's ``PathCompiler``/``FilterCompiler`` and of its
path-token evaluation, kept in the same shape as the Java code so the two can be compared
line by line. It was checked differentially against the real ``json-path-2.10.0.jar``
(the compile code is unchanged since 2.4.0, the version Conductor ships with).
Known approximations (never produced by agentc, rare in hand-written definitions):
function parameters and ``$..x.fn()`` inversion, regex flag parsing, the ``type`` and
``matches`` filter operators.

Layout, after Jayway's own packages: :mod:`.chars` (``CharacterIndex``), :mod:`.tokens` (the
path tokens and errors), :mod:`.compiler` (``PathCompiler`` and ``FilterCompiler``, which call
each other), :mod:`.literals` (index, slice and string literals), :mod:`.evaluate` (path-token
evaluation, functions and filter evaluation); this module is the public API.
"""

from __future__ import annotations

from typing import Any

from .compiler import _PathCompiler
from .evaluate import _value_of
from .tokens import InvalidPath, _Abort, _Path

__all__ = ["compile_error", "read", "InvalidPath", "is_definite"]


# ----------------------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------------------


def _compile(path: str) -> _Path:
    try:
        return _PathCompiler.compile(path)
    except InvalidPath:
        raise
    except (IndexError, ValueError, RecursionError) as exc:  # Java wraps any exception
        raise InvalidPath(str(exc)) from None


def compile_error(path: str) -> str | None:
    """Jayway's InvalidPathException message for ``path``, or None when it compiles.

    ``path`` is the text inside ``${…}`` exactly as Conductor hands it to
    ``JsonPath.compile`` (a leading ``$.`` is added when it starts with neither ``$`` nor
    ``@``)."""
    if not isinstance(path, str):
        return "path is not a string"
    try:
        _compile(path)
    except InvalidPath as exc:
        return str(exc) or "invalid path"
    return None


def is_definite(path: str) -> bool | None:
    """True when ``path`` yields a single value (no wildcard, scan, filter, slice or
    several indexes/names), None when it does not compile."""
    try:
        return _compile(path).definite
    except InvalidPath:
        return None


def read(document: Any, path: str) -> Any:
    """``JsonPath.read(document, path)`` with ``Option.SUPPRESS_EXCEPTIONS`` ("Input resolution").

    Missing data of any kind → None on a definite path; an indefinite path → a list of
    matches (``[]`` for none); an invalid path → None. Values are returned as stored, not
    copied."""
    try:
        compiled = _compile(path)
    except InvalidPath:
        return None
    try:
        return _value_of(compiled, document, document)
    except (_Abort, RecursionError, TypeError, ValueError, ArithmeticError):
        return None if compiled.definite else []
