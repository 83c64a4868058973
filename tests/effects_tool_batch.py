"""A ToolNode whose tool has an effect (tests/test_effects_agents_engines.py): the two tool
calls of one message run as one task, so ``flaky`` raising re-runs ``book`` on resume."""
from __future__ import annotations

from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode

CALLS: list[str] = []
FAIL = [True]


def post(path: str) -> str:
    CALLS.append(path)
    return "ok"


@tool
def book(x: str) -> str:
    """Book."""
    return post("/book")


@tool
def flaky(x: str) -> str:
    """Fails while FAIL[0]."""
    if FAIL[0]:
        raise RuntimeError("boom")
    return "ok"


def model(state: MessagesState) -> dict:
    return {"messages": [AIMessage("", tool_calls=[{"name": "book", "args": {"x": "a"}, "id": "1"},
                                                   {"name": "flaky", "args": {"x": "b"}, "id": "2"}])]}


def build(handle: bool = False):  # noqa: ANN201
    g = StateGraph(MessagesState)
    g.add_node("model", model)
    g.add_node("tools", ToolNode([book, flaky], handle_tool_errors=True) if handle else ToolNode([book, flaky]))
    g.add_edge(START, "model")
    g.add_edge("model", "tools")
    g.add_edge("tools", END)
    return g


graph = build().compile()
handled = build(handle=True).compile()
