"""Structured concurrency for fan-outs (docs/policies.md "Fan-outs") on the local
executor, with the research graph (fixtures/langgraph/research_fanout.py): three Send
tasks, one failing at once, one slow (its side effect comes after ``SLOW_S``).

Without a policy every task runs to its end, as in LangGraph (the baseline below: the
slow search's effect happens although the run has failed). With ``fail_fast`` the first
failure cancels the siblings: the run fails at once, the slow search's effect never
happens, and no worker thread outlives the step. ``deadline`` bounds the whole fan-out.
Targets that cannot enforce a fan-out policy refuse it (AC200)."""
from __future__ import annotations

import threading
import time
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


@pytest.mark.parametrize("target", ["conductor", "temporal"])
def test_engines_refuse_a_fan_out_policy_they_cannot_enforce(target, monkeypatch):
    monkeypatch.setenv("AGENTC_POLICY", str(POLICY))
    with pytest.raises(AgentcError) as exc:
        agentc.compile(REF, target=target)
    assert exc.value.diagnostic.code.value == "AC200" and exc.value.diagnostic.line == 3


def test_agent_fan_out_policy_is_refused(tmp_path, monkeypatch):
    policy = tmp_path / "p.toml"
    policy.write_text('[policies.fanouts."DB Admin"]\nmode = "fail_fast"\n')
    monkeypatch.setenv("AGENTC_POLICY", str(policy))
    with pytest.raises(AgentcError) as exc:
        agentc.load("agentc.fixtures.openai_agents.db_admin:agent")
    assert exc.value.diagnostic.code.value == "AC200" and exc.value.diagnostic.line == 1
