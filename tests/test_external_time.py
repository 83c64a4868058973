"""External steps that take long (docs/policies.md "External completion"): a 10-minute
async step and a policy timeout on Temporal's time-skipping test server (minutes of
workflow time in seconds), and the timeout on the dev server with a short bound. The
value is compared with ``graph.invoke`` of the graph whose node is ``interrupt()``
(``test_policies_external.native``)."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from agentc.errors import RunFailed
from test_policies_external import DONE, INPUT, REF, native


def timed_policy(tmp_path: Path, timeout: float | None) -> Path:
    p = tmp_path / "p.toml"
    p.write_text("[policies.nodes.migrate]\nexternal = true\n" + (f"timeout = {timeout}\n" if timeout else ""))
    return p


async def started(client, run_id: str) -> None:
    """Until the server shows the external activity started (a worker took it and
    completed it asynchronously), at most 30 s."""
    from temporalio.api.enums.v1 import PendingActivityState

    t0 = time.monotonic()
    while time.monotonic() - t0 < 30:
        acts = (await client.get_workflow_handle(run_id).describe()).raw_description.pending_activities
        if acts and acts[0].state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the external activity did not start")


async def outside_work(env, seconds: float) -> None:
    """The outside system takes ``seconds`` of the server's clock. The V1 test server holds
    a time-skipping lock for every scheduled activity until it completes (so a worker runs
    it in real time), and an async-completed activity stays scheduled: the outside party
    releases one lock while it "works", as an activity calling ``env.sleep`` would, and
    takes it back after (the counts stay balanced)."""
    from temporalio.api.testservice.v1 import LockTimeSkippingRequest, UnlockTimeSkippingRequest

    await env.client.test_service.unlock_time_skipping(UnlockTimeSkippingRequest())
    try:
        await env.sleep(seconds)
    finally:
        await env.client.test_service.lock_time_skipping(LockTimeSkippingRequest())


def test_ten_minute_external_step_on_the_time_skipping_server(temporal_test_server_exe, tmp_path, monkeypatch):
    from temporalio.client import WorkflowExecutionStatus
    from temporalio.testing import WorkflowEnvironment

    from agentc.targets.temporal import async_completion, engine

    expected = native()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AGENTC_POLICY", str(timed_policy(tmp_path, 3600)))

    async def go():
        async with await WorkflowEnvironment.start_time_skipping(
                test_server_existing_path=temporal_test_server_exe) as env:
            async with engine.running_worker(env.client, engine.load(REF, tmp_path / "code")):
                out = await engine.start(REF, "", INPUT, client=env.client, run_id="ten-minutes")
                assert out.status == "waiting" and out.interrupts[0]["value"]["timeout"] == 3600
                await started(env.client, "ten-minutes")
                t_before = await env.get_current_time()
                await outside_work(env, 600)  # the outside work takes 10 minutes (of the server's clock)
                skipped = (await env.get_current_time() - t_before).total_seconds()
                assert 600 <= skipped < 3600, skipped  # ten minutes passed, not the policy's hour
                still = await env.client.get_workflow_handle("ten-minutes").describe()
                assert still.status == WorkflowExecutionStatus.RUNNING and still.raw_description.pending_activities
                done = await async_completion.complete("ten-minutes", "migrate", DONE, "", client=env.client)
                desc = await env.client.get_workflow_handle("ten-minutes").describe()
        return done, desc

    t0 = time.monotonic()
    done, desc = asyncio.run(go())
    wall = time.monotonic() - t0
    assert done.status == "done" and done.output == expected
    assert (desc.close_time - desc.start_time).total_seconds() >= 600  # ten minutes of workflow time ...
    assert wall < 60, f"took {wall:.1f} s of wall time"  # ... in seconds
    print(f"10-minute external step: {wall:.2f} s wall")


def test_external_timeout_on_the_time_skipping_server(temporal_test_server_exe, tmp_path, monkeypatch):
    """Never completed: after the policy's hour the activity times out (one attempt, no
    silent retry) and the run fails with AC316 naming the node."""
    from temporalio.testing import WorkflowEnvironment

    from agentc.targets.temporal import engine

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AGENTC_POLICY", str(timed_policy(tmp_path, 3600)))

    async def go():
        async with await WorkflowEnvironment.start_time_skipping(
                test_server_existing_path=temporal_test_server_exe) as env:
            async with engine.running_worker(env.client, engine.load(REF, tmp_path / "code")):
                out = await engine.start(REF, "", INPUT, client=env.client, run_id="an-hour")
                assert out.status == "waiting"
                await started(env.client, "an-hour")
                await outside_work(env, 3601)  # and never completes it
                with pytest.raises(RunFailed) as failed:
                    await engine.wait(env.client, "an-hour")
                desc = await env.client.get_workflow_handle("an-hour").describe()
        return failed.value, desc

    t0 = time.monotonic()
    err, desc = asyncio.run(go())
    assert err.diagnostic.code.value == "AC316" and "'migrate'" in err.diagnostic.message, err.diagnostic.render()
    assert (desc.close_time - desc.start_time).total_seconds() >= 3600
    assert time.monotonic() - t0 < 60


def test_external_timeout_on_the_dev_server(temporal_address, tmp_path, monkeypatch):
    from agentc.targets.temporal import engine

    monkeypatch.setenv("AGENTC_POLICY", str(timed_policy(tmp_path, 1)))

    async def go():
        client = await engine.connect(temporal_address)
        async with engine.running_worker(client, engine.load(REF, tmp_path / "code"), None):
            out = await engine.start(REF, temporal_address, INPUT, client=client)
            assert out.status == "waiting"
            t0 = time.monotonic()
            with pytest.raises(RunFailed) as failed:  # waiting until the bound passes, then failed
                while time.monotonic() - t0 < 30:
                    assert (await engine.wait(client, out.run_id)).status == "waiting"
                    await asyncio.sleep(0.2)
            return failed.value, time.monotonic() - t0

    err, took = asyncio.run(go())
    assert err.diagnostic.code.value == "AC316", err.diagnostic.render()
    assert took < 15
