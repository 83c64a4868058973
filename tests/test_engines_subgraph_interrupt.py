"""An ``interrupt()`` inside a subgraph used as a node, on the Conductor simulation and on
a real Temporal server: the pause surfaces from the child workflow (HUMAN task in the
SUB_WORKFLOW's child / the child's pending query), and the answer re-runs only the inner
node — the same calls and result as LangGraph's ``Command(resume=...)`` (LG-12 (a))."""
import asyncio

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

import harness
import semantics_graphs as G

import agentc
from agentc.targets.conductor.simulate import Simulation
from agentc.targets.temporal import engine


def native():
    app = G.subgraph_interrupt.builder.compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "s"}}
    app.invoke({"log": []}, cfg)
    return harness.normalise(app.invoke(Command(resume="yes"), cfg))


def test_conductor_subgraph_interrupt(tmp_path):
    expected = native()
    agentc.compile(G.subgraph_interrupt, target="conductor").write(tmp_path / "out")
    G.CALLS.clear()
    sim = Simulation.of(tmp_path / "out", G.subgraph_interrupt)
    out = sim.start({"log": []})
    assert out.status == "waiting" and [i["value"] for i in out.interrupts] == ["ok?"]
    G.CALLS.append("--resume--")
    out = sim.resume("yes")
    assert out.status == "done"
    assert G.CALLS == ["pre", "s1", "s2", "--resume--", "s2"]
    assert harness.normalise(out.output) == expected


def test_temporal_subgraph_interrupt(temporal_address, tmp_path):
    expected = native()

    async def go():
        client = await engine.connect(temporal_address)
        loaded = engine.load(G.subgraph_interrupt, tmp_path / "code")
        async with engine.running_worker(client, loaded):
            G.CALLS.clear()
            out = await engine.start(G.subgraph_interrupt, temporal_address, {"log": []}, client=client)
            assert out.status == "waiting" and [i["value"] for i in out.interrupts] == ["ok?"]
            assert out.interrupts[0]["workflow_id"] != out.run_id  # it waits in the child workflow
            G.CALLS.append("--resume--")
            return await engine.resume(out.run_id, temporal_address, "yes", client=client)

    out = asyncio.run(go())
    assert out.status == "done"
    assert G.CALLS == ["pre", "s1", "s2", "--resume--", "s2"]
    assert harness.normalise(out.output) == expected
