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
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from typing import Any, Callable

from .errors import AgentcError, Code
from agentc.runtime_shims.graph_stream_subgraphs import with_subgraphs

FIRST_S = 60.0
"""How long the follower waits for the run to journal its input before giving up."""


class RunStream:
    """Iterate it for the run's events; afterwards ``outcome`` is the ``RunOutcome`` (what
    ``agentc.run`` returns). A run that fails raises its diagnostic at the end of the
    iteration, after the events it produced, as ``stream_events()`` raises the run's
    exception."""

    def __init__(
        self,
        run_id: str,
        start: Callable[[], Any],
        events: Callable[[Callable[[], str]], AsyncGenerator[Any, None]],
        encode: Callable[[Any], Any] | None = None,
    ) -> None:
        """``start()`` drives the run to its outcome (in a thread of its own); ``events(state)``
        follows it, ``state()`` saying ``running`` until ``start`` returned, then ``done`` /
        ``waiting`` (its outcome's status) or ``failed``. ``encode(event)``: an event as JSON
        (default: an SDK stream event's, ``agent_stream.event_json``; a graph's chunk:
        ``graph_streaming.chunk_json``)."""
        self.run_id = run_id
        self._start, self._events = start, events
        self.encode = encode or _event_json
        self.outcome: Any = None
        self.error: BaseException | None = None
        self.warnings: list[Any] = []  # Diagnostics about the stream itself (the CLI prints them)
        self._done = threading.Event()

    def state(self) -> str:
        """``running`` until the run's driver returned, then its outcome's status or ``failed``."""
        if not self._done.is_set():
            return "running"
        return "failed" if self.error is not None or self.outcome is None else self.outcome.status

    def __iter__(self) -> Iterator[Any]:
        def drive() -> None:
            try:
                self.outcome = self._start()
            except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread below
                self.error = exc
            finally:
                self._done.set()

        thread = threading.Thread(target=drive, name=f"agentc-run-{self.run_id}", daemon=True)
        thread.start()
        loop = asyncio.new_event_loop()
        events = self._events(self.state)
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


def _event_json(event: Any) -> Any:
    from agentc.runtime_shims.agent_stream import event_json

    return event_json(event)


def _diverged(run_id: str, exc: BaseException) -> BaseException:
    from agentc.runtime_shims import graph_stream
    from agentc.runtime_shims.agent_stream import StreamDiverged

    if isinstance(exc, graph_stream.StreamDiverged):
        return AgentcError(
            Code.UNSUPPORTED,
            f"the stream of run {run_id} could not follow it: the run finished "
            f"without the writes of {exc.key}",
            construct=exc.key,
            hint="the run itself finished (see `agentc history RUN_ID`); report this graph, and "
            "run it without --stream meanwhile",
        )
    if isinstance(exc, StreamDiverged):
        return AgentcError(
            Code.UNSUPPORTED,
            f"the stream of run {run_id} could not follow it: the SDK's streamed "
            f"loop asked for step {exc.key!r}, which its Runner.run did not journal",
            construct=exc.key,
            hint="the run itself finished (see `agentc history RUN_ID`); "
            "report this agent, and run it without --stream meanwhile",
        )
    return exc


