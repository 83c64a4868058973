"""Structured concurrency for fan-outs (docs/policies.md "Fan-outs") on the local
executor, with the research graph (fixtures/langgraph/research_fanout.py): three Send
tasks, one failing at once, one slow (its side effect comes after ``SLOW_S``).

Without a policy every task runs to its end, as in LangGraph (the baseline below: the
slow search's effect happens although the run has failed). With ``fail_fast`` the first
failure cancels the siblings: the run fails at once, the slow search's effect never
happens, and no worker thread outlives the step. ``deadline`` bounds the whole fan-out.
Targets that cannot enforce a fan-out policy refuse it (AC200)."""
from __future__ import annotations

import asyncio
import threading
import time
import uuid
from pathlib import Path

import pytest

import agentc
from agentc.errors import AgentcError, RunFailed
from agentc.fixtures.langgraph import research_fanout as F

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "fixtures" / "policies" / "research_fanout.toml"
REF = "agentc.fixtures.langgraph.research_fanout:graph"


def run(tmp_path, queries):
    F.EFFECTS.clear()
    threads = threading.active_count()
    t = time.monotonic()
    with pytest.raises(RunFailed) as exc:
        agentc.run(REF, {"queries": queries}, db=tmp_path / "runs.db")
    return exc.value.diagnostic, time.monotonic() - t, threading.active_count() - threads


def test_without_a_policy_siblings_run_to_their_end(tmp_path):
    d, elapsed, _ = run(tmp_path, ["a", "flaky b", "slow c"])
    assert d.code.value == "AC300" and "flaky b" in d.message
    assert elapsed >= F.SLOW_S and sorted(F.EFFECTS) == ["a", "slow c"]


def test_fail_fast_cancels_the_siblings_before_their_effect(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTC_POLICY", str(POLICY))
    d, elapsed, leaked = run(tmp_path, ["a", "flaky b", "slow c"])
    assert d.code.value == "AC300" and "flaky b" in d.message, d.render()
    assert elapsed < F.SLOW_S, elapsed
    assert F.EFFECTS == ["a"]  # the slow sibling was cancelled at its await, before its effect
    assert leaked == 0  # every worker thread of the fan-out has ended


def test_deadline_bounds_the_whole_fan_out(tmp_path, monkeypatch):
    policy = tmp_path / "p.toml"
    policy.write_text('[policies.fanouts.search]\nmode = "all"\ndeadline = 0.3\n')
    monkeypatch.setenv("AGENTC_POLICY", str(policy))
    d, elapsed, leaked = run(tmp_path, ["a", "slow c"])
    assert d.code.value == "AC311" and d.line == 1 and "0.3 s" in d.message, d.render()
    assert 0.3 <= elapsed < F.SLOW_S
    assert F.EFFECTS == ["a"] and leaked == 0


def test_fail_fast_run_without_failures_equals_graph_invoke(tmp_path, monkeypatch):
    import asyncio

    F.EFFECTS.clear()
    native = asyncio.run(F.graph.ainvoke({"queries": ["a", "b", "c"]}))
    monkeypatch.setenv("AGENTC_POLICY", str(POLICY))
    out = agentc.run(REF, {"queries": ["a", "b", "c"]}, db=tmp_path / "runs.db")
    assert out.output == native


# Conductor: tests/test_policies_fanout_conductor.py
# parallel branches that are no Send (Temporal): tests/test_policies_branch_fanout.py


async def temporal_fanout(address, code, queries):
    from agentc.targets.temporal import engine

    client = await engine.connect(address)
    loaded = engine.load(REF, code)
    F.EFFECTS.clear()
    t = time.monotonic()
    # a queue of its own: a test on another xdist worker serves the same workflow type with
    # another policy (a shared default queue let it take these activities: AC122, effects twice)
    queue = f"fanout-{uuid.uuid4().hex[:8]}"
    async with engine.running_worker(client, loaded, queue):
        try:
            await engine.start(REF, address, {"queries": queries}, client=client, task_queue=queue)
            error = None
        except RunFailed as e:
            error = e.diagnostic.render()
        elapsed = time.monotonic() - t
    print(f"temporal fan-out {queries}: {elapsed:.2f} s, effects {sorted(F.EFFECTS)}")
    return error, elapsed, list(F.EFFECTS)  # the worker has shut down: no activity is left running


def test_temporal_fail_fast_cancels_the_sibling_activities(temporal_address, tmp_path, monkeypatch):
    monkeypatch.setattr(F, "SLOW_S", 4.0)
    monkeypatch.setenv("AGENTC_POLICY", str(POLICY))
    error, elapsed, effects = asyncio.run(temporal_fanout(temporal_address, tmp_path / "code",
                                                          ["a", "flaky b", "slow c"]))
    assert error is not None and "AC300" in error and "flaky b" in error, error
    assert elapsed < 4.0, elapsed
    assert effects == ["a"]


def test_temporal_without_policy_waits_for_the_slow_sibling(temporal_address, tmp_path, monkeypatch):
    monkeypatch.setattr(F, "SLOW_S", 2.0)
    error, elapsed, effects = asyncio.run(temporal_fanout(temporal_address, tmp_path / "code",
                                                          ["a", "flaky b", "slow c"]))
    assert error is not None and "flaky b" in error and sorted(effects) == ["a", "slow c"]


def test_temporal_deadline_cancels_the_fan_out(temporal_address, tmp_path, monkeypatch):
    monkeypatch.setattr(F, "SLOW_S", 4.0)
    policy = tmp_path / "p.toml"
    policy.write_text('[policies.fanouts.search]\nmode = "all"\ndeadline = 1\n')
    monkeypatch.setenv("AGENTC_POLICY", str(policy))
    error, elapsed, effects = asyncio.run(temporal_fanout(temporal_address, tmp_path / "code", ["a", "slow c"]))
    assert error is not None and "AC311" in error, error
    assert elapsed < 4.0 and effects == ["a"]

# agents' parallel tool calls: tests/test_policies_agent_fanout.py
