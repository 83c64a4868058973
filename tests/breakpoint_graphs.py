"""Breakpoint graphs checked against LangGraph (test-only; module level for workers)."""
import operator
from typing import Annotated, TypedDict

from langgraph.graph import START, StateGraph
from langgraph.types import Command, Send


class S(TypedDict, total=False):
    log: Annotated[list, operator.add]


def noop(s):
    return None


# interrupt_after on the last node, which writes nothing: LangGraph's run is finished
_b = StateGraph(S)
_b.add_node("a", noop)
_b.add_edge(START, "a")
after_last = _b.compile(interrupt_after=["a"])

# interrupt_before b, answered with a value (LangGraph: Command(resume=...) resumes it)
_b = StateGraph(S)
for _n in ("a", "b", "c"):
    _b.add_node(_n, lambda s, _n=_n: {"log": [_n]})
_b.add_edge(START, "a")
_b.add_edge("a", "b")
_b.add_edge("b", "c")
before_b = _b.compile(interrupt_before=["b"])


# interrupt_before a node reached only through Send
def fan(s):
    return {"log": ["fan"]}


def spread(s):
    return [Send("w", {"log": ["arg"]})]


_b = StateGraph(S)
_b.add_node("fan", fan)
_b.add_node("w", lambda s: {"log": [f"w{len(s['log'])}"]})
_b.add_edge(START, "fan")
_b.add_conditional_edges("fan", spread, ["w"])
before_send = _b.compile(interrupt_before=["w"])

# Command(graph=Command.PARENT) from a node of the root graph: LangGraph raises ParentCommand
_b = StateGraph(S)
_b.add_node("rootjump", lambda s: Command(graph=Command.PARENT, goto="x"))
_b.add_node("x", noop)
_b.add_edge(START, "rootjump")
root_parent = _b.compile()


# a loop behind a breakpoint, a router reading a plain key: Command(update=...) writes it,
# Command(goto=...) adds a node to the paused step (tests/test_breakpoint_commands.py)
class R(TypedDict, total=False):
    log: Annotated[list, operator.add]
    n: int


def review_route(s) -> str:
    return "ship" if s["n"] >= 2 else "fix"


_b = StateGraph(R)
_b.add_node("plan", lambda s: {"log": ["plan"], "n": 1})
_b.add_node("review", lambda s: {"log": [f"review{s['n']}"]})
_b.add_node("fix", lambda s: {"log": ["fix"], "n": s["n"] + 1})
_b.add_node("ship", lambda s: {"log": ["ship"]})
_b.add_edge(START, "plan")
_b.add_edge("plan", "review")
_b.add_conditional_edges("review", review_route, ["ship", "fix"])
_b.add_edge("fix", "review")
review_loop = _b.compile(interrupt_before=["review"])
review_after = _b.compile(interrupt_after=["plan", "fix"])
