"""The decider: conductor-oss ``DeciderService`` (``decide``, ``getNextTask``,
``getTasksToBeScheduled``, ``checkForWorkflowCompletion``, ``retry``, the timeout checks,
``updateWorkflowOutput``) as a mixin of the simulator. docs/conductor.md ("The simulator")
says what is simulated.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .expressions import (
    java_string,
    strip_iteration,
)
from .metadata import _get_next_task, _get_task_by_ref, _td, _wt_type
from .model import (
    CANCELED,
    COMPLETED,
    COMPLETED_WITH_ERRORS,
    FAILED,
    IN_PROGRESS,
    SCHEDULED,
    SKIPPED,
    SimulationUnsupported,
    TERMINATED,
    TIMED_OUT,
    UNSUPPORTED,
    _BUILT_IN,
    _Ctx,
    _MAX_INT,
    _Outcome,
    _RETRIABLE,
    _TERMINAL,
    _Terminate,
    _UNSUCCESSFUL,
)
from . import task_timeouts
from .utils import _int, _int32


class Decider:
    """DeciderService: what to schedule next, retries, timeouts, completion."""

    def _decide_once(self, wf: dict) -> _Outcome:
        """``DeciderService.decide``."""
        outcome = _Outcome()
        self._check_workflow_timeout(wf)
        definition = wf["workflowDefinition"]
        tasks = wf["tasks"]
        to_schedule: dict[str, dict] = {}
        if not any(t["status"] != SKIPPED and not t["executed"] for t in tasks):
            first_tasks = definition.get("tasks") or []
            if not first_tasks:
                raise _Terminate("No tasks found to be executed", COMPLETED)
            first = first_tasks[0]
            if not any(t["referenceTaskName"] == first.get("taskReferenceName") for t in tasks):
                for t in self._tasks_to_schedule(wf, first, 0):
                    to_schedule[t["referenceTaskName"]] = t
        pending = [
            t for t in tasks if not t["retried"] and t["status"] != SKIPPED and not t["executed"]
        ]
        executed_refs = {t["referenceTaskName"] for t in tasks if t["executed"]}
        terminate_task = None
        for t in tasks:
            if t["_kind"] == "TERMINATE" and t["status"] in (
                COMPLETED,
                COMPLETED_WITH_ERRORS,
                SKIPPED,
            ):
                terminate_task = t
        for t in pending:
            ref = t["referenceTaskName"]
            if not self._kinds[t["_kind"]].worker and t["status"] not in _TERMINAL:
                to_schedule.setdefault(ref, t)
                executed_refs.discard(ref)
            task_def = self._task_def_of(wf, t)
            if task_def is not None:
                self._check_task_timeout(task_def, t)
                self._check_response_timeout(task_def, t)  # type: ignore[attr-defined]  # leases
            if t["status"] in _UNSUCCESSFUL:
                wt = t.get("workflowTask") or _get_task_by_ref(definition, ref)
                retry = self._retry(task_def, wt, t, wf)
                if retry is not None:
                    to_schedule[ref] = retry
                    executed_refs.discard(ref)
                elif not (wt and wt.get("permissive") and not wt.get("optional")):
                    self._set_status(t, COMPLETED_WITH_ERRORS)
            if not t["executed"] and not t["retried"] and t["status"] in _TERMINAL:
                t["executed"] = True
                self._bump()
                for nxt in self._next_tasks(wf, t):
                    to_schedule.setdefault(nxt["referenceTaskName"], nxt)
        outcome.to_schedule = [
            t for t in to_schedule.values() if t["referenceTaskName"] not in executed_refs
        ]
        if terminate_task is not None or (not outcome.to_schedule and self._check_completion(wf)):
            self._check_permissive_failures(wf)
            outcome.complete = True
            outcome.terminate_task = terminate_task
        return outcome

    def _check_permissive_failures(self, wf: dict) -> None:
        """A workflow about to complete fails if a permissive task (not optional) failed."""
        latest: dict[str, dict] = {}
        for t in wf["tasks"]:
            wt = t.get("workflowTask") or {}
            if wt.get("permissive") and not wt.get("optional"):
                prev = latest.get(t["referenceTaskName"])
                latest[t["referenceTaskName"]] = (
                    prev if prev and prev["retryCount"] > t["retryCount"] else t
                )
        bad = [t for t in latest.values() if t["status"] in _UNSUCCESSFUL]
        if bad:
            raise _Terminate(
                ". ".join(
                    f"Task {t['taskId']} failed with status: {t['status']} and reason: "
                    f"'{java_string(t['reasonForIncompletion'])}'"
                    for t in bad
                )
            )

    def _check_completion(self, wf: dict) -> bool:
        """``DeciderService.checkForWorkflowCompletion``."""
        status_by_ref: dict[str, str] = {}
        unfinished: list[dict] = []
        for t in wf["tasks"]:
            status_by_ref[t["referenceTaskName"]] = t["status"]
            if t["status"] not in _TERMINAL:
                return False
            if t["_kind"] == "TERMINATE" and t["status"] not in _UNSUCCESSFUL:
                return True
            if not t["retried"] or not t["executed"]:
                unfinished.append(t)
        if not status_by_ref:
            return False
        definition = wf["workflowDefinition"]
        for wt in definition.get("tasks") or []:
            status = status_by_ref.get(wt.get("taskReferenceName"))
            if status is None or status not in _TERMINAL:
                return False
        for t in unfinished:
            nxt = _get_next_task(definition, t["referenceTaskName"])
            if nxt is not None and nxt.get("taskReferenceName") not in status_by_ref:
                return False
        return True

    def _next_tasks(self, wf: dict, task: dict) -> list[dict]:
        """``DeciderService.getNextTask`` (+ ``filterNextLoopOverTasks``): what to schedule
        after ``task``. A SWITCH that started a branch has none (the branch's end does)."""
        if (
            task["_kind"] in ("SWITCH", "DECISION")
            and task["inputData"].get("hasChildren") is not None
        ):
            return []
        iteration = task["iteration"]
        ref = (
            strip_iteration(task["referenceTaskName"])
            if iteration > 0
            else task["referenceTaskName"]
        )
        nxt = _get_next_task(wf["workflowDefinition"], ref)
        if nxt is None:
            return []
        nxt_ref = nxt.get("taskReferenceName")
        if _wt_type(nxt) == "DO_WHILE" and any(
            t["referenceTaskName"] == nxt_ref for t in wf["tasks"]
        ):
            return []  # the end of a loop body: the DO_WHILE re-evaluates itself
        in_loop = iteration > 0 and task["_kind"] != "DO_WHILE"
        target = f"{nxt_ref}__{iteration}" if in_loop else nxt_ref
        if any(t["referenceTaskName"] == target for t in wf["tasks"]):
            return []  # already scheduled (e.g. the JOIN after a fork branch): dedup by ref
        mapped = self._tasks_to_schedule(wf, nxt, 0)
        if in_loop:
            for m in mapped:
                m["referenceTaskName"] = f"{m['referenceTaskName']}__{iteration}"
                m["iteration"] = iteration
            active = self._active_refs(wf)
            mapped = [m for m in mapped if m["referenceTaskName"] not in active]
        return mapped

    def _active_refs(self, wf: dict) -> set[str]:
        return {
            t["referenceTaskName"]
            for t in wf["tasks"]
            if t["status"] == IN_PROGRESS or t["status"] in _TERMINAL
        }

    def _tasks_to_schedule(
        self, wf: dict, wt: dict, retry_count: int, retried_task_id: str | None = None
    ) -> list[dict]:
        """``DeciderService.getTasksToBeScheduled``: map one WorkflowTask to task records
        (a SWITCH or a FORK gives several), minus refs already IN_PROGRESS or terminal."""
        type_ = _wt_type(wt)
        kind = self._kind_name(type_, wt)
        task_input = self._resolve(wf, wt.get("inputParameters"))
        mapped = self._kinds[kind].map(
            _Ctx(self, wf, wt, task_input, retry_count, retried_task_id, kind)
        )
        active = self._active_refs(wf)
        return [t for t in mapped if t["referenceTaskName"] not in active]

    def _kind_name(self, type_: str, wt: Mapping[str, Any]) -> str:
        if type_ in self._state["options"]["workerTypes"]:
            return "USER_DEFINED"
        if type_ in UNSUPPORTED or type_.startswith("LLM_"):
            raise SimulationUnsupported(type_, wt.get("taskReferenceName"))
        kind = self._kinds.get(type_)
        return type_ if kind is not None and kind.map is not None else "USER_DEFINED"

    def _is_system_type(self, type_: str) -> bool:
        """``SystemTaskRegistry.isSystemTask`` for a type name."""
        kind = self._kinds.get(type_)
        return (
            (kind is not None and not kind.worker)
            or type_ in UNSUPPORTED
            or type_.startswith("LLM_")
        )

    def _task_def_of(self, wf: dict, task: dict) -> dict | None:
        wt = task.get("workflowTask")
        if wt is None:
            wt = _get_task_by_ref(wf["workflowDefinition"], task["referenceTaskName"]) or {}
        return wt.get("taskDefinition")

    # ---------------------------------------------------------------- retries (docs/conductor.md
    # "Retries")

    def _retry(self, task_def: dict | None, wt: dict | None, task: dict, wf: dict) -> dict | None:
        """``DeciderService.retry``: a new attempt of a failed task, None when an optional or
        permissive task has run out of retries; otherwise the workflow ends (docs/conductor.md
        "Workflow output and status")."""
        if task_def is None:
            task_def = self._registered_def(task["taskDefName"])
        allowed = 0
        if task_def is not None:
            override = wt.get("retryCount") if wt else None
            allowed = _int(override) if override is not None else _int(_td(task_def, "retryCount"))
        if (
            task["status"] not in _RETRIABLE
            or task["taskType"] in _BUILT_IN
            or allowed <= task["retryCount"]
        ):
            if wt and (wt.get("optional") or wt.get("permissive")):
                return None
            status = {CANCELED: TERMINATED, TIMED_OUT: TIMED_OUT}.get(task["status"], FAILED)
            self._update_output(wf, task)
            raise _Terminate(
                f"Task {task['taskId']} failed with status: {status} and reason: "
                f"'{java_string(task['reasonForIncompletion'])}'",
                status,
                task,
            )
        delay = self._retry_delay(task_def, task["retryCount"])
        task["retried"] = True
        new = copy.deepcopy(task)
        new.update(
            taskId=self._next_task_id(),
            retriedTaskId=task["taskId"],
            retryCount=task["retryCount"] + 1,
            retried=False,
            executed=False,
            status=SCHEDULED,
            pollCount=0,
            seq=0,
            scheduledTime=self.now,
            startTime=0,
            endTime=0,
            updateTime=0,
            workerId=None,
            outputData={},
            subWorkflowId=None,
            startDelayInSeconds=delay,
            callbackAfterSeconds=delay,
        )
        new["inputData"].pop("subWorkflowId", None)
        if wt is not None and _int(wf["workflowDefinition"].get("schemaVersion", 2)) > 1:
            new["inputData"].update(
                self._resolve(
                    wf, wt.get("inputParameters"), task_id=new["taskId"], task_def=task_def
                )
            )
        self._bump()
        return new

    @staticmethod
    def _retry_delay(task_def: dict, attempt: int) -> int:
        """Seconds before the retry; ``attempt`` is the failing attempt's retryCount."""
        base = _int(_td(task_def, "retryDelaySeconds"))
        logic = _td(task_def, "retryLogic")
        if logic == "LINEAR_BACKOFF":
            delay = _int32(base * _int(_td(task_def, "backoffScaleFactor")) * (attempt + 1))
            delay = _MAX_INT if delay < 0 else delay
        elif logic == "EXPONENTIAL_BACKOFF":
            delay = _int32(base * min(2**attempt, _MAX_INT))
            delay = _MAX_INT if delay < 0 else delay
        else:
            delay = base
        cap = _int(_td(task_def, "maxRetryDelaySeconds"))
        return cap if 0 < cap < delay else delay

    # ---------------------------------------------------------------- timeouts (docs/conductor.md
    # "Timeouts and failure workflows")

    def _check_workflow_timeout(self, wf: dict) -> None:
        definition = wf["workflowDefinition"]
        timeout = _int(definition.get("timeoutSeconds"))
        if timeout <= 0:
            return
        elapsed = self.now - wf["createTime"]
        if elapsed < timeout * 1000:
            return
        policy = definition.get("timeoutPolicy") or "ALERT_ONLY"
        if policy == "TIME_OUT_WF":
            raise _Terminate(
                f"Workflow timed out after {elapsed // 1000} seconds. Timeout configured as "
                f"{timeout} seconds. Timeout policy configured to {policy}",
                TIMED_OUT,
            )

    def _check_task_timeout(self, task_def: dict, task: dict) -> None:
        timeout = _int(_td(task_def, "timeoutSeconds"))
        policy = _td(task_def, "timeoutPolicy")
        late = (  # pollTimeoutSeconds / totalTimeoutSeconds (task_timeouts.py)
            task_timeouts.expired({**task_def, "timeoutPolicy": policy}, task, self.now)
            if task["status"] not in _TERMINAL
            else None
        )
        if late is None and (task["status"] in _TERMINAL or timeout <= 0 or task["startTime"] <= 0):
            return
        elapsed = self.now - (task["startTime"] + (task.get("startDelayInSeconds") or 0) * 1000)
        if late is None and elapsed < timeout * 1000:
            return
        reason = late or (
            f"Task timed out after {elapsed // 1000} seconds. Timeout configured as "
            f"{timeout} seconds. Timeout policy configured to {policy}"
        )
        if policy == "ALERT_ONLY":
            return
        task["reasonForIncompletion"] = reason
        self._set_status(task, TIMED_OUT)
        if policy == "TIME_OUT_WF":
            raise _Terminate(reason, TIMED_OUT, task)

    # ---------------------------------------------------------------- ending (docs/conductor.md
    # "Workflow output and status", docs/conductor.md "Timeouts and failure workflows")

    def _update_output(self, wf: dict, task: dict | None) -> None:
        """``DeciderService.updateWorkflowOutput``: a successful TERMINATE's output, else the
        resolved outputParameters, else the output of ``task`` / the last task."""
        tasks = wf["tasks"]
        if not tasks:
            return
        terminate = next(
            (
                t
                for t in tasks
                if t["_kind"] == "TERMINATE"
                and t["status"] in (COMPLETED, COMPLETED_WITH_ERRORS, SKIPPED)
            ),
            None,
        )
        definition = wf["workflowDefinition"]
        if terminate is not None:
            output = copy.deepcopy(terminate["outputData"]) if terminate["outputData"] else {}
        elif definition.get("outputParameters"):
            output = self._resolve(wf, definition["outputParameters"])
        else:
            output = copy.deepcopy((task or tasks[-1])["outputData"])
        wf["output"] = output
