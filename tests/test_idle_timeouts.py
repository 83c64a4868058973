"""LangGraph's ``idle_timeout`` on the three targets (docs/policies.md "Node timeouts"):
``TimeoutPolicy(idle_timeout=S, refresh_on="auto"|"heartbeat")`` cancels an attempt that
goes S seconds without progress. Compared with ``graph.ainvoke`` (LangGraph runs timeouts
only on its async path): a node that heartbeats for longer than S completes, one that stops
fails with the same ``NodeTimeoutError`` after the same attempts (its ``RetryPolicy``
retries it) and without its side effect, and ``refresh_on="heartbeat"`` ignores callback
events that ``"auto"`` counts. Graphs: ``tests/idle_nodes.py`` (0.3 s idle limit)."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest

import agentc
import idle_nodes as I
from agentc.errors import RunFailed
from agentc.runtime_shims import node_timeouts
from agentc.targets.conductor.simulate import Simulation

INPUT = {"url": "a"}
# (graph, what ainvoke gives): each case is checked against ainvoke itself below
CASES = {
    "beats_auto": "state",
    "beats_heartbeat": "state",  # heartbeats refresh under both modes
    "chatter_auto": "state",  # callback events are progress under "auto"...
    "chatter_heartbeat": "NodeTimeoutError",  # ...not under "heartbeat"
    "stall_auto": "NodeTimeoutError",
    "stall_heartbeat": "NodeTimeoutError",
    "tools_run": "NodeTimeoutError",  # a ToolNode: the whole call is bounded, as LangGraph
    "tools_idle": "NodeTimeoutError",
}


def _observe(run) -> dict:
    """``run()``'s state, or its error (LangGraph's class and message, the elapsed time
    cut off); the attempts and effects of ``work``."""
    I.ATTEMPTS.clear(), I.EFFECTS.clear()
    try:
        out = {"state": run(), "error": None}
    except RunFailed as e:
        text = e.diagnostic.render()
        assert "AC300" in text and "node 'work' failed" in text, text
        out = {"state": None, "error": text[text.index("NodeTimeoutError") :]}
    except Exception as exc:  # ainvoke: LangGraph's NodeTimeoutError itself
        out = {"state": None, "error": f"{type(exc).__name__}: {exc}"}
    if out["error"] is not None:
        out["error"] = out["error"].split(" (elapsed")[0]
    return {**out, "attempts": len(I.ATTEMPTS), "effects": list(I.EFFECTS)}


def native(case: str) -> dict:
    got = _observe(lambda: asyncio.run(getattr(I, case).ainvoke(INPUT)))
    kind = CASES[case]  # the fixture does what its docstring says
    assert (got["error"] or "state").startswith(kind), got
    assert got["attempts"] == (2 if kind != "state" else 1), got
    return got


def run_local(case: str, tmp_path: Path) -> dict:
    return _observe(lambda: agentc.run(f"idle_nodes:{case}", INPUT, db=tmp_path / "runs.db").output)


def run_conductor(case: str, folder: Path) -> dict:
    agentc.compile(f"idle_nodes:{case}", target="conductor").write(folder)
    return _observe(lambda: Simulation.of(folder).start(INPUT).output)


async def run_temporal(cases: list[str], address: str, code: Path) -> dict[str, dict]:
    from agentc.targets.temporal import engine

    client = await engine.connect(address)
    out = {}
    for case in cases:
        ref = f"idle_nodes:{case}"
        loaded = engine.load(ref, code / case)
        queue = f"idle-{uuid.uuid4().hex[:8]}"
        async with engine.running_worker(client, loaded, queue):
            I.ATTEMPTS.clear(), I.EFFECTS.clear()
            try:
                done = await engine.start(ref, address, INPUT, client=client, task_queue=queue)
                got = {"state": done.output, "error": None}
            except RunFailed as e:
                text = e.diagnostic.render()
                got = {"state": None, "error": text[text.index("NodeTimeoutError") :]}
        if got["error"] is not None:
            got["error"] = got["error"].split(" (elapsed")[0]
        out[case] = {**got, "attempts": len(I.ATTEMPTS), "effects": list(I.EFFECTS)}
    return out


def test_the_idle_timeout_is_read_into_the_ir():
    node = agentc.load("idle_nodes:chatter_heartbeat").graph.node("work")
    assert (node.timeout, node.idle_timeout.seconds, node.idle_timeout.refresh_on) == (
        None,
        I.IDLE_S,
        "heartbeat",
    )
    assert agentc.load("idle_nodes:beats_auto").graph.node("work").idle_timeout.refresh_on == "auto"


@pytest.mark.parametrize("case", sorted(CASES))
def test_local_idle_timeout_equals_ainvoke(case, tmp_path):
    assert run_local(case, tmp_path) == native(case)


@pytest.mark.parametrize(
    "case", ["beats_heartbeat", "chatter_auto", "chatter_heartbeat", "stall_auto", "tools_run"]
)
def test_conductor_idle_timeout_equals_ainvoke(case, tmp_path):
    assert run_conductor(case, tmp_path) == native(case)


def test_temporal_idle_timeout_equals_ainvoke(temporal_address, tmp_path, monkeypatch):
    # no grace: the activity's heartbeat timeout is 1 s and the beating nodes run 1.5 s, so
    # they complete only if the worker heartbeats the activity on their progress
    monkeypatch.setattr(node_timeouts, "ENGINE_GRACE_S", 0)
    monkeypatch.setattr(I, "STEPS", 15)
    cases = ["beats_heartbeat", "chatter_auto", "chatter_heartbeat", "stall_auto", "tools_idle"]
    expected = {case: native(case) for case in cases}
    assert asyncio.run(run_temporal(cases, temporal_address, tmp_path)) == expected


def test_engine_backstops_of_an_idle_timed_node(tmp_path):
    agentc.compile("idle_nodes:stall_auto", target="temporal").write(tmp_path / "t")
    text = "\n".join(p.read_text() for p in (tmp_path / "t").glob("*.py"))
    # no progress heartbeat for the idle limit + 60 s: a worker that cannot report; a node
    # that makes progress may run on (no start-to-close bound but Temporal's required one);
    # at most LangGraph's 2 attempts + 1 for a lost worker
    assert '"start_to_close_timeout": timedelta(seconds=315360000.0)' in text
    assert '"heartbeat_timeout": timedelta(seconds=61.0)' in text
    assert "retry(0.05, 2.0, 128.0, 3)" in text
    assert text.count("heartbeat_timeout") == 1  # prep, a node without an idle limit: none
    agentc.compile("idle_nodes:stall_auto", target="conductor").write(tmp_path / "c")
    defs = {d["name"]: d for d in json.loads((tmp_path / "c" / "taskdefs.json").read_text())}
    assert defs["idle_nodes_stall_auto-work"]["responseTimeoutSeconds"] == 3600  # unchanged (docs)


@pytest.mark.parametrize("target", ["local", "conductor"])
def test_a_policy_timeout_on_a_tool_node_equals_its_timeout_policy(target, tmp_path, monkeypatch):
    """``[policies.nodes.work] timeout = S`` on the untimed ToolNode graph gives what
    ``add_node("work", ToolNode(...), timeout=TimeoutPolicy(run_timeout=S))`` gives under
    ``ainvoke`` (the error, two attempts, no effect). It was AC200 before."""
    p = tmp_path / "p.toml"
    p.write_text(f"[policies.nodes.work]\ntimeout = {I.IDLE_S}\n")
    monkeypatch.setenv("AGENTC_POLICY", str(p))
    expected = native("tools_run")
    run = run_local if target == "local" else run_conductor
    assert run("tools_untimed", tmp_path / "c" if target == "conductor" else tmp_path) == expected


def test_temporal_policy_timeout_on_a_tool_node(temporal_address, tmp_path, monkeypatch):
    p = tmp_path / "p.toml"
    p.write_text(f"[policies.nodes.work]\ntimeout = {I.IDLE_S}\n")
    monkeypatch.setenv("AGENTC_POLICY", str(p))
    expected = native("tools_run")
    got = asyncio.run(run_temporal(["tools_untimed"], temporal_address, tmp_path / "code"))
    assert got["tools_untimed"] == expected
