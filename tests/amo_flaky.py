"""An ``at_most_once`` node with a RetryPolicy that always raises (tests/test_at_most_once_engines.py):
LangGraph would call it three times; agentc calls it once on every target, as locally.
``CALLS`` counts the calls made in this process (the engines' workers run in the test's)."""
from __future__ import annotations

from typing import Any

from langgraph.graph import StateGraph
from langgraph.types import RetryPolicy
from typing_extensions import TypedDict

from agentc.effects import effect

CALLS: list[int] = []


class S(TypedDict, total=False):
    x: int


@effect("at_most_once")
def flaky(state: S) -> dict[str, Any]:
    CALLS.append(1)
    raise ConnectionError("boom")


b = StateGraph(S)
b.add_node("flaky", flaky, retry_policy=RetryPolicy(max_attempts=3, initial_interval=0.1, jitter=False))
b.set_entry_point("flaky")
graph = b.compile()
