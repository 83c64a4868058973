"""Where a run-time failure happened in the user's code, for diagnostics.

A diagnostic's ``-->`` line must point at the user's node, router, tool or agent, not say
``<unknown location>``. For an exception the best place is the deepest traceback frame in
the user's own files (the files the IR's ``SourceRef``s name: nodes, routers, reducers,
tools, guardrails, agents), so a failure inside a helper or a router points at the line
that raised; failing that, the deepest frame outside Python, its site-packages and agentc;
failing that, the ``SourceRef`` of the construct that failed.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_AGENTC_ROOT = os.path.realpath(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_LIBRARY_ROOTS = tuple(
    {
        os.path.realpath(p)
        for p in (
            sysconfig.get_paths()["stdlib"],
            sysconfig.get_paths()["purelib"],
            sysconfig.get_paths()["platlib"],
            sys.prefix,
            sys.base_prefix,
        )
    }
)


@dataclass(frozen=True)
class Where:
    file: str
    line: int
    function: str = ""


def source_files(obj: Any) -> set[str]:
    """The real paths of every file a ``SourceRef`` in ``obj`` (an IR model or its JSON
    form) names."""
    if hasattr(obj, "model_dump"):
        obj = obj.model_dump(mode="json")
    found: set[str] = set()

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            src = x.get("source")
            if isinstance(src, dict) and isinstance(src.get("file"), str):
                found.add(os.path.realpath(src["file"]))
            for v in x.values():
                walk(v)
        elif isinstance(x, (list, tuple)):
            for v in x:
                walk(v)

    walk(obj)
    return found


def _shown(path: str) -> str:
    """Relative to the working directory when under it (like ``SourceRef.file``)."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def _is_library(path: str) -> bool:
    real = os.path.realpath(path)
    if (
        real.startswith(_AGENTC_ROOT + os.sep)
        and "/tests/" not in real[len(_AGENTC_ROOT) :]
        and "/fixtures/" not in real[len(_AGENTC_ROOT) :]
    ):
        return True
    return any(real.startswith(root + os.sep) for root in _LIBRARY_ROOTS) or path.startswith("<")


def user_frame(exc: BaseException | None, user_files: Iterable[str] = ()) -> Where | None:
    """The deepest traceback frame of ``exc`` (following its cause/context chain) in one
    of ``user_files``; else the deepest frame outside the libraries; else None. ``function``
    is the frame's qualified name (``ExplodingModel.get_response``)."""
    files = {os.path.realpath(f) for f in user_files}
    chain: list[list[tuple[str, int, str]]] = []  # the exception first, then its causes
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        chain.append(
            [
                (
                    frame.f_code.co_filename,
                    line,
                    getattr(frame.f_code, "co_qualname", frame.f_code.co_name),
                )
                for frame, line in traceback.walk_tb(exc.__traceback__)
            ]
        )
        exc = exc.__cause__ or exc.__context__
    for pick in (lambda file: os.path.realpath(file) in files, lambda file: not _is_library(file)):
        for frames in chain:
            for file, line, name in reversed(frames):
                if pick(file) and line:
                    return Where(_shown(os.path.realpath(file)), line, name)
    return None


def failure_site(
    exc: BaseException | None,
    source: Any,
    user_files: Iterable[str] = (),
    function: str | None = None,
) -> tuple[dict[str, Any], str]:
    """``file``/``line`` keyword arguments for ``AgentcError`` (the user's frame of
    ``exc``, else ``source``, a ``SourceRef``), and `` in f()`` when that frame is in
    another function than ``function`` (a router or helper of the failing node)."""
    files = set(user_files)
    if source is not None and getattr(source, "file", None):
        files.add(source.file)
    found = user_frame(exc, files)
    if found is not None:
        own = (function or "").rsplit(".", 1)[-1]
        short = found.function.rsplit(".", 1)[-1]
        inside = f" in {short}()" if short and short not in (own, "<module>") else ""
        return {"file": found.file, "line": found.line}, inside
    if source is not None and getattr(source, "file", None):
        return {"file": source.file, "line": source.line}, ""
    return {}, ""
