"""Plan shapes the fixtures do not cover, on every engine against ``graph.invoke``:

* a conditional edge or a ``Send`` fan-out from START (the Temporal codegen switched on
  START's output without knowing it: AttributeError ``_last``);
* a deferred node behind a fan-out that does not start at START (``r -> {a, b}``,
  ``[a, b] -> c`` deferred, ``a -> d``): the frame restored from JSON carried the empty
  join channel as a held barrier, so its schedule key missed the plan's ("superstep 2 does
  not match compiled block 2", AC122) on Conductor and Temporal.

Each graph runs natively, on the local executor, on the Conductor simulator and on the
Temporal dev server (session fixture ``temporal_address``).
"""
from __future__ import annotations

import operator
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest

import harness
import temporal_harness

import agentc
from agentc.targets.conductor.simulate import Simulation


class S(TypedDict, total=False):
    log: Annotated[list[str], operator.add]


def _node(name: str) -> Any:
    def f(s: S) -> dict:
        return {"log": [name]}

    f.__name__ = name
    return f


def conditional_from_start() -> Any:
    from langgraph.graph import END, START, StateGraph

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
    from langgraph.graph import START, StateGraph
    from langgraph.types import Send

    def fan(s: S) -> list:
        return [Send("w", {"log": [x]}) for x in s.get("log") or []]

    def w(s: S) -> dict:
        return {"log": [f"w<{s['log'][0]}>"]}

    b = StateGraph(S)
    b.add_node("w", w)
    b.add_conditional_edges(START, fan, ["w"])
    return b.compile(name="send_from_start")


def deferred_behind_fanout(from_start: bool) -> Any:
    from langgraph.graph import START, StateGraph

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


CASES = {
    "conditional_from_start_a": (conditional_from_start, {"log": []}),
    "conditional_from_start_b": (conditional_from_start, {"log": ["go-b"]}),
    "send_from_start_two": (send_from_start, {"log": ["x", "y"]}),
    "send_from_start_none": (send_from_start, {"log": []}),
    "deferred_behind_fanout": (lambda: deferred_behind_fanout(False), {"log": []}),
    "deferred_fanout_at_start": (lambda: deferred_behind_fanout(True), {"log": []}),
}


def local(g: Any, inp: Any, tmp: Path) -> Any:
    out = agentc.run(g, inp, db=str(tmp / "runs.db"))
    assert out.status == "done", out
    return out.output


def simulated(g: Any, inp: Any, tmp: Path) -> Any:
    agentc.compile(g, target="conductor").write(tmp / "conductor")
    out = Simulation.of(tmp / "conductor", g).start(inp)
    assert out.status == "done", out
    return out.output


@pytest.mark.parametrize("name", sorted(CASES))
def test_native_equals_local_conductor_and_temporal(name, temporal_address, tmp_path):
    make, inp = CASES[name]
    g = make()
    expected = harness.normalise(g.invoke(inp))
    assert harness.normalise(local(g, inp, tmp_path)) == expected
    assert harness.normalise(simulated(g, inp, tmp_path)) == expected
    out = temporal_harness.on_temporal(g, temporal_address, inp, tmp_path / "code")
    assert out.status == "done", out
    assert harness.normalise(out.output) == expected


def test_deferred_join_keys_match_after_a_json_round_trip():
    """The root cause, engine-free: a frame restored from its JSON computes the schedule
    key the plan has for the same superstep (the empty deferred join is not a barrier)."""
    from agentc.plan.schedule import build
    from agentc.runtime_shims import pregel
    from agentc.runtime_shims.langgraph_calls import Resolver

    g = deferred_behind_fanout(False)
    wf = agentc.load(g)
    keys = {b.key for b in build(wf.graph).blocks}
    resolve = Resolver(g)
    frame = pregel.Frame(wf.graph, resolve)
    pregel.start(frame, {"log": []}, 25)
    seen = []
    while True:
        tasks = frame.prepare(resolve)
        if not tasks:
            break
        restored = pregel.from_json(wf.graph, resolve, pregel.to_json(frame))
        key = pregel.schedule_key(restored, restored.prepare(resolve))
        assert key == pregel.schedule_key(frame, tasks)
        assert key in keys, f"superstep {frame.step} ({[t.name for t in tasks]}): {key} is not in the plan"
        seen.append(sorted(t.name for t in tasks))
        frame.apply_writes(tasks, {t.key: [("log", [t.name])] + list(frame.static[t.name]) for t in tasks})
        frame.step += 1
    assert seen == [["__start__"], ["r"], ["a", "b"], ["d"], ["c"]]
