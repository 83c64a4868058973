"""Reading live ``agents.Agent`` objects (all public dataclass fields; two private
attributes the SDK has no public accessor for — the target of a ``Handoff`` and the agent
behind an agent tool — read through :mod:`agentc.compat.openai_agents`; docs/openai-agents.md).

What cannot be read statically and would break a durable run is refused with a
diagnostic: MCP servers (their tool lists are fetched from the server on every turn, so a
replayed run could see different tools). Custom ``Handoff`` objects without a known target
are allowed (the SDK resolves them at run time) and reported as a warning.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from typing import Any

from ...compat import openai_agents as compat
from ...errors import Code, Diagnostic, ErrorLevel, Warnings
from ...ir import SourceRef, Workflow
from ...ir.model import (
    AgentGuardrail,
    AgentHandoff,
    AgentProgram,
    AgentSpec,
    AgentSystem,
    AgentTool,
)
from ..langgraph.sources import source_ref


def is_agent(obj: Any) -> bool:
    try:
        from agents import Agent
    except ImportError:  # pragma: no cover - openai-agents is a dependency
        return False
    return isinstance(obj, Agent)


def _src(obj: Any) -> SourceRef | None:
    try:
        return source_ref(obj)
    except Exception:  # noqa: BLE001 - best effort: builtins, C functions
        return None


def _tool(t: Any, agents_out: list[Any]) -> AgentTool:
    from agents import FunctionTool

    if isinstance(t, FunctionTool):
        approval = compat.user_attr(t, "needs_approval")
        needs = "callable" if callable(approval) else ("always" if approval else "never")
        ins = tuple(g.get_name() for g in (t.tool_input_guardrails or ()))
        outs = tuple(g.get_name() for g in (t.tool_output_guardrails or ()))
        if compat.is_agent_tool(t):
            nested = compat.agent_tool_agent(t)
            if nested is not None:
                agents_out.append(nested)
            return AgentTool(
                name=t.name,
                kind="agent",
                needs_approval=needs,
                input_guardrails=ins,
                output_guardrails=outs,
                agent=getattr(nested, "name", None),
            )
        fn = compat.tool_function(t)
        return AgentTool(
            name=t.name,
            kind="function",
            source=_src(fn) if fn else None,
            needs_approval=needs,
            input_guardrails=ins,
            output_guardrails=outs,
        )
    hosted = type(t).__name__ in (
        "WebSearchTool",
        "FileSearchTool",
        "CodeInterpreterTool",
        "ImageGenerationTool",
        "HostedMCPTool",
        "ToolSearchTool",
    )
    return AgentTool(
        name=getattr(t, "name", type(t).__name__), kind="hosted" if hosted else "other"
    )


def _jsonable_settings(settings: Any) -> dict[str, Any]:
    if settings is None or not dataclasses.is_dataclass(settings):
        return {}
    raw = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
    return {k: stable(v) for k, v in sorted(raw.items()) if v is not None}


def stable(value: Any) -> Any:
    """``value`` as JSON that is the same in every process: the IR's plan id must not
    depend on memory addresses or hash seeds (a worker in another process checks it).
    Callables and classes become their qualified name, sets are sorted, objects with no
    data representation become their type name — never a ``repr``, which may hold an
    address (``ModelRetrySettings.policy`` is a function)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): stable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [stable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((stable(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, type) or callable(value):
        return "callable:" + _qualified(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not dataclasses.is_dataclass(value):
        return stable(dump(mode="json"))
    if dataclasses.is_dataclass(value):
        return {
            f.name: stable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not None
        }
    if isinstance(value, enum.Enum):
        return stable(value.value)
    return f"<{_qualified(type(value))}>"


def _qualified(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or ""
    name = (
        getattr(obj, "__qualname__", None)
        or getattr(obj, "__name__", None)
        or type(obj).__qualname__
    )
    return f"{module}.{name}" if module else name


def output_type_name(output_type: Any) -> str | None:
    """The declared ``output_type`` by name; an ``AgentOutputSchema`` by the SDK's own
    ``name()`` and strictness (its ``str`` embeds objects and differs between processes)."""
    from agents.agent_output import AgentOutputSchemaBase

    if output_type is None:
        return None
    if isinstance(output_type, AgentOutputSchemaBase):
        return output_type.name() + ("" if output_type.is_strict_json_schema() else " (non-strict)")
    return getattr(output_type, "__name__", None) or str(output_type)


def _behavior(b: Any) -> str | tuple[str, ...]:
    if isinstance(b, str):
        return b
    if isinstance(b, dict) and "stop_at_tool_names" in b:
        return tuple(b["stop_at_tool_names"])
    return "callable"


def read(
    obj: Any,
    *,
    entry: str | None,
    level: ErrorLevel = ErrorLevel.WARN,
    warnings: Warnings | None = None,
) -> Workflow:
    from ...compat.openai_agents import handoff_target

    warnings = warnings if warnings is not None else Warnings()
    seen: dict[str, Any] = {}
    order: list[Any] = [obj]
    specs: list[AgentSpec] = []
    while order:
        agent = order.pop(0)
        if agent.name in seen:
            if seen[agent.name] is not agent:
                src = _src(type(agent))
                warnings.refuse(
                    Diagnostic(
                        Code.UNSUPPORTED,
                        f"two different agents are both named {agent.name!r}",
                        construct=f"Agent(name={agent.name!r})",
                        file=src.file if src else None,
                        line=src.line if src else None,
                        hint="give every agent a unique name: the SDK re-binds agents by name",
                    ),
                    level,
                )
            continue
        seen[agent.name] = agent
        if getattr(agent, "mcp_servers", None):
            warnings.refuse(
                Diagnostic(
                    Code.UNSUPPORTED,
                    f"agent {agent.name!r} uses MCP servers, whose tool lists are fetched at run "
                    "time",
                    construct=f"Agent({agent.name!r}).mcp_servers",
                    hint="a replayed durable run could see a different tool list; wrap the MCP "
                    "calls "
                    "you need in @function_tool functions, or run this agent with Runner.run",
                ),
                level,
            )
        nested: list[Any] = []
        tools = tuple(_tool(t, nested) for t in agent.tools)
        handoffs = []
        for h in agent.handoffs:
            target = handoff_target(h)
            if target is not None:
                nested.append(target)
            else:
                warnings.add(
                    Diagnostic(
                        Code.DYNAMIC_TARGETS,
                        f"agent {agent.name!r} has a custom Handoff whose target is only known at "
                        "run time",
                        construct=f"Handoff({getattr(h, 'tool_name', '?')!r})",
                        hint="build it with agents.handoff(agent) so the target can be shown",
                    ),
                    level,
                )
            from agents import Agent

            if isinstance(h, Agent):
                from agents import Handoff

                handoffs.append(AgentHandoff(tool_name=Handoff.default_tool_name(h), target=h.name))
            else:
                handoffs.append(
                    AgentHandoff(
                        tool_name=h.tool_name,
                        target=target.name if target else None,
                        input_filter=h.input_filter is not None,
                        on_handoff=getattr(h, "on_invoke_handoff", None) is not None,
                        nest_history=getattr(h, "nest_handoff_history", None),
                    )
                )
        user_model = compat.user_attr(agent, "model")
        model = (
            user_model
            if isinstance(user_model, str) or user_model is None
            else type(user_model).__name__
        )
        instr = agent.instructions
        specs.append(
            AgentSpec(
                name=agent.name,
                instructions="none"
                if instr is None
                else ("string" if isinstance(instr, str) else "callable"),
                model=model,
                model_settings=_jsonable_settings(agent.model_settings),
                output_type=output_type_name(agent.output_type),
                tool_use_behavior=_behavior(agent.tool_use_behavior),
                reset_tool_choice=bool(agent.reset_tool_choice),
                tools=tools,
                handoffs=tuple(handoffs),
                input_guardrails=tuple(
                    AgentGuardrail(
                        name=g.get_name(),
                        run_in_parallel=getattr(g, "run_in_parallel", True),
                        source=_src(compat.user_attr(g, "guardrail_function")),
                    )
                    for g in agent.input_guardrails
                ),
                output_guardrails=tuple(
                    AgentGuardrail(
                        name=g.get_name(), source=_src(compat.user_attr(g, "guardrail_function"))
                    )
                    for g in agent.output_guardrails
                ),
            )
        )
        order.extend(nested)
    warnings.raise_if_refused()  # every unsupported construct of the system, reported together
    from agents.run_config import DEFAULT_MAX_TURNS

    from ...refs import ref_stem

    return Workflow(
        frontend="openai_agents",
        name=ref_stem(entry) if entry else obj.name,
        entry=entry,
        body=AgentProgram(
            system=AgentSystem(start=obj.name, agents=tuple(specs), max_turns=DEFAULT_MAX_TURNS)
        ),
    )
