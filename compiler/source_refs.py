"""Where a Python object is defined, as an IR ``SourceRef`` (file, line, qualname).

Used at compile time by the frontends (every node, tool, agent gets one) and at run time to
point a diagnostic at the user's code (e.g. a run-context type that cannot be built), so it
sits below both, importing only the IR (docs/architecture.md). Results are cached per code
object: graphs built by factories share one function many times.
"""

from __future__ import annotations

import functools
import inspect
import sys
from pathlib import Path
from typing import Any

from .ir import SourceRef


@functools.lru_cache(maxsize=None)
def _located(file: str) -> tuple[str, bool]:
    """``(path, is_library)``. Installed libraries: relative to their site-packages
    (machine-independent, even when the virtualenv lives inside the project); user code:
    relative to the working directory."""
    try:
        p = Path(file).resolve()
        for entry in sys.path:
            if entry and ("site-packages" in entry or "dist-packages" in entry):
                root = Path(entry).resolve()
                if p.is_relative_to(root):
                    return p.relative_to(root).as_posix(), True
        cwd = Path.cwd()
        if p.is_relative_to(cwd):
            return p.relative_to(cwd).as_posix(), False
        return p.as_posix(), False
    except (OSError, ValueError):
        return file, False


def _ref(file: str, line: int, qualname: str) -> SourceRef:
    """A library's line numbers move with every patch release, so they are not recorded:
    the IR (and every golden and drift check built on it) names the library module only
    (docs/ir.md, "Source positions")."""
    path, library = _located(file)
    return SourceRef(file=path, line=None if library else line, qualname=qualname)


def unwrap(fn: Any) -> Any:
    """The function whose code the user wrote: methods of callable objects, partials."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    fn = inspect.unwrap(fn) if callable(fn) else fn
    if (
        not (inspect.isfunction(fn) or inspect.ismethod(fn))
        and callable(fn)
        and not inspect.isclass(fn)
    ):
        call = getattr(type(fn), "__call__", None)  # noqa: B004 - the class's own __call__ function
        if inspect.isfunction(call):
            return call
    return fn


def source_ref(obj: Any) -> SourceRef | None:
    fn = unwrap(obj)
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    qualname = (
        getattr(obj, "__qualname__", None)
        or getattr(fn, "__qualname__", None)
        or type(obj).__qualname__
    )
    if code is not None:
        return _ref(code.co_filename, code.co_firstlineno, qualname)
    return _class_ref(fn if inspect.isclass(fn) else type(obj))


@functools.lru_cache(maxsize=4096)
def _class_ref(target: type) -> SourceRef | None:
    """Classes have no code object: finding their line re-reads the module, so cache it."""
    try:
        file = inspect.getsourcefile(target)
        _, line = inspect.getsourcelines(target)
    except (TypeError, OSError):
        return None
    if not file:
        return None
    return _ref(file, line or 1, target.__qualname__)
