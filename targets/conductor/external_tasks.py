"""External steps on Conductor: SIMPLE tasks no agentc worker polls, completed by a task
update (docs/policies.md "External completion", ``runtime_shims/external_steps.py``).

* **An external node** pauses with an ``interrupt()`` of kind ``external_completion``
  (``policy_gate.node_gate``). Each of the node's pause slots (docs/conductor.md:
  node → SWITCH on ``status`` → pause → the node again) becomes a SWITCH on the
  pause's kind: ``external_completion`` → a SIMPLE task of type ``<node type>-_external``,
  anything else (an approval, the node's own ``interrupt()``) → the HUMAN task as before;
  an INLINE task picks the one that ran, and the node's next attempt reads it as its
  answer (the slot of the external pause moves when an approval predicate does not hold).
* **An external agent tool call** is a task of type ``<tool type>-_external`` in the model
  step's dynamic fork (``agent_steps``); the next model step's input carries the fork's
  inputs (``asked``), from which ``wire.with_external_specs`` gives each completed call's
  output its spec before the worker journals it (``external_steps.completed_entries``).

No worker registers an ``-_external`` type (they are not in the plan's task kinds), so the
task stays SCHEDULED — holding no worker — until an outside system posts its result:
``POST /api/tasks`` with ``TaskResult{workflowInstanceId, taskId, status: COMPLETED,
outputData: {"resume": VALUE}}`` (conductor-python: ``TaskResourceApi.update_task``), or
``POST /api/tasks/{workflowId}/{taskRefName}/COMPLETED`` with body ``{"resume": VALUE}``.
``agentc complete RUN STEP --value JSON --engine conductor`` does the same to a saved
simulation. Its TaskDef: no retries (an external step is never re-run silently),
``pollTimeoutSeconds`` = ``totalTimeoutSeconds`` = the policy's ``timeout`` with
``TIME_OUT_WF`` (a server times the workflow out when nobody completed it in time; the
simulator does not check poll timeouts), none without a ``timeout`` (like a HUMAN task).
"""

from __future__ import annotations

import math
from typing import Any

from agentc.runtime_shims.external_steps import (
    external_tools,
    external_type,
    is_external_type,
    read_spec,
)
from agentc.runtime_shims.policy_gate import EXTERNAL_KIND

from .lowering import OWNER, human, out, switch_value


def task_def(name: str, description: str, timeout: float | None) -> dict[str, Any]:
    d: dict[str, Any] = {
        "name": name,
        "description": description,
        "ownerEmail": OWNER,
        "retryCount": 0,
        "retryLogic": "FIXED",
        "retryDelaySeconds": 0,
        "backoffScaleFactor": 1,
        "timeoutSeconds": 0,
        "responseTimeoutSeconds": 3600,
        "timeoutPolicy": "TIME_OUT_WF",
        "inputKeys": [],
        "outputKeys": ["resume"],
    }
    if timeout:
        d["pollTimeoutSeconds"] = d["totalTimeoutSeconds"] = math.ceil(timeout)
    return d


# ---------------------------------------------------------------- graph nodes
def node_pauses(lw: Any, name: str, type_name: str) -> Any:
    """For an external node of the root graph: ``slot(i, attempt_ref, human_ref) ->
    (tasks, answer expression)`` (None for any other node)."""
    policies = lw.wf.policies
    rule = policies.node(name) if policies is not None and not lw.path else None
    if rule is None or not rule.external:
        return None
    ext = external_type(type_name)
    lw.res.task_defs[ext] = task_def(
        ext,
        f"agentc: external node {name!r} (completed by a task update, no worker polls it)",
        rule.timeout,
    )

    def slot(i: int, attempt: str, human_ref: str) -> tuple[list[dict[str, Any]], str]:
        x = lw.refs.take(f"external_{name}_{i + 1}")
        kind = lw.refs.take(f"pause_kind_{name}_{i + 1}")
        pick = lw.refs.take(f"answer_{name}_{i + 1}")
        asked = {"interrupts": out(attempt, "interrupts")}
        sw = switch_value(
            kind,
            out(attempt, "interrupts[0].value.kind"),
            {
                EXTERNAL_KIND: [
                    {
                        "name": ext,
                        "taskReferenceName": x,
                        "type": "SIMPLE",
                        "inputParameters": asked,
                    }
                ]
            },
        )
        sw["defaultCase"] = [human(human_ref, asked)]
        choose = {
            "name": pick,
            "taskReferenceName": pick,
            "type": "INLINE",
            "inputParameters": {
                "evaluatorType": "javascript",
                "x": out(x),
                "h": out(human_ref),
                "expression": "(function(){return $.x!=null?$.x:$.h;})()",
            },
        }
        return [sw, choose], out(pick, "result")

    return slot


