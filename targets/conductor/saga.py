"""Compensation on Conductor (docs/effects.md, "Other targets"): a ``failureWorkflow``.

Why a failure workflow rather than a compensation branch: Conductor starts the workflow
named in ``failureWorkflow`` when the *system* ends a run as FAILED, TIMED_OUT or
TERMINATED (a task that failed for good, a TERMINATE task, a timeout), and gives it the
whole failed execution (``failedWorkflow``: every task with its output). The outputs of the
completed node tasks are where the effects are recorded (``steps.py`` puts each
compensable node's ``effect`` record — key, compensator, arguments, result — in its
output), so the failure workflow needs nothing else. A compensation branch would need a
try/catch Conductor does not have (a SWITCH on the status of every task after it).

The failure workflow has one worker task, ``<root>-saga_compensate``: it runs the
compensators of the completed effects in reverse order (``runtime_shims/compensators.py``).
Conductor retries it (the TaskDef's retries) when a worker dies; the compensators send
keys derived from their effects', so a service undoes each effect once. A manual
terminate through the API does not start the failure workflow.
"""

from __future__ import annotations

from typing import Any

from agentc.errors import AgentcError, Code
from agentc.ir import Workflow

SUFFIX = "_saga_compensate"


def compensate_type(root_workflow: str) -> str:
    return f"{root_workflow}-saga_compensate"


def add_failure_workflow(wf: Workflow, res: Any) -> None:
    """Give the root WorkflowDef a failure workflow when the graph has compensable nodes."""
    comp = {e.name for e in wf.effects if e.kind == "compensable"}
    if not comp:
        return
    for path, level in res.layout.levels.items():
        nested = sorted(comp & set(level.nodes)) if path else []
        if nested:
            raise AgentcError(
                Code.UNSUPPORTED,
                f"compensable node {nested[0]!r} inside a subgraph: the Conductor "
                "target compensates the root graph's nodes only",
                construct=f"node {nested[0]!r}",
                hint="run it on the local target, or make the node keyed (docs/effects.md)",
            )
    add_failure_def(res, res.layout.root.workflow, res.plan_id)


def add_failure_def(res: Any, root: str, plan: str) -> None:
    """The failure workflow of the root WorkflowDef ``root`` (a graph's, or an agent
    system's loop: ``targets/conductor/agents.py``) and its compensation TaskDef."""
    from .lowering import task_def, workflow_def

    name, task_type = root + SUFFIX, compensate_type(root)
    res.task_defs[task_type] = task_def(
        task_type, f"agentc: compensate the effects of a failed {root} run", None
    )
    res.workflows[name] = workflow_def(
        name,
        f"agentc: failure workflow of {root}: compensators in reverse order",
        plan,
        ["failedWorkflow", "workflowId", "reason", "failureStatus"],
        {"compensated": "${compensate.output.compensated}"},
        [
            {
                "name": task_type,
                "taskReferenceName": "compensate",
                "type": "SIMPLE",
                "inputParameters": {
                    "plan": plan,
                    "workflowId": "${workflow.input.workflowId}",
                    "failed": "${workflow.input.failedWorkflow}",
                },
            }
        ],
    )
    res.workflows[root]["failureWorkflow"] = name
