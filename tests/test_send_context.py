"""A ``Send`` packet's node reads the run's context on every target.

Before the step protocol was engine-neutral (``runtime_shims/protocol.py``), a Send task's
input carried Conductor's ``${workflow.input.context}`` expression, and the Temporal
workflow passed that text on as the context: a node reached by ``Send`` saw the string, not
the run's context. Compared with ``graph.invoke``."""
from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Annotated, TypedDict

import agentc
import harness
import temporal_harness
from agentc.targets.conductor.simulate import Simulation
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send


@dataclass
class Who:
    name: str


class FanState(TypedDict, total=False):
    items: list[str]
    out: Annotated[list[str], operator.add]


def plan(state: FanState) -> dict:
    return {"out": ["planned"]}


def fan(state: FanState) -> list[Send]:
    return [Send("visit", {"items": [i]}) for i in state["items"]]


def visit(state: FanState, runtime: Runtime[Who]) -> dict:
    return {"out": [f"{state['items'][0]}:{runtime.context.name}"]}


def send_graph():
    b = StateGraph(FanState, context_schema=Who)
    b.add_node("plan", plan)
    b.add_node("visit", visit)
    b.add_edge(START, "plan")
    b.add_conditional_edges("plan", fan, ["visit"])
    b.add_edge("visit", END)
    return b.compile()


INPUT = {"items": ["a", "b"]}
CONTEXT = {"name": "ann"}


def test_send_nodes_read_the_run_context_on_every_target(temporal_address, tmp_path):
    g = send_graph()
    expected = harness.normalise(g.invoke(INPUT, context=Who(**CONTEXT)))
    assert expected["out"] == ["planned", "a:ann", "b:ann"]
    local = agentc.run(g, INPUT, context=CONTEXT, db=str(tmp_path / "runs.db"))
    assert local.status == "done" and harness.normalise(local.output) == expected
    agentc.compile(g, target="conductor").write(tmp_path / "conductor")
    sim = Simulation.of(tmp_path / "conductor", g).start(INPUT, context=CONTEXT)
    assert sim.status == "done" and harness.normalise(sim.output) == expected
    out = temporal_harness.on_temporal(g, temporal_address, INPUT, tmp_path / "code", context=CONTEXT)
    assert out.status == "done", out
    assert harness.normalise(out.output) == expected
