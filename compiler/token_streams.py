"""The warning (AC205) for ``--stream-mode messages`` on a graph whose nodes use a chat model
that streams tokens (docs/langgraph.md, "Streaming").

Under ``graph.stream(stream_mode="messages")`` LangGraph's ``StreamMessagesHandler`` makes a
chat model that implements ``_stream`` (and has no ``disable_streaming``) stream: one
``AIMessageChunk`` per token. A durable run journals whole responses, so its ``messages``
stream has one whole ``AIMessage`` per call there. This is no refusal (the messages are the
same, only not cut into tokens), but the caller is told, once, before the stream starts.

Which models a node uses is not in the IR (a model is an object the node's code reaches): the
check looks at what the node's callable holds — its closure cells, the module globals its
code names, a ``Runnable``'s ``func``/``bound``/``steps`` — a few levels deep. A model only
built inside the node at run time is not seen.
"""

from __future__ import annotations

import inspect
from typing import Any, Iterator

from .errors import Code, Diagnostic
from .ir import model as M

DEPTH = 4
"""How many references away from the node's callable a model is looked for."""


def streams_tokens(obj: Any) -> bool:
    """A chat model LangGraph's messages handler would stream token by token."""
    try:
        from langchain_core.language_models.chat_models import BaseChatModel
    except ImportError:  # pragma: no cover - langchain_core comes with langgraph
        return False
    if not isinstance(obj, BaseChatModel):
        return False
    if getattr(obj, "disable_streaming", False) is True:
        return False
    return type(obj)._stream is not BaseChatModel._stream


def _refs(obj: Any) -> Iterator[Any]:
    """What ``obj`` holds that may be (or hold) a chat model."""
    for attr in ("func", "afunc", "bound", "__func__", "__self__", "__wrapped__"):
        inner = getattr(obj, attr, None) if not isinstance(obj, type) else None
        if inner is not None:
            yield inner
    steps = getattr(obj, "steps", None)
    if isinstance(steps, (list, tuple)):
        yield from steps
    if inspect.isfunction(obj):
        for cell in obj.__closure__ or ():
            try:
                yield cell.cell_contents
            except ValueError:  # an empty cell
                continue
        names: set[str] = set()
        codes = [obj.__code__]
        while codes:
            code = codes.pop()
            names.update(code.co_names)
            codes.extend(c for c in code.co_consts if inspect.iscode(c))
        for name in sorted(names):
            if name in obj.__globals__:
                yield obj.__globals__[name]


def models(root: Any) -> list[Any]:
    """The token-streaming chat models reachable from ``root`` within ``DEPTH`` references."""
    found: dict[int, Any] = {}
    seen: set[int] = set()
    level = [root]
    for _ in range(DEPTH + 1):
        nxt: list[Any] = []
        for obj in level:
            if id(obj) in seen or inspect.ismodule(obj) or isinstance(obj, (str, bytes, int)):
                continue
            seen.add(id(obj))
            if streams_tokens(obj):
                found.setdefault(id(obj), obj)
                continue
            nxt.extend(_refs(obj))
        level = nxt
    return list(found.values())


def findings(wf: M.Workflow, live: Any) -> list[Diagnostic]:
    """One AC205 warning per root-graph node (or subgraph node) that reaches a chat model
    streaming tokens."""
    from agentc.semantics.langgraph_calls import Resolver

    if not isinstance(wf.body, M.GraphProgram):
        return []
    resolve = Resolver(live)
    out: list[Diagnostic] = []
    for graph in wf.graphs():
        for node in graph.nodes:
            if not isinstance(node, (M.FunctionNode, M.RunnableNode)):
                continue
            try:
                fn = resolve(node.call)
            except Exception:  # noqa: BLE001 - a node agentc cannot find holds no model
                continue
            names = sorted({type(m).__name__ for m in models(fn)})
            if not names:
                continue
            out.append(
                Diagnostic(
                    Code.TOKEN_STREAM,
                    f"node {node.name!r} uses chat model {', '.join(names)}, which streams "
                    "tokens: graph.stream(stream_mode='messages') yields an AIMessageChunk per "
                    "token, a durable run's stream one whole AIMessage per call",
                    construct=f"node {node.name!r}",
                    file=node.source.file if node.source is not None else None,
                    line=node.source.line if node.source is not None else None,
                    hint="the messages are the same, only not cut into tokens; set "
                    "disable_streaming=True on the model to make graph.stream match",
                    severity="warning",
                )
            )
    return out
