"""A graph for the Temporal crash test (tests/test_temporal_durability.py).

Every node appends ``"<node> <pid>"`` to the file named by ``$AGENTC_CRASH_LOG`` (when
set) as soon as it starts EXECUTING, so the test can count how often each node ran and
in which worker process. ``slow`` and ``after`` then sleep ``$AGENTC_CRASH_SLEEP`` seconds
(default 0), long enough for the test to SIGKILL the worker while one of them runs.

Without the environment variables the graph is an ordinary, fast LangGraph graph:
``graph.invoke(INPUT)`` is the oracle.
"""
from __future__ import annotations

import operator
import os
import time
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph

LOG_ENV = "AGENTC_CRASH_LOG"
SLEEP_ENV = "AGENTC_CRASH_SLEEP"
INPUT = {"text": "durable", "trail": []}
NODES = ("first", "slow", "after", "last")


class State(TypedDict, total=False):
    text: str
    trail: Annotated[list[str], operator.add]


def _executed(node: str) -> None:
    path = os.environ.get(LOG_ENV)
    if not path:
        return
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{node} {os.getpid()}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def _nap() -> None:
    time.sleep(float(os.environ.get(SLEEP_ENV) or 0))


def first(state: State) -> dict:
    _executed("first")
    return {"text": state["text"].upper(), "trail": ["first"]}


def slow(state: State) -> dict:
    _executed("slow")
    _nap()
    return {"text": state["text"] + "!", "trail": ["slow"]}


def after(state: State) -> dict:
    _executed("after")
    _nap()
    return {"text": state["text"] + "?", "trail": ["after"]}


def last(state: State) -> dict:
    _executed("last")
    return {"trail": [f"last:{len(state['trail'])}:{state['text']}"]}


builder = StateGraph(State)
builder.add_node("first", first)
builder.add_node("slow", slow)
builder.add_node("after", after)
builder.add_node("last", last)
builder.add_edge(START, "first")
builder.add_edge("first", "slow")
builder.add_edge("slow", "after")
builder.add_edge("after", "last")
builder.add_edge("last", END)

graph = builder.compile(name="crash_graph")
