"""The ``timeout`` of an external step on the local target and in the Conductor simulator
(docs/policies.md "External completion"), as on Temporal (``test_external_time.py``): a
completion that arrives after the deadline fails the run with ``AC316`` naming the step,
and its value is never used. Time is moved, not waited for: locally the deadline check's
clock (``external_deadlines.clock``), in the simulator its virtual clock
(``Simulation.advance``: the time the outside work takes)."""

from __future__ import annotations

import pytest

import agentc
from agentc.complete import complete
from agentc.errors import RunFailed
from agentc.fixtures.langgraph import db_migration as M
from agentc.fixtures.openai_agents import db_admin as D
from agentc.targets.conductor import external_tasks
from agentc.targets.conductor.simulate import Simulation
from agentc.targets.local import external_deadlines
from test_external_tools import ASK, DONE as TOOL_DONE, REF as TOOL_REF, native as tool_native
from test_policies_external import DONE, INPUT, REF, native

HOUR = 3600


def node_policy(tmp_path, timeout=HOUR):
    p = tmp_path / "p.toml"
    p.write_text(f"[policies.nodes.migrate]\nexternal = true\ntimeout = {timeout}\n")
    return p


def tool_policy(tmp_path, timeout=HOUR):
    p = tmp_path / "p.toml"
    p.write_text(f"[policies.tools.backup_table]\nexternal = true\ntimeout = {timeout}\n")
    return p


def later(monkeypatch, seconds: float) -> None:
    """The outside work took ``seconds``: the deadline check's clock moves on."""
    import time

    monkeypatch.setattr(external_deadlines, "clock", lambda: time.time() + seconds)


def _timed_out(e: RunFailed, what: str) -> None:
    d = e.diagnostic
    assert d.code.value == "AC316" and what in d.message and "3600" in d.message, d.render()


# ---------------------------------------------------------------- local
@pytest.mark.parametrize("took,late", [(600, False), (HOUR + 1, True)])
def test_local_external_node_deadline(took, late, tmp_path, monkeypatch):
    expected = native()
    monkeypatch.setenv("AGENTC_POLICY", str(node_policy(tmp_path)))
    db = tmp_path / "runs.db"
    out = agentc.run(REF, INPUT, db=db)
    assert out.status == "waiting" and out.interrupts[0]["value"]["timeout"] == HOUR
    later(monkeypatch, took)
    M.EXECUTED.clear()
    if not late:
        assert complete(out.run_id, "migrate", DONE, db=db).output == expected
        return
    with pytest.raises(RunFailed) as exc:
        complete(out.run_id, "migrate", DONE, db=db)
    _timed_out(exc.value, "node 'migrate'")
    assert M.EXECUTED == []  # the value was not used: drop_old never ran
    (row,) = [r for r in agentc.runs(db) if r["run_id"] == out.run_id]
    assert row["status"] == "failed"


def test_local_resume_after_the_deadline_fails_too(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTC_POLICY", str(node_policy(tmp_path)))
    db = tmp_path / "runs.db"
    out = agentc.run(REF, INPUT, db=db)
    later(monkeypatch, HOUR + 1)
    with pytest.raises(RunFailed) as exc:  # answered by interrupt id, as `agentc resume` does
        agentc.resume(out.run_id, {out.interrupts[0]["id"]: DONE}, db=db)
    _timed_out(exc.value, "node 'migrate'")


def test_local_external_tool_deadline(tmp_path, monkeypatch):
    tool_native()
    monkeypatch.setenv("AGENTC_POLICY", str(tool_policy(tmp_path)))
    db = tmp_path / "runs.db"
    D.EXECUTED.clear()
    out = agentc.run(TOOL_REF, ASK, db=db)
    (pending,) = out.interrupts
    later(monkeypatch, HOUR + 1)
    with pytest.raises(RunFailed) as exc:
        complete(out.run_id, pending["id"], TOOL_DONE, db=db)
    _timed_out(exc.value, "tool 'backup_table'")


# ---------------------------------------------------------------- Conductor simulator
@pytest.mark.parametrize("took,late", [(600, False), (HOUR + 1, True)])
def test_simulator_external_node_deadline(took, late, tmp_path, monkeypatch):
    expected = native()
    monkeypatch.setenv("AGENTC_POLICY", str(node_policy(tmp_path)))
    agentc.compile(REF, target="conductor").write(tmp_path / "c")
    sim = Simulation.of(tmp_path / "c")
    out = sim.start(INPUT)
    assert out.status == "waiting"  # the clock did not jump to the task's timeout
    sim = Simulation.load(sim.save(tmp_path / "paused.json"))
    sim.advance(took)  # the outside work takes this long (simulated time)
    M.EXECUTED.clear()
    if not late:
        assert external_tasks.complete(sim, "migrate", DONE).output == expected
        return
    with pytest.raises(RunFailed) as exc:
        external_tasks.complete(sim, "migrate", DONE)
    _timed_out(exc.value, "node 'migrate'")
    assert M.EXECUTED == []
    assert sim.sim.execution(sim.workflow_id)["status"] == "TIMED_OUT"


def test_simulator_external_tool_deadline(tmp_path, monkeypatch):
    tool_native()
    monkeypatch.setenv("AGENTC_POLICY", str(tool_policy(tmp_path)))
    agentc.compile(TOOL_REF, target="conductor").write(tmp_path / "c")
    sim = Simulation.of(tmp_path / "c")
    out = sim.start(ASK)
    assert out.status == "waiting"
    sim.advance(HOUR + 1)
    with pytest.raises(RunFailed) as exc:
        external_tasks.complete(sim, "backup_table", TOOL_DONE)
    _timed_out(exc.value, "tool 'backup_table'")
