"""Node timeouts on the three targets (docs/policies.md "Node timeouts"): LangGraph's own
``add_node(..., timeout=TimeoutPolicy(run_timeout=S))`` and a policy's
``[policies.nodes.NAME] timeout = S`` bound each attempt of an async node. Compared with
``graph.ainvoke`` (``graph.invoke`` refuses any graph with a timed node: LangGraph runs
timeouts only on its async path): the same ``NodeTimeoutError`` after the same number of
attempts (the node's ``RetryPolicy`` retries it), the side effect after the node's
``await`` never happens, and a node that finishes in time gives the same state.
Graphs: ``tests/timed_nodes.py`` (``fetch`` awaits ``SLOW_S``, limit 0.5 s)."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import pytest

import agentc
import timed_nodes as T
from agentc.errors import AgentcError, RunFailed
from agentc.targets.conductor.simulate import Simulation

INPUT = {"url": "a"}
TIMED = "timed_nodes:graph"
PLAIN = "timed_nodes:plain"


def native(graph) -> dict:
    """``graph.ainvoke``: its state, or its error's type and message; the attempts and
    effects of ``fetch``."""
    T.ATTEMPTS.clear(), T.EFFECTS.clear()
    try:
        out = {"state": asyncio.run(graph.ainvoke(INPUT)), "error": None}
    except Exception as exc:  # LangGraph's NodeTimeoutError
        out = {"state": None, "error": f"{type(exc).__name__}: {exc}"}
    return {**out, "attempts": len(T.ATTEMPTS), "effects": list(T.EFFECTS)}


def _error(text: str) -> str:
    """``NodeTimeoutError: Node 'fetch' exceeded its run timeout of 0.500s`` from a
    diagnostic (the elapsed time differs from run to run)."""
    assert "AC300" in text and "node 'fetch' failed" in text, text
    return text[text.index("NodeTimeoutError") :].split(" (elapsed")[0]


def _same(got: dict, expected: dict) -> None:
    if expected["error"] is not None:
        expected = {**expected, "error": expected["error"].split(" (elapsed")[0]}
    assert got == expected


def run_local(ref: str, tmp_path: Path) -> dict:
    T.ATTEMPTS.clear(), T.EFFECTS.clear()
    try:
        out = {"state": agentc.run(ref, INPUT, db=tmp_path / "runs.db").output, "error": None}
    except RunFailed as e:
        out = {"state": None, "error": _error(e.diagnostic.render())}
    return {**out, "attempts": len(T.ATTEMPTS), "effects": list(T.EFFECTS)}


def run_conductor(ref: str, folder: Path) -> dict:
    agentc.compile(ref, target="conductor").write(folder)
    T.ATTEMPTS.clear(), T.EFFECTS.clear()
    try:
        out = {"state": Simulation.of(folder).start(INPUT).output, "error": None}
    except RunFailed as e:
        out = {"state": None, "error": _error(e.diagnostic.render())}
    return {**out, "attempts": len(T.ATTEMPTS), "effects": list(T.EFFECTS)}


async def run_temporal(ref: str, address: str, code: Path) -> dict:
    from agentc.targets.temporal import engine

    client = await engine.connect(address)
    loaded = engine.load(ref, code)
    queue = f"timeouts-{uuid.uuid4().hex[:8]}"  # its own queue: other tests serve other policies
    T.ATTEMPTS.clear(), T.EFFECTS.clear()
    async with engine.running_worker(client, loaded, queue):
        try:
            done = await engine.start(ref, address, INPUT, client=client, task_queue=queue)
            out = {"state": done.output, "error": None}
        except RunFailed as e:
            out = {"state": None, "error": _error(e.diagnostic.render())}
    return {**out, "attempts": len(T.ATTEMPTS), "effects": list(T.EFFECTS)}


def policy(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "p.toml"
    p.write_text(text)
    return p


def by_hand():
    """The policy ``timeout = 0.5`` on ``plain``, written in LangGraph: ``add_node(...,
    timeout=0.5)`` (no retry policy: one attempt)."""
    return T.build(timeout=T.TIMEOUT_S).compile()


# ---------------------------------------------------------------- LangGraph's TimeoutPolicy
def test_the_timeout_policy_is_read_into_the_ir():
    assert agentc.load(TIMED).graph.node("fetch").timeout == T.TIMEOUT_S
    assert agentc.load(PLAIN).graph.node("fetch").timeout is None


def test_local_timeout_policy_equals_ainvoke(tmp_path):
    expected = native(T.graph)
    assert expected["attempts"] == 2 and expected["error"].startswith("NodeTimeoutError")
    t0 = time.monotonic()
    _same(run_local(TIMED, tmp_path), expected)
    assert time.monotonic() - t0 < T.SLOW_S  # cancelled, not awaited to its end


def test_conductor_timeout_policy_equals_ainvoke(tmp_path):
    expected = native(T.graph)
    t0 = time.monotonic()
    _same(run_conductor(TIMED, tmp_path), expected)
    assert time.monotonic() - t0 < T.SLOW_S


def test_temporal_timeout_policy_equals_ainvoke(temporal_address, tmp_path):
    expected = native(T.graph)
    t0 = time.monotonic()
    _same(asyncio.run(run_temporal(TIMED, temporal_address, tmp_path / "code")), expected)
    assert time.monotonic() - t0 < T.SLOW_S


@pytest.mark.parametrize("target", ["local", "conductor"])
def test_a_node_within_its_timeout_equals_ainvoke(target, tmp_path, monkeypatch):
    monkeypatch.setattr(T, "SLOW_S", 0.05)
    expected = native(T.graph)
    assert expected["error"] is None and expected["effects"] == ["a"]
    got = run_local(TIMED, tmp_path) if target == "local" else run_conductor(TIMED, tmp_path)
    assert got == expected


def test_engine_timeouts_leave_the_worker_a_grace_and_are_bounded(tmp_path):
    import json

    agentc.compile(TIMED, target="conductor").write(tmp_path / "c")
    defs = {d["name"]: d for d in json.loads((tmp_path / "c" / "taskdefs.json").read_text())}
    fetch = defs["timed_nodes-fetch"]
    assert fetch["timeoutSeconds"] == fetch["responseTimeoutSeconds"] == 1 + 60
    assert fetch["timeoutPolicy"] == "TIME_OUT_WF"  # a worker that cannot report ends the run
    agentc.compile(TIMED, target="temporal").write(tmp_path / "t")
    text = "\n".join(p.read_text() for p in (tmp_path / "t").glob("*.py"))
    # 61 s per attempt, at most LangGraph's 2 attempts + 1 for a lost worker: never forever
    assert "timedelta(seconds=61.0)" in text and "retry(0.05, 2.0, 128.0, 3)" in text


def test_a_timeout_on_a_subgraph_node_is_refused():
    """LangGraph bounds a whole subgraph call (a retry runs it again from its start);
    agentc runs a subgraph's nodes as steps of their own (docs/policies.md)."""
    import sys

    from langgraph.graph import START, StateGraph
    from langgraph.types import TimeoutPolicy

    mod = sys.modules["timed_nodes"]
    outer = StateGraph(T.State)
    outer.add_node("sub", T.plain, timeout=TimeoutPolicy(idle_timeout=1.0))
    outer.add_edge(START, "sub")
    mod.sub_timed = outer.compile()
    try:
        with pytest.raises(AgentcError) as exc:
            agentc.load("timed_nodes:sub_timed")
        d = exc.value.diagnostic
        assert d.code.value == "AC200" and "whole subgraph call" in d.render(), d.render()
    finally:
        del mod.sub_timed


