"""Which tools of an agent system the engines compensate (docs/effects.md, "Other targets").

An engine runs the entry agent's loop as the root workflow and every agent used as a tool
(``Agent.as_tool``) as a child workflow of its own, so a tool called inside a nested run
reports its effect record in the child's history, with keys rooted in the child's id. The
engines compensate the records of the root workflow; a ``compensable`` tool that a nested
run can call (an agent reached through an agent tool, by handoffs or further agent tools)
is refused (AC200) on both engines, as a compensable node inside a subgraph is.
"""

from __future__ import annotations

from agentc.errors import AgentcError, Code
from agentc.ir import Workflow


def _reach(wf: Workflow, starts: list[str], through_agent_tools: bool) -> set[str]:
    by_name = {a.name: a for a in wf.agents.agents}
    seen: set[str] = set()
    todo = list(starts)
    while todo:
        name = todo.pop()
        if name in seen or name not in by_name:
            continue
        seen.add(name)
        a = by_name[name]
        todo += [h.target for h in a.handoffs if h.target is not None]
        if through_agent_tools:
            todo += [t.agent for t in a.tools if t.kind == "agent" and t.agent is not None]
    return seen


def compensable_tools(wf: Workflow) -> list[str]:
    """The compensable function tools of the root run (sorted); refuses one a nested run
    can call."""
    comp = {e.name for e in wf.effects if e.kind == "compensable"}
    if not comp:
        return []
    nested_starts = [
        t.agent
        for a in wf.agents.agents
        for t in a.tools
        if t.kind == "agent" and t.agent is not None
    ]
    nested = _reach(wf, nested_starts, through_agent_tools=True)
    for a in wf.agents.agents:
        if a.name not in nested:
            continue
        for t in a.tools:
            if t.kind == "function" and t.name in comp:
                raise AgentcError(
                    Code.UNSUPPORTED,
                    f"compensable tool {t.name!r} of agent {a.name!r}, which runs "
                    "inside an agent used as a tool: the engines compensate the root run's tools "
                    "only",
                    construct=f"{a.name}.tools[{t.name!r}]",
                    source=t.source,
                    hint="run it on the local target, or make the tool keyed (docs/effects.md)",
                )
    return sorted(comp)


def ledgered(wf: Workflow) -> bool:
    """Whether any function tool is classified (not ``pure``): its steps report effect
    records, which the Conductor loop carries from model step to model step."""
    return any(e.kind != "pure" for e in wf.effects)
