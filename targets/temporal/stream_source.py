"""A Temporal run's history as a stream follower's source (``runtime_shims/agent_stream.py``).

The journal of an agent run travels in its activities' results (a claim-check chain,
docs/claim-check.md); ``history.read`` already decodes it into events keyed as the local
journal keys them, with their exact encoding (``raw``). Each poll reads the history again
(an agent-tool child workflow's included) and hands the follower what it holds.
"""

from __future__ import annotations

import base64
from typing import Any, Callable, Generic, TypeVar

from agentc.runtime_shims.agent_stream import Snapshot
from agentc.runtime_shims.audit_events import Event
from agentc.semantics.codec import loads

PAUSE = "agents/pause:"


S = TypeVar("S")


class PolledHistory(Generic[S]):
    """``state()``: the run's driver's view (``running`` until it returned), read first."""

    def __init__(self, client: Any, run_id: str, state: Callable[[], str]) -> None:
        self.client, self.run_id, self.state = client, run_id, state

    async def __call__(self) -> S:
        from agentc.errors import AgentcError

        from .history import read

        state = self.state()
        try:
            h = await read(self.client, self.run_id)
        except AgentcError:  # not started yet
            return self.snapshot([], state)
        return self.snapshot(h.events, state)

    def snapshot(self, events: list[Event], state: str) -> S:
        """What the follower reads of the history's events."""
        raise NotImplementedError


class HistorySource(PolledHistory[Snapshot]):
    """An agent run's journal and approval decisions (``graph_stream_source`` reads a
    graph's task writes the same way)."""

    def snapshot(self, events: list[Event], state: str) -> Snapshot:
        entries, decisions = journal_of(events)
        return Snapshot(entries, decisions, state)


def journal_of(events: list[Event]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The journal entries (key → value) and the approvals per pause that ``events`` hold."""
    entries: dict[str, Any] = {}
    decisions: dict[str, Any] = {}
    for e in events:
        if e.kind == "resume" and e.key.startswith(PAUSE):
            decisions[e.key[len(PAUSE) :]] = e.data.get("value")
        elif e.raw and e.kind != "input":
            entries[e.key] = loads(e.raw["t"], base64.b64decode(e.raw["b64"]))
    return entries, decisions
