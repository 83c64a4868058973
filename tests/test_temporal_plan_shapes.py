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

from pathlib import Path
from typing import Any

import agentc
import harness
import pytest
import temporal_harness
from agentc.targets.conductor.simulate import Simulation
from temporal_shape_graphs import (
    conditional_from_start,
    deferred_behind_fanout,
    send_from_start,
)

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
    from agentc.semantics import pregel
    from agentc.semantics.langgraph_calls import Resolver

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


@pytest.mark.parametrize("with_worker", [True, False], ids=["with_worker", "separate_worker"])
def test_a_compile_failure_starts_no_workflow(with_worker, temporal_address, tmp_path, monkeypatch):
    """Code generation (and, with an in-process worker, the worker and its sandbox check)
    happens before the workflow starts: a generator that fails leaves nothing Running on
    the server (it used to start the run first, then crash generating the worker's code)."""
    import asyncio
    import uuid

    from agentc.targets.temporal import codegen, engine
    from temporalio.service import RPCError

    def broken(self: Any) -> str:
        raise RuntimeError("codegen bug")

    monkeypatch.setattr(codegen.ModuleWriter, "source", broken)
    run_id = f"orphan-{uuid.uuid4().hex[:10]}"

    async def go() -> None:
        client = await engine.connect(temporal_address)
        with pytest.raises(RuntimeError, match="codegen bug"):
            await asyncio.wait_for(engine.start(conditional_from_start(), temporal_address, {"log": []},
                                                run_id=run_id, task_queue=f"q-{run_id}", client=client,
                                                with_worker=with_worker, no_worker_s=1.0), 30)
        with pytest.raises(RPCError, match="not found"):
            await client.get_workflow_handle(run_id).describe()

    asyncio.run(go())


def test_an_unpredicted_start_route_is_a_loud_ac200(temporal_address, tmp_path):
    """A START router whose list return agentc could not see (a helper call) ends the run
    at START, where the plan runs ``a``: the run must fail with AC200 and the hint to
    declare the targets (it said AC122 "the run ends at START", as if the graph changed) —
    or, once agentc predicts such routers, give LangGraph's result."""
    from agentc.errors import Code, RunFailed
    from temporal_shape_graphs import start_router_via_a_call

    g = start_router_via_a_call()
    expected = harness.normalise(g.invoke({"log": ["x"]}))
    try:
        out = temporal_harness.on_temporal(g, temporal_address, {"log": ["x"]}, tmp_path / "code")
    except RunFailed as err:
        assert err.code is Code.UNSUPPORTED and "could not predict" in str(err), err
    else:
        assert harness.normalise(out.output) == expected
