"""An agent that uses another agent as a tool, both with models that report token usage:
the run's ``max_tokens`` counts the nested run's model calls too (tests/test_policies_limits.py)."""
from __future__ import annotations

from agents import Agent

from agentc.fixtures.openai_agents.fake_model import ALWAYS, FakeModel, Rule, call, say

inner = Agent(name="Inner", instructions="Answer in one line.",
              model=FakeModel("Inner", [Rule("answer", ALWAYS, lambda r: [say("inner says hi")])], metered=True))


def _plan(r):
    if not r.called("ask_inner"):
        return [call("ask_inner", input="hello")]
    return [say("done: " + "; ".join(str(v) for v in r.outputs.values()))]


outer = Agent(name="Outer", instructions="Delegate to your tool.",
              tools=[inner.as_tool(tool_name="ask_inner", tool_description="Ask the inner agent.")],
              model=FakeModel("Outer", [Rule("plan", ALWAYS, _plan)], metered=True))
