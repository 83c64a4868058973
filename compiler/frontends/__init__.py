"""Frontends read live agent objects into the IR. Dispatch is a table, not isinstance chains."""

from __future__ import annotations

from typing import Any, Callable

from ..errors import AgentcError, Code, ErrorLevel, Warnings
from ..ir import Workflow
from . import langgraph, openai_agents

# (name, recognizer, reader) — checked in order; later issues add openai_agents here.
FRONTENDS: tuple[tuple[str, Callable[[Any], bool], Callable[..., Workflow]], ...] = (
    ("langgraph", langgraph.is_langgraph, langgraph.read),
    ("openai_agents", openai_agents.is_agent, openai_agents.read),
)


def read(
    obj: Any,
    *,
    entry: str | None,
    level: ErrorLevel = ErrorLevel.WARN,
    warnings: Warnings | None = None,
) -> Workflow:
    for _name, recognizes, reader in FRONTENDS:
        if recognizes(obj):
            return reader(obj, entry=entry, level=level, warnings=warnings)
    raise AgentcError(
        Code.NOT_AN_AGENT,
        f"{entry or 'object'} is a {type(obj).__module__}.{type(obj).__qualname__}, not an agent "
        "agentc can compile",
        construct=entry or type(obj).__qualname__,
        hint="point the REF at a LangGraph StateGraph or compiled graph (e.g. myapp.agent:graph) "
        "or at an "
        "openai-agents Agent (e.g. myapp.agents:triage); Python code that orchestrates several "
        "Runner.run calls cannot be read: compile each agent it runs",
    )
