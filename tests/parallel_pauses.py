"""Two parallel nodes, each invoking a graph that pauses with ``interrupt()``: the nodes
are added as ``zeta`` then ``alpha``, and ``alpha``'s child pauses first (``zeta`` waits
for it), so "the order the tasks paused in" and LangGraph's ``get_state().tasks`` order
(the graph's node order) differ."""
from __future__ import annotations

import operator
import threading
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

ALPHA_ASKING = threading.Event()


class S(TypedDict):
    log: Annotated[list, operator.add]


def _child(tag: str):
    def ask(s: S) -> dict:
        if tag == "alpha":
            ALPHA_ASKING.set()
        else:  # in-process engines: let alpha pause first (bounded: other engines run one at a time)
            ALPHA_ASKING.wait(2)
        return {"log": [f"{tag}={interrupt(f'{tag}?')}"]}

    b = StateGraph(S)
    b.add_node("ask", ask)
    b.add_edge(START, "ask")
    b.add_edge("ask", END)
    return b.compile()


zeta_child, alpha_child = _child("zeta"), _child("alpha")


def zeta(s: S) -> dict:
    return {"log": zeta_child.invoke({"log": []})["log"]}


def alpha(s: S) -> dict:
    return {"log": alpha_child.invoke({"log": []})["log"]}


builder = StateGraph(S)
builder.add_node("zeta", zeta)
builder.add_node("alpha", alpha)
builder.add_edge(START, "zeta")
builder.add_edge(START, "alpha")
builder.add_edge("zeta", END)
builder.add_edge("alpha", END)
graph = builder.compile()
