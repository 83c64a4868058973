"""Task poll and total timeouts (docs/conductor.md "Timeouts and failure workflows"):
``pollTimeoutSeconds`` — the task is still SCHEDULED (no worker polled it) after
pollTimeout + callbackAfter seconds; ``totalTimeoutSeconds`` — the task is not terminal
that long after it was scheduled (``scheduledTime``; the emulator's retried tasks are new
tasks, so this is per attempt — exact for the tasks that use it here, whose TaskDefs have
``retryCount`` 0). Both apply the task's ``timeoutPolicy`` like ``timeoutSeconds``
(DeciderService ``checkTaskPollTimeout`` / ``checkTotalTimeout``).

An in-process worker polls a task the moment it is scheduled, so a worker's task never
waits in virtual time; the tasks these timeouts catch are those no worker polls — an
external step's task (``targets/conductor/external_tasks.py``) completed by a task update.
"""

from __future__ import annotations

from typing import Any

SCHEDULED = "SCHEDULED"


def _int(v: Any) -> int:
    try:
        return int(v or 0)
    except (TypeError, ValueError):
        return 0


def deadlines(task_def: dict[str, Any], task: dict[str, Any]) -> list[tuple[str, int, int]]:
    """``(kind, timeout seconds, due ms)`` of the poll / total timeouts that apply."""
    out: list[tuple[str, int, int]] = []
    start = _int(task.get("scheduledTime"))
    if start <= 0:
        return out
    poll = _int(task_def.get("pollTimeoutSeconds"))
    if poll > 0 and task.get("status") == SCHEDULED:
        after = _int(task.get("callbackAfterSeconds"))
        out.append(("poll", poll, start + (poll + after) * 1000))
    total = _int(task_def.get("totalTimeoutSeconds"))
    if total > 0:
        out.append(("total", total, start + total * 1000))
    return out


def expired(task_def: dict[str, Any], task: dict[str, Any], now: int) -> str | None:
    """Conductor's reason when a poll or total timeout of ``task`` has passed at ``now``."""
    for kind, timeout, due in deadlines(task_def, task):
        if now >= due:
            policy = task_def.get("timeoutPolicy")
            what = "poll timed out" if kind == "poll" else "timed out"
            return (
                f"Task {what} after {(now - _int(task['scheduledTime'])) // 1000} seconds. "
                f"{kind.capitalize()} timeout configured as {timeout} seconds. "
                f"Timeout policy configured to {policy}"
            )
    return None
