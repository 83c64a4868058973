"""``--stream`` on ``agentc run``, ``resume`` and ``simulate``: the run's events as JSON
Lines on stdout, as they are journaled (docs/openai-agents.md and docs/langgraph.md, "Streaming").

One line per SDK stream event (``agent_stream.event_json``: ``run_item_stream_event`` with
``name`` and ``item``, ``agent_updated_stream_event`` with ``new_agent``), or per LangGraph
chunk of a graph (``--stream-mode updates|values|custom|messages`` or a list:
``graph_streaming.chunk_json``), flushed as it comes; the last line is
``{"type": "agentc.result", "run_id", "status", "result"}`` —
``result`` is what the command prints without ``--stream`` (the final output, or the
pending approvals with exit status 3) — or, for a run that failed, ``status: "failed"``
with the diagnostic's ``error`` code (the diagnostic itself goes to stderr as always).
What the user's code prints goes to stderr (``cli_common._user_code``).
"""

from __future__ import annotations

import json
import sys
from typing import Any, Callable

from .cli_common import EXIT_WAITING, _user_code
from .errors import AgentcError

RESULT = "agentc.result"


def stream_mode_option(f: Any) -> Any:
    """``--stream-mode MODE`` and ``--subgraphs`` of ``run``/``resume``/``simulate``: a
    graph's ``stream_mode`` and ``subgraphs=True``. ``--subgraphs`` is folded into the
    command's ``stream_mode`` (``graph_stream_subgraphs.Subgraphs``), which every stream
    function takes as it is."""
    import functools

    import click

    from agentc.runtime_shims.graph_stream_subgraphs import with_subgraphs

    @functools.wraps(f)
    def folded(*args: Any, subgraphs: bool = False, **kwargs: Any) -> Any:
        kwargs["stream_mode"] = with_subgraphs(kwargs.get("stream_mode"), subgraphs)
        return f(*args, **kwargs)

    folded = click.option(
        "--subgraphs",
        is_flag=True,
        help="with --stream, a LangGraph graph: graph.stream(..., subgraphs=True), the "
        "chunks of the steps inside subgraph nodes too, as [namespace, chunk] "
        "(docs/langgraph.md, Streaming)",
    )(folded)
    return click.option(
        "--stream-mode",
        default=None,
        metavar="MODE",
        help="with --stream, a LangGraph graph: LangGraph's stream_mode, updates (default), "
        "values, custom, messages, or a comma-separated list of them (docs/langgraph.md, "
        "Streaming)",
    )(folded)


def checked_mode(stream: bool, mode: Any) -> Any:
    """``--stream-mode`` (or ``--subgraphs``) without ``--stream`` would change nothing:
    refused (AC203)."""
    from agentc.runtime_shims.graph_stream_subgraphs import Subgraphs

    if isinstance(mode, Subgraphs) and not stream:
        from .errors import Code

        raise AgentcError(
            Code.IGNORED_OPTION,
            "--subgraphs selects what --stream prints; without --stream it does nothing",
            construct="--subgraphs",
            hint="add --stream",
        )
    if mode is not None and not stream:
        from .errors import Code

        raise AgentcError(
            Code.IGNORED_OPTION,
            "--stream-mode selects what --stream prints; without --stream it does nothing",
            construct=f"--stream-mode {mode}",
            hint="add --stream",
        )
    return mode


def emit(make: Callable[[], Any], before_exit: Callable[[], None] | None = None) -> None:
    """Print the events of the ``RunStream`` ``make()`` returns, then its outcome line;
    ``before_exit()`` runs once the run has an outcome."""
    out = sys.stdout  # _user_code points sys.stdout at stderr: the events go here

    def line(value: Any) -> None:
        out.write(json.dumps(value, sort_keys=True, ensure_ascii=False) + "\n")
        out.flush()

    stream: Any = None

    def body() -> Any:
        nonlocal stream
        stream = make()
        for warning in getattr(stream, "warnings", ()):  # AC205 (token_streams.py)
            print(warning.render(), file=sys.stderr, flush=True)
        for event in stream:
            line(stream.encode(event))
        return stream.outcome

    try:
        outcome = _user_code(body)
    except AgentcError as exc:
        if stream is not None:
            line(
                {
                    "type": RESULT,
                    "run_id": stream.run_id,
                    "status": "failed",
                    "error": {"code": exc.diagnostic.code.value, "message": exc.diagnostic.message},
                }
            )
        raise
    if before_exit is not None:
        before_exit()
    line(
        {
            "type": RESULT,
            "run_id": outcome.run_id,
            "status": outcome.status,
            "result": outcome.to_json(),
        }
    )
    if outcome.status == "waiting":
        sys.exit(EXIT_WAITING)


def run(
    engine: str,
    ref: str,
    value: Any,
    *,
    context: Any,
    context_factory: str | None,
    db: str,
    run_id: str | None,
    recursion_limit: int | None,
    durability: str,
    address: str | None,
    task_queue: str | None,
    with_worker: bool,
    policy: str | None,
    full_result: bool,
    stream_mode: str | None = None,
) -> None:
    """``agentc run --stream`` on the local executor or Temporal."""
    from . import streaming

    if engine == "temporal":
        from agentc.targets.temporal import engine as temporal

        from .cli import _address, _exit_now

        where = _address(address)
        _exit_now(
            lambda: emit(
                lambda: streaming.temporal_stream(
                    ref,
                    where,
                    value,
                    context=context,
                    run_id=run_id,
                    task_queue=task_queue,
                    with_worker=with_worker,
                    max_turns=recursion_limit,
                    context_factory=context_factory,
                    no_worker_s=temporal.NO_WORKER_S,
                    full_result=full_result,
                    stream_mode=stream_mode,
                )
            )
        )
    emit(
        lambda: streaming.stream(
            ref,
            value,
            db=db,
            context=context,
            run_id=run_id,
            durability=durability,
            recursion_limit=recursion_limit,
            context_factory=context_factory,
            policy=policy,
            full_result=full_result,
            stream_mode=stream_mode,
        )
    )


