"""Fan-out policies on parallel branches that are no ``Send`` (docs/policies.md "Fan-outs"),
with ``fixtures/langgraph/parallel_checks.py``: ``plan`` fans out by static edges to a fast
``price``, a failing ``verify`` (unless ``card`` is "ok") and a slow async ``notify``.

Without a policy every branch runs to its end (LangGraph's own behaviour: the slow
branch's effect happens although the run failed); with ``fail_fast`` the failure cancels
the slow branch before its effect; ``deadline`` bounds the superstep (AC311), and resuming
reruns the cancelled branches. The same on the local executor and on Temporal."""
from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest

import agentc
from agentc.errors import AgentcError, RunFailed
from agentc.fixtures.langgraph import parallel_checks as F

REF = "agentc.fixtures.langgraph.parallel_checks:graph"


def policy(tmp_path, monkeypatch, body: str) -> None:
    p = tmp_path / "p.toml"
    p.write_text("[policies.fanouts.verify]\n" + body)
    monkeypatch.setenv("AGENTC_POLICY", str(p))


def local(tmp_path, card: str) -> tuple[str, float, int]:
    F.EFFECTS.clear()
    threads = threading.active_count()
    t = time.monotonic()
    with pytest.raises(RunFailed) as exc:
        agentc.run(REF, {"card": card}, db=tmp_path / "runs.db")
    return exc.value.diagnostic.render(), time.monotonic() - t, threading.active_count() - threads


def test_local_without_policy_runs_the_slow_branch_to_its_end(tmp_path):
    out, elapsed, _ = local(tmp_path, "x")
    assert "AC300" in out and "verify" in out and elapsed >= F.SLOW_S
    assert sorted(F.EFFECTS) == ["notify", "price"]


def test_local_fail_fast_cancels_the_slow_branch(tmp_path, monkeypatch):
    policy(tmp_path, monkeypatch, 'mode = "fail_fast"\n')
    out, elapsed, leaked = local(tmp_path, "x")
    assert "AC300" in out and "card x declined" in out and elapsed < F.SLOW_S, (out, elapsed)
    assert F.EFFECTS == ["price"] and leaked == 0


async def temporal(address, code, inp, resume_after=None):
    """Start (and, with ``resume_after(run_id)`` given, resume once) a run served in process."""
    from agentc.targets.temporal import engine

    client = await engine.connect(address)
    loaded = engine.load(REF, code)
    F.EFFECTS.clear()
    queue = f"branches-{uuid.uuid4().hex[:8]}"  # its own queue: other tests serve REF with other policies
    run_id = f"branches-{uuid.uuid4().hex[:8]}"
    t = time.monotonic()
    async with engine.running_worker(client, loaded, queue):
        try:
            out = (await engine.start(REF, address, inp, client=client, task_queue=queue, run_id=run_id)).output
        except RunFailed as e:
            out = e.diagnostic.render()
        elapsed = time.monotonic() - t
        effects = list(F.EFFECTS)
        if resume_after is not None:
            resume_after()
            out = (await engine.resume(run_id, address, client=client)).output
    return out, elapsed, effects


def test_temporal_without_policy_runs_the_slow_branch_to_its_end(temporal_address, tmp_path, monkeypatch):
    monkeypatch.setattr(F, "SLOW_S", 2.0)
    out, elapsed, effects = asyncio.run(temporal(temporal_address, tmp_path / "code", {"card": "x"}))
    assert "AC300" in out and "verify" in out and sorted(effects) == ["notify", "price"], (out, effects)


def test_temporal_fail_fast_cancels_the_slow_branch(temporal_address, tmp_path, monkeypatch):
    monkeypatch.setattr(F, "SLOW_S", 4.0)
    policy(tmp_path, monkeypatch, 'mode = "fail_fast"\n')  # AC200 at compile before
    out, elapsed, effects = asyncio.run(temporal(temporal_address, tmp_path / "code", {"card": "x"}))
    assert "AC300" in out and "card x declined" in out, out
    assert elapsed < 4.0 and effects == ["price"], (elapsed, effects)


def test_temporal_deadline_cancels_the_branches_and_resume_reruns_them(temporal_address, tmp_path, monkeypatch):
    monkeypatch.setattr(F, "SLOW_S", 4.0)
    policy(tmp_path, monkeypatch, "deadline = 1\n")
    native = asyncio.run(F.graph.ainvoke({"card": "ok"}))
    out, elapsed, effects = asyncio.run(temporal(temporal_address, tmp_path / "code", {"card": "ok"},
                                                 resume_after=lambda: setattr(F, "SLOW_S", 0.1)))
    assert elapsed < 4.0 and effects == ["price"], (elapsed, effects)  # notify cancelled before its effect
    assert out == native and sorted(F.EFFECTS) == ["notify", "price"]  # the rerun: notify only, price kept


def test_temporal_refuses_a_branch_policy_beside_send_packets(tmp_path, monkeypatch):
    p = tmp_path / "p.toml"
    p.write_text('[policies.fanouts.price]\nmode = "fail_fast"\n')
    monkeypatch.setenv("AGENTC_POLICY", str(p))
    with pytest.raises(AgentcError) as exc:
        agentc.compile("agentc.fixtures.langgraph.parallel_checks:mixed", target="temporal")
    assert exc.value.diagnostic.code.value == "AC200" and "Send" in exc.value.diagnostic.message
    assert exc.value.diagnostic.line == 1
