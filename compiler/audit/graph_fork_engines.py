"""``agentc fork RUN_ID --engine temporal|conductor`` of a LangGraph graph run
(docs/replay.md, "Forks on Temporal and Conductor").

A compiled graph workflow always starts at START; rather than compiling a second entry
into every workflow, a fork is a new run of the same workflow from START whose node steps
of the forked prefix answer with the original's recorded writes instead of calling their
nodes (``runtime_shims/graph_fork.py``, the worker half). The original's history holds
those writes exactly: each node step returns them (``writes``, read back as the node
event's ``raw`` by ``targets/step_history.py``), with the chat-model calls the node made.
This is the local replay's seeding (``replay._seeds``: the supersteps before the altered
one, and the altered task's siblings in its superstep, which ran on the same snapshot),
carried in the workflow input (``fork``) instead of a journal. The START step, barriers
and the END read-out run as always; reducers applied to the recorded writes rebuild the
original's frames, and each step still checks its schedule against the compiled plan.

Pauses are the workflow's own waits, not steps, so the fork also starts with the recorded
answers (``fork_answers``, as a local fork is seeded with them): a breakpoint passed before
the fork point is released without waiting, and an ``interrupt()`` reached again gets the
answer the original got (Temporal: the workflow starts with them as received answers,
``temporal_runtime``; Conductor: the fork's driver completes those HUMAN tasks with the
recorded outputs, ``targets/conductor/fork.py``).

A subgraph node runs as a child workflow; its node event holds the writes its graph made to
the parent's task: a subgraph node of the prefix is answered with them before any child
starts (``runtime_shims/graph_fork.py``), and a fork at the subgraph node with ``--set``
gives the new value as its graph's return value (as ``update_state(..., as_node=<subgraph
node>)`` does); after the fork point subgraphs run as child workflows as always. A fork
point INSIDE a subgraph (a step of its own, listed under its parent task's namespace) gives
every level from the root down to it a record of the same shape (``_level_plan``): the
level's tasks before the one holding the fork point answered, that task left to run, and
its record carrying the next level's (``sub``, with the level's ``path``); the subgraph
node that holds the fork point starts its child with that nested record, recursively.

Refused (AC200), with why: ``--set`` at a subgraph's START (its input is its parent's
state: no value of its own replaces it), a prefix subgraph node whose record holds no
writes (a run compiled before the child's END step returned them), and a record that lost
a superstep before the fork point (a Conductor ``DO_WHILE`` keeps its last ``keepLastN``
iterations: an execution compiled before its steps kept the audit log,
``runtime_shims/step_audit.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentc.errors import AgentcError, Code
from agentc.runtime_shims.audit_events import Event, History
from agentc.runtime_shims.graph_fork import BREAKPOINT_REFS

from .replay import (
    NOT_SET,
    SUBGRAPH_START,
    _decode,
    _graph_of,
    find_step,
    fit,
    refuse_set_at_subgraph_start,
)


@dataclass
class GraphForkPlan:
    """What the fork's workflow input carries (``runtime_shims/graph_fork.FIELD``)."""

    plan: dict[str, Any]
    target: Event
    answered: set[str] = field(default_factory=set)
    """Task keys (``/step/task``) answered from the record."""
    answers: dict[str, list[Any]] = field(default_factory=dict)
    """The pauses the fork does not wait at: ``fork_answers``."""
    wf: Any = None
    """The graph's workflow (which nodes are subgraphs: ``counts``)."""


def _task_key(e: Event) -> str:
    return f"/{e.step}/{e.data.get('task')}"


def _refuse(h: History, engine: str, why: str, hint: str) -> AgentcError:
    return AgentcError(
        Code.UNSUPPORTED,
        f"run {h.run_id}: {why}",
        construct=f"agentc fork --engine {engine}",
        hint=hint,
    )


