"""Fan-out policies of an agent's parallel tool calls (docs/policies.md "Fan-outs";
runtime_shims/agent_fanout.py, temporal_agent_fanout.py). Fixture
``fixtures/openai_agents/parallel_checks.py``: one response asks for a compensable
``hold_seat``, a failing ``verify_payment`` and a slow async ``notify_crew``; every effect
is a line of the effects file, counted here."""
from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest

import agentc
from agentc.errors import AgentcError, RunFailed

REF = "agentc.fixtures.openai_agents.parallel_checks:agent"
SLOW_S = 1.0


@pytest.fixture
def effects(tmp_path, monkeypatch):
    path = tmp_path / "effects.txt"
    monkeypatch.setenv("AGENTC_EFFECTS_FILE", str(path))
    monkeypatch.setenv("AGENTC_SLOW_S", str(SLOW_S))

    def read(after_s: float = 0.0) -> list[str]:
        """The effects, once ``after_s`` more seconds have passed (a bounded poll: a late
        effect of a sibling that was not stopped would show up meanwhile)."""
        end = time.monotonic() + after_s
        while time.monotonic() < end and "notify" not in (path.read_text() if path.exists() else ""):
            time.sleep(0.05)
        return path.read_text().split() if path.exists() else []
    return read


def policy(tmp_path, monkeypatch, body: str) -> None:
    p = tmp_path / "p.toml"
    p.write_text('[policies.fanouts."Gate Agent"]\n' + body)
    monkeypatch.setenv("AGENTC_POLICY", str(p))


def native(ask: str) -> str:
    from agents import Runner

    from agentc.fixtures.openai_agents.parallel_checks import agent
    try:
        return asyncio.run(Runner.run(agent, ask)).final_output
    except Exception as exc:  # noqa: BLE001 - the SDK's own outcome
        return f"raised: {exc}"


def run_local(tmp_path, ask: str) -> tuple[str, int]:
    threads = threading.active_count()
    try:
        out = agentc.run(REF, ask, db=tmp_path / "runs.db").output["final_output"]
    except RunFailed as exc:
        out = exc.diagnostic.render()
    return out, threading.active_count() - threads


def test_runner_run_itself_cancels_the_slow_sibling_of_a_raising_call(effects):
    out = native("book AC1")
    assert "card 4242 declined" in out and effects(SLOW_S + 0.5) == ["hold"]


def test_local_without_policy_equals_runner_run(tmp_path, effects):
    out, leaked = run_local(tmp_path, "book AC1")
    assert "AC300" in out and "verify_payment" in out and "compensated: hold_seat" in out, out
    assert effects(SLOW_S + 0.5) == ["hold", "release"] and leaked == 0


def test_local_fail_fast_cancels_the_slow_sibling(tmp_path, monkeypatch, effects):
    policy(tmp_path, monkeypatch, 'mode = "fail_fast"\n')  # AC200 at load before
    t = time.monotonic()
    out, leaked = run_local(tmp_path, "book AC1")
    assert time.monotonic() - t < SLOW_S + 2
    assert "AC300" in out and "verify_payment" in out and "compensated: hold_seat" in out, out
    assert effects(SLOW_S + 0.5) == ["hold", "release"] and leaked == 0


def test_local_deadline_cancels_the_batch_and_compensates(tmp_path, monkeypatch, effects):
    policy(tmp_path, monkeypatch, "deadline = 0.3\n")
    out, leaked = run_local(tmp_path, "book AC1, paid")
    assert "AC311" in out and "Gate Agent" in out and "p.toml:1" in out, out
    assert effects(SLOW_S + 0.5) == ["hold", "release"] and leaked == 0


def test_local_deadline_that_holds_equals_runner_run(tmp_path, monkeypatch, effects):
    policy(tmp_path, monkeypatch, f"deadline = {SLOW_S + 5}\n")
    out, _ = run_local(tmp_path, "book AC1, paid")
    assert out == native("book AC1, paid") == "Booked."


TEMPORAL_SLOW_S = 40
"""The slow sibling's sleep on Temporal: a run that waited for it would take 40 s; one that
cancelled it ends long before (the bound is loose: worker start-up on a loaded machine has
taken almost 5 s)."""


async def temporal_run(address, code, ask):
    from agentc.targets.temporal import engine

    client = await engine.connect(address)
    loaded = engine.load(REF, code)
    t = time.monotonic()
    queue = f"agent-fanout-{uuid.uuid4().hex[:8]}"  # its own queue: other tests serve REF with other policies
    async with engine.running_worker(client, loaded, queue):
        try:
            await engine.start(REF, address, ask, client=client, task_queue=queue)
            error = None
        except RunFailed as e:
            error = e.diagnostic.render()
    return error, time.monotonic() - t


def test_temporal_fail_fast_cancels_the_sibling_activity(temporal_address, tmp_path, monkeypatch, effects):
    monkeypatch.setenv("AGENTC_SLOW_S", str(TEMPORAL_SLOW_S))
    policy(tmp_path, monkeypatch, 'mode = "fail_fast"\n')
    error, elapsed = asyncio.run(temporal_run(temporal_address, tmp_path / "code", "book AC1"))
    assert error is not None and "verify_payment" in error, error
    assert "notify" not in effects(0.5) and elapsed < TEMPORAL_SLOW_S / 2, (effects(), elapsed)


def test_temporal_without_policy_equals_runner_run(temporal_address, tmp_path, monkeypatch, effects):
    """No policy: Temporal does what ``Runner.run`` does (the SDK's own semantics are
    fail_fast): the failing call's error ends the run, the slow sibling is cancelled at its
    next await and its effect never happens; the completed compensable sibling is
    compensated, as on the local target."""
    monkeypatch.setenv("AGENTC_SLOW_S", str(TEMPORAL_SLOW_S))
    native_out = native("book AC1")
    (tmp_path / "effects.txt").unlink()
    local_out, _ = run_local(tmp_path, "book AC1")
    local_effects = effects(0.0)
    (tmp_path / "effects.txt").unlink()
    error, elapsed = asyncio.run(temporal_run(temporal_address, tmp_path / "code", "book AC1"))
    assert error is not None and "card 4242 declined" in native_out and "card 4242 declined" in error, error
    assert "AC300" in error and "verify_payment" in error, error  # and its compensation ran (effects below)
    assert "AC300" in local_out and "compensated: hold_seat" in local_out
    assert elapsed < TEMPORAL_SLOW_S / 2 and effects(0.5) == local_effects == ["hold", "release"], (effects(), elapsed)


def test_agent_fan_out_mode_all_is_refused(tmp_path, monkeypatch):
    """``Runner.run`` has no "run them all" mode for a failing call's siblings: an explicit
    ``mode = "all"`` on an agent would differ from the SDK on every target (AC410)."""
    policy(tmp_path, monkeypatch, 'mode = "all"\ndeadline = 3\n')
    with pytest.raises(AgentcError) as exc:
        agentc.compile(REF, target="temporal")
    d = exc.value.diagnostic
    assert d.code.value == "AC410" and d.line == 2 and "Runner.run" in d.message, d.render()