def stream(
    obj: Any,
    input: Any,
    *,
    db: str | Path | None = None,
    context: Any = None,
    run_id: str | None = None,
    durability: str = "normal",
    recursion_limit: int | None = None,
    context_factory: Any = None,
    policy: str | Path | None = None,
    run_config: Any = None,
    run_hooks: Any = None,
    full_result: bool = False,
    error_handlers: Any = None,
    session: Any = None,
    poll_s: float = 0.05,
    stream_mode: str | list[str] | tuple[str, ...] | None = None,
    subgraphs: bool = False,
) -> RunStream:
    """``agentc.run`` with its events streamed (same arguments): returns a ``RunStream``.
    An OpenAI Agents SDK agent streams the SDK's stream events; a LangGraph graph the
    chunks of ``graph.stream(input, stream_mode=stream_mode)`` (``updates`` by default,
    ``graph_streaming.py``)."""
    from . import api, graph_streaming

    db = db or api.DEFAULT_DB
    wf, live = api.workflow_and_live(
        obj, policy, api.run_refs(run_config, run_hooks, error_handlers, session)
    )
    if wf.body.kind == "agents":
        graph_streaming.refuse_mode(with_subgraphs(stream_mode, subgraphs))
    rid = run_id or uuid.uuid4().hex

    def start() -> Any:
        return api.run(
            live,
            input,
            db=db,
            context=context,
            run_id=rid,
            durability=durability,
            recursion_limit=recursion_limit,
            workflow=wf,
            context_factory=context_factory,
            full_result=full_result,
        )

    if wf.body.kind != "agents":
        return graph_streaming.local(
            wf, live, input, str(db), rid, start, with_subgraphs(stream_mode, subgraphs), poll_s
        )

    def events(state: Callable[[], str]) -> AsyncGenerator[Any, None]:
        return _local_events(live, wf, str(db), rid, state, poll_s)

    return RunStream(rid, start, events)


async def _local_events(
    live: Any,
    wf: Any,
    db: str,
    run_id: str,
    state: Callable[[], str],
    poll_s: float,
    after_pause: str | None = None,
) -> AsyncGenerator[Any, None]:
    from agentc.runtime_shims.agent_stream import follow
    from agentc.targets.local.stream_source import JournalSource

    source = JournalSource(db, run_id, state)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FIRST_S
        found = source.first()
        while found is None:  # the run's thread has not journaled its input yet
            if state() != "running":
                found = source.first()
                if found is None:
                    return  # it failed before starting (RunStream raises its error)
                break
            if loop.time() > deadline:
                raise AgentcError(
                    Code.UNKNOWN_RUN,
                    f"run {run_id} did not start within {FIRST_S:.0f} s",
                    construct=run_id,
                    hint="is the journal database locked by another process?",
                )
            await asyncio.sleep(poll_s)
            found = source.first()
        first, context = found
        if first.get("context_factory"):
            from .agent_context import call_factory

            context = call_factory(first["context_factory"], context)
        async for event in follow(
            live,
            wf,
            first["input"],
            context,
            first.get("max_turns"),
            source,
            poll_s=poll_s,
            after_pause=after_pause,
        ):
            yield event
    finally:
        source.close()


def resume_stream(
    run_id: str,
    value: Any = None,
    *,
    db: str | Path | None = None,
    obj: Any = None,
    poll_s: float = 0.05,
    stream_mode: str | list[str] | tuple[str, ...] | None = None,
    subgraphs: bool = False,
) -> RunStream:
    """``agentc.resume`` with its events streamed. A run waiting for approvals streams the
    events after that pause (those before it were the first stream's); a failed or crashed
    run streams from its start (its earlier events are replayed from the journal)."""
    from agentc import ir as IR

    from . import api
    from .refs import load_ref

    db = db or api.DEFAULT_DB
    api._require_db(db)
    journal = api._journal(db)
    try:
        row = journal.existing(run_id)
    finally:
        journal.close()
    wf = IR.load(row["ir"])
    from . import graph_streaming

    if wf.body.kind == "agents":
        graph_streaming.refuse_mode(with_subgraphs(stream_mode, subgraphs))
    live = obj if obj is not None else load_ref(row["entry"]) if row["entry"] else None
    if live is None:
        raise AgentcError(
            Code.RUN_NOT_RESUMABLE,
            f"run {run_id} was started from an object with no REF",
            construct=run_id,
            hint="stream it from Python: agentc.resume_stream(run_id, obj=agent)",
        )
    if wf.body.kind != "agents":
        return graph_streaming.local_resume(
            wf,
            live,
            str(db),
            run_id,
            lambda: api.resume(run_id, api.NO_VALUE if value is None else value, db=db, obj=obj),
            with_subgraphs(stream_mode, subgraphs),
            poll_s,
        )
    pauses = (
        [i.get("pause") for i in row["interrupts"] or [] if isinstance(i, dict)]
        if row["status"] == "waiting"
        else []
    )

    def start() -> Any:
        return api.resume(run_id, api.NO_VALUE if value is None else value, db=db, obj=obj)

    def events(state: Callable[[], str]) -> AsyncGenerator[Any, None]:
        return _local_events(
            live, wf, str(db), run_id, state, poll_s, after_pause=pauses[0] if pauses else None
        )

    return RunStream(run_id, start, events)


