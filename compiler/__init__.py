"""agentc: compile LangGraph / OpenAI Agents SDK agents into durable workflows.

Python API::

    import agentc
    wf = agentc.load(graph)                    # -> IR Workflow
    art = agentc.compile(graph, target="ir")   # -> Artifact (files)
    out = agentc.run(graph, {"text": "hi"}, db="runs.db")
    h = agentc.history(out.run_id, db="runs.db")  # ordered events (docs/replay.md)

This module imports nothing heavy: ``agentc --help`` must not import langgraph.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "load",
    "compile",
    "run",
    "resume",
    "runs",
    "cancel",
    "fire_deadlines",
    "effects_of",
    "effect",
    "effect_key",
    "history",
    "replay",
    "fork",
    "stream",
    "resume_stream",
    "AgentcError",
]

from .errors import AgentcError  # noqa: E402


def __getattr__(name: str) -> Any:
    if name in (
        "load",
        "compile",
        "run",
        "resume",
        "runs",
        "cancel",
        "effects_of",
        "NO_VALUE",
        "fire_deadlines",
    ):
        from . import api

        return getattr(api, name)
    if name in (
        "stream",
        "resume_stream",
    ):  # a run's events as they are journaled (docs/openai-agents.md)
        from . import streaming

        return getattr(streaming, name)
    if name in ("effect", "effect_key"):
        from . import effects

        return getattr(effects, name)
    if name in ("history", "replay", "fork"):  # the audit trail: docs/replay.md
        from . import audit

        return getattr(audit, name)
    raise AttributeError(name)
