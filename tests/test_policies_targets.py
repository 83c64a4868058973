"""The policy file enforced the same on Conductor (simulator, with agentc's step worker)
and Temporal (the dev server) as on the local executor: the database-admin agent
(fixtures/openai_agents/db_admin.py + fixtures/policies/db_admin.toml) pauses for the
same approvals, never runs the denied tool, and ends with what ``Runner.run`` gives with
the rules written in SDK code (tests/test_policies.py ``run_native``)."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import openai_agents_oracle as O
from test_policies import ASK, DB_ADMIN, DECISIONS, POLICY, approvals_for, run_native, write

import agentc
from agentc.fixtures.openai_agents import db_admin
from agentc.fixtures.openai_agents.fake_model import recording
from agentc.targets.conductor.simulate import Simulation


def run_conductor(ask: str, decide, folder: Path) -> dict:
    agentc.compile(DB_ADMIN, target="conductor").write(folder)
    db_admin.EXECUTED.clear()
    sim = Simulation.of(folder)
    pauses = []
    with recording() as log:
        out = sim.start(ask)
        while out.status == "waiting":
            pauses.append(sorted(p["tool"] for p in out.interrupts))
            sim = Simulation.load(sim.save(folder / "paused.json"))  # the pause survives the process
            out = sim.resume(approvals_for(out.interrupts, decide))
    return {"final_output": out.output["final_output"], "model_calls": O.model_calls(log),
            "executed": sorted(db_admin.EXECUTED), "pauses": pauses}


async def run_temporal(ask: str, decide, address: str, code: Path) -> dict:
    from agentc.targets.temporal import engine

    client = await engine.connect(address)
    loaded = engine.load(DB_ADMIN, code)
    db_admin.EXECUTED.clear()
    pauses = []
    with recording() as log:
        async with engine.running_worker(client, loaded, None):
            out = await engine.start(DB_ADMIN, address, ask, client=client)
            while out.status == "waiting":
                pauses.append(sorted(p["tool"] for p in out.interrupts))
                out = await engine.resume(out.run_id, address, approvals_for(out.interrupts, decide), client=client)
    return {"final_output": out.output["final_output"], "model_calls": O.model_calls(log),
            "executed": sorted(db_admin.EXECUTED), "pauses": pauses}


@pytest.mark.parametrize("name", sorted(DECISIONS))
def test_conductor_db_admin_equals_runner_run_with_rules_in_code(name, tmp_path, monkeypatch):
    native = run_native(ASK, DECISIONS[name])
    monkeypatch.setenv("AGENTC_POLICY", str(POLICY))
    got = run_conductor(ASK, DECISIONS[name], tmp_path)
    assert got == native
    assert not any(e.startswith("drop") for e in got["executed"])


def test_conductor_on_deny_fail_is_a_terminal_failure(tmp_path, monkeypatch):
    text = POLICY.read_text().replace('on_deny = "refuse"', 'on_deny = "fail"')
    monkeypatch.setenv("AGENTC_POLICY", str(write(tmp_path, text)))
    agentc.compile(DB_ADMIN, target="conductor").write(tmp_path / "c")
    db_admin.EXECUTED.clear()
    with pytest.raises(agentc.errors.RunFailed) as exc:
        Simulation.of(tmp_path / "c").start("drop staging_tmp")
    assert "AC310" in exc.value.diagnostic.render() and "drop_table" in exc.value.diagnostic.render()
    assert db_admin.EXECUTED == []


@pytest.mark.parametrize("name", ["approve_all", "reject_delete"])
def test_temporal_db_admin_equals_runner_run_with_rules_in_code(name, temporal_address, tmp_path, monkeypatch):
    native = run_native(ASK, DECISIONS[name])
    monkeypatch.setenv("AGENTC_POLICY", str(POLICY))
    got = asyncio.run(run_temporal(ASK, DECISIONS[name], temporal_address, tmp_path / "code"))
    assert got == native
    assert not any(e.startswith("drop") for e in got["executed"])


def test_plan_id_changes_with_the_policy(tmp_path, monkeypatch):
    """A worker with another policy refuses the workflow's steps (AC122), as for changed code."""
    from agentc.plan.agents import agent_layout

    plain = agent_layout(agentc.load(DB_ADMIN)).plan_id
    monkeypatch.setenv("AGENTC_POLICY", str(POLICY))
    policed = agent_layout(agentc.load(DB_ADMIN)).plan_id
    assert plain != policed
