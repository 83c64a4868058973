"""Fan-out policies on Conductor (docs/policies.md "Fan-outs"; targets/conductor/fanout.py):
the workflow a user registers, run by the simulator with concurrent pollers (as a
deployment's workers: emulator/parallel_polls.py) and a worker-side watcher that cancels a
task's node once the server has ended the task (``fail_fast``) or at the ``deadline``.

The same three fixtures as on the local executor and Temporal: a ``Send`` fan-out
(``research_fanout``), parallel branches (``langgraph/parallel_checks``) and an agent's
parallel tool calls (``openai_agents/parallel_checks``). The slow sibling's effect is
never observed, no thread outlives the run, and a deadline fails the run with AC311."""
from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import pytest

import agentc
from agentc.errors import RunFailed
from agentc.fixtures.langgraph import parallel_checks as B
from agentc.fixtures.langgraph import research_fanout as S
from agentc.targets.conductor.simulate import Simulation

ROOT = Path(__file__).resolve().parents[1]
SEND = "agentc.fixtures.langgraph.research_fanout:graph"
BRANCHES = "agentc.fixtures.langgraph.parallel_checks:graph"
AGENT = "agentc.fixtures.openai_agents.parallel_checks:agent"


def policy(tmp_path, monkeypatch, table: str, body: str) -> None:
    p = tmp_path / "p.toml"
    p.write_text(f"[policies.fanouts.{table}]\n" + body)
    monkeypatch.setenv("AGENTC_POLICY", str(p))


def simulate(tmp_path, ref, inp) -> tuple[str, float, int, Simulation]:
    folder = tmp_path / "c"
    agentc.compile(ref, target="conductor").write(folder)
    sim = Simulation.of(folder)
    threads = threading.active_count()
    t = time.monotonic()
    try:
        out = json.dumps(sim.start(inp).output)
    except RunFailed as e:
        out = e.diagnostic.render()
    elapsed = time.monotonic() - t
    # the worker's warm agent sessions (runtime_shims/agent_sessions.py: a cache, with the
    # event loop of each run it keeps) are not the fan-out's: close them before counting
    from agentc.runtime_shims import agent_sessions

    agent_sessions.close_all()
    return out, elapsed, threading.active_count() - threads, sim


# ------------------------------------------------------------------ Send fan-out
def test_send_fail_fast_cancels_the_slow_packet(tmp_path, monkeypatch):
    monkeypatch.setattr(S, "SLOW_S", 2.0)
    monkeypatch.setenv("AGENTC_POLICY", str(ROOT / "fixtures" / "policies" / "research_fanout.toml"))
    S.EFFECTS.clear()
    out, elapsed, leaked, _ = simulate(tmp_path, SEND, {"queries": ["slow c", "a", "flaky b"]})
    assert "AC300" in out and "flaky b" in out, out
    assert elapsed < 2.0 and leaked == 0, (elapsed, leaked)
    assert S.EFFECTS == ["a"]  # slow c was cancelled at its await, before its effect


def test_send_deadline_fails_with_ac311(tmp_path, monkeypatch):
    monkeypatch.setattr(S, "SLOW_S", 2.0)
    policy(tmp_path, monkeypatch, "search", 'mode = "all"\ndeadline = 0.5\n')
    S.EFFECTS.clear()
    out, elapsed, leaked, _ = simulate(tmp_path, SEND, {"queries": ["slow c", "a"]})
    assert "AC311" in out and "0.5 s" in out and "p.toml:1" in out, out
    assert elapsed < 2.0 and leaked == 0 and S.EFFECTS == ["a"], (elapsed, S.EFFECTS)


def test_send_fail_fast_without_failures_equals_graph_invoke(tmp_path, monkeypatch):
    import asyncio

    monkeypatch.setattr(S, "SLOW_S", 0.1)
    native = asyncio.run(S.graph.ainvoke({"queries": ["a", "slow b", "c"]}))
    monkeypatch.setenv("AGENTC_POLICY", str(ROOT / "fixtures" / "policies" / "research_fanout.toml"))
    out, _, _, _ = simulate(tmp_path, SEND, {"queries": ["a", "slow b", "c"]})
    assert json.loads(out) == native


