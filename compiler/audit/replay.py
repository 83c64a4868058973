"""Replay and fork a recorded run on the local executor (docs/replay.md).

The record — a local run's history or a transcript — is *seeded* into a journal as if a
run had already done those steps, then the run is driven: the executor reuses every
journaled step exactly as it does after a crash, so the recorded model outputs and tool
results are returned and no model is called. That is the whole trick: replay, fork and
cassettes all use the executor's own recovery path, not a second interpreter.

Altering step ``at`` (``value``): everything recorded before it is seeded; the step
itself gets the new value (a LangGraph node's return value — its routing runs on it —, an
Agents SDK model turn's output items, or a tool's result); after it, ``then`` decides:

* ``"live"``: the rest runs live, with the agent's own model (or ``model``, a
  ``agents.Model`` the user names, for an agent system);
* ``"stop"``: the rest is taken from the record while the record still applies, and the
  run stops at the first step it does not cover (``Replay.stopped`` says which). Without
  an altered step this is a strict replay: nothing at all may run live.

Granularity: Agents SDK runs are replayed per model call and tool call; LangGraph runs per
node (``--set`` on a node replaces what the node returned) and per chat-model call inside a
node (``--set`` on one re-runs its node with that response: ``replay_chat.py``).
"""

from __future__ import annotations

import base64
import dataclasses
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentc.errors import AgentcError, Code
from agentc.runtime_shims.agent_tool_usage import tool_value
from agentc.runtime_shims.audit_events import REPLAYABLE, Event, History
from agentc.runtime_shims.chat_answers import RecordEnds
from agentc.semantics.codec import loads

from . import trajectory

NOT_SET: Any = object()


@dataclass
class Replay:
    original: History
    replayed: History
    status: str
    """done | waiting | failed | stopped"""
    stopped: str | None = None
    """Where the record stopped applying (``then="stop"``)."""
    live_model_calls: int = 0
    error: str | None = None
    diff: list[str] = field(default_factory=list)
    live_nodes: int = 0
    """LangGraph nodes the replay ran live (their model calls are inside them)."""


def _decode(e: Event) -> Any:
    return loads(e.raw["t"], base64.b64decode(e.raw["b64"]))


def find_step(h: History, at: int) -> Event:
    steps = [e for e in h.events if e.kind in REPLAYABLE]
    for e in h.events:
        if e.seq == at:
            if e.kind not in REPLAYABLE or e.raw is None:
                raise AgentcError(
                    Code.UNKNOWN_STEP,
                    f"event {at} of run {h.run_id} is a {e.kind} event, "
                    "not a step whose output can be replaced",
                    construct=f"--at {at}",
                    hint="steps: " + _listing(steps),
                )
            return e
    raise AgentcError(
        Code.UNKNOWN_STEP,
        f"run {h.run_id} has no event {at} (it has {len(h.events)})",
        construct=f"--at {at}",
        hint="steps: " + _listing(steps),
    )


def _listing(steps: list[Event]) -> str:
    return ", ".join(f"{e.seq} ({e.kind} {e.name})" for e in steps[:20]) + (
        " …" if len(steps) > 20 else ""
    )


# ---------------------------------------------------------------- the altered value
def _fit_model(original: dict[str, Any], value: Any) -> dict[str, Any]:
    """``value``: the output items (a list), or ``{"output": [...]}``; usage and ids are
    the original's. Checked by the SDK's own item types."""
    from agentc.runtime_shims.openai_agents_replay import _revive_response

    items = value.get("output") if isinstance(value, dict) else value
    if not isinstance(items, list):
        raise ValueError('a model step takes a JSON list of output items (or {"output": [...]})')
    kept = {**original, "output": items}
    try:
        _revive_response(kept)
    except ValueError as exc:  # pydantic's ValidationError: one line, not one per item type
        errors = getattr(exc, "errors", list)()
        wrong = {
            e["loc"][1]
            for e in errors
            if len(e["loc"]) > 2 and e["loc"][-1] == "type" and e.get("type") == "literal_error"
        }
        near = [e for e in errors if len(e["loc"]) > 1 and e["loc"][1] not in wrong]
        first = (near or errors or [{"loc": (), "msg": str(exc)}])[0]
        i = first["loc"][0] if first["loc"] else 0
        kind = (
            items[i].get("type")
            if isinstance(i, int) and i < len(items) and isinstance(items[i], dict)
            else None
        )
        detail = ".".join(str(p) for p in first["loc"][2:]) or "item"
        raise ValueError(
            f"output item {i} (type {kind!r}) is not a Responses output item: "
            f"{detail}: {first['msg']}"
        ) from None
    return kept


