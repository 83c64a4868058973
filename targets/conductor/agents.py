"""An OpenAI Agents SDK agent system → Conductor WorkflowDefs and TaskDefs.

The agent loop (``compiler/plan/agents.py``) is one DO_WHILE::

    loop: DO_WHILE (until the model step says "final")
      model       SIMPLE  <system>-model: replay to the next model call, make it, report
      next        SWITCH on model.next
        "steps":    FORK_JOIN_DYNAMIC steps + JOIN steps_join — one task per reported call:
                    SIMPLE <system>-<agent>-<tool> per function-tool call,
                    SIMPLE <system>-<agent>-guardrail-<name> per output guardrail,
                    SUB_WORKFLOW <system>-<agent>-<tool> per agent-as-tool call
        "approval": HUMAN approval (input: the pending approvals; output: the decisions)

Every agent used as a tool gets a WorkflowDef of its own with the same loop (its model
steps run the nested run). The model step builds the dynamic fork's task list and inputs
itself; what it puts there is base64 only (dynamic-fork inputs are evaluated as
expressions, docs/conductor.md "Forks and joins"), and every ``${}`` in the definitions names one of
our
own refs. The next model step merges the JOIN output, the HUMAN decisions and the previous
journal (the latest iteration's, by docs/conductor.md "DO_WHILE"'s loop-reference rule); merging by
key makes
stale outputs of earlier iterations harmless.
"""

from __future__ import annotations

from typing import Any

from agentc.ir import Workflow
from agentc.plan.agents import AgentLayout, agent_layout

from .lowering import Lowered, dynamic_fork, human, out, switch_value, task_def, workflow_def

LOOP_CONDITION = "$.model['next'] != 'final'"
MODEL_KEYS = (
    "plan",
    "next",
    "agent",
    "journal_size",
    "journal",
    "calls",
    "tasks",
    "inputs",
    "approvals",
    "pause",
    "result",
)
STEP_KEYS = ("entries",)


KEEP_LAST = 2
"""Iterations of the agent loop the server keeps (``keepLastN``): the model step reads only
the latest one, and the loop task's own output (every kept iteration's task outputs) stays
within the 64 KiB payload bound however many turns the run takes."""


def lower_agents(wf: Workflow) -> Lowered:
    from agentc.plan.agent_saga import compensable_tools, ledgered
    from agentc.policies import step_timeout

    lay = agent_layout(wf)
    res = Lowered(lay)  # type: ignore[arg-type]  # Lowered only reads plan_id from the layout
    system = wf.agents
    assert system is not None
    effects = ledgered(
        wf
    )  # tool steps report effect records, model steps carry them (docs/effects.md)
    res.task_defs[lay.model_type] = task_def(
        lay.model_type,
        f"agentc: model step of agent system {wf.name!r}",
        output_keys=MODEL_KEYS + (("effects", "audit") if effects else ()),
    )
    for (agent, tool), ty in lay.tool_types.items():
        res.task_defs[ty] = task_def(
            ty,
            f"agentc: tool {tool!r} of agent {agent!r}",
            output_keys=STEP_KEYS + (("effect", "audit") if effects else ()),
            timeout_s=step_timeout(wf, tool),
        )  # docs/policies.md "Timeouts"
    for (agent, name), ty in lay.guardrail_types.items():
        res.task_defs[ty] = task_def(
            ty, f"agentc: output guardrail {name!r} of agent {agent!r}", output_keys=STEP_KEYS
        )
    for (agent, tool), name in sorted(lay.agent_tools.items(), key=lambda kv: kv[1]):
        res.workflows[name] = _loop_def(
            lay,
            name,
            f"agentc: agent {agent!r}'s tool {tool!r} (an agent run as a tool) from {wf.entry}",
            child=True,
            effects=effects,
        )
    res.workflows[lay.workflow] = _loop_def(
        lay,
        lay.workflow,
        f"agentc: OpenAI Agents SDK agent system starting at {system.start!r} from {wf.entry}",
        child=False,
        effects=effects,
    )
    from .external_tasks import agent_defs

    agent_defs(
        res, wf, lay
    )  # external tools: task updates, no worker (docs/policies.md "External completion")
    if compensable_tools(wf):  # a saga: compensated by a failure workflow (saga.py)
        from .saga import add_failure_def

        add_failure_def(res, lay.workflow, lay.plan_id)
    return res


def _loop_def(
    lay: AgentLayout, name: str, description: str, *, child: bool, effects: bool = False
) -> dict[str, Any]:
    model: dict[str, Any] = {
        "name": lay.model_type,
        "taskReferenceName": "model",
        "type": "SIMPLE",
        "inputParameters": {
            "plan": lay.plan_id,
            "run": "${workflow.input}",
            "journal": out("model", "journal"),
            "added": [out("steps_join")],
            "decision": {
                "pause": "${approval.input.pause}",
                "decisions": out("approval", "decisions"),
            },
        },
    }
    if effects:  # the run's effect records so far (runtime_shims/agent_effects.py)
        model["inputParameters"]["effects"] = out("model", "effects")
        model["inputParameters"]["audit"] = out("model", "audit")  # their chain (step_audit)
    route = switch_value(
        "next",
        out("model", "next"),
        {
            "steps": dynamic_fork(
                "steps", "steps_join", out("model", "tasks"), out("model", "inputs")
            ),
            "approval": [
                human(
                    "approval",
                    {"approvals": out("model", "approvals"), "pause": out("model", "pause")},
                )
            ],
        },
    )
    # keepLastN: the server drops older iterations' outputs and tasks, so the loop's own
    # output stays bounded however many turns the run takes (the journal carries the rest)
    loop = {
        "name": "loop",
        "taskReferenceName": "loop",
        "type": "DO_WHILE",
        "inputParameters": {"keepLastN": KEEP_LAST},
        "loopCondition": LOOP_CONDITION,
        "loopOver": [model, route],
    }
    output = {"result": out("model", "result")}
    if child:
        output["entries"] = out("model", "journal")
    return workflow_def(
        name,
        description,
        lay.plan_id,
        ["child", "journal"] if child else ["input", "context", "context_factory", "max_turns"],
        output,
        [loop],
    )
