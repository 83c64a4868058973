"""External agent tools (docs/policies.md "External completion"): ``[policies.tools.NAME]
external = true`` — the run pauses at the call holding no process, and the value supplied
with ``agentc complete`` is the tool's output the model reads. Compared with the SDK's own
``Runner.run`` of the same agent whose tool returns that value. Fixture: the database admin
(``fixtures/openai_agents/db_admin.py``), whose slow ``backup_table`` is done elsewhere;
``archive_rows`` runs beside it in the same response (its effect happens before the pause,
once)."""
from __future__ import annotations

import asyncio
from pathlib import Path

import agentc
from agentc.fixtures.openai_agents import db_admin as D
from agentc.targets.conductor.simulate import Simulation

REF = "agentc.fixtures.openai_agents.db_admin:agent"
ASK = "archive 10 rows of prod_logs, then backup prod_logs"
DONE = "backed up prod_logs to s3://backups/prod_logs (nightly job)"


def policy(tmp_path: Path) -> Path:
    p = tmp_path / "p.toml"
    p.write_text("[policies.tools.backup_table]\nexternal = true\ntimeout = 86400\n")
    return p


def native() -> dict:
    """Runner.run of the same agent whose backup_table returns DONE (as agentc reports a run)."""
    from agents import Runner, function_tool

    @function_tool(name_override="backup_table")
    async def backup_table(table: str) -> str:
        """Copy a table to the backup store (slow).

        Args:
            table: The table name.
        """
        return DONE

    agent = D.agent.clone(tools=[backup_table if t.name == "backup_table" else t for t in D.agent.tools])
    D.EXECUTED.clear()
    result = asyncio.run(Runner.run(agent, ASK))
    assert D.EXECUTED == ["archive prod_logs 10"]
    return {"final_output": result.final_output, "last_agent": result.last_agent.name}


def test_local_external_tool(tmp_path, monkeypatch):
    expected = native()
    monkeypatch.setenv("AGENTC_POLICY", str(policy(tmp_path)))
    D.EXECUTED.clear()
    out = agentc.run(REF, ASK, db=tmp_path / "runs.db")
    assert out.status == "waiting", out
    (pending,) = out.interrupts
    assert pending["value"]["kind"] == "external_completion" and pending["value"]["tool"] == "backup_table"
    assert pending["value"]["input"] == {"table": "prod_logs"} and pending["value"]["timeout"] == 86400
    assert D.EXECUTED == ["archive prod_logs 10"]  # the sibling ran before the pause; the backup never runs here
    from agentc.complete import complete

    done = complete(out.run_id, pending["id"], DONE, db=tmp_path / "runs.db")
    assert done.status == "done" and done.output == expected
    assert D.EXECUTED == ["archive prod_logs 10"]  # replayed, not run again


def test_conductor_external_tool(tmp_path, monkeypatch):
    from agentc.targets.conductor import external_tasks

    expected = native()
    monkeypatch.setenv("AGENTC_POLICY", str(policy(tmp_path)))
    agentc.compile(REF, target="conductor").write(tmp_path / "c")
    sim = Simulation.of(tmp_path / "c")
    D.EXECUTED.clear()
    out = sim.start(ASK)
    (pending,) = out.interrupts
    assert pending["value"]["tool"] == "backup_table" and pending["value"]["input"] == {"table": "prod_logs"}
    ext = [t for t in sim.sim.execution(sim.workflow_id)["tasks"] if t["taskType"].endswith("-_external")]
    assert [t["status"] for t in ext] == ["SCHEDULED"]  # no worker polls it
    done = external_tasks.complete(sim, "backup_table", DONE)
    assert done.output == expected and D.EXECUTED == ["archive prod_logs 10"]


def test_temporal_external_tool(temporal_address, tmp_path, monkeypatch):
    from agentc.targets.temporal import async_completion, engine

    expected = native()
    monkeypatch.setenv("AGENTC_POLICY", str(policy(tmp_path)))
    D.EXECUTED.clear()

    async def go():
        client = await engine.connect(temporal_address)
        async with engine.running_worker(client, engine.load(REF, tmp_path / "code"), None):
            out = await engine.start(REF, temporal_address, ASK, client=client)
            (pending,) = out.interrupts
            assert pending["value"]["tool"] == "backup_table" and pending["activity_id"]
            return await async_completion.complete(out.run_id, "backup_table", DONE, temporal_address, client=client)

    done = asyncio.run(go())
    assert done.output == expected and D.EXECUTED == ["archive prod_logs 10"]

