"""Response timeouts and lease extensions (docs/conductor.md "Leases: response timeouts and
extendLease").

A worker holding a task (polled, IN_PROGRESS) must be heard from within the TaskDef's
``responseTimeoutSeconds``, or the server times the task out. What the conductor-oss server
does (commit ``b54f0d4``):

* ``DeciderService.decide`` checks, after the total, task and poll timeouts,
  ``isResponseTimedOut``: a task that is IN_PROGRESS (not terminal, not an async-complete
  system task), with ``responseTimeoutSeconds`` > 0, and ``now - updateTime`` at least
  ``(responseTimeoutSeconds + callbackAfterSeconds) * 1000`` ms; ``timeoutTask`` then sets it
  TIMED_OUT with the reason ``responseTimeout: N exceeded for the taskId: ID with Task
  Definition: NAME`` *whatever the timeoutPolicy*, and the usual retry follows (a new task
  while ``retryCount`` allows, else the workflow ends TIMED_OUT).
* ``WorkflowExecutorOps.updateTask``: a TaskResult with ``extendLease: true`` is handled
  first and alone — ``extendLease`` finds the task (404 when there is none) and, unless it is
  terminal, ``ExecutionDAOFacade.extendLease`` sets its ``updateTime`` to now; nothing else of
  the result (status, output, callbackAfterSeconds) is applied and the workflow is not
  decided. So a lease extension only moves the response-timeout deadline.
* A poll (``ExecutionService.poll``) sets IN_PROGRESS and ``updateTime`` (every
  ``ExecutionDAOFacade.updateTask`` of a non-terminal task stamps it), and resets
  ``callbackAfterSeconds`` to 0.

In the simulator an in-process worker runs inside one driver call while the virtual clock
stands still, so a worker task is only IN_PROGRESS for long when the worker left it waiting
for :meth:`Simulator.complete_task` (``_held``: the simulator's deliberate difference, never
timed out). ``worker_time_scale`` lets virtual time pass *during* worker calls: with scale
``k`` a call that lasts ``r`` real seconds lasts ``k * r`` virtual seconds, and the worker's
lease extensions (``current().extend()``, from its thread) are stamped at their virtual
moment. When the call returns, the driver replays them in order, as the server's sweeper
would have seen them: the first gap reaching the deadline times the task out *at* the
deadline (the clock is moved there and the workflow decided: TIMED_OUT, retry), and the
worker's late result is then ignored, as ``updateTask`` ignores an update of an ended task.
Scale 0 (the default) keeps the clock still: no call can outlive its lease. The REST
façade (``http_api.py``) runs on the wall clock, so there the decide of each request's sweep
applies the rule to tasks its HTTP workers hold, and ``POST /api/tasks`` takes extendLease
updates. Response deadlines are not timers of :meth:`Simulator.run`: outside a worker call
no in-process task has a response deadline to wait for.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .metadata import _td
from .model import IN_PROGRESS, RUNNING, TIMED_OUT, _TERMINAL, TaskCall, TaskResult
from .utils import _int

_LOCAL = threading.local()


def response_timeout_s(task_def: dict[str, Any] | None) -> int:
    """The TaskDef's ``responseTimeoutSeconds`` (its default when unset; 0: none)."""
    return _int(_td(task_def, "responseTimeoutSeconds")) if task_def else 0


def deadline(task_def: dict[str, Any] | None, task: dict[str, Any]) -> int | None:
    """When ``isResponseTimedOut`` turns true for ``task`` (ms; None: never, as things are)."""
    timeout = response_timeout_s(task_def)
    if task["status"] != IN_PROGRESS or timeout <= 0:
        return None
    return _int(task.get("updateTime")) + (timeout + _int(task.get("callbackAfterSeconds"))) * 1000


def reason(task_def: dict[str, Any], task: dict[str, Any]) -> str:
    """``DeciderService.timeoutTask``'s reason, verbatim."""
    return (
        f"responseTimeout: {response_timeout_s(task_def)} exceeded for the taskId: "
        f"{task['taskId']} with Task Definition: {task.get('taskDefName')}"
    )


