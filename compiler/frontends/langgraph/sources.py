"""Cheap static hints (interrupt() calls, gotos, Sends) and callable references for user callables;
source positions themselves come from ``agentc.source_refs``.

Results are cached per code object: graphs built by factories share one function many times,
and the compile-time benchmark builds 1,000-node graphs.
"""

from __future__ import annotations

import ast
import functools
import inspect
import sys
import textwrap
from typing import Any

from ...ir import CallableRef, InterruptPoint, SourceRef
from ...source_refs import source_ref, unwrap


def importable_name(obj: Any) -> tuple[str | None, str | None]:
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        return None, None
    cur: Any = sys.modules.get(module)
    for part in qualname.split("."):
        cur = getattr(cur, part, None)
        if cur is None:
            return None, None
    return (module, qualname) if cur is obj else (None, None)


def callable_ref(
    locator: tuple[str, ...], obj: Any, *, is_async: bool = False, accepts: tuple[str, ...] = ()
) -> CallableRef:
    module, qualname = importable_name(obj)
    return CallableRef(
        locator=locator,
        module=module,
        qualname=qualname,
        source=source_ref(obj),
        is_async=is_async,
        accepts=accepts,
    )


@functools.lru_cache(maxsize=4096)
def _calls_in(code: Any, names: frozenset[str]) -> tuple[int, ...]:
    try:
        lines, start = inspect.getsourcelines(code)
    except (OSError, TypeError):
        return ()
    try:
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except SyntaxError:
        return ()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = (
                f.id
                if isinstance(f, ast.Name)
                else f.attr
                if isinstance(f, ast.Attribute)
                else None
            )
            if name in names:
                found.append(start + node.lineno - 1)
    return tuple(sorted(found))


def interrupt_points(obj: Any, _seen: frozenset[int] = frozenset()) -> tuple[InterruptPoint, ...]:
    """The ``interrupt()`` calls a node may make: its own, and those of the nodes of any
    compiled graph it invokes itself (``child.invoke(...)``), whose interrupts pause the
    calling node's task (LangGraph's nested run; docs/langgraph.md)."""
    fn = unwrap(obj)
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    if code is None:
        return ()
    ref = source_ref(obj)
    if ref is None:
        return ()
    # library code keeps its call sites (each one is a pause the plan lowers) without lines
    own = tuple(
        InterruptPoint(
            source=SourceRef(
                file=ref.file, line=ln if ref.line is not None else None, qualname=ref.qualname
            )
        )
        for ln in _calls_in(code, frozenset({"interrupt"}))
    )
    nested: list[InterruptPoint] = []
    for graph in invoked_graphs(fn):
        if id(graph) not in _seen:
            nested.extend(graph_interrupt_points(graph, _seen | {id(graph)}))
    return own + tuple(nested)


_INVOKES = frozenset({"invoke", "ainvoke", "stream", "astream"})


def invoked_graphs(fn: Any) -> list[Any]:
    """Compiled graphs a function calls ``.invoke``/``.stream`` on (by a global or closure
    name), in the order of their first call."""
    fn = getattr(fn, "__func__", fn)
    code = getattr(fn, "__code__", None)
    if code is None or not (set(code.co_names) & _INVOKES):
        return []
    tree = _code_ast(code)
    if tree is None:
        return []
    scope = dict(getattr(fn, "__globals__", {}))
    for name, cell in zip(code.co_freevars, getattr(fn, "__closure__", None) or ()):
        try:
            scope[name] = cell.cell_contents
        except ValueError:  # an unfilled cell
            continue
    found: list[Any] = []
    calls = sorted(
        (n for n in ast.walk(tree) if isinstance(n, ast.Call)),
        key=lambda n: (n.lineno, n.col_offset),
    )
    for n in calls:
        f = n.func
        if isinstance(f, ast.Attribute) and f.attr in _INVOKES and isinstance(f.value, ast.Name):
            target = scope.get(f.value.id)
            if (
                getattr(target, "builder", None) is not None
                and hasattr(target, "nodes")
                and all(target is not g for g in found)
            ):
                found.append(target)
    return found


def graph_interrupt_points(graph: Any, seen: frozenset[int]) -> tuple[InterruptPoint, ...]:
    """Every ``interrupt()`` call a compiled graph's nodes may make (its subgraph nodes and
    the graphs its nodes invoke included)."""
    out: list[InterruptPoint] = []
    for spec in graph.builder.nodes.values():
        r = spec.runnable
        if getattr(r, "builder", None) is not None:
            if id(r) not in seen:
                out.extend(graph_interrupt_points(r, seen | {id(r)}))
            continue
        func = getattr(r, "func", None) or getattr(r, "afunc", None) or r
        out.extend(interrupt_points(func, seen))
    return tuple(out)


def mentions_send(obj: Any) -> bool:
    fn = unwrap(obj)
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    return bool(code is not None and _calls_in(code, frozenset({"Send"})))


def _code_ast(code: Any) -> ast.Module | None:
    """The parsed source of a function's code object, or None when it is not available."""
    try:
        lines, _ = inspect.getsourcelines(code)
        return ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError):
        return None


_MANY = ("list", "List", "tuple", "Tuple", "Sequence", "set", "Set", "Iterable")


def returns_many(obj: Any) -> bool:
    """Whether a router may return several destinations at once (a list), so a plan must
    allow any subset of its targets. Read from the return annotation, else from the
    function's ``return`` statements (a list/tuple display or a name bound to one)."""
    import collections.abc
    import typing

    fn = unwrap(obj)
    fn = getattr(fn, "__func__", fn)
    ann = getattr(fn, "__annotations__", {}).get("return")
    if ann is not None:
        if isinstance(ann, str):
            return ann.strip().startswith(_MANY)
        origin = typing.get_origin(ann) or ann
        return origin in (
            list,
            tuple,
            set,
            frozenset,
            collections.abc.Sequence,
            collections.abc.Iterable,
            collections.abc.Set,
        )
    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    tree = _code_ast(code)
    if tree is None:
        return True  # unknown: be safe, allow subsets
    seq = (ast.List, ast.Tuple, ast.ListComp, ast.Set, ast.SetComp)
    list_names = {
        t.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Assign) and isinstance(n.value, seq)
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    for n in ast.walk(tree):
        if isinstance(n, ast.Return) and n.value is not None:
            if isinstance(n.value, seq) or (
                isinstance(n.value, ast.Name) and n.value.id in list_names
            ):
                return True
    return False


def gotos_many(obj: Any) -> bool:
    """Whether a node may return ``Command(goto=[...])`` naming several nodes at once, so a
    plan must allow any subset of its destinations. Only gotos that are plainly one name
    (a string, an f-string, a conditional between such) count as single; anything else,
    or unknown source, may be a list."""
    fn = unwrap(obj)
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    tree = _code_ast(code) if code is not None else None
    if tree is None:
        return True

    def single(v: ast.AST) -> bool:
        if isinstance(v, ast.Constant):
            return isinstance(v.value, str)
        if isinstance(v, (ast.JoinedStr, ast.BinOp)):
            return True
        if isinstance(v, ast.IfExp):
            return single(v.body) and single(v.orelse)
        return False

    for n in ast.walk(tree):
        if isinstance(n, ast.Call):
            f = n.func
            name = (
                f.id
                if isinstance(f, ast.Name)
                else f.attr
                if isinstance(f, ast.Attribute)
                else None
            )
            if name == "Command" and any(
                kw.arg == "goto" and not single(kw.value) for kw in n.keywords
            ):
                return True
    return False
