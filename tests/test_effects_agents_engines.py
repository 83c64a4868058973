"""The OpenAI Agents booking saga on the engines (docs/effects.md, "Other targets"): each
completed compensable tool call's effect record comes out of its tool step's output; when
the hotel is full the run fails for good and the flight is released, once — on the
Conductor simulation (a failure workflow) and on the Temporal dev server (saga code in the
agent loop workflow) — also when a worker's answer is lost after the effect (the retried
step sends the same key: one booking, one release). The expected service traffic is the
local target's (``agentc.run``), the same requests in the same order."""
from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

import agentc
from agentc.targets.conductor.simulate import Simulation
from booking_service import serving
from lost_answers import lose_once

REF = "agentc.fixtures.openai_agents.booking_saga:agent"
FULL = "book trip t hotel full amount 1"
OK = "book trip t hotel ok amount 1"


@pytest.fixture
def svc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    with serving(monkeypatch, tmp_path) as s:
        yield s


def _local(svc: Any, tmp_path: Path, inp: str) -> list[str]:
    """The service traffic of the same run on the local target (the reference)."""
    svc.reset()
    try:
        agentc.run(REF, inp, db=tmp_path / f"local-{uuid.uuid4().hex[:6]}.db")
    except agentc.AgentcError:
        pass
    paths = svc.paths()
    svc.reset()
    return paths


# ---------------------------------------------------------------- Conductor (the simulator)
def _conductor(tmp_path: Path) -> Simulation:
    out = tmp_path / "cond"
    agentc.compile(REF, target="conductor").write(out)
    return Simulation.of(out)


def _run_failure_workflow(sim: Simulation) -> dict[str, Any]:
    fid = sim.sim.execution(sim.workflow_id)["output"]["conductor.failure_workflow"]
    assert sim.sim.run(fid) == "COMPLETED"
    return sim.sim.execution(fid)


def test_conductor_agent_hotel_full_releases_the_flight(svc: Any, tmp_path: Path) -> None:
    expected = _local(svc, tmp_path, FULL)
    assert expected == ["/flights/reserve", "/flights/release"]  # the effects (a full hotel books nothing)
    sim = _conductor(tmp_path)
    assert sim.artifact["workflows"][sim.root]["failureWorkflow"] == f"{sim.root}_saga_compensate"
    with pytest.raises(agentc.AgentcError, match="no room left"):
        sim.start(FULL)
    assert _run_failure_workflow(sim)["output"] == {"compensated": ["reserve_flight"]}
    assert svc.paths() == expected
    assert svc.requests[-1].body == {"id": "FL-t-1"}


@pytest.mark.parametrize("lost", ["reserve_flight", "saga_compensate"])
def test_conductor_agent_answer_lost_after_the_effect_books_and_releases_once(svc: Any, tmp_path: Path,
                                                                               lost: str) -> None:
    expected = _local(svc, tmp_path, FULL)
    sim = _conductor(tmp_path)
    died = lose_once(sim, lost)
    with pytest.raises(agentc.AgentcError, match="no room left"):
        sim.start(FULL)
    assert _run_failure_workflow(sim)["output"] == {"compensated": ["reserve_flight"]}
    assert died and svc.paths() == expected  # one booking, one release
    sent = [r.path for r in svc.requests]
    assert sent.count("/flights/reserve" if lost == "reserve_flight" else "/flights/release") == 2  # a replay
    keys = [k for p, k in svc.effects() if p == "/flights/reserve"]
    assert len(set(keys)) == 1


def test_conductor_agent_effects_survive_the_dropped_loop_iterations(svc: Any, tmp_path: Path) -> None:
    """The server keeps the last 2 iterations of the agent loop (keepLastN): the records of
    the tools of older iterations come from the model step's carried ``effects`` — the
    final model task alone lists every effect of the run, in order."""
    from agentc.targets.conductor.effects import effect_records

    sim = _conductor(tmp_path)
    assert sim.start(OK).status == "done"
    tasks = sim.sim.execution(sim.workflow_id)["tasks"]
    models = [t for t in tasks if t["taskType"].endswith("-model")]
    assert [t["iteration"] for t in models] == [3, 4]  # the first iterations' model tasks were dropped
    assert [r for r, _ in effect_records(tasks)] == [r for r, _ in effect_records(models[-1:])]
    recs = effect_records(models[-1:])
    assert [r["name"] for r, _ in recs] == ["reserve_flight", "reserve_hotel", "charge_card"]
    assert [r["key"] for r, _ in recs] == [k for _, k in svc.effects()]
    assert [r["result"] for r, _ in recs] == ["FL-t-1", "HT-t-2", "CH-t-3"]


