"""A fan-out ``deadline`` with an external tool among the agent's parallel calls
(docs/policies.md "External completion"): the deadline bounds the calls agentc runs; the
wait for the outside work is bounded by the external tool's own ``timeout`` only. Fixture
``fixtures/openai_agents/nightly_ops.py``: ``backup_table`` (external) beside
``vacuum_table`` (run by agentc, ``$AGENTC_VACUUM_S`` seconds).

* the vacuum finishes in time, the backup is completed after the deadline has passed:
  the run equals ``Runner.run`` whose backup returns the completed value, on the three
  targets (Temporal: the workflow still waits, RUNNING, past the deadline — before, its
  timer cut the external wait short; the simulator: its clock moved past the deadline);
* the vacuum outlives the deadline: AC311 naming the agent on the three targets, the
  vacuum's effect never happens, nobody completes the backup."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

import agentc
from agentc.errors import RunFailed
from agentc.fixtures.openai_agents import nightly_ops as N
from agentc.targets.conductor.simulate import Simulation

REF = "agentc.fixtures.openai_agents.nightly_ops:agent"
ASK = "nightly ops for prod_logs"
DEADLINE = 1.0
SLOW_S = 40  # a vacuum that outlives the deadline; a run that waited for it would take 40 s


@pytest.fixture
def setup(tmp_path, monkeypatch):
    effects = tmp_path / "effects.txt"
    monkeypatch.setenv("AGENTC_EFFECTS_FILE", str(effects))
    p = tmp_path / "p.toml"
    p.write_text(
        "[policies.tools.backup_table]\nexternal = true\ntimeout = 600\n\n"
        f'[policies.fanouts."Nightly Ops"]\ndeadline = {DEADLINE}\n'
    )
    monkeypatch.setenv("AGENTC_POLICY", str(p))

    def read(after_s: float = 0.0) -> list[str]:
        """The effects, once ``after_s`` more seconds have passed (a bounded poll: a late
        vacuum that was not cancelled would show up meanwhile)."""
        end = time.monotonic() + after_s
        while time.monotonic() < end and not effects.exists():
            time.sleep(0.05)
        return effects.read_text().split() if effects.exists() else []

    return read


def native() -> dict:
    from agents import Runner

    result = asyncio.run(Runner.run(N.agent, ASK))
    return {"final_output": result.final_output, "last_agent": result.last_agent.name}


def test_local_deadline_does_not_bound_the_external_wait(setup, tmp_path):
    from agentc.complete import complete

    expected = native()
    (tmp_path / "effects.txt").unlink()
    out = agentc.run(REF, ASK, db=tmp_path / "runs.db")  # AC200 at load before
    assert out.status == "waiting" and out.interrupts[0]["value"]["tool"] == "backup_table"
    assert setup() == ["vacuum"]  # the sibling ran, in time, before the pause
    done = complete(out.run_id, "backup_table", N.BACKUP_DONE, db=tmp_path / "runs.db")
    assert done.status == "done" and done.output == expected and setup() == ["vacuum"]


def test_local_deadline_bounds_the_calls_agentc_runs(setup, tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTC_VACUUM_S", str(SLOW_S))
    t = time.monotonic()
    with pytest.raises(RunFailed) as exc:
        agentc.run(REF, ASK, db=tmp_path / "runs.db")
    d = exc.value.diagnostic
    assert d.code.value == "AC311" and "Nightly Ops" in d.message, d.render()
    assert time.monotonic() - t < SLOW_S / 2 and setup(0.5) == []


def test_conductor_deadline_does_not_bound_the_external_wait(setup, tmp_path):
    from agentc.targets.conductor import external_tasks

    expected = native()
    (tmp_path / "effects.txt").unlink()
    agentc.compile(REF, target="conductor").write(tmp_path / "c")
    sim = Simulation.of(tmp_path / "c")
    out = sim.start(ASK)
    assert out.interrupts[0]["value"]["tool"] == "backup_table" and setup() == ["vacuum"]
    sim.advance(DEADLINE * 30)  # the outside work takes longer than the deadline
    assert sim.sim.execution(sim.workflow_id)["status"] == "RUNNING"
    done = external_tasks.complete(sim, "backup_table", N.BACKUP_DONE)
    assert done.output == expected and setup() == ["vacuum"]


def test_conductor_deadline_bounds_the_calls_agentc_runs(setup, tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTC_VACUUM_S", str(SLOW_S))
    agentc.compile(REF, target="conductor").write(tmp_path / "c")
    sim = Simulation.of(tmp_path / "c")
    t = time.monotonic()
    with pytest.raises(RunFailed) as exc:
        sim.start(ASK)
    d = exc.value.diagnostic
    assert "AC311" in d.render() and "Nightly Ops" in d.render(), d.render()
    assert time.monotonic() - t < SLOW_S / 2 and setup(0.5) == []


async def _temporal(address, code, *, complete_after: float | None):
    """Start the run; with ``complete_after``, check the workflow still waits (RUNNING, the
    external call pending) until that many seconds have passed, then complete the backup."""
    from temporalio.client import WorkflowExecutionStatus

    from agentc.targets.temporal import async_completion, engine

    client = await engine.connect(address)
    queue = f"ext-fanout-{uuid.uuid4().hex[:8]}"  # its own queue: other tests serve REF too
    async with engine.running_worker(client, engine.load(REF, code), queue):
        out = await engine.start(REF, address, ASK, client=client, task_queue=queue)
        assert out.interrupts[0]["value"]["tool"] == "backup_table", out
        end = time.monotonic() + complete_after
        handle = client.get_workflow_handle(out.run_id)
        while time.monotonic() < end:  # a bounded poll past the deadline, not a blind sleep
            assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
            await asyncio.sleep(0.2)
        return await async_completion.complete(
            out.run_id, "backup_table", N.BACKUP_DONE, address, client=client
        )


def test_temporal_deadline_does_not_bound_the_external_wait(setup, temporal_address, tmp_path):
    expected = native()
    (tmp_path / "effects.txt").unlink()
    done = asyncio.run(_temporal(temporal_address, tmp_path / "code", complete_after=DEADLINE * 2.5))
    assert done.output == expected and setup() == ["vacuum"]


def test_temporal_deadline_bounds_the_calls_agentc_runs(setup, temporal_address, tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTC_VACUUM_S", str(SLOW_S))
    t = time.monotonic()
    with pytest.raises(RunFailed) as exc:
        asyncio.run(_temporal(temporal_address, tmp_path / "code", complete_after=0))
    d = exc.value.diagnostic
    assert "AC311" in d.render() and "Nightly Ops" in d.render(), d.render()
    assert time.monotonic() - t < SLOW_S / 2 and setup(0.5) == []
