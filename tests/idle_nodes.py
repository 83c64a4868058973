"""Graphs with an idle-timed async node (docs/policies.md "Node timeouts"): LangGraph's
``TimeoutPolicy(idle_timeout=IDLE_S, refresh_on=...)`` and a two-attempt ``RetryPolicy``
on ``work``, which takes ``STEPS`` steps of ``STEP_S`` seconds — longer than ``IDLE_S`` in
all, shorter each — and signals progress after each step in one of three ways:

* ``beats``: ``runtime.heartbeat()`` (progress under both ``refresh_on`` modes);
* ``chatter``: a LangChain callback event (a ``RunnableLambda`` call: progress only under
  ``refresh_on="auto"``);
* ``stall``: heartbeats twice, then awaits ``STALL_S`` without a signal (idle: cancelled).

Each attempt is counted in ``ATTEMPTS``; the side effect after the work is in ``EFFECTS``.
Graph refs: ``idle_nodes:<how>_<refresh_on>`` (``beats_auto``, ``chatter_heartbeat``, ...).

``tools_run`` / ``tools_idle``: ``work`` is a ``ToolNode`` whose async tool ``lookup`` stalls,
under ``TimeoutPolicy(run_timeout=IDLE_S)`` / ``TimeoutPolicy(idle_timeout=IDLE_S)``."""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, TypedDict

from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode
from langgraph.runtime import Runtime
from langgraph.types import RetryPolicy, TimeoutPolicy

IDLE_S = 0.3
STEP_S = 0.1
STEPS = 6
STALL_S = 5.0
EFFECTS: list[str] = []
ATTEMPTS: list[str] = []


class State(TypedDict, total=False):
    url: str
    log: Annotated[list[str], operator.add]
    messages: Annotated[list, add_messages]


def prep(state: State) -> dict:
    return {"log": [f"prep {state['url']}"]}


def _done(state: State, how: str) -> dict:
    EFFECTS.append(state["url"])  # after the work: never reached once the node is cancelled
    return {"log": [f"{how} {state['url']}"]}


async def beats(state: State, runtime: Runtime) -> dict:
    ATTEMPTS.append(state["url"])
    for _ in range(STEPS):
        await asyncio.sleep(STEP_S)
        runtime.heartbeat()
    return _done(state, "beats")


async def chatter(state: State) -> dict:
    ATTEMPTS.append(state["url"])
    for i in range(STEPS):
        await asyncio.sleep(STEP_S)
        await RunnableLambda(lambda x: x).ainvoke(i)  # on_chain_start / on_chain_end
    return _done(state, "chatter")


async def stall(state: State, runtime: Runtime) -> dict:
    ATTEMPTS.append(state["url"])
    for _ in range(2):
        await asyncio.sleep(STEP_S)
        runtime.heartbeat()
    await asyncio.sleep(STALL_S)
    return _done(state, "stall")


WORK = {"beats": beats, "chatter": chatter, "stall": stall}
RETRY = RetryPolicy(max_attempts=2, initial_interval=0.05, jitter=False)


def build(how: str, refresh_on: str = "auto") -> StateGraph:
    b = StateGraph(State)
    b.add_node("prep", prep)
    policy = TimeoutPolicy(idle_timeout=IDLE_S, refresh_on=refresh_on)  # type: ignore[arg-type]
    b.add_node("work", WORK[how], timeout=policy, retry_policy=RETRY)
    b.add_edge(START, "prep")
    b.add_edge("prep", "work")
    b.add_edge("work", END)
    return b


for _how in WORK:
    for _mode in ("auto", "heartbeat"):
        globals()[f"{_how}_{_mode}"] = build(_how, _mode).compile()


@tool
async def lookup(q: str) -> str:
    """Look ``q`` up (slowly)."""
    ATTEMPTS.append(q)
    await asyncio.sleep(STALL_S)
    EFFECTS.append(q)
    return f"found {q}"


def ask(state: State) -> dict:
    call = {"name": "lookup", "args": {"q": state["url"]}, "id": "call-1"}
    return {"messages": [AIMessage("", tool_calls=[call])]}


def build_tools(policy: TimeoutPolicy) -> StateGraph:
    b = StateGraph(State)
    b.add_node("ask", ask)
    b.add_node("work", ToolNode([lookup]), timeout=policy, retry_policy=RETRY)
    b.add_edge(START, "ask")
    b.add_edge("ask", "work")
    b.add_edge("work", END)
    return b


tools_run = build_tools(TimeoutPolicy(run_timeout=IDLE_S)).compile()
tools_idle = build_tools(TimeoutPolicy(idle_timeout=IDLE_S)).compile()
tools_untimed = build_tools(None).compile()  # a policy `timeout` gives it tools_run's bound
