"""Agents whose user code prints, for tests/test_cli_stdout.py: the JSON result must stay
the only thing on ``agentc run``'s stdout whatever nodes, tools and hooks print."""
from __future__ import annotations

from typing import TypedDict

from agents import Agent, function_tool
from langgraph.graph import END, START, StateGraph

from agentc.fixtures.openai_agents.fake_model import ALWAYS, FakeModel, Rule, call, say


class State(TypedDict):
    text: str


def shout(state: State) -> dict:
    print("node says hello")  # what a user's debugging print looks like
    return {"text": state["text"].upper()}


builder = StateGraph(State)
builder.add_node("shout", shout)
builder.add_edge(START, "shout")
builder.add_edge("shout", END)
graph = builder.compile()


@function_tool
def lookup(city: str) -> str:
    """Weather for a city.

    Args:
        city: The city.
    """
    print(f"tool looks up {city}")
    return f"sunny in {city}"


agent = Agent(name="Chatty", instructions="Answer with the weather.", tools=[lookup],
              model=FakeModel("Chatty", [
                  Rule("call", lambda r: not r.called("lookup"), lambda r: [call("lookup", city="Oslo")]),
                  Rule("answer", ALWAYS, lambda r: [say(r.output_of("lookup"))])]))
