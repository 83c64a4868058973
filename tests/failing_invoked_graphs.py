"""A node that invokes a child graph (``child.invoke(...)``) whose second node fails once:
with the child borrowing the parent's checkpointer, with ``checkpointer=True`` and with
``checkpointer=False``. Test-only (tests/test_invoked_graph_failure.py); module level so
workers can import it. ``FAILS`` arms the failure, ``CALLS`` records node calls."""
import operator
from typing import Annotated, TypedDict

from langgraph.graph import START, StateGraph

CALLS: list = []
FAILS = {"second": 0}
MODES = {"borrowed": None, "per_thread": True, "stateless": False}


class S(TypedDict, total=False):
    log: Annotated[list, operator.add]


def first(s):
    CALLS.append("first")
    return {"log": ["first"]}


def second(s):
    CALLS.append("second")
    if FAILS["second"] > 0:
        FAILS["second"] -= 1
        raise RuntimeError("second failed")
    return {"log": ["second"]}


def _parent(cp):
    b = StateGraph(S)
    b.add_node("first", first)
    b.add_node("second", second)
    b.add_edge(START, "first")
    b.add_edge("first", "second")
    child = b.compile(checkpointer=cp)

    def call(s):
        CALLS.append("call")
        return {"log": ["got:" + ",".join(child.invoke({"log": ["in"]})["log"])]}

    p = StateGraph(S)
    p.add_node("before", lambda s: {"log": ["before"]})
    p.add_node("call", call)
    p.add_edge(START, "before")
    p.add_edge("before", "call")
    return p.compile()


borrowed, per_thread, stateless = (_parent(cp) for cp in MODES.values())
