"""Warm agent runs (runtime_shims/agent_sessions.py, issue 11's linear cost): an engine's
steps continue the run's suspended ``Runner.run`` instead of replaying it from the first
turn, and give ``Runner.run``'s result whether the session is there or not."""
from __future__ import annotations

import asyncio
import os

import pytest
import scale_agents

import agentc
from agentc.runtime_shims import agent_sessions
from agentc.targets.conductor.simulate import Simulation


def native(agent) -> str:
    from agents import Runner

    return asyncio.run(Runner.run(agent, "go", max_turns=1000)).final_output


def simulate(agent, folder, serve_hook=None):
    agentc.compile(agent, "conductor").write(folder)
    sim = Simulation.of(folder, agent)
    if serve_hook is not None:
        inner = sim.sim._worker

        def serve(call):
            serve_hook(call)
            return inner(call)

        sim.sim._worker = serve
    before = dict(agent_sessions.STATS)
    out = sim.start("go", max_turns=1000)
    return out, {k: agent_sessions.STATS[k] - before[k] for k in before}, sim.workflow_id


def test_each_step_continues_the_run_instead_of_replaying_it(tmp_path):
    agent = scale_agents.reader(12, 512, name="Warm Reader")
    out, drives, wid = simulate(agent, str(tmp_path))
    assert out.output["final_output"] == native(agent)
    # 13 model steps and 12 tool steps: only the first drives the run from its start
    assert drives == {"cold": 1, "warm": 24}
    assert agent_sessions.held(wid) == 0  # the run ended: its session is gone


def test_without_warm_runs_every_step_replays(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTC_WARM_RUNS", "0")
    agent = scale_agents.reader(6, 512, name="Cold Reader")
    out, drives, _ = simulate(agent, str(tmp_path))
    assert out.output["final_output"] == native(agent)
    assert drives == {"cold": 13, "warm": 0}


def test_a_lost_session_is_replaced_by_a_replay_and_reading_the_agent_sees_the_users_objects(tmp_path):
    agent = scale_agents.reader(9, 512, name="Lossy Reader")
    at_rest = agentc.load(agent).model_dump(mode="json")
    seen = []

    def hook(call):
        seen.append(call.task_type)
        if len(seen) == 6:  # mid-run, while a session holds the agent wrapped for journaling
            assert agent_sessions.held(call.workflow_id) == 1
            from agentc.api import workflow_and_live

            wf, _ = workflow_and_live(agent)
            assert wf.model_dump(mode="json") == at_rest
            assert type(agent.model).__name__ == "JournaledModel"  # the wrapper is installed...
        if len(seen) % 5 == 0:  # ...and as if another worker (or a restart) took the run
            agent_sessions.close_all()

    out, drives, _ = simulate(agent, str(tmp_path), hook)
    assert out.output["final_output"] == native(agent)
    assert drives["cold"] == 1 + len(seen) // 5
    assert type(agent.model).__name__ == "FakeModel"  # every wrapper put back


def test_a_session_that_disagrees_with_the_journal_is_not_used(tmp_path):
    """A step whose journal lacks an entry the session reported (another worker's retry
    made that step again) drives from the journal."""
    session = agent_sessions.Session(("wf", "plan"))
    session.texts = {"model:a#0": "json:AAA"}
    assert session.agrees({"model:a#0": "json:AAA", "tool:x#0": "json:BBB"})
    assert not session.agrees({"model:a#0": "json:CCC"})
    assert not session.agrees({})
    session.close()


def test_temporal_steps_continue_the_run(temporal_address, tmp_path):
    from agentc.targets.temporal import engine

    agent = scale_agents.reader(6, 512, name="Temporal Warm Reader")

    async def go():
        client = await engine.connect(temporal_address)
        queue = f"warm-{os.getpid()}-{tmp_path.name[-8:]}"
        async with engine.running_worker(client, engine.load(agent, str(tmp_path / "code")), queue):
            before = dict(agent_sessions.STATS)
            out = await engine.start(agent, temporal_address, "go", client=client, task_queue=queue,
                                     run_id=queue, max_turns=1000)
            return out, {k: agent_sessions.STATS[k] - before[k] for k in before}

    out, drives = asyncio.run(go())
    assert out.output["final_output"] == native(agent)
    assert drives == {"cold": 1, "warm": 12}


@pytest.mark.parametrize("keep", ["2"])
def test_the_least_recently_used_sessions_are_closed_beyond_the_limit(keep, monkeypatch):
    monkeypatch.setenv("AGENTC_WARM_RUNS", keep)

    class Alive(agent_sessions.Session):
        closed = False

        @property
        def alive(self) -> bool:
            return not self.closed

        def close(self) -> None:
            self.closed = True
            super().close()

    made = [Alive((f"wf{i}",)) for i in range(4)]
    for s in made:
        agent_sessions.give_back(s)
    try:
        assert agent_sessions.count() == 2
        assert [s.closed for s in made] == [True, True, False, False]
    finally:
        agent_sessions.close_all()
    assert all(s.closed for s in made)