# ---------------------------------------------------------------- Temporal (the dev server)
async def _temporal(address: str, inp: str, lose: str | None = None) -> tuple[str, Any, list[str]]:
    from temporalio import activity

    from agentc.runtime_shims.temporal_saga import COMPENSATE
    from agentc.targets.temporal import engine

    client = await engine.connect(address)
    loaded = engine.load(REF)
    lost: list[str] = []
    if lose is not None:
        names = [*sorted(loaded["worker"].layout.task_kinds), COMPENSATE]  # activities_for's order
        assert len(names) == len(loaded["activities"])
        wrapped = []
        for fn, name in zip(loaded["activities"], names):

            def make(fn: Any = fn, name: str = name) -> Any:
                @activity.defn(name=name)
                def run(payload: dict) -> Any:
                    out = fn(payload)
                    if name.endswith(lose) and not lost:
                        lost.append(name)
                        raise RuntimeError("worker lost before reporting")
                    return out
                return run
            wrapped.append(make())
        loaded = {**loaded, "activities": wrapped}
    q = f"asaga-{uuid.uuid4().hex[:10]}"
    run_id = f"{q}-run"
    async with engine.running_worker(client, loaded, q):
        try:
            out = await asyncio.wait_for(engine.start(REF, address, inp, client=client, task_queue=q, run_id=run_id),
                                         90)
        except agentc.AgentcError as exc:
            out = exc
    return run_id, out, lost


@pytest.mark.parametrize("lose", [None, "reserve_flight", COMPENSATE_SUFFIX := "compensate"])
def test_temporal_agent_hotel_full_releases_the_flight(svc: Any, temporal_address: str, tmp_path: Path,
                                                       lose: str | None) -> None:
    from agentc.targets.temporal.effects import ledger

    expected = _local(svc, tmp_path, FULL)
    run_id, out, lost = asyncio.run(_temporal(temporal_address, FULL, lose))
    assert isinstance(out, agentc.AgentcError) and "no room left" in str(out), out
    assert svc.paths() == expected
    assert svc.requests[-1].body == {"id": "FL-t-1"}
    if lose is not None:
        assert lost
        sent = [r.path for r in svc.requests]
        assert sent.count("/flights/reserve" if lose == "reserve_flight" else "/flights/release") == 2
    rows = asyncio.run(ledger(run_id, temporal_address))
    assert [(r["name"], r["target"], r["status"], r["comp_status"]) for r in rows] == [
        ("reserve_flight", "tool", "done", "done")]
    assert rows[0]["key"] == svc.effects()[0][1]


def test_temporal_agent_booked_run_keeps_its_ledger(svc: Any, temporal_address: str) -> None:
    from agentc.targets.temporal.effects import ledger

    run_id, out, _ = asyncio.run(_temporal(temporal_address, OK))
    assert out.status == "done" and "CH-t-3" in out.output["final_output"]
    rows = asyncio.run(ledger(run_id, temporal_address))
    assert [(r["name"], r["result"], r["comp_status"]) for r in rows] == [
        ("reserve_flight", "FL-t-1", None), ("reserve_hotel", "HT-t-2", None), ("charge_card", "CH-t-3", None)]
    assert [r["key"] for r in rows] == [k for _, k in svc.effects()]


# ---------------------------------------------------------------- agentc effects / cancel on a simulation
def _cli(*args: str) -> Any:
    from click.testing import CliRunner

    from agentc.cli import main

    return CliRunner().invoke(main, list(args))


def test_conductor_effects_of_a_failed_simulation(svc: Any, tmp_path: Path) -> None:
    """`agentc simulate` saves a failed simulation too; `agentc effects RUN_ID --engine
    conductor` reads its ledger from the task outputs, with the failure workflow's
    compensation."""
    out = tmp_path / "cond"
    agentc.compile(REF, target="conductor").write(out)
    r = _cli("simulate", str(out), "--input", '"' + FULL + '"', "--state-dir", str(tmp_path / "sims"))
    assert r.exit_code != 0 and "no room left" in r.output
    (saved,) = (tmp_path / "sims").glob("*.json")
    assert f"agentc effects {saved.stem} --engine conductor" in r.output
    r = _cli("effects", saved.stem, "--engine", "conductor", "--state-dir", str(tmp_path / "sims"), "--json")
    assert r.exit_code == 0, r.output
    import json

    rows = json.loads(r.output)
    assert [(x["name"], x["target"], x["status"], x["result"], x["comp_status"]) for x in rows] == [
        ("reserve_flight", "tool", "done", "FL-t-1", "done")]
    assert rows[0]["key"] == svc.effects()[0][1] and rows[0]["finished"] >= rows[0]["started"]
    text = _cli("effects", saved.stem, "--engine", "conductor", "--state-dir", str(tmp_path / "sims"))
    assert "reserve_flight" in text.output and "compensated(done)" in text.output


