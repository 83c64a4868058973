"""Graphs for tests/test_graph_stream.py: one whose second node waits until the stream's
consumer has seen the first node's chunk (chunks come out while the run runs), one that
counts every call of its nodes (the stream's follower calls none of them), one whose node
fails (the stream ends with the run's error)."""
from __future__ import annotations

import operator
import threading
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph

SEEN = threading.Event()
WAITED: list[bool] = []
CALLS: list[str] = []


class State(TypedDict, total=False):
    log: Annotated[list[str], operator.add]


def first(state: State) -> dict:
    CALLS.append("first")
    return {"log": ["first"]}


def wait_for_consumer(state: State) -> dict:
    WAITED.append(SEEN.wait(60))
    return {"log": ["second"]}


def second(state: State) -> dict:
    CALLS.append("second")
    return {"log": ["second"]}


def boom(state: State) -> dict:
    raise RuntimeError("boom")


def _line(*nodes) -> object:
    b = StateGraph(State)
    prev = START
    for name, fn in nodes:
        b.add_node(name, fn)
        b.add_edge(prev, name)
        prev = name
    b.add_edge(prev, END)
    return b.compile()


waiter = _line(("first", first), ("second", wait_for_consumer))
counted = _line(("first", first), ("second", second))
failing = _line(("first", first), ("boom", boom))
