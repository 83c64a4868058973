"""Concurrent pollers: the simulator option ``parallel_workers`` (docs/conductor.md
"Worker tasks"; used for fan-out policies, docs/policies.md "Fan-outs").

A server hands each queued task to whichever worker polls it; with several workers
polling, the tasks of one fork run at the same time, and when one fails for good the
workflow fails and ``cancelNonTerminalTasks`` marks its running siblings CANCELED while
their workers go on (they learn it only from the server: ``GET /api/tasks/{taskId}``, or
when their update is ignored — ``updateTask`` drops an update of a task that is already
terminal or whose workflow is). By default the simulator polls due tasks one after
another (in scheduling order); with ``parallel_workers=N > 1`` every worker task due in a
round is polled at once and run in up to N threads, and each result is posted on the
driver's thread as it arrives (completion order), the workflow decided after each, so the
simulator's state is only ever changed by one thread. A task the server ended before its
worker started (a queued poll) is never handed to the worker. While a worker runs,
``task_status_source()`` in its thread answers what the server would: the task's and
its workflow's status (``task_status_source``).
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import threading
from typing import Any, Callable

from .model import IN_PROGRESS, RUNNING, SCHEDULED, TaskResult

_LOCAL = threading.local()


def task_status_source() -> Callable[[], tuple[str, str]] | None:
    """For the task this poller thread runs: a function answering ``(task status, workflow
    status)`` from any thread (None: not in a poller thread)."""
    return getattr(_LOCAL, "status", None)


class ParallelPolls:
    """Mixin of :class:`~agentc.targets.conductor.emulator.simulator.Simulator`."""

    _state: dict[str, Any]
    _kinds: dict[str, Any]
    dropped_update: Callable[[dict, dict, TaskResult], None] | None = None
    """Called with a worker's answer the server ignored (its task or workflow had ended),
    after the execution is final: what the worker does once it reads its task back
    (the Conductor target's ``late_effects.dropped``)."""

    def _poll_due_in_parallel(self, root_id: str) -> None:
        due = [
            (wf, task)
            for wf in self._family(root_id)  # type: ignore[attr-defined]
            if wf["status"] == RUNNING
            for task in list(wf["tasks"])
            if self._kinds[task["_kind"]].worker
            and task["status"] == SCHEDULED
            and task["_due"] is not None
            and task["_due"] <= self.now  # type: ignore[attr-defined]
            and task["taskType"] not in self._state["options"].get("unpolled", ())
        ]  # no worker polls these
        polled = []
        for wf, task in due:
            if wf["status"] == RUNNING:
                call = self._polled(wf, task)  # type: ignore[attr-defined]
                if call is not None:
                    polled.append((wf, task, call))
        if not polled:
            return

        def run(wf: dict, task: dict, call: Any) -> TaskResult | None:
            if task["status"] != IN_PROGRESS or wf["status"] != RUNNING:
                return None  # ended by the server before a worker took it: never started
            _LOCAL.status = lambda: (task["status"], wf["status"])
            try:
                return self._call_worker(call)  # type: ignore[attr-defined]
            finally:
                _LOCAL.status = None

        workers = min(int(self._state["options"]["parallelWorkers"]), len(polled))
        with concurrent.futures.ThreadPoolExecutor(
            workers, thread_name_prefix="conductor-poller"
        ) as pool:
            # each poll runs in a copy of the caller's context, as the one-poller simulation
            # runs the worker in the caller's own: context variables the host set (a log, a
            # fake model's recorder) reach the worker as they do without a policy
            futures = {
                pool.submit(contextvars.copy_context().run, run, wf, task, call): (wf, task)
                for wf, task, call in polled
            }
            for fut in concurrent.futures.as_completed(futures):
                wf, task = futures[fut]
                result = fut.result()
                if result is None:
                    continue
                if task["status"] != IN_PROGRESS or wf["status"] != RUNNING:
                    # updateTask ignores an update of a task the server has ended; the worker
                    # learns it by reading the task back (``dropped_update``)
                    if self.dropped_update is not None:
                        self.dropped_update(wf, task, result)
                    continue
                self._post(wf, task, result)  # type: ignore[attr-defined]
