"""Graphs with a slow async node for node timeouts (docs/policies.md "Node timeouts"):
``fetch`` awaits ``SLOW_S`` seconds, then records its side effect in ``EFFECTS``; every
attempt is counted in ``ATTEMPTS``. ``graph``: LangGraph's own
``TimeoutPolicy(run_timeout=TIMEOUT_S)`` and a two-attempt ``RetryPolicy``; ``plain``: the
same graph without a timeout (a policy file gives it one)."""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import RetryPolicy, TimeoutPolicy

SLOW_S = 5.0
TIMEOUT_S = 0.5
EFFECTS: list[str] = []
ATTEMPTS: list[str] = []


class State(TypedDict, total=False):
    url: str
    log: Annotated[list[str], operator.add]


def prep(state: State) -> dict:
    return {"log": [f"prep {state['url']}"]}


async def fetch(state: State) -> dict:
    ATTEMPTS.append(state["url"])
    await asyncio.sleep(SLOW_S)
    EFFECTS.append(state["url"])  # after the await: never reached once the node is cancelled
    return {"log": [f"fetched {state['url']}"]}


def build(**fetch_options) -> StateGraph:
    b = StateGraph(State)
    b.add_node("prep", prep)
    b.add_node("fetch", fetch, **fetch_options)
    b.add_edge(START, "prep")
    b.add_edge("prep", "fetch")
    b.add_edge("fetch", END)
    return b


RETRY = RetryPolicy(max_attempts=2, initial_interval=0.05, jitter=False)
graph = build(timeout=TimeoutPolicy(run_timeout=TIMEOUT_S), retry_policy=RETRY).compile()
plain = build().compile()
