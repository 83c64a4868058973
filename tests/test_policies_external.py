"""External completion of a long-running node (docs/policies.md "External completion"):
``external = true`` pauses the run with the node's input — no process held — and
``agentc complete RUN_ID NODE --value JSON`` supplies the node's return value. Compared
with ``graph.invoke`` of the same graph whose node is ``interrupt()`` returning its answer;
the node's own function never runs. Local (CLI, as a user would), Conductor simulator and
Temporal (answered by the interrupt id, as their resume does)."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path


import agentc
from agentc.fixtures.langgraph import db_migration as M
from agentc.targets.conductor.simulate import Simulation

REF = "agentc.fixtures.langgraph.db_migration:graph"
DONE = {"log": ["migrated 90000 rows by the nightly batch"]}
INPUT = {"env": "dev", "table": "events"}


def policy(tmp_path: Path) -> Path:
    p = tmp_path / "p.toml"
    p.write_text("[policies.nodes.migrate]\nexternal = true\n")
    return p


def native() -> dict:
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import Command, interrupt

    b = StateGraph(M.State)
    for name, fn in (("plan", M.plan), ("migrate", lambda s: interrupt("done?")), ("drop_old", M.drop_old),
                     ("report", M.report)):
        b.add_node(name, fn)
    b.add_edge(START, "plan"), b.add_edge("plan", "migrate"), b.add_edge("migrate", "drop_old")
    b.add_edge("drop_old", "report"), b.add_edge("report", END)
    g = b.compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "t"}}
    g.invoke(INPUT, cfg)
    return g.invoke(Command(resume=DONE), cfg)


def cli(*args, cwd, env):
    import os

    return subprocess.run([sys.executable, "-m", "agentc.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **env})


def test_local_complete_from_the_cli(tmp_path):
    env = {"AGENTC_POLICY": str(policy(tmp_path)), "AGENTC_DB": str(tmp_path / "runs.db")}
    r = cli("run", REF, "--input", json.dumps(INPUT), cwd=tmp_path, env=env)
    assert r.returncode == 3, r.stderr
    out = json.loads(r.stdout)
    (pending,) = out["interrupts"]
    assert pending["value"]["kind"] == "external_completion" and pending["value"]["input"]["rows"] == 90000
    r = cli("complete", out["run_id"], "drop_old", "--value", "{}", cwd=tmp_path, env=env)
    assert r.returncode == 2 and "AC112" in r.stderr and "migrate" in r.stderr, r.stderr
    r = cli("complete", out["run_id"], "migrate", "--value", json.dumps(DONE), cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == native()
    assert "migrate events" not in r.stderr


def test_local_node_body_never_runs(tmp_path, monkeypatch):
    expected = native()
    monkeypatch.setenv("AGENTC_POLICY", str(policy(tmp_path)))
    M.EXECUTED.clear()
    out = agentc.run(REF, INPUT, db=tmp_path / "runs.db")
    from agentc.complete import complete

    done = complete(out.run_id, "migrate", DONE, db=tmp_path / "runs.db")
    assert done.output == expected and M.EXECUTED == ["drop events_old"]  # migrate's body never ran


def test_conductor_external_node(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTC_POLICY", str(policy(tmp_path)))
    agentc.compile(REF, target="conductor").write(tmp_path / "c")
    sim = Simulation.of(tmp_path / "c")
    out = sim.start(INPUT)
    (pending,) = out.interrupts
    assert pending["value"]["kind"] == "external_completion"
    assert sim.resume({pending["id"]: DONE}).output == native()


def test_temporal_external_node(temporal_address, tmp_path, monkeypatch):
    from agentc.targets.temporal import engine

    monkeypatch.setenv("AGENTC_POLICY", str(policy(tmp_path)))

    async def go():
        client = await engine.connect(temporal_address)
        async with engine.running_worker(client, engine.load(REF, tmp_path / "code"), None):
            out = await engine.start(REF, temporal_address, INPUT, client=client)
            (pending,) = out.interrupts
            assert pending["value"]["kind"] == "external_completion"
            return (await engine.resume(out.run_id, temporal_address, {pending["id"]: DONE}, client=client)).output

    assert asyncio.run(go()) == native()


# ---------------------------------------------------------------- native async completion (Temporal)
def timed_policy(tmp_path: Path, timeout: float | None) -> Path:
    p = tmp_path / "p.toml"
    p.write_text("[policies.nodes.migrate]\nexternal = true\n" + (f"timeout = {timeout}\n" if timeout else ""))
    return p


def test_temporal_external_node_is_an_async_activity(temporal_address, tmp_path, monkeypatch):
    """The pause is an activity completed asynchronously by its id (no signal), holding no
    worker slot; `agentc complete --engine temporal` gives the node's return value."""
    from agentc.targets.temporal import async_completion, engine

    expected = native()
    monkeypatch.setenv("AGENTC_POLICY", str(policy(tmp_path)))
    M.EXECUTED.clear()

    async def go():
        client = await engine.connect(temporal_address)
        async with engine.running_worker(client, engine.load(REF, tmp_path / "code"), None):
            out = await engine.start(REF, temporal_address, INPUT, client=client)
            (pending,) = out.interrupts
            assert pending["value"]["kind"] == "external_completion" and pending["activity_id"]
            desc = await client.get_workflow_handle(out.run_id).describe()
            (act,) = desc.raw_description.pending_activities
            assert act.activity_type.name == "agentc-external" and act.activity_id == pending["activity_id"]
            done = await async_completion.complete(out.run_id, "migrate", DONE, temporal_address, client=client)
            history = [e.event_type for e in (await client.get_workflow_handle(out.run_id).fetch_history()).events]
            return done, history

    done, history = asyncio.run(go())
    from temporalio.api.enums.v1 import EventType

    assert done.output == expected and M.EXECUTED == ["drop events_old"]  # migrate's body never ran
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED not in history  # completed, not signalled


