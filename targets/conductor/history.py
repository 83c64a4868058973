"""A Conductor simulation's history (``agentc simulate``), from its saved execution.

The simulator keeps each workflow execution as Conductor's own execution JSON: its tasks
in scheduling order with their input, output, status and times. This maps them to agentc's
audit events (``runtime_shims/audit_events``) through the step protocol the worker tasks
share with Temporal activities (``targets/step_history.py``): an agent's journal entries
become model/tool/guardrail events (replayable locally), a graph task's update a ``node``
event, a completed ``HUMAN`` task a ``resume`` event, a failed attempt a ``retry`` event.
Times are the simulator's clock. Sub-workflows of an agent run (agents used as tools) are
merged in where they started; a subgraph node's child execution gives its graph's own
steps, keyed under the parent's task as the local journal keys them, before the node's.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from agentc.runtime_shims.audit_events import Event, History, chain
from agentc.semantics.codec import dumps, to_jsonable
from agentc.runtime_shims.subgraph_start import first_only
from agentc.targets.step_history import agent_entries, child_ns, node, run_context

FAILED = ("FAILED", "FAILED_WITH_TERMINAL_ERROR", "TIMED_OUT")


def read(path: str | Path) -> History:
    from agentc.errors import AgentcError, Code

    p = Path(path)
    if not p.exists():
        raise AgentcError(
            Code.UNKNOWN_RUN,
            f"no saved simulation at {p}",
            construct=p.stem,
            hint="simulations are saved under --state-dir (default .agentc/simulations)",
        )
    data = json.loads(p.read_text())
    workflows = data["simulator"]["workflows"]
    manifest = data["artifact"]["manifest"]
    root = workflows[data["workflow_id"]]
    run_input = root.get("input") or {}
    kind = "agents" if "max_turns" in run_input or manifest.get("kind") == "agents" else "graph"
    events: list[Event] = [_input(run_input, kind, root.get("startTime"))]
    args: dict[str, Any] = {}  # tool call id → arguments, from the model responses
    steps = _tasks(workflows, root, kind, set(), args)
    if kind == "graph":  # the loop iterations the server trimmed, from the run's audit log
        from .audit_log import merged

        steps = merged(data.get("run_id") or p.stem, steps, root.get("tasks") or [])
        steps = _with_effects(data.get("run_id") or p.stem, data, steps)
    events += _in_journal_order(steps, workflows, args) if kind == "agents" else steps
    status = {"COMPLETED": "done", "RUNNING": "waiting"}.get(root["status"], root["status"].lower())
    output = root.get("output") or {}
    output = output.get("state") if "state" in output else output.get("result")
    events.append(
        Event(
            0,
            "status",
            at=_ms(root.get("endTime") or root.get("updateTime")),
            data={
                "status": status,
                "error": root.get("reasonForIncompletion"),
                **({"output": to_jsonable(output)} if status == "done" else {}),
            },
        )
    )
    h = History(
        run_id=data.get("run_id") or p.stem,
        engine="conductor",
        kind=kind,
        entry=manifest.get("entry"),
        workflow=manifest.get("workflow") or root.get("workflowName"),
        status=status,
        created=_ms(root.get("startTime")),
        updated=_ms(root.get("updateTime")),
        context=run_context(run_input, kind),
        output=to_jsonable(output) if status == "done" else None,
        error=root.get("reasonForIncompletion"),
        origin=data.get("lineage"),
    )
    h.events = chain(events)
    return h


def _with_effects(run_id: str, data: dict[str, Any], steps: list[Event]) -> list[Event]:
    """The run's effect chain as ``effect`` events (``targets/effect_audit.py``), after the
    node steps that made them; the failure workflow's compensations at the end."""
    from agentc.targets.effect_audit import events, placed

    from .effects import chain_head

    workflows = data["simulator"]["workflows"]
    root = workflows[data["workflow_id"]]
    fid = (root.get("output") or {}).get("conductor.failure_workflow")
    fid = fid if fid in workflows else data.get("compensation_id")
    found = events(run_id, chain_head(root, workflows.get(fid) if fid else None))
    return placed(steps, found) if found else steps


def _ms(value: Any) -> float | None:
    return value / 1000 if value else None