@dataclass
class Lease:
    """One worker call's hold on its task: virtual time runs at ``scale`` times real time
    from ``start_ms``; :meth:`extend` is the worker's extendLease update (any thread)."""

    task_id: str
    start_ms: int
    scale: float
    response_timeout_s: int
    beats: list[int] = field(default_factory=list)
    end_ms: int | None = None
    _t0: float = field(default_factory=lambda: time.monotonic())
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def now_ms(self) -> int:
        """The virtual clock as the worker sees it now."""
        return self.start_ms + round((time.monotonic() - self._t0) * 1000 * self.scale)

    def extend(self) -> None:
        """``POST /api/tasks`` with ``extendLease: true``, at this virtual moment."""
        with self._lock:
            self.beats.append(self.now_ms())


def current() -> Lease | None:
    """The lease of the task the calling thread's worker runs (None: not in a worker call)."""
    return getattr(_LOCAL, "lease", None)


class Leases:
    """Mixin of :class:`~agentc.targets.conductor.emulator.simulator.Simulator`."""

    _state: dict[str, Any]
    _kinds: dict[str, Any]

    @property
    def worker_time_scale(self) -> float:
        """Virtual seconds per real second during a worker call (0: the clock stands still)."""
        return float(self._state["options"].get("workerTimeScale", 0))

    @worker_time_scale.setter
    def worker_time_scale(self, scale: float) -> None:
        if scale < 0:
            raise ValueError("the clock only moves forward")
        self._state["options"]["workerTimeScale"] = float(scale)

    def _active_leases(self) -> dict[str, Lease]:
        found = self.__dict__.get("_leases")
        if found is None:
            found = self.__dict__["_leases"] = {}
        return found

    def _leased_call(self, wf: dict, task: dict, call: TaskCall) -> TaskResult:
        """The worker call under a lease (in the poller's thread)."""
        lease = Lease(
            task["taskId"],
            self.now,  # type: ignore[attr-defined]
            self.worker_time_scale,
            response_timeout_s(self._task_def_of(wf, task)),  # type: ignore[attr-defined]
        )
        self._active_leases()[task["taskId"]] = lease
        _LOCAL.lease = lease
        try:
            return self._call_worker(call)  # type: ignore[attr-defined]
        finally:
            _LOCAL.lease = None
            lease.end_ms = lease.now_ms()

    def _lease_kept(self, wf: dict, task: dict) -> bool:
        """After a worker call, on the driver's thread: replay its lease extensions in
        virtual time (module docstring). False when the task or its workflow ended
        meanwhile — its result is then ignored, as ``updateTask`` ignores it."""
        lease = self._active_leases().pop(task["taskId"], None)
        if lease is not None:
            task_def = self._task_def_of(wf, task)  # type: ignore[attr-defined]
            end = lease.end_ms if lease.end_ms is not None else lease.start_ms
            for at, beat in [*((b, True) for b in sorted(lease.beats)), (end, False)]:
                due = deadline(task_def, task)
                if due is not None and at >= due and wf["status"] == RUNNING:
                    self._state["clock"] = max(self._state["clock"], due)
                    self._decide(wf)  # type: ignore[attr-defined]  # the sweeper, at the deadline
                    break
                if beat:
                    self._extend_lease(task, at)
            self._state["clock"] = max(self._state["clock"], end)
        return task["status"] == IN_PROGRESS and wf["status"] == RUNNING

    def _extend_lease(self, task: dict, at: int | None = None) -> None:
        """``WorkflowExecutorOps.extendLease`` → ``ExecutionDAOFacade.extendLease``: a
        non-terminal task's ``updateTime`` becomes now; nothing else changes."""
        if task["status"] not in _TERMINAL:
            task["updateTime"] = self._state["clock"] if at is None else at

    def _check_response_timeout(self, task_def: dict, task: dict) -> None:
        """``isResponseTimedOut`` → ``timeoutTask`` (for worker tasks; a task held for
        :meth:`complete_task` or under a running in-process call is judged elsewhere)."""
        if (
            not self._kinds[task["_kind"]].worker
            or task.get("_held")
            or task["taskId"] in self._active_leases()
        ):
            return
        due = deadline(task_def, task)
        if due is None or self._state["clock"] < due:
            return
        task["reasonForIncompletion"] = reason(task_def, task)
        self._set_status(task, TIMED_OUT)  # type: ignore[attr-defined]
