"""System tasks: the ``execute``/``start``/``cancel`` hooks of conductor-oss
``execution/tasks/*.java`` (INLINE, LAMBDA, JOIN, EXCLUSIVE_JOIN, WAIT, TERMINATE,
SET_VARIABLE, SUB_WORKFLOW, START_WORKFLOW; DO_WHILE has its own module) as a mixin of the
simulator. The simulator's ``_kinds`` table maps a task type to its hooks.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from typing import Any

from .expressions import (
    java_string,
)
from .metadata import _agent_output, _get_next_task, _is_agent, _short, _wt_type
from .model import (
    CANCELED,
    COMPLETED,
    COMPLETED_WITH_ERRORS,
    FAILED,
    FAILED_WITH_TERMINAL_ERROR,
    IN_PROGRESS,
    RUNNING,
    SKIPPED,
    TERMINATED,
    TIMED_OUT,
    _MAX_VARIABLES_BYTES,
    _NotFound,
    _ScriptFailure,
    _TERMINAL,
    _Terminate,
    _UNSUCCESSFUL,
    _WF_TERMINAL,
)


class SystemTasks:
    """WorkflowSystemTask hooks (``_kinds[type].execute/start/cancel``)."""

    sub_workflow_answer: (
        Callable[[dict, dict], tuple[str, dict[str, Any], str | None] | None] | None
    )
    sub_workflow_answer = None
    """An embedder's hook, not Conductor's: the (status, output, reason) a SUB_WORKFLOW task
    ends with instead of starting its child, or None to start it (agentc's graph forks answer
    a subgraph node of the forked prefix from the record: ``targets/conductor/fork.py``)."""

    def _exec_complete(self, wf: dict, task: dict) -> bool:
        """SWITCH, DECISION, NOOP: COMPLETED on execution."""
        self._set_status(task, COMPLETED)
        return True

    def _exec_inline(self, wf: dict, task: dict) -> bool:
        """``Inline.execute``: evaluatorType and expression come from the *resolved* input,
        and ``$`` is that whole input. Any evaluation error is FAILED_WITH_TERMINAL_ERROR."""
        data = task["inputData"]
        evaluator = data.get("evaluatorType", None)
        evaluator = "javascript" if evaluator is None else evaluator
        expression = data.get("expression")
        try:
            if not isinstance(evaluator, str) or not evaluator.strip():
                raise _ScriptFailure(
                    "Empty 'evaluatorType' in INLINE task's input parameters. "
                    "A non-empty String value must be provided."
                )
            if evaluator not in ("javascript", "graaljs", "value-param", "python"):
                raise _ScriptFailure(f"Unknown evaluator '{evaluator}' in INLINE task.")
            if not isinstance(expression, str) or not expression.strip():
                raise _ScriptFailure(
                    "Empty 'expression' in Inline task's input parameters. "
                    "A non-empty String value must be provided."
                )
            result = self._evaluate(
                evaluator, expression, copy.deepcopy(data), "INLINE", task["referenceTaskName"]
            )
        except _ScriptFailure as exc:
            task["reasonForIncompletion"] = str(exc)
            task["outputData"]["error"] = str(exc)
            self._set_status(task, FAILED_WITH_TERMINAL_ERROR)
            return True
        task["outputData"]["result"] = result
        self._set_status(task, COMPLETED)
        return True

    def _exec_lambda(self, wf: dict, task: dict) -> bool:
        """``Lambda.execute`` (deprecated): ``scriptExpression`` is a function body; errors
        are FAILED (retriable)."""
        script = task["inputData"].get("scriptExpression")
        if not isinstance(script, str) or not script.strip():
            task["reasonForIncompletion"] = (
                "Empty 'scriptExpression' in Lambda task's input parameters. "
                "A non-empty String value must be provided."
            )
            self._set_status(task, FAILED)
            return True
        try:
            result = self._eval_js(
                "function scriptFun(){" + script + "} scriptFun();", task["inputData"]
            )
        except _ScriptFailure as exc:
            task["reasonForIncompletion"] = str(exc)
            task["outputData"]["error"] = str(exc)
            self._set_status(task, FAILED)
            return True
        task["outputData"]["result"] = result
        self._set_status(task, COMPLETED)
        return True

    # ---------------------------------------------------------------- FORK / JOIN
    # (docs/conductor.md "Forks and joins")

    def _join_after(self, wf: dict, fork_ref: str, message: str) -> dict:
        join = _get_next_task(wf["workflowDefinition"], fork_ref)
        if join is None or _wt_type(join) != "JOIN":
            raise _Terminate(message)
        return join

    def _latest(self, wf: dict, ref: str) -> dict | None:
        """``WorkflowModel.getTaskByRefName``: the last task with exactly this ref."""
        found = None
        for t in wf["tasks"]:
            if t["referenceTaskName"] == ref:
                found = t
        return found

    def _exec_join(self, wf: dict, task: dict) -> bool:
        """``Join.execute``: done when every joinOn task is terminal; output = the non-empty
        outputs by ref; a failed joined task (not optional; permissive ones once all are
        terminal) fails the JOIN, and only-CANCELED failures cancel it."""
        join_on = list(task["inputData"].get("joinOn") or [])
        if task["iteration"] > 0:
            join_on = [f"{r}__{task['iteration']}" for r in join_on]
        joined = {r: self._latest(wf, r) for r in join_on}
        all_terminal = all(t is not None and t["status"] in _TERMINAL for t in joined.values())
        agent = _is_agent(wf["workflowDefinition"])
        optional_failures: list[str] = []
        for ref in join_on:
            forked = joined[ref]
            if forked is None:
                continue
            fwt = forked.get("workflowTask") or {}
            if forked["outputData"]:
                out = _agent_output(forked) if agent else forked["outputData"]
                task["outputData"][ref] = copy.deepcopy(out)
            if (
                forked["status"] in _UNSUCCESSFUL
                and not fwt.get("optional")
                and (not fwt.get("permissive") or all_terminal)
            ):
                failures = [
                    t for t in joined.values() if t is not None and t["status"] in _UNSUCCESSFUL
                ]
                task["reasonForIncompletion"] = " ".join(
                    t["reasonForIncompletion"]
                    for t in failures
                    if t["reasonForIncompletion"] is not None
                )
                real = any(
                    not (t.get("workflowTask") or {}).get("optional") and t["status"] != CANCELED
                    for t in failures
                )
                self._set_status(task, FAILED if real else CANCELED)
                return True
            if fwt.get("optional") and forked["status"] == COMPLETED_WITH_ERRORS:
                optional_failures.append(f"{forked['taskDefName']}/{forked['taskId']}")
        if all_terminal:
            if optional_failures:
                task["reasonForIncompletion"] = (
                    " ".join(optional_failures) + " completed with errors"
                )
                self._set_status(task, COMPLETED_WITH_ERRORS)
            else:
                self._set_status(task, COMPLETED)
            return True
        return False

    def _exec_exclusive_join(self, wf: dict, task: dict) -> bool:
        """``ExclusiveJoin.execute``: the output of the first joinOn task that ran."""
        join_on = list(task["inputData"].get("joinOn") or [])
        if task["iteration"] > 0:
            join_on = [f"{r}__{task['iteration']}" for r in join_on]
        found = False
        failed = False
        reason = ""
        chosen = None
        for ref in join_on:
            chosen = self._latest(wf, ref)
            if chosen is None or chosen["status"] == SKIPPED:
                continue
            found = chosen["status"] in _TERMINAL
            others = [self._latest(wf, r) for r in join_on]
            failed = chosen["status"] in _UNSUCCESSFUL and (
                not (chosen.get("workflowTask") or {}).get("permissive")
                or all(o is not None and o["status"] in _TERMINAL for o in others)
            )
            if failed:
                reason += " ".join(
                    java_string(o["reasonForIncompletion"])
                    for o in others
                    if o is not None and o["status"] in _UNSUCCESSFUL
                )
            break
        if not found:
            for ref in task["inputData"].get("defaultExclusiveJoinTask") or []:
                chosen = self._latest(wf, ref)
                if chosen is None or chosen["status"] == SKIPPED:
                    continue
                found = chosen["status"] in _TERMINAL
                failed = chosen["status"] in _UNSUCCESSFUL
                if failed:
                    reason += java_string(chosen["reasonForIncompletion"]) + " "
                break
        if found or failed:
            if failed:
                task["reasonForIncompletion"] = reason
                self._set_status(task, FAILED)
            else:
                task["outputData"] = copy.deepcopy(chosen["outputData"])
                self._set_status(task, COMPLETED)
            return True
        return False

    def _exec_wait(self, wf: dict, task: dict) -> bool:
        timeout = task.get("waitTimeout") or 0
        if timeout and self.now >= timeout:
            self._set_status(task, COMPLETED)
            return True
        return False

    def _exec_terminate(self, wf: dict, task: dict) -> bool:
        """``Terminate.execute``: the output becomes ``workflowOutput`` (a map as is, anything
        else under ``output``); the decider then ends the workflow with that output."""
        status = task["inputData"].get("terminationStatus")
        if status in (COMPLETED, FAILED, TERMINATED):
            value = task["inputData"].get("workflowOutput")
            if value is None:
                output = {}
            elif isinstance(value, Mapping):
                output = copy.deepcopy(dict(value))
            else:
                output = {"output": copy.deepcopy(value)}
            task["outputData"] = output
            self._set_status(task, COMPLETED)
            return True
        task["reasonForIncompletion"] = "given termination status is not valid"
        self._set_status(task, FAILED)
        return False

    def _exec_set_variable(self, wf: dict, task: dict) -> bool:
        """``SetVariable.execute``: a shallow put of each input key into
        ``workflow.variables``, rolled back if the variables exceed 256 KB."""
        data = task["inputData"]
        if data:
            before = copy.deepcopy(wf["variables"])
            wf["variables"].update(copy.deepcopy(data))
            size = len(json.dumps(wf["variables"], separators=(",", ":")).encode())
            if size > _MAX_VARIABLES_BYTES:
                wf["variables"] = before
                task["reasonForIncompletion"] = (
                    f"The variables payload size: {size} of workflow: {wf['workflowId']} is "
                    "greater "
                    f"than the permissible limit: {_MAX_VARIABLES_BYTES // 1024} kilobytes"
                )
                self._set_status(task, FAILED_WITH_TERMINAL_ERROR)
                return True
        self._set_status(task, COMPLETED)
        return True

    def _start_sub_workflow(self, wf: dict, task: dict) -> None:
        """``SubWorkflow.start``: the child's input is ``workflowInput`` (the whole task input
        if that is empty); an inline definition is marked ``_systemMetadata.dynamic``."""
        answered = self.sub_workflow_answer(wf, task) if self.sub_workflow_answer else None
        if answered is not None:
            status, output, reason = answered
            task["outputData"].update(output)
            task["reasonForIncompletion"] = reason
            self._set_status(task, status)
            return
        data = task["inputData"]
        version = data.get("subWorkflowVersion")
        version = int(version) if isinstance(version, (int, float)) and int(version) != 0 else None
        definition = data.get("subWorkflowDefinition")
        name = None if data.get("subWorkflowName") is None else java_string(data["subWorkflowName"])
        if definition is not None:
            if not isinstance(definition, Mapping):
                task["reasonForIncompletion"] = (
                    f"workflowDefinition is not a WorkflowDef: {java_string(definition)}"
                )
                self._set_status(task, FAILED)
                return
            name = definition.get("name")
        child_input = data.get("workflowInput")
        if not child_input:
            child_input = data
        child_input = copy.deepcopy(dict(child_input))
        if definition is not None:
            meta = child_input.get("_systemMetadata")
            meta = dict(meta) if isinstance(meta, Mapping) else {}
            meta["dynamic"] = True
            child_input["_systemMetadata"] = meta
        try:
            child_id = self._start_workflow(
                name,
                version,
                child_input,
                definition=dict(definition) if definition is not None else None,
                parent=wf,
                parent_task=task,
                correlation_id=wf["correlationId"],
                started_by=wf["workflowId"],
            )
        except _NotFound as exc:
            task["reasonForIncompletion"] = str(exc)
            self._set_status(task, FAILED)
            return
        task["reasonForIncompletion"] = None
        task["subWorkflowId"] = child_id
        task["outputData"]["subWorkflowId"] = child_id
        self._sync_sub_workflow(self._workflow(child_id), task)

    def _exec_sub_workflow(self, wf: dict, task: dict) -> bool:
        child_id = task.get("subWorkflowId")
        if not child_id:
            return False
        child = self._workflow(child_id)
        if child["status"] not in _WF_TERMINAL:
            return False
        self._sync_sub_workflow(child, task)
        return True

    def _sync_sub_workflow(self, child: dict, task: dict) -> None:
        """``SubWorkflow.updateTaskStatus``: the child's status mapped onto the task, and the
        child's output merged into the task output (next to ``subWorkflowId``)."""
        status = {
            RUNNING: IN_PROGRESS,
            "PAUSED": IN_PROGRESS,
            COMPLETED: COMPLETED,
            FAILED: FAILED,
            TERMINATED: CANCELED,
            TIMED_OUT: TIMED_OUT,
        }[child["status"]]
        if child["status"] in _WF_TERMINAL:
            task["outputData"].update(copy.deepcopy(child["output"]))
            if status != COMPLETED:
                task["reasonForIncompletion"] = (
                    f"Sub workflow {_short(child)} failure reason: "
                    f"{java_string(child['reasonForIncompletion'])}"
                )
        self._set_status(task, status)

    def _cancel_sub_workflow(self, wf: dict, task: dict) -> None:
        """Canceling the task terminates the running child workflow."""
        child_id = task.get("subWorkflowId")
        child = self._state["workflows"].get(child_id) if child_id else None
        if child is None or child["status"] in _WF_TERMINAL:
            return
        self._set_wf_status(child, TERMINATED)
        reason = (
            f"Parent workflow has been terminated with reason: {wf['reasonForIncompletion']}"
            if wf["reasonForIncompletion"]
            else f"Parent workflow has been terminated with status {wf['status']}"
        )
        self._terminate_workflow(child, reason)

    def _start_start_workflow(self, wf: dict, task: dict) -> None:
        """``StartWorkflow.start``: fire and forget; output ``{workflowId}``."""
        request = task["inputData"].get("startWorkflow")
        if request is None:
            task["reasonForIncompletion"] = "Missing 'startWorkflow' in input data."
            self._set_status(task, FAILED)
            return
        if not isinstance(request, Mapping):
            task["reasonForIncompletion"] = (
                f"Error reading StartWorkflowRequest. {java_string(request)}"
            )
            self._set_status(task, FAILED)
            return
        if request.get("name") is None:
            task["reasonForIncompletion"] = (
                "startWorkflow validation failed. 'name' -> Workflow name cannot be null or empty. "
            )
            self._set_status(task, FAILED)
            return
        correlation = request.get("correlationId")
        if not (isinstance(correlation, str) and correlation.strip()):
            correlation = wf["correlationId"]
        version = request.get("version")
        try:
            child_id = self._start_workflow(
                java_string(request["name"]),
                int(version) if isinstance(version, (int, float)) else None,
                copy.deepcopy(dict(request.get("input") or {})),
                definition=request.get("workflowDef"),
                correlation_id=correlation,
                started_by=wf["workflowId"],
            )
        except _NotFound as exc:
            task["reasonForIncompletion"] = str(exc)
            self._set_status(task, FAILED)
            return
        task["outputData"]["workflowId"] = child_id
        self._set_status(task, COMPLETED)
