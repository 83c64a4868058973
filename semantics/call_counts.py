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
"""

from __future__ import annotations

from typing import Any

from langgraph.channels.base import BaseChannel
from langgraph.errors import EmptyChannelError

CALLS = "__agentc_calls"


class CallCounts(BaseChannel):
    """Frame channel: node or tool name -> the times it ran in this run; an update adds."""

    def __init__(self) -> None:
        super().__init__(dict, CALLS)
        self.value: dict[str, Any] = {}

    @property
    def ValueType(self) -> Any:
        return dict

    @property
    def UpdateType(self) -> Any:
        return dict

    def from_checkpoint(self, checkpoint: Any) -> "CallCounts":
        new = CallCounts()
        if isinstance(checkpoint, dict):
            new.value = {str(k): _number(v) for k, v in checkpoint.items()}
        return new

    def copy(self) -> "CallCounts":
        return self.from_checkpoint(self.value)

    def update(self, values: Any) -> bool:
        changed = False
        for v in values:
            for name, n in (v or {}).items():
                if n:
                    self.value = {**self.value, name: self.value.get(name, 0) + _number(n)}
                    changed = True
        return changed

    def get(self) -> dict[str, Any]:
        if not self.value:
            raise EmptyChannelError()
        return self.value

    def is_available(self) -> bool:
        return bool(self.value)


def _number(v: Any) -> Any:
    """A count (int), or a float total (the chat budget's US dollars, ``chat_budget.py``)."""
    return v if isinstance(v, float) else int(v)


def counted(channels: dict[str, Any]) -> dict[str, Any]:
    """The counts a frame's channels hold (empty: nothing counted yet)."""
    ch = channels.get(CALLS)
    return dict(ch.value) if isinstance(ch, CallCounts) else {}


def record(config: dict[str, Any], counts: dict[str, Any]) -> None:
    """Count calls that are about to run: a write through the task's send sink, applied
    with the task's other writes (none if the task fails or pauses)."""
    from .langgraph_calls import SENT

    if any(counts.values()):
        config["configurable"].setdefault(SENT, []).append((CALLS, dict(counts)))


__all__ = ["CALLS", "CallCounts", "counted", "record"]