# ---------------------------------------------------------------- Conductor: a task no worker polls
def test_conductor_external_node_is_a_task_update(tmp_path, monkeypatch):
    """The pause is a SIMPLE task of an ``-_external`` type that no worker polls (it stays
    SCHEDULED, not a HUMAN task); `complete` posts its result as `POST /api/tasks` would."""
    import json as _json

    from agentc.targets.conductor import external_tasks

    expected = native()
    monkeypatch.setenv("AGENTC_POLICY", str(policy(tmp_path)))
    agentc.compile(REF, target="conductor").write(tmp_path / "c")
    defs = {d["name"]: d for d in _json.loads((tmp_path / "c" / "taskdefs.json").read_text())}
    (ext,) = [n for n in defs if n.endswith("-_external")]
    assert defs[ext]["retryCount"] == 0
    sim = Simulation.of(tmp_path / "c")
    out = sim.start(INPUT)
    (pending,) = out.interrupts
    assert pending["value"]["kind"] == "external_completion" and pending["value"]["input"]["rows"] == 90000
    tasks = sim.sim.execution(sim.workflow_id)["tasks"]
    waiting = [t for t in tasks if t["taskType"] == ext]
    assert [t["status"] for t in waiting] == ["SCHEDULED"] and waiting[0]["pollCount"] == 0  # nobody polled it
    assert not [t for t in tasks if t["taskType"] == "HUMAN"]
    M.EXECUTED.clear()
    done = external_tasks.complete(sim, "migrate", DONE)
    assert done.output == expected and M.EXECUTED == ["drop events_old"]


def test_conductor_external_node_after_an_approval_predicate(tmp_path, monkeypatch):
    """An approval predicate that does not hold moves the external pause to the first slot:
    the slot's SWITCH on the pause's kind still makes it the external task."""
    expected = native()
    p = tmp_path / "p.toml"
    p.write_text("[policies.nodes.migrate]\nexternal = true\nrequire_approval = 'state.rows > 10000000'\n")
    monkeypatch.setenv("AGENTC_POLICY", str(p))
    agentc.compile(REF, target="conductor").write(tmp_path / "c")
    sim = Simulation.of(tmp_path / "c")
    (pending,) = sim.start(INPUT).interrupts
    assert pending["value"]["kind"] == "external_completion"
    from agentc.targets.conductor import external_tasks

    assert external_tasks.complete(sim, "migrate", DONE).output == expected
