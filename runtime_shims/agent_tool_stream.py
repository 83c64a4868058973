"""``Agent.as_tool(on_stream=...)`` on a journaled drive (docs/openai-agents.md, "`Runner.run`
parameters").

With ``on_stream`` the SDK runs the nested agent with ``Runner.run_streamed`` and calls the
user's callback with each of its stream events (an ``AgentToolStreamEvent``: the SDK's
``event`` object, the ``agent`` and the outer ``tool_call``). A durable run replays the
nested run in every drive that reaches it — a crash recovery, every step of the agent-tool
child workflow on Conductor and Temporal, a stream follower — and the SDK would call the
callback again for every event each time. So the callback is journaled like a hook
(``openai_agents_replay.journaled_hook``: keyed by the outer agent, the tool and the event's
occurrence under the tool call's scope): the first drive that reaches an event calls it,
later drives skip it. It runs in whichever process drives the nested run (an engine's
worker), as an agent hook does.

``RawResponsesStreamEvent`` is not passed on: a journal holds the model's whole response,
not its stream, and the journaled model hands the SDK one ``response.completed`` event a
replay would otherwise pass off as the model's stream (as ``agentc run --stream`` does,
``agent_stream.py``). The user's callback raising is the SDK's business (it logs the error
and goes on): the call is still journaled, so it is not made again.

The callback lives in a closure cell of the SDK's tool (``compat.agent_tool_stream_cell``);
``openai_agents_replay.install`` swaps the cell's contents for the journaled callback while
a drive runs, like every other wrapper, and puts the user's back after."""

from __future__ import annotations

import inspect
from typing import Any, Awaitable, Callable

from agentc.runtime_shims import openai_agents_replay as replay

EVENT = "on_stream"
"""The hook event the callback's calls are journaled as (``hook:on_stream:<agent>:<tool>#n``)."""
RAW = "raw_response_event"


def journaled_on_stream(
    callback: Callable[[Any], Any], agent: str, tool: str
) -> Callable[[Any], Awaitable[None]]:
    """The callback ``as_tool(on_stream=callback)`` of ``agent``'s tool ``tool``, called once
    per event of the nested run whatever the number of drives."""
    failed: dict[int, BaseException] = {}
    """The callback's error for the payload being handled (drives may share the wrapper)."""

    async def call(payload: Any) -> None:
        try:
            result = callback(payload)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:  # noqa: BLE001 - journaled as called; re-raised for the SDK to log
            failed[id(payload)] = exc

    once = replay.journaled_hook(call, EVENT, agent, lambda event, args: tool)

    async def on_stream(payload: Any) -> None:
        if replay.active() is None:  # outside agentc's drives the user's callback runs as is
            await call(payload)
        elif getattr(payload.get("event"), "type", None) == RAW:
            return
        else:
            await once(payload)
        error = failed.pop(id(payload), None)
        if error is not None:
            raise error

    on_stream.agentc_original = callback  # type: ignore[attr-defined]
    return on_stream
