"""LangGraph frontend: live ``StateGraph`` / compiled graph → agentc IR."""

from .reader import is_langgraph, read  # noqa: F401
