"""``at_most_once`` effects on the engines (docs/effects.md, "at_most_once on the engines"):
a lost attempt of an at_most_once node or tool is not called again — the run waits for a
human with AC305 naming the effect and its key, the ledger shows the call ``started`` —
and after ``agentc effects RUN_ID --forget KEY --engine ...`` the next attempt calls it and
the run completes with the native result (``graph.invoke`` / ``Runner.run``). A failure of
the user's code is terminal (no RetryPolicy / agent-step retry), as on the local target.

The service (tests/booking_service.py) records every request: before the human's decision
``/charges`` reached it once; after ``--forget`` the new attempt sends the same key, so the
service answers from its stored response (no second charge)."""
from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import agentc
from agentc.cli import main
from agentc.targets.conductor.simulate import Simulation
from booking_service import serving
from lost_answers import lose_once

SAGA = "agentc.fixtures.langgraph.booking_saga:graph"
AGENT = "agentc.fixtures.openai_agents.booking_saga:agent"
INPUT = {"trip": "t", "hotel": "ok", "amount": 5}
AGENT_INPUT = "book trip t hotel ok amount 5"
# the flight and the hotel can be undone; the charge must never happen twice
POLICY = """[tool.agentc.effects.reserve_flight]
class = "compensable"
compensator = "agentc.fixtures.langgraph.booking_saga:release_flight"

[tool.agentc.effects.reserve_hotel]
class = "compensable"
compensator = "agentc.fixtures.langgraph.booking_saga:cancel_hotel"

[tool.agentc.effects]
charge_card = "at_most_once"
"""
AGENT_POLICY = '[tool.agentc.effects]\ncharge_card = "at_most_once"\n'


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def cli_process(*args: str) -> Any:
    """``agentc`` in a process of its own: its Temporal commands leave with ``os._exit``."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "agentc.cli", *args], capture_output=True, text=True, timeout=120)
    done.exit_code, done.output = done.returncode, done.stdout + done.stderr  # type: ignore[attr-defined]
    return done


@pytest.fixture
def svc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    with serving(monkeypatch, tmp_path, POLICY) as s:  # the policy the compile and the workers read
        yield s


def _native_graph(svc: Any) -> Any:
    from agentc.fixtures.langgraph.booking_saga import graph

    out = graph.invoke(INPUT)
    svc.reset()
    return out


def _native_agent(svc: Any) -> Any:
    from agents import Runner

    from agentc.fixtures.openai_agents.booking_saga import agent

    out = Runner.run_sync(agent, AGENT_INPUT).final_output
    svc.reset()
    return out


def _charges(svc: Any) -> list[bool]:
    """Each request ``/charges`` received: was it answered from the stored response?"""
    return [r.replayed for r in svc.requests if r.path == "/charges"]


def _ledger(run_id: str, *engine: str) -> dict[str, tuple[str, str | None]]:
    res = cli("effects", run_id, "--json", *engine)
    assert res.exit_code == 0, res.output
    return {r["name"]: (r["status"], r["error"]) for r in json.loads(res.output)}


# ---------------------------------------------------------------- Conductor (the simulator)
@pytest.mark.parametrize("ref", [SAGA, AGENT])
def test_conductor_lost_attempt_waits_for_a_human_then_forget_completes(svc: Any, tmp_path: Path, ref: str) -> None:
    if ref == AGENT:
        (tmp_path / "pyproject.toml").write_text(AGENT_POLICY)
    native = _native_graph(svc) if ref == SAGA else _native_agent(svc)
    out = tmp_path / "cond"
    agentc.compile(ref, target="conductor").write(out)
    sim = Simulation.of(out)
    lost = lose_once(sim, "charge_card")
    with pytest.raises(agentc.AgentcError) as err:
        sim.start(INPUT if ref == SAGA else AGENT_INPUT)
    assert lost and err.value.code.value == "AC305", err.value
    key = next(k for p, k in svc.effects() if p == "/charges")
    assert key in str(err.value) and "charge_card" in str(err.value)
    assert f"--forget {key} --engine conductor" in err.value.diagnostic.hint
    assert _charges(svc) == [False]  # the retry did not call again
    assert "/flights/release" not in svc.paths()  # waiting for a human, not compensated
    states = tmp_path / "sims"
    sim.save(states / f"{sim.run_id}.json")
    engine = ("--engine", "conductor", "--state-dir", str(states))
    assert _ledger(sim.run_id, *engine)["charge_card"] == ("started", None)

    again = cli("simulate", "--resume", sim.run_id, "--state-dir", str(states))
    assert again.exit_code == 1 and "AC305" in again.output, again.output  # no decision yet: still waiting
    assert _charges(svc) == [False]
    res = cli("effects", sim.run_id, "--forget", key, *engine)
    assert res.exit_code == 0, res.output
    assert _ledger(sim.run_id, *engine)["charge_card"] == ("failed", "forgotten by a human")
    done = cli("simulate", "--resume", sim.run_id, "--state-dir", str(states))
    assert done.exit_code == 0, done.output
    printed = json.loads(done.output)
    assert (printed if ref == SAGA else printed["final_output"]) == native
    assert _charges(svc) == [False, True]  # called again, with the same key
    assert _ledger(sim.run_id, *engine)["charge_card"] == ("done", None)
    twice = cli("effects", sim.run_id, "--forget", key, *engine)
    assert twice.exit_code == 2 and "AC120" in twice.output


def test_conductor_forget_is_used_once(svc: Any, tmp_path: Path) -> None:
    """The attempt a human allowed is lost too: Conductor's next retry is a new task, which
    does not call again — the human decides anew."""
    out = tmp_path / "cond"
    agentc.compile(SAGA, target="conductor").write(out)
    sim = Simulation.of(out)
    lose_once(sim, "charge_card")
    with pytest.raises(agentc.AgentcError, match="AC305"):
        sim.start(INPUT)
    key = next(k for p, k in svc.effects() if p == "/charges")
    from agentc.targets.conductor import at_most_once
    from agentc.targets.conductor.emulator.simulator import TaskResult

    at_most_once.forget(sim, key)
    serve_task = sim._serve  # noqa: SLF001

    def lost_again(call: Any) -> Any:
        serve_task(call)
        return TaskResult("FAILED", {}, "worker lost")

    sim._serve = lost_again  # the re-polled attempt's answer is lost
    sim.sim._worker = serve_task  # noqa: SLF001 - Conductor's retry of it is served normally
    with pytest.raises(agentc.AgentcError, match="AC305"):
        sim.resume()
    assert _charges(svc) == [False, True]
    assert not sim.forgotten


def test_conductor_at_most_once_user_failure_is_not_retried(svc: Any, tmp_path: Path) -> None:
    """An at_most_once node that raises: its RetryPolicy does not apply (as locally)."""
    out = tmp_path / "cond"
    agentc.compile("amo_flaky:graph", target="conductor").write(out)
    import amo_flaky

    amo_flaky.CALLS.clear()
    with pytest.raises(agentc.AgentcError, match="AC300"):
        Simulation.of(out).start({"x": 1})
    assert amo_flaky.CALLS == [1]


# ---------------------------------------------------------------- Temporal (the dev server)
def test_temporal_worker_killed_mid_charge_waits_for_a_human_then_forget_completes(
        svc: Any, temporal_address: str, tmp_path: Path) -> None:
    """A worker PROCESS is SIGKILLed right after the service charged; Temporal retries the
    activity on a new worker process, which does not call again: the run waits (AC305);
    ``--forget`` then ``agentc resume`` calls it again and the run completes."""
    from test_temporal_durability import DEADLINE_S, WorkerProcs

    from agentc.targets.temporal import engine

    native = _native_graph(svc)
    ref = "effects_temporal_kill:graph"
    mark = tmp_path / "killed"
    procs = WorkerProcs(tmp_path, temporal_address, f"amo-{uuid.uuid4().hex[:8]}", tmp_path / "log", ref=ref,
                        env={"AGENTC_KILL_AFTER": "/charges", "AGENTC_KILL_MARK": str(mark)})
    run_id = f"amo-{uuid.uuid4().hex[:8]}"
    addr = ("--engine", "temporal", "--address", temporal_address)

    async def go() -> Any:
        client = await engine.connect(temporal_address)
        first = procs.spawn()
        run = asyncio.ensure_future(engine.start(ref, temporal_address, INPUT, task_queue=procs.queue, client=client,
                                                 run_id=run_id, options={"activity_timeout_s": 3}))
        t0 = asyncio.get_running_loop().time()
        while not mark.exists():
            assert asyncio.get_running_loop().time() - t0 < DEADLINE_S, procs.output()
            await asyncio.sleep(0.05)
        first.wait(timeout=30)
        assert first.returncode == -9
        procs.spawn()
        with pytest.raises(agentc.AgentcError) as err:
            await asyncio.wait_for(run, DEADLINE_S)
        return err.value

    try:
        err = asyncio.run(go())
        assert err.code.value == "AC305", err
        key = next(k for p, k in svc.effects() if p == "/charges")
        assert key in str(err) and f"--forget {key} --engine temporal" in err.diagnostic.hint
        assert _charges(svc) == [False]  # the retried activity did not call again
        assert _ledger(run_id, *addr)["charge_card"] == ("started", None)
        again = cli_process("resume", run_id, *addr)
        assert again.exit_code == 1 and "AC305" in again.output, again.output  # no decision: still waiting
        assert _charges(svc) == [False]
        res = cli_process("effects", run_id, "--forget", key, *addr)
        assert res.exit_code == 0, res.output
        assert _ledger(run_id, *addr)["charge_card"] == ("failed", "forgotten by a human")
        done = cli_process("resume", run_id, *addr)
        assert done.exit_code == 0, done.output + procs.output()
        assert json.loads(done.stdout) == native
        assert _charges(svc) == [False, True]
        assert _ledger(run_id, *addr)["charge_card"] == ("done", None)
    finally:
        procs.close()


def test_temporal_agent_tool_lost_attempt_waits_then_forget_completes(svc: Any, temporal_address: str,
                                                                      tmp_path: Path) -> None:
    """The answer of an at_most_once tool's activity is lost after the service charged
    (attempt 1 fails as a dying worker's would): attempt 2 does not call again."""
    from temporalio import activity

    from agentc.targets.temporal import engine

    (tmp_path / "pyproject.toml").write_text(AGENT_POLICY)
    native = _native_agent(svc)
    run_id = f"amo-{uuid.uuid4().hex[:8]}"

    async def go() -> Any:
        client = await engine.connect(temporal_address)
        loaded = engine.load(AGENT)
        from agentc.runtime_shims.temporal_saga import COMPENSATE

        # activities_for's order (the flight and the hotel are compensable: a saga)
        names = [*sorted(loaded["worker"].layout.task_kinds), COMPENSATE]
        assert len(names) == len(loaded["activities"])
        lost: list[str] = []

        def make(fn: Any, name: str) -> Any:
            @activity.defn(name=name)
            def run(payload: dict) -> Any:
                out = fn(payload)
                if name.endswith("charge_card") and not lost:
                    lost.append(name)
                    raise RuntimeError("worker lost before reporting")
                return out
            return run

        loaded = {**loaded, "activities": [make(fn, n) for fn, n in zip(loaded["activities"], names)]}
        q = f"amo-{uuid.uuid4().hex[:8]}"
        async with engine.running_worker(client, loaded, q):
            with pytest.raises(agentc.AgentcError) as err:
                await asyncio.wait_for(engine.start(AGENT, temporal_address, AGENT_INPUT, client=client,
                                                    task_queue=q, run_id=run_id), 60)
            assert lost and err.value.code.value == "AC305", err.value
            key = next(k for p, k in svc.effects() if p == "/charges")
            assert _charges(svc) == [False]
            from agentc.targets.temporal.effects import forget

            await forget(run_id, key, temporal_address, client=client)
            return await asyncio.wait_for(engine.resume(run_id, temporal_address, client=client), 60)

    out = asyncio.run(go())
    assert out.status == "done" and out.output["final_output"] == native
    assert _charges(svc) == [False, True]


def test_temporal_at_most_once_user_failure_is_not_retried(svc: Any, temporal_address: str) -> None:
    from agentc.targets.temporal import engine

    import amo_flaky

    amo_flaky.CALLS.clear()

    async def go() -> Any:
        client = await engine.connect(temporal_address)
        loaded = engine.load("amo_flaky:graph")
        q = f"amo-{uuid.uuid4().hex[:8]}"
        async with engine.running_worker(client, loaded, q):
            with pytest.raises(agentc.AgentcError) as err:
                await asyncio.wait_for(engine.start("amo_flaky:graph", temporal_address, {"x": 1}, client=client,
                                                    task_queue=q), 60)
        return err.value

    err = asyncio.run(go())
    assert err.code.value == "AC300" and amo_flaky.CALLS == [1]
