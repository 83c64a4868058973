"""OpenAI Agents SDK frontend (``openai-agents``, import ``agents``): reads a starting
``Agent`` and every agent it can reach (handoffs, agents used as tools) into an
``AgentSystem`` IR. See docs/openai-agents.md."""

from .reader import is_agent, read  # noqa: F401