# ---------------------------------------------------------------- engines
def temporal_stream(
    ref: Any,
    address: str,
    input: Any,
    *,
    context: Any = None,
    run_id: str | None = None,
    task_queue: str | None = None,
    with_worker: bool = False,
    max_turns: int | None = None,
    context_factory: Any = None,
    no_worker_s: float | None = None,
    full_result: bool = False,
    poll_s: float = 0.2,
    stream_mode: str | list[str] | tuple[str, ...] | None = None,
    subgraphs: bool = False,
) -> RunStream:
    """``agentc run --engine temporal --stream``: the workflow is started and awaited as
    without ``--stream`` (``engine.start``, in a thread of its own); the follower polls the
    workflow's history, where the activities' results carry the journal."""
    from agentc.targets.temporal import engine as temporal

    from . import api

    from . import graph_streaming

    wf, live = api.workflow_and_live(ref)
    if wf.body.kind == "agents":
        graph_streaming.refuse_mode(with_subgraphs(stream_mode, subgraphs))
    rid = run_id or f"{wf.name}-{uuid.uuid4().hex[:12]}"

    def start() -> Any:
        return asyncio.run(
            temporal.start(
                ref,
                address,
                input,
                context=context,
                run_id=rid,
                task_queue=task_queue,
                with_worker=with_worker,
                max_turns=max_turns,
                context_factory=context_factory,
                no_worker_s=no_worker_s,
                full_result=full_result,
            )
        )

    if wf.body.kind != "agents":
        return graph_streaming.temporal(
            wf,
            live,
            address,
            input,
            rid,
            start,
            context=context,
            context_factory=context_factory,
            mode=with_subgraphs(stream_mode, subgraphs),
            poll_s=poll_s,
        )

    async def events(state: Callable[[], str]) -> AsyncGenerator[Any, None]:
        from agentc.runtime_shims.agent_stream import follow
        from agentc.targets.temporal.stream_source import HistorySource

        source = HistorySource(await temporal.connect(address), rid, state)
        async for event in follow(
            live,
            wf,
            input,
            _fresh_context(live, context, context_factory),
            max_turns,
            source,
            poll_s=poll_s,
        ):
            yield event

    return RunStream(rid, start, events)


