"""Small graphs for the Temporal target's tests, importable by REF from CLI subprocesses
(``<this file>:<name>``): plan shapes the fixtures lack, and a node that fails while a
flag file exists (set ``AGENTC_TEST_FAIL_FILE``), to fail a run and resume it after the
"fix" (removing the file). Every node appends its name to ``log``; ``flaky`` nodes also
append to ``AGENTC_TEST_CALLS_FILE`` when set, so a test can count executions across
processes."""
from __future__ import annotations

import operator
import os
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send


class S(TypedDict, total=False):
    log: Annotated[list[str], operator.add]


def _node(name: str) -> Any:
    def f(s: S) -> dict:
        return {"log": [name]}

    f.__name__ = name
    return f


def conditional_from_start() -> Any:
    def route(s: S) -> str:
        return "b" if "go-b" in (s.get("log") or []) else "a"

    b = StateGraph(S)
    b.add_node("a", _node("a"))
    b.add_node("b", _node("b"))
    b.add_conditional_edges(START, route, ["a", "b"])
    b.add_edge("a", END)
    b.add_edge("b", END)
    return b.compile(name="cond_from_start")


def send_from_start() -> Any:
    def fan(s: S) -> list:
        return [Send("w", {"log": [x]}) for x in s.get("log") or []]

    def w(s: S) -> dict:
        return {"log": [f"w<{s['log'][0]}>"]}

    b = StateGraph(S)
    b.add_node("w", w)
    b.add_conditional_edges(START, fan, ["w"])
    return b.compile(name="send_from_start")


def deferred_behind_fanout(from_start: bool) -> Any:
    b = StateGraph(S)
    for n in "rabd":
        b.add_node(n, _node(n))
    b.add_node("c", _node("c"), defer=True)
    if from_start:
        b.add_edge(START, "a")
        b.add_edge(START, "b")
    else:
        b.add_edge(START, "r")
        b.add_edge("r", "a")
        b.add_edge("r", "b")
    b.add_edge(["a", "b"], "c")
    b.add_edge("a", "d")
    return b.compile(name="deferred_fanout")


def _effect(name: str) -> None:
    calls = os.environ.get("AGENTC_TEST_CALLS_FILE")
    if calls:
        with open(calls, "a") as f:
            f.write(name + "\n")


def _ok(s: S) -> dict:
    _effect("ok")
    return {"log": ["ok"]}


def _boom(s: S) -> dict:
    _effect("boom")
    flag = os.environ.get("AGENTC_TEST_FAIL_FILE")
    if flag and Path(flag).exists():
        raise RuntimeError("boom: the flag file exists")
    return {"log": ["boom-fixed"]}


def _after(s: S) -> dict:
    _effect("after")
    return {"log": ["after"]}


def flaky() -> Any:
    """``ok`` and ``boom`` in one superstep, then ``after``: ``boom`` fails while the flag
    file exists; resuming re-runs only ``boom`` (``ok``'s write is kept)."""
    b = StateGraph(S)
    b.add_node("ok", _ok)
    b.add_node("boom", _boom)
    b.add_node("after", _after)
    b.add_edge(START, "ok")
    b.add_edge(START, "boom")
    b.add_edge(["ok", "boom"], "after")
    b.add_edge("after", END)
    return b.compile(name="flaky")


cond = conditional_from_start()
sends = send_from_start()
deferred = deferred_behind_fanout(False)
flaky_graph = flaky()


def _none_of(s: S) -> list:
    return []


def start_router_via_a_call() -> Any:
    """START's router returns a list through a helper call: agentc, reading the router's
    return statements, plans it as returning one target (``a``)."""
    def route(s):
        return _none_of(s)

    b = StateGraph(S)
    b.add_node("a", _node("a"))
    b.add_conditional_edges(START, route, ["a"])
    return b.compile(name="start_router_call")
