"""The booking saga on the Temporal dev server (docs/effects.md): the generated workflow
is a saga; the idempotency keys are the ones the step worker derives on every target;
a failing hotel compensates the flight before the workflow fails; a cancel at a pause
compensates before the workflow reports the cancellation."""
from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

import agentc
from agentc.targets.temporal import engine
from agentc.targets.temporal.cancel import cancel
from booking_service import serving

SAGA = "agentc.fixtures.langgraph.booking_saga:graph"
APPROVAL = "agentc.fixtures.langgraph.booking_approval:graph"
POLICY = """[tool.agentc.effects.reserve_flight]
class = "compensable"
compensator = "agentc.fixtures.langgraph.booking_saga:release_flight"

[tool.agentc.effects.reserve_hotel]
class = "compensable"
compensator = "agentc.fixtures.langgraph.booking_saga:cancel_hotel"

[tool.agentc.effects.charge_card]
class = "compensable"
compensator = "agentc.fixtures.langgraph.booking_saga:refund"
"""


@pytest.fixture
def svc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    with serving(monkeypatch, tmp_path, POLICY) as s:  # the policy read by the run and its worker
        yield s


async def _run(ref: str, address: str, inp: Any, then: Any = None) -> Any:
    client = await engine.connect(address)
    loaded = engine.load(ref)
    q = f"saga-{uuid.uuid4().hex[:10]}"
    run_id = f"{q}-run"
    async with engine.running_worker(client, loaded, q):
        try:
            out = await asyncio.wait_for(engine.start(ref, address, inp, client=client, task_queue=q, run_id=run_id),
                                         60)
        except agentc.AgentcError as exc:
            return run_id, exc
        if then is not None:
            return run_id, await asyncio.wait_for(then(client, run_id), 60)
        return run_id, out


def test_temporal_saga_books_with_the_local_keys(svc: Any, temporal_address: str, tmp_path: Path) -> None:
    inp = {"trip": "t", "hotel": "ok", "amount": 5}
    run_id, out = asyncio.run(_run(SAGA, temporal_address, inp))
    assert out.status == "done" and out.output == {**inp, "flight": "FL-t-1", "room": "HT-t-2", "charge": "CH-t-3"}
    temporal_keys = [k for _, k in svc.effects()]
    svc.reset()
    agentc.run(SAGA, inp, db=tmp_path / "r.db", run_id=run_id)
    assert [k for _, k in svc.effects()] == temporal_keys  # same run id: same keys on both targets


def test_temporal_saga_hotel_full_releases_the_flight(svc: Any, temporal_address: str) -> None:
    from agentc.targets.temporal.effects import ledger

    run_id, err = asyncio.run(_run(SAGA, temporal_address, {"trip": "t", "hotel": "full", "amount": 5}))
    assert isinstance(err, agentc.AgentcError) and "no room left" in str(err)
    assert svc.paths() == ["/flights/reserve", "/flights/release"]
    assert svc.requests[-1].body == {"id": "FL-t-1"}
    rows = asyncio.run(ledger(run_id, temporal_address))
    assert [(r["name"], r["status"], r["comp_status"]) for r in rows] == [("reserve_flight", "done", "done")]


def test_temporal_cancel_at_a_pause_compensates(svc: Any, temporal_address: str) -> None:
    async def cancel_it(client: Any, run_id: str) -> Any:
        return await cancel(run_id, temporal_address, client=client)

    (Path.cwd() / "pyproject.toml").write_text("")  # booking_approval declares its effect with the decorator
    _, out = asyncio.run(_run(APPROVAL, temporal_address, {"trip": "c"}, then=cancel_it))
    assert (out.status, out.compensated) == ("cancelled", ["book"])
    assert svc.paths() == ["/flights/reserve", "/flights/release"]


