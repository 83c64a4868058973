"""``agentc.stream``: a durable run whose events the caller reads as they are journaled
(docs/openai-agents.md, "Streaming").

For an OpenAI Agents SDK agent the events are the SDK's own ``StreamEvent``s —
``RunItemStreamEvent`` and ``AgentUpdatedStreamEvent``, what ``Runner.run_streamed(...)
.stream_events()`` yields minus the raw token deltas a journal of whole responses cannot
give — produced by a follower of the run's journal (``runtime_shims/agent_stream.py``).
The run itself is the ordinary durable run (``agentc.run``), driven in a thread beside the
follower; a crash, a pause or a resume is the run's business, not the stream's.
"""
from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Callable

from .errors import AgentcError, Code

FIRST_S = 60.0
"""How long the follower waits for the run to journal its input before giving up."""


class RunStream:
    """Iterate it for the run's events; afterwards ``outcome`` is the ``RunOutcome`` (what
    ``agentc.run`` returns). A run that fails raises its diagnostic at the end of the
    iteration, after the events it produced, as ``stream_events()`` raises the run's
    exception."""

    def __init__(self, run_id: str, start: Callable[[], Any],
                 events: Callable[[Callable[[], bool]], AsyncIterator[Any]]) -> None:
        self.run_id = run_id
        self._start, self._events = start, events
        self.outcome: Any = None
        self.error: BaseException | None = None

    def __iter__(self) -> Iterator[Any]:
        done = threading.Event()

        def drive() -> None:
            try:
                self.outcome = self._start()
            except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread below
                self.error = exc
            finally:
                done.set()

        thread = threading.Thread(target=drive, name=f"agentc-run-{self.run_id}", daemon=True)
        thread.start()
        loop = asyncio.new_event_loop()
        events = self._events(lambda: not done.is_set())
        failed: BaseException | None = None
        try:
            while True:
                try:
                    event = loop.run_until_complete(events.__anext__())
                except StopAsyncIteration:
                    break
                except Exception as exc:  # noqa: BLE001 - the run's own error comes first
                    failed = exc
                    break
                yield event
        finally:
            loop.run_until_complete(events.aclose())
            loop.close()
            thread.join()
        if self.error is not None:
            raise self.error
        if failed is not None:
            raise _diverged(self.run_id, failed)


def _diverged(run_id: str, exc: BaseException) -> BaseException:
    from agentc.runtime_shims.agent_stream import StreamDiverged

    if isinstance(exc, StreamDiverged):
        return AgentcError(Code.UNSUPPORTED, f"the stream of run {run_id} could not follow it: the SDK's streamed "
                           f"loop asked for step {exc.key!r}, which its Runner.run did not journal",
                           construct=exc.key, hint="the run itself finished (see `agentc history RUN_ID`); "
                                                   "report this agent, and run it without --stream meanwhile")
    return exc


def stream(obj: Any, input: Any, *, db: str | Path | None = None, context: Any = None, run_id: str | None = None,
           durability: str = "normal", recursion_limit: int | None = None, context_factory: Any = None,
           policy: str | Path | None = None, run_config: Any = None, run_hooks: Any = None,
           full_result: bool = False, error_handlers: Any = None, session: Any = None,
           poll_s: float = 0.05) -> RunStream:
    """``agentc.run`` with its events streamed (same arguments): returns a ``RunStream``.
    An OpenAI Agents SDK agent streams the SDK's stream events; a LangGraph graph is
    refused (AC200)."""
    from . import api

    db = db or api.DEFAULT_DB
    wf, live = api.workflow_and_live(obj, policy, api.run_refs(run_config, run_hooks, error_handlers, session))
    if wf.agents is None:
        raise AgentcError(Code.UNSUPPORTED, f"{wf.name} is a LangGraph graph: streaming is for OpenAI Agents SDK "
                          "agent runs", construct="--stream",
                          hint="run it without --stream; `agentc history RUN_ID` lists what each node wrote")
    rid = run_id or uuid.uuid4().hex

    def start() -> Any:
        return api.run(live, input, db=db, context=context, run_id=rid, durability=durability,
                       recursion_limit=recursion_limit, workflow=wf, context_factory=context_factory,
                       full_result=full_result)

    def events(running: Callable[[], bool]) -> AsyncIterator[Any]:
        return _local_events(live, wf, str(db), rid, running, poll_s)

    return RunStream(rid, start, events)


async def _local_events(live: Any, wf: Any, db: str, run_id: str, running: Callable[[], bool],
                        poll_s: float) -> AsyncIterator[Any]:
    from agentc.runtime_shims.agent_stream import follow
    from agentc.targets.local.stream_source import JournalSource

    source = JournalSource(db, run_id, running)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FIRST_S
        found = source.first()
        while found is None:  # the run's thread has not journaled its input yet
            if not running():
                found = source.first()
                if found is None:
                    return  # it failed before starting (RunStream raises its error)
                break
            if loop.time() > deadline:
                raise AgentcError(Code.UNKNOWN_RUN, f"run {run_id} did not start within {FIRST_S:.0f} s",
                                  construct=run_id, hint="is the journal database locked by another process?")
            await asyncio.sleep(poll_s)
            found = source.first()
        first, context = found
        if first.get("context_factory"):
            from .agent_context import call_factory

            context = call_factory(first["context_factory"], context)
        async for event in follow(live, wf, first["input"], context, first.get("max_turns"), source,
                                  poll_s=poll_s):
            yield event
    finally:
        source.close()