# ---------------------------------------------------------------- the policy's timeout
def test_local_policy_timeout_equals_add_node_timeout(tmp_path, monkeypatch):
    expected = native(by_hand())
    assert expected["attempts"] == 1 and expected["error"].startswith("NodeTimeoutError")
    monkeypatch.setenv("AGENTC_POLICY", str(policy(tmp_path, "[policies.nodes.fetch]\ntimeout = 0.5\n")))
    _same(run_local(PLAIN, tmp_path), expected)


def test_conductor_policy_timeout_equals_add_node_timeout(tmp_path, monkeypatch):
    expected = native(by_hand())
    monkeypatch.setenv("AGENTC_POLICY", str(policy(tmp_path, "[policies.nodes.fetch]\ntimeout = 0.5\n")))
    _same(run_conductor(PLAIN, tmp_path / "c"), expected)


def test_temporal_policy_timeout_equals_add_node_timeout(temporal_address, tmp_path, monkeypatch):
    expected = native(by_hand())
    monkeypatch.setenv("AGENTC_POLICY", str(policy(tmp_path, "[policies.nodes.fetch]\ntimeout = 0.5\n")))
    _same(asyncio.run(run_temporal(PLAIN, temporal_address, tmp_path / "code")), expected)


def test_the_smaller_of_the_two_limits_wins(tmp_path, monkeypatch):
    # LangGraph's 0.5 s and the policy's 30 s: 0.5 s
    monkeypatch.setenv("AGENTC_POLICY", str(policy(tmp_path, "[policies.nodes.fetch]\ntimeout = 30\n")))
    t0 = time.monotonic()
    _same(run_local(TIMED, tmp_path), native(T.graph))
    assert time.monotonic() - t0 < T.SLOW_S


