"""Starting, driving and ending workflows: conductor-oss ``WorkflowExecutorOps``
(``startWorkflow``, ``decide``, ``scheduleTask``, ``updateTask``, ``terminate``,
``endExecution``) and ``AsyncSystemTaskExecutor``, as a mixin of
:class:`~agentc.targets.conductor.emulator.simulator.Simulator` (it reads the simulator's state
and calls the decider and the task hooks through ``self``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .expressions import (
    java_string,
)
from .metadata import _collect_tasks, _td, _wt_type
from .model import (
    CANCELED,
    COMPLETED,
    FAILED,
    FAILED_WITH_TERMINAL_ERROR,
    IN_PROGRESS,
    RUNNING,
    SCHEDULED,
    SimulationError,
    TERMINATED,
    TaskCall,
    TaskResult,
    _Kind,
    _MAX_INT,
    _NotFound,
    _TERMINAL,
    _Terminate,
    _WF_TERMINAL,
    _WORKER_RESULT_STATUSES,
)
from . import task_timeouts
from .utils import _int


class WorkflowOps:
    """WorkflowExecutorOps: the workflow lifecycle around the decider."""

    # ---------------------------------------------------------------- starting workflows

    def _start_workflow(
        self,
        name: str | None,
        version: int | None,
        input: dict,
        *,
        definition: dict | None = None,
        parent: dict | None = None,
        parent_task: dict | None = None,
        correlation_id: str | None = None,
        started_by: str | None = None,
    ) -> str:
        """``WorkflowExecutorOps.startWorkflow``: create the workflow, then decide it."""
        if definition is None:
            definition = self._lookup_definition(name, version) if name is not None else None
            if definition is None:
                raise _NotFound(
                    f"No such workflow defined. name={java_string(name)}, "
                    f"version={java_string(version)}"
                )
        else:
            definition = copy.deepcopy(definition)
        self._populate(definition)
        self._state["counters"]["workflow"] += 1
        wid = f"wf-{self._state['counters']['workflow']}"
        def_version = definition.get("version", 1)
        # docs/conductor.md "Input resolution": the inputTemplate only fills in a non-empty input
        if input:
            for key, value in copy.deepcopy(definition.get("inputTemplate") or {}).items():
                input.setdefault(key, value)
        wf = {
            "workflowId": wid,
            "workflowName": definition.get("name"),
            "workflowVersion": 0 if def_version is None else def_version,
            "status": RUNNING,
            "input": copy.deepcopy(input),
            "output": {},
            "variables": copy.deepcopy(definition.get("variables") or {}),
            "reasonForIncompletion": None,
            "correlationId": correlation_id,
            "parentWorkflowId": parent["workflowId"] if parent else None,
            "parentWorkflowTaskId": parent_task["taskId"] if parent_task else None,
            "createTime": self.now,
            "startTime": self.now,
            "updateTime": self.now,
            "endTime": 0,
            "failedReferenceTaskNames": [],
            "failedTaskNames": [],
            "failedTaskId": None,
            "workflowDefinition": definition,
            "tasks": [],
            "_startedBy": started_by,
        }
        self._state["workflows"][wid] = wf
        self._bump()
        self._decide(wf)
        return wid

    def _populate(self, definition: dict) -> None:
        """``MetadataMapperService.populateWorkflowTaskWithDefinition``: every WorkflowTask
        without an inline ``taskDefinition`` gets the registered TaskDef, or an ad-hoc one
        (retryCount 3 for SIMPLE; retryCount 0 and responseTimeout 0 for other types,
        docs/conductor.md "Retries")."""
        for wt in _collect_tasks(definition.get("tasks") or []):
            name = wt.get("name")
            if (
                wt.get("taskDefinition") is not None
                or not isinstance(name, str)
                or not name.strip()
            ):
                continue
            td = self._registered_def(name)
            if td is None:
                td = {"name": name}
                if _wt_type(wt) != "SIMPLE":
                    td.update(retryCount=0, responseTimeoutSeconds=0)
            wt["taskDefinition"] = td

    # ---------------------------------------------------------------- the driver

    def _step(self, root_id: str) -> None:
        """One round: decide every running workflow, run the due asynchronous system tasks,
        then hand every due queued task to the worker."""
        for wf in self._family(root_id):
            if wf["status"] == RUNNING:
                self._decide(wf)
        self._run_due_system_tasks(root_id)
        if (
            self._state["options"].get("parallelWorkers", 1) > 1
        ):  # concurrent pollers (parallel_polls.py)
            self._poll_due_in_parallel(root_id)
            return
        for wf in self._family(root_id):
            for task in list(wf["tasks"]):
                if wf["status"] != RUNNING:
                    break
                kind = self._kinds[task["_kind"]]
                if (
                    kind.worker
                    and task["status"] == SCHEDULED
                    and task["_due"] is not None
                    and task["_due"] <= self.now
                    and task["taskType"] not in self._state["options"].get("unpolled", ())
                ):
                    self._poll_worker(wf, task)

    def _run_due_system_tasks(self, root_id: str) -> None:
        """The system-task workers: run every due JOIN / WAIT / SUB_WORKFLOW / START_WORKFLOW
        once, deciding its workflow after a change."""
        for wf in self._family(root_id):
            for task in list(wf["tasks"]):
                if wf["status"] != RUNNING:
                    break
                kind = self._kinds[task["_kind"]]
                if (
                    kind.async_
                    and task["status"] not in _TERMINAL
                    and task["_due"] is not None
                    and task["_due"] <= self.now
                ):
                    before = self._version
                    self._run_async(wf, task, kind)
                    if self._version != before:
                        self._decide(wf)

    def _next_timer(self, root_id: str) -> int | None:
        """The earliest future moment at which something becomes due."""
        now = self.now
        times: list[int] = []
        for wf in self._family(root_id):
            if wf["status"] != RUNNING:
                continue
            definition = wf["workflowDefinition"]
            timeout = _int(definition.get("timeoutSeconds"))
            if timeout > 0 and definition.get("timeoutPolicy") == "TIME_OUT_WF":
                times.append(wf["createTime"] + timeout * 1000)
            for t in wf["tasks"]:
                if t["status"] in _TERMINAL:
                    continue
                kind = self._kinds[t["_kind"]]
                waiting = (kind.worker and t["status"] == SCHEDULED) or kind.async_
                if waiting and t["_due"] is not None:
                    times.append(t["_due"])
                td = self._task_def_of(wf, t)
                if td and _td(td, "timeoutPolicy") != "ALERT_ONLY":  # poll / total timeouts
                    times += [due for _, _, due in task_timeouts.deadlines(td, t)]
                task_timeout = _int(_td(td, "timeoutSeconds")) if td else 0
                if (
                    task_timeout > 0
                    and t["startTime"] > 0
                    and _td(td, "timeoutPolicy") != "ALERT_ONLY"
                ):
                    times.append(
                        t["startTime"]
                        + (t.get("startDelayInSeconds") or 0) * 1000
                        + task_timeout * 1000
                    )
        future = [t for t in times if t > now]
        return min(future) if future else None

    def _run_async(self, wf: dict, task: dict, kind: _Kind) -> None:
        """``AsyncSystemTaskExecutor.execute``: a SCHEDULED task is started, an IN_PROGRESS
        one is executed."""
        if task["status"] == SCHEDULED:
            task["startTime"] = self.now
            if kind.start is not None:
                kind.start(wf, task)
        elif task["status"] == IN_PROGRESS and kind.execute is not None:
            kind.execute(wf, task)

    def _poll_worker(self, wf: dict, task: dict) -> None:
        """A worker polls the task, runs it and posts the result; the workflow is decided."""
        call = self._polled(wf, task)
        if call is not None:
            result = self._leased_call(wf, task, call)  # type: ignore[attr-defined]
            if self._lease_kept(wf, task):  # type: ignore[attr-defined]  # else timed out (leases)
                self._post(wf, task, result)
            elif self.dropped_update is not None:  # type: ignore[attr-defined]  # ignored answer
                self.dropped_update(wf, task, result)  # type: ignore[attr-defined]

    def _polled(self, wf: dict, task: dict) -> TaskCall | None:
        """``POST /api/tasks/poll``: the task is IN_PROGRESS, handed to a worker (None: the
        server refused its input)."""
        if self._worker is None:
            raise SimulationError(
                f"task {task['referenceTaskName']} ({task['taskType']}) needs a worker and none "
                "was given"
            )
        self._spend()
        task["pollCount"] += 1
        if not task["startTime"]:
            task["startTime"] = self.now
        task["workerId"] = "simulator"
        task["callbackAfterSeconds"] = 0  # ExecutionService.poll resets it (leases.py)
        self._set_status(task, IN_PROGRESS)
        if self._oversized(wf, task, "input"):  # the server's payload maximum (payload_thresholds)
            return None
        return TaskCall(
            task_type=task["taskType"],
            ref=task["referenceTaskName"],
            input=copy.deepcopy(task["inputData"]),
            retry_count=task["retryCount"],
            workflow_id=wf["workflowId"],
            task_id=task["taskId"],
            iteration=task["iteration"],
        )

    def _call_worker(self, call: TaskCall) -> TaskResult:
        try:
            result = self._worker(call)  # type: ignore[misc]
        except SimulationError:
            raise
        except Exception as exc:  # noqa: BLE001 -- what the SDK's task runner does with a raising worker
            result = TaskResult(FAILED, {}, str(exc) or type(exc).__name__)
        if not isinstance(result, TaskResult):
            raise SimulationError(
                f"the worker returned {type(result).__name__} for {call.ref}, not a TaskResult"
            )
        return result

    def _post(self, wf: dict, task: dict, result: TaskResult) -> None:
        """``POST /api/tasks`` with the worker's result; the workflow is decided."""
        self._apply_update(
            wf, task, result.status, result.output, result.reason, result.callback_after_seconds
        )
        self._oversized(wf, task, "output")
        self._decide(wf)

    def _oversized(self, wf: dict, task: dict, kind: str) -> bool:
        """A default server fails a task whose input or output passes its payload maximum
        (``payload_thresholds``): FAILED_WITH_TERMINAL_ERROR, that payload emptied."""
        from .payload_thresholds import task_rejection

        reason = task_rejection(task, kind)
        if reason is None:
            return False
        task["inputData" if kind == "input" else "outputData"] = {}
        task["reasonForIncompletion"] = reason
        self._set_status(task, FAILED_WITH_TERMINAL_ERROR)
        self._bump()
        self._decide(wf)
        return True

    def _apply_update(
        self,
        wf: dict,
        task: dict,
        status: str,
        output: Mapping[str, Any] | None,
        reason: str | None,
        callback_after: int | None,
    ) -> None:
        """``WorkflowExecutorOps.updateTask``: the output is replaced, not merged. A worker
        task updated to IN_PROGRESS goes back to the queue (SCHEDULED) for
        ``callback_after`` seconds; with no callback it waits for :meth:`complete_task`."""
        if status not in _WORKER_RESULT_STATUSES:
            raise SimulationError(
                f"task result status must be one of {sorted(_WORKER_RESULT_STATUSES)}, not "
                f"{status!r}"
            )
        if output is not None and not isinstance(output, Mapping):
            raise SimulationError(f"task output must be a JSON object, not {type(output).__name__}")
        worker_task = self._kinds[task["_kind"]].worker
        new_status = status
        task["_due"] = None
        if worker_task and status == IN_PROGRESS and callback_after is not None:
            new_status = SCHEDULED
            task["_due"] = self.now + int(callback_after) * 1000
        if worker_task and status == IN_PROGRESS and callback_after is None:
            task["_held"] = True  # waits for complete_task: no response timeout (leases.py)
        else:
            task.pop("_held", None)
        task["reasonForIncompletion"] = reason or None
        task["callbackAfterSeconds"] = int(callback_after or 0)
        task["outputData"] = copy.deepcopy(dict(output or {}))
        self._set_status(task, new_status)
        self._bump()

    # ---------------------------------------------------------------- decide (docs/conductor.md
    # "Scheduling (the decider)")

    def _decide(self, wf: dict) -> None:
        """``WorkflowExecutorOps.decide``: decide, add the new tasks, start them, execute the
        synchronous system tasks; again while anything changed."""
        if wf["status"] in _WF_TERMINAL:
            if wf["status"] != COMPLETED:
                self._cancel_non_terminal(wf)
            return
        try:
            while True:
                outcome = self._decide_once(wf)
                if outcome.complete:
                    self._end_execution(wf, outcome.terminate_task)
                    return
                added = self._dedup_and_add(wf, outcome.to_schedule)
                changed = self._schedule(wf, added)
                present = {id(t) for t in wf["tasks"]}
                for task in outcome.to_schedule:
                    kind = self._kinds[task["_kind"]]
                    if (
                        id(task) in present
                        and not kind.worker
                        and not kind.async_
                        and task["status"] not in _TERMINAL
                        and kind.execute is not None
                        and kind.execute(wf, task)
                    ):
                        changed = True
                if not changed:
                    return
        except _Terminate as exc:
            self._terminate(wf, exc)

    def _dedup_and_add(self, wf: dict, tasks: list[dict]) -> list[dict]:
        """``dedupAndAddTasks``: append the tasks whose (ref, retryCount) is new."""
        seen = {(t["referenceTaskName"], t["retryCount"]) for t in wf["tasks"]}
        added = []
        for t in tasks:
            key = (t["referenceTaskName"], t["retryCount"])
            if key not in seen:
                seen.add(key)
                added.append(t)
        wf["tasks"].extend(added)
        if added:
            self._bump()
        return added

    def _schedule(self, wf: dict, tasks: list[dict]) -> bool:
        """``WorkflowExecutorOps.scheduleTask``: number the tasks (seq), start synchronous
        system tasks, queue the rest (``_due`` = when a worker / system-task worker may take
        it). True when a synchronous system task was started."""
        if not tasks:
            return False
        seq = max((t["seq"] for t in wf["tasks"]), default=0)
        started = False
        for t in tasks:
            if not t["seq"]:
                seq += 1
                t["seq"] = seq
        for t in tasks:
            kind = self._kinds[t["_kind"]]
            if kind.worker:
                t["_due"] = self.now + t["callbackAfterSeconds"] * 1000
                continue
            if t["status"] not in _TERMINAL and not t["startTime"]:
                t["startTime"] = self.now
            if kind.async_:
                if t["_kind"] == "WAIT":
                    t["_due"] = t.get("waitTimeout") or None
                else:
                    t["_due"] = self.now + min(t["callbackAfterSeconds"], _MAX_INT) * 1000
            else:
                if kind.start is not None:
                    kind.start(wf, t)
                started = True
        self._bump()
        return started

    def _end_execution(self, wf: dict, terminate_task: dict | None) -> None:
        """``WorkflowExecutorOps.endExecution`` (docs/conductor.md "TERMINATE, SET_VARIABLE, NOOP"
        TERMINATE, docs/conductor.md "Workflow output and status")."""
        if terminate_task is not None:
            status = terminate_task["inputData"].get("terminationStatus")
            reason = terminate_task["inputData"].get("terminationReason")
            reason = None if reason is None else java_string(reason)
            if reason is None or not reason.strip():
                reason = (
                    f"Workflow is {java_string(status)} by TERMINATE task: "
                    f"{terminate_task['taskId']}"
                )
            if status in (FAILED, TERMINATED):
                self._set_wf_status(wf, status)
                self._terminate(wf, _Terminate(reason, status, terminate_task))
            else:
                wf["reasonForIncompletion"] = reason
                self._complete_workflow(wf)
        else:
            self._complete_workflow(wf)
        self._cancel_non_terminal(wf)

    def _complete_workflow(self, wf: dict) -> None:
        if wf["status"] == COMPLETED:
            return
        self._update_output(wf, None)
        self._set_wf_status(wf, COMPLETED)
        self._record_failed_tasks(wf)
        wf["endTime"] = self.now

    def _record_failed_tasks(self, wf: dict) -> None:
        failed = [t for t in wf["tasks"] if t["status"] in (FAILED, FAILED_WITH_TERMINAL_ERROR)]
        wf["failedReferenceTaskNames"] = sorted(
            set(wf["failedReferenceTaskNames"]) | {t["referenceTaskName"] for t in failed}
        )
        wf["failedTaskNames"] = sorted(
            set(wf["failedTaskNames"]) | {t["taskDefName"] for t in failed if t["taskDefName"]}
        )

    def _terminate(self, wf: dict, exc: _Terminate) -> None:
        """``WorkflowExecutorOps.terminate``: the system ends the workflow (task failure,
        TERMINATE, timeout) and starts its failureWorkflow, if any."""
        if wf["status"] not in _WF_TERMINAL:
            self._set_wf_status(wf, exc.status)
        if exc.task is not None and wf["failedTaskId"] is None:
            wf["failedTaskId"] = exc.task["taskId"]
        definition = wf["workflowDefinition"]
        failure = definition.get("failureWorkflow")
        if isinstance(failure, str) and failure.startswith("$"):
            # quirk kept from the Java: the 3rd dot-separated piece is an input key, verbatim
            pieces = [p for p in failure.split(".")]
            while pieces and pieces[-1] == "":
                pieces.pop()
            if len(pieces) < 3:
                raise SimulationError(
                    f"failureWorkflow {failure!r} crashes the server (no 3rd piece)"
                )
            failure = wf["input"].get(pieces[2])
        self._terminate_workflow(wf, exc.message, failure, definition.get("failureWorkflowVersion"))

    def _terminate_workflow(
        self, wf: dict, reason: str, failure_workflow: Any = None, failure_version: Any = None
    ) -> None:
        """``WorkflowExecutorOps.terminateWorkflow``."""
        if wf["status"] not in _WF_TERMINAL:
            self._set_wf_status(wf, TERMINATED)
        self._update_output(wf, None)
        self._record_failed_tasks(wf)
        wf["reasonForIncompletion"] = reason
        self._cancel_non_terminal(wf)
        wf["endTime"] = self.now
        if isinstance(failure_workflow, str) and failure_workflow.strip():
            inp = copy.deepcopy(wf["input"])
            inp.update(workflowId=wf["workflowId"], reason=reason, failureStatus=wf["status"])
            if wf["failedTaskId"] is not None:
                inp["failureTaskId"] = wf["failedTaskId"]
            inp["failedWorkflow"] = self.execution(wf["workflowId"])
            try:
                fid = self._start_workflow(
                    failure_workflow,
                    _int(failure_version) or None,
                    inp,
                    correlation_id=wf["correlationId"],
                    started_by=wf["workflowId"],
                )
                wf["output"]["conductor.failure_workflow"] = fid
            except _NotFound as err:
                wf["output"]["conductor.failure_workflow"] = (
                    f"Error workflow {failure_workflow} failed to start.  reason: {err}"
                )

    def _cancel_non_terminal(self, wf: dict) -> None:
        """``cancelNonTerminalTasks``: everything still running is CANCELED (a running
        sub-workflow is terminated)."""
        for t in wf["tasks"]:
            if t["status"] not in _TERMINAL:
                self._set_status(t, CANCELED)
                kind = self._kinds[t["_kind"]]
                if kind.cancel is not None:
                    kind.cancel(wf, t)
