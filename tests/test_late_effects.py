"""A sync compensable tool call that finishes after its sibling failed the run
(``tests/late_effect_agents.py``; docs/effects.md "Late effects"). The SDK runs a sync tool
in a worker thread: a cancel stops the ``await`` but not the thread, which reserves the
seat after the run has failed. ``Runner.run`` loses that reservation; agentc must release
it, once, on every target:

* local: the drive records what the cancelled thread returned (``agent_fanout.
  thread_to_end``) before the failure's compensation reads the ledger — before, the row
  stayed ``started`` and the service saw ``/flights/reserve`` only;
* the Conductor simulation: the server ignores the late task update; the worker reads its
  task back and compensates (``late_effects.dropped``) — before, the same;
* Temporal: the workflow waits for the cancelled sibling (``WAIT_CANCELLATION_COMPLETED``)
  and the saga undoes what it reported.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

import agentc
from booking_service import serving

REF = "late_effect_agents:agent"
FAIL = "hold it"
EXPECTED = ["/flights/reserve", "/flights/release"]


@pytest.fixture
def svc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AGENTC_SLOW_S", "0.5")
    monkeypatch.setenv("AGENTC_STORE", str(tmp_path / "blobs"))
    with serving(monkeypatch, tmp_path) as s:
        yield s


def test_native_runner_loses_the_reservation(svc: Any) -> None:
    """The oracle's side: ``Runner.run`` fails with the card's error; the thread reserves
    anyway and nothing releases it (what agentc's compensation adds)."""
    import time

    from agents import Runner

    from late_effect_agents import agent

    with pytest.raises(Exception, match="card 4242 declined"):
        asyncio.run(Runner.run(agent, FAIL))
    end = time.monotonic() + 10
    while "/flights/reserve" not in svc.paths() and time.monotonic() < end:
        time.sleep(0.05)
    assert svc.paths() == ["/flights/reserve"]


def test_local_late_sync_effect_is_compensated(svc: Any, tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    with pytest.raises(agentc.AgentcError, match="card 4242 declined") as err:
        agentc.run(REF, FAIL, db=db)
    assert "compensated: hold_seat" in str(err.value)
    assert svc.paths() == EXPECTED
    assert all(not r.replayed for r in svc.requests)
    (run,) = agentc.runs(db=db)
    rows = agentc.effects_of(run["run_id"], db=db)
    assert [(r["name"], r["status"], r["comp_status"]) for r in rows] == [
        ("hold_seat", "done", "done")
    ]
    assert rows[0]["result"].startswith("FL-")
    from agentc.audit import verify

    assert verify(run["run_id"], db=db) is None  # the chain holds the late row


def test_conductor_simulation_late_sync_effect_is_compensated(svc: Any, tmp_path: Path) -> None:
    from agentc.targets.conductor.effects import ledger
    from agentc.targets.conductor.simulate import Simulation

    out = tmp_path / "cond"
    agentc.compile(REF, target="conductor").write(out)
    sim = Simulation.of(out)
    with pytest.raises(agentc.AgentcError, match="card 4242 declined"):
        sim.start(FAIL)
    ex = sim.sim.execution(sim.workflow_id)
    hold = next(t for t in ex["tasks"] if t["taskType"].endswith("hold_seat"))
    assert hold["status"] == "CANCELED"  # its answer came after the failure: ignored
    fid = ex["output"]["conductor.failure_workflow"]
    assert sim.sim.run(fid) == "COMPLETED"
    assert sim.sim.execution(fid)["output"] == {"compensated": []}  # the saga never saw it
    assert svc.paths() == EXPECTED
    rows = ledger(sim)
    assert [(r["name"], r["status"], r["comp_status"]) for r in rows] == [
        ("hold_seat", "done", "done")
    ]


def test_temporal_late_sync_effect_is_compensated(svc: Any, temporal_address: str) -> None:
    from agentc.targets.temporal import engine
    from agentc.targets.temporal.effects import ledger

    async def go() -> tuple[str, Any]:
        client = await engine.connect(temporal_address)
        loaded = engine.load(REF)
        q = f"late-{uuid.uuid4().hex[:10]}"
        run_id = f"{q}-run"
        async with engine.running_worker(client, loaded, q):
            try:
                out = await asyncio.wait_for(
                    engine.start(
                        REF, temporal_address, FAIL, client=client, task_queue=q, run_id=run_id
                    ),
                    90,
                )
            except agentc.AgentcError as exc:
                out = exc
        return run_id, out

    run_id, out = asyncio.run(go())
    assert isinstance(out, agentc.AgentcError) and "card 4242 declined" in str(out), out
    assert svc.paths() == EXPECTED
    rows = asyncio.run(ledger(run_id, temporal_address))
    assert [(r["name"], r["status"], r["comp_status"]) for r in rows] == [
        ("hold_seat", "done", "done")
    ]
