"""What a graph stream learns from the objects its nodes' code reaches (docs/langgraph.md,
"Streaming"): the warning (AC205) for ``--stream-mode messages`` on a graph whose nodes use a
chat model that streams tokens, and the refusal (AC200) of ``subgraphs=True`` for a node that
invokes a compiled graph (``refuse_invoked_graphs``).

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
from typing import Any, Callable, Iterator

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


def models(root: Any, match: Callable[[Any], bool] = streams_tokens) -> list[Any]:
    """The token-streaming chat models (or the objects ``match`` picks) reachable from
    ``root`` within ``DEPTH`` references."""
    found: dict[int, Any] = {}
    seen: set[int] = set()
    level = [root]
    for _ in range(DEPTH + 1):
        nxt: list[Any] = []
        for obj in level:
            if id(obj) in seen or inspect.ismodule(obj) or isinstance(obj, (str, bytes, int)):
                continue
            seen.add(id(obj))
            if match(obj):
                found.setdefault(id(obj), obj)
                continue
            nxt.extend(_refs(obj))
        level = nxt
    return list(found.values())


def _nodes(wf: M.Workflow, live: Any) -> Iterator[tuple[Any, Any]]:
    """``(node, its callable)`` of every function or Runnable node of every level."""
    from agentc.semantics.langgraph_calls import Resolver

    resolve = Resolver(live)
    for graph in wf.graphs():
        for node in graph.nodes:
            if isinstance(node, (M.FunctionNode, M.RunnableNode)):
                try:
                    yield node, resolve(node.call)
                except Exception:  # noqa: BLE001 - a node agentc cannot find holds nothing
                    continue


def _is_graph(obj: Any) -> bool:
    try:
        from langgraph.pregel import Pregel
    except ImportError:  # pragma: no cover
        return False
    return isinstance(obj, Pregel)


def refuse_invoked_graphs(wf: M.Workflow, live: Any) -> None:
    """``subgraphs=True`` streams the steps of subgraph nodes; LangGraph also streams those of
    a compiled graph a node ``invoke()``s, whose steps a durable run does not journal as a
    frame: refused (AC200) for a node whose callable reaches a compiled graph."""
    from .errors import AgentcError

    if not isinstance(wf.body, M.GraphProgram):
        return
    for node, fn in _nodes(wf, live):
        if models(fn, _is_graph):
            raise AgentcError(
                Code.UNSUPPORTED,
                f"node {node.name!r} uses a compiled graph (invoked inside the node): "
                "subgraphs=True would stream its steps, which a durable run does not journal",
                construct=f"--subgraphs (node {node.name!r})",
                file=node.source.file if node.source is not None else None,
                line=node.source.line if node.source is not None else None,
                hint="stream without --subgraphs, or add the graph as a node "
                "(builder.add_node(name, graph))",
            )


def findings(wf: M.Workflow, live: Any) -> list[Diagnostic]:
    """One AC205 warning per root-graph node (or subgraph node) that reaches a chat model
    streaming tokens."""
    if not isinstance(wf.body, M.GraphProgram):
        return []
    out: list[Diagnostic] = []
    for node, fn in _nodes(wf, live):
        names = sorted({type(m).__name__ for m in models(fn)})
        if names:
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
