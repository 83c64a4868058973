"""Agents with lifecycle hooks (``Agent(hooks=AgentHooks(...))``) for
tests/test_agent_hooks.py. Every hook appends its event to the run context (which the
agents' instructions read back, so the final output shows what the hooks left in the
context) and to ``FIRED`` in this process (which counts how often the user's hook ran)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents import Agent, AgentHooks, RunContextWrapper, function_tool

from agentc.fixtures.openai_agents.fake_model import ALWAYS, FakeModel, Rule, call, say

FIRED: list[str] = []


@dataclass
class Log:
    events: list[str] = field(default_factory=list)


def _note(ctx: RunContextWrapper[Log], event: str) -> None:
    FIRED.append(event)
    ctx.context.events.append(event)


class Recorder(AgentHooks[Log]):
    async def on_start(self, ctx: Any, agent: Any) -> None:
        _note(ctx, f"start:{agent.name}")

    async def on_end(self, ctx: Any, agent: Any, output: Any) -> None:
        _note(ctx, f"end:{agent.name}")

    async def on_handoff(self, ctx: Any, agent: Any, source: Any) -> None:
        _note(ctx, f"handoff:{source.name}->{agent.name}")

    async def on_tool_start(self, ctx: Any, agent: Any, tool: Any) -> None:
        _note(ctx, f"tool_start:{tool.name}")

    async def on_tool_end(self, ctx: Any, agent: Any, tool: Any, result: Any) -> None:
        _note(ctx, f"tool_end:{tool.name}")

    async def on_llm_start(self, ctx: Any, agent: Any, system_prompt: Any, input_items: Any) -> None:
        _note(ctx, f"llm_start:{agent.name}")

    async def on_llm_end(self, ctx: Any, agent: Any, response: Any) -> None:
        _note(ctx, f"llm_end:{agent.name}")


def seen(ctx: RunContextWrapper[Log], agent: Agent[Log]) -> str:
    return "seen " + ",".join(ctx.context.events)


@function_tool
def flight(city: str) -> str:
    """Book a flight.

    Args:
        city: Where to.
    """
    return f"flight to {city}"


@function_tool
def hotel(city: str) -> str:
    """Book a hotel.

    Args:
        city: Where.
    """
    return f"hotel in {city}"


# two parallel tool calls in one response, then the answer (which shows the context)
booker = Agent[Log](name="Booker", instructions=seen, tools=[flight, hotel], hooks=Recorder(),
                    model=FakeModel("Booker", [
                        Rule("book", lambda r: not r.called("flight"),
                             lambda r: [call("flight", city="Oslo"), call("hotel", city="Oslo")]),
                        Rule("answer", ALWAYS, lambda r: [say(r.system)])]))

# a handoff: the hooks of both agents fire, on_handoff on the receiving agent
desk = Agent[Log](name="Desk", instructions=seen, handoffs=[booker], hooks=Recorder(),
                  model=FakeModel("Desk", [Rule("handoff", ALWAYS, lambda r: [call("transfer_to_booker")])]))


@function_tool
def note_a(ctx: RunContextWrapper[Log], what: str) -> str:
    """Note something.

    Args:
        what: The note.
    """
    ctx.context.events.append(f"a:{what}")
    return "noted"


@function_tool
def note_b(ctx: RunContextWrapper[Log], what: str) -> str:
    """Note something else.

    Args:
        what: The note.
    """
    ctx.context.events.append(f"b:{what}")
    return "noted"


# no hooks: two parallel tools that append to the same context list (each ran as its own
# workflow step, and the second one's list used to replace the first one's)
noter = Agent[Log](name="Noter", instructions=seen, tools=[note_a, note_b],
                   model=FakeModel("Noter", [
                       Rule("note", lambda r: not r.called("note_a"),
                            lambda r: [call("note_a", what="x"), call("note_b", what="y")]),
                       Rule("answer", ALWAYS, lambda r: [say(r.system)])]))
