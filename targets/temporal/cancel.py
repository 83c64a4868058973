"""``agentc cancel RUN_ID --engine temporal``: cancel the workflow; a saga workflow
compensates its completed effects before it reports the cancellation
(``runtime_shims/temporal_saga.py``, docs/effects.md)."""

from __future__ import annotations

from typing import Any

from agentc.errors import AgentcError, Code


async def cancel(run_id: str, address: str, *, client: Any = None, timeout_s: float = 120.0) -> Any:
    import asyncio

    from temporalio.client import WorkflowFailureError
    from temporalio.service import RPCError

    from agentc.targets.local.executor import RunOutcome

    from .engine import connect

    client = client or await connect(address)
    handle = client.get_workflow_handle(run_id)
    try:
        await handle.cancel()
    except RPCError as exc:
        raise AgentcError(
            Code.UNKNOWN_RUN,
            f"cannot cancel {run_id}: {exc}",
            construct=run_id,
            hint="is it a running workflow on this server?",
        ) from None
    try:
        await asyncio.wait_for(handle.result(), timeout_s)
        raise AgentcError(
            Code.RUN_NOT_RESUMABLE,
            f"run {run_id} finished before the cancellation reached it",
            construct=run_id,
            hint="nothing was compensated",
        )
    except WorkflowFailureError:
        pass  # cancelled (after compensating)
    try:
        done = await handle.query("compensated")
    except Exception:  # noqa: BLE001 - not a saga workflow: nothing to compensate
        done = []
    return RunOutcome(run_id, "cancelled", compensated=list(done))
