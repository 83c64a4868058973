"""Graphs for Conductor's lease extension (docs/conductor.md "Leases: response timeouts and
extendLease"): ``work`` is an async node under LangGraph's ``TimeoutPolicy(idle_timeout=
IDLE_S)`` and no retry policy (its TaskDef: ``INFRA_RETRIES`` retries for a lost worker).

* ``beats``: ``STEPS`` steps of ``STEP_S`` seconds, ``runtime.heartbeat()`` after each —
  healthy progress, for as long as the test wants (``AGENTC_TEST_LEASE_STEPS``);
* ``wedged``: blocks its event loop for ``WEDGE_S`` seconds (``time.sleep`` in an async
  node), so neither LangGraph's idle watchdog nor its progress hook can run — a worker that
  cannot report (``AGENTC_TEST_WEDGE_S``).

The environment variables reach ``agentc worker conductor`` subprocesses. Each attempt is
counted in ``ATTEMPTS``."""

from __future__ import annotations

import asyncio
import operator
import os
import time
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import TimeoutPolicy

IDLE_S = 0.3
STEP_S = 0.1
STEPS = int(os.environ.get("AGENTC_TEST_LEASE_STEPS", "6"))
WEDGE_S = float(os.environ.get("AGENTC_TEST_WEDGE_S", "0.5"))
ATTEMPTS: list[str] = []


class State(TypedDict, total=False):
    url: str
    log: Annotated[list[str], operator.add]


def prep(state: State) -> dict:
    return {"log": [f"prep {state['url']}"]}


async def beats(state: State, runtime: Runtime) -> dict:
    ATTEMPTS.append(state["url"])
    for _ in range(STEPS):
        await asyncio.sleep(STEP_S)
        runtime.heartbeat()
    return {"log": [f"beats {state['url']}"]}


async def wedged(state: State) -> dict:
    ATTEMPTS.append(state["url"])
    time.sleep(WEDGE_S)  # noqa: ASYNC251 - the point: the event loop is blocked
    return {"log": [f"wedged {state['url']}"]}


def build(work) -> StateGraph:
    b = StateGraph(State)
    b.add_node("prep", prep)
    b.add_node("work", work, timeout=TimeoutPolicy(idle_timeout=IDLE_S))
    b.add_edge(START, "prep")
    b.add_edge("prep", "work")
    b.add_edge("work", END)
    return b


beating = build(beats).compile()
wedging = build(wedged).compile()
