"""The engine-neutral audit event: one thing a run did, as history and transcripts show it.

A leaf module (standard library only), so readers of any engine's record — the local
journal (``targets/local/history.py``), a Conductor simulation, a Temporal history — and
the runtime shims can all produce the same events, and consumers (``agentc history``,
transcripts, ``agentc replay``, a web console) read one shape. docs/replay.md describes
the kinds and fields.

Kinds:

* ``input``        the run's input (``data.input``);
* ``node``         a LangGraph task completed: ``name`` is the node, ``data.writes`` the
                   channel writes it made (what a resumed or replayed run reuses);
* ``model``        an OpenAI Agents model call: ``name`` the agent, ``data.request_digest``
                   the digest of the request, ``data.response`` the model's output items;
                   or a chat-model call inside a LangGraph node (local runs): ``name`` the
                   node, ``data.task``/``data.call``, ``data.response`` ``[AIMessage JSON]``;
* ``tool``         a function-tool call: ``name`` the tool, ``data.arguments``, ``data.result``;
* ``guardrail``    an input/output guardrail result;
* ``resume``       an answer given to a pause (``data.value``): interrupt answer or approvals;
* ``retry``        a failed attempt that will be retried (``data.error``, ``data.attempt``);
* ``status``       the run's status changed (``data.status``, ``data.error``, ``data.output``).

``key`` is what identifies the step to the engine that replays it (a LangGraph task key
``ns/step/task``, an Agents SDK step key), ``raw`` the exact encoded value the engine
reuses on replay (``{"t": codec type, "b64": bytes}``), so a transcript replays without
the original database. ``hash`` chains the events: sha256 over the previous event's hash
and this event's canonical JSON (everything but ``hash``), so an edited, removed or
reordered event breaks every hash after it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64
REPLAYABLE = ("node", "model", "tool", "guardrail")
"""Kinds whose recorded value a replay reuses (and ``--set`` may replace)."""


@dataclass
class Event:
    seq: int
    kind: str
    key: str = ""
    name: str | None = None
    ns: str = ""
    step: int | None = None
    at: float | None = None
    data: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, str] | None = None
    hash: str = ""

    def body(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out.pop("hash")
        return out

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Event:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def canonical(value: Any) -> str:
    """The JSON that is hashed: sorted keys, no whitespace, UTF-8 text."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def link(prev: str, event: Event) -> str:
    return hashlib.sha256((prev + canonical(event.body())).encode()).hexdigest()


def chain(events: Iterable[Event]) -> list[Event]:
    """Number the events 1..n in order and set their hashes."""
    out = []
    prev = GENESIS
    for i, e in enumerate(events, 1):
        e.seq = i
        e.hash = link(prev, e)
        prev = e.hash
        out.append(e)
    return out


@dataclass(frozen=True)
class Break:
    """Where a chain stops verifying: the first event whose hash or number is wrong."""

    seq: int
    reason: str


def verify(events: list[Event]) -> Break | None:
    prev = GENESIS
    for i, e in enumerate(events, 1):
        if e.seq != i:
            return Break(i, f"event {i} is missing (found event {e.seq} in its place)")
        if link(prev, e) != e.hash:
            return Break(
                i, f"event {i} ({e.kind} {e.name or e.key}) was edited: its hash does not match"
            )
        prev = e.hash
    return None


@dataclass
class History:
    """One run's record: who ran what, its outcome, and its ordered events."""

    run_id: str
    engine: str
    kind: str
    """``graph`` (LangGraph) or ``agents`` (OpenAI Agents SDK)."""
    entry: str | None
    workflow: str
    status: str
    created: float | None = None
    updated: float | None = None
    context: Any = None
    output: Any = None
    error: str | None = None
    interrupts: list[Any] = field(default_factory=list)
    fingerprint: str | None = None
    origin: dict[str, Any] | None = None
    """A fork's origin: ``{"origin": run id, "kind": "fork", "at": event, "changed", "value"}``
    (local: ``targets/local/lineage.py``; engines: ``compiler/audit/engine_fork.py``)."""
    events: list[Event] = field(default_factory=list)

    def header(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out.pop("events")
        return out

    def to_json(self) -> dict[str, Any]:
        return {**self.header(), "events": [e.to_json() for e in self.events]}
