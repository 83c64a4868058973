"""An agent whose helper agent is used as a tool with ``as_tool(on_stream=...)``, for
tests/test_agent_tool_stream.py. The helper calls a function tool of its own for two turns,
then answers; ``RECEIVED`` lists what the callback got, as JSON (the event in the SDK's
shape, the agent and the tool call the SDK pairs it with), in the order it got them."""
from __future__ import annotations

from typing import Any

from agents import Agent, function_tool

from agentc.fixtures.openai_agents.fake_model import ALWAYS, FakeModel, Rule, call, say

RECEIVED: list[dict[str, Any]] = []


def received(payload: Any) -> None:
    """The ``on_stream`` callback (``AgentToolStreamEvent``: ``event``, ``agent``, ``tool_call``)."""
    from agentc.runtime_shims.agent_stream import event_json

    event = payload["event"]
    RECEIVED.append({"event": event_json(event) if event.type != "raw_response_event" else {"type": event.type},
                     "agent": payload["agent"].name,
                     "tool_call": getattr(payload["tool_call"], "call_id", None)})


@function_tool
def look_up(topic: str) -> str:
    """Look a topic up.

    Args:
        topic: What to look up.
    """
    return f"facts about {topic}"


def _helper(r: Any) -> list[Any]:
    done = len(r.outputs_of("look_up"))
    return [call("look_up", topic=f"part {done + 1}")] if done < 2 else [say(f"summary of {done} parts")]


helper = Agent(name="Helper", instructions="Look things up.", tools=[look_up],
               model=FakeModel("Helper", [Rule("look", ALWAYS, _helper)]))

boss = Agent(name="Boss", instructions="Delegate.",
             tools=[helper.as_tool(tool_name="ask_helper", tool_description="Ask the helper.", on_stream=received)],
             model=FakeModel("Boss", [
                 Rule("ask", lambda r: not r.called("ask_helper"), lambda r: [call("ask_helper", input="research")]),
                 Rule("answer", ALWAYS, lambda r: [say("boss says: " + str(r.output_of("ask_helper")))])]))
