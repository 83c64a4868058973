"""Late effects on a live Conductor server (docs/effects.md "Late effects on a live
Conductor server"): a compensable step whose effect completed after the server had ended
its task is compensated by the worker that ran it.

Why the worker: the failure workflow compensates what the failed execution records — the
``effect`` records of its COMPLETED tasks (``effects.effect_records``). A sibling that was
still running when another one failed the workflow (``fail_fast``, or the workflow failed
or was terminated) was marked CANCELED by ``cancelNonTerminalTasks``; its worker goes on
(a sync call cannot be interrupted; the fan-out watcher cancels an async one at its next
``await``, which may be after the effect), and its update is ignored: conductor-oss
``WorkflowExecutorOps.updateTask`` returns the stored task unchanged when the task is
already terminal ("has already finished execution") or its workflow is, and
``TaskResource.updateTask`` answers the task id with 200 either way. So the answer tells
the worker nothing; it reads the task back instead:

1. a COMPLETED outcome with a compensable ``effect`` is posted by the worker itself
   (``POST /api/tasks``, what the SDK's runtime would post right after; its own repeat of
   the update is then ignored as an update of an ended task);
2. then the execution is read (``GET /api/workflow/{id}?includeTasks=true``). Between
   CANCELED tasks and the workflow's terminal status the server persists the tasks first
   (``terminateWorkflow``: ``cancelNonTerminalTasks`` before ``updateWorkflow``), so a
   CANCELED task in a RUNNING workflow is read again, for at most ``SETTLE_S``;
3. the worker compensates when the workflow ended without completing (FAILED,
   TERMINATED, TIMED_OUT) and its execution does not hold the record — exactly when the
   failure workflow (or ``agentc cancel``) cannot see it. A running workflow may retry the
   task (same key: the service answers from its stored response), so nothing is undone.

The compensation is the saga's: ``compensators.compensate`` with the run id the failure
workflow's task uses (the failed workflow's id), so its key is the one the saga would send
and a service answers a repeat from its stored response. It is recorded in the payload
store every worker and the CLI share (``<store>/late_effects/<run id>/<key>.json``),
``pending`` before the compensator runs, then ``done`` or ``failed``: ``agentc effects
--engine conductor`` shows it (``ledger_rows``), and a second delivery of the same record
(never expected: a CANCELED task is not handed out again) does not undo it twice.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any

from ..effect_rows import ledger_row
from agentc.runtime_shims.protocol import Outcome, Status
from agentc.semantics import blobs

from . import store_records

LATE_FIELD = "late_effect"
"""The key of a failed outcome's output that carries the record of an effect its step
completed (the fan-out watcher's cancelled outcome, an oversized output)."""

FOLDER = "late_effects"
SETTLE_S = 10.0
"""How long a CANCELED task in a RUNNING workflow is read again (the server writes the
workflow's terminal status right after its tasks')."""
ENDED = ("FAILED", "TERMINATED", "TIMED_OUT")


# ---------------------------------------------------------------------------- the record
def compensable(rec: Any) -> dict[str, Any] | None:
    if isinstance(rec, dict) and rec.get("class") == "compensable" and rec.get("compensator"):
        return rec
    return None


def record_of(outcome: Outcome) -> dict[str, Any] | None:
    """The compensable effect record ``outcome`` reports: a completed step's ``effect``, or
    the ``LATE_FIELD`` of a failed one."""
    out = outcome.output if isinstance(outcome.output, dict) else {}
    if outcome.status is Status.COMPLETED:
        return compensable(out.get("effect"))
    return compensable(out.get(LATE_FIELD))


def keep(before: Outcome, after: Outcome) -> Outcome:
    """``after`` (a failure that replaced ``before``: the watcher's cancel, the payload
    bound) with ``before``'s compensable record, so the worker still knows the effect."""
    rec = record_of(before)
    if rec is None or after.status is Status.COMPLETED or not isinstance(after.output, dict):
        return after
    return Outcome(after.status, {**after.output, LATE_FIELD: rec}, after.reason)


def must_compensate(rec: dict[str, Any], execution: dict[str, Any]) -> bool:
    """Whether the worker undoes ``rec`` itself: the run ended without completing and its
    execution (what its failure workflow reads) does not hold the record."""
    from .effects import effect_records

    if execution.get("status") not in ENDED:
        return False
    held = {r["key"] for r, _ in effect_records(execution.get("tasks") or [])}
    return rec["key"] not in held


# ---------------------------------------------------------------------------- the store
def _write(store: blobs.Store, run_id: str, entry: dict[str, Any]) -> None:
    store_records.write(store, FOLDER, run_id, entry["record"]["key"], entry)


def recorded(run_id: str, store: blobs.Store | None = None) -> list[dict[str, Any]]:
    """The late effects of run ``run_id`` the workers recorded, oldest first."""
    entries = store_records.read_all(store or blobs.store(), FOLDER, run_id)
    return sorted(entries, key=lambda e: (e.get("finished") or 0, e["record"]["key"]))


def compensate(
    rec: dict[str, Any],
    run_id: str,
    *,
    task_id: str = "",
    started: float | None = None,
    finished: float | None = None,
) -> dict[str, Any]:
    """Undo ``rec`` (the saga's compensator, the saga's key) and record it; returns the
    entry. An entry already ``done`` is not undone again."""
    from agentc.runtime_shims.compensators import compensate as run_compensator

    store = blobs.store()
    for old in recorded(run_id, store):
        if old["record"]["key"] == rec["key"] and old.get("comp_status") == "done":
            return old
    entry: dict[str, Any] = {
        "run": run_id,
        "task_id": task_id,
        "record": rec,
        "started": started,
        "finished": finished,
        "comp_status": "pending",
        "comp_started": time.time(),
        "comp_finished": None,
        "comp_error": None,
    }
    _write(store, run_id, entry)
    try:
        run_compensator(rec, run_id)
        entry.update(comp_status="done")
    except Exception as exc:  # noqa: BLE001 - the user's compensator: recorded, shown by the ledger
        entry.update(
            comp_status="failed",
            comp_error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(),
        )
    entry["comp_finished"] = time.time()
    _write(store, run_id, entry)
    return entry


def ledger_rows(run_id: str, rows: dict[str, dict[str, Any]]) -> None:
    """Add the run's late effects to ``agentc effects`` rows (``effects.ledger``'s)."""
    for e in recorded(run_id):
        rec = e["record"]
        row = rows.get(rec["key"])
        if row is None:
            row = rows[rec["key"]] = ledger_row(
                rec,
                status="done",
                started=e.get("started"),
                finished=e.get("finished"),
                digest=rec.get("digest"),
                result=rec.get("result"),
            )
        if row.get("comp_status") != "done":
            row.update(
                comp_status=e.get("comp_status"),
                comp_started=e.get("comp_started"),
                comp_finished=e.get("comp_finished"),
                comp_error=e.get("comp_error"),
            )


# ---------------------------------------------------------------------------- a live worker
def settled(read: Callable[[], dict[str, Any]], task_id: str) -> dict[str, Any]:
    """The execution once a CANCELED ``task_id`` has its workflow's final status (bounded
    by ``SETTLE_S``; see the module's docstring)."""
    end = time.monotonic() + SETTLE_S
    while True:
        ex = read()
        task = next((t for t in ex.get("tasks") or [] if t.get("taskId") == task_id), None)
        waiting = ex.get("status") == "RUNNING" and (task or {}).get("status") == "CANCELED"
        if not waiting or time.monotonic() >= end:
            return ex
        time.sleep(0.1)


def deliver(
    server: Any,
    result: Any,
    outcome: Outcome,
    *,
    workflow_id: str,
    task_id: str,
    started: float,
) -> dict[str, Any] | None:
    """For a step of a live worker whose outcome reports a compensable effect: post the
    update, read the task back, and compensate the effect when the server ignored it
    (steps 1-3 of the module's docstring). Returns the late effect's entry, if any. Any
    failure to reach the server leaves the answer to the SDK's own update (no verdict)."""
    from . import live_task

    rec = record_of(outcome)
    if rec is None or server is None or not (workflow_id and task_id):
        return None
    c = live_task.clients(server)
    try:
        if outcome.status is Status.COMPLETED:
            c["tasks"].update_task(body=result)
        ex = settled(lambda: live_task.execution(server, workflow_id), task_id)
    except Exception:  # noqa: BLE001 - unreachable: the SDK's update retries, no verdict
        return None
    if not must_compensate(rec, ex):
        return None
    return compensate(rec, workflow_id, task_id=task_id, started=started, finished=time.time())


def dropped(execution: dict[str, Any], task: dict[str, Any], status: str, output: Any) -> None:
    """The simulation's worker, for an answer its server ignored (``dropped_update``):
    what ``deliver`` does on a live worker once it has read the execution back."""
    from .wire import CONDUCTOR_STATUS

    of = {v: k for k, v in CONDUCTOR_STATUS.items()}
    if status not in of:
        return  # IN_PROGRESS: no outcome yet
    rec = record_of(Outcome(of[status], output if isinstance(output, dict) else {}))
    if rec is not None and must_compensate(rec, execution):
        compensate(rec, execution["workflowId"], task_id=task["taskId"], finished=time.time())


__all__ = [
    "LATE_FIELD",
    "compensate",
    "deliver",
    "dropped",
    "keep",
    "ledger_rows",
    "must_compensate",
    "record_of",
    "recorded",
    "settled",
]