def test_conductor_cancel_at_a_pause_terminates_and_compensates(svc: Any, tmp_path: Path) -> None:
    """Conductor starts no failure workflow on a manual terminate: `agentc cancel --engine
    conductor` terminates the run and starts it itself. The service sees what `agentc
    cancel` of the same run on the local target gives."""
    import json

    ref = "agentc.fixtures.langgraph.booking_approval:graph"
    r = _cli("run", ref, "--input", '{"trip": "c"}', "--db", str(tmp_path / "l.db"))
    assert r.exit_code == 3, r.output
    r = _cli("cancel", json.loads(r.output)["run_id"], "--db", str(tmp_path / "l.db"))
    assert r.exit_code == 0 and json.loads(r.output)["compensated"] == ["book"], r.output
    expected = svc.paths()
    svc.reset()

    out, sims = tmp_path / "cond", str(tmp_path / "sims")
    agentc.compile(ref, target="conductor").write(out)
    r = _cli("simulate", str(out), "--input", '{"trip": "c"}', "--state-dir", sims)
    assert r.exit_code == 3, r.output
    run_id = json.loads(r.output)["run_id"]
    r = _cli("cancel", run_id, "--engine", "conductor", "--state-dir", sims)
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["status"] == "cancelled" and json.loads(r.output)["compensated"] == ["book"]
    assert svc.paths() == expected == ["/flights/reserve", "/flights/release"]
    r = _cli("effects", run_id, "--engine", "conductor", "--state-dir", sims, "--json")
    assert [(x["name"], x["status"], x["comp_status"]) for x in json.loads(r.output)] == [("book", "paused", "done")]
    again = _cli("cancel", run_id, "--engine", "conductor", "--state-dir", sims)
    assert again.exit_code == 2 and "AC121" in again.output and "TERMINATED" in again.output
    assert svc.paths() == expected  # nothing compensated twice


@pytest.mark.parametrize("target", ["conductor", "temporal"])
def test_compensable_tool_of_an_agent_used_as_a_tool_is_refused(tmp_path: Path, target: str) -> None:
    """A nested run's tools report their effects in a child workflow: the engines
    compensate the root run's tools only, and refuse the rest loudly (AC200)."""
    policy = tmp_path / "p.toml"
    policy.write_text('[effects.pay]\nclass = "compensable"\ncompensator = "agentc.fixtures.openai_agents.'
                      'booking_saga:refund"\n')
    ref = "agentc.fixtures.openai_agents.expense_desk:agent"
    with pytest.raises(agentc.AgentcError) as err:
        agentc.compile(ref, target=target, policy=str(policy))
    assert err.value.diagnostic.code.value == "AC200" and "pay" in err.value.diagnostic.construct
    assert agentc.compile(ref, target="local", policy=str(policy)) is not None


def test_tool_of_a_toolnode_batch_is_reported_and_really_reruns(tmp_path: Path) -> None:
    """LangGraph re-runs a whole ToolNode when one call of its batch raised (checked here
    with LangGraph itself), so an unclassified effect in a sibling tool is reported at its
    line; not with handle_tool_errors=True, nor when the node is keyed."""
    import inspect

    from langgraph.checkpoint.memory import InMemorySaver

    import effects_tool_batch as m
    from agentc.errors import Warnings

    app = m.build().compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "n"}}
    m.CALLS.clear()
    with pytest.raises(RuntimeError):
        app.invoke({"messages": []}, cfg)
    m.FAIL[0] = False
    try:
        app.invoke(None, cfg)
    finally:
        m.FAIL[0] = True
    assert m.CALLS == ["/book", "/book"]  # the sibling's failure repeated the effect

    w = Warnings()
    agentc.load("effects_tool_batch:graph", warnings=w)
    line = inspect.getsourcelines(m.book.func)[1] + 3  # the `return post(...)` line
    assert [(d.code.value, d.line) for d in w.items] == [("AC204", line)] and "'book'" in w.items[0].message
    w = Warnings()
    agentc.load("effects_tool_batch:handled", warnings=w)
    assert w.items == []
    policy = tmp_path / "p.toml"
    policy.write_text('[effects]\ntools = "keyed"\n')
    w = Warnings()
    agentc.load("effects_tool_batch:graph", warnings=w, policy=policy)
    assert w.items == []
