"""A Temporal run's history, read from the server through the client (``fetch_history``).

The workflow's event history already is an audit trail; this maps it to agentc's events
(``runtime_shims/audit_events``) so ``agentc history``/``export`` show a Temporal run as
they show a local one:

* OpenAI Agents systems: every model and tool activity returns the journal entries it
  made (``runtime_shims/agent_steps``: a model step returns the whole journal, a tool step
  its new ``entries``). Entries are keyed exactly as the local journal keys them, so they
  become the same ``model``/``tool``/``guardrail`` events, with their exact encoding in
  ``raw`` — a transcript exported from Temporal replays on the local executor.
* LangGraph graphs: each node activity becomes a ``node`` event with the update it made
  (``update``); the exact writes (``raw``) are kept where the activity returns them (a task
  of a parallel step). Barriers and the END read-out are engine steps, not events.
* ``resume`` signals become ``resume`` events (and so do the original's answers a graph
  fork used where it used them: ``runtime_shims/temporal_fork_answers.py``), failed
  activity attempts ``retry`` events, and the workflow's close event the final ``status``.
  Times are the server's.

An agent used as a tool runs as a child workflow: its steps are read from the child's
history and merged in where the child started. A subgraph node's child workflow's history
gives its graph's own steps, keyed under the parent's task as the local journal keys them,
merged in before the node's step.
"""

from __future__ import annotations

import base64
from typing import Any

from agentc.runtime_shims.audit_events import Event, History, chain
from agentc.runtime_shims.step_audit import FIELD, latest
from agentc.runtime_shims.temporal_fork_answers import GIVEN_MEMO
from agentc.semantics.codec import dumps, to_jsonable
from agentc.targets.step_history import agent_entries as _agent_entries
from agentc.targets.step_history import node as _node
from agentc.targets.step_history import short as _short
from agentc.runtime_shims.subgraph_start import first_only
from agentc.targets.step_history import child_ns, run_context

ENTRY_MEMO = "agentc_entry"
FORK_MEMO = "agentc_fork"
"""A fork's origin (run, event, replacing value), set when ``agentc fork --engine temporal``
starts it (``targets/temporal/fork.py``)."""


