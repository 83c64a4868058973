"""Agents for tests/test_agent_stream.py: one whose tool waits until the stream's consumer
has seen its ``tool_called`` event (events come out while the run runs), one that counts
every call of its model, tool and hook (the stream's follower calls none of them)."""
from __future__ import annotations

import threading

from agents import Agent, AgentHooks, function_tool
from agents.models.interface import Model

from agentc.fixtures.openai_agents.fake_model import ALWAYS, FakeModel, Rule, call, say

SEEN = threading.Event()
WAITED: list[bool] = []
CALLS: list[str] = []


@function_tool
def wait_for_consumer() -> str:
    """Wait until the consumer saw this call."""
    WAITED.append(SEEN.wait(60))
    return "seen"


agent = Agent(name="Waiter", instructions="Call the tool.", tools=[wait_for_consumer],
              model=FakeModel("Waiter", [
                  Rule("call", lambda r: not r.called("wait_for_consumer"), lambda r: [call("wait_for_consumer")]),
                  Rule("answer", ALWAYS, lambda r: [say("done: " + r.output_of("wait_for_consumer"))])]))


class Counted(Model):
    """A model that notes each real call (the journal answers replays without one)."""

    def __init__(self, inner: Model) -> None:
        self.inner = inner

    async def get_response(self, *args, **kwargs):
        CALLS.append("model")
        return await self.inner.get_response(*args, **kwargs)

    def stream_response(self, *args, **kwargs):
        CALLS.append("model")
        return self.inner.stream_response(*args, **kwargs)


class Hooks(AgentHooks):
    async def on_tool_start(self, context, agent, tool) -> None:
        CALLS.append("on_tool_start")


@function_tool
def note() -> str:
    """Note a call."""
    CALLS.append("tool")
    return "noted"


counted = Agent(name="Counted", instructions="Call the tool.", tools=[note], hooks=Hooks(),
                model=Counted(FakeModel("Counted", [
                    Rule("call", lambda r: not r.called("note"), lambda r: [call("note")]),
                    Rule("answer", ALWAYS, lambda r: [say("done")])])))
