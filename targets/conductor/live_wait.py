"""An ``at_most_once`` call cut off on a live Conductor server waits for a human
(docs/effects.md, "at_most_once on the engines", "On a live Conductor server").

The step worker's rule is the engines' (``runtime_shims/at_most_once.py``): the task of an
``at_most_once`` node or tool that Conductor retries after a lost attempt (``retryCount >
0``) does not call again and answers AC305 with the call's ``uncertain`` record. Posted as
it is (FAILED_WITH_TERMINAL_ERROR) it would fail the workflow, whose ``failureWorkflow``
then compensates the run — the local target and Temporal keep such a run waiting,
uncompensated. So the live worker answers the AC305 as **IN_PROGRESS with
``callbackAfterSeconds``** (``held``): conductor-oss puts a SIMPLE task updated to
IN_PROGRESS back in its queue, postponed by ``callbackAfterSeconds``, with the output the
worker sent (docs/effects.md "On a live Conductor server"): the same task — same id,
same ``retryCount``, no retry spent — is polled again every ``recheck_s()`` seconds, and
each answer is an update, so ``responseTimeoutSeconds`` never fires. The run stays
RUNNING.

The human's decision is kept where every worker and the CLI read it, the payload store:
``<store>/amo_decisions/<workflow id>/<key>.json``, bound to the waiting task's id
(``agentc effects RUN --forget KEY --engine conductor --server URL``: ``forget``). At the
next poll of that task its worker takes the decision (deleted first: a decision is used
once) and runs the step with the key in its input (``FORGOTTEN``): the call is made again,
with the same key. If that attempt is lost too, Conductor's retry is a new task, which
waits again for a new decision. ``agentc cancel RUN --engine conductor --server URL``
terminates and compensates instead.

The wait is bounded by the task's ``timeoutSeconds`` (measured from its first poll; one
hour by default, ``lowering.TIMEOUT_S``, or the node's limit): then the server times the
task out with ``TIME_OUT_WF`` and the run's failure workflow compensates it — loud, in the
execution, never a silent retry.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from agentc.errors import AgentcError, Code
from agentc.runtime_shims.at_most_once import FORGOTTEN, uncertain_record
from agentc.semantics import blobs

from . import store_records
from .at_most_once import uncertain_rows

FOLDER = "amo_decisions"
RECHECK_ENV = "AGENTC_CONDUCTOR_RECHECK_S"
RECHECK_S = 30
"""How often a waiting task is polled again, in seconds (``$AGENTC_CONDUCTOR_RECHECK_S``
overrides it for the worker): the longest a decision waits for its task."""
WAITING = ("IN_PROGRESS", "SCHEDULED")
"""A waiting task between two polls is SCHEDULED (postponed), while its worker runs it
IN_PROGRESS."""

Read = Callable[[str], dict[str, Any]]


def recheck_s() -> int:
    raw = os.environ.get(RECHECK_ENV, "")
    try:
        return max(1, int(raw)) if raw else RECHECK_S
    except ValueError:
        return RECHECK_S


# ---------------------------------------------------------------------------- the worker
def held(status: str, output: Any) -> int | None:
    """``callbackAfterSeconds`` when a worker's answer is an AC305 that must wait for a
    human (the worker then posts it IN_PROGRESS); None for any other answer."""
    if status == "FAILED_WITH_TERMINAL_ERROR" and uncertain_record(output) is not None:
        return recheck_s()
    return None


def with_decisions(
    input: dict[str, Any], retry_count: int, workflow_id: str, task_id: str
) -> dict[str, Any]:
    """The task's input with the keys a human forgot for this very task (taken: each
    decision is used once). Only a retried task (``retry_count > 0``) can wait; an
    unreachable store leaves the input as it is (the step answers AC305 again: it waits)."""
    if retry_count <= 0 or not (workflow_id and task_id):
        return input
    try:
        keys = take(workflow_id, task_id)
    except Exception:  # noqa: BLE001 - fsspec backends raise many types: keep waiting
        return input
    if not keys:
        return input
    return {**input, FORGOTTEN: [*(input.get(FORGOTTEN) or ()), *keys]}


# ---------------------------------------------------------------------------- the store
def decisions(workflow_id: str, store: blobs.Store | None = None) -> list[dict[str, Any]]:
    """The decisions waiting for a task of workflow ``workflow_id``."""
    return store_records.read_all(store or blobs.store(), FOLDER, workflow_id)


def decide(workflow_id: str, key: str, task_id: str) -> None:
    """Record that the call ``key`` did not happen, for the task ``task_id`` waiting on it."""
    entry = {"workflow_id": workflow_id, "key": key, "task_id": task_id, "decided": time.time()}
    store_records.write(blobs.store(), FOLDER, workflow_id, key, entry)


def take(workflow_id: str, task_id: str) -> list[str]:
    """The keys decided for ``task_id``, their decisions deleted (used once)."""
    store = blobs.store()
    keys = []
    for d in decisions(workflow_id, store):
        if d.get("task_id") == task_id:
            store_records.remove(store, FOLDER, workflow_id, d["key"])
            keys.append(d["key"])
    return keys


# ---------------------------------------------------------------------------- the CLI
def waiting(read: Read, workflow_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(workflow id, task)`` of each task waiting on an uncertain call, in the run and
    the sub-workflows it started."""
    ex = read(workflow_id)
    if ex.get("status") != "RUNNING":
        return
    for t in ex.get("tasks") or []:
        if t.get("status") in WAITING and uncertain_record(t.get("outputData")) is not None:
            yield workflow_id, t
        sub = t.get("subWorkflowId") or (t.get("outputData") or {}).get("subWorkflowId")
        if sub and t.get("status") in WAITING:
            yield from waiting(read, sub)


def forget(read: Read, run_id: str, key: str) -> str:
    """``--forget KEY`` on a live run: the call did not happen; returns the waiting task's
    id (its next poll calls again)."""
    for wid, t in waiting(read, run_id):
        if (uncertain_record(t["outputData"]) or {}).get("key") == key:
            decide(wid, key, t["taskId"])
            return str(t["taskId"])
    raise AgentcError(
        Code.UNKNOWN_RUN,
        f"run {run_id} has no call waiting for a decision with key {key!r}",
        construct=key,
        hint=f"list its effects with `agentc effects {run_id} --engine conductor --server URL`",
    )


def ledger_rows(read: Read, run_id: str, rows: dict[str, dict[str, Any]]) -> None:
    """The waiting calls in ``agentc effects --server``: ``started`` (cut off), ``failed``
    once forgotten — the local ledger's words."""
    uncertain_rows(
        waiting(read, run_id),
        lambda wid, key, task_id: any(
            d.get("key") == key and d.get("task_id") == task_id for d in decisions(wid)
        ),
        rows,
    )


__all__ = [
    "RECHECK_ENV",
    "decide",
    "decisions",
    "forget",
    "held",
    "ledger_rows",
    "recheck_s",
    "take",
    "waiting",
    "with_decisions",
]