def plan_for(
    h: History, engine: str, at: int, value: Any = NOT_SET, wf: Any = None
) -> GraphForkPlan:
    """The fork of graph run ``h`` at event ``at`` (a node, or a chat call inside one, at
    any subgraph level), its output replaced by ``value``: AC132/AC133 as a local fork;
    AC200 (module docstring)."""
    target = find_step(h, at)
    if target.kind not in ("node", "model"):
        raise AgentcError(
            Code.UNKNOWN_STEP,
            f"event {at} of run {h.run_id} is a {target.kind} event",
            construct=f"--at {at}",
            hint="a graph forks at a node or a chat-model call event",
        )
    fitted = fit(wf, target, value) if value is not NOT_SET else NOT_SET
    if fitted is not NOT_SET:
        refuse_set_at_subgraph_start(h, target, f"agentc fork --engine {engine}")
    chain = [p for p in target.ns.split("|") if p] if target.ns else []
    # the subgraph node tasks that contain the fork point, level by level from the root
    holders: list[Event] = []
    for depth, task in enumerate(chain):
        ns = "|".join(chain[:depth])
        holder = next(
            (e for e in h.events if e.kind == "node" and e.ns == ns and e.data.get("task") == task),
            None,
        )
        if holder is None:
            raise _refuse(
                h,
                engine,
                f"event {at} is a step inside subgraph level {target.ns!r}, but the record "
                f"holds no event of its subgraph node's task {task!r} to fork it through",
                "fork at an event of a level the record holds, or fork on the local executor",
            )
        holders.append(holder)
    names = [str(e.name) for e in holders]  # the subgraph levels' path
    plan = _level_plan(h, engine, target.ns, target, fitted, names, leaf=True)
    for depth in reversed(range(len(holders))):  # each holder's level forks into the next
        outer = _level_plan(h, engine, holders[depth].ns, holders[depth], NOT_SET, names[:depth])
        outer["sub"] = plan
        plan = outer
    return GraphForkPlan(plan, target, set(plan["writes"]), fork_answers(h, engine, target), wf)


def _level_plan(
    h: History,
    engine: str,
    ns: str,
    target: Event,
    fitted: Any,
    path: list[str],
    leaf: bool = False,
) -> dict[str, Any]:
    """The fork's record for one graph level (namespace ``ns``, level ``path``: the subgraph
    node names from the root): the tasks before ``target``'s and its siblings answered from
    their recorded writes and chat calls; ``target`` itself answered from its record, or
    with ``fitted`` (its ``--set``), or — an altered chat call — re-run. A holder of the
    fork point (not ``leaf``: ``target`` a subgraph node, its plan gets ``sub``) is left out
    of ``writes``: its child runs with the nested record. AC200 for a record it cannot
    answer from (module docstring)."""
    where = _task_key(target)
    level = [e for e in h.events if e.ns == ns and e.kind in ("node", "model")]
    nodes = [e for e in level if e.kind == "node"]
    for e in nodes:
        child = e.data.get("child_workflow") or e.data.get("sub_workflow")
        if child and e.raw is None and (e.seq < target.seq or e.step == target.step):
            raise _refuse(
                h,
                engine,
                f"event {e.seq} before the fork point is subgraph {e.name!r}, whose child "
                "workflow returned no writes to its parent (a run compiled before subgraph "
                "steps returned them), so the fork cannot answer it from the record",
                "fork at an event before the subgraph, or fork the graph on the local executor",
            )
    tstep = target.step if target.step is not None else 0  # a node or chat event: always a step
    missing = sorted(set(range(1, tstep)) - {e.step for e in nodes if e.step is not None})
    if missing:
        raise _refuse(
            h,
            engine,
            f"the record no longer holds superstep(s) {missing} of level {ns or 'root'!r} "
            "before the fork point",
            "a Conductor DO_WHILE keeps its last iterations only (keepLastN); recompile so "
            "its steps keep the audit log (docs/replay.md), fork later, or fork locally",
        )
    chat_target = leaf and target.kind == "model"
    writes: dict[str, Any] = {}
    chat: dict[str, list[tuple[str, Any]]] = {}
    for e in level:
        if e.raw is None:
            continue
        k = _task_key(e)
        estep = e.step if e.step is not None else -1
        before = estep < tstep or (estep == tstep and k != where)
        if e.kind == "model" and (before or (leaf and k == where)):
            chat.setdefault(k, []).append((e.data["request_digest"], _decode(e)["message"]))
        elif e.kind == "node" and (
            before or (leaf and k == where and fitted is NOT_SET and not chat_target)
        ):
            writes[k] = [list(w) for w in _decode(e)]
    plan: dict[str, Any] = {"writes": writes, "chat": chat, "target": where, "step": tstep}
    if path:  # a subgraph's level: its steps answer from this record only (graph_fork.answer)
        plan["path"] = path
    plan["given"] = _given(h, engine, set(writes), ns)  # shown where the original got them
    if chat_target:
        plan["rerun"] = (
            target.data["call"],
            fitted if fitted is not NOT_SET else _decode(target)["message"],
        )
    elif leaf and fitted is not NOT_SET:
        plan["value"] = fitted
    return plan