def _fit_node(wf: Any, e: Event, value: Any) -> Any:
    if value is not None and not isinstance(value, dict):
        raise ValueError(
            "a node step takes a JSON object: the update the node returns (state key -> value)"
        )
    graph = _graph_of(wf.graph, e.ns)
    known = {c.name for c in graph.channels}
    unknown = sorted(set(value or {}) - known)
    if unknown:
        raise ValueError(
            f"{', '.join(map(repr, unknown))} "
            f"{'is not a state key' if len(unknown) == 1 else 'are not state keys'} "
            f"of graph {graph.name!r} (keys: "
            f"{', '.join(sorted(k for k in known if not k.startswith(('branch:', '__'))))})"
        )
    return value


def _graph_of(root: Any, ns: str) -> Any:
    """The graph a task of namespace ``ns`` belongs to (subgraph nodes nest graphs)."""
    from agentc.ir import SubgraphNode

    graph = root
    for part in [p for p in ns.split("|") if p]:
        name = part.split(":")[-1] if ":pull:" in part else None
        node = next((n for n in graph.nodes if n.name == name), None) if name else None
        if isinstance(node, SubgraphNode):
            graph = node.graph
    return graph


def fit(wf: Any, e: Event, value: Any) -> Any:
    """The altered value in the form the engine journals, or AC133 saying why not."""
    try:
        match e.kind:
            case "model" if e.ns != "agents":  # a chat-model call inside a LangGraph node
                from .replay_chat import fit as fit_chat

                return fit_chat(value)
            case "model":
                return _fit_model(_decode(e), value)
            case "tool":
                # an agent tool's kept usage goes with the output it counted
                _, changes, _ = tool_value(_decode(e))
                return [value, changes]
            case "node":
                return _fit_node(wf, e, value)
            case _:
                raise ValueError(f"a {e.kind} step's value cannot be replaced")
    except (ValueError, TypeError) as exc:
        raise AgentcError(
            Code.BAD_STEP_VALUE,
            f"--set does not fit event {e.seq} ({e.kind} {e.name}): {exc}",
            construct=f"--at {e.seq}",
            hint=_set_hint(e.kind),
        ) from None
    except Exception as exc:  # noqa: BLE001 - pydantic's ValidationError from the SDK's item types
        first = str(exc).splitlines()
        raise AgentcError(
            Code.BAD_STEP_VALUE,
            f"--set does not fit event {e.seq} ({e.kind} {e.name}): {' '.join(first[:3])}",
            construct=f"--at {e.seq}",
            hint=_set_hint(e.kind),
        ) from None


def _set_hint(kind: str) -> str:
    return {
        "model": 'e.g. --set \'[{"type": "function_call", "name": "TOOL", "arguments": "{}", '
        '"call_id": "c1"}]\' '
        "or a message item; `agentc history RUN --json` shows the recorded items",
        "tool": "any JSON: it becomes the tool's result",
        "node": 'the node\'s return value, e.g. --set \'{"messages": [{"type": "ai", "content": '
        '"hi"}]}\'',
    }.get(kind, "choose a node, model or tool event")


SUBGRAPH_START = "__start__"
"""A subgraph's START event's name (its input's writes, ``runtime_shims/subgraph_start.py``)."""


