"""Names and shape of an agent system's durable workflow, shared by the Conductor and
Temporal targets and by the step worker that serves them (``runtime_shims/agent_steps``).

An agent run is one loop, whatever the agents: a *model* step (replay the run to the next
model call, make it, report what the SDK does next) and then, as the SDK decides, one
step per function-tool call (in parallel), one child workflow per call of an agent used
as a tool, one step per output guardrail, or a wait for tool approvals. Every function
tool and output guardrail has its own task type (named after it, so each call is visible
and retried alone); every agent used as a tool has its own child workflow, which runs the
same loop for the nested run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentc.errors import AgentcError, Code
from agentc.ir import Workflow
from agentc.ir.model import RUN_CONFIG_AGENT

from .layout import plan_id, slug


@dataclass
class AgentLayout:
    plan_id: str
    workflow: str
    """The root workflow's name (the entry agent's loop)."""
    model_type: str
    tool_types: dict[tuple[str, str], str] = field(default_factory=dict)
    """(agent, function tool) → task type."""
    agent_tools: dict[tuple[str, str], str] = field(default_factory=dict)
    """(agent, agent-as-tool) → child workflow name."""
    guardrail_types: dict[tuple[str, str], str] = field(default_factory=dict)
    """(agent, output guardrail) → task type."""
    task_kinds: dict[str, dict[str, Any]] = field(default_factory=dict)
    report: list[str] = field(default_factory=list)

    @property
    def workflows(self) -> list[str]:
        return [self.workflow, *sorted(set(self.agent_tools.values()))]

    def step_type(self, call: dict[str, Any]) -> str:
        """The task type (or child workflow) that runs one reported call."""
        key = (call["agent"], call["name"])
        table = {
            "tool": self.tool_types,
            "agent_tool": self.agent_tools,
            "guardrail": self.guardrail_types,
        }
        found = table[call["kind"]].get(key)
        if found is None:
            raise AgentcError(
                Code.GRAPH_CHANGED,
                f"{call['kind']} {call['name']!r} of agent {call['agent']!r} is not "
                "part of the compiled agent system",
                construct=call["name"],
                hint="recompile: the agents changed since this workflow was compiled",
            )
        return found


def agent_layout(wf: Workflow) -> AgentLayout:
    """Task types and workflow names, unique and made of ``[A-Za-z0-9_-]`` only."""
    system = wf.agents
    root = slug(wf.name)
    lay = AgentLayout(plan_id(wf), root, f"{root}-model")
    lay.task_kinds[lay.model_type] = {"kind": "model"}
    taken = {root, lay.model_type}

    def take(base: str) -> str:
        name, k = base, 1
        while name in taken:
            k += 1
            name = f"{base}-{k}"
        taken.add(name)
        return name

    for agent in system.agents:
        a = slug(agent.name)
        for t in agent.tools:
            if t.kind == "function":
                ty = lay.tool_types[(agent.name, t.name)] = take(f"{root}-{a}-{slug(t.name)}")
                lay.task_kinds[ty] = {"kind": "tool", "agent": agent.name, "name": t.name}
            elif t.kind == "agent":
                lay.agent_tools[(agent.name, t.name)] = take(f"{root}-{a}-{slug(t.name)}")
            elif t.kind == "other":
                raise AgentcError(
                    Code.UNSUPPORTED,
                    f"tool {t.name!r} of agent {agent.name!r} runs outside the "
                    "SDK's function-tool interface, so agentc cannot make its calls durable steps",
                    construct=f"{agent.name}.tools[{t.name!r}]",
                    hint="wrap what it does in a @function_tool, or use the local target",
                )
        for g in agent.output_guardrails:
            ty = lay.guardrail_types[(agent.name, g.name)] = take(
                f"{root}-{a}-guardrail-{slug(g.name)}"
            )
            lay.task_kinds[ty] = {"kind": "guardrail", "agent": agent.name, "name": g.name}
    for g in (
        system.run.output_guardrails if system.run is not None else ()
    ):  # the RunConfig's (run_options.py)
        ty = lay.guardrail_types[(RUN_CONFIG_AGENT, g.name)] = take(
            f"{root}-{slug(RUN_CONFIG_AGENT)}-guardrail-{slug(g.name)}"
        )
        lay.task_kinds[ty] = {"kind": "guardrail", "agent": RUN_CONFIG_AGENT, "name": g.name}
    lay.report.append(
        f"agents {wf.name}: {len(system.agents)} agents, {len(lay.tool_types)} tool task types, "
        f"{len(lay.agent_tools)} agents as tools (child workflows), "
        f"{len(lay.guardrail_types)} output guardrail task types"
    )
    return lay
