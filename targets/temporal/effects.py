"""``agentc effects RUN_ID --engine temporal``: a workflow's effect ledger, read from its
history (docs/effects.md). Each step of a node named in the effect policy returns an
``effect`` record (``runtime_shims/steps.py``); the history keeps when its activity was
scheduled and completed, and the ``agentc-compensate`` activities that undid it."""
from __future__ import annotations

import json
from typing import Any

from agentc.errors import AgentcError, Code


def _payload(payloads: Any) -> Any:
    items = list(getattr(payloads, "payloads", []) or [])
    if not items:
        return None
    try:
        return json.loads(items[0].data)
    except ValueError:
        return None


async def ledger(run_id: str, address: str, *, client: Any = None) -> list[dict[str, Any]]:
    from temporalio.service import RPCError

    from agentc.runtime_shims.temporal_saga import COMPENSATE

    from .engine import connect

    client = client or await connect(address)
    try:
        history = await client.get_workflow_handle(run_id).fetch_history()
    except RPCError as exc:
        raise AgentcError(Code.UNKNOWN_RUN, f"no workflow {run_id!r} on {address}: {exc}", construct=run_id,
                          hint="pass the run id `agentc run --engine temporal` printed") from None
    scheduled: dict[int, tuple[str, Any, float]] = {}
    rows: dict[str, dict[str, Any]] = {}
    for e in history.events:
        at = e.event_time.ToDatetime().timestamp()
        if e.HasField("activity_task_scheduled_event_attributes"):
            a = e.activity_task_scheduled_event_attributes
            scheduled[e.event_id] = (a.activity_type.name, _payload(a.input), at)
        elif e.HasField("activity_task_completed_event_attributes"):
            a = e.activity_task_completed_event_attributes
            name, inp, started = scheduled[a.scheduled_event_id]
            if name == COMPENSATE and isinstance(inp, dict):
                row = rows.get(inp["effect"]["key"])
                if row is not None:
                    row.update(comp_status="done", comp_finished=at)
                continue
            out = _payload(a.result)
            rec = out.get("effect") if isinstance(out, dict) else None
            if isinstance(rec, dict):
                paused = out.get("status") == "interrupted"
                row = rows.setdefault(rec["key"], {"started": started})
                row.update(key=rec["key"], name=rec["name"], target=rec.get("target", "node"), **{"class": rec["class"]},
                           path=rec["path"], compensator=rec["compensator"], status="paused" if paused else "done",
                           finished=None if paused else at, digest=None if paused else rec["digest"],
                           error=None, arguments=rec["args"], result=rec["result"],
                           comp_status=None, comp_started=None, comp_finished=None, comp_error=None)
    return list(rows.values())
