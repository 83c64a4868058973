"""The step protocol in Conductor's terms (docs/architecture.md, "The step protocol").

The step workers answer in engine-neutral types (``runtime_shims/protocol.py``); Conductor
needs task statuses, and a step's fan-out as the input of a FORK_JOIN_DYNAMIC task: a list of
task definitions (``dynamicForkTasksParam``) and each one's input
(``dynamicForkTasksInputParamName``, docs/conductor.md "Dynamic fork"), where the input of a
Send task reads its source step's output by a ``${ref.output}`` expression. The Conductor
worker (``server.TaskFunction``) and the simulator (``simulate.Simulation``) run every task
through ``execute`` (its input made neutral) and pass every outcome through ``outcome``
before Conductor sees it; the lowering (``lowering.py``,
``agents.py``) wires the forks to the keys made here (``sends.KEY.tasks``/``inputs``, the
model step's ``tasks``/``inputs``).
"""

from __future__ import annotations

import traceback
from typing import Any

from agentc.runtime_shims.protocol import (
    CALLS_KEY,
    CallTask,
    Outcome,
    SendGroup,
    Status,
    is_step_output,
)

CONDUCTOR_STATUS = {
    Status.COMPLETED: "COMPLETED",
    Status.FAILED: "FAILED",
    Status.TERMINAL: "FAILED_WITH_TERMINAL_ERROR",
}
"""A step's status as a Conductor ``TaskResult`` status."""
_STATUS_OF = {v: k for k, v in CONDUCTOR_STATUS.items()}

CONTEXT = "${workflow.input.context}"
"""Where a Conductor task finds the run's context."""


def execute(worker: Any, task_type: str, input: dict[str, Any], **kw: Any) -> Outcome:
    """Run one Conductor task on a step worker (``StepWorker``/``AgentStepper.execute``):
    its input made engine-neutral first. A failure workflow's compensation task
    (``saga.py``) gets the failed execution; the worker gets its effect records
    (``protocol.Compensation``). A failed read is a failed attempt: Conductor retries it."""
    from .effects import compensation
    from .saga import is_compensate_type

    if "asked" in input:
        input = with_external_specs(input)
    if is_compensate_type(task_type):
        try:
            input = compensation(input).to_input(input.get("plan"))
        except Exception as exc:  # noqa: BLE001 - e.g. the blob store is unreachable: retried
            reason = f"reading the failed execution: {type(exc).__name__}: {exc}"
            return Outcome(
                Status.FAILED,
                {"error": reason, "traceback": traceback.format_exc()},
                reason,
            )
    return worker.execute(task_type, input, **kw)


def with_external_specs(input: dict[str, Any]) -> dict[str, Any]:
    """A model step's input with each completed external tool call's output carrying its
    spec (``external``), as Temporal's outputs carry it (``temporal_external.tool``).
    Conductor's outputs do not: the spec is in the previous model step's fork inputs
    (``asked``), keyed by the task's reference name without the DO_WHILE iteration
    (``t4_0__2`` → ``t4_0``)."""
    asked = input.get("asked") or {}
    added = []
    for group in input.get("added") or []:
        if isinstance(group, dict):
            group = {ref: _with_spec(ref, o, asked) for ref, o in group.items()}
        added.append(group)
    return {**{k: v for k, v in input.items() if k != "asked"}, "added": added}


def _with_spec(ref: str, o: Any, asked: dict[str, Any]) -> Any:
    if not isinstance(o, dict) or "resume" not in o or o.get("entries") or o.get("external"):
        return o
    spec = (asked.get(ref.partition("__")[0]) or {}).get("external")
    return {**o, "external": spec} if spec else o


def conductor_status(status: Status) -> str:
    return CONDUCTOR_STATUS[status]


def status_of(text: str) -> Status:
    """A worker's Conductor status as a step status; anything else is refused."""
    try:
        return _STATUS_OF[text]
    except KeyError:
        raise ValueError(f"not a step status Conductor accepts from a worker: {text!r}") from None


def outcome(o: Outcome) -> Outcome:
    """The outcome with its output in Conductor's wire format."""
    return Outcome(o.status, output(o.output), o.reason) if o.status is Status.COMPLETED else o


def output(out: dict[str, Any]) -> dict[str, Any]:
    """A step's output as Conductor stores it: a graph step's Send groups and a model step's
    calls as dynamic fork inputs; everything else as it is."""
    if is_step_output(out) and out.get("sends"):
        return {
            **out,
            "sends": {key: send_fork(SendGroup.from_dict(g)) for key, g in out["sends"].items()},
        }
    if CALLS_KEY in out:
        wire: dict[str, Any] = {}
        for k, v in out.items():
            if k == CALLS_KEY:
                wire["tasks"], wire["inputs"] = call_fork([CallTask.from_dict(c) for c in v])
            else:
                wire[k] = v
        return wire
    return out


def send_fork(group: SendGroup) -> dict[str, Any]:
    """One Send key's packets as a dynamic fork (``{tasks, inputs}``, and its fan-out policy)."""
    entry: dict[str, Any] = {"tasks": [], "inputs": {}}
    for t in group.tasks:
        entry["tasks"].append({"name": t.task_type, "taskReferenceName": t.ref, "type": "SIMPLE"})
        entry["inputs"][t.ref] = t.input("${" + t.source + ".output}", CONTEXT)
    if group.fanout is not None:
        entry["fanout"] = group.fanout
    return entry


def call_fork(calls: list[CallTask]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A model step's calls as a dynamic fork: a SIMPLE task per tool or guardrail call, a
    SUB_WORKFLOW per agent-as-tool call."""
    tasks: list[dict[str, Any]] = []
    inputs: dict[str, Any] = {}
    for c in calls:
        if c.child:
            tasks.append(
                {
                    "name": c.ref,
                    "taskReferenceName": c.ref,
                    "type": "SUB_WORKFLOW",
                    "subWorkflowParam": {"name": c.task_type, "version": 1},
                }
            )
        else:
            tasks.append({"name": c.task_type, "taskReferenceName": c.ref, "type": "SIMPLE"})
        inputs[c.ref] = c.input
    return tasks, inputs
