"""Graphs a node invokes itself (``child.invoke(...)`` inside the node), against LangGraph:
``Command(graph=Command.PARENT)`` from the child reaches the calling node's graph, the
child's ``interrupt()`` pauses the run and the answer resumes the child where LangGraph
resumes it (a checkpointed child at its paused node, a stateless one from its start), and a
``checkpointer=True`` child keeps its state across the parent's loop iterations — on the
local executor, the Conductor simulation and a Temporal server (the same output and the
same node calls as ``graph.invoke``)."""
import asyncio

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

import agentc
import harness
import invoked_graphs as G
from agentc.targets.conductor.simulate import Simulation

RESUMES = {"jumping": [], "asking": ["yes"], "looping": []}
CASES = [(kind, mode) for kind in RESUMES for mode in G.MODES]


def native(graph, resumes):
    app = graph.builder.compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "t"}}
    G.CALLS.clear()
    out = app.invoke({"log": []}, cfg)
    for answer in resumes:
        assert "__interrupt__" in out
        G.CALLS.append("--resume--")
        out = app.invoke(Command(resume=answer), cfg)
    assert "__interrupt__" not in out
    return harness.normalise(out), list(G.CALLS)


def local(graph, resumes, tmp_path):
    db = str(tmp_path / "r.db")
    G.CALLS.clear()
    out = agentc.run(graph, {"log": []}, db=db)
    for answer in resumes:
        assert out.status == "waiting" and [i["value"] for i in out.interrupts] == ["ok?"]
        G.CALLS.append("--resume--")
        out = agentc.resume(out.run_id, answer, db=db, obj=graph)
    assert out.status == "done", out.interrupts
    return harness.normalise(out.output), list(G.CALLS)


def conductor(graph, resumes, tmp_path):
    agentc.compile(graph, target="conductor").write(tmp_path / "out")
    sim = Simulation.of(tmp_path / "out", graph)
    G.CALLS.clear()
    out = sim.start({"log": []})
    for answer in resumes:
        assert out.status == "waiting" and [i["value"] for i in out.interrupts] == ["ok?"]
        sim.save(tmp_path / "paused.json")  # a fresh process-like reload between pause and resume
        sim = Simulation.load(tmp_path / "paused.json")
        G.CALLS.append("--resume--")
        out = sim.resume(answer)
    assert out.status == "done", out.interrupts
    return harness.normalise(out.output), list(G.CALLS)


def temporal(graph, resumes, tmp_path, address):
    from agentc.targets.temporal import engine

    async def go():
        client = await engine.connect(address)
        loaded = engine.load(graph, tmp_path / "code")
        async with engine.running_worker(client, loaded):
            G.CALLS.clear()
            out = await engine.start(graph, address, {"log": []}, client=client)
            for answer in resumes:
                assert out.status == "waiting" and [i["value"] for i in out.interrupts] == ["ok?"]
                G.CALLS.append("--resume--")
                out = await engine.resume(out.run_id, address, answer, client=client)
            assert out.status == "done", out.interrupts
            return harness.normalise(out.output), list(G.CALLS)

    return asyncio.run(go())


@pytest.mark.parametrize("kind,mode", CASES)
def test_local_matches_langgraph(kind, mode, tmp_path):
    g = G.graph(kind, mode)
    assert local(g, RESUMES[kind], tmp_path) == native(g, RESUMES[kind])


@pytest.mark.parametrize("kind,mode", CASES)
def test_conductor_matches_langgraph(kind, mode, tmp_path):
    g = G.graph(kind, mode)
    assert conductor(g, RESUMES[kind], tmp_path) == native(g, RESUMES[kind])


@pytest.mark.parametrize("kind,mode", CASES)
def test_temporal_matches_langgraph(kind, mode, tmp_path, temporal_address):
    g = G.graph(kind, mode)
    assert temporal(g, RESUMES[kind], tmp_path, temporal_address) == native(g, RESUMES[kind])


def test_stateless_and_checkpointed_children_resume_differently():
    """The oracle itself: the cases above can tell a child that resumes at its paused node
    from one that starts over."""
    per_thread = native(G.asking_per_thread, ["yes"])[1]
    stateless = native(G.asking_stateless, ["yes"])[1]
    assert per_thread[per_thread.index("--resume--"):] == ["--resume--", "call", "c2", "post"]
    assert stateless[stateless.index("--resume--"):] == ["--resume--", "call", "c1", "c2", "post"]