def temporal_resume_stream(
    run_id: str,
    address: str,
    value: Any = None,
    *,
    with_worker: bool = False,
    no_worker_s: float | None = None,
    poll_s: float = 0.2,
    stream_mode: str | list[str] | tuple[str, ...] | None = None,
    subgraphs: bool = False,
) -> RunStream:
    """``agentc resume --engine temporal --stream``: the events after the pause answered
    (a run not waiting for approvals streams from its start)."""
    from agentc.targets.temporal import engine as temporal

    async def describe() -> tuple[Any, Any, list[Any]]:
        from agentc.targets.temporal.history import read

        client = await temporal.connect(address)
        h = await read(client, run_id)
        first = next((e for e in h.events if e.kind == "input"), None)
        record = _decode(first.raw) if first is not None and first.raw else {}
        pending = await temporal.paused(client, run_id) or []
        return h, record, [p.get("pause") for p in pending if p.get("kind") == "approval"]

    h, record, pauses = asyncio.run(describe())

    def start() -> Any:
        return asyncio.run(
            temporal.resume(
                run_id,
                address,
                temporal.NO_VALUE if value is None else value,
                with_worker=with_worker,
                no_worker_s=no_worker_s,
            )
        )

    from . import graph_streaming

    if h.kind != "agents":
        return graph_streaming.temporal_resume(
            h, address, start, mode=with_subgraphs(stream_mode, subgraphs), poll_s=poll_s
        )
    graph_streaming.refuse_mode(with_subgraphs(stream_mode, subgraphs))
    if not h.entry:
        raise AgentcError(
            Code.RUN_NOT_RESUMABLE,
            f"run {run_id} records no REF to stream it with",
            construct=run_id,
            hint="resume it without --stream",
        )
    from . import api

    wf, live = api.workflow_and_live(h.entry)

    async def events(state: Callable[[], str]) -> AsyncGenerator[Any, None]:
        from agentc.runtime_shims.agent_stream import follow
        from agentc.targets.temporal.stream_source import HistorySource

        context = h.context
        source = HistorySource(await temporal.connect(address), run_id, state)
        async for event in follow(
            live,
            wf,
            record.get("input"),
            _context_of_record(live, context, record),
            record.get("max_turns"),
            source,
            poll_s=poll_s,
            after_pause=pauses[0] if pauses else None,
        ):
            yield event

    return RunStream(run_id, start, events)


def simulation_stream(
    sim: Any,
    start: Callable[[], Any],
    input: Any,
    context: Any,
    *,
    max_turns: int | None = None,
    after_pause: str | None = None,
    poll_s: float = 0.02,
    stream_mode: str | list[str] | tuple[str, ...] | None = None,
    subgraphs: bool = False,
    resumed: bool = False,
) -> RunStream:
    """``agentc simulate --stream``: ``start()`` runs the simulation (``sim.start`` or
    ``sim.resume``); the follower (with its own run ``context`` object) reads each worker
    task's output as the simulator completes it (``Simulation.observe``). A graph's
    (``resumed``: ``start`` is ``sim.resume``) streams ``graph.stream``'s chunks."""
    from agentc.targets.conductor.stream_source import TaskOutputs

    from . import graph_streaming

    if sim.worker.wf.body.kind != "agents":
        return graph_streaming.simulation(
            sim,
            start,
            input,
            context,
            resumed=resumed,
            mode=with_subgraphs(stream_mode, subgraphs),
            poll_s=poll_s,
        )
    graph_streaming.refuse_mode(with_subgraphs(stream_mode, subgraphs))
    wf, live = sim.worker.wf, sim.worker.agent

    async def events(state: Callable[[], str]) -> AsyncGenerator[Any, None]:
        from agentc.runtime_shims.agent_stream import follow

        async for event in follow(
            live,
            wf,
            input,
            context,
            max_turns,
            source.snapshot,
            poll_s=poll_s,
            after_pause=after_pause,
        ):
            yield event

    def run() -> Any:
        try:
            return start()
        finally:
            stream.run_id = sim.run_id  # a new simulation's id is drawn when it starts

    stream = RunStream(sim.run_id, run, events)
    source = sim.observe = TaskOutputs(stream.state)  # before the simulation's thread starts
    return stream


def _fresh_context(live: Any, context: Any, factory: Any) -> Any:
    """The follower's own run context (the run's drive changes its own)."""
    from . import api
    from .agent_context import call_factory

    ctx, ref = api.agent_context(live, context, factory)
    return call_factory(ref, ctx) if ref else ctx


def _context_of_record(live: Any, context: Any, record: dict[str, Any]) -> Any:
    if record.get("context_factory"):
        from .agent_context import call_factory

        return call_factory(record["context_factory"], context)
    from . import api

    return api.agent_context(live, context)[0]


def _decode(raw: dict[str, str]) -> Any:
    import base64

    from agentc.semantics.codec import loads

    return loads(raw["t"], base64.b64decode(raw["b64"]))