def test_policy_timeout_on_a_sync_node_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTC_POLICY", str(policy(tmp_path, "[policies.nodes.prep]\ntimeout = 1\n")))
    with pytest.raises(AgentcError) as exc:
        agentc.run(PLAIN, INPUT, db=tmp_path / "runs.db")
    d = exc.value.diagnostic
    assert d.code.value == "AC200" and (Path(d.file).name, d.line) == ("p.toml", 2), d.render()


# ---------------------------------------------------------------- args_schema on nodes
SCHEMA = '[policies.nodes.migrate]\nargs_schema = { type = "object", properties = { rows = { type = "integer", maximum = 1000 } } }\n'
MIGRATION = "agentc.fixtures.langgraph.db_migration:graph"


def _schema_refusal(e: RunFailed) -> str:
    d = e.diagnostic
    assert d.code.value == "AC310" and (Path(d.file).name, d.line) == ("p.toml", 1), d.render()
    return d.message


@pytest.mark.parametrize("target", ["local", "conductor"])
def test_node_args_schema_refuses_the_state_before_the_node_runs(target, tmp_path, monkeypatch):
    from agentc.fixtures.langgraph import db_migration as M

    monkeypatch.setenv("AGENTC_POLICY", str(policy(tmp_path, SCHEMA)))
    results = {}
    for table in ("users", "events"):  # 50 rows: valid; 90000 rows: over the maximum
        M.EXECUTED.clear()
        inp = {"env": "dev", "table": table}
        try:
            if target == "local":
                out = agentc.run(MIGRATION, inp, db=tmp_path / "runs.db").output["log"]
            else:
                agentc.compile(MIGRATION, target="conductor").write(tmp_path / table)
                out = Simulation.of(tmp_path / table).start(inp).output["log"]
        except RunFailed as e:
            out = _schema_refusal(e)
        results[table] = (out, list(M.EXECUTED))
    assert results["users"] == (
        ["plan users", "migrated 50 rows", "dropped users_old", "report"],
        ["migrate users 50", "drop users_old"],
    )
    message, executed = results["events"]
    assert executed == []  # the node never ran
    assert (  # the simulator's message quotes the worker's
        "the input of node 'migrate' does not match the policy's args_schema: "
        "rows: 90000 is greater than the maximum of 1000"
    ) in message, message


def test_temporal_node_args_schema_refuses_the_state(temporal_address, tmp_path, monkeypatch):
    from agentc.fixtures.langgraph import db_migration as M
    from agentc.targets.temporal import engine

    monkeypatch.setenv("AGENTC_POLICY", str(policy(tmp_path, SCHEMA)))

    async def go():
        client = await engine.connect(temporal_address)
        loaded = engine.load(MIGRATION, tmp_path / "code")
        queue = f"schema-{uuid.uuid4().hex[:8]}"
        async with engine.running_worker(client, loaded, queue):
            with pytest.raises(RunFailed) as exc:
                await engine.start(MIGRATION, temporal_address, {"env": "dev", "table": "events"},
                                   client=client, task_queue=queue)
        return exc.value

    M.EXECUTED.clear()
    err = asyncio.run(go())
    assert "AC310" in err.diagnostic.render() and "90000 is greater than the maximum" in err.diagnostic.render()
    assert M.EXECUTED == []


@pytest.mark.parametrize("text,message", [
    ('[policies.nodes.migrate]\nargs_schema = { type = "object", properties = { size = { type = "integer" } } }\n',
     "names size, which the node does not read"),
    ('[policies.nodes.migrate]\nargs_schema = { type = "whole" }\n', "is not a valid JSON Schema"),
])
def test_bad_node_args_schema_is_a_diagnostic(text, message, tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTC_POLICY", str(policy(tmp_path, text)))
    with pytest.raises(AgentcError) as exc:
        agentc.load(MIGRATION)
    d = exc.value.diagnostic
    assert d.code.value == "AC410" and message in d.message and d.line == 2, d.render()