def resume(
    engine: str,
    run_id: str,
    value: Any,
    *,
    db: str,
    address: str | None,
    with_worker: bool,
    command: bool = False,
    stream_mode: str | None = None,
) -> None:
    """``agentc resume --stream``: the events after the pause it answers. ``command``:
    ``--goto``/``--update`` were given (a LangGraph breakpoint's, refused)."""
    from . import streaming

    if command:
        raise _command_refused("resume the graph")

    if engine == "temporal":
        from agentc.targets.temporal import engine as temporal

        from .cli import _address, _exit_now

        where = _address(address)
        _exit_now(
            lambda: emit(
                lambda: streaming.temporal_resume_stream(
                    run_id,
                    where,
                    value,
                    with_worker=with_worker,
                    no_worker_s=temporal.NO_WORKER_S,
                    stream_mode=stream_mode,
                )
            )
        )
    emit(lambda: streaming.resume_stream(run_id, value, db=db, stream_mode=stream_mode))


def _command_refused(what: str) -> AgentcError:
    from .errors import Code

    return AgentcError(
        Code.UNSUPPORTED,
        "--goto/--update with --stream: the stream follows the run's journaled "
        "task writes, and a Command's writes at a breakpoint are not among them",
        construct="--stream",
        hint=f"{what} without --stream",
    )


def simulate(
    folder: str | None,
    input_: Any,
    context: Any,
    context_factory: str | None,
    resume_id: str | None,
    value: Any,
    state_dir: str,
    max_turns: int | None,
    command: bool,
    full_result: bool,
    stream_mode: str | None = None,
) -> None:
    """``agentc simulate --stream`` (a new simulation, or ``--resume``: the events after the
    pause it answers); the simulation is saved whatever its outcome, as without ``--stream``."""
    from pathlib import Path

    from agentc.targets.conductor.simulate import NO_VALUE, Simulation

    from . import streaming
    from .errors import Code

    if command:
        raise _command_refused("simulate the graph")
    after_pause = None
    answer = NO_VALUE if value is None else value
    if resume_id:
        from agentc.runtime_shims.agent_steps import read_run, run_context

        saved = Path(state_dir) / f"{resume_id}.json"
        sim = Simulation.load(saved)
        if (
            sim.worker.wf.body.kind != "agents"
        ):  # a graph: the input and context its execution started with
            run = sim.sim.execution(sim.workflow_id)["input"] or {}
            return _simulate(
                sim,
                lambda: sim.resume(answer),
                run.get("input"),
                run.get("context"),
                saved,
                state_dir,
                stream_mode,
                resumed=True,
            )
        run = read_run(sim.sim.execution(sim.workflow_id)["input"])
        input_, ctx, max_turns = run["input"], run_context(run), run.get("max_turns")
        pending = [
            a
            for p in sim.sim.pending_human(sim.workflow_id)
            for a in (p.get("input") or {}).get("approvals") or []
        ]
        after_pause = pending[0]["pause"] if pending else None
        start: Callable[[], Any] = lambda: sim.resume(answer)  # noqa: E731
        where = saved
    else:
        if folder is None or input_ is None:
            raise AgentcError(
                Code.MISSING_OPTION,
                "simulate needs FOLDER and --input (or --resume RUN_ID)",
                construct="agentc simulate",
                hint="agentc simulate DIR --input JSON",
            )
        sim = Simulation.of(folder)
        if sim.worker.wf.body.kind != "agents":
            if context_factory is not None:
                from .agent_context import call_factory

                context = call_factory(context_factory, context)
            return _simulate(
                sim,
                lambda: sim.start(input_, context, max_turns=max_turns, full_result=full_result),
                input_,
                context,
                None,
                state_dir,
                stream_mode,
            )
        ctx = streaming._fresh_context(sim.worker.agent, context, context_factory)

        def start():
            return sim.start(
                input_,
                context,
                max_turns=max_turns,
                context_factory=context_factory,
                full_result=full_result,
            )

        where = None

    _simulate(
        sim,
        start,
        input_,
        ctx,
        where,
        state_dir,
        stream_mode,
        max_turns=max_turns,
        after_pause=after_pause,
    )


def _simulate(
    sim: Any,
    start: Callable[[], Any],
    input_: Any,
    ctx: Any,
    where: Any,
    state_dir: str,
    stream_mode: str | None,
    *,
    max_turns: int | None = None,
    after_pause: str | None = None,
    resumed: bool = False,
) -> None:
    """Stream the simulation; it is saved whatever its outcome, as without ``--stream``."""
    from pathlib import Path

    from . import streaming

    def save() -> None:
        sim.save(where or Path(state_dir) / f"{sim.run_id}.json")

    try:
        emit(
            lambda: streaming.simulation_stream(
                sim,
                start,
                input_,
                ctx,
                max_turns=max_turns,
                after_pause=after_pause,
                stream_mode=stream_mode,
                resumed=resumed,
            ),
            before_exit=save,
        )
    except AgentcError:
        if sim.run_id:
            save()
        raise
