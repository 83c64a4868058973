"""The token usage of an agent used as a tool, journaled with the tool's output.

Under ``Runner.run`` the nested run of ``Agent.as_tool`` adds each of its model responses'
usage to the outer run's ``Usage`` (the tool's context shares the run's object), so the
outer ``RunResult``'s usage totals count it. A durable run that replays the tool call from
the journal does not run the nested run again, so its usage must come from the journal too
— on Conductor and Temporal the drive that finishes the run never ran it (the nested run is
a child workflow). docs/openai-agents.md, "The result".

While the tool runs, its context gets a ``Usage`` of its own (:func:`own_usage`), which is
added to the run's when the call ends, and kept with the call's journal entry; a replay
adds the kept usage instead (:func:`add_kept`). A usage of its own, rather than the
difference of the shared object before and after, keeps parallel agent tools from counting
each other's responses.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator


def tool_value(value: Any) -> tuple[Any, Any, dict[str, Any] | None]:
    """A journaled tool call's value as ``(output, context changes, kept usage)``: the drive
    journals the usage as a third element only for a call that used some (and entries
    written before it was kept have two), so every reader goes through here."""
    return value[0], value[1], (value[2] if len(value) > 2 else None)


@contextlib.contextmanager
def own_usage(ctx: Any) -> Iterator[Any]:
    """Give ``ctx`` (the tool's ``ToolContext``) a fresh ``Usage`` for the call; on exit
    put the run's back, add the call's to it, and leave the call's in the yielded object."""
    from agents.usage import Usage

    outer = getattr(ctx, "usage", None)
    if not isinstance(outer, Usage):
        yield None
        return
    mine = Usage()
    ctx.usage = mine
    try:
        yield mine
    finally:
        ctx.usage = outer
        outer.add(mine)


def kept(usage: Any) -> dict[str, Any] | None:
    """What the journal keeps of a call's usage (None when it used nothing)."""
    from agents.usage import serialize_usage

    if usage is None or not (usage.requests or usage.total_tokens):
        return None
    return serialize_usage(usage)


def add_kept(ctx: Any, usage: dict[str, Any] | None) -> None:
    """Add a replayed call's kept usage to the run's, as its nested run did."""
    from agents.usage import Usage, deserialize_usage

    outer = getattr(ctx, "usage", None)
    if usage and isinstance(outer, Usage):
        outer.add(deserialize_usage(usage))
