"""agentc: compile LangGraph / OpenAI Agents SDK agents into durable workflows.

Python API::

    import agentc
    wf = agentc.load(graph)                    # -> IR Workflow
    art = agentc.compile(graph, target="ir")   # -> Artifact (files)
    out = agentc.run(graph, {"text": "hi"}, db="runs.db")

This module imports nothing heavy: ``agentc --help`` must not import langgraph.
"""
from __future__ import annotations

from typing import Any

__all__ = ["load", "compile", "run", "resume", "runs", "cancel", "effects_of", "effect", "effect_key", "AgentcError"]

from .errors import AgentcError  # noqa: E402


def __getattr__(name: str) -> Any:
    if name in ("load", "compile", "run", "resume", "runs", "cancel", "effects_of", "NO_VALUE"):
        from . import api

        return getattr(api, name)
    if name in ("effect", "effect_key"):
        from . import effects

        return getattr(effects, name)
    raise AttributeError(name)
