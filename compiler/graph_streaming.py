"""``agentc.stream`` for a LangGraph graph: ``graph.stream(input, stream_mode=...)``'s chunks
from a durable run, as it journals its tasks (docs/langgraph.md, "Streaming").

The same ``RunStream`` as an agent run's (``streaming.py``): the run is the ordinary
durable run, driven in a thread of its own; a follower (``runtime_shims/graph_stream.py``)
reads its record — the local journal, the Temporal history, the Conductor simulation's task
outputs — and yields the chunks LangGraph's loop would build from the same writes. This
module wires a follower to each target; ``streaming.py`` hands graphs to it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, Callable

from agentc.runtime_shims import graph_stream as G
from agentc.runtime_shims import graph_stream_subgraphs as SG

from .streaming import RunStream


def chunk_json(chunk: Any) -> Any:
    """A chunk as JSON: LangGraph's own chunk (``Interrupt``s, messages, models) as plain data."""
    from agentc.semantics.codec import to_jsonable

    return to_jsonable(chunk)


def _stream(
    run_id: str,
    start: Callable[[], Any],
    follower: Callable[[Callable[[], str], Callable[[], list]], AsyncGenerator[Any, None]],
    warn: tuple[Any, Any, Any] | None = None,
) -> RunStream:
    """A ``RunStream`` whose follower reads the run's pending interrupts off its outcome.
    ``warn``: ``(workflow, live graph, mode)``, for the stream's warnings (AC205: a chat model
    that streams tokens under ``messages``, ``token_streams.py``)."""

    def pending() -> list[dict[str, Any]]:
        return list(getattr(stream.outcome, "interrupts", None) or [])

    stream = RunStream(run_id, start, lambda state: follower(state, pending), encode=chunk_json)
    if warn is not None:
        wf, live, mode = warn
        inner, sub = SG.unwrap(mode)
        if sub:
            from .token_streams import refuse_invoked_graphs

            refuse_invoked_graphs(wf, live)
        if "messages" in ((inner,) if isinstance(inner, str) else tuple(inner)):
            from .token_streams import findings

            stream.warnings = findings(wf, live)
    return stream


def _start_writer(
    wf: Any, live: Any, resolve: Any, context: Any, factory: Any = None
) -> Callable[[Any, Any], Any]:
    """START's writes as an engine computes them, with the run's context object."""
    from . import api

    if factory is not None:
        from .agent_context import call_factory

        context = call_factory(factory, context)
    ctx = api.check_context(wf, live, context)
    store = getattr(live, "store", None)
    return lambda frame, task: G.start_writes(frame, task, resolve, ctx, store)


# ---------------------------------------------------------------- local
def local(
    wf: Any,
    live: Any,
    input: Any,
    db: str,
    run_id: str,
    start: Callable[[], Any],
    mode: Any,
    poll_s: float,
) -> RunStream:
    """``agentc.stream`` of a graph on the local executor: ``start()`` is ``agentc.run``."""
    from agentc.semantics.langgraph_calls import Resolver
    from agentc.targets.local.graph_stream_source import JournalWrites

    mode = G.check_mode(mode or "updates")
    SG.check_graph(wf.graph, mode)
    resolve = Resolver(live)

    async def follower(
        state: Callable[[], str], pending: Callable[[], list]
    ) -> AsyncGenerator[Any, None]:
        source = JournalWrites(db, run_id, state)
        try:
            async for chunk in G.follow(
                wf.graph,
                G.fresh_frame(wf.graph, resolve, input),
                source,
                mode=mode,
                pending=pending,
                poll_s=poll_s,
                thread_id=lambda: run_id,
                resolve=resolve,
            ):
                yield chunk
        finally:
            source.close()

    return _stream(run_id, start, follower, (wf, live, mode))


def local_resume(
    wf: Any,
    live: Any,
    db: str,
    run_id: str,
    start: Callable[[], Any],
    mode: Any,
    poll_s: float,
) -> RunStream:
    """``agentc.resume_stream`` of a graph: the chunks from the step the run paused or failed
    in, as ``graph.stream(Command(resume=...) or None, ...)`` streams a resumed thread."""
    from agentc.semantics.langgraph_calls import Resolver
    from agentc.targets.local.graph_stream_source import JournalWrites, resume_point

    from . import api

    mode = G.check_mode(mode or "updates")
    SG.check_graph(wf.graph, mode, resumed=True)
    resolve = Resolver(live)
    journal = api._journal(db)
    try:
        point = resume_point(journal, run_id, wf.graph, resolve)  # before the resume moves it
    finally:
        journal.close()

    async def follower(
        state: Callable[[], str], pending: Callable[[], list]
    ) -> AsyncGenerator[Any, None]:
        source = JournalWrites(db, run_id, state)
        try:
            async for chunk in G.follow(
                wf.graph,
                point.frame,
                source,
                mode=mode,
                pending=pending,
                resumed=point.cached,
                poll_s=poll_s,
                thread_id=lambda: run_id,
                resolve=resolve,
            ):
                yield chunk
        finally:
            source.close()

    return _stream(run_id, start, follower, (wf, live, mode))


