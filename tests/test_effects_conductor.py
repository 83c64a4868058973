"""The booking saga on Conductor, executed by the simulator (docs/effects.md): a graph with
compensable nodes gets a failureWorkflow; when the hotel fails for good, the server's
semantics start it with the failed execution and its worker task releases the flight;
keys are the step worker's (the same on every target); a worker killed during the
compensation (its task retried) releases once."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import agentc
from agentc.targets.conductor.simulate import Simulation
from booking_service import serving
from lost_answers import lose_once

SAGA = "agentc.fixtures.langgraph.booking_saga:graph"
POLICY = (Path(__file__).resolve().parents[1] / "fixtures" / "langgraph" / "booking_saga.policy.toml").read_text()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    # the policy in ./pyproject.toml: the compile and the worker read it
    with serving(monkeypatch, tmp_path, POLICY.replace("[effects.", "[tool.agentc.effects.")) as svc:
        out = tmp_path / "cond"
        agentc.compile(SAGA, target="conductor").write(out)
        yield svc, out


def test_failure_workflow_is_emitted_and_valid(folder: Any) -> None:
    from agentc.targets.conductor.emulator.validator import validate_paths

    _, out = folder
    root = json.loads((out / "booking_saga.workflow.json").read_text())
    assert root["failureWorkflow"] == "booking_saga_saga_compensate"
    assert (out / "booking_saga_saga_compensate.workflow.json").exists()
    assert list(validate_paths([str(out)], server="all")) == []
    plain = agentc.compile("agentc.fixtures.langgraph.chain:graph", target="conductor")
    assert all("failureWorkflow" not in json.loads(t) for n, t in plain.files.items() if n.endswith(".workflow.json"))


def test_hotel_full_runs_the_failure_workflow_and_releases_the_flight(folder: Any) -> None:
    svc, out = folder
    sim = Simulation.of(out)
    with pytest.raises(agentc.AgentcError, match="no room left"):
        sim.start({"trip": "t", "hotel": "full", "amount": 1})
    ex = sim.sim.execution(sim.workflow_id)
    fid = ex["output"]["conductor.failure_workflow"]
    assert sim.sim.run(fid) == "COMPLETED"
    assert sim.sim.execution(fid)["output"] == {"compensated": ["reserve_flight"]}
    assert svc.paths() == ["/flights/reserve", "/flights/release"]
    assert svc.requests[-1].body == {"id": "FL-t-1"}


def test_booked_run_keys_equal_the_local_ones(folder: Any, tmp_path: Path) -> None:
    svc, out = folder
    sim = Simulation.of(out)
    res = sim.start({"trip": "t", "hotel": "ok", "amount": 1})
    assert res.status == "done" and res.output["charge"] == "CH-t-3"
    keys = [k for _, k in svc.effects()]
    svc.reset()
    agentc.run(SAGA, {"trip": "t", "hotel": "ok", "amount": 1}, db=tmp_path / "r.db", run_id=sim.workflow_id)
    assert [k for _, k in svc.effects()] == keys


def test_compensation_task_killed_after_the_release_is_retried_and_releases_once(folder: Any) -> None:
    svc, out = folder
    sim = Simulation.of(out)
    calls = lose_once(sim, "saga_compensate")  # the worker dies once, after the service released the flight
    with pytest.raises(agentc.AgentcError):
        sim.start({"trip": "t", "hotel": "full", "amount": 1})
    fid = sim.sim.execution(sim.workflow_id)["output"]["conductor.failure_workflow"]
    assert sim.sim.run(fid) == "COMPLETED"
    assert calls and [t["status"] for t in sim.sim.execution(fid)["tasks"]] == ["FAILED", "COMPLETED"]
    assert svc.paths() == ["/flights/reserve", "/flights/release"]  # the retry's release was a replay
    assert [r.path for r in svc.requests].count("/flights/release") == 2


def test_worker_killed_mid_tool_retries_with_the_same_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An agent's tool task whose worker died after the service answered is retried by
    Conductor; the retry sends the same key (rooted in the workflow id): one booking."""
    from agentc.semantics.effects import derive

    with serving(monkeypatch, tmp_path) as svc:
        out = tmp_path / "c"
        agentc.compile("agentc.fixtures.openai_agents.booking_saga:agent", target="conductor").write(out)
        sim = Simulation.of(out)
        died = lose_once(sim, "reserve_flight")
        res = sim.start("book trip t hotel ok amount 1")
        assert res.status == "done" and died, res
        assert svc.paths() == ["/flights/reserve", "/hotels/reserve", "/charges"]
        assert [r.path for r in svc.requests].count("/flights/reserve") == 2  # the retry was a replay
        assert svc.effects()[0][1] == derive(sim.workflow_id, "effect:Booking Saga:reserve_flight#0", 0)


def test_node_task_answer_lost_after_the_effect_books_once(folder: Any) -> None:
    svc, out = folder
    sim = Simulation.of(out)
    died = lose_once(sim, "reserve_hotel")
    res = sim.start({"trip": "t", "hotel": "ok", "amount": 1})
    assert res.status == "done" and died and res.output["room"] == "HT-t-2"
    assert svc.paths() == ["/flights/reserve", "/hotels/reserve", "/charges"]
    assert [r.path for r in svc.requests].count("/hotels/reserve") == 2