def refuse_set_at_subgraph_start(h: History, target: Event, construct: str) -> None:
    """AC200 for ``--set`` at a subgraph's START event, on every target (docs/replay.md
    "Graph forks on the engines"): its writes are the parent's state at the subgraph node,
    which no value of the subgraph's own replaces. LangGraph's time travel has no such
    replacement either: ``update_state(<subgraph config>, v, as_node="__start__")`` merges
    ``v`` into the subgraph's state through its reducers, which is not a replaced output."""
    if target.kind == "node" and target.ns not in ("", "agents") and target.name == SUBGRAPH_START:
        raise AgentcError(
            Code.UNSUPPORTED,
            f"run {h.run_id}: event {target.seq} is the START of subgraph level {target.ns!r}: "
            "its input is its parent's state at the subgraph node, which no value of its own "
            "replaces",
            construct=construct,
            hint="fork at the parent's node before the subgraph node with --set, or at this "
            "event without --set (the subgraph then runs live from its START)",
        )


# ---------------------------------------------------------------- seeding
def _seeds(h: History, target: Event | None, then: str, live_tools: bool) -> list[Event]:
    out = []
    for e in h.events:
        if e.kind not in (*REPLAYABLE, "input") or e.raw is None or e is target:
            continue
        if live_tools and e.kind == "tool":
            continue
        chat = target is not None and target.kind == "model" and target.ns != "agents"
        if chat and e.kind == "node" and e.key == _task_key(target):
            continue  # the node of an altered chat call re-runs (replay_chat.py)
        if target is not None and e.seq > target.seq and then == "live":
            # a sibling task of the same superstep ran on the same snapshot: still applies
            if not (
                (target.kind == "node" or chat)
                and e.kind in ("node", "model")
                and e.ns != "agents"
                and (e.ns, e.step) == (target.ns, target.step)
                and _task_key(e) != _task_key(target)
            ):
                continue
        if (
            target is not None
            and e.seq > target.seq
            and then == "stop"
            and (target.kind == "node" or chat)
        ):
            if (e.ns, e.step) != (target.ns, target.step):
                continue  # later supersteps read the altered state: the record no longer applies
        out.append(e)
    return out


def _task_key(e: Event) -> str:
    """The key of the LangGraph task a node or in-node chat event belongs to."""
    return f"{e.ns}/{e.step}/{e.data.get('task')}"


# ---------------------------------------------------------------- driving
def replay(
    h: History,
    *,
    obj: Any = None,
    at: int | None = None,
    value: Any = NOT_SET,
    then: str = "live",
    model: Any = None,
    live_tools: bool = False,
    db: str | Path = ":memory:",
    run_id: str | None = None,
    keep_step: bool = False,
    lineage: str | None = None,
) -> Replay:
    """Re-run the recorded run ``h`` (see the module docstring). ``obj``: the agent (live
    object or REF; default: the REF the run recorded). ``db``/``run_id``: where the new run
    is journaled (``:memory:``: nowhere; a fork gives the run's own database).
    ``keep_step``: ``at`` without ``value`` reuses the record through that step (a fork).
    ``lineage``: ``"fork"``/``"replay"`` records in ``db`` where the new run came from
    (``targets/local/lineage.py``; the console shows the two side by side)."""
    from agentc import api
    from agentc.targets.local.history import read

    if then not in ("live", "stop"):
        raise AgentcError(
            Code.CONFIG, f"then={then!r}: expected 'live' or 'stop'", construct="--then"
        )
    obj = obj if obj is not None else h.entry
    if obj is None:
        raise AgentcError(
            Code.RUN_NOT_RESUMABLE,
            f"run {h.run_id} was started from an object with no REF",
            construct=h.run_id,
            hint="pass the agent: agentc.replay(..., obj=graph)",
        )
    wf, live = api.workflow_and_live(obj)
    if wf.body.kind != h.kind:
        raise AgentcError(
            Code.GRAPH_CHANGED,
            f"{obj} is not the kind of agent run {h.run_id} recorded ({h.kind})",
            construct=str(obj),
            hint="replay it with the agent that made the record",
        )
    target = find_step(h, at) if at is not None else None
    fitted = fit(wf, target, value) if target is not None and value is not NOT_SET else NOT_SET
    if fitted is not NOT_SET:
        refuse_set_at_subgraph_start(h, target, f"agentc {lineage or 'replay'}")
    if target is not None and fitted is NOT_SET and not keep_step:
        raise AgentcError(
            Code.BAD_STEP_VALUE,
            "--at needs --set JSON: the value that replaces the step",
            construct=f"--at {at}",
            hint=_set_hint(target.kind),
        )
    if model is not None and wf.body.kind != "agents":
        raise AgentcError(
            Code.UNSUPPORTED,
            "--model applies to OpenAI Agents systems; a LangGraph node calls its own model",
            construct="--model",
            hint="leave --model out: nodes after the altered step run with their own code",
        )
    new_id = run_id or f"replay-{uuid.uuid4().hex[:12]}"
    seeds = _seeds(h, target, then, live_tools)
    if (
        target is not None and fitted is NOT_SET
    ):  # a fork at a step, unchanged: it is the last reused
        seeds.append(target)
        target = None
    if fitted is not NOT_SET and target.kind in ("model", "tool"):
        seeds.append(
            Event(
                target.seq,
                target.kind,
                key=target.key,
                name=target.name,
                ns=target.ns,
                step=target.step,
                raw=None,
                data={**target.data, "value": fitted},
            )
        )
    journal = api._journal(db)
    try:
        _seed_all(journal, new_id, h, seeds)
        if lineage is not None:
            from agentc.targets.local import lineage as lineage_table

            with journal.tx() as j:
                lineage_table.record(
                    j.db,
                    new_id,
                    origin=h.run_id,
                    kind=lineage,
                    at=at,
                    value=None if value is NOT_SET else value,
                    changed=value is not NOT_SET,
                )
        counter = _Counter()
        used: dict[str, int] = {}
        status, stopped, error = _drive(
            wf, live, journal, new_id, h, target, fitted, then, model, counter, live_tools, used
        )
        replayed = _reached(
            answers_in_place(h, read(journal, new_id)), {e.key for e in seeds}, used, _anchors(h)
        )
    finally:
        journal.close()
    replayed.status = status if status == "stopped" else replayed.status
    return Replay(
        h,
        replayed,
        status,
        stopped,
        counter.live,
        error,
        trajectory.diff(h, replayed),
        counter.live_nodes,
    )