def _input(run_input: dict[str, Any], kind: str, start: Any) -> Event:
    raw = None
    if kind == "agents":  # what the local journal's input step holds, so it replays
        t, v = dumps({k: run_input.get(k) for k in ("input", "max_turns", "context_factory")})
        raw = {"t": t, "b64": base64.b64encode(v).decode()}
    return Event(
        0,
        "input",
        key="input",
        ns="agents" if kind == "agents" else "",
        at=_ms(start),
        data={"input": to_jsonable(run_input.get("input"))},
        raw=raw,
    )


def _tasks(
    workflows: dict[str, Any],
    wf: dict[str, Any],
    kind: str,
    seen: set[str],
    args: dict[str, Any],
    ns: str = "",
) -> list[Event]:
    """``ns``: a subgraph's child execution's, the namespace its steps are keyed under."""
    out: list[Event] = []
    name = wf.get("workflowName") or ""
    for t in wf.get("tasks") or []:
        at = _ms(t.get("endTime") or t.get("updateTime"))
        status, ttype = t.get("status"), t.get("taskType")
        if ttype == "SUB_WORKFLOW" and t.get("subWorkflowId") in workflows:
            sub = workflows[t["subWorkflowId"]]
            if kind == "agents":
                out += _tasks(workflows, sub, kind, seen, args)
            else:  # a subgraph node: the writes its graph made to the parent's task (steps._end)
                found = node(name, sub.get("workflowName") or "", t.get("outputData") or {}, at, ns)
                inner = child_ns(found, ns)  # its graph's own steps first, as the local journal's
                if inner is not None:  # its START once (runtime_shims/subgraph_start.py)
                    out += first_only(_tasks(workflows, sub, kind, seen, args, inner))
                out += found or [
                    Event(
                        0,
                        "node",
                        key=t["subWorkflowId"],
                        name=sub.get("workflowName"),
                        at=at,
                        data={"sub_workflow": t["subWorkflowId"]},
                    )
                ]
            continue
        if ttype == "SUB_WORKFLOW" and (t.get("outputData") or {}).get("forked"):
            # a subgraph node a fork answered from its record, no child started (fork.py)
            sub = (t.get("inputData") or {}).get("subWorkflowName") or ""
            out += node(name, sub, t.get("outputData") or {}, at, ns)
            continue
        if status in FAILED:
            if (
                kind == "agents"
            ):  # what its drive journaled before the run failed (agent_steps._journaled)
                out += agent_entries(t.get("outputData") or {}, seen, args, at)
            out.append(
                Event(
                    0,
                    "retry",
                    key=t.get("taskId", ""),
                    name=t.get("referenceTaskName"),
                    at=at,
                    data={
                        "error": t.get("reasonForIncompletion"),
                        "attempt": t.get("retryCount", 0) + 1,
                    },
                )
            )
            continue
        if status != "COMPLETED":
            continue
        result = t.get("outputData") or {}
        if ttype == "HUMAN" and kind == "graph":
            out.append(
                Event(
                    0,
                    "resume",
                    key=t.get("referenceTaskName", ""),
                    at=at,
                    data={"value": to_jsonable(result)},
                )
            )
        elif t.get("_kind") == "SIMPLE" or t.get("workerId") == "simulator":
            out += (
                agent_entries(result, seen, args, at)
                if kind == "agents"
                else node(name, ttype or "", result, at, ns)
            )
    return out


def _in_journal_order(
    events: list[Event], workflows: dict[str, Any], args: dict[str, Any]
) -> list[Event]:
    """An agent run's steps in the order its journal recorded them. The executions keep
    only the last iterations of the agent loop (``keepLastN``, docs/claim-check.md), so
    the surviving tasks are not the run's order; the longest journal a model step
    returned is (its entries in the order they were added)."""
    from agentc.semantics import claim_check
    from agentc.runtime_shims.protocol import is_model_turn

    longest: list[str] = []
    for wf in workflows.values():
        for t in wf.get("tasks") or []:
            out = t.get("outputData")
            if is_model_turn(out) and isinstance(text := out["journal"], str) and text:
                keys = list(claim_check.load_journal(text))
                if len(keys) > len(longest):
                    longest = keys
    where = {k: i for i, k in enumerate(longest)}
    ranked = sorted(
        enumerate(events),
        key=lambda ie: (where.get(ie[1].key.removeprefix("agents/"), len(where)), ie[0]),
    )
    for (
        _,
        e,
    ) in ranked:  # a tool task can precede (in the trimmed execution) the model turn that called it
        if e.kind == "tool" and e.data.get("arguments") is None:
            e.data["arguments"] = args.get(str(e.data.get("call_id")))
    return [e for _, e in ranked]
