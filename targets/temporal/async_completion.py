"""``agentc complete RUN STEP --value JSON --engine temporal``: complete an external step's
async activity (docs/policies.md "External completion", ``runtime_shims/temporal_external.py``).

The run's ``pending`` query lists the waiting external steps with their workflow id and
activity id; the value goes to Temporal as the activity's result through
``client.get_async_activity_handle(workflow_id=..., activity_id=...).complete(value)`` —
what any outside system can do with the same two ids (or with the activity's task token).
Then this waits, like ``agentc resume``, for the run's next outcome.
"""

from __future__ import annotations

import asyncio
from typing import Any

from agentc.errors import AgentcError, Code

SEEN_S = 30.0
"""How long, at most, to wait for the workflow to take the completion in (a worker must
run its next workflow task) before waiting for its outcome as ``agentc resume`` does."""


def _question(entry: dict[str, Any]) -> dict[str, Any]:
    """The pending entry's question, its packed tool spec read back (agent tools)."""
    q = dict(entry.get("value") or {})
    if q.get("external"):
        from agentc.runtime_shims.external_steps import read_spec

        q.update(read_spec({"external": q["external"]})["question"])
    return q


async def _described(client: Any, run_id: str) -> Any:
    try:
        return await client.get_workflow_handle(run_id).describe()
    except Exception:  # noqa: BLE001 - not found
        raise AgentcError(
            Code.UNKNOWN_RUN,
            f"no workflow {run_id!r} on the Temporal server",
            construct=run_id,
            hint="use the run id `agentc run --engine temporal` printed",
        ) from None


async def waiting_steps(client: Any, run_id: str) -> list[dict[str, Any]]:
    """The external steps the run (and its child workflows) wait for, or a diagnostic."""
    from agentc.runtime_shims.policy_gate import EXTERNAL_KIND

    from .engine import paused

    await _described(client, run_id)
    pending = await paused(client, run_id)
    if pending is None:
        raise AgentcError(
            Code.CONFIG,
            f"no worker answered run {run_id}'s queries",
            construct=run_id,
            hint="start a worker for it (agentc worker temporal REF --address ...) or pass "
            "--with-worker",
        )
    return [
        p
        for p in pending
        if p.get("activity_id") and (p.get("value") or {}).get("kind") == EXTERNAL_KIND
    ]


async def complete(
    run_id: str,
    step: str,
    value: Any,
    address: str,
    *,
    client: Any = None,
    with_worker: bool = False,
    no_worker_s: float | None = None,
) -> Any:
    """Complete the external step ``step`` (a node's name, a tool call id, or a tool's name)
    of run ``run_id`` with ``value`` and wait for the run's next outcome."""
    from . import engine

    client = client or await engine.connect(address)
    desc = await _described(client, run_id)
    if with_worker:
        entry = await desc.memo_value(engine.ENTRY_MEMO, None)
        if not entry:
            raise AgentcError(
                Code.RUN_NOT_RESUMABLE,
                f"run {run_id} records no REF to serve it with",
                construct=run_id,
                hint="start a worker for it and complete without --with-worker",
            )
        engine._quiet_activity_log()
        async with engine.running_worker(client, engine.load(entry), desc.task_queue):
            return await _complete(client, run_id, step, value, None)
    return await _complete(client, run_id, step, value, no_worker_s)


async def _complete(
    client: Any, run_id: str, step: str, value: Any, no_worker_s: float | None
) -> Any:
    from temporalio.service import RPCError

    from agentc.runtime_shims.external_steps import choose

    from .engine import paused, wait

    waiting = await waiting_steps(client, run_id)
    mine = choose(run_id, step, waiting, _question)
    handle = client.get_async_activity_handle(
        workflow_id=mine["workflow_id"], run_id=None, activity_id=mine["activity_id"]
    )
    try:
        await handle.complete(value)
    except RPCError as exc:  # completed meanwhile, or timed out (the run then fails with AC316)
        raise AgentcError(
            Code.INVALID_RESUME,
            f"run {run_id}: step {step!r} can no longer be completed ({exc.message})",
            construct=run_id,
            hint=f"see the run's outcome: agentc resume {run_id} --engine temporal",
        ) from None
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    while loop.time() - t0 < SEEN_S:  # until the workflow took it in (its pending list changed)
        pending = await paused(client, run_id)
        if pending is None or not any(p.get("activity_id") == mine["activity_id"] for p in pending):
            break
        await asyncio.sleep(0.05)
    return await wait(client, run_id, no_worker_s=no_worker_s)