def _seed_all(journal: Any, run_id: str, h: History, seeds: list[Event]) -> None:
    """Write the record into the new run's journal in record order (the replay's history
    then lists the steps as they were): steps, the altered step's new value, and every
    answer given to a pause (a task re-run live asks again and gets the same answer)."""
    todo = sorted(seeds + [e for e in h.events if e.kind == "resume"], key=lambda e: e.seq)
    with journal.tx() as j:
        for e in todo:
            if e.kind == "resume":
                ns, _, task = e.key.rpartition("/")
                j.add_resume(run_id, ns, task, e.data.get("value"))
            elif (
                e.kind == "model" and e.ns != "agents"
            ):  # a chat call inside a node (chat_calls.py)
                from agentc.targets.local.chat_calls import save

                message = e.data["value"] if e.raw is None else _decode(e)["message"]
                save(
                    j.db,
                    run_id,
                    e.ns,
                    e.step,
                    e.data["task"],
                    e.name,
                    e.data["request_digest"],
                    message,
                    e.data["call"],
                )
            elif e.raw is None:  # the altered model turn or tool result
                j.save_step(run_id, e.key, e.kind, e.data["value"])
            elif e.ns == "agents":
                j.save_step(
                    run_id,
                    e.key,
                    e.data.get("guardrail") if e.kind == "guardrail" else e.kind,
                    _decode(e),
                )
            else:
                j.save_writes(run_id, e.ns, e.step, e.data["task"], e.name, _decode(e))


def _anchors(h: History) -> dict[tuple[str, Any], str]:
    """An answer's place in the record: (key, index) -> the step committed just before it."""
    out: dict[tuple[str, Any], str] = {}
    last = "input"
    for e in h.events:
        if e.kind in REPLAYABLE:
            last = e.key
        elif e.kind == "resume":
            out[(e.key, e.data.get("index"))] = last
    return out


