"""``agentc effects RUN_ID --engine temporal``: a workflow's effect ledger, read from its
history (docs/effects.md). Each step of a node named in the effect policy returns an
``effect`` record (``runtime_shims/steps.py``); the history keeps when its activity was
scheduled and completed, and the ``agentc-compensate`` activities that undid it. An
``at_most_once`` call cut off by a lost attempt is the activity that failed with AC305
(its ``uncertain`` record): ``started``, as the local ledger shows it; ``failed``
("forgotten by a human") once ``--forget`` was signalled (``forget``, below). A workflow
that continued as new is read across all its runs (``run_chain.py``), as its history is.
The ledger is checked against the run's effect chain in the payload store, whose head the
steps (and the compensations) return (``targets/effect_audit.py``: AC131 naming a row
edited, removed or inserted on the server)."""

from __future__ import annotations

import json
from typing import Any

from agentc.errors import AgentcError, Code

from ..effect_rows import ledger_row
from agentc.runtime_shims.at_most_once import uncertain_record
from agentc.targets import effect_audit
from agentc.runtime_shims.protocol import is_model_turn
from agentc.runtime_shims.step_audit import FIELD, latest
from agentc.runtime_shims.temporal_at_most_once import FORGET


def _payload(payloads: Any) -> Any:
    items = list(getattr(payloads, "payloads", []) or [])
    if not items:
        return None
    try:
        return json.loads(items[0].data)
    except ValueError:
        return None


async def ledger(run_id: str, address: str, *, client: Any = None) -> list[dict[str, Any]]:
    """The run's ledger, checked against its effect chain (``targets/effect_audit.py``)."""
    from agentc.targets.effect_audit import checked

    rows, head, links = await server_record(run_id, address, client=client)
    return checked(run_id, rows, head, links=links)


async def server_record(
    run_id: str, address: str, *, client: Any = None
) -> tuple[list[dict[str, Any]], str | None, dict[str, str]]:
    """The server's ledger rows, the head of the run's audit log and the own links of the
    rows no chain link holds (``effect_audit.checked``'s arguments), from the history."""
    from temporalio.service import RPCError

    from agentc.runtime_shims.temporal_saga import COMPENSATE

    from .engine import connect

    client = client or await connect(address)
    try:
        history = await client.get_workflow_handle(run_id).fetch_history()
    except RPCError as exc:
        raise AgentcError(
            Code.UNKNOWN_RUN,
            f"no workflow {run_id!r} on {address}: {exc}",
            construct=run_id,
            hint="pass the run id `agentc run --engine temporal` printed",
        ) from None
    from .run_chain import histories

    # every run of the workflow (it continues as new in long loops, run_chain.py), oldest first;
    # event ids are per run, so ``scheduled`` is keyed by both
    runs = await histories(client, run_id, history)
    scheduled: dict[tuple[int, int], tuple[str, Any, float]] = {}
    rows: dict[str, dict[str, Any]] = {}
    heads: list[dict[str, Any]] = []
    comp_head: str | None = None
    turn_head: str | None = None
    links: dict[str, str] = {}
    for run, e in [(n, e) for n, h in enumerate(runs) for e in h.events]:
        at = e.event_time.ToDatetime().timestamp()
        if e.HasField("activity_task_scheduled_event_attributes"):
            a = e.activity_task_scheduled_event_attributes
            scheduled[run, e.event_id] = (a.activity_type.name, _payload(a.input), at)
        elif e.HasField("activity_task_failed_event_attributes"):
            a = e.activity_task_failed_event_attributes
            _, _, started = scheduled[run, a.scheduled_event_id]
            details = _payload(a.failure.application_failure_info.details)
            rec = uncertain_record(details)
            if rec is not None and rows.get(rec["key"], {}).get("status") != "done":
                rows[rec["key"]] = _row(rec, "started", started, None, None)
                if details.get(FIELD):  # its worker's own record (step_audit.unfinished)
                    links[rec["key"]] = details[FIELD]
        elif e.HasField("workflow_execution_signaled_event_attributes"):
            for answer in _payload(e.workflow_execution_signaled_event_attributes.input) or {}:
                key = (
                    answer[len(FORGET) :]
                    if isinstance(answer, str) and answer.startswith(FORGET)
                    else None
                )
                if key in rows and rows[key]["status"] == "started":
                    rows[key].update(status="failed", error=FORGOTTEN)
        elif e.HasField("activity_task_completed_event_attributes"):
            a = e.activity_task_completed_event_attributes
            name, inp, started = scheduled[run, a.scheduled_event_id]
            if name == COMPENSATE and isinstance(inp, dict):
                done = _payload(a.result)
                if isinstance(done, dict) and done.get(FIELD):  # extends the run's log
                    comp_head = done[FIELD]
                row = rows.get(inp["effect"]["key"])
                if row is not None:
                    row.update(comp_status="done", comp_finished=at)
                continue
            out = _payload(a.result)
            if isinstance(out, dict) and out.get(FIELD):  # the run's audit log (step_audit.py)
                heads.append(out)
                if is_model_turn(out):  # an agent loop's (agent_effects.stamp_turn)
                    turn_head = out[FIELD]
            rec = out.get("effect") if isinstance(out, dict) else None
            if isinstance(rec, dict):
                own = rec.get("target") == "tool" or out.get("status") == "interrupted"
                if own and out.get(FIELD):  # agent_effects.tool_link, step_audit.unfinished
                    links[rec["key"]] = out[FIELD]
                paused = out.get("status") == "interrupted"
                first = rows.get(rec["key"], {}).get("started", started)
                rows[rec["key"]] = _row(
                    rec,
                    "paused" if paused else "done",
                    first,
                    None if paused else at,
                    None if paused else rec["digest"],
                )

    return list(rows.values()), comp_head or latest(heads) or turn_head, links


