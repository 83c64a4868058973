"""DO_WHILE, the system task (conductor-oss ``execution/tasks/DoWhile.java``): iterations,
``keepLastN``, the loop condition and list iteration, as a mixin of the simulator.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .expressions import (
    java_string,
    strip_iteration,
)
from .metadata import _has, _next_in, _subtree_refs
from .model import (
    COMPLETED,
    FAILED,
    FAILED_WITH_TERMINAL_ERROR,
    SimulationError,
    _ScriptFailure,
    _TERMINAL,
    _UNSUCCESSFUL,
)
from .utils import _to_boolean


class DoWhile:
    """DoWhile.execute and its helpers."""

    def _exec_do_while(self, wf: dict, task: dict) -> bool:
        """``DoWhile.execute``: record the iteration's outputs under ``output["<n>"]``; fail
        if a body task failed; wait until the iteration is complete; then evaluate the
        condition and either schedule iteration n+1 (refs ``<ref>__<n+1>``) or complete."""
        wt = task["workflowTask"]
        body = _subtree_refs(wt)
        relevant: dict[str, dict] = {}
        for t in wf["tasks"]:
            if (
                t["iteration"] == task["iteration"]
                and t["referenceTaskName"] != task["referenceTaskName"]
                and strip_iteration(t["referenceTaskName"]) in body
            ):
                current = relevant.get(t["referenceTaskName"])
                if current is None or t["retryCount"] > current["retryCount"]:
                    relevant[t["referenceTaskName"]] = t
        if not relevant:
            if self._is_list_iteration(wt) and not self._items(wf, task):
                task["outputData"]["iteration"] = 0
                self._set_status(task, COMPLETED)
                return True
            task["iteration"] = 1
            task["outputData"]["iteration"] = 1
            self._inject_loop_variables(wf, task)
            return self._schedule_next_iteration(wf, task)
        failed = False
        reasons = ""
        outputs: dict[str, Any] = {}
        for t in relevant.values():
            failed = t["status"] in _UNSUCCESSFUL
            if failed:
                reasons += java_string(t["reasonForIncompletion"]) + " "
            outputs[strip_iteration(t["referenceTaskName"])] = copy.deepcopy(t["outputData"])
            if failed:
                break
        task["outputData"][str(task["iteration"])] = outputs
        self._keep_last_n(wf, task)
        if failed:
            task["reasonForIncompletion"] = reasons
            self._set_status(task, FAILED)
            return True
        if not self._iteration_complete(task, relevant):
            return False
        try:
            again = self._loop_condition(wf, task)
        except _ScriptFailure as exc:
            task["reasonForIncompletion"] = (
                f"Unable to evaluate condition {java_string(wt.get('loopCondition'))}, exception "
                f"{exc}"
            )
            self._set_status(task, FAILED_WITH_TERMINAL_ERROR)
            return True
        if again:
            task["iteration"] += 1
            task["outputData"]["iteration"] = task["iteration"]
            self._inject_loop_variables(wf, task)
            return self._schedule_next_iteration(wf, task)
        self._set_status(task, COMPLETED)
        return True

    def _keep_last_n(self, wf: dict, task: dict) -> None:
        """``inputParameters.keepLastN`` (an int): drop older iterations' outputs and tasks."""
        keep = (task["workflowTask"].get("inputParameters") or {}).get("keepLastN")
        if keep is None:
            return
        if not isinstance(keep, int) or isinstance(keep, bool):
            raise SimulationError(
                f"DO_WHILE {task['referenceTaskName']}: keepLastN must be an int, not "
                f"{java_string(keep)} (the server casts it to Integer)"
            )
        iteration = task["iteration"]
        if iteration <= keep:
            return
        drop = iteration - keep
        for i in range(1, drop + 1):
            task["outputData"].pop(str(i), None)
        body = _subtree_refs(task["workflowTask"])
        before = len(wf["tasks"])
        wf["tasks"][:] = [
            t
            for t in wf["tasks"]
            if not (
                t["iteration"] <= drop
                and t["referenceTaskName"] != task["referenceTaskName"]
                and strip_iteration(t["referenceTaskName"]) in body
            )
        ]
        if len(wf["tasks"]) != before:
            self._bump()

    def _iteration_complete(self, task: dict, relevant: dict[str, dict]) -> bool:
        """``DoWhile.isIterationComplete``: every direct loopOver task of this iteration
        exists and is terminal, so is every task of the iteration, and each terminal task's
        successor inside the loop has been scheduled."""
        wt = task["workflowTask"]
        iteration = task["iteration"]
        for child in wt.get("loopOver") or []:
            t = relevant.get(f"{child.get('taskReferenceName')}__{iteration}")
            if t is None or t["status"] not in _TERMINAL:
                return False
        if any(t["status"] not in _TERMINAL for t in relevant.values()):
            return False
        loop_ref = wt.get("taskReferenceName")
        for t in relevant.values():
            nxt = _next_in(wt, strip_iteration(t["referenceTaskName"]), None)
            if (
                nxt is not None
                and nxt.get("taskReferenceName") != loop_ref
                and _has(wt, nxt.get("taskReferenceName"))
                and f"{nxt.get('taskReferenceName')}__{iteration}" not in relevant
            ):
                return False
        return True

    def _schedule_next_iteration(self, wf: dict, task: dict) -> bool:
        """``WorkflowExecutorOps.scheduleNextIteration``: the first loopOver task, renamed
        ``<ref>__<n>``; the rest follow by the successor rules."""
        loop_over = task["workflowTask"].get("loopOver") or []
        if not loop_over:
            raise SimulationError(
                f"DO_WHILE {task['referenceTaskName']} has an empty loopOver, which crashes the "
                "server"
            )
        iteration = task["iteration"]
        mapped = self._tasks_to_schedule(wf, loop_over[0], task["retryCount"])
        for m in mapped:
            m["referenceTaskName"] = f"{m['referenceTaskName']}__{iteration}"
            m["iteration"] = iteration
        self._schedule(wf, mapped)
        wf["tasks"].extend(mapped)
        self._bump()
        return True

    def _loop_condition(self, wf: dict, task: dict) -> bool:
        """``DoWhile.evaluateCondition``: ``$`` = resolved inputParameters, plus
        ``$[loopRef]`` = the DO_WHILE's output, plus ``$[bodyRef]`` = each body task's
        outputData (latest wins). Truthiness per ``ScriptEvaluator.toBoolean``."""
        wt = task["workflowTask"]
        dollar = self._resolve(
            wf, wt.get("inputParameters"), task_id=task["taskId"], task_def=wt.get("taskDefinition")
        )
        dollar[task["referenceTaskName"]] = task["outputData"]
        body = _subtree_refs(wt)
        for t in wf["tasks"]:
            stripped = strip_iteration(t["referenceTaskName"])
            if stripped in body and t["referenceTaskName"] != task["referenceTaskName"]:
                dollar[stripped] = t["outputData"]
        condition = wt.get("loopCondition")
        if self._is_list_iteration(wt):
            items = self._items(wf, task)
            index = task["iteration"] - 1
            dollar["loopIndex"] = index
            if 0 <= index < len(items):
                dollar["loopItem"] = items[index]
            more = index < len(items) - 1
            if isinstance(condition, str) and condition.strip():
                return _to_boolean(self._eval_js(condition, dollar)) and more
            return more
        if condition is None:
            return False
        return _to_boolean(self._eval_js(condition, dollar))

    @staticmethod
    def _is_list_iteration(wt: Mapping[str, Any]) -> bool:
        items = wt.get("items")
        if isinstance(items, str) and items.strip():
            return True
        params = wt.get("inputParameters") or {}
        value = params.get("_items")
        return (isinstance(value, str) and bool(value.strip())) or isinstance(value, list)

    def _items(self, wf: dict, task: dict) -> list:
        """``DoWhile.evaluateItemsList``: ``items`` (or Orkes-style ``inputParameters._items``)
        resolved; a scalar becomes a one-element list."""
        wt = task["workflowTask"]
        td = wt.get("taskDefinition")
        value = None
        items = wt.get("items")
        if isinstance(items, str) and items.strip():
            value = self._resolve(wf, {"items": items}, task_id=task["taskId"], task_def=td).get(
                "items"
            )
        if value is None:
            resolved = self._resolve(
                wf, wt.get("inputParameters"), task_id=task["taskId"], task_def=td
            )
            value = resolved.get("_items")
        if isinstance(value, list):
            return value
        return [] if value is None else [value]

    def _inject_loop_variables(self, wf: dict, task: dict) -> None:
        if not self._is_list_iteration(task["workflowTask"]):
            return
        items = self._items(wf, task)
        index = task["iteration"] - 1
        task["outputData"]["loopIndex"] = index
        if 0 <= index < len(items):
            task["outputData"]["loopItem"] = copy.deepcopy(items[index])
