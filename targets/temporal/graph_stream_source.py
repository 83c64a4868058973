"""A Temporal run's history as a graph stream follower's source (``runtime_shims/graph_stream.py``).

Every node activity returns the writes its task made, and ``history.read`` already decodes
them into ``node`` events with their exact encoding (``raw``), keyed ``ns/step/task`` as the
local journal keys them (a subgraph node's child workflow returns its node's writes in the
root graph). Each poll reads the history again and hands the follower the root graph's;
with ``subgraphs=True`` (``graph_stream_subgraphs.py``) also each subgraph node's child
workflow's (``{run}.{node}.{n}``, started in the root's history), read the same way, as
``Snapshot.nested["node#n"]`` (the ``n``-th run of that node).
"""

from __future__ import annotations

import base64
from typing import Any

from agentc.runtime_shims.audit_events import Event
from agentc.semantics.codec import loads
from agentc.runtime_shims.graph_stream import Snapshot

from .stream_source import PolledHistory


class GraphHistorySource(PolledHistory[Snapshot]):
    """The agents' history source (the same polling of ``history.read``), reading the root
    graph's task writes from the events instead of a journal; ``subgraphs``: the subgraph
    nodes' child workflows' too."""

    def __init__(self, client: Any, run_id: str, state: Any, subgraphs: bool = False) -> None:
        super().__init__(client, run_id, state)
        self.subgraphs = subgraphs
        self.closed: dict[str, Snapshot] = {}  # the children that finished, read once

    async def __call__(self) -> Snapshot:
        snap = await super().__call__()
        if self.subgraphs:
            snap.nested = await self.children()
        return snap

    async def children(self) -> dict[str, Snapshot]:
        """The child workflows the root started so far, ``"node#n"`` -> their records."""
        from agentc.errors import AgentcError

        from .history import read

        try:
            hist = await self.client.get_workflow_handle(self.run_id).fetch_history()
        except Exception:  # not started yet
            return {}
        runs: dict[str, int] = {}
        out: dict[str, Snapshot] = {}
        for e in hist.events:
            if (
                e.WhichOneof("attributes")
                != "start_child_workflow_execution_initiated_event_attributes"
            ):
                continue
            cid = e.start_child_workflow_execution_initiated_event_attributes.workflow_id
            node = cid[len(self.run_id) + 1 :].rsplit(".", 1)[0]
            key = f"{node}#{runs.get(node, 0)}"
            runs[node] = runs.get(node, 0) + 1
            if cid in self.closed:
                out[key] = self.closed[cid]
                continue
            try:
                h = await read(self.client, cid)
            except AgentcError:  # initiated, not started yet
                continue
            out[key] = self.snapshot(h.events, "")
            if h.status != "running":
                self.closed[cid] = out[key]
        return out

    def snapshot(self, events: list[Event], state: str) -> Snapshot:
        snap = Snapshot(writes_of(events), state, chat=chat_of(events))
        for key, rec in streamed_of(events).items():
            snap.streamed(key, rec)
        return snap


def streamed_of(events: list[Event]) -> dict[tuple[int, str], dict[str, Any]]:
    """What the root graph's tasks streamed besides their writes (``stream_capture.record``;
    ``step_history.node`` keeps the step output's in the node event's ``raw``)."""
    import json

    from agentc.semantics.pregel import decode
    from agentc.runtime_shims.stream_capture import CUSTOM_KEY

    out: dict[tuple[int, str], dict[str, Any]] = {}
    for e in events:
        if e.kind == "node" and e.raw and CUSTOM_KEY in e.raw and e.ns == "" and e.step is not None:
            task = e.data.get("task") or e.key.split("/", 2)[-1]
            out.setdefault((e.step, task), dict(decode(json.loads(e.raw[CUSTOM_KEY]))))
    return out


def chat_of(events: list[Event]) -> dict[tuple[int, str], list[tuple[Any, Any]]]:
    """The root graph's tasks' chat calls (``model`` events): ``(response, metadata)``."""
    out: dict[tuple[int, str], list[tuple[Any, Any]]] = {}
    for e in events:
        if e.kind == "model" and e.raw and e.ns == "" and e.step is not None and "task" in e.data:
            r = loads(e.raw["t"], base64.b64decode(e.raw["b64"]))
            out.setdefault((e.step, e.data["task"]), []).append((r["message"], r.get("metadata")))
    return out


def writes_of(events: list[Event]) -> dict[tuple[int, str], list[Any]]:
    """The root graph's task writes that ``events`` hold, ``(step, task key) -> writes``."""
    out: dict[tuple[int, str], list[Any]] = {}
    for e in events:
        if e.kind == "node" and e.raw and e.ns == "" and e.step is not None:
            task = e.data.get("task") or e.key.split("/", 2)[-1]
            out.setdefault(
                (e.step, task),
                [tuple(w) for w in loads(e.raw["t"], base64.b64decode(e.raw["b64"]))],
            )
    return out
