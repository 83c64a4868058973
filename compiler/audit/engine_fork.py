"""``agentc fork RUN_ID --engine temporal|conductor``: a fork started as a new workflow on
the engine the original ran on (docs/replay.md "Forks on Temporal and Conductor").

An OpenAI Agents system runs on an engine as one loop that carries the run's journal
(step key → value, ``runtime_shims/agent_steps.py``) from step to step, and every model
step merges the journal its workflow was *started* with (``journal`` in the workflow input:
an agent-as-tool child gets its parent's that way). So a fork needs no new runtime: the
original's history (read from the engine, ``targets/temporal/history.py``,
``targets/conductor/history.py``) holds its journal entries with their exact encoding;
the entries before event ``at`` — and that event's own, replaced by ``--set`` — become the
fork's starting journal, and the new workflow's first model step replays them (the SDK's
own ``Runner.run`` gets the recorded responses and tool results back) before it calls a
model for the first step the journal lacks. Every answer the original got at a pause is
in the starting journal too, as a local fork is seeded with them (a pause reached again
gets the same answer).

A LangGraph graph's workflow always starts at START: its fork is a new run whose node
steps of the forked prefix answer with the original's recorded writes
(``graph_fork_engines.py``, ``runtime_shims/graph_fork.py``).

The engine halves (starting the workflow, where the fork's origin is kept) are
``targets/temporal/fork.py`` and ``targets/conductor/fork.py``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from agentc.errors import AgentcError, Code
from agentc.runtime_shims.audit_events import REPLAYABLE, History

from . import trajectory
from .replay import NOT_SET, _decode, answers_in_place, find_step, fit

JOURNALED = (*REPLAYABLE, "hook")
"""Event kinds that are journal entries of an agent run (a hook ran once and is journaled)."""


@dataclass
class EngineFork:
    """What ``fork_on_engine`` started: the new run, read back from the engine."""

    original: History
    replayed: History
    """The fork's history (named as ``Replay``'s, so the CLI prints both alike)."""
    status: str
    outcome: Any = None
    """The engine's ``RunOutcome`` (output, or the pending approvals of a paused fork)."""
    live_model_calls: int = 0
    """Model turns the fork made itself: its model events that were not in its starting journal."""
    prefix: list[str] = field(default_factory=list)
    """The journal keys the fork started with."""
    diff: list[str] = field(default_factory=list)
    stopped: str | None = None
    error: str | None = None
    live_nodes: int = 0


def lineage(run_id: str, engine: str, at: int, value: Any) -> dict[str, Any]:
    """The fork's origin as ``History.origin`` shows it (the shape of ``targets/local/lineage``)."""
    changed = value is not NOT_SET
    return {
        "origin": run_id,
        "kind": "fork",
        "at": at,
        "changed": changed,
        "value": value if changed else None,
        "engine": engine,
    }


def starting_journal(h: History, at: int, value: Any = NOT_SET) -> dict[str, Any]:
    """The journal (step key → value) a fork of ``h`` at event ``at`` starts with: every
    journal entry recorded before that event, the event's own (``value`` in its place when
    given, checked as a local fork checks it: AC132/AC133), and the answers given at pauses."""
    target = find_step(h, at)
    fitted = fit(None, target, value) if value is not NOT_SET else None
    out: dict[str, Any] = {}
    for e in h.events:  # in the record's order (the fork's history lists its starting journal so)
        if e.kind == "resume" and e.key.startswith("agents/pause:"):
            out[e.key.removeprefix("agents/")] = e.data.get("value")
        elif e is target:
            out[e.key] = fitted if value is not NOT_SET else _decode(e)
        elif e.kind in JOURNALED and e.raw is not None and e.seq < target.seq:
            out[e.key] = _decode(e)
    return out


def journal_text(entries: dict[str, Any]) -> str:
    """The journal as an engine carries it (a claim-check manifest, ``semantics/claim_check``):
    values above the inline bound go to the blob store the workers read."""
    from agentc.semantics import claim_check

    return claim_check.save_journal({k: claim_check.put_value(v) for k, v in entries.items()})


def fork_on_engine(
    run_id: str,
    *,
    engine: str,
    at: int,
    value: Any = NOT_SET,
    new_run_id: str | None = None,
    address: str | None = None,
    state_dir: str | None = None,
    with_worker: bool = False,
    no_worker_s: float | None = None,
    obj: Any = None,
) -> EngineFork:
    """Fork run ``run_id`` of ``engine`` (``temporal``: ``address``; ``conductor``: the
    simulation saved under ``state_dir``) at event ``at``, its output replaced by ``value``,
    as a new workflow ``new_run_id`` on the same engine; wait for its result or first pause.
    ``with_worker``/``no_worker_s``: Temporal, as ``agentc run --engine temporal``.
    ``obj``: the agent to serve a Conductor simulation with (default: its recorded REF)."""
    from . import history

    h = history(run_id, engine=engine, address=address, state_dir=state_dir)
    graph = None
    answers: dict[str, list[Any]] = {}
    if h.kind != "agents":  # a graph: answered from its recorded writes (graph_fork_engines.py)
        from .graph_fork_engines import fork_text, plan_for

        graph = plan_for(h, engine, at, value, _workflow(h, obj))
        entries, text, field_name = graph.plan["writes"], fork_text(graph), "fork"
        answers = graph.answers  # the pauses it does not wait at (graph_fork_engines.fork_answers)
    else:
        entries = starting_journal(h, at, value)
        text, field_name = journal_text(entries), "journal"
    origin = lineage(run_id, engine, at, value)
    new_id = new_run_id or f"{run_id}-fork-{uuid.uuid4().hex[:6]}"
    if engine == "temporal":
        from agentc.targets.temporal.fork import start_fork as start_temporal

        outcome = start_temporal(
            address,
            run_id,
            new_id,
            text,
            origin,
            with_worker=with_worker,
            no_worker_s=no_worker_s,
            field=field_name,
            answers=answers,
        )
    elif engine == "conductor":
        from agentc.targets.conductor.fork import start_fork as start_conductor

        outcome = start_conductor(
            state_dir, run_id, new_id, text, origin, obj=obj, field=field_name, answers=answers
        )
    else:
        raise AgentcError(
            Code.CONFIG,
            f"--engine {engine}: forks of engine runs are on temporal or conductor",
            construct="--engine",
            hint="a local fork: agentc fork RUN_ID --at N (no --engine)",
        )
    # the answers it started with, shown where the original got them (as a local fork's diff shows
    # them)
    forked = answers_in_place(
        h, history(outcome.run_id, engine=engine, address=address, state_dir=state_dir)
    )
    if graph is not None:
        from .graph_fork_engines import counts

        live, nodes = counts(graph, forked)
        return EngineFork(
            h,
            forked,
            outcome.status,
            outcome,
            live,
            list(entries),
            trajectory.diff(h, forked),
            live_nodes=nodes,
        )
    live = sum(1 for e in forked.events if e.kind == "model" and e.key not in entries)
    return EngineFork(
        h, forked, outcome.status, outcome, live, list(entries), trajectory.diff(h, forked)
    )


def _workflow(h: History, obj: Any) -> Any:
    """The graph's workflow (to check ``--set`` against its state keys), from ``obj`` or the
    REF the run recorded."""
    from agentc import api

    if obj is None and not h.entry:
        raise AgentcError(
            Code.RUN_NOT_RESUMABLE,
            f"run {h.run_id} records no REF of its graph",
            construct=h.run_id,
            hint="pass the graph: fork_on_engine(..., obj=graph)",
        )
    return api.workflow_and_live(obj if obj is not None else h.entry)[0]