# ---------------------------------------------------------------- agent tools
def agent_defs(res: Any, wf: Any, lay: Any) -> None:
    """TaskDefs of the agents' external tool types, and the model step's ``asked`` input
    (the previous turn's fork inputs: where a completed external call's journal key is)."""
    names = external_tools(wf)
    if not names:
        return
    # an agent used as a tool: its child workflow's name is the call's task type
    for (agent, tool), ty in (*lay.tool_types.items(), *lay.agent_tools.items()):
        if tool in names:
            rule = wf.policies.tool(tool)
            res.task_defs[external_type(ty)] = task_def(
                external_type(ty),
                f"agentc: external tool {tool!r} of agent {agent!r} (completed by a task update)",
                rule.timeout,
            )
    for definition in res.workflows.values():
        for task in definition["tasks"]:
            for inner in task.get("loopOver") or ():
                if inner.get("taskReferenceName") == "model":
                    inner["inputParameters"]["asked"] = out("model", "inputs")


# ---------------------------------------------------------------- simulations
def unpolled(task_defs: dict[str, Any]) -> list[str]:
    return sorted(n for n in task_defs if is_external_type(n))


def pending(sim: Any, workflow_id: str) -> list[dict[str, Any]]:
    """What waits for an answer: the HUMAN/WAIT tasks, and the external tasks nobody polls
    (in the HUMAN tasks' shape: ``input.interrupts``, so ``agentc simulate --resume``
    answers them by interrupt id as well)."""
    out_ = list(sim.pending_human(workflow_id))
    for wf in sim._family(workflow_id):
        if wf["status"] != "RUNNING":
            continue
        for t in wf["tasks"]:
            if not is_external_type(t["taskType"]) or t["status"] != "SCHEDULED":
                continue
            inp = dict(t["inputData"])
            if "external" in inp:  # an agent tool call: its question, read back
                inp = {
                    "interrupts": [
                        {"id": t["referenceTaskName"], "value": read_spec(inp)["question"]}
                    ]
                }
            out_.append(
                {
                    "workflowId": wf["workflowId"],
                    "taskId": t["taskId"],
                    "ref": t["referenceTaskName"],
                    "taskType": t["taskType"],
                    "input": inp,
                }
            )
    return out_


def complete(simulation: Any, step: str, value: Any) -> Any:
    """``agentc complete --engine conductor``: the task update of the external task that
    waits for ``step``, then the simulation goes on."""
    from agentc.runtime_shims.external_steps import choose

    waiting = [
        p
        for p in pending(simulation.sim, simulation.workflow_id)
        if is_external_type(p["taskType"])
    ]
    if not waiting:
        from agentc.errors import AgentcError, Code

        status = simulation.sim.execution(simulation.workflow_id)["status"]
        raise AgentcError(
            Code.INVALID_RESUME,
            f"simulation {simulation.run_id} ({status}) waits for no external step",
            construct=simulation.run_id,
            hint="`agentc simulate --resume RUN_ID` shows what it waits for",
        )
    mine = choose(simulation.run_id, step, waiting, lambda p: p["input"]["interrupts"][0]["value"])
    # the task update arrives at the simulation's clock: past the step's poll timeout the
    # workflow has timed out first (AC316, as on a Conductor server), and the value is not used
    simulation.sim.run(simulation.workflow_id, auto_advance=False)
    if simulation.sim.execution(simulation.workflow_id)["status"] != "RUNNING":
        return simulation._drive()
    simulation.sim.complete_task(mine["workflowId"], mine["taskId"], {"resume": value})
    return simulation._drive()


def timed_out(sim: Any, workflow_id: str) -> Any:
    """The AC316 failure of a simulation whose external step's task timed out (its
    TaskDef's ``pollTimeoutSeconds``: nobody completed it in time), or None."""
    from agentc.errors import Code, RunFailed

    for wf in sim._family(workflow_id):
        for t in wf["tasks"]:
            if not is_external_type(t["taskType"]) or t["status"] != "TIMED_OUT":
                continue
            inp = dict(t["inputData"])
            q = (
                read_spec(inp)["question"]
                if "external" in inp
                else ((inp.get("interrupts") or [{}])[0].get("value") or {})
            )
            what = (
                f"node {q['node']!r}"
                if q.get("node")
                else f"tool {q.get('tool')!r} (call {q.get('call_id')})"
            )
            return RunFailed(
                Code.EXTERNAL_TIMED_OUT,
                f"external {what} was not completed within {q.get('timeout')} s (policy "
                f"timeout): {t.get('reasonForIncompletion')}",
                construct=f"external {what}",
                hint="the simulated workflow timed out; start a new simulation",
            )
    return None
