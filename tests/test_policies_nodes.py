"""Node policies on a LangGraph graph (fixtures/langgraph/db_migration.py +
fixtures/policies/db_migration.toml) on the three targets: ``require_approval`` with a
predicate over the node's input is a durable pause before the node (answered by
``agentc resume``), ``deny`` fails the run before the node runs. Compared with
``graph.invoke`` on the same graph with the rules written by hand in the node (an
``interrupt()`` first, a raise when denied): same final state, same pauses, and the
guarded side effects happen exactly when the oracle's do."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import agentc
from agentc.fixtures.langgraph import db_migration as M
from agentc.targets.conductor.simulate import Simulation

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "fixtures" / "policies" / "db_migration.toml"
REF = "agentc.fixtures.langgraph.db_migration:graph"

CASES = {  # input, approval answer, expected outcome
    "small_dev": ({"env": "dev", "table": "users"}, None),
    "big_dev_approved": ({"env": "dev", "table": "events"}, {"approve": True}),
    "big_dev_rejected": ({"env": "dev", "table": "events"}, {"approve": False, "message": "not today"}),
    "small_prod_denied": ({"env": "prod", "table": "users"}, None),
}


class Denied(Exception):
    pass


def native(inp: dict, answer) -> dict:
    """``graph.invoke`` of the graph with the policy written in its nodes."""
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import Command, interrupt

    def migrate(state):
        if state["rows"] > 1000:
            ok = interrupt("approve?")
            if not (ok is True or isinstance(ok, dict) and ok.get("approve") is True):
                raise Denied("migrate")
        return M.migrate(state)

    def drop_old(state):
        if state["env"] == "prod":
            raise Denied("drop_old")
        return M.drop_old(state)

    b = StateGraph(M.State)
    for name, fn in (("plan", M.plan), ("migrate", migrate), ("drop_old", drop_old), ("report", M.report)):
        b.add_node(name, fn)
    b.add_edge(START, "plan"), b.add_edge("plan", "migrate"), b.add_edge("migrate", "drop_old")
    b.add_edge("drop_old", "report"), b.add_edge("report", END)
    g = b.compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "t"}}
    M.EXECUTED.clear()
    pauses = []
    try:
        out = g.invoke(inp, cfg)
        while "__interrupt__" in out:
            pauses.append([i for i in g.get_state(cfg).next])
            out = g.invoke(Command(resume=answer), cfg)
        result = {"state": out, "failed": None}
    except Denied as d:
        result = {"state": None, "failed": str(d)}
    return {**result, "pauses": pauses, "executed": list(M.EXECUTED)}


def failed_node(exc: agentc.errors.AgentcError) -> str:
    d = exc.diagnostic
    assert d.code.value == "AC310", d.render()
    assert Path(d.file).name == "db_migration.toml" and d.line in (3, 7), d.render()
    return d.construct.split("'")[1]


def run_local(inp, answer, tmp_path) -> dict:
    M.EXECUTED.clear()
    pauses = []
    try:
        out = agentc.run(REF, inp, db=tmp_path / "runs.db")
        while out.status == "waiting":
            pauses.append([i["node"] for i in out.interrupts])
            assert out.interrupts[0]["value"]["kind"] == "policy_approval"
            out = agentc.resume(out.run_id, answer, db=tmp_path / "runs.db")
        result = {"state": out.output, "failed": None}
    except agentc.errors.RunFailed as e:
        result = {"state": None, "failed": failed_node(e)}
    return {**result, "pauses": pauses, "executed": list(M.EXECUTED)}


def run_conductor(inp, answer, folder: Path) -> dict:
    agentc.compile(REF, target="conductor").write(folder)
    M.EXECUTED.clear()
    sim = Simulation.of(folder)
    pauses = []
    try:
        out = sim.start(inp)
        while out.status == "waiting":
            pauses.append([i["node"] for i in out.interrupts])
            sim = Simulation.load(sim.save(folder / "paused.json"))
            out = sim.resume(answer)
        result = {"state": out.output, "failed": None}
    except agentc.errors.RunFailed as e:
        result = {"state": None, "failed": failed_node(e)}
    return {**result, "pauses": pauses, "executed": list(M.EXECUTED)}


async def run_temporal(inp, answer, address, code: Path) -> dict:
    from agentc.targets.temporal import engine

    client = await engine.connect(address)
    loaded = engine.load(REF, code)
    M.EXECUTED.clear()
    pauses = []
    async with engine.running_worker(client, loaded, None):
        try:
            out = await engine.start(REF, address, inp, client=client)
            while out.status == "waiting":
                pauses.append([i["node"] for i in out.interrupts])
                out = await engine.resume(out.run_id, address, answer, client=client)
            result = {"state": out.output, "failed": None}
        except agentc.errors.RunFailed as e:
            d = e.diagnostic.render()
            assert "AC310" in d, d
            result = {"state": None, "failed": "migrate" if "'migrate'" in d else "drop_old"}
    return {**result, "pauses": pauses, "executed": list(M.EXECUTED)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_local_node_policy_equals_rules_in_the_graph(name, tmp_path, monkeypatch):
    expected = native(*CASES[name])
    monkeypatch.setenv("AGENTC_POLICY", str(POLICY))
    assert run_local(*CASES[name], tmp_path) == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_conductor_node_policy_equals_rules_in_the_graph(name, tmp_path, monkeypatch):
    expected = native(*CASES[name])
    monkeypatch.setenv("AGENTC_POLICY", str(POLICY))
    assert run_conductor(*CASES[name], tmp_path) == expected


@pytest.mark.parametrize("name", ["big_dev_approved", "big_dev_rejected", "small_prod_denied"])
def test_temporal_node_policy_equals_rules_in_the_graph(name, temporal_address, tmp_path, monkeypatch):
    expected = native(*CASES[name])
    monkeypatch.setenv("AGENTC_POLICY", str(POLICY))
    assert asyncio.run(run_temporal(*CASES[name], temporal_address, tmp_path / "code")) == expected


def test_approval_pause_is_lowered_as_a_human_task(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTC_POLICY", str(POLICY))
    wf = agentc.load(REF)
    assert [p.source.line for p in wf.graph.node("migrate").interrupts] == [3]
    assert wf.graph.node("drop_old").interrupts == ()
    import json

    art = agentc.compile(REF, target="conductor")
    art.write(tmp_path)
    text = (tmp_path / "db_migration.workflow.json").read_text()
    assert '"type": "HUMAN"' in text and "interrupt_slots" in text
    json.loads(text)


def _retried_graph():
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import RetryPolicy

    def risky(state):
        M.EXECUTED.append("risky")
        return {"log": ["risky"]}

    b = StateGraph(M.State)
    b.add_node("risky", risky, retry_policy=RetryPolicy(max_attempts=3, initial_interval=1.0))
    b.add_edge(START, "risky")
    b.add_edge("risky", END)
    return b.compile()


retried_graph = _retried_graph()


def test_a_denied_node_is_not_retried_by_its_retry_policy(tmp_path, monkeypatch):
    import time

    policy = tmp_path / "p.toml"
    policy.write_text("[policies.nodes.risky]\ndeny = true\n")
    monkeypatch.setenv("AGENTC_POLICY", str(policy))
    M.EXECUTED.clear()
    t = time.monotonic()
    with pytest.raises(agentc.errors.RunFailed) as exc:
        agentc.run("test_policies_nodes:retried_graph", {"env": "dev"}, db=tmp_path / "runs.db")
    assert exc.value.diagnostic.code.value == "AC310" and M.EXECUTED == []
    assert time.monotonic() - t < 1.0  # no backoff: a refusal is final
