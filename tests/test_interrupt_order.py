"""Parallel pauses surface in LangGraph's ``get_state().tasks`` order (the graph's node
order) on every engine, every time — not in the order the tasks happened to pause (native
``__interrupt__`` follows that race; a durable run's list must not) — and answering them
by id finishes with LangGraph's result."""
from __future__ import annotations

import asyncio
import uuid

import pytest

import parallel_pauses as P

import agentc


def native():
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.types import Command

    app = P.builder.compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": uuid.uuid4().hex}}
    app.invoke({"log": []}, cfg)
    tasks = app.get_state(cfg).tasks
    order = [i.value for t in tasks for i in t.interrupts]
    out = app.invoke(Command(resume={i.id: f"ok-{i.value}" for t in tasks for i in t.interrupts}), cfg)
    return order, out


def on_engine(name, tmp_path, request):
    """(the pending interrupts' values in the order the engine lists them, final output)"""
    P.ALPHA_ASKING.clear()
    if name == "local":
        first = agentc.run(P.graph, {"log": []}, db=str(tmp_path / "r.db"))
        answers = {i["id"]: f"ok-{i['value']}" for i in first.interrupts}
        return [i["value"] for i in first.interrupts], agentc.resume(first.run_id, answers, db=str(tmp_path / "r.db"),
                                                                     obj=P.graph).output
    if name == "conductor":
        from agentc.targets.conductor.simulate import Simulation

        agentc.compile(P.graph, target="conductor").write(tmp_path / "out")
        sim = Simulation.of(tmp_path / "out", P.graph)
        first = sim.start({"log": []})
        answers = {i["id"]: f"ok-{i['value']}" for i in first.interrupts}
        return [i["value"] for i in first.interrupts], sim.resume(answers).output
    from agentc.targets.temporal import engine

    address = request.getfixturevalue("temporal_address")

    async def go():
        client = await engine.connect(address)
        async with engine.running_worker(client, engine.load(P.graph, tmp_path / "code")):
            first = await engine.start(P.graph, address, {"log": []}, client=client)
            answers = {i["id"]: f"ok-{i['value']}" for i in first.interrupts}
            done = await engine.resume(first.run_id, address, answers, client=client)
            return [i["value"] for i in first.interrupts], done.output

    return asyncio.run(go())


@pytest.mark.parametrize("name", ["local", "conductor", "temporal"])
def test_parallel_pauses_in_task_order(name, tmp_path, request):
    order, out = native()
    assert order == ["zeta?", "alpha?"]  # node order, whichever paused first
    got_order, got_out = on_engine(name, tmp_path, request)
    assert got_order == order
    assert sorted(got_out["log"]) == sorted(out["log"]) and len(got_out["log"]) == 2
