"""Audit events from step-protocol outputs (``runtime_shims/steps``, ``agent_steps``): what
a Temporal activity or a Conductor worker task returned, as ``runtime_shims/audit_events``.
Shared by ``targets/temporal/history.py`` and ``targets/conductor/history.py``.

* an agent step returns journal entries (a model step the whole journal, a tool step its new
  ``entries``), keyed as the local journal keys them: they become the same events, with
  their exact encoding (``raw``), so they replay on the local executor;
* a LangGraph task returns the update it made (``update``): a ``node`` event.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from agentc.runtime_shims.audit_events import Event
from agentc.semantics.codec import dumps, to_jsonable
from agentc.runtime_shims.stream_capture import CUSTOM_KEY


def short(workflow: str, activity: str) -> str:
    return activity[len(workflow) + 1 :] if activity.startswith(workflow + "-") else activity


def node(workflow: str, activity: str, result: Any, at: float | None, ns: str = "") -> list[Event]:
    """A LangGraph task's step: its writes, as the local journal keeps them (``raw``: the
    exact encoding), so the run replays on the local executor. ``ns``: the checkpoint
    namespace of a subgraph's task (its parent's task path), as the local journal keys it.
    A subgraph's first step also gives its START (``runtime_shims/subgraph_start.py``)."""
    return [*start_events(ns, result, at), *_task_events(workflow, activity, result, at, ns)]


def start_events(ns: str, result: Any, at: float | None) -> list[Event]:
    """The ``__start__`` node event of a subgraph's START, which its first step ran
    (``subgraph_start.KEY``), keyed and encoded as the local journal's."""
    from agentc.runtime_shims.subgraph_start import KEY
    from agentc.semantics import pregel
    from agentc.targets.local.history import _step

    if not ns or not isinstance(result, dict) or not result.get(KEY):
        return []
    out = []
    for task, name, writes in result[KEY]:
        t, v = dumps(pregel.decode_writes(writes))
        out.append(_step((ns, 0, task), name, t, v, at, {}))
    return out


def _task_events(
    workflow: str, activity: str, result: Any, at: float | None, ns: str
) -> list[Event]:
    from agentc.semantics import pregel
    from agentc.targets.local.history import _step

    name = short(workflow, activity)
    if isinstance(result, dict) and result.get("forked"):  # a subgraph node a fork answered: its
        name = name.removesuffix("-_end")  # child's END step (runtime_shims/graph_fork.PROBE)
    if (
        name.startswith("_")
        or not isinstance(result, dict)
        or ("writes" not in result and "update" not in result)
    ):
        return []  # a barrier, START or END read-out: engine steps, not the graph's
    task = result.get("task")
    step = (
        result["step"] if task else result["step"] - 1
    )  # a single-task step returns the next step
    task = task or f"{step}:pull:{name}"
    calls = chat_calls(name, ns, step, task, result, at)
    if "writes" not in result:  # a history recorded before the writes travelled with every task
        data: dict[str, Any] = {"task": task, "writes": to_jsonable(result.get("update") or [])}
        return [
            *calls,
            Event(
                0, "node", key=f"{ns}/{step}/{task}", name=name, ns=ns, step=step, at=at, data=data
            ),
        ]
    t, v = dumps(pregel.decode_writes(result["writes"]))
    event = _step((ns, step, task), name, t, v, at, {})
    if result.get("forked"):  # a fork answered it from its record (runtime_shims/graph_fork.py)
        event.data["forked"] = result["forked"]
    if result.get("by_parent_command"):  # a node of its graph ran: graph_fork.BY_COMMAND
        event.data["by_parent_command"] = True
    if result.get(CUSTOM_KEY) is not None and event.raw is not None:  # its `custom` stream chunks
        event.raw[CUSTOM_KEY] = json.dumps(result[CUSTOM_KEY], sort_keys=True)
    given = [  # the answers it got in the original, for a task a fork answered (graph_fork.GIVEN)
        Event(0, "resume", key=k, at=at, data={"value": v, "forked": "record"})
        for k, v in result.get("fork_given") or []
    ]
    return [*given, *calls, event]


def child_ns(parent: list[Event], ns: str = "") -> str | None:
    """The namespace a subgraph node's own steps are keyed under, as the local journal keys
    them (``executor._attempt``: the parent task's key, ``|``-joined below the root): from
    the node event ``parent`` the subgraph node's step gave (``node``); None without one."""
    task = parent[-1].data.get("task") if parent and parent[-1].kind == "node" else None
    return None if task is None else (f"{ns}|{task}" if ns else str(task))


def chat_calls(
    name: str, ns: str, step: int, task: str, result: dict[str, Any], at: float | None
) -> list[Event]:
    """The chat-model calls a node step made (``runtime_shims/chat_capture.py``), as the
    local history shows them: ``model`` events of the node, before its writes, keyed and
    encoded as the local journal's (``targets/local/chat_calls.py``), so they replay."""
    from agentc.runtime_shims.chat_capture import OUTPUT_KEY, decoded, decoded_meta
    from agentc.targets.local.chat_calls import record

    if not result.get(OUTPUT_KEY):
        return []
    out = []
    metas = decoded_meta(result)
    for n, (request, message) in enumerate(decoded(result)):
        t, v = dumps(record(request, message, metas[n]))
        out.append(
            Event(
                0,
                "model",
                key=f"{ns}/{step}/{task}/chat:{n}",
                name=name,
                ns=ns,
                step=step,
                at=at,
                data={
                    "task": task,
                    "call": n,
                    "request_digest": request,
                    "response": [to_jsonable(message)],
                },
                raw={"t": t, "b64": base64.b64encode(v).decode()},
            )
        )
    return out


def run_context(run_input: Any, kind: str) -> Any:
    """The run's context as the local journal's history shows it: an agent workflow's input
    carries it packed (``agent_steps.run_input``), a graph workflow's as plain JSON."""
    if not isinstance(run_input, dict):
        return None
    value = run_input.get("context")
    if kind == "agents" and isinstance(value, str):
        from agentc.semantics import claim_check

        value = claim_check.get_value(value)
    return to_jsonable(value)


def agent_entries(
    result: Any, seen: set[str], args: dict[str, Any], at: float | None
) -> list[Event]:
    """The journal entries an agent activity added, as the local journal's events."""
    from agentc.semantics import claim_check
    from agentc.runtime_shims.protocol import journal_text
    from agentc.targets.local.history import _step

    blob = journal_text(result)  # a model turn's journal, a tool step's entries
    if not blob:
        return []
    out = []
    # a journal text (claim-check manifest chain, docs/claim-check.md), or an older packed whole
    for key, value in claim_check.values(claim_check.load_journal(blob)).items():
        if key in seen:
            continue
        seen.add(key)
        if key.startswith("pause:"):  # the approvals given at a pause (the resume signal's)
            out.append(
                Event(
                    0,
                    "resume",
                    key=f"agents/{key}",
                    ns="agents",
                    at=at,
                    data={"value": to_jsonable(value)},
                )
            )
            continue
        kind = kind_of(key)
        t, v = dumps(value)
        out.append(_step(("agents", 0, key), kind, t, v, at, args))
    return out


def kind_of(key: str) -> str:
    body = key.rpartition("#")[0]
    if body.startswith("["):
        import json

        body = json.loads(body)[-1]
    head, _, rest = body.partition(":")
    if head == "guardrail":
        return rest.partition(":")[0] + "_guardrail"
    return head
