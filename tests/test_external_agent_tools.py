"""External agents used as tools (docs/policies.md "External completion"): an
``Agent.as_tool(...)`` marked ``external = true`` is not run by agentc (its nested run never
starts: no child workflow, no nested model call); the outer run pauses at the call and the
value completed from outside is the tool's output — what ``Runner.run`` gives the outer
model when the nested agent's final output is that value. Compared with ``Runner.run`` of
the expense desk whose cashier's model says DONE: the same final output and, locally, the
same outer model requests (the outer trajectory, by the fake model's request digests)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import agentc
from agentc.fixtures.openai_agents import expense_desk as E
from agentc.fixtures.openai_agents.fake_model import ALWAYS, FakeModel, Rule, recording, say
from agentc.targets.conductor.simulate import Simulation

REF = "agentc.fixtures.openai_agents.expense_desk:agent"
ASK = "Pay invoice of 40 EUR to Acme."
DONE = "Done: paid 40 EUR to Acme by the finance team."


def policy(tmp_path: Path) -> Path:
    p = tmp_path / "p.toml"
    p.write_text("[policies.tools.cashier]\nexternal = true\ntimeout = 86400\n")
    return p


def native() -> tuple[dict, list[str]]:
    """Runner.run of the expense desk whose cashier's model answers DONE: its output and
    the digests of the outer agent's model requests."""
    from agents import Runner

    cashier = E.cashier.clone(model=FakeModel("Cashier", [Rule("done", ALWAYS, lambda r: [say(DONE)])]))
    tool = cashier.as_tool(tool_name="cashier", tool_description="Pays one invoice.")
    agent = E.agent.clone(tools=[tool])
    with recording() as log:
        result = asyncio.run(Runner.run(agent, ASK))
    outer = [c["digest"] for c in log.calls if c["agent"] == "Expense Desk"]
    return {"final_output": result.final_output, "last_agent": result.last_agent.name}, outer


def test_local_external_agent_tool(tmp_path, monkeypatch):
    expected, outer = native()
    assert expected["final_output"] == f"Cashier says: {DONE}"
    monkeypatch.setenv("AGENTC_POLICY", str(policy(tmp_path)))
    from agentc.complete import complete

    with recording() as log:
        out = agentc.run(REF, ASK, db=tmp_path / "runs.db")
        assert out.status == "waiting", out
        (pending,) = out.interrupts
        q = pending["value"]
        assert q["kind"] == "external_completion" and q["tool"] == "cashier" and q["agent"] == "Expense Desk"
        assert q["input"] == {"input": "Pay invoice of 40 EUR to Acme."}
        done = complete(out.run_id, "cashier", DONE, db=tmp_path / "runs.db")
    assert done.status == "done" and done.output == expected
    assert [c["agent"] for c in log.calls] == ["Expense Desk"] * 2  # the cashier never ran
    assert [c["digest"] for c in log.calls] == outer  # the outer trajectory of Runner.run


def test_conductor_external_agent_tool(tmp_path, monkeypatch):
    from agentc.targets.conductor import external_tasks

    expected, _ = native()
    monkeypatch.setenv("AGENTC_POLICY", str(policy(tmp_path)))
    agentc.compile(REF, target="conductor").write(tmp_path / "c")
    sim = Simulation.of(tmp_path / "c")
    out = sim.start(ASK)
    (pending,) = out.interrupts
    assert pending["value"]["tool"] == "cashier" and pending["value"]["input"] == {"input": ASK}
    tasks = sim.sim.execution(sim.workflow_id)["tasks"]
    ext = [t for t in tasks if t["taskType"].endswith("-_external")]
    assert [t["status"] for t in ext] == ["SCHEDULED"]  # no worker polls it
    assert not [t for t in tasks if t["taskType"] == "SUB_WORKFLOW"]  # no nested run
    done = external_tasks.complete(sim, "cashier", DONE)
    assert done.output == expected


def test_temporal_external_agent_tool(temporal_address, tmp_path, monkeypatch):
    from agentc.targets.temporal import async_completion, engine

    expected, _ = native()
    monkeypatch.setenv("AGENTC_POLICY", str(policy(tmp_path)))

    async def go():
        client = await engine.connect(temporal_address)
        async with engine.running_worker(client, engine.load(REF, tmp_path / "code"), None):
            out = await engine.start(REF, temporal_address, ASK, client=client)
            (pending,) = out.interrupts
            assert pending["value"]["tool"] == "cashier" and pending["activity_id"]
            return await async_completion.complete(out.run_id, "cashier", DONE, temporal_address, client=client)

    done = asyncio.run(go())
    assert done.output == expected


def _timed_out(e, timeout: int) -> None:
    d = e.diagnostic
    assert d.code.value == "AC316" and "tool 'cashier'" in d.message and str(timeout) in d.message, d.render()


def test_an_external_agent_tools_timeout_bounds_the_outside_wait(tmp_path, monkeypatch):
    """The policy ``timeout`` of an external agent tool (refused for an agent tool agentc
    runs: AC200) bounds the outside wait, as a function tool's: AC316 locally (the deadline
    check's clock past it) and in the simulator (its clock past it)."""
    import time

    import pytest

    from agentc.complete import complete
    from agentc.errors import RunFailed
    from agentc.targets.conductor import external_tasks
    from agentc.targets.local import external_deadlines

    monkeypatch.setenv("AGENTC_POLICY", str(policy(tmp_path)))
    out = agentc.run(REF, ASK, db=tmp_path / "runs.db")
    monkeypatch.setattr(external_deadlines, "clock", lambda: time.time() + 86401)
    with pytest.raises(RunFailed) as exc:
        complete(out.run_id, "cashier", DONE, db=tmp_path / "runs.db")
    _timed_out(exc.value, 86400)
    agentc.compile(REF, target="conductor").write(tmp_path / "c")
    sim = Simulation.of(tmp_path / "c")
    assert sim.start(ASK).status == "waiting"
    sim.advance(86401)
    with pytest.raises(RunFailed) as exc:
        external_tasks.complete(sim, "cashier", DONE)
    _timed_out(exc.value, 86400)
