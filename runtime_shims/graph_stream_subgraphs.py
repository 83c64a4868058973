"""``graph.stream(..., subgraphs=True)`` from a durable run (docs/langgraph.md, "Streaming",
"Subgraphs"): the chunks of the steps inside a subgraph node, each under its namespace.

LangGraph yields ``(namespace, chunk)`` (``(namespace, mode, chunk)`` for a list of modes),
``namespace`` a tuple with one ``"node:task id"`` part per level (``()`` for the root). The
follower (``graph_stream.follow``) follows a subgraph node's task with a follower of its own
over the subgraph's frame, which every runtime journals like the root's: locally under the
parent task's key as namespace, on Conductor in the SUB_WORKFLOW's child execution, on
Temporal in the child workflow's history. Each source hands those records over as
``Snapshot.nested``, keyed by the parent task's key (local) or ``"node#n"``, the ``n``-th run
of that subgraph node (the engines' child executions are numbered, not keyed by task). The
part after ``:`` is agentc's task key, never LangGraph's task id (a hash of its checkpoint).

One level of subgraphs is followed; a subgraph node inside a subgraph is refused (AC200),
and so is a resumed stream with ``subgraphs=True``.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any, Callable

from agentc.errors import AgentcError, Code


@dataclasses.dataclass(frozen=True)
class Subgraphs:
    """A stream mode (one or a tuple) streamed with ``subgraphs=True``."""

    mode: Any


def with_subgraphs(mode: Any, subgraphs: bool) -> Any:
    """``stream_mode`` as the API takes it, wrapped when ``subgraphs=True``."""
    return Subgraphs(mode) if subgraphs else mode


def unwrap(mode: Any) -> tuple[Any, bool]:
    """``(mode, subgraphs)``."""
    return (mode.mode, True) if isinstance(mode, Subgraphs) else (mode, False)


def _subgraph_nodes(graph: Any) -> list[Any]:
    from agentc.ir import SubgraphNode

    return [n for n in graph.nodes if isinstance(n, SubgraphNode)]


def check_graph(graph: Any, mode: Any, *, resumed: bool = False) -> None:
    """Refuse (AC200) what ``subgraphs=True`` cannot stream yet: a subgraph node inside a
    subgraph (one level is followed) and a resumed stream."""
    if not isinstance(mode, Subgraphs):
        return
    if resumed:
        raise AgentcError(
            Code.UNSUPPORTED,
            "a resumed stream with subgraphs=True is not offered: the subgraph's frame the "
            "resume continues from is not followed",
            construct="--subgraphs",
            hint="resume with --stream without --subgraphs",
        )
    for node in _subgraph_nodes(graph):
        inner = _subgraph_nodes(node.graph)
        if inner:
            raise AgentcError(
                Code.UNSUPPORTED,
                f"subgraphs=True follows one level of subgraphs; subgraph node {node.name!r} "
                f"holds subgraph node {inner[0].name!r}",
                construct=f"--subgraphs ({node.name}/{inner[0].name})",
                source=getattr(inner[0], "source", None),
                hint="stream without --subgraphs (the subgraph node's update is its writes)",
            )


def check_parallel(task: Any, tasks: list[Any]) -> None:
    """Several tasks of one subgraph node in a superstep (``Send``s to it) run as child
    executions the engines number, not key by task: refused (AC200) rather than mixed up."""
    if sum(1 for t in tasks if t.name == task.name) > 1:
        raise AgentcError(
            Code.UNSUPPORTED,
            f"subgraphs=True follows one run of subgraph node {task.name!r} per superstep; "
            f"this one runs it {sum(1 for t in tasks if t.name == task.name)} times (Send)",
            construct=f"--subgraphs (node {task.name!r})",
            hint="stream without --subgraphs",
        )


def is_subgraph(frame: Any, task: Any) -> bool:
    from agentc.ir import SubgraphNode

    return isinstance(frame.nodes.get(task.name), SubgraphNode)


def child_frame(frame: Any, task: Any, resolve: Any) -> Any:
    """The subgraph's fresh frame, its input what the parent's task gets (as the runtimes
    start it: ``executor._run_frame``, ``steps._started``)."""
    from agentc.runtime_shims.graph_stream import fresh_frame
    from agentc.semantics import pregel

    tasks = pregel.clone(frame).prepare(resolve)
    inp = next(t.input for t in tasks if t.key == task.key)
    return fresh_frame(frame.nodes[task.name].graph, resolve, inp)


class ChildSource:
    """The subgraph's records out of its parent's source: ``ended`` once the parent's task
    is journaled (its writes are; a subgraph ended by ``Command(graph=PARENT)`` journals no
    last step) or the run stopped otherwise."""

    def __init__(self, source: Any, found: Callable[[Any], bool], task: Any, n: int) -> None:
        self.source, self.found, self.keys = source, found, (task.key, f"{task.name}#{n}")

    async def __call__(self) -> Any:
        from agentc.runtime_shims.graph_stream import Snapshot

        snap = await self.source()
        got = next((snap.nested[k] for k in self.keys if k in snap.nested), None)
        got = got or Snapshot({}, "")
        state = snap.state
        if self.found(snap) or state not in ("running", "waiting"):
            state = "ended"
        return Snapshot(got.writes, state, got.custom, got.chat, got.echoed)


def child_pending(
    pending: list[dict[str, Any]], task: Any, graph: Any, root_names: set[str]
) -> list[dict[str, Any]]:
    """The run's pending interrupts raised inside the subgraph ``task`` runs: locally those of
    its namespace (the parent task's key); the engines' name no namespace, only the node, so
    those of a node of ``graph`` that no task of the parent's step (``root_names``) is."""
    nodes = {n.name for n in graph.nodes}
    return [
        i
        for i in pending
        if i.get("ns") == task.key
        or ("ns" not in i and i.get("node") in nodes and i.get("node") not in root_names)
    ]


def namespace(ns: tuple[str, ...], task: Any) -> tuple[str, ...]:
    """A child's namespace: LangGraph's ``node:task id`` with agentc's task key as id."""
    return (*ns, f"{task.name}:{task.key}")


def counter() -> Counter[str]:
    """How many times each subgraph node has been followed (``"node#n"`` keys)."""
    return Counter()