def _given(h: History, engine: str, answered: set[str], ns: str = "") -> dict[str, list[Any]]:
    """The record's interrupt answers by the task they resumed, as ``[key, value]`` of its
    ``resume`` events (Temporal: the signal, its value {interrupt id: answer}; Conductor:
    the HUMAN task's ref and output): an answer precedes the writes of the node it re-ran.
    Only answered tasks (``answered``) keep them (``graph_fork.GIVEN``): the fork never
    pauses there. A breakpoint's release is not a task's: the fork passes it as its own
    wait (Temporal: ``temporal_fork_answers``; Conductor: its HUMAN task, completed)."""
    out: dict[str, list[Any]] = {}
    pending: list[Any] = []
    for e in h.events:
        value = e.data.get("value")
        if e.kind == "resume" and engine == "temporal" and isinstance(value, dict):
            kept = {k: v for k, v in value.items() if not str(k).startswith(BREAKPOINT_REFS)}
            pending += [[e.key, kept]] if kept else []
        elif e.kind == "resume" and engine != "temporal" and not e.key.startswith(BREAKPOINT_REFS):
            pending.append([e.key, value])
        elif e.kind == "node":
            if pending and e.ns == ns and _task_key(e) in answered:
                out[_task_key(e)] = pending
            pending = []
    return out


def fork_answers(h: History, engine: str, target: Event) -> dict[str, list[Any]]:
    """The recorded answers a fork starts with, as the local fork is seeded with them
    (``replay._seed_all``): every answer to an ``interrupt()`` — a pause reached again, before
    or after the fork point, gets the answer the original got — and the release of each
    breakpoint passed before the fork point (a local fork passes those, as its prefix is
    journaled; one after the fork point waits again, as it does locally). Keyed as the
    engine waits on them (Temporal: the interrupt id or breakpoint ref in the ``resume``
    signal; Conductor: the HUMAN task's ref), the values in the order they were given."""
    out: dict[str, list[Any]] = {}
    for e in h.events:
        if e.kind != "resume":
            continue
        value = e.data.get("value")
        given = (
            list(value.items())  # a Temporal ``resume`` signal: {interrupt id or ref: answer}
            if engine == "temporal" and isinstance(value, dict)
            else [(e.key, value)]  # a completed HUMAN task: its ref and output
        )
        for key, answer in given:
            if str(key).startswith(BREAKPOINT_REFS) and e.seq > target.seq:
                continue
            out.setdefault(str(key), []).append(answer)
    return out


def counts(fp: GraphForkPlan, forked: History) -> tuple[int, int]:
    """(live chat-model calls, nodes run live) of the fork, from its own record: a node step
    the fork answered says so (``data.forked``); the chat calls of an answered step are the
    record's, and those of the altered chat call's node through the altered one too (at
    whatever level the fork point is: ``leaf``). Nodes: as the local fork counts them
    (``replay_graph.ReplayExecutor``), at every level — a live subgraph node's own nodes are
    its child workflow's steps, listed under it — but neither the subgraph node itself nor a
    subgraph's START (neither calls a node of the user's); a node that ended its subgraph
    with ``Command(graph=PARENT)`` has no event of its own, its subgraph node's says so
    (``graph_fork.BY_COMMAND``)."""
    rerun = leaf(fp.plan).get("rerun")
    t = fp.target
    where = f"{t.ns}/{t.step}/{t.data.get('task')}"
    answered = {_ns_key(e) for e in forked.events if e.kind == "node" and e.data.get("forked")}
    live_calls = live_nodes = 0
    for e in forked.events:
        if e.kind == "node":
            live_nodes += not e.data.get("forked") and not _not_a_call(fp.wf, e)
            # a live subgraph that ended with Command(graph=PARENT): the node that returned it
            live_nodes += bool(not e.data.get("forked") and e.data.get("by_parent_command"))
        elif e.kind == "model" and _ns_key(e) not in answered:
            live_calls += not (
                rerun is not None and _ns_key(e) == where and e.data.get("call", 0) <= rerun[0]
            )
    return live_calls, live_nodes


def _not_a_call(wf: Any, e: Event) -> bool:
    """A node event that calls no node function of the user's: a subgraph's START, or a
    subgraph node (its graph's nodes are counted in its child's events)."""
    from agentc.ir import SubgraphNode

    if e.ns and e.name == SUBGRAPH_START:
        return True
    graph = _graph_of(wf.graph, e.ns) if wf is not None else None
    node = next((n for n in graph.nodes if n.name == e.name), None) if graph is not None else None
    return isinstance(node, SubgraphNode)


def _ns_key(e: Event) -> str:
    return f"{e.ns}/{e.step}/{e.data.get('task')}"


def leaf(plan: dict[str, Any]) -> dict[str, Any]:
    """The record of the level the fork point is in (``sub`` down from the root's)."""
    while "sub" in plan:
        plan = plan["sub"]
    return plan


def fork_text(fp: GraphForkPlan) -> str:
    """The plan as the workflow input carries it: a claim-check value (inline when small)."""
    from agentc.semantics.claim_check import put_value

    return put_value(fp.plan)