def test_temporal_activity_lost_after_the_effect_is_retried_with_the_same_key(svc: Any,
                                                                             temporal_address: str) -> None:
    """The worker's answer for ``reserve_flight`` is lost after the service booked (the
    activity fails as a dying worker's would, retryable): Temporal retries the activity,
    which sends the same key; the service books once."""
    from temporalio import activity

    async def go() -> Any:
        client = await engine.connect(temporal_address)
        loaded = engine.load(SAGA)
        lost: list[str] = []
        wrapped = []
        from agentc.runtime_shims.temporal_saga import COMPENSATE

        names = [*sorted(loaded["worker"].layout.task_kinds), COMPENSATE]  # activities_for's order
        assert len(names) == len(loaded["activities"])
        for fn, name in zip(loaded["activities"], names):

            def make(fn: Any = fn, name: str = name) -> Any:
                @activity.defn(name=name)
                def run(payload: dict) -> Any:
                    out = fn(payload)
                    if name.endswith("reserve_flight") and not lost:
                        lost.append(name)
                        raise RuntimeError("worker lost before reporting")
                    return out
                return run
            wrapped.append(make())
        loaded = {**loaded, "activities": wrapped}
        q = f"saga-{uuid.uuid4().hex[:10]}"
        async with engine.running_worker(client, loaded, q):
            out = await asyncio.wait_for(engine.start(SAGA, temporal_address, {"trip": "t", "hotel": "ok", "amount": 1},
                                                      client=client, task_queue=q, run_id=f"{q}-run"), 60)
        return out, lost

    out, lost = asyncio.run(go())
    assert out.status == "done" and lost
    assert svc.paths() == ["/flights/reserve", "/hotels/reserve", "/charges"]
    assert [r.path for r in svc.requests].count("/flights/reserve") == 2  # the retry was a replay


@pytest.mark.parametrize("hotel, kill_after", [("ok", "/hotels/reserve"), ("full", "/flights/release")])
def test_worker_process_killed_mid_tool_or_mid_compensation(svc: Any, temporal_address: str, tmp_path: Path,
                                                           hotel: str, kill_after: str) -> None:
    """A worker PROCESS is SIGKILLed right after the service answered (a node's request,
    or a compensator's); its activity times out and a new worker process retries it with
    the same key: each effect happens once, the compensation once, the outcome is the
    no-crash one."""
    from test_temporal_durability import DEADLINE_S, WorkerProcs

    ref = "effects_temporal_kill:graph"
    (tmp_path / "pyproject.toml").write_text(POLICY)
    mark = tmp_path / "killed"
    procs = WorkerProcs(tmp_path, temporal_address, f"kill-{uuid.uuid4().hex[:8]}", tmp_path / "log", ref=ref,
                        env={"AGENTC_KILL_AFTER": kill_after, "AGENTC_KILL_MARK": str(mark)})
    inp = {"trip": "k", "hotel": hotel, "amount": 2}

    async def go() -> Any:
        client = await engine.connect(temporal_address)
        first = procs.spawn()
        run = asyncio.ensure_future(engine.start(ref, temporal_address, inp, task_queue=procs.queue, client=client,
                                                 options={"activity_timeout_s": 3}))
        t0 = asyncio.get_running_loop().time()
        while not mark.exists():
            assert asyncio.get_running_loop().time() - t0 < DEADLINE_S, procs.output()
            await asyncio.sleep(0.05)
        first.wait(timeout=30)
        assert first.returncode == -9
        procs.spawn()
        try:
            return await asyncio.wait_for(run, DEADLINE_S)
        except agentc.AgentcError as exc:
            return exc

    try:
        out = asyncio.run(go())
    finally:
        procs.close()
    if hotel == "ok":
        assert out.status == "done" and out.output["room"] == "HT-k-2", out
        assert svc.paths() == ["/flights/reserve", "/hotels/reserve", "/charges"]
    else:
        assert isinstance(out, agentc.AgentcError) and "no room left" in str(out)
        assert svc.paths() == ["/flights/reserve", "/flights/release"]
    assert [r.path for r in svc.requests].count(kill_after) == 2  # the retry was answered from the stored response


def test_temporal_ledger_from_the_history(svc: Any, temporal_address: str) -> None:
    from agentc.targets.temporal.effects import ledger

    async def read(client: Any, run_id: str) -> Any:
        return await ledger(run_id, temporal_address, client=client)

    _, rows = asyncio.run(_run(SAGA, temporal_address, {"trip": "t", "hotel": "ok", "amount": 5}, then=read))
    assert [(r["name"], r["class"], r["status"], r["result"]) for r in rows] == [
        ("reserve_flight", "compensable", "done", {"flight": "FL-t-1"}),
        ("reserve_hotel", "compensable", "done", {"room": "HT-t-2"}),
        ("charge_card", "compensable", "done", {"charge": "CH-t-3"})]
    assert [r["key"] for r in rows] == [k for _, k in svc.effects()]
    assert all(r["finished"] >= r["started"] and r["digest"] for r in rows)