def answers_in_place(origin: History, derived: History) -> History:
    """``derived`` (a fork or kept replay of ``origin``, as its journal reads back) with
    each answer it was seeded with moved to where ``origin`` received it: after the step
    it followed there (``_anchors``). A fork's journal commits every recorded answer up
    front with the seeded prefix, so read back plainly they would all show as moved.
    ``replay`` reports its run this way, and the console's side-by-side diff of a fork
    uses it too, so the page shows the diff ``agentc fork`` printed. Events keep their
    numbers (``seq``): only the order changes."""
    anchors = _anchors(origin)
    keys = {e.key for e in derived.events if e.kind in (*REPLAYABLE, "input")}
    moved: dict[str, list[Event]] = {}
    kept = []
    for e in derived.events:
        # an engine fork's recorded answers are already where its run used them (``forked``)
        placed = e.kind != "resume" or e.data.get("forked")
        anchor = None if placed else anchors.get((e.key, e.data.get("index")))
        if anchor is not None and anchor in keys:
            moved.setdefault(anchor, []).append(e)
        else:
            kept.append(e)
    out = []
    for e in kept:
        out.append(e)
        if e.kind in (*REPLAYABLE, "input"):
            out.extend(moved.pop(e.key, []))
    return dataclasses.replace(derived, events=out)


def _reached(
    h: History,
    seeded: set[str],
    used: dict[str, int],
    anchors: dict[tuple[str, Any], str] | None = None,
) -> History:
    """The replay's history without the recorded steps it never reached (seeded, unused):
    a replay whose agent changed must not show steps its code no longer takes. An agent
    run's steps are listed in the order the SDK asked for them (``used``)."""
    from agentc.runtime_shims.audit_events import chain

    def reached(e: Event) -> bool:
        if e.key not in seeded or e.key in used or e.kind not in (*REPLAYABLE, "input"):
            return True
        if e.ns == "agents":  # a step inside an agent used as a tool whose result was reused
            return any(s in used for s in e.data.get("scope", []))
        if (
            e.kind == "model" and _task_key(e) in used
        ):  # a chat call of a node whose writes were reused
            return True
        ns = e.ns  # a step inside a subgraph whose task's writes were reused
        while ns:
            parent, _, task = ns.rpartition("|")
            if f"{parent}/{task.split(':')[0]}/{task}" in used:
                return True
            ns = parent
        return False

    kept = [e for e in h.events if reached(e)]
    if h.kind == "agents":
        place: list[tuple[float, int, int]] = []
        last = -1.0
        for i, e in enumerate(kept):
            anchor = (
                (anchors or {}).get((e.key, e.data.get("index"))) if e.kind == "resume" else None
            )
            if e.key in used and e.kind in (*REPLAYABLE, "input"):
                place.append((float(used[e.key]), 0, i))
                last = max(last, float(used[e.key]))
            elif anchor in used:  # an answer: after the step it followed in the record
                place.append((float(used[anchor]), 1, i))
            else:  # status changes: after every step committed before them
                place.append((last, 2, i))
        kept = [e for _, e in sorted(zip(place, kept), key=lambda p: p[0])]
    h.events = chain(kept)
    return h


class _Counter:
    def __init__(self) -> None:
        self.live = 0
        self.live_nodes = 0


def _drive(
    wf: Any,
    live: Any,
    journal: Any,
    run_id: str,
    h: History,
    target: Event | None,
    fitted: Any,
    then: str,
    model: Any,
    counter: _Counter,
    live_tools: bool,
    used: dict[str, int],
) -> tuple[str, str | None, str | None]:
    from agentc import api
    from agentc.errors import RunFailed

    try:
        match wf.body.kind:
            case "agents":
                from .replay_agents import drive_agents

                outcome = drive_agents(
                    wf, live, journal, run_id, h, then, model, counter, live_tools, used
                )
            case "graph":
                from .replay_graph import drive_graph

                outcome = drive_graph(
                    wf, live, journal, run_id, h, target, fitted, then, api, used, counter
                )
    except RecordEnds as end:
        with journal.tx() as j:
            j.set_status(run_id, "failed", error=f"replay stopped: {end.where}")
        return "stopped", end.where, None
    except RunFailed as exc:
        return "failed", None, exc.diagnostic.render()
    return outcome.status, None, None