async def read(
    client: Any,
    workflow_id: str,
    *,
    _seen: set[str] | None = None,
    _args: dict[str, Any] | None = None,
    _kind: str | None = None,
    _ns: str = "",
) -> History:
    """``_seen``/``_args``: shared with the child workflows of an agent run, whose steps
    (keyed under their agent-tool call, as the local journal keys them) are merged in.
    ``_ns``: a subgraph's child workflow's, the namespace its steps are keyed under."""
    from agentc.errors import AgentcError, Code
    from temporalio.service import RPCError

    handle = client.get_workflow_handle(workflow_id)
    try:
        desc = await handle.describe()
        hist = await handle.fetch_history()
    except RPCError as exc:
        raise AgentcError(
            Code.UNKNOWN_RUN,
            f"no Temporal run {workflow_id!r}: {exc}",
            construct=workflow_id,
            hint="list runs with `temporal workflow list --address ...`",
        ) from None
    from .run_chain import histories

    runs = await histories(client, workflow_id, hist)  # every run, across continue-as-new
    entry = await desc.memo_value(ENTRY_MEMO, None)
    origin = await desc.memo_value(FORK_MEMO, None)
    conv = client.data_converter
    events: list[Event] = []
    scheduled: dict[tuple[int, int], str] = {}
    journal_seen: set[str] = _seen if _seen is not None else set()
    args: dict[str, Any] = _args if _args is not None else {}
    kind = "graph"
    status, output, error, run_input, workflow = "running", None, None, None, desc.workflow_type
    created = None
    heads: list[dict[str, Any]] = []  # step outputs that carry the audit log (step_audit.py)
    comp_head: str | None = None
    # one record across the runs; event ids are per run, so ``scheduled`` is keyed by both
    for run, e in [(n, e) for n, h in enumerate(runs) for e in h.events]:
        which = e.WhichOneof("attributes")
        a = getattr(e, which)
        at = e.event_time.ToDatetime().timestamp() if e.HasField("event_time") else None
        match which:
            case "workflow_execution_started_event_attributes" if run:
                pass  # a run that continues the one before (its input carries the loop's state)
            case "workflow_execution_started_event_attributes":
                created = at
                run_input = (await conv.decode(a.input.payloads) or [None])[0]
                kind = _kind or (
                    "agents"
                    if isinstance(run_input, dict) and "max_turns" in run_input
                    else "graph"
                )
                shown = run_input.get("input") if isinstance(run_input, dict) else run_input
                raw = None
                if kind == "agents":  # what the local journal's input step holds, so it replays
                    t, v = dumps(
                        {k: run_input.get(k) for k in ("input", "max_turns", "context_factory")}
                    )
                    raw = {"t": t, "b64": base64.b64encode(v).decode()}
                events.append(
                    Event(
                        0,
                        "input",
                        key="input",
                        ns="agents" if kind == "agents" else "",
                        at=at,
                        data={"input": to_jsonable(shown)},
                        raw=raw,
                    )
                )
            case "activity_task_scheduled_event_attributes":
                scheduled[run, e.event_id] = a.activity_type.name
            case "activity_task_completed_event_attributes":
                name = scheduled.get((run, a.scheduled_event_id), "?")
                result = (await conv.decode(a.result.payloads) or [None])[0]
                if kind == "agents":
                    events += _agent_entries(result, journal_seen, args, at)
                else:
                    events += _node(workflow, name, result, at, _ns)
                    if isinstance(result, dict) and result.get(FIELD):  # its effect chain
                        heads.append(result)  # (a compensation's has no step: it is later)
                        comp_head = None if "step" in result else result[FIELD]
            case "activity_task_failed_event_attributes":
                name = scheduled.get((run, a.scheduled_event_id), "?")
                if kind == "agents" and a.failure.application_failure_info.details.payloads:
                    # what its drive journaled before the run failed (agent_steps._journaled)
                    details = await conv.decode(a.failure.application_failure_info.details.payloads)
                    events += _agent_entries((details or [None])[0], journal_seen, args, at)
                events.append(
                    Event(
                        0,
                        "retry",
                        key=name,
                        name=_short(workflow, name),
                        at=at,
                        data={"error": a.failure.message, "attempt": a.retry_state},
                    )
                )
            case "workflow_execution_signaled_event_attributes" if (
                kind == "graph"
            ):  # agents: the journal's
                value = (
                    (await conv.decode(a.input.payloads) or [None])[0]
                    if a.HasField("input")
                    else None
                )
                events.append(
                    Event(0, "resume", key=a.signal_name, at=at, data={"value": to_jsonable(value)})
                )
            case "workflow_properties_modified_event_attributes" if (
                GIVEN_MEMO in a.upserted_memo.fields
            ):  # a fork passed a pause with the original's answer (temporal_fork_answers)
                value = (await conv.decode([a.upserted_memo.fields[GIVEN_MEMO]]) or [None])[0]
                events.append(
                    Event(
                        0,
                        "resume",
                        key="resume",
                        at=at,
                        data={"value": to_jsonable(value), "forked": "record"},
                    )
                )
            case "workflow_execution_completed_event_attributes":
                result = (await conv.decode(a.result.payloads) or [None])[0]
                output = (
                    result.get("state")
                    if isinstance(result, dict) and "state" in result
                    else result
                )
                status = "done"
                events.append(
                    Event(
                        0, "status", at=at, data={"status": "done", "output": to_jsonable(output)}
                    )
                )
            case "workflow_execution_failed_event_attributes":
                status, error = "failed", a.failure.message
                events.append(Event(0, "status", at=at, data={"status": "failed", "error": error}))
            case (
                "workflow_execution_terminated_event_attributes"
                | "workflow_execution_canceled_event_attributes"
                | "workflow_execution_timed_out_event_attributes"
            ):
                status = which.split("_")[2]
                events.append(Event(0, "status", at=at, data={"status": status}))
            case "start_child_workflow_execution_initiated_event_attributes" if kind == "agents":
                child = await read(
                    client, a.workflow_id, _seen=journal_seen, _args=args, _kind="agents"
                )
                events += [c for c in child.events if c.kind not in ("input", "status")]
            case "child_workflow_execution_completed_event_attributes" if kind == "graph":
                # a subgraph node: the writes its graph made to the parent's task (steps._end)
                result = (await conv.decode(a.result.payloads) or [None])[0]
                found = _node(workflow, a.workflow_type.name, result, at, _ns)
                inner = child_ns(found, _ns)  # its graph's own steps first, as the local journal's
                if inner is not None:
                    child = await read(client, a.workflow_execution.workflow_id, _ns=inner)
                    events += first_only(  # its START once (subgraph_start.py)
                        [c for c in child.events if c.kind not in ("input", "status")]
                    )
                events += found or [
                    Event(
                        0,
                        "node",
                        key=a.workflow_execution.workflow_id,
                        name=a.workflow_type.name,
                        at=at,
                        data={"child_workflow": a.workflow_execution.workflow_id},
                    )
                ]
            case _:
                pass
    if kind == "graph" and not _ns:  # the run's effect chain (targets/effect_audit.py)
        from agentc.targets.effect_audit import events as effect_events, placed

        chained = effect_events(workflow_id, comp_head or latest(heads))
        events = placed(events, chained) if chained else events
    h = History(
        run_id=workflow_id,
        engine="temporal",
        kind=kind,
        entry=entry,
        workflow=workflow,
        status=status,
        created=created or (desc.start_time.timestamp() if desc.start_time else None),
        updated=desc.close_time.timestamp() if desc.close_time else None,
        context=run_context(run_input, kind),
        output=to_jsonable(output),
        error=error,
        origin=origin,
    )
    h.events = chain(events)
    return h
