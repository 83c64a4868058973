"""REF parsing and loading: ``package.module:attr`` or ``path/to/file.py:attr``.

Every failure is a diagnostic (bad syntax, import error with the user's file:line, missing
attribute), never a traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
import traceback
from pathlib import Path
from typing import Any

from .errors import AgentcError, Code


def split_ref(ref: str) -> tuple[str, str]:
    mod, sep, attr = ref.rpartition(":")
    if not sep or not mod or not attr or not all(p.isidentifier() for p in attr.split(".")):
        raise AgentcError(
            Code.BAD_REF,
            f"not a REF: {ref!r}",
            construct=ref,
            hint="write package.module:attr or path/to/file.py:attr, e.g. myapp.agent:graph",
        )
    return mod, attr


def ref_stem(entry: str) -> str:
    """The last component of a REF's module part: ``pkg.mod:attr`` and ``dir/mod.py:attr``
    both give ``mod`` (what a workflow is named after when the object has no own name)."""
    module, _, _ = entry.rpartition(":")
    return re.split(r"[./\\]", module.removesuffix(".py"))[-1]


def _module_name_for_file(path: Path) -> tuple[str, Path]:
    """The dotted name of a file inside packages, and the folder to put on sys.path."""
    parts = [path.stem]
    root = path.parent
    while (root / "__init__.py").exists():
        parts.insert(0, root.name)
        root = root.parent
    return ".".join(parts), root


def import_module(mod: str) -> Any:
    is_file = mod.endswith(".py") or os.sep in mod or "/" in mod
    try:
        if is_file:
            path = Path(mod).resolve()
            if not path.exists():
                raise AgentcError(
                    Code.IMPORT_FAILED,
                    f"no such file: {mod}",
                    construct=mod,
                    hint="check the path; it is relative to the current directory",
                )
            name, root = _module_name_for_file(path)
            if str(root) not in sys.path:
                sys.path.insert(0, str(root))
            return importlib.import_module(name)
        if os.getcwd() not in sys.path and "" not in sys.path:
            sys.path.insert(0, os.getcwd())
        return importlib.import_module(mod)
    except AgentcError:
        raise
    except ModuleNotFoundError as exc:
        if exc.name and (mod == exc.name or mod.startswith(exc.name + ".")):
            raise AgentcError(
                Code.IMPORT_FAILED,
                f"module {mod!r} not found",
                construct=mod,
                hint="check the module path and that its package is installed or on PYTHONPATH",
            ) from None
        raise _import_error(mod, exc) from None
    except BaseException as exc:  # user module raised while importing
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise _import_error(mod, exc) from None


def _import_error(mod: str, exc: BaseException) -> AgentcError:
    from .locate import user_frame

    frames = traceback.extract_tb(exc.__traceback__)
    user = [
        f
        for f in frames
        if "importlib" not in f.filename
        and "/agentc/" not in f.filename
        and not f.filename.endswith("refs.py")
    ]
    where = user[-1] if user else (frames[-1] if frames else None)
    # the deepest line of the module being imported (e.g. its add_node call), not the
    # library function that raised on its behalf
    own = user_frame(exc, [_module_file(mod)])
    if isinstance(exc, SyntaxError) and exc.filename:
        file, line = exc.filename, exc.lineno
    elif own is not None:
        file, line = own.file, own.line
    else:
        file, line = (where.filename, where.lineno) if where else (None, None)
    return AgentcError(
        Code.IMPORT_FAILED,
        f"importing {mod!r} failed: {type(exc).__name__}: {exc}",
        construct=mod,
        file=_rel(file) if file else None,
        line=line,
        hint="fix the error in that module; agentc imports it exactly as Python would",
    )


def _module_file(mod: str) -> str:
    if mod.endswith(".py") or os.sep in mod or "/" in mod:
        return str(Path(mod).resolve())
    try:
        spec = importlib.util.find_spec(mod)
    except (ImportError, ValueError):
        return ""
    return (spec.origin or "") if spec is not None else ""


def _rel(file: str) -> str:
    try:
        p = Path(file).resolve()
        return str(p.relative_to(Path.cwd())) if p.is_relative_to(Path.cwd()) else str(p)
    except (OSError, ValueError):
        return file


def load_ref(ref: str) -> Any:
    mod, attr = split_ref(ref)
    module = import_module(mod)
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            avail = sorted(k for k in vars(module) if not k.startswith("_"))[:12]
            raise AgentcError(
                Code.MISSING_ATTRIBUTE,
                f"{mod} has no attribute {attr!r}",
                construct=ref,
                file=_rel(getattr(module, "__file__", None) or mod),
                hint=f"module attributes include: {', '.join(avail)}" if avail else "",
            )
        obj = getattr(obj, part)
    return obj


def find_ref(obj: Any, modules: list[str]) -> str | None:
    """Best-effort: the ``module:attr`` under which ``obj`` is a module global, so runs
    started from the Python API can be resumed by another process."""
    for m in modules:
        module = sys.modules.get(m)
        if module is None or m == "__main__":
            continue
        for k, v in vars(module).items():
            if v is obj and not k.startswith("_"):
                return f"{m}:{k}"
    return None