# ------------------------------------------------------------------ parallel branches
def test_branches_fail_fast_cancels_the_slow_branch(tmp_path, monkeypatch):
    monkeypatch.setattr(B, "SLOW_S", 2.0)
    policy(tmp_path, monkeypatch, "verify", 'mode = "fail_fast"\n')
    B.EFFECTS.clear()
    out, elapsed, leaked, sim = simulate(tmp_path, BRANCHES, {"card": "x"})
    assert "AC300" in out and "card x declined" in out, out
    assert elapsed < 2.0 and leaked == 0 and B.EFFECTS == ["price"], (elapsed, B.EFFECTS)
    statuses = {t["referenceTaskName"]: t["status"] for t in sim.sim.execution(sim.workflow_id)["tasks"]}
    assert [s for r, s in statuses.items() if r.startswith("notify")] == ["CANCELED"], statuses


def test_branches_deadline_fails_with_ac311(tmp_path, monkeypatch):
    monkeypatch.setattr(B, "SLOW_S", 2.0)
    policy(tmp_path, monkeypatch, "notify", "deadline = 0.5\n")
    B.EFFECTS.clear()
    out, elapsed, leaked, _ = simulate(tmp_path, BRANCHES, {"card": "ok"})
    assert "AC311" in out and "p.toml:1" in out, out
    assert elapsed < 2.0 and leaked == 0 and B.EFFECTS == ["price"], (elapsed, B.EFFECTS)


# ------------------------------------------------------------------ an agent's tool calls
@pytest.fixture
def effects(tmp_path, monkeypatch):
    path = tmp_path / "effects.txt"
    monkeypatch.setenv("AGENTC_EFFECTS_FILE", str(path))
    monkeypatch.setenv("AGENTC_SLOW_S", "2")

    def read(after_s: float = 0.0) -> list[str]:
        end = time.monotonic() + after_s
        while time.monotonic() < end and "notify" not in (path.read_text() if path.exists() else ""):
            time.sleep(0.05)
        return path.read_text().split() if path.exists() else []
    return read


def test_agent_fail_fast_cancels_the_slow_call(tmp_path, monkeypatch, effects):
    policy(tmp_path, monkeypatch, '"Gate Agent"', "deadline = 30\n")  # fail_fast: the default for agents
    out, elapsed, leaked, _ = simulate(tmp_path, AGENT, "book AC1")
    assert "AC300" in out and "verify_payment" in out and "card 4242 declined" in out, out
    assert elapsed < 2.0 and leaked == 0, (elapsed, leaked)
    assert effects(2.5) == ["hold", "release"]  # as Runner.run: notify never happens; the hold is compensated


def test_agent_deadline_fails_with_ac311(tmp_path, monkeypatch, effects):
    policy(tmp_path, monkeypatch, '"Gate Agent"', "deadline = 0.5\n")
    out, elapsed, leaked, _ = simulate(tmp_path, AGENT, "book AC1, paid")
    assert "AC311" in out and "Gate Agent" in out and "p.toml:1" in out, out
    assert elapsed < 2.0 and leaked == 0 and "notify" not in effects(2.5), (elapsed, effects())


def test_agent_without_policy_equals_runner_run(tmp_path, monkeypatch, effects):
    """No policy: the Conductor simulation does what ``Runner.run`` does (its own semantics
    are fail_fast): the tool calls of a turn run at once, the failing call ends the run, the
    slow sibling is cancelled before its effect and the completed compensable one is
    compensated. Before, the simulator polled the calls one after another and the tool-call
    tasks carried no policy, so the slow sibling, first in the response, ran to its end
    (``notify`` observed)."""
    from agentc.fixtures.openai_agents.parallel_checks import agent
    from agents import Runner

    try:
        native = str(asyncio.run(Runner.run(agent, "book AC1, crew first")).final_output)
    except Exception as exc:  # noqa: BLE001 - the SDK's own outcome
        native = f"raised: {exc}"
    native_effects = effects(2.5)
    (tmp_path / "effects.txt").unlink()
    out, _, leaked, _ = simulate(tmp_path, AGENT, "book AC1, crew first")
    assert "card 4242 declined" in native and "card 4242 declined" in out, (native, out)
    assert "AC300" in out and "verify_payment" in out and leaked == 0, (out, leaked)
    assert native_effects == ["hold"] and effects(2.5) == ["hold", "release"]