FORGOTTEN = effect_audit.FORGOTTEN


def _row(
    rec: dict[str, Any], status: str, started: float, finished: float | None, digest: str | None
) -> dict[str, Any]:
    return ledger_row(
        rec, status=status, started=started, finished=finished, digest=digest, result=rec["result"]
    )


async def forget(run_id: str, key: str, address: str, *, client: Any = None) -> str:
    """``agentc effects RUN_ID --forget KEY --engine temporal``: a human says the cut-off
    ``at_most_once`` call ``key`` did not happen. The workflow that waits on it (the run's
    or a child's, per the ``pending`` query) records the decision (the ``resume`` signal,
    ``temporal_at_most_once``); ``agentc resume`` then calls it again. Returns that
    workflow's id."""
    from agentc.runtime_shims.temporal_at_most_once import forget_answer

    from .engine import connect, paused

    client = client or await connect(address)
    try:
        pending = await paused(client, run_id)
    except Exception as exc:  # noqa: BLE001 - not found
        raise AgentcError(
            Code.UNKNOWN_RUN,
            f"no workflow {run_id!r} on {address}: {exc}",
            construct=run_id,
            hint="pass the run id `agentc run --engine temporal` printed",
        ) from None
    if pending is None:
        raise AgentcError(
            Code.CONFIG,
            f"no worker answered run {run_id}'s queries",
            construct=run_id,
            hint="start a worker for it (`agentc worker temporal REF --address ...`), then try "
            "again",
        )
    owner = next((p.get("workflow_id", run_id) for p in pending if p.get("effect") == key), None)
    if owner is None:
        raise AgentcError(
            Code.UNKNOWN_RUN,
            f"run {run_id!r} has no uncertain effect {key!r}",
            construct=key,
            hint=f"list its effects with `agentc effects {run_id} --engine temporal --address "
            f"{address}`",
        )
    await client.get_workflow_handle(owner).signal("resume", forget_answer(key))
    return owner
