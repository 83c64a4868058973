"""How many times a governed node or ToolNode tool has run in this run of a graph level, and
the model tokens and US dollars its chat-model calls used (``runtime_shims/chat_budget.py``): a
frame channel, so every target carries it the way it carries the graph's state
(docs/policies.md, "max_calls on nodes and ToolNode tools").

A policy's ``max_calls`` must be decided before the node (or the tool call) runs, the same
way on the local executor, in Conductor tasks and in Temporal activities, and again in a
replay after a crash. The count is therefore part of the Pregel frame every target already
persists between supersteps (the local journal, the engines' frame JSON): a task that runs
a counted node or call writes ``(CALLS, {name: n})`` through the task's send sink, like a
``push_message`` write, and the frame adds the counts up in ``apply_writes``. A task that
fails or pauses writes nothing, so only calls that ran are counted; a verdict reads the
count at the start of the step plus the calls of the same name in the step's earlier tasks
(``pregel.path_key`` order), so concurrent tasks reach the same verdicts on every target.

The channel is empty (and absent from checkpoints) until a counted call runs, so a graph
without ``max_calls`` rules carries nothing new.

**Subgraphs** (docs/policies.md, "Counts across subgraph calls"): a subgraph node's run is a
frame of its own (a nested frame locally, a SUB_WORKFLOW child on Conductor, a child workflow
on Temporal), started afresh on every call. So that counts and budgets are per run, the
frame's START is given the counts its parent task sees (``pregel.start(..., counts=...)``,
``inherited``): they are the channel's *base*, kept apart from what this frame's own tasks
add; a verdict reads base + own (``counted``). When the subgraph ends, its parent task
writes the own part back to the parent's channel (``returned``), with the subgraph's
output — so the next call of the subgraph, and every later node, sees them. Every target
starts and ends a subgraph through these two functions (the local executor, and the step
worker of Conductor tasks and Temporal activities), so they count alike by construction.
Subgraph calls that share a superstep would not see each other's counts; a policy that
would need them to is refused when it loads (``agentc.parallel_counts``).
"""

from __future__ import annotations

from typing import Any

from langgraph.channels.base import BaseChannel
from langgraph.errors import EmptyChannelError

CALLS = "__agentc_calls"
BASE = "__base"
"""Checkpoint key of the counts a subgraph's frame inherited from its parent task."""


class CallCounts(BaseChannel):
    """Frame channel: node or tool name -> the times it ran in this run; an update adds.
    ``value`` is what this frame's tasks added, ``base`` what a subgraph's frame inherited."""

    def __init__(self) -> None:
        super().__init__(dict, CALLS)
        self.value: dict[str, Any] = {}
        self.base: dict[str, Any] = {}

    @property
    def ValueType(self) -> Any:
        return dict

    @property
    def UpdateType(self) -> Any:
        return dict

    def from_checkpoint(self, checkpoint: Any) -> "CallCounts":
        new = CallCounts()
        if isinstance(checkpoint, dict):
            base = checkpoint.get(BASE)
            new.value = {str(k): _number(v) for k, v in checkpoint.items() if k != BASE}
            if isinstance(base, dict):
                new.base = {str(k): _number(v) for k, v in base.items()}
        return new

    def copy(self) -> "CallCounts":
        return self.from_checkpoint(self.get() if self.is_available() else {})

    def update(self, values: Any) -> bool:
        changed = False
        for v in values:
            for name, n in (v or {}).items():
                if n:
                    self.value = {**self.value, name: self.value.get(name, 0) + _number(n)}
                    changed = True
        return changed

    def get(self) -> dict[str, Any]:
        if not self.is_available():
            raise EmptyChannelError()
        return {**self.value, BASE: dict(self.base)} if self.base else self.value

    def is_available(self) -> bool:
        return bool(self.value) or bool(self.base)


def _number(v: Any) -> Any:
    """A count (int), or a float total (the chat budget's US dollars, ``chat_budget.py``)."""
    return v if isinstance(v, float) else int(v)


def counted(channels: dict[str, Any]) -> dict[str, Any]:
    """The run's counts a frame sees: inherited (a subgraph's) plus its own (empty: none)."""
    ch = channels.get(CALLS)
    if not isinstance(ch, CallCounts):
        return {}
    out = dict(ch.base)
    for name, n in ch.value.items():
        out[name] = out.get(name, 0) + n
    return out


def inherit(channels: dict[str, Any], counts: dict[str, Any] | None) -> bool:
    """A subgraph's fresh frame starts from the counts its parent task sees (True: it got
    some, so the channel must be saved with START's)."""
    ch = channels.get(CALLS)
    if not isinstance(ch, CallCounts) or not counts:
        return False
    ch.base = {str(k): _number(v) for k, v in counts.items() if v}
    return bool(ch.base)


def returned(channels: dict[str, Any]) -> list[tuple[str, Any]]:
    """The writes a subgraph's parent task adds when the subgraph ended: the calls its frame
    counted itself (not the inherited ones, which the parent already holds)."""
    ch = channels.get(CALLS)
    own = {k: v for k, v in ch.value.items() if v} if isinstance(ch, CallCounts) else {}
    return [(CALLS, own)] if own else []


def record(config: dict[str, Any], counts: dict[str, Any]) -> None:
    """Count calls that are about to run: a write through the task's send sink, applied
    with the task's other writes (none if the task fails or pauses)."""
    from .langgraph_calls import SENT

    if any(counts.values()):
        config["configurable"].setdefault(SENT, []).append((CALLS, dict(counts)))


__all__ = ["CALLS", "CallCounts", "counted", "inherit", "record", "returned"]