# ---------------------------------------------------------------- Temporal
def temporal(
    wf: Any,
    live: Any,
    address: str,
    input: Any,
    run_id: str,
    start: Callable[[], Any],
    *,
    context: Any,
    context_factory: Any,
    mode: Any,
    poll_s: float,
) -> RunStream:
    """``agentc run --engine temporal --stream`` of a graph: the follower polls the
    workflow's history, where each node activity's result carries its writes."""
    from agentc.semantics.langgraph_calls import Resolver
    from agentc.targets.temporal import engine
    from agentc.targets.temporal.graph_stream_source import GraphHistorySource

    mode = G.check_mode(mode or "updates")
    SG.check_graph(wf.graph, mode)
    resolve = Resolver(live)
    compute_start = _start_writer(wf, live, resolve, context, context_factory)

    async def follower(
        state: Callable[[], str], pending: Callable[[], list]
    ) -> AsyncGenerator[Any, None]:
        source = GraphHistorySource(
            await engine.connect(address), run_id, state, isinstance(mode, SG.Subgraphs)
        )
        async for chunk in G.follow(
            wf.graph,
            G.fresh_frame(wf.graph, resolve, input),
            source,
            mode=mode,
            pending=pending,
            compute_start=compute_start,
            poll_s=poll_s,
            thread_id=lambda: run_id,
            resolve=resolve,
        ):
            yield chunk

    return _stream(run_id, start, follower, (wf, live, mode))


def temporal_resume(
    h: Any, address: str, start: Callable[[], Any], *, mode: Any, poll_s: float
) -> RunStream:
    """``agentc resume --engine temporal --stream`` of a graph. ``h``: the run's history
    read before the resume (``history.read``): the follower replays it to the step the run
    paused in, then follows the resumed run."""
    from agentc.errors import AgentcError, Code
    from agentc.semantics.langgraph_calls import Resolver
    from agentc.targets.temporal import engine
    from agentc.targets.temporal.graph_stream_source import GraphHistorySource, writes_of

    from . import api

    mode = G.check_mode(mode or "updates")
    if not h.entry:
        raise AgentcError(
            Code.RUN_NOT_RESUMABLE,
            f"run {h.run_id} records no REF to stream it with",
            construct=h.run_id,
            hint="resume it without --stream",
        )
    wf, live = api.workflow_and_live(h.entry)
    SG.check_graph(wf.graph, mode, resumed=True)
    resolve = Resolver(live)
    first = next((e for e in h.events if e.kind == "input"), None)
    input = first.data.get("input") if first is not None else None
    compute_start = _start_writer(wf, live, resolve, h.context)
    point = G.replay(
        G.fresh_frame(wf.graph, resolve, input),
        G.Snapshot(writes_of(h.events), "waiting"),
        compute_start,
    )

    async def follower(
        state: Callable[[], str], pending: Callable[[], list]
    ) -> AsyncGenerator[Any, None]:
        source = GraphHistorySource(await engine.connect(address), h.run_id, state)
        async for chunk in G.follow(
            wf.graph,
            point.frame,
            source,
            mode=mode,
            pending=pending,
            resumed=point.cached,
            compute_start=compute_start,
            poll_s=poll_s,
            thread_id=lambda: h.run_id,
            resolve=resolve,
        ):
            yield chunk

    return _stream(h.run_id, start, follower, (wf, live, mode))


# ---------------------------------------------------------------- Conductor simulation
def simulation(
    sim: Any,
    start: Callable[[], Any],
    input: Any,
    context: Any,
    *,
    resumed: bool,
    mode: Any,
    poll_s: float,
) -> RunStream:
    """``agentc simulate --stream`` of a graph: ``start()`` runs the simulation (``sim.start``
    or, ``resumed``, ``sim.resume``); the follower reads each task's output as the simulator
    completes it (``Simulation.observe``). ``context``: the run's context (JSON or object)."""
    from agentc.targets.conductor.graph_stream_source import GraphTaskOutputs, resume_point

    mode = G.check_mode(mode or "updates")
    wf, live, resolve = sim.worker.wf, sim.worker.resolve.root, sim.worker.resolve
    SG.check_graph(wf.graph, mode, resumed=resumed)
    compute_start = _start_writer(wf, live, resolve, context)
    point = (
        resume_point(sim, input, compute_start)
        if resumed
        else G.Resumed(G.fresh_frame(wf.graph, resolve, input), {})
    )

    async def follower(
        state: Callable[[], str], pending: Callable[[], list]
    ) -> AsyncGenerator[Any, None]:
        async for chunk in G.follow(
            wf.graph,
            point.frame,
            source.snapshot,
            mode=mode,
            pending=pending,
            resumed=point.cached if resumed else None,
            compute_start=compute_start,
            poll_s=poll_s,
            thread_id=lambda: stream.run_id,
            resolve=resolve,
        ):
            yield chunk

    def run() -> Any:
        try:
            return start()
        finally:
            stream.run_id = sim.run_id  # a new simulation's id is drawn when it starts

    stream = _stream(sim.run_id, run, follower, (wf, live, mode))
    source = sim.observe = GraphTaskOutputs(
        sim.worker.layout, stream.state
    )  # before the thread starts
    return stream


def refuse_mode(mode: Any) -> None:
    """``--stream-mode`` (and ``--subgraphs``) are LangGraph's: an agent run streams the SDK's
    events."""
    if isinstance(mode, SG.Subgraphs):
        from agentc.errors import AgentcError, Code

        raise AgentcError(
            Code.UNSUPPORTED,
            "--subgraphs selects LangGraph's subgraph chunks; an OpenAI Agents SDK run streams "
            "the SDK's stream events",
            construct="--subgraphs",
            hint="drop --subgraphs for an agent system",
        )
    if mode is not None:
        from agentc.errors import AgentcError, Code

        raise AgentcError(
            Code.UNSUPPORTED,
            f"--stream-mode {mode} selects LangGraph stream chunks; an OpenAI "
            "Agents SDK run streams the SDK's stream events",
            construct=f"--stream-mode {mode}",
            hint="drop --stream-mode for an agent system",
        )
