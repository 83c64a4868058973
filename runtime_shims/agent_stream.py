"""Streaming a durable agent run: the SDK's own stream events, as the run journals its steps
(docs/openai-agents.md, "Streaming").

A durable run is driven by ``Runner.run`` (locally) or by workflow steps (Temporal,
Conductor); none of those drives is the caller's, so the caller cannot read the SDK's
events off them. A **follower** produces them instead: a second drive of the same run, by
the SDK's ``Runner.run_streamed``, that never runs anything itself. Every model call, tool
call, guardrail, hook, error handler and session read it reaches is answered from the
run's journal; where the journal does not hold the step yet, the follower parks until the
source (``Source``: the local SQLite journal, a Temporal history, a Conductor simulation)
shows it. So the events it yields are the SDK's own (``RunItemStreamEvent``,
``AgentUpdatedStreamEvent``), in the SDK's order, built by the SDK's streaming loop from the
responses and outputs the run committed — each as soon as the step it depends on is
journaled.

Not produced: ``RawResponsesStreamEvent`` (token deltas). A journal holds whole responses;
the follower's model returns each as one ``response.completed`` event, which the SDK wraps
in a raw event — those are dropped rather than passed off as the model's stream.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any, Awaitable, Callable

from agentc.runtime_shims import openai_agents_replay as replay
from agentc.semantics.codec import to_jsonable

RAW = "raw_response_event"


@dataclasses.dataclass
class Snapshot:
    """What a source shows of a run now: its journal entries (key → journaled value), the
    approvals given at each pause (pause id → call id → decision) and its state: ``running``,
    ``done``, ``waiting`` (for approvals) or ``failed``."""

    entries: dict[str, Any]
    decisions: dict[str, dict[str, Any]]
    state: str


Source = Callable[[], Awaitable[Snapshot]]


class FollowSteps(replay.Steps):
    """A journal that only waits: a follower runs no step of the run itself (``admit`` is
    WAIT), and hooks, error handlers and session reads wait at ``reached`` until the
    journal holds them. The one exception is an agent used as a tool: the follower always
    runs the SDK's ``as_tool`` code, whose nested run is again answered from the journal
    (its steps are keyed under the call), never the call's journaled output. So it pauses
    where the nested run paused for approvals, as the run did — however late the follower
    is: a follower that replayed the finished call's output would stream the run as if it
    had never paused.
    ``stalled`` is set whenever a step parks (the source may now be behind)."""

    def __init__(self, done: dict[str, Any]) -> None:
        super().__init__(done, lambda key, kind, value: None, self._wait)
        self.stalled = asyncio.Event()
        self.waiting_for = ""
        """The step the follower waits for now (a pause's id while the run waits for approvals)."""

    def _wait(self, effect: replay.Effect) -> str:
        self.waiting_for = effect.key
        return replay.WAIT

    async def perform(
        self, effect: replay.Effect, execute: Callable[[], Awaitable[Any]]
    ) -> tuple[bool, Any]:
        if not effect.info.get("agent_tool"):
            return await super().perform(effect, execute)
        value = await execute()
        if isinstance(value, replay.Unfinished):
            self.unfinished(effect)
            return False, value.value
        return False, value

    async def park(self) -> None:
        self.stalled.set()
        await super().park()

    async def reached(self, key: str) -> None:
        while key not in self.done and not self.closing:
            self.waiting_for = key
            await self.park()

    def live(self) -> None:
        """Where a drive would run the user's code now: never in a follower (``reached``
        waits for the journal first), so this is a bug, and loud."""
        raise StreamDiverged(self.waiting_for or "user code")

    def feed(self, entries: dict[str, Any]) -> bool:
        """Add what the journal shows now; wake parked steps when something was new."""
        new = {k: v for k, v in entries.items() if k not in self.done}
        if new:
            with self.lock:
                self.done.update(new)
            self.stalled.clear()
            self.wake()
        return bool(new)


class StreamDiverged(Exception):
    """The run ended, but the follower waits for a step its journal does not hold: the SDK's
    streamed loop asked for something its ``Runner.run`` did not (``key``)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


async def follow(
    agent: Any,
    wf: Any,
    input: Any,
    context: Any,
    max_turns: int | None,
    source: Source,
    *,
    poll_s: float = 0.05,
    after_pause: str | None = None,
) -> AsyncIterator[Any]:
    """The SDK's stream events of the run ``source`` shows, as its journal grows. Ends when
    the SDK's stream ends (the run finished, or paused for approvals it has no decisions
    for yet), or when the run ended and the journal cannot take the follower further (a
    failed run; the run's own error is the caller's to report). Raises what the SDK's
    stream raises (a tripwire, ``MaxTurnsExceeded``: the run failed the same way).
    ``after_pause``: yield only events after the run resumed from that pause (a stream
    of ``agentc resume``)."""
    snap = await source()
    steps = FollowSteps(snap.entries)
    steps.policy = _gate(wf)
    decisions = dict(snap.decisions)
    queue: asyncio.Queue[Any] = asyncio.Queue()
    END = object()
    emitting = after_pause is None

    async def drive() -> None:
        nonlocal emitting
        from agents import Runner

        from agentc.runtime_shims.agent_approvals import call_id, pause_id

        kwargs = replay.run_kwargs(steps, context, max_turns, wf)  # the journaled drive's own
        with replay.journaled(agent, steps):
            result = Runner.run_streamed(agent, input, **kwargs)
            while True:
                async for event in result.stream_events():
                    if event.type != RAW and emitting:
                        queue.put_nowait(event)
                if not result.interruptions:
                    break
                pause = pause_id(result.interruptions)
                while pause not in decisions and not steps.closing:
                    steps.waiting_for = f"pause:{pause}"
                    steps.stalled.set()  # the run waits for approvals: so does the follower
                    await steps.park()
                if steps.closing:
                    break
                emitting = emitting or pause == after_pause
                state = result.to_state()
                for item in state.get_interruptions():
                    d = decisions[pause].get(call_id(item))
                    if (
                        d is None
                    ):  # the run's decisions do not cover what the follower's SDK paused for
                        raise StreamDiverged(f"pause:{pause}:{call_id(item)}")
                    if d["action"] == "approve":
                        state.approve(item, always_approve=bool(d.get("always")))
                    else:
                        state.reject(
                            item,
                            always_reject=bool(d.get("always")),
                            rejection_message=d.get("message"),
                        )
                result = Runner.run_streamed(
                    agent, state, **{k: v for k, v in kwargs.items() if k != "context"}
                )

    async def run_drive() -> None:
        try:
            await drive()
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            queue.put_nowait(exc)
        else:
            queue.put_nowait(END)

    task = asyncio.get_running_loop().create_task(run_drive())
    try:
        finished = False
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), poll_s)
            except asyncio.TimeoutError:
                if finished:
                    continue
                snap = await source()
                new = steps.feed(snap.entries)
                if (
                    snap.decisions.keys() - decisions.keys()
                ):  # a pause was decided: the follower goes on
                    decisions.update(snap.decisions)
                    steps.stalled.clear()
                    steps.wake()
                    new = True
                if not new and snap.state != "running" and steps.stalled.is_set() and queue.empty():
                    if snap.state == "done" or (
                        snap.state == "waiting" and not steps.waiting_for.startswith("pause:")
                    ):
                        raise StreamDiverged(steps.waiting_for) from None
                    finished = (
                        True  # the run failed or waits: the journal takes the follower no further
                    )
                    steps.closing = True
                    steps.wake()
                    task.cancel()
                continue
            if item is END:
                return
            if isinstance(item, BaseException):
                if isinstance(item, asyncio.CancelledError) and finished:
                    return
                raise item
            yield item
    finally:
        if not task.done():
            steps.closing = True
            steps.wake()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def _gate(wf: Any) -> Any:
    from agentc.runtime_shims import policy_gate

    return policy_gate.gate_for(wf)


# ---------------------------------------------------------------- the journaled model's stream
async def completed_stream(response: Awaitable[Any]) -> AsyncIterator[Any]:
    """``Model.stream_response`` of a journaled model: the (journaled) whole response as the
    one ``response.completed`` event the SDK builds its ``ModelResponse`` from."""
    from openai.types.responses import Response, ResponseCompletedEvent

    r = await response  # its usage is not the stream's business: the run's drive counts it
    body = Response(
        id=r.response_id or "",
        created_at=0,
        model="",
        object="response",
        output=list(r.output),
        parallel_tool_calls=False,
        tool_choice="auto",
        tools=[],
    )
    yield ResponseCompletedEvent(type="response.completed", response=body, sequence_number=0)


# ---------------------------------------------------------------- JSON
def event_json(event: Any) -> dict[str, Any]:
    """A stream event as JSON, in the SDK's shape: the event's own fields (``type``,
    ``name``), its ``item`` as the full result's ``new_items`` show one (``run_result.item_json``)
    and an agent by its name."""
    from agentc.runtime_shims.run_result import item_json

    match event.type:
        case "run_item_stream_event":
            return {"type": event.type, "name": event.name, "item": item_json(event.item)}
        case "agent_updated_stream_event":
            return {"type": event.type, "new_agent": {"name": event.new_agent.name}}
    return {"type": event.type, "data": to_jsonable(getattr(event, "data", None))}
