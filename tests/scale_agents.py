"""Long, heavy agent runs for the scale tests and benchmark (issue 11): an OpenAI Agents
SDK agent whose fake model reads ``pages`` pages one tool call at a time (each tool output
``size`` bytes) and then answers with a digest of what it read, and a LangGraph
tool-calling loop whose ``messages`` grow the same way. Module-level objects so that a
worker (an in-process Temporal worker, a Conductor simulation) finds them by REF."""
from __future__ import annotations

import hashlib
import operator
from typing import Annotated, TypedDict

from agentc.fixtures.openai_agents.fake_model import ALWAYS, FakeModel, Rule, call, say
from agents import Agent, function_tool


def page_text(n: int, size: int) -> str:
    """Deterministic page ``n`` of ``size`` characters (not compressible to nothing)."""
    seed = hashlib.sha256(f"page-{n}".encode()).hexdigest()
    return (f"page {n}: " + seed * (size // len(seed) + 1))[:size]


def reader(pages: int, size: int, name: str = "Page Reader") -> Agent:
    @function_tool
    def read_page(n: int) -> str:
        """Read one page.

        Args:
            n: the page number, from 1.
        """
        return page_text(n, size)

    def next_page(r) -> list:
        return [call("read_page", n=len(r.outputs_of("read_page")) + 1)]

    def summary(r) -> list:
        outs = r.outputs_of("read_page")
        digest = hashlib.sha256("".join(outs).encode()).hexdigest()[:16]
        return [say(f"read {len(outs)} pages, {sum(len(o) for o in outs)} chars, digest {digest}")]

    return Agent(name=name, instructions="Read every page, then summarise.", tools=[read_page],
                 model=FakeModel(name, [Rule("more", lambda r: len(r.outputs_of("read_page")) < pages, next_page),
                                        Rule("done", ALWAYS, summary)]))


pages_3x1k = reader(3, 1024)
pages_5x2k = reader(5, 2048)
pages_25x2k = reader(25, 2048)
pages_60x40k = reader(60, 40 * 1024)
pages_1x200k = reader(1, 200 * 1024)
"""One tool output far over the inline threshold and any engine's per-payload limit."""


# ---------------------------------------------------------------- a LangGraph loop
class LoopState(TypedDict):
    messages: Annotated[list, operator.add]
    pages: int
    size: int


def graph_loop():
    from langgraph.graph import END, START, StateGraph

    def model(state: LoopState) -> dict:
        read = sum(1 for m in state["messages"] if m.startswith("page "))
        if read < state["pages"]:
            return {"messages": [f"call read_page {read + 1}"]}
        digest = hashlib.sha256("".join(state["messages"]).encode()).hexdigest()[:16]
        return {"messages": [f"done: {read} pages, digest {digest}"]}

    def tool(state: LoopState) -> dict:
        n = int(state["messages"][-1].rsplit(" ", 1)[1])
        return {"messages": [page_text(n, state["size"])]}

    def route(state: LoopState) -> str:
        return "tool" if state["messages"][-1].startswith("call ") else END

    g = StateGraph(LoopState)
    g.add_node("model", model)
    g.add_node("tool", tool)
    g.add_edge(START, "model")
    g.add_conditional_edges("model", route, ["tool", END])
    g.add_edge("tool", "model")
    return g.compile()


loop_graph = graph_loop()


# ---------------------------------------------------------------- an oversized inline value
def _save(r) -> list:
    if r.called("save_report"):
        return [say("saved")]
    return [call("save_report", text=page_text(0, 100 * 1024))]


@function_tool
def save_report(text: str) -> str:
    """Save a report.

    Args:
        text: the report.
    """
    return f"saved {len(text)} chars"


big_arguments = Agent(name="Report Writer", instructions="Write the report.", tools=[save_report],
                      model=FakeModel("Report Writer", [Rule("write", ALWAYS, _save)]))
"""The model writes a 100 KB tool argument: tool-call arguments stay inline in the model
step's report, so this passes the 64 KiB payload bound (AC312)."""
